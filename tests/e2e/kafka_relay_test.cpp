// The outbox relay against librdkafka's mock cluster with injected produce failures:
// refused deliveries are counted and sent again from the delivery cursor, nothing is
// lost, and the first occurrence of every event comes in order per ticket.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <prometheus/registry.h>
#include <thread>

#include "kafka/dev_broker.h"
#include "kafka/relay.h"
#include "runtime/engine.h"
#include "store/fsck.h"
#include "store/keys.h"
#include "store/outbox.h"
#include "support/faulty_fs.h"
#include "support/test_support.h"

namespace doorstep {
namespace {

using testing::demo_config;
using testing::temp_dir;

constexpr std::int16_t kProduceApi = 0;  // Kafka protocol ApiKey of Produce

// Every message of a topic, read from the beginning of each partition to its end.
std::vector<std::string> read_all(const std::string& bootstrap, const std::string& topic, int partitions) {
  auto c = kafka::make_conf(bootstrap, {{"group.id", "relay-test-reader"}, {"enable.partition.eof", "true"}}, {});
  EXPECT_TRUE(c.ok());
  auto rk = kafka::make_client(RD_KAFKA_CONSUMER, std::move(*c));
  EXPECT_TRUE(rk.ok());
  kafka::partition_list parts(rd_kafka_topic_partition_list_new(partitions));
  for (int p = 0; p < partitions; ++p) {
    rd_kafka_topic_partition_list_add(parts.get(), topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  }
  rd_kafka_assign(rk->get(), parts.get());
  std::vector<std::string> out;
  int at_end = 0;
  for (int i = 0; i < 600 && at_end < partitions; ++i) {
    kafka::message m(rd_kafka_consumer_poll(rk->get(), 100));
    if (!m) continue;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      ++at_end;
    } else if (!m->err) {
      out.emplace_back(static_cast<const char*>(m->payload), m->len);
    }
  }
  rd_kafka_consumer_close(rk->get());
  return out;
}

// Ticket events staged in the store's outbox, over all partitions.
std::uint64_t staged_events(const store::store& st) {
  std::uint64_t n = 0;
  for (unsigned p = 0; p < st.partitions(); ++p) n += store::staged(st, p, store::stream::ticket_events).value();
  return n;
}

// Waits up to 30 s for the relay to have `n` entries acknowledged.
void wait_published(const kafka::relay& relay, std::uint64_t n) {
  for (int i = 0; i < 300 && relay.published() < n; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(relay.published(), n);
}

// Each test: a three-partition dev broker and a directory for its store.
class kafka_relay : public ::testing::Test {
 protected:
  void SetUp() override {
    k_.topic_partitions = 3;
    auto b = kafka::dev_broker::start(1, k_);
    ASSERT_TRUE(b.ok()) << b.err().message;
    broker_ = std::move(*b);
  }

  temp_dir dir_;
  config::kafka_settings k_ = demo_config().kafka;
  std::unique_ptr<kafka::dev_broker> broker_;
};

TEST_F(kafka_relay, refused_deliveries_are_sent_again_and_nothing_is_lost) {
  auto st = store::store::open(dir_.path() / "db", store::options{demo_config().engine.partitions, false, true, false});
  ASSERT_TRUE(st.ok());
  prometheus::Registry registry;
  kafka::probe probe(registry);
  kafka::relay relay(**st, k_, broker_->bootstrap(), &probe);
  runtime::simulated_clock clock(testing::at(2026, 3, 2, 9));
  runtime::engine_options opts{2, 64, false};
  opts.commit_events = true;  // as serve wires it: rewinds are resent from the relay's memory
  opts.on_commit = [&relay](unsigned p, std::vector<store::staged_event> events) {
    relay.committed(p, std::move(events));
  };
  runtime::engine eng(demo_config().rules, **st, clock, opts);

  // The cluster refuses the next few produce requests outright (not retriable).
  rd_kafka_mock_push_request_errors(broker_->cluster(), kProduceApi, 4, RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED,
                                    RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED,
                                    RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED,
                                    RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
  ASSERT_TRUE(relay.start().ok());
  std::map<std::string, std::uint64_t> versions;
  for (int i = 0; i < 60; ++i) {
    auto o = eng.execute(testing::submit(i % 2 ? "runtai-huayuan-b1" : "runtai-xincun-b1", i % 3 ? "noise" : "garbage",
                                         "relay-" + std::to_string(i), "第" + std::to_string(i) + "次投诉：楼上噪音"));
    ASSERT_TRUE(o.ok()) << o.err->message;
    versions[o.ticket_id] = o.after->version;
  }
  const auto staged = staged_events(**st);
  wait_published(relay, staged);
  relay.stop();

  double errors = 0;
  for (const auto& fam : registry.Collect()) {
    if (fam.name == "doorstep_kafka_delivery_errors_total") {
      for (const auto& m : fam.metric) errors += m.counter.value;
    }
  }
  EXPECT_GT(errors, 0) << "the injected failures were not seen";
  // Acknowledged entries are gone from the outbox; the cursors are at the end.
  for (unsigned p = 0; p < (*st)->partitions(); ++p) {
    EXPECT_EQ(store::delivered(**st, p, store::stream::ticket_events).value(),
              store::staged(**st, p, store::stream::ticket_events).value());
    EXPECT_TRUE(store::read_stream(**st, p, store::stream::ticket_events, 0, 10).value().empty());
  }
  auto r = store::fsck(**st, [](const ticket& t) { return demo_config().rules->duplicate_scope_of(t.jurisdiction_id); });
  EXPECT_TRUE(r.ok()) << (r.problems.empty() ? "" : r.problems.front());

  // On the topic: every event of every ticket, first occurrences in order per ticket.
  std::map<std::string, std::uint64_t> highest;
  std::map<std::string, std::set<std::uint64_t>> seen;
  for (const auto& text : read_all(broker_->bootstrap(), k_.ticket_events_topic, 3)) {
    auto v = boost::json::parse(text).as_object();
    const std::string id(v.at("ticket_id").as_string());
    const auto seq = static_cast<std::uint64_t>(v.at("seq").as_int64());
    if (!seen[id].count(seq)) {
      EXPECT_EQ(seq, highest[id] + 1) << id;
      highest[id] = seq;
    }
    seen[id].insert(seq);
  }
  EXPECT_EQ(seen.size(), versions.size());
  for (const auto& [id, version] : versions) {
    auto t = (*st)->load_ticket(id);
    EXPECT_EQ(seen[id].size(), (*t)->version) << id;
  }
}

// Ticket events handed over by the engine are sent from the relay's memory; what its
// memory does not hold (here, with room for 8 a partition, most of what was committed
// before the relay started) is read from the store. Either way every event is sent
// once, in order, exactly as the event log holds it, and the cursors reach the end.
TEST_F(kafka_relay, handed_over_events_are_sent_from_memory_and_the_rest_read_from_the_store) {
  auto st = store::store::open(dir_.path() / "db", store::options{demo_config().engine.partitions, false, true, false});
  ASSERT_TRUE(st.ok());
  kafka::relay relay(**st, k_, broker_->bootstrap(), nullptr, 8);
  runtime::simulated_clock clock(testing::at(2026, 3, 2, 9));
  runtime::engine_options opts{2, 64, false};
  opts.commit_events = true;
  opts.on_commit = [&relay](unsigned p, std::vector<store::staged_event> events) {
    relay.committed(p, std::move(events));
  };
  runtime::engine eng(demo_config().rules, **st, clock, opts);
  const auto appeal = [&](int i) {
    auto o = eng.execute(testing::submit(i % 2 ? "runtai-huayuan-b1" : "xingyan-g1", i % 3 ? "noise" : "garbage",
                                         "memory-" + std::to_string(i), "第" + std::to_string(i) + "次反映：垃圾清运不及时"));
    ASSERT_TRUE(o.ok()) << o.err->message;
  };
  for (int i = 0; i < 40; ++i) appeal(i);  // handed over before the relay runs
  const auto before_start = staged_events(**st);
  ASSERT_TRUE(relay.start().ok());
  wait_published(relay, before_start);
  const auto read_back = relay.read_from_store();
  EXPECT_GT(read_back, 0u) << "more was committed than the relay's memory holds";
  EXPECT_LT(read_back, before_start) << "nothing was sent from memory";

  for (int i = 40; i < 100; ++i) appeal(i);  // handed over while it runs
  const auto staged = staged_events(**st);
  wait_published(relay, staged);
  relay.stop();
  EXPECT_LT(relay.read_from_store(), staged);
  for (unsigned p = 0; p < (*st)->partitions(); ++p) {
    EXPECT_EQ(store::delivered(**st, p, store::stream::ticket_events).value(),
              store::staged(**st, p, store::stream::ticket_events).value());
  }

  // Each event once, in order per ticket, byte for byte what the event log holds.
  const auto messages = read_all(broker_->bootstrap(), k_.ticket_events_topic, 3);
  EXPECT_EQ(messages.size(), staged);
  std::map<std::string, std::uint64_t> highest;
  for (const auto& text : messages) {
    auto v = boost::json::parse(text).as_object();
    const std::string id(v.at("ticket_id").as_string());
    const auto seq = static_cast<std::uint64_t>(v.at("seq").as_int64());
    EXPECT_EQ(seq, highest[id] + 1) << id;
    highest[id] = seq;
    std::optional<std::string> logged;
    for (unsigned p = 0; p < (*st)->partitions() && !logged; ++p) logged = (*st)->get(store::event_key(p, id, seq));
    ASSERT_TRUE(logged.has_value()) << id << "/" << seq;
    EXPECT_EQ(*logged, text);
  }
  EXPECT_NE(messages.front().find("垃圾清运不及时"), std::string::npos);
}

// A relay that starts while its store cannot be read sends nothing (from a cursor it
// could not read it would count acknowledgements that never reach it, and resend
// everything after every restart), then, once the disk reads again, delivers every
// entry after the stored cursor exactly once and moves the cursor to the end.
TEST_F(kafka_relay, a_relay_that_cannot_read_its_store_waits_and_then_delivers_from_the_cursor) {
  auto fs = std::make_shared<testing::faulty_fs>();
  auto env = testing::faulty_fs::env_over(fs);
  store::options o{demo_config().engine.partitions, false, true, false};
  o.tune = [&env](rocksdb::Options& r) {
    r.env = env.get();
    testing::faulty_fs::without_block_cache(r);
  };
  auto st = store::store::open(dir_.path() / "db", o);
  ASSERT_TRUE(st.ok()) << st.err().message;
  {
    runtime::simulated_clock clock(testing::at(2026, 3, 2, 9));
    runtime::engine eng(demo_config().rules, **st, clock, runtime::engine_options{2, 64, false});
    for (int i = 0; i < 20; ++i) {
      auto r = eng.execute(testing::submit(i % 2 ? "runtai-huayuan-b1" : "runtai-xincun-b1", "noise",
                                           "cursor-" + std::to_string(i), "第" + std::to_string(i) + "次投诉：楼上噪音"));
      ASSERT_TRUE(r.ok()) << r.err->message;
    }
  }
  // An earlier relay delivered the first two entries of every partition.
  const auto events = store::stream::ticket_events;
  std::uint64_t staged = 0, delivered_before = 0;
  for (unsigned p = 0; p < (*st)->partitions(); ++p) {
    const auto n = store::staged(**st, p, events).value();
    staged += n;
    if (n < 2) continue;
    ASSERT_TRUE(store::mark_delivered(**st, p, events, 2).ok());
    delivered_before += 2;
  }
  ASSERT_GT(delivered_before, 0u);
  ASSERT_TRUE((*st)->db()->Flush(rocksdb::FlushOptions()).ok());

  fs->fail_reads = true;
  kafka::relay relay(**st, k_, broker_->bootstrap(), nullptr);
  ASSERT_TRUE(relay.start().ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  EXPECT_EQ(relay.published(), 0u) << "sent while the cursor could not be read";
  EXPECT_GT(fs->failed, 0u);

  fs->fail_reads = false;
  const auto expected = staged - delivered_before;
  for (int i = 0; i < 300 && relay.published() < expected; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  relay.stop();
  EXPECT_EQ(relay.published(), expected);
  for (unsigned p = 0; p < (*st)->partitions(); ++p) {
    EXPECT_EQ(store::delivered(**st, p, events).value(), store::staged(**st, p, events).value()) << "partition " << p;
    EXPECT_TRUE(store::read_stream(**st, p, events, 0, 10).value().empty()) << "partition " << p;
  }
  EXPECT_EQ(read_all(broker_->bootstrap(), k_.ticket_events_topic, 3).size(), expected);
}

}  // namespace
}  // namespace doorstep
