#include "stats/summary.h"

#include <boost/json.hpp>
#include <algorithm>
#include <cstdio>
#include <unordered_map>

#include "store/keys.h"
#include "store/rows.h"

namespace doorstep::stats {
namespace {

void count(rates& r, const store::stats_row& t) {
  if (t.st == status::merged || t.st == status::cancelled) return;
  ++r.tickets;
  const auto& h = t.history;
  if (h.response_due) {
    ++r.response_due;
    if (!h.response_breached) ++r.responded_on_time;
  }
  if (t.st == status::closed) ++r.closed;
  if (t.rating) {
    ++r.rated;
    if (*t.rating >= 4) ++r.satisfied;
  }
  for (std::size_t i = 0; i < kClockCount; ++i) {
    if (h.breached[i]) {
      ++r.clock_due[i];
    } else if (t.clock_end[i] != '-') {
      ++r.clock_due[i];
      if (t.clock_end[i] == 'm') ++r.clock_met[i];
    }
  }
  for (const auto& [reason, n] : t.escalations) r.escalations[reason] += n;
}

std::string name_of(const routing::rulebook& rules, const std::string& id) {
  const auto* n = rules.tree().find(id);
  return n ? n->name : id;
}

// `whole_subtree`: the rows come from the filter's communities, all inside its subtree.
bool selected(const store::stats_row& t, const routing::rulebook& rules, const filter& f, bool whole_subtree) {
  if (f.created_from && t.created_ms < to_millis(*f.created_from)) return false;
  if (f.created_to && t.created_ms >= to_millis(*f.created_to)) return false;
  if (!f.jurisdiction.empty() && !whole_subtree && !rules.tree().in_subtree(t.jurisdiction_id, f.jurisdiction)) return false;
  if (f.visible && !f.visible(t.jurisdiction_id)) return false;
  return true;
}

// The communities whose rows can match a jurisdiction filter: the one above a place
// below community level, or every community under a higher one.
std::vector<std::string> communities_for(const routing::jurisdiction_tree& tree, const std::string& root) {
  std::vector<std::string> out;
  const auto* n = tree.find(root);
  if (!n) return out;
  if (n->kind >= routing::node_kind::community) {
    if (const auto* c = tree.ancestor(root, routing::node_kind::community)) out.push_back(c->id);
    return out;
  }
  std::vector<const routing::node*> todo{n};
  while (!todo.empty()) {
    const auto* cur = todo.back();
    todo.pop_back();
    if (cur->kind == routing::node_kind::community) {
      out.push_back(cur->id);
      continue;
    }
    for (const auto& child : cur->children) {
      if (const auto* c = tree.find(child)) todo.push_back(c);
    }
  }
  return out;
}

std::string pct(double v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%5.1f%%", v * 100);
  return buf;
}

}  // namespace

result<summary> compute_summary(const store::store& s, const routing::rulebook& rules, const filter& f) {
  summary out;
  // A street over a month is tens of thousands of rows in a few hundred groups. Rows find
  // their groups through arrays indexed by status and level and a cache of each place's
  // street and community groups; the label maps are filled once at the end.
  struct place_groups {
    std::string community_id;
    rates* street;
    rates* community;
  };
  std::unordered_map<std::string, place_groups> places;  // by jurisdiction id
  auto groups_of = [&](const store::stats_row& t) -> const place_groups& {
    auto it = places.find(t.jurisdiction_id);
    if (it != places.end() && it->second.community_id == t.community_id) return it->second;
    const auto street = name_of(rules, rules.street_of(t.jurisdiction_id));
    place_groups g{t.community_id, &out.by_street[street], &out.by_community[street + " / " + name_of(rules, t.community_id)]};
    return places.insert_or_assign(t.jurisdiction_id, std::move(g)).first->second;
  };
  constexpr std::size_t kLevels = kAllLevels.size() + 1;  // the last: none (in triage)
  auto level_index = [](const std::optional<level>& l) { return l ? static_cast<std::size_t>(*l) : kAllLevels.size(); };
  std::array<std::size_t, kAllStatuses.size()> by_status{};
  std::array<std::size_t, kLevels> by_level{};
  std::array<std::size_t, kAllLevels.size()> by_entry_level{};
  std::array<rates, kLevels> by_level_rates{};
  const auto* root = f.jurisdiction.empty() ? nullptr : rules.tree().find(f.jurisdiction);
  // The scan reads the root's communities; when the root is a community or above, every
  // row read is inside its subtree.
  const bool whole_subtree = root && root->kind <= routing::node_kind::community;
  // Counts one row; false once the rows are past the time range (they are in creation
  // order under a community prefix).
  auto add = [&](std::string_view key, std::string_view value) {
    auto t = store::parse_stats_row(key, value);
    if (t && f.created_to && t->created_ms >= to_millis(*f.created_to)) return false;
    if (!t || !selected(*t, rules, f, whole_subtree)) return true;
    ++out.tickets;
    out.appeals += t->appeals;
    out.events += t->history.events;
    ++by_status[static_cast<std::size_t>(t->st)];
    const auto lvl = level_index(t->lvl);
    ++by_level[lvl];
    ++by_entry_level[static_cast<std::size_t>(t->entry_level)];
    for (const auto& [reason, n] : t->history.escalations) out.escalations[reason] += n;
    for (const auto& [where, n] : t->history.breaches) out.breaches[where] += n;
    count(out.overall, *t);
    const auto& g = groups_of(*t);
    count(*g.street, *t);
    count(*g.community, *t);
    count(out.by_unit[t->unit_id.empty() ? "(triage)" : t->unit_id], *t);
    count(by_level_rates[lvl], *t);
    if (t->appeals >= rules.duplicates().hot_spot_joins + 1 && is_open(t->st)) {
      out.hot_spots.push_back({t->ticket_id, t->jurisdiction_id, t->category, t->appeals});
    }
    return true;
  };
  // Rows are grouped by community and ordered by creation: one seek per community and
  // partition reaches the time range, and the scan stops at its end.
  for (unsigned p = 0; p < s.partitions(); ++p) {
    if (f.jurisdiction.empty()) {
      // Across communities creation times start over: past the range only skips the row.
      auto scanned = s.scan(store::family_prefix(p, store::kStats), [&](std::string_view key, std::string_view value) {
        add(key, value);
        return true;
      });
      if (!scanned) return scanned.err();
      continue;
    }
    for (const auto& community : communities_for(rules.tree(), f.jurisdiction)) {
      const auto prefix = store::stats_prefix(p, community);
      auto scanned = s.scan(prefix, add, f.created_from ? store::stats_from(p, community, *f.created_from) : std::string{});
      if (!scanned) return scanned.err();
    }
  }
  // The label maps hold exactly the values some counted row had.
  auto level_name = [](std::size_t i) { return std::string(i < kAllLevels.size() ? to_string(kAllLevels[i]) : "none"); };
  for (std::size_t i = 0; i < by_status.size(); ++i) {
    if (by_status[i]) out.by_status[std::string(to_string(kAllStatuses[i]))] = by_status[i];
  }
  for (std::size_t i = 0; i < kLevels; ++i) {
    if (by_level[i]) {
      out.by_level[level_name(i)] = by_level[i];
      out.by_level_rates[level_name(i)] = std::move(by_level_rates[i]);
    }
  }
  for (std::size_t i = 0; i < by_entry_level.size(); ++i) {
    if (by_entry_level[i]) out.by_entry_level[std::string(to_string(kAllLevels[i]))] = by_entry_level[i];
  }
  std::sort(out.hot_spots.begin(), out.hot_spots.end(),
            [](const hot_spot& a, const hot_spot& b) { return a.ticket_id < b.ticket_id; });
  return out;
}

void print_summary(std::ostream& o, const summary& s) {
  o << "Tickets: " << s.tickets << " (from " << s.appeals << " appeals; " << s.events << " events)\n";
  o << "\nBy final status:\n";
  for (const auto& [k, v] : s.by_status) o << "  " << k << ": " << v << "\n";
  o << "\nBy current level:\n";
  for (auto l : kAllLevels) {
    auto it = s.by_level.find(std::string(to_string(l)));
    o << "  " << to_string(l) << ": " << (it == s.by_level.end() ? 0 : it->second) << "\n";
  }
  o << "\nBy entry level (小事不出楼栋):\n";
  for (const auto& [k, v] : s.by_entry_level) o << "  " << k << ": " << v << "\n";
  o << "\nEscalations by reason:\n";
  if (s.escalations.empty()) o << "  (none)\n";
  for (const auto& [k, v] : s.escalations) o << "  " << k << ": " << v << "\n";
  o << "\nSLA breaches by level/clock:\n";
  if (s.breaches.empty()) o << "  (none)\n";
  for (const auto& [k, v] : s.breaches) o << "  " << k << ": " << v << "\n";
  auto table = [&o](const char* title, const std::map<std::string, rates>& m) {
    o << "\n" << title << "  (response / resolution / satisfaction, tickets)\n";
    for (const auto& [k, r] : m) {
      o << "  " << pct(r.response_rate()) << "  " << pct(r.resolution_rate()) << "  " << pct(r.satisfaction_rate())
        << "  " << r.tickets << "  " << k << "\n";
    }
  };
  table("Three rates by street:", s.by_street);
  table("Three rates by community:", s.by_community);
  o << "\nOverall: response " << pct(s.overall.response_rate()) << ", resolution " << pct(s.overall.resolution_rate())
    << ", satisfaction " << pct(s.overall.satisfaction_rate()) << "\n";
}

std::string summary_json(const summary& s) {
  namespace json = boost::json;
  auto counts = [](const std::map<std::string, std::size_t>& m) {
    json::object o;
    for (const auto& [k, v] : m) o[k] = v;
    return o;
  };
  auto rate_obj = [](const rates& r) {
    return json::object{{"tickets", r.tickets},
                        {"response_rate", r.response_rate()},
                        {"resolution_rate", r.resolution_rate()},
                        {"satisfaction_rate", r.satisfaction_rate()},
                        {"rated", r.rated}};
  };
  json::object streets, communities;
  for (const auto& [k, r] : s.by_street) streets[k] = rate_obj(r);
  for (const auto& [k, r] : s.by_community) communities[k] = rate_obj(r);
  json::object o{{"tickets", s.tickets},
                 {"appeals", s.appeals},
                 {"events", s.events},
                 {"by_status", counts(s.by_status)},
                 {"by_level", counts(s.by_level)},
                 {"by_entry_level", counts(s.by_entry_level)},
                 {"escalations", counts(s.escalations)},
                 {"breaches", counts(s.breaches)},
                 {"by_street", streets},
                 {"by_community", communities},
                 {"overall", rate_obj(s.overall)}};
  return json::serialize(o);
}

}  // namespace doorstep::stats
