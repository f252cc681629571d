// Metrics as an operator reads them: the engine on the simulated clock over a real
// RocksDB with its probes, checked through the text a Prometheus scrape gets. Command
// latency, the timer backlog and RocksDB write stalls.
#include <gtest/gtest.h>

#include <future>
#include <optional>
#include <sstream>
#include <thread>

#include "metrics/probe.h"
#include "metrics/store_probe.h"
#include "runtime/engine.h"
#include "support/test_support.h"

namespace doorstep {
namespace {

using testing::action;
using testing::at;
using testing::demo_config;
using testing::submit;
using testing::temp_dir;

// The value of one series in a text exposition (labels in sorted order, as
// prometheus-cpp writes them), or nullopt when the scrape has no such line.
std::optional<double> sample(const std::string& scrape, const std::string& series) {
  std::istringstream in(scrape);
  for (std::string line; std::getline(in, line);) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 && line[series.size()] == ' ') {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return std::nullopt;
}

class metrics_test : public ::testing::Test {
 protected:
  void SetUp() override { open(); }
  void TearDown() override {
    engine_.reset();
    store_.reset();
  }

  void open(const std::string& db = "db", std::function<void(rocksdb::Options&)> tune = {}) {
    engine_.reset();
    store_.reset();
    store::options o{demo_config().engine.partitions, false, true, false};
    o.tune = std::move(tune);
    auto s = store::store::open(dir_.path() / db, o);
    ASSERT_TRUE(s.ok()) << s.err().message;
    store_ = std::move(s).value();
    registry_ = std::make_unique<metrics::registry>();
    probe_ = std::make_unique<metrics::engine_probe>(registry_->get());
    store_probe_ = std::make_unique<metrics::store_probe>(*registry_, *store_);
    engine_ = std::make_unique<runtime::engine>(demo_config().rules, *store_, clock_,
                                                runtime::engine_options{2, 64, false, probe_.get()});
    registry_->on_scrape([this] { engine_->report_timer_backlog(); });
  }

  runtime::outcome run(command c) { return engine_->execute(std::move(c)); }
  std::string ticket_of(command c) {
    auto o = run(std::move(c));
    EXPECT_TRUE(o.ok()) << o.err->message;
    return o.ticket_id;
  }
  double value(const std::string& series) {
    const auto text = registry_->scrape();
    auto v = sample(text, series);
    EXPECT_TRUE(v.has_value()) << series << " is not in the scrape:\n" << text;
    return v.value_or(-1);
  }

  temp_dir dir_;
  runtime::simulated_clock clock_{at(2026, 3, 2, 9)};  // Monday 09:00
  std::unique_ptr<store::store> store_;
  std::unique_ptr<metrics::registry> registry_;
  std::unique_ptr<metrics::engine_probe> probe_;
  std::unique_ptr<metrics::store_probe> store_probe_;
  std::unique_ptr<runtime::engine> engine_;
};

// ------------------------------------------------------------------ command latency

TEST_F(metrics_test, every_command_observes_its_latency_under_its_own_name) {
  const auto id = ticket_of(submit("runtai-huayuan-b1", "small_ads", "s-1"));
  ticket_of(submit("xingyan-jiayuan-b1", "noise", "s-2"));
  ASSERT_TRUE(run(action(id, accept_cmd{})).ok());
  EXPECT_FALSE(run(action(id, accept_cmd{})).ok());  // rejected commands wait for their group too
  EXPECT_EQ(value("doorstep_command_duration_seconds_count{command=\"submit\"}"), 2);
  EXPECT_EQ(value("doorstep_command_duration_seconds_count{command=\"accept\"}"), 2);
  EXPECT_EQ(value("doorstep_command_duration_seconds_bucket{command=\"accept\",le=\"+Inf\"}"), 2);
  EXPECT_FALSE(sample(registry_->scrape(), "doorstep_command_duration_seconds_count{command=\"resolve\"}"));
}

TEST_F(metrics_test, command_latency_includes_the_wait_in_the_partition_queue) {
  // The first command's callback holds the partition's strand; the second command,
  // queued meanwhile on the same partition, waits at least as long as it is held.
  std::promise<void> release;
  auto released = release.get_future().share();
  std::promise<void> holding;
  std::promise<void> first_done;
  engine_->post(submit("runtai-huayuan-b1", "small_ads", "s-1"), [released, &holding, &first_done](runtime::outcome) {
    holding.set_value();
    released.wait();
    first_done.set_value();
  });
  holding.get_future().wait();  // the first group is committed; its callback holds the strand
  std::promise<runtime::outcome> second;
  engine_->post(submit("runtai-huayuan-b1", "noise", "s-2"), [&second](runtime::outcome o) { second.set_value(o); });
  const auto held = std::chrono::milliseconds(60);
  std::this_thread::sleep_for(held);
  release.set_value();
  first_done.get_future().wait();
  ASSERT_TRUE(second.get_future().get().ok());
  EXPECT_EQ(value("doorstep_command_duration_seconds_count{command=\"submit\"}"), 2);
  EXPECT_GE(value("doorstep_command_duration_seconds_sum{command=\"submit\"}"),
            std::chrono::duration<double>(held).count());
  // a group commit's own duration excludes the wait
  EXPECT_LT(value("doorstep_group_commit_duration_seconds_sum"), value("doorstep_command_duration_seconds_sum{command=\"submit\"}"));
}

// ------------------------------------------------------------------ timer backlog

TEST_F(metrics_test, the_timer_backlog_counts_deadlines_due_and_not_fired_until_they_fire) {
  const auto partitions = demo_config().engine.partitions;
  ASSERT_NE(runtime::partition_for_community("runtai", partitions), runtime::partition_for_community("xingyan", partitions));
  const auto a = run(submit("runtai-huayuan-b1", "small_ads", "s-1"));
  const auto b = run(submit("xingyan-jiayuan-b1", "small_ads", "s-2"));  // another partition
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(value("doorstep_timer_backlog"), 0);
  EXPECT_EQ(value("doorstep_timer_backlog_age_seconds"), 0);

  // Move the clock past some deadlines without firing them (as a stuck partition would).
  const auto now = at(2026, 3, 2, 11, 30);
  clock_.advance_to(now);
  std::size_t due = 0;
  instant oldest = now;
  for (const auto* t : {&a.after, &b.after}) {
    for (const auto& p : pending_timers(*t)) {
      if (p.at <= now) {
        ++due;
        oldest = std::min(oldest, p.at);
      }
    }
  }
  ASSERT_GE(due, 4u);  // both accept warnings of both tickets at least
  EXPECT_EQ(value("doorstep_timer_backlog"), static_cast<double>(due));
  EXPECT_DOUBLE_EQ(value("doorstep_timer_backlog_age_seconds"), std::chrono::duration<double>(now - oldest).count());
  EXPECT_EQ(engine_->backlog(1).due, 2u);  // capped per partition: 1 each from two partitions

  // Firing them empties the backlog.
  EXPECT_EQ(engine_->advance_to(now), due);
  EXPECT_EQ(value("doorstep_timer_backlog"), 0);
  EXPECT_EQ(value("doorstep_timer_backlog_age_seconds"), 0);
}

// ------------------------------------------------------------------ store stalls

TEST_F(metrics_test, rocksdb_write_stalls_are_counted_and_exported_at_scrape_time) {
  // No compaction and tiny L0 limits: the second table file delays writes, the third
  // stops them.
  open("stalls", [](rocksdb::Options& o) {
    o.compaction_style = rocksdb::kCompactionStyleNone;
    o.level0_file_num_compaction_trigger = 2;
    o.level0_slowdown_writes_trigger = 2;
    o.level0_stop_writes_trigger = 3;
  });
  EXPECT_EQ(value("doorstep_store_write_stalls_total{condition=\"delayed\"}"), 0);
  EXPECT_EQ(value("doorstep_store_write_stalls_total{condition=\"stopped\"}"), 0);
  EXPECT_EQ(value("doorstep_store_write_stopped"), 0);
  EXPECT_EQ(value("doorstep_store_delayed_write_rate_bytes_per_second"), 0);

  rocksdb::FlushOptions flush;
  flush.allow_write_stall = true;
  const auto flush_one = [&](const std::string& source) {
    ASSERT_TRUE(run(submit("runtai-huayuan-b1", "noise", source)).ok());
    ASSERT_TRUE(store_->db()->Flush(flush).ok());
  };
  // RocksDB notifies listeners on its own threads, shortly after the flush returns.
  const auto wait_for = [&](auto done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    return done();
  };

  flush_one("s-1");
  flush_one("s-2");
  ASSERT_TRUE(wait_for([&] { return store_->write_stalls().now == store::write_condition::delayed; }));
  EXPECT_EQ(value("doorstep_store_write_stalls_total{condition=\"delayed\"}"), 1);
  EXPECT_GT(value("doorstep_store_delayed_write_rate_bytes_per_second"), 0);
  EXPECT_EQ(value("doorstep_store_write_stopped"), 0);
  const double delayed_before = value("doorstep_store_write_stall_seconds_total{condition=\"delayed\"}");
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_GE(value("doorstep_store_write_stall_seconds_total{condition=\"delayed\"}"), delayed_before + 0.02);

  flush_one("s-3");
  ASSERT_TRUE(wait_for([&] { return store_->write_stalls().now == store::write_condition::stopped; }));
  EXPECT_EQ(value("doorstep_store_write_stalls_total{condition=\"stopped\"}"), 1);
  EXPECT_EQ(value("doorstep_store_write_stopped"), 1);
  EXPECT_GT(value("doorstep_store_write_stall_seconds_total{condition=\"delayed\"}"), 0);
  // (writes would now block: the test ends without another command)
}

}  // namespace
}  // namespace doorstep
