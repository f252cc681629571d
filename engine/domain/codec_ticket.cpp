// engine/domain/codec_ticket.cpp
// JSON for ticket snapshots and inbound command bodies.
#include "domain/codec.h"
#include "domain/codec_read.h"

namespace doorstep::codec {

using detail::reader;

namespace {

json::string_view sv(std::string_view s) { return {s.data(), s.size()}; }

json::value opt_time(const std::optional<instant>& t) {
  if (!t) return nullptr;
  return json::string(format_rfc3339(*t));
}

result<std::optional<instant>> read_opt_time(const reader& r, std::string_view key) {
  if (!r.find(key)) return std::optional<instant>{};
  DS_TRY(t, r.time(key, true));
  return std::optional<instant>{t};
}

constexpr std::string_view kLevels = "building, grid, community, street, department";

}  // namespace

json::object encode(const escalation_record& e) {
  return json::object{{"from", sv(to_string(e.from))},
                      {"to", sv(to_string(e.to))},
                      {"reason", sv(to_string(e.reason))},
                      {"at", format_rfc3339(e.at)},
                      {"unit_id", e.unit_id}};
}

json::object encode(const ticket& t) {
  json::object o;
  o["ticket_id"] = t.id;
  o["version"] = t.version;
  o["status"] = sv(to_string(t.st));
  if (t.st == status::suspended) o["resume_to"] = sv(to_string(t.resume_to));
  o["category"] = t.category;
  o["jurisdiction_id"] = t.jurisdiction_id;
  o["community_id"] = t.community_id;
  o["severity"] = sv(to_string(t.sev));
  o["channel"] = sv(to_string(t.via));
  o["origin"] = encode(t.origin);
  json::array joined;
  for (const auto& a : t.joined) joined.push_back(encode(a));
  o["joined"] = std::move(joined);
  o["level"] = t.lvl ? json::value(sv(to_string(*t.lvl))) : json::value(nullptr);
  o["unit_id"] = t.unit_id;
  o["priority"] = sv(to_string(t.prio));
  o["sla_policy"] = t.sla_policy;
  o["rule_id"] = t.rule_id;
  o["entry_level"] = sv(to_string(t.entry_level));
  json::array clocks;
  for (const auto& c : t.clocks) clocks.push_back(encode(c));
  o["clocks"] = std::move(clocks);
  json::array esc;
  for (const auto& e : t.escalations) esc.push_back(encode(e));
  o["escalations"] = std::move(esc);
  o["returns"] = t.returns;
  o["rating"] = t.rating ? json::value(*t.rating) : json::value(nullptr);
  o["verified"] = t.verified;
  o["merged_into"] = t.merged_into;
  json::array from;
  for (const auto& f : t.merged_from) from.push_back(json::string(f));
  o["merged_from"] = std::move(from);
  o["created_at"] = format_rfc3339(t.created_at);
  o["updated_at"] = format_rfc3339(t.updated_at);
  o["accepted_at"] = opt_time(t.accepted_at);
  o["contacted_at"] = opt_time(t.contacted_at);
  o["resolved_at"] = opt_time(t.resolved_at);
  o["closed_at"] = opt_time(t.closed_at);
  o["auto_close_at"] = opt_time(t.auto_close_at);
  return o;
}

result<ticket> decode_ticket(const json::value& v) {
  if (!v.is_object()) return make_error("invalid_field", "a ticket must be a JSON object");
  const reader r(v.as_object(), "");
  ticket t;
  DS_TRY(id, r.str("ticket_id", true));
  DS_TRY(version, r.integer("version", true));
  DS_TRY(st, r.enumeration<status>("status", parse_status, std::nullopt, "status names"));
  DS_TRY(resume_to, r.enumeration<status>("resume_to", parse_status, status::received, "status names"));
  DS_TRY(category, r.str("category", true));
  DS_TRY(place, r.str("jurisdiction_id", true));
  DS_TRY(community, r.str("community_id", true));
  DS_TRY(sev, r.enumeration<severity>("severity", parse_severity, std::nullopt, "low, normal, urgent"));
  DS_TRY(via, r.enumeration<channel>("channel", parse_channel, std::nullopt, "channel names"));
  DS_TRY(origin_obj, r.object("origin", true));
  DS_TRY(origin, decode_appeal(*origin_obj));
  DS_TRY(joined, r.array("joined", false));
  if (joined) {
    for (const auto& a : *joined) {
      DS_TRY(ap, decode_appeal(a));
      t.joined.push_back(std::move(ap));
    }
  }
  if (r.find("level")) {
    DS_TRY(lvl, r.enumeration<level>("level", parse_level, std::nullopt, kLevels));
    t.lvl = lvl;
  }
  DS_TRY(unit, r.str("unit_id", false));
  DS_TRY(prio, r.enumeration<priority>("priority", parse_priority, priority::normal, "priority names"));
  DS_TRY(sla, r.str("sla_policy", false));
  DS_TRY(rule, r.str("rule_id", false));
  DS_TRY(entry, r.enumeration<level>("entry_level", parse_level, level::building, kLevels));
  DS_TRY(clocks, r.array("clocks", true));
  if (clocks->size() != kClockCount) return make_error("invalid_field", "clocks must hold 4 clocks", "clocks");
  for (std::size_t i = 0; i < kClockCount; ++i) {
    DS_TRY(c, decode_clock((*clocks)[i]));
    t.clocks[i] = std::move(c);
  }
  DS_TRY(esc, r.array("escalations", false));
  if (esc) {
    for (const auto& ev : *esc) {
      if (!ev.is_object()) return make_error("invalid_field", "escalations holds a non-object", "escalations");
      const reader er(ev.as_object(), "escalations");
      DS_TRY(from, er.enumeration<level>("from", parse_level, std::nullopt, kLevels));
      DS_TRY(to, er.enumeration<level>("to", parse_level, std::nullopt, kLevels));
      DS_TRY(reason, er.enumeration<escalation_reason>("reason", parse_escalation_reason, std::nullopt, "reasons"));
      DS_TRY(at, er.time("at", true));
      DS_TRY(eunit, er.str("unit_id", false));
      t.escalations.push_back({from, to, reason, at, std::move(eunit)});
    }
  }
  DS_TRY(returns, r.integer("returns", false));
  if (r.find("rating")) {
    DS_TRY(rating, r.integer("rating", true));
    t.rating = static_cast<int>(rating);
  }
  DS_TRY(verified, r.boolean("verified", false));
  DS_TRY(merged_into, r.str("merged_into", false));
  DS_TRY(merged_from, r.array("merged_from", false));
  if (merged_from) {
    for (const auto& f : *merged_from) {
      if (!f.is_string()) return make_error("invalid_field", "merged_from holds a non-string", "merged_from");
      t.merged_from.emplace_back(f.as_string().data(), f.as_string().size());
    }
  }
  DS_TRY(created, r.time("created_at", true));
  DS_TRY(updated, r.time("updated_at", true));
  DS_TRY(accepted_at, read_opt_time(r, "accepted_at"));
  DS_TRY(contacted_at, read_opt_time(r, "contacted_at"));
  DS_TRY(resolved_at, read_opt_time(r, "resolved_at"));
  DS_TRY(closed_at, read_opt_time(r, "closed_at"));
  DS_TRY(auto_close_at, read_opt_time(r, "auto_close_at"));
  t.id = std::move(id);
  t.version = static_cast<std::uint64_t>(version);
  t.st = st;
  t.resume_to = st == status::suspended ? resume_to : status::received;
  t.category = std::move(category);
  t.jurisdiction_id = std::move(place);
  t.community_id = std::move(community);
  t.sev = sev;
  t.via = via;
  t.origin = std::move(origin);
  t.unit_id = std::move(unit);
  t.prio = prio;
  t.sla_policy = std::move(sla);
  t.rule_id = std::move(rule);
  t.entry_level = entry;
  t.returns = static_cast<std::uint32_t>(returns);
  t.verified = verified;
  t.merged_into = std::move(merged_into);
  t.created_at = created;
  t.updated_at = updated;
  t.accepted_at = accepted_at;
  t.contacted_at = contacted_at;
  t.resolved_at = resolved_at;
  t.closed_at = closed_at;
  t.auto_close_at = auto_close_at;
  return t;
}

result<command_body> decode_command_body(const json::object& o, std::string_view name) {
  const reader r(o, "");
  std::string cmd(name);
  if (cmd.empty()) {
    DS_TRY(n, r.str("command", true));
    cmd = std::move(n);
  }
  if (cmd == "submit") {
    DS_TRY(a, decode_appeal(o));
    return command_body{submit_cmd{std::move(a)}};
  }
  if (cmd == "triage") {
    triage_cmd t;
    DS_TRY(cat, r.str("category", false));
    DS_TRY(place, r.str("jurisdiction_id", false));
    if (!cat.empty()) t.category = cat;
    if (!place.empty()) t.jurisdiction_id = place;
    if (r.find("severity")) {
      DS_TRY(sev, r.enumeration<severity>("severity", parse_severity, std::nullopt, "low, normal, urgent"));
      t.sev = sev;
    }
    return command_body{t};
  }
  if (cmd == "dispatch") {
    DS_TRY(lvl, r.enumeration<level>("level", parse_level, std::nullopt, kLevels));
    DS_TRY(unit, r.str("unit_id", false));
    return command_body{dispatch_cmd{lvl, std::move(unit)}};
  }
  if (cmd == "accept") return command_body{accept_cmd{}};
  if (cmd == "contact") {
    DS_TRY(note, r.str("note", false));
    return command_body{contact_cmd{std::move(note)}};
  }
  if (cmd == "note") {
    DS_TRY(note, r.str("note", true));
    return command_body{note_cmd{std::move(note)}};
  }
  if (cmd == "resolve") {
    DS_TRY(note, r.str("note", false));
    return command_body{resolve_cmd{std::move(note)}};
  }
  if (cmd == "verify") {
    DS_TRY(passed, r.boolean("passed", true));
    DS_TRY(note, r.str("note", false));
    return command_body{verify_cmd{passed, std::move(note)}};
  }
  if (cmd == "rate") {
    DS_TRY(score, r.integer("score", true));
    DS_TRY(comment, r.str("comment", false));
    if (score < 1 || score > 5) return make_error("invalid_field", "score must be an integer from 1 to 5", "score");
    return command_body{rate_cmd{static_cast<int>(score), std::move(comment)}};
  }
  if (cmd == "escalate") {
    DS_TRY(reason, r.enumeration<escalation_reason>("reason", parse_escalation_reason,
                                                    escalation_reason::handler_request,
                                                    "handler_request, supervisor, severity"));
    DS_TRY(note, r.str("note", false));
    return command_body{escalate_cmd{reason, std::move(note)}};
  }
  if (cmd == "return") {
    DS_TRY(reason, r.str("reason", true));
    return command_body{return_cmd{std::move(reason)}};
  }
  if (cmd == "suspend") {
    DS_TRY(reason, r.str("reason", true));
    return command_body{suspend_cmd{std::move(reason)}};
  }
  if (cmd == "resume") return command_body{resume_cmd{}};
  if (cmd == "merge") {
    DS_TRY(into, r.str("into", true));
    return command_body{merge_cmd{std::move(into)}};
  }
  if (cmd == "cancel") {
    DS_TRY(reason, r.str("reason", true));
    return command_body{cancel_cmd{std::move(reason)}};
  }
  if (cmd == "reopen") {
    DS_TRY(reason, r.str("reason", true));
    return command_body{reopen_cmd{std::move(reason)}};
  }
  return make_error("invalid_field",
                    "unknown command '" + cmd +
                        "'; expected submit, triage, dispatch, accept, contact, note, resolve, verify, "
                        "rate, escalate, return, suspend, resume, merge, cancel or reopen",
                    name.empty() ? "command" : "action");
}

result<json::value> parse(std::string_view text) {
  if (!is_valid_utf8(text)) return make_error("invalid_json", "the body is not valid UTF-8");
  boost::system::error_code ec;
  json::parse_options opts;
  opts.max_depth = 32;
  json::value v = json::parse(text, ec, {}, opts);
  if (ec) return make_error("invalid_json", "malformed JSON: " + ec.message());
  return v;
}

std::string to_text(const json::value& v) { return json::serialize(v); }

}  // namespace doorstep::codec
