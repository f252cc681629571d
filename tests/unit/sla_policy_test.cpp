// tests/unit/sla_policy_test.cpp
// sla::sla_policy over the demo's SLA policies and its cn-national 2026 calendar:
// working days are 08:30-12:00 + 13:30-17:30 (7h30m; "AM" and "PM" below), Saturday and
// Sunday off, Spring Festival 02-15..02-23 off, Sat 02-14 and Sat 02-28 worked (调休).
// Every expected instant is worked out by hand in the comment beside it, in Shanghai time.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "routing/rulebook.h"
#include "support/test_support.h"

namespace doorstep::sla {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using testing::at;

const sla_policy& policy(const std::string& id) {
  const auto* p = doorstep::testing::demo_config().rules->find_sla(id);
  EXPECT_NE(p, nullptr) << id;
  return *p;
}

const calendar& national() { return *doorstep::testing::demo_config().rules->calendars().front(); }

std::string shanghai(instant t) { return format_rfc3339(t); }

struct start_case {
  clock_kind kind;
  duration target;
  const char* due;
  std::vector<const char*> warn_at;
};

void expect_started(const sla_policy& p, instant start, const std::vector<start_case>& cases) {
  for (const auto& c : cases) {
    const sla_clock clk = p.start(c.kind, start);
    SCOPED_TRACE(std::string(p.spec().id) + " " + std::string(to_string(c.kind)));
    EXPECT_EQ(clk.state, clock_state::running);
    EXPECT_EQ(clk.started, start);
    EXPECT_EQ(clk.target, c.target);
    EXPECT_EQ(clk.continuous, p.spec().continuous);
    EXPECT_EQ(shanghai(clk.due), c.due);
    ASSERT_EQ(clk.warn_at.size(), c.warn_at.size());
    for (std::size_t i = 0; i < c.warn_at.size(); ++i) EXPECT_EQ(shanghai(clk.warn_at[i]), c.warn_at[i]) << i;
  }
}

TEST(sla_policy, working_targets_in_days_are_whole_working_days_of_seven_and_a_half_hours) {
  const auto& t = policy("general-7d").spec().targets;
  EXPECT_EQ(t[0], hours(2));                      // accept 2h
  EXPECT_EQ(t[1], hours(7) + minutes(30));        // contact 1d
  EXPECT_EQ(t[2], hours(52) + minutes(30));       // resolve 7d = 7 x 7h30
  EXPECT_EQ(t[3], hours(15));                     // verify 2d
  EXPECT_EQ(policy("small-3d").spec().targets[2], hours(22) + minutes(30));  // docs: 3d = 22h30m
  EXPECT_EQ(policy("urgent-2h").spec().targets[3], hours(24));  // continuous 1d = 24h
}

TEST(sla_policy, general_7d_dispatched_before_spring_festival_counts_make_up_saturdays) {
  // Fri 2026-02-13 16:00. Working days from there: Fri 13 (16:00-17:30 = 1h30), Sat 14 (调休),
  // then Sun 15 .. Mon 23 off, Tue 24 .. Fri 27, Sat 28 (调休), Sun 03-01 off, Mon 03-02 ...
  const instant start = at(2026, 2, 13, 16, 0);
  expect_started(policy("general-7d"), start,
                 {
                     // accept 2h: Fri 1h30 -> 30m left -> Sat 14 08:30 + 30m = 09:00.
                     // warn 0.5 = 1h: Fri 17:00. warn 0.8 = 1h36m: Fri 1h30 + 6m -> Sat 08:36.
                     {clock_kind::accept, hours(2), "2026-02-14T09:00:00+08:00",
                      {"2026-02-13T17:00:00+08:00", "2026-02-14T08:36:00+08:00"}},
                     // contact 7h30: Fri 1h30 -> 6h left; Sat AM 3h30 -> 2h30; PM 13:30 + 2h30 = 16:00.
                     // warn 0.5 = 3h45: Fri 1h30 -> 2h15; Sat 08:30 + 2h15 = 10:45.
                     // warn 0.8 = 6h: Fri 1h30 -> 4h30; Sat AM 3h30 -> 1h; PM 14:30.
                     {clock_kind::contact, hours(7) + minutes(30), "2026-02-14T16:00:00+08:00",
                      {"2026-02-14T10:45:00+08:00", "2026-02-14T14:30:00+08:00"}},
                     // resolve 52h30: Fri 1h30 -> 51h; Sat 14 -> 43h30; Tue 24 -> 36h; Wed 25 -> 28h30;
                     // Thu 26 -> 21h; Fri 27 -> 13h30; Sat 28 -> 6h; Mon 03-02 AM 3h30 -> 2h30,
                     // PM 13:30 + 2h30 = 16:00.
                     // warn 0.5 = 26h15: Fri -> 24h45; Sat -> 17h15; Tue -> 9h45; Wed -> 2h15;
                     // Thu 26 08:30 + 2h15 = 10:45.
                     // warn 0.8 = 42h: Fri -> 40h30; Sat -> 33h; Tue -> 25h30; Wed -> 18h; Thu -> 10h30;
                     // Fri 27 -> 3h; Sat 28 08:30 + 3h = 11:30.
                     {clock_kind::resolve, hours(52) + minutes(30), "2026-03-02T16:00:00+08:00",
                      {"2026-02-26T10:45:00+08:00", "2026-02-28T11:30:00+08:00"}},
                     // verify 15h: Fri 1h30 -> 13h30; Sat 14 -> 6h; Tue 24 AM 3h30 -> 2h30, PM 16:00.
                     // warn 0.5 = 7h30: Fri 1h30 -> 6h; Sat AM 3h30 -> 2h30; PM 16:00.
                     // warn 0.8 = 12h: Fri -> 10h30; Sat -> 3h; Tue 24 08:30 + 3h = 11:30.
                     {clock_kind::verify, hours(15), "2026-02-24T16:00:00+08:00",
                      {"2026-02-14T16:00:00+08:00", "2026-02-24T11:30:00+08:00"}},
                 });
}

TEST(sla_policy, small_3d_before_qingming_matches_the_documented_example) {
  // docs/config.md: Fri 2026-04-03 16:00, Qingming 04-04..04-06 off: 1h30 Fri, 7h30 Tue 04-07,
  // 7h30 Wed 04-08, last 6h Thu 04-09 (AM 3h30, PM 13:30 + 2h30) = Thu 16:00.
  // warn 0.5 = 11h15: Fri -> 9h45; Tue -> 2h15; Wed 08:30 + 2h15 = 10:45.
  // warn 0.75 = 16h52m30s: Fri -> 15h22m30s; Tue -> 7h52m30s; Wed AM 3h30 -> 4h22m30s;
  // Wed PM 4h -> 22m30s; Thu 08:30 + 22m30s = 08:52:30.
  expect_started(policy("small-3d"), at(2026, 4, 3, 16, 0),
                 {{clock_kind::resolve, hours(22) + minutes(30), "2026-04-09T16:00:00+08:00",
                   {"2026-04-08T10:45:00+08:00", "2026-04-09T08:52:30+08:00"}}});
}

TEST(sla_policy, a_working_clock_started_on_a_weekend_night_begins_at_the_next_working_period) {
  // Sat 2026-03-07 20:00: nothing counts until Mon 03-09 08:30. accept 2h -> 10:30;
  // warn 0.5 = 1h -> 09:30, warn 0.75 = 1h30 -> 10:00.
  expect_started(policy("small-3d"), at(2026, 3, 7, 20, 0),
                 {{clock_kind::accept, hours(2), "2026-03-09T10:30:00+08:00",
                   {"2026-03-09T09:30:00+08:00", "2026-03-09T10:00:00+08:00"}}});
}

TEST(sla_policy, continuous_urgent_clock_runs_through_midnight_and_holidays) {
  // Mon 2026-02-16 23:10, a Spring Festival holiday: plain time, every minute counts.
  expect_started(policy("urgent-2h"), at(2026, 2, 16, 23, 10),
                 {
                     // accept 15m: 23:25; warn 0.5 = 7m30s -> 23:17:30; 0.75 = 11m15s -> 23:21:15.
                     {clock_kind::accept, minutes(15), "2026-02-16T23:25:00+08:00",
                      {"2026-02-16T23:17:30+08:00", "2026-02-16T23:21:15+08:00"}},
                     // resolve 2h: 01:10 next day; warn 1h -> 00:10; 1h30 -> 00:40.
                     {clock_kind::resolve, hours(2), "2026-02-17T01:10:00+08:00",
                      {"2026-02-17T00:10:00+08:00", "2026-02-17T00:40:00+08:00"}},
                     // verify 1d = 24h: 02-17 23:10; warn 12h -> 11:10; 18h -> 17:10.
                     {clock_kind::verify, hours(24), "2026-02-17T23:10:00+08:00",
                      {"2026-02-17T11:10:00+08:00", "2026-02-17T17:10:00+08:00"}},
                 });
}

TEST(sla_policy, pause_keeps_the_working_time_left_until_due) {
  // general-7d resolve from Mon 2026-03-02 09:00: Mon 7h, Tue..Fri 4 x 7h30 = 30h -> 15h30 left;
  // Mon 03-09 -> 8h; Tue 03-10 -> 30m; Wed 03-11 08:30 + 30m = 09:00.
  const auto& p = policy("general-7d");
  const sla_clock running = p.start(clock_kind::resolve, at(2026, 3, 2, 9, 0));
  ASSERT_EQ(shanghai(running.due), "2026-03-11T09:00:00+08:00");
  // Paused Tue 03-03 10:00: used Mon 7h + Tue 08:30-10:00 1h30 = 8h30, so 44h remain.
  const sla_clock paused = p.pause(running, at(2026, 3, 3, 10, 0));
  EXPECT_EQ(paused.state, clock_state::paused);
  EXPECT_EQ(paused.remaining, hours(44));
  EXPECT_EQ(paused.due, running.due);
}

TEST(sla_policy, resume_moves_due_and_warnings_by_exactly_the_paused_working_time) {
  const auto& p = policy("general-7d");
  const sla_clock running = p.start(clock_kind::resolve, at(2026, 3, 2, 9, 0));
  // Unpaused warnings: 0.5 = 26h15: Mon 7h -> 19h15; Tue -> 11h45; Wed -> 4h15; Thu AM 3h30 -> 45m,
  // PM 14:15. 0.8 = 42h: Mon -> 35h; Tue -> 27h30; Wed -> 20h; Thu -> 12h30; Fri -> 5h;
  // Mon 03-09 AM 3h30 -> 1h30, PM 15:00.
  ASSERT_EQ(shanghai(running.warn_at[0]), "2026-03-05T14:15:00+08:00");
  ASSERT_EQ(shanghai(running.warn_at[1]), "2026-03-09T15:00:00+08:00");
  const sla_clock paused = p.pause(running, at(2026, 3, 3, 10, 0));
  const instant resume_at = at(2026, 3, 5, 14, 0);
  const sla_clock resumed = p.resume(paused, resume_at);
  // Paused working time: Tue 10:00-12:00 2h + PM 4h, Wed 7h30, Thu AM 3h30 + 13:30-14:00 30m = 17h30.
  EXPECT_EQ(national().working_between(at(2026, 3, 3, 10, 0), resume_at), hours(17) + minutes(30));
  // due: Thu 14:00 + 44h: Thu 3h30 -> 40h30; Fri -> 33h; Mon -> 25h30; Tue -> 18h; Wed -> 10h30;
  // Thu 03-12 -> 3h; Fri 03-13 08:30 + 3h = 11:30 (= old due Wed 09:00 + 17h30 working).
  EXPECT_EQ(resumed.state, clock_state::running);
  EXPECT_EQ(shanghai(resumed.due), "2026-03-13T11:30:00+08:00");
  EXPECT_EQ(national().working_between(running.due, resumed.due), hours(17) + minutes(30));
  EXPECT_EQ(resumed.remaining, duration{0});
  // warn 0.5: 26h15 - 8h30 used = 17h45 from Thu 14:00: Thu 3h30 -> 14h15; Fri -> 6h45;
  // Mon 03-09 AM 3h30 -> 3h15, PM 16:45. warn 0.8: 42h - 8h30 = 33h30: Thu -> 30h; Fri -> 22h30;
  // Mon -> 15h; Tue -> 7h30; Wed 03-11 exactly 7h30 -> ends at 17:30.
  ASSERT_EQ(resumed.warn_at.size(), 2U);
  EXPECT_EQ(shanghai(resumed.warn_at[0]), "2026-03-09T16:45:00+08:00");
  EXPECT_EQ(shanghai(resumed.warn_at[1]), "2026-03-11T17:30:00+08:00");
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(national().working_between(running.warn_at[i], resumed.warn_at[i]), hours(17) + minutes(30)) << i;
  }
}

TEST(sla_policy, resume_after_the_first_warning_fired_keeps_it_fired_and_moves_only_the_rest) {
  const auto& p = policy("general-7d");
  sla_clock running = p.start(clock_kind::resolve, at(2026, 3, 2, 9, 0));
  running.warnings_fired = 1;  // the 0.5 warning (Thu 03-05 14:15) has fired
  // Paused Fri 03-06 09:00: used Mon 7h + Tue/Wed/Thu 22h30 + Fri 30m = 30h; 22h30 remain.
  const sla_clock paused = p.pause(running, at(2026, 3, 6, 9, 0));
  EXPECT_EQ(paused.remaining, hours(22) + minutes(30));
  // Resumed Mon 03-09 08:30 (paused working time: Fri 09:00-17:30 = 7h).
  const instant resume_at = at(2026, 3, 9, 8, 30);
  const sla_clock resumed = p.resume(paused, resume_at);
  // due: Mon 7h30 -> 15h; Tue -> 7h30; Wed 03-11 ends 17:30 (= old due Wed 09:00 + 7h).
  EXPECT_EQ(shanghai(resumed.due), "2026-03-11T17:30:00+08:00");
  EXPECT_EQ(resumed.warnings_fired, 1);
  ASSERT_EQ(resumed.warn_at.size(), 2U);
  // The passed 0.5 mark (26h15 < 30h used) collapses to the resume instant.
  EXPECT_EQ(resumed.warn_at[0], resume_at);
  // 0.8 = 42h - 30h = 12h: Mon 7h30 -> 4h30; Tue 03-10 AM 3h30 -> 1h; PM 14:30.
  EXPECT_EQ(shanghai(resumed.warn_at[1]), "2026-03-10T14:30:00+08:00");
}

TEST(sla_policy, pause_after_due_leaves_nothing_and_resume_is_due_at_once) {
  const auto& p = policy("urgent-2h");
  const sla_clock running = p.start(clock_kind::accept, at(2026, 3, 2, 9, 0));  // due 09:15
  const sla_clock paused = p.pause(running, at(2026, 3, 2, 9, 40));
  EXPECT_EQ(paused.remaining, duration{0});
  const sla_clock resumed = p.resume(paused, at(2026, 3, 2, 11, 0));
  EXPECT_EQ(resumed.due, at(2026, 3, 2, 11, 0));
}

TEST(sla_policy, continuous_pause_over_midnight_moves_due_by_the_plain_pause) {
  const auto& p = policy("urgent-2h");
  // resolve from Mon 2026-02-16 23:10: due 02-17 01:10.
  const sla_clock running = p.start(clock_kind::resolve, at(2026, 2, 16, 23, 10));
  // Paused 23:40 (30m used, 1h30 left), resumed 00:30 (50m later): due 00:30 + 1h30 = 02:00.
  const sla_clock paused = p.pause(running, at(2026, 2, 16, 23, 40));
  EXPECT_EQ(paused.remaining, hours(1) + minutes(30));
  const sla_clock resumed = p.resume(paused, at(2026, 2, 17, 0, 30));
  EXPECT_EQ(shanghai(resumed.due), "2026-02-17T02:00:00+08:00");
  // warn 0.5 = 1h mark, 30m used: 00:30 + 30m = 01:00; warn 0.75 = 1h30 mark: 00:30 + 1h = 01:30.
  ASSERT_EQ(resumed.warn_at.size(), 2U);
  EXPECT_EQ(shanghai(resumed.warn_at[0]), "2026-02-17T01:00:00+08:00");
  EXPECT_EQ(shanghai(resumed.warn_at[1]), "2026-02-17T01:30:00+08:00");
}

TEST(sla_policy, between_counts_working_time_or_plain_time_by_basis) {
  // Fri 2026-02-13 17:00 to Tue 02-24 09:30: Fri 30m + Sat 14 7h30 + Tue 1h = 9h working.
  const instant a = at(2026, 2, 13, 17, 0);
  const instant b = at(2026, 2, 24, 9, 30);
  EXPECT_EQ(policy("general-7d").between(a, b), hours(9));
  EXPECT_EQ(policy("urgent-2h").between(a, b), b - a);
  EXPECT_EQ(policy("general-7d").between(b, a), duration{0});
  EXPECT_EQ(policy("general-7d").add(a, hours(9)), b);
  EXPECT_EQ(policy("urgent-2h").add(a, seconds(90)), a + seconds(90));
}

TEST(sla_policy, terms_carry_breach_escalation_windows_and_reopen_behaviour) {
  const sla_terms general = policy("general-7d").terms();
  EXPECT_TRUE(general.escalate_on_breach[0]);   // accept
  EXPECT_FALSE(general.escalate_on_breach[1]);  // contact
  EXPECT_TRUE(general.escalate_on_breach[2]);   // resolve
  EXPECT_FALSE(general.escalate_on_breach[3]);  // verify
  EXPECT_EQ(general.feedback_window, hours(15 * 24));  // plain days
  EXPECT_EQ(general.rating_window, hours(3 * 24));
  EXPECT_TRUE(general.reopen_escalates);
  const sla_terms night = policy("night-1h").terms();
  EXPECT_FALSE(night.escalate_on_breach[0]);
  EXPECT_TRUE(night.escalate_on_breach[1]);
  EXPECT_FALSE(night.reopen_escalates);
}

TEST(sla_policy, a_working_policy_without_a_calendar_is_refused) {
  policy_spec spec;
  spec.id = "no-calendar";
  spec.continuous = false;
  EXPECT_THROW(sla_policy(spec, nullptr), std::invalid_argument);
  spec.continuous = true;
  EXPECT_NO_THROW(sla_policy(spec, nullptr));
}

}  // namespace
}  // namespace doorstep::sla
