// engine/config/loader.cpp
// One function per file kind, each validating as it reads; cross-references are
// checked last, once everything is known.
#include "config/loader.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

namespace doorstep::config {
namespace {

using routing::node_kind;

int parse_clock_minute(const ynode& n, const std::string& hhmm) {
  if (hhmm.size() != 5 || hhmm[2] != ':' || !isdigit(hhmm[0]) || !isdigit(hhmm[1]) || !isdigit(hhmm[3]) ||
      !isdigit(hhmm[4])) {
    n.fail("'" + hhmm + "' is not a time HH:MM");
  }
  const int h = (hhmm[0] - '0') * 10 + (hhmm[1] - '0');
  const int m = (hhmm[3] - '0') * 10 + (hhmm[4] - '0');
  if (h > 24 || m > 59 || (h == 24 && m != 0)) n.fail("'" + hhmm + "' is not a valid time of day");
  return h * 60 + m;
}

std::pair<int, int> parse_window(const ynode& n) {
  const auto s = n.str();
  const auto dash = s.find('-');
  if (dash == std::string::npos) n.fail("'" + s + "' is not a window HH:MM-HH:MM");
  return {parse_clock_minute(n, s.substr(0, dash)), parse_clock_minute(n, s.substr(dash + 1))};
}

civil_date parse_day(const ynode& n, const std::string& s) {
  auto d = parse_date(s);
  if (!d) n.fail("'" + s + "' is not a date YYYY-MM-DD");
  return *d;
}

// "2026-02-15" or "2026-02-15..2026-02-23" (inclusive).
void add_days(const ynode& n, std::set<civil_date>& out) {
  const auto s = n.str();
  const auto dots = s.find("..");
  if (dots == std::string::npos) {
    out.insert(parse_day(n, s));
    return;
  }
  const auto from = parse_day(n, s.substr(0, dots));
  const auto to = parse_day(n, s.substr(dots + 2));
  if (to < from) n.fail("range '" + s + "' ends before it starts");
  for (auto d = days_from_civil(from.year, from.month, from.day); d <= days_from_civil(to.year, to.month, to.day);
       ++d) {
    out.insert(civil_from_days(d));
  }
}

int parse_offset(const ynode& n) {
  const auto s = n.str();
  if (s.size() != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':') n.fail("'" + s + "' is not an offset like +08:00");
  const int minutes = parse_clock_minute(n, s.substr(1));
  return s[0] == '-' ? -minutes : minutes;
}

std::vector<std::unique_ptr<sla::calendar>> load_calendars(const ynode& root) {
  root.only_keys({"calendars"});
  std::vector<std::unique_ptr<sla::calendar>> out;
  static const std::map<std::string, unsigned> kDays{{"sunday", 0},   {"monday", 1}, {"tuesday", 2},
                                                     {"wednesday", 3}, {"thursday", 4}, {"friday", 5},
                                                     {"saturday", 6}};
  for (const auto& c : root.at("calendars").items()) {
    c.only_keys({"id", "name", "utc_offset", "working_hours", "weekend", "years"});
    sla::calendar_spec spec;
    spec.id = c.at("id").id();
    spec.utc_offset_minutes = c.has("utc_offset") ? parse_offset(c.at("utc_offset")) : kShanghaiOffsetMinutes;
    for (const auto& w : c.at("working_hours").items()) {
      auto [from, to] = parse_window(w);
      if (to <= from) w.fail("a working period must end after it starts");
      if (!spec.working_hours.empty() && from < spec.working_hours.back().end_minute) {
        w.fail("working periods must be in order and must not overlap");
      }
      spec.working_hours.push_back({from, to});
    }
    if (auto weekend = c.get("weekend")) {
      for (const auto& d : weekend->items()) {
        auto it = kDays.find(d.str());
        if (it == kDays.end()) d.fail("'" + d.str() + "' is not a weekday name (monday..sunday)");
        spec.weekend_days.insert(it->second);
      }
    }
    if (auto years = c.get("years")) {
      for (const auto& key : years->keys()) {
        const auto y = years->at(key);
        y.only_keys({"holidays", "make_up_days"});
        int year = 0;
        try {
          year = std::stoi(key);
        } catch (const std::exception&) {
          y.fail("'" + key + "' is not a year");
        }
        spec.covered_years.insert(year);
        for (const auto& field : {"holidays", "make_up_days"}) {
          auto list = y.get(field);
          if (!list) continue;
          auto& target = std::string(field) == "holidays" ? spec.holidays : spec.make_up_days;
          for (const auto& d : list->items()) {
            std::set<civil_date> days;
            add_days(d, days);
            for (const auto& day : days) {
              if (day.year != year) d.fail("date " + d.str() + " is not in year " + key);
              const auto wd = weekday_from_days(days_from_civil(day.year, day.month, day.day));
              if (std::string(field) == "make_up_days" && !spec.weekend_days.count(wd)) {
                d.fail("make-up day " + d.str() + " is not a weekend day");
              }
              if (std::string(field) == "make_up_days" && spec.holidays.count(day)) {
                d.fail("date " + d.str() + " is both a holiday and a make-up working day");
              }
              if (std::string(field) == "holidays" && spec.make_up_days.count(day)) {
                d.fail("date " + d.str() + " is both a holiday and a make-up working day");
              }
            }
            target.insert(days.begin(), days.end());
          }
        }
      }
    }
    try {
      out.push_back(std::make_unique<sla::calendar>(std::move(spec)));
    } catch (const std::invalid_argument& e) {
      c.fail(e.what());
    }
  }
  return out;
}

std::vector<routing::category> load_categories(const ynode& root) {
  root.only_keys({"categories"});
  std::vector<routing::category> out;
  std::set<std::string> seen;
  for (const auto& c : root.at("categories").items()) {
    c.only_keys({"code", "name", "group", "keywords", "urgent"});
    routing::category cat;
    cat.code = c.at("code").id();
    if (!seen.insert(cat.code).second) c.at("code").fail("duplicate category code '" + cat.code + "'");
    cat.name = c.at("name").str();
    if (auto g = c.get("group")) cat.group = g->str();
    if (auto k = c.get("keywords")) cat.keywords = k->strings();
    if (auto u = c.get("urgent")) cat.urgent = u->boolean();
    out.push_back(std::move(cat));
  }
  if (out.empty()) root.fail("at least one category is required");
  return out;
}

void load_node(const ynode& n, const std::string& parent, routing::jurisdiction_tree& tree,
               std::vector<std::pair<ynode, std::vector<std::string>>>& handles_to_check) {
  n.only_keys({"id", "name", "kind", "unit", "departments", "children", "location"});
  routing::node node;
  node.id = n.at("id").id();
  node.name = n.at("name").str();
  auto kind = routing::parse_node_kind(n.at("kind").str());
  if (!kind) n.at("kind").fail("must be one of city, district, street, community, grid, compound, building");
  node.kind = *kind;
  node.parent = parent;
  if (auto loc = n.get("location")) {
    loc->only_keys({"lat", "long"});
    const double lat = loc->at("lat").number();
    const double lon = loc->at("long").number();
    if (lat < -90 || lat > 90) loc->at("lat").fail("latitude must be within -90..90");
    if (lon < -180 || lon > 180) loc->at("long").fail("longitude must be within -180..180");
    node.position = std::make_pair(lat, lon);
  }
  if (!parent.empty()) {
    const auto* p = tree.find(parent);
    if (static_cast<int>(node.kind) <= static_cast<int>(p->kind) && !(node.kind == node_kind::district && p->kind == node_kind::city)) {
      n.at("kind").fail(std::string(routing::to_string(node.kind)) + " cannot sit below a " +
                        std::string(routing::to_string(p->kind)));
    }
  }
  auto add_unit = [&](const ynode& u, level lvl, std::set<std::string> handles) {
    u.only_keys({"id", "name", "handles"});
    routing::unit unit{u.at("id").id(), u.at("name").str(), lvl, node.id, std::move(handles)};
    if (tree.find_unit(unit.id)) u.at("id").fail("duplicate unit id '" + unit.id + "'");
    if (tree.find(unit.id) || unit.id == node.id) {
      u.at("id").fail("unit id '" + unit.id + "' is already a place id (places and units share one namespace)");
    }
    tree.add_unit(unit);
    return unit.id;
  };
  if (auto u = n.get("unit")) {
    std::optional<level> lvl;
    switch (node.kind) {
      case node_kind::building: lvl = level::building; break;
      case node_kind::grid: lvl = level::grid; break;
      case node_kind::community: lvl = level::community; break;
      case node_kind::street: lvl = level::street; break;
      default: u->fail("only building, grid, community and street nodes have a ladder unit");
    }
    node.unit_id = add_unit(*u, *lvl, {});
  }
  if (auto deps = n.get("departments")) {
    std::set<std::string> handled_here;
    for (const auto& d : deps->items()) {
      auto handles = d.at("handles").strings();
      if (handles.empty()) d.at("handles").fail("a department must handle at least one category");
      for (const auto& code : handles) {
        if (!handled_here.insert(code).second) {
          d.at("handles").fail("category '" + code + "' is already handled by another department of " + node.id);
        }
      }
      handles_to_check.emplace_back(d.at("handles"), handles);
      node.department_ids.push_back(add_unit(d, level::department, {handles.begin(), handles.end()}));
    }
  }
  if (tree.find(node.id)) n.at("id").fail("duplicate jurisdiction id '" + node.id + "'");
  if (tree.find_unit(node.id)) n.at("id").fail("place id '" + node.id + "' is already a unit id (places and units share one namespace)");
  const auto id = node.id;
  tree.add_node(std::move(node));
  if (auto children = n.get("children")) {
    for (const auto& c : children->items()) load_node(c, id, tree, handles_to_check);
  }
}

sla::policy_spec load_sla_policy(const ynode& p, const std::vector<std::unique_ptr<sla::calendar>>& calendars) {
  p.only_keys({"id", "name", "basis", "calendar", "accept", "contact", "resolve", "verify", "warn_at",
               "escalate_on_breach", "feedback_window", "rating_window", "reopen"});
  sla::policy_spec s;
  s.id = p.at("id").id();
  if (auto name = p.get("name")) s.name = name->str();
  const auto basis = p.at("basis").str();
  if (basis != "continuous" && basis != "working") p.at("basis").fail("must be continuous or working");
  s.continuous = basis == "continuous";
  const sla::calendar* cal = nullptr;
  if (s.continuous && p.has("calendar")) {
    p.at("calendar").fail("a continuous (24x7) policy uses no calendar; remove it or use basis: working");
  }
  if (!s.continuous) {
    s.calendar_id = p.at("calendar").id();
    for (const auto& c : calendars) {
      if (c->id() == s.calendar_id) cal = c.get();
    }
    if (!cal) p.at("calendar").fail("unknown calendar '" + s.calendar_id + "'");
  }
  for (auto k : kAllClocks) {
    const auto field = p.at(std::string(to_string(k)));
    const auto text = field.str();
    // Under a working basis a day is one working day (the calendar's day length).
    std::size_t used = 0;
    while (used < text.size() && text[used] >= '0' && text[used] <= '9') ++used;
    if (used == 0 || used > 6) field.fail("'" + text + "' is not a target like 15m, 2h or 7d");
    const double amount = std::stod(text.substr(0, used));
    const auto unit = text.substr(used);
    if (amount <= 0) field.fail("a target must be positive");
    duration d{};
    const auto scale = [&](std::chrono::milliseconds per) {
      return duration{static_cast<std::int64_t>(amount * static_cast<double>(per.count()))};
    };
    if (unit == "m") d = scale(std::chrono::minutes(1));
    else if (unit == "h") d = scale(std::chrono::hours(1));
    else if (unit == "d") d = s.continuous ? scale(std::chrono::hours(24)) : scale(cal->working_day_length());
    else field.fail("'" + text + "' must end in m, h or d");
    s.targets[static_cast<std::size_t>(k)] = d;
  }
  if (auto warn = p.get("warn_at")) {
    s.warn_at.clear();
    double last = 0;
    for (const auto& w : warn->items()) {
      const double f = w.number();
      if (f <= last || f >= 1) w.fail("warning fractions must increase strictly within (0, 1)");
      s.warn_at.push_back(f);
      last = f;
    }
  }
  if (auto esc = p.get("escalate_on_breach")) {
    for (const auto& e : esc->items()) {
      auto k = parse_clock_kind(e.str());
      if (!k) e.fail("'" + e.str() + "' is not a clock (accept, contact, resolve, verify)");
      s.escalate_on_breach[static_cast<std::size_t>(*k)] = true;
    }
  }
  if (auto f = p.get("feedback_window")) s.feedback_window = f->time_span();
  if (auto r = p.get("rating_window")) s.rating_window = r->time_span();
  if (auto r = p.get("reopen")) {
    const auto v = r->str();
    if (v != "same" && v != "escalate") r->fail("must be same or escalate");
    s.reopen_escalates = v == "escalate";
  }
  return s;
}

template <class T, class F>
std::vector<T> enum_list(const ynode& n, F parse, std::string_view allowed) {
  std::vector<T> out;
  for (const auto& item : n.items()) {
    auto v = parse(item.str());
    if (!v) item.fail("'" + item.str() + "' must be one of " + std::string(allowed));
    out.push_back(*v);
  }
  return out;
}

routing::rule load_rule(const ynode& r, const routing::rulebook_parts& parts,
                        const std::set<std::string>& sla_ids) {
  r.only_keys({"id", "description", "match", "route"});
  routing::rule rule;
  rule.id = r.at("id").id();
  rule.line = r.raw().Mark().line + 1;
  if (auto d = r.get("description")) rule.description = d->str();
  const auto match = r.at("match");
  if (!match.raw().IsMap()) match.fail("must be a mapping (use {} to match everything)");
  match.only_keys({"category", "severity", "channel", "jurisdiction", "keywords", "hours"});
  auto& m = rule.match;
  if (auto c = match.get("category")) {
    for (const auto& item : c->items()) {
      const auto code = item.str();
      if (std::none_of(parts.categories.begin(), parts.categories.end(),
                       [&](const routing::category& cat) { return cat.code == code; })) {
        item.fail("unknown category '" + code + "'");
      }
      m.categories.push_back(code);
    }
  }
  if (auto s = match.get("severity")) m.severities = enum_list<severity>(*s, parse_severity, "low, normal, urgent");
  if (auto c = match.get("channel")) {
    m.channels = enum_list<channel>(*c, parse_channel, "hotline, grid_worker, app, qr_plate, integration");
  }
  if (auto j = match.get("jurisdiction")) {
    for (const auto& item : j->items()) {
      if (!parts.tree.find(item.str())) item.fail("unknown jurisdiction '" + item.str() + "'");
      m.jurisdictions.push_back(item.str());
    }
  }
  if (auto k = match.get("keywords")) m.keywords = k->strings();
  if (auto h = match.get("hours")) {
    auto [from, to] = parse_window(*h);
    if (from == to) h->fail("an hours window cannot be empty");
    m.hours = routing::hours_window{from, to};
  }
  const auto route = r.at("route");
  route.only_keys({"level", "unit", "priority", "sla"});
  auto lvl = parse_level(route.at("level").str());
  if (!lvl) route.at("level").fail("must be one of building, grid, community, street, department");
  rule.at = *lvl;
  if (auto u = route.get("unit")) {
    rule.unit_id = u->id();
    const auto* unit = parts.tree.find_unit(rule.unit_id);
    if (!unit) u->fail("unknown unit '" + rule.unit_id + "'");
    if (unit->lvl != rule.at) u->fail("unit '" + rule.unit_id + "' is not at level " + route.at("level").str());
  }
  if (auto p = route.get("priority")) {
    auto prio = parse_priority(p->str());
    if (!prio) p->fail("must be one of low, normal, high, urgent");
    rule.prio = *prio;
  }
  rule.sla_policy = route.at("sla").id();
  if (!sla_ids.count(rule.sla_policy)) route.at("sla").fail("unknown SLA policy '" + rule.sla_policy + "'");
  return rule;
}

// Every community a rule can reach: all of them, or those in/around its jurisdictions.
std::vector<const routing::node*> communities_in_reach(const routing::rulebook_parts& parts, const routing::rule& r) {
  std::vector<const routing::node*> out;
  for (const auto& [id, n] : parts.tree.nodes()) {
    if (n.kind != node_kind::community) continue;
    const bool reached =
        r.match.jurisdictions.empty() ||
        std::any_of(r.match.jurisdictions.begin(), r.match.jurisdictions.end(), [&](const std::string& j) {
          return parts.tree.in_subtree(id, j) || parts.tree.in_subtree(j, id);
        });
    if (reached) out.push_back(&n);
  }
  std::sort(out.begin(), out.end(), [](auto* a, auto* b) { return a->id < b->id; });
  return out;
}

bool department_on_path(const routing::jurisdiction_tree& tree, const std::string& unit_id, const std::string& place) {
  for (const auto* n = tree.find(place); n != nullptr; n = n->parent.empty() ? nullptr : tree.find(n->parent)) {
    if (std::find(n->department_ids.begin(), n->department_ids.end(), unit_id) != n->department_ids.end()) return true;
  }
  return false;
}

// A rule that sends categories to a department must find one for every place it can
// match: otherwise those tickets would silently fall back to a street office.
void check_department_rules(const routing::rulebook_parts& parts, const std::vector<ynode>& rules) {
  for (std::size_t i = 0; i < parts.rules.size(); ++i) {
    const auto& r = parts.rules[i];
    if (r.at != level::department || r.match.categories.empty()) continue;
    for (const auto* community : communities_in_reach(parts, r)) {
      if (!r.unit_id.empty()) {
        const auto* u = parts.tree.find_unit(r.unit_id);
        if (!department_on_path(parts.tree, r.unit_id, community->id)) {
          rules[i].at("route").at("unit").fail("department '" + r.unit_id + "' does not serve " + community->name +
                                               " (" + community->id + "), which this rule can match");
        }
        for (const auto& cat : r.match.categories) {
          if (!u->handles.count(cat) && !u->handles.count("*")) {
            rules[i].at("route").at("unit").fail("department '" + r.unit_id + "' does not handle category '" + cat + "'");
          }
        }
        continue;
      }
      for (const auto& cat : r.match.categories) {
        if (parts.tree.unit_at(community->id, cat, level::department) == nullptr) {
          rules[i].at("match").at("category").fail("no department handles '" + cat + "' for " + community->name +
                                                   " (" + community->id + ")");
        }
      }
    }
  }
}

kafka_settings load_kafka(const ynode& k) {
  kafka_settings out;
  k.only_keys({"bootstrap", "group_id", "client_id", "topics", "topic_partitions", "max_message_bytes", "properties"});
  if (auto b = k.get("bootstrap")) out.bootstrap = b->str();
  if (auto g = k.get("group_id")) out.group_id = g->str();
  if (auto c = k.get("client_id")) out.client_id = c->str();
  if (auto t = k.get("topics")) {
    t->only_keys({"appeals", "commands", "ticket_events", "dlq"});
    auto topic = [&](const char* key, std::string& into) {
      auto n = t->get(key);
      if (!n) return;
      into = n->str();
      const bool legal = !into.empty() && into.size() <= 249 && std::all_of(into.begin(), into.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
      });
      if (!legal) n->fail("a Kafka topic name is 1-249 characters of [a-zA-Z0-9._-]");
    };
    topic("appeals", out.appeals_topic);
    topic("commands", out.commands_topic);
    topic("ticket_events", out.ticket_events_topic);
    topic("dlq", out.dlq_topic);
    const std::set<std::string> distinct{out.appeals_topic, out.commands_topic, out.ticket_events_topic, out.dlq_topic};
    if (distinct.size() != 4) t->fail("the four topics must be different");
  }
  if (auto p = k.get("topic_partitions")) out.topic_partitions = static_cast<unsigned>(p->integer(1, 1024));
  if (auto m = k.get("max_message_bytes")) out.max_message_bytes = static_cast<std::size_t>(m->integer(256, 16777216));
  if (auto props = k.get("properties")) {
    for (const auto& name : props->keys()) {
      const auto v = props->at(name);
      if (!v.raw().IsScalar()) v.fail("a librdkafka property value must be a scalar");
      const auto mark = v.raw().Mark();
      out.properties.push_back({name, v.raw().as<std::string>(),
                                v.file() + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1)});
    }
  }
  return out;
}

}  // namespace

loaded_config load(const std::filesystem::path& entry_file) {
  const auto root = load_file(entry_file.string());
  const auto dir = entry_file.parent_path();
  root.only_keys({"engine", "duplicates", "files", "kafka"});
  loaded_config out;
  out.entry_file = entry_file.string();
  routing::rulebook_parts parts;

  const auto eng = root.at("engine");
  eng.only_keys({"partitions", "data_dir", "durability", "group_commit_max", "max_returns", "fallback_unit",
                 "utc_offset"});
  if (auto p = eng.get("partitions")) out.engine.partitions = static_cast<unsigned>(p->integer(1, 256));
  if (auto d = eng.get("data_dir")) out.engine.data_dir = d->str();
  if (auto d = eng.get("durability")) {
    const auto v = d->str();
    if (v != "sync" && v != "async") d->fail("must be sync or async");
    out.engine.dur = v == "sync" ? durability::sync : durability::async;
  }
  if (auto g = eng.get("group_commit_max")) out.engine.group_commit_max = static_cast<unsigned>(g->integer(1, 100000));
  if (auto m = eng.get("max_returns")) parts.max_returns = static_cast<unsigned>(m->integer(0, 100));
  if (auto o = eng.get("utc_offset")) parts.utc_offset_minutes = parse_offset(*o);

  if (auto dup = root.get("duplicates")) {
    dup->only_keys({"scope", "window", "hot_spot_joins"});
    if (auto s = dup->get("scope")) {
      static const std::map<std::string, routing::duplicate_scope> kScopes{
          {"building", routing::duplicate_scope::building},
          {"compound", routing::duplicate_scope::compound},
          {"grid", routing::duplicate_scope::grid},
          {"community", routing::duplicate_scope::community}};
      auto it = kScopes.find(s->str());
      if (it == kScopes.end()) s->fail("must be one of building, compound, grid, community");
      parts.duplicates.scope = it->second;
    }
    if (auto w = dup->get("window")) parts.duplicates.window = w->time_span();
    if (auto h = dup->get("hot_spot_joins")) parts.duplicates.hot_spot_joins = static_cast<unsigned>(h->integer(1, 1000));
  }

  if (auto k = root.get("kafka")) out.kafka = load_kafka(*k);

  const auto files = root.at("files");
  files.only_keys({"calendars", "jurisdictions", "categories", "sla", "routing"});
  auto file_of = [&](const char* key) { return (dir / files.at(key).str()).string(); };

  parts.calendars = load_calendars(load_file(file_of("calendars")));
  parts.categories = load_categories(load_file(file_of("categories")));

  const auto places = load_file(file_of("jurisdictions"));
  places.only_keys({"nodes"});
  std::vector<std::pair<ynode, std::vector<std::string>>> handles;
  for (const auto& n : places.at("nodes").items()) load_node(n, "", parts.tree, handles);
  for (const auto& [where, codes] : handles) {
    for (const auto& code : codes) {
      if (code != "*" && std::none_of(parts.categories.begin(), parts.categories.end(),
                                      [&](const routing::category& c) { return c.code == code; })) {
        where.fail("unknown category '" + code + "'");
      }
    }
  }

  const auto sla_root = load_file(file_of("sla"));
  sla_root.only_keys({"policies"});
  std::set<std::string> sla_ids;
  for (const auto& p : sla_root.at("policies").items()) {
    auto spec = load_sla_policy(p, parts.calendars);
    if (!sla_ids.insert(spec.id).second) p.at("id").fail("duplicate SLA policy id '" + spec.id + "'");
    parts.sla_policies.push_back(std::move(spec));
  }

  const auto routing_root = load_file(file_of("routing"));
  routing_root.only_keys({"rules"});
  std::set<std::string> rule_ids;
  const auto rules = routing_root.at("rules").items();
  for (const auto& r : rules) {
    auto rule = load_rule(r, parts, sla_ids);
    if (!rule_ids.insert(rule.id).second) r.at("id").fail("duplicate rule id '" + rule.id + "'");
    parts.rules.push_back(std::move(rule));
  }
  if (rules.empty()) routing_root.at("rules").fail("at least one rule (the default) is required");
  for (std::size_t i = 0; i + 1 < parts.rules.size(); ++i) {
    const auto& m = parts.rules[i].match;
    if (m.categories.empty() && m.severities.empty() && m.channels.empty() && m.jurisdictions.empty() &&
        m.keywords.empty() && !m.hours) {
      rules[i].at("match").fail("only the last rule may match everything; this one would hide every rule after it");
    }
  }
  check_department_rules(parts, rules);
  const auto& last = parts.rules.back().match;
  if (!last.categories.empty() || !last.severities.empty() || !last.channels.empty() ||
      !last.jurisdictions.empty() || !last.keywords.empty() || last.hours) {
    rules.back().at("match").fail("the last rule must be the default: an empty match {}");
  }

  if (auto f = eng.get("fallback_unit")) {
    parts.fallback_unit = f->id();
    const auto* u = parts.tree.find_unit(parts.fallback_unit);
    if (!u) f->fail("unknown unit '" + parts.fallback_unit + "'");
    if (u->lvl != level::street) f->fail("the fallback unit must be a street office");
  } else {
    eng.fail("missing required field 'fallback_unit' (the street office that catches unowned tickets)");
  }

  try {
    out.rules = std::make_shared<routing::rulebook>(std::move(parts));
  } catch (const std::invalid_argument& e) {
    throw config_error(entry_file.string() + ": " + e.what());
  }
  return out;
}

}  // namespace doorstep::config
