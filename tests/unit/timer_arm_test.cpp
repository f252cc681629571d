// The engine's deadline timers on a real (not simulated) clock: a partition waits for
// its earliest pending deadline and, after a group commit, re-arms only when the group
// committed an earlier one. The clock here is the system clock shifted by an offset the
// test sets, so a ticket can be created whose deadline falls due in real time within a
// second, while the partition already waits for a deadline hours away.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "runtime/engine.h"
#include "support/test_support.h"

namespace doorstep {
namespace {

using testing::demo_config;
using testing::submit;
using testing::temp_dir;

class shifted_clock final : public runtime::clock {
 public:
  instant now() const override { return from_millis(to_millis(runtime::system_clock{}.now()) + offset_ms.load()); }
  bool simulated() const override { return false; }
  std::atomic<std::int64_t> offset_ms{0};
};

std::int64_t first_deadline_ms(const ticket& t) {
  std::int64_t first = INT64_MAX;
  for (const auto& p : pending_timers(t)) first = std::min(first, to_millis(p.at));
  return first;
}

TEST(timer_arm, a_deadline_earlier_than_the_one_a_partition_waits_for_fires_on_time) {
  temp_dir dir;
  auto st = store::store::open(dir.path() / "db", store::options{demo_config().engine.partitions, false, true, false});
  ASSERT_TRUE(st.ok()) << st.err().message;
  shifted_clock clock;
  runtime::engine eng(demo_config().rules, **st, clock, runtime::engine_options{2, 64, true});

  // The partition's first deadline: a small matter's, at least a working hour away (an
  // hour of wall time inside working hours, days across a weekend), far past the few
  // seconds this test runs.
  auto far = eng.execute(submit("runtai-huayuan-b1", "small_ads", "arm-far", "楼道里贴满了小广告"));
  ASSERT_TRUE(far.ok()) << far.err->message;
  const auto far_first = first_deadline_ms(*far.after);
  ASSERT_GT(far_first - to_millis(clock.now()), 60'000);

  // How long after creation a gas smell's first deadline falls (24x7: always the same).
  // The probe ticket is in another community, so in general in another partition.
  auto probe = eng.execute(submit("jingfang-5", "gas_smell", "arm-probe", "闻到煤气味"));
  ASSERT_TRUE(probe.ok()) << probe.err->message;
  const auto lead = first_deadline_ms(*probe.after) - to_millis(probe.after->created_at);
  ASSERT_GT(lead, 60'000);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the partitions have armed

  // Beside the small matter, a gas smell whose first deadline is due in 700 ms of real
  // time: created on a clock set back by its lead, then the clock is set right again.
  clock.offset_ms = 700 - lead;
  auto near = eng.execute(submit("runtai-huayuan-b1", "gas_smell", "arm-near", "3号楼闻到燃气味"));
  clock.offset_ms = 0;
  ASSERT_TRUE(near.ok()) << near.err->message;
  ASSERT_FALSE(near.joined);
  ASSERT_EQ(store::partition_of_ticket(near.ticket_id), store::partition_of_ticket(far.ticket_id));
  const auto due = first_deadline_ms(*near.after);
  ASSERT_LT(due, far_first);

  // It fires within a second of falling due, not when the small matter's deadline does.
  bool fired = false;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!fired && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    auto log = (*st)->load_events(near.ticket_id);
    ASSERT_TRUE(log.ok());
    for (const auto& e : *log) {
      if (std::holds_alternative<sla_at_risk_ev>(e.body) || std::holds_alternative<sla_breached_ev>(e.body)) {
        fired = true;
        EXPECT_GE(to_millis(e.at), due);
        EXPECT_LT(to_millis(e.at), due + 1000);
      }
    }
  }
  EXPECT_TRUE(fired) << "the gas smell's deadline did not fire within 5 s";
}

}  // namespace
}  // namespace doorstep
