// engine/main.cpp
// The doorstep command line. Exceptions end here: configuration and startup errors are
// printed with their file, line and field, and the process exits non-zero.
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <fstream>
#include <iostream>

#include "cli/backup.h"
#include "cli/generate.h"
#include "cli/serve.h"
#include "cli/simulate.h"
#include "cli/tokens.h"
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

int fsck(const config::loaded_config& cfg, const std::filesystem::path& data_dir) {
  auto st = store::store::open(data_dir / "store", store::options{cfg.engine.partitions, true, false, true});
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
  fsck_cmd->add_option("--data", data_dir, "data directory (default: engine.data_dir from config)");

  cli::serve_options serve;
  auto* serve_cmd = app.add_subcommand("serve", "serve the HTTP API (REST under /api/v1) until SIGINT or SIGTERM");
  serve_cmd->add_option("--listen", serve.listen, "address and port (default 127.0.0.1:8080; port 0 picks one)");
  serve_cmd->add_option("--data", serve.data_dir, "data directory (default: engine.data_dir from config)");
  serve_cmd->add_option("--backup-dir", serve.backup_dir,
                        "directory for online backups (POST /api/v1/admin/backup); without it they are off");
  serve_cmd->add_option("--clock", serve.clock, "real or simulated (drills: POST /api/v1/admin/clock moves it)")
      ->check(CLI::IsMember({"real", "simulated"}));
  serve_cmd->add_option("--clock-start", serve.clock_start, "simulated clock start, RFC 3339 (default: now)");
  serve_cmd->add_flag("--demo-tokens", serve.demo_tokens, "create and print well-known tokens for local trials");
  serve_cmd->add_option("--threads", serve.threads, "I/O and engine threads")->check(CLI::Range(1, 64));
  serve_cmd->add_option("--rate", serve.rate, "requests per second per token (bursts of twice that)")
      ->check(CLI::Range(0.1, 1e6));
  serve_cmd->add_option("--max-body", serve.max_body, "largest request body in bytes")->check(CLI::Range(256, 16777216));
  serve_cmd->add_option("--worklist-count-max", serve.worklist_count_max,
                        "the worklist counts matching tickets up to this many (total_exact: false beyond)")
      ->check(CLI::Range(1, 1000000));
  serve_cmd->add_option("--kafka", serve.kafka,
                        "Kafka edge: none, embedded (an in-process dev broker) or host:port,... of a cluster "
                        "(default: kafka.bootstrap from config, else none)");

  cli::backup_options bak;
  auto* backup_cmd = app.add_subcommand("backup", "back up a stopped store: RocksDB checkpoint plus tokens.json");
  backup_cmd->add_option("--data", bak.data_dir, "data directory (default: engine.data_dir from config)");
  backup_cmd->add_option("--to", bak.to, "the new backup directory (must not exist)")->required();

  cli::token_options tok;
  auto* token_cmd = app.add_subcommand("token", "manage API bearer tokens (only SHA-256 hashes are stored)");
  token_cmd->add_option("--data", data_dir, "data directory (default: engine.data_dir from config)");
  token_cmd->require_subcommand(1);
  auto* tok_add = token_cmd->add_subcommand("add", "create a token and print it once");
  tok_add->add_option("--name", tok.name, "who holds it (unique)")->required();
  tok_add->add_option("--role", tok.role, "operator, handler, supervisor, integration or admin")->required();
  tok_add->add_option("--scope", tok.scope, "jurisdiction subtree the token may see and act on (default *)");
  tok_add->add_option("--unit", tok.unit_id, "handler tokens: the unit they act for");
  auto* tok_list = token_cmd->add_subcommand("list", "list tokens (names, roles, scopes; never the tokens)");
  auto* tok_revoke = token_cmd->add_subcommand("revoke", "delete a token");
  tok_revoke->add_option("--name", tok.name, "the token's name")->required();

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
    if (serve_cmd->parsed()) return cli::run_serve(cfg, serve, std::cout, std::cerr);
    if (backup_cmd->parsed()) return cli::run_backup(cfg, bak, std::cout, std::cerr);
    if (token_cmd->parsed()) {
      tok.action = tok_add->parsed() ? "add" : tok_list->parsed() ? "list" : "revoke";
      return cli::run_tokens(cfg, data_dir.empty() ? cfg.engine.data_dir : data_dir, tok, std::cout, std::cerr);
    }
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
