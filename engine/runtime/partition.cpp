#include "runtime/partition.h"

#include "store/outbox.h"

namespace doorstep::runtime {

namespace {
outcome rejected(error e) {
  outcome o;
  o.err = std::move(e);
  return o;
}
}  // namespace

unsigned partition_for_community(std::string_view community_id, unsigned partitions) {
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : community_id) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return static_cast<unsigned>(h % partitions);
}

std::string partition::dup_scope(const ticket& t) const {
  if (!t.exists()) return {};
  return rules_.duplicate_scope_of(t.jurisdiction_id);
}

void partition::fence(const error& cause) {
  if (failure_) return;
  failure_ = make_error("storage", "partition " + std::to_string(index_) + " is fenced after a failed WAL sync (" +
                                       cause.message + "); restart the engine");
}

std::vector<outcome> partition::execute(const std::vector<job>& jobs, instant clock_now, bool sync_later) {
  std::vector<outcome> out;
  out.reserve(jobs.size());
  last_commit_bytes_ = 0;
  last_commit_earliest_timer_ms_ = INT64_MAX;
  committed_events_.clear();
  if (failure_) {
    for (std::size_t i = 0; i < jobs.size(); ++i) out.push_back(rejected(*failure_));
    return out;
  }
  store::batch b(store_, index_, jobs.size() * bytes_per_command_ * 5 / 4, &tickets_, &duplicates_, &meta_,
                 &buffers_);
  if (keep_events_) b.keep_staged_events();
  for (const auto& j : jobs) {
    out.push_back(j.in ? run_inbound(b, j, j.at.value_or(clock_now)) : run_one(b, j.cmd, j.at.value_or(clock_now)));
    const bool inbound_storage = j.in && out.back().err && out.back().err->code == "storage";
    if (b.read_failure() || inbound_storage) {
      // The store could not be read while deciding. The batch answered the failed read
      // as an absent key (a counter from zero would reuse ticket numbers and outbox
      // sequences), and committing past a consumed message it could not decide would
      // record later offsets past it. So nothing of the group is committed (no caller is
      // told its command was applied) and the partition is fenced: after a restart the
      // messages are read again and callers may retry.
      const auto& cause = b.read_failure() ? *b.read_failure() : *out.back().err;
      failure_ = make_error("storage", "partition " + std::to_string(index_) + " is fenced after a failed read (" +
                                           cause.message + "); restart the engine");
      out.resize(jobs.size());
      for (auto& o : out) o = rejected(*failure_);
      return out;
    }
  }
  if (b.commands() == 0) return out;
  if (auto s = store_.commit(b, sync_later); !s) {
    // Nothing of the group is stored: every outcome reports the failure, including
    // rejections and dead letters, so no caller treats its input as handled.
    failure_ = make_error("storage", "partition " + std::to_string(index_) + " is fenced after a failed commit (" +
                                         s.err().message + "); restart the engine");
    for (auto& o : out) {
      o.err = s.err();
      o.skipped = o.dead_lettered = false;
    }
    return out;
  }
  // Read after commit(): only the built batch knows its size exactly, the snapshots
  // (encoded once per group when it is built) included.
  last_commit_bytes_ = b.bytes();
  const auto per_command = last_commit_bytes_ / jobs.size();
  bytes_per_command_ = bytes_per_command_ == 0 ? per_command : (7 * bytes_per_command_ + per_command) / 8;
  last_commit_earliest_timer_ms_ = b.earliest_timer_ms();
  b.committed();
  committed_events_ = std::move(b.staged_events());
  return out;
}

outcome partition::run_inbound(store::batch& b, const job& j, instant now) {
  const auto& in = *j.in;
  const auto source = in.source();
  const auto seen = b.consumed(source);
  outcome o = [&]() -> outcome {
    if (seen && *seen >= in.offset) {
      outcome skipped;
      skipped.skipped = skipped.replayed = true;
      return skipped;
    }
    if (in.refused) return rejected(*in.refused);
    if (auto wrong = check_key(b, j)) return rejected(std::move(*wrong));
    return run_one(b, j.cmd, now);
  }();
  if (o.skipped) return o;
  if (!o.ok() && o.err->code == "storage") return o;  // not the message's fault: see execute()
  if (!o.ok()) {
    b.stage_dead_letter(store::encode(store::dead_letter{in.topic, in.partition, in.offset, in.timestamp_ms, in.key,
                                                         in.payload, o.err->code, o.err->message}));
    o.dead_lettered = true;
  }
  b.mark_consumed(source, in.offset);
  return o;
}

// A Kafka message is keyed by its community: the key decides its partition (and so
// its order), so a command must name a ticket of that community.
std::optional<error> partition::check_key(store::batch& b, const job& j) {
  if (std::holds_alternative<submit_cmd>(j.cmd.body)) return std::nullopt;  // checked at the edge
  const auto& key = j.in->key;
  if (store::partition_of_ticket(j.cmd.ticket_id) != index_) {
    auto t = store_.load_ticket(j.cmd.ticket_id);
    if (t && *t) {
      return make_error("wrong_key", "message key '" + key.value_or("") + "' is not the community of ticket " +
                                         j.cmd.ticket_id + " (" + (*t)->community_id + ")");
    }
    return make_error("not_found", "ticket " + j.cmd.ticket_id + " does not exist", "ticket_id");
  }
  auto t = b.load_ticket(j.cmd.ticket_id);
  if (!t) return t.err();
  if (!*t) return make_error("not_found", "ticket " + j.cmd.ticket_id + " does not exist", "ticket_id");
  if ((*t)->community_id != key.value_or("")) {
    return make_error("wrong_key", "message key '" + key.value_or("") + "' is not the community of ticket " +
                                       j.cmd.ticket_id + " (" + (*t)->community_id + ")");
  }
  return std::nullopt;
}

// Idempotency entries: "<source_id>" -> ticket id for appeals; "cmd:<key>" ->
// "<ticket id>\n<fingerprint>\n<joined|>" for keyed commands.
namespace {
std::string keyed_value(const outcome& o, const command& c) {
  return o.ticket_id + "\n" + c.idempotency_fingerprint + "\n" + (o.joined ? "joined" : "");
}
}  // namespace

outcome partition::run_one(store::batch& b, const command& c, instant now) {
  const std::string key = c.idempotency_key.empty() ? std::string{} : "cmd:" + c.idempotency_key;
  if (!key.empty()) {
    if (auto seen = b.get(store::source_key(index_, key))) return replay_keyed(b, c, *seen);
  }
  if (const auto* s = std::get_if<submit_cmd>(&c.body)) return run_submit(b, c, *s, now, key);
  if (const auto* m = std::get_if<merge_cmd>(&c.body)) return run_merge(b, c, *m, now, key);
  auto loaded = b.load_ticket(c.ticket_id);
  if (!loaded) return rejected(loaded.err());
  if (!*loaded) {
    return rejected(make_error("not_found", "ticket " + c.ticket_id + " does not exist"));
  }
  auto o = decide_and_stage(b, std::move(*loaded), c, now, key);
  if (const auto* fired = std::get_if<timer_fired_cmd>(&c.body); fired && !o.ok() && o.err->code == "stale_timer") {
    // The index named a timer the snapshot no longer has: drop the entry so it cannot
    // fire again. Indexes are written with their snapshot, so this is never expected.
    b.erase(store::timer_key(index_, c.ticket_id, fired->timer));
  }
  return o;
}

// A keyed command seen before: the first answer if the request is the same, a conflict
// if the key was used with another. `seen` is its idempotency entry (keyed_value()).
outcome partition::replay_keyed(store::batch& b, const command& c, const std::string& seen) {
  const auto first_nl = seen.find('\n');
  const auto second_nl = first_nl == std::string::npos ? std::string::npos : seen.find('\n', first_nl + 1);
  const std::string ticket_id = seen.substr(0, first_nl);
  const std::string fingerprint =
      first_nl == std::string::npos ? std::string{} : seen.substr(first_nl + 1, second_nl - first_nl - 1);
  if (fingerprint != c.idempotency_fingerprint) {
    return rejected(make_error("idempotency_conflict",
                               "Idempotency-Key " + c.idempotency_key + " was first used with another request"));
  }
  auto o = replay(b, ticket_id);
  o.joined = second_nl != std::string::npos && seen.substr(second_nl + 1) == "joined";
  return o;
}

outcome partition::replay(store::batch& b, const std::string& ticket_id) {
  outcome o;
  o.ticket_id = ticket_id;
  o.replayed = true;
  auto t = b.load_ticket(ticket_id);
  if (t && *t) o.after = std::move(*t);
  return o;
}

outcome partition::run_submit(store::batch& b, const command& c, const submit_cmd& s, instant now,
                              const std::string& key) {
  const auto& source = s.a.source_id;
  if (!source.empty()) {
    if (auto seen = b.get(store::source_key(index_, source))) {
      auto o = replay(b, *seen);
      o.joined = o.after->origin.source_id != source;
      return o;
    }
  }
  if (auto dup = find_duplicate(b, s.a, now)) {
    auto t = b.load_ticket(*dup);
    if (t && *t) {
      // A join decides on the ticket it joins; the command's own ticket id is not used.
      // `joined` is set only when it was applied.
      return decide_and_stage(b, std::move(*t), c, now, key, source, true);
    }
  }
  return run_create(b, c, now, key, source);
}

outcome partition::run_create(store::batch& b, const command& c, instant now, const std::string& key,
                              const std::string& source) {
  const std::string counter = "ticket_seq";
  command create = c;
  create.ticket_id = store::make_ticket_id(now, index_, b.counter(counter) + 1);
  outcome o = decide_and_stage(b, no_ticket(), create, now, key, source, false);
  if (o.ok()) {
    (void)b.next_counter(counter);
    o.created = true;
  }
  return o;
}

outcome partition::run_merge(store::batch& b, const command& c, const merge_cmd& m, instant now,
                             const std::string& key) {
  auto src = b.load_ticket(c.ticket_id);
  if (!src) return rejected(src.err());
  if (!*src) return rejected(make_error("not_found", "ticket " + c.ticket_id + " does not exist"));
  if (c.expected_version && *c.expected_version != (*src)->version) {  // as decide() would, before looking further
    return rejected(make_error("stale_version", "ticket is at version " + std::to_string((*src)->version) + ", not " +
                                                    std::to_string(*c.expected_version)));
  }
  if (store::partition_of_ticket(m.into) != index_) {
    return rejected(make_error("cross_community", "only tickets of the same community can be merged", "into"));
  }
  auto master = b.load_ticket(m.into);
  if (!master) return rejected(master.err());
  if (!*master || is_terminal((*master)->st) || (*master)->community_id != (*src)->community_id) {
    return rejected(make_error("invalid_field", "merge target " + m.into + " is not an open ticket of this community",
                              "into"));
  }
  auto o = decide_and_stage(b, *src, c, now, key);
  if (!o.ok()) return o;
  std::vector<appeal> appeals{(*src)->origin};
  appeals.insert(appeals.end(), (*src)->joined.begin(), (*src)->joined.end());
  command absorb{c.id, m.into, c.by, std::nullopt, absorb_cmd{c.ticket_id, std::move(appeals)}, {}};
  auto m_out = decide_and_stage(b, *master, absorb, now, {});
  if (!m_out.ok()) return m_out;  // cannot happen: master checked open above
  o.events.insert(o.events.end(), m_out.events.begin(), m_out.events.end());
  return o;
}

std::optional<std::string> partition::find_duplicate(store::batch& b, const appeal& a, instant now) {
  if (rules_.tree().find(a.jurisdiction_id) == nullptr) return std::nullopt;
  const auto scope = rules_.duplicate_scope_of(a.jurisdiction_id);
  const auto prefix = store::duplicate_prefix(index_, a.category, scope);
  // Entries sort by creation: the first at or after the window's start is the oldest
  // open ticket inside the window. Older open tickets are never visited.
  std::optional<std::string> found;
  b.duplicates(prefix, store::duplicate_key_from(prefix, now - rules_.duplicates().window), [&](std::string_view key) {
    const auto id = store::duplicate_ticket(key, prefix);
    if (id.empty()) return true;  // not a duplicate-index key: skip it
    found = std::string(id);
    return false;
  });
  return found;
}

outcome partition::decide_and_stage(store::batch& b, shared_ticket before, const command& c, instant now,
                                    const std::string& key, const std::string& source, bool joining) {
  outcome o;
  auto events = decide(*before, c, now, rules_);
  if (!events) {
    o.err = events.err();
    return o;
  }
  // The one copy a command makes of its ticket: `before` stays shared (the cache's, the
  // batch's or the outcome's), the events are applied to this one, and it is shared in turn.
  ticket next = *before;
  for (const auto& e : *events) next = apply(std::move(next), e);
  auto after = std::make_shared<const ticket>(std::move(next));
  o.ticket_id = after->id;
  o.joined = joining;
  std::vector<std::pair<std::string, std::string>> idempotency;
  if (!source.empty()) idempotency.emplace_back(source, after->id);
  if (!key.empty()) idempotency.emplace_back(key, keyed_value(o, c));
  b.stage(*before, after, *events, dup_scope(*before), dup_scope(*after), idempotency);
  o.before = std::move(before);
  o.events = std::move(*events);
  o.after = std::move(after);
  return o;
}

result<std::vector<store::timer_entry>> partition::due_timers(instant now, std::size_t limit) const {
  std::vector<store::timer_entry> out;
  auto scanned = store_.scan(store::family_prefix(index_, store::kTimer), [&](std::string_view key, std::string_view) {
    auto t = store::parse_timer_key(key);
    if (!t || t->timer.at > now) return false;
    out.push_back(std::move(*t));
    return out.size() < limit;
  });
  if (!scanned) return scanned.err();
  return out;
}

command partition::timer_command(const store::timer_entry& t) {
  command c;
  c.id = "timer:" + t.ticket_id + ":" + std::string(to_string(t.timer.clock)) + ":" +
         std::string(to_string(t.timer.kind)) + ":" + std::to_string(t.timer.ordinal) + ":" +
         std::to_string(to_millis(t.timer.at));
  c.ticket_id = t.ticket_id;
  c.by = actor{role::system, "sla"};
  c.body = timer_fired_cmd{t.timer};
  return c;
}

}  // namespace doorstep::runtime
