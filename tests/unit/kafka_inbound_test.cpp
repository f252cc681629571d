// The Kafka edge below the network: how a message becomes a job or a refusal (the
// dead-letter catalogue), how a partition applies a consumed message exactly once and
// parks what it cannot use, and how the outbox streams are read, delivered and checked.
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <thread>

#include "kafka/messages.h"
#include "kafka/probe.h"
#include "runtime/engine.h"
#include "store/fsck.h"
#include "store/outbox.h"
#include "support/test_support.h"

namespace doorstep {
namespace {

using testing::at;
using testing::demo_config;
using testing::temp_dir;

const std::string kAppeal =
    R"({"source_id":"12345-0001","category":"small_ads","description":"1号楼楼道里贴满了小广告",)"
    R"("location":{"jurisdiction_id":"runtai-huayuan-b1"},"resident":{"name":"王秀英","phone":"13812345678"}})";

kafka::raw_message message(std::string topic, std::optional<std::string> key, std::string payload,
                           std::int64_t offset = 7) {
  return kafka::raw_message{std::move(topic), 3, offset, 1795000000000, std::move(key), std::move(payload)};
}

kafka::routed_job route(kafka::inbound_kind kind, kafka::raw_message m) {
  const auto& cfg = demo_config();
  return kafka::route_message(*cfg.rules, cfg.engine.partitions, cfg.kafka, kind, std::move(m), at(2026, 3, 2, 9));
}

TEST(kafka_messages, an_appeal_becomes_a_submit_on_the_partition_of_its_community) {
  auto r = route(kafka::inbound_kind::appeal, message("doorstep.appeals.v1", "runtai", kAppeal));
  ASSERT_FALSE(r.job.in->refused) << r.job.in->refused->message;
  EXPECT_EQ(r.partition, runtime::partition_for_community("runtai", demo_config().engine.partitions));
  const auto& s = std::get<submit_cmd>(r.job.cmd.body);
  EXPECT_EQ(s.a.source_id, "12345-0001");
  EXPECT_EQ(s.a.description, "1号楼楼道里贴满了小广告");
  EXPECT_EQ(s.a.via, channel::integration);  // no channel given: it came from another system
  EXPECT_EQ(s.a.reported_at, from_millis(1795000000000));  // the message's own timestamp
  EXPECT_EQ(r.job.cmd.by.who, role::integration);
  EXPECT_EQ(r.job.in->payload, kAppeal);
  EXPECT_EQ(r.job.in->source(), "doorstep.appeals.v1/3");
}

// A message larger than the decoder's stack buffer (8 KiB) decodes as whole as a small
// one: here a 30,000-byte description (routing takes it; deciding refuses it later as
// longer than 4,000 bytes).
TEST(kafka_messages, a_message_larger_than_the_decode_buffer_decodes_whole) {
  std::string description;
  for (int i = 0; i < 2000; ++i) description += "楼道堆物" + std::to_string(i % 10);
  ASSERT_GT(description.size(), 20000u);
  const std::string body = R"({"source_id":"12345-0002","category":"small_ads","description":")" + description +
                           R"(","location":{"jurisdiction_id":"runtai-huayuan-b1"},"resident":{"name":"李娜"}})";
  auto r = route(kafka::inbound_kind::appeal, message("doorstep.appeals.v1", "runtai", body));
  ASSERT_FALSE(r.job.in->refused) << r.job.in->refused->message;
  const auto& s = std::get<submit_cmd>(r.job.cmd.body);
  EXPECT_EQ(s.a.description, description);
  EXPECT_EQ(s.a.source_id, "12345-0002");
  EXPECT_EQ(s.a.resident.name, "李娜");
}

TEST(kafka_messages, a_command_names_its_ticket_and_carries_a_command_id_as_idempotency_key) {
  const std::string body =
      R"({"command_id":"water-7781","ticket_id":"T20260302-006-000001","action":"resolve","note":"已更换灯泡","actor_id":"水务系统"})";
  auto r = route(kafka::inbound_kind::command, message("doorstep.commands.v1", "runtai", body));
  ASSERT_FALSE(r.job.in->refused) << r.job.in->refused->message;
  EXPECT_EQ(r.job.cmd.ticket_id, "T20260302-006-000001");
  EXPECT_EQ(std::get<resolve_cmd>(r.job.cmd.body).note, "已更换灯泡");
  EXPECT_EQ(r.job.cmd.idempotency_key, "kafka:water-7781");
  EXPECT_EQ(r.job.cmd.by.id, "水务系统");
  EXPECT_FALSE(r.job.cmd.idempotency_fingerprint.empty());
}

struct refusal_case {
  const char* name;
  kafka::inbound_kind kind;
  std::optional<std::string> key;
  std::string payload;
  const char* code;
};

TEST(kafka_messages, every_unusable_message_is_refused_with_a_specific_code) {
  using k = kafka::inbound_kind;
  const std::vector<refusal_case> cases{
      {"not JSON", k::appeal, "runtai", "楼道灯坏了 (not JSON)", "invalid_json"},
      {"invalid UTF-8", k::appeal, "runtai", "{\"description\":\"\xff\xfe\"}", "invalid_json"},
      {"a JSON array", k::appeal, "runtai", "[1,2]", "schema_violation"},
      {"no source_id", k::appeal, "runtai",
       R"({"category":"small_ads","description":"小广告","location":{"jurisdiction_id":"runtai-huayuan-b1"}})",
       "schema_violation"},
      {"wrong type", k::appeal, "runtai",
       R"({"source_id":"x","category":42,"description":"小广告","location":{"jurisdiction_id":"runtai-huayuan-b1"}})",
       "schema_violation"},
      {"unknown place", k::appeal, "runtai",
       R"({"source_id":"x","category":"small_ads","description":"小广告","location":{"jurisdiction_id":"nowhere"}})",
       "unknown_jurisdiction"},
      {"no key", k::appeal, std::nullopt, kAppeal, "wrong_key"},
      {"empty key", k::appeal, "", kAppeal, "wrong_key"},
      {"another community's key", k::appeal, "jichuan", kAppeal, "wrong_key"},
      {"oversized", k::appeal, "runtai", std::string(70000, 'x'), "too_large"},
      {"command without command_id", k::command, "runtai",
       R"({"ticket_id":"T20260302-006-000001","action":"accept"})", "schema_violation"},
      {"submit on the commands topic", k::command, "runtai",
       R"({"command_id":"c1","ticket_id":"T20260302-006-000001","action":"submit"})", "schema_violation"},
      {"unknown action", k::command, "runtai",
       R"({"command_id":"c1","ticket_id":"T20260302-006-000001","action":"explode"})", "schema_violation"},
      {"actor_id over 200 bytes", k::command, "runtai",
       R"({"command_id":"c1","ticket_id":"T20260302-006-000001","action":"accept","actor_id":")" +
           std::string(201, 'a') + R"("})",
       "schema_violation"},
      {"empty actor_id", k::command, "runtai",
       R"({"command_id":"c1","ticket_id":"T20260302-006-000001","action":"accept","actor_id":""})", "schema_violation"},
      {"action an integration may not take", k::command, "runtai",
       R"({"command_id":"c1","ticket_id":"T20260302-006-000001","action":"merge","into":"T20260302-006-000002"})",
       "forbidden"},
  };
  for (const auto& c : cases) {
    auto r = route(c.kind, message(c.kind == k::appeal ? "doorstep.appeals.v1" : "doorstep.commands.v1", c.key, c.payload));
    ASSERT_TRUE(r.job.in->refused) << c.name;
    EXPECT_EQ(r.job.in->refused->code, c.code) << c.name << ": " << r.job.in->refused->message;
    EXPECT_FALSE(r.job.in->refused->message.empty()) << c.name;
    EXPECT_EQ(r.job.in->payload, c.payload) << c.name << ": the dead letter keeps the message unchanged";
    EXPECT_EQ(r.partition, runtime::partition_for_community(c.key.value_or(""), demo_config().engine.partitions))
        << c.name << ": the key, not the content, picks the partition";
  }
}

TEST(kafka_dead_letters, round_trip_binary_payloads_and_absent_keys) {
  store::dead_letter d{"doorstep.appeals.v1", 5, 123456789012, 1795000000000, std::nullopt,
                       std::string("\0\xff\n5:x|", 7), "invalid_json", "malformed JSON: 第1行"};
  auto back = store::decode_dead_letter(store::encode(d));
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, d);
  d.key = "";
  back = store::decode_dead_letter(store::encode(d));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->key, std::optional<std::string>(""));
  EXPECT_FALSE(store::decode_dead_letter("dl1" + std::string("3:abc")));
  EXPECT_FALSE(store::decode_dead_letter("nonsense"));
}

// A partition applying consumed messages, over a real RocksDB.
class kafka_partition_test : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = store::store::open(dir_.path() / "db", store::options{demo_config().engine.partitions, false, true, false});
    ASSERT_TRUE(s.ok()) << s.err().message;
    store_ = std::move(s).value();
    engine_ = std::make_unique<runtime::engine>(demo_config().rules, *store_, clock_, runtime::engine_options{2, 64, false});
  }

  runtime::outcome feed(kafka::inbound_kind kind, std::optional<std::string> key, std::string payload,
                        std::int64_t offset, std::int32_t kafka_partition = 0) {
    auto m = message(kind == kafka::inbound_kind::appeal ? "doorstep.appeals.v1" : "doorstep.commands.v1", std::move(key),
                     std::move(payload), offset);
    m.partition = kafka_partition;
    auto r = route(kind, std::move(m));
    std::promise<runtime::outcome> done;
    auto f = done.get_future();
    engine_->post_to(r.partition, std::move(r.job), [&](runtime::outcome o) { done.set_value(std::move(o)); });
    return f.get();
  }

  std::vector<store::dead_letter> dead_letters() {
    std::vector<store::dead_letter> out;
    for (unsigned p = 0; p < store_->partitions(); ++p) {
      auto page = store::read_stream(*store_, p, store::stream::dead_letters, 0, 1000);
      EXPECT_TRUE(page.ok()) << page.err().message;
      if (!page) continue;
      for (const auto& e : *page) {
        auto d = store::decode_dead_letter(e.value);
        EXPECT_TRUE(d);
        if (d) out.push_back(*d);
      }
    }
    return out;
  }

  std::size_t tickets() {
    std::size_t n = 0;
    EXPECT_TRUE(store_->for_each_ticket([&](unsigned, const ticket&) { return ++n, true; }).ok());
    return n;
  }

  void expect_consistent() {
    auto r = store::fsck(*store_, [](const ticket& t) { return demo_config().rules->duplicate_scope_of(t.jurisdiction_id); });
    EXPECT_TRUE(r.ok()) << (r.problems.empty() ? "" : r.problems.front());
  }

  temp_dir dir_;
  runtime::simulated_clock clock_{at(2026, 3, 2, 9)};
  std::unique_ptr<store::store> store_;
  std::unique_ptr<runtime::engine> engine_;
};

TEST_F(kafka_partition_test, a_message_redelivered_at_the_same_offset_is_skipped_without_effect) {
  auto first = feed(kafka::inbound_kind::appeal, "runtai", kAppeal, 40);
  ASSERT_TRUE(first.ok()) << first.err->message;
  EXPECT_TRUE(first.created);
  const auto id = first.ticket_id;
  // A note without idempotency key of its own: only the consumed offset stops a repeat.
  const std::string note = R"({"command_id":"n-1","ticket_id":")" + id + R"(","action":"note","note":"已联系物业"})";
  auto m = message("doorstep.commands.v1", "runtai", note, 9);
  auto r = route(kafka::inbound_kind::command, std::move(m));
  r.job.cmd.idempotency_key.clear();
  auto run = [&](runtime::job j) {
    std::promise<runtime::outcome> done;
    auto f = done.get_future();
    engine_->post_to(r.partition, std::move(j), [&](runtime::outcome o) { done.set_value(std::move(o)); });
    return f.get();
  };
  auto applied = run(r.job);
  ASSERT_TRUE(applied.ok()) << applied.err->message;
  EXPECT_FALSE(applied.skipped);
  auto again = run(r.job);
  EXPECT_TRUE(again.skipped);
  auto older = r.job;
  auto earlier = std::make_shared<runtime::inbound>(*r.job.in);
  earlier->offset = 8;  // anything at or below the committed offset was consumed before
  older.in = earlier;
  EXPECT_TRUE(run(older).skipped);
  auto log = store_->load_events(id);
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(std::count_if(log->begin(), log->end(), [](const event& e) { return event_type(e.body) == "noted"; }), 1);
  expect_consistent();
}

TEST_F(kafka_partition_test, offsets_are_tracked_per_kafka_partition) {
  ASSERT_TRUE(feed(kafka::inbound_kind::appeal, "runtai", kAppeal, 100, 0).ok());
  // The same offset on another Kafka partition is another message (here a duplicate by source id).
  auto other = feed(kafka::inbound_kind::appeal, "runtai", kAppeal, 100, 1);
  EXPECT_FALSE(other.skipped);
  EXPECT_TRUE(other.replayed);
  EXPECT_EQ(tickets(), 1u);
}

TEST_F(kafka_partition_test, unusable_messages_become_dead_letters_and_change_nothing_else) {
  auto created = feed(kafka::inbound_kind::appeal, "runtai", kAppeal, 1);
  ASSERT_TRUE(created.ok());
  const auto id = created.ticket_id;
  const auto version = created.after->version;
  struct bad {
    kafka::inbound_kind kind;
    std::string payload;
    const char* code;
  };
  const std::vector<bad> cases{
      {kafka::inbound_kind::appeal, "{broken", "invalid_json"},
      {kafka::inbound_kind::appeal,
       R"({"source_id":"x-2","category":"flying_saucer","description":"不明飞行物","location":{"jurisdiction_id":"runtai-huayuan-b1"}})",
       "unknown_category"},
      {kafka::inbound_kind::command, R"({"command_id":"c-1","ticket_id":")" + id + R"(","action":"resolve","note":"好了"})",
       "illegal_transition"},  // not accepted yet
      {kafka::inbound_kind::command, R"({"command_id":"c-2","ticket_id":"T20260302-006-999999","action":"accept"})",
       "not_found"},
      {kafka::inbound_kind::command, R"({"command_id":"c-3","ticket_id":")" + id + R"(","action":"accept","expected_version":99})",
       "stale_version"},
  };
  std::int64_t offset = 10;
  for (const auto& c : cases) {
    auto o = feed(c.kind, "runtai", c.payload, offset++);
    EXPECT_TRUE(o.dead_lettered) << c.code;
    ASSERT_TRUE(o.err) << c.code;
    EXPECT_EQ(o.err->code, c.code);
  }
  // A command keyed by another community than its ticket's.
  auto wrong = feed(kafka::inbound_kind::command, "jichuan",
                    R"({"command_id":"c-4","ticket_id":")" + id + R"(","action":"accept"})", offset++);
  EXPECT_TRUE(wrong.dead_lettered);
  EXPECT_EQ(wrong.err->code, "wrong_key");
  const auto letters = dead_letters();
  ASSERT_EQ(letters.size(), cases.size() + 1);
  for (std::size_t i = 0; i < cases.size(); ++i) {
    auto it = std::find_if(letters.begin(), letters.end(), [&](const auto& d) { return d.offset == 10 + std::int64_t(i); });
    ASSERT_NE(it, letters.end());
    EXPECT_EQ(it->code, cases[i].code);
    EXPECT_EQ(it->payload, cases[i].payload);
    EXPECT_EQ(it->key, std::optional<std::string>("runtai"));
    EXPECT_EQ(it->topic, cases[i].kind == kafka::inbound_kind::appeal ? "doorstep.appeals.v1" : "doorstep.commands.v1");
  }
  EXPECT_EQ(tickets(), 1u);
  auto t = store_->load_ticket(id);
  EXPECT_EQ((*t)->version, version);
  // Redelivered dead letters are skipped too: one dead letter per message.
  EXPECT_TRUE(feed(kafka::inbound_kind::appeal, "runtai", "{broken", 10).skipped);
  EXPECT_EQ(dead_letters().size(), cases.size() + 1);
  expect_consistent();
}

TEST_F(kafka_partition_test, the_outbox_streams_in_order_and_delivery_trims_it) {
  auto created = feed(kafka::inbound_kind::appeal, "runtai", kAppeal, 1);
  ASSERT_TRUE(created.ok());
  const unsigned p = *store::partition_of_ticket(created.ticket_id);
  auto read = store::read_stream(*store_, p, store::stream::ticket_events, 0, 100);
  ASSERT_TRUE(read.ok()) << read.err().message;
  const auto& entries = *read;
  ASSERT_EQ(entries.size(), created.events.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    EXPECT_EQ(entries[i].seq, i + 1);
    auto e = store::split_event_entry(entries[i].value);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->ticket_id, created.ticket_id);
    EXPECT_EQ(e->event_id, created.events[i].id());
    EXPECT_EQ(e->type, event_type(created.events[i].body));
  }
  EXPECT_NE(store::split_event_entry(entries.front().value)->json.find("楼道里贴满了小广告"), std::string_view::npos);
  // Entries of stores written before the header existed: the bare event JSON.
  const auto bare = std::string(store::split_event_entry(entries.front().value)->json);
  auto legacy = store::split_event_entry(bare);
  ASSERT_TRUE(legacy);
  EXPECT_EQ(legacy->ticket_id, created.ticket_id);
  EXPECT_EQ(legacy->event_id, created.events.front().id());
  EXPECT_EQ(legacy->type, "received");
  EXPECT_EQ(legacy->json, bare);
  EXPECT_FALSE(store::split_event_entry("{\"ticket_id\":1}"));
  EXPECT_FALSE(store::split_event_entry("no header"));
  EXPECT_EQ(store::staged(*store_, p, store::stream::ticket_events).value(), entries.size());
  ASSERT_TRUE(store::mark_delivered(*store_, p, store::stream::ticket_events, 1).ok());
  EXPECT_EQ(store::delivered(*store_, p, store::stream::ticket_events).value(), 1u);
  auto rest = store::read_stream(*store_, p, store::stream::ticket_events, 0, 100).value();
  ASSERT_EQ(rest.size(), entries.size() - 1);
  EXPECT_EQ(rest.front().seq, 2u);
  expect_consistent();
  // A hole in the outbox is reported.
  ASSERT_TRUE(store_->db()->Delete(rocksdb::WriteOptions(), store::outbox_key(p, 2)).ok());
  auto r = store::fsck(*store_, [](const ticket& t) { return demo_config().rules->duplicate_scope_of(t.jurisdiction_id); });
  EXPECT_FALSE(r.ok());
}

// The outbox holds references, not copies: each entry names its event and the reader
// takes the JSON from the event log. Entries of older stores (the header and the JSON,
// or the bare JSON) read back as they were stored; a reference whose event is missing
// is named by fsck.
TEST_F(kafka_partition_test, outbox_entries_refer_to_the_event_log_and_read_back_whole) {
  auto created = feed(kafka::inbound_kind::appeal, "runtai", kAppeal, 1);
  ASSERT_TRUE(created.ok());
  std::string again = kAppeal;
  again.replace(again.find("12345-0001"), 10, "12345-0002");
  auto joined = feed(kafka::inbound_kind::appeal, "runtai", again, 2);
  ASSERT_TRUE(joined.ok());
  ASSERT_EQ(joined.ticket_id, created.ticket_id) << "the second neighbour should join the ticket";
  const auto& id = created.ticket_id;
  const unsigned p = *store::partition_of_ticket(id);
  const auto events = store_->load_events(id).value();
  ASSERT_GE(events.size(), 3u);
  ASSERT_EQ(store::staged(*store_, p, store::stream::ticket_events).value(), events.size());
  auto raw = [&](const std::string& key) {
    std::string v;
    EXPECT_TRUE(store_->db()->Get(rocksdb::ReadOptions(), key, &v).ok()) << key;
    return v;
  };
  std::vector<std::string> logged;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const auto& e = events[i];
    const auto stored = raw(store::outbox_key(p, i + 1));
    EXPECT_EQ(stored, id + "\t" + e.id() + "\t" + std::string(event_type(e.body)));
    auto ref = store::parse_event_reference(stored);
    ASSERT_TRUE(ref) << stored;
    EXPECT_EQ(ref->ticket_id, id);
    EXPECT_EQ(ref->event_id, e.id());
    EXPECT_EQ(ref->seq, e.seq);
    logged.push_back(raw(store::event_key(p, id, e.seq)));
  }
  auto read = store::read_stream(*store_, p, store::stream::ticket_events, 0, 100);
  ASSERT_TRUE(read.ok()) << read.err().message;
  ASSERT_EQ(read->size(), events.size());
  for (std::size_t i = 0; i < read->size(); ++i) {
    auto e = store::split_event_entry((*read)[i].value);
    ASSERT_TRUE(e) << (*read)[i].value;
    EXPECT_EQ(e->json, logged[i]);
  }
  EXPECT_NE(logged.front().find("楼道里贴满了小广告"), std::string::npos);
  // A page that starts and ends inside the stream resolves exactly its own entries.
  auto middle = store::read_stream(*store_, p, store::stream::ticket_events, 1, 1);
  ASSERT_TRUE(middle.ok()) << middle.err().message;
  ASSERT_EQ(middle->size(), 1u);
  EXPECT_EQ(middle->front().seq, 2u);
  EXPECT_EQ(middle->front().value, (*read)[1].value);

  // Older forms, read as stored: entry 1 with the header and its own copy of the JSON
  // (a space longer than the log's, so a lookup in the log would show), entry 2 the bare JSON.
  const auto with_header = (*read)[0].value + " ";
  ASSERT_TRUE(store_->db()->Put(rocksdb::WriteOptions(), store::outbox_key(p, 1), with_header).ok());
  ASSERT_TRUE(store_->db()->Put(rocksdb::WriteOptions(), store::outbox_key(p, 2), logged[1]).ok());
  auto mixed = store::read_stream(*store_, p, store::stream::ticket_events, 0, 100).value();
  ASSERT_EQ(mixed.size(), events.size());
  EXPECT_EQ(mixed[0].value, with_header);
  EXPECT_EQ(mixed[1].value, logged[1]);
  EXPECT_EQ(mixed[2].value, (*read)[2].value);
  EXPECT_EQ(store::split_event_entry(mixed[1].value)->event_id, events[1].id());
  expect_consistent();

  // A reference to an event the log does not hold comes back as stored, and fsck names it.
  const auto dangling = id + "\t" + id + "/99\treceived";
  ASSERT_TRUE(store_->db()->Put(rocksdb::WriteOptions(), store::outbox_key(p, 2), dangling).ok());
  auto rest = store::read_stream(*store_, p, store::stream::ticket_events, 0, 100).value();
  EXPECT_EQ(rest[1].value, dangling);
  EXPECT_FALSE(store::split_event_entry(rest[1].value));
  auto r = store::fsck(*store_, [](const ticket& t) { return demo_config().rules->duplicate_scope_of(t.jurisdiction_id); });
  ASSERT_FALSE(r.ok());
  bool named = false;
  for (const auto& problem : r.problems) named |= problem.find(id + "/99, which is not in the event log") != std::string::npos;
  EXPECT_TRUE(named) << r.problems.front();

  // Other shapes are not references.
  for (std::string bad : {id + "\t" + id + "/x\treceived", id + "\tother/3\treceived", id + "\t" + id + "/3\t",
                          id + "\t" + id + "/3\treceived\textra", id + "\t" + id + "/3\treceived\n{}",
                          std::string("{\"ticket_id\":\"a\"}"), std::string(), id + "\t" + id + "/\treceived"}) {
    EXPECT_FALSE(store::parse_event_reference(bad)) << bad;
  }
}

// The consumer's counters, found by their label values after the first use: each
// (topic, outcome) and (topic, code) pair counts on its own series, from any thread.
TEST(kafka_probe, consumed_and_dead_lettered_count_per_label_pair_from_several_threads) {
  prometheus::Registry registry;
  kafka::probe probe(registry);
  const auto work = [&probe] {
    for (int i = 0; i < 1000; ++i) {
      probe.consumed("doorstep.appeals.v1", i % 4 ? "applied" : "duplicate");
      probe.consumed("doorstep.commands.v1", "applied");
      if (i % 10 == 0) probe.dead_lettered("doorstep.appeals.v1", i % 20 ? "invalid_json" : "unknown_category");
    }
  };
  std::thread a(work), b(work);
  a.join();
  b.join();
  std::map<std::string, double> seen;
  for (const auto& fam : registry.Collect()) {
    if (fam.name != "doorstep_kafka_messages_consumed_total" && fam.name != "doorstep_kafka_dlq_messages_total") continue;
    for (const auto& m : fam.metric) {
      std::string key = fam.name;
      for (const auto& l : m.label) key += " " + l.name + "=" + l.value;  // labels come sorted by name
      seen[key] = m.counter.value;
    }
  }
  const std::map<std::string, double> expected{
      {"doorstep_kafka_messages_consumed_total outcome=applied topic=doorstep.appeals.v1", 1500},
      {"doorstep_kafka_messages_consumed_total outcome=duplicate topic=doorstep.appeals.v1", 500},
      {"doorstep_kafka_messages_consumed_total outcome=applied topic=doorstep.commands.v1", 2000},
      {"doorstep_kafka_dlq_messages_total code=invalid_json topic=doorstep.appeals.v1", 100},
      {"doorstep_kafka_dlq_messages_total code=unknown_category topic=doorstep.appeals.v1", 100}};
  EXPECT_EQ(seen, expected);
}

}  // namespace
}  // namespace doorstep
