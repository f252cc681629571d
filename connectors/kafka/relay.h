// connectors/kafka/relay.h
// Publishes the store's outbox: every committed ticket event to the ticket-events topic
// (keyed by ticket id, so in order per ticket) and every dead letter to the DLQ topic.
// One thread, one idempotent producer (enable.idempotence, acks=all). A partition's
// delivery cursor advances only over entries the cluster acknowledged, contiguously;
// after a failed delivery, or a crash, everything after the cursor is sent again with
// the same event ids: at least once, never lost, first occurrences in order.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "kafka/client.h"
#include "kafka/probe.h"
#include "store/outbox.h"

namespace doorstep::kafka {

class relay {
 public:
  // Ticket events a lane keeps in memory by default (see committed()): a window of
  // unacknowledged messages and as many waiting.
  static constexpr std::size_t kMemoryEntries = 4000;

  // `memory_entries`: how many handed-over ticket events each partition's lane keeps
  // (also bounded to 4 MiB); 0 sends everything from the store.
  relay(store::store& s, const config::kafka_settings& k, std::string bootstrap, probe* p = nullptr,
        std::size_t memory_entries = kMemoryEntries);
  ~relay();
  relay(const relay&) = delete;
  relay& operator=(const relay&) = delete;

  // The producer configuration the relay uses (before its callbacks). Errors: kafka_config.
  static result<conf> configuration(const config::kafka_settings& k, const std::string& bootstrap);

  // Creates the producer and starts the thread. Errors: kafka_config, kafka_client.
  [[nodiscard]] status_result start();
  // Thread-safe, cheap: partition `p` committed something (the engine's on_commit).
  void notify(unsigned p);
  // Thread-safe: partition `p` committed these ticket events (the engine's on_commit
  // with commit_events), in outbox order. The relay sends them from memory instead of
  // reading them back from the store, which stays the truth: whatever the relay does
  // not hold (entries committed before it started, or dropped past its memory's bound
  // while Kafka is slow) it reads from there. Also notifies.
  void committed(unsigned p, std::vector<store::staged_event> events);
  // Sends what is committed, waits up to `flush` for acknowledgements, records them
  // and stops. Idempotent.
  void stop(std::chrono::milliseconds flush = std::chrono::seconds(10));

  // Entries acknowledged so far (tests, benchmarks).
  std::uint64_t published() const { return published_.load(); }
  // Ticket events sent so far that were read from the store, not handed over by
  // committed() (tests, benchmarks).
  std::uint64_t read_from_store() const { return read_from_store_.load(); }

 private:
  struct lane {
    store::stream which;
    unsigned partition = 0;
    std::uint64_t delivered = 0;  // cursor: every entry up to here is acknowledged
    std::uint64_t next = 1;       // next sequence to send
    std::uint64_t in_flight = 0;
    std::set<std::uint64_t> acked;  // acknowledged beyond the cursor (out of order)
    bool rewind = false;            // a delivery failed: resend from the cursor
    bool cursor_moved = false;
    bool cursor_known = false;      // `delivered` was read from the store
    bool read_failing = false;      // the last read of this lane failed (logged once)
    std::atomic<bool> dirty{true};
    // Ticket events handed over by committed(): the engine's threads append to `handed`
    // under `handed_mu`; the relay's thread moves them into `memory`, a run of
    // consecutive sequences after the cursor, and sends from there. Bounded: past
    // memory_entries_ or 4 MiB the oldest are dropped (read back if needed).
    std::mutex handed_mu;
    std::vector<store::staged_event> handed;
    std::size_t handed_bytes = 0;
    std::deque<store::staged_event> memory;
    std::size_t memory_bytes = 0;
  };

  result<handle> make_producer();
  void replace_fatal_producer();
  void run();
  bool fill(lane& l, std::size_t index);
  bool load_cursor(lane& l);
  void read_failed(lane& l, const error& e);
  bool produce(const store::outbox_entry& e, lane& l, std::size_t index);
  bool produce_event(std::uint64_t seq, std::string_view ticket_id, std::string_view event_id, std::string_view type,
                     std::string_view json, lane& l, std::size_t index);
  bool accepted(rd_kafka_resp_err_t err, lane& l);
  void skip(void* tag, lane& l);
  void take_handed(lane& l);
  bool send_from_memory(lane& l, std::size_t index, std::uint64_t room);
  void on_delivery(const rd_kafka_message_t& m);
  void save_cursors();
  static void delivery_callback(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque);

  store::store& store_;
  const config::kafka_settings& settings_;
  std::string bootstrap_;
  probe* probe_;
  handle producer_;
  std::vector<std::unique_ptr<lane>> lanes_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool woken_ = false;
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> published_{0};
  std::atomic<std::uint64_t> read_from_store_{0};
  std::chrono::milliseconds flush_{0};
  std::size_t memory_entries_;
};

}  // namespace doorstep::kafka
