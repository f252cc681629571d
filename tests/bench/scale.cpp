#include "scale.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <iostream>
#include <mutex>
#include <random>
#include <semaphore>
#include <stdexcept>
#include <thread>
#include <unordered_map>

#include "runtime/engine.h"

namespace doorstep::bench {
namespace {

using steady = std::chrono::steady_clock;
using std::chrono::hours;

constexpr std::size_t kSampleAppeals = 3496;  // one copy of the spring sample
constexpr std::size_t kStreamIdsKept = 500;
constexpr auto kSlice = std::chrono::minutes(10);  // live cohort: timers fire between slices
constexpr auto kBeijing = hours(8);

enum class cohort : std::uint8_t { held, live, stream };

struct planned {
  timed_appeal a;
  cohort c;
};

// Categories the demo routes to a 24x7 policy (urgent-2h, utility-24h).
bool continuous_category(std::string_view c) {
  return c == "gas_smell" || c == "open_manhole" || c == "street_light" || c == "manhole_cover" ||
         c == "water_outage";
}

appeal& appeal_of(timed_appeal& t) { return std::get<submit_cmd>(t.cmd.body).a; }

instant now_ms() { return std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now()); }

// The last whole Beijing calendar month that ends at or before `t`.
std::pair<instant, instant> month_before(instant t) {
  using namespace std::chrono;
  const year_month_day d{floor<days>(t + kBeijing)};
  const auto this_month = d.year() / d.month();
  const auto to = sys_days(this_month / 1) - kBeijing;
  const auto from = sys_days((this_month - months(1)) / 1) - kBeijing;
  return {instant(from), instant(to)};
}

// Appeals of one cohort at random times in [from, to), cycling through `base`.
void add_cohort(std::vector<planned>& out, const std::vector<timed_appeal>& base, std::size_t n, cohort c,
                instant from, instant to, std::mt19937_64& rng) {
  std::uniform_int_distribution<std::int64_t> at(to_millis(from), to_millis(to) - 1);
  for (std::size_t i = 0; i < n; ++i) {
    planned p{base[i % base.size()], c};
    p.a.at = from_millis(at(rng));
    out.push_back(std::move(p));
  }
}

// Reports of one community and category are spaced by more than the duplicate window,
// so every appeal makes its own ticket (the community is coarser than any scope).
void space_duplicates(std::vector<planned>& plan, const routing::rulebook& rules, std::chrono::seconds window) {
  auto by_time = [](const planned& x, const planned& y) { return x.a.at < y.a.at; };
  std::stable_sort(plan.begin(), plan.end(), by_time);
  std::unordered_map<std::string, instant> last;
  const auto gap = std::chrono::duration_cast<duration>(window) + std::chrono::seconds(1);
  for (auto& p : plan) {
    const auto& a = appeal_of(p.a);
    auto community = rules.community_of(a.jurisdiction_id);
    if (!community) throw std::runtime_error("the sample names an unknown place " + a.jurisdiction_id);
    auto [it, fresh] = last.try_emplace(*community + "|" + a.category, p.a.at);
    if (!fresh) p.a.at = it->second = std::max(p.a.at, it->second + gap);
  }
  std::stable_sort(plan.begin(), plan.end(), by_time);
}

std::vector<planned> make_plan(const scale_options& o, instant t0, const routing::rulebook& rules) {
  const auto base = sample_appeals(kSampleAppeals);
  std::vector<timed_appeal> continuous;
  for (const auto& t : base) {
    if (continuous_category(std::get<submit_cmd>(t.cmd.body).a.category)) continuous.push_back(t);
  }
  if (continuous.empty()) throw std::runtime_error("the sample holds no appeal on a 24x7 policy");
  const auto stream = std::min(o.tickets, std::max<std::size_t>(200, static_cast<std::size_t>(o.stream_share * o.tickets)));
  const auto live = std::min(o.tickets - stream, static_cast<std::size_t>(o.live_share * o.tickets));
  const auto held = o.tickets - stream - live;
  const auto live_from = t0 - hours(24 * o.live_days);
  const auto stream_from = t0 - o.stream_span;
  std::mt19937_64 rng(6);  // issue #6: the same plan every run
  std::vector<planned> plan;
  plan.reserve(o.tickets);
  add_cohort(plan, base, held, cohort::held, t0 - hours(24 * 365), live_from, rng);
  add_cohort(plan, base, live, cohort::live, live_from, stream_from, rng);
  add_cohort(plan, continuous, stream, cohort::stream, stream_from, t0, rng);
  space_duplicates(plan, rules, o.duplicate_window);
  for (std::size_t i = 0; i < plan.size(); ++i) {
    auto& a = appeal_of(plan[i].a);
    a.reported_at = plan[i].a.at;
    a.source_id = "scale-" + std::to_string(i);
    plan[i].a.cmd.id = "scale-submit-" + std::to_string(i);
  }
  return plan;
}

// Appeals posted and not yet finished (submitted, and suspended when held).
class in_flight {
 public:
  explicit in_flight(std::size_t cap) : window_(static_cast<std::ptrdiff_t>(cap)) {}
  void begin() {
    window_.acquire();
    std::lock_guard lock(mu_);
    ++open_;
  }
  void end() {
    window_.release();
    std::lock_guard lock(mu_);
    if (--open_ == 0) idle_.notify_all();
  }
  void wait_idle() {
    std::unique_lock lock(mu_);
    idle_.wait(lock, [this] { return open_ == 0; });
  }

 private:
  std::counting_semaphore<1 << 24> window_;
  std::mutex mu_;
  std::condition_variable idle_;
  std::size_t open_ = 0;
};

struct counters {
  std::atomic<std::size_t> created{0}, joined{0}, rejected{0}, suspended{0};
  std::mutex mu;
  std::string first_error;
  std::vector<std::string> stream_ids;
  std::size_t stream_seen = 0;

  void reject(const runtime::outcome& r) {
    rejected.fetch_add(1);
    std::lock_guard lock(mu);
    if (first_error.empty()) first_error = r.err->code + ": " + r.err->message;
  }
};

command suspend_command(const std::string& ticket_id) {
  command c;
  c.id = "scale-suspend-" + ticket_id;
  c.ticket_id = ticket_id;
  c.by = actor{role::supervisor, "bench"};
  c.body = suspend_cmd{"等待党群议事会表决和维修资金审批"};
  return c;
}

void post_one(runtime::engine& eng, planned& p, in_flight& flight, counters& n) {
  flight.begin();
  const auto at = p.a.at;
  const auto c = p.c;
  eng.post_at(std::move(p.a.cmd), at, [&eng, &flight, &n, at, c](runtime::outcome r) {
    if (!r.ok()) {
      n.reject(r);
    } else if (r.joined) {
      n.joined.fetch_add(1);
    } else if (r.created) {
      n.created.fetch_add(1);
      if (c == cohort::held) {
        // Still on the strand: the suspension is queued behind the submit, at its instant.
        eng.post_at(suspend_command(r.ticket_id), at, [&flight, &n](runtime::outcome s) {
          if (s.ok()) {
            n.suspended.fetch_add(1);
          } else {
            n.reject(s);
          }
          flight.end();
        });
        return;
      }
      if (c == cohort::stream) {
        std::lock_guard lock(n.mu);
        // The latest ones: their deadlines are the ones still ahead when serve starts.
        if (n.stream_ids.size() < kStreamIdsKept) {
          n.stream_ids.push_back(r.ticket_id);
        } else {
          n.stream_ids[n.stream_seen % kStreamIdsKept] = r.ticket_id;
        }
        ++n.stream_seen;
      }
    }
    flight.end();
  });
}

double seconds_since(steady::time_point start) { return std::chrono::duration<double>(steady::now() - start).count(); }

void wait_for_compactions(store::store& st, bool progress) {
  const auto start = steady::now();
  auto busy = [&st] {
    std::uint64_t pending = 0, running = 0;
    st.db()->GetIntProperty("rocksdb.compaction-pending", &pending);
    st.db()->GetIntProperty("rocksdb.num-running-compactions", &running);
    return pending != 0 || running != 0;
  };
  bool said = false;
  while (busy()) {
    if (progress && !said) {
      std::cerr << "  scale fill: waiting for RocksDB's pending compactions\n";
      said = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  if (said) std::cerr << "  scale fill: compactions done in " << static_cast<long>(seconds_since(start)) << " s\n";
}

}  // namespace

scale_result fill_scale(const std::filesystem::path& config_file, const std::filesystem::path& store_dir,
                        const scale_options& o) {
  const auto cfg = config::load(config_file);
  scale_result out;
  out.t0 = std::chrono::floor<std::chrono::seconds>(now_ms());
  auto plan = make_plan(o, out.t0, *cfg.rules);
  std::tie(out.month_from, out.month_to) = month_before(out.t0 - hours(24 * o.live_days));
  for (const auto& p : plan) {
    if (p.c == cohort::held && p.a.at >= out.month_from && p.a.at < out.month_to) {
      ++out.street_month[cfg.rules->street_of(std::get<submit_cmd>(p.a.cmd.body).a.jurisdiction_id)];
    }
    (p.c == cohort::held ? out.held : p.c == cohort::live ? out.live : out.stream) += 1;
  }

  auto st = store::store::open(store_dir, store::options{cfg.engine.partitions, false, true, false});
  if (!st) throw std::runtime_error(st.err().message);
  runtime::simulated_clock clk(plan.front().a.at);
  runtime::engine eng(cfg.rules, **st, clk, runtime::engine_options{o.threads, cfg.engine.group_commit_max, false, nullptr});
  in_flight flight(o.in_flight);
  counters n;
  const auto start = steady::now();

  // Held cohort: no timer is left to fire, so the clock stays put and everything flows.
  const auto every = std::max<std::size_t>(out.held / 10, 1);
  std::size_t i = 0;
  for (; i < plan.size() && plan[i].c == cohort::held; ++i) {
    post_one(eng, plan[i], flight, n);
    if (o.progress && (i + 1) % every == 0) {
      std::cerr << "  scale fill: " << (i + 1) << "/" << out.held << " held tickets posted, "
                << static_cast<long>(seconds_since(start)) << " s\n";
    }
  }
  flight.wait_idle();

  // Live and stream cohorts: appeals of one slice of time, then every timer due by its end.
  auto slice_end = i < plan.size() ? plan[i].a.at + kSlice : out.t0;
  auto next_report = slice_end + hours(24);
  for (; i < plan.size(); ++i) {
    while (plan[i].a.at >= slice_end) {
      flight.wait_idle();
      out.timers_fired += eng.advance_to(slice_end);
      slice_end += kSlice;
    }
    if (o.progress && slice_end >= next_report) {
      std::cerr << "  scale fill: live tickets up to " << format_rfc3339(slice_end) << ", " << out.timers_fired
                << " timers fired, " << static_cast<long>(seconds_since(start)) << " s\n";
      next_report += hours(24);
    }
    post_one(eng, plan[i], flight, n);
  }
  flight.wait_idle();
  // Up to the wall clock, twice: the first pass may take a while.
  for (int pass = 0; pass < 2; ++pass) {
    out.fired_to = now_ms();
    out.timers_fired += eng.advance_to(out.fired_to);
  }
  eng.stop();
  // A server that has been running a while has compacted what its writes left behind;
  // a store closed right after the fill has not (files dense with the tombstones of
  // fired timers are marked for compaction). Left pending, those compactions would run
  // at the start of every serve run and compete with what it measures.
  wait_for_compactions(**st, o.progress);
  out.seconds = seconds_since(start);
  out.created = n.created;
  out.joined = n.joined;
  out.rejected = n.rejected;
  out.suspended = n.suspended;
  out.stream_ids = std::move(n.stream_ids);
  if (out.rejected > 0) {
    throw std::runtime_error(std::to_string(out.rejected) + " commands were rejected, the first: " + n.first_error);
  }
  return out;
}

std::vector<std::size_t> count_pending_timers(const std::filesystem::path& store_dir, unsigned partitions,
                                              const std::vector<std::pair<instant, instant>>& windows) {
  auto st = store::store::open(store_dir, store::options{partitions, false, false, true});
  if (!st) throw std::runtime_error(st.err().message);
  std::vector<std::size_t> out;
  for (const auto& [from, to] : windows) {
    std::size_t n = 0;
    for (unsigned p = 0; p < partitions; ++p) {
      auto counted = (*st)->count_timers(p, from, to, SIZE_MAX);
      if (!counted) throw std::runtime_error(counted.err().message);
      n += *counted;
    }
    out.push_back(n);
  }
  return out;
}

}  // namespace doorstep::bench
