// engine/domain/command.h
// Commands: what someone asks the engine to do to one ticket.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "domain/ticket.h"

namespace doorstep {

struct actor {
  role who = role::system;
  std::string id;
  bool operator==(const actor&) const = default;
};

struct submit_cmd {  // a new appeal; creates a ticket, or joins the given open ticket
  appeal a;
};
struct triage_cmd {  // re-classify a ticket in triage and route it again
  std::optional<std::string> category;
  std::optional<std::string> jurisdiction_id;
  std::optional<severity> sev;
};
struct dispatch_cmd {  // manual dispatch from triage
  level to = level::grid;
  std::string unit_id;  // empty: the unit of that level for the ticket's place
};
struct accept_cmd {};  // 签收
struct contact_cmd {
  std::string note;
};
struct note_cmd {
  std::string text;
};
struct resolve_cmd {  // 办结
  std::string note;
};
struct verify_cmd {  // 核查
  bool passed = true;
  std::string note;
};
struct rate_cmd {  // 评价: 1 very dissatisfied .. 5 very satisfied
  int score = 0;
  std::string comment;
};
struct escalate_cmd {
  escalation_reason reason = escalation_reason::handler_request;
  std::string note;
};
struct return_cmd {  // 退单
  std::string reason;
};
struct suspend_cmd {  // 挂起
  std::string reason;
};
struct resume_cmd {};
struct merge_cmd {  // fold this duplicate into `into`
  std::string into;
};
struct absorb_cmd {  // internal: the master's side of a merge
  std::string from;
  std::vector<appeal> appeals;
};
struct cancel_cmd {
  std::string reason;
};
struct reopen_cmd {
  std::string reason;
};
struct timer_fired_cmd {
  pending_timer timer;
};

using command_body =
    std::variant<submit_cmd, triage_cmd, dispatch_cmd, accept_cmd, contact_cmd, note_cmd, resolve_cmd,
                 verify_cmd, rate_cmd, escalate_cmd, return_cmd, suspend_cmd, resume_cmd, merge_cmd,
                 absorb_cmd, cancel_cmd, reopen_cmd, timer_fired_cmd>;

struct command {
  std::string id;         // causation id carried by every resulting event
  std::string ticket_id;  // for submit: the id to create (assigned by the runtime)
  actor by;
  std::optional<std::uint64_t> expected_version;  // If-Match
  command_body body;
  // When set, a second command with the same key is answered from the first (HTTP
  // Idempotency-Key, Kafka message id, simulate line id). Submits use the appeal's
  // source_id instead.
  std::string idempotency_key;
  // What the key was first used with (e.g. a hash of the HTTP body); a repeat of the
  // key with another fingerprint is refused as idempotency_conflict.
  std::string idempotency_fingerprint;
};

// The wire name of a command ("submit", "accept", "timer_fired", ...).
std::string_view command_name(const command_body& b);
// All names accepted by the wire format, in declaration order.
const std::vector<std::string_view>& all_command_names();

}  // namespace doorstep
