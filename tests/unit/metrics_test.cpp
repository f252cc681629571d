// Metrics as an operator reads them: the engine on the simulated clock over a real
// RocksDB with its probes, checked through the text a Prometheus scrape gets. Command
// latency, the timer backlog, RocksDB write stalls and the per-street counts behind the
// three rates.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
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
    o.commit_tap = [this](unsigned, std::string_view batch) { written_bytes_ += batch.size(); };
    auto s = store::store::open(dir_.path() / db, o);
    ASSERT_TRUE(s.ok()) << s.err().message;
    store_ = std::move(s).value();
    registry_ = std::make_unique<metrics::registry>();
    probe_ = std::make_unique<metrics::engine_probe>(
        registry_->get(), [](const std::string& place) { return demo_config().rules->street_of(place); });
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
  // RocksDB notifies listeners on its own threads, shortly after a flush returns.
  template <typename Done>
  static bool wait_for(Done done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    return done();
  }
  // Files one command into its own level-0 table file.
  void flush_one(const std::string& source) {
    ASSERT_TRUE(run(submit("runtai-huayuan-b1", "noise", source)).ok());
    rocksdb::FlushOptions flush;
    flush.allow_write_stall = true;
    ASSERT_TRUE(store_->db()->Flush(flush).ok());
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
  std::atomic<std::size_t> written_bytes_{0};  // what RocksDB was given, from the commit tap
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

TEST_F(metrics_test, commands_events_and_appeals_count_under_their_own_labels) {
  const auto id = ticket_of(submit("runtai-huayuan-b1", "small_ads", "s-1"));
  auto by_app = submit("xingyan-jiayuan-b1", "noise", "s-2", "楼上装修电钻声一直不停");
  std::get<submit_cmd>(by_app.body).a.via = channel::app;
  ticket_of(by_app);
  EXPECT_TRUE(run(submit("runtai-huayuan-b1", "small_ads", "s-1")).replayed);  // the same source again
  ASSERT_TRUE(run(action(id, accept_cmd{})).ok());
  EXPECT_FALSE(run(action(id, accept_cmd{})).ok());
  EXPECT_EQ(value("doorstep_commands_total{command=\"submit\",outcome=\"ok\"}"), 2);
  EXPECT_EQ(value("doorstep_commands_total{command=\"submit\",outcome=\"replayed\"}"), 1);
  EXPECT_EQ(value("doorstep_commands_total{command=\"accept\",outcome=\"ok\"}"), 1);
  EXPECT_EQ(value("doorstep_commands_total{command=\"accept\",outcome=\"rejected\"}"), 1);
  EXPECT_FALSE(sample(registry_->scrape(), "doorstep_commands_total{command=\"submit\",outcome=\"rejected\"}"));
  EXPECT_EQ(value("doorstep_ticket_transitions_total{type=\"received\"}"), 2);
  EXPECT_EQ(value("doorstep_ticket_transitions_total{type=\"accepted\"}"), 1);
  EXPECT_EQ(value("doorstep_appeals_received_total{category=\"small_ads\",channel=\"hotline\"}"), 1);
  EXPECT_EQ(value("doorstep_appeals_received_total{category=\"noise\",channel=\"app\"}"), 1);
  EXPECT_FALSE(sample(registry_->scrape(), "doorstep_appeals_received_total{category=\"noise\",channel=\"hotline\"}"));
  EXPECT_EQ(value("doorstep_tickets{level=\"building\",status=\"accepted\"}"), 1);
  EXPECT_EQ(value("doorstep_tickets{level=\"building\",status=\"dispatched\"}"), 1);
}

TEST_F(metrics_test, store_write_bytes_count_the_groups_that_wrote_and_their_size) {
  const auto id = ticket_of(submit("runtai-huayuan-b1", "small_ads", "s-1", "楼道里贴满了小广告，请尽快清理"));
  EXPECT_EQ(value("doorstep_store_write_bytes_count"), 1);
  const auto first = value("doorstep_store_write_bytes_sum");
  EXPECT_GT(first, 1000) << "two events, their outbox copies, a snapshot and index entries";
  EXPECT_FALSE(run(action(id, resolve_cmd{"好了"})).ok());  // rejected: wrote nothing, not observed
  EXPECT_EQ(value("doorstep_store_write_bytes_count"), 1);
  ASSERT_TRUE(run(action(id, accept_cmd{})).ok());
  EXPECT_EQ(value("doorstep_store_write_bytes_count"), 2);
  EXPECT_GT(value("doorstep_store_write_bytes_sum"), first);
}

TEST_F(metrics_test, store_write_bytes_are_what_was_written_snapshots_included) {
  // Every join rewrites the ticket's snapshot, which is encoded only when the group's
  // batch is built: the histogram's sum is the exact size of the batches RocksDB was
  // given, not the estimate made while staging.
  const std::string text = "小区东门的路灯坏了一个星期，晚上出入很不方便，请尽快维修";
  const auto id = ticket_of(submit("runtai-huayuan-b1", "street_light", "s-0", text));
  for (int i = 1; i <= 5; ++i) {
    auto o = run(submit("runtai-huayuan-b1", "street_light", "s-" + std::to_string(i), text));
    ASSERT_TRUE(o.ok()) << o.err->message;
    ASSERT_EQ(o.ticket_id, id);
  }
  EXPECT_EQ(value("doorstep_store_write_bytes_count"), 6);
  EXPECT_EQ(value("doorstep_store_write_bytes_sum"), static_cast<double>(written_bytes_.load()));
}

// The HTTP probe finds each route's counter and histogram by label values after the
// first request: every (route, code) pair counts on its own series, each route's
// latency on its own histogram with the latency buckets, from any thread.
TEST(http_probe, counts_each_route_and_code_and_times_each_route_from_several_threads) {
  metrics::registry registry;
  metrics::http_probe probe(registry.get());
  const auto work = [&probe] {
    for (int i = 0; i < 1000; ++i) {
      probe.request("/api/v1/appeals", i % 5 ? 201 : 200, 0.002);
      probe.request("/api/v1/tickets/{id}", i % 10 ? 200 : 404, 0.0002);
    }
  };
  std::thread a(work), b(work);
  a.join();
  b.join();
  const auto text = registry.scrape();
  EXPECT_EQ(sample(text, "doorstep_http_requests_total{code=\"201\",route=\"/api/v1/appeals\"}"), 1600);
  EXPECT_EQ(sample(text, "doorstep_http_requests_total{code=\"200\",route=\"/api/v1/appeals\"}"), 400);
  EXPECT_EQ(sample(text, "doorstep_http_requests_total{code=\"200\",route=\"/api/v1/tickets/{id}\"}"), 1800);
  EXPECT_EQ(sample(text, "doorstep_http_requests_total{code=\"404\",route=\"/api/v1/tickets/{id}\"}"), 200);
  EXPECT_EQ(sample(text, "doorstep_http_request_duration_seconds_count{route=\"/api/v1/appeals\"}"), 2000);
  EXPECT_EQ(sample(text, "doorstep_http_request_duration_seconds_bucket{route=\"/api/v1/appeals\",le=\"0.001\"}"), 0);
  EXPECT_EQ(sample(text, "doorstep_http_request_duration_seconds_bucket{route=\"/api/v1/appeals\",le=\"0.0025\"}"), 2000);
  EXPECT_EQ(sample(text, "doorstep_http_request_duration_seconds_bucket{route=\"/api/v1/tickets/{id}\",le=\"0.0005\"}"),
            2000);
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
  for (const auto* t : {a.after.get(), b.after.get()}) {
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

TEST_F(metrics_test, flushes_and_compactions_are_counted_with_their_time_and_bytes) {
  // Two level-0 files start a compaction into level 1.
  open("background", [](rocksdb::Options& o) { o.level0_file_num_compaction_trigger = 2; });
  for (const char* job : {"flush", "compaction"}) {
    const std::string l = std::string("{job=\"") + job + "\"}";
    EXPECT_EQ(value("doorstep_store_background_jobs_total" + l), 0);
    EXPECT_EQ(value("doorstep_store_background_seconds_total" + l), 0);
    EXPECT_EQ(value("doorstep_store_background_written_bytes_total" + l), 0);
    EXPECT_EQ(value("doorstep_store_background_running" + l), 0);
  }
  EXPECT_EQ(value("doorstep_store_pending_compaction_bytes"), 0);

  flush_one("s-1");
  ASSERT_TRUE(wait_for([&] { return store_->background_work().flushes == 1; }));
  EXPECT_EQ(value("doorstep_store_background_jobs_total{job=\"flush\"}"), 1);
  const double one_file = value("doorstep_store_background_written_bytes_total{job=\"flush\"}");
  EXPECT_GT(one_file, 0);
  EXPECT_GT(value("doorstep_store_background_seconds_total{job=\"flush\"}"), 0);
  EXPECT_EQ(value("doorstep_store_background_jobs_total{job=\"compaction\"}"), 0);

  flush_one("s-2");
  ASSERT_TRUE(wait_for([&] {
    const auto w = store_->background_work();
    return w.flushes == 2 && w.compactions == 1;
  }));
  const auto work = store_->background_work();
  EXPECT_EQ(value("doorstep_store_background_jobs_total{job=\"flush\"}"), 2);
  EXPECT_GT(value("doorstep_store_background_written_bytes_total{job=\"flush\"}"), one_file);
  EXPECT_EQ(value("doorstep_store_background_written_bytes_total{job=\"flush\"}"), static_cast<double>(work.flush_bytes));
  EXPECT_EQ(value("doorstep_store_background_jobs_total{job=\"compaction\"}"), 1);
  EXPECT_GT(value("doorstep_store_background_written_bytes_total{job=\"compaction\"}"), 0);
  EXPECT_EQ(value("doorstep_store_background_written_bytes_total{job=\"compaction\"}"),
            static_cast<double>(work.compaction_bytes));
  EXPECT_GT(value("doorstep_store_background_seconds_total{job=\"compaction\"}"), 0);
  // RocksDB notifies a compaction's end before it stops counting it as running.
  ASSERT_TRUE(wait_for([&] { return store_->int_property("rocksdb.num-running-compactions") == 0u; }));
  EXPECT_EQ(value("doorstep_store_background_running{job=\"compaction\"}"), 0);
}

// ------------------------------------------------------------------ three rates per street

TEST_F(metrics_test, the_counts_behind_the_three_rates_carry_the_street_of_the_ticket) {
  // Yanling street: accepted and contacted in time, resolved, verified, rated 5.
  const auto good = ticket_of(submit("runtai-huayuan-b1", "small_ads", "s-1"));
  clock_.advance_to(at(2026, 3, 2, 9, 30));
  ASSERT_TRUE(run(action(good, accept_cmd{})).ok());
  ASSERT_TRUE(run(action(good, contact_cmd{"已电话联系"})).ok());
  ASSERT_TRUE(run(action(good, resolve_cmd{"已清理"})).ok());
  ASSERT_TRUE(run(action(good, verify_cmd{true, "现场核查"}, role::supervisor)).ok());
  ASSERT_TRUE(run(action(good, rate_cmd{5, ""}, role::operator_)).ok());
  // Jichuan street: nobody accepts; the accept deadline (11:30) passes.
  ticket_of(submit("xingyan-jiayuan-b1", "small_ads", "s-2"));
  engine_->advance_to(at(2026, 3, 2, 11, 30));

  for (const char* clock : {"accept", "contact", "resolve", "verify"}) {
    EXPECT_EQ(value("doorstep_sla_outcomes_total{clock=\"" + std::string(clock) + "\",outcome=\"met\",street=\"yanling\"}"), 1)
        << clock;
  }
  EXPECT_EQ(value("doorstep_sla_outcomes_total{clock=\"accept\",outcome=\"breached\",street=\"jichuan\"}"), 1);
  const auto text = registry_->scrape();
  EXPECT_FALSE(sample(text, "doorstep_sla_outcomes_total{clock=\"accept\",outcome=\"met\",street=\"jichuan\"}"));
  EXPECT_FALSE(sample(text, "doorstep_sla_outcomes_total{clock=\"accept\",outcome=\"breached\",street=\"yanling\"}"));
  EXPECT_EQ(value("doorstep_ratings_total{score=\"5\",street=\"yanling\"}"), 1);
  EXPECT_EQ(value("doorstep_street_tickets{status=\"closed\",street=\"yanling\"}"), 1);
  EXPECT_EQ(value("doorstep_street_tickets{status=\"dispatched\",street=\"jichuan\"}"), 1);  // escalated to the grid
  EXPECT_EQ(text.find("runtai"), std::string::npos) << "no label below street level";
  EXPECT_EQ(text.find("T2026"), std::string::npos) << "no ticket ids";
}

TEST_F(metrics_test, a_late_step_counts_as_a_breach_once_and_a_breached_clock_is_not_counted_again) {
  const auto id = ticket_of(submit("runtai-huayuan-b1", "small_ads", "s-1"));
  // Contact due 13:00 (4 working hours with lunch): let its breach fire, then contact.
  const auto t = store_->load_ticket(id);
  const auto contact_due = (*t)->clock(clock_kind::contact).due;
  ASSERT_TRUE(run(action(id, accept_cmd{})).ok());
  engine_->advance_to(contact_due);
  ASSERT_TRUE(run(action(id, contact_cmd{"终于联系上"})).ok());
  EXPECT_EQ(value("doorstep_sla_outcomes_total{clock=\"contact\",outcome=\"breached\",street=\"yanling\"}"), 1);
  EXPECT_FALSE(sample(registry_->scrape(), "doorstep_sla_outcomes_total{clock=\"contact\",outcome=\"met\",street=\"yanling\"}"));
  // Resolved after its due instant, before the breach timer ran: a breach all the same.
  const auto resolve_due = (*store_->load_ticket(id))->clock(clock_kind::resolve).due;
  clock_.advance_to(resolve_due + std::chrono::minutes(1));
  ASSERT_TRUE(run(action(id, resolve_cmd{"处理完毕"})).ok());
  EXPECT_EQ(value("doorstep_sla_outcomes_total{clock=\"resolve\",outcome=\"breached\",street=\"yanling\"}"), 1);
}

TEST_F(metrics_test, street_gauges_start_from_the_store_and_follow_the_status) {
  const auto id = ticket_of(submit("runtai-huayuan-b1", "small_ads", "s-1"));
  ticket_of(submit("xingyan-jiayuan-b1", "noise", "s-2"));
  // A fresh engine and probe over the same store count what is already there.
  open();
  EXPECT_EQ(value("doorstep_street_tickets{status=\"dispatched\",street=\"yanling\"}"), 1);
  EXPECT_EQ(value("doorstep_street_tickets{status=\"dispatched\",street=\"jichuan\"}"), 1);
  // Returned (退单) to triage: the ticket moves between the status series of its street.
  ASSERT_TRUE(run(action(id, return_cmd{"不是本楼的问题"})).ok());
  EXPECT_EQ(value("doorstep_street_tickets{status=\"dispatched\",street=\"yanling\"}"), 0);
  EXPECT_EQ(value("doorstep_street_tickets{status=\"received\",street=\"yanling\"}"), 1);
  EXPECT_EQ(value("doorstep_street_tickets{status=\"dispatched\",street=\"jichuan\"}"), 1);
}

TEST_F(metrics_test, gauges_counted_from_the_store_at_startup_equal_the_ones_kept_while_running) {
  // Tickets in several statuses and levels, clocks at risk, breached and escalated.
  const auto returned = ticket_of(submit("runtai-huayuan-b1", "small_ads", "g-1"));
  ticket_of(submit("xingyan-jiayuan-b1", "noise", "g-2"));
  ticket_of(submit("runtai-xincun-b1", "gas_smell", "g-3"));
  ticket_of(submit("hongmei-xincun-b1", "noise", "g-4"));
  ASSERT_TRUE(run(action(returned, return_cmd{"不是本楼的问题"})).ok());
  engine_->advance_to(at(2026, 3, 2, 10, 40));  // past 75 % of the 2 h accept targets
  ticket_of(submit("jingfang-5-b2", "small_ads", "g-5"));
  engine_->advance_to(at(2026, 3, 2, 12, 15));  // the first accept targets breached, the last at risk
  // The non-zero series of the three ticket gauges, as scraped.
  auto gauges = [this] {
    std::istringstream in(registry_->scrape());
    std::vector<std::string> out;
    for (std::string line; std::getline(in, line);) {
      const bool ours = line.rfind("doorstep_tickets{", 0) == 0 || line.rfind("doorstep_street_tickets{", 0) == 0 ||
                        line.rfind("doorstep_sla_clocks{", 0) == 0;
      if (ours && std::stod(line.substr(line.rfind(' ') + 1)) != 0) out.push_back(line);
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  const auto running = gauges();
  auto has = [&](const std::string& part) {
    return std::any_of(running.begin(), running.end(), [&](const std::string& l) { return l.find(part) != std::string::npos; });
  };
  ASSERT_TRUE(has("state=\"breached\"")) << ::testing::PrintToString(running);
  ASSERT_TRUE(has("state=\"at_risk\"")) << ::testing::PrintToString(running);
  ASSERT_TRUE(has("status=\"received\"")) << ::testing::PrintToString(running);
  // A fresh engine and probe over the same store count the same from the worklist rows.
  open();
  EXPECT_EQ(gauges(), running);
}

}  // namespace
}  // namespace doorstep
