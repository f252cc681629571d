#include "kafka/probe.h"

#include <string>

namespace doorstep::kafka {
namespace {
std::string s(std::string_view v) { return std::string(v); }
}  // namespace

probe::probe(prometheus::Registry& r)
    : consumed_(prometheus::BuildCounter()
                    .Name("doorstep_kafka_messages_consumed_total")
                    .Help("Inbound Kafka messages handled, by topic and outcome")
                    .Register(r)),
      dead_letters_(prometheus::BuildCounter()
                        .Name("doorstep_kafka_dlq_messages_total")
                        .Help("Inbound messages parked on the dead-letter topic, by source topic and error code")
                        .Register(r)),
      lag_(prometheus::BuildGauge()
               .Name("doorstep_kafka_consumer_lag_messages")
               .Help("Messages on an inbound partition not yet committed by the engine")
               .Register(r)),
      published_(prometheus::BuildCounter()
                     .Name("doorstep_kafka_messages_published_total")
                     .Help("Outbound messages acknowledged by the cluster, by stream (ticket_events, dead_letters)")
                     .Register(r)),
      delivery_errors_(prometheus::BuildCounter()
                           .Name("doorstep_kafka_delivery_errors_total")
                           .Help("Outbound messages the cluster did not acknowledge (they are sent again), by stream")
                           .Register(r)),
      pending_(prometheus::BuildGauge()
                   .Name("doorstep_kafka_outbox_pending")
                   .Help("Committed entries not yet acknowledged by the cluster, by stream")
                   .Register(r)),
      consumer_errors_(prometheus::BuildCounter()
                           .Name("doorstep_kafka_consumer_errors_total")
                           .Help("Errors reported by the Kafka consumer (broker down, authentication, ...)")
                           .Register(r)
                           .Add({})) {
  for (const char* stream : {"ticket_events", "dead_letters"}) {
    published_.Add({{"stream", stream}});
    delivery_errors_.Add({{"stream", stream}});
    pending_.Add({{"stream", stream}});
  }
}

void probe::consumed(std::string_view topic, std::string_view outcome) { consumed_by_.at({topic, outcome}).Increment(); }

void probe::dead_lettered(std::string_view topic, std::string_view code) {
  dead_letters_by_.at({topic, code}).Increment();
}

void probe::lag(std::string_view topic, std::int32_t partition, std::int64_t messages) {
  lag_.Add({{"topic", s(topic)}, {"partition", std::to_string(partition)}}).Set(static_cast<double>(messages));
}

void probe::published(std::string_view stream, std::uint64_t n) {
  published_.Add({{"stream", s(stream)}}).Increment(static_cast<double>(n));
}

void probe::delivery_error(std::string_view stream) { delivery_errors_.Add({{"stream", s(stream)}}).Increment(); }

void probe::pending(std::string_view stream, std::uint64_t entries) {
  pending_.Add({{"stream", s(stream)}}).Set(static_cast<double>(entries));
}

void probe::consumer_error() { consumer_errors_.Increment(); }

}  // namespace doorstep::kafka
