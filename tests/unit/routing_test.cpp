// tests/unit/routing_test.cpp
// Routing over the shipped demo configuration (config/routing.yaml, jurisdictions.yaml):
// every rule is reachable and places tickets where docs/config.md says; first match
// wins; hours windows wrap midnight; units are resolved up the ladder. The fallback
// (兜底) paths are checked on a hand-built rulebook in routing_fallback_test.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "routing/rulebook.h"
#include "support/test_support.h"

namespace doorstep::routing {
namespace {

using testing::at;

const rulebook& book() { return *testing::demo_config().rules; }

// Wednesday 2026-03-04 10:00 local: an ordinary working morning, outside the night window.
instant daytime() { return at(2026, 3, 4, 10, 0); }

// A description with no routing keyword in it (倒灌, 独居, 井盖位移, ... are avoided).
constexpr const char* kPlain = "居民反映情况，请尽快处理";

appeal make_appeal(std::string place, std::string category, std::string description = kPlain,
                   severity sev = severity::normal, channel via = channel::hotline) {
  appeal a;
  a.via = via;
  a.category = std::move(category);
  a.sev = sev;
  a.description = std::move(description);
  a.jurisdiction_id = std::move(place);
  a.resident = {"王秀英", "13812345678"};
  return a;
}

placement route_ok(const appeal& a, instant now = daytime()) {
  auto r = book().route(a, now);
  EXPECT_TRUE(r.ok()) << a.category << " at " << a.jurisdiction_id << ": "
                      << (r.ok() ? "" : r.err().message);
  return r.ok() ? *r : placement{};
}

const rule& rule_named(const std::string& id) {
  for (const auto& r : book().rules()) {
    if (r.id == id) return r;
  }
  ADD_FAILURE() << "no rule " << id;
  return book().rules().back();
}

struct route_case {
  const char* name;
  appeal a;
  instant when;
  const char* rule_id;
  level at;
  const char* unit_id;
  priority prio;
  const char* sla;
};

std::vector<route_case> one_case_per_rule() {
  const instant day = daytime();
  return {
      {"gas smell in Runtai goes to the Taixing gas centre", make_appeal("runtai-huayuan-b1", "gas_smell"), day,
       "urgent-gas", level::department, "taixing-gas", priority::urgent, "urgent-2h"},
      {"open manhole in Hongmei goes to Shangcheng municipal works", make_appeal("hongmei-xincun-b1", "open_manhole"),
       day, "urgent-open-manhole", level::department, "shangcheng-municipal", priority::urgent, "urgent-2h"},
      {"IoT sensor reporting a displaced cover is treated as urgent",
       make_appeal("junhe-xinyuxiang-b1", "manhole_cover", "传感器：井盖位移报警", severity::normal,
                   channel::integration),
       day, "iot-manhole-displaced", level::department, "tianchang-municipal", priority::urgent, "urgent-2h"},
      {"water flowing into homes is an urgent drain job",
       make_appeal("huilong-xinyuan-b1", "waterlogging", "暴雨后雨水倒灌进屋"), day, "flooding-into-homes",
       level::department, "zhenjiang-municipal", priority::urgent, "urgent-2h"},
      {"noise marked urgent goes to the police department",
       make_appeal("haoting-b1", "noise", kPlain, severity::urgent), day, "urgent-severity-department",
       level::department, "jinhu-police", priority::urgent, "urgent-2h"},
      {"an urgent 'other' matter goes to the street office",
       make_appeal("runtai-huayuan-b1", "other", kPlain, severity::urgent), day, "urgent-severity-other",
       level::street, "yanling-office", priority::urgent, "urgent-2h"},
      {"a dark street light goes to municipal works within 24h", make_appeal("qingheyuan-east-b1", "street_light"),
       day, "utilities-24h", level::department, "shangcheng-municipal", priority::high, "utility-24h"},
      {"a pothole goes to municipal works on 7 working days", make_appeal("mixiang-laojie-b1", "road_surface"), day,
       "roads-and-drains", level::department, "taixing-municipal", priority::normal, "general-7d"},
      {"illegal construction goes to urban management", make_appeal("pingan-xiaoqu-b1", "illegal_construction"),
       day, "illegal-construction", level::department, "jinhu-urban", priority::normal, "general-7d"},
      {"a gas check in the piped-gas resettlement compound goes to the city gas centre",
       make_appeal("qingshui-anzhi-b1", "gas_safety_check"), day, "anzhi-piped-gas-check", level::department,
       "taixing-gas", priority::normal, "general-7d"},
      {"a gas check elsewhere in Qingshui goes to the town safety office",
       make_appeal("qingshui-g1", "gas_safety_check"), day, "gas-safety-check", level::department,
       "hongqiao-safety", priority::normal, "general-7d"},
      {"noise at 23:00 goes to the grid worker on the night policy", make_appeal("runtai-huayuan-b1", "noise"),
       at(2026, 3, 4, 23, 0), "night-noise", level::grid, "runtai-g1-worker", priority::high, "night-1h"},
      {"garbage in Shengshi Haoting goes to its elected building head", make_appeal("haoting-b2", "garbage"), day,
       "haoting-building-heads", level::building, "haoting-b2-head", priority::normal, "small-3d"},
      {"small ads stay in the building", make_appeal("runtai-huayuan-b1", "small_ads"), day, "small-in-building",
       level::building, "runtai-huayuan-b1-head", priority::low, "small-3d"},
      {"a neighbour dispute goes to the grid worker", make_appeal("xingyan-jiayuan-b1", "neighbour_dispute"), day,
       "small-in-grid", level::grid, "xingyan-g1-worker", priority::normal, "small-3d"},
      {"a Qinghe-yuan property complaint is supervised by the community",
       make_appeal("qingheyuan-west-b2", "property_complaint"), day, "qingheyuan-property", level::community,
       "qingheyuan-committee", priority::high, "small-3d"},
      {"a lonely elderly resident gets community priority",
       make_appeal("tianbao-huayuan-b1", "elderly_care", "独居老人需要助餐服务"), day, "lonely-elderly",
       level::community, "tianbao-committee", priority::high, "general-7d"},
      {"a health check is a community service", make_appeal("binhe-jiayuan-b1", "health_check"), day,
       "community-services", level::community, "binhe-committee", priority::normal, "general-7d"},
      {"public-space renovation is a complex community matter", make_appeal("jingfang-3-b3", "public_space"), day,
       "community-complex", level::community, "jingfang-committee", priority::normal, "complex-15d"},
      {"anything else goes to the grid worker by default", make_appeal("qianyun-jiayuan-b1", "other"), day,
       "default", level::grid, "qianyun-g1-worker", priority::normal, "general-7d"},
  };
}

void expect_placement(const placement& p, const route_case& c) {
  EXPECT_EQ(p.rule_id, c.rule_id) << c.name;
  EXPECT_EQ(p.at, c.at) << c.name;
  EXPECT_EQ(p.unit_id, c.unit_id) << c.name;
  EXPECT_EQ(p.prio, c.prio) << c.name;
  EXPECT_EQ(p.sla_policy, c.sla) << c.name;
}

TEST(routing, every_demo_rule_places_its_example_appeal_as_documented) {
  for (const auto& c : one_case_per_rule()) expect_placement(route_ok(c.a, c.when), c);
}

TEST(routing, the_example_table_covers_every_rule_in_routing_yaml) {
  std::set<std::string> covered;
  for (const auto& c : one_case_per_rule()) covered.insert(c.rule_id);
  std::set<std::string> configured;
  for (const auto& r : book().rules()) configured.insert(r.id);
  EXPECT_EQ(covered, configured);
  EXPECT_EQ(book().rules().size(), 20U);
  EXPECT_EQ(book().rules().back().id, "default");
}

// --- first match wins ------------------------------------------------------------

struct overlap_case {
  const char* name;
  appeal a;
  instant when;
  const char* earlier;
  const char* later;
};

TEST(routing, an_appeal_matching_two_rules_takes_the_earlier_one) {
  const std::vector<overlap_case> cases{
      {"piped-gas compound", make_appeal("qingshui-anzhi-b1", "gas_safety_check"), daytime(),
       "anzhi-piped-gas-check", "gas-safety-check"},
      {"night noise in Haoting", make_appeal("haoting-b1", "noise"), at(2026, 3, 4, 23, 30), "night-noise",
       "haoting-building-heads"},
      {"day noise in Haoting", make_appeal("haoting-b1", "noise"), daytime(), "haoting-building-heads",
       "small-in-building"},
      {"lonely elderly", make_appeal("tianbao-huayuan-b1", "elderly_care", "空巢老人需要日间照料"), daytime(),
       "lonely-elderly", "community-services"},
      {"flooding", make_appeal("huilong-xinyuan-b1", "waterlogging", "雨水倒灌"), daytime(),
       "flooding-into-homes", "roads-and-drains"},
      {"urgent category", make_appeal("runtai-huayuan-b1", "gas_smell", kPlain, severity::urgent), daytime(),
       "urgent-gas", "urgent-severity-other"},
  };
  for (const auto& c : cases) {
    // The later rule really matches too, so only order decides.
    const int minute = static_cast<int>((to_millis(c.when) / 60000 + kShanghaiOffsetMinutes) % 1440);
    const auto* cat = book().find_category(c.a.category);
    ASSERT_NE(cat, nullptr) << c.name;
    const severity effective = cat->urgent ? severity::urgent : c.a.sev;
    EXPECT_TRUE(matches(rule_named(c.later), c.a, effective, minute, book().tree())) << c.name;
    EXPECT_EQ(route_ok(c.a, c.when).rule_id, c.earlier) << c.name;
  }
}

// --- hours window: night noise 22:00-06:00 wraps midnight -----------------------

TEST(routing, night_noise_window_is_half_open_and_wraps_midnight) {
  struct tick {
    int hour;
    int minute;
    const char* rule_id;
  };
  const std::vector<tick> ticks{
      {21, 59, "small-in-building"}, {22, 0, "night-noise"}, {23, 59, "night-noise"}, {0, 0, "night-noise"},
      {5, 59, "night-noise"},        {6, 0, "small-in-building"}, {12, 0, "small-in-building"},
  };
  const auto a = make_appeal("runtai-huayuan-b1", "noise");
  for (const auto& t : ticks) {
    EXPECT_EQ(route_ok(a, at(2026, 3, 5, t.hour, t.minute)).rule_id, t.rule_id) << t.hour << ":" << t.minute;
  }
}

TEST(routing, night_noise_window_uses_shanghai_local_time_not_utc) {
  // 2026-03-04 14:30 UTC is 22:30 in Shanghai: night. 22:30 UTC is 06:30 next day local: day.
  const auto a = make_appeal("runtai-huayuan-b1", "noise");
  EXPECT_EQ(route_ok(a, at(2026, 3, 4, 22, 30)).rule_id, "night-noise");
  const instant utc_2230 = from_millis((days_from_civil(2026, 3, 4) * 1440 + 22 * 60 + 30) * 60000LL);
  EXPECT_EQ(route_ok(a, utc_2230).rule_id, "small-in-building");
}

TEST(routing, hours_window_contains_start_but_not_end) {
  const hours_window day{8 * 60, 18 * 60};
  EXPECT_FALSE(day.contains(8 * 60 - 1));
  EXPECT_TRUE(day.contains(8 * 60));
  EXPECT_TRUE(day.contains(18 * 60 - 1));
  EXPECT_FALSE(day.contains(18 * 60));
  const hours_window night{22 * 60, 6 * 60};
  EXPECT_TRUE(night.contains(0));
  EXPECT_TRUE(night.contains(1439));
  EXPECT_FALSE(night.contains(12 * 60));
}

// --- keywords, channels, jurisdiction subtrees ------------------------------------

TEST(routing, keywords_match_any_substring_of_the_description) {
  EXPECT_EQ(route_ok(make_appeal("tianbao-huayuan-b1", "elderly_care", "独居老人")).rule_id, "lonely-elderly");
  EXPECT_EQ(route_ok(make_appeal("tianbao-huayuan-b1", "elderly_care", "家里老人失能，需要上门照护")).rule_id,
            "lonely-elderly");
  EXPECT_EQ(route_ok(make_appeal("tianbao-huayuan-b1", "elderly_care", "想了解社区助餐服务")).rule_id,
            "community-services");
}

TEST(routing, iot_rule_needs_both_the_integration_channel_and_a_keyword) {
  const std::string alarm = "井盖传感器倾斜报警";
  EXPECT_EQ(route_ok(make_appeal("junhe-g1", "manhole_cover", alarm, severity::normal, channel::integration)).rule_id,
            "iot-manhole-displaced");
  EXPECT_EQ(route_ok(make_appeal("junhe-g1", "manhole_cover", alarm, severity::normal, channel::hotline)).rule_id,
            "utilities-24h");
  EXPECT_EQ(route_ok(make_appeal("junhe-g1", "manhole_cover", kPlain, severity::normal, channel::integration)).rule_id,
            "utilities-24h");
}

TEST(routing, jurisdiction_condition_matches_the_node_and_everything_below_it) {
  for (const char* place : {"qingheyuan", "qingheyuan-g2", "qingheyuan-west", "qingheyuan-west-b1"}) {
    const auto p = route_ok(make_appeal(place, "property_complaint"));
    EXPECT_EQ(p.rule_id, "qingheyuan-property") << place;
    EXPECT_EQ(p.unit_id, "qingheyuan-committee") << place;
  }
  // A sibling community in the same district is outside the subtree.
  EXPECT_EQ(route_ok(make_appeal("hongmei-xincun-b1", "property_complaint")).rule_id, "community-services");
}

TEST(routing, urgent_categories_count_as_urgent_severity_even_when_reported_low) {
  const auto p = route_ok(make_appeal("hongmei-xincun-b2", "open_manhole", kPlain, severity::low));
  EXPECT_EQ(p.prio, priority::urgent);
  EXPECT_EQ(p.sla_policy, "urgent-2h");
  ASSERT_NE(book().find_category("gas_smell"), nullptr);
  EXPECT_TRUE(book().find_category("gas_smell")->urgent);
  EXPECT_FALSE(book().find_category("noise")->urgent);
  // A non-urgent category only reaches the urgent rules when the reporter says so.
  EXPECT_EQ(route_ok(make_appeal("runtai-huayuan-b1", "other", kPlain, severity::normal)).rule_id, "default");
  EXPECT_EQ(route_ok(make_appeal("runtai-huayuan-b1", "other", kPlain, severity::urgent)).rule_id,
            "urgent-severity-other");
}

// --- resolving levels to units ----------------------------------------------------

TEST(routing, building_without_a_head_falls_to_its_grid_worker) {
  // runtai-huayuan-b2 has no 楼栋长; b1 has 王建国.
  const auto vacant = route_ok(make_appeal("runtai-huayuan-b2", "small_ads"));
  EXPECT_EQ(vacant.rule_id, "small-in-building");
  EXPECT_EQ(vacant.at, level::grid);
  EXPECT_EQ(vacant.unit_id, "runtai-g1-worker");
  const auto headed = route_ok(make_appeal("runtai-huayuan-b1", "small_ads"));
  EXPECT_EQ(headed.at, level::building);
  EXPECT_EQ(headed.unit_id, "runtai-huayuan-b1-head");
  // 盛世豪庭 6号楼's election is pending: its small matters go to 平安第一网格.
  const auto pending = route_ok(make_appeal("haoting-b6", "garbage"));
  EXPECT_EQ(pending.rule_id, "haoting-building-heads");
  EXPECT_EQ(pending.at, level::grid);
  EXPECT_EQ(pending.unit_id, "pingan-g1-worker");
}

TEST(routing, a_ticket_placed_at_a_community_enters_at_the_community_for_building_rules) {
  const auto p = route_ok(make_appeal("runtai", "small_ads"));
  EXPECT_EQ(p.at, level::community);
  EXPECT_EQ(p.unit_id, "runtai-committee");
}

TEST(routing, department_lookup_takes_the_nearest_department_handling_the_category) {
  // 虹桥镇 has its own safety office for gas checks; its gas smells still go to the city.
  struct dept_case {
    const char* place;
    const char* category;
    const char* unit_id;
  };
  const std::vector<dept_case> cases{
      {"qingshui-g2", "gas_safety_check", "hongqiao-safety"},
      {"qingshui", "gas_safety_check", "hongqiao-safety"},
      {"hongqiao", "gas_safety_check", "hongqiao-safety"},
      {"qingshui-g2", "gas_smell", "taixing-gas"},
      {"runtai-huayuan-b1", "gas_safety_check", "taixing-gas"},
      {"binhe-g1", "gas_safety_check", "taixing-gas"},
      {"hongmei-xincun-b1", "gas_safety_check", "shangcheng-gas"},
  };
  for (const auto& c : cases) {
    const auto p = book().unit_at_or_above(c.place, c.category, level::department);
    ASSERT_TRUE(p.has_value()) << c.place << " " << c.category;
    EXPECT_EQ(p->at, level::department) << c.place;
    EXPECT_EQ(p->unit_id, c.unit_id) << c.place << " " << c.category;
  }
}

TEST(routing, unit_at_or_above_skips_levels_without_a_unit) {
  struct ladder_case {
    const char* place;
    const char* category;
    level from;
    level at;
    const char* unit_id;
  };
  const std::vector<ladder_case> cases{
      {"runtai-huayuan-b1", "garbage", level::building, level::building, "runtai-huayuan-b1-head"},
      {"runtai-huayuan-b2", "garbage", level::building, level::grid, "runtai-g1-worker"},
      {"runtai-huayuan", "garbage", level::building, level::grid, "runtai-g1-worker"},  // compound: no building
      {"qingshui-g1", "garbage", level::building, level::grid, "qingshui-g1-worker"},
      {"runtai", "garbage", level::grid, level::community, "runtai-committee"},
      {"yanling", "garbage", level::building, level::street, "yanling-office"},
      {"runtai-huayuan-b1", "garbage", level::street, level::street, "yanling-office"},
      {"taixing", "garbage", level::building, level::department, "taixing-urban"},  // a city has no ladder units
  };
  for (const auto& c : cases) {
    const auto p = book().unit_at_or_above(c.place, c.category, c.from);
    ASSERT_TRUE(p.has_value()) << c.place << " from " << to_string(c.from);
    EXPECT_EQ(p->at, c.at) << c.place << " from " << to_string(c.from);
    EXPECT_EQ(p->unit_id, c.unit_id) << c.place << " from " << to_string(c.from);
  }
}

TEST(routing, unit_at_or_above_is_nullopt_when_nothing_handles_it_at_department_or_above) {
  // No department handles `other`, and nothing lies above department.
  EXPECT_FALSE(book().unit_at_or_above("runtai-huayuan-b1", "other", level::department).has_value());
  EXPECT_FALSE(book().unit_at_or_above("taixing", "other", level::building).has_value());
  EXPECT_FALSE(book().unit_at_or_above("nowhere", "garbage", level::building).has_value());
}

TEST(routing, every_department_rule_finds_a_department_on_every_place_it_can_match) {
  // docs/config.md: categories a rule sends to `department` without an explicit unit must
  // be handled on the path of every place; the demo gives every root all departments.
  for (const auto& r : book().rules()) {
    if (r.at != level::department || !r.unit_id.empty()) continue;
    ASSERT_FALSE(r.match.categories.empty()) << r.id << " sends every category to a department";
    for (const auto& [id, n] : book().tree().nodes()) {
      if (n.kind < node_kind::community) continue;
      const auto& roots = r.match.jurisdictions;
      if (!roots.empty() && std::none_of(roots.begin(), roots.end(), [&](const std::string& root) {
            return book().tree().in_subtree(id, root);
          })) {
        continue;
      }
      for (const auto& cat : r.match.categories) {
        const auto p = book().unit_at_or_above(id, cat, level::department);
        ASSERT_TRUE(p.has_value()) << r.id << " " << cat << " at " << id;
        const unit* u = book().tree().find_unit(p->unit_id);
        ASSERT_NE(u, nullptr);
        EXPECT_TRUE(u->handles.count(cat)) << p->unit_id << " " << cat;
        EXPECT_TRUE(book().tree().in_subtree(id, u->node_id)) << p->unit_id << " is not above " << id;
      }
    }
  }
}

// --- places: communities, duplicate scope, streets, serving units -----------------

TEST(routing, community_of_finds_the_owning_community_from_any_place_below_it) {
  struct place_case {
    const char* place;
    const char* community;
  };
  const std::vector<place_case> cases{
      {"runtai-huayuan-b1", "runtai"}, {"runtai-huayuan", "runtai"}, {"runtai-g2", "runtai"},
      {"runtai", "runtai"},            {"qingshui-g1", "qingshui"},   {"haoting-b6", "pingan"},
  };
  for (const auto& c : cases) {
    const auto r = book().community_of(c.place);
    ASSERT_TRUE(r.ok()) << c.place;
    EXPECT_EQ(*r, c.community) << c.place;
  }
}

TEST(routing, community_of_rejects_streets_cities_and_unknown_places) {
  for (const char* place : {"yanling", "hongqiao", "taixing", "shangcheng", "nowhere", ""}) {
    const auto r = book().community_of(place);
    ASSERT_FALSE(r.ok()) << place;
    EXPECT_EQ(r.err().code, "unknown_jurisdiction") << place;
    EXPECT_EQ(r.err().field, "location.jurisdiction_id") << place;
  }
}

TEST(routing, route_rejects_an_unknown_category_naming_the_category_field) {
  const auto r = book().route(make_appeal("runtai-huayuan-b1", "potholes"), daytime());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().code, "unknown_category");
  EXPECT_EQ(r.err().field, "category");
  EXPECT_NE(r.err().message.find("potholes"), std::string::npos);
}

TEST(routing, route_rejects_a_place_above_community_or_unknown) {
  for (const char* place : {"yanling", "nowhere"}) {
    const auto r = book().route(make_appeal(place, "garbage"), daytime());
    ASSERT_FALSE(r.ok()) << place;
    EXPECT_EQ(r.err().code, "unknown_jurisdiction") << place;
  }
}

TEST(routing, duplicate_scope_is_the_compound_of_a_place_or_the_place_above_it) {
  EXPECT_EQ(book().duplicates().scope, duplicate_scope::compound);
  EXPECT_EQ(book().duplicates().window, std::chrono::hours(72));
  EXPECT_EQ(book().duplicates().hot_spot_joins, 3U);
  EXPECT_EQ(book().duplicate_scope_of("runtai-huayuan-b1"), "runtai-huayuan");
  EXPECT_EQ(book().duplicate_scope_of("runtai-huayuan-b2"), "runtai-huayuan");
  EXPECT_EQ(book().duplicate_scope_of("runtai-huayuan"), "runtai-huayuan");
  EXPECT_EQ(book().duplicate_scope_of("runtai-g1"), "runtai-g1");    // above the scope: itself
  EXPECT_EQ(book().duplicate_scope_of("qingshui-g1"), "qingshui-g1");  // village group, no compound
  EXPECT_EQ(book().duplicate_scope_of("runtai"), "runtai");
}

TEST(routing, street_of_finds_the_street_or_town_of_a_place) {
  EXPECT_EQ(book().street_of("runtai-huayuan-b1"), "yanling");
  EXPECT_EQ(book().street_of("qingshui-anzhi-b2"), "hongqiao");
  EXPECT_EQ(book().street_of("huilong-fujia"), "nanshan");
  EXPECT_EQ(book().street_of("jichuan"), "jichuan");
  EXPECT_EQ(book().street_of("taixing"), "");
  EXPECT_EQ(book().street_of("nowhere"), "");
}

TEST(routing, unit_serves_only_the_ladder_unit_of_that_place_at_that_level) {
  EXPECT_TRUE(book().unit_serves("runtai-g1-worker", level::grid, "runtai-huayuan-b2"));
  EXPECT_TRUE(book().unit_serves("runtai-huayuan-b1-head", level::building, "runtai-huayuan-b1"));
  EXPECT_TRUE(book().unit_serves("runtai-committee", level::community, "runtai-xincun-b1"));
  EXPECT_TRUE(book().unit_serves("yanling-office", level::street, "runtai-huayuan-b1"));
  EXPECT_FALSE(book().unit_serves("runtai-g1-worker", level::grid, "runtai-xincun-b1"));  // the other grid
  EXPECT_FALSE(book().unit_serves("runtai-huayuan-b1-head", level::building, "runtai-huayuan-b3"));
  EXPECT_FALSE(book().unit_serves("runtai-g1-worker", level::community, "runtai-huayuan-b1"));  // wrong level
  EXPECT_FALSE(book().unit_serves("jichuan-office", level::street, "runtai-huayuan-b1"));
  EXPECT_FALSE(book().unit_serves("no-such-unit", level::grid, "runtai-huayuan-b1"));
  EXPECT_TRUE(book().unit_serves("taixing-gas", level::department, "runtai-huayuan-b1"));
  EXPECT_FALSE(book().unit_serves("taixing-gas", level::street, "runtai-huayuan-b1"));
}

TEST(routing, unit_serves_rejects_a_department_of_another_city) {
  EXPECT_FALSE(book().unit_serves("taixing-gas", level::department, "hongmei-xincun-b1"));
  EXPECT_FALSE(book().unit_serves("hongqiao-safety", level::department, "runtai-huayuan-b1"));
}

TEST(routing, a_clock_under_a_removed_sla_policy_runs_under_the_default_rules_policy) {
  const instant t = at(2026, 3, 2, 9, 0);
  EXPECT_EQ(book().start_clock("retired-policy", clock_kind::resolve, t),
            book().start_clock("general-7d", clock_kind::resolve, t));
}

}  // namespace
}  // namespace doorstep::routing
