// engine/store/keys.h
// The RocksDB key layout. Every key starts with its partition ("p007|") so a
// partition can be scanned, moved, restored or dropped on its own. Numbers are
// zero-padded so lexical order is numeric order.
//
//   p007|s|<ticket>                               snapshot (ticket JSON)
//   p007|e|<ticket>|<seq:10>                      event (event JSON), append-only
//   p007|j|<ticket>|<n:10>                        the ticket's n-th joined appeal (appeal
//                                                 JSON), written once, when it joins; the
//                                                 snapshot holds only their count
//   p007|t|<due ms:13>|<ticket>|<clock>|<kind>|<n> pending timer (deadline index)
//   p007|x|<nearest deadline ms:13>|<ticket>      worklist index, every ticket (store/rows.h)
//   p007|c|<community>|<created ms:13>|<ticket>   stats index, every ticket (store/rows.h)
//   p007|d|<category>|<scope node>|<created ms:13>|<ticket>  open-duplicate index (by creation)
//   p007|k|<source id>                            idempotency: value ticket id
//   p007|o|<outbox seq:16>                        outbox: "<ticket>\t<event id>\t<type>", an event
//                                                 awaiting publication; its JSON is the
//                                                 event log's (store/outbox.h)
//   p007|q|<dead-letter seq:16>                   dead letters awaiting publication (Kafka DLQ)
//   p007|m|<name>                                 partition metadata (counters, publication
//                                                 cursors, consumed offsets "in|<topic>/<n>")
//   meta|<name>                                   store metadata (partition count, format)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/ticket.h"

namespace doorstep::store {

std::string partition_prefix(unsigned partition);
std::string snapshot_key(unsigned partition, std::string_view ticket_id);
std::string event_key(unsigned partition, std::string_view ticket_id, std::uint64_t seq);
std::string event_prefix(unsigned partition, std::string_view ticket_id);
std::string joined_key(unsigned partition, std::string_view ticket_id, std::uint64_t n);
std::string timer_key(unsigned partition, std::string_view ticket_id, const pending_timer& t);
std::string source_key(unsigned partition, std::string_view source_id);
std::string outbox_key(unsigned partition, std::uint64_t seq);
std::string dead_letter_key(unsigned partition, std::uint64_t seq);
std::string meta_key(unsigned partition, std::string_view name);
std::string duplicate_prefix(unsigned partition, std::string_view category, std::string_view scope);
// Where the open tickets of a duplicate prefix created at or after `since` begin: one
// seek finds the oldest open ticket inside a window, however many older ones stay open.
std::string duplicate_key_from(std::string_view prefix, instant since);
// The ticket id of a duplicate-index key under `prefix`, or empty if it has another shape.
std::string_view duplicate_ticket(std::string_view key, std::string_view prefix);
// The prefix (duplicate_prefix()) of a duplicate-index key, or empty if it has another shape.
std::string_view duplicate_prefix_of(std::string_view key);

// The family of a key within its partition: 's', 'e', 'j', 't', 'x', 'c', 'd', 'k', 'o', 'q', 'm'.
inline constexpr char kSnapshot = 's', kEvent = 'e', kJoined = 'j', kTimer = 't', kWorklist = 'x', kStats = 'c',
                      kDuplicate = 'd', kSource = 'k', kOutbox = 'o', kDeadLetter = 'q', kMeta = 'm';
std::string family_prefix(unsigned partition, char family);

// A decoded timer key.
struct timer_entry {
  unsigned partition = 0;
  std::string ticket_id;
  pending_timer timer;
};
std::optional<timer_entry> parse_timer_key(std::string_view key);

// Index entries (key -> value) a ticket snapshot implies: its pending timers, its
// worklist row and, while open, its duplicate entry under `dup_scope`. (The stats row
// also needs the event log: batch::stage writes it.)
struct index_entry {
  std::string key;
  std::string value;
  bool operator==(const index_entry&) const = default;
  auto operator<=>(const index_entry&) const = default;
};
std::vector<index_entry> index_entries(unsigned partition, const ticket& t, std::string_view dup_scope);
// True when `a` and `b` agree on every field index_entries() reads (and a few more: whole
// SLA clocks), so that under one dup_scope their index entries are the same. Most joins
// leave a ticket so: a command that keeps them writes no index entry.
bool same_index_entries(const ticket& a, const ticket& b);

// Ticket ids: "T20260214-007-000123": local creation date, partition, per-partition
// sequence. Human-readable, sortable by day, and routable to their partition.
std::string make_ticket_id(instant created, unsigned partition, std::uint64_t seq);
std::optional<unsigned> partition_of_ticket(std::string_view ticket_id);

}  // namespace doorstep::store
