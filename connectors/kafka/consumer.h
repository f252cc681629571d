// connectors/kafka/consumer.h
// Consumes the appeals and commands topics as one member of a consumer group and feeds
// each message to the engine partition of its key (kafka/messages.h). Exactly-once
// effect: the engine commits each message's offset with its effect, and skips
// messages at or below it, so redelivery after a crash, restart or rebalance changes
// nothing. The consumer only keeps a resume position per Kafka partition (the lowest
// offset not yet committed by the engine) to know where to start reading; Kafka's own
// committed offsets follow it for monitoring and are never read back.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "kafka/client.h"
#include "kafka/messages.h"
#include "kafka/probe.h"
#include "runtime/engine.h"

namespace doorstep::kafka {

class consumer {
 public:
  consumer(runtime::engine& eng, const config::kafka_settings& k, std::string bootstrap, probe* p = nullptr);
  ~consumer();
  consumer(const consumer&) = delete;
  consumer& operator=(const consumer&) = delete;

  // The client configuration the consumer uses. Errors: kafka_config.
  static result<conf> configuration(const config::kafka_settings& k, const std::string& bootstrap);

  // Joins the group and starts the polling thread. Errors: kafka_config, kafka_client.
  [[nodiscard]] status_result start();
  // Stops reading, waits for messages in the engine to commit, records positions and
  // leaves the group (its partitions move to the other members). Idempotent.
  void stop();
  // False once an engine commit failed: the consumer stops reading (restart to resume).
  bool healthy() const { return !failed_.load(); }

  // Messages whose engine outcome has arrived (tests).
  std::uint64_t handled() const { return handled_.load(); }

 private:
  struct source {
    std::string topic;
    std::int32_t partition = 0;
    std::int64_t next = 0;              // offset after the last message handed to the engine
    std::set<std::int64_t> in_flight;   // handed to the engine, outcome not yet back
    std::int64_t position() const { return in_flight.empty() ? next : *in_flight.begin(); }
  };

  void run();
  void dispatch(rd_kafka_message_t& m);
  void finished(const std::string& key, std::int64_t offset, const runtime::outcome& o, inbound_kind kind,
                const std::string& topic);
  void rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts);
  void assign(rd_kafka_topic_partition_list_t* parts);
  void revoke(rd_kafka_topic_partition_list_t* parts);
  void save_positions(bool sync_kafka);
  void report_lag();
  static void rebalance_callback(rd_kafka_t*, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts,
                                 void* opaque);

  runtime::engine& engine_;
  const config::kafka_settings& settings_;
  std::string bootstrap_;
  probe* probe_;
  handle rk_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> failed_{false};
  std::atomic<std::uint64_t> handled_{0};

  std::mutex mu_;  // guards sources_ and in_flight_
  std::condition_variable drained_;
  std::map<std::string, source> sources_;  // by "<topic>/<partition>"
  std::size_t in_flight_ = 0;
};

}  // namespace doorstep::kafka
