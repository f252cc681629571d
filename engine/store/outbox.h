// engine/store/outbox.h
// Publication streams kept in the store until a relay has delivered them: ticket
// events ("o", staged by batch::stage with their command) and dead letters ("q",
// inbound messages that could not be used, staged with their consumed offset). Each
// partition numbers its entries 1, 2, 3, ... and keeps a cursor: the highest sequence
// known to be delivered. Entries at or below the cursor are deleted.
// Thread-safety: reads from any thread; each (partition, stream) has one publisher.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.h"

namespace doorstep::store {

enum class stream : char { ticket_events = kOutbox, dead_letters = kDeadLetter };
std::string_view to_string(stream s);

// An inbound message parked for the dead-letter topic, unchanged, with why.
struct dead_letter {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::int64_t timestamp_ms = -1;  // the message's own timestamp, -1 when it had none
  std::optional<std::string> key;  // absent: the message had no key
  std::string payload;
  std::string code;    // error code (e.g. invalid_json, wrong_key, illegal_transition)
  std::string reason;  // human-readable
  bool operator==(const dead_letter&) const = default;
};
// Binary-safe framing (payloads need not be UTF-8 or JSON).
std::string encode(const dead_letter& d);
std::optional<dead_letter> decode_dead_letter(std::string_view bytes);

struct outbox_entry {
  std::uint64_t seq = 0;
  std::string value;
};

// A ticket-event entry as the store stages it: "<ticket>\t<event id>\t<type>", a
// reference to the event's JSON in the event log (event id "<ticket>/<seq>"; the log is
// append-only and written in the same batch, so the event is there whenever the entry
// is). nullopt for any other shape. The views point into `value`.
struct event_reference {
  std::string_view ticket_id, event_id, type;
  std::uint64_t seq = 0;
};
std::optional<event_reference> parse_event_reference(std::string_view value);

// A ticket-event entry as read_stream returns it: "<ticket>\t<event id>\t<type>\n<event
// JSON>". Stores written before references held that form themselves, and stores
// written before the header existed hold the bare event JSON; those entries are read by
// parsing it. `json` points into the entry's value.
struct event_entry {
  std::string ticket_id, event_id, type;
  std::string_view json;
};
std::optional<event_entry> split_event_entry(std::string_view value);
// Why split_event_entry refuses an entry read_stream returned, for fsck and the relay:
// "refers to event <id>, which is not in the event log" or "is malformed".
std::string refusal_reason(std::string_view value);

// Up to `limit` entries of a partition's stream with sequence > `after`, in order.
// Ticket-event entries that refer to their event come back with its JSON from the event
// log (one batched read per page), in split_event_entry's form; one whose event is
// missing comes back as stored, which split_event_entry refuses (fsck names the event).
// Cost: one seek plus the entries read. Error: the stream or the events it refers to
// could not be read (a short page is never passed off as the end of the stream).
result<std::vector<outbox_entry>> read_stream(const store& s, unsigned partition, stream which,
                                              std::uint64_t after, std::size_t limit);

// The publication cursor (0 when nothing was delivered yet) and the last staged
// sequence of a partition's stream. Error: the store could not be read, or the value is
// not a number (never taken for 0).
result<std::uint64_t> delivered(const store& s, unsigned partition, stream which);
result<std::uint64_t> staged(const store& s, unsigned partition, stream which);

// Records that every entry up to `seq` was delivered and deletes them, in one write.
// Not synced: a cursor lost in a crash only means those entries are sent again.
[[nodiscard]] status_result mark_delivered(store& s, unsigned partition, stream which, std::uint64_t seq);

// The consumer's resume position for a Kafka partition ("<topic>/<n>"): every offset
// below it has been committed by the partition it belongs to. A hint, not the truth:
// the per-partition consumed offsets (batch::consumed) decide what is skipped.
// nullopt: the store never read that partition. Error: the store could not be read, or
// the value is not an offset.
result<std::optional<std::int64_t>> resume_position(const store& s, std::string_view source);
[[nodiscard]] status_result save_resume_position(store& s, std::string_view source, std::int64_t offset);

}  // namespace doorstep::store
