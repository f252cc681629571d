// Routing: the first-match walk over the demo rules for real appeals, and the lookups
// the runtime makes per appeal (its community = partition key, its duplicate scope).
#include <benchmark/benchmark.h>

#include "micro_support.h"

namespace doorstep::bench {
namespace {

const std::vector<timed_appeal>& appeals() {
  static const auto a = sample_appeals(3496);
  return a;
}

const appeal& nth(std::size_t i) { return std::get<submit_cmd>(appeals()[i % appeals().size()].cmd.body).a; }

void route(benchmark::State& state) {
  const auto& r = rules();
  const instant now = local(2026, 3, 2, 10);
  (void)appeals();  // load the sample before timing
  std::size_t i = 0;
  for (auto _ : state) {
    auto p = r.route(nth(i++), now);
    benchmark::DoNotOptimize(p);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(route)->Name("routing/route");

void partition_key(benchmark::State& state) {
  const auto& r = rules();
  (void)appeals();
  std::size_t i = 0;
  for (auto _ : state) {
    const auto& a = nth(i++);
    auto community = r.community_of(a.jurisdiction_id);
    auto scope = r.duplicate_scope_of(a.jurisdiction_id);
    benchmark::DoNotOptimize(community);
    benchmark::DoNotOptimize(scope);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(partition_key)->Name("routing/community_and_duplicate_scope");

}  // namespace
}  // namespace doorstep::bench
