// tests/unit/routing_fallback_test.cpp
// Routing on a small hand-built rulebook, to reach what the demo config never does: the
// 兜底 paths (no unit at or above the rule's level -> the place's street office; no
// street office either -> engine.fallback_unit), effective severity of urgent
// categories, and the rulebook's own consistency checks.
//
// The tree:
//   demo-city (city; department city-works handles street_light)
//   ├── east (street, unit east-office) > east-c (community) > east-g (grid) > east-b (building)
//   ├── west (street, no unit)          > west-c (community) > west-b (building)
//   └── centre (street, unit centre-office)  <- the configured fallback_unit
// No community, grid or building has a unit.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "routing/rulebook.h"
#include "support/test_support.h"

namespace doorstep::routing {
namespace {

using testing::at;

node make_node(std::string id, node_kind kind, std::string parent, std::optional<std::string> unit_id = {}) {
  node n;
  n.id = std::move(id);
  n.name = n.id;
  n.kind = kind;
  n.parent = std::move(parent);
  n.unit_id = std::move(unit_id);
  return n;
}

rule make_rule(std::string id, rule_match m, level lvl, priority prio) {
  rule r;
  r.id = std::move(id);
  r.match = std::move(m);
  r.at = lvl;
  r.prio = prio;
  r.sla_policy = "fast";
  return r;
}

rulebook_parts small_parts() {
  rulebook_parts p;
  node city = make_node("demo-city", node_kind::city, "");
  city.department_ids = {"city-works"};
  p.tree.add_node(city);
  p.tree.add_unit(unit{"city-works", "市政局", level::department, "demo-city", {"street_light"}});
  p.tree.add_node(make_node("east", node_kind::street, "demo-city", "east-office"));
  p.tree.add_unit(unit{"east-office", "东街道办事处", level::street, "east", {}});
  p.tree.add_node(make_node("east-c", node_kind::community, "east"));
  p.tree.add_node(make_node("east-g", node_kind::grid, "east-c"));
  p.tree.add_node(make_node("east-b", node_kind::building, "east-g"));
  p.tree.add_node(make_node("west", node_kind::street, "demo-city"));
  p.tree.add_node(make_node("west-c", node_kind::community, "west"));
  p.tree.add_node(make_node("west-b", node_kind::building, "west-c"));
  p.tree.add_node(make_node("centre", node_kind::street, "demo-city", "centre-office"));
  p.tree.add_unit(unit{"centre-office", "中心街道办事处", level::street, "centre", {}});

  p.categories = {{"street_light", "路灯不亮", "municipal", {}, false},
                  {"noise", "噪声扰民", "public_order", {}, false},
                  {"gas_leak", "燃气泄漏", "gas", {}, true}};

  rule_match urgent;
  urgent.severities = {severity::urgent};
  rule_match lights;
  lights.categories = {"street_light"};
  p.rules = {make_rule("urgent", urgent, level::department, priority::urgent),
             make_rule("lights", lights, level::department, priority::high),
             make_rule("default", {}, level::building, priority::normal)};

  sla::policy_spec fast;
  fast.id = "fast";
  fast.continuous = true;
  fast.targets = {std::chrono::minutes(15), std::chrono::minutes(30), std::chrono::hours(2), std::chrono::hours(24)};
  p.sla_policies = {fast};
  p.fallback_unit = "centre-office";
  return p;
}

const rulebook& small_book() {
  static const rulebook book(small_parts());
  return book;
}

appeal make_appeal(std::string place, std::string category, severity sev = severity::normal) {
  appeal a;
  a.category = std::move(category);
  a.sev = sev;
  a.description = "居民反映情况";
  a.jurisdiction_id = std::move(place);
  return a;
}

placement route_ok(const appeal& a) {
  auto r = small_book().route(a, at(2026, 3, 4, 10, 0));
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.err().message);
  return r.ok() ? *r : placement{};
}

TEST(routing_fallback, a_building_rule_climbs_past_empty_rungs_to_the_street_office) {
  const auto p = route_ok(make_appeal("east-b", "noise"));
  EXPECT_EQ(p.rule_id, "default");
  EXPECT_EQ(p.at, level::street);
  EXPECT_EQ(p.unit_id, "east-office");
}

TEST(routing_fallback, a_department_rule_with_no_handling_department_goes_to_the_street_office) {
  // 兜底: no department handles noise; east has a street office.
  const auto p = route_ok(make_appeal("east-b", "noise", severity::urgent));
  EXPECT_EQ(p.rule_id, "urgent");
  EXPECT_EQ(p.at, level::street);
  EXPECT_EQ(p.unit_id, "east-office");
  EXPECT_EQ(p.prio, priority::urgent);
}

TEST(routing_fallback, a_department_rule_without_department_or_street_office_goes_to_the_fallback_unit) {
  const auto p = route_ok(make_appeal("west-b", "noise", severity::urgent));
  EXPECT_EQ(p.rule_id, "urgent");
  EXPECT_EQ(p.at, level::street);
  EXPECT_EQ(p.unit_id, "centre-office");
}

TEST(routing_fallback, a_place_with_no_unit_anywhere_above_it_goes_to_the_fallback_unit) {
  EXPECT_FALSE(small_book().unit_at_or_above("west-b", "noise", level::building).has_value());
  const auto p = route_ok(make_appeal("west-b", "noise"));
  EXPECT_EQ(p.rule_id, "default");
  EXPECT_EQ(p.at, level::street);
  EXPECT_EQ(p.unit_id, "centre-office");
}

TEST(routing_fallback, a_handling_department_on_the_path_wins_over_the_fallback) {
  const auto p = route_ok(make_appeal("west-b", "street_light"));
  EXPECT_EQ(p.rule_id, "lights");
  EXPECT_EQ(p.at, level::department);
  EXPECT_EQ(p.unit_id, "city-works");
}

TEST(routing_fallback, an_urgent_category_reported_low_matches_severity_urgent_rules) {
  const auto p = route_ok(make_appeal("east-b", "gas_leak", severity::low));
  EXPECT_EQ(p.rule_id, "urgent");
  EXPECT_EQ(p.prio, priority::urgent);
  // The same report in a non-urgent category stays with the default rule.
  EXPECT_EQ(route_ok(make_appeal("east-b", "noise", severity::low)).rule_id, "default");
}

TEST(routing_fallback, an_explicit_unit_on_a_rule_sets_the_level_from_that_unit) {
  auto parts = small_parts();
  rule_match noise;
  noise.categories = {"noise"};
  rule explicit_office = make_rule("noise-to-centre", noise, level::street, priority::high);
  explicit_office.unit_id = "centre-office";
  parts.rules.insert(parts.rules.begin(), explicit_office);
  const rulebook book(std::move(parts));
  const auto p = book.route(make_appeal("east-b", "noise"), at(2026, 3, 4, 10, 0));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->rule_id, "noise-to-centre");
  EXPECT_EQ(p->unit_id, "centre-office");
  EXPECT_EQ(p->at, level::street);
}

TEST(routing_fallback, rulebook_rejects_a_rule_naming_an_unknown_sla_policy) {
  auto parts = small_parts();
  parts.rules.back().sla_policy = "missing";
  EXPECT_THROW(rulebook{std::move(parts)}, std::invalid_argument);
}

TEST(routing_fallback, rulebook_rejects_a_working_policy_whose_calendar_is_missing) {
  auto parts = small_parts();
  sla::policy_spec working;
  working.id = "working";
  working.continuous = false;
  working.calendar_id = "cn-national";  // no calendars in these parts
  parts.sla_policies.push_back(working);
  EXPECT_THROW(rulebook{std::move(parts)}, std::invalid_argument);
}

TEST(routing_fallback, rulebook_rejects_an_empty_rule_list) {
  auto parts = small_parts();
  parts.rules.clear();
  EXPECT_THROW(rulebook{std::move(parts)}, std::invalid_argument);
}

TEST(routing_fallback, tree_rejects_duplicate_nodes_units_and_unknown_parents) {
  jurisdiction_tree tree;
  tree.add_node(make_node("c", node_kind::city, ""));
  EXPECT_THROW(tree.add_node(make_node("c", node_kind::city, "")), std::invalid_argument);
  EXPECT_THROW(tree.add_node(make_node("s", node_kind::street, "missing")), std::invalid_argument);
  tree.add_unit(unit{"u", "u", level::street, "c", {}});
  EXPECT_THROW(tree.add_unit(unit{"u", "u", level::street, "c", {}}), std::invalid_argument);
  EXPECT_EQ(tree.size(), 1U);
  EXPECT_EQ(tree.roots(), std::vector<std::string>{"c"});
}

}  // namespace
}  // namespace doorstep::routing
