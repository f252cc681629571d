#include "kafka/consumer.h"

#include <algorithm>
#include <iostream>

#include "store/outbox.h"

namespace doorstep::kafka {
namespace {

constexpr std::size_t kMaxInFlight = 8192;  // messages handed to the engine, not yet committed

std::string source_name(std::string_view topic, std::int32_t partition) {
  return std::string(topic) + "/" + std::to_string(partition);
}

}  // namespace

consumer::consumer(runtime::engine& eng, const config::kafka_settings& k, std::string bootstrap, probe* p)
    : engine_(eng), settings_(k), bootstrap_(std::move(bootstrap)), probe_(p) {}

consumer::~consumer() { stop(); }

result<conf> consumer::configuration(const config::kafka_settings& k, const std::string& bootstrap) {
  return make_conf(bootstrap,
                   {{"group.id", k.group_id},
                    {"client.id", k.client_id},
                    {"enable.auto.commit", "false"},
                    {"enable.auto.offset.store", "false"},
                    {"auto.offset.reset", "earliest"},
                    {"log_level", "3"}},
                   k.properties, {"group.id", "enable.auto.commit", "enable.auto.offset.store", "bootstrap.servers"});
}

status_result consumer::start() {
  auto c = configuration(settings_, bootstrap_);
  if (!c) return c.err();
  rd_kafka_conf_set_rebalance_cb(c->get(), &consumer::rebalance_callback);
  rd_kafka_conf_set_opaque(c->get(), this);
  auto rk = make_client(RD_KAFKA_CONSUMER, std::move(*c));
  if (!rk) return rk.err();
  rk_ = std::move(*rk);
  rd_kafka_poll_set_consumer(rk_.get());
  partition_list topics(rd_kafka_topic_partition_list_new(2));
  rd_kafka_topic_partition_list_add(topics.get(), settings_.appeals_topic.c_str(), RD_KAFKA_PARTITION_UA);
  rd_kafka_topic_partition_list_add(topics.get(), settings_.commands_topic.c_str(), RD_KAFKA_PARTITION_UA);
  if (auto err = rd_kafka_subscribe(rk_.get(), topics.get())) {
    return make_error("kafka_client", std::string("cannot subscribe: ") + rd_kafka_err2str(err));
  }
  thread_ = std::thread([this] { run(); });
  return ok_v;
}

void consumer::stop() {
  if (!rk_) return;
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
  {
    std::unique_lock lock(mu_);
    drained_.wait_for(lock, std::chrono::seconds(30), [this] { return in_flight_ == 0 || failed_.load(); });
  }
  save_positions(true);
  rd_kafka_consumer_close(rk_.get());  // runs the revoke callback, leaves the group
  rk_.reset();
}

void consumer::run() {
  auto last_save = std::chrono::steady_clock::now();
  bool paused = false;
  unsigned errors_logged = 0;
  while (!stopping_) {
    if (failed_ && !paused) {  // an engine commit failed: read nothing more until restart
      rd_kafka_topic_partition_list_t* assigned = nullptr;
      if (!rd_kafka_assignment(rk_.get(), &assigned)) {
        rd_kafka_pause_partitions(rk_.get(), assigned);
        rd_kafka_topic_partition_list_destroy(assigned);
      }
      paused = true;
    }
    {
      std::unique_lock lock(mu_);
      if (in_flight_ >= kMaxInFlight) {
        drained_.wait_for(lock, std::chrono::milliseconds(50), [this] { return in_flight_ < kMaxInFlight; });
        continue;
      }
    }
    message m(rd_kafka_consumer_poll(rk_.get(), 100));
    if (m) {
      if (!m->err) {
        dispatch(*m);
      } else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        if (probe_) probe_->consumer_error();
        if (errors_logged++ < 20) std::cerr << "doorstep: kafka: consumer: " << rd_kafka_message_errstr(m.get()) << "\n";
      }
    }
    const auto now = std::chrono::steady_clock::now();
    if (now - last_save >= std::chrono::seconds(1)) {
      save_positions(false);
      report_lag();
      last_save = now;
    }
  }
}

void consumer::dispatch(rd_kafka_message_t& m) {
  const std::string topic = rd_kafka_topic_name(m.rkt);
  const auto kind = topic == settings_.appeals_topic ? inbound_kind::appeal : inbound_kind::command;
  raw_message raw;
  raw.topic = topic;
  raw.partition = m.partition;
  raw.offset = m.offset;
  rd_kafka_timestamp_type_t type;
  raw.timestamp_ms = rd_kafka_message_timestamp(&m, &type);
  raw.key = key_of(m);
  if (m.payload) raw.payload.assign(static_cast<const char*>(m.payload), m.len);
  auto routed = route_message(engine_.rules(), engine_.partitions(), settings_, kind, std::move(raw), engine_.time().now());
  const auto key = source_name(topic, m.partition);
  const auto offset = m.offset;
  {
    std::lock_guard lock(mu_);
    auto& s = sources_[key];
    s.topic = topic;
    s.partition = m.partition;
    s.in_flight.insert(offset);
    s.next = offset + 1;
    ++in_flight_;
  }
  engine_.post_to(routed.partition, std::move(routed.job), [this, key, offset, kind, topic](runtime::outcome o) {
    finished(key, offset, o, kind, topic);
  });
}

// On the engine partition's strand, after the group commit.
void consumer::finished(const std::string& key, std::int64_t offset, const runtime::outcome& o, inbound_kind,
                        const std::string& topic) {
  if (o.err && !o.dead_lettered) {
    // Not stored (a failed commit fences the partition): keep the offset in flight so
    // the resume position never passes it, and stop reading.
    if (!failed_.exchange(true)) {
      std::cerr << "doorstep: kafka: " << o.err->message << "; the consumer stops until the engine restarts\n";
    }
    drained_.notify_all();
    return;
  }
  if (probe_) {
    probe_->consumed(topic, o.skipped ? "skipped" : o.dead_lettered ? "dead_lettered" : o.replayed ? "duplicate" : "applied");
    if (o.dead_lettered) probe_->dead_lettered(topic, o.err->code);
  }
  {
    std::lock_guard lock(mu_);
    auto it = sources_.find(key);
    if (it != sources_.end()) it->second.in_flight.erase(offset);
    --in_flight_;
  }
  ++handled_;
  drained_.notify_all();
}

void consumer::rebalance_callback(rd_kafka_t*, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts,
                                  void* opaque) {
  static_cast<consumer*>(opaque)->rebalance(err, parts);
}

void consumer::rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts) {
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) return assign(parts);
  if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) return revoke(parts);
  std::cerr << "doorstep: kafka: rebalance failed: " << rd_kafka_err2str(err) << "\n";
  if (probe_) probe_->consumer_error();
  rd_kafka_assign(rk_.get(), nullptr);
}

// Every assigned partition starts at the store's resume position (or the beginning of
// the topic for a store that never read it): the store, not Kafka, knows what it holds.
// "The beginning" is offset 0, not RD_KAFKA_OFFSET_BEGINNING: that logical offset is
// looked up per partition before fetching, and in bench_kafka some partitions started
// about half a second after the others (in 1 run of 10, and more often before; the
// engine's partitions fed by the late ones had nothing to do meanwhile). Where the
// cluster has deleted a partition's oldest messages, offset 0 is out of range and
// auto.offset.reset=earliest moves to the first message still there.
void consumer::assign(rd_kafka_topic_partition_list_t* parts) {
  for (int i = 0; i < parts->cnt; ++i) {
    auto& tp = parts->elems[i];
    const auto key = source_name(tp.topic, tp.partition);
    auto stored = store::resume_position(engine_.storage(), key);
    if (!stored) {
      // The position is a hint: from the beginning of the partition, every message the
      // store already consumed is skipped by its recorded offset. Slower, nothing lost.
      std::cerr << "doorstep: kafka: " << stored.err().message << "; reading " << key << " from its beginning\n";
      if (probe_) probe_->consumer_error();
    }
    const std::int64_t pos = stored && *stored ? **stored : -1;  // -1: from the beginning
    tp.offset = pos >= 0 ? pos : 0;
    std::lock_guard lock(mu_);
    auto& s = sources_[key];
    s.topic = tp.topic;
    s.partition = tp.partition;
    if (s.in_flight.empty()) s.next = std::max<std::int64_t>(pos, 0);
  }
  const bool cooperative = std::string_view(rd_kafka_rebalance_protocol(rk_.get())) == "COOPERATIVE";
  if (cooperative) {
    if (auto* e = rd_kafka_incremental_assign(rk_.get(), parts)) rd_kafka_error_destroy(e);
  } else {
    rd_kafka_assign(rk_.get(), parts);
  }
}

// Before a partition moves to another member, every message read from it is committed
// by the engine and its position is recorded, so the next owner starts exactly after.
void consumer::revoke(rd_kafka_topic_partition_list_t* parts) {
  std::vector<std::string> keys;
  for (int i = 0; i < parts->cnt; ++i) keys.push_back(source_name(parts->elems[i].topic, parts->elems[i].partition));
  {
    std::unique_lock lock(mu_);
    drained_.wait(lock, [&] {
      if (failed_) return true;
      for (const auto& k : keys) {
        auto it = sources_.find(k);
        if (it != sources_.end() && !it->second.in_flight.empty()) return false;
      }
      return true;
    });
  }
  save_positions(true);
  {
    std::lock_guard lock(mu_);
    for (const auto& k : keys) sources_.erase(k);
  }
  const bool cooperative = std::string_view(rd_kafka_rebalance_protocol(rk_.get())) == "COOPERATIVE";
  if (cooperative) {
    if (auto* e = rd_kafka_incremental_unassign(rk_.get(), parts)) rd_kafka_error_destroy(e);
  } else {
    rd_kafka_assign(rk_.get(), nullptr);
  }
}

void consumer::save_positions(bool sync_kafka) {
  std::vector<source> snapshot;
  {
    std::lock_guard lock(mu_);
    for (const auto& [key, s] : sources_) snapshot.push_back(s);
  }
  if (snapshot.empty()) return;
  partition_list offsets(rd_kafka_topic_partition_list_new(static_cast<int>(snapshot.size())));
  for (const auto& s : snapshot) {
    const auto pos = s.position();
    const auto key = source_name(s.topic, s.partition);
    const auto stored = store::resume_position(engine_.storage(), key);
    if (!stored || *stored != pos) {
      if (auto r = store::save_resume_position(engine_.storage(), key, pos); !r) {
        std::cerr << "doorstep: kafka: " << r.err().message << "\n";
      }
    }
    rd_kafka_topic_partition_list_add(offsets.get(), s.topic.c_str(), s.partition)->offset = pos;
  }
  // Kafka's committed offsets only mirror the store (for lag tools); errors are harmless.
  (void)rd_kafka_commit(rk_.get(), offsets.get(), sync_kafka ? 0 : 1);
}

void consumer::report_lag() {
  if (!probe_) return;
  std::vector<source> snapshot;
  {
    std::lock_guard lock(mu_);
    for (const auto& [key, s] : sources_) snapshot.push_back(s);
  }
  for (const auto& s : snapshot) {
    std::int64_t low = -1, high = -1;
    if (rd_kafka_get_watermark_offsets(rk_.get(), s.topic.c_str(), s.partition, &low, &high) || high < 0) continue;
    probe_->lag(s.topic, s.partition, std::max<std::int64_t>(0, high - std::max(s.position(), low)));
  }
}

}  // namespace doorstep::kafka
