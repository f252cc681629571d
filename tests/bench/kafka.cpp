#include "kafka.h"

#include <prometheus/registry.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <set>
#include <stdexcept>
#include <thread>

#include "domain/codec.h"
#include "kafka/consumer.h"
#include "kafka/edge.h"
#include "metrics/probe.h"
#include "runtime/engine.h"

namespace doorstep::bench {
namespace {

using steady = std::chrono::steady_clock;
constexpr auto kStall = std::chrono::seconds(30);  // no progress for this long: the run failed

double seconds_since(steady::time_point start) {
  return std::chrono::duration<double>(steady::now() - start).count();
}

template <typename T>
T unwrap(result<T> r) {
  if (!r) throw std::runtime_error(r.err().message);
  return std::move(r).value();
}

// Counts delivery failures of the producer (its delivery-report callback).
void count_failures(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  if (m->err) static_cast<std::atomic<std::size_t>*>(opaque)->fetch_add(1);
}

// The edge probe's count of consumed messages with `outcome`.
std::size_t consumed(prometheus::Registry& r, std::string_view outcome) {
  double total = 0;
  for (const auto& family : r.Collect()) {
    if (family.name != "doorstep_kafka_messages_consumed_total") continue;
    for (const auto& m : family.metric) {
      for (const auto& l : m.label) {
        if (l.name == "outcome" && l.value == outcome) total += m.counter.value;
      }
    }
  }
  return static_cast<std::size_t>(total);
}

}  // namespace

std::vector<appeal_message> appeal_messages(const std::vector<timed_appeal>& appeals) {
  const auto& rules = *demo_config().rules;
  std::vector<appeal_message> out;
  out.reserve(appeals.size());
  for (const auto& t : appeals) {
    const auto& a = std::get<submit_cmd>(t.cmd.body).a;
    auto community = rules.community_of(a.jurisdiction_id);
    if (!community) throw std::runtime_error("the sample names an unknown place: " + a.jurisdiction_id);
    out.push_back(appeal_message{*community, codec::to_text(a)});
  }
  return out;
}

produce_run produce(const std::string& bootstrap, const std::string& topic, unsigned partitions,
                    const std::vector<appeal_message>& messages) {
  auto c = unwrap(kafka::make_conf(bootstrap,
                                   {{"client.id", "doorstep-bench-producer"},
                                    {"enable.idempotence", "true"},
                                    {"acks", "all"},
                                    {"linger.ms", "5"},
                                    {"compression.type", "lz4"},
                                    {"queue.buffering.max.messages", "1000000"},
                                    {"log_level", "3"}},
                                   {}));
  std::atomic<std::size_t> failures{0};
  rd_kafka_conf_set_dr_msg_cb(c.get(), &count_failures);
  rd_kafka_conf_set_opaque(c.get(), &failures);
  auto producer = unwrap(kafka::make_client(RD_KAFKA_PRODUCER, std::move(c)));
  produce_run out;
  const auto start = steady::now();
  for (const auto& m : messages) {
    for (;;) {
      auto err =
          rd_kafka_producev(producer.get(), RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_KEY(m.key.data(), m.key.size()),
                            RD_KAFKA_V_VALUE(const_cast<char*>(m.value.data()), m.value.size()),
                            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;
      if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
        throw std::runtime_error(std::string("produce: ") + rd_kafka_err2str(err));
      rd_kafka_poll(producer.get(), 10);
    }
    out.bytes += m.key.size() + m.value.size();
  }
  if (rd_kafka_flush(producer.get(), 120000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw std::runtime_error("produce: not every message was acknowledged within 120 s");
  }
  if (failures > 0) throw std::runtime_error("produce: " + std::to_string(failures.load()) + " deliveries failed");
  out.seconds = seconds_since(start);
  // The dev broker keeps a bounded log per partition: a run larger than it holds would
  // read fewer messages than it produced and stall, so say so now.
  std::int64_t held = 0;
  for (unsigned p = 0; p < partitions; ++p) {
    std::int64_t low = 0, high = 0;
    if (auto err = rd_kafka_query_watermark_offsets(producer.get(), topic.c_str(), static_cast<std::int32_t>(p), &low,
                                                    &high, 10000)) {
      throw std::runtime_error("produce: cannot read the offsets of " + topic + " [" + std::to_string(p) +
                               "]: " + rd_kafka_err2str(err));
    }
    if (low != 0) {
      throw std::runtime_error("produce: the dev broker dropped the first " + std::to_string(low) +
                               " messages of " + topic + " [" + std::to_string(p) +
                               "] (librdkafka's mock cluster keeps at most 5 MiB a partition); " +
                               "use fewer appeals or more partitions");
    }
    held += high;
  }
  if (held != static_cast<std::int64_t>(messages.size())) {
    throw std::runtime_error("produce: the broker holds " + std::to_string(held) + " messages in " + topic + ", " +
                             std::to_string(messages.size()) + " were produced");
  }
  out.messages = messages.size();
  return out;
}

consume_run run_raw_consumer(const config::kafka_settings& k, const std::string& bootstrap, const std::string& group,
                             std::size_t n) {
  auto settings = k;
  settings.group_id = group;
  auto c = unwrap(kafka::consumer::configuration(settings, bootstrap));
  auto rk = unwrap(kafka::make_client(RD_KAFKA_CONSUMER, std::move(c)));
  rd_kafka_poll_set_consumer(rk.get());
  // Every partition of both inbound topics from the beginning, assigned directly: the same
  // fetch path as a group member's, without the coordinator's initial delay.
  kafka::partition_list parts(rd_kafka_topic_partition_list_new(static_cast<int>(2 * k.topic_partitions)));
  for (const auto* topic : {&k.appeals_topic, &k.commands_topic}) {
    for (unsigned p = 0; p < k.topic_partitions; ++p) {
      rd_kafka_topic_partition_list_add(parts.get(), topic->c_str(), static_cast<std::int32_t>(p))->offset =
          RD_KAFKA_OFFSET_BEGINNING;
    }
  }

  consume_run out;
  double cpu_start = 0;
  const auto start = steady::now();
  steady::time_point first;
  if (auto err = rd_kafka_assign(rk.get(), parts.get())) {
    throw std::runtime_error(std::string("raw consumer: cannot assign: ") + rd_kafka_err2str(err));
  }
  auto last_progress = steady::now();
  while (out.messages < n) {
    kafka::message m(rd_kafka_consumer_poll(rk.get(), 100));
    if (!m) {
      if (steady::now() - last_progress > kStall) {
        throw std::runtime_error("raw consumer: stalled after " + std::to_string(out.messages) + " of " +
                                 std::to_string(n) + " messages");
      }
      continue;
    }
    if (m->err) {
      if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) continue;
      throw std::runtime_error(std::string("raw consumer: ") + rd_kafka_message_errstr(m.get()));
    }
    if (out.messages == 0) {
      first = steady::now();
      cpu_start = process_cpu_seconds();
      out.start_seconds = std::chrono::duration<double>(first - start).count();
    }
    out.bytes += m->len + m->key_len;  // touch the payload: every one must be an object
    if (m->len == 0 || static_cast<const char*>(m->payload)[0] != '{')
      throw std::runtime_error("raw consumer: not JSON");
    ++out.messages;
    last_progress = steady::now();
  }
  out.seconds = seconds_since(first);
  out.cpu_seconds = process_cpu_seconds() - cpu_start;
  out.timed = out.messages - 1;
  rd_kafka_consumer_close(rk.get());
  return out;
}

kafka_engine_run run_kafka_engine(const config::kafka_settings& k, const std::string& bootstrap,
                                  const std::vector<instant>& times, unsigned partitions,
                                  const std::filesystem::path& dir, const kafka_engine_options& o) {
  const std::size_t n = times.size();
  kafka_engine_run out;
  if (n == 0) return out;
  out.batches = recorded_batches(partitions, n * recorded_batches::kReservePerAppeal);
  store::options so{partitions, false, true, false};
  so.commit_tap = [&out](unsigned p, std::string_view data) { out.batches.record(p, data); };
  auto st = unwrap(store::store::open(dir, so));
  runtime::simulated_clock clk(times.front());
  metrics::registry registry;
  metrics::engine_probe engine_probe(registry.get());
  auto edge = unwrap(kafka::edge::open(*st, k, bootstrap, &registry.get()));
  runtime::engine_options eo{o.threads, o.group_commit_max, false, &engine_probe};
  edge->attach(eo);
  runtime::engine eng(demo_config().rules, *st, clk, eo);

  const auto cpu_at_start = process_cpu_seconds();
  const auto start = steady::now();
  if (auto r = edge->start_consumer(eng); !r) throw std::runtime_error(r.err().message);
  // The consumer counts an outcome once its group commit is done: poll that count (an
  // atomic) every 0.2 ms, so the first and the n-th are seen within 0.2 ms. The clock
  // follows the stream: with i outcomes back it reads the i-th appeal's report time.
  std::uint64_t seen = 0, at_first = 0;
  double cpu_start = 0;
  steady::time_point first;
  auto last_progress = steady::now(), last_report = steady::now();
  while ((seen = edge->handled()) < n) {
    clk.advance_to(times[seen]);
    const auto t = steady::now();
    if (seen > 0 && at_first == 0) {
      first = t;
      at_first = seen;
      cpu_start = process_cpu_seconds();
      out.join_seconds = std::chrono::duration<double>(first - start).count();
    }
    if (!edge->healthy()) throw std::runtime_error("the engine failed a commit");
    if (t - last_progress > kStall) {
      throw std::runtime_error("the engine stalled after " + std::to_string(seen) + " of " + std::to_string(n) +
                               " messages");
    }
    if (o.progress && t - last_report >= std::chrono::seconds(1)) {
      std::cerr << "  kafka engine: " << seen << "/" << n << " committed, " << static_cast<long>(seconds_since(start))
                << " s\n";
      last_report = t;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
    if (edge->handled() > seen) last_progress = steady::now();
  }
  if (at_first == 0) {  // everything committed before the first look (tiny runs)
    first = start;
    cpu_start = cpu_at_start;
  }
  out.seconds = seconds_since(first);
  out.cpu_seconds = process_cpu_seconds() - cpu_start;
  out.handled = seen;
  out.timed = n - at_first;

  edge->stop_consumer();  // as `serve` stops: everything read is committed,
  eng.stop();
  edge->stop();  // then everything committed is published
  out.applied = consumed(registry.get(), "applied");
  out.duplicate = consumed(registry.get(), "duplicate");
  out.skipped = consumed(registry.get(), "skipped");
  out.dead_lettered = consumed(registry.get(), "dead_lettered");
  std::set<std::string> sources;
  auto scanned = st->for_each_ticket([&](unsigned, const ticket& t) {
    ++out.tickets;
    out.joined += t.joined.size();
    sources.insert(t.origin.source_id);
    for (const auto& a : t.joined) sources.insert(a.source_id);
    return true;
  });
  if (!scanned) throw std::runtime_error(scanned.err().message);
  if (sources.size() != out.tickets + out.joined) throw std::runtime_error("an appeal was stored twice");
  return out;
}

}  // namespace doorstep::bench
