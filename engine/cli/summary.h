// engine/cli/summary.h
// What a supervisor wants after a run: tickets by final status and level, escalations
// by reason, SLA breaches per level, and the three rates (三率) per street and community.
#pragma once

#include <map>
#include <ostream>
#include <string>

#include "routing/rulebook.h"
#include "store/store.h"

namespace doorstep::cli {

// Counts behind the three rates. Definitions (also in docs/design.md):
//  response rate     = accepted without an accept or contact breach / (accepted or breached)
//  resolution rate   = closed / tickets (merged and cancelled excluded)
//  satisfaction rate = rated 4 or 5 / rated
struct rates {
  std::size_t tickets = 0;
  std::size_t response_due = 0;
  std::size_t responded_on_time = 0;
  std::size_t closed = 0;
  std::size_t rated = 0;
  std::size_t satisfied = 0;
  double response_rate() const { return response_due ? double(responded_on_time) / double(response_due) : 0; }
  double resolution_rate() const { return tickets ? double(closed) / double(tickets) : 0; }
  double satisfaction_rate() const { return rated ? double(satisfied) / double(rated) : 0; }
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
  rates overall;
};

summary compute_summary(const store::store& s, const routing::rulebook& rules);
void print_summary(std::ostream& out, const summary& s);
std::string summary_json(const summary& s);

}  // namespace doorstep::cli
