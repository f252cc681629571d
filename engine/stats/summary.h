// engine/stats/summary.h
// What a supervisor wants: tickets by status and level, escalations by reason, SLA
// breaches and compliance, and the three rates (三率) per street, community, unit and
// level, over a time range and a jurisdiction subtree. Read-only over the store's stats
// index (store/rows.h): O(tickets selected) when a jurisdiction is given, else O(tickets).
#pragma once

#include <array>
#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "routing/rulebook.h"
#include "store/store.h"

namespace doorstep::stats {

// Counts behind the three rates. Definitions (also in docs/design.md):
//  response rate     = accepted without an accept or contact breach / (accepted or breached)
//  resolution rate   = closed / tickets (merged and cancelled excluded)
//  satisfaction rate = rated 4 or 5 / rated
//  SLA compliance    = clocks stopped in time / clocks stopped or breached, per clock
struct rates {
  std::size_t tickets = 0;
  std::size_t response_due = 0;
  std::size_t responded_on_time = 0;
  std::size_t closed = 0;
  std::size_t rated = 0;
  std::size_t satisfied = 0;
  std::array<std::size_t, kClockCount> clock_due{};
  std::array<std::size_t, kClockCount> clock_met{};
  std::map<std::string, std::size_t> escalations;  // by reason
  double response_rate() const { return response_due ? double(responded_on_time) / double(response_due) : 0; }
  double resolution_rate() const { return tickets ? double(closed) / double(tickets) : 0; }
  double satisfaction_rate() const { return rated ? double(satisfied) / double(rated) : 0; }
  double compliance(clock_kind k) const {
    const auto i = static_cast<std::size_t>(k);
    return clock_due[i] ? double(clock_met[i]) / double(clock_due[i]) : 0;
  }
};

struct hot_spot {
  std::string ticket_id;
  std::string jurisdiction_id;
  std::string category;
  std::size_t appeals = 0;
};

struct filter {
  std::optional<instant> created_from;  // inclusive
  std::optional<instant> created_to;    // exclusive
  std::string jurisdiction;             // subtree root; empty = everything
  std::function<bool(const std::string& jurisdiction_id)> visible;  // e.g. the caller's scope; empty = all
};

struct summary {
  std::size_t tickets = 0;
  std::size_t appeals = 0;  // including joined duplicates
  std::size_t events = 0;
  std::map<std::string, std::size_t> by_status;
  std::map<std::string, std::size_t> by_level;          // current level (none while in triage)
  std::map<std::string, std::size_t> by_entry_level;
  std::map<std::string, std::size_t> escalations;       // by reason
  std::map<std::string, std::size_t> breaches;          // "<level>/<clock>"
  std::map<std::string, rates> by_street;               // street name
  std::map<std::string, rates> by_community;            // "street / community"
  std::map<std::string, rates> by_unit;                 // current unit id
  std::map<std::string, rates> by_level_rates;          // current level
  std::vector<hot_spot> hot_spots;                      // tickets with hot_spot_joins+ joins
  rates overall;
};

// Error: the store could not be read (no partial summary is returned).
result<summary> compute_summary(const store::store& s, const routing::rulebook& rules, const filter& f = {});
void print_summary(std::ostream& out, const summary& s);
std::string summary_json(const summary& s);

}  // namespace doorstep::stats
