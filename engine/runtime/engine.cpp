#include "runtime/engine.h"

#include <boost/asio/post.hpp>

#include <algorithm>
#include <stdexcept>

#include "store/keys.h"
#include "store/rows.h"

namespace doorstep::runtime {

engine::engine(std::shared_ptr<const routing::rulebook> rules, store::store& s, clock& c, engine_options opts)
    : rules_(std::move(rules)), store_(s), clock_(c), opts_(opts), pool_(opts.threads) {
  for (unsigned p = 0; p < s.partitions(); ++p) {
    parts_.push_back(std::make_unique<slot>(pool_, p, s, *rules_));
    parts_.back()->core.keep_committed_events(opts_.on_commit && opts_.commit_events);
  }
  if (opts_.probe) {
    // The gauges start from the worklist rows: a few hundred bytes per ticket, not a
    // snapshot to decode (a million tickets count in well under a second).
    metrics::engine_probe::row_loader rows(*opts_.probe);
    // A partition that cannot be read counts what was read before the error; the same
    // read fails the engine's first commands there (they fence it), and its
    // doorstep_store_* metrics tell of the trouble.
    for (unsigned p = 0; p < s.partitions(); ++p) {
      (void)s.scan(store::family_prefix(p, store::kWorklist), [&rows](std::string_view key, std::string_view value) {
        if (auto r = store::parse_worklist_row(key, value)) rows.add(*r);
        return true;
      });
    }
    rows.finish();
  }
  if (store_.syncs()) {
    // Groups are acknowledged after their fsync, which runs on the syncer while the
    // partitions go on deciding; readers see only what is synced. If this first sync
    // fails, so does the first group's, which fences its partition and says why.
    pipelined_ = true;
    (void)store_.hold_reads_to_synced(true);
    syncer_ = std::thread([this] { run_syncer(); });
  }
  if (opts_.arm_timers && !clock_.simulated()) {
    for (auto& sl : parts_) {
      slot* raw = sl.get();
      boost::asio::post(raw->strand, [this, raw] { arm(*raw); });
    }
  }
}

engine::~engine() { stop(); }

void engine::stop() {
  if (stopped_) return;
  stopped_ = true;
  for (auto& sl : parts_) {
    slot* raw = sl.get();
    boost::asio::post(raw->strand, [raw] { raw->timer.cancel(); });
  }
  pool_.join();  // groups waiting for their sync hold the pool's work until handed out
  if (syncer_.joinable()) {
    {
      std::lock_guard lock(sync_mu_);
      sync_stop_ = true;
    }
    sync_wake_.notify_one();
    syncer_.join();
    (void)store_.hold_reads_to_synced(false);  // everything was synced: nothing to hide
  }
}

result<unsigned> engine::partition_of(const command& c) const {
  if (const auto* s = std::get_if<submit_cmd>(&c.body)) {
    auto community = rules_->community_of(s->a.jurisdiction_id);
    if (!community) return community.err();
    return partition_for_community(*community, partitions());
  }
  auto p = store::partition_of_ticket(c.ticket_id);
  if (!p || *p >= partitions()) {
    return make_error("not_found", "ticket " + c.ticket_id + " does not exist");
  }
  return *p;
}

void engine::post(command c, callback done) { route_and_enqueue(std::move(c), std::nullopt, std::move(done)); }

void engine::post_at(command c, instant at, callback done) {
  route_and_enqueue(std::move(c), std::max(at, clock_.now()), std::move(done));
}

void engine::route_and_enqueue(command c, std::optional<instant> at, callback done) {
  if (auto* s = std::get_if<submit_cmd>(&c.body); s && s->a.jurisdiction_id.empty() && !s->a.address.empty()) {
    auto place = rules_->locate(s->a.address);  // an appeal that names its place only in words
    if (!place) {
      outcome o;
      o.err = place.err();
      done(std::move(o));
      return;
    }
    s->a.jurisdiction_id = *place;
  }
  auto p = partition_of(c);
  if (!p) {
    outcome o;
    o.err = p.err();
    done(std::move(o));
    return;
  }
  enqueue(*p, queued{job{std::move(c), at}, std::move(done)});
}

void engine::post_to(unsigned p, job j, callback done) {
  if (p >= partitions()) {
    outcome o;
    o.err = make_error("not_found", "no partition " + std::to_string(p));
    done(std::move(o));
    return;
  }
  enqueue(p, queued{std::move(j), std::move(done)});
}

bool engine::healthy() const {
  return std::all_of(parts_.begin(), parts_.end(), [](const auto& s) { return !s->fenced.load(); });
}

void engine::enqueue(unsigned p, queued q) {
  slot& s = *parts_[p];
  q.enqueued = std::chrono::steady_clock::now();
  bool schedule = false;
  {
    std::lock_guard lock(s.mu);
    s.queue.push_back(std::move(q));
    if (!s.draining) {
      s.draining = true;
      schedule = true;
    }
  }
  if (schedule) boost::asio::post(s.strand, [this, &s] { drain(s); });
}

// Runs on the slot's strand: takes up to group_commit_max queued commands and executes
// them as one group commit, then reschedules itself while work remains. With pipelined
// sync the group is written and handed to the syncer; its outcomes are reported once
// its fsync is done, and meanwhile the next group is decided.
void engine::drain(slot& s) {
  if (s.in_flight >= kMaxInFlight) {
    s.held_back = true;  // the oldest group's completion drains again
    return;
  }
  flight f;
  {
    // Each command is moved once, from the queue into the group's jobs (moving one
    // holding an appeal moves a dozen strings).
    std::lock_guard lock(s.mu);
    const auto n = std::min<std::size_t>(s.queue.size(), opts_.group_commit_max);
    f.jobs.reserve(n);
    f.work.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      auto& q = s.queue.front();
      f.jobs.push_back(std::move(q.j));
      f.work.push_back({std::move(q.done), q.enqueued});
      s.queue.pop_front();
    }
  }
  f.started = std::chrono::steady_clock::now();
  f.now = clock_.now();
  f.results = s.core.execute(f.jobs, f.now, pipelined_);
  f.committed = !s.core.failure();
  f.bytes = s.core.last_commit_bytes();
  f.earliest_timer_ms = s.core.last_commit_earliest_timer_ms();
  f.events = s.core.take_committed_events();
  // A group that wrote nothing still waits when one before it does: its answers (a
  // replay of a ticket that group created, say) must not overtake that group's sync.
  if (pipelined_ && f.committed && (f.bytes > 0 || s.in_flight > 0)) {
    ++s.in_flight;
    f.owner = &s;
    f.keep.emplace(pool_.get_executor());
    {
      std::lock_guard lock(sync_mu_);
      to_sync_.push_back(std::move(f));
    }
    sync_wake_.notify_one();
  } else {
    finish(s, std::move(f), std::nullopt);
  }
  bool again = false;
  {
    std::lock_guard lock(s.mu);
    again = !s.queue.empty();
    if (!again) s.draining = false;
  }
  if (again) boost::asio::post(s.strand, [this, &s] { drain(s); });
}

void engine::finish(slot& s, flight f, const std::optional<error>& sync_failed) {
  if (sync_failed) {
    // Nothing of the group is acknowledged: every outcome reports the failure, as a
    // failed commit's do, and the partition is fenced.
    s.core.fence(*sync_failed);
    for (auto& o : f.results) {
      o.err = *sync_failed;
      o.skipped = o.dead_lettered = false;
    }
    f.bytes = 0;
    f.committed = false;
  }
  if (s.core.failure()) s.fenced.store(true);
  if (opts_.probe) {
    const auto done = std::chrono::steady_clock::now();
    std::vector<double> latencies;  // each command: queue wait + decide + commit (+ sync)
    latencies.reserve(f.work.size());
    for (const auto& w : f.work) latencies.push_back(std::chrono::duration<double>(done - w.enqueued).count());
    record(f.jobs, f.results, f.now, done - f.started, latencies, f.bytes);
  }
  if (opts_.on_commit && f.committed) opts_.on_commit(s.core.index(), std::move(f.events));
  for (std::size_t i = 0; i < f.work.size(); ++i) {
    if (f.work[i].done) f.work[i].done(std::move(f.results[i]));
  }
  // Re-arm when the group committed a deadline earlier than the one waited for, or when
  // that one is due (its firings may just have committed); otherwise the wait stands.
  if (opts_.arm_timers && !clock_.simulated() && !stopped_ &&
      (f.earliest_timer_ms < s.armed_ms || s.armed_ms <= to_millis(f.now))) {
    arm(s);
  }
}

void engine::run_syncer() {
  std::optional<error> failed;  // once a sync fails, no later group is acknowledged
  for (;;) {
    std::vector<flight> round;
    {
      std::unique_lock lock(sync_mu_);
      sync_wake_.wait(lock, [this] { return sync_stop_ || !to_sync_.empty(); });
      if (to_sync_.empty()) return;
      round.swap(to_sync_);
    }
    if (!failed) {
      if (auto synced = store_.sync(); !synced) failed = synced.err();
    }
    for (auto& f : round) {
      slot* s = f.owner;
      boost::asio::post(s->strand, [this, s, f = std::move(f), failed]() mutable {
        --s->in_flight;
        finish(*s, std::move(f), failed);
        if (s->held_back) {
          s->held_back = false;
          drain(*s);
        }
      });
    }
  }
}

// New timers are only ever created at or after the clock's now, so the floor may rise
// to min(first pending timer, now).
result<std::optional<store::timer_entry>> engine::first_timer(slot& s) {
  auto first = store_.first_timer(s.core.index(), from_millis(s.timer_floor.load()));
  if (!first) return first;
  const auto now = to_millis(clock_.now());
  const auto floor = *first ? std::min(to_millis((*first)->timer.at), now) : now;
  if (floor > s.timer_floor.load()) s.timer_floor.store(floor);
  return first;
}

void engine::record(const std::vector<job>& jobs, const std::vector<outcome>& results, instant now,
                    std::chrono::steady_clock::duration took, const std::vector<double>& latencies,
                    std::size_t bytes) {
  auto& probe = *opts_.probe;
  probe.group_commit(jobs.size(), std::chrono::duration<double>(took).count(), bytes);
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    const auto& o = results[i];
    probe.command(jobs[i].cmd.body,
                  o.replayed ? metrics::command_result::replayed
                  : o.ok()   ? metrics::command_result::ok
                             : metrics::command_result::rejected,
                  latencies[i]);
    if (!o.ok() || o.replayed) continue;
    probe.changed(*o.before, o.events, *o.after);
    std::optional<level> lvl = o.before->lvl;
    for (const auto& e : o.events) {
      if (const auto* d = std::get_if<dispatched_ev>(&e.body)) lvl = d->to;
      if (std::holds_alternative<returned_ev>(e.body)) lvl.reset();
      probe.committed(e, lvl);
      if (const auto* x = std::get_if<escalated_ev>(&e.body)) lvl = x->to;
    }
    if (const auto* t = std::get_if<timer_fired_cmd>(&jobs[i].cmd.body)) {
      const auto at = jobs[i].at.value_or(now);
      probe.timer_fired(std::chrono::duration<double>(at - t->timer.at).count());
    }
  }
}

// Runs on the slot's strand: arms the partition's timer for its earliest deadline.
void engine::arm(slot& s) {
  auto first = first_timer(s);
  if (!first) return arm_again_soon(s);
  s.armed_ms = *first ? to_millis((*first)->timer.at) : INT64_MAX;
  if (!*first) return;
  s.timer.expires_at(std::chrono::system_clock::time_point((*first)->timer.at.time_since_epoch()));
  s.timer.async_wait([this, &s](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    auto due = s.core.due_timers(clock_.now(), opts_.group_commit_max);
    if (!due) return arm_again_soon(s);
    for (const auto& t : *due) {
      enqueue(s.core.index(), queued{job{partition::timer_command(t), std::nullopt}, nullptr});
    }
    arm(s);
  });
}

// The deadline index could not be read: look again in a second, rather than leave the
// partition's deadlines unarmed until its next commit or spin on an unreadable range.
// (The backlog gauge shows deadlines that wait; commands on an unreadable store fence
// the partition.)
void engine::arm_again_soon(slot& s) {
  constexpr auto kRetry = std::chrono::seconds(1);
  s.armed_ms = to_millis(clock_.now() + kRetry);
  s.timer.expires_after(kRetry);
  s.timer.async_wait([this, &s](const boost::system::error_code& ec) {
    if (!ec && !stopped_) arm(s);
  });
}

timer_backlog engine::backlog(std::size_t cap) {
  timer_backlog out;
  const auto now = clock_.now();
  for (auto& sl : parts_) {
    auto first = first_timer(*sl);
    if (!first) out.complete = false;
    if (!first || !*first || (*first)->timer.at > now) continue;
    const auto at = (*first)->timer.at;
    const auto counted = store_.count_timers(sl->core.index(), at, now, cap);
    if (!counted) {
      out.complete = false;
      continue;
    }
    out.due += *counted;
    out.oldest_seconds = std::max(out.oldest_seconds, std::chrono::duration<double>(now - at).count());
  }
  return out;
}

void engine::report_timer_backlog() {
  if (!opts_.probe) return;
  const auto b = backlog();
  // An unreadable deadline index keeps the gauges' last values rather than report a
  // backlog too small (the partition's commands fence; /readyz says why).
  if (b.complete) opts_.probe->timer_backlog(b.due, b.oldest_seconds);
}

outcome engine::execute(command c) {
  std::promise<outcome> done;
  auto f = done.get_future();
  post(std::move(c), [&done](outcome o) { done.set_value(std::move(o)); });
  return f.get();
}

std::size_t engine::advance_to(instant t) {
  std::size_t fired = 0;
  for (;;) {
    std::optional<store::timer_entry> next;
    for (unsigned p = 0; p < partitions(); ++p) {
      auto first = first_timer(*parts_[p]);
      if (!first) throw std::runtime_error(first.err().message);
      if (*first && (*first)->timer.at <= t && (!next || (*first)->timer.at < next->timer.at)) next = *first;
    }
    if (!next) break;
    if (auto* sim = dynamic_cast<simulated_clock*>(&clock_)) sim->advance_to(next->timer.at);
    std::promise<outcome> done;
    auto f = done.get_future();
    const auto at = std::max(next->timer.at, clock_.now());
    enqueue(next->partition, queued{job{partition::timer_command(*next), at},
                                    [&done](outcome o) { done.set_value(std::move(o)); }});
    f.get();
    ++fired;
  }
  if (auto* sim = dynamic_cast<simulated_clock*>(&clock_)) sim->advance_to(t);
  return fired;
}

std::size_t engine::fire_due_timers() {
  std::size_t fired = 0;
  const auto now = clock_.now();
  for (unsigned p = 0; p < partitions(); ++p) {
    auto due = parts_[p]->core.due_timers(now, 100000);
    if (!due) throw std::runtime_error(due.err().message);
    for (const auto& t : *due) {
      std::promise<outcome> done;
      auto f = done.get_future();
      enqueue(p, queued{job{partition::timer_command(t), std::nullopt},
                        [&done](outcome o) { done.set_value(std::move(o)); }});
      f.get();
      ++fired;
    }
  }
  return fired;
}

}  // namespace doorstep::runtime
