// Runtime: the engine end to end in process, on the simulated clock, over a real
// RocksDB: routing, duplicates, idempotency, durable timers, group commit, restarts.
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <future>
#include <map>
#include <mutex>

#include "runtime/engine.h"
#include "store/fsck.h"
#include "store/keys.h"
#include "store/outbox.h"
#include "support/test_support.h"

namespace doorstep {
namespace {

using testing::action;
using testing::at;
using testing::demo_config;
using testing::submit;
using testing::temp_dir;

class runtime_test : public ::testing::Test {
 protected:
  void SetUp() override { open(); }
  void TearDown() override { close(); }

  void open() {
    auto s = store::store::open(dir_.path() / "db", store::options{demo_config().engine.partitions, false, true, false});
    ASSERT_TRUE(s.ok()) << s.err().message;
    store_ = std::move(s).value();
    engine_ = std::make_unique<runtime::engine>(demo_config().rules, *store_, clock_,
                                                runtime::engine_options{2, 64, false});
  }
  void close() {
    engine_.reset();
    store_.reset();
  }
  void restart() {
    close();
    open();
  }

  runtime::outcome run(command c) { return engine_->execute(std::move(c)); }

  std::vector<event> log(const std::string& id) {
    auto l = store_->load_events(id);
    EXPECT_TRUE(l.ok());
    return *l;
  }

  std::size_t count(const std::string& id, std::string_view type) {
    std::size_t n = 0;
    for (const auto& e : log(id)) n += event_type(e.body) == type;
    return n;
  }

  void expect_consistent() {
    auto r = store::fsck(*store_, [](const ticket& t) { return demo_config().rules->duplicate_scope_of(t.jurisdiction_id); });
    EXPECT_TRUE(r.ok()) << (r.problems.empty() ? "" : r.problems.front());
  }

  temp_dir dir_;
  runtime::simulated_clock clock_{at(2026, 3, 2, 9)};  // Monday 09:00
  std::unique_ptr<store::store> store_;
  std::unique_ptr<runtime::engine> engine_;
};

TEST_F(runtime_test, a_small_matter_stays_in_the_building_and_persists_across_restart) {
  auto o = run(submit("runtai-huayuan-b1", "small_ads", "s-1", "楼道里贴满了小广告"));
  ASSERT_TRUE(o.ok()) << o.err->message;
  EXPECT_TRUE(o.created);
  EXPECT_EQ(o.after->st, status::dispatched);
  EXPECT_EQ(o.after->lvl, level::building);
  EXPECT_EQ(o.after->unit_id, "runtai-huayuan-b1-head");
  EXPECT_EQ(o.after->origin.description, "楼道里贴满了小广告");
  restart();
  auto t = store_->load_ticket(o.ticket_id);
  ASSERT_TRUE(t.ok() && t->has_value());
  EXPECT_EQ(**t, *o.after);
  expect_consistent();
}

TEST_F(runtime_test, bad_input_is_rejected_and_changes_nothing) {
  std::size_t before = 0;
  EXPECT_TRUE(store_->scan("", [&](std::string_view, std::string_view) { return ++before, true; }).ok());
  auto o = run(submit("runtai-huayuan-b1", "no_such_category", "s-bad"));
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.err->code, "unknown_category");
  auto p = run(submit("nowhere", "small_ads", "s-bad2"));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.err->code, "unknown_jurisdiction");
  auto q = run(action("T20260302-003-000001", accept_cmd{}));
  EXPECT_EQ(q.err->code, "not_found");
  std::size_t after = 0;
  EXPECT_TRUE(store_->scan("", [&](std::string_view, std::string_view) { return ++after, true; }).ok());
  EXPECT_EQ(after, before);
}

TEST_F(runtime_test, a_repeated_source_id_returns_the_first_answer_without_new_events) {
  auto first = run(submit("runtai-huayuan-b1", "small_ads", "s-1"));
  auto again = run(submit("runtai-huayuan-b1", "small_ads", "s-1"));
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again.replayed);
  EXPECT_EQ(again.ticket_id, first.ticket_id);
  EXPECT_TRUE(again.events.empty());
  EXPECT_EQ(log(first.ticket_id).size(), 2u);
}

TEST_F(runtime_test, an_action_with_a_seen_idempotency_key_is_not_applied_twice) {
  auto t = run(submit("runtai-huayuan-b1", "small_ads", "s-1"));
  auto note = action(t.ticket_id, note_cmd{"已上门查看"});
  note.idempotency_key = "note-1";
  ASSERT_TRUE(run(note).ok());
  auto again = run(note);
  EXPECT_TRUE(again.replayed);
  EXPECT_EQ(count(t.ticket_id, "noted"), 1u);
}

TEST_F(runtime_test, neighbours_reporting_the_same_problem_join_and_the_third_join_escalates) {
  auto first = run(submit("runtai-huayuan-b1", "small_ads", "s-1"));
  clock_.advance_to(at(2026, 3, 2, 10));
  auto j1 = run(submit("runtai-huayuan-b3", "small_ads", "s-2"));  // same compound 润泰花园
  auto j2 = run(submit("runtai-huayuan-b1", "small_ads", "s-3"));
  ASSERT_TRUE(j1.joined && j2.joined);
  EXPECT_EQ(j1.ticket_id, first.ticket_id);
  EXPECT_EQ(count(first.ticket_id, "escalated"), 0u);
  auto j3 = run(submit("runtai-huayuan-b1", "small_ads", "s-4"));
  ASSERT_TRUE(j3.joined);
  EXPECT_EQ(j3.after->joined.size(), 3u);
  ASSERT_EQ(j3.after->escalations.size(), 1u);
  EXPECT_EQ(j3.after->escalations[0].reason, escalation_reason::repeat_reports);
  EXPECT_EQ(j3.after->escalations[0].from, level::building);
  EXPECT_EQ(j3.after->escalations[0].to, level::grid);
  // another category, or another compound, is a new ticket
  EXPECT_TRUE(run(submit("runtai-huayuan-b1", "noise", "s-5")).created);
  EXPECT_TRUE(run(submit("runtai-xincun-b1", "small_ads", "s-6")).created);
  expect_consistent();
}

// same_index_entries() lets a command that changes none of what a ticket's index
// entries are made of (most joins) keep them as they were. It must never say "same"
// when the entries differ: each field they read, changed alone, is caught.
TEST_F(runtime_test, a_join_keeps_its_index_entries_and_any_field_they_read_is_caught) {
  ASSERT_TRUE(run(submit("runtai-huayuan-b1", "small_ads", "idx-1", "楼道里又贴满了小广告")).created);
  clock_.advance_to(at(2026, 3, 2, 10));
  const auto join = run(submit("runtai-huayuan-b1", "small_ads", "idx-2", "小广告还在"));
  ASSERT_TRUE(join.joined);
  const ticket& base = *join.before;
  const auto scope = demo_config().rules->duplicate_scope_of(base.jurisdiction_id);
  const auto entries = [&](const ticket& t) { return store::index_entries(3, t, scope); };
  EXPECT_TRUE(store::same_index_entries(base, *join.after)) << "a plain join";
  EXPECT_EQ(entries(base), entries(*join.after));
  ASSERT_EQ(base.clock(clock_kind::accept).state, clock_state::running);
  ASSERT_FALSE(base.clock(clock_kind::accept).warn_at.empty());

  const std::vector<std::pair<std::string, std::function<void(ticket&)>>> changes{
      {"status", [](ticket& t) { t.st = status::accepted; }},
      {"category", [](ticket& t) { t.category = "noise"; }},
      {"created_at", [](ticket& t) { t.created_at += std::chrono::minutes(1); }},
      {"level", [](ticket& t) { t.lvl = level::grid; }},
      {"unit", [](ticket& t) { t.unit_id = "another-unit"; }},
      {"channel", [](ticket& t) { t.via = channel::app; }},
      {"place", [](ticket& t) { t.jurisdiction_id = "runtai-huayuan-b3"; }},
      {"id", [](ticket& t) { t.id += "9"; }},
      {"due", [](ticket& t) { t.clocks[0].due += std::chrono::hours(1); }},
      {"warning instant", [](ticket& t) { t.clocks[0].warn_at.front() += std::chrono::minutes(5); }},
      {"warnings fired", [](ticket& t) { ++t.clocks[0].warnings_fired; }},
      {"breached", [](ticket& t) { t.clocks[0].breached = true; }},
      {"clock state", [](ticket& t) { t.clocks[0].state = clock_state::paused; }},
      {"exists", [](ticket& t) { t.version = 0; }},
  };
  for (const auto& [what, change] : changes) {
    ticket changed = base;
    change(changed);
    EXPECT_NE(entries(base), entries(changed)) << what << " does not change the entries: a useless case";
    EXPECT_FALSE(store::same_index_entries(base, changed)) << what;
  }
  // A resolved, verified ticket waits for its auto-close timer.
  ticket resolved = base;
  resolved.st = status::resolved;
  resolved.verified = true;
  resolved.auto_close_at = at(2026, 3, 9, 9);
  ticket later = resolved;
  later.auto_close_at = at(2026, 3, 10, 9);
  EXPECT_NE(entries(resolved), entries(later));
  EXPECT_FALSE(store::same_index_entries(resolved, later));
  ticket unverified = resolved;
  unverified.verified = false;
  EXPECT_NE(entries(resolved), entries(unverified));
  EXPECT_FALSE(store::same_index_entries(resolved, unverified));
  // What they do not read may change: the entries stay the same.
  ticket other = base;
  other.joined.push_back(other.origin);
  ++other.version;
  other.updated_at += std::chrono::hours(2);
  other.prio = priority::urgent;
  EXPECT_TRUE(store::same_index_entries(base, other));
  EXPECT_EQ(entries(base), entries(other));
  expect_consistent();
}

TEST_F(runtime_test, an_appeal_after_the_duplicate_window_opens_a_new_ticket) {
  auto first = run(submit("runtai-huayuan-b1", "small_ads", "s-1"));
  const auto window = demo_config().rules->duplicates().window;
  engine_->advance_to(at(2026, 3, 2, 9) + window + std::chrono::minutes(1));
  auto later = run(submit("runtai-huayuan-b1", "small_ads", "s-2"));
  EXPECT_TRUE(later.created);
  EXPECT_NE(later.ticket_id, first.ticket_id);
}

TEST_F(runtime_test, an_appeal_joins_the_oldest_open_ticket_inside_the_window_not_an_older_open_one) {
  auto stale = run(submit("runtai-huayuan-b1", "small_ads", "s-1"));  // stays open, ages out of the window
  const auto window = demo_config().rules->duplicates().window;
  clock_.advance_to(at(2026, 3, 2, 9) + window + std::chrono::minutes(1));
  auto fresh = run(submit("runtai-huayuan-b1", "small_ads", "s-2"));
  ASSERT_TRUE(fresh.created);
  clock_.advance_to(clock_.now() + std::chrono::hours(1));
  auto third = run(submit("runtai-huayuan-b3", "small_ads", "s-3"));  // same compound
  EXPECT_TRUE(third.joined);
  EXPECT_EQ(third.ticket_id, fresh.ticket_id);
  EXPECT_NE(third.ticket_id, stale.ticket_id);
  expect_consistent();
}

TEST_F(runtime_test, an_appeal_after_its_ticket_closed_opens_a_new_one_in_a_later_group) {
  auto first = run(submit("runtai-huayuan-b1", "small_ads", "s-1"));
  auto joined = run(submit("runtai-huayuan-b3", "small_ads", "s-2"));  // looked up: the partition now holds the range
  ASSERT_TRUE(joined.joined);
  auto closed = run(action(first.ticket_id, cancel_cmd{"居民已自行解决"}, role::operator_));
  ASSERT_TRUE(closed.ok()) << closed.err->message;
  auto next = run(submit("runtai-huayuan-b1", "small_ads", "s-3"));
  ASSERT_TRUE(next.ok()) << next.err->message;
  EXPECT_TRUE(next.created);
  EXPECT_NE(next.ticket_id, first.ticket_id);
  auto after = run(submit("runtai-huayuan-b1", "small_ads", "s-4"));  // joins the new one, not the closed one
  EXPECT_TRUE(after.joined);
  EXPECT_EQ(after.ticket_id, next.ticket_id);
  expect_consistent();
}

TEST_F(runtime_test, an_appeal_decided_at_an_earlier_instant_than_the_last_still_joins_the_oldest_in_its_window) {
  const auto window = demo_config().rules->duplicates().window;
  auto now_ticket = run(submit("runtai-huayuan-b1", "small_ads", "s-1"));  // created at the clock's 09:00
  // An appeal posted with a time past the window of the first: a new ticket, and the
  // partition's lookups now start after the first ticket was created.
  std::promise<runtime::outcome> later;
  engine_->post_at(submit("runtai-huayuan-b3", "small_ads", "s-2"), clock_.now() + window + std::chrono::hours(1),
                   [&later](runtime::outcome o) { later.set_value(std::move(o)); });
  auto later_ticket = later.get_future().get();
  ASSERT_TRUE(later_ticket.created);
  // Decided at the clock's time again: its window holds both; the oldest is the first.
  auto back = run(submit("runtai-huayuan-b1", "small_ads", "s-3"));
  EXPECT_TRUE(back.joined);
  EXPECT_EQ(back.ticket_id, now_ticket.ticket_id);
  expect_consistent();
}

TEST_F(runtime_test, deadlines_fire_warnings_then_breach_and_escalate_exactly_once) {
  auto t = run(submit("runtai-huayuan-b1", "small_ads", "s-1"));
  const auto accept_due = t.after->clock(clock_kind::accept).due;
  ASSERT_EQ(t.after->clock(clock_kind::accept).warn_at.size(), 2u);
  engine_->advance_to(accept_due - std::chrono::minutes(1));
  EXPECT_EQ(count(t.ticket_id, "sla_at_risk"), 2u);
  EXPECT_EQ(count(t.ticket_id, "sla_breached"), 0u);
  engine_->advance_to(accept_due);
  EXPECT_GE(count(t.ticket_id, "sla_breached"), 1u);
  auto now = store_->load_ticket(t.ticket_id);
  ASSERT_EQ((*now)->escalations.size(), 1u);
  EXPECT_EQ((*now)->escalations[0].reason, escalation_reason::accept_overdue);
  EXPECT_EQ((*now)->lvl, level::grid);
  const auto breaches = count(t.ticket_id, "sla_breached");
  engine_->advance_to(accept_due);  // the same instant again fires nothing new
  EXPECT_EQ(count(t.ticket_id, "sla_breached"), breaches);
  expect_consistent();
}

TEST_F(runtime_test, pending_timers_survive_a_restart_and_fire_once) {
  auto t = run(submit("runtai-huayuan-b1", "small_ads", "s-1"));
  const auto accept_due = t.after->clock(clock_kind::accept).due;
  restart();
  engine_->advance_to(accept_due);
  engine_->advance_to(accept_due + std::chrono::hours(1));
  std::size_t accept_breaches = 0;
  for (const auto& e : log(t.ticket_id)) {
    if (const auto* b = std::get_if<sla_breached_ev>(&e.body); b && b->clock == clock_kind::accept) ++accept_breaches;
  }
  EXPECT_EQ(accept_breaches, 1u);
  expect_consistent();
}

TEST_F(runtime_test, accepting_in_time_stops_the_accept_clock) {
  auto t = run(submit("runtai-huayuan-b1", "small_ads", "s-1"));
  ASSERT_TRUE(run(action(t.ticket_id, accept_cmd{})).ok());
  engine_->advance_to(t.after->clock(clock_kind::accept).due + std::chrono::hours(1));
  for (const auto& e : log(t.ticket_id)) {
    if (const auto* b = std::get_if<sla_breached_ev>(&e.body)) {
      EXPECT_NE(b->clock, clock_kind::accept);
    }
  }
}

TEST_F(runtime_test, many_concurrent_commands_commit_in_groups_and_stay_consistent) {
  const int n = 400;
  std::vector<std::promise<runtime::outcome>> done(n);
  const std::vector<std::string> places{"runtai-huayuan-b1", "xingyan-g1", "hongmei-xincun-b1", "jingfang-5"};
  for (int i = 0; i < n; ++i) {
    auto c = submit(places[i % places.size()], (i / 4) % 2 ? "noise" : "road_surface", "bulk-" + std::to_string(i));
    engine_->post(std::move(c), [&done, i](runtime::outcome o) { done[i].set_value(std::move(o)); });
  }
  std::set<std::string> tickets;
  for (auto& d : done) {
    auto o = d.get_future().get();
    ASSERT_TRUE(o.ok()) << o.err->message;
    tickets.insert(o.ticket_id);
  }
  // 4 places x 2 categories: everything else joined those 8 open tickets
  EXPECT_EQ(tickets.size(), 8u);
  expect_consistent();
}

// With commit_events, each group's ticket events reach on_commit once the group is
// acknowledged (here after its WAL sync), in outbox order, every one once, each exactly
// what the store's outbox entry and event log hold for its sequence: what the relay
// publishes without reading them back.
TEST(runtime_commit_events, each_group_hands_over_the_events_it_committed_in_outbox_order) {
  temp_dir dir;
  auto st = store::store::open(dir.path() / "db", store::options{demo_config().engine.partitions, true, true, false});
  ASSERT_TRUE(st.ok()) << st.err().message;
  runtime::simulated_clock clock(at(2026, 3, 2, 9));
  std::mutex mu;
  std::map<unsigned, std::vector<store::staged_event>> handed;
  std::size_t calls = 0;
  runtime::engine_options o{2, 64, false};
  o.on_commit = [&](unsigned p, std::vector<store::staged_event> events) {
    std::lock_guard lock(mu);
    ++calls;
    for (auto& e : events) handed[p].push_back(std::move(e));
  };
  const std::vector<std::string> places{"runtai-huayuan-b1", "xingyan-g1", "hongmei-xincun-b1", "jingfang-5"};
  const auto post_all = [&](runtime::engine& eng, int n, const std::string& tag) {
    std::vector<std::promise<runtime::outcome>> done(n);
    for (int i = 0; i < n; ++i) {
      auto c = submit(places[i % places.size()], i % 3 ? "noise" : "road_surface", tag + std::to_string(i),
                      "第" + std::to_string(i) + "次反映：夜里施工噪音扰民");
      eng.post(std::move(c), [&done, i](runtime::outcome r) { done[i].set_value(std::move(r)); });
    }
    for (auto& d : done) {
      auto r = d.get_future().get();
      ASSERT_TRUE(r.ok()) << r.err->message;
    }
  };
  {
    o.commit_events = true;
    runtime::engine eng(demo_config().rules, **st, clock, o);
    post_all(eng, 300, "handed-");
  }
  EXPECT_GE(handed.size(), 2u) << "the places span partitions";
  ASSERT_FALSE(handed.begin()->second.empty());
  EXPECT_NE(handed.begin()->second.front().json.find("夜里施工噪音扰民"), std::string::npos);
  std::size_t total = 0;
  for (unsigned p = 0; p < (*st)->partitions(); ++p) {
    const auto staged = store::staged(**st, p, store::stream::ticket_events).value();
    const auto& events = handed[p];
    ASSERT_EQ(events.size(), staged) << "partition " << p;
    auto outbox = store::read_stream(**st, p, store::stream::ticket_events, 0, staged + 1);
    ASSERT_TRUE(outbox.ok());
    ASSERT_EQ(outbox->size(), staged);
    for (std::size_t i = 0; i < events.size(); ++i) {
      EXPECT_EQ(events[i].seq, i + 1) << "partition " << p;
      EXPECT_EQ(events[i].entry + "\n" + events[i].json, (*outbox)[i].value) << "partition " << p;
    }
    total += staged;
  }
  EXPECT_GE(total, 300u);  // every appeal logs at least its receipt

  // Without commit_events on_commit is still called, with nothing handed.
  handed.clear();
  calls = 0;
  {
    o.commit_events = false;
    runtime::engine eng(demo_config().rules, **st, clock, o);
    post_all(eng, 20, "notified-");
  }
  EXPECT_GT(calls, 0u);
  EXPECT_TRUE(handed.empty());
}

TEST_F(runtime_test, a_command_posted_with_its_own_time_is_decided_at_that_time_never_before_now) {
  const auto later = at(2026, 3, 4, 15, 30);
  std::promise<runtime::outcome> first, second;
  engine_->post_at(submit("runtai-huayuan-b1", "small_ads", "s-1"), later,
                   [&first](runtime::outcome o) { first.set_value(std::move(o)); });
  engine_->post_at(submit("runtai-xincun-b1", "noise", "s-2"), at(2026, 3, 1, 9),  // before the clock
                   [&second](runtime::outcome o) { second.set_value(std::move(o)); });
  auto a = first.get_future().get();
  auto b = second.get_future().get();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a.after->created_at, later);
  EXPECT_EQ(a.events.front().at, later);
  EXPECT_EQ(b.after->created_at, clock_.now());
  EXPECT_EQ(clock_.now(), at(2026, 3, 2, 9));  // the clock itself did not move
  expect_consistent();
}

TEST_F(runtime_test, merging_a_duplicate_moves_its_appeals_to_the_master) {
  auto a = run(submit("runtai-huayuan-b1", "small_ads", "s-1"));
  auto b = run(submit("runtai-xincun-b1", "small_ads", "s-2"));  // same community, other compound
  ASSERT_TRUE(b.created);
  auto m = run(action(b.ticket_id, merge_cmd{a.ticket_id}, role::supervisor));
  ASSERT_TRUE(m.ok()) << m.err->message;
  auto master = store_->load_ticket(a.ticket_id);
  auto dup = store_->load_ticket(b.ticket_id);
  EXPECT_EQ((*dup)->st, status::merged);
  EXPECT_EQ((*dup)->merged_into, a.ticket_id);
  ASSERT_EQ((*master)->joined.size(), 1u);
  EXPECT_EQ((*master)->joined[0].source_id, "s-2");
  expect_consistent();
}

}  // namespace
}  // namespace doorstep
