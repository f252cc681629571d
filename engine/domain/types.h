// engine/domain/types.h
// The closed vocabularies of the domain. Every enum has exactly one spelling on the
// wire (API, events, config): to_string() gives it, parse_<enum>() accepts only it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace doorstep {

enum class status : std::uint8_t {
  received,    // in triage, no handler yet
  dispatched,  // sent to a unit at a level, waiting for 签收
  accepted,    // 签收: the handler owns it
  resolved,    // 办结: awaiting verification and rating
  closed,
  suspended,   // 挂起: SLA clocks paused
  merged,      // duplicate folded into a master ticket
  cancelled,
};
inline constexpr std::array kAllStatuses{status::received,  status::dispatched, status::accepted,
                                         status::resolved,  status::closed,     status::suspended,
                                         status::merged,    status::cancelled};

// The escalation ladder, lowest first.
enum class level : std::uint8_t { building, grid, community, street, department };
inline constexpr std::array kAllLevels{level::building, level::grid, level::community, level::street,
                                       level::department};

enum class channel : std::uint8_t { hotline, grid_worker, app, qr_plate, integration };
inline constexpr std::array kAllChannels{channel::hotline, channel::grid_worker, channel::app,
                                         channel::qr_plate, channel::integration};

enum class severity : std::uint8_t { low, normal, urgent };
enum class priority : std::uint8_t { low, normal, high, urgent };

enum class escalation_reason : std::uint8_t {
  accept_overdue,
  resolve_overdue,
  handler_request,  // 吹哨
  repeat_reports,   // hot spot
  dissatisfied,
  supervisor,
  severity,
};
inline constexpr std::array kAllEscalationReasons{
    escalation_reason::accept_overdue, escalation_reason::resolve_overdue,
    escalation_reason::handler_request, escalation_reason::repeat_reports,
    escalation_reason::dissatisfied,    escalation_reason::supervisor,
    escalation_reason::severity};

// The independent SLA clocks of a ticket.
enum class clock_kind : std::uint8_t { accept, contact, resolve, verify };
inline constexpr std::array kAllClocks{clock_kind::accept, clock_kind::contact, clock_kind::resolve,
                                       clock_kind::verify};
inline constexpr std::size_t kClockCount = kAllClocks.size();

enum class role : std::uint8_t { resident, operator_, handler, supervisor, integration, admin, system };

std::string_view to_string(status v);
std::string_view to_string(level v);
std::string_view to_string(channel v);
std::string_view to_string(severity v);
std::string_view to_string(priority v);
std::string_view to_string(escalation_reason v);
std::string_view to_string(clock_kind v);
std::string_view to_string(role v);

std::optional<status> parse_status(std::string_view s);
std::optional<level> parse_level(std::string_view s);
std::optional<channel> parse_channel(std::string_view s);
std::optional<severity> parse_severity(std::string_view s);
std::optional<priority> parse_priority(std::string_view s);
std::optional<escalation_reason> parse_escalation_reason(std::string_view s);
std::optional<clock_kind> parse_clock_kind(std::string_view s);
std::optional<role> parse_role(std::string_view s);

constexpr bool is_terminal(status s) {
  return s == status::closed || s == status::merged || s == status::cancelled;
}
constexpr bool is_open(status s) { return !is_terminal(s); }

constexpr std::optional<level> next_level(level l) {
  if (l == level::department) return std::nullopt;
  return static_cast<level>(static_cast<int>(l) + 1);
}

}  // namespace doorstep
