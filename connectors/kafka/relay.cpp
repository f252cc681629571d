#include "kafka/relay.h"

#include <iostream>

namespace doorstep::kafka {
namespace {

constexpr std::uint64_t kWindow = 2000;  // unacknowledged messages per lane
constexpr unsigned kLaneBits = 12;       // opaque = seq << kLaneBits | lane index
static_assert(relay::kMemoryEntries == 2 * kWindow, "a window in flight and as many waiting");
// The bytes of handed-over ticket events a lane keeps; beyond, and beyond the relay's
// memory_entries_, the oldest are dropped and read back from the store if needed again.
constexpr std::size_t kMemoryBytes = 4 << 20;

std::size_t bytes_of(const store::staged_event& e) { return e.entry.size() + e.json.size(); }

const char* header_value(std::string_view v) { return v.data(); }

}  // namespace

relay::relay(store::store& s, const config::kafka_settings& k, std::string bootstrap, probe* p,
             std::size_t memory_entries)
    : store_(s), settings_(k), bootstrap_(std::move(bootstrap)), probe_(p), memory_entries_(memory_entries) {
  for (auto which : {store::stream::ticket_events, store::stream::dead_letters}) {
    for (unsigned part = 0; part < s.partitions(); ++part) {
      auto l = std::make_unique<lane>();
      l->which = which;
      l->partition = part;
      load_cursor(*l);
      lanes_.push_back(std::move(l));
    }
  }
}

relay::~relay() { stop(); }

status_result relay::start() {
  if (lanes_.size() >= (1u << kLaneBits)) return make_error("kafka_config", "too many partitions for the relay");
  auto p = make_producer();
  if (!p) return p.err();
  producer_ = std::move(*p);
  thread_ = std::thread([this] { run(); });
  return ok_v;
}

result<conf> relay::configuration(const config::kafka_settings& k, const std::string& bootstrap) {
  return make_conf(bootstrap,
                   {{"client.id", k.client_id + "-relay"},
                    {"enable.idempotence", "true"},
                    {"acks", "all"},
                    {"linger.ms", "5"},
                    {"compression.type", "lz4"},
                    {"message.timeout.ms", "30000"},
                    {"log_level", "3"}},
                   k.properties, {"enable.idempotence", "acks", "bootstrap.servers"});
}

result<handle> relay::make_producer() {
  auto c = configuration(settings_, bootstrap_);
  if (!c) return c.err();
  rd_kafka_conf_set_dr_msg_cb(c->get(), &relay::delivery_callback);
  rd_kafka_conf_set_opaque(c->get(), this);
  return make_client(RD_KAFKA_PRODUCER, std::move(*c));
}

// An idempotent producer that hit a fatal error (e.g. its producer id was fenced)
// cannot send again: fail what it holds, replace it, resend from the cursors.
void relay::replace_fatal_producer() {
  char why[512];
  if (rd_kafka_fatal_error(producer_.get(), why, sizeof why) == RD_KAFKA_RESP_ERR_NO_ERROR) return;
  std::cerr << "doorstep: kafka: producer failed fatally (" << why << "); starting a new one\n";
  rd_kafka_purge(producer_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
  rd_kafka_poll(producer_.get(), 0);  // delivery reports of the purged messages: lanes rewind
  auto fresh = make_producer();
  if (!fresh) {
    std::cerr << "doorstep: kafka: " << fresh.err().message << "\n";
    return;
  }
  producer_ = std::move(*fresh);
  for (auto& l : lanes_) {
    l->in_flight = 0;
    l->rewind = true;
  }
}

void relay::notify(unsigned p) {
  for (auto& l : lanes_) {
    if (l->partition == p) l->dirty.store(true, std::memory_order_relaxed);
  }
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  wake_.notify_one();
}

void relay::committed(unsigned p, std::vector<store::staged_event> events) {
  if (!events.empty() && memory_entries_ > 0 && p < lanes_.size() &&
      lanes_[p]->which == store::stream::ticket_events && lanes_[p]->partition == p) {
    auto& l = *lanes_[p];
    std::lock_guard lock(l.handed_mu);
    // Not taken for a while (the thread is flushing or stopping): those will be read
    // from the store instead.
    if (l.handed.size() >= memory_entries_ || l.handed_bytes >= kMemoryBytes) {
      l.handed.clear();
      l.handed_bytes = 0;
    }
    for (auto& e : events) {
      l.handed_bytes += bytes_of(e);
      l.handed.push_back(std::move(e));
    }
  }
  notify(p);
}

void relay::stop(std::chrono::milliseconds flush) {
  if (!thread_.joinable()) return;
  flush_ = flush;
  stopping_ = true;
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void relay::delivery_callback(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  static_cast<relay*>(opaque)->on_delivery(*m);
}

void relay::on_delivery(const rd_kafka_message_t& m) {
  const auto tag = reinterpret_cast<std::uintptr_t>(m._private);
  auto& l = *lanes_[tag & ((1u << kLaneBits) - 1)];
  const std::uint64_t seq = tag >> kLaneBits;
  --l.in_flight;
  if (m.err) {
    if (probe_) probe_->delivery_error(store::to_string(l.which));
    if (!l.rewind) {
      std::cerr << "doorstep: kafka: delivery of " << store::to_string(l.which) << " entry " << seq << " of partition "
                << l.partition << " failed (" << rd_kafka_err2str(m.err) << "); it will be sent again\n";
    }
    l.rewind = true;
    return;
  }
  if (seq <= l.delivered) return;  // a repeat of something already counted
  l.acked.insert(seq);
  std::uint64_t moved = 0;
  while (!l.acked.empty() && *l.acked.begin() == l.delivered + 1) {
    l.acked.erase(l.acked.begin());
    ++l.delivered;
    ++moved;
  }
  if (moved) {
    l.cursor_moved = true;
    published_ += moved;
    if (probe_) probe_->published(store::to_string(l.which), moved);
  }
}

bool relay::produce_event(std::uint64_t seq, std::string_view ticket_id, std::string_view event_id,
                          std::string_view type, std::string_view json, lane& l, std::size_t index) {
  void* tag = reinterpret_cast<void*>(static_cast<std::uintptr_t>(seq << kLaneBits | index));
  const auto err = rd_kafka_producev(
      producer_.get(), RD_KAFKA_V_TOPIC(settings_.ticket_events_topic.c_str()),
      RD_KAFKA_V_KEY(ticket_id.data(), ticket_id.size()),
      RD_KAFKA_V_VALUE(const_cast<char*>(json.data()), json.size()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
      RD_KAFKA_V_HEADER("doorstep.event_id", event_id.data(), static_cast<ssize_t>(event_id.size())),
      RD_KAFKA_V_HEADER("doorstep.event_type", type.data(), static_cast<ssize_t>(type.size())),
      RD_KAFKA_V_OPAQUE(tag), RD_KAFKA_V_END);
  return accepted(err, l);
}

// What rd_kafka_producev answered: queued (now in flight), its queue is full (try the
// rest later), or refused (counted; the lane resends from its cursor).
bool relay::accepted(rd_kafka_resp_err_t err, lane& l) {
  if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) return false;
  if (err) {
    if (probe_) probe_->delivery_error(store::to_string(l.which));
    l.rewind = true;
    return false;
  }
  ++l.in_flight;
  return true;
}

// An entry that cannot be sent, which never happens for entries the store wrote: counted
// as delivered rather than stalling the lane behind it.
void relay::skip(void* tag, lane& l) {
  rd_kafka_message_t fake{};
  fake._private = tag;
  ++l.in_flight;
  on_delivery(fake);
}

bool relay::produce(const store::outbox_entry& e, lane& l, std::size_t index) {
  void* tag = reinterpret_cast<void*>(static_cast<std::uintptr_t>(e.seq << kLaneBits | index));
  if (l.which == store::stream::ticket_events) {
    auto entry = store::split_event_entry(e.value);
    if (!entry) {
      std::cerr << "doorstep: kafka: outbox entry " << e.seq << " of partition " << l.partition << " "
                << store::refusal_reason(e.value) << "; skipped\n";
      skip(tag, l);
      return true;
    }
    return produce_event(e.seq, entry->ticket_id, entry->event_id, entry->type, entry->json, l, index);
  }
  auto d = store::decode_dead_letter(e.value);
  if (!d) {
    std::cerr << "doorstep: kafka: malformed dead letter " << e.seq << " of partition " << l.partition << "\n";
    skip(tag, l);
    return true;
  }
  const auto part = std::to_string(d->partition), offset = std::to_string(d->offset),
             ts = std::to_string(d->timestamp_ms);
  const void* key = d->key ? d->key->data() : nullptr;
  const std::size_t key_len = d->key ? d->key->size() : 0;
  const auto err = rd_kafka_producev(
      producer_.get(), RD_KAFKA_V_TOPIC(settings_.dlq_topic.c_str()),
      RD_KAFKA_V_KEY(key, key_len),
      RD_KAFKA_V_VALUE(d->payload.data(), d->payload.size()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
      RD_KAFKA_V_HEADER("doorstep.source.topic", header_value(d->topic), static_cast<ssize_t>(d->topic.size())),
      RD_KAFKA_V_HEADER("doorstep.source.partition", part.c_str(), static_cast<ssize_t>(part.size())),
      RD_KAFKA_V_HEADER("doorstep.source.offset", offset.c_str(), static_cast<ssize_t>(offset.size())),
      RD_KAFKA_V_HEADER("doorstep.source.timestamp", ts.c_str(), static_cast<ssize_t>(ts.size())),
      RD_KAFKA_V_HEADER("doorstep.error.code", d->code.c_str(), static_cast<ssize_t>(d->code.size())),
      RD_KAFKA_V_HEADER("doorstep.error.reason", d->reason.c_str(), static_cast<ssize_t>(d->reason.size())),
      RD_KAFKA_V_OPAQUE(tag), RD_KAFKA_V_END);
  return accepted(err, l);
}

// Reads the lane's delivery cursor. Until it is known the lane sends nothing: counting
// acknowledgements from a wrong cursor would never move it.
bool relay::load_cursor(lane& l) {
  auto d = store::delivered(store_, l.partition, l.which);
  if (!d) {
    read_failed(l, d.err());
    return false;
  }
  l.delivered = *d;
  l.next = l.delivered + 1;
  l.cursor_known = true;
  l.read_failing = false;
  return true;
}

// A failed store read leaves the lane where it was, to be tried again on the next pass
// (the loop waits up to 200 ms between idle passes). Logged when it starts failing.
void relay::read_failed(lane& l, const error& e) {
  if (!l.read_failing) {
    std::cerr << "doorstep: kafka: relay of " << store::to_string(l.which) << " of partition " << l.partition
              << " paused: " << e.message << "; retrying\n";
  }
  l.read_failing = true;
  l.dirty = true;
}

// Moves the events handed to lane `l` into its memory, which stays one run of
// consecutive sequences (a gap, which the engine's in-order handover never makes,
// empties it first), then drops what is acknowledged and, past the bounds, the oldest.
void relay::take_handed(lane& l) {
  std::vector<store::staged_event> handed;
  {
    std::lock_guard lock(l.handed_mu);
    handed.swap(l.handed);
    l.handed_bytes = 0;
  }
  auto& m = l.memory;
  for (auto& e : handed) {
    if (!m.empty() && e.seq != m.back().seq + 1) {
      m.clear();
      l.memory_bytes = 0;
    }
    l.memory_bytes += bytes_of(e);
    m.push_back(std::move(e));
  }
  while (!m.empty() &&
         (m.front().seq <= l.delivered || m.size() > memory_entries_ || l.memory_bytes > kMemoryBytes)) {
    l.memory_bytes -= bytes_of(m.front());
    m.pop_front();
  }
}

// Sends up to `room` entries from the lane's memory, from its next sequence on, when
// memory holds that sequence. Returns true when it sent something.
bool relay::send_from_memory(lane& l, std::size_t index, std::uint64_t room) {
  auto& m = l.memory;
  std::uint64_t sent = 0;
  for (auto i = l.next - m.front().seq; i < m.size() && sent < room; ++i) {
    const auto& e = m[i];
    const auto ref = store::parse_event_reference(e.entry);
    if (!ref) {  // cannot happen for what a batch staged; the store path reports and skips it
      m.clear();
      l.memory_bytes = 0;
      l.dirty = true;
      return sent > 0;
    }
    if (!produce_event(e.seq, ref->ticket_id, ref->event_id, ref->type, e.json, l, index)) {
      l.dirty = true;  // try the rest later
      return sent > 0;
    }
    l.next = e.seq + 1;
    ++sent;
  }
  if (sent == room) l.dirty = true;
  return sent > 0;
}

// Sends what lane `l` has committed beyond what is in flight: from memory what was
// handed over, the rest read from the store. Returns true when it sent something.
bool relay::fill(lane& l, std::size_t index) {
  if (!l.cursor_known && !load_cursor(l)) return false;
  if (l.which == store::stream::ticket_events) take_handed(l);
  if (l.rewind) {
    if (l.in_flight > 0) return false;  // wait for the rest of the window to report
    l.rewind = false;
    l.acked.clear();
    l.next = l.delivered + 1;
    l.dirty = true;
  }
  if (!l.dirty.exchange(false) || l.in_flight >= kWindow) {
    if (l.in_flight >= kWindow) l.dirty = true;
    return false;
  }
  const auto room = kWindow - l.in_flight;
  const auto& m = l.memory;
  if (!m.empty() && l.next >= m.front().seq && l.next <= m.back().seq) return send_from_memory(l, index, room);
  // Not in memory: read from the store, up to where memory starts.
  auto limit = room;
  if (!m.empty() && l.next < m.front().seq) limit = std::min(room, m.front().seq - l.next);
  const auto entries = store::read_stream(store_, l.partition, l.which, l.next - 1, limit);
  if (!entries) {
    read_failed(l, entries.err());
    return false;
  }
  l.read_failing = false;
  bool sent = false;
  for (const auto& e : *entries) {
    if (!produce(e, l, index)) {
      l.dirty = true;  // try the rest later
      return sent;
    }
    if (l.which == store::stream::ticket_events) read_from_store_.fetch_add(1, std::memory_order_relaxed);
    l.next = e.seq + 1;
    sent = true;
  }
  if (entries->size() == limit) l.dirty = true;  // more in the store, or memory next
  return sent;
}

void relay::save_cursors() {
  std::uint64_t pending_events = 0, pending_dead = 0;
  bool all_read = true;
  for (auto& l : lanes_) {
    if (l->cursor_moved) {
      if (auto s = store::mark_delivered(store_, l->partition, l->which, l->delivered); !s) {
        std::cerr << "doorstep: kafka: " << s.err().message << "\n";
      } else {
        l->cursor_moved = false;
      }
    }
    const auto staged = store::staged(store_, l->partition, l->which);
    if (!staged || !l->cursor_known) {
      all_read = false;  // the gauges keep their last values rather than undercount
      continue;
    }
    (l->which == store::stream::ticket_events ? pending_events : pending_dead) += *staged - l->delivered;
  }
  if (probe_ && all_read) {
    probe_->pending("ticket_events", pending_events);
    probe_->pending("dead_letters", pending_dead);
  }
}

void relay::run() {
  auto last_save = std::chrono::steady_clock::now();
  for (;;) {
    const bool stopping = stopping_.load();
    bool busy = false;
    for (std::size_t i = 0; i < lanes_.size(); ++i) busy |= fill(*lanes_[i], i);
    if (stopping) {
      rd_kafka_flush(producer_.get(), static_cast<int>(flush_.count()));
      for (std::size_t i = 0; i < lanes_.size(); ++i) {  // whatever was committed meanwhile
        lanes_[i]->dirty = true;
        if (fill(*lanes_[i], i)) rd_kafka_flush(producer_.get(), static_cast<int>(flush_.count()));
      }
      save_cursors();
      return;
    }
    std::uint64_t in_flight = 0;
    for (const auto& l : lanes_) in_flight += l->in_flight;
    rd_kafka_poll(producer_.get(), in_flight > 0 ? 5 : 0);
    replace_fatal_producer();
    const auto now = std::chrono::steady_clock::now();
    if (now - last_save >= std::chrono::milliseconds(200)) {
      save_cursors();
      last_save = now;
    }
    if (!busy && in_flight == 0) {
      std::unique_lock lock(mu_);
      wake_.wait_for(lock, std::chrono::milliseconds(200), [this] { return woken_; });
      woken_ = false;
    }
  }
}

}  // namespace doorstep::kafka
