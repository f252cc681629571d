#include "domain/types.h"

namespace doorstep {
namespace {

template <class E, std::size_t N>
std::optional<E> parse_from(const std::array<std::string_view, N>& names, std::string_view s) {
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == s) return static_cast<E>(i);
  }
  return std::nullopt;
}

constexpr std::array<std::string_view, 8> kStatusNames{
    "received", "dispatched", "accepted", "resolved", "closed", "suspended", "merged", "cancelled"};
constexpr std::array<std::string_view, 5> kLevelNames{"building", "grid", "community", "street",
                                                      "department"};
constexpr std::array<std::string_view, 5> kChannelNames{"hotline", "grid_worker", "app", "qr_plate",
                                                        "integration"};
constexpr std::array<std::string_view, 3> kSeverityNames{"low", "normal", "urgent"};
constexpr std::array<std::string_view, 4> kPriorityNames{"low", "normal", "high", "urgent"};
constexpr std::array<std::string_view, 7> kReasonNames{
    "accept_overdue", "resolve_overdue", "handler_request", "repeat_reports",
    "dissatisfied",   "supervisor",      "severity"};
constexpr std::array<std::string_view, 4> kClockNames{"accept", "contact", "resolve", "verify"};
constexpr std::array<std::string_view, 7> kRoleNames{"resident",    "operator", "handler", "supervisor",
                                                     "integration", "admin",    "system"};

}  // namespace

std::string_view to_string(status v) { return kStatusNames.at(static_cast<std::size_t>(v)); }
std::string_view to_string(level v) { return kLevelNames.at(static_cast<std::size_t>(v)); }
std::string_view to_string(channel v) { return kChannelNames.at(static_cast<std::size_t>(v)); }
std::string_view to_string(severity v) { return kSeverityNames.at(static_cast<std::size_t>(v)); }
std::string_view to_string(priority v) { return kPriorityNames.at(static_cast<std::size_t>(v)); }
std::string_view to_string(escalation_reason v) { return kReasonNames.at(static_cast<std::size_t>(v)); }
std::string_view to_string(clock_kind v) { return kClockNames.at(static_cast<std::size_t>(v)); }
std::string_view to_string(role v) { return kRoleNames.at(static_cast<std::size_t>(v)); }

std::optional<status> parse_status(std::string_view s) { return parse_from<status>(kStatusNames, s); }
std::optional<level> parse_level(std::string_view s) { return parse_from<level>(kLevelNames, s); }
std::optional<channel> parse_channel(std::string_view s) { return parse_from<channel>(kChannelNames, s); }
std::optional<severity> parse_severity(std::string_view s) {
  return parse_from<severity>(kSeverityNames, s);
}
std::optional<priority> parse_priority(std::string_view s) {
  return parse_from<priority>(kPriorityNames, s);
}
std::optional<escalation_reason> parse_escalation_reason(std::string_view s) {
  return parse_from<escalation_reason>(kReasonNames, s);
}
std::optional<clock_kind> parse_clock_kind(std::string_view s) {
  return parse_from<clock_kind>(kClockNames, s);
}
std::optional<role> parse_role(std::string_view s) { return parse_from<role>(kRoleNames, s); }

}  // namespace doorstep
