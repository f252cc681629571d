// Store: key layout, atomic batches, partition guard, and the consistency checker,
// against a real RocksDB in a temporary directory.
#include <gtest/gtest.h>

#include <rocksdb/perf_context.h>
#include <rocksdb/perf_level.h>
#include <rocksdb/metadata.h>
#include <rocksdb/sst_file_manager.h>
#include <rocksdb/table_properties.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <random>
#include <thread>

#include "domain/codec.h"
#include "domain/decide.h"
#include "store/backup.h"
#include "store/fsck.h"
#include "store/key_format.h"
#include "store/key_order.h"
#include "store/outbox.h"
#include "store/rows.h"
#include "store/store.h"
#include "store/write_batch_rep.h"
#include "support/test_support.h"

namespace doorstep {
namespace {

using testing::at;
using testing::demo_config;
using testing::temp_dir;

std::unique_ptr<store::store> open_store(const temp_dir& dir, unsigned partitions = 4) {
  auto s = store::store::open(dir.path() / "db", store::options{partitions, false, true, false});
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.err().message);
  return std::move(s).value();
}

std::string dup_scope(const ticket& t) { return demo_config().rules->duplicate_scope_of(t.jurisdiction_id); }

// Decides a submit through the demo policy and stages it in `b`.
ticket stage_submit(store::batch& b, const std::string& id, const std::string& source, instant now) {
  auto c = testing::submit("runtai-huayuan-b1", "street_light", source);
  c.ticket_id = id;
  auto events = decide(ticket{}, c, now, *demo_config().rules);
  EXPECT_TRUE(events.ok());
  const ticket after = fold(*events);
  b.stage(ticket{}, std::make_shared<const ticket>(after), *events, "", dup_scope(after), {{source, after.id}});
  return after;
}

// Decides a neighbour's appeal joining ticket `t` (at `now`) and stages it in `b`;
// returns the ticket after it.
ticket stage_join(store::batch& b, const ticket& t, const std::string& source, const std::string& text, instant now) {
  auto join = testing::submit("runtai-huayuan-b1", "street_light", source, text);
  join.ticket_id = t.id;
  auto events = decide(t, join, now, *demo_config().rules);
  EXPECT_TRUE(events.ok()) << events.err().message;
  if (!events.ok()) return t;
  ticket after = t;
  for (const auto& e : *events) after = apply(after, e);
  b.stage(t, std::make_shared<const ticket>(after), *events, dup_scope(t), dup_scope(after));
  return after;
}

std::size_t count_keys(const store::store& s) {
  std::size_t n = 0;
  EXPECT_TRUE(s.scan("", [&](std::string_view, std::string_view) {
    ++n;
    return true;
  }).ok());
  return n;
}

TEST(keys, ticket_ids_are_readable_sortable_and_name_their_partition) {
  const auto id = store::make_ticket_id(at(2026, 2, 14, 23, 30), 7, 123);
  EXPECT_EQ(id, "T20260214-007-000123");  // local date, not the UTC date (15:30Z on the 14th)
  EXPECT_EQ(store::make_ticket_id(at(2026, 12, 31, 23, 59), 0, 0), "T20261231-000-000000");
  EXPECT_EQ(store::make_ticket_id(at(2026, 1, 1), 12, 1234567), "T20260101-012-1234567");  // widens past six
  EXPECT_EQ(store::partition_of_ticket(id), 7u);
  EXPECT_LT(store::make_ticket_id(at(2026, 2, 14), 7, 999999), store::make_ticket_id(at(2026, 2, 15), 0, 1));
  EXPECT_FALSE(store::partition_of_ticket("T2026-bad"));
  EXPECT_FALSE(store::partition_of_ticket("T20260214-007-00x123"));
}

TEST(keys, every_family_has_the_documented_layout) {
  const std::string id = "T20260214-007-000123";
  EXPECT_EQ(store::partition_prefix(7), "p007|");
  EXPECT_EQ(store::family_prefix(7, store::kTimer), "p007|t|");
  EXPECT_EQ(store::snapshot_key(7, id), "p007|s|T20260214-007-000123");
  EXPECT_EQ(store::event_prefix(7, id), "p007|e|T20260214-007-000123|");
  EXPECT_EQ(store::event_key(7, id, 12), "p007|e|T20260214-007-000123|0000000012");
  EXPECT_EQ(store::joined_key(7, id, 3), "p007|j|T20260214-007-000123|0000000003");
  EXPECT_EQ(store::source_key(7, "a-681"), "p007|k|a-681");
  EXPECT_EQ(store::outbox_key(7, 5), "p007|o|0000000000000005");
  EXPECT_EQ(store::meta_key(7, "ticket_seq"), "p007|m|ticket_seq");
  EXPECT_EQ(store::duplicate_prefix(7, "noise", "runtai-huayuan"), "p007|d|noise|runtai-huayuan|");
  EXPECT_EQ(store::timer_key(7, id, pending_timer{from_millis(1771030800000), clock_kind::accept, timer_kind::warning, 1}),
            "p007|t|1771030800000|T20260214-007-000123|accept|warning|1");
  // The same layout when the key does not fit the builder's buffer, or the partition is wide.
  const std::string long_id(140, '7');
  EXPECT_EQ(store::timer_key(7, long_id, pending_timer{from_millis(5), clock_kind::resolve, timer_kind::breach, 255}),
            "p007|t|0000000000005|" + long_id + "|resolve|breach|255");
  EXPECT_EQ(store::timer_key(1234, id, pending_timer{from_millis(1771030800000), clock_kind::accept, timer_kind::warning, 1}),
            "p1234|t|1771030800000|T20260214-007-000123|accept|warning|1");
  EXPECT_EQ(store::family_prefix(1234, store::kMeta), "p1234|m|");  // wider numbers are not cut
  ticket t;
  t.id = id;
  t.version = 2;
  t.st = status::dispatched;
  t.lvl = level::grid;
  t.unit_id = "runtai-g1-worker";
  t.category = "noise";
  t.created_at = from_millis(1771030800000);
  const auto entries = store::index_entries(7, t, "runtai-huayuan");
  ASSERT_EQ(entries.size(), 2u);  // no running clocks: worklist and duplicate entries
  EXPECT_EQ(entries[0].key, "p007|d|noise|runtai-huayuan|1771030800000|T20260214-007-000123");
  EXPECT_EQ(entries[1].key, "p007|x|9999999999999|T20260214-007-000123");  // no deadline: last
  t.clock(clock_kind::resolve).state = clock_state::running;
  t.clock(clock_kind::resolve).due = from_millis(1771300000000);
  t.clock(clock_kind::contact).state = clock_state::running;
  t.clock(clock_kind::contact).due = from_millis(1771200000000);
  EXPECT_EQ(store::worklist_key(7, t), "p007|x|1771200000000|T20260214-007-000123");  // the nearest running one
  t.community_id = "runtai";
  EXPECT_EQ(store::stats_key(7, t), "p007|c|runtai|1771030800000|T20260214-007-000123");
}

// set_difference and binary_search in batch::stage rely on index_entries() being in key
// order, whatever order the timers come in: here every clock runs with the same due time
// and warning time, so only the clock and kind names order them.
TEST(keys, index_entries_are_in_key_order_whatever_the_timers) {
  ticket t;
  t.id = "T20260214-007-000123";
  t.version = 3;
  t.st = status::dispatched;
  t.lvl = level::grid;
  t.category = "noise";
  t.created_at = from_millis(1771030800000);
  for (auto k : kAllClocks) {
    auto& c = t.clock(k);
    c.state = clock_state::running;
    c.due = from_millis(1771300000000);
    c.warn_at = {from_millis(1771200000000)};
  }
  const auto entries = store::index_entries(7, t, "runtai-huayuan");
  ASSERT_EQ(entries.size(), 2 + 2 * kClockCount);
  EXPECT_TRUE(std::is_sorted(entries.begin(), entries.end()));
  EXPECT_EQ(std::adjacent_find(entries.begin(), entries.end()), entries.end());
  EXPECT_EQ(entries.front().key, "p007|d|noise|runtai-huayuan|1771030800000|T20260214-007-000123");
  EXPECT_EQ(entries[1].key, "p007|t|1771200000000|T20260214-007-000123|accept|warning|0");
  EXPECT_EQ(entries.back().key, "p007|x|1771300000000|T20260214-007-000123");
}

TEST(keys, split_exact_takes_exactly_n_fields) {
  std::array<std::string_view, 3> f;
  ASSERT_TRUE(store::key_format::split_exact("广陵\t\t东关", '\t', f));
  EXPECT_EQ(f[0], "广陵");
  EXPECT_EQ(f[1], "");
  EXPECT_EQ(f[2], "东关");
  EXPECT_FALSE(store::key_format::split_exact("a\tb", '\t', f));
  EXPECT_FALSE(store::key_format::split_exact("a\tb\tc\t", '\t', f));
  EXPECT_FALSE(store::key_format::split_exact("a\tb\tc\td", '\t', f));
  std::array<std::string_view, 1> one;
  EXPECT_TRUE(store::key_format::split_exact("", ',', one));
  EXPECT_FALSE(store::key_format::split_exact(",", ',', one));
}

TEST(keys, numbers_in_keys_are_zero_padded_and_never_cut) {
  using store::key_format::pad;
  EXPECT_EQ(pad(0, 1), "0");
  EXPECT_EQ(pad(0, 13), "0000000000000");
  EXPECT_EQ(pad(7, 3), "007");
  EXPECT_EQ(pad(99, 2), "99");
  EXPECT_EQ(pad(100, 2), "100");
  EXPECT_EQ(pad(1234, 3), "1234");
  EXPECT_EQ(pad(1771030800000, 13), "1771030800000");
  EXPECT_EQ(pad(10000000000000, 13), "10000000000000");
  EXPECT_EQ(pad(5, 16), "0000000000000005");
  EXPECT_EQ(pad(UINT64_MAX, 1), "18446744073709551615");
  for (std::uint64_t v = 1, width = 1; width <= 20; v *= 10, ++width) {
    EXPECT_EQ(pad(v - 1, 1), std::to_string(v - 1));
    EXPECT_EQ(pad(v, 1), std::to_string(v)) << "10^" << width - 1;
    if (width == 20) break;
  }
}

TEST(keys, timer_keys_round_trip_and_sort_by_due_time) {
  pending_timer early{at(2026, 3, 1, 9), clock_kind::accept, timer_kind::warning, 1};
  pending_timer late{at(2026, 3, 1, 10), clock_kind::resolve, timer_kind::breach, 0};
  const auto k1 = store::timer_key(3, "T20260301-003-000001", early);
  const auto k2 = store::timer_key(3, "T20260301-003-000001", late);
  EXPECT_LT(k1, k2);
  auto parsed = store::parse_timer_key(k1);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->partition, 3u);
  EXPECT_EQ(parsed->ticket_id, "T20260301-003-000001");
  EXPECT_EQ(parsed->timer, early);
  EXPECT_FALSE(store::parse_timer_key("p003|t|nonsense"));
}

TEST(keys, duplicate_index_keys_sort_by_creation_so_one_seek_skips_older_open_tickets) {
  ticket older, newer;
  older.id = "T20260301-003-000009";  // a higher number, created earlier: order is by time, not id
  newer.id = "T20260301-003-000002";
  for (auto* t : {&older, &newer}) {
    t->version = 2;
    t->st = status::dispatched;
    t->category = "noise";
  }
  older.created_at = at(2026, 3, 1, 8);
  newer.created_at = at(2026, 3, 1, 10);
  auto dup_key = [](const ticket& t) {
    for (const auto& e : store::index_entries(3, t, "runtai-huayuan")) {
      if (e.key.rfind("p003|d|", 0) == 0) return e.key;
    }
    return std::string{};
  };
  const auto prefix = store::duplicate_prefix(3, "noise", "runtai-huayuan");
  const auto from = store::duplicate_key_from(prefix, at(2026, 3, 1, 9));
  EXPECT_LT(dup_key(older), from);
  EXPECT_GT(dup_key(newer), from);
  EXPECT_EQ(store::duplicate_ticket(dup_key(newer), prefix), newer.id);
  EXPECT_EQ(store::duplicate_prefix_of(dup_key(newer)), prefix);
  EXPECT_EQ(store::duplicate_prefix_of("p003|d|noise|T20260301-003-000002"), "");  // no creation field
  EXPECT_EQ(store::duplicate_ticket(prefix + "garbage", prefix), "");
}

TEST(store, a_committed_batch_is_readable_and_survives_reopening) {
  temp_dir dir;
  const auto id = store::make_ticket_id(at(2026, 2, 10, 9), 1, 1);
  ticket staged;
  {
    auto s = open_store(dir);
    store::batch b(*s, 1);
    staged = stage_submit(b, id, "src-1", at(2026, 2, 10, 9));
    ASSERT_TRUE(s->commit(b).ok());
  }
  auto s = open_store(dir);
  auto loaded = s->load_ticket(id);
  ASSERT_TRUE(loaded.ok());
  ASSERT_TRUE(loaded->has_value());
  EXPECT_EQ(**loaded, staged);
  auto log = s->load_events(id);
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(log->size(), 2u);  // received, dispatched
  EXPECT_EQ(fold(*log), staged);
  EXPECT_EQ(s->get(store::source_key(1, "src-1")), id);
  auto first = s->first_timer(1);
  ASSERT_TRUE(first.ok()) << first.err().message;
  EXPECT_TRUE(first->has_value());
}

TEST(store, scanning_the_empty_prefix_visits_every_key) {
  temp_dir dir;
  auto s = open_store(dir);
  EXPECT_EQ(count_keys(*s), 3u);  // meta|index_format, meta|partitions, meta|snapshot_format
  store::batch b(*s, 1);
  stage_submit(b, store::make_ticket_id(at(2026, 2, 10, 9), 1, 1), "src-1", at(2026, 2, 10, 9));
  ASSERT_TRUE(s->commit(b).ok());
  std::vector<std::string> keys;
  EXPECT_TRUE(s->scan("", [&](std::string_view k, std::string_view) {
    keys.emplace_back(k);
    return true;
  }).ok());
  ASSERT_GT(keys.size(), 10u);  // events, snapshot, indexes, source key, outbox, counters
  EXPECT_EQ(keys.front(), "meta|index_format");
  EXPECT_EQ(std::count(keys.begin(), keys.end(), store::snapshot_key(1, "T20260210-001-000001")), 1);
  EXPECT_TRUE(std::is_sorted(keys.begin(), keys.end()));
}

// A command on a ticket the partition's cache holds (committed moments ago) replaces
// the index entries the cache says the ticket has, without computing them again, and
// folds its events into the cached stats history; within a group the batch's own staged
// rows serve the same way. What the rows hold is exactly what index_entries() gives.
TEST(store, a_command_on_a_cached_ticket_replaces_the_index_entries_the_cache_holds) {
  temp_dir dir;
  auto s = open_store(dir);
  const auto t0 = at(2026, 2, 10, 9);
  const auto id = store::make_ticket_id(t0, 1, 1);
  store::ticket_cache cache(16);
  ticket t;
  {
    store::batch b(*s, 1, 0, &cache);
    t = stage_submit(b, id, "src-0", t0);
    ASSERT_TRUE(s->commit(b).ok());
    b.committed();
  }
  const auto* rows = cache.rows(id, t.version);
  ASSERT_NE(rows, nullptr);
  EXPECT_EQ(rows->index, store::index_entries(1, t, dup_scope(t)));
  EXPECT_EQ(rows->dup_scope, dup_scope(t));
  EXPECT_EQ(rows->history.events, t.version);

  // Plant an index key the ticket does not have, in the store and in the cached rows:
  // only a batch that takes the old entries from the cache knows to delete it.
  const auto planted = store::timer_key(1, id, pending_timer{t0 + std::chrono::hours(1000), clock_kind::accept});
  ASSERT_TRUE(s->db()->Put(rocksdb::WriteOptions(), planted, "").ok());
  auto cached = *rows;
  cached.index.push_back({planted, ""});
  std::sort(cached.index.begin(), cached.index.end());
  cache.put(std::make_shared<const ticket>(t), cached);

  // Two neighbours join in one group, each taking the rows the one before staged; they
  // change nothing the entries are made of, so they keep the cached entries as they
  // are. Then the handler accepts the ticket (its accept clock stops), and the new
  // entries replace the ones the cache held, the planted one included.
  {
    store::batch b(*s, 1, 0, &cache);
    for (int i = 1; i <= 2; ++i) {
      const auto before = t;
      t = stage_join(b, t, "src-" + std::to_string(i), "楼道灯不亮，邻居第" + std::to_string(i) + "次反映",
                     t0 + std::chrono::minutes(i));
      EXPECT_TRUE(store::same_index_entries(before, t)) << "join " << i;
    }
    auto accept = testing::action(id, accept_cmd{});
    auto events = decide(t, accept, t0 + std::chrono::minutes(5), *demo_config().rules);
    ASSERT_TRUE(events.ok()) << events.err().message;
    ticket accepted = t;
    for (const auto& e : *events) accepted = apply(accepted, e);
    EXPECT_FALSE(store::same_index_entries(t, accepted));
    b.stage(t, std::make_shared<const ticket>(accepted), *events, dup_scope(t), dup_scope(accepted));
    t = accepted;
    ASSERT_TRUE(s->commit(b).ok());
    b.committed();
  }
  EXPECT_FALSE(s->get(planted).has_value()) << "the cached entries were not the ones replaced";
  rows = cache.rows(id, t.version);
  ASSERT_NE(rows, nullptr);
  EXPECT_EQ(rows->index, store::index_entries(1, t, dup_scope(t)));
  EXPECT_EQ(rows->history.events, t.version);
  const auto r = store::fsck(*s, dup_scope);
  EXPECT_TRUE(r.ok()) << (r.problems.empty() ? "" : r.problems.front());
}

TEST(store, a_ticket_with_many_joined_appeals_loads_intact) {
  // A hot spot: 120 neighbours report the same problem. Each join writes its own appeal
  // and a snapshot of constant size, not every earlier appeal again.
  temp_dir dir;
  std::vector<std::size_t> written;
  store::options opts{4, false, true, false};
  opts.commit_tap = [&written](unsigned, std::string_view data) { written.push_back(data.size()); };
  const auto t0 = at(2026, 2, 10, 9);
  const auto id = store::make_ticket_id(t0, 1, 1);
  ticket t;
  {
    auto s = store::store::open(dir.path() / "db", opts);
    ASSERT_TRUE(s.ok()) << s.err().message;
    {
      store::batch b(**s, 1);
      t = stage_submit(b, id, "src-0", t0);
      ASSERT_TRUE((*s)->commit(b).ok());
    }
    for (int i = 1; i <= 120; ++i) {
      store::batch b(**s, 1);
      t = stage_join(b, t, "src-" + std::to_string(i), "楼道的灯又坏了，第" + std::to_string(i) + "次反映，请尽快处理",
                     t0 + std::chrono::minutes(i));
      ASSERT_TRUE((*s)->commit(b).ok());
    }
    ASSERT_EQ(written.size(), 121u);
    // The first join escalated (a hot spot at 3 joins escalates too): compare joins that
    // changed only the appeals, the 10th and the 120th.
    EXPECT_LT(written[120], written[10] + 64) << "a join rewrites the earlier joined appeals";
    const auto snapshot = (*s)->get(store::snapshot_key(1, id));
    ASSERT_TRUE(snapshot.has_value());
    EXPECT_LT(snapshot->size(), 4096u);
    EXPECT_NE(snapshot->find("\"joined_count\":120"), std::string::npos) << *snapshot;
    const auto row = (*s)->get(store::joined_key(1, id, 119));
    ASSERT_TRUE(row.has_value());
    EXPECT_NE(row->find("第120次反映"), std::string::npos) << *row;
    auto loaded = (*s)->load_ticket(id);
    ASSERT_TRUE(loaded.ok() && loaded->has_value());
    EXPECT_EQ(**loaded, t);
  }
  // Reopened: no cache, the partition's own reads and the batched reads find them too.
  auto s = open_store(dir);
  store::batch b(*s, 1);
  auto staged = b.load_ticket(id);
  ASSERT_TRUE(staged.ok() && *staged);
  EXPECT_EQ(**staged, t);
  auto many = s->load_tickets({id, "T20260210-001-000999"});
  ASSERT_TRUE(many.ok()) << many.err().message;
  ASSERT_TRUE((*many)[0].has_value());
  EXPECT_EQ(*(*many)[0], t);
  EXPECT_FALSE((*many)[1].has_value());
  std::size_t seen = 0;
  ASSERT_TRUE(s->for_each_ticket([&](unsigned, const ticket& each) {
    EXPECT_EQ(each, t);
    ++seen;
    return true;
  }).ok());
  EXPECT_EQ(seen, 1u);
  const auto r = store::fsck(*s, dup_scope);
  EXPECT_TRUE(r.ok()) << (r.problems.empty() ? "" : r.problems.front());
}

TEST(store, tickets_read_together_each_get_their_own_joined_appeals) {
  // load_tickets reads the joined appeals of the whole page in one batched read: each
  // row must land on its own ticket, past tickets that have none.
  temp_dir dir;
  auto s = open_store(dir);
  const auto t0 = at(2026, 2, 10, 9);
  std::vector<ticket> tickets;
  for (int k = 1; k <= 3; ++k) {
    store::batch b(*s, 1);
    ticket t = stage_submit(b, store::make_ticket_id(t0, 1, static_cast<std::uint64_t>(k)), "src-" + std::to_string(k), t0);
    const int joins = k == 2 ? 0 : 2 * k + 1;  // 3, none, 7
    for (int i = 1; i <= joins; ++i) {
      t = stage_join(b, t, "src-" + std::to_string(k) + "-" + std::to_string(i),
                     "第" + std::to_string(k) + "张单子的第" + std::to_string(i) + "位邻居", t0 + std::chrono::minutes(i));
    }
    ASSERT_TRUE(s->commit(b).ok());
    tickets.push_back(t);
  }
  auto loaded = s->load_tickets({tickets[2].id, tickets[1].id, "T20260210-001-000999", tickets[0].id});
  ASSERT_TRUE(loaded.ok()) << loaded.err().message;
  ASSERT_EQ(loaded->size(), 4u);
  ASSERT_TRUE((*loaded)[0] && (*loaded)[1] && !(*loaded)[2] && (*loaded)[3]);
  EXPECT_EQ(*(*loaded)[0], tickets[2]);
  EXPECT_EQ(*(*loaded)[1], tickets[1]);
  EXPECT_EQ(*(*loaded)[3], tickets[0]);
  EXPECT_EQ((*loaded)[0]->joined.size(), 7u);
  EXPECT_EQ((*loaded)[3]->joined.size(), 3u);
}

TEST(store, snapshots_of_an_older_store_get_their_joined_appeals_moved_apart_once) {
  // Before meta|snapshot_format, every snapshot held its joined appeals: such a store
  // reads as it is when opened read-only, and opened for writing its snapshots are
  // rewritten once, before any command could append rows past a count it lacks.
  temp_dir dir;
  const auto t0 = at(2026, 2, 10, 9);
  const auto id = store::make_ticket_id(t0, 1, 1);
  ticket t;
  {
    auto s = open_store(dir);
    store::batch b(*s, 1);
    t = stage_submit(b, id, "src-0", t0);
    for (int i = 1; i <= 60; ++i) {
      t = stage_join(b, t, "src-" + std::to_string(i), "二号楼门口的路灯不亮，第" + std::to_string(i) + "位居民反映",
                     t0 + std::chrono::minutes(i));
    }
    ASSERT_TRUE(s->commit(b).ok());
    rocksdb::WriteBatch older;
    older.Put(store::snapshot_key(1, id), codec::to_text(t));  // 60 appeals inline, past 16 KiB
    for (std::size_t n = 0; n < t.joined.size(); ++n) older.Delete(store::joined_key(1, id, n));
    older.Delete("meta|snapshot_format");
    ASSERT_TRUE(s->db()->Write(rocksdb::WriteOptions(), &older).ok());
  }
  {
    auto ro = store::store::open(dir.path() / "db", store::options{4, false, false, true});
    ASSERT_TRUE(ro.ok()) << ro.err().message;
    auto loaded = (*ro)->load_ticket(id);
    ASSERT_TRUE(loaded.ok() && loaded->has_value()) << (loaded.ok() ? "absent" : loaded.err().message);
    EXPECT_EQ(**loaded, t);
    EXPECT_FALSE((*ro)->get(store::joined_key(1, id, 0)).has_value()) << "a read-only open wrote";
  }
  auto s = open_store(dir);
  EXPECT_EQ(s->get("meta|snapshot_format"), "2");
  const auto snapshot = s->get(store::snapshot_key(1, id));
  ASSERT_TRUE(snapshot.has_value());
  EXPECT_EQ(*snapshot, codec::to_snapshot_text(t));
  for (std::size_t n = 0; n < t.joined.size(); ++n) {
    EXPECT_EQ(s->get(store::joined_key(1, id, n)), codec::to_text(t.joined[n])) << "row " << n;
  }
  auto loaded = s->load_ticket(id);
  ASSERT_TRUE(loaded.ok() && loaded->has_value());
  EXPECT_EQ(**loaded, t);
  // The next join appends its row after the moved ones.
  store::batch b(*s, 1);
  auto current = b.load_ticket(id);
  ASSERT_TRUE(current.ok() && *current);
  t = stage_join(b, **current, "src-61", "路灯还是不亮", t0 + std::chrono::hours(2));
  ASSERT_TRUE(s->commit(b).ok());
  EXPECT_EQ(s->get(store::joined_key(1, id, 60)), codec::to_text(t.joined.back()));
  loaded = s->load_ticket(id);
  ASSERT_TRUE(loaded.ok() && loaded->has_value());
  EXPECT_EQ(**loaded, t);
  const auto r = store::fsck(*s, dup_scope);
  EXPECT_TRUE(r.ok()) << (r.problems.empty() ? "" : r.problems.front());
}

TEST(store, an_uncommitted_batch_leaves_nothing_behind) {
  temp_dir dir;
  auto s = open_store(dir);
  const auto before = count_keys(*s);
  {
    store::batch b(*s, 2);
    stage_submit(b, store::make_ticket_id(at(2026, 2, 10, 9), 2, 1), "src-2", at(2026, 2, 10, 9));
    // the batch sees its own writes...
    EXPECT_TRUE(b.get(store::source_key(2, "src-2")).has_value());
  }
  // ...the database does not
  EXPECT_EQ(count_keys(*s), before);
}

TEST(backup, names_follow_beijing_wall_time_and_never_reuse_a_taken_name) {
  temp_dir dir;
  const auto t = at(2026, 3, 2, 17, 0) + std::chrono::milliseconds(5123);  // 17:00:05.123 +08:00
  const auto first = store::next_backup_path(dir.path(), t);
  EXPECT_EQ(first, dir.path() / "doorstep-20260302-170005-123");
  std::filesystem::create_directories(first);
  EXPECT_EQ(store::next_backup_path(dir.path(), t), dir.path() / "doorstep-20260302-170005-123-2");
  std::filesystem::create_directories(dir.path() / "doorstep-20260302-170005-123-2.partial");  // one in progress
  EXPECT_EQ(store::next_backup_path(dir.path(), t), dir.path() / "doorstep-20260302-170005-123-3");
}

TEST(backup, a_backup_holds_everything_committed_and_copies_the_files_beside_the_store) {
  temp_dir dir;
  auto s = open_store(dir);
  store::batch b(*s, 1);
  const auto t = stage_submit(b, "T20260301-001-000001", "src-1", at(2026, 3, 1, 9));
  ASSERT_TRUE(s->commit(b).ok());  // in the memtable and WAL only: the checkpoint must flush it
  const auto tokens = dir.path() / "tokens.json";
  { std::ofstream(tokens) << "{\"tokens\":[]}"; }
  const auto target = dir.path() / "backups" / "b1";
  ASSERT_TRUE(store::write_backup(*s, target, {tokens, dir.path() / "missing.json"}).ok());
  EXPECT_TRUE(std::filesystem::exists(target / "tokens.json"));
  EXPECT_FALSE(std::filesystem::exists(target / "missing.json"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "backups" / "b1.partial"));
  auto copy = store::store::open(target / "store", store::options{4, false, false, true});
  ASSERT_TRUE(copy.ok()) << copy.err().message;
  auto loaded = (*copy)->load_ticket(t.id);
  ASSERT_TRUE(loaded.ok() && loaded->has_value());
  EXPECT_EQ(**loaded, t);
  // A target that exists is refused, and left as it was.
  auto again = store::write_backup(*s, target, {});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.err().code, "already_exists");
  EXPECT_TRUE(std::filesystem::exists(target / "tokens.json"));
}

// The committed duplicate-index keys under `prefix` (as ticket ids), read from the store.
std::vector<std::string> committed_duplicates(const store::store& s, const std::string& prefix) {
  std::vector<std::string> ids;
  EXPECT_TRUE(s.scan(prefix, [&](std::string_view k, std::string_view) {
    ids.emplace_back(store::duplicate_ticket(k, prefix));
    return true;
  }).ok());
  return ids;
}

// The duplicate-index keys under `prefix` from `from` on (as ticket ids), as a batch sees them.
std::vector<std::string> batch_duplicates(store::batch& b, const std::string& prefix, const std::string& from = {}) {
  std::vector<std::string> ids;
  b.duplicates(prefix, from.empty() ? prefix : from, [&](std::string_view k) {
    ids.emplace_back(store::duplicate_ticket(k, prefix));
    return true;
  });
  return ids;
}

// Cancels `t` (which closes it) and stages that in `b`.
void stage_cancel(store::batch& b, const ticket& t, instant now) {
  auto events = decide(t, testing::action(t.id, cancel_cmd{"居民已自行解决"}, role::operator_), now, *demo_config().rules);
  ASSERT_TRUE(events.ok());
  ticket cancelled = t;
  for (const auto& e : *events) cancelled = apply(cancelled, e);
  b.stage(t, std::make_shared<const ticket>(cancelled), *events, dup_scope(t), dup_scope(cancelled));
}

// With no duplicate cache (reads the store) and with one (reads the cache, loaded from
// the store on first use and kept by committed()), a batch sees the same keys.
class duplicate_reads : public ::testing::TestWithParam<bool> {
 protected:
  store::duplicate_cache* cache() { return GetParam() ? &cache_ : nullptr; }

  struct appeal_at {
    std::string ticket_id, source;
    instant at;
  };
  // Commits one group staging a submit for each appeal, as a partition would.
  std::vector<ticket> commit_submits(store::store& s, const std::vector<appeal_at>& appeals) {
    std::vector<ticket> out;
    store::batch b(s, 1, 0, nullptr, cache());
    for (const auto& a : appeals) out.push_back(stage_submit(b, a.ticket_id, a.source, a.at));
    EXPECT_TRUE(s.commit(b).ok());
    b.committed();
    return out;
  }

  store::duplicate_cache cache_{1024};
};

TEST_P(duplicate_reads, a_batch_merges_staged_duplicate_entries_and_hides_staged_deletes) {
  temp_dir dir;
  auto s = open_store(dir);
  const auto t0 = at(2026, 2, 10, 9);
  const auto first_id = store::make_ticket_id(t0, 1, 1);
  const auto second_id = store::make_ticket_id(t0, 1, 2);
  const ticket first = commit_submits(*s, {{first_id, "src-1", t0}}).front();
  const auto prefix = store::duplicate_prefix(1, "street_light", dup_scope(first));
  store::batch b(*s, 1, 0, nullptr, cache());
  stage_submit(b, second_id, "src-2", t0);  // a second open ticket, staged only
  EXPECT_EQ(batch_duplicates(b, prefix), (std::vector<std::string>{first_id, second_id}));
  stage_cancel(b, first, t0);  // closes: its entry goes
  EXPECT_EQ(batch_duplicates(b, prefix), (std::vector<std::string>{second_id}));
  EXPECT_EQ(committed_duplicates(*s, prefix), (std::vector<std::string>{first_id}));  // nothing committed yet
  ASSERT_TRUE(s->commit(b).ok());
  b.committed();
  EXPECT_EQ(committed_duplicates(*s, prefix), (std::vector<std::string>{second_id}));
  store::batch next(*s, 1, 0, nullptr, cache());  // a later group sees what the last one committed
  EXPECT_EQ(batch_duplicates(next, prefix), (std::vector<std::string>{second_id}));
  if (GetParam()) {
    ASSERT_NE(cache_.find(prefix, prefix), nullptr);  // answered from the cache, kept by committed()
    EXPECT_EQ(cache_.size(), 1u);
  }
}

TEST_P(duplicate_reads, a_lookup_from_an_earlier_instant_than_the_last_reads_the_store_again) {
  temp_dir dir;
  auto s = open_store(dir);
  const auto t0 = at(2026, 2, 10, 9);
  const auto t1 = at(2026, 2, 10, 15);
  const auto old_id = store::make_ticket_id(t0, 1, 1);
  const auto new_id = store::make_ticket_id(t1, 1, 2);
  const ticket old_ticket = commit_submits(*s, {{old_id, "src-1", t0}, {new_id, "src-2", t1}}).front();
  const auto prefix = store::duplicate_prefix(1, "street_light", dup_scope(old_ticket));
  store::batch b(*s, 1, 0, nullptr, cache());
  // A window starting after the old ticket's creation holds the new ticket only (and
  // drops the old one from the cache's range) ...
  EXPECT_EQ(batch_duplicates(b, prefix, store::duplicate_key_from(prefix, t0 + std::chrono::hours(1))),
            (std::vector<std::string>{new_id}));
  if (GetParam()) {
    EXPECT_EQ(cache_.size(), 1u);
  }
  // ... and a window starting before it, asked later, still finds the old one first.
  EXPECT_EQ(batch_duplicates(b, prefix, store::duplicate_key_from(prefix, t0 - std::chrono::hours(1))),
            (std::vector<std::string>{old_id, new_id}));
}

INSTANTIATE_TEST_SUITE_P(store, duplicate_reads, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "cached" : "from_the_store"; });

TEST(store, a_counter_bumped_many_times_in_a_group_is_written_once) {
  temp_dir dir;
  std::size_t writes = 0;
  store::options opts{4, false, true, false};
  opts.commit_tap = [&writes](unsigned, std::string_view data) {
    struct counter_puts : rocksdb::WriteBatch::Handler {
      std::size_t n = 0;
      void Put(const rocksdb::Slice& key, const rocksdb::Slice&) override { n += key.ToString() == "p000|m|seq"; }
    } h;
    rocksdb::WriteBatch wb{std::string(data)};
    EXPECT_TRUE(wb.Iterate(&h).ok());
    writes += h.n;
  };
  auto s = store::store::open(dir.path() / "db", opts);
  ASSERT_TRUE(s.ok());
  store::batch b(**s, 0);
  EXPECT_EQ(b.next_counter("seq"), 1u);
  EXPECT_EQ(b.next_counter("seq"), 2u);
  EXPECT_EQ(b.next_counter("seq"), 3u);
  b.erase("p000|x|stale");  // something to commit
  ASSERT_TRUE((*s)->commit(b).ok());
  EXPECT_EQ(writes, 1u);
  EXPECT_EQ((*s)->get("p000|m|seq"), "3");
  store::batch next(**s, 0);
  EXPECT_EQ(next.next_counter("seq"), 4u);
}

// The partition's meta cache: counters, sequences and offsets are read from the
// database once; later groups read what the last committed group wrote from memory.
TEST(store, counters_sequences_and_offsets_are_read_once_then_kept_by_commits) {
  temp_dir dir;
  auto s = open_store(dir);
  store::meta_cache meta;
  const auto t0 = at(2026, 2, 10, 9);
  {
    store::batch b(*s, 1, 0, nullptr, nullptr, &meta);
    EXPECT_EQ(b.counter("ticket_seq"), 0u);
    EXPECT_EQ(b.next_counter("ticket_seq"), 1u);
    stage_submit(b, store::make_ticket_id(t0, 1, 1), "src-1", t0);  // two events: outbox 1 and 2
    EXPECT_FALSE(b.consumed("appeals/3").has_value());
    b.mark_consumed("appeals/3", 41);
    ASSERT_TRUE(s->commit(b).ok());
    b.committed();
  }
  const auto* outbox = meta.find(store::meta_key(1, "outbox_seq"));
  ASSERT_NE(outbox, nullptr);
  EXPECT_EQ(*outbox, "2");
  ASSERT_NE(meta.find(store::meta_key(1, "ticket_seq")), nullptr);
  EXPECT_EQ(*meta.find(store::meta_key(1, "ticket_seq")), "1");

  // Change the stored values behind the cache: a batch with the cache does not read
  // them again, one without it does.
  for (const auto& [name, value] : {std::pair{"ticket_seq", "90"}, std::pair{"outbox_seq", "70"},
                                    std::pair{"in|appeals/3", "80"}}) {
    ASSERT_TRUE(s->db()->Put(rocksdb::WriteOptions(), store::meta_key(1, name), value).ok());
  }
  {
    store::batch b(*s, 1, 0, nullptr, nullptr, &meta);
    EXPECT_EQ(b.counter("ticket_seq"), 1u);
    EXPECT_EQ(b.consumed("appeals/3"), 41);
    EXPECT_EQ(b.next_counter("ticket_seq"), 2u);
    stage_submit(b, store::make_ticket_id(t0, 1, 2), "src-2", t0);
    ASSERT_TRUE(s->commit(b).ok());
    EXPECT_TRUE(s->get(store::outbox_key(1, 3)).has_value());  // the sequence went on from the cache's 2
    EXPECT_TRUE(s->get(store::outbox_key(1, 4)).has_value());
    // Not handed to the cache yet: a group that was staged but not committed changes nothing.
    EXPECT_EQ(*meta.find(store::meta_key(1, "ticket_seq")), "1");
    b.committed();
  }
  EXPECT_EQ(*meta.find(store::meta_key(1, "ticket_seq")), "2");
  EXPECT_EQ(*meta.find(store::meta_key(1, "outbox_seq")), "4");
  store::batch uncached(*s, 1);
  EXPECT_EQ(uncached.counter("ticket_seq"), 2u);  // the commit wrote 2 over the 90
  EXPECT_EQ(uncached.consumed("appeals/3"), 80);  // never committed again: the database's value
  store::batch cached(*s, 1, 0, nullptr, nullptr, &meta);
  EXPECT_EQ(cached.consumed("appeals/3"), 41);
  EXPECT_EQ(meta.size(), 3u);  // ticket_seq, outbox_seq, the offset; no dlq_seq was read
}

// The keys of a serialized write batch, in the order they are written.
std::vector<std::string> batch_keys(std::string_view data) {
  struct keys : rocksdb::WriteBatch::Handler {
    std::vector<std::string> out;
    void Put(const rocksdb::Slice& k, const rocksdb::Slice&) override { out.push_back(k.ToString()); }
    void Delete(const rocksdb::Slice& k) override { out.push_back(k.ToString()); }
  } h;
  rocksdb::WriteBatch wb{std::string(data)};
  EXPECT_TRUE(wb.Iterate(&h).ok());
  return std::move(h.out);
}

// A group reaches RocksDB with its keys in order (cheap memtable inserts), and a key
// written twice in the group is written once, by its last write.
TEST(store, a_group_is_written_in_key_order_and_the_last_write_of_a_key_wins) {
  temp_dir dir;
  std::vector<std::string> written;
  store::options opts{4, false, true, false};
  opts.commit_tap = [&written](unsigned, std::string_view data) { written = batch_keys(data); };
  auto s = store::store::open(dir.path() / "db", opts);
  ASSERT_TRUE(s.ok());
  const auto t0 = at(2026, 2, 10, 9);
  const auto kept = store::make_ticket_id(t0, 1, 1);
  const auto dropped = store::make_ticket_id(t0, 1, 2);
  store::batch b(**s, 1);
  b.erase(store::snapshot_key(1, kept));  // deleted, then written: present
  stage_submit(b, kept, "src-1", t0);
  stage_submit(b, dropped, "src-2", t0 + std::chrono::minutes(1));
  b.erase(store::snapshot_key(1, dropped));  // written, then deleted: absent
  EXPECT_EQ(b.next_counter("ticket_seq"), 1u);
  ASSERT_TRUE((*s)->commit(b).ok());

  ASSERT_GT(written.size(), 20u);  // two appeals' events, outbox, snapshots, indexes, counters
  EXPECT_TRUE(std::is_sorted(written.begin(), written.end()));
  EXPECT_EQ(std::adjacent_find(written.begin(), written.end()), written.end()) << "a key written twice";
  EXPECT_EQ(std::count(written.begin(), written.end(), store::snapshot_key(1, kept)), 1);
  EXPECT_EQ(std::count(written.begin(), written.end(), store::snapshot_key(1, dropped)), 1);  // its delete
  EXPECT_TRUE((*s)->get(store::snapshot_key(1, kept)).has_value());
  EXPECT_FALSE((*s)->get(store::snapshot_key(1, dropped)).has_value());
  EXPECT_EQ((*s)->get(store::meta_key(1, "ticket_seq")), "1");
  EXPECT_EQ((*s)->get(store::meta_key(1, "outbox_seq")), "4");
}

// A ticket staged by several commands of one group is written once, with the snapshot
// of its last staged version (encoded at commit, not per command).
TEST(store, a_ticket_staged_twice_in_a_group_writes_its_last_snapshot_once) {
  temp_dir dir;
  std::vector<std::pair<std::string, std::string>> written;
  std::size_t written_bytes = 0;
  store::options opts{4, false, true, false};
  opts.commit_tap = [&written, &written_bytes](unsigned, std::string_view data) {
    written_bytes = data.size();
    struct pairs : rocksdb::WriteBatch::Handler {
      std::vector<std::pair<std::string, std::string>>* out;
      void Put(const rocksdb::Slice& k, const rocksdb::Slice& v) override { out->emplace_back(k.ToString(), v.ToString()); }
      void Delete(const rocksdb::Slice& k) override { out->emplace_back(k.ToString(), "<deleted>"); }
    } h;
    h.out = &written;
    rocksdb::WriteBatch wb{std::string(data)};
    EXPECT_TRUE(wb.Iterate(&h).ok());
  };
  auto s = store::store::open(dir.path() / "db", opts);
  ASSERT_TRUE(s.ok());
  const auto t0 = at(2026, 2, 10, 9);
  const auto id = store::make_ticket_id(t0, 1, 1);
  store::batch b(**s, 1);
  const ticket t = stage_submit(b, id, "src-0", t0);
  const ticket after = stage_join(b, t, "src-1", "三号楼路灯还是不亮", t0 + std::chrono::minutes(5));
  ASSERT_EQ(after.version, t.version + 1);
  ASSERT_TRUE((*s)->commit(b).ok());

  std::vector<std::string> snapshots;
  for (const auto& [k, v] : written) {
    if (k == store::snapshot_key(1, id)) snapshots.push_back(v);
  }
  ASSERT_EQ(snapshots.size(), 1u);
  EXPECT_EQ(snapshots.front(), codec::to_snapshot_text(after));
  const auto row = std::find_if(written.begin(), written.end(),
                                [&](const auto& kv) { return kv.first == store::joined_key(1, id, 0); });
  ASSERT_NE(row, written.end()) << "the joined appeal has no row";
  EXPECT_EQ(row->second, codec::to_text(after.joined.front()));
  EXPECT_EQ(b.bytes(), written_bytes) << "the group's size counts writes that were superseded";
  auto loaded = (*s)->load_ticket(id);
  ASSERT_TRUE(loaded.ok() && loaded->has_value());
  EXPECT_EQ(**loaded, after);
  EXPECT_EQ((**loaded).joined.size(), 1u);
  EXPECT_EQ((**loaded).joined.front().description, "三号楼路灯还是不亮");
}

// Families staged in order and out of order, one key in several writes, a byte above
// 0x7f (RocksDB compares bytes unsigned) and a key outside the partition's layout: the
// group comes out in RocksDB's key order, every key once.
TEST(store, a_group_is_sorted_whatever_its_families_and_staging_order) {
  temp_dir dir;
  std::vector<std::vector<std::string>> groups;
  store::options opts{4, false, true, false};
  opts.commit_tap = [&groups](unsigned, std::string_view data) { groups.push_back(batch_keys(data)); };
  auto s = store::store::open(dir.path() / "db", opts);
  ASSERT_TRUE(s.ok());
  const std::vector<std::string> staged = {
      "p001|t|0000000000300|T3", "p001|e|T1|0000000001", "p001|t|0000000000100|T1", "p001|e|T1|0000000002",
      "p001|x|0000000000200|T2", "p001|e|T2|0000000001", "p001|t|0000000000200|T2", "p001|s|T9",
      "p001|x|0000000000100|T1", "p001|s|T1", "p001|t|0000000000100|T1", "p001|s|T2", "p001|o|0000000000000001",
      "p001|o|0000000000000002", "p001|~", "p001|\xff"};
  for (const bool foreign : {false, true}) {
    store::batch b(**s, 1);
    for (const auto& key : staged) b.erase(key);
    if (foreign) b.erase("meta|zz");  // not under the partition's prefix
    ASSERT_TRUE((*s)->commit(b).ok());
  }
  ASSERT_EQ(groups.size(), 2u);
  for (const auto& written : groups) {
    EXPECT_TRUE(std::is_sorted(written.begin(), written.end()));
    auto expected = staged;
    if (&written == &groups.back()) expected.push_back("meta|zz");
    std::sort(expected.begin(), expected.end());
    expected.erase(std::unique(expected.begin(), expected.end()), expected.end());
    EXPECT_EQ(written, expected);
  }
}

// sort_by_key must give exactly what a stable sort by key gives, whatever the keys:
// shared prefixes of any length, keys that are prefixes of others, zero and 0xFF bytes,
// repeated keys (whose writes keep their staging order), Chinese text, one family or many.
TEST(key_order, sorts_as_a_stable_sort_by_key_does) {
  std::mt19937 rng(2026);
  const std::vector<std::string> stems = {"p007|t|17710", "p007|e|T20261207-007-000", "p007|o|000000000000", "p007|", "",
                                          "p007|c|润泰社区|", std::string("p007|\0\0", 7), "p007|\xff"};
  const std::string alphabet = std::string("0123|") + '\0' + '\xff' + '\x01' + "ab润";
  for (int round = 0; round < 300; ++round) {
    std::vector<std::string> keys;
    const std::size_t n = 1 + rng() % 400;
    for (std::size_t i = 0; i < n; ++i) {
      if (!keys.empty() && rng() % 5 == 0) {
        keys.push_back(keys[rng() % keys.size()]);  // written again
        continue;
      }
      std::string k = round % 3 == 0 ? stems[0] : stems[rng() % stems.size()];
      const std::size_t tail = rng() % (round % 2 ? 3 : 20);
      for (std::size_t j = 0; j < tail; ++j) k += alphabet[rng() % alphabet.size()];
      keys.push_back(k);
    }
    std::vector<store::keyed_write> writes, scratch;
    for (std::uint32_t i = 0; i < keys.size(); ++i) writes.push_back({keys[i], i});
    auto expected = writes;
    std::stable_sort(expected.begin(), expected.end(),
                     [](const store::keyed_write& a, const store::keyed_write& b) { return a.key < b.key; });
    store::sort_by_key(writes, scratch);
    ASSERT_EQ(writes.size(), expected.size());
    for (std::size_t i = 0; i < writes.size(); ++i) {
      ASSERT_EQ(writes[i].index, expected[i].index) << "round " << round << " at " << i;
    }
  }
}

// finish() writes the serialized batch itself: it must be byte for byte what RocksDB's
// own Put and Delete build, for empty, short, Chinese and long keys and values (lengths
// of one, two and three varint bytes).
TEST(write_batch_rep, records_are_byte_for_byte_what_rocksdb_writes) {
  const std::vector<std::pair<std::string, std::optional<std::string>>> writes = {
      {"p001|s|T1", std::string("{\"描述\":\"楼道灯坏了\"}")},
      {"p001|e|T1|0000000001", std::string()},
      {"", std::string("empty key")},
      {"p001|t|0000000000100|T1", std::nullopt},
      {std::string(127, 'k'), std::string(128, 'v')},
      {std::string(128, 'k'), std::nullopt},
      {"p001|c|润泰社区", std::string(16384, 'x')},
      {std::string(20000, '\xff'), std::string(300, '\0')},
  };
  rocksdb::WriteBatch expected;
  std::string rep(store::write_batch_rep::kHeader, '\0');
  for (const auto& [key, value] : writes) {
    if (value) {
      ASSERT_TRUE(expected.Put(key, *value).ok());
      store::write_batch_rep::put(rep, key, *value);
    } else {
      ASSERT_TRUE(expected.Delete(key).ok());
      store::write_batch_rep::del(rep, key);
    }
  }
  store::write_batch_rep::set_count(rep, static_cast<std::uint32_t>(writes.size()));
  EXPECT_EQ(rep, expected.Data());
  rocksdb::WriteBatch written(rep);
  EXPECT_EQ(written.Count(), writes.size());
  EXPECT_TRUE(written.HasPut());
  EXPECT_TRUE(written.HasDelete());
  EXPECT_FALSE(written.HasMerge());
  for (std::size_t n : {0u, 127u, 128u, 16383u, 16384u, 2097151u, 2097152u}) {
    std::string one;
    store::write_batch_rep::append_varstring(one, std::string(n, 'a'));
    EXPECT_EQ(one.size(), store::write_batch_rep::varint_size(n) + n) << n;
  }
}

// Two groups through one set of buffers: the second group's batch reuses the first's
// buffer and holds only its own writes, each batch is exactly what RocksDB's Put and
// Delete build for its records, and what was written reads back.
TEST(store, consecutive_groups_through_shared_buffers_write_only_their_own_records) {
  temp_dir dir;
  std::vector<std::vector<std::string>> groups;
  store::options opts{4, false, true, false};
  opts.commit_tap = [&groups](unsigned, std::string_view data) {
    groups.push_back(batch_keys(data));
    struct rebuild : rocksdb::WriteBatch::Handler {
      rocksdb::WriteBatch wb;
      void Put(const rocksdb::Slice& k, const rocksdb::Slice& v) override { EXPECT_TRUE(wb.Put(k, v).ok()); }
      void Delete(const rocksdb::Slice& k) override { EXPECT_TRUE(wb.Delete(k).ok()); }
    } again;
    ASSERT_TRUE(rocksdb::WriteBatch(std::string(data)).Iterate(&again).ok());
    // Past the header's sequence number, which the write assigned.
    const std::string_view rebuilt = again.wb.Data();
    EXPECT_TRUE(rebuilt.substr(8) == data.substr(8)) << rebuilt.size() << " against " << data.size();
  };
  auto s = store::store::open(dir.path() / "db", opts);
  ASSERT_TRUE(s.ok());
  store::batch_buffers buffers;
  std::string letter;
  for (int i = 0; i < 100; ++i) letter += "居民反映楼道灯坏了";
  {
    store::batch b(**s, 1, 0, nullptr, nullptr, nullptr, &buffers);
    for (int i = 0; i < 300; ++i) b.mark_consumed("appeals/" + std::to_string(i), 1000 + i);
    for (int i = 0; i < 50; ++i) b.stage_dead_letter(letter);
    ASSERT_TRUE((*s)->commit(b).ok());
  }
  {
    store::batch b(**s, 1, 0, nullptr, nullptr, nullptr, &buffers);
    b.mark_consumed("appeals/7", 7777);
    b.erase(store::meta_key(1, "in|appeals/8"));
    ASSERT_TRUE((*s)->commit(b).ok());
  }
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].size(), 300u + 50u + 1u);  // offsets, dead letters, their sequence
  EXPECT_EQ(groups[1], (std::vector<std::string>{store::meta_key(1, "in|appeals/7"), store::meta_key(1, "in|appeals/8")}));
  const auto value = [&s](const std::string& key) { return *(*s)->read(key); };
  EXPECT_EQ(value(store::meta_key(1, "in|appeals/7")), "7777");
  EXPECT_EQ(value(store::meta_key(1, "in|appeals/8")), std::nullopt);
  EXPECT_EQ(value(store::meta_key(1, "in|appeals/9")), "1009");
  EXPECT_EQ(value(store::dead_letter_key(1, 50)), letter);
}

TEST(store, the_commit_tap_sees_exactly_the_batches_that_were_written) {
  temp_dir dir;
  std::vector<std::pair<unsigned, std::string>> seen;
  store::options opts{4, false, true, false};
  opts.commit_tap = [&seen](unsigned partition, std::string_view data) { seen.emplace_back(partition, data); };
  auto s = store::store::open(dir.path() / "db", opts);
  ASSERT_TRUE(s.ok());
  store::batch b(**s, 2);
  const auto t = stage_submit(b, "T20260301-002-000001", "src-1", at(2026, 3, 1, 9));
  ASSERT_TRUE((*s)->commit(b).ok());
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].first, 2u);
  EXPECT_EQ(b.bytes(), seen[0].second.size()) << "the group's size (what the next group reserves) is not what was written";
  // Replaying the tapped batch into another store reproduces the committed state.
  temp_dir other;
  auto copy = open_store(other);
  rocksdb::WriteBatch replay(seen[0].second);
  EXPECT_EQ(static_cast<std::size_t>(replay.Count()), count_keys(**s) - 3);  // all but the three meta| keys
  ASSERT_TRUE(copy->db()->Write(rocksdb::WriteOptions(), &replay).ok());
  auto loaded = copy->load_ticket(t.id);
  ASSERT_TRUE(loaded.ok() && loaded->has_value());
  EXPECT_EQ(**loaded, t);
  EXPECT_EQ(count_keys(*copy), count_keys(**s));
}

// A partition lends every group's batch the same buffers. Each group must still write
// exactly what it staged, whatever larger group (or one too large to keep the memory of)
// used the buffers before it: two stores take the same groups, one through shared
// buffers and one with fresh buffers per batch, and write the same bytes.
TEST(store, batches_sharing_buffers_write_exactly_their_own_group) {
  temp_dir dir;
  std::vector<std::string> shared_writes, fresh_writes;
  auto open_tapped = [&](const char* name, std::vector<std::string>& out) {
    store::options opts{4, false, true, false};
    opts.commit_tap = [&out](unsigned, std::string_view data) { out.emplace_back(data); };
    auto s = store::store::open(dir.path() / name, opts);
    EXPECT_TRUE(s.ok());
    return std::move(*s);
  };
  auto shared = open_tapped("shared", shared_writes);
  auto fresh = open_tapped("fresh", fresh_writes);
  store::batch_buffers buffers;
  const auto t0 = at(2026, 3, 2, 9);
  int next = 0;
  // A group of `appeals` new tickets, plus a dead letter of `letter_bytes` when non-zero.
  auto group = [&](int appeals, std::size_t letter_bytes) {
    for (auto* s : {shared.get(), fresh.get()}) {
      store::batch b(*s, 1, 0, nullptr, nullptr, nullptr, s == shared.get() ? &buffers : nullptr);
      for (int i = 0; i < appeals; ++i) {
        const int n = next + i + 1;
        stage_submit(b, store::make_ticket_id(t0, 1, n), "src-" + std::to_string(n), t0 + std::chrono::minutes(n));
      }
      if (letter_bytes) b.stage_dead_letter(std::string(letter_bytes, 'x'));
      ASSERT_TRUE(s->commit(b).ok());
    }
    next += appeals;
  };
  group(40, 0);
  group(1, 0);             // far smaller than the group before it
  group(1, 6 << 20);       // larger than the buffers keep
  group(2, 0);
  ASSERT_EQ(shared_writes.size(), 4u);
  ASSERT_EQ(fresh_writes.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) {
    // Compared whole but not printed whole: the third group is over 6 MiB.
    EXPECT_EQ(shared_writes[i].size(), fresh_writes[i].size()) << "group " << i;
    EXPECT_TRUE(shared_writes[i] == fresh_writes[i]) << "group " << i << " wrote different bytes";
  }
  EXPECT_LT(shared_writes[1].size(), shared_writes[0].size() / 20);
  EXPECT_EQ(count_keys(*shared), count_keys(*fresh));
}

// Deadline-keyed indexes (worklist, timers) delete a key whenever a deadline moves, so
// their first range fills with tombstones that every overdue scan would step over. A
// file dense with deletions is compacted on its own, without waiting for size triggers.
TEST(store, a_file_dense_with_deletions_is_compacted_and_its_tombstones_dropped) {
  temp_dir dir;
  auto s = open_store(dir);
  const auto prefix = store::family_prefix(2, store::kWorklist);
  auto key = [&](int i) {
    char due[16];
    std::snprintf(due, sizeof due, "%013d", i);
    return prefix + due + "|T" + std::to_string(i);
  };
  constexpr int kRows = 5000;
  rocksdb::WriteBatch rows;
  for (int i = 0; i < kRows; ++i) rows.Put(key(i), "row");
  ASSERT_TRUE(s->db()->Write(rocksdb::WriteOptions(), &rows).ok());
  ASSERT_TRUE(s->db()->Flush(rocksdb::FlushOptions()).ok());
  rocksdb::WriteBatch moved;  // every deadline but the last ten moved on
  for (int i = 0; i < kRows - 10; ++i) moved.Delete(key(i));
  ASSERT_TRUE(s->db()->Write(rocksdb::WriteOptions(), &moved).ok());
  ASSERT_TRUE(s->db()->Flush(rocksdb::FlushOptions()).ok());
  // Two level-0 files: far below RocksDB's file-count trigger (4), so only the deletion
  // collector can schedule the compaction.
  auto tombstones_skipped = [&] {
    rocksdb::SetPerfLevel(rocksdb::PerfLevel::kEnableCount);
    rocksdb::get_perf_context()->Reset();
    std::size_t rows = 0;
    EXPECT_TRUE(s->scan(prefix, [&](std::string_view, std::string_view) {
      ++rows;
      return true;
    }).ok());
    EXPECT_EQ(rows, 10u);
    const auto skipped = rocksdb::get_perf_context()->internal_delete_skipped_count;
    rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);
    return skipped;
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  auto skipped = tombstones_skipped();
  while (skipped > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    skipped = tombstones_skipped();
  }
  EXPECT_EQ(skipped, 0u) << "the tombstones were never compacted away";
}

TEST(store, refuses_to_open_with_a_different_partition_count) {
  temp_dir dir;
  { open_store(dir, 4); }
  auto again = store::store::open(dir.path() / "db", store::options{8, false, true, false});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.err().code, "store_partitions");
}

class fsck_test : public ::testing::Test {
 protected:
  void SetUp() override {
    s_ = open_store(dir_);
    store::batch b(*s_, 0);
    for (int i = 1; i <= 3; ++i) {
      stage_submit(b, store::make_ticket_id(at(2026, 2, 10, 9), 0, i), "src-" + std::to_string(i),
                   at(2026, 2, 10, 9, i));
    }
    ASSERT_TRUE(s_->commit(b).ok());
    id_ = store::make_ticket_id(at(2026, 2, 10, 9), 0, 2);
  }
  store::fsck_report check() { return store::fsck(*s_, dup_scope); }
  void raw_put(const std::string& key, const std::string& value) {
    ASSERT_TRUE(s_->db()->Put(rocksdb::WriteOptions(), key, value).ok());
  }

  temp_dir dir_;
  std::unique_ptr<store::store> s_;
  std::string id_;
};

TEST_F(fsck_test, passes_on_a_consistent_store) {
  auto r = check();
  EXPECT_TRUE(r.ok()) << (r.problems.empty() ? "" : r.problems.front());
  EXPECT_EQ(r.tickets, 3u);
  EXPECT_EQ(r.events, 6u);
}

TEST_F(fsck_test, reports_a_snapshot_that_differs_from_its_log) {
  auto t = s_->load_ticket(id_);
  ticket changed = **t;
  changed.unit_id = "someone-else";
  raw_put(store::snapshot_key(0, id_), codec::to_text(codec::encode(changed)));
  auto r = check();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.problems.front().find("differs from the fold"), std::string::npos) << r.problems.front();
}

TEST_F(fsck_test, reports_a_missing_and_a_stray_joined_appeal_row) {
  store::batch b(*s_, 0);
  auto t = b.load_ticket(id_);
  ASSERT_TRUE(t.ok() && *t);
  stage_join(b, **t, "src-9", "路灯一闪一闪的", at(2026, 2, 10, 10));
  ASSERT_TRUE(s_->commit(b).ok());
  ASSERT_TRUE(check().ok());
  const auto row = store::joined_key(0, id_, 0);
  const auto text = s_->get(row);
  ASSERT_TRUE(text.has_value());
  ASSERT_TRUE(s_->db()->Delete(rocksdb::WriteOptions(), row).ok());
  auto r = check();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.problems.front().find("row 0 is missing"), std::string::npos) << r.problems.front();
  raw_put(row, *text);
  raw_put(store::joined_key(0, id_, 1), *text);  // past the snapshot's count
  r = check();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.problems.front().find("stray joined appeal row " + store::joined_key(0, id_, 1)), std::string::npos)
      << r.problems.front();
}

TEST_F(fsck_test, reports_missing_and_stray_index_entries) {
  auto read = s_->first_timer(0);
  ASSERT_TRUE(read.ok() && read->has_value());
  const auto& first = **read;
  ASSERT_TRUE(s_->db()->Delete(rocksdb::WriteOptions(), store::timer_key(0, first.ticket_id, first.timer)).ok());
  pending_timer bogus{at(2026, 5, 1), clock_kind::verify, timer_kind::breach, 0};
  raw_put(store::timer_key(0, id_, bogus), "");
  auto r = check();
  ASSERT_EQ(r.problems.size(), 2u);
  EXPECT_NE(r.problems[0].find("missing index entry"), std::string::npos) << r.problems[0];
  EXPECT_NE(r.problems[1].find("stray index entry"), std::string::npos) << r.problems[1];
}

TEST_F(fsck_test, reports_a_gap_in_an_event_log) {
  ASSERT_TRUE(s_->db()->Delete(rocksdb::WriteOptions(), store::event_key(0, id_, 1)).ok());
  auto r = check();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.problems.front().find("gap"), std::string::npos) << r.problems.front();
}

// Obsolete files (WALs after their flush, compaction inputs) are deleted a chunk at a
// time in the background, so their discard does not stall the WAL's fsync; they still
// leave the directory promptly, with no trash left behind.
TEST(store, obsolete_files_are_deleted_in_the_background_and_do_not_pile_up) {
  temp_dir dir;
  store::options o{4, true, true, false};
  o.tune = [](rocksdb::Options& r) { r.write_buffer_size = 256 << 10; };  // a flush every few groups
  auto opened = store::store::open(dir.path() / "db", o);
  ASSERT_TRUE(opened.ok()) << opened.err().message;
  auto& s = **opened;
  const auto manager = s.db()->GetOptions().sst_file_manager;
  ASSERT_TRUE(manager);
  EXPECT_EQ(manager->GetDeleteRateBytesPerSecond(), store::kDeleteBytesPerSecond);
  EXPECT_EQ(manager->GetMaxTrashDBRatio(), store::kMaxTrashRatio);
  for (unsigned i = 1; i <= 300; ++i) {
    store::batch b(s, i % 4);
    stage_submit(b, store::make_ticket_id(at(2026, 2, 10, 9), i % 4, i), "src-" + std::to_string(i), at(2026, 2, 10, 9));
    ASSERT_TRUE(s.commit(b).ok());
  }
  ASSERT_TRUE(s.db()->Flush(rocksdb::FlushOptions()).ok());
  ASSERT_TRUE(s.db()->CompactRange(rocksdb::CompactRangeOptions(), nullptr, nullptr).ok());
  auto leftovers = [&] {
    std::size_t logs = 0, trash = 0;
    for (const auto& f : std::filesystem::directory_iterator(dir.path() / "db")) {
      const auto ext = f.path().extension();
      logs += ext == ".log";
      trash += ext == ".trash";
    }
    return std::pair{logs, trash};
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (leftovers() != std::pair<std::size_t, std::size_t>{1, 0} && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(leftovers(), (std::pair<std::size_t, std::size_t>{1, 0})) << "obsolete WALs or trash stayed behind";
  EXPECT_EQ(s.load_ticket(store::make_ticket_id(at(2026, 2, 10, 9), 1, 1)).value().has_value(), true);
}

// Levels 0 and 1 hold what was just written, uncompressed (flushes and the first
// compaction skip LZ4's per-block cost); the deeper levels, where a large store's bulk
// lies, are compressed.
TEST(store, fresh_levels_are_stored_uncompressed_and_deeper_levels_with_lz4) {
  temp_dir dir;
  auto opened = store::store::open(dir.path() / "db", store::options{4, false, true, false});
  ASSERT_TRUE(opened.ok()) << opened.err().message;
  auto& s = **opened;
  for (unsigned i = 1; i <= 200; ++i) {
    store::batch b(s, i % 4);
    stage_submit(b, store::make_ticket_id(at(2026, 2, 10, 9), i % 4, i), "src-" + std::to_string(i), at(2026, 2, 10, 9));
    ASSERT_TRUE(s.commit(b).ok());
  }
  auto* db = s.db();
  ASSERT_TRUE(db->Flush(rocksdb::FlushOptions()).ok());
  // table file name -> level and compression, as RocksDB recorded them
  auto tables = [db] {
    rocksdb::ColumnFamilyMetaData meta;
    db->GetColumnFamilyMetaData(&meta);
    rocksdb::TablePropertiesCollection props;
    EXPECT_TRUE(db->GetPropertiesOfAllTables(&props).ok());
    std::map<std::string, std::pair<int, std::string>> out;
    for (const auto& l : meta.levels) {
      for (const auto& f : l.files) {
        const auto it = std::find_if(props.begin(), props.end(), [&](const auto& p) {
          return std::filesystem::path(p.first).filename() == std::filesystem::path(f.name).filename();
        });
        out[f.name] = {l.level, it == props.end() ? "?" : it->second->compression_name};
      }
    }
    return out;
  };
  std::vector<std::string> flushed;
  for (const auto& [name, where] : tables()) {
    EXPECT_EQ(where, (std::pair<int, std::string>{0, "NoCompression"})) << name;
    flushed.push_back(name);
  }
  ASSERT_FALSE(flushed.empty());
  rocksdb::CompactionOptions by_level;  // as the store's own compactions: the output level's compression
  by_level.compression = rocksdb::kDisableCompressionOption;
  ASSERT_TRUE(db->CompactFiles(by_level, flushed, 1).ok());
  for (const auto& [name, where] : tables()) EXPECT_EQ(where, (std::pair<int, std::string>{1, "NoCompression"})) << name;
  std::vector<std::string> level1;
  for (const auto& [name, where] : tables()) level1.push_back(name);
  ASSERT_TRUE(db->CompactFiles(by_level, level1, 2).ok());
  const auto deep = tables();
  ASSERT_FALSE(deep.empty());
  for (const auto& [name, where] : deep) EXPECT_EQ(where, (std::pair<int, std::string>{2, "LZ4"})) << name;
  // Whatever the level, the data reads back.
  EXPECT_TRUE(s.load_ticket(store::make_ticket_id(at(2026, 2, 10, 9), 1, 1)).value().has_value());
}

// Pipelined sync: a group written with sync_later is the partition's to build on at
// once, and nobody else's to see until a sync() has made it durable.
std::unique_ptr<store::store> open_synced_store(const temp_dir& dir) {
  auto s = store::store::open(dir.path() / "db", store::options{4, true, true, false});
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.err().message);
  return std::move(s).value();
}

// Commits one submit from `source` as the first ticket of `partition`, deferring its
// sync when asked; returns the ticket's id.
std::string commit_submit(store::store& s, unsigned partition, const std::string& source, bool sync_later) {
  const auto id = store::make_ticket_id(at(2026, 2, 10, 9), partition, 1);
  store::batch b(s, partition);
  stage_submit(b, id, source, at(2026, 2, 10, 9));
  (void)b.next_counter("ticket_seq");
  EXPECT_TRUE(s.commit(b, sync_later).ok());
  return id;
}

TEST(store_pipelined_sync, a_deferred_commit_is_read_back_by_its_partition_and_shown_to_readers_once_synced) {
  temp_dir dir;
  auto s = open_synced_store(dir);
  ASSERT_TRUE(s->hold_reads_to_synced(true).ok());
  const auto id = commit_submit(*s, 1, "src-1", true);
  // Readers outside the partition: point reads, batched reads, scans, timers.
  auto seen = s->load_ticket(id);
  ASSERT_TRUE(seen.ok());
  EXPECT_FALSE(seen->has_value()) << "a ticket not yet synced was shown";
  EXPECT_FALSE(s->get(store::source_key(1, "src-1")).has_value());
  auto many = s->load_tickets({id});
  ASSERT_TRUE(many.ok());
  EXPECT_FALSE(many->front().has_value());
  std::size_t snapshots = 0;
  ASSERT_TRUE(s->scan(store::family_prefix(1, store::kSnapshot), [&](std::string_view, std::string_view) {
    ++snapshots;
    return true;
  }).ok());
  EXPECT_EQ(snapshots, 0u);
  auto timer = s->first_timer(1);
  ASSERT_TRUE(timer.ok());
  EXPECT_FALSE(timer->has_value());
  auto outbox = store::read_stream(*s, 1, store::stream::ticket_events, 0, 10);
  ASSERT_TRUE(outbox.ok());
  EXPECT_TRUE(outbox->empty()) << "events not yet synced would be published";

  // The partition's next group builds on it: the ticket, its source id and its counter.
  {
    store::batch next(*s, 1);
    auto t = next.load_ticket(id);
    ASSERT_TRUE(t.ok());
    ASSERT_TRUE(*t);
    EXPECT_EQ((*t)->id, id);
    EXPECT_EQ(next.get(store::source_key(1, "src-1")), id);
    EXPECT_EQ(next.counter("ticket_seq"), 1u);
    EXPECT_FALSE(next.read_failure());
  }

  ASSERT_TRUE(s->sync().ok());
  seen = s->load_ticket(id);
  ASSERT_TRUE(seen.ok());
  ASSERT_TRUE(seen->has_value());
  EXPECT_EQ((*seen)->id, id);
  EXPECT_EQ(s->get(store::source_key(1, "src-1")), id);
  timer = s->first_timer(1);
  ASSERT_TRUE(timer.ok());
  EXPECT_TRUE(timer->has_value());
  outbox = store::read_stream(*s, 1, store::stream::ticket_events, 0, 10);
  ASSERT_TRUE(outbox.ok());
  EXPECT_FALSE(outbox->empty());
}

TEST(store_pipelined_sync, writes_that_sync_at_once_are_shown_at_once_while_reads_are_held) {
  temp_dir dir;
  auto s = open_synced_store(dir);
  ASSERT_TRUE(s->hold_reads_to_synced(true).ok());
  const auto id = commit_submit(*s, 2, "src-2", false);  // durable when it returns, so visible too
  auto seen = s->load_ticket(id);
  ASSERT_TRUE(seen.ok());
  EXPECT_TRUE(seen->has_value());
  // Writes outside the partitions (delivery cursors, resume positions) likewise.
  ASSERT_TRUE(store::mark_delivered(*s, 2, store::stream::ticket_events, 1).ok());
  EXPECT_EQ(store::delivered(*s, 2, store::stream::ticket_events).value(), 1u);
  ASSERT_TRUE(store::save_resume_position(*s, "doorstep.appeals.v1/0", 41).ok());
  EXPECT_EQ(store::resume_position(*s, "doorstep.appeals.v1/0").value(), std::optional<std::int64_t>(41));
}

TEST(store_pipelined_sync, letting_go_of_the_hold_syncs_and_shows_the_latest_state) {
  temp_dir dir;
  auto s = open_synced_store(dir);
  ASSERT_TRUE(s->hold_reads_to_synced(true).ok());
  const auto id = commit_submit(*s, 3, "src-3", true);
  EXPECT_FALSE(s->load_ticket(id).value().has_value());
  ASSERT_TRUE(s->hold_reads_to_synced(false).ok());
  EXPECT_TRUE(s->load_ticket(id).value().has_value());
}

}  // namespace
}  // namespace doorstep
