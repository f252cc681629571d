#include "store/keys.h"

#include "store/key_format.h"
#include "store/rows.h"

#include <algorithm>
#include <charconv>
#include <cstring>

namespace doorstep::store {
using namespace key_format;

std::string partition_prefix(unsigned partition) {
  std::string k = "p";
  append_padded(k, partition, 3);
  return k + "|";
}

std::string family_prefix(unsigned partition, char family) { return key_start(partition, family, 0); }

std::string snapshot_key(unsigned partition, std::string_view ticket_id) {
  auto k = key_start(partition, kSnapshot, ticket_id.size());
  k += ticket_id;
  return k;
}

std::string event_prefix(unsigned partition, std::string_view ticket_id) {
  auto k = key_start(partition, kEvent, ticket_id.size() + 1);
  k += ticket_id;
  k += '|';
  return k;
}

namespace {
// "p007|<family>|<ticket>|<n:10>": a ticket's numbered rows (events, joined appeals).
std::string ticket_row_key(unsigned partition, char family, std::string_view ticket_id, std::uint64_t n) {
  auto k = key_start(partition, family, ticket_id.size() + 11);
  k += ticket_id;
  k += '|';
  append_padded(k, n, 10);
  return k;
}
}  // namespace

std::string event_key(unsigned partition, std::string_view ticket_id, std::uint64_t seq) {
  return ticket_row_key(partition, kEvent, ticket_id, seq);
}

std::string joined_key(unsigned partition, std::string_view ticket_id, std::uint64_t n) {
  return ticket_row_key(partition, kJoined, ticket_id, n);
}

std::string timer_key(unsigned partition, std::string_view ticket_id, const pending_timer& t) {
  const auto clock = to_string(t.clock);
  const auto kind = to_string(t.kind);
  // Hot (every pending timer of a ticket, after each command): written through a
  // pointer into a buffer sized for the longest numbers, on the stack when it fits.
  const std::size_t most = 1 + 20 + 3 + 20 + ticket_id.size() + clock.size() + kind.size() + 4 + 3;
  const auto write = [&](char* p) {
    *p++ = 'p';
    p = digits::put_padded(p, partition, 3);
    *p++ = '|';
    *p++ = kTimer;
    *p++ = '|';
    p = digits::put_padded(p, ms_field(t.at), 13);
    for (const auto part : {ticket_id, clock, kind}) {
      *p++ = '|';
      std::memcpy(p, part.data(), part.size());
      p += part.size();
    }
    *p++ = '|';
    return digits::put_padded(p, t.ordinal, 1);
  };
  char buf[128];
  if (most <= sizeof buf) return std::string(buf, static_cast<std::size_t>(write(buf) - buf));
  std::string k(most, '\0');
  k.resize(static_cast<std::size_t>(write(k.data()) - k.data()));
  return k;
}

std::optional<timer_entry> parse_timer_key(std::string_view key) {
  auto parts = split(key, '|');
  if (parts.size() != 7 || parts[0].size() != 4 || parts[0][0] != 'p' || parts[1] != "t") return std::nullopt;
  auto partition = to_number<unsigned>(parts[0].substr(1));
  auto due = to_number<std::int64_t>(parts[2]);
  auto clock = parse_clock_kind(parts[4]);
  auto kind = parse_timer_kind(parts[5]);
  auto ordinal = to_number<unsigned>(parts[6]);
  if (!partition || !due || !clock || !kind || !ordinal || *ordinal > 255) return std::nullopt;
  return timer_entry{*partition, std::string(parts[3]),
                     pending_timer{from_millis(*due), *clock, *kind, static_cast<std::uint8_t>(*ordinal)}};
}

std::string source_key(unsigned partition, std::string_view source_id) {
  auto k = key_start(partition, kSource, source_id.size());
  k += source_id;
  return k;
}

std::string outbox_key(unsigned partition, std::uint64_t seq) {
  auto k = key_start(partition, kOutbox, 16);
  append_padded(k, seq, 16);
  return k;
}

std::string dead_letter_key(unsigned partition, std::uint64_t seq) {
  return family_prefix(partition, kDeadLetter) + pad(seq, 16);
}

std::string meta_key(unsigned partition, std::string_view name) {
  auto k = key_start(partition, kMeta, name.size());
  k += name;
  return k;
}

namespace {
// The prefix, with room for `more` characters after it.
std::string duplicate_prefix_with_room(unsigned partition, std::string_view category, std::string_view scope,
                                       std::size_t more) {
  auto k = key_start(partition, kDuplicate, category.size() + scope.size() + 2 + more);
  k += category;
  k += '|';
  k += scope;
  k += '|';
  return k;
}
}  // namespace

std::string duplicate_prefix(unsigned partition, std::string_view category, std::string_view scope) {
  return duplicate_prefix_with_room(partition, category, scope, 0);
}

std::string duplicate_key_from(std::string_view prefix, instant since) {
  std::string k;
  k.reserve(prefix.size() + 14);
  k += prefix;
  append_padded(k, ms_field(since), 13);
  k += '|';
  return k;
}

namespace {
constexpr std::size_t kCreatedWidth = 13 + 1;  // "<ms:13>|" after a duplicate prefix
}  // namespace

std::string_view duplicate_ticket(std::string_view key, std::string_view prefix) {
  if (key.size() <= prefix.size() + kCreatedWidth || key.substr(0, prefix.size()) != prefix ||
      key[prefix.size() + kCreatedWidth - 1] != '|') {
    return {};
  }
  return key.substr(prefix.size() + kCreatedWidth);
}

std::string_view duplicate_prefix_of(std::string_view key) {
  // Ticket ids hold no '|': the last one ends the creation field.
  const auto bar = key.rfind('|');
  if (bar == std::string_view::npos || bar < kCreatedWidth || key[bar - kCreatedWidth] != '|') return {};
  return key.substr(0, bar + 1 - kCreatedWidth);
}

std::vector<index_entry> index_entries(unsigned partition, const ticket& t, std::string_view dup_scope) {
  // Built in key order, which is family order ('d' < 't' < 'x' under one partition
  // prefix): only the timers, whose keys lead with their due time, need sorting.
  static_assert(kDuplicate < kTimer && kTimer < kWorklist);
  std::vector<index_entry> out;
  if (!t.exists()) return out;
  out.reserve(2 * kClockCount + 3);
  if (is_open(t.st)) {
    auto dup = duplicate_prefix_with_room(partition, t.category, dup_scope, 14 + t.id.size());
    append_padded(dup, ms_field(t.created_at), 13);
    dup += '|';
    dup += t.id;
    out.push_back({std::move(dup), {}});
  }
  const auto timers_from = out.size();
  for (const auto& timer : pending_timers(t)) out.push_back({timer_key(partition, t.id, timer), {}});
  std::sort(out.begin() + static_cast<std::ptrdiff_t>(timers_from), out.end(),
            [](const index_entry& a, const index_entry& b) { return a.key < b.key; });
  out.push_back({worklist_key(partition, t), worklist_value(t)});
  return out;
}

// What index_entries() reads: existence, id, status, category and creation (the
// duplicate entry); status, clocks, verification and the auto-close instant
// (pending_timers(), the timer keys); clocks, level, unit, channel and place (the
// worklist row). A field added to any of those must be added here.
bool same_index_entries(const ticket& a, const ticket& b) {
  return a.exists() == b.exists() && a.st == b.st && a.created_at == b.created_at && a.lvl == b.lvl &&
         a.via == b.via && a.verified == b.verified && a.auto_close_at == b.auto_close_at && a.clocks == b.clocks &&
         a.id == b.id && a.category == b.category && a.unit_id == b.unit_id && a.jurisdiction_id == b.jurisdiction_id;
}

std::string make_ticket_id(instant created, unsigned partition, std::uint64_t seq) {
  const auto local_days = (to_millis(created) + kShanghaiOffsetMinutes * 60000LL) / 86400000LL;
  const auto d = civil_from_days(local_days);
  // One per created ticket: written with the digit table, not snprintf (which had cost
  // more than the rest of creating the id).
  char buf[48];
  char* p = buf;
  *p++ = 'T';
  p = digits::put_padded(p, static_cast<std::uint64_t>(std::max(d.year, 0)), 4);
  p = digits::put2(p, d.month);
  p = digits::put2(p, d.day);
  *p++ = '-';
  p = digits::put_padded(p, partition, 3);
  *p++ = '-';
  p = digits::put_padded(p, seq, 6);
  return std::string(buf, static_cast<std::size_t>(p - buf));
}

std::optional<unsigned> partition_of_ticket(std::string_view id) {
  // T + 8 digits + '-' + 3 digits + '-' + digits
  if (id.size() < 16 || id[0] != 'T' || id[9] != '-' || id[13] != '-') return std::nullopt;
  for (std::size_t i = 14; i < id.size(); ++i) {
    if (id[i] < '0' || id[i] > '9') return std::nullopt;
  }
  return to_number<unsigned>(id.substr(10, 3));
}

}  // namespace doorstep::store
