// engine/domain/time.h
// Instants and durations used everywhere in Doorstep, plus the few civil-date helpers
// the calendar and the wire formats need. Pure: nothing here reads a clock.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace doorstep {

using duration = std::chrono::milliseconds;
// Milliseconds since the Unix epoch (UTC).
using instant = std::chrono::sys_time<std::chrono::milliseconds>;

constexpr instant from_millis(std::int64_t ms) { return instant{duration{ms}}; }
constexpr std::int64_t to_millis(instant t) { return t.time_since_epoch().count(); }

// Asia/Shanghai has been UTC+8 without daylight saving since 1991.
constexpr int kShanghaiOffsetMinutes = 8 * 60;

// Days since 1970-01-01 for a proleptic Gregorian civil date (Hinnant's algorithm).
constexpr std::int64_t days_from_civil(int y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct civil_date {
  int year = 1970;
  unsigned month = 1;
  unsigned day = 1;
  friend constexpr bool operator==(const civil_date&, const civil_date&) = default;
  friend constexpr auto operator<=>(const civil_date&, const civil_date&) = default;
};

constexpr civil_date civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return civil_date{static_cast<int>(y + (m <= 2 ? 1 : 0)), m, d};
}

// 0 = Sunday ... 6 = Saturday, for days since the epoch.
constexpr unsigned weekday_from_days(std::int64_t z) {
  return static_cast<unsigned>(z >= -4 ? (z + 4) % 7 : (z + 5) % 7 + 6);
}

// Formats as RFC 3339 in the given fixed offset, e.g. 2026-02-14T09:00:00+08:00.
// Milliseconds are printed only when non-zero.
std::string format_rfc3339(instant t, int offset_minutes = kShanghaiOffsetMinutes);
// The same text written into `out` (room for kRfc3339Max characters); returns its
// length. For encoders that append many instants without allocating.
inline constexpr std::size_t kRfc3339Max = 48;
std::size_t format_rfc3339(instant t, char* out, int offset_minutes = kShanghaiOffsetMinutes);

// Parses RFC 3339 (date-time with 'Z' or +hh:mm offset, optional fraction).
// 'T'/'t' and 'Z'/'z' both accepted; fractions finer than a millisecond are truncated.
// nullopt on anything else: out-of-range fields, leap second :60, trailing text.
std::optional<instant> parse_rfc3339(std::string_view text);

// Parses a "YYYY-MM-DD" date.
std::optional<civil_date> parse_date(std::string_view text);

// Parses a duration: ISO 8601 ("PT2H", "P3D", "PT90M", "PT1.5S") or short ("2h", "15m",
// "3d", "45s", "500ms", combined largest unit first: "1h30m"). Years, months and weeks,
// signs, blanks and empty input give nullopt.
// Days are 24 hours here; working-time meaning is applied by SLA policies, not by this.
std::optional<duration> parse_duration(std::string_view text);

// Formats a duration as ISO 8601, e.g. PT2H30M, P3DT4H, PT1.5S, PT0S; negative ones get
// a leading '-'. parse_duration(format_duration(d)) == d for every d >= 0.
std::string format_duration(duration d);

}  // namespace doorstep
