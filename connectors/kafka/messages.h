// connectors/kafka/messages.h
// What an inbound Kafka message asks for: the engine job it becomes and the partition
// that runs it. Pure: no I/O, no clock (the message timestamp or `now` is passed in).
//
// The partition is always the one of the message key (FNV-1a of the community id, as
// for HTTP appeals), whatever the payload says, so the offset the partition commits
// with the message's effect is found again after a crash. A message that cannot be
// used becomes a job with `refused` set: the partition parks it for the DLQ.
#pragma once

#include <optional>
#include <string>

#include "config/loader.h"
#include "runtime/partition.h"

namespace doorstep::kafka {

enum class inbound_kind { appeal, command };

struct raw_message {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::int64_t timestamp_ms = -1;
  std::optional<std::string> key;
  std::string payload;
};

struct routed_job {
  unsigned partition = 0;
  runtime::job job;
};

// Error codes of refused messages (the DLQ header doorstep.error.code): too_large,
// wrong_key, invalid_json, schema_violation, unknown_jurisdiction, forbidden; the
// engine adds its own rejections (unknown_category, not_found, illegal_transition, ...).
routed_job route_message(const routing::rulebook& rules, unsigned partitions, const config::kafka_settings& k,
                         inbound_kind kind, raw_message m, instant now);

}  // namespace doorstep::kafka
