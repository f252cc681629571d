#include "ingest.h"

#include <atomic>
#include <chrono>
#include <future>
#include <iostream>
#include <map>
#include <mutex>
#include <semaphore>
#include <stdexcept>
#include <thread>

#include "metrics/probe.h"
#include "runtime/engine.h"
#include "store/outbox.h"

namespace doorstep::bench {
namespace {

using steady = std::chrono::steady_clock;

double seconds_since(steady::time_point start) {
  return std::chrono::duration<double>(steady::now() - start).count();
}

std::unique_ptr<store::store> open_store(const std::filesystem::path& dir, const store::options& so) {
  auto st = store::store::open(dir, so);
  if (!st) throw std::runtime_error(st.err().message);
  return std::move(st).value();
}

}  // namespace

engine_run run_engine(std::vector<timed_appeal> appeals, const std::filesystem::path& dir, const ingest_options& o) {
  engine_run out;
  out.appeals = appeals.size();
  if (appeals.empty()) return out;
  store::options so{o.partitions, o.sync, true, false};
  if (o.record) {
    out.batches = recorded_batches(o.partitions, appeals.size() * recorded_batches::kReservePerAppeal);
    so.commit_tap = [&out](unsigned p, std::string_view data) { out.batches.record(p, data); };
  }
  auto st = open_store(dir, so);
  runtime::simulated_clock clk(appeals.front().at);
  metrics::registry registry;
  std::optional<metrics::engine_probe> probe;
  if (o.metrics) probe.emplace(registry.get());
  runtime::engine eng(demo_config().rules, *st, clk,
                      runtime::engine_options{o.threads, o.group_commit_max, false, probe ? &*probe : nullptr});

  std::counting_semaphore<1 << 24> window(static_cast<std::ptrdiff_t>(o.in_flight));
  std::atomic<std::size_t> acked{0}, created{0}, joined{0}, rejected{0};
  std::promise<void> finished;
  const std::size_t n = appeals.size();
  auto on_done = [&](runtime::outcome r) {
    if (!r.ok()) {
      rejected.fetch_add(1, std::memory_order_relaxed);
    } else if (r.created) {
      created.fetch_add(1, std::memory_order_relaxed);
    } else if (r.joined) {
      joined.fetch_add(1, std::memory_order_relaxed);
    }
    window.release();
    if (acked.fetch_add(1, std::memory_order_acq_rel) + 1 == n) finished.set_value();
  };

  const auto every = std::max<std::size_t>(n / 10, 1);
  const auto cpu_start = process_cpu_seconds();
  const auto start = steady::now();
  for (std::size_t i = 0; i < n; ++i) {
    window.acquire();
    eng.post_at(std::move(appeals[i].cmd), appeals[i].at, on_done);
    if (o.progress && (i + 1) % every == 0) {
      std::cerr << "  ingest: " << (i + 1) << "/" << n << " posted, " << acked.load() << " acknowledged, "
                << static_cast<long>(seconds_since(start)) << " s\n";
    }
  }
  finished.get_future().wait();
  out.seconds = seconds_since(start);
  out.cpu_seconds = process_cpu_seconds() - cpu_start;
  eng.stop();
  out.created = created;
  out.joined = joined;
  out.rejected = rejected;
  return out;
}

raw_run run_raw(const recorded_batches& batches, const std::filesystem::path& dir, const ingest_options& o) {
  std::vector<std::vector<rocksdb::WriteBatch>> prepared(batches.size());
  raw_run out;
  std::size_t rounds = 0;
  for (std::size_t p = 0; p < batches.size(); ++p) {
    for (const auto& data : batches[p]) {
      prepared[p].emplace_back(std::string(data));
      // A batch made from its text computes its content flags the first time RocksDB
      // asks (HasMerge() on every write), by iterating over it; the engine's batches
      // have theirs from Put and Delete. Computed here, before the clock starts.
      (void)prepared[p].back().HasMerge();
      out.bytes += data.size();
    }
    out.batches += batches[p].size();
    rounds = std::max(rounds, batches[p].size());
  }
  auto st = open_store(dir, store::options{o.partitions, o.sync, true, false});
  rocksdb::DB* db = st->db();
  rocksdb::WriteOptions wo;
  wo.sync = o.sync;
  std::atomic<bool> failed{false};
  std::string failure;
  std::mutex failure_mu;
  auto writer = [&](unsigned w) {
    for (std::size_t r = 0; r < rounds && !failed; ++r) {
      for (std::size_t p = w; p < prepared.size(); p += o.threads) {
        if (r >= prepared[p].size()) continue;
        auto s = db->Write(wo, &prepared[p][r]);
        if (!s.ok()) {
          std::lock_guard lock(failure_mu);
          failure = s.ToString();
          failed = true;
          return;
        }
      }
    }
  };
  const auto cpu_start = process_cpu_seconds();
  const auto start = steady::now();
  std::vector<std::thread> writers;
  for (unsigned w = 0; w < o.threads; ++w) writers.emplace_back(writer, w);
  for (auto& t : writers) t.join();
  out.seconds = seconds_since(start);
  out.cpu_seconds = process_cpu_seconds() - cpu_start;
  if (failed) throw std::runtime_error("raw write failed: " + failure);
  return out;
}

std::vector<family_bytes> breakdown(const recorded_batches& batches) {
  struct tally : rocksdb::WriteBatch::Handler {
    std::map<std::string, family_bytes> by;
    void add(const std::string& family, std::size_t bytes) {
      auto& f = by[family];
      f.family = family;
      ++f.ops;
      f.bytes += bytes;
    }
    static std::string family_of(const rocksdb::Slice& key) {
      const auto k = key.ToStringView();  // "p007|s|..." or "meta|..."
      const auto bar = k.find('|');
      return bar != std::string_view::npos && bar + 1 < k.size() ? std::string(1, k[bar + 1]) : std::string("?");
    }
    void Put(const rocksdb::Slice& key, const rocksdb::Slice& value) override {
      add(family_of(key), key.size() + value.size());
    }
    void Delete(const rocksdb::Slice& key) override { add("del", key.size()); }
  } t;
  for (std::size_t p = 0; p < batches.size(); ++p) {
    for (const auto data : batches[p]) {
      rocksdb::WriteBatch wb{std::string(data)};
      auto s = wb.Iterate(&t);
      if (!s.ok()) throw std::runtime_error("cannot read a recorded batch: " + s.ToString());
    }
  }
  std::vector<family_bytes> out;
  for (auto& [k, v] : t.by) out.push_back(v);
  return out;
}

outbox_read read_outbox(const std::filesystem::path& dir, unsigned partitions, std::size_t page) {
  auto st = open_store(dir, store::options{partitions, false, false, false});
  if (auto s = st->db()->Flush(rocksdb::FlushOptions()); !s.ok()) {
    throw std::runtime_error("cannot flush " + dir.string() + ": " + s.ToString());
  }
  outbox_read r;
  const auto start = steady::now();
  for (unsigned p = 0; p < partitions; ++p) {
    for (std::uint64_t after = 0;;) {
      auto entries = store::read_stream(*st, p, store::stream::ticket_events, after, page);
      if (!entries) throw std::runtime_error(entries.err().message);
      for (const auto& e : *entries) {
        const auto parts = store::split_event_entry(e.value);
        if (!parts) throw std::runtime_error("outbox entry " + std::to_string(e.seq) + " of partition " +
                                             std::to_string(p) + " has no event");
        r.bytes += parts->json.size();
      }
      r.entries += entries->size();
      if (entries->size() < page) break;
      after = entries->back().seq;
    }
  }
  r.seconds = seconds_since(start);
  return r;
}

content_digest digest(const std::filesystem::path& dir, unsigned partitions) {
  auto st = open_store(dir, store::options{partitions, false, false, true});
  content_digest d;
  std::uint64_t h = 1469598103934665603ULL;
  auto mix = [&h](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ULL;
    }
    h ^= 0xFF;  // separator: ("ab","c") and ("a","bc") differ
    h *= 1099511628211ULL;
  };
  std::unique_ptr<rocksdb::Iterator> it(st->db()->NewIterator(rocksdb::ReadOptions()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    ++d.keys;
    mix(it->key().ToStringView());
    mix(it->value().ToStringView());
  }
  if (!it->status().ok()) throw std::runtime_error("cannot read " + dir.string() + ": " + it->status().ToString());
  d.hash = h;
  return d;
}

}  // namespace doorstep::bench
