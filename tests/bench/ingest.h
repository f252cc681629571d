// tests/bench/ingest.h
// Durable ingest: appeals through the whole engine (route, dispatch, SLA clocks, one
// RocksDB WriteBatch per group commit), and the raw-RocksDB baseline that commits the
// very batches the engine produced, with the same options, sync setting and writers.
#pragma once

#include <rocksdb/db.h>

#include <filesystem>
#include <string>
#include <vector>

#include "recorder.h"
#include "workload.h"

namespace doorstep::bench {

struct ingest_options {
  bool sync = false;                // fsync the WAL on every group commit
  bool metrics = true;              // the engine probe on a Prometheus registry, as `serve` runs it
  unsigned threads = 2;             // engine threads; the raw baseline uses as many writers
  unsigned partitions = 8;
  unsigned group_commit_max = 256;
  std::size_t in_flight = 8192;     // appeals posted but not yet acknowledged, at most
  bool record = true;               // keep every committed batch for the raw baseline
  bool progress = false;            // a line on stderr every tenth of the run
};

struct engine_run {
  std::size_t appeals = 0, created = 0, joined = 0, rejected = 0;
  double seconds = 0;      // first post to last acknowledgement
  double cpu_seconds = 0;  // user + system time of the whole process meanwhile (RocksDB's threads too)
  recorded_batches batches;  // with o.record: every batch committed, per partition in commit order
};

// Posts every appeal (each decided at its own reported time) into a fresh store at
// `dir` and waits until all are acknowledged. Rejections are counted, not fatal.
engine_run run_engine(std::vector<timed_appeal> appeals, const std::filesystem::path& dir, const ingest_options& o);

struct raw_run {
  std::size_t batches = 0, bytes = 0;
  double seconds = 0;
  double cpu_seconds = 0;
};

// Writes the recorded batches into a fresh store at `dir` through DB::Write, with the
// store's own RocksDB options and `o.sync`, from `o.threads` writers. Partition p is
// written by writer p % threads in commit order, partitions interleaved round by round.
// Throws on a failed write.
raw_run run_raw(const recorded_batches& batches, const std::filesystem::path& dir, const ingest_options& o);

// Bytes (key + value) and operations in the recorded batches per key family ("s", "e",
// "t", "x", "d", "k", "o", "m"; deletes as "del"): what one appeal costs the store.
struct family_bytes {
  std::string family;
  std::size_t ops = 0, bytes = 0;
};
std::vector<family_bytes> breakdown(const recorded_batches& batches);

// Every ticket-event entry of the store at `dir` read as the Kafka relay reads a backlog
// (store::read_stream, `page` entries at a time, each partition from its start), after
// the memtables are flushed, so the events come back from table files: how fast a
// relay that fell behind catches up on reading. Throws on a read error or an entry
// without its event.
struct outbox_read {
  std::size_t entries = 0, bytes = 0;  // bytes: the events' JSON
  double seconds = 0;
};
outbox_read read_outbox(const std::filesystem::path& dir, unsigned partitions, std::size_t page);

// Key count and a hash of every key and value of the store at `dir` (to prove the raw
// baseline wrote exactly what the engine wrote).
struct content_digest {
  std::size_t keys = 0;
  std::uint64_t hash = 0;
  bool operator==(const content_digest&) const = default;
};
content_digest digest(const std::filesystem::path& dir, unsigned partitions);

}  // namespace doorstep::bench
