// The partition's cache of decoded, committed tickets: least recently used eviction.
#include <gtest/gtest.h>

#include <algorithm>

#include "store/ticket_cache.h"

namespace doorstep {
namespace {

shared_ticket make(const std::string& id, std::uint64_t version = 1) {
  ticket t;
  t.id = id;
  t.version = version;
  return std::make_shared<const ticket>(std::move(t));
}

TEST(ticket_cache, finds_what_was_put_and_nothing_else) {
  store::ticket_cache c(4);
  c.put(make("T-1"));
  ASSERT_NE(c.find("T-1"), nullptr);
  EXPECT_EQ(c.find("T-1")->id, "T-1");
  EXPECT_EQ(c.find("T-2"), nullptr);
}

TEST(ticket_cache, a_newer_version_replaces_the_cached_one) {
  store::ticket_cache c(4);
  c.put(make("T-1", 1));
  c.put(make("T-1", 3));
  EXPECT_EQ(c.size(), 1u);
  EXPECT_EQ(c.find("T-1")->version, 3u);
}

TEST(ticket_cache, evicts_the_least_recently_used_beyond_capacity) {
  store::ticket_cache c(2);
  c.put(make("T-1"));
  c.put(make("T-2"));
  ASSERT_NE(c.find("T-1"), nullptr);  // T-1 is now the most recently used
  c.put(make("T-3"));
  EXPECT_EQ(c.size(), 2u);
  EXPECT_NE(c.find("T-1"), nullptr);
  EXPECT_EQ(c.find("T-2"), nullptr);
  EXPECT_NE(c.find("T-3"), nullptr);
}

TEST(ticket_cache, hands_out_the_ticket_it_was_given_which_outlives_its_eviction) {
  store::ticket_cache c(1);
  const auto given = make("T-1");
  c.put(given);
  const auto held = c.find("T-1");
  EXPECT_EQ(held.get(), given.get());  // shared, not copied
  c.put(make("T-2"));
  EXPECT_EQ(c.find("T-1"), nullptr);
  EXPECT_EQ(held->id, "T-1");  // a caller still holding it keeps it whole
}

TEST(ticket_cache, keeps_evicting_correctly_once_full) {
  // Once full, every put reuses the evicted entry's nodes: ids of other lengths, a
  // replacement and a lookup in between must all leave the map and the order agreeing.
  store::ticket_cache c(3);
  // The i-th id: its length varies with i.
  auto id_of = [](int i) { return "T-" + std::string(static_cast<std::size_t>(i % 7 + 1), 'x') + std::to_string(i); };
  for (int i = 0; i < 50; ++i) {
    const auto id = id_of(i);
    c.put(make(id, static_cast<std::uint64_t>(i + 1)));
    ASSERT_EQ(c.size(), static_cast<std::size_t>(std::min(i + 1, 3))) << i;
    ASSERT_NE(c.find(id), nullptr) << id;
    EXPECT_EQ(c.find(id)->version, static_cast<std::uint64_t>(i + 1));
    if (i >= 3) {
      EXPECT_EQ(c.find(id_of(i - 3)), nullptr) << id_of(i - 3);
    }
  }
  c.put(make(id_of(48), 100));  // a replacement while full evicts nothing
  EXPECT_EQ(c.size(), 3u);
  EXPECT_EQ(c.find(id_of(48))->version, 100u);
  EXPECT_NE(c.find(id_of(49)), nullptr);
  EXPECT_NE(c.find(id_of(47)), nullptr);
}

TEST(ticket_cache, gives_the_rows_put_with_a_ticket_only_for_that_version) {
  store::ticket_cache c(4);
  store::ticket_rows rows;
  rows.history.events = 5;
  rows.history.escalations["repeat_reports"] = 1;
  rows.index = {{"p001|t|0000000000100|T-1", ""}, {"p001|x|0000000000200|T-1", "row"}};
  rows.dup_scope = "吕河社区";
  c.put(make("T-1", 3), rows);
  c.put(make("T-2", 1));  // put without them
  const auto* got = c.rows("T-1", 3);
  ASSERT_NE(got, nullptr);
  EXPECT_EQ(got->history.events, 5u);
  EXPECT_EQ(got->history.escalations.at("repeat_reports"), 1u);
  EXPECT_EQ(got->index, rows.index);
  EXPECT_EQ(got->dup_scope, "吕河社区");
  EXPECT_EQ(c.rows("T-1", 2), nullptr);  // another version: the rows must be read or computed
  EXPECT_EQ(c.rows("T-2", 1), nullptr);
  EXPECT_EQ(c.rows("T-3", 1), nullptr);
  c.put(make("T-1", 4));  // a newer version without rows drops the old ones
  EXPECT_EQ(c.rows("T-1", 4), nullptr);
  EXPECT_EQ(c.rows("T-1", 3), nullptr);
}

TEST(ticket_cache, capacity_zero_caches_nothing_and_clear_empties_it) {
  store::ticket_cache none(0);
  none.put(make("T-1"));
  EXPECT_EQ(none.find("T-1"), nullptr);
  store::ticket_cache c(3);
  c.put(make("T-1"));
  c.clear();
  EXPECT_EQ(c.size(), 0u);
  EXPECT_EQ(c.find("T-1"), nullptr);
}

}  // namespace
}  // namespace doorstep
