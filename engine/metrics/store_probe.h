// engine/metrics/store_probe.h
// The store's health as RocksDB reports it: write stalls (writes delayed or stopped
// while flushes and compactions catch up), and the flushes and compactions themselves
// (jobs, time, bytes, running now, compaction debt), which share the cores with the
// engine. Read from the store at scrape time, so a stall shows even when no command
// gets through to report it.
#pragma once

#include "metrics/probe.h"
#include "store/store.h"

namespace doorstep::metrics {

class store_probe {
 public:
  // Registers the store's families in `r` and a scrape hook that reads `s`; `s` and
  // this probe must outlive every scrape of `r`.
  store_probe(registry& r, const store::store& s);
  store_probe(const store_probe&) = delete;
  store_probe& operator=(const store_probe&) = delete;

 private:
  void refresh();

  const store::store& store_;
  prometheus::Family<prometheus::Counter>& stalls_;
  prometheus::Family<prometheus::Counter>& stall_seconds_;
  prometheus::Counter& delayed_entries_;
  prometheus::Counter& stopped_entries_;
  prometheus::Counter& delayed_seconds_;
  prometheus::Counter& stopped_seconds_;
  prometheus::Gauge& write_stopped_;
  prometheus::Gauge& delayed_write_rate_;
  // Background work, by job="flush" | "compaction".
  struct per_job {
    prometheus::Counter& jobs;
    prometheus::Counter& seconds;
    prometheus::Counter& bytes;
    prometheus::Gauge& running;
  };
  prometheus::Family<prometheus::Counter>& jobs_;
  prometheus::Family<prometheus::Counter>& job_seconds_;
  prometheus::Family<prometheus::Counter>& job_bytes_;
  prometheus::Family<prometheus::Gauge>& running_;
  // One job's series in the four families (declared above, so built before this is called).
  per_job series_of(const std::string& job);
  per_job flush_;
  per_job compaction_;
  prometheus::Gauge& pending_compaction_bytes_;
};

}  // namespace doorstep::metrics
