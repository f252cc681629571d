// engine/config/loader.h
// Loads and validates the whole configuration (engine settings, calendars, places,
// categories, SLA policies, routing rules) from the YAML entry file. Every problem is
// reported as config_error "<file>:<line>:<col>: <field>: <problem>". Startup only.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "config/yaml_reader.h"
#include "routing/rulebook.h"

namespace doorstep::config {

enum class durability : std::uint8_t {
  sync,   // fsync the WAL on every group commit: survives power loss
  async,  // WAL written but not synced: survives a process crash (kill -9), not power loss
};

struct engine_settings {
  unsigned partitions = 8;
  std::string data_dir = "./data/doorstep";
  durability dur = durability::sync;
  unsigned group_commit_max = 256;
};

// The Kafka edge (connectors/kafka, docs/kafka.md).
struct kafka_settings {
  std::string bootstrap;  // host:port,...; empty: no Kafka unless `serve --kafka` says so
  std::string group_id = "doorstep";
  std::string client_id = "doorstep";
  std::string appeals_topic = "doorstep.appeals.v1";
  std::string commands_topic = "doorstep.commands.v1";
  std::string ticket_events_topic = "doorstep.ticket-events.v1";
  std::string dlq_topic = "doorstep.dlq.v1";
  unsigned topic_partitions = 8;           // topics the dev broker and embedded mode create
  std::size_t max_message_bytes = 65536;   // larger inbound messages go to the DLQ (too_large)
  // librdkafka properties passed through as they are (security.protocol, sasl.*, ssl.*),
  // each with where it was written ("<file>:<line>:<col>") for error messages.
  struct property {
    std::string name, value, where;
  };
  std::vector<property> properties;
};

struct loaded_config {
  engine_settings engine;
  kafka_settings kafka;
  std::shared_ptr<const routing::rulebook> rules;
  std::string entry_file;
};

// Throws config_error.
loaded_config load(const std::filesystem::path& entry_file);

}  // namespace doorstep::config
