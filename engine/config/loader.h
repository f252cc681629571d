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

struct loaded_config {
  engine_settings engine;
  std::shared_ptr<const routing::rulebook> rules;
  std::string entry_file;
};

// Throws config_error.
loaded_config load(const std::filesystem::path& entry_file);

}  // namespace doorstep::config
