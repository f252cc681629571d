// engine/sla/calendar.h
// A business calendar: working hours (possibly split by a lunch break), weekend days,
// holidays and make-up working days (调休), in one fixed UTC offset. Answers the two
// questions SLA clocks need: "when is N of working time after t?" and "how much working
// time lies between a and b?". Pure and immutable after construction; safe to share
// across threads. Cost: O(days spanned) per call.
#pragma once

#include <array>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "domain/time.h"

namespace doorstep::sla {

// One working period of a day, minutes after local midnight, [start, end).
struct period {
  int start_minute = 0;
  int end_minute = 0;
};

struct calendar_spec {
  std::string id;
  int utc_offset_minutes = kShanghaiOffsetMinutes;
  std::vector<period> working_hours;    // sorted, non-overlapping, within [0, 1440]
  std::set<unsigned> weekend_days;      // 0 = Sunday ... 6 = Saturday
  std::set<civil_date> holidays;        // days off although not weekend
  std::set<civil_date> make_up_days;    // weekend days that are working days (调休)
  std::set<int> covered_years;          // years whose holidays were published
};

class calendar {
 public:
  // Validates the spec (periods sorted, non-overlapping, inside the day, non-empty;
  // covered years within 1900..9999; weekend days 0..6 and not all seven; holidays and
  // make-up days valid dates in covered_years, disjoint, make-up days on weekends) and
  // throws std::invalid_argument naming the calendar and the fault. Startup only.
  explicit calendar(calendar_spec spec);

  const std::string& id() const { return spec_.id; }
  const calendar_spec& spec() const { return spec_; }

  // True if the local civil date is a working day (make-up days win over weekends,
  // holidays win over ordinary weekdays).
  bool is_working_day(civil_date d) const;

  // True if t falls inside a working period of a working day.
  bool is_working_time(instant t) const;

  // Working time in one full working day (e.g. 7h30m for 08:30-12:00 + 13:30-17:30).
  duration working_day_length() const;

  // The instant at which `work` of working time has elapsed counting from `start`.
  // add_working(t, 0) == t. Time outside working periods does not count; if start is
  // outside working time, counting begins at the next working period. The result is
  // always inside or at the end of a working period (never the start of the next one
  // when the work ends exactly at a period end).
  instant add_working(instant start, duration work) const;

  // Working time inside [a, b); zero when b <= a.
  duration working_between(instant a, instant b) const;

  // Local civil date of an instant in this calendar's offset.
  civil_date local_date(instant t) const;

 private:
  // Whether local day number `day` is a working day: looked up in days_ for the span of
  // the covered years (built once from the spec's rules), the weekend rule elsewhere.
  bool working_day(std::int64_t day) const {
    const std::int64_t i = day - first_day_;
    if (i >= 0 && i < static_cast<std::int64_t>(days_.size())) return days_[static_cast<std::size_t>(i)] != 0;
    return !weekend_[weekday_from_days(day)];
  }
  std::int64_t working_millis_in_day(std::int64_t day, std::int64_t from, std::int64_t to) const;

  calendar_spec spec_;
  duration day_length_{0};
  std::int64_t first_day_ = 0;        // day number of January 1 of the first covered year
  std::vector<std::uint8_t> days_;    // 1: a working day, from first_day_ to the last covered year's end
  std::array<bool, 7> weekend_{};     // by weekday, 0 = Sunday
};

}  // namespace doorstep::sla
