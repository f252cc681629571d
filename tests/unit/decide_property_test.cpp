// tests/unit/decide_property_test.cpp
// Property tests of the state machine: seeded random command sequences (valid and
// invalid, timers that are pending and timers that are not) with time moving forward,
// on the shipped demo rulebook. After every step the invariants below must hold.
//
//  1. fold(log) == the ticket maintained by apply, version == log size, seqs are 1..n.
//  2. decide never mutates: the ticket is unchanged by a rejected (or accepted) decide.
//  3. Events of one decision are stamped with the ticket id, now, and consecutive seqs.
//  4. A closed/merged/cancelled ticket never changes, except reopen of a closed ticket
//     inside its policy's feedback window.
//  5. The level never goes down, except via `returned` (after which it is empty) and a
//     later re-dispatch.
//  6. Every status change made by an event is allowed by may_move().
//  7. pending_timers() is empty for a terminal or suspended ticket; terminal tickets have
//     no running or paused clock, suspended ones no running clock; received ones no level.
//  8. Every started SLA clock has due >= started and warnings ascending, none after due.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "domain/codec.h"
#include "domain/decide.h"
#include "routing/rulebook.h"
#include "support/test_support.h"

namespace doorstep {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

const policy& rules() { return *testing::demo_config().rules; }

constexpr const char* kId = "T-prop";

const std::vector<std::string> kPlaces = {
    "runtai-huayuan-b1", "runtai-huayuan-b2", "runtai-xincun-b1", "runtai-g2",
    "runtai",            "xingyan-jiayuan-b1", "qingshui-g1",     "no-such-place"};
const std::vector<std::string> kCategories = {
    "garbage",      "noise",           "other",      "rights_protection", "gas_smell",
    "street_light", "elderly_care",    "neighbour_dispute", "gas_safety_check", "no_such_category"};
const std::vector<std::string> kUnits = {"",         "runtai-huayuan-b1-head", "runtai-g1-worker",
                                         "runtai-committee", "yanling-office", "taixing-urban",
                                         "xingyan-g1-worker"};
const std::vector<std::string> kTexts = {"", "已联系居民", "现场查看，情况属实", "bad\xff utf8",
                                         std::string(4001, 'x')};

class runner {
 public:
  explicit runner(std::uint32_t seed) : rng_(seed) {}

  // Runs one sequence; returns false (after reporting) on the first broken invariant.
  bool run(int steps) {
    // Somewhere in 2026, at any minute of any day.
    now_ = testing::at(2026, 1, 5, 0, 0) + minutes(pick(0, 330 * 24 * 60));
    const std::string place = kPlaces[pick(0, 2)];  // start in Runtai, a real building
    const std::string category = kCategories[pick(0, static_cast<int>(kCategories.size()) - 2)];
    auto first = testing::submit(place, category, "src-0", "居民反映的问题");
    first.ticket_id = kId;
    if (!step(first)) return false;
    if (!t_.exists()) {
      ADD_FAILURE() << "a valid submit was rejected";
      return false;
    }
    for (int i = 0; i < steps; ++i) {
      advance();
      if (!step(next_command())) return false;
    }
    return true;
  }

  const ticket& final_ticket() const { return t_; }
  const std::vector<event>& log() const { return log_; }
  std::size_t accepted() const { return accepted_; }
  std::size_t rejected() const { return rejected_; }

 private:
  int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool chance(int percent) { return pick(1, 100) <= percent; }
  template <class T>
  const T& any(const std::vector<T>& v) {
    return v[static_cast<std::size_t>(pick(0, static_cast<int>(v.size()) - 1))];
  }

  void advance() {
    const int k = pick(0, 9);
    if (k <= 1) return;                                         // same instant
    if (k <= 4) { now_ += minutes(pick(1, 90)); return; }       // minutes
    if (k <= 6) { now_ += hours(pick(1, 30)); return; }         // hours
    if (k == 7) { now_ += hours(24 * pick(1, 10)); return; }    // days
    const auto pending = pending_timers(t_);                    // to the next timer
    if (!pending.empty() && pending.front().at > now_) now_ = pending.front().at;
  }

  appeal random_appeal() {
    appeal a;
    a.category = any(kCategories);
    a.jurisdiction_id = any(kPlaces);
    a.description = chance(90) ? "又有居民反映同样的问题" : any(kTexts);
    a.source_id = "src-" + std::to_string(pick(1, 1000000));
    return a;
  }

  pending_timer random_timer() {
    const auto pending = pending_timers(t_);
    if (!pending.empty() && chance(70)) return any(pending);
    pending_timer p;
    p.at = now_ + minutes(pick(-600, 600));
    p.clock = kAllClocks[static_cast<std::size_t>(pick(0, 3))];
    p.kind = static_cast<timer_kind>(pick(0, 2));
    p.ordinal = static_cast<std::uint8_t>(pick(0, 2));
    return p;
  }

  // Weighted so that sequences progress through the lifecycle instead of ending early in
  // a cancel or a merge: index = the command's position in command_body.
  command_body random_body() {
    static const std::vector<double> kWeights = {
        // submit triage dispatch accept contact note resolve verify rate escalate
        4, 5, 6, 12, 5, 3, 10, 10, 9, 5,
        // return suspend resume merge absorb cancel reopen timer_fired
        4, 4, 8, 1, 2, 1, 8, 10};
    std::discrete_distribution<int> which(kWeights.begin(), kWeights.end());
    switch (which(rng_)) {
      case 0: return submit_cmd{random_appeal()};
      case 1: {
        triage_cmd c;
        if (chance(60)) c.category = any(kCategories);
        if (chance(40)) c.jurisdiction_id = any(kPlaces);
        if (chance(20)) c.sev = static_cast<severity>(pick(0, 2));
        return c;
      }
      case 2: return dispatch_cmd{kAllLevels[static_cast<std::size_t>(pick(0, 4))], any(kUnits)};
      case 3: return accept_cmd{};
      case 4: return contact_cmd{any(kTexts)};
      case 5: return note_cmd{any(kTexts)};
      case 6: return resolve_cmd{any(kTexts)};
      case 7: return verify_cmd{chance(75), any(kTexts)};
      case 8: return rate_cmd{pick(-1, 7), chance(80) ? "满意" : any(kTexts)};
      case 9: return escalate_cmd{kAllEscalationReasons[static_cast<std::size_t>(pick(0, 6))], any(kTexts)};
      case 10: return return_cmd{chance(80) ? "派错了" : any(kTexts)};
      case 11: return suspend_cmd{chance(80) ? "等待配合" : any(kTexts)};
      case 12: return resume_cmd{};
      case 13: {
        const std::vector<std::string> into = {"T-master", kId, ""};
        return merge_cmd{any(into)};
      }
      case 14: {
        // The master's side of a merge carries the duplicate's appeals, which were
        // validated when they were submitted.
        appeal a = random_appeal();
        a.description = "重复的诉求";
        return absorb_cmd{"T-dup-" + std::to_string(pick(1, 99)), {a}};
      }
      case 15: return cancel_cmd{chance(80) ? "居民撤回" : any(kTexts)};
      case 16: return reopen_cmd{chance(85) ? "不满意" : any(kTexts)};
      default: return timer_fired_cmd{random_timer()};
    }
  }

  command next_command() {
    // Timers are what the runtime sends most: bias towards them.
    command c = testing::action(kId, chance(20) ? command_body{timer_fired_cmd{random_timer()}} : random_body(),
                                static_cast<role>(pick(0, 6)));
    if (chance(10)) c.expected_version = t_.version - static_cast<std::uint64_t>(pick(0, 1));
    return c;
  }

  std::string where(const command& c) const {
    std::ostringstream o;
    o << command_name(c.body) << " at " << format_rfc3339(now_) << " on a " << to_string(from_.st)
      << " ticket (version " << from_.version << ")";
    return o.str();
  }

  bool fail(const std::string& what, const command& c) {
    ADD_FAILURE() << what << " after " << where(c);
    return false;
  }

  bool step(const command& c) {
    const ticket before = t_;
    from_ = before;
    const auto r = decide(t_, c, now_, rules());
    if (!(t_ == before)) return fail("decide mutated the ticket", c);                        // 2
    if (!r.ok()) {
      ++rejected_;
      if (r.err().code.empty()) return fail("rejection without a code", c);
      return true;
    }
    ++accepted_;
    const auto& evs = *r;
    if (evs.empty()) return fail("a successful decision emitted no events", c);
    if (is_terminal(before.st)) {                                                            // 4
      const bool reopen = std::holds_alternative<reopen_cmd>(c.body) && before.st == status::closed &&
                          before.closed_at &&
                          now_ <= *before.closed_at + rules().terms(before.sla_policy).feedback_window;
      if (!reopen) return fail("a terminal ticket changed", c);
    }
    for (std::size_t i = 0; i < evs.size(); ++i) {                                           // 3
      const auto& e = evs[i];
      if (e.seq != before.version + i + 1) return fail("non-consecutive seq", c);
      if (e.ticket_id != kId || e.at != now_ || e.causation != c.id) return fail("bad event stamp", c);
      const ticket prev = t_;
      t_ = apply(t_, e);
      log_.push_back(e);
      if (prev.exists() && t_.st != prev.st && !may_move(prev.st, t_.st)) {                  // 6
        return fail(std::string("illegal move ") + std::string(to_string(prev.st)) + " -> " +
                        std::string(to_string(t_.st)) + " by " + std::string(event_type(e.body)),
                    c);
      }
      const bool returned = std::holds_alternative<returned_ev>(e.body);                     // 5
      if (returned && t_.lvl) return fail("level kept after a return", c);
      if (!returned && prev.lvl && !t_.lvl) return fail("level lost without a return", c);
      if (prev.lvl && t_.lvl && *t_.lvl < *prev.lvl) return fail("level went down", c);
    }
    return check_state(c);
  }

  bool check_state(const command& c) {
    if (!(fold(log_) == t_)) return fail("fold(log) differs from the applied ticket", c);      // 1
    if (t_.version != log_.size()) return fail("version differs from the log size", c);
    for (std::size_t i = 0; i < log_.size(); ++i) {
      if (log_[i].seq != i + 1) return fail("log seqs are not 1..n", c);
    }
    const bool frozen = is_terminal(t_.st) || t_.st == status::suspended;                     // 7
    if (frozen && !pending_timers(t_).empty()) return fail("timers pending while frozen", c);
    if (t_.st == status::received && t_.lvl) return fail("a ticket in triage has a level", c);
    for (const auto& clk : t_.clocks) {
      if (is_terminal(t_.st) && (clk.state == clock_state::running || clk.state == clock_state::paused)) {
        return fail("a clock still runs on a terminal ticket", c);
      }
      if (t_.st == status::suspended && clk.state == clock_state::running) {
        return fail("a clock runs while suspended", c);
      }
      if (clk.state == clock_state::idle) continue;
      if (clk.due < clk.started) return fail("clock due before it started", c);              // 8
      for (std::size_t i = 0; i < clk.warn_at.size(); ++i) {
        if (clk.warn_at[i] > clk.due) return fail("warning after due", c);
        if (i > 0 && clk.warn_at[i] < clk.warn_at[i - 1]) return fail("warnings out of order", c);
      }
    }
    return true;
  }

  std::mt19937 rng_;
  ticket t_;
  std::vector<event> log_;
  ticket from_;  // the ticket before the current step, for messages
  instant now_{};
  std::size_t accepted_ = 0;
  std::size_t rejected_ = 0;
};

struct totals {
  std::size_t accepted = 0;
  std::size_t rejected = 0;
  std::vector<int> final_status = std::vector<int>(kAllStatuses.size(), 0);
  std::map<std::string, int> event_types;
};

totals run_many(std::uint32_t first_seed, int sequences, int steps) {
  totals out;
  for (int i = 0; i < sequences; ++i) {
    const std::uint32_t seed = first_seed + static_cast<std::uint32_t>(i);
    runner r(seed);
    const bool ok = r.run(steps);
    EXPECT_TRUE(ok) << "seed " << seed;
    if (!ok) break;
    out.accepted += r.accepted();
    out.rejected += r.rejected();
    out.final_status[static_cast<std::size_t>(r.final_ticket().st)]++;
    for (const auto& e : r.log()) out.event_types[std::string(event_type(e.body))]++;
  }
  return out;
}

// The generator must actually exercise both paths, reach every final status and
// produce every event type, or the invariants above prove little.
void expect_coverage(const totals& t, int sequences) {
  EXPECT_GT(t.accepted, static_cast<std::size_t>(sequences) * 5);
  EXPECT_GT(t.rejected, static_cast<std::size_t>(sequences) * 5);
  for (auto s : kAllStatuses) {
    EXPECT_GT(t.final_status[static_cast<std::size_t>(s)], 0) << "no sequence ended " << to_string(s);
  }
  EXPECT_EQ(t.event_types.size(), std::variant_size_v<event_body>);
}

TEST(decide_property, random_command_sequences_keep_every_invariant) {
  constexpr int kSequences = 2000;
  expect_coverage(run_many(1, kSequences, 40), kSequences);
}

TEST(decide_property, long_random_sequences_keep_every_invariant) {
  constexpr int kSequences = 200;
  expect_coverage(run_many(100000, kSequences, 200), kSequences);
}

TEST(decide_property, the_same_seed_gives_the_same_ticket) {
  for (std::uint32_t seed : {7u, 42u, 2026u}) {
    runner a(seed);
    runner b(seed);
    ASSERT_TRUE(a.run(60));
    ASSERT_TRUE(b.run(60));
    EXPECT_EQ(a.final_ticket(), b.final_ticket()) << "seed " << seed;
    EXPECT_GT(a.final_ticket().version, 2u);
  }
}

// The codec over the same random lives: every event and every intermediate ticket
// survives encode -> text -> parse -> decode.
TEST(codec_property, events_of_random_lives_round_trip_through_json_text) {
  for (std::uint32_t seed = 500000; seed < 500300; ++seed) {
    runner r(seed);
    ASSERT_TRUE(r.run(60));
    std::vector<event> decoded;
    for (const auto& e : r.log()) {
      const std::string text = codec::to_text(codec::encode(e));
      auto v = codec::parse(text);
      ASSERT_TRUE(v.ok()) << "seed " << seed << ": " << v.err().message << " in " << text;
      auto d = codec::decode_event(*v);
      ASSERT_TRUE(d.ok()) << "seed " << seed << ": " << d.err().field << " " << d.err().message << " in " << text;
      EXPECT_EQ(codec::to_text(codec::encode(*d)), text) << "seed " << seed;
      decoded.push_back(std::move(*d));
    }
    EXPECT_TRUE(fold(decoded) == r.final_ticket()) << "seed " << seed;
  }
}

TEST(codec_property, tickets_of_random_lives_round_trip_through_json_text) {
  for (std::uint32_t seed = 600000; seed < 600300; ++seed) {
    runner r(seed);
    ASSERT_TRUE(r.run(60));
    ticket t;
    for (const auto& e : r.log()) {
      t = apply(t, e);
      auto v = codec::parse(codec::to_text(codec::encode(t)));
      ASSERT_TRUE(v.ok());
      auto d = codec::decode_ticket(*v);
      ASSERT_TRUE(d.ok()) << "seed " << seed << ": " << d.err().field << " " << d.err().message;
      ASSERT_TRUE(*d == t) << "seed " << seed << " after " << event_type(e.body) << " (seq " << e.seq
                           << "): " << codec::to_text(codec::encode(t));
    }
  }
}

}  // namespace
}  // namespace doorstep
