// connectors/kafka/probe.h
// The Kafka edge's metrics (docs/metrics.md): messages consumed by outcome, dead
// letters by error code, consumer lag per partition, publication and delivery errors
// per stream, and the outbox backlog. Labels are bounded: topics from config,
// partitions of those topics, outcome and stream names, error codes of the engine.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <string_view>

#include "metrics/labeled.h"

namespace doorstep::kafka {

class probe {
 public:
  explicit probe(prometheus::Registry& r);

  // outcome: applied | duplicate (absorbed by source or command id) | skipped (already
  // consumed) | dead_lettered
  void consumed(std::string_view topic, std::string_view outcome);
  void dead_lettered(std::string_view topic, std::string_view code);
  void lag(std::string_view topic, std::int32_t partition, std::int64_t messages);
  void published(std::string_view stream, std::uint64_t n);
  void delivery_error(std::string_view stream);
  void pending(std::string_view stream, std::uint64_t entries);
  void consumer_error();

 private:
  prometheus::Family<prometheus::Counter>& consumed_;
  prometheus::Family<prometheus::Counter>& dead_letters_;
  prometheus::Family<prometheus::Gauge>& lag_;
  prometheus::Family<prometheus::Counter>& published_;
  prometheus::Family<prometheus::Counter>& delivery_errors_;
  prometheus::Family<prometheus::Gauge>& pending_;
  prometheus::Counter& consumer_errors_;
  metrics::labeled<prometheus::Counter, 2> consumed_by_{consumed_, {"topic", "outcome"}};
  metrics::labeled<prometheus::Counter, 2> dead_letters_by_{dead_letters_, {"topic", "code"}};
};

}  // namespace doorstep::kafka
