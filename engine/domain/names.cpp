// engine/domain/names.cpp
// Wire names of commands and events.
#include <array>

#include "domain/event.h"

namespace doorstep {
namespace {

constexpr std::array<std::string_view, std::variant_size_v<command_body>> kCommandNames{
    "submit", "triage", "dispatch", "accept",  "contact", "note",   "resolve", "verify",  "rate",
    "escalate", "return", "suspend", "resume", "merge",   "absorb", "cancel",  "reopen", "timer_fired"};

constexpr std::array<std::string_view, std::variant_size_v<event_body>> kEventNames{
    "received",  "triaged",   "dispatched", "accepted", "contacted",          "noted",
    "resolved",  "verified",  "verification_failed",    "rated",              "closed",
    "escalated", "returned",  "suspended",  "resumed",  "merged",             "absorbed",
    "cancelled", "reopened",  "appeal_joined",          "sla_at_risk",        "sla_breached"};

}  // namespace

std::string_view command_name(const command_body& b) { return kCommandNames.at(b.index()); }

const std::vector<std::string_view>& all_command_names() {
  static const std::vector<std::string_view> names(kCommandNames.begin(), kCommandNames.end());
  return names;
}

std::string_view event_type(const event_body& b) { return kEventNames.at(b.index()); }

}  // namespace doorstep
