#include "store/rows.h"

#include <algorithm>
#include <charconv>

#include "store/key_format.h"
#include "store/keys.h"

namespace doorstep::store {
using namespace key_format;

namespace {

void append_number(std::string& out, std::int64_t v) {
  char buf[20];
  const auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;
  out.append(buf, static_cast<std::size_t>(end - buf));
}

std::string_view level_name(const std::optional<level>& l) { return l ? to_string(*l) : "none"; }

// "none" or a level name into `out`; false when it is neither.
bool parse_opt_level(std::string_view s, std::optional<level>& out) {
  if (s == "none") {
    out.reset();
    return true;
  }
  out = parse_level(s);
  return out.has_value();
}

// "key=n,key=n" (keys never hold '=' or ',': they are enum names and "<level>/<clock>").
void append_counts(std::string& out, const std::map<std::string, std::uint32_t>& counts) {
  bool first = true;
  for (const auto& [k, n] : counts) {
    if (!first) out += ',';
    first = false;
    out += k;
    out += '=';
    append_number(out, n);
  }
}

std::optional<std::map<std::string, std::uint32_t>> parse_counts(std::string_view s) {
  std::map<std::string, std::uint32_t> out;
  if (s.empty()) return out;
  for (auto part : split(s, ',')) {
    const auto eq = part.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    auto n = to_number<std::uint32_t>(part.substr(eq + 1));
    if (!n) return std::nullopt;
    out[std::string(part.substr(0, eq))] = *n;
  }
  return out;
}

// The key's last two fields: "...|<ms:13>|<ticket>".
bool split_tail(std::string_view key, std::string_view& head, std::int64_t& ms, std::string_view& ticket_id) {
  const auto bar = key.rfind('|');
  if (bar == std::string_view::npos || bar < 14 || key[bar - 14] != '|') return false;
  auto n = to_number<std::int64_t>(key.substr(bar - 13, 13));
  if (!n) return false;
  ms = *n;
  ticket_id = key.substr(bar + 1);
  head = key.substr(0, bar - 14);
  return !ticket_id.empty();
}

}  // namespace

// ------------------------------------------------------------------------------ worklist

bool any_overdue(const std::array<clock_row, kClockCount>& clocks, instant now) {
  const auto t = to_millis(now);
  return std::any_of(clocks.begin(), clocks.end(), [t](const clock_row& c) {
    return c.state == clock_state::running && (c.breached || t >= c.due_ms);
  });
}

bool any_at_risk(const std::array<clock_row, kClockCount>& clocks, instant now) {
  const auto t = to_millis(now);
  return std::any_of(clocks.begin(), clocks.end(), [t](const clock_row& c) {
    if (c.state != clock_state::running || c.breached || t >= c.due_ms) return false;
    return c.warned || (c.warn_ms >= 0 && t >= c.warn_ms);
  });
}

worklist_row owned(const worklist_row_view& r) {
  return worklist_row{std::string(r.ticket_id), r.due_ms, r.st, r.lvl, std::string(r.unit_id), std::string(r.category),
                      r.via, std::string(r.jurisdiction_id), r.created_ms, r.clocks};
}

std::int64_t nearest_due_ms(const ticket& t) {
  std::int64_t best = kNoDeadline;
  for (const auto& c : t.clocks) {
    if (c.state == clock_state::running) best = std::min(best, static_cast<std::int64_t>(ms_field(c.due)));
  }
  return best;
}

std::string worklist_key(unsigned partition, const ticket& t) {
  auto k = key_start(partition, kWorklist, 14 + t.id.size());
  append_padded(k, static_cast<std::uint64_t>(nearest_due_ms(t)), 13);
  k += '|';
  k += t.id;
  return k;
}

std::string worklist_after(unsigned partition, std::int64_t due_ms, std::string_view ticket_id) {
  auto k = key_start(partition, kWorklist, 15 + ticket_id.size());
  append_padded(k, static_cast<std::uint64_t>(std::clamp<std::int64_t>(due_ms, 0, kNoDeadline)), 13);
  k += '|';
  k += ticket_id;
  k += '\0';  // the smallest key after the row itself
  return k;
}

std::string worklist_value(const ticket& t) {
  std::string v;
  v.reserve(160);
  v += to_string(t.st);
  v += '\t';
  v += level_name(t.lvl);
  v += '\t';
  v += t.unit_id;
  v += '\t';
  v += t.category;
  v += '\t';
  v += to_string(t.via);
  v += '\t';
  v += t.jurisdiction_id;
  v += '\t';
  // The numeric tail through a pointer (one row per ticket per command: an append per
  // character had been most of building it).
  constexpr std::size_t kNumber = 20;  // -9223372036854775808
  char buf[kNumber + 1 + kClockCount * (5 + 2 * kNumber + 1)];
  char* p = buf;
  const auto number = [&p](std::int64_t n) { p = std::to_chars(p, p + kNumber, n).ptr; };
  number(to_millis(t.created_at));
  *p++ = '\t';
  for (std::size_t i = 0; i < kClockCount; ++i) {
    const auto& c = t.clocks[i];
    if (i) *p++ = ';';
    *p++ = static_cast<char>('0' + static_cast<int>(c.state));
    *p++ = c.breached ? '1' : '0';
    *p++ = c.warnings_fired > 0 ? '1' : '0';
    *p++ = ',';
    number(to_millis(c.due));
    *p++ = ',';
    number(c.warn_at.empty() ? -1 : to_millis(c.warn_at.front()));
  }
  v.append(buf, static_cast<std::size_t>(p - buf));
  return v;
}

std::optional<worklist_key_view> parse_worklist_key(std::string_view key) {
  worklist_key_view k;
  std::string_view head;
  if (!split_tail(key, head, k.due_ms, k.ticket_id)) return std::nullopt;
  return k;
}

std::optional<worklist_row_view> parse_worklist_row(std::string_view key, std::string_view value) {
  // Every row of a range is parsed (the worklist's count, the startup gauges), so this
  // allocates nothing: the fields view the key and value.
  worklist_row_view r;
  std::string_view head;
  if (!split_tail(key, head, r.due_ms, r.ticket_id)) return std::nullopt;
  std::array<std::string_view, 8> f;
  std::array<std::string_view, kClockCount> clocks;
  if (!split_exact(value, '\t', f) || !split_exact(f[7], ';', clocks)) return std::nullopt;
  auto st = parse_status(f[0]);
  auto via = parse_channel(f[4]);
  auto created = to_number<std::int64_t>(f[6]);
  if (!st || !parse_opt_level(f[1], r.lvl) || !via || !created) return std::nullopt;
  r.st = *st;
  r.unit_id = f[2];
  r.category = f[3];
  r.via = *via;
  r.jurisdiction_id = f[5];
  r.created_ms = *created;
  for (std::size_t i = 0; i < kClockCount; ++i) {
    std::array<std::string_view, 3> parts;
    if (!split_exact(clocks[i], ',', parts) || parts[0].size() != 3 || parts[0][0] < '0' || parts[0][0] > '3') return std::nullopt;
    auto due = to_number<std::int64_t>(parts[1]);
    auto warn = to_number<std::int64_t>(parts[2]);
    if (!due || !warn) return std::nullopt;
    r.clocks[i] = clock_row{static_cast<clock_state>(parts[0][0] - '0'), parts[0][1] == '1', parts[0][2] == '1', *due, *warn};
  }
  return r;
}

// --------------------------------------------------------------------------------- stats

stats_history fold_history(stats_history h, const std::vector<event>& events) {
  for (const auto& e : events) {
    ++h.events;
    if (const auto* d = std::get_if<dispatched_ev>(&e.body)) h.lvl = d->to;
    if (const auto* x = std::get_if<escalated_ev>(&e.body)) {
      h.lvl = x->to;
      ++h.escalations[std::string(to_string(x->reason))];
    }
    if (std::holds_alternative<accepted_ev>(e.body)) h.response_due = true;
    if (const auto* b = std::get_if<sla_breached_ev>(&e.body)) {
      ++h.breaches[std::string(level_name(h.lvl)) + "/" + std::string(to_string(b->clock))];
      h.breached[static_cast<std::size_t>(b->clock)] = true;
      if (b->clock == clock_kind::accept || b->clock == clock_kind::contact) {
        h.response_due = true;
        h.response_breached = true;
      }
    }
  }
  return h;
}

namespace {
// The prefix, with room for `more` characters after it.
std::string stats_prefix_with_room(unsigned partition, std::string_view community_id, std::size_t more) {
  auto k = key_start(partition, kStats, community_id.size() + 1 + more);
  k += community_id;
  k += '|';
  return k;
}
}  // namespace

std::string stats_prefix(unsigned partition, std::string_view community_id) {
  return stats_prefix_with_room(partition, community_id, 0);
}

std::string stats_from(unsigned partition, std::string_view community_id, instant from) {
  auto k = stats_prefix(partition, community_id);
  append_padded(k, ms_field(from), 13);
  return k;
}

std::string stats_key(unsigned partition, const ticket& t) {
  auto k = stats_prefix_with_room(partition, t.community_id, 14 + t.id.size());  // sized once
  append_padded(k, ms_field(t.created_at), 13);
  k += '|';
  k += t.id;
  return k;
}

std::string stats_value(const ticket& t, const stats_history& h) {
  std::string v;
  v.reserve(200);
  v += to_string(t.st);
  v += '\t';
  v += level_name(t.lvl);
  v += '\t';
  v += to_string(t.entry_level);
  v += '\t';
  v += t.unit_id;
  v += '\t';
  v += t.jurisdiction_id;
  v += '\t';
  v += t.category;
  v += '\t';
  append_number(v, static_cast<std::int64_t>(1 + t.joined.size()));
  v += '\t';
  if (t.rating) append_number(v, *t.rating);
  else v += '-';
  v += '\t';
  for (const auto& c : t.clocks) v += c.state != clock_state::stopped ? '-' : c.stopped_at <= c.due ? 'm' : 'l';
  v += '\t';
  std::map<std::string, std::uint32_t> escalations;
  for (const auto& e : t.escalations) ++escalations[std::string(to_string(e.reason))];
  append_counts(v, escalations);
  // The history: what the event log says beyond the snapshot.
  v += '\t';
  v += level_name(h.lvl);
  v += '\t';
  append_number(v, static_cast<std::int64_t>(h.events));
  v += '\t';
  v += h.response_due ? '1' : '0';
  v += h.response_breached ? '1' : '0';
  v += '\t';
  for (bool b : h.breached) v += b ? '1' : '0';
  v += '\t';
  append_counts(v, h.breaches);
  v += '\t';
  append_counts(v, h.escalations);
  return v;
}

namespace {
constexpr std::size_t kSnapshotFields = 10, kHistoryFields = 6;
using stats_fields = std::array<std::string_view, kSnapshotFields + kHistoryFields>;

std::optional<stats_history> history_of(const stats_fields& f) {
  stats_history h;
  auto events = to_number<std::uint64_t>(f[kSnapshotFields + 1]);
  const auto flags = f[kSnapshotFields + 2];
  const auto mask = f[kSnapshotFields + 3];
  auto breaches = parse_counts(f[kSnapshotFields + 4]);
  auto escalations = parse_counts(f[kSnapshotFields + 5]);
  if (!parse_opt_level(f[kSnapshotFields], h.lvl) || !events || flags.size() != 2 || mask.size() != kClockCount || !breaches || !escalations) return std::nullopt;
  h.events = *events;
  h.response_due = flags[0] == '1';
  h.response_breached = flags[1] == '1';
  for (std::size_t i = 0; i < kClockCount; ++i) h.breached[i] = mask[i] == '1';
  h.breaches = std::move(*breaches);
  h.escalations = std::move(*escalations);
  return h;
}
}  // namespace

std::optional<stats_history> parse_stats_history(std::string_view value) {
  stats_fields f;
  if (!split_exact(value, '\t', f)) return std::nullopt;
  return history_of(f);
}

std::optional<stats_row> parse_stats_row(std::string_view key, std::string_view value) {
  stats_row r;
  std::string_view head, id;
  if (!split_tail(key, head, r.created_ms, id)) return std::nullopt;
  r.ticket_id = std::string(id);
  if (head.size() < 8) return std::nullopt;
  r.community_id = std::string(head.substr(7));
  stats_fields f;
  if (!split_exact(value, '\t', f)) return std::nullopt;
  auto st = parse_status(f[0]);
  auto entry = parse_level(f[2]);
  auto appeals = to_number<std::uint32_t>(f[6]);
  auto escalations = parse_counts(f[9]);
  auto history = history_of(f);
  if (!st || !parse_opt_level(f[1], r.lvl) || !entry || !appeals || !escalations || !history || f[8].size() != kClockCount) return std::nullopt;
  r.st = *st;
  r.entry_level = *entry;
  r.unit_id = std::string(f[3]);
  r.jurisdiction_id = std::string(f[4]);
  r.category = std::string(f[5]);
  r.appeals = *appeals;
  if (f[7] != "-") {
    auto rating = to_number<int>(f[7]);
    if (!rating) return std::nullopt;
    r.rating = *rating;
  }
  std::copy(f[8].begin(), f[8].end(), r.clock_end.begin());
  r.escalations = std::move(*escalations);
  r.history = std::move(*history);
  return r;
}

}  // namespace doorstep::store
