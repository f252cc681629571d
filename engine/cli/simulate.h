// engine/cli/simulate.h
// `doorstep simulate`: feeds a JSON-lines file of timed commands through the real
// engine (store, partitions, timers) on the simulated clock, then prints a summary.
//
// Input, one JSON object a line, in time order:
//   {"at": "2026-02-10T09:12:00+08:00", "command": "submit", "id": "c-1",
//    "channel": "hotline", "category": "street_light", "description": "...",
//    "location": {"jurisdiction_id": "runtai-huayuan-b1"}, "source_id": "a-1"}
//   {"at": "...", "command": "accept", "id": "c-2", "ref": "a-1",
//    "actor": {"role": "handler", "id": "runtai-g1-worker"}}
// "ref" names the source_id of the appeal whose ticket the action is for; "ticket_id"
// may be given instead. "id" makes the line idempotent across restarts.
#pragma once

#include <filesystem>
#include <optional>
#include <ostream>
#include <string>

#include "config/loader.h"

namespace doorstep::cli {

struct simulate_options {
  std::string input;                   // file path, or "-" for standard input
  std::filesystem::path data_dir;      // empty: a fresh temporary store, removed afterwards
  bool acks = false;                   // print one JSON line per committed command (crash tests)
  bool json = false;                   // print the summary as JSON
  bool progress = true;                // progress lines on stderr for long runs
  bool sync = false;                   // fsync every group commit (default: WAL without sync)
  std::optional<instant> until;        // advance the clock to here after the last command
  unsigned threads = 2;
};

// Returns the process exit code: 0 ok, 2 bad input (nothing run), 1 engine failure.
int run_simulate(const config::loaded_config& cfg, const simulate_options& opts, std::ostream& out,
                 std::ostream& err);

}  // namespace doorstep::cli
