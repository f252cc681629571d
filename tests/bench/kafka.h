// tests/bench/kafka.h
// Kafka ingest: the sample's appeals produced to a dev broker (librdkafka's mock cluster:
// the real Kafka protocol over loopback, in process) as an integration would, then read
// twice from the same topic: by a raw librdkafka group consumer that only touches each
// payload, and by the engine's Kafka edge as `doorstep serve --kafka` runs it (consumer >
// engine partition > one RocksDB WriteBatch per group commit > outbox relay).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "config/loader.h"
#include "ingest.h"
#include "workload.h"

namespace doorstep::bench {

// One appeal as an integration sends it: key = the community id of its place, value =
// the POST /api/v1/appeals body with its source_id and reported_at (docs/api.md).
struct appeal_message {
  std::string key, value;
};
std::vector<appeal_message> appeal_messages(const std::vector<timed_appeal>& appeals);

struct produce_run {
  std::size_t messages = 0, bytes = 0;
  double seconds = 0;
};

// Produces every message to `topic` (of `partitions` partitions) with an idempotent
// producer (acks=all, lz4, as the relay publishes), waits for every acknowledgement and
// checks the broker still holds every message from offset 0. Throws on a failed delivery
// and when the broker has dropped some: librdkafka's mock cluster keeps at most 5 MiB
// (compressed) or 100,000 message sets a partition and drops the oldest beyond that.
produce_run produce(const std::string& bootstrap, const std::string& topic, unsigned partitions,
                    const std::vector<appeal_message>& messages);

// Rates leave out getting started (the engine's group join, where the mock coordinator
// waits 3 s for more members; the raw consumer's first fetch), a fixed cost that would
// swamp short runs: they count from the first message or outcome.
struct consume_run {
  std::size_t messages = 0, bytes = 0;
  std::size_t timed = 0;     // messages after the first one
  double seconds = 0;        // first message to the last
  double start_seconds = 0;  // assign to the first message
  double cpu_seconds = 0;    // the whole process, first message to last (mock cluster included)
  double per_second() const { return static_cast<double>(timed) / seconds; }
};

// The baseline: a consumer with the engine consumer's own client configuration
// (kafka::consumer::configuration, group `group`) assigned every partition of the same
// topics, polling one message at a time as the engine's consumer does until `n` arrived;
// sums the payload lengths. Throws when no message arrives for 30 s.
consume_run run_raw_consumer(const config::kafka_settings& k, const std::string& bootstrap, const std::string& group,
                             std::size_t n);

struct kafka_engine_options {
  unsigned threads = 2;
  unsigned group_commit_max = 256;
  bool progress = false;  // a line on stderr every second
};

struct kafka_engine_run {
  std::size_t handled = 0;  // outcomes back at the consumer
  // Outcomes by the edge's probe (applied includes joins).
  std::size_t applied = 0, duplicate = 0, skipped = 0, dead_lettered = 0;
  std::size_t tickets = 0, joined = 0;  // read back from the store
  std::size_t timed = 0;                // outcomes after the first observed
  double seconds = 0;                   // first observed outcome to the n-th
  double join_seconds = 0;              // start_consumer to the first observed outcome
  double cpu_seconds = 0;               // the whole process meanwhile (engine, RocksDB, relay, mock cluster)
  double per_second() const { return static_cast<double>(timed) / seconds; }
  recorded_batches batches;  // every batch the engine committed (for run_raw)
};

// A fresh store at `dir` (the store's options, WAL without sync), an engine with
// `partitions` partitions on a simulated clock (no timers armed), and the Kafka edge at
// `bootstrap` (consumer in group `k.group_id`, outbox relay) until `times.size()` messages
// have been committed; then stops as `serve` does and reads the store back. Records
// every committed batch, as bench_ingest does, for the raw RocksDB baseline. The clock
// follows the stream: once i messages are committed it reads `times[i]` (the report time
// of the i-th appeal produced), so tickets are created about when the sample reported
// them and the duplicate window joins about what bench_ingest joins. (A fixed clock would
// put every ticket inside one window: copies of the sample would join the first copy's
// tickets.) Throws when nothing commits for 30 s.
kafka_engine_run run_kafka_engine(const config::kafka_settings& k, const std::string& bootstrap,
                                  const std::vector<instant>& times, unsigned partitions,
                                  const std::filesystem::path& dir, const kafka_engine_options& o);

}  // namespace doorstep::bench
