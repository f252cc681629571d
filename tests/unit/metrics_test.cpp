// Metrics as an operator reads them: the engine on the simulated clock over a real
// RocksDB with its probe, checked through the text a Prometheus scrape gets.
#include <gtest/gtest.h>

#include <future>
#include <optional>
#include <sstream>
#include <thread>

#include "metrics/probe.h"
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

  void open() {
    engine_.reset();
    store_.reset();
    auto s = store::store::open(dir_.path() / "db", store::options{demo_config().engine.partitions, false, true, false});
    ASSERT_TRUE(s.ok()) << s.err().message;
    store_ = std::move(s).value();
    registry_ = std::make_unique<metrics::registry>();
    probe_ = std::make_unique<metrics::engine_probe>(registry_->get());
    engine_ = std::make_unique<runtime::engine>(demo_config().rules, *store_, clock_,
                                                runtime::engine_options{2, 64, false, probe_.get()});
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

}  // namespace
}  // namespace doorstep
