// The benchmarks' batch recorder: what the raw RocksDB baseline replays must be exactly
// what the engine committed, per partition in commit order, whether it fit the reserve
// or not.
#include "recorder.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace doorstep::bench {
namespace {

std::string batch_text(unsigned partition, unsigned i) {
  return "p" + std::to_string(partition) + " 第" + std::to_string(i) + "批 路灯不亮 " + std::string(i % 97, 'x');
}

TEST(recorded_batches, keep_each_partitions_batches_in_commit_order) {
  recorded_batches r(3, 1 << 20);
  for (unsigned i = 0; i < 50; ++i) r.record(i % 3, batch_text(i % 3, i));
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r.batches(), 50u);
  std::size_t bytes = 0;
  for (unsigned p = 0; p < 3; ++p) {
    unsigned i = p;
    for (auto b : r[p]) {
      EXPECT_EQ(b, batch_text(p, i));
      bytes += b.size();
      i += 3;
    }
  }
  EXPECT_EQ(r.bytes(), bytes);
  EXPECT_EQ(r.overflow_bytes(), 0u);
}

TEST(recorded_batches, keep_what_does_not_fit_the_reserve_and_count_it) {
  recorded_batches r(1, 64);
  const std::string fits(40, 'a'), spills = "路灯不亮，已经三天了" + std::string(100, 'b');
  r.record(0, fits);
  r.record(0, spills);
  for (unsigned i = 0; i < 1000; ++i) r.record(0, batch_text(0, i));  // many overflow strings
  ASSERT_EQ(r[0].size(), 1002u);
  EXPECT_EQ(r[0][0], fits);
  EXPECT_EQ(r[0][1], spills);  // still valid after a thousand more
  EXPECT_EQ(r[0][1001], batch_text(0, 999));
  EXPECT_EQ(r.overflow_bytes(), r.bytes() - fits.size());
}

TEST(recorded_batches, without_a_reserve_every_batch_overflows) {
  recorded_batches r(2, 0);
  r.record(1, "噪音扰民");
  ASSERT_EQ(r[1].size(), 1u);
  EXPECT_EQ(r[1][0], "噪音扰民");
  EXPECT_EQ(r.overflow_bytes(), std::string("噪音扰民").size());
}

TEST(recorded_batches, partitions_record_concurrently_without_losing_a_byte) {
  constexpr unsigned partitions = 4, each = 2000;
  recorded_batches r(partitions, 256 << 10);  // about half fits: both paths under contention
  std::vector<std::thread> threads;
  for (unsigned p = 0; p < partitions; ++p) {
    threads.emplace_back([&r, p] {
      for (unsigned i = 0; i < each; ++i) r.record(p, batch_text(p, i));
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_GT(r.overflow_bytes(), 0u);
  EXPECT_LT(r.overflow_bytes(), r.bytes());
  for (unsigned p = 0; p < partitions; ++p) {
    ASSERT_EQ(r[p].size(), each);
    for (unsigned i = 0; i < each; ++i) ASSERT_EQ(r[p][i], batch_text(p, i)) << "partition " << p << " batch " << i;
  }
}

TEST(recorded_batches, a_move_keeps_the_recorded_views) {
  recorded_batches r(1, 4096);
  r.record(0, "井盖丢失");
  r.record(0, std::string(8192, 'z'));  // overflows
  recorded_batches moved;
  moved = std::move(r);
  ASSERT_EQ(moved[0].size(), 2u);
  EXPECT_EQ(moved[0][0], "井盖丢失");
  EXPECT_EQ(moved[0][1], std::string(8192, 'z'));
  EXPECT_EQ(moved.overflow_bytes(), 8192u);
}

}  // namespace
}  // namespace doorstep::bench
