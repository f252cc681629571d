// engine/domain/codec_ticket.cpp
// Decoding ticket snapshots and inbound command bodies (encoders: codec_encode.cpp).
#include "domain/codec.h"
#include "domain/codec_read.h"
#include "domain/utf8.h"

namespace doorstep::codec {

using detail::reader;

namespace {

result<std::optional<instant>> read_opt_time(const reader& r, std::string_view key) {
  if (!r.find(key)) return std::optional<instant>{};
  DS_TRY(t, r.time(key, true));
  return std::optional<instant>{t};
}

constexpr std::string_view kLevels = "building, grid, community, street, department";

}  // namespace

namespace {

// `joined_apart`: where a snapshot's count of joined appeals stored apart goes (null:
// the text must hold them itself).
result<ticket> decode_ticket_impl(const json::value& v, std::size_t* joined_apart) {
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
    t.joined.reserve(joined->size());
    for (const auto& a : *joined) {
      DS_TRY(ap, decode_appeal(a));
      t.joined.push_back(std::move(ap));
    }
  }
  if (joined_apart) *joined_apart = 0;
  if (r.find("joined_count")) {
    if (joined) return make_error("invalid_field", "a ticket holds both joined and joined_count", "joined_count");
    DS_TRY(count, r.integer("joined_count", true));
    if (count < 0) return make_error("invalid_field", "joined_count is negative", "joined_count");
    if (count > 0 && !joined_apart) {
      return make_error("invalid_field",
                        "this is a stored snapshot: its " + std::to_string(count) +
                            " joined appeals are stored apart and not in the text",
                        "joined_count");
    }
    if (joined_apart) *joined_apart = static_cast<std::size_t>(count);
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

}  // namespace

result<ticket> decode_ticket(const json::value& v) { return decode_ticket_impl(v, nullptr); }

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

result<json::value> parse(std::string_view text) { return parse(text, {}); }

// Boost.JSON rejects invalid UTF-8 anywhere in the text (overlong forms, surrogates,
// code points past U+10FFFF, unpaired \u escapes), so every string in a parsed value is
// valid UTF-8 and nothing downstream checks again. The text is scanned only after a
// failure, to say which of the two it was.
result<json::value> parse(std::string_view text, json::storage_ptr sp) {
  boost::system::error_code ec;
  json::parse_options opts;
  opts.max_depth = 32;
  json::value v = json::parse(text, ec, std::move(sp), opts);
  if (!ec) return v;
  if (!is_valid_utf8(text)) return make_error("invalid_json", "the body is not valid UTF-8");
  return make_error("invalid_json", "malformed JSON: " + ec.message());
}

result<ticket> decode_ticket_text(std::string_view text) {
  alignas(std::max_align_t) unsigned char buffer[16384];
  json::monotonic_resource arena(buffer, sizeof buffer);
  auto v = parse(text, &arena);
  if (!v) return v.err();
  return decode_ticket_impl(*v, nullptr);
}

result<ticket> decode_snapshot_text(std::string_view text, std::size_t& joined_apart) {
  alignas(std::max_align_t) unsigned char buffer[16384];
  json::monotonic_resource arena(buffer, sizeof buffer);
  auto v = parse(text, &arena);
  if (!v) return v.err();
  return decode_ticket_impl(*v, &joined_apart);
}

std::string to_text(const json::value& v) { return json::serialize(v); }

}  // namespace doorstep::codec
