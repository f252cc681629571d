// engine/domain/policy.h
// What decide() needs to know about configuration: routing, the ladder's units and
// SLA arithmetic. Implemented by routing::rulebook over the loaded config; tests may
// supply their own. Implementations must be pure and thread-safe (const).
#pragma once

#include <optional>
#include <string>

#include "domain/result.h"
#include "domain/ticket.h"

namespace doorstep {

// Where a ticket goes: a unit at a level, with priority and SLA policy.
struct placement {
  level at = level::grid;
  std::string unit_id;
  priority prio = priority::normal;
  std::string sla_policy;
  std::string rule_id;
};

// SLA terms the state machine needs beyond the clocks themselves.
struct sla_terms {
  bool escalate_on_breach[kClockCount] = {false, false, false, false};
  duration feedback_window{0};  // plain time after closing during which reopen is allowed
  duration rating_window{0};    // plain time after verification before auto-close
  bool reopen_escalates = false;
};

class policy {
 public:
  virtual ~policy() = default;

  // Validates the appeal's category and place and picks its placement (first matching
  // rule). Errors: unknown_category, unknown_jurisdiction.
  [[nodiscard]] virtual result<placement> route(const appeal& a, instant now) const = 0;

  // The community node that owns a place (the partition key).
  [[nodiscard]] virtual result<std::string> community_of(const std::string& jurisdiction_id) const = 0;

  // The unit handling `category` at `place` on level `at` or, if that level has no unit,
  // on the next level above that has one. nullopt above department.
  [[nodiscard]] virtual std::optional<placement> unit_at_or_above(const std::string& place,
                                                                  const std::string& category,
                                                                  level at) const = 0;

  // True if `unit_id` exists at `at` for this place (manual dispatch validation).
  [[nodiscard]] virtual bool unit_serves(const std::string& unit_id, level at,
                                         const std::string& place) const = 0;

  // A running clock of `kind` under `sla_policy`, started at `start`.
  [[nodiscard]] virtual sla_clock start_clock(const std::string& sla_policy, clock_kind kind,
                                              instant start) const = 0;

  // The running clock `c` paused at `at` (remaining time kept).
  [[nodiscard]] virtual sla_clock pause_clock(const std::string& sla_policy, const sla_clock& c,
                                              instant at) const = 0;

  // The paused clock `c` running again from `at`, due moved by the pause.
  [[nodiscard]] virtual sla_clock resume_clock(const std::string& sla_policy, const sla_clock& c,
                                               instant at) const = 0;

  [[nodiscard]] virtual sla_terms terms(const std::string& sla_policy) const = 0;

  [[nodiscard]] virtual unsigned max_returns() const = 0;
  [[nodiscard]] virtual unsigned hot_spot_joins() const = 0;
};

}  // namespace doorstep
