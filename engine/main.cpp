// engine/main.cpp
// The doorstep command line. Exceptions end here: configuration and startup errors are
// printed with their file, line and field, and the process exits non-zero.
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <fstream>
#include <iostream>

#include "cli/generate.h"
#include "cli/simulate.h"
#include "config/loader.h"
#include "store/fsck.h"

#ifndef DOORSTEP_SOURCE_CONFIG
#define DOORSTEP_SOURCE_CONFIG "config/doorstep.yaml"
#endif

namespace {

using namespace doorstep;

std::string default_config() {
  if (const char* env = std::getenv("DOORSTEP_CONFIG"); env && *env) return env;
  if (std::filesystem::exists("config/doorstep.yaml")) return "config/doorstep.yaml";
  return DOORSTEP_SOURCE_CONFIG;
}

int check_config(const config::loaded_config& cfg) {
  const auto& r = *cfg.rules;
  std::cout << "config OK: " << cfg.entry_file << "\n"
            << "  places: " << r.tree().size() << ", units: " << r.tree().units().size()
            << ", categories: " << r.categories().size() << ", routing rules: " << r.rules().size()
            << ", calendars: " << r.calendars().size() << "\n"
            << "  partitions: " << cfg.engine.partitions << ", data_dir: " << cfg.engine.data_dir
            << ", durability: " << (cfg.engine.dur == config::durability::sync ? "sync" : "async") << "\n";
  return 0;
}

int fsck(const config::loaded_config& cfg, const std::string& data_dir) {
  auto st = store::store::open(data_dir, store::options{cfg.engine.partitions, true, false, true});
  if (!st) {
    std::cerr << "fsck: " << st.err().message << "\n";
    return 2;
  }
  const auto& rules = *cfg.rules;
  auto report = store::fsck(**st, [&](const ticket& t) { return rules.duplicate_scope_of(t.jurisdiction_id); });
  std::cout << "fsck: " << report.tickets << " tickets, " << report.events << " events, " << report.index_entries
            << " index entries\n";
  for (const auto& p : report.problems) std::cout << "  problem: " << p << "\n";
  std::cout << (report.ok() ? "fsck: consistent\n" : "fsck: INCONSISTENT\n");
  return report.ok() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Doorstep: appeal and ticketing engine for community governance"};
  app.require_subcommand(1);
  std::string config_path = default_config();
  app.add_option("-c,--config", config_path, "entry config file (default: $DOORSTEP_CONFIG or config/doorstep.yaml)");

  auto* check = app.add_subcommand("check-config", "validate the configuration and print what it holds");

  std::string data_dir;
  auto* fsck_cmd = app.add_subcommand("fsck", "verify snapshots equal the fold of their events and every index entry");
  fsck_cmd->add_option("--data", data_dir, "store directory (default: engine.data_dir from config)");

  cli::simulate_options sim;
  std::string until;
  auto* sim_cmd = app.add_subcommand("simulate", "run timed commands through the engine on the simulated clock");
  sim_cmd->add_option("-i,--input", sim.input, "JSON-lines file of timed commands, or - for stdin")->required();
  sim_cmd->add_option("--data", sim.data_dir, "store directory to use and keep (default: a temporary one)");
  sim_cmd->add_flag("--acks", sim.acks, "print one JSON line per committed command instead of the summary");
  sim_cmd->add_flag("--json", sim.json, "print the summary as JSON");
  sim_cmd->add_flag("--sync", sim.sync, "fsync every group commit");
  sim_cmd->add_option("--until", until, "after the input, advance the clock to this RFC 3339 time");
  sim_cmd->add_option("--threads", sim.threads, "engine threads")->check(CLI::Range(1, 64));

  cli::generate_options gen;
  std::string from = "2026-01-26", output = "-";
  auto* gen_cmd = app.add_subcommand("generate", "write a reproducible sample of appeals and actions");
  gen_cmd->add_option("-n,--appeals", gen.appeals, "number of appeals")->check(CLI::Range(1, 100000000));
  gen_cmd->add_option("--from", from, "first day, YYYY-MM-DD (Asia/Shanghai)");
  gen_cmd->add_option("--days", gen.days, "days to spread appeals over")->check(CLI::Range(1, 3660));
  gen_cmd->add_option("--seed", gen.seed, "random seed");
  gen_cmd->add_option("-o,--output", output, "output file, or - for stdout");

  CLI11_PARSE(app, argc, argv);

  try {
    const auto cfg = config::load(config_path);
    if (check->parsed()) return check_config(cfg);
    if (fsck_cmd->parsed()) return fsck(cfg, data_dir.empty() ? cfg.engine.data_dir : data_dir);
    if (sim_cmd->parsed()) {
      if (!until.empty()) {
        auto t = parse_rfc3339(until);
        if (!t) {
          std::cerr << "simulate: --until '" << until << "' is not an RFC 3339 date-time\n";
          return 2;
        }
        sim.until = *t;
      }
      return cli::run_simulate(cfg, sim, std::cout, std::cerr);
    }
    if (gen_cmd->parsed()) {
      auto day = parse_date(from);
      if (!day) {
        std::cerr << "generate: --from '" << from << "' is not a date YYYY-MM-DD\n";
        return 2;
      }
      gen.from = from_millis(days_from_civil(day->year, day->month, day->day) * 86400000LL);
      if (output == "-") {
        cli::generate(*cfg.rules, gen, std::cout);
      } else {
        std::ofstream out(output);
        if (!out) {
          std::cerr << "generate: cannot write " << output << "\n";
          return 2;
        }
        const auto n = cli::generate(*cfg.rules, gen, out);
        std::cerr << "generate: wrote " << n << " lines to " << output << "\n";
      }
      return 0;
    }
  } catch (const config::config_error& e) {
    std::cerr << "config error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
