// engine/runtime/partition.h
// One partition of the engine: the single writer for every ticket of its communities.
// execute() decides a group of commands against current state, stages their effects
// in one batch and commits it atomically (group commit). Not thread-safe by design:
// the engine calls it only from the partition's strand.
#pragma once

#include <memory>
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
  bool skipped = false;           // an inbound message this partition had already consumed
  bool dead_lettered = false;     // an inbound message that could not be used, parked for the DLQ
  std::vector<event> events;      // what this command caused (empty when replayed)
  // The ticket after and before the command, never null: no_ticket() until set (before
  // is not set when replayed). Shared with the partition's cache, so they are read-only.
  shared_ticket after = no_ticket();
  shared_ticket before = no_ticket();
  bool ok() const { return !err.has_value(); }
};

// A message consumed from a Kafka partition. Its offset is committed in the same batch
// as its effects, so each message takes effect once: a message at or below the
// partition's consumed offset for its source is skipped. A message that cannot be used
// (refused at the edge, or rejected by the state machine) is parked as a dead letter,
// also in that batch, and changes nothing else.
struct inbound {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::int64_t timestamp_ms = -1;
  std::optional<std::string> key;  // the community the message claims to belong to
  std::string payload;             // verbatim, for the dead letter
  std::optional<error> refused;    // decided at the edge (bad JSON, schema, key): dead letter at once
  std::string source() const { return topic + "/" + std::to_string(partition); }
};

struct job {
  command cmd;
  std::optional<instant> at;  // when absent, the engine's clock at execution
  std::shared_ptr<const inbound> in;  // set for Kafka messages
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
  // outcome carries the storage error (nothing was acknowledged) and the partition is
  // fenced: every later execute() fails the same way without touching the store, so
  // nothing committed afterwards can overtake what was lost (consumed offsets stay
  // monotonic). A read of the store that fails while deciding does the same before
  // anything is committed (see store::batch::read_failure()). A restart clears the fence.
  //
  // `sync_later` (a store that syncs): the group is written without waiting for its WAL
  // sync (store::commit), so the next group can be decided meanwhile; it counts as
  // committed here (later groups build on it) and the caller acknowledges nothing of it
  // before store::sync() succeeds, or calls fence() when it fails.
  std::vector<outcome> execute(const std::vector<job>& jobs, instant clock_now, bool sync_later = false);
  const std::optional<error>& failure() const { return failure_; }
  // A deferred sync of this partition's writes failed: fences the partition as a failed
  // commit does (every later group was decided on the lost one's state).
  void fence(const error& cause);
  // Bytes the last execute() wrote to the store (0 when it wrote nothing).
  std::size_t last_commit_bytes() const { return last_commit_bytes_; }
  // The earliest pending deadline (ms) of the tickets the last execute() committed;
  // INT64_MAX when it committed none with a pending timer.
  std::int64_t last_commit_earliest_timer_ms() const { return last_commit_earliest_timer_ms_; }

  // With `on`, each execute() keeps the ticket events its group committed, for
  // take_committed_events() (the engine hands them to the outbox relay).
  void keep_committed_events(bool on) { keep_events_ = on; }
  // The ticket events the last execute() committed, in outbox order (empty unless
  // kept, and when it committed nothing); moved out.
  std::vector<store::staged_event> take_committed_events() { return std::move(committed_events_); }

  // Pending timers due at or before `now`, oldest first, at most `limit`.
  // Error: the deadline index could not be read.
  result<std::vector<store::timer_entry>> due_timers(instant now, std::size_t limit) const;

  // The command that fires a pending timer.
  static command timer_command(const store::timer_entry& t);

  std::string dup_scope(const ticket& t) const;

 private:
  outcome run_one(store::batch& b, const command& c, instant now);
  outcome run_inbound(store::batch& b, const job& j, instant now);
  std::optional<error> check_key(store::batch& b, const job& j);
  outcome run_submit(store::batch& b, const command& c, const submit_cmd& s, instant now, const std::string& key);
  // A new ticket for an appeal that is neither a retry nor a duplicate.
  outcome run_create(store::batch& b, const command& c, instant now, const std::string& key, const std::string& source);
  outcome run_merge(store::batch& b, const command& c, const merge_cmd& m, instant now, const std::string& key);
  outcome replay(store::batch& b, const std::string& ticket_id);
  outcome replay_keyed(store::batch& b, const command& c, const std::string& seen);
  std::optional<std::string> find_duplicate(store::batch& b, const appeal& a, instant now);
  // Decides on `before`, stages the result; returns the outcome (with err on rejection;
  // `before` is taken by value and moved into the outcome, so callers move it in).
  // An outcome holds two tickets and the events: the callers return it as it comes (one
  // named outcome per function, or this call itself), so it is built once in place, not
  // moved at every level (each move had cost about 1,500 instructions).
  // `key` is the command's idempotency entry name ("cmd:<key>"), `source` the appeal's
  // source id; both are stored with the effects when non-empty.
  outcome decide_and_stage(store::batch& b, shared_ticket before, const command& c, instant now,
                           const std::string& key, const std::string& source = {}, bool joining = false);

  unsigned index_;
  std::optional<error> failure_;
  std::size_t last_commit_bytes_ = 0;
  std::int64_t last_commit_earliest_timer_ms_ = INT64_MAX;
  bool keep_events_ = false;
  std::vector<store::staged_event> committed_events_;
  store::store& store_;
  const routing::rulebook& rules_;
  // Bytes a command wrote on average in recent groups: a group reserves its commands'
  // worth (and a quarter more), so its write batch is not copied as it grows.
  std::size_t bytes_per_command_ = 0;
  // Each group's batch stages in these, so their memory is reused.
  store::batch_buffers buffers_;
  // Recently committed tickets, decoded. 2,048 covers the open tickets a duplicate may
  // join (the window's tickets of a busy partition) at ~3 KB each.
  store::ticket_cache tickets_{2048};
  // The duplicate index's ranges this partition looked up (the window's open tickets per
  // category and place), so finding the ticket an appeal joins needs no iterator.
  store::duplicate_cache duplicates_{16384};
  // Its counters, sequences and consumed offsets as committed (read once, then kept).
  store::meta_cache meta_;
};

}  // namespace doorstep::runtime
