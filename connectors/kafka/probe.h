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

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

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
  // Counters of a family with two labels, kept by their values after the first Add:
  // Family::Add builds and hashes a label map on every call (about 2,500 instructions a
  // consumed message in bench_kafka). Thread-safe (the engine's threads count).
  class counters {
   public:
    counters(prometheus::Family<prometheus::Counter>& f, std::string label1, std::string label2)
        : family_(f), label1_(std::move(label1)), label2_(std::move(label2)) {}
    prometheus::Counter& at(std::string_view v1, std::string_view v2);

   private:
    struct less {
      using is_transparent = void;
      template <class A, class B>
      bool operator()(const A& a, const B& b) const {
        return std::string_view(a.first) < std::string_view(b.first) ||
               (std::string_view(a.first) == std::string_view(b.first) &&
                std::string_view(a.second) < std::string_view(b.second));
      }
    };
    prometheus::Family<prometheus::Counter>& family_;
    std::string label1_, label2_;
    std::mutex mu_;
    std::map<std::pair<std::string, std::string>, prometheus::Counter*, less> found_;
  };

  prometheus::Family<prometheus::Counter>& consumed_;
  prometheus::Family<prometheus::Counter>& dead_letters_;
  prometheus::Family<prometheus::Gauge>& lag_;
  prometheus::Family<prometheus::Counter>& published_;
  prometheus::Family<prometheus::Counter>& delivery_errors_;
  prometheus::Family<prometheus::Gauge>& pending_;
  prometheus::Counter& consumer_errors_;
  counters consumed_by_{consumed_, "topic", "outcome"};
  counters dead_letters_by_{dead_letters_, "topic", "code"};
};

}  // namespace doorstep::kafka
