// tests/bench/ingest_main.cpp
// bench_ingest: one durable-ingest measurement, printed as one JSON object on stdout.
//   bench_ingest --appeals 100000 --durability async --baseline raw
// runs the engine over the sample's appeals, then (with --baseline raw) commits the
// engine's recorded batches into a fresh store through a raw RocksDB loop. --verify
// checks both stores hold identical keys and values afterwards. --write-bodies writes the
// HTTP benchmark's request bodies and exits.
#include <CLI/CLI.hpp>

#include <boost/json.hpp>
#include <fstream>
#include <iostream>
#include <random>

#include "ingest.h"

namespace {

using namespace doorstep;
namespace json = boost::json;

std::filesystem::path fresh_dir(const std::filesystem::path& under) {
  std::random_device rd;
  auto dir = under / ("doorstep-bench-" + std::to_string(rd()));
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Doorstep durable-ingest benchmark: the engine against raw RocksDB on the same batches"};
  std::size_t appeals = 20000;
  std::string durability = "async", baseline = "raw", metrics = "on";
  std::filesystem::path tmp = std::filesystem::temp_directory_path();
  bench::ingest_options o;
  bool verify = false;
  app.add_option("--appeals", appeals, "appeals to ingest")->check(CLI::Range(1, 100000000));
  app.add_option("--durability", durability, "async (WAL, no fsync) or sync (fsync every group commit)")
      ->check(CLI::IsMember({"async", "sync"}));
  app.add_option("--metrics", metrics, "engine probe on or off")->check(CLI::IsMember({"on", "off"}));
  app.add_option("--baseline", baseline, "raw: replay the engine's batches into raw RocksDB; none")
      ->check(CLI::IsMember({"raw", "none"}));
  app.add_option("--threads", o.threads, "engine threads = raw writers")->check(CLI::Range(1, 64));
  app.add_option("--partitions", o.partitions, "engine partitions")->check(CLI::Range(1, 256));
  app.add_option("--group-commit-max", o.group_commit_max, "commands per group commit, at most")
      ->check(CLI::Range(1, 100000));
  app.add_option("--in-flight", o.in_flight, "appeals posted and not yet acknowledged, at most")
      ->check(CLI::Range(1, 1 << 24));
  app.add_option("--tmp", tmp, "where the stores go (removed afterwards)");
  app.add_flag("--verify", verify, "check the raw store equals the engine's store, key by key");
  app.add_flag("--progress", o.progress, "progress lines on stderr");
  bool outbox = false;
  app.add_flag("--outbox-read", outbox,
               "then read the engine's outbox back as the Kafka relay catches up on a backlog, timed");
  std::filesystem::path bodies;
  app.add_option("--write-bodies", bodies, "only write the sample's POST /api/v1/appeals bodies here, one a line");
  CLI11_PARSE(app, argc, argv);
  if (!bodies.empty()) {
    std::ofstream out(bodies);
    for (const auto& b : bench::sample_bodies()) out << b << "\n";
    return out ? 0 : 1;
  }
  o.sync = durability == "sync";
  o.metrics = metrics == "on";
  o.record = baseline == "raw";

  const auto dir = fresh_dir(tmp);
  int code = 0;
  try {
    auto work = bench::sample_appeals(appeals);
    const auto engine = bench::run_engine(std::move(work), dir / "engine", o);
    const std::size_t batches = engine.batches.batches(), bytes = engine.batches.bytes();
    json::object out{{"bench", "ingest"},
                     {"build", bench::build_kind()},
                     {"durability", durability},
                     {"metrics", metrics},
                     {"threads", o.threads},
                     {"partitions", o.partitions},
                     {"group_commit_max", o.group_commit_max},
                     {"appeals", engine.appeals},
                     {"created", engine.created},
                     {"joined", engine.joined},
                     {"rejected", engine.rejected},
                     {"engine_seconds", engine.seconds},
                     {"engine_per_second", static_cast<double>(engine.appeals) / engine.seconds},
                     {"engine_cpu_us_per_appeal", engine.cpu_seconds * 1e6 / static_cast<double>(engine.appeals)}};
    if (o.record) {
      out["batches"] = batches;
      out["batch_bytes"] = bytes;
      out["record_overflow_bytes"] = engine.batches.overflow_bytes();
      json::object families;
      for (const auto& f : bench::breakdown(engine.batches)) {
        families[f.family] = json::object{{"ops", f.ops}, {"bytes", f.bytes}};
      }
      out["families"] = std::move(families);
      out["appeals_per_batch"] = static_cast<double>(engine.appeals) / static_cast<double>(std::max<std::size_t>(batches, 1));
      const auto raw = bench::run_raw(engine.batches, dir / "raw", o);
      out["raw_seconds"] = raw.seconds;
      out["raw_per_second"] = static_cast<double>(engine.appeals) / raw.seconds;
      out["raw_cpu_us_per_appeal"] = raw.cpu_seconds * 1e6 / static_cast<double>(engine.appeals);
      out["ratio"] = raw.seconds / engine.seconds;
      if (verify) {
        const auto a = bench::digest(dir / "engine", o.partitions);
        const auto b = bench::digest(dir / "raw", o.partitions);
        out["verified_keys"] = a.keys;
        out["identical"] = a == b;
        if (!(a == b)) {
          std::cerr << "bench_ingest: the raw store differs from the engine's store (" << a.keys << " vs " << b.keys
                    << " keys)\n";
          code = 1;
        }
      }
    }
    if (outbox) {
      const auto r = bench::read_outbox(dir / "engine", o.partitions, 2000);
      out["outbox_entries"] = r.entries;
      out["outbox_read_seconds"] = r.seconds;
      out["outbox_read_per_second"] = static_cast<double>(r.entries) / r.seconds;
      out["outbox_read_mib_per_second"] = static_cast<double>(r.bytes) / r.seconds / (1024.0 * 1024.0);
    }
    if (engine.rejected > 0) {
      std::cerr << "bench_ingest: " << engine.rejected << " appeals were rejected\n";
      code = 1;
    }
    std::cout << json::serialize(out) << "\n";
  } catch (const std::exception& e) {
    std::cerr << "bench_ingest: " << e.what() << "\n";
    code = 1;
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return code;
}
