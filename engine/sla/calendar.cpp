// engine/sla/calendar.cpp
// Working-time arithmetic on one business calendar. Everything runs on local day numbers
// (days since 1970-01-01 in the calendar's offset) and milliseconds after local midnight;
// whole working days are skipped in one step, so a call costs O(days spanned).
#include "sla/calendar.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <stdexcept>
#include <utility>

namespace doorstep::sla {
namespace {

constexpr std::int64_t kMillisPerMinute = 60'000;
constexpr int kMinutesPerDay = 24 * 60;
constexpr std::int64_t kMillisPerDay = kMinutesPerDay * kMillisPerMinute;

constexpr std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  const std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

// An instant split into its local day number and the milliseconds after local midnight.
struct local_time {
  std::int64_t day = 0;
  std::int64_t millis = 0;
};

std::int64_t offset_millis(const calendar_spec& spec) {
  return spec.utc_offset_minutes * kMillisPerMinute;
}

local_time to_local(const calendar_spec& spec, instant t) {
  const std::int64_t local = to_millis(t) + offset_millis(spec);
  const std::int64_t day = floor_div(local, kMillisPerDay);
  return {day, local - day * kMillisPerDay};
}

instant from_local(const calendar_spec& spec, std::int64_t day, std::int64_t millis) {
  return from_millis(day * kMillisPerDay + millis - offset_millis(spec));
}

bool is_working_day_number(const calendar_spec& spec, std::int64_t day) {
  const civil_date date = civil_from_days(day);
  if (spec.covered_years.contains(date.year)) {
    if (spec.holidays.contains(date)) return false;
    if (spec.make_up_days.contains(date)) return true;
  }
  return !spec.weekend_days.contains(weekday_from_days(day));
}

// Working time inside [from, to) of a working day with these hours, both in milliseconds
// after midnight.
std::int64_t working_millis(const calendar_spec& spec, std::int64_t from, std::int64_t to) {
  if (from >= to) return 0;
  std::int64_t total = 0;
  for (const period& p : spec.working_hours) {
    const std::int64_t begin = std::max(from, p.start_minute * kMillisPerMinute);
    const std::int64_t end = std::min(to, p.end_minute * kMillisPerMinute);
    if (begin < end) total += end - begin;
  }
  return total;
}

// --- validation (startup only; throws) ---

std::string to_text(civil_date d) {
  std::array<char, 32> buf{};
  std::snprintf(buf.data(), buf.size(), "%04d-%02u-%02u", d.year, d.month, d.day);
  return buf.data();
}

std::string to_text(period p) {
  return "[" + std::to_string(p.start_minute) + ", " + std::to_string(p.end_minute) +
         ") minutes";
}

[[noreturn]] void reject(const calendar_spec& spec, const std::string& what) {
  throw std::invalid_argument("calendar '" + spec.id + "': " + what);
}

bool is_valid_date(civil_date d) {
  if (d.month < 1 || d.month > 12 || d.day < 1) return false;
  return civil_from_days(days_from_civil(d.year, d.month, d.day)) == d;
}

void validate_working_hours(const calendar_spec& spec) {
  if (spec.working_hours.empty()) reject(spec, "no working hours");
  int previous_end = 0;
  for (const period& p : spec.working_hours) {
    if (p.start_minute < 0 || p.end_minute > kMinutesPerDay) {
      reject(spec, "working period " + to_text(p) + " is outside the day [0, 1440]");
    }
    if (p.start_minute >= p.end_minute) {
      reject(spec, "working period " + to_text(p) + " is empty or reversed");
    }
    if (p.start_minute < previous_end) {
      reject(spec, "working period " + to_text(p) +
                       " overlaps or precedes the one before; periods must be sorted");
    }
    previous_end = p.end_minute;
  }
}

void validate_days(const calendar_spec& spec) {
  for (int year : spec.covered_years) {
    if (year < 1900 || year > 9999) {
      reject(spec, "covered year " + std::to_string(year) + " is not within 1900..9999");
    }
  }
  for (unsigned w : spec.weekend_days) {
    if (w > 6) reject(spec, "weekend day " + std::to_string(w) + " is not in 0 (Sun)..6 (Sat)");
  }
  if (spec.weekend_days.size() == 7) reject(spec, "every day of the week is a weekend day");
  const auto check_listed = [&spec](const std::set<civil_date>& days, const std::string& kind) {
    for (const civil_date& d : days) {
      if (!is_valid_date(d)) reject(spec, kind + " " + to_text(d) + " is not a valid date");
      if (!spec.covered_years.contains(d.year)) {
        reject(spec, kind + " " + to_text(d) + " lies in a year missing from covered_years");
      }
    }
  };
  check_listed(spec.holidays, "holiday");
  check_listed(spec.make_up_days, "make-up day");
  for (const civil_date& d : spec.make_up_days) {
    if (spec.holidays.contains(d)) {
      reject(spec, "day " + to_text(d) + " is both a holiday and a make-up day");
    }
    if (!spec.weekend_days.contains(weekday_from_days(days_from_civil(d.year, d.month, d.day)))) {
      reject(spec, "make-up day " + to_text(d) + " is not a weekend day");
    }
  }
}

void validate(const calendar_spec& spec) {
  if (spec.utc_offset_minutes <= -kMinutesPerDay || spec.utc_offset_minutes >= kMinutesPerDay) {
    reject(spec, "utc offset " + std::to_string(spec.utc_offset_minutes) +
                     " minutes is not within one day");
  }
  validate_working_hours(spec);
  validate_days(spec);
}

}  // namespace

calendar::calendar(calendar_spec spec) : spec_(std::move(spec)) {
  validate(spec_);
  std::int64_t minutes = 0;
  for (const period& p : spec_.working_hours) minutes += p.end_minute - p.start_minute;
  day_length_ = duration{minutes * kMillisPerMinute};
  for (unsigned w : spec_.weekend_days) weekend_[w] = true;
  // Deadlines are computed for every command: the holiday and make-up sets are searched
  // once per day here, not once per day spanned on every call.
  if (!spec_.covered_years.empty()) {
    first_day_ = days_from_civil(*spec_.covered_years.begin(), 1, 1);
    const std::int64_t end = days_from_civil(*spec_.covered_years.rbegin() + 1, 1, 1);
    days_.reserve(static_cast<std::size_t>(end - first_day_));
    for (std::int64_t day = first_day_; day < end; ++day) days_.push_back(is_working_day_number(spec_, day) ? 1 : 0);
  }
}

std::int64_t calendar::working_millis_in_day(std::int64_t day, std::int64_t from, std::int64_t to) const {
  return working_day(day) ? working_millis(spec_, from, to) : 0;
}

bool calendar::is_working_day(civil_date d) const {
  return working_day(days_from_civil(d.year, d.month, d.day));
}

bool calendar::is_working_time(instant t) const {
  const local_time at = to_local(spec_, t);
  return working_millis_in_day(at.day, at.millis, at.millis + 1) > 0;
}

duration calendar::working_day_length() const { return day_length_; }

instant calendar::add_working(instant start, duration work) const {
  if (work <= duration::zero()) return start;
  const local_time at = to_local(spec_, start);
  std::int64_t left = work.count();
  std::int64_t from = at.millis;  // counting starts here on `day`, at midnight afterwards
  // Terminates: validation guarantees a working day in every week outside covered years.
  for (std::int64_t day = at.day;; ++day, from = 0) {
    if (!working_day(day)) continue;
    if (from == 0 && left > day_length_.count()) {
      left -= day_length_.count();  // the whole day is used up; strictly more work remains
      continue;
    }
    for (const period& p : spec_.working_hours) {
      const std::int64_t begin = std::max(from, p.start_minute * kMillisPerMinute);
      const std::int64_t end = p.end_minute * kMillisPerMinute;
      if (begin >= end) continue;
      if (left <= end - begin) return from_local(spec_, day, begin + left);
      left -= end - begin;
    }
  }
}

duration calendar::working_between(instant a, instant b) const {
  if (b <= a) return duration::zero();
  const local_time from = to_local(spec_, a);
  const local_time to = to_local(spec_, b);
  if (from.day == to.day) {
    return duration{working_millis_in_day(from.day, from.millis, to.millis)};
  }
  std::int64_t total = working_millis_in_day(from.day, from.millis, kMillisPerDay);
  for (std::int64_t day = from.day + 1; day < to.day; ++day) {
    if (working_day(day)) total += day_length_.count();
  }
  total += working_millis_in_day(to.day, 0, to.millis);
  return duration{total};
}

civil_date calendar::local_date(instant t) const {
  return civil_from_days(to_local(spec_, t).day);
}

}  // namespace doorstep::sla
