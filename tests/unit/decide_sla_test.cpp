// tests/unit/decide_sla_test.cpp
// SLA clocks as decide() sets and moves them on the shipped config and the 2026 national
// calendar: deadlines in working time (08:30-12:00, 13:30-17:30 = 7h30 a day; weekends,
// holidays and 调休 make-up days), 24x7 urgent policies, suspension moving deadlines by the
// pause, warnings then breach, verification, rating and auto-close, reopen windows.
// Every expected instant is worked out by hand beside it (local time, UTC+8).
//
// 2026 weekdays used: Sun 03-01, Wed 03-04, Fri 03-06, Sat 03-07, Mon 03-09, Tue 03-10,
// Fri 03-13; Fri 02-13 and the make-up Saturday 02-14; Fri 04-03 before Qingming (04-04..06).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "domain/decide.h"
#include "routing/rulebook.h"
#include "support/story.h"
#include "support/test_support.h"

namespace doorstep {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using testing::at;
using testing::story;

using testing::types;

TEST(decide_sla, working_time_deadlines_skip_the_weekend) {
  // small-3d, submitted Fri 2026-03-06 16:00.
  story s("runtai-huayuan-b1", "garbage", at(2026, 3, 6, 16, 0));
  const auto& accept = s.t().clock(clock_kind::accept);
  EXPECT_EQ(accept.state, clock_state::running);
  EXPECT_FALSE(accept.continuous);
  EXPECT_EQ(accept.started, at(2026, 3, 6, 16, 0));
  // accept 2h: Fri 16:00-17:30 gives 1h30, Mon 08:30 + 0h30 = Mon 09:00.
  EXPECT_EQ(accept.due, at(2026, 3, 9, 9, 0));
  // warnings at 1h (Fri 17:00) and 1h30 (Fri 17:30, the end of the period, not Mon 08:30).
  EXPECT_EQ(accept.warn_at, (std::vector<instant>{at(2026, 3, 6, 17, 0), at(2026, 3, 6, 17, 30)}));
  // contact 4h: Fri 1h30, Mon 08:30 + 2h30 = Mon 11:00.
  EXPECT_EQ(s.t().clock(clock_kind::contact).due, at(2026, 3, 9, 11, 0));
  // resolve 3d = 22h30: Fri 1h30 -> 21h left; Mon 7h30 -> 13h30; Tue 7h30 -> 6h;
  // Wed 08:30-12:00 3h30 -> 2h30; 13:30 + 2h30 = Wed 2026-03-11 16:00.
  EXPECT_EQ(s.t().clock(clock_kind::resolve).due, at(2026, 3, 11, 16, 0));
  EXPECT_EQ(s.t().clock(clock_kind::verify).state, clock_state::idle);
}

TEST(decide_sla, working_time_deadline_lands_on_a_make_up_saturday) {
  // Fri 2026-02-13 17:00: 0h30 left that day; Sat 02-14 is a 调休 working day, so the
  // remaining 1h30 of accept runs 08:30-10:00 on Saturday.
  story s("runtai-huayuan-b1", "garbage", at(2026, 2, 13, 17, 0));
  EXPECT_EQ(s.t().clock(clock_kind::accept).due, at(2026, 2, 14, 10, 0));
}

TEST(decide_sla, working_time_deadline_skips_the_qingming_holiday) {
  // Fri 2026-04-03 16:00: 1h30 that day; Sat 04-04 .. Mon 04-06 are off; Tue 04-07 08:30 +
  // 0h30 = 09:00.
  story s("runtai-huayuan-b1", "garbage", at(2026, 4, 3, 16, 0));
  EXPECT_EQ(s.t().clock(clock_kind::accept).due, at(2026, 4, 7, 9, 0));
}

TEST(decide_sla, suspend_pauses_clocks_and_resume_moves_working_deadlines_by_the_pause) {
  story s("runtai-huayuan-b1", "garbage", at(2026, 3, 6, 16, 0));
  s.set_now(at(2026, 3, 6, 16, 30));
  s.ok(suspend_cmd{"等待物业提供垃圾房钥匙"});
  ASSERT_EQ(s.t().st, status::suspended);
  EXPECT_EQ(s.t().resume_to, status::dispatched);
  EXPECT_TRUE(pending_timers(s.t()).empty());
  const auto& accept = s.t().clock(clock_kind::accept);
  EXPECT_EQ(accept.state, clock_state::paused);
  // At Fri 16:30: accept due Mon 09:00 -> Fri 1h + Mon 0h30 = 1h30 left.
  EXPECT_EQ(accept.remaining, minutes(90));
  // contact due Mon 11:00 -> Fri 1h + Mon 2h30 = 3h30 left.
  EXPECT_EQ(s.t().clock(clock_kind::contact).remaining, minutes(210));
  // resolve due Wed 16:00 -> Fri 1h + Mon 7h30 + Tue 7h30 + Wed 6h = 22h left.
  EXPECT_EQ(s.t().clock(clock_kind::resolve).remaining, hours(22));

  // The old accept warning can no longer fire.
  EXPECT_EQ(s.fails(timer_fired_cmd{{at(2026, 3, 6, 17, 0), clock_kind::accept, timer_kind::warning, 0}}).code,
            "stale_timer");

  s.set_now(at(2026, 3, 10, 10, 0));  // Tue 10:00
  s.ok(resume_cmd{});
  EXPECT_EQ(s.t().st, status::dispatched);
  const auto& a = s.t().clock(clock_kind::accept);
  EXPECT_EQ(a.state, clock_state::running);
  EXPECT_EQ(a.started, at(2026, 3, 6, 16, 0));
  // Tue 10:00 + 1h30 = 11:30 (instead of Mon 09:00).
  EXPECT_EQ(a.due, at(2026, 3, 10, 11, 30));
  // 0h30 of 2h had elapsed; warnings at 1h and 1h30 of work: Tue 10:30 and 11:00.
  EXPECT_EQ(a.warn_at, (std::vector<instant>{at(2026, 3, 10, 10, 30), at(2026, 3, 10, 11, 0)}));
  // contact: Tue 10:00-12:00 2h, 13:30 + 1h30 = 15:00.
  EXPECT_EQ(s.t().clock(clock_kind::contact).due, at(2026, 3, 10, 15, 0));
  // resolve 22h: Tue 10-12 + 13:30-17:30 = 6h -> 16h; Wed 7h30 -> 8h30; Thu 7h30 -> 1h;
  // Fri 2026-03-13 08:30 + 1h = 09:30.
  EXPECT_EQ(s.t().clock(clock_kind::resolve).due, at(2026, 3, 13, 9, 30));
  EXPECT_EQ(pending_timers(s.t()).front().at, at(2026, 3, 10, 10, 30));
}

TEST(decide_sla, resume_returns_an_accepted_ticket_to_accepted) {
  story s("runtai-huayuan-b1", "garbage", at(2026, 3, 4, 10, 0));
  s.ok(accept_cmd{});
  s.ok(suspend_cmd{"等待配件"});
  EXPECT_EQ(s.t().resume_to, status::accepted);
  // The stopped accept clock is not paused.
  EXPECT_EQ(s.t().clock(clock_kind::accept).state, clock_state::stopped);
  s.ok(resume_cmd{});
  EXPECT_EQ(s.t().st, status::accepted);
  EXPECT_EQ(s.t().clock(clock_kind::accept).state, clock_state::stopped);
}

TEST(decide_sla, suspend_and_resume_move_24x7_deadlines_by_exactly_the_pause) {
  // street_light -> utility-24h (continuous) at the department. Sat 2026-03-07 10:00.
  story s("runtai-huayuan-b1", "street_light", at(2026, 3, 7, 10, 0), "小区门口路灯不亮");
  ASSERT_EQ(s.t().sla_policy, "utility-24h");
  EXPECT_TRUE(s.t().clock(clock_kind::accept).continuous);
  EXPECT_EQ(s.t().clock(clock_kind::accept).due, at(2026, 3, 7, 11, 0));   // +1h
  EXPECT_EQ(s.t().clock(clock_kind::resolve).due, at(2026, 3, 8, 10, 0));  // +24h, Sunday
  s.set_now(at(2026, 3, 7, 10, 20));
  s.ok(suspend_cmd{"等待供电公司断电"});
  EXPECT_EQ(s.t().clock(clock_kind::accept).remaining, minutes(40));
  s.set_now(at(2026, 3, 7, 15, 20));  // a 5h pause
  s.ok(resume_cmd{});
  EXPECT_EQ(s.t().clock(clock_kind::accept).due, at(2026, 3, 7, 16, 0));
  EXPECT_EQ(s.t().clock(clock_kind::resolve).due, at(2026, 3, 8, 15, 0));
  // accept warnings at 0.5 and 0.8 of 1h = 30m and 48m; 20m had elapsed: 15:30 and 15:48.
  EXPECT_EQ(s.t().clock(clock_kind::accept).warn_at,
            (std::vector<instant>{at(2026, 3, 7, 15, 30), at(2026, 3, 7, 15, 48)}));
}

TEST(decide_sla, urgent_gas_smell_enters_at_department_with_a_24x7_deadline_on_sunday_night) {
  // Sun 2026-03-01 21:00: urgent-gas -> department taixing-gas, urgent-2h, continuous.
  story s("runtai-huayuan-b1", "gas_smell", at(2026, 3, 1, 21, 0), "楼道里有很重的煤气味");
  const auto& d = std::get<dispatched_ev>(s.last()[1].body);
  EXPECT_EQ(d.to, level::department);
  EXPECT_EQ(d.unit_id, "taixing-gas");
  EXPECT_EQ(d.rule_id, "urgent-gas");
  EXPECT_EQ(d.prio, priority::urgent);
  EXPECT_EQ(d.sla_policy, "urgent-2h");
  EXPECT_EQ(s.t().clock(clock_kind::accept).due, at(2026, 3, 1, 21, 15));   // +15m
  EXPECT_EQ(s.t().clock(clock_kind::contact).due, at(2026, 3, 1, 21, 30));  // +30m
  // resolve +2h = Sunday 23:00; no working-hours counting on a weekend night.
  EXPECT_EQ(s.t().clock(clock_kind::resolve).due, at(2026, 3, 1, 23, 0));
  EXPECT_EQ(s.t().clock(clock_kind::resolve).warn_at,
            (std::vector<instant>{at(2026, 3, 1, 22, 0), at(2026, 3, 1, 22, 30)}));
}

TEST(decide_sla, warnings_then_breach_produce_sla_at_risk_then_sla_breached) {
  // small-3d from Wed 2026-03-04 09:00: accept warnings at 1h (10:00) and 1h30 (10:30),
  // due at 2h (11:00).
  story s("runtai-huayuan-b1", "garbage", at(2026, 3, 4, 9, 0));
  auto evs = s.fire_next();
  ASSERT_EQ(types(evs), std::vector<std::string>{"sla_at_risk"});
  EXPECT_EQ(evs[0].at, at(2026, 3, 4, 10, 0));
  auto risk = std::get<sla_at_risk_ev>(evs[0].body);
  EXPECT_EQ(risk.clock, clock_kind::accept);
  EXPECT_EQ(risk.ordinal, 0);
  EXPECT_EQ(risk.due, at(2026, 3, 4, 11, 0));
  EXPECT_TRUE(s.t().clock(clock_kind::accept).at_risk());

  // The same warning a second time is stale.
  EXPECT_EQ(s.fails(timer_fired_cmd{{at(2026, 3, 4, 10, 0), clock_kind::accept, timer_kind::warning, 0}}).code,
            "stale_timer");

  evs = s.fire_next();
  ASSERT_EQ(types(evs), std::vector<std::string>{"sla_at_risk"});
  EXPECT_EQ(evs[0].at, at(2026, 3, 4, 10, 30));
  EXPECT_EQ(std::get<sla_at_risk_ev>(evs[0].body).ordinal, 1);

  evs = s.fire_next();
  ASSERT_EQ(types(evs), (std::vector<std::string>{"sla_breached", "escalated"}));
  EXPECT_EQ(evs[0].at, at(2026, 3, 4, 11, 0));
  EXPECT_EQ(std::get<sla_breached_ev>(evs[0].body).clock, clock_kind::accept);
  EXPECT_EQ(std::get<sla_breached_ev>(evs[0].body).due, at(2026, 3, 4, 11, 0));
}

TEST(decide_sla, timer_that_is_not_pending_is_stale) {
  story s("runtai-huayuan-b1", "garbage", at(2026, 3, 4, 9, 0));
  // Right clock and kind, wrong instant; a verify breach before anything was resolved;
  // an auto-close before verification.
  for (const pending_timer& bogus :
       {pending_timer{at(2026, 3, 4, 11, 1), clock_kind::accept, timer_kind::breach, 0},
        pending_timer{at(2026, 3, 4, 11, 0), clock_kind::verify, timer_kind::breach, 0},
        pending_timer{at(2026, 3, 4, 10, 0), clock_kind::accept, timer_kind::warning, 1},
        pending_timer{at(2026, 3, 7, 11, 0), clock_kind::verify, timer_kind::auto_close, 0}}) {
    EXPECT_EQ(s.fails(timer_fired_cmd{bogus}).code, "stale_timer");
  }
  s.ok(accept_cmd{});
  // The accept clock stopped: its breach is no longer pending.
  EXPECT_EQ(s.fails(timer_fired_cmd{{at(2026, 3, 4, 11, 0), clock_kind::accept, timer_kind::breach, 0}}).code,
            "stale_timer");
}

TEST(decide_sla, rate_requires_verification_then_closes_with_the_rating) {
  story s("runtai-huayuan-b1", "garbage", at(2026, 3, 4, 9, 0));
  s.ok(accept_cmd{});
  s.ok(resolve_cmd{"已清运"});
  EXPECT_EQ(s.fails(rate_cmd{5, ""}).code, "not_verified");
  s.set_now(at(2026, 3, 4, 15, 0));
  const auto v = s.ok(verify_cmd{true, "现场核查通过"});
  // rating_window 3d plain: Wed 15:00 + 72h = Sat 2026-03-07 15:00.
  EXPECT_EQ(std::get<verified_ev>(v[0].body).auto_close_at, at(2026, 3, 7, 15, 0));
  for (int bad : {0, 6, -1}) {
    const auto err = s.fails(rate_cmd{bad, ""});
    EXPECT_EQ(err.code, "invalid_field") << bad;
    EXPECT_EQ(err.field, "score");
  }
  s.set_now(at(2026, 3, 4, 16, 0));
  const auto evs = s.ok(rate_cmd{4, "处理及时"});
  ASSERT_EQ(types(evs), (std::vector<std::string>{"rated", "closed"}));
  EXPECT_EQ(std::get<closed_ev>(evs[1].body).reason, "rated");
  EXPECT_EQ(s.t().st, status::closed);
  EXPECT_EQ(s.t().rating, 4);
  EXPECT_EQ(s.t().closed_at, at(2026, 3, 4, 16, 0));
  for (const auto& c : s.t().clocks) EXPECT_NE(c.state, clock_state::running);
  EXPECT_TRUE(pending_timers(s.t()).empty());
}

TEST(decide_sla, failed_verification_returns_to_handling_with_a_fresh_resolve_clock) {
  story s("runtai-huayuan-b1", "garbage", at(2026, 3, 4, 9, 0));
  s.ok(accept_cmd{});
  s.ok(resolve_cmd{""});
  s.set_now(at(2026, 3, 4, 14, 0));
  const auto evs = s.ok(verify_cmd{false, "垃圾仍未清走"});
  ASSERT_EQ(types(evs), std::vector<std::string>{"verification_failed"});
  EXPECT_EQ(s.t().st, status::accepted);
  EXPECT_EQ(s.t().clock(clock_kind::verify).state, clock_state::idle);
  const auto& r = s.t().clock(clock_kind::resolve);
  EXPECT_EQ(r.state, clock_state::running);
  EXPECT_EQ(r.started, at(2026, 3, 4, 14, 0));
  // 22h30 from Wed 14:00: Wed 3h30 -> 19h; Thu 7h30 -> 11h30; Fri 7h30 -> 4h;
  // Mon 08:30-12:00 3h30 -> 0h30; 13:30 + 0h30 = Mon 2026-03-09 14:00.
  EXPECT_EQ(r.due, at(2026, 3, 9, 14, 0));
}

TEST(decide_sla, verified_ticket_left_unrated_closes_itself_when_the_rating_window_ends) {
  story s("runtai-huayuan-b1", "garbage", at(2026, 3, 4, 9, 0));
  s.ok(accept_cmd{});
  s.ok(resolve_cmd{""});
  s.set_now(at(2026, 3, 4, 15, 0));
  s.ok(verify_cmd{true, ""});
  const auto pending = pending_timers(s.t());
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].kind, timer_kind::auto_close);
  EXPECT_EQ(pending[0].at, at(2026, 3, 7, 15, 0));  // +72h
  const auto evs = s.fire_next();
  ASSERT_EQ(types(evs), std::vector<std::string>{"closed"});
  EXPECT_EQ(std::get<closed_ev>(evs[0].body).reason, "unrated");
  EXPECT_EQ(s.t().closed_at, at(2026, 3, 7, 15, 0));
  EXPECT_FALSE(s.t().rating.has_value());
}

TEST(decide_sla, reopen_is_allowed_up_to_the_end_of_the_feedback_window_and_not_after) {
  story s("runtai-huayuan-b1", "garbage", at(2026, 3, 4, 9, 0));
  s.ok(accept_cmd{});
  s.ok(resolve_cmd{""});
  s.ok(verify_cmd{true, ""});
  s.set_now(at(2026, 3, 4, 16, 0));
  s.ok(rate_cmd{3, ""});
  // small-3d feedback_window 7d plain: closed Wed 03-04 16:00 -> open until Wed 03-11 16:00.
  s.set_now(at(2026, 3, 11, 16, 0) + std::chrono::milliseconds(1));
  auto err = s.fails(reopen_cmd{"又坏了"});
  EXPECT_EQ(err.code, "feedback_window_closed");
  EXPECT_EQ(s.fails(reopen_cmd{""}).code, "missing_field");
  s.set_now(at(2026, 3, 11, 16, 0));
  const auto evs = s.ok(reopen_cmd{"又坏了"});
  EXPECT_EQ(event_type(evs[0].body), "reopened");
  EXPECT_EQ(s.t().st, status::dispatched);
  EXPECT_FALSE(s.t().closed_at.has_value());
  // Fresh clocks from the reopening instant (escalated on top, so restarted again then).
  EXPECT_EQ(s.t().clock(clock_kind::accept).started, at(2026, 3, 11, 16, 0));
}

}  // namespace
}  // namespace doorstep
