// tests/unit/decide_test.cpp
// The exhaustive state table of decide(): every status a ticket can be in, crossed with
// every command, states the outcome (the event types emitted, or the rejection code).
// Each starting status is reached by folding real decide() results from a submit through
// legal commands, on the shipped demo rulebook, at fixed instants.
//
// The ticket: "garbage" at 润泰花园 1号楼 (runtai-huayuan-b1, which has a building head),
// routed by rule small-in-building to level building under SLA policy small-3d (working
// time; warn at 0.5 and 0.75; reopen: escalate).
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "domain/decide.h"
#include "routing/rulebook.h"
#include "support/test_support.h"

namespace doorstep {
namespace {

using testing::at;

const policy& rules() { return *testing::demo_config().rules; }

constexpr const char* kId = "T-table";

// The starting statuses of the table, in column order.
enum col : std::size_t { rcv, dsp, acc, res, ver, clo, sus, mrg, cnl, kCols };
constexpr std::array<const char*, kCols> kColNames{
    "received", "dispatched", "accepted", "resolved", "resolved+verified",
    "closed",   "suspended",  "merged",   "cancelled"};

// A ticket and the log it was folded from.
struct built {
  ticket t;
  std::vector<event> log;
  instant now{};
};

void step(built& b, command_body body, int minutes_later) {
  b.now += std::chrono::minutes(minutes_later);
  auto c = testing::action(kId, std::move(body));
  auto r = decide(b.t, c, b.now, rules());
  ASSERT_TRUE(r.ok()) << command_name(c.body) << ": " << r.err().code << " " << r.err().message;
  for (const auto& e : *r) {
    b.t = apply(b.t, e);
    b.log.push_back(e);
  }
}

// Wednesday 2026-03-04 10:00, a working morning.
built submitted() {
  built b;
  b.now = at(2026, 3, 4, 10, 0);
  auto c = testing::submit("runtai-huayuan-b1", "garbage", "src-table", "楼下垃圾桶满了没人清运");
  c.ticket_id = kId;
  auto r = decide(b.t, c, b.now, rules());
  EXPECT_TRUE(r.ok());
  if (r.ok()) {
    for (const auto& e : *r) {
      b.t = apply(b.t, e);
      b.log.push_back(e);
    }
  }
  return b;
}

built reach(col c) {
  built b = submitted();
  switch (c) {
    case rcv: step(b, return_cmd{"不属于本楼栋"}, 10); break;
    case dsp: break;
    case acc: step(b, accept_cmd{}, 10); break;
    case res:
      step(b, accept_cmd{}, 10);
      step(b, resolve_cmd{"垃圾已清运"}, 10);
      break;
    case ver:
      step(b, accept_cmd{}, 10);
      step(b, resolve_cmd{"垃圾已清运"}, 10);
      step(b, verify_cmd{true, "网格员现场核查通过"}, 10);
      break;
    case clo:
      step(b, accept_cmd{}, 10);
      step(b, resolve_cmd{"垃圾已清运"}, 10);
      step(b, verify_cmd{true, "网格员现场核查通过"}, 10);
      step(b, rate_cmd{5, "很满意"}, 10);
      break;
    case sus:
      step(b, accept_cmd{}, 10);
      step(b, suspend_cmd{"等待物业配合"}, 10);
      break;
    case mrg: step(b, merge_cmd{"T-master"}, 10); break;
    case cnl: step(b, cancel_cmd{"居民撤回"}, 10); break;
    case kCols: break;
  }
  return b;
}

appeal second_appeal() {
  appeal a;
  a.category = "garbage";
  a.description = "垃圾桶又满了";
  a.jurisdiction_id = "runtai-huayuan-b1";
  a.source_id = "src-dup";
  return a;
}

// The command of each row. timer_fired fires the ticket's earliest pending timer, or an
// accept breach timer that cannot be pending when none is.
command_body body_for(const std::string& name, const ticket& t, instant now) {
  if (name == "submit") return submit_cmd{second_appeal()};
  if (name == "triage") return triage_cmd{std::string("illegal_dumping"), std::nullopt, std::nullopt};
  if (name == "dispatch") return dispatch_cmd{level::grid, ""};
  if (name == "accept") return accept_cmd{};
  if (name == "contact") return contact_cmd{"已电话联系王阿姨"};
  if (name == "note") return note_cmd{"现场查看，垃圾桶已满"};
  if (name == "resolve") return resolve_cmd{"已清运"};
  if (name == "verify") return verify_cmd{true, "核查通过"};
  if (name == "rate") return rate_cmd{5, "满意"};
  if (name == "escalate") return escalate_cmd{escalation_reason::handler_request, "楼栋长吹哨"};
  if (name == "return") return return_cmd{"派错了"};
  if (name == "suspend") return suspend_cmd{"等待物业配合"};
  if (name == "resume") return resume_cmd{};
  if (name == "merge") return merge_cmd{"T-master"};
  if (name == "absorb") return absorb_cmd{"T-dup", {second_appeal()}};
  if (name == "cancel") return cancel_cmd{"居民撤回"};
  if (name == "reopen") return reopen_cmd{"垃圾又堆满了，不满意"};
  const auto pending = pending_timers(t);
  if (!pending.empty()) return timer_fired_cmd{pending.front()};
  return timer_fired_cmd{pending_timer{now, clock_kind::accept, timer_kind::breach, 0}};
}

// Outcome notation: event types joined by '+', or '!' and the rejection code.
constexpr const char* X = "!illegal_transition";
constexpr const char* STALE = "!stale_timer";

struct row {
  const char* command;
  std::array<const char*, kCols> expect;
};

// clang-format off
const std::vector<row> kTable = {
//  command        received               dispatched        accepted          resolved               resolved+verified      closed                 suspended       merged  cancelled
  {"submit",      {"appeal_joined",       "appeal_joined",  "appeal_joined",  "appeal_joined",       "appeal_joined",       X,                     "appeal_joined", X,     X}},
  {"triage",      {"triaged+dispatched",  X,                X,                X,                     X,                     X,                     X,               X,     X}},
  {"dispatch",    {"dispatched",          X,                X,                X,                     X,                     X,                     X,               X,     X}},
  {"accept",      {X,                     "accepted",       X,                X,                     X,                     X,                     X,               X,     X}},
  {"contact",     {X,                     "contacted",      "contacted",      X,                     X,                     X,                     X,               X,     X}},
  {"note",        {"noted",               "noted",          "noted",          "noted",               "noted",               X,                     "noted",         X,     X}},
  {"resolve",     {X,                     X,                "resolved",       X,                     X,                     X,                     X,               X,     X}},
  {"verify",      {X,                     X,                X,                "verified",            X,                     X,                     X,               X,     X}},
  {"rate",        {X,                     X,                X,                "!not_verified",       "rated+closed",        X,                     X,               X,     X}},
  {"escalate",    {X,                     "escalated",      "escalated",      X,                     X,                     X,                     X,               X,     X}},
  {"return",      {X,                     "returned",       "returned",       X,                     X,                     X,                     X,               X,     X}},
  {"suspend",     {X,                     "suspended",      "suspended",      X,                     X,                     X,                     X,               X,     X}},
  {"resume",      {X,                     X,                X,                X,                     X,                     X,                     "resumed",       X,     X}},
  {"merge",       {"merged",              "merged",         "merged",         X,                     X,                     X,                     X,               X,     X}},
  {"absorb",      {"absorbed",            "absorbed",       "absorbed",       "absorbed",            "absorbed",            X,                     "absorbed",      X,     X}},
  {"cancel",      {"cancelled",           "cancelled",      "cancelled",      X,                     X,                     X,                     "cancelled",     X,     X}},
  // small-3d says reopen: escalate, so a reopened building ticket climbs to the grid.
  {"reopen",      {X,                     X,                X,                X,                     X,                     "reopened+escalated",  X,               X,     X}},
  // dispatched: accept warning 0; accepted: contact warning 0; resolved: verify warning 0;
  // verified: the auto-close timer; received (clocks cleared), suspended and terminal: none.
  {"timer_fired", {STALE,                 "sla_at_risk",    "sla_at_risk",    "sla_at_risk",         "closed",              STALE,                 STALE,           STALE, STALE}},
};
// clang-format on

std::string outcome_of(const result<std::vector<event>>& r) {
  if (!r.ok()) return "!" + r.err().code;
  std::string s;
  for (const auto& e : *r) {
    if (!s.empty()) s += "+";
    s += std::string(event_type(e.body));
  }
  return s;
}

TEST(decide, state_table_covers_every_command_exactly_once) {
  std::vector<std::string> rows;
  for (const auto& r : kTable) rows.emplace_back(r.command);
  std::vector<std::string> names(all_command_names().begin(), all_command_names().end());
  EXPECT_EQ(rows, names);
}

TEST(decide, every_starting_status_is_reached_by_legal_commands) {
  const std::array<status, kCols> want{status::received, status::dispatched, status::accepted,
                                       status::resolved, status::resolved,   status::closed,
                                       status::suspended, status::merged,    status::cancelled};
  for (std::size_t c = 0; c < kCols; ++c) {
    const built b = reach(static_cast<col>(c));
    EXPECT_EQ(b.t.st, want[c]) << kColNames[c];
    EXPECT_EQ(b.t, fold(b.log)) << kColNames[c];
    EXPECT_EQ(b.t.version, b.log.size()) << kColNames[c];
  }
  EXPECT_FALSE(reach(res).t.verified);
  EXPECT_TRUE(reach(ver).t.verified);
}

TEST(decide, every_command_in_every_status_gives_the_tabled_outcome) {
  for (std::size_t c = 0; c < kCols; ++c) {
    const built b = reach(static_cast<col>(c));
    for (const auto& r : kTable) {
      const instant now = b.now + std::chrono::minutes(30);
      command cmd = testing::action(kId, body_for(r.command, b.t, now));
      const ticket before = b.t;
      const auto got = decide(b.t, cmd, now, rules());
      EXPECT_EQ(outcome_of(got), r.expect[c]) << r.command << " while " << kColNames[c];
      EXPECT_EQ(b.t, before);
      if (got.ok()) {
        // Every event is stamped for this ticket, now, and this command.
        for (const auto& e : *got) {
          EXPECT_EQ(e.ticket_id, kId);
          EXPECT_EQ(e.at, now);
          EXPECT_EQ(e.causation, cmd.id);
          EXPECT_EQ(e.by, cmd.by);
          EXPECT_GT(e.seq, b.t.version);
        }
        EXPECT_EQ(got->front().seq, b.t.version + 1) << r.command << " while " << kColNames[c];
      }
    }
  }
}

// Every emitted status change must be one the table of legal moves allows.
TEST(decide, every_tabled_success_moves_status_only_along_may_move) {
  for (std::size_t c = 0; c < kCols; ++c) {
    const built b = reach(static_cast<col>(c));
    for (const auto& r : kTable) {
      const instant now = b.now + std::chrono::minutes(30);
      const auto got = decide(b.t, testing::action(kId, body_for(r.command, b.t, now)), now, rules());
      if (!got.ok()) continue;
      ticket t = b.t;
      for (const auto& e : *got) {
        const status from = t.st;
        t = apply(t, e);
        if (t.st != from) {
          EXPECT_TRUE(may_move(from, t.st))
              << r.command << " moved " << to_string(from) << " -> " << to_string(t.st);
        }
      }
    }
  }
}

TEST(decide, may_move_table_matches_the_documented_lifecycle) {
  using s = status;
  const std::map<s, std::vector<s>> legal = {
      {s::received, {s::dispatched, s::cancelled, s::merged}},
      {s::dispatched, {s::accepted, s::dispatched, s::received, s::suspended, s::cancelled, s::merged}},
      {s::accepted, {s::resolved, s::dispatched, s::received, s::suspended, s::cancelled, s::merged}},
      {s::resolved, {s::closed, s::accepted}},
      {s::closed, {s::dispatched}},
      {s::suspended, {s::dispatched, s::accepted, s::cancelled}},
      {s::merged, {}},
      {s::cancelled, {}},
  };
  for (auto from : kAllStatuses) {
    for (auto to : kAllStatuses) {
      const auto& ok = legal.at(from);
      const bool want = std::find(ok.begin(), ok.end(), to) != ok.end();
      EXPECT_EQ(may_move(from, to), want) << to_string(from) << " -> " << to_string(to);
    }
  }
}

TEST(decide, commands_other_than_submit_on_a_missing_ticket_are_not_found) {
  const ticket none;
  for (const auto& r : kTable) {
    if (std::string(r.command) == "submit") continue;
    const instant now = at(2026, 3, 4, 10, 0);
    const auto got = decide(none, testing::action("T-none", body_for(r.command, none, now)), now, rules());
    EXPECT_EQ(outcome_of(got), "!not_found") << r.command;
  }
}

}  // namespace
}  // namespace doorstep
