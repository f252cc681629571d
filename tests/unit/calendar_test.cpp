// tests/unit/calendar_test.cpp
// The 2026 Chinese national calendar (DOMAIN.md "Working days"): 08:30-12:00 and
// 13:30-17:30 (3h30 + 4h = 7h30 a day), Saturday and Sunday off, the State Council's
// holidays and make-up days (调休), UTC+8. Every expected deadline is worked out by hand in
// the comment beside it; "AM" is 08:30-12:00 and "PM" 13:30-17:30.
#include <gtest/gtest.h>

#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "domain/time.h"
#include "sla/calendar.h"

namespace doorstep::sla {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;

calendar_spec national_2026_spec() {
  calendar_spec spec;
  spec.id = "cn-national";
  spec.utc_offset_minutes = 8 * 60;
  spec.working_hours = {{8 * 60 + 30, 12 * 60}, {13 * 60 + 30, 17 * 60 + 30}};
  spec.weekend_days = {0, 6};
  spec.covered_years = {2026};
  const auto off = [&](unsigned month, unsigned first, unsigned last) {
    for (unsigned d = first; d <= last; ++d) spec.holidays.insert({2026, month, d});
  };
  off(1, 1, 3);    // New Year
  off(2, 15, 23);  // Spring Festival
  off(4, 4, 6);    // Qingming
  off(5, 1, 5);    // Labour Day
  off(6, 19, 21);  // Dragon Boat
  off(9, 25, 27);  // Mid-Autumn
  off(10, 1, 7);   // National Day
  spec.make_up_days = {{2026, 1, 4},  {2026, 2, 14}, {2026, 2, 28},
                       {2026, 5, 9},  {2026, 9, 20}, {2026, 10, 10}};
  return spec;
}

const calendar& national_2026() {
  static const calendar cal(national_2026_spec());
  return cal;
}

// A local wall-clock time in UTC+8, built from the civil-date helpers of domain/time.h.
instant at(int y, unsigned m, unsigned d, int hh, int mm) {
  const std::int64_t local_minutes = days_from_civil(y, m, d) * 1440 + hh * 60 + mm;
  return from_millis((local_minutes - 8 * 60) * 60'000);
}

std::string shanghai(instant t) { return format_rfc3339(t, 8 * 60); }

constexpr duration kWorkingDay = hours{7} + minutes{30};

struct deadline_case {
  const char* name;
  instant start;
  duration work;
  const char* expected;  // local time, UTC+8
};

void expect_deadlines(const std::vector<deadline_case>& cases) {
  for (const auto& c : cases) {
    EXPECT_EQ(shanghai(national_2026().add_working(c.start, c.work)), c.expected) << c.name;
  }
}

TEST(calendar, working_day_is_seven_and_a_half_hours) {
  EXPECT_EQ(national_2026().working_day_length(), kWorkingDay);
}

TEST(calendar, deadline_on_ordinary_days_skips_night_lunch_and_weekend) {
  // March 2026 has no holidays; Mon 2026-03-02.
  expect_deadlines({
      // 11:00-12:00 is 1h, lunch skipped, 13:30 + 1h.
      {"lunch break", at(2026, 3, 2, 11, 0), hours{2}, "2026-03-02T14:30:00+08:00"},
      // Counting starts at opening: 08:30 + 1h.
      {"before opening", at(2026, 3, 3, 7, 0), hours{1}, "2026-03-03T09:30:00+08:00"},
      // Counting starts when the afternoon opens: 13:30 + 1h.
      {"inside lunch", at(2026, 3, 3, 12, 30), hours{1}, "2026-03-03T14:30:00+08:00"},
      // 12:00 is the end of AM, so counting starts at 13:30.
      {"at end of morning", at(2026, 3, 3, 12, 0), hours{1}, "2026-03-03T14:30:00+08:00"},
      // Nothing left on Tuesday: Wednesday 08:30 + 1h.
      {"after closing", at(2026, 3, 3, 20, 0), hours{1}, "2026-03-04T09:30:00+08:00"},
      {"at closing", at(2026, 3, 3, 17, 30), hours{1}, "2026-03-04T09:30:00+08:00"},
      {"after midnight", at(2026, 3, 4, 2, 0), minutes{30}, "2026-03-04T09:00:00+08:00"},
      // The whole AM (3h30) ends at 12:00, not at the next opening 13:30.
      {"ends with the morning", at(2026, 3, 3, 8, 30), hours{3} + minutes{30},
       "2026-03-03T12:00:00+08:00"},
      // One full day from opening ends at that day's closing, not next morning.
      {"ends with the day", at(2026, 3, 3, 8, 30), kWorkingDay, "2026-03-03T17:30:00+08:00"},
      // Two full days from Monday opening: Tuesday closing.
      {"ends with the second day", at(2026, 3, 2, 8, 30), 2 * kWorkingDay,
       "2026-03-03T17:30:00+08:00"},
      // Fri 17:00-17:30 is 30m; Sat 7 and Sun 8 off; Mon 08:30 + 30m.
      {"over the weekend", at(2026, 3, 6, 17, 0), hours{1}, "2026-03-09T09:00:00+08:00"},
      {"from a saturday", at(2026, 3, 7, 10, 0), hours{1}, "2026-03-09T09:30:00+08:00"},
      // Mon 09:00 leaves 7h on Monday; 15 * 7h30 - 7h = 105h30 = 14 whole days
      // (Mar 3-6, 9-13, 16-20) + 30m on Mon Mar 23.
      {"fifteen working days", at(2026, 3, 2, 9, 0), 15 * kWorkingDay,
       "2026-03-23T09:00:00+08:00"},
  });
}

TEST(calendar, deadline_skips_spring_festival) {
  expect_deadlines({
      // Fri 10:00: AM 2h + PM 4h = 6h; 1h30 left on make-up Sat Feb 14: 08:30 + 1h30.
      {"one day from friday", at(2026, 2, 13, 10, 0), kWorkingDay,
       "2026-02-14T10:00:00+08:00"},
      // Sat Feb 14 16:00-17:30 is 1h30; Feb 15-23 off; Tue Feb 24 08:30 + 2h30.
      {"four hours from make-up saturday", at(2026, 2, 14, 16, 0), hours{4},
       "2026-02-24T11:00:00+08:00"},
      // Mon Feb 16 is inside the holiday: counting starts Tue Feb 24 08:30.
      {"from inside the holiday", at(2026, 2, 16, 10, 0), hours{1},
       "2026-02-24T09:30:00+08:00"},
      // Fri 09:00 leaves 7h; 75h - 7h = 68h = 9 whole days (Feb 14, 24, 25, 26, 27, 28,
      // Mar 2, 3, 4) + 30m on Thu Mar 5.
      {"ten working days", at(2026, 2, 13, 9, 0), 10 * kWorkingDay,
       "2026-03-05T09:00:00+08:00"},
      // Fri Feb 27 17:00-17:30 is 30m; Sat Feb 28 is a make-up day: 08:30 + 30m.
      {"into make-up saturday feb 28", at(2026, 2, 27, 17, 0), hours{1},
       "2026-02-28T09:00:00+08:00"},
      // Sat Feb 28 17:00-17:30 is 30m; Sun Mar 1 off; Mon Mar 2 08:30 + 30m.
      {"out of make-up saturday feb 28", at(2026, 2, 28, 17, 0), hours{1},
       "2026-03-02T09:00:00+08:00"},
  });
}

TEST(calendar, deadline_skips_the_other_2026_holidays_and_works_make_up_days) {
  // Each case: 30m before closing on the last working day, then 30m after the next opening.
  expect_deadlines({
      // Qingming Sat Apr 4 - Mon Apr 6.
      {"qingming", at(2026, 4, 3, 17, 0), hours{1}, "2026-04-07T09:00:00+08:00"},
      // Labour Day Fri May 1 - Tue May 5.
      {"labour day", at(2026, 4, 30, 17, 0), hours{1}, "2026-05-06T09:00:00+08:00"},
      {"make-up saturday may 9", at(2026, 5, 8, 17, 0), hours{1}, "2026-05-09T09:00:00+08:00"},
      // Dragon Boat Fri Jun 19 - Sun Jun 21.
      {"dragon boat", at(2026, 6, 18, 17, 0), hours{1}, "2026-06-22T09:00:00+08:00"},
      // Sat Sep 19 is an ordinary Saturday; Sun Sep 20 is a make-up day: 08:30 + 1h.
      {"make-up sunday sep 20", at(2026, 9, 19, 10, 0), hours{1}, "2026-09-20T09:30:00+08:00"},
      // Mid-Autumn Fri Sep 25 - Sun Sep 27.
      {"mid-autumn", at(2026, 9, 24, 17, 0), hours{1}, "2026-09-28T09:00:00+08:00"},
      // National Day Thu Oct 1 - Wed Oct 7.
      {"national day", at(2026, 9, 30, 17, 0), hours{1}, "2026-10-08T09:00:00+08:00"},
      {"make-up saturday oct 10", at(2026, 10, 9, 17, 0), hours{1},
       "2026-10-10T09:00:00+08:00"},
  });
}

TEST(calendar, deadline_crosses_year_boundaries) {
  expect_deadlines({
      // Wed 2025-12-31 16:00-17:30 is 1h30; Jan 1-3 off; Sun Jan 4 (make-up) 08:30 + 2h30.
      {"into make-up sunday jan 4", at(2025, 12, 31, 16, 0), hours{4},
       "2026-01-04T11:00:00+08:00"},
      // 1h30 on Dec 31 + 7h30 on Jan 4 = 9h; the last 1h from Mon Jan 5 08:30.
      {"into monday jan 5", at(2025, 12, 31, 16, 0), hours{10}, "2026-01-05T09:30:00+08:00"},
      // 2027 holidays are not published here: Fri 2027-01-01 is an ordinary weekday.
      {"into an uncovered year", at(2026, 12, 31, 17, 0), hours{1},
       "2027-01-01T09:00:00+08:00"},
  });
}

TEST(calendar, adding_no_work_returns_the_start_even_outside_working_time) {
  const instant saturday_night = at(2026, 3, 7, 3, 0);
  EXPECT_EQ(national_2026().add_working(saturday_night, duration::zero()), saturday_night);
}

TEST(calendar, make_up_days_win_over_weekends_and_holidays_over_weekdays) {
  const calendar& cal = national_2026();
  const std::vector<std::pair<civil_date, bool>> days = {
      {{2026, 1, 1}, false},  {{2026, 1, 3}, false},  // New Year (Thu, Sat)
      {{2026, 1, 4}, true},                           // make-up Sunday
      {{2026, 1, 5}, true},                           // ordinary Monday
      {{2026, 2, 13}, true},  {{2026, 2, 14}, true},  // Fri; make-up Saturday
      {{2026, 2, 15}, false}, {{2026, 2, 16}, false}, {{2026, 2, 21}, false},
      {{2026, 2, 23}, false},                         // Spring Festival, Mon Feb 23 too
      {{2026, 2, 24}, true},  {{2026, 2, 28}, true},  // Tue; make-up Saturday
      {{2026, 3, 1}, false},  {{2026, 3, 7}, false},  // ordinary Sunday, Saturday
      {{2026, 4, 6}, false},  {{2026, 5, 5}, false},  {{2026, 5, 9}, true},
      {{2026, 6, 19}, false}, {{2026, 9, 20}, true},  {{2026, 9, 25}, false},
      {{2026, 10, 1}, false}, {{2026, 10, 7}, false}, {{2026, 10, 8}, true},
      {{2026, 10, 10}, true}, {{2026, 10, 11}, false},
      // Uncovered years follow the weekend rule only.
      {{2025, 10, 1}, true},  {{2025, 10, 4}, false}, {{2027, 1, 1}, true},
  };
  for (const auto& [day, working] : days) {
    EXPECT_EQ(cal.is_working_day(day), working) << day.year << '-' << day.month << '-' << day.day;
  }
}

// Covered years need not be adjacent: a year between two covered ones, and the days
// just outside the first and last, follow the weekend rule; holidays and make-up days
// hold in each covered year, up to its first and last day.
TEST(calendar, covered_years_with_a_gap_and_the_days_around_them) {
  calendar_spec spec = national_2026_spec();
  spec.covered_years = {2024, 2026};
  spec.holidays.insert({{2024, 1, 1}, {2024, 12, 31}, {2026, 12, 31}});
  spec.make_up_days.insert({2024, 2, 4});  // a Sunday
  const calendar cal(spec);
  const std::vector<std::pair<civil_date, bool>> days = {
      {{2023, 12, 29}, true},  {{2023, 12, 30}, false},  // Fri; Sat before the first covered year
      {{2024, 1, 1}, false},   {{2024, 1, 2}, true},     // holiday (Mon), Tue
      {{2024, 2, 4}, true},    {{2024, 2, 3}, false},    // make-up Sunday; ordinary Saturday
      {{2024, 12, 31}, false},                            // holiday on the covered year's last day
      {{2025, 1, 1}, true},    {{2025, 10, 1}, true},    // the gap year: weekdays work
      {{2025, 10, 4}, false},  {{2025, 12, 31}, true},
      {{2026, 1, 1}, false},   {{2026, 1, 4}, true},     // 2026 as published
      {{2026, 12, 31}, false}, {{2027, 1, 1}, true},     // holiday (Thu); Fri after the last covered year
      {{2027, 1, 2}, false},
  };
  for (const auto& [day, working] : days) {
    EXPECT_EQ(cal.is_working_day(day), working) << day.year << '-' << day.month << '-' << day.day;
  }
  // Deadlines cross the gap year with its weekends only.
  EXPECT_EQ(shanghai(cal.add_working(at(2024, 12, 30, 17, 0), hours{1})), "2025-01-01T09:00:00+08:00");
}

TEST(calendar, working_time_is_half_open_at_each_period) {
  const calendar& cal = national_2026();
  const auto ms = [](instant t, std::int64_t delta) { return t + milliseconds{delta}; };
  EXPECT_FALSE(cal.is_working_time(ms(at(2026, 3, 2, 8, 30), -1)));
  EXPECT_TRUE(cal.is_working_time(at(2026, 3, 2, 8, 30)));
  EXPECT_TRUE(cal.is_working_time(ms(at(2026, 3, 2, 12, 0), -1)));
  EXPECT_FALSE(cal.is_working_time(at(2026, 3, 2, 12, 0)));
  EXPECT_FALSE(cal.is_working_time(at(2026, 3, 2, 13, 29)));
  EXPECT_TRUE(cal.is_working_time(at(2026, 3, 2, 13, 30)));
  EXPECT_TRUE(cal.is_working_time(ms(at(2026, 3, 2, 17, 30), -1)));
  EXPECT_FALSE(cal.is_working_time(at(2026, 3, 2, 17, 30)));
  EXPECT_FALSE(cal.is_working_time(at(2026, 3, 7, 10, 0)));   // Saturday
  EXPECT_FALSE(cal.is_working_time(at(2026, 10, 2, 10, 0)));  // National Day
  EXPECT_TRUE(cal.is_working_time(at(2026, 2, 14, 10, 0)));   // make-up Saturday
}

TEST(calendar, local_date_uses_the_calendar_offset) {
  // 2026-02-13T16:00Z is local midnight starting Feb 14; one ms earlier is still Feb 13.
  const instant midnight = at(2026, 2, 14, 0, 0);
  EXPECT_EQ(national_2026().local_date(midnight), (civil_date{2026, 2, 14}));
  EXPECT_EQ(national_2026().local_date(midnight - milliseconds{1}), (civil_date{2026, 2, 13}));
}

TEST(calendar, working_between_counts_only_working_periods) {
  const calendar& cal = national_2026();
  // 09:00-12:00 is 3h, 13:30-15:00 is 1h30.
  EXPECT_EQ(cal.working_between(at(2026, 3, 2, 9, 0), at(2026, 3, 2, 15, 0)),
            hours{4} + minutes{30});
  // 17:00-17:30 and 08:30-09:00 next morning.
  EXPECT_EQ(cal.working_between(at(2026, 3, 3, 17, 0), at(2026, 3, 4, 9, 0)), hours{1});
  // Fri Feb 13 from 09:00 is 7h, Sat Feb 14 7h30, Feb 15-23 nothing, Feb 24 until 09:00 30m.
  EXPECT_EQ(cal.working_between(at(2026, 2, 13, 9, 0), at(2026, 2, 24, 9, 0)), hours{15});
  EXPECT_EQ(cal.working_between(at(2026, 2, 15, 0, 0), at(2026, 2, 24, 0, 0)),
            duration::zero());
  // Dec 31 16:00-17:30 is 1h30, Jan 4 7h30, Jan 5 08:30-09:30 1h.
  EXPECT_EQ(cal.working_between(at(2025, 12, 31, 16, 0), at(2026, 1, 5, 9, 30)), hours{10});
  EXPECT_EQ(cal.working_between(at(2026, 3, 2, 9, 0), at(2026, 3, 2, 9, 0)), duration::zero());
  EXPECT_EQ(cal.working_between(at(2026, 3, 2, 10, 0), at(2026, 3, 2, 9, 0)), duration::zero());
}

TEST(calendar, year_2026_has_248_working_days) {
  // 365 days from Thursday Jan 1 = 52 weeks + Thursday Dec 31: 261 weekdays.
  // Holidays on weekdays: Jan 1-2 (2), Feb 16-20 and 23 (6), Apr 6 (1), May 1, 4, 5 (3),
  // Jun 19 (1), Sep 25 (1), Oct 1, 2, 5, 6, 7 (5) = 19. Make-up days: 6.
  // 261 - 19 + 6 = 248 days of 7h30 = 1860h.
  EXPECT_EQ(national_2026().working_between(at(2026, 1, 1, 0, 0), at(2027, 1, 1, 0, 0)),
            hours{1860});
}

TEST(calendar, working_between_inverts_add_working) {
  const calendar& cal = national_2026();
  std::mt19937_64 rng(42);
  const std::int64_t first = to_millis(at(2025, 12, 1, 0, 0));
  const std::int64_t last = to_millis(at(2027, 1, 31, 0, 0));
  std::uniform_int_distribution<std::int64_t> start_ms(first, last);
  std::uniform_int_distribution<std::int64_t> work_ms(0, 20 * kWorkingDay.count());
  std::uniform_int_distribution<std::int64_t> half_hours(0, 300);
  for (int i = 0; i < 20000; ++i) {
    // Every other case sits on whole half hours so starts and ends hit period edges.
    instant start = from_millis(start_ms(rng));
    duration work{work_ms(rng)};
    if (i % 2 == 1) {
      start = from_millis(start.time_since_epoch().count() / 1'800'000 * 1'800'000);
      work = minutes{30} * half_hours(rng);
    }
    const instant end = cal.add_working(start, work);
    ASSERT_GE(end, start);
    ASSERT_EQ(cal.working_between(start, end), work) << shanghai(start) << " + " << work.count();
    if (work > duration::zero()) {
      // The deadline is inside a period or at its end, never at the next opening.
      ASSERT_TRUE(cal.is_working_time(end - milliseconds{1})) << shanghai(end);
      // Adding in two steps lands on the same instant.
      const duration part = work / 3;
      ASSERT_EQ(cal.add_working(cal.add_working(start, part), work - part), end);
    }
  }
}

TEST(calendar, other_offsets_and_single_period_days_work_too) {
  // New York-like office at a fixed UTC-5: Mon-Fri 09:00-17:00, no holidays.
  calendar_spec spec;
  spec.id = "us-east-fixed";
  spec.utc_offset_minutes = -5 * 60;
  spec.working_hours = {{9 * 60, 17 * 60}};
  spec.weekend_days = {0, 6};
  const calendar cal(spec);
  EXPECT_EQ(cal.working_day_length(), hours{8});
  // Fri 2026-03-06 16:30 local is 21:30Z. 30m on Friday, Mon Mar 9 09:00 + 30m.
  const instant start = from_millis((days_from_civil(2026, 3, 6) * 1440 + 21 * 60 + 30) * 60'000);
  EXPECT_EQ(format_rfc3339(cal.add_working(start, hours{1}), -5 * 60),
            "2026-03-09T09:30:00-05:00");
}

struct invalid_case {
  const char* name;
  void (*break_it)(calendar_spec&);
  const char* message_part;
};

TEST(calendar, invalid_specs_are_rejected_with_a_clear_message) {
  const std::vector<invalid_case> cases = {
      {"no hours", [](calendar_spec& s) { s.working_hours.clear(); }, "no working hours"},
      {"reversed", [](calendar_spec& s) { s.working_hours = {{720, 510}}; }, "empty or reversed"},
      {"empty", [](calendar_spec& s) { s.working_hours = {{600, 600}}; }, "empty or reversed"},
      {"before midnight", [](calendar_spec& s) { s.working_hours = {{-30, 600}}; },
       "outside the day"},
      {"past midnight", [](calendar_spec& s) { s.working_hours = {{1000, 1441}}; },
       "outside the day"},
      {"overlapping", [](calendar_spec& s) { s.working_hours = {{510, 780}, {720, 1050}}; },
       "overlaps"},
      {"unsorted", [](calendar_spec& s) { s.working_hours = {{810, 1050}, {510, 720}}; },
       "sorted"},
      {"weekday 7", [](calendar_spec& s) { s.weekend_days.insert(7); }, "weekend day 7"},
      {"no weekdays", [](calendar_spec& s) { s.weekend_days = {0, 1, 2, 3, 4, 5, 6}; },
       "every day of the week"},
      {"bad date", [](calendar_spec& s) { s.holidays.insert({2026, 2, 30}); },
       "2026-02-30 is not a valid date"},
      {"uncovered year", [](calendar_spec& s) { s.holidays.insert({2027, 1, 1}); },
       "2027-01-01 lies in a year missing from covered_years"},
      {"both", [](calendar_spec& s) { s.holidays.insert({2026, 2, 14}); },
       "2026-02-14 is both a holiday and a make-up day"},
      {"make-up weekday", [](calendar_spec& s) { s.make_up_days.insert({2026, 3, 2}); },
       "make-up day 2026-03-02 is not a weekend day"},
      {"offset", [](calendar_spec& s) { s.utc_offset_minutes = 1440; }, "utc offset"},
      {"year typo", [](calendar_spec& s) { s.covered_years.insert(20266); },
       "covered year 20266 is not within 1900..9999"},
      {"year overflow", [](calendar_spec& s) { s.covered_years.insert(2147483647); },
       "covered year 2147483647 is not within 1900..9999"},
  };
  for (const auto& c : cases) {
    calendar_spec spec = national_2026_spec();
    c.break_it(spec);
    try {
      const calendar cal(spec);
      ADD_FAILURE() << c.name << ": no exception";
    } catch (const std::invalid_argument& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("cn-national"), std::string::npos) << c.name << ": " << what;
      EXPECT_NE(what.find(c.message_part), std::string::npos) << c.name << ": " << what;
    }
  }
}

TEST(calendar, adjacent_periods_are_accepted) {
  calendar_spec spec = national_2026_spec();
  spec.working_hours = {{8 * 60, 12 * 60}, {12 * 60, 16 * 60}};
  EXPECT_EQ(calendar(spec).working_day_length(), hours{8});
}

}  // namespace
}  // namespace doorstep::sla
