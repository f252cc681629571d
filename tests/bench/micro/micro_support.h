// tests/bench/micro/micro_support.h
// Shared inputs of the micro benchmarks: the demo policy, instants in local time, and
// tickets brought to a given state through decide() and apply().
#pragma once

#include <string>
#include <vector>

#include "domain/decide.h"
#include "routing/rulebook.h"
#include "workload.h"

namespace doorstep::bench {

inline const routing::rulebook& rules() { return *demo_config().rules; }

// Local (Asia/Shanghai) wall time as an instant.
inline instant local(int year, unsigned month, unsigned day, int hour = 0, int minute = 0) {
  const auto days = days_from_civil(year, month, day);
  return from_millis(((days * 24 + hour) * 60 + minute) * 60000LL - kShanghaiOffsetMinutes * 60000LL);
}

// A command on `ticket_id` by a handler.
inline command action(const std::string& ticket_id, command_body body) {
  command c;
  c.id = "bench-action";
  c.ticket_id = ticket_id;
  c.by = actor{role::handler, "bench"};
  c.body = std::move(body);
  return c;
}

// Runs `c` on `t` at `now`; throws if it is rejected (a benchmark must measure success).
inline ticket step(ticket t, const command& c, instant now) {
  auto events = decide(t, c, now, rules());
  if (!events) throw std::runtime_error(std::string(command_name(c.body)) + ": " + events.err().message);
  for (const auto& e : *events) t = apply(std::move(t), e);
  return t;
}

// The spring sample's first appeal of `category` (small ads enter at the building, so
// every rung of the ladder is still above them), as a new ticket's submit.
inline command sample_submit(const std::string& ticket_id, const std::string& category = "small_ads") {
  for (auto& t : sample_appeals(200)) {
    if (std::get<submit_cmd>(t.cmd.body).a.category != category) continue;
    t.cmd.ticket_id = ticket_id;
    return t.cmd;
  }
  throw std::runtime_error("the sample's first 200 appeals hold no " + category);
}

}  // namespace doorstep::bench
