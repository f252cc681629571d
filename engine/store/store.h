// engine/store/store.h
// The durable state: one RocksDB database holding every partition's events,
// snapshots, indexes, idempotency keys, counters and outbox. Writers stage a group of
// commands in a `batch` (read-your-writes over the database) and commit it with one
// atomic write: all of its commands become durable together, or none does.
// Thread-safety: the database may be read from any thread; each partition must have a
// single writer (its strand), which is what makes per-partition counters safe.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "domain/event.h"
#include "domain/result.h"
#include "store/duplicate_cache.h"
#include "store/keys.h"
#include "store/ticket_cache.h"

namespace doorstep::store {

// A store file is compacted early when any kTombstoneWindow consecutive entries of it
// hold kTombstoneTrigger deletions, or when deletions are kTombstoneRatio of it.
inline constexpr std::size_t kTombstoneWindow = 1024;
inline constexpr std::size_t kTombstoneTrigger = 512;
inline constexpr double kTombstoneRatio = 0.5;

// Obsolete files are deleted in the background, kDeleteChunkBytes at a time, at most
// kDeleteBytesPerSecond; once the files waiting to go reach kMaxTrashRatio of the
// database's size, new ones are deleted at once.
inline constexpr std::int64_t kDeleteBytesPerSecond = 256LL << 20;
inline constexpr std::uint64_t kDeleteChunkBytes = 4ULL << 20;
inline constexpr double kMaxTrashRatio = 4.0;

struct options {
  unsigned partitions = 8;
  bool sync = true;  // fsync the WAL on every commit (durability: sync)
  bool create_if_missing = true;
  bool read_only = false;
  // Adjusts RocksDB's options after Doorstep's defaults, before opening. For tests and
  // drills (e.g. forcing write stalls); production leaves it empty.
  std::function<void(rocksdb::Options&)> tune;

  // Sees the serialized WriteBatch of every successful commit, on the committing
  // partition's strand (benchmarks replay these batches against raw RocksDB). Keep it
  // cheap: it runs inside the commit path.
  std::function<void(unsigned partition, std::string_view batch)> commit_tap;
};

// RocksDB's write controller: writes flow, are delayed (throttled while flushes and
// compactions catch up), or are stopped until they do.
enum class write_condition : std::uint8_t { normal, delayed, stopped };

// Write stalls since the store was opened.
struct write_stall_stats {
  std::uint64_t delayed_entries = 0;  // times writes became delayed
  std::uint64_t stopped_entries = 0;  // times writes became stopped
  double delayed_seconds = 0;         // time spent delayed, the current spell included
  double stopped_seconds = 0;         // time spent stopped, the current spell included
  write_condition now = write_condition::normal;
};

// RocksDB's background work since the store was opened: flushes (a full memtable
// written to a level-0 table file) and compactions (table files merged into the next
// level). Completed jobs only. They share the machine's cores with the engine, and
// while one runs the commands' latency tail grows (docs/performance.md).
struct background_stats {
  std::uint64_t flushes = 0;
  std::uint64_t compactions = 0;
  double flush_seconds = 0;  // wall time, from each job's start to its completion
  double compaction_seconds = 0;
  std::uint64_t flush_bytes = 0;  // table data written (data, index and filter blocks)
  std::uint64_t compaction_bytes = 0;
};

class rocksdb_events;

class store;

// How a reader sees the database: read options that, while the store holds reads to
// what is synced (store::hold_reads_to_synced), carry the snapshot of the last WAL
// sync and keep it alive for as long as the view lives.
class read_view {
 public:
  const rocksdb::ReadOptions& options() const { return ro_; }

 private:
  friend class store;
  rocksdb::ReadOptions ro_;
  std::shared_ptr<const rocksdb::Snapshot> pin_;
};

// The partition's committed counters, sequences and consumed offsets (its meta keys
// that batches write), as last read or committed. The partition is the only writer of
// those keys, so a value stays current until the partition commits the next one, which
// batch::committed() records here: a group reads them from memory, not from RocksDB.
// Used only on the partition's strand (not thread-safe); holds a handful of keys (three
// counters and one offset per consumed Kafka partition).
class meta_cache {
 public:
  // The committed value of `key` (nullopt inside: known to be absent); nullptr when the
  // cache does not know it.
  const std::optional<std::string>* find(const std::string& key) const;
  void put(const std::string& key, std::optional<std::string> value);
  std::size_t size() const { return values_.size(); }

 private:
  std::unordered_map<std::string, std::optional<std::string>> values_;
};

// The buffers a batch stages its writes in and writes them from. A partition keeps one
// and lends it to each group's batch, so the memory is reused from group to group: a
// group of 190 new appeals stages about 1 MB and writes as much again, and buffers
// allocated afresh for every group took a page fault for each 4 KiB first touched
// (perf, bench_ingest: 3.3 % of the samples; see docs/performance.md).
class batch_buffers {
 public:
  batch_buffers() = default;
  batch_buffers(const batch_buffers&) = delete;
  batch_buffers& operator=(const batch_buffers&) = delete;

 private:
  friend class batch;
  // A staged write: its key and (for a put) value in arena_.
  struct staged_write {
    std::size_t key_at, key_size, value_at, value_size;
    bool put;
  };
  // Empties the buffers for a new group with room for `bytes` of writes.
  void begin(std::size_t bytes);
  // Frees what an unusually large group left, so one burst does not hold its memory.
  void trim();

  // A WriteBatch whose records batch::finish() writes into its serialized form itself
  // (write_batch_rep.h), after Clear(), which keeps the buffer for the next group. Never
  // assigned: RocksDB assigns a WriteBatch by destroying it and constructing a plain
  // WriteBatch in its place, which would leave no written_batch there (UBSan's vptr
  // check caught it); trim() clears and shrinks it instead.
  class written_batch : public rocksdb::WriteBatch {
   public:
    written_batch() = default;
    written_batch(const written_batch&) = delete;
    written_batch& operator=(const written_batch&) = delete;
    written_batch& operator=(written_batch&&) = delete;
    std::string& rep() { return rep_; }
  };

  std::string arena_;                 // keys and values back to back
  std::vector<staged_write> staged_;  // in staging order
  written_batch sorted_;              // staged_ in key order: what commit() writes
};

// A ticket event as a batch staged it for the outbox: `seq` its outbox sequence,
// `entry` the outbox entry's value ("<ticket>\t<event id>\t<type>", store/outbox.h) and
// `json` the event log's value. A partition hands its committed groups' events to the
// outbox relay in this form, so the relay need not read them back from the store.
struct staged_event {
  std::uint64_t seq = 0;
  std::string entry;
  std::string json;
};

// A group of commands staged for one atomic commit on one partition.
//
// Writes are appended to one buffer (keys and values back to back, with a small record
// per write) and written into a rocksdb::WriteBatch once, in key order, at commit
// (RocksDB's memtable inserts are much cheaper in key order). The keys a
// group may read back before it commits (the open-duplicate index, idempotency keys,
// counters, stats rows) are also kept in a small ordered overlay, so reads and scans see
// the group's own writes; staged tickets are kept decoded and load_ticket() reads them
// first. Snapshot, event log, outbox, timer and worklist keys are write-only within a
// group: get() and scan() of those families see committed state only. (An
// indexed WriteBatchWithIndex kept every write in a skip list; the overlay holds about a
// third of them and made ingest markedly cheaper, see docs/performance.md.)
class batch {
 public:
  // `reserve_bytes`: room to reserve for the serialized writes (e.g. the group's commands
  // times what a command wrote recently), so a large group does not grow its buffer step
  // by step, copying it each time.
  // `cache`: the partition's decoded committed tickets, consulted before the database.
  // `cache`, `duplicates` and `meta` are the partition's (optional): committed tickets,
  // duplicate-index ranges and meta values, read before the database and updated by
  // committed().
  // `buffers`: where to stage the writes (the partition's, reused group after group);
  // without it the batch uses buffers of its own.
  batch(store& s, unsigned partition, std::size_t reserve_bytes = 0, ticket_cache* cache = nullptr,
        duplicate_cache* duplicates = nullptr, meta_cache* meta = nullptr, batch_buffers* buffers = nullptr);
  ~batch();
  batch(const batch&) = delete;
  batch& operator=(const batch&) = delete;

  unsigned partition() const { return partition_; }
  std::size_t commands() const { return commands_; }
  // Bytes of the RocksDB write batch: an estimate while staging, and once commit() has
  // built the batch, exactly its serialized size (what was written).
  std::size_t bytes() const { return bytes_; }

  // Reads see the batch's own writes to snapshots, the duplicate index, idempotency keys
  // and counters first. Tickets come from this batch, then the cache, then the database;
  // null if there is no such ticket. A ticket from the batch or the cache is shared, not
  // copied.
  result<shared_ticket> load_ticket(const std::string& ticket_id);
  std::optional<std::string> get(const std::string& key);
  // The first read of the store that failed in this batch, if any. The group must not
  // be committed then: each failed read was answered as if the key were absent (or, for
  // a ticket, with the error), so a counter may have restarted from zero. Reads that
  // fail are never cached.
  const std::optional<error>& read_failure() const { return read_failure_; }
  // Open-duplicate index keys under `prefix` (duplicate_prefix()) in key order, from
  // `from` on (a key under the prefix; the prefix itself for all), this batch's writes
  // and committed state merged; `fn` returns false to stop. Committed keys come from the
  // duplicate cache when it holds the range, else from the database (and then load it).
  void duplicates(const std::string& prefix, const std::string& from, const std::function<bool(std::string_view key)>& fn);

  // Stages one command's effects: its events (log + outbox), the new snapshot, the
  // index changes from `before` to `after`, and idempotency entries (source key -> value).
  // The batch keeps `after` (not null) for load_ticket() and, once committed, the cache.
  void stage(const ticket& before, shared_ticket after, const std::vector<event>& events,
             std::string_view dup_scope_before, std::string_view dup_scope_after,
             const std::vector<std::pair<std::string, std::string>>& idempotency = {});

  // Stages the removal of one key (a stale index entry), counted as a command.
  void erase(const std::string& key);

  // Next value of a per-partition counter (ticket numbers), staged in this batch and
  // written once at commit however often the group bumped it.
  std::uint64_t next_counter(const std::string& name);
  // The counter's current value (0 before its first use), this batch's bumps included.
  std::uint64_t counter(const std::string& name);

  // Kafka edge. The offset of the last message from `source` ("<topic>/<partition>")
  // that this partition committed, if any.
  std::optional<std::int64_t> consumed(std::string_view source);
  // Stages `offset` as the last consumed from `source`; counted as a command.
  void mark_consumed(std::string_view source, std::int64_t offset);
  // Stages a dead letter (store/outbox.h's encoding) for the dead-letter topic.
  void stage_dead_letter(std::string encoded);

  // After a successful commit: hands the staged tickets, duplicate-index writes and
  // meta values (counters, sequences, offsets) to the caches.
  void committed();

  // From now on, keeps each ticket event stage() stages (its text moved, not copied),
  // in outbox order, for staged_events(): what a committed group hands to the relay.
  void keep_staged_events() { keep_events_ = true; }
  std::vector<staged_event>& staged_events() { return events_; }

  // The earliest deadline (ms) among the pending timers of the tickets staged in this
  // batch; INT64_MAX when none has one. The engine re-arms a partition's timer after a
  // group only when this is earlier than the deadline it waits for.
  std::int64_t earliest_timer_ms() const { return earliest_timer_ms_; }

 private:
  friend class store;
  void put(const std::string& key, std::string_view value);
  void del(const std::string& key);
  // A meta key this batch writes (a counter, sequence or consumed offset): the batch's
  // own value, else the meta cache's, else the database's (then cached; a failed read
  // is not cached but recorded, see read_failure()).
  std::optional<std::string> owned_meta(const std::string& key);
  // The value of a store read; a failed read is recorded (read_failure()) and answered as absent.
  std::optional<std::string> value_or_fail(result<std::optional<std::string>> read);
  void failed(const error& e);
  // Appends the counters' final values and returns the batch to write, its keys in
  // order; called once, by store::commit.
  rocksdb::WriteBatch& finish();

  store& store_;
  unsigned partition_;
  void append(std::string_view key, std::optional<std::string_view> value);

  batch_buffers own_;  // used when no buffers were lent
  batch_buffers& buffers_;
  std::size_t bytes_;
  // Staged values of read-back keys; nullopt: deleted in this batch.
  std::map<std::string, std::optional<std::string>, std::less<>> overlay_;
  // Staged snapshots, decoded, each with what its staged rows hold and where its latest
  // snapshot write is staged: a snapshot is encoded once per group, at finish(), into
  // that write (a ticket staged twice in a group is written once, by its last write).
  struct staged_ticket {
    shared_ticket ticket;
    ticket_rows rows;
    std::size_t snapshot_write = 0;  // index into buffers_.staged_
  };
  std::unordered_map<std::string, staged_ticket> tickets_;
  // What the rows of `before` hold (staged by this batch, or committed and cached at
  // that version), if known without reading or computing them; null otherwise.
  const ticket_rows* known_rows(const ticket& before) const;
  ticket_cache* cache_;
  duplicate_cache* duplicates_;
  meta_cache* meta_;
  std::vector<std::string> counters_;  // overlay keys to write at commit
  std::size_t commands_ = 0;
  std::int64_t earliest_timer_ms_ = INT64_MAX;
  std::optional<std::uint64_t> outbox_seq_;
  std::optional<std::uint64_t> dlq_seq_;
  bool keep_events_ = false;
  std::vector<staged_event> events_;
  std::optional<error> read_failure_;
};

class store {
 public:
  // Opens (or creates) the database. Errors: store_open, store_partitions (the
  // database was created with a different partition count).
  [[nodiscard]] static result<std::unique_ptr<store>> open(const std::filesystem::path& dir, const options& opts);
  ~store();

  unsigned partitions() const { return opts_.partitions; }

  // Writes the batch atomically (one WAL write). On error nothing of the batch is
  // visible. Calls options.commit_tap after a successful write. When the store syncs
  // (options.sync) the write is durable when this returns, unless `sync_later`: then it
  // is in the WAL's file (a killed process keeps it, a machine that loses power may
  // not), the caller must sync() before telling anyone it is stored, and until that
  // sync only the batches that read through the partition's `batch` see it (while reads
  // are held to what is synced). The engine overlaps a group's fsync with deciding the
  // next group this way.
  [[nodiscard]] status_result commit(batch& b, bool sync_later = false);

  // Whether commits are made durable (options.sync).
  bool syncs() const { return opts_.sync; }

  // fsyncs the WAL: every write that returned before the call is durable when this
  // returns, and readers (read_view) see them. Any thread; concurrent calls share fsyncs
  // where RocksDB can. Error: the sync failed (what it covered may or may not be durable).
  [[nodiscard]] status_result sync();

  // While on, every reader but a partition's batch sees the store as of the last
  // sync(), not writes still waiting for theirs (commit(b, true)): nothing that may yet
  // be lost is published, shown or answered. Turning it on pins the current state (call
  // it before the first deferred commit); turning it off syncs first. The engine turns
  // it on while it runs on a store that syncs.
  [[nodiscard]] status_result hold_reads_to_synced(bool on);

  // Writes `wb` atomically, durable when this returns if the store syncs. For writes
  // outside the partitions (delivery cursors, resume positions). Error: "<what>: <status>".
  [[nodiscard]] status_result write(rocksdb::WriteBatch& wb, std::string_view what);

  // Read options for a reader outside the partitions (see hold_reads_to_synced), bounded
  // above by `upper` when it is given and not empty. Any thread.
  read_view reads(const rocksdb::Slice* upper = nullptr) const;

  // Point reads and scans of committed state; any thread.
  result<std::optional<ticket>> load_ticket(const std::string& ticket_id) const;
  // Several tickets in the order of `ids`: their snapshots in one batched read (RocksDB
  // MultiGet), then all their joined appeals in one more; an unknown id gives nullopt.
  // Error: the first read or decode error.
  result<std::vector<std::optional<ticket>>> load_tickets(const std::vector<std::string>& ids) const;
  result<std::vector<event>> load_events(const std::string& ticket_id) const;
  std::optional<std::string> get(const std::string& key) const;
  // A point read that tells a missing key (nullopt) from a failed read (error).
  result<std::optional<std::string>> read(const std::string& key) const;
  // Point reads of all `keys` in one batched read (RocksDB MultiGet), handed to fn in
  // the order of `keys`: fn(i, value of keys[i], nullopt when it is absent). The value
  // lives only during the call. Stops at fn's first error. Error: a failed read, as
  // "<what>: <status>" (fn has seen the values before it), or fn's.
  [[nodiscard]] status_result read_each(
      const std::vector<std::string>& keys, std::string_view what,
      const std::function<status_result(std::size_t i, std::optional<std::string_view> value)>& fn) const;
  // Keys under `prefix` in key order, from `from` on when it is given (a key under the
  // prefix). Error: the store could not be read (the keys before it were seen).
  [[nodiscard]] status_result scan(const std::string& prefix, const std::function<bool(std::string_view key, std::string_view value)>& fn,
            const std::string& from = {}) const;

  // The earliest pending timer of a partition due at or after `floor`, if any. Callers
  // pass a floor below which they know no timer exists (everything earlier fired), so
  // the seek does not wade through the tombstones of fired timers.
  // Error: the deadline index could not be read.
  result<std::optional<timer_entry>> first_timer(unsigned partition, instant floor = {}) const;

  // Pending timers of a partition due in [from, to], counted up to `cap`. Cost: the
  // entries counted plus the tombstones of fired timers after `from` (pass the floor).
  // Error: the deadline index could not be read.
  result<std::size_t> count_timers(unsigned partition, instant from, instant to, std::size_t cap) const;

  // A ticket from a snapshot's stored text (codec::decode_snapshot_text), with its
  // joined appeals read from their rows: as readers see them, or (`latest`) as the
  // partition's own reads do. Error: the text does not decode, or a row cannot be read.
  result<ticket> decode_snapshot(unsigned partition, std::string_view text, bool latest = false) const;

  // Every ticket snapshot, partition by partition, in key order.
  // Error: the store could not be read (the tickets before the error were seen).
  status_result for_each_ticket(const std::function<bool(unsigned partition, const ticket&)>& fn) const;

  // A consistent on-disk copy (RocksDB checkpoint) for backups.
  [[nodiscard]] status_result checkpoint(const std::filesystem::path& dir) const;

  // Write stalls since open, from RocksDB's stall notifications. Any thread; O(1).
  write_stall_stats write_stalls() const;
  // Flushes and compactions completed since open, from RocksDB's notifications. Any
  // thread; O(1).
  background_stats background_work() const;
  // A numeric RocksDB property (rocksdb.is-write-stopped, rocksdb.actual-delayed-write-rate,
  // ...); nullopt when RocksDB does not know it. Any thread.
  std::optional<std::uint64_t> int_property(const std::string& name) const;

  rocksdb::DB* db() const { return db_.get(); }

 private:
  friend class batch;
  store(std::unique_ptr<rocksdb::DB> db, options opts, std::shared_ptr<rocksdb_events> events);
  // A partition's own reads (batch): the latest state, its deferred commits included.
  result<std::optional<std::string>> read_latest(const std::string& key) const;
  status_result scan_latest(const std::string& prefix, const std::function<bool(std::string_view key, std::string_view value)>& fn,
                            const std::string& from) const;
  // `latest`: a partition's own reads (batch), which see its deferred commits; other
  // readers see what reads() shows.
  result<std::optional<std::string>> read_impl(const std::string& key, bool latest) const;
  status_result scan_impl(const std::string& prefix, const std::function<bool(std::string_view key, std::string_view value)>& fn,
                          const std::string& from, bool latest) const;
  // What a reader sees (reads()), or the latest state for a partition's own reads.
  read_view view_impl(const rocksdb::Slice* upper, bool latest) const;
  // Writes `wb`; durable when it returns if the store syncs, unless `sync_later` (commit()).
  status_result write_impl(rocksdb::WriteBatch& wb, bool sync_later, std::string_view what);
  std::shared_ptr<const rocksdb::Snapshot> snapshot_now() const;
  std::shared_ptr<rocksdb_events> events_;  // RocksDB holds it too, as a listener
  std::unique_ptr<rocksdb::DB> db_;
  options opts_;
  // The snapshot of the last sync() while reads are held to what is synced; null
  // otherwise (readers see the latest state).
  std::atomic<bool> held_{false};
  mutable std::mutex synced_mu_;
  std::shared_ptr<const rocksdb::Snapshot> synced_;
};

}  // namespace doorstep::store
