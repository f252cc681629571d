// engine/runtime/partition.h
// One partition of the engine: the single writer for every ticket of its communities.
// execute() decides a group of commands against current state, stages their effects
// in one batch and commits it atomically (group commit). Not thread-safe by design:
// the engine calls it only from the partition's strand.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "domain/decide.h"
#include "routing/rulebook.h"
#include "store/store.h"

namespace doorstep::runtime {

struct outcome {
  std::optional<error> err;       // set when rejected (nothing of it was stored)
  std::string ticket_id;
  bool created = false;           // a new ticket
  bool joined = false;            // a duplicate joined an open ticket
  bool replayed = false;          // the source id was seen before: the first answer, nothing new
  std::vector<event> events;      // what this command caused (empty when replayed)
  ticket after;                   // the ticket after the command
  ticket before;                  // the ticket before the command (not set when replayed)
  bool ok() const { return !err.has_value(); }
};

struct job {
  command cmd;
  std::optional<instant> at;  // when absent, the engine's clock at execution
};

// FNV-1a of the community id, modulo the partition count. Stable across versions.
unsigned partition_for_community(std::string_view community_id, unsigned partitions);

class partition {
 public:
  partition(unsigned index, store::store& s, const routing::rulebook& rules) : index_(index), store_(s), rules_(rules) {}

  // The decoded tickets this partition committed last (for tests and diagnostics).
  std::size_t cached_tickets() const { return tickets_.size(); }

  unsigned index() const { return index_; }

  // Decides and stages every job, then commits once. If the commit fails, every
  // outcome carries the storage error (nothing was acknowledged).
  std::vector<outcome> execute(const std::vector<job>& jobs, instant clock_now);

  // Pending timers due at or before `now`, oldest first, at most `limit`.
  std::vector<store::timer_entry> due_timers(instant now, std::size_t limit) const;

  // The command that fires a pending timer.
  static command timer_command(const store::timer_entry& t);

  std::string dup_scope(const ticket& t) const;

 private:
  outcome run_one(store::batch& b, const command& c, instant now);
  outcome run_submit(store::batch& b, const command& c, const submit_cmd& s, instant now, const std::string& key);
  outcome run_merge(store::batch& b, const command& c, const merge_cmd& m, instant now, const std::string& key);
  outcome replay(store::batch& b, const std::string& ticket_id);
  std::optional<std::string> find_duplicate(store::batch& b, const appeal& a, instant now);
  // Decides on `before`, stages the result; returns the outcome (with err on rejection).
  // `key` is the command's idempotency entry name ("cmd:<key>"), `source` the appeal's
  // source id; both are stored with the effects when non-empty.
  outcome decide_and_stage(store::batch& b, const ticket& before, const command& c, instant now,
                           const std::string& key, const std::string& source = {}, bool joining = false);

  unsigned index_;
  store::store& store_;
  const routing::rulebook& rules_;
  std::size_t batch_bytes_hint_ = 0;  // the previous group's size: what the next one reserves
  // Recently committed tickets, decoded. 2,048 covers the open tickets a duplicate may
  // join (the window's tickets of a busy partition) at ~3 KB each.
  store::ticket_cache tickets_{2048};
};

}  // namespace doorstep::runtime
