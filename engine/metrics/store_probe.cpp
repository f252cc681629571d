#include "metrics/store_probe.h"

namespace doorstep::metrics {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;

// Counters mirror totals the store keeps: add what is new since the last scrape.
void catch_up(prometheus::Counter& c, double total) {
  const double delta = total - c.Value();
  if (delta > 0) c.Increment(delta);
}

}  // namespace

store_probe::store_probe(registry& r, const store::store& s)
    : store_(s),
      stalls_(BuildCounter()
                  .Name("doorstep_store_write_stalls_total")
                  .Help("Times RocksDB began to delay or stop writes, by condition")
                  .Register(r.get())),
      stall_seconds_(BuildCounter()
                         .Name("doorstep_store_write_stall_seconds_total")
                         .Help("Time RocksDB spent delaying or stopping writes, by condition")
                         .Register(r.get())),
      delayed_entries_(stalls_.Add({{"condition", "delayed"}})),
      stopped_entries_(stalls_.Add({{"condition", "stopped"}})),
      delayed_seconds_(stall_seconds_.Add({{"condition", "delayed"}})),
      stopped_seconds_(stall_seconds_.Add({{"condition", "stopped"}})),
      write_stopped_(BuildGauge()
                         .Name("doorstep_store_write_stopped")
                         .Help("1 while RocksDB stops all writes (rocksdb.is-write-stopped)")
                         .Register(r.get())
                         .Add({})),
      delayed_write_rate_(
          BuildGauge()
              .Name("doorstep_store_delayed_write_rate_bytes_per_second")
              .Help(
                  "The rate RocksDB throttles writes to while delayed, 0 otherwise (rocksdb.actual-delayed-write-rate)")
              .Register(r.get())
              .Add({})),
      jobs_(BuildCounter()
                .Name("doorstep_store_background_jobs_total")
                .Help("RocksDB flushes and compactions completed, by job")
                .Register(r.get())),
      job_seconds_(BuildCounter()
                       .Name("doorstep_store_background_seconds_total")
                       .Help("Wall time of RocksDB's completed flushes and compactions, by job")
                       .Register(r.get())),
      job_bytes_(BuildCounter()
                     .Name("doorstep_store_background_written_bytes_total")
                     .Help("Bytes RocksDB's completed flushes and compactions wrote to table files, by job")
                     .Register(r.get())),
      running_(BuildGauge()
                   .Name("doorstep_store_background_running")
                   .Help("RocksDB flushes and compactions running now, by job")
                   .Register(r.get())),
      flush_(series_of("flush")),
      compaction_(series_of("compaction")),
      pending_compaction_bytes_(
          BuildGauge()
              .Name("doorstep_store_pending_compaction_bytes")
              .Help("Bytes RocksDB estimates compactions must rewrite to bring every level within its target size "
                    "(rocksdb.estimate-pending-compaction-bytes)")
              .Register(r.get())
              .Add({})) {
  r.on_scrape([this] { refresh(); });
}

store_probe::per_job store_probe::series_of(const std::string& job) {
  const prometheus::Labels labels{{"job", job}};
  return {jobs_.Add(labels), job_seconds_.Add(labels), job_bytes_.Add(labels), running_.Add(labels)};
}

void store_probe::refresh() {
  const auto stalls = store_.write_stalls();
  catch_up(delayed_entries_, static_cast<double>(stalls.delayed_entries));
  catch_up(stopped_entries_, static_cast<double>(stalls.stopped_entries));
  catch_up(delayed_seconds_, stalls.delayed_seconds);
  catch_up(stopped_seconds_, stalls.stopped_seconds);
  write_stopped_.Set(static_cast<double>(store_.int_property("rocksdb.is-write-stopped").value_or(0)));
  delayed_write_rate_.Set(static_cast<double>(store_.int_property("rocksdb.actual-delayed-write-rate").value_or(0)));
  const auto work = store_.background_work();
  catch_up(flush_.jobs, static_cast<double>(work.flushes));
  catch_up(flush_.seconds, work.flush_seconds);
  catch_up(flush_.bytes, static_cast<double>(work.flush_bytes));
  catch_up(compaction_.jobs, static_cast<double>(work.compactions));
  catch_up(compaction_.seconds, work.compaction_seconds);
  catch_up(compaction_.bytes, static_cast<double>(work.compaction_bytes));
  flush_.running.Set(static_cast<double>(store_.int_property("rocksdb.num-running-flushes").value_or(0)));
  compaction_.running.Set(static_cast<double>(store_.int_property("rocksdb.num-running-compactions").value_or(0)));
  pending_compaction_bytes_.Set(
      static_cast<double>(store_.int_property("rocksdb.estimate-pending-compaction-bytes").value_or(0)));
}

}  // namespace doorstep::metrics
