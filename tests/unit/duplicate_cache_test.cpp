// The duplicate cache: a partition's committed open-duplicate index ranges, kept exact by
// the writes of committed groups, answering only at or above each range's low-water key.
#include <gtest/gtest.h>

#include "store/duplicate_cache.h"
#include "store/keys.h"
#include "support/test_support.h"

namespace doorstep {
namespace {

using testing::at;

const std::string kPrefix = store::duplicate_prefix(3, "street_light", "runtai-huayuan");  // 润泰花园
const std::string kOther = store::duplicate_prefix(3, "noise", "runtai-huayuan");

std::string entry(const std::string& prefix, instant created, std::string_view ticket) {
  return store::duplicate_key_from(prefix, created) + std::string(ticket);
}

std::vector<std::string> ids(const store::duplicate_cache::keys* held, const std::string& prefix) {
  std::vector<std::string> out;
  if (held == nullptr) return out;
  for (const auto& k : *held) out.emplace_back(store::duplicate_ticket(k, prefix));
  return out;
}

const auto t9 = at(2026, 3, 2, 9);
const auto t10 = at(2026, 3, 2, 10);
const auto t11 = at(2026, 3, 2, 11);

TEST(duplicate_cache, answers_only_for_a_loaded_range_at_or_after_its_low_water_key) {
  store::duplicate_cache c(100);
  const auto from10 = store::duplicate_key_from(kPrefix, t10);
  EXPECT_EQ(c.find(kPrefix, from10), nullptr);  // never loaded
  c.load(kPrefix, from10, {entry(kPrefix, t10, "T20260302-003-000001"), entry(kPrefix, t11, "T20260302-003-000002")});
  EXPECT_EQ(ids(c.find(kPrefix, from10), kPrefix), (std::vector<std::string>{"T20260302-003-000001", "T20260302-003-000002"}));
  EXPECT_EQ(c.find(kPrefix, store::duplicate_key_from(kPrefix, t9)), nullptr);  // older than what it holds
  EXPECT_EQ(c.find(kOther, store::duplicate_key_from(kOther, t10)), nullptr);   // another category
}

TEST(duplicate_cache, a_later_lookup_drops_the_entries_before_it_and_an_earlier_one_then_misses) {
  store::duplicate_cache c(100);
  c.load(kPrefix, store::duplicate_key_from(kPrefix, t9),
         {entry(kPrefix, t9, "T20260302-003-000001"), entry(kPrefix, t11, "T20260302-003-000002")});
  EXPECT_EQ(c.size(), 2u);
  EXPECT_EQ(ids(c.find(kPrefix, store::duplicate_key_from(kPrefix, t10)), kPrefix),
            (std::vector<std::string>{"T20260302-003-000002"}));
  EXPECT_EQ(c.size(), 1u);
  EXPECT_EQ(c.find(kPrefix, store::duplicate_key_from(kPrefix, t9)), nullptr);  // no longer held: read the store
}

TEST(duplicate_cache, committed_writes_of_held_prefixes_are_applied_others_ignored) {
  store::duplicate_cache c(100);
  const auto from10 = store::duplicate_key_from(kPrefix, t10);
  c.load(kPrefix, from10, {entry(kPrefix, t10, "T20260302-003-000001")});
  c.committed(entry(kPrefix, t11, "T20260302-003-000002"), true);   // a new open ticket
  c.committed(entry(kPrefix, t10, "T20260302-003-000001"), false);  // closed
  c.committed(entry(kPrefix, t9, "T20260302-003-000003"), true);    // below the range: not held
  c.committed(entry(kOther, t11, "T20260302-003-000004"), true);    // a prefix never looked up
  EXPECT_EQ(ids(c.find(kPrefix, from10), kPrefix), (std::vector<std::string>{"T20260302-003-000002"}));
  EXPECT_EQ(c.size(), 1u);
  EXPECT_EQ(c.prefixes(), 1u);
  c.committed("p003|d|not-a-duplicate-key", true);  // a shape it cannot place: nothing is trusted
  EXPECT_EQ(c.find(kPrefix, from10), nullptr);
  EXPECT_EQ(c.size(), 0u);
}

TEST(duplicate_cache, past_its_capacity_it_keeps_the_newest_range_only) {
  store::duplicate_cache c(2);
  c.load(kOther, store::duplicate_key_from(kOther, t10), {entry(kOther, t10, "T20260302-003-000009")});
  const auto from10 = store::duplicate_key_from(kPrefix, t10);
  c.load(kPrefix, from10, {entry(kPrefix, t10, "T20260302-003-000001")});
  EXPECT_EQ(c.prefixes(), 2u);
  c.committed(entry(kPrefix, t11, "T20260302-003-000002"), true);  // a third key
  EXPECT_EQ(c.prefixes(), 1u);
  EXPECT_EQ(c.find(kOther, store::duplicate_key_from(kOther, t10)), nullptr);
  EXPECT_EQ(ids(c.find(kPrefix, from10), kPrefix), (std::vector<std::string>{"T20260302-003-000001", "T20260302-003-000002"}));
  EXPECT_EQ(c.size(), 2u);
}

}  // namespace
}  // namespace doorstep
