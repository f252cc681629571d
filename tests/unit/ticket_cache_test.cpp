// The partition's cache of decoded, committed tickets: least recently used eviction.
#include <gtest/gtest.h>

#include "store/ticket_cache.h"

namespace doorstep {
namespace {

ticket make(const std::string& id, std::uint64_t version = 1) {
  ticket t;
  t.id = id;
  t.version = version;
  return t;
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
