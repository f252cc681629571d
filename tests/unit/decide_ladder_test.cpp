// tests/unit/decide_ladder_test.cpp
// The escalation ladder (building > grid > community > street > department) as decide()
// walks it on the shipped demo config: where tickets enter, how they climb and why,
// returns (退单) and their limit, reopening with escalation, and hot spots.
//
// Places used (config/jurisdictions.yaml): 润泰花园 1号楼 runtai-huayuan-b1 has building head
// runtai-huayuan-b1-head; 2号楼 runtai-huayuan-b2 has none. Above them: grid
// runtai-g1-worker, community runtai-committee, street yanling-office, and for garbage
// the city department taixing-urban.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "domain/decide.h"
#include "routing/rulebook.h"
#include "support/story.h"
#include "support/test_support.h"

namespace doorstep {
namespace {

using testing::at;

using testing::story;

using testing::types;

// Wednesday 2026-03-04 10:00 local.
instant wednesday() { return at(2026, 3, 4, 10, 0); }

appeal joining(const std::string& source) {
  appeal a;
  a.category = "garbage";
  a.description = "又有居民反映垃圾没人收";
  a.jurisdiction_id = "runtai-huayuan-b1";
  a.source_id = source;
  return a;
}

TEST(decide_ladder, building_with_a_head_takes_small_matters_first) {
  story s("runtai-huayuan-b1", "garbage", wednesday());
  ASSERT_EQ(types(s.last()), (std::vector<std::string>{"received", "dispatched"}));
  const auto& d = std::get<dispatched_ev>(s.last()[1].body);
  EXPECT_EQ(d.to, level::building);
  EXPECT_EQ(d.unit_id, "runtai-huayuan-b1-head");
  EXPECT_EQ(d.rule_id, "small-in-building");
  EXPECT_EQ(d.sla_policy, "small-3d");
  EXPECT_EQ(d.prio, priority::low);
  EXPECT_EQ(s.t().community_id, "runtai");
  EXPECT_EQ(s.t().entry_level, level::building);
}

TEST(decide_ladder, building_without_a_head_enters_at_the_grid) {
  story s("runtai-huayuan-b2", "garbage", wednesday());
  const auto& d = std::get<dispatched_ev>(s.last()[1].body);
  EXPECT_EQ(d.to, level::grid);
  EXPECT_EQ(d.unit_id, "runtai-g1-worker");
  EXPECT_EQ(s.t().lvl, level::grid);
}

TEST(decide_ladder, escalation_climbs_every_rung_then_stops_at_department_with_top_of_ladder) {
  story s("runtai-huayuan-b1", "garbage", wednesday());
  struct rung {
    level to;
    std::string unit;
    escalation_reason reason;
  };
  const std::vector<rung> rungs = {{level::grid, "runtai-g1-worker", escalation_reason::handler_request},
                                   {level::community, "runtai-committee", escalation_reason::supervisor},
                                   {level::street, "yanling-office", escalation_reason::severity},
                                   {level::department, "taixing-urban", escalation_reason::handler_request}};
  level from = level::building;
  for (const auto& [to, unit, reason] : rungs) {
    s.advance(std::chrono::minutes(5));
    const auto evs = s.ok(escalate_cmd{reason, "吹哨报到"});
    ASSERT_EQ(types(evs), std::vector<std::string>{"escalated"});
    const auto& e = std::get<escalated_ev>(evs[0].body);
    EXPECT_EQ(e.from, from);
    EXPECT_EQ(e.to, to);
    EXPECT_EQ(e.unit_id, unit);
    EXPECT_EQ(e.reason, reason);
    EXPECT_EQ(e.note, "吹哨报到");
    EXPECT_EQ(s.t().escalations.back().reason, reason);
    EXPECT_EQ(s.t().lvl, to);
    EXPECT_EQ(s.t().unit_id, unit);
    from = to;
  }
  const auto err = s.fails(escalate_cmd{escalation_reason::supervisor, ""});
  EXPECT_EQ(err.code, "top_of_ladder");
  ASSERT_EQ(s.t().escalations.size(), 4u);
  EXPECT_EQ(s.t().escalations.back().from, level::street);
  EXPECT_EQ(s.t().escalations.back().to, level::department);
  // Entry level remembers where the ticket came in.
  EXPECT_EQ(s.t().entry_level, level::building);
}

TEST(decide_ladder, escalation_restarts_accept_and_resolve_clocks_from_now_and_requires_a_new_accept) {
  story s("runtai-huayuan-b1", "garbage", wednesday());
  s.ok(accept_cmd{});
  s.set_now(at(2026, 3, 4, 14, 0));
  s.ok(escalate_cmd{escalation_reason::supervisor, "督办"});
  EXPECT_EQ(s.t().st, status::dispatched);
  EXPECT_FALSE(s.t().accepted_at.has_value());
  const auto& acc = s.t().clock(clock_kind::accept);
  EXPECT_EQ(acc.state, clock_state::running);
  EXPECT_EQ(acc.started, at(2026, 3, 4, 14, 0));
  // small-3d accept 2h working from Wed 14:00: 14:00 -> 16:00.
  EXPECT_EQ(acc.due, at(2026, 3, 4, 16, 0));
  EXPECT_EQ(s.t().escalations.back().reason, escalation_reason::supervisor);
  EXPECT_EQ(s.t().escalations.back().at, at(2026, 3, 4, 14, 0));
}

TEST(decide_ladder, residents_and_handlers_cannot_claim_reasons_the_engine_raises_itself) {
  story s("runtai-huayuan-b1", "garbage", wednesday());
  for (auto reason : {escalation_reason::accept_overdue, escalation_reason::resolve_overdue,
                      escalation_reason::repeat_reports, escalation_reason::dissatisfied}) {
    const auto err = s.fails(escalate_cmd{reason, ""});
    EXPECT_EQ(err.code, "invalid_field") << to_string(reason);
    EXPECT_EQ(err.field, "reason");
  }
  EXPECT_EQ(s.t().lvl, level::building);
}

TEST(decide, accept_overdue_breach_escalates_building_ticket_to_grid) {
  story s("runtai-huayuan-b1", "garbage", wednesday());
  // small-3d accept 2h working from Wed 10:00 -> due Wed 12:00 (morning period ends then).
  const pending_timer breach{at(2026, 3, 4, 12, 0), clock_kind::accept, timer_kind::breach, 0};
  s.set_now(at(2026, 3, 4, 12, 0));
  const auto evs = s.ok(timer_fired_cmd{breach});
  ASSERT_EQ(types(evs), (std::vector<std::string>{"sla_breached", "escalated"}));
  EXPECT_EQ(std::get<sla_breached_ev>(evs[0].body).due, at(2026, 3, 4, 12, 0));
  const auto& e = std::get<escalated_ev>(evs[1].body);
  EXPECT_EQ(e.reason, escalation_reason::accept_overdue);
  EXPECT_EQ(e.from, level::building);
  EXPECT_EQ(e.to, level::grid);
  EXPECT_EQ(e.unit_id, "runtai-g1-worker");
  EXPECT_EQ(evs[1].seq, evs[0].seq + 1);
}

TEST(decide_ladder, resolve_overdue_breach_escalates_an_accepted_ticket_back_to_dispatched) {
  story s("runtai-huayuan-b1", "garbage", wednesday());
  s.ok(accept_cmd{});
  s.ok(contact_cmd{"已联系"});
  // resolve 3d = 22h30 working from Wed 10:00: Wed 6h (10-12, 13:30-17:30) -> 16.5 left,
  // Thu 7.5 -> 9 left, Fri 7.5 -> 1.5 left, Mon 2026-03-09 08:30 + 1.5h = 10:00.
  const auto& resolve = s.t().clock(clock_kind::resolve);
  ASSERT_EQ(resolve.due, at(2026, 3, 9, 10, 0));
  s.set_now(resolve.due);
  const auto evs = s.ok(timer_fired_cmd{{resolve.due, clock_kind::resolve, timer_kind::breach, 0}});
  ASSERT_EQ(types(evs), (std::vector<std::string>{"sla_breached", "escalated"}));
  EXPECT_EQ(std::get<escalated_ev>(evs[1].body).reason, escalation_reason::resolve_overdue);
  EXPECT_EQ(s.t().st, status::dispatched);
  EXPECT_EQ(s.t().lvl, level::grid);
  // The resident was already contacted: the contact clock is carried over, stopped.
  EXPECT_EQ(s.t().clock(clock_kind::contact).state, clock_state::stopped);
}

TEST(decide_ladder, contact_breach_does_not_escalate_under_a_policy_that_escalates_only_accept_and_resolve) {
  story s("runtai-huayuan-b1", "garbage", wednesday());
  s.ok(accept_cmd{});
  // contact 4h working from Wed 10:00: 10-12 (2h), 13:30 + 2h = 15:30.
  const auto& contact = s.t().clock(clock_kind::contact);
  ASSERT_EQ(contact.due, at(2026, 3, 4, 15, 30));
  s.set_now(contact.due);
  const auto evs = s.ok(timer_fired_cmd{{contact.due, clock_kind::contact, timer_kind::breach, 0}});
  EXPECT_EQ(types(evs), std::vector<std::string>{"sla_breached"});
  EXPECT_EQ(s.t().lvl, level::building);
  EXPECT_TRUE(s.t().clock(clock_kind::contact).breached);
}

TEST(decide_ladder, breach_at_the_department_only_records_the_breach) {
  // gas_smell enters at the department (urgent-2h, continuous): accept due 15 min later.
  story s("runtai-huayuan-b1", "gas_smell", wednesday(), "楼道里有很重的煤气味");
  ASSERT_EQ(s.t().lvl, level::department);
  const auto& accept = s.t().clock(clock_kind::accept);
  ASSERT_EQ(accept.due, at(2026, 3, 4, 10, 15));
  s.set_now(accept.due);
  const auto evs = s.ok(timer_fired_cmd{{accept.due, clock_kind::accept, timer_kind::breach, 0}});
  EXPECT_EQ(types(evs), std::vector<std::string>{"sla_breached"});
  EXPECT_EQ(s.t().lvl, level::department);
}

TEST(decide_ladder, third_joining_report_escalates_with_repeat_reports_and_only_once) {
  story s("runtai-huayuan-b1", "garbage", wednesday());
  submit_cmd join{joining("src-j1")};
  EXPECT_EQ(types(s.ok(join)), std::vector<std::string>{"appeal_joined"});
  join.a.source_id = "src-j2";
  EXPECT_EQ(types(s.ok(join)), std::vector<std::string>{"appeal_joined"});
  EXPECT_EQ(s.t().lvl, level::building);
  join.a.source_id = "src-j3";
  const auto third = s.ok(join);
  ASSERT_EQ(types(third), (std::vector<std::string>{"appeal_joined", "escalated"}));
  const auto& e = std::get<escalated_ev>(third[1].body);
  EXPECT_EQ(e.reason, escalation_reason::repeat_reports);
  EXPECT_EQ(e.to, level::grid);
  EXPECT_EQ(e.note, "3 residents reported the same problem");
  join.a.source_id = "src-j4";
  EXPECT_EQ(types(s.ok(join)), std::vector<std::string>{"appeal_joined"});
  EXPECT_EQ(s.t().joined.size(), 4u);
  EXPECT_EQ(s.t().lvl, level::grid);
}

TEST(decide_ladder, joined_appeal_without_a_report_time_is_stamped_now) {
  story s("runtai-huayuan-b1", "garbage", wednesday());
  s.set_now(at(2026, 3, 4, 11, 0));
  s.ok(submit_cmd{joining("src-j1")});
  ASSERT_EQ(s.t().joined.size(), 1u);
  EXPECT_EQ(s.t().joined[0].reported_at, at(2026, 3, 4, 11, 0));
  EXPECT_EQ(s.t().joined[0].description, "又有居民反映垃圾没人收");
}

// Each command copies its ticket to apply its events; a join's new version shares the
// earlier appeals with the version before it instead of copying them, and still reads
// and compares as a list of appeals.
TEST(decide_ladder, versions_of_a_ticket_share_their_joined_appeals) {
  story s("runtai-huayuan-b1", "garbage", wednesday());
  s.ok(submit_cmd{joining("src-j1")});
  const ticket before = s.t();
  s.ok(submit_cmd{joining("src-j2")});
  const ticket& after = s.t();
  ASSERT_EQ(before.joined.size(), 1u);
  ASSERT_EQ(after.joined.size(), 2u);
  EXPECT_EQ(&after.joined[0], &before.joined[0]) << "the new version copied the earlier appeal";
  EXPECT_EQ(after.joined.back().source_id, "src-j2");
  const ticket copy = after;
  EXPECT_EQ(&copy.joined.back(), &after.joined.back());

  ticket rebuilt = after;  // the same appeals as separate objects: equal by value
  rebuilt.joined.clear();
  for (const auto& a : after.joined) rebuilt.joined.push_back(a);
  EXPECT_NE(&rebuilt.joined[0], &after.joined[0]);
  EXPECT_EQ(rebuilt, after);
  rebuilt.joined.clear();
  rebuilt.joined.push_back(after.joined[0]);
  appeal changed = after.joined[1];
  changed.description = "垃圾还是没人收";
  rebuilt.joined.push_back(changed);
  EXPECT_NE(rebuilt, after);
  rebuilt.joined.push_back(after.joined[1]);
  EXPECT_NE(rebuilt, after) << "lists of different lengths";
}

TEST(decide_ladder, return_clears_level_unit_and_clocks_and_goes_back_to_triage) {
  story s("runtai-huayuan-b1", "garbage", wednesday());
  s.ok(escalate_cmd{escalation_reason::handler_request, ""});
  ASSERT_EQ(s.t().lvl, level::grid);
  s.ok(return_cmd{"不归网格管"});
  EXPECT_EQ(s.t().st, status::received);
  EXPECT_FALSE(s.t().lvl.has_value());
  EXPECT_TRUE(s.t().unit_id.empty());
  EXPECT_EQ(s.t().returns, 1u);
  for (const auto& c : s.t().clocks) EXPECT_EQ(c.state, clock_state::idle);
  EXPECT_TRUE(pending_timers(s.t()).empty());
  // Re-dispatch may place it lower than before the return.
  s.ok(dispatch_cmd{level::building, ""});
  EXPECT_EQ(s.t().lvl, level::building);
  EXPECT_EQ(s.t().unit_id, "runtai-huayuan-b1-head");
  EXPECT_EQ(s.t().rule_id, "manual");
}

TEST(decide_ladder, third_return_is_refused_because_max_returns_is_two) {
  story s("runtai-huayuan-b1", "garbage", wednesday());
  s.ok(return_cmd{"第一次退单"});
  s.ok(dispatch_cmd{level::grid, ""});
  s.ok(accept_cmd{});
  s.ok(return_cmd{"第二次退单"});
  s.ok(dispatch_cmd{level::community, "runtai-committee"});
  EXPECT_EQ(s.t().returns, 2u);
  const auto err = s.fails(return_cmd{"第三次退单"});
  EXPECT_EQ(err.code, "return_limit");
  EXPECT_EQ(s.t().st, status::dispatched);
}

TEST(decide_ladder, return_without_a_reason_names_the_field) {
  story s("runtai-huayuan-b1", "garbage", wednesday());
  const auto err = s.fails(return_cmd{""});
  EXPECT_EQ(err.code, "missing_field");
  EXPECT_EQ(err.field, "reason");
}

TEST(decide_ladder, manual_dispatch_to_a_unit_that_does_not_serve_the_place_is_unknown_unit) {
  story s("runtai-huayuan-b1", "garbage", wednesday());
  s.ok(return_cmd{"派错了"});
  // runtai-g2-worker is a grid worker, but of the other grid.
  auto err = s.fails(dispatch_cmd{level::grid, "runtai-g2-worker"});
  EXPECT_EQ(err.code, "unknown_unit");
  EXPECT_EQ(err.field, "unit_id");
  err = s.fails(dispatch_cmd{level::building, "runtai-g1-worker"});
  EXPECT_EQ(err.code, "unknown_unit");
}

TEST(decide_ladder, reopen_escalates_per_policy_from_the_closing_level) {
  story s("runtai-huayuan-b1", "garbage", wednesday());
  s.ok(accept_cmd{});
  s.ok(resolve_cmd{"已清运"});
  s.ok(verify_cmd{true, ""});
  s.ok(rate_cmd{2, "不满意"});
  s.advance(std::chrono::hours(24));
  const auto evs = s.ok(reopen_cmd{"垃圾又堆满了"});
  ASSERT_EQ(types(evs), (std::vector<std::string>{"reopened", "escalated"}));
  const auto& e = std::get<escalated_ev>(evs[1].body);
  EXPECT_EQ(e.reason, escalation_reason::dissatisfied);
  EXPECT_EQ(e.from, level::building);
  EXPECT_EQ(e.to, level::grid);
  EXPECT_EQ(e.note, "垃圾又堆满了");
  EXPECT_EQ(s.t().st, status::dispatched);
  EXPECT_FALSE(s.t().rating.has_value());
  EXPECT_FALSE(s.t().verified);
}

TEST(decide_ladder, reopen_under_a_same_level_policy_stays_on_its_rung) {
  // rights_protection goes to the community under complex-15d, whose reopen is "same".
  story s("runtai-huayuan-b1", "rights_protection", wednesday(), "装修公司拖欠工资");
  ASSERT_EQ(s.t().sla_policy, "complex-15d");
  ASSERT_EQ(s.t().lvl, level::community);
  s.ok(accept_cmd{});
  s.ok(resolve_cmd{""});
  s.ok(verify_cmd{true, ""});
  s.ok(rate_cmd{1, ""});
  const auto evs = s.ok(reopen_cmd{"工资还没拿到"});
  EXPECT_EQ(types(evs), std::vector<std::string>{"reopened"});
  EXPECT_EQ(s.t().lvl, level::community);
  EXPECT_EQ(s.t().clock(clock_kind::accept).started, s.now());
}

TEST(decide_ladder, reopen_with_escalation_numbers_its_events_consecutively) {
  story s("runtai-huayuan-b1", "garbage", wednesday());
  s.ok(accept_cmd{});
  s.ok(resolve_cmd{""});
  s.ok(verify_cmd{true, ""});
  s.ok(rate_cmd{2, ""});
  const auto v = s.t().version;
  const auto evs = s.ok(reopen_cmd{"不满意"});
  ASSERT_EQ(evs.size(), 2u);
  EXPECT_EQ(evs[0].seq, v + 1);
  EXPECT_EQ(evs[1].seq, v + 2);
  EXPECT_EQ(s.t().version, s.log().size());
}

TEST(decide_ladder, manual_dispatch_after_triage_uses_the_reclassified_category_for_its_sla) {
  story s("runtai-huayuan-b1", "garbage", wednesday());
  s.ok(return_cmd{"分类错了"});
  s.ok(triage_cmd{std::string("rights_protection"), std::nullopt, std::nullopt});
  ASSERT_EQ(s.t().sla_policy, "complex-15d");
  s.ok(return_cmd{"社区也处理不了"});
  s.ok(dispatch_cmd{level::community, ""});
  EXPECT_EQ(s.t().category, "rights_protection");
  EXPECT_EQ(s.t().sla_policy, "complex-15d");
}

}  // namespace
}  // namespace doorstep
