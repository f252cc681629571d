// bench_micro: Google Benchmark over the engine's hot pure functions and timers.
// Records how the binary was built in the JSON context ("doorstep_build"), so the
// runner can refuse to compare anything but a Release build.
#include <benchmark/benchmark.h>

#include "workload.h"

int main(int argc, char** argv) {
  benchmark::AddCustomContext("doorstep_build", doorstep::bench::build_kind());
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
