// Storage faults: the engine over a real RocksDB whose disk starts failing. A failed read
// or write must never be taken for an absent key or a stored change: the group is not
// committed, the partition is fenced, and after a restart on a healthy disk everything
// acknowledged is there, unchanged, and numbering goes on where it stopped.
#include <gtest/gtest.h>

#include <rocksdb/db.h>

#include <thread>

#include "runtime/engine.h"
#include "stats/summary.h"
#include "store/fsck.h"
#include "store/keys.h"
#include "store/outbox.h"
#include "support/faulty_fs.h"
#include "support/test_support.h"

namespace doorstep {
namespace {

using testing::action;
using testing::at;
using testing::demo_config;
using testing::faulty_fs;
using testing::submit;
using testing::temp_dir;

constexpr const char* kPlace = "runtai-huayuan-b1";

// The store's options with RocksDB's files reached through `env` (over a faulty_fs) and
// no block cache between, so every data block read reaches the file system.
store::options over_faulty_fs(rocksdb::Env* env, bool sync = false) {
  store::options o{demo_config().engine.partitions, sync, true, false};
  o.tune = [env](rocksdb::Options& r) {
    r.env = env;
    faulty_fs::without_block_cache(r);
  };
  return o;
}

class storage_fault_test : public ::testing::Test {
 protected:
  void SetUp() override { open(); }
  void TearDown() override {
    fs_->fail_reads = fs_->fail_writes = fs_->fail_syncs = false;
    close();
  }

  void open() {
    auto s = store::store::open(dir_.path() / "db", over_faulty_fs(env_.get(), sync_));
    ASSERT_TRUE(s.ok()) << s.err().message;
    store_ = std::move(s).value();
    engine_ = std::make_unique<runtime::engine>(demo_config().rules, *store_, clock_,
                                                runtime::engine_options{2, 64, false});
  }
  void close() {
    engine_.reset();
    store_.reset();
  }
  // Moves everything to table files and reopens: the caches are empty, so the next
  // commands read counters, keys and tickets from disk.
  void flush_and_restart() {
    ASSERT_TRUE(store_->db()->Flush(rocksdb::FlushOptions()).ok());
    close();
    open();
  }

  runtime::outcome run(command c) { return engine_->execute(std::move(c)); }

  void expect_fenced(const runtime::outcome& o, std::string_view after) {
    ASSERT_FALSE(o.ok()) << "the command was applied on a failing disk";
    EXPECT_EQ(o.err->code, "storage");
    EXPECT_NE(o.err->message.find(std::string("fenced after a failed ") + std::string(after)), std::string::npos)
        << o.err->message;
  }

  // The ticket is stored exactly as the command that acknowledged it left it.
  void expect_stored_as(const runtime::outcome& acknowledged) {
    auto kept = store_->load_ticket(acknowledged.ticket_id);
    ASSERT_TRUE(kept.ok() && kept->has_value()) << acknowledged.ticket_id << " is gone";
    EXPECT_EQ(**kept, *acknowledged.after) << acknowledged.ticket_id << " was overwritten";
  }

  void expect_consistent() {
    auto r = store::fsck(*store_, [](const ticket& t) { return demo_config().rules->duplicate_scope_of(t.jurisdiction_id); });
    EXPECT_TRUE(r.ok()) << (r.problems.empty() ? "" : r.problems.front());
  }

  std::shared_ptr<faulty_fs> fs_ = std::make_shared<faulty_fs>();
  std::unique_ptr<rocksdb::Env> env_ = faulty_fs::env_over(fs_);
  bool sync_ = false;  // durability: sync (the engine then pipelines its fsyncs)
  temp_dir dir_;
  runtime::simulated_clock clock_{at(2026, 3, 2, 9)};  // Monday 09:00
  std::unique_ptr<store::store> store_;
  std::unique_ptr<runtime::engine> engine_;
};

TEST_F(storage_fault_test, an_unreadable_counter_fences_the_partition_instead_of_reusing_a_ticket_number) {
  auto first = run(submit(kPlace, "small_ads", "s-1", "楼道里贴满了小广告"));
  ASSERT_TRUE(first.ok()) << first.err->message;
  flush_and_restart();

  fs_->fail_reads = true;
  auto during = run(submit(kPlace, "street_light", "s-2", "小区门口的路灯不亮了"));
  expect_fenced(during, "read");
  EXPECT_GT(fs_->failed, 0u);
  EXPECT_FALSE(engine_->healthy()) << "/readyz would not tell of the fence";

  // The disk recovers, but the partition stays fenced until a restart: nothing decided
  // after the fault can overtake what the failed group held.
  fs_->fail_reads = false;
  expect_fenced(run(submit(kPlace, "street_light", "s-2", "小区门口的路灯不亮了")), "read");

  close();
  open();
  expect_stored_as(first);
  auto again = run(submit(kPlace, "street_light", "s-2", "小区门口的路灯不亮了"));
  ASSERT_TRUE(again.ok()) << again.err->message;
  EXPECT_TRUE(again.created);
  EXPECT_NE(again.ticket_id, first.ticket_id);
  EXPECT_EQ(again.after->origin.description, "小区门口的路灯不亮了");
  expect_consistent();
}

TEST_F(storage_fault_test, an_unreadable_ticket_fails_the_action_and_leaves_the_ticket_as_it_was) {
  auto t = run(submit(kPlace, "small_ads", "s-1", "楼道里贴满了小广告"));
  ASSERT_TRUE(t.ok()) << t.err->message;
  flush_and_restart();

  fs_->fail_reads = true;
  expect_fenced(run(action(t.ticket_id, note_cmd{"已上门查看"})), "read");
  fs_->fail_reads = false;

  close();
  open();
  expect_stored_as(t);
  auto noted = run(action(t.ticket_id, note_cmd{"已上门查看"}));
  ASSERT_TRUE(noted.ok()) << noted.err->message;
  EXPECT_GT(noted.after->version, t.after->version);
  expect_consistent();
}

TEST_F(storage_fault_test, a_failed_commit_acknowledges_nothing_and_fences_the_partition) {
  auto first = run(submit(kPlace, "small_ads", "s-1", "楼道里贴满了小广告"));
  ASSERT_TRUE(first.ok()) << first.err->message;

  fs_->fail_writes = true;
  auto lost = run(submit(kPlace, "street_light", "s-2", "小区门口的路灯不亮了"));
  ASSERT_FALSE(lost.ok()) << "the submit was acknowledged on a failing disk";
  EXPECT_EQ(lost.err->code, "storage");
  EXPECT_NE(lost.err->message.find("injected write fault"), std::string::npos) << lost.err->message;
  fs_->fail_writes = false;
  expect_fenced(run(submit(kPlace, "street_light", "s-3", "垃圾桶满了没人清")), "commit");

  close();
  open();
  expect_stored_as(first);
  // Nothing of the failed group was stored: its appeal is new again, and takes the
  // number after the first ticket's.
  auto again = run(submit(kPlace, "street_light", "s-2", "小区门口的路灯不亮了"));
  ASSERT_TRUE(again.ok()) << again.err->message;
  EXPECT_TRUE(again.created) << "the failed submit had been stored";
  EXPECT_NE(again.ticket_id, first.ticket_id);
  expect_consistent();
}

// With durability: sync a group is written, then fsynced while the next is decided. A
// sync the disk refuses acknowledges nothing of the group and fences the partition; the
// change may or may not have reached the disk, so a retry finds it or makes it, once.
TEST_F(storage_fault_test, a_failed_wal_sync_acknowledges_nothing_and_fences_the_partition) {
  sync_ = true;
  close();
  open();
  auto first = run(submit(kPlace, "small_ads", "s-1", "楼道里贴满了小广告"));
  ASSERT_TRUE(first.ok()) << first.err->message;

  fs_->fail_syncs = true;
  auto lost = run(submit(kPlace, "street_light", "s-2", "小区门口的路灯不亮了"));
  ASSERT_FALSE(lost.ok()) << "the submit was acknowledged though its sync failed";
  EXPECT_EQ(lost.err->code, "storage");
  EXPECT_NE(lost.err->message.find("injected sync fault"), std::string::npos) << lost.err->message;
  EXPECT_GT(fs_->failed, 0u);
  fs_->fail_syncs = false;
  EXPECT_FALSE(engine_->healthy());
  // The partition's next command is refused. Usually the failed sync fenced it; a group
  // the partition wrote before that fence (RocksDB then refuses every write with the
  // failed WAL sync as its background error) fences it as a failed commit instead, and
  // which comes first is a race (ASan runs see both). Either way the cause is the sync.
  const auto next = run(submit(kPlace, "street_light", "s-3", "垃圾桶满了没人清"));
  ASSERT_FALSE(next.ok()) << "a command was applied after the WAL sync failed";
  EXPECT_EQ(next.err->code, "storage");
  const auto& why = next.err->message;
  EXPECT_TRUE(why.find("fenced after a failed WAL sync") != std::string::npos ||
              (why.find("fenced after a failed commit") != std::string::npos &&
               why.find("injected sync fault") != std::string::npos))
      << why;
  // Readers were never shown the group: it was not synced.
  const auto p = engine_->partition_of(submit(kPlace, "street_light", "s-2", "小区门口的路灯不亮了"));
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(store_->get(store::source_key(*p, "s-2")).has_value());

  close();
  open();
  expect_stored_as(first);
  auto again = run(submit(kPlace, "street_light", "s-2", "小区门口的路灯不亮了"));
  ASSERT_TRUE(again.ok()) << again.err->message;
  EXPECT_NE(again.ticket_id, first.ticket_id);
  auto retried = run(submit(kPlace, "street_light", "s-2", "小区门口的路灯不亮了"));
  ASSERT_TRUE(retried.ok()) << retried.err->message;
  EXPECT_TRUE(retried.replayed);
  EXPECT_EQ(retried.ticket_id, again.ticket_id);
  expect_consistent();
}

TEST_F(storage_fault_test, reads_that_fail_are_reported_by_scans_stats_and_fsck_not_answered_as_empty) {
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(run(submit(kPlace, "street_light", "s-" + std::to_string(i), "路灯不亮")).ok());
  }
  flush_and_restart();
  auto before = stats::compute_summary(*store_, *demo_config().rules);
  ASSERT_TRUE(before.ok()) << before.err().message;
  ASSERT_GT(before->overall.tickets, 0u);

  fs_->fail_reads = true;
  std::size_t seen = 0;
  auto scanned = store_->scan("", [&](std::string_view, std::string_view) { return ++seen, true; });
  ASSERT_FALSE(scanned.ok()) << "a scan over an unreadable store ended as if complete after " << seen << " keys";
  EXPECT_EQ(scanned.err().code, "storage");
  EXPECT_FALSE(stats::compute_summary(*store_, *demo_config().rules).ok());
  EXPECT_FALSE(store_->for_each_ticket([](unsigned, const ticket&) { return true; }).ok());
  auto r = store::fsck(*store_, [](const ticket& t) { return demo_config().rules->duplicate_scope_of(t.jurisdiction_id); });
  EXPECT_FALSE(r.ok()) << "fsck found nothing wrong with a store it could not read";

  fs_->fail_reads = false;
  seen = 0;
  ASSERT_TRUE(store_->scan("", [&](std::string_view, std::string_view) { return ++seen, true; }).ok());
  EXPECT_GT(seen, 20u);
  auto after = stats::compute_summary(*store_, *demo_config().rules);
  ASSERT_TRUE(after.ok()) << after.err().message;
  EXPECT_EQ(stats::summary_json(*after), stats::summary_json(*before));
  expect_consistent();
}

TEST_F(storage_fault_test, unreadable_deadlines_are_an_error_not_an_empty_schedule) {
  auto t = run(submit(kPlace, "small_ads", "s-1", "楼道里贴满了小广告"));
  ASSERT_TRUE(t.ok()) << t.err->message;
  ASSERT_FALSE(pending_timers(*t.after).empty());
  flush_and_restart();
  const auto week_later = clock_.now() + std::chrono::hours(24 * 7);

  fs_->fail_reads = true;
  auto first = store_->first_timer(store::partition_of_ticket(t.ticket_id).value());
  ASSERT_FALSE(first.ok()) << "an unreadable deadline index read as empty";
  EXPECT_EQ(first.err().code, "storage");
  EXPECT_THROW(engine_->advance_to(week_later), std::runtime_error);

  fs_->fail_reads = false;
  EXPECT_GT(engine_->advance_to(week_later), 0u) << "the deadlines were lost";
  EXPECT_TRUE(engine_->healthy());
  expect_consistent();
}


// The publication streams' cursors and entries, the consumer's resume positions and the
// backlog count: a failed read or a value that is not a number is an error, never 0 or
// "nothing there" (a relay counting from a cursor of 0 would never move it again).
TEST_F(storage_fault_test, outbox_cursors_streams_and_resume_positions_report_unreadable_values) {
  auto t = run(submit(kPlace, "small_ads", "s-1", "楼道里贴满了小广告"));
  ASSERT_TRUE(t.ok()) << t.err->message;
  const unsigned p = store::partition_of_ticket(t.ticket_id).value();
  const auto events = store::stream::ticket_events;
  ASSERT_TRUE(store::save_resume_position(*store_, "doorstep.appeals.v1/3", 41).ok());
  ASSERT_TRUE(store::mark_delivered(*store_, p, events, 1).ok());
  flush_and_restart();
  const auto week_later = clock_.now() + std::chrono::hours(24 * 7);

  fs_->fail_reads = true;
  auto cursor = store::delivered(*store_, p, events);
  ASSERT_FALSE(cursor.ok()) << "an unreadable cursor read as " << *cursor;
  EXPECT_EQ(cursor.err().code, "storage");
  EXPECT_FALSE(store::staged(*store_, p, events).ok());
  auto page = store::read_stream(*store_, p, events, 1, 100);
  EXPECT_FALSE(page.ok()) << "an unreadable stream read as " << page->size() << " entries";
  auto position = store::resume_position(*store_, "doorstep.appeals.v1/3");
  EXPECT_FALSE(position.ok()) << "an unreadable resume position read as absent";
  EXPECT_FALSE(store_->count_timers(p, clock_.now(), week_later, 100).ok());
  EXPECT_FALSE(engine_->backlog().complete);

  fs_->fail_reads = false;
  EXPECT_EQ(store::delivered(*store_, p, events).value(), 1u);
  const auto last = store::staged(*store_, p, events).value();
  EXPECT_EQ(last, t.events.size());
  auto rest = store::read_stream(*store_, p, events, 1, 100);
  ASSERT_TRUE(rest.ok()) << rest.err().message;
  ASSERT_EQ(rest->size(), last - 1);
  EXPECT_EQ(rest->front().seq, 2u);
  EXPECT_EQ(store::resume_position(*store_, "doorstep.appeals.v1/3").value(), std::optional<std::int64_t>(41));
  EXPECT_EQ(store::resume_position(*store_, "doorstep.appeals.v1/4").value(), std::nullopt);
  EXPECT_EQ(store_->count_timers(p, {}, week_later, 100).value(), pending_timers(*t.after).size());
  EXPECT_TRUE(engine_->backlog().complete);
  expect_consistent();

  // Values that are not numbers are errors too, and fsck names them.
  ASSERT_TRUE(store_->db()->Put(rocksdb::WriteOptions(), store::meta_key(p, "outbox_delivered"), "1x").ok());
  ASSERT_TRUE(store_->db()->Put(rocksdb::WriteOptions(), "meta|resume|doorstep.appeals.v1/3", "-").ok());
  cursor = store::delivered(*store_, p, events);
  ASSERT_FALSE(cursor.ok());
  EXPECT_NE(cursor.err().message.find("not a sequence number"), std::string::npos) << cursor.err().message;
  position = store::resume_position(*store_, "doorstep.appeals.v1/3");
  ASSERT_FALSE(position.ok());
  EXPECT_NE(position.err().message.find("not an offset"), std::string::npos) << position.err().message;
  auto r = store::fsck(*store_, [](const ticket& tk) { return demo_config().rules->duplicate_scope_of(tk.jurisdiction_id); });
  ASSERT_FALSE(r.ok()) << "fsck passed a cursor that is not a number";
  bool named = false;
  for (const auto& problem : r.problems) named |= problem.find("not a sequence number") != std::string::npos;
  EXPECT_TRUE(named) << r.problems.front();
}

// On the real clock, a partition whose deadline index cannot be read when it arms its
// timer looks again a second later (engine::arm_again_soon): once the disk reads again,
// a deadline that came due meanwhile still fires. Before, the failed read was taken for
// "no deadline" and nothing was armed until the partition's next commit.
TEST(storage_fault_real_clock, a_deadline_unreadable_when_armed_still_fires_once_the_disk_reads_again) {
  temp_dir dir;
  auto fs = std::make_shared<faulty_fs>();
  auto env = faulty_fs::env_over(fs);
  auto s = store::store::open(dir.path() / "db", over_faulty_fs(env.get()));
  ASSERT_TRUE(s.ok()) << s.err().message;
  std::string ticket_id;
  {
    runtime::simulated_clock sim(at(2026, 3, 2, 9));
    runtime::engine eng(demo_config().rules, **s, sim, runtime::engine_options{2, 64, false});
    auto t = eng.execute(submit(kPlace, "small_ads", "s-1", "楼道里贴满了小广告"));
    ASSERT_TRUE(t.ok()) << t.err->message;
    ticket_id = t.ticket_id;
  }
  // A deadline 1.5 s from now that the ticket does not hold: when it fires, the engine
  // finds it stale and deletes its key, which is how the test sees that it fired.
  runtime::system_clock real;
  const unsigned p = store::partition_of_ticket(ticket_id).value();
  const pending_timer soon{real.now() + std::chrono::milliseconds(1500), clock_kind::accept, timer_kind::warning, 9};
  const auto key = store::timer_key(p, ticket_id, soon);
  ASSERT_TRUE((*s)->db()->Put(rocksdb::WriteOptions(), key, "").ok());
  ASSERT_TRUE((*s)->db()->Flush(rocksdb::FlushOptions()).ok());

  fs->fail_reads = true;
  runtime::engine eng(demo_config().rules, **s, real, runtime::engine_options{2, 64, true});
  for (int i = 0; i < 100 && fs->failed == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_GT(fs->failed, 0u) << "the engine armed without reading the deadline index";
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  fs->fail_reads = false;

  bool fired = false;
  for (int i = 0; i < 100 && !fired; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto v = (*s)->read(key);
    ASSERT_TRUE(v.ok()) << v.err().message;
    fired = !v->has_value();
  }
  EXPECT_TRUE(fired) << "the deadline never fired: nothing was armed after the failed read";
  EXPECT_TRUE(eng.healthy());
}

// An outbox entry refers to its event in the log. When the entries read but their events
// do not (the entry still in the memtable, the event in a table file the disk will not
// read), the page is an error: handed on without their JSON, the relay would skip the
// entries as malformed and move its cursor past them.
TEST(storage_fault_outbox, a_page_whose_events_cannot_be_read_is_an_error) {
  temp_dir dir;
  auto fs = std::make_shared<faulty_fs>();
  auto env = faulty_fs::env_over(fs);
  auto opened = store::store::open(dir.path() / "db", over_faulty_fs(env.get()));
  ASSERT_TRUE(opened.ok()) << opened.err().message;
  auto& st = **opened;
  const unsigned p = 1;
  const std::string ticket = "T20260302-001-000001";
  const std::string json = R"({"event_id":"T20260302-001-000001/1","type":"received","note":"楼道的灯坏了"})";
  ASSERT_TRUE(st.db()->Put(rocksdb::WriteOptions(), store::event_key(p, ticket, 1), json).ok());
  ASSERT_TRUE(st.db()->Flush(rocksdb::FlushOptions()).ok());
  const std::string reference = ticket + "\t" + ticket + "/1\treceived";
  ASSERT_TRUE(st.db()->Put(rocksdb::WriteOptions(), store::outbox_key(p, 1), reference).ok());

  fs->fail_reads = true;
  auto page = store::read_stream(st, p, store::stream::ticket_events, 0, 10);
  fs->fail_reads = false;
  ASSERT_FALSE(page.ok()) << "read as " << page->size() << " entries";
  EXPECT_EQ(page.err().code, "storage");
  EXPECT_NE(page.err().message.find("the events the outbox of partition 1 refers to"), std::string::npos)
      << page.err().message;
  EXPECT_GT(fs->failed.load(), 0u);

  auto again = store::read_stream(st, p, store::stream::ticket_events, 0, 10);
  ASSERT_TRUE(again.ok()) << again.err().message;
  ASSERT_EQ(again->size(), 1u);
  EXPECT_EQ(again->front().value, reference + "\n" + json);
}

}  // namespace
}  // namespace doorstep
