// tests/unit/time_test.cpp
// RFC 3339, durations and the civil-date helpers. Expected values are worked out by hand
// in the comments; the anchors are 1970-01-01 = day 0 and 2026-01-01 = day 20454
// (56 years * 365 + 14 leap days 1972..2024), i.e. 1'767'225'600'000 ms.
#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "domain/time.h"

namespace doorstep {
namespace {

constexpr std::int64_t kHour = 3'600'000;
constexpr std::int64_t kDay = 24 * kHour;
// 2026-02-14T00:00:00Z: 2026-01-01 is day 20454, + 31 (January) + 13 = day 20498.
constexpr std::int64_t kFeb14Utc = 20498 * kDay;  // 1'771'027'200'000

// --- civil dates ---

TEST(civil_date, days_from_civil_matches_hand_computed_anchors) {
  EXPECT_EQ(days_from_civil(1970, 1, 1), 0);
  EXPECT_EQ(days_from_civil(1969, 12, 31), -1);
  // 1970..1999: 30 * 365 + 7 leap days (1972..1996) = 10957.
  EXPECT_EQ(days_from_civil(2000, 1, 1), 10957);
  // + 31 (Jan) + 29 (Feb 2000 is a leap month) = 11017.
  EXPECT_EQ(days_from_civil(2000, 3, 1), 11017);
  EXPECT_EQ(days_from_civil(2026, 1, 1), 20454);
  EXPECT_EQ(days_from_civil(2026, 2, 14), 20498);
}

TEST(civil_date, weekday_matches_known_days) {
  EXPECT_EQ(weekday_from_days(0), 4u);                             // 1970-01-01 Thursday
  EXPECT_EQ(weekday_from_days(-4), 0u);                            // 1969-12-28 Sunday
  EXPECT_EQ(weekday_from_days(-5), 6u);                            // 1969-12-27 Saturday
  EXPECT_EQ(weekday_from_days(days_from_civil(2000, 1, 1)), 6u);   // Saturday
  EXPECT_EQ(weekday_from_days(days_from_civil(2026, 1, 1)), 4u);   // Thursday
  EXPECT_EQ(weekday_from_days(days_from_civil(2026, 2, 14)), 6u);  // Saturday
}

// Walks day by day from 1600-01-01 to 2400-12-31 with an independent successor function
// and checks both conversions and the weekday (1600-01-01 was a Saturday) at every step.
TEST(civil_date, conversions_and_weekday_round_trip_over_eight_centuries) {
  const auto days_in_month = [](int y, unsigned m) -> unsigned {
    static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : kDays[m - 1];
  };
  civil_date d{1600, 1, 1};
  std::int64_t z = days_from_civil(1600, 1, 1);
  unsigned weekday = 6;
  while (d.year <= 2400) {
    ASSERT_EQ(days_from_civil(d.year, d.month, d.day), z);
    ASSERT_EQ(civil_from_days(z), d);
    ASSERT_EQ(weekday_from_days(z), weekday);
    ++z;
    weekday = (weekday + 1) % 7;
    if (++d.day > days_in_month(d.year, d.month)) {
      d.day = 1;
      if (++d.month > 12) {
        d.month = 1;
        ++d.year;
      }
    }
  }
}

// --- RFC 3339 ---

struct format_case {
  std::int64_t millis;
  int offset_minutes;
  const char* expected;
};

TEST(rfc3339, formats_in_the_requested_fixed_offset) {
  const std::vector<format_case> cases = {
      {0, 0, "1970-01-01T00:00:00+00:00"},
      {0, 330, "1970-01-01T05:30:00+05:30"},  // India: +5h30
      {-1, 0, "1969-12-31T23:59:59.999+00:00"},
      {kFeb14Utc + kHour, 480, "2026-02-14T09:00:00+08:00"},  // 01:00Z + 8h
      {kFeb14Utc + kHour + 123, 480, "2026-02-14T09:00:00.123+08:00"},
      {kFeb14Utc + kHour + 7, 480, "2026-02-14T09:00:00.007+08:00"},
      {kFeb14Utc + kHour, -300, "2026-02-13T20:00:00-05:00"},  // 01:00Z - 5h, day before
      // 2025-12-31T16:00Z is day 20453 + 16h; +8h reaches local midnight of New Year.
      {20453 * kDay + 16 * kHour, 480, "2026-01-01T00:00:00+08:00"},
      // 2026-12-31T23:59:59.999Z: day 20454 + 364 = 20818, one ms before day 20819.
      {20819 * kDay - 1, 0, "2026-12-31T23:59:59.999+00:00"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(format_rfc3339(from_millis(c.millis), c.offset_minutes), c.expected);
  }
}

TEST(rfc3339, formats_like_printf_for_every_year_and_offset) {
  // The formatter writes digits itself for years 0..9999; printf is the reference.
  auto reference = [](instant t, int offset) {
    const std::int64_t local = to_millis(t) + offset * 60000LL;
    const std::int64_t days = local >= 0 ? local / kDay : (local - kDay + 1) / kDay;
    const std::int64_t in_day = local - days * kDay;
    const auto d = civil_from_days(days);
    char buf[64];
    int n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d", d.year, d.month, d.day,
                          static_cast<int>(in_day / kHour), static_cast<int>(in_day / 60000 % 60),
                          static_cast<int>(in_day / 1000 % 60));
    if (in_day % 1000) n += std::snprintf(buf + n, sizeof buf - n, ".%03d", static_cast<int>(in_day % 1000));
    std::snprintf(buf + n, sizeof buf - n, "%c%02d:%02d", offset < 0 ? '-' : '+', std::abs(offset) / 60,
                  std::abs(offset) % 60);
    return std::string(buf);
  };
  std::mt19937_64 rng(3339);
  // From about year -100 to year 10100: both sides of the digit-by-digit range.
  std::uniform_int_distribution<std::int64_t> millis(-(719528 + 36600) * kDay, (2932896 + 36600) * kDay);
  const int offsets[] = {-720, -300, -1, 0, 1, 330, 480, 545, 840};
  for (int i = 0; i < 20000; ++i) {
    const instant t = from_millis(i % 3 == 0 ? millis(rng) / 1000 * 1000 : millis(rng));
    const int offset = offsets[i % std::size(offsets)];
    ASSERT_EQ(format_rfc3339(t, offset), reference(t, offset)) << to_millis(t);
  }
}

TEST(rfc3339, formats_in_shanghai_time_by_default) {
  EXPECT_EQ(format_rfc3339(from_millis(kFeb14Utc + kHour)), "2026-02-14T09:00:00+08:00");
}

struct parse_case {
  const char* text;
  std::int64_t millis;
};

TEST(rfc3339, parses_offsets_fractions_and_lowercase_separators) {
  const std::vector<parse_case> cases = {
      {"1970-01-01T00:00:00Z", 0},
      {"1970-01-01T00:00:00-00:00", 0},
      {"1970-01-01T05:30:00+05:30", 0},
      {"2026-02-14T09:00:00+08:00", kFeb14Utc + kHour},
      {"2026-02-14T01:00:00Z", kFeb14Utc + kHour},
      {"2026-02-14t01:00:00z", kFeb14Utc + kHour},
      {"2026-02-13T20:00:00-05:00", kFeb14Utc + kHour},
      {"2026-02-14T01:00:00.5Z", kFeb14Utc + kHour + 500},
      {"2026-02-14T01:00:00.05Z", kFeb14Utc + kHour + 50},
      {"2026-02-14T01:00:00.123Z", kFeb14Utc + kHour + 123},
      {"2026-02-14T01:00:00.123999999Z", kFeb14Utc + kHour + 123},  // truncated, not rounded
      {"1969-12-31T23:59:59.999Z", -1},
      // 2024-02-29 is a leap day: 2024-01-01 is day 20454 - 365 - 366 = 19723; + 31 + 28.
      {"2024-02-29T00:00:00Z", (19723 + 59) * kDay},
      {"2026-02-14T23:59:59+23:59", kFeb14Utc + 59'000},  // 23:59:59 - 23:59 = 00:00:59
  };
  for (const auto& c : cases) {
    const auto parsed = parse_rfc3339(c.text);
    ASSERT_TRUE(parsed.has_value()) << c.text;
    EXPECT_EQ(to_millis(*parsed), c.millis) << c.text;
  }
}

TEST(rfc3339, rejects_malformed_or_out_of_range_text) {
  const std::vector<const char*> bad = {
      "",
      "2026-02-14",
      "2026-02-14T09:00:00",            // no offset
      "2026-02-14T09:00Z",              // no seconds
      "2026-02-14 09:00:00Z",           // space separator
      "2026-02-14T09:00:00+0800",       // offset without colon
      "2026-02-14T09:00:00+08",         // offset without minutes
      "2026-02-14T09:00:00+24:00",      // offset hour out of range
      "2026-02-14T09:00:00+08:60",      // offset minute out of range
      "2026-13-01T00:00:00Z",           // month 13
      "2026-00-10T00:00:00Z",           // month 0
      "2026-02-00T00:00:00Z",           // day 0
      "2026-02-29T00:00:00Z",           // 2026 is not a leap year
      "2026-04-31T00:00:00Z",           // April has 30 days
      "1900-02-29T00:00:00Z",           // century, not a leap year
      "2026-02-14T24:00:00Z",           // hour 24
      "2026-02-14T09:60:00Z",           // minute 60
      "2026-02-14T09:00:60Z",           // leap second
      "2026-2-14T09:00:00Z",            // one-digit month
      "20260214T090000Z",               // basic format
      "2026-02-14T09:00:00.Z",          // dot without digits
      "2026-02-14T09:00:00.12a+08:00",  // garbage in fraction
      "2026-02-14T09:00:00Z ",          // trailing blank
      " 2026-02-14T09:00:00Z",          // leading blank
      "2026-02-14T09:00:00Zjunk",       // trailing garbage
      "2026-02-14T09:00:00+08:00Z",     // two offsets
      "+2026-02-14T09:00:00Z",          // sign before year
      "2026-02-14X09:00:00Z",           // wrong separator
  };
  for (const char* text : bad) EXPECT_FALSE(parse_rfc3339(text).has_value()) << text;
}

TEST(rfc3339, round_trips_random_instants_in_many_offsets) {
  std::mt19937_64 rng(20260214);
  // Days 0 .. 47481 cover 1970-01-01 .. 2099-12-31.
  std::uniform_int_distribution<std::int64_t> millis(0, 47482 * kDay - 1);
  const int offsets[] = {-720, -300, -1, 0, 1, 330, 480, 545, 840};
  for (int i = 0; i < 20000; ++i) {
    const instant t = from_millis(millis(rng));
    const int offset = offsets[i % std::size(offsets)];
    const std::string text = format_rfc3339(t, offset);
    const auto back = parse_rfc3339(text);
    ASSERT_TRUE(back.has_value()) << text;
    ASSERT_EQ(to_millis(*back), to_millis(t)) << text;
  }
}

// --- dates ---

TEST(parse_date, accepts_valid_dates_including_leap_days) {
  EXPECT_EQ(parse_date("2026-02-14"), (civil_date{2026, 2, 14}));
  EXPECT_EQ(parse_date("2024-02-29"), (civil_date{2024, 2, 29}));  // divisible by 4
  EXPECT_EQ(parse_date("2000-02-29"), (civil_date{2000, 2, 29}));  // divisible by 400
  EXPECT_EQ(parse_date("2026-12-31"), (civil_date{2026, 12, 31}));
  EXPECT_EQ(parse_date("0001-01-01"), (civil_date{1, 1, 1}));
}

TEST(parse_date, rejects_invalid_dates_and_garbage) {
  for (const char* text : {"", "2026-02-29", "1900-02-29", "2026-06-31", "2026-13-01",
                           "2026-00-01", "2026-01-00", "2026-1-01", "26-01-01", "2026/01/01",
                           "2026-01-01T00:00:00Z", "2026-01-01 ", "2026-01-0a"}) {
    EXPECT_FALSE(parse_date(text).has_value()) << text;
  }
}

// --- durations ---

struct duration_case {
  const char* text;
  std::int64_t millis;
};

TEST(duration, parses_iso_8601_and_short_forms) {
  constexpr std::int64_t kMinute = 60'000;
  const std::vector<duration_case> cases = {
      {"PT2H", 2 * kHour},
      {"P3D", 3 * kDay},
      {"PT90M", 90 * kMinute},
      {"PT45S", 45'000},
      {"P1DT2H3M4S", kDay + 2 * kHour + 3 * kMinute + 4'000},
      {"P3DT4H", 3 * kDay + 4 * kHour},
      {"PT1.5S", 1'500},
      {"PT0.001S", 1},
      {"PT1,25S", 1'250},  // ISO 8601 allows a decimal comma
      {"PT0S", 0},
      {"P0D", 0},
      {"2h", 2 * kHour},
      {"15m", 15 * kMinute},
      {"3d", 3 * kDay},
      {"45s", 45'000},
      {"500ms", 500},
      {"0s", 0},
      {"1h30m", 90 * kMinute},
      {"1m30s", 90'000},
      {"1s500ms", 1'500},
      {"1d2h3m4s5ms", kDay + 2 * kHour + 3 * kMinute + 4'005},
      {"48h", 2 * kDay},
  };
  for (const auto& c : cases) {
    const auto parsed = parse_duration(c.text);
    ASSERT_TRUE(parsed.has_value()) << c.text;
    EXPECT_EQ(parsed->count(), c.millis) << c.text;
  }
}

TEST(duration, rejects_negative_empty_and_malformed_text) {
  const std::vector<const char*> bad = {
      "", "P", "PT", "P1DT", "P1D2H", "PT2H1H", "PT2M1H", "P1Y", "P1M", "P1W", "P1H", "PT1D",
      "PT1.S", "PT.5S", "PT1.5H", "PT1.5M", "pt2h", "-PT2H", "-2h", "+2h", "2", "h", "ms",
      "2x", "2H", "1h1h", "30m1h", "500ms1s", "1.5h", " 2h", "2h ", "2 h", "1h 30m",
      "9999999999999999999s",  // does not fit in 64 bits
      "999999999999999d",      // fits as a number, overflows as milliseconds
      "P999999999999999D",
  };
  for (const char* text : bad) EXPECT_FALSE(parse_duration(text).has_value()) << text;
}

TEST(duration, formats_as_iso_8601) {
  using std::chrono::hours;
  using std::chrono::minutes;
  const std::vector<std::pair<duration, const char*>> cases = {
      {duration{0}, "PT0S"},
      {hours{2} + minutes{30}, "PT2H30M"},
      {hours{3 * 24 + 4}, "P3DT4H"},
      {hours{24}, "P1D"},
      {hours{26}, "P1DT2H"},
      {minutes{90}, "PT1H30M"},
      {duration{1'500}, "PT1.5S"},
      {duration{500}, "PT0.5S"},
      {duration{1'050}, "PT1.05S"},
      {duration{61'001}, "PT1M1.001S"},
      {hours{24} + duration{500}, "P1DT0.5S"},
      {hours{7} + minutes{30}, "PT7H30M"},
      {-hours{2}, "-PT2H"},
  };
  for (const auto& [d, expected] : cases) EXPECT_EQ(format_duration(d), expected);
}

TEST(duration, format_then_parse_gives_back_the_same_duration) {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<std::int64_t> millis(0, 400 * kDay);
  for (int i = 0; i < 20000; ++i) {
    // Mix in values with zero parts so the elision of components is exercised.
    std::int64_t ms = millis(rng);
    if (i % 3 == 1) ms -= ms % 1000;
    if (i % 3 == 2) ms -= ms % kHour;
    const duration d{ms};
    const std::string text = format_duration(d);
    const auto back = parse_duration(text);
    ASSERT_TRUE(back.has_value()) << text;
    ASSERT_EQ(back->count(), ms) << text;
  }
}

}  // namespace
}  // namespace doorstep
