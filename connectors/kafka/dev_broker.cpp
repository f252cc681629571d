#include "kafka/dev_broker.h"

#include <algorithm>

namespace doorstep::kafka {

dev_broker::dev_broker(handle rk, rd_kafka_mock_cluster_t* cluster)
    : rk_(std::move(rk)), cluster_(cluster), bootstrap_(rd_kafka_mock_cluster_bootstraps(cluster)) {}

dev_broker::~dev_broker() {
  rd_kafka_mock_cluster_destroy(cluster_);  // before the client instance it runs in
}

result<std::unique_ptr<dev_broker>> dev_broker::start(unsigned brokers, const config::kafka_settings& k) {
  if (brokers < 1 || brokers > 16) return make_error("kafka_broker", "a dev broker has 1 to 16 brokers");
  conf c(rd_kafka_conf_new());
  char err[512];
  if (rd_kafka_conf_set(c.get(), "log_level", "3", err, sizeof err) != RD_KAFKA_CONF_OK) {
    return make_error("kafka_config", err);
  }
  auto rk = make_client(RD_KAFKA_PRODUCER, std::move(c));
  if (!rk) return rk.err();
  auto* cluster = rd_kafka_mock_cluster_new(rk->get(), static_cast<int>(brokers));
  if (!cluster) return make_error("kafka_broker", "cannot start the mock cluster");
  std::unique_ptr<dev_broker> out(new dev_broker(std::move(*rk), cluster));
  const int replication = static_cast<int>(std::min(brokers, 3u));
  for (const auto& topic : {k.appeals_topic, k.commands_topic, k.ticket_events_topic, k.dlq_topic}) {
    auto e = rd_kafka_mock_topic_create(cluster, topic.c_str(), static_cast<int>(k.topic_partitions), replication);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return make_error("kafka_broker", "cannot create topic " + topic + ": " + rd_kafka_err2str(e));
    }
  }
  return out;
}

}  // namespace doorstep::kafka
