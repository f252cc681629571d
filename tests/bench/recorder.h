// tests/bench/recorder.h
// Keeps every WriteBatch the engine commits (the store's commit tap) so the raw RocksDB
// baseline can replay exactly those batches, without charging the engine's timed run for
// the recording: the bytes are copied into memory that was mapped and written once before
// the run, so a recorded batch costs one memcpy and no fresh pages. A batch that does not
// fit the reserve is kept in a string allocated on the spot, and counted
// (overflow_bytes), so a run whose recording cost more than a copy says so.
#pragma once

#include <atomic>
#include <cstddef>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace doorstep::bench {

class recorded_batches {
 public:
  // `partitions` lanes and `reserve_bytes` of pre-written memory (0: none, every batch
  // overflows), at most half the machine's physical memory. Throws std::runtime_error
  // when the memory cannot be mapped.
  recorded_batches(unsigned partitions, std::size_t reserve_bytes);
  recorded_batches() = default;
  ~recorded_batches();
  recorded_batches(recorded_batches&& other) noexcept;
  recorded_batches& operator=(recorded_batches&& other) noexcept;
  recorded_batches(const recorded_batches&) = delete;
  recorded_batches& operator=(const recorded_batches&) = delete;

  // The commit tap. Different partitions may record concurrently; one partition records
  // from one thread at a time (its strand), in commit order.
  void record(unsigned partition, std::string_view batch);

  std::size_t size() const { return lanes_.size(); }
  // Partition p's batches in commit order. Views stay valid while this object lives.
  const std::vector<std::string_view>& operator[](std::size_t p) const { return lanes_[p].batches; }

  std::size_t batches() const;
  std::size_t bytes() const;
  // Bytes recorded outside the reserve (allocated during the run).
  std::size_t overflow_bytes() const { return overflow_bytes_.load(); }

  // The reserve the benchmarks map per appeal: half as much again as an appeal writes
  // (4.1 KB in bench_ingest, less in bench_kafka, whose appeals join more).
  static constexpr std::size_t kReservePerAppeal = 6144;

 private:
  struct lane {
    std::vector<std::string_view> batches;
    std::deque<std::string> overflow;  // deque: growing it leaves earlier strings in place
  };
  void release();

  std::vector<lane> lanes_;
  char* arena_ = nullptr;
  std::size_t capacity_ = 0;
  std::atomic<std::size_t> used_{0};
  std::atomic<std::size_t> overflow_bytes_{0};
};

}  // namespace doorstep::bench
