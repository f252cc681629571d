// Pipelined sync (durability: sync): the engine writes a group, hands its fsync to the
// syncer and decides the next group meanwhile. A command is acknowledged only once its
// group is durable, and readers outside the partitions never see what is not.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "runtime/engine.h"
#include "store/keys.h"
#include "support/test_support.h"

namespace doorstep {
namespace {

using testing::at;
using testing::demo_config;
using testing::submit;
using testing::temp_dir;

constexpr const char* kPlaces[] = {"runtai-huayuan-b1", "runtai-huayuan-b2"};

std::unique_ptr<store::store> open_store(const temp_dir& dir, bool sync) {
  auto s = store::store::open(dir.path() / "db", store::options{demo_config().engine.partitions, sync, true, false});
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.err().message);
  return std::move(s).value();
}

// Submits `n` appeals at once from this thread; each callback, as it runs, reads its
// ticket and source id back as any reader outside the partitions would.
struct burst {
  std::mutex mu;
  std::condition_variable all_done;
  std::size_t answered = 0, acknowledged = 0, shown = 0;
  std::vector<std::string> missing;
};

void submit_burst(runtime::engine& e, store::store& s, std::size_t n, burst& b) {
  for (std::size_t i = 0; i < n; ++i) {
    auto c = submit(kPlaces[i % 2], "street_light", "burst-" + std::to_string(i), "第" + std::to_string(i) + "号楼下的路灯不亮了");
    const auto p = e.partition_of(c);
    ASSERT_TRUE(p.ok());
    e.post(std::move(c), [&b, &s, i, part = *p](runtime::outcome o) {
      bool shown = false;
      if (o.ok()) {
        auto t = s.load_ticket(o.ticket_id);
        const auto source = s.get(store::source_key(part, "burst-" + std::to_string(i)));
        shown = t.ok() && t->has_value() && (*t)->version >= o.after->version && source == o.ticket_id;
      }
      std::lock_guard lock(b.mu);
      ++b.answered;
      if (o.ok()) ++b.acknowledged;
      if (shown) ++b.shown;
      if (o.ok() && !shown) b.missing.push_back(o.ticket_id);
      b.all_done.notify_all();
    });
  }
  std::unique_lock lock(b.mu);
  b.all_done.wait(lock, [&] { return b.answered == n; });
}

// Runs a burst of `n` on an engine over a store that syncs or not.
void run_burst(bool sync, std::size_t n, burst& b) {
  temp_dir dir;
  auto s = open_store(dir, sync);
  runtime::simulated_clock clock{at(2026, 3, 2, 9)};
  runtime::engine e(demo_config().rules, *s, clock, runtime::engine_options{2, 16, false});
  submit_burst(e, *s, n, b);
  EXPECT_TRUE(e.healthy());
}

TEST(pipelined_sync, every_acknowledged_command_is_already_shown_to_readers) {
  burst b;
  run_burst(true, 600, b);
  EXPECT_EQ(b.acknowledged, 600u);
  EXPECT_EQ(b.shown, 600u) << "acknowledged before readers could see it, e.g. " << (b.missing.empty() ? "" : b.missing.front());
}

// The same burst on a store that does not sync: nothing is held back, and the engine
// answers as before.
TEST(pipelined_sync, a_store_that_does_not_sync_is_read_at_its_latest_state) {
  burst b;
  run_burst(false, 200, b);
  EXPECT_EQ(b.acknowledged, 200u);
  EXPECT_EQ(b.shown, 200u);
}

// Stopping the engine hands out every group still waiting for its sync, and after it
// readers see the latest state again (writes outside the engine are shown at once).
TEST(pipelined_sync, stopping_answers_every_waiting_group_and_lets_go_of_the_hold) {
  temp_dir dir;
  auto s = open_store(dir, true);
  runtime::simulated_clock clock{at(2026, 3, 2, 9)};
  std::atomic<std::size_t> answered{0};
  {
    runtime::engine e(demo_config().rules, *s, clock, runtime::engine_options{2, 8, false});
    for (int i = 0; i < 300; ++i) {
      e.post(submit(kPlaces[i % 2], "street_light", "stop-" + std::to_string(i), "垃圾桶满了没人清"),
             [&answered](runtime::outcome o) {
               if (o.ok()) ++answered;
             });
    }
    e.stop();
    EXPECT_EQ(answered.load(), 300u);
  }
  rocksdb::WriteBatch wb;
  wb.Put("meta|probe", "写入");
  ASSERT_TRUE(s->write(wb, "probe").ok());
  EXPECT_EQ(s->get("meta|probe"), "写入");
}

}  // namespace
}  // namespace doorstep
