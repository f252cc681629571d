// engine/api/views.h
// The API's JSON representations of tickets and events (the contract in
// schemas/v1/), with resident details masked for callers that may not see them.
#pragma once

#include <boost/json.hpp>

#include "api/auth.h"
#include "domain/event.h"

namespace doorstep::api {

// "ok" | "at_risk" | "breached" | "paused" for a started clock at `now`.
std::string_view clock_state_name(const sla_clock& c, instant now);

// The earliest due instant among running clocks, if any (worklist order).
std::optional<instant> nearest_deadline(const ticket& t);

boost::json::object ticket_view(const ticket& t, instant now, bool show_pii);
boost::json::object event_view(const event& e, bool show_pii);
// {accept, contact, resolve} due instants of started clocks.
boost::json::object deadlines_view(const ticket& t);

}  // namespace doorstep::api
