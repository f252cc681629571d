// engine/metrics/probe.h
// Probes own the Prometheus metric families; business code calls them with domain
// facts and never touches the registry. Label values are bounded sets only (levels,
// clocks, reasons, channels, categories, command names, routes, status codes, street
// ids of the place tree): no ticket ids, no free text. Thread-safe (prometheus-cpp
// metrics are atomic).
#pragma once

#include "store/rows.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "metrics/labeled.h"

#include <array>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "domain/command.h"
#include "domain/event.h"

namespace doorstep::metrics {

// The metrics of one family by a small index of enumerated labels, each created on first
// use. A Family::Add hashes a map of label strings under the family's lock; the engine
// records several metrics per command, so it looks them up here instead: one atomic load.
// Threads racing on a first use both get the family's one metric for those labels.
template <class Metric, std::size_t N>
class metric_slots {
 public:
  template <class Make>
  Metric& get(std::size_t i, Make&& make) {
    Metric* m = slots_[i].load(std::memory_order_acquire);
    if (m == nullptr) {
      m = &make();
      slots_[i].store(m, std::memory_order_release);
    }
    return *m;
  }

 private:
  std::array<std::atomic<Metric*>, N> slots_{};
};

enum class command_result : std::uint8_t { ok, rejected, replayed };

// The engine's facts: commands, events, group commits, timers, and the per-street
// counts behind the three rates (三率).
class engine_probe {
 public:
  // Maps a place id to the id of its street (街道/镇), "" when it has none. Street ids
  // are the bounded `street` label; places below streets never become labels.
  using street_resolver = std::function<std::string(const std::string& place)>;

  // Without a resolver every ticket counts under street="none".
  explicit engine_probe(prometheus::Registry& r, street_resolver street_of = {});

  // One command processed (label outcome: ok | rejected | replayed); `seconds` from being queued
  // on its partition to the end of its group commit (queue wait + decide + commit).
  void command(const command_body& body, command_result result, double seconds);
  // One committed event; `at` is the ticket's level when it happened.
  void committed(const doorstep::event& e, std::optional<level> at);
  // One group commit: its commands, decide + write time, and bytes written (0: nothing).
  void group_commit(std::size_t commands, double seconds, std::size_t bytes = 0);
  // How the engine counts its store at startup: from every ticket's worklist row. A
  // million rows share a few hundred label sets, so rows are tallied by label set and
  // finish() moves each gauge once (a gauge lookup per row took a second at 1M).
  class row_loader {
   public:
    explicit row_loader(engine_probe& p) : probe_(p) {}
    void add(const store::worklist_row_view& r);
    void finish();

   private:
    using statuses = std::array<double, kAllStatuses.size()>;
    engine_probe& probe_;
    std::map<std::optional<level>, statuses> by_level_;
    std::map<std::string, statuses, std::less<>> by_place_;  // by jurisdiction id
    std::map<std::tuple<std::size_t, std::optional<level>, bool>, double> clocks_;  // clock, level, breached
  };
  // One command changed `before` into `after` through `events`: gauges and timings.
  void changed(const ticket& before, const std::vector<doorstep::event>& events, const ticket& after);
  // A deadline fired `lag_seconds` after it was due.
  void timer_fired(double lag_seconds);
  // The timer backlog now: `due` timers are due and not fired yet, the oldest of them
  // for `oldest_seconds` (0 when none).
  void timer_backlog(std::size_t due, double oldest_seconds);

 private:
  prometheus::Family<prometheus::Counter>& commands_;
  prometheus::Family<prometheus::Histogram>& command_seconds_;
  prometheus::Family<prometheus::Counter>& appeals_;
  prometheus::Counter& joined_;
  prometheus::Family<prometheus::Counter>& escalations_;
  prometheus::Family<prometheus::Counter>& at_risk_;
  prometheus::Family<prometheus::Counter>& breaches_;
  prometheus::Family<prometheus::Counter>& ratings_;
  prometheus::Family<prometheus::Counter>& transitions_;
  prometheus::Histogram& commit_size_;
  prometheus::Histogram& commit_seconds_;
  prometheus::Histogram& commit_bytes_;
  prometheus::Histogram& timer_lag_;
  prometheus::Gauge& timer_backlog_;
  prometheus::Gauge& timer_backlog_age_;
  prometheus::Family<prometheus::Gauge>& tickets_;
  prometheus::Family<prometheus::Gauge>& street_tickets_;
  prometheus::Family<prometheus::Counter>& sla_outcomes_;
  prometheus::Family<prometheus::Gauge>& clocks_;
  prometheus::Family<prometheus::Histogram>& to_accept_;
  prometheus::Family<prometheus::Histogram>& to_contact_;
  prometheus::Family<prometheus::Histogram>& to_resolve_;

  street_resolver street_of_;

  // Looked-up metrics (see metric_slots). Levels are indexed 1.. with 0 for none.
  static constexpr std::size_t kLevelSlots = kAllLevels.size() + 1;
  static constexpr std::size_t kCommands = std::variant_size_v<command_body>;
  static constexpr std::size_t kEvents = std::variant_size_v<event_body>;
  metric_slots<prometheus::Counter, kCommands * 3> command_counts_;
  metric_slots<prometheus::Histogram, kCommands> command_durations_;
  metric_slots<prometheus::Counter, kEvents> transition_counts_;
  metric_slots<prometheus::Gauge, kAllStatuses.size() * kLevelSlots> ticket_gauges_;
  metric_slots<prometheus::Gauge, kClockCount * kLevelSlots * 2> clock_gauges_;
  metric_slots<prometheus::Counter, kClockCount * kLevelSlots> at_risk_counts_;
  metric_slots<prometheus::Counter, kClockCount * kLevelSlots> breach_counts_;
  // Per place: its street and that street's gauges by status; per category: its appeal
  // counters by channel. Places and categories come from configuration, so these are
  // maps, filled on first use under a lock.
  struct place_metrics {
    std::string street;
    std::array<prometheus::Gauge*, kAllStatuses.size()> tickets{};
  };
  place_metrics& place_locked(const std::string& jurisdiction_id);
  const std::string& street_of_place(const std::string& jurisdiction_id);
  prometheus::Gauge& street_tickets(const std::string& jurisdiction_id, status st);
  prometheus::Counter& appeals(channel via, const std::string& category);
  std::mutex places_mu_;
  std::map<std::string, place_metrics, std::less<>> places_;
  std::mutex categories_mu_;
  std::map<std::string, std::array<prometheus::Counter*, kAllChannels.size()>, std::less<>> categories_;

  std::string street(const std::string& jurisdiction_id) const;
  void count(const ticket& t, double delta);
  void count_outcomes(const ticket& before, const std::vector<doorstep::event>& events, const std::string& street);
};

// HTTP requests by route template and status code.
class http_probe {
 public:
  explicit http_probe(prometheus::Registry& r);
  void request(std::string_view route, unsigned status, double seconds);

 private:
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& latency_;
  labeled<prometheus::Counter, 2> requests_by_;  // route, code
  labeled<prometheus::Histogram, 1> latency_by_;  // route
};

// A registry with build info, and its text exposition.
class registry {
 public:
  registry();
  prometheus::Registry& get() { return *registry_; }

  // Runs `refresh` at the start of every scrape, before the metrics are read: probes use
  // it for values read from their subsystem at scrape time (the deadline backlog,
  // RocksDB's write state). Register at startup; whatever `refresh` touches must outlive
  // every scrape.
  void on_scrape(std::function<void()> refresh);

  // The text exposition (format 0.0.4). Thread-safe; scrapes run one at a time.
  std::string scrape() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  mutable std::mutex mu_;
  std::vector<std::function<void()>> refresh_;
};

}  // namespace doorstep::metrics
