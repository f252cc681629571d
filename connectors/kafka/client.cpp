#include "kafka/client.h"

#include <algorithm>

namespace doorstep::kafka {

result<conf> make_conf(const std::string& bootstrap, const std::vector<std::pair<std::string, std::string>>& defaults,
                       const std::vector<config::kafka_settings::property>& properties,
                       const std::vector<std::string>& fixed) {
  conf c(rd_kafka_conf_new());
  char err[512];
  auto set = [&](const std::string& name, const std::string& value) {
    return rd_kafka_conf_set(c.get(), name.c_str(), value.c_str(), err, sizeof err) == RD_KAFKA_CONF_OK;
  };
  if (!set("bootstrap.servers", bootstrap)) return make_error("kafka_config", "bootstrap.servers: " + std::string(err));
  for (const auto& [name, value] : defaults) {
    if (!set(name, value)) return make_error("kafka_config", name + ": " + err);
  }
  for (const auto& p : properties) {
    if (std::find(fixed.begin(), fixed.end(), p.name) != fixed.end()) {
      return make_error("kafka_config", p.where + ": kafka.properties." + p.name +
                                            ": is set by Doorstep itself (exactly-once depends on it)");
    }
    if (!set(p.name, p.value)) return make_error("kafka_config", p.where + ": kafka.properties." + p.name + ": " + err);
  }
  return c;
}

result<handle> make_client(rd_kafka_type_t type, conf c) {
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(type, c.get(), err, sizeof err);
  if (!rk) return make_error("kafka_client", std::string("cannot create the Kafka client: ") + err);
  (void)c.release();  // rd_kafka_new owns it now
  return handle(rk);
}

std::optional<std::string> key_of(const rd_kafka_message_t& m) {
  if (!m.key) return std::nullopt;
  return std::string(static_cast<const char*>(m.key), m.key_len);
}

}  // namespace doorstep::kafka
