// engine/cli/generate.h
// `doorstep generate`: a reproducible stream of appeals and handler actions over the
// configured places and categories, for simulate, what-if runs, drills and benchmarks.
#pragma once

#include <cstdint>
#include <ostream>

#include "routing/rulebook.h"

namespace doorstep::cli {

struct generate_options {
  std::size_t appeals = 3000;
  instant from = from_millis(0);  // first day (local midnight)
  unsigned days = 49;
  std::uint64_t seed = 2026;
  double duplicate_share = 0.08;   // appeals followed by neighbours reporting the same thing
};

// Writes JSON lines in time order (see cli/simulate.h for the format). Returns lines written.
std::size_t generate(const routing::rulebook& rules, const generate_options& opts, std::ostream& out);

}  // namespace doorstep::cli
