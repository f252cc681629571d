// API authentication plumbing: command ids for requests that name none, and the token
// provider's reloads (a revoked token stops working even after it was accepted).
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "api/auth.h"
#include "api/handler.h"
#include "support/test_support.h"

namespace doorstep {
namespace {

using testing::temp_dir;

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

TEST(token_provider, a_revoked_token_is_refused_at_the_next_check_though_it_was_accepted_before) {
  temp_dir dir;
  const auto file = dir.path() / "tokens.json";
  api::token_store tokens;
  ASSERT_TRUE(tokens.add(api::token_record{"", "王芳", role::operator_, "*", ""}, "ds_operator").ok());
  ASSERT_TRUE(tokens.add(api::token_record{"", "李强", role::admin, "*", ""}, "ds_admin").ok());
  ASSERT_TRUE(tokens.save(file).ok());

  api::token_provider provider(file);
  for (int i = 0; i < 3; ++i) {  // found, then found again (from the provider's memory)
    auto r = provider.find("ds_operator");
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->name, "王芳");
    EXPECT_EQ(r->who, role::operator_);
  }
  EXPECT_FALSE(provider.find("ds_nobody").has_value());
  EXPECT_FALSE(provider.find("").has_value());

  // Revoked moments after the file was written: within the same clock tick its
  // modification time can come out unchanged, but the save replaced the file.
  ASSERT_TRUE(tokens.revoke("王芳"));
  ASSERT_TRUE(tokens.save(file).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // the file is checked once a second
  EXPECT_FALSE(provider.find("ds_operator").has_value());
  auto admin = provider.find("ds_admin");
  ASSERT_TRUE(admin.has_value());
  EXPECT_EQ(admin->name, "李强");
}

}  // namespace
}  // namespace doorstep
