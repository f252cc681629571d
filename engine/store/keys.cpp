#include "store/keys.h"

#include <algorithm>
#include <charconv>
#include <cstdio>

namespace doorstep::store {
namespace {

std::string pad(std::uint64_t v, int width) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%0*llu", width, static_cast<unsigned long long>(v));
  return buf;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == sep) {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

template <class T>
std::optional<T> to_number(std::string_view s) {
  T v{};
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

std::string partition_prefix(unsigned partition) { return "p" + pad(partition, 3) + "|"; }

std::string family_prefix(unsigned partition, char family) {
  return partition_prefix(partition) + family + "|";
}

std::string snapshot_key(unsigned partition, std::string_view ticket_id) {
  return family_prefix(partition, kSnapshot) + std::string(ticket_id);
}

std::string event_prefix(unsigned partition, std::string_view ticket_id) {
  return family_prefix(partition, kEvent) + std::string(ticket_id) + "|";
}

std::string event_key(unsigned partition, std::string_view ticket_id, std::uint64_t seq) {
  return event_prefix(partition, ticket_id) + pad(seq, 10);
}

std::string timer_key(unsigned partition, std::string_view ticket_id, const pending_timer& t) {
  return family_prefix(partition, kTimer) + pad(static_cast<std::uint64_t>(std::max<std::int64_t>(0, to_millis(t.at))), 13) +
         "|" + std::string(ticket_id) + "|" + std::string(to_string(t.clock)) + "|" + std::string(to_string(t.kind)) +
         "|" + std::to_string(t.ordinal);
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
  return family_prefix(partition, kSource) + std::string(source_id);
}

std::string outbox_key(unsigned partition, std::uint64_t seq) {
  return family_prefix(partition, kOutbox) + pad(seq, 16);
}

std::string meta_key(unsigned partition, std::string_view name) {
  return family_prefix(partition, kMeta) + std::string(name);
}

std::string duplicate_prefix(unsigned partition, std::string_view category, std::string_view scope) {
  return family_prefix(partition, kDuplicate) + std::string(category) + "|" + std::string(scope) + "|";
}

namespace {
std::string created_field(instant t) { return pad(static_cast<std::uint64_t>(std::max<std::int64_t>(0, to_millis(t))), 13); }
}  // namespace

std::string duplicate_key_from(std::string_view prefix, instant since) {
  return std::string(prefix) + created_field(since) + "|";
}

std::string_view duplicate_ticket(std::string_view key, std::string_view prefix) {
  constexpr std::size_t created_width = 13 + 1;  // "<ms:13>|"
  if (key.size() <= prefix.size() + created_width || key.substr(0, prefix.size()) != prefix ||
      key[prefix.size() + created_width - 1] != '|') {
    return {};
  }
  return key.substr(prefix.size() + created_width);
}

std::vector<index_entry> index_entries(unsigned partition, const ticket& t, std::string_view dup_scope) {
  std::vector<index_entry> out;
  if (!t.exists()) return out;
  for (const auto& timer : pending_timers(t)) out.push_back({timer_key(partition, t.id, timer), {}});
  out.push_back({family_prefix(partition, kWorklist) + std::string(to_string(t.st)) + "|" +
                     std::string(t.lvl ? to_string(*t.lvl) : "none") + "|" + t.unit_id + "|" + t.id,
                 {}});
  if (is_open(t.st)) {
    out.push_back({duplicate_prefix(partition, t.category, dup_scope) + created_field(t.created_at) + "|" + t.id, {}});
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string make_ticket_id(instant created, unsigned partition, std::uint64_t seq) {
  const auto local_days = (to_millis(created) + kShanghaiOffsetMinutes * 60000LL) / 86400000LL;
  const auto d = civil_from_days(local_days);
  char buf[48];
  std::snprintf(buf, sizeof buf, "T%04d%02u%02u-%03u-%06llu", d.year, d.month, d.day, partition,
                static_cast<unsigned long long>(seq));
  return buf;
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
