// tests/unit/config_loader_test.cpp
// config::load over the shipped demo and over broken copies of it. Each broken case
// copies config/*.yaml into a temp dir, changes one file's text, and checks that the
// config_error names that file, the line of the fault and the field path with the problem
// ("<file>:<line>:<col>: <field>: <problem>", see config/loader.h). Lines are looked up in
// the edited text, so the cases survive unrelated edits of the demo files.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "config/loader.h"
#include "support/test_support.h"

namespace doorstep::config {
namespace {

namespace fs = std::filesystem;

const fs::path kDemoDir = fs::path(DOORSTEP_SOURCE_DIR) / "config";

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_text(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
}

class config_loader : public ::testing::Test {
 protected:
  config_loader() { reset(); }

  // Fresh copies of the demo files.
  void reset() {
    for (const auto& e : fs::directory_iterator(dir_.path())) fs::remove(e.path());
    for (const auto& e : fs::directory_iterator(kDemoDir)) {
      if (e.path().extension() == ".yaml") fs::copy_file(e.path(), dir_.path() / e.path().filename());
    }
  }

  fs::path file(const std::string& name) const { return dir_.path() / name; }

  // Replaces the one occurrence of `from` in config file `name` with `to`.
  void edit(const std::string& name, const std::string& from, const std::string& to) {
    std::string text = read_text(file(name));
    const auto pos = text.find(from);
    ASSERT_NE(pos, std::string::npos) << "'" << from << "' not in " << name;
    ASSERT_EQ(text.find(from, pos + 1), std::string::npos) << "'" << from << "' is not unique in " << name;
    text.replace(pos, from.size(), to);
    write_text(file(name), text);
  }

  // The 1-based line of the first occurrence of `needle` in config file `name`.
  int line_of(const std::string& name, const std::string& needle) const {
    const std::string text = read_text(file(name));
    const auto pos = text.find(needle);
    EXPECT_NE(pos, std::string::npos) << "'" << needle << "' not in " << name;
    if (pos == std::string::npos) return -1;
    return 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(pos), '\n'));
  }

  loaded_config load() const { return config::load(file("doorstep.yaml")); }

  // The message of the config_error that loading throws, or "" (with a failure) if it loads.
  std::string load_error() const {
    try {
      load();
    } catch (const config_error& e) {
      return e.what();
    }
    ADD_FAILURE() << "the configuration loaded, but an error was expected";
    return {};
  }

  // Loading fails at `name`:`line` with a message containing every fragment.
  void expect_load_error(const std::string& name, int line, const std::vector<std::string>& fragments) const {
    const std::string msg = load_error();
    const std::string where = file(name).string() + ":" + std::to_string(line) + ":";
    EXPECT_EQ(msg.rfind(where, 0), 0U) << "expected to start with " << where << "\n  got: " << msg;
    for (const auto& f : fragments) EXPECT_NE(msg.find(f), std::string::npos) << "missing '" << f << "' in: " << msg;
  }

  doorstep::testing::temp_dir dir_;
};

// --- the demo loads -------------------------------------------------------------

TEST(config_demo, loads_engine_settings_from_doorstep_yaml) {
  const auto& cfg = doorstep::testing::demo_config();
  EXPECT_EQ(cfg.engine.partitions, 8U);
  EXPECT_EQ(cfg.engine.data_dir, "./data/doorstep");
  EXPECT_EQ(cfg.engine.dur, durability::sync);
  EXPECT_EQ(cfg.engine.group_commit_max, 256U);
  EXPECT_EQ(cfg.rules->max_returns(), 2U);
  EXPECT_EQ(cfg.rules->hot_spot_joins(), 3U);
  EXPECT_EQ(cfg.rules->fallback_unit(), "yanling-office");
}

TEST(config_demo, loads_the_documented_places_categories_policies_and_rules) {
  const auto& book = *doorstep::testing::demo_config().rules;
  std::map<routing::node_kind, int> kinds;
  int headed = 0;
  for (const auto& [id, n] : book.tree().nodes()) {
    ++kinds[n.kind];
    if (n.kind == routing::node_kind::building && n.unit_id) ++headed;
  }
  EXPECT_EQ(book.tree().size(), 162U);
  EXPECT_EQ(kinds[routing::node_kind::city], 4);
  EXPECT_EQ(kinds[routing::node_kind::district], 1);
  EXPECT_EQ(kinds[routing::node_kind::street], 11);
  EXPECT_EQ(kinds[routing::node_kind::community], 15);
  EXPECT_EQ(kinds[routing::node_kind::grid], 33);
  EXPECT_EQ(kinds[routing::node_kind::compound], 30);
  EXPECT_EQ(kinds[routing::node_kind::building], 68);
  EXPECT_EQ(headed, 42);  // docs/config.md: 42 of the 68 buildings have a 楼栋长
  EXPECT_EQ(book.tree().roots().size(), 5U);
  EXPECT_EQ(book.categories().size(), 23U);
  EXPECT_EQ(book.rules().size(), 20U);
  EXPECT_EQ(book.calendars().size(), 1U);
  for (const char* id : {"urgent-2h", "utility-24h", "night-1h", "small-3d", "general-7d", "complex-15d"}) {
    EXPECT_NE(book.find_sla(id), nullptr) << id;
  }
}

TEST_F(config_loader, a_copy_of_the_demo_loads_and_records_each_rules_line) {
  const auto cfg = load();
  EXPECT_EQ(cfg.entry_file, file("doorstep.yaml").string());
  const auto& rules = cfg.rules->rules();
  ASSERT_EQ(rules.size(), 20U);
  EXPECT_EQ(rules.front().line, line_of("routing.yaml", "- id: urgent-gas"));
  EXPECT_EQ(rules.back().line, line_of("routing.yaml", "- id: default"));
}

TEST_F(config_loader, chinese_names_descriptions_and_keywords_round_trip_unchanged) {
  edit("categories.yaml", "name: 路灯不亮", "name: \"路灯不亮：灯杆倾斜 #3号（夜间）\"");
  edit("jurisdictions.yaml", "name: 润泰社区\n", "name: 润泰社区（延令街道）\n");
  const auto cfg = load();
  const auto& book = *cfg.rules;
  ASSERT_NE(book.find_category("street_light"), nullptr);
  EXPECT_EQ(book.find_category("street_light")->name, "路灯不亮：灯杆倾斜 #3号（夜间）");
  EXPECT_EQ(book.tree().find("runtai")->name, "润泰社区（延令街道）");
  EXPECT_EQ(book.tree().find("taixing")->name, "泰兴市");
  EXPECT_EQ(book.tree().find_unit("runtai-g1-worker")->name, "网格员 张丽");
  EXPECT_EQ(book.tree().find_unit("hongqiao-safety")->name, "虹桥镇安全生产监督管理办公室");
  EXPECT_EQ(book.find_category("gas_smell")->name, "燃气泄漏/煤气味");
  const auto& kw = book.find_category("gas_smell")->keywords;
  EXPECT_NE(std::find(kw.begin(), kw.end(), "煤气味"), kw.end());
  EXPECT_EQ(book.rules().front().description, "燃气泄漏直达燃气部门，24 小时紧急处置");
  EXPECT_EQ(book.find_sla("urgent-2h")->spec().name, "紧急 2 小时");
}

// --- unknown keys ------------------------------------------------------------------

TEST_F(config_loader, rejects_a_misspelt_route_key_naming_it_and_the_allowed_keys) {
  edit("routing.yaml", "route: {level: grid, priority: normal, sla: general-7d}",
       "route: {level: grid, priority: normal, sla_polcy: general-7d}");
  expect_load_error("routing.yaml", line_of("routing.yaml", "sla_polcy"),
                    {"rules[19].route: unknown field 'sla_polcy'", "allowed: level, unit, priority, sla"});
}

TEST_F(config_loader, rejects_a_misspelt_engine_key) {
  edit("doorstep.yaml", "  partitions: 8", "  partitons: 8");
  expect_load_error("doorstep.yaml", line_of("doorstep.yaml", "partitons"), {"engine: unknown field 'partitons'"});
}

// --- routing.yaml references ----------------------------------------------------------

TEST_F(config_loader, rejects_a_rule_naming_an_unknown_category) {
  edit("routing.yaml", "category: [illegal_construction]", "category: [illegal_constructoin]");
  expect_load_error("routing.yaml", line_of("routing.yaml", "illegal_constructoin"),
                    {"rules[8].match.category[0]: unknown category 'illegal_constructoin'"});
}

TEST_F(config_loader, rejects_a_rule_naming_an_unknown_sla_policy) {
  edit("routing.yaml", "sla: night-1h}", "sla: night-2h}");
  expect_load_error("routing.yaml", line_of("routing.yaml", "night-2h"),
                    {"rules[11].route.sla: unknown SLA policy 'night-2h'"});
}

TEST_F(config_loader, rejects_a_rule_naming_an_unknown_unit) {
  edit("routing.yaml", "unit: taixing-gas,", "unit: taixing-gass,");
  expect_load_error("routing.yaml", line_of("routing.yaml", "taixing-gass"),
                    {"rules[9].route.unit: unknown unit 'taixing-gass'"});
}

TEST_F(config_loader, rejects_a_rule_whose_unit_sits_at_another_level) {
  edit("routing.yaml", "unit: taixing-gas,", "unit: hongqiao-office,");
  expect_load_error("routing.yaml", line_of("routing.yaml", "unit: hongqiao-office"),
                    {"rules[9].route.unit: unit 'hongqiao-office' is not at level department"});
}

TEST_F(config_loader, rejects_a_rule_naming_an_unknown_jurisdiction) {
  edit("routing.yaml", "jurisdiction: [shengshi-haoting]", "jurisdiction: [shengshi-haoting-2]");
  expect_load_error("routing.yaml", line_of("routing.yaml", "shengshi-haoting-2"),
                    {"rules[12].match.jurisdiction[0]: unknown jurisdiction 'shengshi-haoting-2'"});
}

TEST_F(config_loader, rejects_a_rule_after_the_default) {
  write_text(file("routing.yaml"), read_text(file("routing.yaml")) +
                                       "\n  - id: late\n    match: {category: [noise]}\n"
                                       "    route: {level: grid, priority: normal, sla: small-3d}\n");
  // The default is no longer last: it would hide the rule after it.
  expect_load_error("routing.yaml", line_of("routing.yaml", "match: {}"),
                    {"rules[19].match: only the last rule may match everything"});
}

TEST_F(config_loader, rejects_a_routing_file_without_a_default_rule) {
  edit("routing.yaml",
       "  - id: default\n    description: 其余事项交网格员\n    match: {}\n"
       "    route: {level: grid, priority: normal, sla: general-7d}\n",
       "");
  // The block mapping under `match:` of the now-last rule starts on its first key.
  expect_load_error("routing.yaml", line_of("routing.yaml", "category: [rights_protection, public_space]"),
                    {"rules[18].match: the last rule must be the default"});
}

TEST_F(config_loader, rejects_an_empty_rule_list) {
  write_text(file("routing.yaml"), "# no rules\nrules: []\n");
  expect_load_error("routing.yaml", 2, {"rules: at least one rule (the default) is required"});
}

TEST_F(config_loader, rejects_an_empty_match_before_the_last_rule) {
  edit("routing.yaml", "  - id: night-noise\n",
       "  - id: catch-all\n    match: {}\n    route: {level: grid, priority: normal, sla: general-7d}\n\n"
       "  - id: night-noise\n");
  expect_load_error("routing.yaml", line_of("routing.yaml", "match: {}"), {"rules[11].match"});
}

TEST_F(config_loader, rejects_a_department_rule_whose_category_has_no_department_on_some_path) {
  edit("jurisdictions.yaml", "{id: jinhu-gas, name: 金湖县燃气服务中心, handles: [gas_smell, gas_safety_check]}",
       "{id: jinhu-gas, name: 金湖县燃气服务中心, handles: [gas_safety_check]}");
  const std::string msg = load_error();
  EXPECT_NE(msg.find("gas_smell"), std::string::npos) << msg;
}

TEST_F(config_loader, rejects_an_explicit_department_unit_off_the_rules_path) {
  edit("routing.yaml", "unit: taixing-gas,", "unit: shangcheng-gas,");
  expect_load_error("routing.yaml", line_of("routing.yaml", "unit: shangcheng-gas"), {"rules[9].route.unit"});
}

// --- duplicate ids -------------------------------------------------------------------

TEST_F(config_loader, rejects_a_duplicate_node_id) {
  edit("jurisdictions.yaml", "{id: runtai-huayuan-b2, name: 2号楼", "{id: runtai-huayuan-b1, name: 2号楼");
  expect_load_error("jurisdictions.yaml", line_of("jurisdictions.yaml", "{id: runtai-huayuan-b1, name: 2号楼"),
                    {"nodes[0].children[0].children[0].children[0].children[0].children[1].id: "
                     "duplicate jurisdiction id 'runtai-huayuan-b1'"});
}

TEST_F(config_loader, rejects_a_duplicate_unit_id) {
  edit("jurisdictions.yaml", "unit: {id: runtai-huayuan-b3-head", "unit: {id: runtai-huayuan-b1-head");
  const int line = line_of("jurisdictions.yaml", "{id: runtai-huayuan-b3,");
  expect_load_error("jurisdictions.yaml", line,
                    {"nodes[0].children[0].children[0].children[0].children[0].children[2].unit.id: "
                     "duplicate unit id 'runtai-huayuan-b1-head'"});
}

TEST_F(config_loader, rejects_a_department_reusing_another_departments_id) {
  edit("jurisdictions.yaml", "{id: shangcheng-gas, name:", "{id: taixing-gas, name:");
  expect_load_error("jurisdictions.yaml", line_of("jurisdictions.yaml", "{id: taixing-gas, name: 上城区"),
                    {"nodes[1].departments[3].id: duplicate unit id 'taixing-gas'"});
}

TEST_F(config_loader, rejects_a_unit_id_equal_to_a_node_id) {
  edit("jurisdictions.yaml", "unit: {id: runtai-huayuan-b3-head", "unit: {id: runtai-huayuan");
  expect_load_error("jurisdictions.yaml", line_of("jurisdictions.yaml", "{id: runtai-huayuan-b3,"),
                    {"runtai-huayuan"});
}

TEST_F(config_loader, rejects_a_duplicate_category_code) {
  edit("categories.yaml", "code: other", "code: noise");
  expect_load_error("categories.yaml", line_of("categories.yaml", "code: noise\n    name: 其他"),
                    {"categories[22].code: duplicate category code 'noise'"});
}

TEST_F(config_loader, rejects_a_duplicate_rule_id) {
  edit("routing.yaml", "  - id: small-in-grid\n", "  - id: small-in-building\n");
  expect_load_error("routing.yaml", line_of("routing.yaml", "id: small-in-building\n    description: 邻里纠纷"),
                    {"rules[14].id: duplicate rule id 'small-in-building'"});
}

TEST_F(config_loader, rejects_a_duplicate_sla_policy_id) {
  edit("sla.yaml", "  - id: night-1h\n", "  - id: utility-24h\n");
  expect_load_error("sla.yaml", line_of("sla.yaml", "id: utility-24h\n    name: 夜间"),
                    {"policies[2].id: duplicate SLA policy id 'utility-24h'"});
}

// --- sla.yaml ------------------------------------------------------------------------

TEST_F(config_loader, rejects_a_target_with_an_unknown_unit_letter) {
  edit("sla.yaml", "resolve: 7d", "resolve: 7x");
  expect_load_error("sla.yaml", line_of("sla.yaml", "resolve: 7x"),
                    {"policies[4].resolve: '7x' must end in m, h or d"});
}

TEST_F(config_loader, rejects_a_plain_window_that_is_not_a_duration) {
  edit("sla.yaml", "feedback_window: 15d", "feedback_window: 15x");
  expect_load_error("sla.yaml", line_of("sla.yaml", "15x"),
                    {"policies[4].feedback_window: '15x' is not a positive duration"});
}

TEST_F(config_loader, rejects_a_target_that_is_not_a_number) {
  edit("sla.yaml", "resolve: 7d", "resolve: nanh");
  expect_load_error("sla.yaml", line_of("sla.yaml", "resolve: nanh"), {"policies[4].resolve"});
}

TEST_F(config_loader, rejects_warning_fractions_that_do_not_increase) {
  edit("sla.yaml", "warn_at: [0.5, 0.8, 0.9]", "warn_at: [0.5, 0.9, 0.8]");
  expect_load_error("sla.yaml", line_of("sla.yaml", "warn_at: [0.5, 0.9, 0.8]"),
                    {"policies[5].warn_at[2]: warning fractions must increase strictly within (0, 1)"});
}

TEST_F(config_loader, rejects_a_warning_fraction_of_one) {
  edit("sla.yaml", "warn_at: [0.5]", "warn_at: [1.0]");
  expect_load_error("sla.yaml", line_of("sla.yaml", "warn_at: [1.0]"),
                    {"policies[2].warn_at[0]: warning fractions must increase strictly within (0, 1)"});
}

TEST_F(config_loader, rejects_a_working_policy_naming_a_missing_calendar) {
  edit("sla.yaml", "    calendar: cn-national\n    accept: 2h\n    contact: 4h",
       "    calendar: cn-holidays\n    accept: 2h\n    contact: 4h");
  expect_load_error("sla.yaml", line_of("sla.yaml", "calendar: cn-holidays"),
                    {"policies[3].calendar: unknown calendar 'cn-holidays'"});
}

TEST_F(config_loader, rejects_a_working_policy_without_a_calendar) {
  edit("sla.yaml", "    calendar: cn-national\n    accept: 2h\n    contact: 4h", "    accept: 2h\n    contact: 4h");
  expect_load_error("sla.yaml", line_of("sla.yaml", "id: small-3d"),
                    {"policies[3]: missing required field 'calendar'"});
}

TEST_F(config_loader, rejects_a_calendar_on_a_continuous_policy) {
  edit("sla.yaml", "    basis: continuous\n    accept: 15m", "    basis: continuous\n    calendar: cn-national\n"
                                                                "    accept: 15m");
  expect_load_error("sla.yaml", line_of("sla.yaml", "calendar: cn-national\n    accept: 15m"),
                    {"policies[0].calendar: a continuous (24x7) policy uses no calendar"});
}

// --- calendar-2026.yaml ------------------------------------------------------------

TEST_F(config_loader, rejects_a_day_that_does_not_exist) {
  edit("calendar-2026.yaml", "\"2026-02-28\"", "\"2026-02-30\"");
  expect_load_error("calendar-2026.yaml", line_of("calendar-2026.yaml", "2026-02-30"),
                    {"calendars[0].years.2026.make_up_days[2]: '2026-02-30' is not a date YYYY-MM-DD"});
}

TEST_F(config_loader, rejects_a_holiday_range_that_ends_before_it_starts) {
  edit("calendar-2026.yaml", "2026-04-04..2026-04-06", "2026-04-06..2026-04-04");
  expect_load_error("calendar-2026.yaml", line_of("calendar-2026.yaml", "2026-04-06..2026-04-04"),
                    {"calendars[0].years.2026.holidays[2]: range '2026-04-06..2026-04-04' ends before it starts"});
}

TEST_F(config_loader, rejects_a_holiday_outside_its_year) {
  edit("calendar-2026.yaml", "2026-06-19..2026-06-21", "2025-06-19..2025-06-21");
  expect_load_error("calendar-2026.yaml", line_of("calendar-2026.yaml", "2025-06-19"),
                    {"calendars[0].years.2026.holidays[4]: date 2025-06-19..2025-06-21 is not in year 2026"});
}

TEST_F(config_loader, rejects_a_reversed_working_period) {
  edit("calendar-2026.yaml", "\"13:30-17:30\"", "\"17:30-13:30\"");
  expect_load_error("calendar-2026.yaml", line_of("calendar-2026.yaml", "working_hours"),
                    {"calendars[0].working_hours[1]: a working period must end after it starts"});
}

TEST_F(config_loader, rejects_overlapping_working_periods) {
  edit("calendar-2026.yaml", "\"13:30-17:30\"", "\"11:30-17:30\"");
  const std::string msg = load_error();
  EXPECT_EQ(msg.rfind(file("calendar-2026.yaml").string() + ":", 0), 0U) << msg;
  EXPECT_NE(msg.find("calendars[0].working_hours[1]: working periods must be in order and must not overlap"),
            std::string::npos)
      << msg;
}

TEST_F(config_loader, overlapping_working_periods_are_reported_at_the_working_hours_line) {
  edit("calendar-2026.yaml", "\"13:30-17:30\"", "\"11:30-17:30\"");
  expect_load_error("calendar-2026.yaml", line_of("calendar-2026.yaml", "working_hours"),
                    {"calendars[0].working_hours[1]", "overlap"});
}

TEST_F(config_loader, rejects_a_make_up_day_that_is_not_a_weekend_day) {
  edit("calendar-2026.yaml", "\"2026-05-09\"", "\"2026-05-08\"");  // a Friday
  const std::string msg = load_error();
  EXPECT_EQ(msg.rfind(file("calendar-2026.yaml").string() + ":", 0), 0U) << msg;
  EXPECT_NE(msg.find("make-up day 2026-05-08 is not a weekend day"), std::string::npos) << msg;
}

// --- jurisdictions.yaml ------------------------------------------------------------

TEST_F(config_loader, rejects_a_street_below_a_community) {
  edit("jurisdictions.yaml", "                kind: grid\n                unit: {id: runtai-g1-worker",
       "                kind: street\n                unit: {id: runtai-g1-worker");
  expect_load_error("jurisdictions.yaml",
                    line_of("jurisdictions.yaml", "kind: street\n                unit: {id: runtai-g1"),
                    {"nodes[0].children[0].children[0].children[0].kind: street cannot sit below a community"});
}

TEST_F(config_loader, rejects_an_unknown_node_kind) {
  edit("jurisdictions.yaml", "name: 清水村\n            kind: community", "name: 清水村\n            kind: village");
  expect_load_error("jurisdictions.yaml", line_of("jurisdictions.yaml", "kind: village"),
                    {"nodes[0].children[3].children[0].kind: must be one of city, district"});
}

TEST_F(config_loader, rejects_a_ladder_unit_on_a_compound) {
  edit("jurisdictions.yaml", "name: 润泰花园\n                    kind: compound\n",
       "name: 润泰花园\n                    kind: compound\n                    unit: {id: huayuan-pm, name: 物业}\n");
  expect_load_error("jurisdictions.yaml", line_of("jurisdictions.yaml", "unit: {id: huayuan-pm"),
                    {"nodes[0].children[0].children[0].children[0].children[0].unit: only building, grid, "
                     "community and street nodes have a ladder unit"});
}

TEST_F(config_loader, rejects_a_department_handling_an_unknown_category) {
  edit("jurisdictions.yaml", "handles: [water_outage]}\n      - {id: taixing-gas",
       "handles: [water_outages]}\n      - {id: taixing-gas");
  expect_load_error("jurisdictions.yaml", line_of("jurisdictions.yaml", "water_outages"),
                    {"nodes[0].departments[2].handles: unknown category 'water_outages'"});
}

TEST_F(config_loader, rejects_two_departments_on_one_node_for_the_same_category) {
  edit("jurisdictions.yaml", "handles: [water_outage]}\n      - {id: taixing-gas",
       "handles: [water_outage, gas_safety_check]}\n      - {id: taixing-gas");
  const std::string msg = load_error();
  EXPECT_NE(msg.find("gas_safety_check"), std::string::npos) << msg;
}

// --- doorstep.yaml ---------------------------------------------------------------------

TEST_F(config_loader, rejects_partitions_outside_one_to_256) {
  for (const char* bad : {"0", "257", "-1"}) {
    reset();
    edit("doorstep.yaml", "  partitions: 8 ", std::string("  partitions: ") + bad + " ");
    expect_load_error("doorstep.yaml", line_of("doorstep.yaml", "partitions:"),
                      {"engine.partitions: must be between 1 and 256"});
  }
  reset();
  edit("doorstep.yaml", "  partitions: 8 ", "  partitions: eight ");
  expect_load_error("doorstep.yaml", line_of("doorstep.yaml", "partitions:"),
                    {"engine.partitions: must be an integer"});
}

TEST_F(config_loader, accepts_partitions_at_both_ends_of_the_range) {
  for (const char* good : {"1", "256"}) {
    reset();
    edit("doorstep.yaml", "  partitions: 8 ", std::string("  partitions: ") + good + " ");
    EXPECT_EQ(load().engine.partitions, static_cast<unsigned>(std::stoi(good)));
  }
}

TEST_F(config_loader, rejects_a_fallback_unit_that_is_not_a_street_office) {
  for (const char* unit : {"runtai-committee", "taixing-gas", "runtai-g1-worker"}) {
    reset();
    edit("doorstep.yaml", "fallback_unit: yanling-office", std::string("fallback_unit: ") + unit);
    expect_load_error("doorstep.yaml", line_of("doorstep.yaml", "fallback_unit:"),
                      {"engine.fallback_unit: the fallback unit must be a street office"});
  }
}

TEST_F(config_loader, rejects_an_unknown_fallback_unit) {
  edit("doorstep.yaml", "fallback_unit: yanling-office", "fallback_unit: nowhere-office");
  expect_load_error("doorstep.yaml", line_of("doorstep.yaml", "fallback_unit:"),
                    {"engine.fallback_unit: unknown unit 'nowhere-office'"});
}

TEST_F(config_loader, rejects_a_missing_fallback_unit) {
  edit("doorstep.yaml", "  fallback_unit: yanling-office", "");
  // Reported at the `engine` mapping, which starts on its first key.
  expect_load_error("doorstep.yaml", line_of("doorstep.yaml", "  partitions:"),
                    {"engine: missing required field 'fallback_unit'"});
}

TEST_F(config_loader, rejects_bad_engine_and_duplicate_settings) {
  struct bad_value {
    const char* from;
    const char* to;
    const char* fragment;
  };
  const std::vector<bad_value> cases{
      {"durability: sync", "durability: fast", "engine.durability: must be sync or async"},
      {"group_commit_max: 256", "group_commit_max: 0", "engine.group_commit_max: must be between 1 and 100000"},
      {"scope: compound", "scope: street", "duplicates.scope: must be one of building, compound, grid, community"},
      {"window: 72h", "window: 0h", "duplicates.window: '0h' is not a positive duration"},
  };
  for (const auto& c : cases) {
    reset();
    edit("doorstep.yaml", c.from, c.to);
    expect_load_error("doorstep.yaml", line_of("doorstep.yaml", c.to), {c.fragment});
  }
}

TEST_F(config_loader, rejects_an_empty_or_invalid_hours_window) {
  for (const auto& [window, fragment] : std::vector<std::pair<std::string, std::string>>{
           {"22:00-22:00", "rules[11].match.hours: an hours window cannot be empty"},
           {"25:00-06:00", "rules[11].match.hours: '25:00' is not a valid time of day"},
           {"22:00", "rules[11].match.hours: '22:00' is not a window HH:MM-HH:MM"}}) {
    reset();
    edit("routing.yaml", "hours: \"22:00-06:00\"", "hours: \"" + window + "\"");
    expect_load_error("routing.yaml", line_of("routing.yaml", "hours:"), {fragment});
  }
}

// --- files ----------------------------------------------------------------------------

TEST_F(config_loader, reports_a_yaml_syntax_error_with_its_line) {
  edit("categories.yaml", "    keywords: [路灯, 灯杆]\n", "    keywords: [路灯, 灯杆]]\n");
  expect_load_error("categories.yaml", line_of("categories.yaml", "灯杆]]"), {"YAML syntax error"});
}

TEST_F(config_loader, reports_a_missing_file_by_path) {
  fs::remove(file("routing.yaml"));
  EXPECT_EQ(load_error(), file("routing.yaml").string() + ": cannot open file");
}

TEST_F(config_loader, reports_a_file_name_that_points_nowhere) {
  edit("doorstep.yaml", "routing: routing.yaml", "routing: routes.yaml");
  EXPECT_EQ(load_error(), file("routes.yaml").string() + ": cannot open file");
}

TEST_F(config_loader, reports_a_missing_entry_file) {
  fs::remove(file("doorstep.yaml"));
  EXPECT_EQ(load_error(), file("doorstep.yaml").string() + ": cannot open file");
}

}  // namespace
}  // namespace doorstep::config

// --- kafka section -------------------------------------------------------------------

namespace doorstep::config {
namespace {

TEST_F(config_loader, the_demo_kafka_section_names_four_topics_and_no_cluster) {
  const auto k = load().kafka;
  EXPECT_EQ(k.bootstrap, "");
  EXPECT_EQ(k.appeals_topic, "doorstep.appeals.v1");
  EXPECT_EQ(k.dlq_topic, "doorstep.dlq.v1");
  EXPECT_EQ(k.max_message_bytes, 65536u);
  EXPECT_TRUE(k.properties.empty());
}

TEST_F(config_loader, kafka_properties_pass_through_with_where_they_were_written) {
  edit("doorstep.yaml", "properties: {}", "properties: {security.protocol: SASL_SSL, sasl.mechanism: SCRAM-SHA-512}");
  const auto k = load().kafka;
  ASSERT_EQ(k.properties.size(), 2u);
  EXPECT_EQ(k.properties[0].name, "security.protocol");
  EXPECT_EQ(k.properties[0].value, "SASL_SSL");
  EXPECT_EQ(k.properties[0].where.rfind(file("doorstep.yaml").string() + ":" +
                                            std::to_string(line_of("doorstep.yaml", "security.protocol")) + ":",
                                        0),
            0u);
}

TEST_F(config_loader, rejects_bad_kafka_settings_naming_the_field) {
  struct bad_case {
    std::string from, to, needle, fragment;
  };
  const std::vector<bad_case> cases{
      {"appeals: doorstep.appeals.v1", "appeals: 投诉主题", "appeals:", "kafka.topics.appeals: a Kafka topic name"},
      {"dlq: doorstep.dlq.v1", "dlq: doorstep.appeals.v1", "appeals: doorstep.appeals.v1", "kafka.topics: the four topics must be different"},
      {"topic_partitions: 8", "topic_partitions: 0", "topic_partitions:", "kafka.topic_partitions: must be between"},
      {"max_message_bytes: 65536", "max_message_bytes: 10", "max_message_bytes:", "kafka.max_message_bytes"},
      {"group_id: doorstep", "group_id: doorstep\n  grup_id: typo", "grup_id", "grup_id"},
      {"properties: {}", "properties: {sasl.jaas: [a, b]}", "properties:", "must be a scalar"},
  };
  for (const auto& c : cases) {
    reset();
    edit("doorstep.yaml", c.from, c.to);
    expect_load_error("doorstep.yaml", line_of("doorstep.yaml", c.needle), {c.fragment});
  }
}

}  // namespace
}  // namespace doorstep::config
