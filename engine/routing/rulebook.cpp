#include "routing/rulebook.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace doorstep::routing {

rulebook::rulebook(rulebook_parts parts) : parts_(std::move(parts)) {
  for (std::size_t i = 0; i < parts_.categories.size(); ++i) category_index_[parts_.categories[i].code] = i;
  for (const auto& spec : parts_.sla_policies) {
    const sla::calendar* cal = nullptr;
    for (const auto& c : parts_.calendars) {
      if (c->id() == spec.calendar_id) cal = c.get();
    }
    if (!spec.continuous && cal == nullptr) {
      throw std::invalid_argument("SLA policy '" + spec.id + "' names unknown calendar '" + spec.calendar_id + "'");
    }
    sla_.emplace(spec.id, sla::sla_policy(spec, cal));
  }
  if (parts_.rules.empty()) throw std::invalid_argument("routing needs at least a default rule");
  for (const auto& r : parts_.rules) {
    if (!sla_.count(r.sla_policy)) {
      throw std::invalid_argument("rule '" + r.id + "' names unknown SLA policy '" + r.sla_policy + "'");
    }
  }
}

const category* rulebook::find_category(const std::string& code) const {
  auto it = category_index_.find(code);
  return it == category_index_.end() ? nullptr : &parts_.categories[it->second];
}

const sla::sla_policy* rulebook::find_sla(const std::string& id) const {
  auto it = sla_.find(id);
  return it == sla_.end() ? nullptr : &it->second;
}

// Tickets stored under a policy that a newer config removed keep running under the
// default rule's policy rather than failing on the data path.
const sla::sla_policy& rulebook::sla(const std::string& id) const {
  if (const auto* p = find_sla(id)) return *p;
  return sla_.at(parts_.rules.back().sla_policy);
}

result<std::string> rulebook::community_of(const std::string& jurisdiction_id) const {
  if (parts_.tree.find(jurisdiction_id) == nullptr) {
    return make_error("unknown_jurisdiction", "unknown place '" + jurisdiction_id + "'",
                      "location.jurisdiction_id");
  }
  const node* c = parts_.tree.ancestor(jurisdiction_id, node_kind::community);
  if (c == nullptr) {
    return make_error("unknown_jurisdiction",
                      "place '" + jurisdiction_id + "' is above community level; name a community, grid, "
                      "compound or building",
                      "location.jurisdiction_id");
  }
  return c->id;
}

result<placement> rulebook::route(const appeal& a, instant now) const {
  const category* cat = find_category(a.category);
  if (cat == nullptr) {
    return make_error("unknown_category", "unknown category '" + a.category + "'", "category");
  }
  auto community = community_of(a.jurisdiction_id);
  if (!community) return community.err();
  const severity effective = cat->urgent ? severity::urgent : a.sev;
  const instant when = a.reported_at != instant{} ? a.reported_at : now;  // time of day of the report
  const auto local = to_millis(when) / 60000 + parts_.utc_offset_minutes;
  const int minute = static_cast<int>(((local % 1440) + 1440) % 1440);
  for (const auto& r : parts_.rules) {
    if (!matches(r, a, effective, minute, parts_.tree)) continue;
    placement pl{r.at, r.unit_id, r.prio, r.sla_policy, r.id};
    if (pl.unit_id.empty()) {
      if (auto found = unit_at_or_above(a.jurisdiction_id, a.category, r.at)) {
        pl.at = found->at;
        pl.unit_id = found->unit_id;
      } else if (const unit* office = parts_.tree.unit_at(a.jurisdiction_id, a.category, level::street)) {
        pl.at = level::street;  // 兜底: the street office catches what nobody owns
        pl.unit_id = office->id;
      } else {
        pl.at = level::street;
        pl.unit_id = parts_.fallback_unit;
      }
    } else if (const unit* u = parts_.tree.find_unit(pl.unit_id)) {
      pl.at = u->lvl;
    }
    return pl;
  }
  return make_error("no_rule", "no routing rule matched and no default rule exists");
}

std::optional<placement> rulebook::unit_at_or_above(const std::string& place, const std::string& category,
                                                    level at) const {
  for (std::optional<level> l = at; l; l = next_level(*l)) {
    if (const unit* u = parts_.tree.unit_at(place, category, *l)) return placement{*l, u->id, {}, {}, {}};
  }
  return std::nullopt;
}

bool rulebook::unit_serves(const std::string& unit_id, level at, const std::string& place) const {
  const unit* u = parts_.tree.find_unit(unit_id);
  if (u == nullptr || u->lvl != at) return false;
  if (at == level::department) {
    const auto& tree = parts_.tree;
    for (const node* n = tree.find(place); n != nullptr; n = n->parent.empty() ? nullptr : tree.find(n->parent)) {
      for (const auto& d : n->department_ids) {
        if (d == unit_id) return true;
      }
    }
    return false;
  }
  auto kind = kind_for_level(at);
  const node* n = parts_.tree.ancestor(place, *kind);
  return n != nullptr && n->unit_id == unit_id;
}

sla_clock rulebook::start_clock(const std::string& sla_policy, clock_kind kind, instant start) const {
  return sla(sla_policy).start(kind, start);
}

sla_clock rulebook::pause_clock(const std::string& sla_policy, const sla_clock& c, instant at) const {
  return sla(sla_policy).pause(c, at);
}

sla_clock rulebook::resume_clock(const std::string& sla_policy, const sla_clock& c, instant at) const {
  return sla(sla_policy).resume(c, at);
}

sla_terms rulebook::terms(const std::string& sla_policy) const { return sla(sla_policy).terms(); }

std::string rulebook::duplicate_scope_of(const std::string& place) const {
  node_kind kind = node_kind::compound;
  switch (parts_.duplicates.scope) {
    case duplicate_scope::building: kind = node_kind::building; break;
    case duplicate_scope::compound: kind = node_kind::compound; break;
    case duplicate_scope::grid: kind = node_kind::grid; break;
    case duplicate_scope::community: kind = node_kind::community; break;
  }
  const node* n = parts_.tree.ancestor(place, kind);
  return n != nullptr ? n->id : place;
}

result<std::string> rulebook::locate(const std::string& address) const {
  const auto& tree = parts_.tree;
  std::size_t best = 0;
  std::vector<std::string> winners;
  for (const auto& [id, n] : tree.nodes()) {
    if (static_cast<int>(n.kind) < static_cast<int>(node_kind::community)) continue;
    if (n.name.empty() || address.find(n.name) == std::string::npos) continue;
    std::size_t score = 0;
    for (const node* a = &n; a != nullptr; a = a->parent.empty() ? nullptr : tree.find(a->parent)) {
      if (address.find(a->name) != std::string::npos) score += a->name.size();
    }
    if (score > best) {
      best = score;
      winners = {id};
    } else if (score == best) {
      winners.push_back(id);
    }
  }
  if (winners.empty()) {
    return make_error("unknown_jurisdiction", "no known place is named in the address '" + address +
                                                  "'; give location.jurisdiction_id",
                      "location.address");
  }
  if (winners.size() > 1) {
    std::sort(winners.begin(), winners.end());
    return make_error("unknown_jurisdiction", "the address '" + address + "' could be " + winners[0] + " or " +
                                                  winners[1] + "; give location.jurisdiction_id",
                      "location.address");
  }
  return winners.front();
}

result<std::string> rulebook::locate(double lat, double lon, double within_m) const {
  constexpr double kEarthRadiusM = 6371000;
  constexpr double kRad = 3.14159265358979323846 / 180;
  std::string best;
  double best_m = within_m;
  for (const auto& [id, n] : parts_.tree.nodes()) {
    if (!n.position) continue;
    const double dlat = (n.position->first - lat) * kRad;
    const double dlon = (n.position->second - lon) * kRad;
    const double a = std::sin(dlat / 2) * std::sin(dlat / 2) +
                     std::cos(lat * kRad) * std::cos(n.position->first * kRad) * std::sin(dlon / 2) * std::sin(dlon / 2);
    const double metres = 2 * kEarthRadiusM * std::asin(std::min(1.0, std::sqrt(a)));
    if (metres <= best_m && (best.empty() || metres < best_m || id < best)) {
      best = id;
      best_m = metres;
    }
  }
  if (best.empty()) {
    return make_error("unknown_jurisdiction", "no known place lies within " + std::to_string(static_cast<int>(within_m)) +
                                                  " m of the given lat/long",
                      "lat");
  }
  return best;
}

std::string rulebook::street_of(const std::string& place) const {
  const node* n = parts_.tree.ancestor(place, node_kind::street);
  return n != nullptr ? n->id : std::string{};
}

}  // namespace doorstep::routing
