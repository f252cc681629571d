// tests/bench/kafka_main.cpp
// bench_kafka: one Kafka-ingest measurement, printed as one JSON object on stdout.
//   bench_kafka --appeals 100000 --partitions 8
// starts a dev broker in process, produces the sample's appeals to the appeals topic
// (before any timing), reads them all with a raw librdkafka consumer, has the engine's
// Kafka edge consume and commit them into a fresh store (WAL without sync), and finally
// writes the engine's recorded batches into another fresh store through a raw RocksDB
// loop (as bench_ingest does). "ratio" is the engine's rate over the slower baseline.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <boost/json.hpp>
#include <iostream>
#include <random>

#include "kafka.h"
#include "kafka/dev_broker.h"

namespace {

using namespace doorstep;
namespace json = boost::json;

std::filesystem::path fresh_dir(const std::filesystem::path& under) {
  std::random_device rd;
  auto dir = under / ("doorstep-bench-kafka-" + std::to_string(rd()));
  std::filesystem::create_directories(dir);
  return dir;
}

double us_each(double cpu_seconds, std::size_t n) {
  return cpu_seconds * 1e6 / static_cast<double>(n);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Doorstep Kafka-ingest benchmark: the engine's Kafka edge against a raw librdkafka consumer"};
  std::size_t appeals = 20000;
  unsigned brokers = 1, partitions = 8;
  bench::kafka_engine_options o;
  std::filesystem::path tmp = std::filesystem::temp_directory_path();
  bool smoke = false;
  app.add_option("--appeals", appeals, "appeals to produce and consume (the dev broker holds about 225,000 over 8 partitions)")->check(CLI::Range(1, 10000000));
  app.add_option("--brokers", brokers, "brokers of the dev cluster")->check(CLI::Range(1, 16));
  app.add_option("--partitions", partitions, "partitions of the topics and of the engine")->check(CLI::Range(1, 256));
  app.add_option("--threads", o.threads, "engine threads")->check(CLI::Range(1, 64));
  app.add_option("--group-commit-max", o.group_commit_max, "commands per group commit, at most")
      ->check(CLI::Range(1, 100000));
  app.add_option("--tmp", tmp, "where the store goes (removed afterwards)");
  app.add_flag("--progress", o.progress, "progress lines on stderr");
  app.add_flag("--smoke", smoke, "allow any build (a check that the benchmark runs, not a measurement)");
  CLI11_PARSE(app, argc, argv);
  const auto build = bench::build_kind();
  if (!smoke && build != "Release") {
    std::cerr << "bench_kafka: refusing to measure a " << build << " build; use the release preset (or --smoke)\n";
    return 2;
  }

  const auto dir = fresh_dir(tmp);
  int code = 0;
  try {
    auto k = bench::demo_config().kafka;
    k.topic_partitions = partitions;
    auto started = kafka::dev_broker::start(brokers, k);
    if (!started) throw std::runtime_error(started.err().message);
    const auto broker = std::move(*started);
    const auto work = bench::sample_appeals(appeals);
    std::vector<instant> times;
    for (const auto& a : work) times.push_back(a.at);
    const auto produced = bench::produce(broker->bootstrap(), k.appeals_topic, partitions, bench::appeal_messages(work));

    const auto raw = bench::run_raw_consumer(k, broker->bootstrap(), "doorstep-bench-raw", appeals);
    k.group_id = "doorstep-bench-engine";
    const auto engine = bench::run_kafka_engine(k, broker->bootstrap(), times, partitions, dir / "engine", o);
    bench::ingest_options io;
    io.sync = false;
    io.threads = o.threads;
    io.partitions = partitions;
    const auto raw_store = bench::run_raw(engine.batches, dir / "raw", io);
    const double raw_store_rate = static_cast<double>(appeals) / raw_store.seconds;
    const double baseline = std::min(raw.per_second(), raw_store_rate);

    json::object out{{"bench", "kafka"},
                     {"build", build},
                     {"brokers", brokers},
                     {"partitions", partitions},
                     {"threads", o.threads},
                     {"group_commit_max", o.group_commit_max},
                     {"appeals", appeals},
                     {"message_bytes", static_cast<double>(produced.bytes) / static_cast<double>(appeals)},
                     {"produce_seconds", produced.seconds},
                     {"raw_consumer_seconds", raw.seconds},
                     {"raw_consumer_start_seconds", raw.start_seconds},
                     {"raw_consumer_per_second", raw.per_second()},
                     {"raw_consumer_cpu_us_per_appeal", us_each(raw.cpu_seconds, raw.timed)},
                     {"engine_seconds", engine.seconds},
                     {"engine_join_seconds", engine.join_seconds},
                     {"engine_per_second", engine.per_second()},
                     {"engine_cpu_us_per_appeal", us_each(engine.cpu_seconds, engine.timed)},
                     {"raw_rocksdb_per_second", raw_store_rate},
                     {"raw_rocksdb_cpu_us_per_appeal", us_each(raw_store.cpu_seconds, appeals)},
                     {"batches", raw_store.batches},
                     {"batch_bytes", raw_store.bytes},
                     {"record_overflow_bytes", engine.batches.overflow_bytes()},
                     {"appeals_per_batch",
                      static_cast<double>(appeals) / static_cast<double>(std::max<std::size_t>(raw_store.batches, 1))},
                     {"ratio", engine.per_second() / baseline},
                     {"applied", engine.applied},
                     {"duplicate", engine.duplicate},
                     {"skipped", engine.skipped},
                     {"dead_lettered", engine.dead_lettered},
                     {"created", engine.tickets},
                     {"joined", engine.joined}};
    std::string problem;
    if (raw.bytes != produced.bytes) problem = "the raw consumer read other bytes than were produced";
    if (engine.handled != appeals || engine.applied + engine.dead_lettered != appeals) {
      problem = "the engine handled " + std::to_string(engine.handled) + " messages, " +
                std::to_string(engine.applied) + " applied and " + std::to_string(engine.dead_lettered) +
                " dead-lettered, of " + std::to_string(appeals);
    }
    if (engine.tickets + engine.joined + engine.dead_lettered != appeals) {
      problem = "the store holds " + std::to_string(engine.tickets) + " tickets and " + std::to_string(engine.joined) +
                " joins for " + std::to_string(appeals) + " appeals (" + std::to_string(engine.dead_lettered) +
                " dead-lettered)";
    }
    if (engine.dead_lettered > 0)
      std::cerr << "bench_kafka: " << engine.dead_lettered << " appeals were dead-lettered\n";
    if (!problem.empty()) {
      std::cerr << "bench_kafka: " << problem << "\n";
      code = 1;
    }
    std::cout << json::serialize(out) << "\n";
  } catch (const std::exception& e) {
    std::cerr << "bench_kafka: " << e.what() << "\n";
    code = 1;
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return code;
}
