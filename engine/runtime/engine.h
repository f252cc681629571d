// engine/runtime/engine.h
// The engine: N partitions, each a single writer on its own Asio strand, running on a
// small thread pool. Commands are routed to their partition (by the community of a new
// appeal, or by the partition encoded in a ticket id), queued, and executed in groups
// (one atomic commit per group). Durable timers: each partition's deadline index is
// fired through the same state machine, armed on the real clock or driven explicitly
// by advance_to() on the simulated clock.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/system_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "metrics/probe.h"
#include "runtime/clock.h"
#include "runtime/partition.h"

namespace doorstep::runtime {

// Deadlines that are due and have not fired yet.
struct timer_backlog {
  std::size_t due = 0;        // counted up to the cap per partition
  double oldest_seconds = 0;  // how long the oldest has been due; 0 when none
  bool complete = true;       // false: a partition's deadlines could not be read
};

struct engine_options {
  unsigned threads = 2;
  unsigned group_commit_max = 256;
  bool arm_timers = true;  // real clock: fire deadlines as they come due
  metrics::engine_probe* probe = nullptr;  // optional
  // Called on the partition's strand after each group commit that stored something
  // (e.g. wakes the outbox relay), in commit order, once the group is acknowledged
  // (after its WAL sync when the store syncs). Must not block. With `commit_events`
  // it is handed the ticket events the group committed, in outbox order (the relay
  // publishes them without reading them back); otherwise `events` is empty.
  std::function<void(unsigned partition, std::vector<store::staged_event> events)> on_commit;
  bool commit_events = false;
};

class engine {
 public:
  using callback = std::function<void(outcome)>;

  engine(std::shared_ptr<const routing::rulebook> rules, store::store& s, clock& c, engine_options opts);
  ~engine();
  engine(const engine&) = delete;
  engine& operator=(const engine&) = delete;

  // The partition a command belongs to. Errors: unknown_jurisdiction (submit),
  // not_found (a ticket id that cannot exist).
  result<unsigned> partition_of(const command& c) const;

  // Thread-safe. Queues the command on its partition; `done` runs on that partition's
  // strand after the command's group commit (or at once with a routing error).
  void post(command c, callback done);

  // Kafka edge: queues a consumed message's job on partition `p`, the partition of its
  // key, whatever the message says (so its consumed offset lands where it is looked
  // for). `done` runs on that partition's strand after the group commit.
  void post_to(unsigned p, job j, callback done);

  // False once a partition is fenced after a failed commit or read (see partition::execute).
  bool healthy() const;

  // As post(), but the command is decided at `at` instead of the clock's now (clamped
  // to now when earlier, since no timer may be created in the past). For streams that
  // carry their own time: replays and benchmarks feeding appeals faster than real time.
  void post_at(command c, instant at, callback done);

  // Convenience for callers off the strands: post and wait.
  outcome execute(command c);

  // Simulated clock only: fires every timer due at or before `t` in due order (each at
  // its own due instant), then moves the clock to `t`. Returns the timers fired. Throws
  // std::runtime_error when the deadline index cannot be read (the clock stays where
  // the last fired timer left it).
  std::size_t advance_to(instant t);

  // Fires every timer due now (real clock); returns how many fired. Throws as advance_to().
  std::size_t fire_due_timers();

  // The timers due at or before the clock's now that have not fired, counted up to
  // `cap` per partition. Normally near 0: a deadline fires within milliseconds; a growing
  // backlog means partitions cannot keep up or a partition is stuck. Thread-safe; reads
  // the deadline index from each partition's timer floor, O(due timers, capped).
  timer_backlog backlog(std::size_t cap = 10000);

  // Reports backlog() to the probe (no-op without one). For the metrics scrape.
  void report_timer_backlog();

  // Waits until every queued command has run, then stops the threads. Idempotent.
  void stop();

  const routing::rulebook& rules() const { return *rules_; }
  store::store& storage() { return store_; }
  const clock& time() const { return clock_; }
  unsigned partitions() const { return static_cast<unsigned>(parts_.size()); }
  std::string dup_scope(const ticket& t) const { return parts_.front()->core.dup_scope(t); }

 private:
  struct queued {
    job j;
    callback done;
    std::chrono::steady_clock::time_point enqueued{};  // set by enqueue(): the start of its latency
  };
  struct slot {
    slot(boost::asio::thread_pool& pool, unsigned index, store::store& s, const routing::rulebook& r)
        : strand(boost::asio::make_strand(pool)), timer(strand), core(index, s, r) {}
    boost::asio::strand<boost::asio::thread_pool::executor_type> strand;
    boost::asio::system_timer timer;
    partition core;
    std::mutex mu;
    std::deque<queued> queue;
    bool draining = false;
    // No pending timer of this partition is due before this (ms): everything earlier
    // has fired. Lets timer lookups skip the tombstones of fired timers.
    std::atomic<std::int64_t> timer_floor{0};
    // The deadline (ms) the partition's timer waits for; INT64_MAX when it waits for
    // none. Strand only. A group that committed no earlier deadline leaves it armed:
    // re-arming reads the store (an iterator and a seek), which at low rates, with a
    // group every command or two, was 6 % of the server's CPU.
    std::int64_t armed_ms = INT64_MAX;
    std::atomic<bool> fenced{false};
    // Groups written and waiting for their WAL sync (pipelined sync), and whether a drain
    // stopped because kMaxInFlight were: the sync's completion drains again. Strand only.
    unsigned in_flight = 0;
    bool held_back = false;
  };
  // A queued command's answer and its start, once its job is in a flight's jobs.
  struct waiting {
    callback done;
    std::chrono::steady_clock::time_point enqueued{};
  };
  // A group decided and written: its outcomes wait here for its WAL sync (or, when it
  // needs none, are handed out at once).
  struct flight {
    slot* owner = nullptr;
    std::vector<waiting> work;  // in the order of jobs
    std::vector<job> jobs;
    std::vector<store::staged_event> events;  // for on_commit (engine_options::commit_events)
    std::vector<outcome> results;
    instant now{};
    std::chrono::steady_clock::time_point started{};
    std::size_t bytes = 0;
    std::int64_t earliest_timer_ms = INT64_MAX;
    bool committed = false;  // execute() stored it (the partition was not fenced by it)
    // Keeps the pool's join() waiting while the group waits for its sync.
    std::optional<boost::asio::executor_work_guard<boost::asio::thread_pool::executor_type>> keep;
  };
  // Groups a partition may have written and not yet synced. Two let it decide and write
  // the next group while the previous one's fsync runs; more would only split the
  // waiting commands into smaller groups.
  static constexpr unsigned kMaxInFlight = 2;
  result<std::optional<store::timer_entry>> first_timer(slot& s);

  void enqueue(unsigned p, queued q);
  void route_and_enqueue(command c, std::optional<instant> at, callback done);
  void record(const std::vector<job>& jobs, const std::vector<outcome>& results, instant now,
              std::chrono::steady_clock::duration took, const std::vector<double>& latencies, std::size_t bytes);
  void drain(slot& s);
  // On the slot's strand: reports a group's outcomes (to the probe, on_commit and the
  // callers) and re-arms the partition's timer. `sync_failed`: its WAL sync failed, so
  // nothing of it is acknowledged and the partition is fenced.
  void finish(slot& s, flight f, const std::optional<error>& sync_failed);
  // The syncer thread: syncs the WAL once for every group written since the last round,
  // then hands each group back to its strand.
  void run_syncer();
  void arm(slot& s);
  void arm_again_soon(slot& s);

  std::shared_ptr<const routing::rulebook> rules_;
  store::store& store_;
  clock& clock_;
  engine_options opts_;
  boost::asio::thread_pool pool_;
  std::vector<std::unique_ptr<slot>> parts_;
  std::atomic<bool> stopped_{false};
  // Pipelined sync (a store that syncs): groups are written without waiting for the
  // fsync and acknowledged after the syncer's next store::sync().
  bool pipelined_ = false;
  std::mutex sync_mu_;
  std::condition_variable sync_wake_;
  std::vector<flight> to_sync_;
  bool sync_stop_ = false;
  std::thread syncer_;
};

}  // namespace doorstep::runtime
