// connectors/kafka/dev_broker.h
// A Kafka cluster for development, tests and `serve --kafka=embedded`: librdkafka's
// mock cluster (the real Kafka protocol on loopback ports) with Doorstep's four topics
// created. Messages live in memory only; production points at a real cluster.
#pragma once

#include <memory>
#include <string>

#include "kafka/client.h"  // rdkafka.h, which rdkafka_mock.h must follow

#include <librdkafka/rdkafka_mock.h>

namespace doorstep::kafka {

class dev_broker {
 public:
  // Starts `brokers` brokers and creates the configured topics with
  // `k.topic_partitions` partitions each. Errors: kafka_client, kafka_broker.
  static result<std::unique_ptr<dev_broker>> start(unsigned brokers, const config::kafka_settings& k);
  ~dev_broker();
  dev_broker(const dev_broker&) = delete;
  dev_broker& operator=(const dev_broker&) = delete;

  // "127.0.0.1:port,..." for bootstrap.servers.
  const std::string& bootstrap() const { return bootstrap_; }
  // The mock cluster, for fault injection in tests (rd_kafka_mock_push_request_errors).
  rd_kafka_mock_cluster_t* cluster() const { return cluster_; }

 private:
  dev_broker(handle rk, rd_kafka_mock_cluster_t* cluster);
  handle rk_;
  rd_kafka_mock_cluster_t* cluster_;
  std::string bootstrap_;
};

}  // namespace doorstep::kafka
