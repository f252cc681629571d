// Consumer-group rebalances over the real protocol (librdkafka's mock cluster in
// process): two consumers of one engine join and leave while appeals stream in. Every
// appeal takes effect exactly once, and none is re-applied across a revoke (a re-applied
// appeal would show as a `duplicate` absorbed by its source id).
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <prometheus/registry.h>
#include <random>
#include <thread>

#include "kafka/consumer.h"
#include "kafka/dev_broker.h"
#include "runtime/engine.h"
#include "store/fsck.h"
#include "store/outbox.h"
#include "support/test_support.h"

namespace doorstep {
namespace {

using testing::demo_config;
using testing::temp_dir;

class kafka_rebalance : public ::testing::Test {
 protected:
  void SetUp() override {
    k_ = demo_config().kafka;
    k_.topic_partitions = 6;
    k_.group_id = "rebalance-test";
    k_.properties = {{"session.timeout.ms", "6000", "test"}, {"heartbeat.interval.ms", "500", "test"}};
    auto b = kafka::dev_broker::start(1, k_);
    ASSERT_TRUE(b.ok()) << b.err().message;
    broker_ = std::move(*b);
    auto s = store::store::open(dir_.path() / "db", store::options{demo_config().engine.partitions, false, true, false});
    ASSERT_TRUE(s.ok()) << s.err().message;
    store_ = std::move(*s);
    engine_ = std::make_unique<runtime::engine>(demo_config().rules, *store_, clock_, runtime::engine_options{2, 64, false});
    auto c = kafka::make_conf(broker_->bootstrap(), {{"linger.ms", "5"}}, {});
    ASSERT_TRUE(c.ok());
    auto p = kafka::make_client(RD_KAFKA_PRODUCER, std::move(*c));
    ASSERT_TRUE(p.ok());
    producer_ = std::move(*p);
    const auto& rules = *demo_config().rules;
    for (const auto& [id, n] : rules.tree().nodes()) {
      if (n.kind == routing::node_kind::building) places_.emplace_back(id, *rules.community_of(id));
    }
    std::sort(places_.begin(), places_.end());
  }
  void TearDown() override {
    engine_.reset();
    store_.reset();
  }

  void produce(std::size_t from, std::size_t to) {
    for (std::size_t i = from; i < to; ++i) {
      const auto& place = places_[i % places_.size()];
      const auto body = boost::json::serialize(boost::json::object{
          {"source_id", "rb-" + std::to_string(i)},
          {"category", i % 2 ? "street_light" : "garbage"},
          {"description", "第" + std::to_string(i) + "号诉求：楼道灯坏了"},
          {"location", boost::json::object{{"jurisdiction_id", place.first}}}});
      send(place.second, body);
    }
    ASSERT_EQ(rd_kafka_flush(producer_.get(), 30000), RD_KAFKA_RESP_ERR_NO_ERROR);
  }

  // Queues one message on the appeals topic, keyed `key` (flush to send).
  void send(const std::string& key, std::string_view value) {
    ASSERT_EQ(rd_kafka_producev(producer_.get(), RD_KAFKA_V_TOPIC(k_.appeals_topic.c_str()),
                                RD_KAFKA_V_KEY(key.data(), key.size()),
                                RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END),
              RD_KAFKA_RESP_ERR_NO_ERROR);
  }

  // Appeals in the store, by source id (origin or joined).
  std::map<std::string, int> appeals() {
    std::map<std::string, int> out;
    EXPECT_TRUE(store_->for_each_ticket([&](unsigned, const ticket& t) {
      ++out[t.origin.source_id];
      for (const auto& a : t.joined) ++out[a.source_id];
      return true;
    }).ok());
    return out;
  }

  bool wait_for_appeals(std::size_t n) {
    for (int i = 0; i < 240; ++i) {
      if (appeals().size() >= n) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    return false;
  }

  double consumed(const std::string& outcome) {
    double total = 0;
    for (const auto& fam : registry_.Collect()) {
      if (fam.name != "doorstep_kafka_messages_consumed_total") continue;
      for (const auto& m : fam.metric) {
        for (const auto& l : m.label) {
          if (l.name == "outcome" && l.value == outcome) total += m.counter.value;
        }
      }
    }
    return total;
  }

  temp_dir dir_;
  config::kafka_settings k_;
  std::unique_ptr<kafka::dev_broker> broker_;
  runtime::simulated_clock clock_{testing::at(2026, 3, 2, 9)};
  std::unique_ptr<store::store> store_;
  std::unique_ptr<runtime::engine> engine_;
  kafka::handle producer_;
  std::vector<std::pair<std::string, std::string>> places_;
  prometheus::Registry registry_;
  kafka::probe probe_{registry_};
};

TEST_F(kafka_rebalance, members_joining_and_leaving_apply_every_appeal_exactly_once) {
  auto a = std::make_unique<kafka::consumer>(*engine_, k_, broker_->bootstrap(), &probe_);
  ASSERT_TRUE(a->start().ok());
  produce(0, 300);
  ASSERT_TRUE(wait_for_appeals(100));
  // A second member joins mid-stream: every partition is revoked from A and shared out.
  kafka::consumer b(*engine_, k_, broker_->bootstrap(), &probe_);
  ASSERT_TRUE(b.start().ok());
  produce(300, 600);
  ASSERT_TRUE(wait_for_appeals(450));
  // A leaves mid-stream: its partitions move to B.
  a->stop();
  produce(600, 800);
  ASSERT_TRUE(wait_for_appeals(800)) << appeals().size() << " of 800";
  b.stop();

  const auto seen = appeals();
  EXPECT_EQ(seen.size(), 800u);
  for (const auto& [source, n] : seen) EXPECT_EQ(n, 1) << source;
  EXPECT_EQ(consumed("applied"), 800);
  EXPECT_EQ(consumed("duplicate"), 0) << "an appeal was handed to the engine twice and absorbed only by its source id";
  EXPECT_EQ(consumed("dead_lettered"), 0);
  // A clean handover records the position before the partition moves: the next owner
  // starts exactly after it and re-reads nothing.
  EXPECT_EQ(consumed("skipped"), 0);
  EXPECT_GT(b.handled(), 0u);
  auto r = store::fsck(*store_, [](const ticket& t) { return demo_config().rules->duplicate_scope_of(t.jurisdiction_id); });
  EXPECT_TRUE(r.ok()) << (r.problems.empty() ? "" : r.problems.front());
}

// A store that never read a partition starts it at offset 0, not at a looked-up
// "beginning" (a lookup per partition let some start fetching about half a second
// after the others). When the cluster has deleted the partition's oldest messages
// (here the dev broker's 5 MiB bound per partition), offset 0 is out of range and the
// consumer resets to the first message still there: nothing is skipped, nothing waits.
TEST_F(kafka_rebalance, a_partition_whose_oldest_messages_are_gone_is_read_from_its_first_message) {
  const std::string community = places_.front().second;
  std::mt19937 rng(7);
  std::string junk(4096, '\0');
  const int junk_messages = 1600;  // 6.25 MiB of incompressible payloads, on one partition
  for (int i = 0; i < junk_messages; ++i) {
    for (auto& c : junk) c = static_cast<char>(rng());
    send(community, junk);
  }
  ASSERT_EQ(rd_kafka_flush(producer_.get(), 30000), RD_KAFKA_RESP_ERR_NO_ERROR);
  // Ten real appeals after them, on the same partition.
  std::vector<std::string> places;
  for (const auto& [place, c] : places_) {
    if (c == community) places.push_back(place);
  }
  for (int i = 0; i < 10; ++i) {
    const auto body = boost::json::serialize(boost::json::object{
        {"source_id", "late-" + std::to_string(i)},
        {"category", i % 2 ? "street_light" : "garbage"},
        {"description", "第" + std::to_string(i) + "号诉求：路灯不亮"},
        {"location", boost::json::object{{"jurisdiction_id", places[i % places.size()]}}}});
    send(community, body);
  }
  ASSERT_EQ(rd_kafka_flush(producer_.get(), 30000), RD_KAFKA_RESP_ERR_NO_ERROR);
  std::int32_t partition = -1;
  std::int64_t low = -1, high = -1;
  for (std::int32_t p = 0; p < static_cast<std::int32_t>(k_.topic_partitions); ++p) {
    std::int64_t lo = -1, hi = -1;
    ASSERT_EQ(rd_kafka_query_watermark_offsets(producer_.get(), k_.appeals_topic.c_str(), p, &lo, &hi, 10000),
              RD_KAFKA_RESP_ERR_NO_ERROR);
    if (hi > 0) {
      ASSERT_EQ(partition, -1) << "one key, one partition";
      partition = p;
      low = lo;
      high = hi;
    }
  }
  ASSERT_EQ(high, junk_messages + 10);
  ASSERT_GT(low, 0) << "the broker kept every message: offset 0 is not out of range";

  kafka::consumer c(*engine_, k_, broker_->bootstrap(), &probe_);
  ASSERT_TRUE(c.start().ok());
  const auto wanted = static_cast<double>(high - low);
  for (int i = 0; i < 240 && consumed("applied") + consumed("dead_lettered") < wanted; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  c.stop();
  EXPECT_EQ(consumed("applied"), 10);
  EXPECT_EQ(consumed("dead_lettered"), wanted - 10);
  EXPECT_EQ(appeals().size(), 10u);
  const auto source = k_.appeals_topic + "/" + std::to_string(partition);
  EXPECT_EQ(store::resume_position(*store_, source).value(), std::optional<std::int64_t>(high));
}

}  // namespace
}  // namespace doorstep
