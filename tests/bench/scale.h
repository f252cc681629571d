// tests/bench/scale.h
// Scale of state: builds a store holding N open tickets through the real engine, so that
// `doorstep serve` can be restarted on it and measured (restart-to-ready, memory, timer
// firing lag, worklist and stats latency; tests/bench/run.py --only scale).
//
// The tickets are the spring sample's appeals (text, places, categories) with new times,
// in three cohorts by creation time, ending at the wall clock when the fill starts (T0):
//   held    created over [T0 - 365 d, T0 - live_days] and suspended (挂起) at once: clocks
//           paused, no pending timers. Under the demo SLA (at most 15 working days) a
//           ticket open for months has no deadline ahead of it; suspended is the state
//           in which such a ticket is not overdue.
//   live    created over [T0 - live_days, T0 - stream_span], every deadline fired as it
//           came due (warnings, breaches, escalations up the ladder): the overdue worklist.
//   stream  created over [T0 - stream_span, T0] on 24x7 policies (urgent-2h, utility-24h):
//           their deadlines keep falling due for hours after T0, whatever the hour and
//           the working calendar, so a server started on the store fires live timers.
// Live and stream timers are fired on a simulated clock in due order, each at its due
// instant, up to the wall clock at the end of the fill; nothing is due then.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "workload.h"

namespace doorstep::bench {

struct scale_options {
  std::size_t tickets = 1'000'000;
  double live_share = 0.02;    // of tickets, in the live cohort
  int live_days = 7;
  double stream_share = 0.005; // of tickets, in the stream cohort (at least 200)
  std::chrono::minutes stream_span{120};
  std::chrono::seconds duplicate_window{1};  // the config's duplicate window: reports of one
                                             // place and category are spaced further apart
  unsigned threads = 2;
  std::size_t in_flight = 8192;
  bool progress = false;
};

struct scale_result {
  instant t0{};          // creation times end here (wall clock at the start)
  instant fired_to{};    // every timer due at or before this has fired
  std::size_t held = 0, live = 0, stream = 0;
  std::size_t created = 0, joined = 0, rejected = 0, suspended = 0, timers_fired = 0;
  double seconds = 0;
  std::map<std::string, std::size_t> street_month;  // tickets per street created in the month below
  instant month_from{}, month_to{};                  // the last whole month (Beijing) of the held cohort
  std::vector<std::string> stream_ids;               // the latest stream tickets (for the lag cross-check)
};

// Fills a fresh store at `store_dir` (the `store` directory of a serve data dir) with the
// config at `config_file`. Throws on failure (a rejected appeal is a failure).
scale_result fill_scale(const std::filesystem::path& config_file, const std::filesystem::path& store_dir,
                        const scale_options& o);

// Pending timers due in each window [from, to] over every partition of the closed store
// at `store_dir`, in the order given.
std::vector<std::size_t> count_pending_timers(const std::filesystem::path& store_dir, unsigned partitions,
                                              const std::vector<std::pair<instant, instant>>& windows);

}  // namespace doorstep::bench
