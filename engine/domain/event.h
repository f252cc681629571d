// engine/domain/event.h
// Events: the facts a command caused. A ticket is the fold of its events; every event
// is stored, indexed and published. Each body carries everything apply() needs, so
// apply() never consults configuration or a clock.
#pragma once

#include <charconv>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "domain/command.h"

namespace doorstep {

inline constexpr int kEventSchemaVersion = 1;

struct received_ev {
  appeal a;
  std::string community_id;
};
struct triaged_ev {
  std::string category;
  std::string jurisdiction_id;
  severity sev = severity::normal;
};
struct dispatched_ev {
  level to = level::grid;
  std::string unit_id;
  priority prio = priority::normal;
  std::string sla_policy;
  std::string rule_id;
  clock_set clocks{};
};
struct accepted_ev {};
struct contacted_ev {
  std::string note;
};
struct noted_ev {
  std::string text;
};
struct resolved_ev {
  std::string note;
  sla_clock verify;  // the verification clock starts now
};
struct verified_ev {
  std::string note;
  instant auto_close_at{};
};
struct verification_failed_ev {
  std::string note;
  sla_clock resolve;  // back to handling: a fresh resolve clock
};
struct rated_ev {
  int score = 0;
  std::string comment;
};
struct closed_ev {
  std::string reason;  // rated | unrated
};
struct escalated_ev {
  level from = level::building;
  level to = level::grid;
  escalation_reason reason = escalation_reason::supervisor;
  std::string unit_id;
  std::string note;
  clock_set clocks{};
};
struct returned_ev {
  std::string reason;
};
struct suspended_ev {
  std::string reason;
  clock_set clocks{};  // running clocks now paused, with their remaining time
};
struct resumed_ev {
  clock_set clocks{};  // paused clocks running again, due moved by the pause
};
struct merged_ev {
  std::string into;
};
struct absorbed_ev {
  std::string from;
  std::vector<appeal> appeals;
};
struct cancelled_ev {
  std::string reason;
};
struct reopened_ev {
  std::string reason;
  clock_set clocks{};
};
struct appeal_joined_ev {
  appeal a;
};
struct sla_at_risk_ev {
  clock_kind clock = clock_kind::accept;
  std::uint8_t ordinal = 0;
  instant due{};
};
struct sla_breached_ev {
  clock_kind clock = clock_kind::accept;
  instant due{};
};

using event_body =
    std::variant<received_ev, triaged_ev, dispatched_ev, accepted_ev, contacted_ev, noted_ev,
                 resolved_ev, verified_ev, verification_failed_ev, rated_ev, closed_ev, escalated_ev,
                 returned_ev, suspended_ev, resumed_ev, merged_ev, absorbed_ev, cancelled_ev,
                 reopened_ev, appeal_joined_ev, sla_at_risk_ev, sla_breached_ev>;

struct event {
  std::string ticket_id;
  std::uint64_t seq = 0;  // 1-based position in the ticket's log == version after apply
  instant at{};
  actor by;
  std::string causation;  // the command id (or source message) that caused it
  event_body body;

  // Stable, globally unique: "<ticket_id>/<seq>".
  std::string id() const {
    std::string out;
    out.reserve(ticket_id.size() + 21);
    out += ticket_id;
    out += '/';
    char digits[20];
    out.append(digits, static_cast<std::size_t>(std::to_chars(digits, digits + sizeof digits, seq).ptr - digits));
    return out;
  }
};

// The wire name of an event type ("received", "escalated", ...).
std::string_view event_type(const event_body& b);

}  // namespace doorstep
