// connectors/kafka/client.h
// Thin ownership over librdkafka's C handles and the one place configuration is built:
// defaults first, then the operator's pass-through properties from config, each
// refusal reported with the property's name and where it was written.
#pragma once

#include <librdkafka/rdkafka.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "config/loader.h"
#include "domain/result.h"

namespace doorstep::kafka {

struct handle_deleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using handle = std::unique_ptr<rd_kafka_t, handle_deleter>;

struct list_deleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const { rd_kafka_topic_partition_list_destroy(l); }
};
using partition_list = std::unique_ptr<rd_kafka_topic_partition_list_t, list_deleter>;

struct message_deleter {
  void operator()(rd_kafka_message_t* m) const { rd_kafka_message_destroy(m); }
};
using message = std::unique_ptr<rd_kafka_message_t, message_deleter>;

struct conf_deleter {
  void operator()(rd_kafka_conf_t* c) const { rd_kafka_conf_destroy(c); }
};
using conf = std::unique_ptr<rd_kafka_conf_t, conf_deleter>;

// Builds a configuration: `defaults` (the connector's own choices), then the config
// file's properties (which may override them, except those listed in `fixed`, which
// exactness depends on). Errors: kafka_config naming the property.
result<conf> make_conf(const std::string& bootstrap, const std::vector<std::pair<std::string, std::string>>& defaults,
                       const std::vector<config::kafka_settings::property>& properties,
                       const std::vector<std::string>& fixed = {});

// Creates a client from `c` (consumed on success). Errors: kafka_client.
result<handle> make_client(rd_kafka_type_t type, conf c);

// A message's key, absent when it had none.
std::optional<std::string> key_of(const rd_kafka_message_t& m);

}  // namespace doorstep::kafka
