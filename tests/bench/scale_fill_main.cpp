// tests/bench/scale_fill_main.cpp
// bench_scale_fill: builds the scale-of-state store (see scale.h) and prints what it
// holds as one JSON object on stdout, for tests/bench/run.py to measure `serve` on.
//   bench_scale_fill --config bench.yaml --store DATA/store --tickets 1000000 --progress
#include <CLI/CLI.hpp>

#include <boost/json.hpp>
#include <iostream>

#include "scale.h"

int main(int argc, char** argv) {
  using namespace doorstep;
  namespace json = boost::json;
  CLI::App app{"Doorstep scale-of-state benchmark: fills a store with open tickets through the engine"};
  std::filesystem::path config_file, store_dir;
  bench::scale_options o;
  long window_seconds = 1;
  app.add_option("--config", config_file, "the config serve will run with (its duplicate window must be short)")
      ->required();
  app.add_option("--store", store_dir, "the store directory to create (DATA/store for serve --data DATA)")->required();
  app.add_option("--tickets", o.tickets, "open tickets to create")->check(CLI::Range(1, 100000000));
  app.add_option("--live-share", o.live_share, "share of tickets created in the last --live-days, timers fired")
      ->check(CLI::Range(0.0, 0.5));
  app.add_option("--live-days", o.live_days, "days of the live cohort")->check(CLI::Range(1, 60));
  app.add_option("--stream-share", o.stream_share, "share of tickets created in the last 2 h on 24x7 policies")
      ->check(CLI::Range(0.0, 0.5));
  app.add_option("--duplicate-window", window_seconds, "the config's duplicate window in seconds")
      ->check(CLI::Range(1, 86400));
  app.add_option("--threads", o.threads, "engine threads")->check(CLI::Range(1, 64));
  app.add_flag("--progress", o.progress, "progress lines on stderr");
  CLI11_PARSE(app, argc, argv);
  o.duplicate_window = std::chrono::seconds(window_seconds);
  if (std::filesystem::exists(store_dir)) {
    std::cerr << "bench_scale_fill: " << store_dir << " exists; give a fresh directory\n";
    return 2;
  }
  try {
    const auto r = bench::fill_scale(config_file, store_dir, o);
    const auto partitions = config::load(config_file).engine.partitions;
    // Deadlines ahead, per 10 minutes of the next hour: the stream a server started now fires.
    // The first window is every pending timer; then the next hour in 10-minute steps.
    std::vector<std::pair<instant, instant>> windows{{instant{}, r.fired_to + std::chrono::hours(24 * 3650)}};
    for (int k = 0; k < 6; ++k) {
      const auto from = r.fired_to + std::chrono::minutes(10 * k) + std::chrono::milliseconds(1);
      windows.emplace_back(from, from + std::chrono::minutes(10) - std::chrono::milliseconds(1));
    }
    const auto counts = bench::count_pending_timers(store_dir, partitions, windows);
    const auto pending = counts.front();
    json::array next_hour(counts.begin() + 1, counts.end());
    std::string street;
    std::size_t street_tickets = 0;
    for (const auto& [s, n] : r.street_month) {
      if (n > street_tickets) std::tie(street, street_tickets) = std::tie(s, n);
    }
    json::array ids;
    for (const auto& id : r.stream_ids) ids.emplace_back(id);
    json::object out{{"bench", "scale_fill"},
                     {"build", bench::build_kind()},
                     {"tickets", o.tickets},
                     {"held_suspended", r.held},
                     {"live", r.live},
                     {"stream", r.stream},
                     {"created", r.created},
                     {"joined", r.joined},
                     {"suspended", r.suspended},
                     {"timers_fired", r.timers_fired},
                     {"pending_timers", pending},
                     {"pending_next_hour_per_10min", std::move(next_hour)},
                     {"t0", format_rfc3339(r.t0)},
                     {"fired_to", format_rfc3339(r.fired_to)},
                     {"fired_to_ms", to_millis(r.fired_to)},
                     {"seconds", r.seconds},
                     {"tickets_per_second", static_cast<double>(o.tickets) / r.seconds},
                     {"street", street},
                     {"street_month_tickets", street_tickets},
                     {"month_from", format_rfc3339(r.month_from)},
                     {"month_to", format_rfc3339(r.month_to)},
                     {"stream_ids", std::move(ids)}};
    std::cout << json::serialize(out) << "\n";
    if (r.joined > 0) {
      std::cerr << "bench_scale_fill: " << r.joined << " appeals joined an open ticket instead of making one\n";
      return 1;
    }
  } catch (const std::exception& e) {
    std::cerr << "bench_scale_fill: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
