// engine/domain/codec_event.cpp
// Decoding JSON appeals, SLA clocks and events (encoders: codec_encode.cpp).
#include "domain/codec.h"
#include "domain/codec_read.h"

namespace doorstep::codec {

using detail::reader;

namespace {

result<clock_set> decode_clocks(const reader& r, std::string_view key) {
  DS_TRY(arr, r.array(key, true));
  if (arr->size() != kClockCount) {
    return make_error("invalid_field", r.sub(key) + " must hold 4 clocks", r.sub(key));
  }
  clock_set cs{};
  for (std::size_t i = 0; i < kClockCount; ++i) {
    DS_TRY(c, decode_clock((*arr)[i]));
    cs[i] = std::move(c);
  }
  return cs;
}

result<std::vector<appeal>> decode_appeals(const reader& r, std::string_view key) {
  DS_TRY(arr, r.array(key, false));
  std::vector<appeal> out;
  if (!arr) return out;
  for (const auto& v : *arr) {
    DS_TRY(a, decode_appeal(v));
    out.push_back(std::move(a));
  }
  return out;
}

constexpr std::string_view kLevels = "building, grid, community, street, department";
constexpr std::string_view kClocks = "accept, contact, resolve, verify";
constexpr std::string_view kReasons =
    "accept_overdue, resolve_overdue, handler_request, repeat_reports, dissatisfied, supervisor, severity";

// --- decoders, one per event type ---------------------------------------------------------
result<event_body> decode_body(std::string_view type, const reader& r) {
  if (type == "received") {
    DS_TRY(obj, r.object("appeal", true));
    DS_TRY(a, decode_appeal(*obj));
    DS_TRY(community, r.str("community_id", true));
    return event_body{received_ev{std::move(a), std::move(community)}};
  }
  if (type == "triaged") {
    DS_TRY(cat, r.str("category", true));
    DS_TRY(place, r.str("jurisdiction_id", true));
    DS_TRY(sev, r.enumeration<severity>("severity", parse_severity, std::nullopt, "low, normal, urgent"));
    return event_body{triaged_ev{std::move(cat), std::move(place), sev}};
  }
  if (type == "dispatched") {
    dispatched_ev e;
    DS_TRY(lvl, r.enumeration<level>("level", parse_level, std::nullopt, kLevels));
    DS_TRY(unit, r.str("unit_id", true));
    DS_TRY(prio, r.enumeration<priority>("priority", parse_priority, std::nullopt, "low, normal, high, urgent"));
    DS_TRY(sla, r.str("sla_policy", true));
    DS_TRY(rule, r.str("rule_id", false));
    DS_TRY(cs, decode_clocks(r, "clocks"));
    return event_body{dispatched_ev{lvl, std::move(unit), prio, std::move(sla), std::move(rule), std::move(cs)}};
  }
  if (type == "accepted") return event_body{accepted_ev{}};
  if (type == "contacted") {
    DS_TRY(note, r.str("note", false));
    return event_body{contacted_ev{std::move(note)}};
  }
  if (type == "noted") {
    DS_TRY(note, r.str("note", true));
    return event_body{noted_ev{std::move(note)}};
  }
  if (type == "resolved") {
    DS_TRY(note, r.str("note", false));
    DS_TRY(obj, r.object("verify_clock", true));
    DS_TRY(c, decode_clock(*obj));
    return event_body{resolved_ev{std::move(note), std::move(c)}};
  }
  if (type == "verified") {
    DS_TRY(note, r.str("note", false));
    DS_TRY(at, r.time("auto_close_at", true));
    return event_body{verified_ev{std::move(note), at}};
  }
  if (type == "verification_failed") {
    DS_TRY(note, r.str("note", false));
    DS_TRY(obj, r.object("resolve_clock", true));
    DS_TRY(c, decode_clock(*obj));
    return event_body{verification_failed_ev{std::move(note), std::move(c)}};
  }
  if (type == "rated") {
    DS_TRY(score, r.integer("score", true));
    DS_TRY(comment, r.str("comment", false));
    return event_body{rated_ev{static_cast<int>(score), std::move(comment)}};
  }
  if (type == "closed") {
    DS_TRY(reason, r.str("reason", true));
    return event_body{closed_ev{std::move(reason)}};
  }
  if (type == "escalated") {
    DS_TRY(from, r.enumeration<level>("from", parse_level, std::nullopt, kLevels));
    DS_TRY(to, r.enumeration<level>("to", parse_level, std::nullopt, kLevels));
    DS_TRY(reason, r.enumeration<escalation_reason>("reason", parse_escalation_reason, std::nullopt, kReasons));
    DS_TRY(unit, r.str("unit_id", true));
    DS_TRY(note, r.str("note", false));
    DS_TRY(cs, decode_clocks(r, "clocks"));
    return event_body{escalated_ev{from, to, reason, std::move(unit), std::move(note), std::move(cs)}};
  }
  if (type == "returned") {
    DS_TRY(reason, r.str("reason", true));
    return event_body{returned_ev{std::move(reason)}};
  }
  if (type == "suspended") {
    DS_TRY(reason, r.str("reason", true));
    DS_TRY(cs, decode_clocks(r, "clocks"));
    return event_body{suspended_ev{std::move(reason), std::move(cs)}};
  }
  if (type == "resumed") {
    DS_TRY(cs, decode_clocks(r, "clocks"));
    return event_body{resumed_ev{std::move(cs)}};
  }
  if (type == "merged") {
    DS_TRY(into, r.str("into", true));
    return event_body{merged_ev{std::move(into)}};
  }
  if (type == "absorbed") {
    DS_TRY(from, r.str("from", true));
    DS_TRY(appeals, decode_appeals(r, "appeals"));
    return event_body{absorbed_ev{std::move(from), std::move(appeals)}};
  }
  if (type == "cancelled") {
    DS_TRY(reason, r.str("reason", true));
    return event_body{cancelled_ev{std::move(reason)}};
  }
  if (type == "reopened") {
    DS_TRY(reason, r.str("reason", true));
    DS_TRY(cs, decode_clocks(r, "clocks"));
    return event_body{reopened_ev{std::move(reason), std::move(cs)}};
  }
  if (type == "appeal_joined") {
    DS_TRY(obj, r.object("appeal", true));
    DS_TRY(a, decode_appeal(*obj));
    return event_body{appeal_joined_ev{std::move(a)}};
  }
  if (type == "sla_at_risk") {
    DS_TRY(clk, r.enumeration<clock_kind>("clock", parse_clock_kind, std::nullopt, kClocks));
    DS_TRY(ordinal, r.integer("ordinal", true));
    DS_TRY(due, r.time("due", true));
    return event_body{sla_at_risk_ev{clk, static_cast<std::uint8_t>(ordinal), due}};
  }
  if (type == "sla_breached") {
    DS_TRY(clk, r.enumeration<clock_kind>("clock", parse_clock_kind, std::nullopt, kClocks));
    DS_TRY(due, r.time("due", true));
    return event_body{sla_breached_ev{clk, due}};
  }
  return make_error("invalid_field", "unknown event type '" + std::string(type) + "'", "type");
}

}  // namespace

result<appeal> decode_appeal(const json::value& v) {
  if (!v.is_object()) return make_error("invalid_field", "an appeal must be a JSON object");
  return decode_appeal(v.as_object());
}

result<appeal> decode_appeal(const json::object& o) {
  const reader r(o, "");
  appeal a;
  DS_TRY(via, r.enumeration<channel>("channel", parse_channel, channel::hotline,
                                     "hotline, grid_worker, app, qr_plate, integration"));
  DS_TRY(category, r.str("category", true));
  DS_TRY(sev, r.enumeration<severity>("severity", parse_severity, severity::normal, "low, normal, urgent"));
  DS_TRY(description, r.str("description", true));
  DS_TRY(loc, r.object("location", true));
  const reader lr(*loc, "location");
  DS_TRY(place, lr.str("jurisdiction_id", false));
  DS_TRY(address, lr.str("address", false));
  if (place.empty() && address.empty()) {
    return make_error("missing_field", "location needs jurisdiction_id or address", "location.jurisdiction_id");
  }
  DS_TRY(res, r.object("resident", false));
  if (res) {
    const reader rr(*res, "resident");
    DS_TRY(name, rr.str("name", false));
    DS_TRY(phone, rr.str("phone", false));
    a.resident = {std::move(name), std::move(phone)};
  }
  DS_TRY(source, r.str("source_id", false));
  DS_TRY(reported, r.time("reported_at", false));
  a.via = via;
  a.category = std::move(category);
  a.sev = sev;
  a.description = std::move(description);
  a.jurisdiction_id = std::move(place);
  a.address = std::move(address);
  a.source_id = std::move(source);
  a.reported_at = reported;
  return a;
}

result<sla_clock> decode_clock(const json::value& v) {
  if (!v.is_object()) return make_error("invalid_field", "a clock must be a JSON object");
  return decode_clock(v.as_object());
}

result<sla_clock> decode_clock(const json::object& o) {
  const reader r(o, "clock");
  sla_clock c;
  DS_TRY(state, r.str("state", true));
  if (state == "idle") return c;
  if (state == "running") c.state = clock_state::running;
  else if (state == "paused") c.state = clock_state::paused;
  else if (state == "stopped") c.state = clock_state::stopped;
  else return make_error("invalid_field", "clock.state is unknown", "clock.state");
  DS_TRY(cont, r.boolean("continuous", false));
  DS_TRY(target, r.integer("target_ms", true));
  DS_TRY(started, r.time("started", true));
  DS_TRY(due, r.time("due", true));
  DS_TRY(warn, r.array("warn_at", false));
  if (warn) {
    for (const auto& w : *warn) {
      auto t = w.is_string() ? parse_rfc3339(std::string_view(w.as_string())) : std::nullopt;
      if (!t) return make_error("invalid_field", "clock.warn_at holds a bad time", "clock.warn_at");
      c.warn_at.push_back(*t);
    }
  }
  DS_TRY(fired, r.integer("warnings_fired", false));
  DS_TRY(breached, r.boolean("breached", false));
  DS_TRY(remaining, r.integer("remaining_ms", false));
  DS_TRY(stopped, r.time("stopped_at", false));
  c.continuous = cont;
  c.target = duration{target};
  c.started = started;
  c.due = due;
  c.warnings_fired = static_cast<std::uint8_t>(fired);
  c.breached = breached;
  c.remaining = duration{remaining};
  c.stopped_at = stopped;
  return c;
}

result<event> decode_event(const json::value& v) {
  if (!v.is_object()) return make_error("invalid_field", "an event must be a JSON object");
  const reader r(v.as_object(), "");
  event e;
  DS_TRY(ticket_id, r.str("ticket_id", true));
  DS_TRY(seq, r.integer("seq", true));
  DS_TRY(type, r.str("type", true));
  DS_TRY(at, r.time("at", true));
  DS_TRY(act, r.object("actor", true));
  const reader ar(*act, "actor");
  DS_TRY(who, ar.enumeration<role>("role", parse_role, std::nullopt, "role names"));
  DS_TRY(actor_id, ar.str("id", false));
  DS_TRY(causation, r.str("causation", false));
  DS_TRY(data, r.object("data", true));
  DS_TRY(body, decode_body(type, reader(*data, "data")));
  e.ticket_id = std::move(ticket_id);
  e.seq = static_cast<std::uint64_t>(seq);
  e.at = at;
  e.by = {who, std::move(actor_id)};
  e.causation = std::move(causation);
  e.body = std::move(body);
  return e;
}

}  // namespace doorstep::codec
