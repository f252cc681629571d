// engine/store/rows.h
// The rows of the two query indexes. Each is a few hundred bytes of text, so the
// supervisor's worklist, the stats and the engine's gauges read rows instead of decoding
// snapshots and event logs (a million open tickets stay queryable in milliseconds).
//
//   p007|x|<nearest running deadline ms:13>|<ticket>   worklist row (derived from the snapshot)
//   p007|c|<community>|<created ms:13>|<ticket>        stats row (snapshot facts + history)
//
// The worklist index orders every ticket by its nearest running deadline (tickets with
// none last), which is the worklist's order: overdue tickets are its prefix. The stats
// index groups a community's tickets by creation time, so "one street over a month" is
// one seek per community and partition. Both are staged with the snapshot in the same
// write batch; fsck checks them against snapshots and event logs.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/event.h"
#include "domain/ticket.h"

namespace doorstep::store {

// The worklist key of a ticket without a running clock.
inline constexpr std::int64_t kNoDeadline = 9'999'999'999'999;

// A running clock's facts, as the worklist filters need them.
struct clock_row {
  clock_state state = clock_state::idle;
  bool breached = false;      // its breach fired
  bool warned = false;        // an at-risk warning fired
  std::int64_t due_ms = 0;
  std::int64_t warn_ms = -1;  // first pending at-risk instant, -1 when none
};
bool any_overdue(const std::array<clock_row, kClockCount>& clocks, instant now);
bool any_at_risk(const std::array<clock_row, kClockCount>& clocks, instant now);

// A ticket's worklist row. `Text` is std::string for a row that outlives the key and
// value it was read from, std::string_view for one read in place (parse_worklist_row:
// the worklist and the startup gauges read every row of a range and keep a few).
template <class Text>
struct basic_worklist_row {
  Text ticket_id;
  std::int64_t due_ms = kNoDeadline;
  status st = status::received;
  std::optional<level> lvl;
  Text unit_id;
  Text category;
  channel via = channel::hotline;
  Text jurisdiction_id;
  std::int64_t created_ms = 0;
  std::array<clock_row, kClockCount> clocks{};

  // A running clock is past due (the API's "breached") / at risk at `now`.
  bool overdue(instant now) const { return any_overdue(clocks, now); }
  bool at_risk(instant now) const { return any_at_risk(clocks, now); }
};
using worklist_row = basic_worklist_row<std::string>;
using worklist_row_view = basic_worklist_row<std::string_view>;

// A copy of a row read in place that owns its text.
worklist_row owned(const worklist_row_view& r);

// The nearest running deadline of a ticket in ms, kNoDeadline when no clock runs.
std::int64_t nearest_due_ms(const ticket& t);
std::string worklist_key(unsigned partition, const ticket& t);
std::string worklist_value(const ticket& t);
// Where a partition's worklist continues after the row (due_ms, ticket_id).
std::string worklist_after(unsigned partition, std::int64_t due_ms, std::string_view ticket_id);
// The row's text fields view `key` and `value`; nullopt when the row is malformed.
std::optional<worklist_row_view> parse_worklist_row(std::string_view key, std::string_view value);
// What a worklist key alone tells: the nearest running deadline and the ticket id (viewing
// `key`); nullopt when the key is malformed. A query whose filter the key decides (none,
// or overdue only, for a token that sees everywhere) reads no value.
struct worklist_key_view {
  std::int64_t due_ms = kNoDeadline;
  std::string_view ticket_id;
};
std::optional<worklist_key_view> parse_worklist_key(std::string_view key);

// What the stats read from a ticket's event log, folded event by event so a command
// only adds its new events to the row it replaces.
struct stats_history {
  std::optional<level> lvl;   // the level as dispatches and escalations left it
  std::uint64_t events = 0;
  bool response_due = false;  // accepted, or its accept or contact clock breached
  bool response_breached = false;
  std::array<bool, kClockCount> breached{};
  std::map<std::string, std::uint32_t> breaches;     // "<level>/<clock>" -> count
  std::map<std::string, std::uint32_t> escalations;  // reason -> count
};
stats_history fold_history(stats_history h, const std::vector<event>& events);

struct stats_row {
  std::string ticket_id;
  std::int64_t created_ms = 0;
  status st = status::received;
  std::optional<level> lvl;
  level entry_level = level::building;
  std::string unit_id;
  std::string jurisdiction_id;
  std::string community_id;
  std::string category;
  std::uint32_t appeals = 0;  // the first plus the joined
  std::optional<int> rating;
  // How each clock ended: 'm' stopped in time, 'l' stopped late, '-' not stopped.
  std::array<char, kClockCount> clock_end{};
  std::map<std::string, std::uint32_t> escalations;  // from the snapshot, by reason
  stats_history history;
};

std::string stats_key(unsigned partition, const ticket& t);
// A community's rows in a partition, from `from` on (the start of the prefix when unset).
std::string stats_prefix(unsigned partition, std::string_view community_id);
std::string stats_from(unsigned partition, std::string_view community_id, instant from);
std::string stats_value(const ticket& t, const stats_history& h);
std::optional<stats_row> parse_stats_row(std::string_view key, std::string_view value);
// The history part of a stored stats value.
std::optional<stats_history> parse_stats_history(std::string_view value);

}  // namespace doorstep::store
