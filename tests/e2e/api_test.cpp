// The HTTP API over real sockets against a `doorstep serve` child process: the
// operator > handler > supervisor loop, auth and scopes, bad input, idempotency,
// the worklist, stats, the simulated clock and graceful shutdown.
#include <gtest/gtest.h>

#include "support/http_client.h"

namespace doorstep {
namespace {

namespace json = boost::json;
using testing::http_reply;
using testing::test_server;

const std::string kAppeal =
    R"({"channel":"hotline","category":"small_ads","description":"楼道里贴满了小广告，请尽快清理",)"
    R"("location":{"jurisdiction_id":"runtai-huayuan-b1","address":"润泰花园1号楼"},)"
    R"("resident":{"name":"王秀英","phone":"13812345678"}})";

std::string str(const json::value& v, const char* key) { return std::string(v.at(key).as_string()); }

class api : public ::testing::Test {
 protected:
  http_reply file(const std::string& body = kAppeal, std::map<std::string, std::string> h = {}) {
    return srv_.post("demo-operator", "/api/v1/appeals", body, std::move(h));
  }
  std::string file_ticket() {
    auto r = file();
    EXPECT_EQ(r.status, 201) << r.body;
    return str(r.json(), "ticket_id");
  }
  http_reply act(const std::string& token, const std::string& id, const std::string& body,
                 std::map<std::string, std::string> h = {}) {
    return srv_.post(token, "/api/v1/tickets/" + id + "/actions", body, std::move(h));
  }
  std::int64_t total_tickets() {
    auto r = srv_.get("demo-admin", "/api/v1/tickets");
    return r.json().at("total").as_int64();
  }
  void expect_problem(const http_reply& r, int status, const std::string& code, const std::string& field = {}) {
    EXPECT_EQ(r.status, status) << r.body;
    const auto ct = r.headers.count("content-type") ? r.headers.at("content-type") : std::string{};
    EXPECT_EQ(ct.rfind("application/problem+json", 0), 0u) << ct;
    auto j = r.json();
    EXPECT_EQ(str(j, "code"), code) << r.body;
    EXPECT_EQ(j.at("status").as_int64(), status);
    EXPECT_EQ(str(j, "type"), "https://doorstep.dev/problems/" + code);
    if (!field.empty()) {
      EXPECT_EQ(str(j, "field"), field) << r.body;
    }
  }

  test_server srv_;
};

TEST_F(api, an_operator_files_an_appeal_that_stays_in_the_building) {
  auto r = file();
  ASSERT_EQ(r.status, 201) << r.body;
  auto j = r.json();
  EXPECT_EQ(str(j, "status"), "dispatched");
  EXPECT_EQ(str(j, "level"), "building");
  EXPECT_EQ(str(j, "unit_id"), "runtai-huayuan-b1-head");
  EXPECT_FALSE(j.at("joined").as_bool());
  // small-3d on the working calendar, filed Monday 2026-03-02 09:00
  EXPECT_EQ(str(j.at("deadlines"), "accept"), "2026-03-02T11:00:00+08:00");
  EXPECT_EQ(str(j.at("deadlines"), "resolve"), "2026-03-05T09:00:00+08:00");
  EXPECT_EQ(r.headers["location"], "/api/v1/tickets/" + str(j, "ticket_id"));
  auto t = srv_.get("demo-operator", r.headers["location"]);
  ASSERT_EQ(t.status, 200);
  EXPECT_EQ(str(t.json(), "description"), "楼道里贴满了小广告，请尽快清理");
  EXPECT_EQ(t.headers["etag"], "\"2\"");
}

TEST_F(api, the_whole_loop_accept_resolve_verify_rate_closes_the_ticket) {
  const auto id = file_ticket();
  EXPECT_EQ(act("demo-building-head", id, R"({"action":"accept"})").status, 200);
  EXPECT_EQ(act("demo-building-head", id, R"({"action":"contact","note":"已电话联系居民"})").status, 200);
  EXPECT_EQ(act("demo-building-head", id, R"({"action":"resolve","note":"已清理完毕"})").status, 200);
  EXPECT_EQ(act("demo-supervisor", id, R"({"action":"verify","passed":true,"note":"现场核查"})").status, 200);
  auto rated = act("demo-operator", id, R"({"action":"rate","score":5})");
  ASSERT_EQ(rated.status, 200) << rated.body;
  EXPECT_EQ(str(rated.json().at("ticket"), "status"), "closed");
  EXPECT_EQ(rated.json().at("ticket").at("rating").as_int64(), 5);
  auto events = srv_.get("demo-operator", "/api/v1/tickets/" + id + "/events");
  std::vector<std::string> types;
  const auto history = events.json();
  for (const auto& e : history.at("events").as_array()) types.push_back(str(e, "type"));
  EXPECT_EQ(types, (std::vector<std::string>{"received", "dispatched", "accepted", "contacted", "resolved", "verified",
                                             "rated", "closed"}));
  auto closed = srv_.get("demo-supervisor", "/api/v1/tickets?status=closed");
  EXPECT_EQ(closed.json().at("total").as_int64(), 1);
}

TEST_F(api, the_same_idempotency_key_and_body_returns_the_first_answer) {
  auto first = file(kAppeal, {{"Idempotency-Key", "call-0001"}});
  auto again = file(kAppeal, {{"Idempotency-Key", "call-0001"}});
  ASSERT_EQ(first.status, 201);
  EXPECT_EQ(again.status, 201);
  EXPECT_EQ(str(again.json(), "ticket_id"), str(first.json(), "ticket_id"));
  EXPECT_EQ(total_tickets(), 1);
  auto other = file(R"({"category":"noise","description":"夜里很吵","location":{"jurisdiction_id":"runtai-huayuan-b1"}})",
                    {{"Idempotency-Key", "call-0001"}});
  expect_problem(other, 409, "idempotency_conflict");
  EXPECT_EQ(total_tickets(), 1);
}

TEST_F(api, a_neighbour_reporting_the_same_problem_joins_the_open_ticket) {
  const auto id = file_ticket();
  auto dup = file(R"({"category":"small_ads","description":"3号楼也贴了小广告","location":{"jurisdiction_id":"runtai-huayuan-b3"}})");
  ASSERT_EQ(dup.status, 200) << dup.body;
  EXPECT_TRUE(dup.json().at("joined").as_bool());
  EXPECT_EQ(str(dup.json(), "ticket_id"), id);
  auto t = srv_.get("demo-operator", "/api/v1/tickets/" + id);
  EXPECT_EQ(t.json().at("appeals").as_array().size(), 2u);
}

TEST_F(api, requests_without_a_known_token_are_unauthorized_and_change_nothing) {
  auto none = testing::http_request(srv_.port(), "POST", "/api/v1/appeals", kAppeal, {{"Content-Type", "application/json"}});
  expect_problem(none, 401, "unauthorized");
  EXPECT_EQ(none.headers["www-authenticate"], "Bearer realm=\"doorstep\"");
  expect_problem(srv_.post("ds_forged0000000000000000000000000000000000", "/api/v1/appeals", kAppeal), 401, "unauthorized");
  EXPECT_EQ(total_tickets(), 0);
}

TEST_F(api, roles_and_scopes_limit_what_a_token_may_do) {
  const auto id = file_ticket();
  // a handler may not file appeals
  expect_problem(srv_.post("demo-building-head", "/api/v1/appeals", kAppeal), 403, "forbidden");
  // a handler acts only on tickets dispatched to its unit
  expect_problem(act("demo-grid-worker", id, R"({"action":"accept"})"), 403, "forbidden");
  // an operator may not resolve
  expect_problem(act("demo-operator", id, R"({"action":"accept"})"), 403, "forbidden");
  // a supervisor scoped to 润泰社区 cannot see a ticket in 红梅社区 (Hangzhou)
  auto far = file(R"({"category":"noise","description":"楼上噪音","location":{"jurisdiction_id":"hongmei-xincun-b1"}})");
  ASSERT_EQ(far.status, 201) << far.body;
  const auto far_id = str(far.json(), "ticket_id");
  expect_problem(srv_.get("demo-runtai-supervisor", "/api/v1/tickets/" + far_id), 404, "not_found");
  EXPECT_EQ(srv_.get("demo-runtai-supervisor", "/api/v1/tickets/" + id).status, 200);
  EXPECT_EQ(srv_.get("demo-runtai-supervisor", "/api/v1/tickets").json().at("total").as_int64(), 1);
  // only admins move the clock
  expect_problem(srv_.post("demo-supervisor", "/api/v1/admin/clock", R"({"advance":"PT1H"})"), 403, "forbidden");
  auto t = srv_.get("demo-operator", "/api/v1/tickets/" + id);
  EXPECT_EQ(str(t.json(), "status"), "dispatched");  // none of the refused actions happened
}

TEST_F(api, resident_details_are_masked_for_roles_that_may_not_see_them) {
  const auto id = file_ticket();
  auto sup = srv_.get("demo-supervisor", "/api/v1/tickets/" + id).json();
  auto op = srv_.get("demo-operator", "/api/v1/tickets/" + id).json();
  const auto& masked = sup.at("appeals").at(0).at("resident");
  EXPECT_EQ(str(masked, "phone"), "138****5678");
  EXPECT_EQ(str(masked, "name"), "王**");
  EXPECT_EQ(str(op.at("appeals").at(0).at("resident"), "phone"), "13812345678");
  auto events = srv_.get("demo-supervisor", "/api/v1/tickets/" + id + "/events");
  EXPECT_EQ(events.body.find("13812345678"), std::string::npos);
}

TEST_F(api, bad_input_gets_a_specific_problem_and_stores_nothing) {
  expect_problem(file("{\"category\": "), 400, "invalid_json");
  expect_problem(file(R"({"category":5,"description":"x","location":{"jurisdiction_id":"runtai-huayuan-b1"}})"), 422,
                 "invalid_field", "category");
  expect_problem(file(R"({"category":"small_ads","location":{"jurisdiction_id":"runtai-huayuan-b1"}})"), 422,
                 "missing_field", "description");
  expect_problem(file("{\"category\":\"small_ads\",\"description\":\"\xff\xfe\",\"location\":{\"jurisdiction_id\":\"x\"}}"),
                 400, "invalid_json");
  expect_problem(file(R"({"category":"flying_saucer","description":"x","location":{"jurisdiction_id":"runtai-huayuan-b1"}})"),
                 422, "unknown_category", "category");
  expect_problem(file(R"({"category":"small_ads","description":"x","location":{"jurisdiction_id":"atlantis"}})"), 422,
                 "unknown_jurisdiction", "location.jurisdiction_id");
  expect_problem(file(R"({"category":"small_ads","description":"x","severity":"apocalyptic","location":{"jurisdiction_id":"runtai-huayuan-b1"}})"),
                 422, "invalid_field", "severity");
  expect_problem(srv_.post("demo-operator", "/api/v1/appeals", kAppeal, {{"Content-Type", "text/plain"}}), 415,
                 "unsupported_media_type");
  expect_problem(file(std::string(70 * 1024, ' ') + kAppeal), 413, "payload_too_large");
  expect_problem(srv_.get("demo-operator", "/api/v1/appeals"), 405, "method_not_allowed");
  expect_problem(srv_.get("demo-operator", "/api/v1/nothing-here"), 404, "not_found");
  expect_problem(srv_.get("demo-operator", "/api/v1/tickets?status=lost"), 422, "invalid_field", "status");
  EXPECT_EQ(total_tickets(), 0);
}

TEST_F(api, illegal_transitions_and_stale_versions_are_refused) {
  const auto id = file_ticket();
  expect_problem(act("demo-building-head", id, R"({"action":"resolve"})"), 409, "illegal_transition");
  expect_problem(act("demo-building-head", id, R"({"action":"accept"})", {{"If-Match", "\"1\""}}), 412, "stale_version");
  expect_problem(act("demo-operator", id, R"({"action":"rate","score":9})"), 422, "invalid_field", "score");
  expect_problem(act("demo-building-head", id, R"({"action":"fly"})"), 422, "invalid_field", "action");
  auto ok = act("demo-building-head", id, R"({"action":"accept"})", {{"If-Match", "\"2\""}});
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.headers["etag"], "\"3\"");
  auto events = srv_.get("demo-operator", "/api/v1/tickets/" + id + "/events");
  EXPECT_EQ(events.json().at("events").as_array().size(), 3u);
}

TEST_F(api, the_simulated_clock_fires_deadlines_and_the_worklist_shows_overdue_tickets) {
  const auto id = file_ticket();
  EXPECT_EQ(srv_.get("demo-supervisor", "/api/v1/tickets?overdue=true").json().at("total").as_int64(), 0);
  // 09:00 + 1h30m: past 75% of the 2 working hour accept target
  auto moved = srv_.post("demo-admin", "/api/v1/admin/clock", R"({"advance":"PT1H40M"})");
  ASSERT_EQ(moved.status, 200) << moved.body;
  EXPECT_EQ(moved.json().at("timers_fired").as_int64(), 2);  // two at-risk warnings
  auto at_risk = srv_.get("demo-supervisor", "/api/v1/tickets?at_risk=true");
  EXPECT_EQ(at_risk.json().at("total").as_int64(), 1);
  auto late = srv_.post("demo-admin", "/api/v1/admin/clock", R"({"set":"2026-03-02T11:00:00+08:00"})");
  ASSERT_EQ(late.status, 200);
  auto t = srv_.get("demo-supervisor", "/api/v1/tickets/" + id).json();
  EXPECT_EQ(str(t, "level"), "grid");  // accept_overdue escalated it
  EXPECT_EQ(str(t.at("escalations").at(0), "reason"), "accept_overdue");
  expect_problem(srv_.post("demo-admin", "/api/v1/admin/clock", R"({"set":"2026-01-01T00:00:00+08:00"})"), 422,
                 "invalid_field", "set");
}

TEST_F(api, the_worklist_pages_with_a_cursor_in_deadline_order) {
  const std::vector<std::string> places{"runtai-huayuan-b1", "runtai-xincun-b1", "hongmei-xincun-b1", "jingfang-5-b2",
                                        "runtai-huayuan-b3"};
  const std::vector<std::string> cats{"small_ads", "noise", "gas_smell"};
  for (const auto& p : places) {
    for (const auto& c : cats) {
      auto r = file(R"({"category":")" + c + R"(","description":"测试","location":{"jurisdiction_id":")" + p + R"("}})");
      ASSERT_TRUE(r.status == 201 || r.status == 200) << r.body;
    }
  }
  const auto total = total_tickets();
  std::vector<std::string> seen;
  std::string cursor;
  std::string last_due;
  for (int page = 0; page < 20; ++page) {
    auto r = srv_.get("demo-supervisor", "/api/v1/tickets?limit=4" + (cursor.empty() ? "" : "&cursor=" + cursor)).json();
    for (const auto& t : r.at("tickets").as_array()) {
      seen.push_back(str(t, "ticket_id"));
      const auto due = str(t.at("deadlines"), "accept");
      EXPECT_LE(last_due, due);  // accept is the nearest deadline of every fresh ticket
      last_due = due;
    }
    if (r.at("next_cursor").is_null()) break;
    cursor = str(r, "next_cursor");
  }
  EXPECT_EQ(static_cast<std::int64_t>(seen.size()), total);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), seen.size());
  auto gas = srv_.get("demo-supervisor", "/api/v1/tickets?category=gas_smell&level=department").json();
  EXPECT_GE(gas.at("total").as_int64(), 1);
}

TEST_F(api, the_overdue_worklist_read_from_keys_alone_matches_the_one_read_from_whole_rows) {
  // An overdue query with no other filter, by a token that sees everywhere, reads only
  // the index keys; any other filter parses every row. Both must give the same tickets.
  const std::vector<std::string> places{"runtai-huayuan-b1", "runtai-xincun-b1", "hongmei-xincun-b1", "jingfang-5-b2"};
  for (const auto& p : places) {
    for (const std::string c : {"small_ads", "noise", "gas_smell"}) {
      auto r = file(R"({"category":")" + c + R"(","description":"楼道里有煤气味","location":{"jurisdiction_id":")" + p + R"("}})");
      ASSERT_TRUE(r.status == 201 || r.status == 200) << r.body;
    }
  }
  auto moved = srv_.post("demo-admin", "/api/v1/admin/clock", R"({"advance":"PT20M"})");
  ASSERT_EQ(moved.status, 200) << moved.body;
  // The expected set, from the tickets themselves: a running clock past its due.
  std::set<std::string> expected, expected_runtai;
  std::string cursor;
  for (int page = 0; page < 50; ++page) {
    auto r = srv_.get("demo-supervisor", "/api/v1/tickets?limit=5" + (cursor.empty() ? "" : "&cursor=" + cursor)).json();
    for (const auto& t : r.at("tickets").as_array()) {
      for (const auto& [name, clk] : t.at("sla").as_object()) {
        const auto& o = clk.as_object();
        if (str(clk, "state") == "breached" && !o.contains("stopped_at") && !o.contains("remaining_ms")) {
          expected.insert(str(t, "ticket_id"));
          if (str(t, "jurisdiction_id").rfind("runtai", 0) == 0) expected_runtai.insert(str(t, "ticket_id"));
        }
      }
    }
    if (r.at("next_cursor").is_null()) break;
    cursor = str(r, "next_cursor");
  }
  ASSERT_GT(expected.size(), 0u);
  ASSERT_LT(static_cast<std::int64_t>(expected.size()), total_tickets());  // some are not overdue
  ASSERT_GT(expected_runtai.size(), 0u);
  ASSERT_LT(expected_runtai.size(), expected.size());
  auto overdue = [&](const std::string& token, const std::string& query) {
    std::vector<std::string> ids;
    std::int64_t total = -1;
    std::string next;
    for (int page = 0; page < 50; ++page) {
      auto r = srv_.get(token, "/api/v1/tickets?overdue=true&limit=2" + query + (next.empty() ? "" : "&cursor=" + next)).json();
      if (page == 0) total = r.at("total").as_int64();
      for (const auto& t : r.at("tickets").as_array()) ids.push_back(str(t, "ticket_id"));
      if (r.at("next_cursor").is_null()) break;
      next = str(r, "next_cursor");
    }
    EXPECT_EQ(total, static_cast<std::int64_t>(ids.size())) << token << query;
    return ids;
  };
  const auto from_keys = overdue("demo-supervisor", "");
  const auto from_rows = overdue("demo-supervisor", "&created_from=2000-01-01T00:00:00Z");  // parses every row
  EXPECT_EQ(from_keys, from_rows);
  EXPECT_EQ(std::set<std::string>(from_keys.begin(), from_keys.end()), expected);
  EXPECT_EQ(from_keys.size(), expected.size());  // no ticket twice
  const auto scoped = overdue("demo-runtai-supervisor", "");  // a scoped token parses rows
  EXPECT_EQ(std::set<std::string>(scoped.begin(), scoped.end()), expected_runtai);
}

TEST_F(api, stats_give_the_three_rates_per_group_as_json_and_csv) {
  const auto id = file_ticket();
  act("demo-building-head", id, R"({"action":"accept"})");
  act("demo-building-head", id, R"({"action":"resolve"})");
  act("demo-supervisor", id, R"({"action":"verify","passed":true})");
  act("demo-operator", id, R"({"action":"rate","score":2})");
  file(R"({"category":"noise","description":"夜里很吵","location":{"jurisdiction_id":"runtai-xincun-b1"}})");
  auto j = srv_.get("demo-supervisor", "/api/v1/stats?group_by=street").json();
  ASSERT_EQ(j.at("groups").as_array().size(), 1u);
  const auto& g = j.at("groups").at(0);
  EXPECT_EQ(str(g, "key"), "延令街道");
  EXPECT_EQ(g.at("received").as_int64(), 2);
  EXPECT_DOUBLE_EQ(g.at("resolution_rate").as_double(), 0.5);
  EXPECT_DOUBLE_EQ(g.at("satisfaction_rate").as_double(), 0.0);  // rated 2: dissatisfied
  auto csv = srv_.get("demo-supervisor", "/api/v1/stats?group_by=street", {{"Accept", "text/csv"}});
  EXPECT_EQ(csv.headers["content-type"].rfind("text/csv", 0), 0u);
  EXPECT_NE(csv.body.find("\"延令街道\",2,"), std::string::npos) << csv.body;
  expect_problem(srv_.get("demo-building-head", "/api/v1/stats"), 403, "forbidden");
}

TEST_F(api, catalog_and_jurisdictions_are_served) {
  auto cats = srv_.get("demo-operator", "/api/v1/catalog/categories").json();
  EXPECT_GE(cats.at("categories").as_array().size(), 15u);
  auto places = srv_.get("demo-runtai-supervisor", "/api/v1/jurisdictions").json();
  ASSERT_EQ(places.at("jurisdictions").as_array().size(), 1u);  // its scope only
  EXPECT_EQ(str(places.at("jurisdictions").at(0), "name"), "润泰社区");
  EXPECT_EQ(testing::http_request(srv_.port(), "GET", "/healthz").status, 200);
}

TEST(api_limits, a_token_over_its_rate_gets_429_with_retry_after) {
  test_server srv({"--rate", "2"});
  int limited = 0;
  std::string retry;
  for (int i = 0; i < 10; ++i) {
    auto r = srv.get("demo-operator", "/api/v1/catalog/categories");
    if (r.status == 429) {
      ++limited;
      retry = r.headers["retry-after"];
    }
  }
  EXPECT_GE(limited, 5);  // a burst of 4, then 2 a second
  EXPECT_FALSE(retry.empty());
  EXPECT_EQ(srv.get("demo-supervisor", "/api/v1/catalog/categories").status, 200);  // per token
}

TEST(api_limits, the_worklist_counts_up_to_its_maximum_and_pages_as_without_one) {
  test_server capped({"--worklist-count-max", "5"});
  test_server full;
  const std::vector<std::string> places{"runtai-huayuan-b1", "runtai-xincun-b1", "hongmei-xincun-b1", "jingfang-5-b2",
                                        "runtai-huayuan-b3"};
  for (auto* srv : {&capped, &full}) {
    for (const auto& p : places) {
      for (const std::string c : {"small_ads", "noise", "gas_smell"}) {
        auto r = srv->post("demo-operator", "/api/v1/appeals",
                           R"({"category":")" + c + R"(","description":"楼道灯不亮了","location":{"jurisdiction_id":")" + p + R"("}})");
        ASSERT_TRUE(r.status == 201 || r.status == 200) << r.body;  // 200: joined an open ticket
      }
    }
  }
  auto pages = [](test_server& srv, const std::string& query) {
    std::vector<std::string> ids;
    std::string cursor;
    for (int page = 0; page < 10; ++page) {
      auto r = srv.get("demo-supervisor", "/api/v1/tickets?limit=4" + query + (cursor.empty() ? "" : "&cursor=" + cursor)).json();
      for (const auto& t : r.at("tickets").as_array()) ids.push_back(str(t, "ticket_id"));
      if (r.at("next_cursor").is_null()) break;
      cursor = str(r, "next_cursor");
    }
    return ids;
  };
  auto first = capped.get("demo-supervisor", "/api/v1/tickets?limit=4").json();
  EXPECT_EQ(first.at("total").as_int64(), 5);  // more match: counting stopped at 5
  EXPECT_FALSE(first.at("total_exact").as_bool());
  auto whole = full.get("demo-supervisor", "/api/v1/tickets?limit=4").json();
  const auto tickets = whole.at("total").as_int64();
  EXPECT_GT(tickets, 5);
  EXPECT_TRUE(whole.at("total_exact").as_bool());
  // The pages do not depend on where counting stopped: the first page (read with the
  // count) and every later one hold the same tickets in the same order.
  const auto capped_ids = pages(capped, ""), full_ids = pages(full, "");
  EXPECT_EQ(static_cast<std::int64_t>(capped_ids.size()), tickets);
  EXPECT_EQ(capped_ids, full_ids);
  EXPECT_EQ(first.at("tickets"), whole.at("tickets"));
  // A first page past where counting stopped: the partitions it did not reach still give
  // their rows.
  auto all_capped = capped.get("demo-supervisor", "/api/v1/tickets?limit=100").json();
  EXPECT_EQ(static_cast<std::int64_t>(all_capped.at("tickets").as_array().size()), tickets);
  EXPECT_EQ(all_capped.at("tickets"), full.get("demo-supervisor", "/api/v1/tickets?limit=100").json().at("tickets"));
  // Up to the maximum the count is exact.
  auto gas = capped.get("demo-supervisor", "/api/v1/tickets?category=gas_smell").json();
  const auto gas_tickets = full.get("demo-supervisor", "/api/v1/tickets?category=gas_smell").json().at("total").as_int64();
  ASSERT_GT(gas_tickets, 0);
  EXPECT_EQ(gas.at("total").as_int64(), std::min<std::int64_t>(gas_tickets, 5));
  EXPECT_EQ(gas.at("total_exact").as_bool(), gas_tickets <= 5);
  EXPECT_EQ(pages(capped, "&category=gas_smell"), pages(full, "&category=gas_smell"));
}

TEST(api_lifecycle, sigterm_drains_and_exits_cleanly_and_the_data_survives) {
  std::string id;
  {
    test_server srv;
    auto r = srv.post("demo-operator", "/api/v1/appeals", kAppeal);
    ASSERT_EQ(r.status, 201);
    id = str(r.json(), "ticket_id");
    EXPECT_EQ(srv.stop(), 0);
    auto fsck = testing::run_command({DOORSTEP_BINARY, "--config", std::string(DOORSTEP_SOURCE_DIR) + "/config/doorstep.yaml",
                                      "fsck", "--data", (srv.dir().path() / "data").string()});
    EXPECT_EQ(fsck.code, 0) << fsck.out;
    EXPECT_NE(fsck.out.find("1 tickets"), std::string::npos) << fsck.out;
  }
}

}  // namespace
}  // namespace doorstep

namespace doorstep {
namespace {

// Open311 GeoReport v2, as an existing client would call it: form posts with api_key,
// .json and .xml resources.
TEST(open311, a_client_lists_services_files_a_request_and_reads_it_back_in_json_and_xml) {
  test_server srv;
  auto services = testing::http_request(srv.port(), "GET", "/open311/v2/services.json");
  ASSERT_EQ(services.status, 200);
  const auto list = services.json();
  EXPECT_GE(list.as_array().size(), 15u);
  bool street_light = false;
  for (const auto& s : list.as_array()) {
    street_light |= s.at("service_code").as_string() == "street_light" && s.at("service_name").as_string() == "路灯不亮";
    EXPECT_EQ(s.at("type").as_string(), "realtime");
  }
  EXPECT_TRUE(street_light);
  auto xml = testing::http_request(srv.port(), "GET", "/open311/v2/services.xml");
  EXPECT_EQ(xml.headers["content-type"].rfind("text/xml", 0), 0u);
  EXPECT_NE(xml.body.find("<service><service_code>gas_smell</service_code><service_name>燃气泄漏/煤气味</service_name>"),
            std::string::npos);

  const std::string form = "api_key=demo-integration&service_code=street_light&address_id=runtai-huayuan-b1"
                           "&description=%E8%B7%AF%E7%81%AF%E4%B8%8D%E4%BA%AE&last_name=%E7%8E%8B&first_name=%E7%A7%80%E8%8B%B1"
                           "&phone=13812345678";
  auto posted = testing::http_request(srv.port(), "POST", "/open311/v2/requests.json", form,
                                      {{"Content-Type", "application/x-www-form-urlencoded"}});
  ASSERT_EQ(posted.status, 201) << posted.body;
  const auto id = std::string(posted.json().at(0).at("service_request_id").as_string());

  auto one = testing::http_request(srv.port(), "GET", "/open311/v2/requests/" + id + ".json?api_key=demo-supervisor");
  ASSERT_EQ(one.status, 200) << one.body;
  const auto r = one.json().at(0);
  EXPECT_EQ(r.at("status").as_string(), "open");
  EXPECT_EQ(r.at("description").as_string(), "路灯不亮");
  EXPECT_EQ(r.at("agency_responsible").as_string(), "泰兴市市政局");  // street lights go to municipal works
  EXPECT_EQ(r.at("expected_datetime").as_string(), "2026-03-03T09:00:00+08:00");  // utility-24h resolve
  auto open_xml = testing::http_request(srv.port(), "GET", "/open311/v2/requests.xml?api_key=demo-supervisor&status=open");
  EXPECT_NE(open_xml.body.find("<service_request_id>" + id + "</service_request_id><status>open</status>"),
            std::string::npos)
      << open_xml.body;
  auto closed = testing::http_request(srv.port(), "GET", "/open311/v2/requests.json?api_key=demo-supervisor&status=closed");
  EXPECT_EQ(closed.json().as_array().size(), 0u);
}

TEST(open311, bad_requests_get_spec_errors_and_file_nothing) {
  test_server srv;
  auto no_key = testing::http_request(srv.port(), "POST", "/open311/v2/requests.json",
                                      "service_code=street_light&address_id=runtai-huayuan-b1",
                                      {{"Content-Type", "application/x-www-form-urlencoded"}});
  EXPECT_EQ(no_key.status, 403);
  EXPECT_EQ(no_key.json().at(0).at("code").as_int64(), 403);
  auto bad_code = testing::http_request(srv.port(), "POST", "/open311/v2/requests.xml",
                                        "api_key=demo-integration&service_code=ufo&address_id=runtai-huayuan-b1",
                                        {{"Content-Type", "application/x-www-form-urlencoded"}});
  EXPECT_EQ(bad_code.status, 400);
  EXPECT_NE(bad_code.body.find("<errors><error><code>400</code>"), std::string::npos) << bad_code.body;
  auto no_place = testing::http_request(srv.port(), "POST", "/open311/v2/requests.json",
                                        "api_key=demo-integration&service_code=street_light&address_string=somewhere",
                                        {{"Content-Type", "application/x-www-form-urlencoded"}});
  EXPECT_EQ(no_place.status, 400);
  auto handler = testing::http_request(srv.port(), "POST", "/open311/v2/requests.json",
                                       "api_key=demo-building-head&service_code=street_light&address_id=runtai-huayuan-b1",
                                       {{"Content-Type", "application/x-www-form-urlencoded"}});
  EXPECT_EQ(handler.status, 403);
  auto all = testing::http_request(srv.port(), "GET", "/open311/v2/requests.json?api_key=demo-admin");
  EXPECT_EQ(all.json().as_array().size(), 0u);
  EXPECT_EQ(testing::http_request(srv.port(), "GET", "/open311/v2/services").status, 404);
}

}  // namespace
}  // namespace doorstep

namespace doorstep {
namespace {

TEST(metrics, a_scrape_counts_appeals_escalations_and_breaches_and_passes_promtool) {
  test_server srv;
  ASSERT_EQ(srv.post("demo-operator", "/api/v1/appeals",
                     R"({"category":"small_ads","description":"小广告","location":{"jurisdiction_id":"runtai-huayuan-b1"}})")
                .status,
            201);
  // Past the 2 working hour accept deadline: the building head did not accept.
  ASSERT_EQ(srv.post("demo-admin", "/api/v1/admin/clock", R"({"advance":"PT3H"})").status, 200);
  auto scrape = testing::http_request(srv.port(), "GET", "/metrics");
  ASSERT_EQ(scrape.status, 200);
  const auto& m = scrape.body;
  EXPECT_NE(m.find("doorstep_appeals_received_total{category=\"small_ads\",channel=\"hotline\"} 1"), std::string::npos) << m;
  EXPECT_NE(m.find("doorstep_escalations_total{from=\"building\",reason=\"accept_overdue\",to=\"grid\"} 1"), std::string::npos);
  EXPECT_NE(m.find("doorstep_sla_breaches_total{clock=\"accept\",level=\"building\"} 1"), std::string::npos);
  EXPECT_NE(m.find("doorstep_http_requests_total{code=\"201\",route=\"/api/v1/appeals\"} 1"), std::string::npos);
  EXPECT_EQ(m.find("T2026"), std::string::npos);  // no ticket ids in labels
  // one ticket, now dispatched at grid, its new accept clock fresh; none left at building
  EXPECT_NE(m.find("doorstep_tickets{level=\"grid\",status=\"dispatched\"} 1"), std::string::npos) << m;
  EXPECT_NE(m.find("doorstep_tickets{level=\"building\",status=\"dispatched\"} 0"), std::string::npos) << m;
  // the grid's accept clock passed 50% and 75% of its 2 working hours by 12:00
  EXPECT_NE(m.find("doorstep_sla_clocks{clock=\"accept\",level=\"grid\",state=\"at_risk\"} 1"), std::string::npos) << m;
  if (std::system("command -v promtool >/dev/null 2>&1") != 0) GTEST_SKIP() << "promtool is not installed";
  auto check = testing::run_command({"/bin/sh", "-c", "promtool check metrics 2>&1"}, m);
  EXPECT_EQ(check.code, 0) << check.out;
}

}  // namespace
}  // namespace doorstep

namespace doorstep {
namespace {

// Every demo token x every action on one ticket. If-Match names a version the ticket
// never had, so an authorized action stops at 412 and nothing changes, while an
// unauthorized one is refused first with 403; out of scope is 404 for everything.
TEST(api_matrix, every_role_and_scope_gets_exactly_the_actions_the_table_grants) {
  test_server srv;
  auto filed = srv.post("demo-operator", "/api/v1/appeals", kAppeal);  // runtai-huayuan-b1, building head
  ASSERT_EQ(filed.status, 201);
  const auto id = str(filed.json(), "ticket_id");
  auto far = srv.post("demo-operator", "/api/v1/appeals",
                      R"({"category":"noise","description":"楼上噪音","location":{"jurisdiction_id":"hongmei-xincun-b1"}})");
  const auto far_id = str(far.json(), "ticket_id");
  auto near = srv.post("demo-operator", "/api/v1/appeals",
                       R"({"category":"small_ads","description":"小广告","location":{"jurisdiction_id":"runtai-xincun-b1"}})");
  const auto near_id = str(near.json(), "ticket_id");

  const std::vector<std::pair<std::string, std::string>> actions{
      {"triage", R"({"action":"triage"})"},
      {"dispatch", R"({"action":"dispatch","level":"grid"})"},
      {"accept", R"({"action":"accept"})"},
      {"contact", R"({"action":"contact"})"},
      {"note", R"({"action":"note","note":"记录"})"},
      {"resolve", R"({"action":"resolve"})"},
      {"verify", R"({"action":"verify","passed":true})"},
      {"rate", R"({"action":"rate","score":4})"},
      {"escalate", R"({"action":"escalate","reason":"handler_request"})"},
      {"return", R"({"action":"return","reason":"不属于本楼"})"},
      {"suspend", R"({"action":"suspend","reason":"等配件"})"},
      {"resume", R"({"action":"resume"})"},
      {"merge", R"({"action":"merge","into":")" + near_id + R"("})"},
      {"cancel", R"({"action":"cancel","reason":"重复"})"},
      {"reopen", R"({"action":"reopen","reason":"不满意"})"},
  };
  // Which tokens may run which action on a ticket of runtai-huayuan-b1-head (docs/api.md).
  const std::map<std::string, std::set<std::string>> grants{
      {"demo-operator", {"triage", "dispatch", "note", "rate", "cancel", "reopen"}},
      {"demo-building-head", {"accept", "contact", "note", "resolve", "verify", "escalate", "return", "suspend", "resume"}},
      {"demo-grid-worker", {}},  // a handler of another unit
      {"demo-supervisor", {"triage", "dispatch", "note", "verify", "escalate", "suspend", "resume", "merge", "cancel", "reopen"}},
      {"demo-runtai-supervisor", {"triage", "dispatch", "note", "verify", "escalate", "suspend", "resume", "merge", "cancel", "reopen"}},
      {"demo-integration", {"accept", "contact", "note", "resolve", "rate", "reopen"}},
      {"demo-admin", {"triage", "dispatch", "accept", "contact", "note", "resolve", "verify", "rate", "escalate", "return",
                      "suspend", "resume", "merge", "cancel", "reopen"}},
  };
  for (const auto& [token, allowed] : grants) {
    for (const auto& [name, body] : actions) {
      auto r = srv.post(token, "/api/v1/tickets/" + id + "/actions", body, {{"If-Match", "\"999\""}});
      const int expected = allowed.count(name) ? 412 : 403;
      EXPECT_EQ(r.status, expected) << token << " " << name << ": " << r.body;
    }
  }
  for (const auto& [name, body] : actions) {
    auto r = srv.post("demo-runtai-supervisor", "/api/v1/tickets/" + far_id + "/actions", body, {{"If-Match", "\"999\""}});
    EXPECT_EQ(r.status, 404) << name;
  }
  auto t = srv.get("demo-admin", "/api/v1/tickets/" + id).json();
  EXPECT_EQ(t.at("version").as_int64(), 2);  // nothing was applied
}

}  // namespace
}  // namespace doorstep

namespace doorstep {
namespace {

TEST(api_location, an_appeal_that_names_its_place_only_in_words_is_placed_by_the_place_names) {
  test_server srv;
  auto r = srv.post("demo-operator", "/api/v1/appeals",
                    R"({"category":"small_ads","description":"门口贴满小广告","location":{"address":"延令街道润泰花园1号楼门口"}})");
  ASSERT_EQ(r.status, 201) << r.body;
  auto t = srv.get("demo-operator", "/api/v1/tickets/" + str(r.json(), "ticket_id")).json();
  EXPECT_EQ(str(t, "jurisdiction_id"), "runtai-huayuan-b1");  // 润泰花园 + 1号楼 beat every other 1号楼
  EXPECT_EQ(str(t, "unit_id"), "runtai-huayuan-b1-head");
  auto nowhere = srv.post("demo-operator", "/api/v1/appeals",
                          R"({"category":"small_ads","description":"x","location":{"address":"火星基地"}})");
  EXPECT_EQ(nowhere.status, 422);
  EXPECT_EQ(str(nowhere.json(), "field"), "location.address");
  auto neither = srv.post("demo-operator", "/api/v1/appeals", R"({"category":"small_ads","description":"x","location":{}})");
  EXPECT_EQ(neither.status, 422);
  EXPECT_EQ(str(neither.json(), "code"), "missing_field");
  auto open311 = testing::http_request(srv.port(), "POST", "/open311/v2/requests.json",
                                       "api_key=demo-integration&service_code=street_light&description=x"
                                       "&address_string=%E6%B6%A6%E6%B3%B0%E8%8A%B1%E5%9B%AD1%E5%8F%B7%E6%A5%BC",  // 润泰花园1号楼
                                       {{"Content-Type", "application/x-www-form-urlencoded"}});
  EXPECT_EQ(open311.status, 201) << open311.body;
}

}  // namespace
}  // namespace doorstep

namespace doorstep {
namespace {

TEST(open311, a_client_that_only_knows_lat_long_files_at_the_nearest_known_place) {
  test_server srv;
  // about 20 m from 润泰花园 (32.1712, 120.0475)
  auto posted = testing::http_request(srv.port(), "POST", "/open311/v2/requests.json",
                                      "api_key=demo-integration&service_code=garbage&lat=32.17135&long=120.04765&description=x",
                                      {{"Content-Type", "application/x-www-form-urlencoded"}});
  ASSERT_EQ(posted.status, 201) << posted.body;
  const auto id = std::string(posted.json().at(0).at("service_request_id").as_string());
  auto one = testing::http_request(srv.port(), "GET", "/open311/v2/requests/" + id + ".json?api_key=demo-admin");
  const auto r = one.json().at(0);
  EXPECT_EQ(r.at("address_id").as_string(), "runtai-huayuan");
  EXPECT_DOUBLE_EQ(r.at("lat").as_double(), 32.1712);
  auto far = testing::http_request(srv.port(), "POST", "/open311/v2/requests.json",
                                   "api_key=demo-integration&service_code=garbage&lat=39.9&long=116.4&description=x",
                                   {{"Content-Type", "application/x-www-form-urlencoded"}});
  EXPECT_EQ(far.status, 400) << far.body;  // Beijing is nowhere near a demo place
}

}  // namespace
}  // namespace doorstep
