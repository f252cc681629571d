// engine/sla/policy.h
// An SLA policy: targets for the four clocks, measured in working time on a calendar
// or in plain (24x7) time, with at-risk warnings and breach behaviour. Immutable after
// construction; all methods are pure and thread-safe. Cost: O(days spanned) per call.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "domain/policy.h"
#include "sla/calendar.h"

namespace doorstep::sla {

struct policy_spec {
  std::string id;
  std::string name;
  bool continuous = false;          // true: 24x7 plain time; false: working time on `calendar_id`
  std::string calendar_id;
  std::array<duration, kClockCount> targets{};  // accept, contact, resolve, verify
  std::vector<double> warn_at{0.5, 0.75};       // strictly increasing fractions in (0, 1)
  std::array<bool, kClockCount> escalate_on_breach{};
  duration feedback_window{std::chrono::hours(24 * 7)};
  duration rating_window{std::chrono::hours(24 * 3)};
  bool reopen_escalates = false;
};

class sla_policy {
 public:
  // `cal` must outlive the policy; required unless spec.continuous.
  sla_policy(policy_spec spec, const calendar* cal);

  const policy_spec& spec() const { return spec_; }

  // A running clock for `kind` started at `start`: due and warning instants computed.
  sla_clock start(clock_kind kind, instant start) const;
  // The running clock paused at `at`; `remaining` holds the time left until due.
  sla_clock pause(const sla_clock& c, instant at) const;
  // The paused clock running again from `at`: due and pending warnings moved by the pause.
  sla_clock resume(const sla_clock& c, instant at) const;

  sla_terms terms() const;

  // `work` of this policy's time after `from` (working or plain).
  instant add(instant from, duration work) const;
  // This policy's time between a and b (working or plain); zero if b <= a.
  duration between(instant a, instant b) const;

 private:
  policy_spec spec_;
  const calendar* cal_;
};

}  // namespace doorstep::sla
