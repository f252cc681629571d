// engine/domain/codec.h
// JSON for the domain's data: the one encoding used for storage, publication and the
// API. Encoders never fail; parse() refuses malformed JSON and invalid UTF-8, and the
// decoders validate types and enums, reporting the offending field. Round trip:
// decode(encode(x)) == x for events and tickets.
#pragma once

#include <boost/json.hpp>
#include <string>
#include <string_view>

#include "domain/event.h"
#include "domain/result.h"

namespace doorstep::codec {

namespace json = boost::json;

// JSON text, written directly (no value tree): what the store keeps and publishes.
// Exactly the text boost::json::serialize prints for the corresponding encode().
std::string to_text(const appeal& a);
std::string to_text(const sla_clock& c);
std::string to_text(const escalation_record& e);
std::string to_text(const event& e);
std::string to_text(const ticket& t);
// The form the store keeps a ticket's snapshot in: to_text() with the joined appeals'
// count ("joined_count") in place of the appeals, which the store keeps one row each,
// written once when the appeal joins. A snapshot is rewritten on every command, and a
// hot spot's ticket gathers hundreds of joined appeals (many residents reporting one
// problem): inline, every join would rewrite all the earlier ones.
std::string to_snapshot_text(const ticket& t);

// The same as objects, for callers that adjust them (API views). Costs a parse.
json::object encode(const appeal& a);
json::object encode(const sla_clock& c);
json::object encode(const escalation_record& e);
json::object encode(const event& e);
json::object encode(const ticket& t);

result<appeal> decode_appeal(const json::value& v);
// The same from an object already in hand: passing one to the overload above would copy
// it into a temporary value first (every allocation of every member), which the Kafka
// edge, the API and every snapshot decode had paid per appeal.
result<appeal> decode_appeal(const json::object& o);
result<sla_clock> decode_clock(const json::value& v);
result<sla_clock> decode_clock(const json::object& o);  // as decode_appeal(object)
result<event> decode_event(const json::value& v);
result<ticket> decode_ticket(const json::value& v);

// Decodes the body of a command from its wire form: {"command": "<name>", ...fields}.
// For submit, the appeal fields sit at the top level (as in POST /api/v1/appeals).
// `name` overrides the "command" member when non-empty (HTTP passes the action here).
result<command_body> decode_command_body(const json::object& o, std::string_view name = {});

// Parses text into JSON, reporting malformed input and invalid UTF-8. Every string in
// a value it returns is valid UTF-8 (the decoders rely on that).
result<json::value> parse(std::string_view text);
// The same, allocating the value from `sp` (e.g. a monotonic buffer for a document
// that is decoded and dropped at once).
result<json::value> parse(std::string_view text, json::storage_ptr sp);

// A ticket from to_text()'s text. The parsed tree lives in a stack buffer (spilling to
// the heap only for very large tickets) and is dropped whole. Refuses a snapshot whose
// joined appeals are stored apart (decode_snapshot_text).
result<ticket> decode_ticket_text(std::string_view text);
// A ticket from a stored snapshot: to_snapshot_text()'s form, whose joined appeals the
// caller reads from their rows (`joined_apart` of them; t.joined is then empty), or
// to_text()'s, as snapshots were stored before (`joined_apart` 0). Snapshots are read
// on every command but a ticket's first and on every API read.
result<ticket> decode_snapshot_text(std::string_view text, std::size_t& joined_apart);

std::string to_text(const json::value& v);

}  // namespace doorstep::codec
