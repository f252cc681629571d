// Deadline arithmetic on the 2026 national calendar: N working days from instants spread
// over the year (weekends, lunch, Spring Festival and its make-up Saturdays), working
// time between two instants, and a whole SLA clock start as decide() asks for it.
#include <benchmark/benchmark.h>

#include "micro_support.h"
#include "sla/calendar.h"

namespace doorstep::bench {
namespace {

const sla::calendar& national() {
  for (const auto& c : rules().calendars()) {
    if (c->id() == "cn-national") return *c;
  }
  throw std::runtime_error("the demo config has no cn-national calendar");
}

// 97 starts, every 3 days 17 minutes from 2026-01-02 08:00 local: all kinds of days and hours.
std::vector<instant> starts() {
  std::vector<instant> out;
  for (int i = 0; i < 97; ++i) out.push_back(local(2026, 1, 2, 8) + std::chrono::minutes(i * (3 * 1440 + 17)));
  return out;
}

void add_working_days(benchmark::State& state) {
  const auto& cal = national();
  const auto from = starts();
  const auto work = cal.working_day_length() * state.range(0);
  std::size_t i = 0;
  for (auto _ : state) {
    auto due = cal.add_working(from[i++ % from.size()], work);
    benchmark::DoNotOptimize(due);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(add_working_days)->Name("calendar/add_working_days")->Arg(1)->Arg(5)->Arg(20);

void working_between(benchmark::State& state) {
  const auto& cal = national();
  const auto from = starts();
  std::size_t i = 0;
  for (auto _ : state) {
    const auto a = from[i++ % from.size()];
    auto d = cal.working_between(a, a + std::chrono::hours(24 * 14));
    benchmark::DoNotOptimize(d);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(working_between)->Name("calendar/working_between_14_days");

void start_resolve_clock(benchmark::State& state) {
  const auto& r = rules();
  const auto from = starts();
  std::size_t i = 0;
  for (auto _ : state) {
    auto c = r.start_clock("small-3d", clock_kind::resolve, from[i++ % from.size()]);
    benchmark::DoNotOptimize(c);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(start_resolve_clock)->Name("calendar/start_clock_3_working_days");

}  // namespace
}  // namespace doorstep::bench
