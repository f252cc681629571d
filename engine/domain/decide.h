// engine/domain/decide.h
// The state machine. decide() turns a command into events or a rejection; apply()
// folds one event into a ticket. Both are pure and deterministic: time comes in as
// `now`, ids come in with the command, configuration comes in as `policy`.
#pragma once

#include <vector>

#include "domain/event.h"
#include "domain/policy.h"

namespace doorstep {

// The one table of legal status moves (apply asserts nothing; decide consults it).
bool may_move(status from, status to);

// Events caused by `c` on ticket `t` (which may not exist yet for submit), stamped with
// seq = t.version + 1.. and time `now`. Never mutates anything.
// Rejections carry codes: not_found, already_exists, illegal_transition, stale_version,
// missing_field, invalid_field, return_limit, top_of_ladder, feedback_window_closed,
// not_verified, stale_timer, unknown_category, unknown_jurisdiction, unknown_unit,
// cross_community.
[[nodiscard]] result<std::vector<event>> decide(const ticket& t, const command& c, instant now,
                                                const policy& p);

// Folds one event into the ticket. Pure; events are trusted (they came from decide).
ticket apply(ticket t, const event& e);

// Folds a whole log.
ticket fold(const std::vector<event>& log);

}  // namespace doorstep
