// Backups as an operator takes them: online through POST /api/v1/admin/backup of a
// running `doorstep serve`, offline with `doorstep backup` of a stopped store, and the
// restore of docs/operations.md (stop, move the backup into place, fsck, start).
#include <gtest/gtest.h>

#include <filesystem>

#include "support/http_client.h"

namespace doorstep {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using testing::run_command;
using testing::temp_dir;
using testing::test_server;

const std::string kConfig = std::string(DOORSTEP_SOURCE_DIR) + "/config/doorstep.yaml";

std::string str(const json::value& v, const char* key) { return std::string(v.at(key).as_string()); }

// Files an appeal at `place`; returns the new ticket's id.
std::string file(test_server& srv, const std::string& place, const std::string& category) {
  auto r = srv.post("demo-operator", "/api/v1/appeals",
                    R"({"category":")" + category + R"(","description":"楼道里有问题，请处理","location":{"jurisdiction_id":")" +
                        place + R"("}})");
  EXPECT_EQ(r.status, 201) << r.body;
  return str(r.json(), "ticket_id");
}

// `doorstep <args>` with stderr folded into the output.
testing::run_result doorstep(const std::string& args) {
  return run_command({"/bin/sh", "-c", std::string(DOORSTEP_BINARY) + " --config " + kConfig + " " + args + " 2>&1"});
}

std::size_t entries(const fs::path& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) return 0;
  return static_cast<std::size_t>(std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

TEST(backup, an_online_backup_restores_exactly_the_tickets_committed_before_it) {
  temp_dir work;
  const auto data = work.path() / "data";
  const auto backups = work.path() / "backups";
  std::vector<std::string> before, after;
  std::string backup;
  {
    test_server srv({"--backup-dir", backups.string()}, data);
    before.push_back(file(srv, "runtai-huayuan-b1", "small_ads"));
    before.push_back(file(srv, "xingyan-jiayuan-b1", "noise"));
    ASSERT_EQ(srv.post("demo-building-head", "/api/v1/tickets/" + before[0] + "/actions", R"({"action":"accept"})").status, 200);

    auto r = srv.post("demo-admin", "/api/v1/admin/backup", "");
    ASSERT_EQ(r.status, 201) << r.body;
    backup = str(r.json(), "path");
    EXPECT_EQ(fs::path(backup).parent_path(), fs::weakly_canonical(backups));
    EXPECT_TRUE(fs::exists(fs::path(backup) / "store" / "CURRENT"));
    EXPECT_TRUE(fs::exists(fs::path(backup) / "tokens.json"));
    EXPECT_FALSE(str(r.json(), "created_at").empty());

    // After the backup: two more tickets, and the first one moves on.
    after.push_back(file(srv, "runtai-xincun-b1", "garbage"));
    after.push_back(file(srv, "mixiang-laojie-b1", "small_ads"));
    ASSERT_EQ(srv.post("demo-building-head", "/api/v1/tickets/" + before[0] + "/actions",
                       R"({"action":"resolve","note":"已清理"})")
                  .status,
              200);
    EXPECT_EQ(srv.stop(), 0);
  }

  // Restore as docs/operations.md says: keep the old store aside, move the backup in.
  fs::rename(data / "store", data / "store.before-restore");
  fs::rename(fs::path(backup) / "store", data / "store");
  fs::copy_file(fs::path(backup) / "tokens.json", data / "tokens.json", fs::copy_options::overwrite_existing);
  auto check = doorstep("fsck --data " + data.string());
  EXPECT_EQ(check.code, 0) << check.out;
  EXPECT_NE(check.out.find("fsck: 2 tickets"), std::string::npos) << check.out;

  test_server restored({}, data);
  for (const auto& id : before) EXPECT_EQ(restored.get("demo-admin", "/api/v1/tickets/" + id).status, 200) << id;
  for (const auto& id : after) EXPECT_EQ(restored.get("demo-admin", "/api/v1/tickets/" + id).status, 404) << id;
  EXPECT_EQ(restored.get("demo-admin", "/api/v1/tickets").json().at("total").as_int64(), 2);
  auto first = restored.get("demo-admin", "/api/v1/tickets/" + before[0]);
  EXPECT_EQ(str(first.json(), "status"), "accepted");  // as at the backup, not resolved
}

TEST(backup, online_backups_are_for_admins_into_the_configured_directory_only) {
  temp_dir work;
  const auto backups = work.path() / "backups";
  const auto elsewhere = work.path() / "elsewhere";
  test_server srv({"--backup-dir", backups.string()});
  EXPECT_EQ(srv.post("demo-supervisor", "/api/v1/admin/backup", "").status, 403);
  auto chosen = srv.post("demo-admin", "/api/v1/admin/backup", R"({"path":")" + elsewhere.string() + R"("})");
  EXPECT_EQ(chosen.status, 422) << chosen.body;
  EXPECT_EQ(str(chosen.json(), "code"), "invalid_field");
  EXPECT_EQ(str(chosen.json(), "field"), "path");
  EXPECT_EQ(srv.post("demo-admin", "/api/v1/admin/backup", "[]").status, 422);
  EXPECT_EQ(srv.post("demo-admin", "/api/v1/admin/backup", "not json").status, 400);
  EXPECT_FALSE(fs::exists(elsewhere));
  EXPECT_EQ(entries(backups), 0u);
  // An empty JSON object is as good as no body; two backups get two directories.
  EXPECT_EQ(srv.post("demo-admin", "/api/v1/admin/backup", "{}").status, 201);
  EXPECT_EQ(srv.post("demo-admin", "/api/v1/admin/backup", "").status, 201);
  EXPECT_EQ(entries(backups), 2u);
}

TEST(backup, without_a_backup_dir_online_backups_are_off) {
  test_server srv;
  auto r = srv.post("demo-admin", "/api/v1/admin/backup", "");
  EXPECT_EQ(r.status, 404) << r.body;
  EXPECT_NE(r.body.find("--backup-dir"), std::string::npos) << r.body;
}

TEST(backup, serve_refuses_a_backup_dir_inside_the_store_and_creates_nothing) {
  temp_dir work;
  const auto inside = work.path() / "data" / "store" / "backups";
  auto r = doorstep("serve --listen 127.0.0.1:0 --data " + (work.path() / "data").string() + " --backup-dir " +
                    inside.string());
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("inside the store"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(work.path() / "data"));
}

TEST(backup, the_offline_backup_of_a_stopped_store_is_a_data_directory_fsck_accepts) {
  temp_dir work;
  const auto data = work.path() / "data";
  std::vector<std::string> ids;
  {
    test_server srv({}, data);
    ids.push_back(file(srv, "runtai-huayuan-b1", "small_ads"));
    ids.push_back(file(srv, "hongmei-xincun-b1", "noise"));
    ids.push_back(file(srv, "xingyan-jiayuan-b1", "garbage"));
    // While the engine runs, the store is locked: the CLI says so and writes nothing.
    auto busy = doorstep("backup --data " + data.string() + " --to " + (work.path() / "busy").string());
    EXPECT_EQ(busy.code, 2) << busy.out;
    EXPECT_NE(busy.out.find("POST /api/v1/admin/backup"), std::string::npos) << busy.out;
    EXPECT_FALSE(fs::exists(work.path() / "busy"));
    EXPECT_EQ(srv.stop(), 0);
  }
  const auto copy = work.path() / "copies" / "offline";
  auto r = doorstep("backup --data " + data.string() + " --to " + copy.string());
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_TRUE(fs::exists(copy / "tokens.json"));
  auto check = doorstep("fsck --data " + copy.string());
  EXPECT_EQ(check.code, 0) << check.out;
  EXPECT_NE(check.out.find("fsck: 3 tickets"), std::string::npos) << check.out;

  // The backup serves like the original.
  test_server from_backup({}, copy);
  for (const auto& id : ids) EXPECT_EQ(from_backup.get("demo-admin", "/api/v1/tickets/" + id).status, 200) << id;

  // An existing target, or no store, is refused and nothing changes.
  auto again = doorstep("backup --data " + data.string() + " --to " + copy.string());
  EXPECT_EQ(again.code, 2) << again.out;
  EXPECT_NE(again.out.find("already exists"), std::string::npos) << again.out;
  auto none = doorstep("backup --data " + (work.path() / "nothing").string() + " --to " + (work.path() / "x").string());
  EXPECT_EQ(none.code, 2) << none.out;
  EXPECT_FALSE(fs::exists(work.path() / "x"));
  EXPECT_FALSE(fs::exists(work.path() / "nothing"));
}

}  // namespace
}  // namespace doorstep
