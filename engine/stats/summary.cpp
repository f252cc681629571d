#include "stats/summary.h"

#include <boost/json.hpp>
#include <cstdio>

namespace doorstep::stats {
namespace {

struct ticket_facts {
  bool response_due = false;
  bool response_breached = false;
  std::array<bool, kClockCount> breached{};
};

ticket_facts scan_events(const std::vector<event>& log, summary& out) {
  ticket_facts f;
  std::optional<level> lvl;
  for (const auto& e : log) {
    ++out.events;
    if (const auto* d = std::get_if<dispatched_ev>(&e.body)) lvl = d->to;
    if (const auto* x = std::get_if<escalated_ev>(&e.body)) {
      lvl = x->to;
      ++out.escalations[std::string(to_string(x->reason))];
    }
    if (std::holds_alternative<accepted_ev>(e.body)) f.response_due = true;
    if (const auto* b = std::get_if<sla_breached_ev>(&e.body)) {
      ++out.breaches[std::string(lvl ? to_string(*lvl) : "none") + "/" + std::string(to_string(b->clock))];
      f.breached[static_cast<std::size_t>(b->clock)] = true;
      if (b->clock == clock_kind::accept || b->clock == clock_kind::contact) {
        f.response_due = true;
        f.response_breached = true;
      }
    }
  }
  return f;
}

void count(rates& r, const ticket& t, const ticket_facts& f) {
  if (t.st == status::merged || t.st == status::cancelled) return;
  ++r.tickets;
  if (f.response_due) {
    ++r.response_due;
    if (!f.response_breached) ++r.responded_on_time;
  }
  if (t.st == status::closed) ++r.closed;
  if (t.rating) {
    ++r.rated;
    if (*t.rating >= 4) ++r.satisfied;
  }
  for (auto k : kAllClocks) {
    const auto i = static_cast<std::size_t>(k);
    const auto& c = t.clock(k);
    if (f.breached[i]) {
      ++r.clock_due[i];
    } else if (c.state == clock_state::stopped) {
      ++r.clock_due[i];
      if (c.stopped_at <= c.due) ++r.clock_met[i];
    }
  }
  for (const auto& e : t.escalations) ++r.escalations[std::string(to_string(e.reason))];
}

std::string name_of(const routing::rulebook& rules, const std::string& id) {
  const auto* n = rules.tree().find(id);
  return n ? n->name : id;
}

bool selected(const ticket& t, const routing::rulebook& rules, const filter& f) {
  if (f.created_from && t.created_at < *f.created_from) return false;
  if (f.created_to && t.created_at >= *f.created_to) return false;
  if (!f.jurisdiction.empty() && !rules.tree().in_subtree(t.jurisdiction_id, f.jurisdiction)) return false;
  if (f.visible && !f.visible(t)) return false;
  return true;
}

std::string pct(double v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%5.1f%%", v * 100);
  return buf;
}

}  // namespace

summary compute_summary(const store::store& s, const routing::rulebook& rules, const filter& f) {
  summary out;
  s.for_each_ticket([&](unsigned, const ticket& t) {
    if (!selected(t, rules, f)) return true;
    ++out.tickets;
    out.appeals += 1 + t.joined.size();
    ++out.by_status[std::string(to_string(t.st))];
    const std::string lvl(t.lvl ? to_string(*t.lvl) : "none");
    ++out.by_level[lvl];
    ++out.by_entry_level[std::string(to_string(t.entry_level))];
    auto log = s.load_events(t.id);
    const auto facts = log ? scan_events(*log, out) : ticket_facts{};
    count(out.overall, t, facts);
    const auto street_name = name_of(rules, rules.street_of(t.jurisdiction_id));
    count(out.by_street[street_name], t, facts);
    count(out.by_community[street_name + " / " + name_of(rules, t.community_id)], t, facts);
    count(out.by_unit[t.unit_id.empty() ? "(triage)" : t.unit_id], t, facts);
    count(out.by_level_rates[lvl], t, facts);
    if (t.joined.size() + 1 >= rules.duplicates().hot_spot_joins + 1 && is_open(t.st)) {
      out.hot_spots.push_back({t.id, t.jurisdiction_id, t.category, t.joined.size() + 1});
    }
    return true;
  });
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
