// engine/domain/time.cpp
// RFC 3339 and ISO 8601 duration text <-> instants and durations. Hand-written parsers:
// strict, allocation-free, and independent of the C locale and of any time zone database.
#include "domain/time.h"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "domain/digits.h"

namespace doorstep {
namespace {

constexpr std::int64_t kMillisPerSecond = 1000;
constexpr std::int64_t kMillisPerMinute = 60 * kMillisPerSecond;
constexpr std::int64_t kMillisPerHour = 60 * kMillisPerMinute;
constexpr std::int64_t kMillisPerDay = 24 * kMillisPerHour;

constexpr std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  const std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

constexpr bool is_leap_year(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

constexpr unsigned days_in_month(int y, unsigned m) {
  constexpr std::array<unsigned, 12> kDays{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap_year(y) ? 29 : kDays[m - 1];
}

constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }

// A forward-only reader over the input; every read either consumes and succeeds or fails.
class cursor {
 public:
  explicit cursor(std::string_view text) : text_(text) {}

  bool done() const { return pos_ == text_.size(); }
  char peek() const { return done() ? '\0' : text_[pos_]; }

  bool eat(char c) {
    if (peek() != c) return false;
    ++pos_;
    return true;
  }
  bool eat_either(char a, char b) { return eat(a) || eat(b); }

  // Exactly `n` digits, as a number in [lo, hi].
  bool fixed(std::size_t n, int lo, int hi, int& out) {
    if (text_.size() - pos_ < n) return false;
    int v = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const char c = text_[pos_ + i];
      if (!is_digit(c)) return false;
      v = v * 10 + (c - '0');
    }
    if (v < lo || v > hi) return false;
    pos_ += n;
    out = v;
    return true;
  }

  // One or more digits as a non-negative integer; fails on overflow.
  bool number(std::int64_t& out) {
    if (!is_digit(peek())) return false;
    std::int64_t v = 0;
    while (is_digit(peek())) {
      const int digit = text_[pos_++] - '0';
      if (v > (std::numeric_limits<std::int64_t>::max() - digit) / 10) return false;
      v = v * 10 + digit;
    }
    out = v;
    return true;
  }

  // One or more digits read as a decimal fraction, truncated to milliseconds.
  bool fraction_millis(std::int64_t& out) {
    if (!is_digit(peek())) return false;
    std::int64_t ms = 0;
    std::int64_t scale = 100;
    while (is_digit(peek())) {
      ms += (text_[pos_++] - '0') * scale;
      scale /= 10;
    }
    out = ms;
    return true;
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

bool read_date(cursor& in, civil_date& out) {
  int y = 0, m = 0, d = 0;
  if (!in.fixed(4, 0, 9999, y) || !in.eat('-') || !in.fixed(2, 1, 12, m) || !in.eat('-') ||
      !in.fixed(2, 1, 31, d)) {
    return false;
  }
  if (static_cast<unsigned>(d) > days_in_month(y, static_cast<unsigned>(m))) return false;
  out = civil_date{y, static_cast<unsigned>(m), static_cast<unsigned>(d)};
  return true;
}

// "Z" / "z" or "+hh:mm" / "-hh:mm", as minutes east of UTC.
bool read_offset(cursor& in, int& minutes) {
  if (in.eat_either('Z', 'z')) {
    minutes = 0;
    return true;
  }
  const char sign = in.peek();
  if (!in.eat_either('+', '-')) return false;
  int hh = 0, mm = 0;
  if (!in.fixed(2, 0, 23, hh) || !in.eat(':') || !in.fixed(2, 0, 59, mm)) return false;
  minutes = (sign == '-' ? -1 : 1) * (hh * 60 + mm);
  return true;
}

// Checked `total += value * unit`.
bool accumulate(std::int64_t& total, std::int64_t value, std::int64_t unit) {
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  if (value > kMax / unit) return false;
  if (total > kMax - value * unit) return false;
  total += value * unit;
  return true;
}

// ISO 8601 after the leading 'P': [nD][T[nH][nM][n[.fff]S]], at least one component,
// designators in this order and each at most once. Years, months and weeks are refused:
// their length is not fixed.
std::optional<duration> parse_iso_duration(cursor in) {
  std::int64_t total = 0;
  std::int64_t n = 0;
  bool any = false;
  if (in.number(n)) {
    if (!in.eat('D') || !accumulate(total, n, kMillisPerDay)) return std::nullopt;
    any = true;
  }
  if (in.eat('T')) {
    constexpr std::array<std::pair<char, std::int64_t>, 3> kUnits{
        {{'H', kMillisPerHour}, {'M', kMillisPerMinute}, {'S', kMillisPerSecond}}};
    std::size_t next = 0;  // index of the first designator still allowed
    bool any_time = false;
    while (!in.done()) {
      if (!in.number(n)) return std::nullopt;
      std::int64_t fraction = 0;
      const bool has_fraction = in.eat_either('.', ',');
      if (has_fraction && !in.fraction_millis(fraction)) return std::nullopt;
      std::size_t i = next;
      while (i < kUnits.size() && kUnits[i].first != in.peek()) ++i;
      if (i == kUnits.size() || (has_fraction && kUnits[i].first != 'S')) return std::nullopt;
      in.eat(kUnits[i].first);
      if (!accumulate(total, n, kUnits[i].second) || !accumulate(total, fraction, 1)) {
        return std::nullopt;
      }
      next = i + 1;
      any_time = true;
    }
    if (!any_time) return std::nullopt;
    any = true;
  }
  if (!any || !in.done()) return std::nullopt;
  return duration{total};
}

// Short form: one or more <digits><unit>, units among d, h, m, s, ms in this order and
// each at most once ("1h30m", "1d2h", "1s500ms").
std::optional<duration> parse_short_duration(cursor in) {
  struct unit {
    std::string_view name;
    std::int64_t millis;
  };
  constexpr std::array<unit, 5> kUnits{{{"d", kMillisPerDay},
                                        {"h", kMillisPerHour},
                                        {"m", kMillisPerMinute},
                                        {"s", kMillisPerSecond},
                                        {"ms", 1}}};
  std::int64_t total = 0;
  std::size_t next = 0;
  do {
    std::int64_t n = 0;
    if (!in.number(n)) return std::nullopt;
    std::size_t i = 0;
    if (in.eat('d')) {
      i = 0;
    } else if (in.eat('h')) {
      i = 1;
    } else if (in.eat('m')) {
      i = in.eat('s') ? 4 : 2;
    } else if (in.eat('s')) {
      i = 3;
    } else {
      return std::nullopt;
    }
    if (i < next || !accumulate(total, n, kUnits[i].millis)) return std::nullopt;
    next = i + 1;
  } while (!in.done());
  return duration{total};
}

void append_number(std::string& out, const char* format, long long value) {
  std::array<char, 32> buf{};
  const int n = std::snprintf(buf.data(), buf.size(), format, value);
  out.append(buf.data(), static_cast<std::size_t>(n));
}

}  // namespace

// Hot: every event and snapshot carries several instants. Years 0..9999 are written
// two digits at a time from a table (snprintf cost a third of encoding a snapshot);
// others take snprintf.
std::string format_rfc3339(instant t, int offset_minutes) {
  char buf[kRfc3339Max];
  return std::string(buf, format_rfc3339(t, buf, offset_minutes));
}

std::size_t format_rfc3339(instant t, char* out, int offset_minutes) {
  const std::int64_t local = to_millis(t) + offset_minutes * kMillisPerMinute;
  const std::int64_t days = floor_div(local, kMillisPerDay);
  const std::int64_t in_day = local - days * kMillisPerDay;
  const civil_date date = civil_from_days(days);
  const int hour = static_cast<int>(in_day / kMillisPerHour);
  const int minute = static_cast<int>(in_day / kMillisPerMinute % 60);
  const int second = static_cast<int>(in_day / kMillisPerSecond % 60);
  const int millis = static_cast<int>(in_day % kMillisPerSecond);
  const int offset_abs = std::abs(offset_minutes);

  if (date.year < 0 || date.year > 9999 || offset_abs >= 100 * 60) {
    int n = std::snprintf(out, kRfc3339Max, "%04d-%02u-%02uT%02d:%02d:%02d", date.year, date.month,
                          date.day, hour, minute, second);
    if (millis != 0) {
      n += std::snprintf(out + n, kRfc3339Max - static_cast<std::size_t>(n), ".%03d", millis);
    }
    n += std::snprintf(out + n, kRfc3339Max - static_cast<std::size_t>(n), "%c%02d:%02d",
                       offset_minutes < 0 ? '-' : '+', offset_abs / 60, offset_abs % 60);
    return static_cast<std::size_t>(n);
  }
  char* p = out;
  const auto year = static_cast<unsigned>(date.year);
  p = digits::put2(p, year / 100);
  p = digits::put2(p, year % 100);
  *p++ = '-';
  p = digits::put2(p, date.month);
  *p++ = '-';
  p = digits::put2(p, date.day);
  *p++ = 'T';
  p = digits::put2(p, static_cast<unsigned>(hour));
  *p++ = ':';
  p = digits::put2(p, static_cast<unsigned>(minute));
  *p++ = ':';
  p = digits::put2(p, static_cast<unsigned>(second));
  if (millis != 0) {
    *p++ = '.';
    *p++ = static_cast<char>('0' + millis / 100);
    p = digits::put2(p, static_cast<unsigned>(millis % 100));
  }
  *p++ = offset_minutes < 0 ? '-' : '+';
  p = digits::put2(p, static_cast<unsigned>(offset_abs / 60));
  *p++ = ':';
  p = digits::put2(p, static_cast<unsigned>(offset_abs % 60));
  return static_cast<std::size_t>(p - out);
}

std::optional<instant> parse_rfc3339(std::string_view text) {
  cursor in(text);
  civil_date date;
  int hour = 0, minute = 0, second = 0, offset = 0;
  std::int64_t millis = 0;
  if (!read_date(in, date) || !in.eat_either('T', 't') || !in.fixed(2, 0, 23, hour) ||
      !in.eat(':') || !in.fixed(2, 0, 59, minute) || !in.eat(':') ||
      !in.fixed(2, 0, 59, second)) {
    return std::nullopt;
  }
  if (in.eat('.') && !in.fraction_millis(millis)) return std::nullopt;
  if (!read_offset(in, offset) || !in.done()) return std::nullopt;

  const std::int64_t days = days_from_civil(date.year, date.month, date.day);
  const std::int64_t local = days * kMillisPerDay + hour * kMillisPerHour +
                             minute * kMillisPerMinute + second * kMillisPerSecond + millis;
  return from_millis(local - offset * kMillisPerMinute);
}

std::optional<civil_date> parse_date(std::string_view text) {
  cursor in(text);
  civil_date date;
  if (!read_date(in, date) || !in.done()) return std::nullopt;
  return date;
}

std::optional<duration> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  if (text.front() == 'P') return parse_iso_duration(cursor(text.substr(1)));
  return parse_short_duration(cursor(text));
}

std::string format_duration(duration d) {
  std::int64_t ms = d.count();
  std::string out;
  if (ms < 0) {
    out += '-';
    if (ms == std::numeric_limits<std::int64_t>::min()) ++ms;  // |min| does not fit; off by 1ms
    ms = -ms;
  }
  out += 'P';
  const std::int64_t days = ms / kMillisPerDay;
  const std::int64_t hours = ms / kMillisPerHour % 24;
  const std::int64_t minutes = ms / kMillisPerMinute % 60;
  const std::int64_t seconds = ms / kMillisPerSecond % 60;
  const std::int64_t millis = ms % kMillisPerSecond;
  if (days != 0) append_number(out, "%lldD", days);
  if (days != 0 && hours == 0 && minutes == 0 && seconds == 0 && millis == 0) return out;

  out += 'T';
  if (hours != 0) append_number(out, "%lldH", hours);
  if (minutes != 0) append_number(out, "%lldM", minutes);
  if (seconds != 0 || millis != 0 || (hours == 0 && minutes == 0)) {
    append_number(out, "%lld", seconds);
    if (millis != 0) {
      append_number(out, ".%03lld", millis);
      while (out.back() == '0') out.pop_back();
    }
    out += 'S';
  }
  return out;
}

}  // namespace doorstep
