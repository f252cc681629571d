// API plumbing: command ids for requests that name none.
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "api/auth.h"
#include "support/test_support.h"

namespace doorstep {
namespace {

TEST(command_id, is_the_prefix_and_sixteen_hex_digits_and_never_repeats) {
  std::set<std::string> seen;
  for (int i = 0; i < 100000; ++i) {
    auto id = api::command_id("http-");
    ASSERT_EQ(id.size(), 21u) << id;
    ASSERT_EQ(id.substr(0, 5), "http-");
    ASSERT_EQ(id.find_first_not_of("0123456789abcdef", 5), std::string::npos) << id;
    ASSERT_TRUE(seen.insert(std::move(id)).second) << "repeated after " << i << " ids";
  }
  // Another thread draws from its own sequence, seeded independently.
  std::set<std::string> other;
  std::thread([&] {
    for (int i = 0; i < 100000; ++i) other.insert(api::command_id("http-"));
  }).join();
  EXPECT_EQ(other.size(), 100000u);
  for (const auto& id : other) ASSERT_EQ(seen.count(id), 0u) << id << " drawn by both threads";
}

}  // namespace
}  // namespace doorstep
