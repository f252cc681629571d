// Timers: what the runtime does to keep one Asio timer armed per partition (re-arming
// cancels the previous wait), the deadline-index seek that finds the next due timer, and
// firing due deadlines through the engine (decide, stage, commit) on the simulated clock.
#include <benchmark/benchmark.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/system_timer.hpp>
#include <cstdlib>
#include <future>
#include <random>

#include "micro_support.h"
#include "runtime/engine.h"

namespace doorstep::bench {
namespace {

class scratch_dir {
 public:
  scratch_dir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() / ("doorstep-micro-" + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~scratch_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// An engine on the simulated clock over a fresh one-partition store holding the first
// `tickets` appeals of the sample, all filed at `t0`.
struct loaded_engine {
  explicit loaded_engine(std::size_t tickets, instant t0) : clock(t0) {
    auto s = store::store::open(dir.path() / "db", store::options{1, false, true, false});
    if (!s) throw std::runtime_error(s.err().message);
    st = std::move(s).value();
    eng = std::make_unique<runtime::engine>(demo_config().rules, *st, clock, runtime::engine_options{1, 256, false});
    std::vector<std::future<runtime::outcome>> done;
    for (auto& a : sample_appeals(tickets)) {
      auto p = std::make_shared<std::promise<runtime::outcome>>();
      done.push_back(p->get_future());
      eng->post(std::move(a.cmd), [p](runtime::outcome o) { p->set_value(std::move(o)); });
    }
    for (auto& d : done) {
      if (!d.get().ok()) throw std::runtime_error("an appeal was rejected while loading");
    }
  }
  scratch_dir dir;
  runtime::simulated_clock clock;
  std::unique_ptr<store::store> st;
  std::unique_ptr<runtime::engine> eng;
};

void arm_cancel(benchmark::State& state) {
  boost::asio::io_context ioc;
  boost::asio::system_timer timer(ioc);
  const auto base = std::chrono::system_clock::now() + std::chrono::hours(1);
  std::size_t aborted = 0, i = 0;
  for (auto _ : state) {
    timer.expires_at(base + std::chrono::milliseconds(i++ % 1000));  // cancels the previous wait
    timer.async_wait([&aborted](const boost::system::error_code& ec) { aborted += ec ? 1 : 0; });
    if (i % 256 == 0) ioc.poll();
  }
  timer.cancel();
  ioc.poll();
  benchmark::DoNotOptimize(aborted);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(arm_cancel)->Name("timer/arm_cancel");

void next_due_lookup(benchmark::State& state) {
  const instant t0 = local(2026, 3, 2, 9);
  loaded_engine le(static_cast<std::size_t>(state.range(0)), t0);
  for (auto _ : state) {
    auto first = le.st->first_timer(0, t0);
    benchmark::DoNotOptimize(first);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["tickets"] = static_cast<double>(state.range(0));
}
// DOORSTEP_BENCH_SMOKE (the bench_smoke test) shrinks the stores these benchmarks build.
const bool smoke = std::getenv("DOORSTEP_BENCH_SMOKE") != nullptr;

BENCHMARK(next_due_lookup)->Name("timer/next_due_lookup")->Arg(smoke ? 20 : 2000);

// Fires every deadline due in the first two hours after filing: at-risk warnings,
// breaches and the escalations they cause, each one a command and a commit.
void fire(benchmark::State& state) {
  const instant t0 = local(2026, 3, 2, 9);
  std::size_t fired = 0;
  for (auto _ : state) {
    state.PauseTiming();
    {
      loaded_engine le(static_cast<std::size_t>(state.range(0)), t0);
      state.ResumeTiming();
      fired += le.eng->advance_to(t0 + std::chrono::hours(2));
      state.PauseTiming();
    }
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(fired));
}
BENCHMARK(fire)->Name("timer/fire")->Arg(smoke ? 10 : 200)->Iterations(smoke ? 1 : 3)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace doorstep::bench
