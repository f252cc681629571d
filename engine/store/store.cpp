#include "store/store.h"
#include "store/key_order.h"
#include "store/write_batch_rep.h"

#include <rocksdb/filter_policy.h>
#include <rocksdb/sst_file_manager.h>
#include <rocksdb/listener.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/table_properties_collectors.h>
#include <rocksdb/utilities/checkpoint.h>

#include <boost/json/monotonic_resource.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <iterator>
#include <mutex>

#include "domain/codec.h"
#include "store/rows.h"

namespace doorstep::store {
namespace {

error storage_error(const rocksdb::Status& s, std::string_view what) {
  return make_error("storage", std::string(what) + ": " + s.ToString());
}

// The smallest key greater than every key starting with `prefix`; empty when there is
// none (the empty prefix, or one of only 0xFF bytes): then nothing bounds the scan.
std::string prefix_end(std::string prefix) {
  while (!prefix.empty() && static_cast<unsigned char>(prefix.back()) == 0xFF) prefix.pop_back();
  if (!prefix.empty()) prefix.back() = static_cast<char>(prefix.back() + 1);
  return prefix;
}

// Read options bounded above by `upper` (the slice must outlive the iterator).
rocksdb::ReadOptions bounded_by(const rocksdb::Slice& upper) {
  rocksdb::ReadOptions ro;
  if (!upper.empty()) ro.iterate_upper_bound = &upper;
  return ro;
}

bool has_prefix(std::string_view key, std::string_view prefix) {
  return key.size() >= prefix.size() && key.compare(0, prefix.size(), prefix) == 0;
}

// One MultiGet of `keys` with `ro`: fn(i, status of keys[i], its value) in the order of
// `keys` (the value lives only during the call), until fn returns false.
void multi_get(rocksdb::DB& db, const rocksdb::ReadOptions& ro, const std::vector<std::string>& keys,
               const std::function<bool(std::size_t i, const rocksdb::Status& s, std::string_view value)>& fn) {
  if (keys.empty()) return;
  std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
  std::vector<rocksdb::PinnableSlice> values(keys.size());
  std::vector<rocksdb::Status> statuses(keys.size());
  db.MultiGet(ro, db.DefaultColumnFamily(), keys.size(), slices.data(), values.data(), statuses.data());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (!fn(i, statuses[i], values[i].ToStringView())) return;
  }
}

// A decoded snapshot whose joined appeals stored apart (`count` rows, keys.h: p|j|...)
// are still to be read into t->joined.
struct joined_rows {
  unsigned partition = 0;
  ticket* t = nullptr;
  std::size_t count = 0;
};

// Reads the rows of every ticket in `wanted` into its t->joined, all in one MultiGet. A
// missing or undecodable row is corruption: the snapshot counts it.
rocksdb::Status read_joined_rows(rocksdb::DB& db, const rocksdb::ReadOptions& ro, const std::vector<joined_rows>& wanted) {
  std::vector<std::string> keys;
  for (const auto& w : wanted) {
    w.t->joined.reserve(w.count);
    for (std::size_t n = 0; n < w.count; ++n) keys.push_back(joined_key(w.partition, w.t->id, n));
  }
  rocksdb::Status failed;
  std::size_t which = 0, n = 0;  // the row keys[i] is: row n of wanted[which]
  multi_get(db, ro, keys, [&](std::size_t, const rocksdb::Status& s, std::string_view value) {
    while (n == wanted[which].count) {
      ++which;
      n = 0;
    }
    const auto& w = wanted[which];
    if (s.IsNotFound()) {
      failed = rocksdb::Status::Corruption("ticket " + w.t->id + " counts " + std::to_string(w.count) +
                                           " joined appeals but row " + std::to_string(n) + " is missing");
      return false;
    }
    if (!s.ok()) {
      failed = s;
      return false;
    }
    auto v = codec::parse(value);
    auto a = v ? codec::decode_appeal(*v) : result<appeal>(v.err());
    if (!a) {
      failed = rocksdb::Status::Corruption("joined appeal " + std::to_string(n) + " of ticket " + w.t->id +
                                           " does not decode: " + a.err().message);
      return false;
    }
    w.t->joined.push_back(std::move(*a));
    ++n;
    return true;
  });
  return failed;
}

// A ticket from its stored snapshot text, its joined appeals read with `ro`.
result<ticket> decode_stored_ticket(rocksdb::DB& db, const rocksdb::ReadOptions& ro, unsigned partition,
                                    std::string_view text) {
  std::size_t joined_apart = 0;
  auto t = codec::decode_snapshot_text(text, joined_apart);
  if (!t) return t.err();
  if (joined_apart == 0) return t;
  if (auto s = read_joined_rows(db, ro, {{partition, &*t, joined_apart}}); !s.ok()) {
    return storage_error(s, "cannot read the joined appeals of " + t->id);
  }
  return t;
}

}  // namespace

// ---------------------------------------------------------------------------------- batch

const std::optional<std::string>* meta_cache::find(const std::string& key) const {
  auto it = values_.find(key);
  return it == values_.end() ? nullptr : &it->second;
}

void meta_cache::put(const std::string& key, std::optional<std::string> value) {
  values_.insert_or_assign(key, std::move(value));
}

void batch_buffers::begin(std::size_t bytes) {
  arena_.clear();
  arena_.reserve(bytes);
  staged_.clear();
  staged_.reserve(bytes / 400);  // about 12 writes of 5 KB per new appeal
}

void batch_buffers::trim() {
  // Twice what a full group of 256 new appeals stages.
  constexpr std::size_t kKeep = 4 << 20;
  if (arena_.capacity() > kKeep) std::string().swap(arena_);
  if (staged_.capacity() > kKeep / 400) std::vector<staged_write>().swap(staged_);
  if (sorted_.Data().capacity() > kKeep) {
    sorted_.Clear();
    std::string(sorted_.rep()).swap(sorted_.rep());  // the header alone, in a fresh string
  }
}

batch::batch(store& s, unsigned partition, std::size_t reserve_bytes, ticket_cache* cache, duplicate_cache* duplicates,
             meta_cache* meta, batch_buffers* buffers)
    : store_(s),
      partition_(partition),
      buffers_(buffers ? *buffers : own_),
      bytes_(write_batch_rep::kHeader),
      cache_(cache),
      duplicates_(duplicates),
      meta_(meta) {
  buffers_.begin(reserve_bytes);
}

batch::~batch() { buffers_.trim(); }

namespace {

// The families a group reads back before committing (see batch). Snapshots are not
// among them: stage() keeps every staged ticket decoded in tickets_, which load_ticket
// reads first, so the overlay would only hold a second copy of each snapshot's text.
bool read_back(std::string_view key) {
  if (key.size() < 7 || key[0] != 'p' || key[4] != '|' || key[6] != '|') return true;  // unknown shape: be safe
  const char family = key[5];
  return family == kDuplicate || family == kSource || family == kMeta || family == kStats;
}

using write_batch_rep::varint_size;
}  // namespace

void batch::append(std::string_view key, std::optional<std::string_view> value) {
  auto& arena = buffers_.arena_;
  batch_buffers::staged_write w{arena.size(), key.size(), 0, 0, value.has_value()};
  arena.append(key);
  bytes_ += 1 + varint_size(key.size()) + key.size();
  if (value) {
    w.value_at = arena.size();
    w.value_size = value->size();
    arena.append(*value);
    bytes_ += varint_size(value->size()) + value->size();
  }
  buffers_.staged_.push_back(w);
}

void batch::put(const std::string& key, std::string_view value) {
  append(key, value);
  if (read_back(key)) overlay_.insert_or_assign(key, std::string(value));
}

void batch::del(const std::string& key) {
  append(key, std::nullopt);
  if (read_back(key)) overlay_.insert_or_assign(key, std::nullopt);
}

std::optional<std::string> batch::get(const std::string& key) {
  if (auto it = overlay_.find(key); it != overlay_.end()) return it->second;
  return value_or_fail(store_.read_latest(key));
}

std::optional<std::string> batch::value_or_fail(result<std::optional<std::string>> read) {
  if (read) return std::move(*read);
  failed(read.err());
  return std::nullopt;
}

void batch::failed(const error& e) {
  if (!read_failure_) read_failure_ = e;
}

result<shared_ticket> batch::load_ticket(const std::string& ticket_id) {
  if (auto it = tickets_.find(ticket_id); it != tickets_.end()) return it->second.ticket;
  if (cache_) {
    if (auto t = cache_->find(ticket_id)) return t;
  }
  auto value = store_.read_latest(snapshot_key(partition_, ticket_id));
  if (!value) {
    failed(value.err());
    return value.err();
  }
  if (!*value) return shared_ticket{};
  auto t = store_.decode_snapshot(partition_, **value, true);
  if (!t) return t.err();
  return shared_ticket{std::make_shared<const ticket>(std::move(*t))};
}

void batch::duplicates(const std::string& prefix, const std::string& from,
                       const std::function<bool(std::string_view key)>& fn) {
  const std::string& start = from > prefix ? from : prefix;
  const duplicate_cache::keys* committed = duplicates_ ? duplicates_->find(prefix, start) : nullptr;
  duplicate_cache::keys read;
  if (!committed) {
    auto scanned = store_.scan_latest(
        prefix,
        [&read](std::string_view key, std::string_view) {
          read.emplace(key);
          return true;
        },
        start);
    if (!scanned) {
      // The group will not commit (see read_failure()); the partial range is not cached.
      failed(scanned.err());
      committed = &read;
    } else {
      committed = duplicates_ ? &duplicates_->load(prefix, start, std::move(read)) : &read;
    }
  }
  auto held = committed->lower_bound(std::string_view(start));
  auto staged = overlay_.lower_bound(std::string_view(start));
  // Merge committed keys with staged ones; a staged key shadows (or deletes) its committed one.
  for (;;) {
    const bool in_committed = held != committed->end();
    const bool in_batch = staged != overlay_.end() && has_prefix(staged->first, prefix);
    if (!in_committed && !in_batch) return;
    const int order = !in_committed ? 1 : !in_batch ? -1 : held->compare(staged->first);
    if (order < 0) {
      if (!fn(*held)) return;
      ++held;
      continue;
    }
    if (staged->second && !fn(staged->first)) return;
    if (order == 0) ++held;
    ++staged;
  }
}

void batch::erase(const std::string& key) {
  del(key);
  ++commands_;
}

std::optional<std::string> batch::owned_meta(const std::string& key) {
  if (auto it = overlay_.find(key); it != overlay_.end()) return it->second;
  if (meta_) {
    if (const auto* known = meta_->find(key)) return *known;
  }
  auto v = store_.read_latest(key);
  if (!v) return value_or_fail(std::move(v));  // not cached, so a later group reads again
  if (meta_) meta_->put(key, *v);
  return std::move(*v);
}

std::uint64_t batch::counter(const std::string& name) {
  auto cur = owned_meta(meta_key(partition_, name));
  return cur ? std::stoull(*cur) : 0;
}

std::uint64_t batch::next_counter(const std::string& name) {
  const auto key = meta_key(partition_, name);
  const std::uint64_t v = counter(name) + 1;
  overlay_.insert_or_assign(key, std::to_string(v));
  if (std::find(counters_.begin(), counters_.end(), key) == counters_.end()) counters_.push_back(key);
  return v;
}

std::optional<std::int64_t> batch::consumed(std::string_view source) {
  auto v = owned_meta(meta_key(partition_, "in|" + std::string(source)));
  if (!v) return std::nullopt;
  return std::stoll(*v);
}

void batch::mark_consumed(std::string_view source, std::int64_t offset) {
  put(meta_key(partition_, "in|" + std::string(source)), std::to_string(offset));
  ++commands_;
}

void batch::stage_dead_letter(std::string encoded) {
  if (!dlq_seq_) {
    dlq_seq_ = 0;
    if (auto cur = owned_meta(meta_key(partition_, "dlq_seq"))) dlq_seq_ = std::stoull(*cur);
  }
  append(dead_letter_key(partition_, ++*dlq_seq_), encoded);
}

void batch::committed() {
  if (cache_) {
    for (auto& [id, t] : tickets_) cache_->put(std::move(t.ticket), std::move(t.rows));
  }
  tickets_.clear();
  // The group's staged writes to one family, in key order.
  const auto each_staged = [this](char family, const auto& fn) {
    const auto prefix = family_prefix(partition_, family);
    for (auto it = overlay_.lower_bound(std::string_view(prefix)); it != overlay_.end() && has_prefix(it->first, prefix);
         ++it) {
      fn(it->first, it->second);
    }
  };
  if (duplicates_) {
    each_staged(kDuplicate, [this](const std::string& key, const std::optional<std::string>& value) {
      duplicates_->committed(key, value.has_value());
    });
  }
  if (meta_) {
    each_staged(kMeta,
                [this](const std::string& key, const std::optional<std::string>& value) { meta_->put(key, value); });
  }
}

rocksdb::WriteBatch& batch::finish() {
  // The sequences are written once, at their final values, and kept in the overlay so
  // committed() hands them to the meta cache with the counters and offsets.
  for (auto [name, seq] : {std::pair{"outbox_seq", outbox_seq_}, std::pair{"dlq_seq", dlq_seq_}}) {
    if (!seq) continue;
    const auto key = meta_key(partition_, name);
    const auto value = std::to_string(*seq);
    append(key, value);
    overlay_.insert_or_assign(key, value);
  }
  for (const auto& key : counters_) append(key, *overlay_.at(key));
  counters_.clear();
  outbox_seq_.reset();
  dlq_seq_.reset();
  // Each staged ticket's snapshot, encoded once into its latest snapshot write; the
  // group's earlier writes of that key are superseded and never encoded.
  for (const auto& [id, t] : tickets_) {
    const auto text = codec::to_snapshot_text(*t.ticket);
    auto& w = buffers_.staged_[t.snapshot_write];
    w.value_at = buffers_.arena_.size();
    w.value_size = text.size();
    buffers_.arena_.append(text);
    bytes_ += varint_size(text.size()) + text.size();
  }

  // In key order, and a key written more than once in the group only by its last write
  // (sort_by_key keeps a key's writes in staging order), so the WAL and the memtable
  // see each key once: a ticket created and joined within one group would otherwise
  // write its snapshot, worklist and stats rows twice. RocksDB inserts each key of a
  // write into its memtable's skip list starting from where the previous insert ended:
  // in key order the next key is near, and the walk is short (callgrind, 20,000 appeals:
  // 3.39 G instructions inserting in staged order, 1.52 G in key order).
  const auto& arena = buffers_.arena_;
  const auto& staged = buffers_.staged_;
  std::vector<keyed_write> order, scratch;
  order.reserve(staged.size());
  for (std::uint32_t i = 0; i < staged.size(); ++i) order.push_back({{arena.data() + staged[i].key_at, staged[i].key_size}, i});
  sort_by_key(order, scratch);
  // The records are written straight into the batch's serialized form
  // (write_batch_rep.h), except its first put and first delete: those go through Put and
  // Delete, which set the batch's content flags (RocksDB asks HasMerge() on every
  // write; a batch made from text would compute its flags by iterating over it).
  auto& sorted = buffers_.sorted_;
  sorted.Clear();  // keeps its buffer
  auto& rep = sorted.rep();
  // A quarter more, so groups growing a little at a time do not each allocate anew.
  if (rep.capacity() < bytes_) rep.reserve(bytes_ + bytes_ / 4);
  std::uint32_t count = 0;
  bool put_seen = false, delete_seen = false;
  for (std::size_t n = 0; n < order.size(); ++n) {
    const auto& [k, i] = order[n];
    if (n + 1 < order.size() && order[n + 1].key == k) continue;  // a later write of this key wins
    const auto& w = staged[i];
    const std::string_view value(arena.data() + w.value_at, w.value_size);
    // Put and Delete fail only past max_bytes (none is set) or for a key or value over
    // 4 GiB, which a staged write cannot be.
    if (w.put && put_seen) {
      write_batch_rep::put(rep, k, value);
    } else if (w.put) {
      (void)sorted.Put(rocksdb::Slice(k.data(), k.size()), rocksdb::Slice(value.data(), value.size()));
      put_seen = true;
    } else if (delete_seen) {
      write_batch_rep::del(rep, k);
    } else {
      (void)sorted.Delete(rocksdb::Slice(k.data(), k.size()));
      delete_seen = true;
    }
    ++count;
  }
  write_batch_rep::set_count(rep, count);
  bytes_ = sorted.GetDataSize();  // exact: superseded writes were estimated, not written
  return sorted;
}

void batch::stage(const ticket& before, shared_ticket staged, const std::vector<event>& events,
                  std::string_view dup_scope_before, std::string_view dup_scope_after,
                  const std::vector<std::pair<std::string, std::string>>& idempotency) {
  for (const auto& e : events) {
    auto text = codec::to_text(e);
    put(event_key(partition_, e.ticket_id, e.seq), text);
    if (!outbox_seq_) {
      outbox_seq_ = 0;
      if (auto cur = owned_meta(meta_key(partition_, "outbox_seq"))) outbox_seq_ = std::stoull(*cur);
    }
    // An outbox entry refers to the event just logged instead of holding a second copy
    // of its JSON (a quarter of every group's bytes): "<ticket>\t<event id>\t<type>",
    // what the relay needs for the message key and headers (store/outbox.h).
    std::string entry = e.ticket_id;
    entry += '\t';
    entry += e.id();
    entry += '\t';
    entry += event_type(e.body);
    put(outbox_key(partition_, ++*outbox_seq_), entry);
    if (keep_events_) events_.push_back({*outbox_seq_, std::move(entry), std::move(text)});
  }
  const ticket& after = *staged;
  // The snapshot's key is staged here, in order with the group's other writes to it; its
  // text is encoded at finish(), once, from the ticket's last staged version.
  const std::size_t snapshot_write = buffers_.staged_.size();
  append(snapshot_key(partition_, after.id), std::string_view{});
  // Appeals that joined with this command get their rows; the earlier ones have theirs
  // (a ticket's joined appeals only ever grow, at the end).
  for (std::size_t n = before.joined.size(); n < after.joined.size(); ++n) {
    append(joined_key(partition_, after.id, n), codec::to_text(after.joined[n]));
  }

  for (const auto& t : pending_timers(after)) earliest_timer_ms_ = std::min(earliest_timer_ms_, to_millis(t.at));

  // The index entries `before` had: known to the batch or the cache for a ticket staged
  // or committed moments ago (index_entries() is a function of the ticket and the scope
  // alone), else computed.
  const ticket_rows* known = before.exists() ? known_rows(before) : nullptr;
  const bool entries_known = known && known->dup_scope == dup_scope_before;
  std::vector<index_entry> new_entries;
  if (entries_known && dup_scope_after == dup_scope_before && same_index_entries(before, after)) {
    // Nothing the entries are made of changed (most joins): the same entries, none to
    // delete or write (callgrind, bench_kafka: index_entries had cost 6,400
    // instructions a command, and 77 % of its appeals join).
    new_entries = known->index;
  } else {
    std::vector<index_entry> computed;
    if (!entries_known) computed = index_entries(partition_, before, dup_scope_before);
    const auto& old_entries = entries_known ? known->index : computed;
    new_entries = index_entries(partition_, after, dup_scope_after);
    std::vector<index_entry> removed;
    std::set_difference(old_entries.begin(), old_entries.end(), new_entries.begin(), new_entries.end(),
                        std::back_inserter(removed));
    for (const auto& e : removed) del(e.key);
    for (const auto& e : new_entries) {
      if (!std::binary_search(old_entries.begin(), old_entries.end(), e)) put(e.key, e.value);
    }
  }
  for (const auto& [id, value] : idempotency) put(source_key(partition_, id), value);

  // The stats row: the snapshot's facts and the history, the new events folded into the
  // history the previous row holds (known to the batch or the cache, as above, else read
  // from the row).
  const auto stats = stats_key(partition_, after);
  stats_history history;
  if (before.exists()) {
    const auto old_key = stats_key(partition_, before);
    if (known) {
      history = known->history;
    } else if (auto old = get(old_key)) {
      if (auto h = parse_stats_history(*old)) history = std::move(*h);
    }
    if (old_key != stats) del(old_key);
  }
  history = fold_history(std::move(history), events);
  put(stats, stats_value(after, history));
  // `known` may point into tickets_: done with it before the entry is replaced.
  tickets_.insert_or_assign(after.id,
                            staged_ticket{std::move(staged),
                                          ticket_rows{std::move(history), std::move(new_entries), std::string(dup_scope_after)},
                                          snapshot_write});
  ++commands_;
}

const ticket_rows* batch::known_rows(const ticket& before) const {
  if (auto it = tickets_.find(before.id); it != tickets_.end()) {
    return it->second.ticket->version == before.version ? &it->second.rows : nullptr;
  }
  return cache_ ? cache_->rows(before.id, before.version) : nullptr;
}

// ------------------------------------------------------- write stalls and background work

// RocksDB's notifications the store keeps count of (called on RocksDB's background
// threads, each under a short lock): the write condition through its stall
// notifications, with counts and durations for write_stalls(); completed flushes and
// compactions for background_work().
class rocksdb_events final : public rocksdb::EventListener {
 public:
  void OnFlushBegin(rocksdb::DB*, const rocksdb::FlushJobInfo& info) override {
    std::lock_guard lock(mu_);
    flush_started_[info.job_id] = std::chrono::steady_clock::now();
  }

  void OnFlushCompleted(rocksdb::DB*, const rocksdb::FlushJobInfo& info) override {
    const auto now = std::chrono::steady_clock::now();
    const auto& t = info.table_properties;
    std::lock_guard lock(mu_);
    ++background_.flushes;
    background_.flush_bytes += t.data_size + t.index_size + t.filter_size;
    if (auto it = flush_started_.find(info.job_id); it != flush_started_.end()) {
      background_.flush_seconds += std::chrono::duration<double>(now - it->second).count();
      flush_started_.erase(it);
    }
  }

  void OnCompactionCompleted(rocksdb::DB*, const rocksdb::CompactionJobInfo& info) override {
    if (!info.status.ok()) return;
    std::lock_guard lock(mu_);
    ++background_.compactions;
    background_.compaction_seconds += static_cast<double>(info.stats.elapsed_micros) / 1e6;
    background_.compaction_bytes += info.stats.total_output_bytes;
  }

  background_stats background() const {
    std::lock_guard lock(mu_);
    return background_;
  }

  void OnStallConditionsChanged(const rocksdb::WriteStallInfo& info) override {
    const auto cur = to_condition(info.condition.cur);
    std::lock_guard lock(mu_);
    if (cur == stats_.now) return;
    const auto now = std::chrono::steady_clock::now();
    add_spell(now);
    if (cur == write_condition::delayed) ++stats_.delayed_entries;
    if (cur == write_condition::stopped) ++stats_.stopped_entries;
    stats_.now = cur;
    since_ = now;
  }

  write_stall_stats snapshot() const {
    std::lock_guard lock(mu_);
    write_stall_stats out = stats_;
    const double open_spell = std::chrono::duration<double>(std::chrono::steady_clock::now() - since_).count();
    if (out.now == write_condition::delayed) out.delayed_seconds += open_spell;
    if (out.now == write_condition::stopped) out.stopped_seconds += open_spell;
    return out;
  }

 private:
  static write_condition to_condition(rocksdb::WriteStallCondition c) {
    switch (c) {
      case rocksdb::WriteStallCondition::kDelayed: return write_condition::delayed;
      case rocksdb::WriteStallCondition::kStopped: return write_condition::stopped;
      default: return write_condition::normal;
    }
  }
  // Closes the current spell at `now` (caller holds mu_).
  void add_spell(std::chrono::steady_clock::time_point now) {
    const double spell = std::chrono::duration<double>(now - since_).count();
    if (stats_.now == write_condition::delayed) stats_.delayed_seconds += spell;
    if (stats_.now == write_condition::stopped) stats_.stopped_seconds += spell;
  }

  mutable std::mutex mu_;
  write_stall_stats stats_;
  std::chrono::steady_clock::time_point since_ = std::chrono::steady_clock::now();
  background_stats background_;
  std::unordered_map<int, std::chrono::steady_clock::time_point> flush_started_;  // by job id
};

// ---------------------------------------------------------------------------------- store

store::store(std::unique_ptr<rocksdb::DB> db, options opts, std::shared_ptr<rocksdb_events> events)
    : events_(std::move(events)), db_(std::move(db)), opts_(std::move(opts)) {}

namespace {

// The layout of the query indexes (store/rows.h). Stores written before it (no
// meta|index_format) get both indexes rebuilt from snapshots and event logs when opened
// for writing: once, O(tickets).
constexpr std::string_view kIndexFormat = "2";

// A one-time pass a store gets when a newer version first opens it: `each` stages what
// it writes for every snapshot of every partition (1,024 records a write at most), then
// `meta` (a meta| key) is set to `format`, synced, so the pass is not repeated.
rocksdb::Status rewrite_from_snapshots(
    rocksdb::DB& db, unsigned partitions,
    const std::function<rocksdb::Status(unsigned partition, const rocksdb::Slice& key, std::string_view value,
                                        rocksdb::WriteBatch& wb)>& each,
    const std::string& meta, std::string_view format) {
  rocksdb::WriteOptions wo;
  for (unsigned p = 0; p < partitions; ++p) {
    const auto prefix = family_prefix(p, kSnapshot);
    const auto upper = prefix_end(prefix);
    const rocksdb::Slice upper_slice(upper);
    std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(bounded_by(upper_slice)));
    rocksdb::WriteBatch wb;
    for (it->Seek(prefix); it->Valid(); it->Next()) {
      if (auto s = each(p, it->key(), it->value().ToStringView(), wb); !s.ok()) return s;
      if (wb.Count() >= 1024) {
        auto s = db.Write(wo, &wb);
        if (!s.ok()) return s;
        wb.Clear();
      }
    }
    if (!it->status().ok()) return it->status();
    auto s = db.Write(wo, &wb);
    if (!s.ok()) return s;
  }
  wo.sync = true;
  return db.Put(wo, meta, rocksdb::Slice(format.data(), format.size()));
}

rocksdb::Status rebuild_query_indexes(rocksdb::DB& db, unsigned partitions) {
  for (unsigned p = 0; p < partitions; ++p) {
    for (char family : {kWorklist, kStats}) {
      const auto begin = family_prefix(p, family);
      auto s = db.DeleteRange(rocksdb::WriteOptions(), db.DefaultColumnFamily(), begin, prefix_end(begin));
      if (!s.ok()) return s;
    }
  }
  const auto rows = [&db](unsigned p, const rocksdb::Slice&, std::string_view value, rocksdb::WriteBatch& wb) {
    auto t = decode_stored_ticket(db, rocksdb::ReadOptions(), p, value);
    if (!t) return rocksdb::Status::OK();  // fsck reports it
    std::vector<event> log;
    const auto events = event_prefix(p, t->id);
    const auto events_end = prefix_end(events);
    const rocksdb::Slice events_upper(events_end);
    std::unique_ptr<rocksdb::Iterator> ev(db.NewIterator(bounded_by(events_upper)));
    for (ev->Seek(events); ev->Valid(); ev->Next()) {
      auto v = codec::parse(ev->value().ToStringView());
      if (!v) continue;
      if (auto e = codec::decode_event(*v)) log.push_back(std::move(*e));
    }
    if (!ev->status().ok()) return ev->status();
    wb.Put(worklist_key(p, *t), worklist_value(*t));
    wb.Put(stats_key(p, *t), stats_value(*t, fold_history({}, log)));
    return rocksdb::Status::OK();
  };
  return rewrite_from_snapshots(db, partitions, rows, "meta|index_format", kIndexFormat);
}

// How snapshots hold joined appeals: "2", apart (one row each, the snapshot their count:
// codec::to_snapshot_text). Stores written before (no meta|snapshot_format) held them
// inside every snapshot; opened for writing, each such snapshot is rewritten once, its
// appeals moved to rows, before any command runs (writers append rows past the count).
constexpr std::string_view kSnapshotFormat = "2";

rocksdb::Status move_joined_appeals_apart(rocksdb::DB& db, unsigned partitions) {
  const auto move = [](unsigned p, const rocksdb::Slice& key, std::string_view value, rocksdb::WriteBatch& wb) {
    std::size_t joined_apart = 0;
    auto t = codec::decode_snapshot_text(value, joined_apart);
    if (!t || t->joined.empty()) return rocksdb::Status::OK();  // already apart (joined_count), or nothing to move
    for (std::size_t n = 0; n < t->joined.size(); ++n) wb.Put(joined_key(p, t->id, n), codec::to_text(t->joined[n]));
    wb.Put(key, codec::to_snapshot_text(*t));
    return rocksdb::Status::OK();
  };
  return rewrite_from_snapshots(db, partitions, move, "meta|snapshot_format", kSnapshotFormat);
}

}  // namespace

result<std::unique_ptr<store>> store::open(const std::filesystem::path& dir, const options& opts) {
  rocksdb::Options ro;
  ro.create_if_missing = opts.create_if_missing;
  ro.IncreaseParallelism(2);
  // Levels 0 and 1 are stored uncompressed and the deeper levels with LZ4. Every byte
  // written is flushed to level 0 and compacted into level 1 soon after, and LZ4 on those
  // two paths was a tenth of an ingest's CPU (perf on bench_ingest: RocksDB 7.8 clears a
  // fresh 16 KB LZ4 stream for every 4 KiB block); the deeper levels, which hold nearly
  // all of a large store, still compress. RocksDB's tuning guide advises the same split
  // for write-heavy loads. Measurements: docs/performance.md.
  ro.compression_per_level.assign(static_cast<std::size_t>(ro.num_levels), rocksdb::kLZ4Compression);
  ro.compression_per_level[0] = rocksdb::kNoCompression;
  ro.compression_per_level[1] = rocksdb::kNoCompression;
  ro.enable_pipelined_write = true;
  // Table files written by flushes and compactions are handed to the disk a megabyte at
  // a time (sync_file_range) instead of piling up as dirty pages: a WAL fsync that lands
  // behind tens of megabytes of them waits for them too, which showed in the synced
  // HTTP latency's tail (docs/performance.md, the run on 8e1cac3).
  ro.bytes_per_sync = 1 << 20;
  // Obsolete files (a WAL after its memtable's flush, a compaction's inputs) are deleted
  // a chunk at a time in the background rather than unlinked whole. On a file system
  // mounted with online discard (ext4 `-o discard`, as this project's VMs are) unlinking
  // a 60 MB WAL discards it inside the journal commit, and the WAL fsync of every
  // partition waited 14-23 ms behind it each time a memtable was flushed (perf, block
  // and syscall tracepoints: docs/performance.md). 4 MiB chunks at 256 MiB/s keep each
  // wait near a millisecond and still delete faster than ingest makes obsolete files;
  // trash beyond four times the database's size is deleted at once, as before.
  ro.sst_file_manager.reset(rocksdb::NewSstFileManager(rocksdb::Env::Default(), nullptr, "", kDeleteBytesPerSecond,
                                                       true, nullptr, kMaxTrashRatio, kDeleteChunkBytes));
  // Most point reads miss: every appeal looks up its source id (is it a retry?) and most
  // are new. Without a filter a miss reads an index block of every level-0 file and
  // every level; a Bloom filter (10 bits a key, ~1 % false positives) answers most of
  // them from memory.
  rocksdb::BlockBasedTableOptions table;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  ro.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  // The memtables are searched before any file: a whole-key Bloom filter over each
  // (2 % of its size) answers those misses without walking their skip lists.
  ro.memtable_whole_key_filtering = true;
  ro.memtable_prefix_bloom_size_ratio = 0.02;
  // The worklist and deadline indexes are keyed by time, so every moved deadline leaves
  // a tombstone in the range that queries and timer scans read first (the overdue
  // prefix). Left to size-triggered compaction they pile up: a 1M-ticket store held six
  // tombstones per live row there, and an overdue count read them all. Files with dense
  // deletions are compacted early, which drops the tombstones.
  ro.table_properties_collector_factories.push_back(rocksdb::NewCompactOnDeletionCollectorFactory(
      kTombstoneWindow, kTombstoneTrigger, kTombstoneRatio));
  auto events = std::make_shared<rocksdb_events>();
  ro.listeners.push_back(events);
  if (opts.tune) opts.tune(ro);
  rocksdb::DB* raw = nullptr;
  std::error_code ec;
  if (opts.create_if_missing && !opts.read_only) std::filesystem::create_directories(dir, ec);
  auto s = opts.read_only ? rocksdb::DB::OpenForReadOnly(ro, dir.string(), &raw)
                          : rocksdb::DB::Open(ro, dir.string(), &raw);
  if (!s.ok()) return make_error("store_open", "cannot open store at " + dir.string() + ": " + s.ToString());
  std::unique_ptr<rocksdb::DB> db(raw);

  std::string stored;
  s = db->Get(rocksdb::ReadOptions(), "meta|partitions", &stored);
  if (s.ok()) {
    if (std::stoul(stored) != opts.partitions) {
      return make_error("store_partitions", "the store at " + dir.string() + " was created with " + stored +
                                                " partitions, the config asks for " +
                                                std::to_string(opts.partitions));
    }
  } else if (s.IsNotFound()) {
    if (opts.read_only) return make_error("store_open", "the store at " + dir.string() + " is empty");
    rocksdb::WriteOptions wo;
    wo.sync = true;
    rocksdb::WriteBatch init;
    init.Put("meta|partitions", std::to_string(opts.partitions));
    init.Put("meta|index_format", rocksdb::Slice(kIndexFormat.data(), kIndexFormat.size()));
    init.Put("meta|snapshot_format", rocksdb::Slice(kSnapshotFormat.data(), kSnapshotFormat.size()));
    s = db->Write(wo, &init);
    if (!s.ok()) return storage_error(s, "cannot initialise store");
  } else {
    return storage_error(s, "cannot read store metadata");
  }
  std::string format;
  if (!opts.read_only) {  // a read-only reader decodes either form
    s = db->Get(rocksdb::ReadOptions(), "meta|snapshot_format", &format);
    if (!s.ok() && !s.IsNotFound()) return storage_error(s, "cannot read store metadata");
    if (s.IsNotFound() || format != kSnapshotFormat) {
      s = move_joined_appeals_apart(*db, opts.partitions);
      if (!s.ok()) return storage_error(s, "cannot move the snapshots' joined appeals to their rows");
    }
  }
  s = db->Get(rocksdb::ReadOptions(), "meta|index_format", &format);
  if (!s.ok() && !s.IsNotFound()) return storage_error(s, "cannot read store metadata");
  if (s.IsNotFound() || format != kIndexFormat) {
    if (opts.read_only) {
      return make_error("store_format", "the store at " + dir.string() +
                                            " was written by an older Doorstep and lacks the query indexes; "
                                            "run `doorstep serve` on it once to rebuild them");
    }
    s = rebuild_query_indexes(*db, opts.partitions);
    if (!s.ok()) return storage_error(s, "cannot build the query indexes");
  }
  return std::unique_ptr<store>(new store(std::move(db), opts, std::move(events)));
}

store::~store() {
  synced_.reset();  // a snapshot must be released before its database closes
  if (db_) {
    auto s = db_->Close();
    (void)s;  // nothing useful to do on close failure during teardown
  }
}

status_result store::commit(batch& b, bool sync_later) {
  auto& wb = b.finish();
  if (auto written = write_impl(wb, sync_later, "commit failed"); !written) return written;
  if (opts_.commit_tap) opts_.commit_tap(b.partition_, wb.Data());
  return ok_v;
}

status_result store::write_impl(rocksdb::WriteBatch& wb, bool sync_later, std::string_view what) {
  // While reads are held to what is synced, a durable write is written and then synced
  // through sync(), which lets readers see it.
  const bool sync_now = opts_.sync && !sync_later;
  rocksdb::WriteOptions wo;
  wo.sync = sync_now && !held_.load();
  auto s = db_->Write(wo, &wb);
  if (!s.ok()) return storage_error(s, what);
  if (sync_now && !wo.sync) return sync();
  return ok_v;
}

std::shared_ptr<const rocksdb::Snapshot> store::snapshot_now() const {
  auto* db = db_.get();
  return {db->GetSnapshot(), [db](const rocksdb::Snapshot* snap) { db->ReleaseSnapshot(snap); }};
}

status_result store::sync() {
  // The snapshot is taken before the fsync, so everything it shows is covered by it.
  auto snap = held_.load() ? snapshot_now() : nullptr;
  if (auto s = db_->SyncWAL(); !s.ok()) return storage_error(s, "cannot sync the write-ahead log");
  if (snap) {
    std::lock_guard lock(synced_mu_);
    if (held_.load() && (!synced_ || synced_->GetSequenceNumber() < snap->GetSequenceNumber())) {
      synced_ = std::move(snap);
    }
  }
  return ok_v;
}

status_result store::hold_reads_to_synced(bool on) {
  if (on == held_.load()) return ok_v;
  if (!on) {
    auto synced = sync();  // what readers could not see yet becomes durable, then visible
    held_.store(false);
    std::lock_guard lock(synced_mu_);
    synced_.reset();
    return synced;
  }
  held_.store(true);
  return sync();
}

status_result store::write(rocksdb::WriteBatch& wb, std::string_view what) { return write_impl(wb, false, what); }

read_view store::reads(const rocksdb::Slice* upper) const { return view_impl(upper, false); }

read_view store::view_impl(const rocksdb::Slice* upper, bool latest) const {
  read_view v;
  if (upper && !upper->empty()) v.ro_.iterate_upper_bound = upper;  // empty: no bound
  if (!latest && held_.load()) {
    std::lock_guard lock(synced_mu_);
    v.pin_ = synced_;
    v.ro_.snapshot = v.pin_.get();
  }
  return v;
}

std::optional<std::string> store::get(const std::string& key) const {
  auto v = read(key);
  if (!v) return std::nullopt;
  return std::move(*v);
}

result<std::optional<std::string>> store::read(const std::string& key) const { return read_impl(key, false); }

result<std::optional<std::string>> store::read_latest(const std::string& key) const { return read_impl(key, true); }

result<std::optional<std::string>> store::read_impl(const std::string& key, bool latest) const {
  std::string value;
  const auto view = view_impl(nullptr, latest);
  const auto s = db_->Get(view.options(), key, &value);
  if (s.ok()) return std::optional<std::string>{std::move(value)};
  if (s.IsNotFound()) return std::optional<std::string>{};
  return storage_error(s, "cannot read " + key);
}

status_result store::scan(const std::string& prefix,
                          const std::function<bool(std::string_view key, std::string_view value)>& fn,
                          const std::string& from) const {
  return scan_impl(prefix, fn, from, false);
}

status_result store::scan_latest(const std::string& prefix,
                                 const std::function<bool(std::string_view key, std::string_view value)>& fn,
                                 const std::string& from) const {
  return scan_impl(prefix, fn, from, true);
}

status_result store::scan_impl(const std::string& prefix,
                               const std::function<bool(std::string_view key, std::string_view value)>& fn,
                               const std::string& from, bool latest) const {
  const auto upper = prefix_end(prefix);
  const rocksdb::Slice upper_slice(upper);
  const auto view = view_impl(&upper_slice, latest);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(view.options()));
  for (it->Seek(from > prefix ? from : prefix); it->Valid() && has_prefix(it->key().ToStringView(), prefix); it->Next()) {
    if (!fn(it->key().ToStringView(), it->value().ToStringView())) return ok_v;
  }
  // An iterator stops (Valid() false) at the end or on an error: tell them apart.
  if (const auto s = it->status(); !s.ok()) return storage_error(s, "cannot scan " + prefix);
  return ok_v;
}

result<ticket> store::decode_snapshot(unsigned partition, std::string_view text, bool latest) const {
  return decode_stored_ticket(*db_, view_impl(nullptr, latest).options(), partition, text);
}

result<std::optional<ticket>> store::load_ticket(const std::string& ticket_id) const {
  auto p = partition_of_ticket(ticket_id);
  if (!p || *p >= opts_.partitions) return std::optional<ticket>{};
  auto value = read(snapshot_key(*p, ticket_id));
  if (!value) return value.err();
  if (!*value) return std::optional<ticket>{};
  auto t = decode_snapshot(*p, **value, false);
  if (!t) return t.err();
  return std::optional<ticket>{std::move(*t)};
}

status_result store::read_each(
    const std::vector<std::string>& keys, std::string_view what,
    const std::function<status_result(std::size_t i, std::optional<std::string_view> value)>& fn) const {
  std::optional<error> failed;
  const auto view = reads();
  multi_get(*db_, view.options(), keys, [&](std::size_t i, const rocksdb::Status& s, std::string_view value) {
    std::optional<std::string_view> found;
    if (s.ok()) {
      found = value;
    } else if (!s.IsNotFound()) {
      failed = storage_error(s, what);
      return false;
    }
    auto done = fn(i, found);
    if (!done) failed = done.err();
    return done.ok();
  });
  if (failed) return *failed;
  return ok_v;
}

result<std::vector<std::optional<ticket>>> store::load_tickets(const std::vector<std::string>& ids) const {
  std::vector<std::optional<ticket>> out(ids.size());
  std::vector<std::string> keys;
  std::vector<std::size_t> slot;  // keys[i] is the snapshot of ids[slot[i]]
  keys.reserve(ids.size());
  slot.reserve(ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    auto p = partition_of_ticket(ids[i]);
    if (!p || *p >= opts_.partitions) continue;
    keys.push_back(snapshot_key(*p, ids[i]));
    slot.push_back(i);
  }
  // The snapshots, then the joined appeals of all of them in one more batched read.
  std::vector<joined_rows> apart;
  auto read = read_each(keys, "cannot read a ticket", [&](std::size_t i, std::optional<std::string_view> value) -> status_result {
    if (!value) return ok_v;
    std::size_t count = 0;
    auto t = codec::decode_snapshot_text(*value, count);
    if (!t) return t.err();
    out[slot[i]] = std::move(*t);
    if (count > 0) apart.push_back({*partition_of_ticket(ids[slot[i]]), &*out[slot[i]], count});
    return ok_v;
  });
  if (!read) return read.err();
  if (auto s = read_joined_rows(*db_, reads().options(), apart); !s.ok()) {
    return storage_error(s, "cannot read the joined appeals of a ticket");
  }
  return out;
}

result<std::vector<event>> store::load_events(const std::string& ticket_id) const {
  std::vector<event> out;
  auto p = partition_of_ticket(ticket_id);
  if (!p || *p >= opts_.partitions) return out;
  std::optional<error> failure;
  auto scanned = scan(event_prefix(*p, ticket_id), [&](std::string_view, std::string_view value) {
    auto v = codec::parse(value);
    auto e = v ? codec::decode_event(*v) : result<event>(v.err());
    if (!e) {
      failure = e.err();
      return false;
    }
    out.push_back(std::move(*e));
    return true;
  });
  if (failure) return *failure;
  if (!scanned) return scanned.err();
  return out;
}

result<std::optional<timer_entry>> store::first_timer(unsigned partition, instant floor) const {
  const auto prefix = family_prefix(partition, kTimer);
  const auto upper = prefix_end(prefix);
  const rocksdb::Slice upper_slice(upper);
  const auto view = reads(&upper_slice);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(view.options()));
  pending_timer probe;
  probe.at = floor;
  const auto start = timer_key(partition, "", probe);
  it->Seek(start.substr(0, prefix.size() + 13));
  if (it->Valid()) return parse_timer_key(it->key().ToStringView());
  if (const auto s = it->status(); !s.ok()) return storage_error(s, "cannot read the deadlines of partition " + std::to_string(partition));
  return std::optional<timer_entry>{};
}

result<std::size_t> store::count_timers(unsigned partition, instant from, instant to, std::size_t cap) const {
  const auto prefix = family_prefix(partition, kTimer);
  const auto upper = prefix_end(prefix);
  const rocksdb::Slice upper_slice(upper);
  const auto view = reads(&upper_slice);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(view.options()));
  pending_timer probe;
  probe.at = from;
  std::size_t n = 0;
  for (it->Seek(timer_key(partition, "", probe).substr(0, prefix.size() + 13)); it->Valid() && n < cap; it->Next()) {
    auto t = parse_timer_key(it->key().ToStringView());
    if (!t || t->timer.at > to) break;
    ++n;
  }
  if (const auto s = it->status(); !s.ok()) return storage_error(s, "cannot count the deadlines of partition " + std::to_string(partition));
  return n;
}

status_result store::for_each_ticket(const std::function<bool(unsigned partition, const ticket&)>& fn) const {
  for (unsigned p = 0; p < opts_.partitions; ++p) {
    bool go_on = true;
    std::optional<error> failure;
    auto scanned = scan(family_prefix(p, kSnapshot), [&](std::string_view, std::string_view value) {
      auto t = decode_snapshot(p, value, false);
      if (t) {
        go_on = fn(p, *t);
      } else if (t.err().code == "storage") {
        failure = t.err();
        return false;
      }
      return go_on;
    });
    if (failure) return *failure;
    if (!scanned) return scanned.err();
    if (!go_on) break;
  }
  return ok_v;
}

status_result store::checkpoint(const std::filesystem::path& dir) const {
  rocksdb::Checkpoint* raw = nullptr;
  auto s = rocksdb::Checkpoint::Create(db_.get(), &raw);
  if (!s.ok()) return storage_error(s, "checkpoint");
  std::unique_ptr<rocksdb::Checkpoint> cp(raw);
  s = cp->CreateCheckpoint(dir.string());
  if (!s.ok()) return storage_error(s, "checkpoint");
  return ok_v;
}

write_stall_stats store::write_stalls() const { return events_->snapshot(); }

background_stats store::background_work() const { return events_->background(); }

std::optional<std::uint64_t> store::int_property(const std::string& name) const {
  std::uint64_t v = 0;
  if (!db_->GetIntProperty(name, &v)) return std::nullopt;
  return v;
}

}  // namespace doorstep::store
