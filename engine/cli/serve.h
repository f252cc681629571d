// engine/cli/serve.h
// `doorstep serve`: the engine behind the HTTP API, until SIGINT or SIGTERM.
#pragma once

#include <filesystem>
#include <ostream>
#include <string>

#include "config/loader.h"
#include "domain/result.h"

namespace doorstep::cli {

struct serve_options {
  std::string listen = "127.0.0.1:8080";  // host:port; port 0 picks a free one
  std::filesystem::path data_dir;         // empty: engine.data_dir from config
  std::filesystem::path backup_dir;       // online backups go here; empty: off
  std::string clock = "real";             // real | simulated
  std::string clock_start;                // simulated: RFC 3339 start (default: now)
  bool demo_tokens = false;               // create the well-known local demo tokens
  unsigned threads = 2;
  double rate = 100;          // requests per second per token (burst: twice that)
  std::size_t max_body = 64 * 1024;
  std::size_t worklist_count_max = 1000;  // the worklist counts matches up to this many
  // Kafka edge: none | embedded | host:port,...; empty: kafka.bootstrap from config, or none.
  std::string kafka;
};

int run_serve(const config::loaded_config& cfg, const serve_options& opts, std::ostream& out, std::ostream& err);

// Creates the online backup directory if needed and returns its absolute path. Errors
// (invalid_field): not a usable directory, or inside `<data_dir>/store` (RocksDB's own).
[[nodiscard]] result<std::filesystem::path> prepare_backup_dir(const std::filesystem::path& dir,
                                                               const std::filesystem::path& data_dir);

}  // namespace doorstep::cli
