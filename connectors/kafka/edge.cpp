#include "kafka/edge.h"

namespace doorstep::kafka {

status_result edge::check(const config::kafka_settings& k, const std::string& where) {
  if (where != "embedded" && (where.empty() || where.find(':') == std::string::npos)) {
    return make_error("kafka_config", "--kafka must be none, embedded or host:port[,host:port...], not '" + where + "'");
  }
  if (auto c = consumer::configuration(k, where == "embedded" ? "127.0.0.1:9" : where); !c) return c.err();
  if (auto c = relay::configuration(k, where == "embedded" ? "127.0.0.1:9" : where); !c) return c.err();
  return ok_v;
}

result<std::unique_ptr<edge>> edge::open(store::store& s, const config::kafka_settings& k, const std::string& where,
                                         prometheus::Registry* registry) {
  std::unique_ptr<edge> e(new edge());
  e->settings_ = &k;
  if (registry) e->probe_ = std::make_unique<probe>(*registry);
  if (where == "embedded") {
    auto b = dev_broker::start(1, k);
    if (!b) return b.err();
    e->broker_ = std::move(*b);
    e->bootstrap_ = e->broker_->bootstrap();
  } else {
    if (where.empty() || where.find(':') == std::string::npos) {
      return make_error("kafka_config", "--kafka must be none, embedded or host:port[,host:port...], not '" + where + "'");
    }
    e->bootstrap_ = where;
  }
  e->relay_ = std::make_unique<relay>(s, k, e->bootstrap_, e->probe_.get());
  if (auto r = e->relay_->start(); !r) return r.err();
  return e;
}

edge::~edge() { stop(); }

void edge::attach(runtime::engine_options& o) {
  o.commit_events = true;
  o.on_commit = [r = relay_.get()](unsigned p, std::vector<store::staged_event> events) {
    r->committed(p, std::move(events));
  };
}

status_result edge::start_consumer(runtime::engine& eng) {
  consumer_ = std::make_unique<consumer>(eng, *settings_, bootstrap_, probe_.get());
  return consumer_->start();
}

void edge::stop_consumer() {
  if (consumer_) consumer_->stop();
}

void edge::stop() {
  stop_consumer();
  if (relay_) relay_->stop();
}

}  // namespace doorstep::kafka
