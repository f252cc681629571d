// connectors/kafka/edge.h
// The whole Kafka edge of one engine process: optionally an embedded dev broker, the
// outbox relay and the inbound consumer, started and stopped in the order exactness
// needs. Lifecycle (cli/serve.cpp):
//   open()            broker (embedded) + relay, before the engine
//   attach()          the engine's options: each committed group's ticket events go
//                     to the relay (engine_options::on_commit)
//   start_consumer()  once the engine runs
//   stop_consumer()   first on shutdown: everything read is committed
//   stop()            last: everything committed is published (bounded wait)
#pragma once

#include <prometheus/registry.h>

#include <memory>
#include <string>

#include "kafka/consumer.h"
#include "kafka/dev_broker.h"
#include "kafka/probe.h"
#include "kafka/relay.h"

namespace doorstep::kafka {

class edge {
 public:
  // `where` is "embedded" (an in-process dev broker) or a bootstrap list
  // "host:port,...". Errors: kafka_config, kafka_client, kafka_broker.
  // Checks `where` and every configured property without connecting or touching any
  // state, so bad settings are refused before the store is opened. Errors: kafka_config.
  static status_result check(const config::kafka_settings& k, const std::string& where);

  static result<std::unique_ptr<edge>> open(store::store& s, const config::kafka_settings& k, const std::string& where,
                                            prometheus::Registry* registry);
  ~edge();

  // Sets the engine's on_commit so every committed group hands its ticket events to the
  // relay, which publishes them without reading them back from the store.
  void attach(runtime::engine_options& o);
  [[nodiscard]] status_result start_consumer(runtime::engine& eng);
  void stop_consumer();
  void stop();

  const std::string& bootstrap() const { return bootstrap_; }
  bool embedded() const { return broker_ != nullptr; }
  bool healthy() const { return !consumer_ || consumer_->healthy(); }
  // Inbound messages whose engine outcome has arrived since start_consumer (benchmarks).
  std::uint64_t handled() const { return consumer_ ? consumer_->handled() : 0; }

 private:
  edge() = default;
  const config::kafka_settings* settings_ = nullptr;
  std::unique_ptr<probe> probe_;
  std::unique_ptr<dev_broker> broker_;
  std::string bootstrap_;
  std::unique_ptr<relay> relay_;
  std::unique_ptr<consumer> consumer_;
};

}  // namespace doorstep::kafka
