// tests/bench/workload.h
// What the benchmarks feed the engine: the real appeals of the spring sample
// (config/samples/appeals-2026-spring.jsonl.gz, Chinese text), tiled in time when more
// are needed, and the facts about the build that decide whether a run may be compared.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "config/loader.h"
#include "domain/command.h"

namespace doorstep::bench {

// The repository's demo configuration (config/doorstep.yaml), loaded once.
const config::loaded_config& demo_config();

// The spring sample's lines, decompressed, in file order.
std::vector<std::string> sample_lines();

// One appeal ready to post: the submit command and the instant it was reported.
struct timed_appeal {
  instant at;
  command cmd;
};

// `n` appeals in time order. Copy k of the sample (3,496 appeals over 7 weeks) is shifted
// by k x 49 days (whole weeks, so weekdays stay weekdays) and its source ids get "#k",
// so the density, the duplicate rate and the text stay those of the sample.
std::vector<timed_appeal> sample_appeals(std::size_t n);

// The POST /api/v1/appeals bodies of the sample's appeals (no source id, no time: every
// request is a new appeal reported when it arrives).
std::vector<std::string> sample_bodies();

// User + system CPU time of the whole process so far (every thread), in seconds.
double process_cpu_seconds();

// How this binary was compiled: the CMake build type, plus "+sanitizers",
// "+assertions" or "+unoptimized" when they apply. Only a plain "Release" is measured.
std::string build_kind();

}  // namespace doorstep::bench
