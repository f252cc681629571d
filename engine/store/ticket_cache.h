// engine/store/ticket_cache.h
// The decoded snapshots of a partition's most recently committed tickets, so a command
// on a ticket touched moments ago (a neighbour's duplicate joining it, the handler
// accepting it) does not parse its JSON snapshot again, and with each ticket the history
// its stats row holds, so the next command on it does not read and parse that row
// (store/rows.h) to fold its events in. Holds committed state only:
// the partition adds a group's tickets after the group's commit succeeded. Owned by the
// partition and used only on its strand (not thread-safe). Must be cleared if the
// partition's store contents are ever replaced underneath it (a restore).
#pragma once

#include <cstddef>
#include <list>
#include <optional>
#include <string>
#include <unordered_map>

#include "domain/ticket.h"
#include "store/rows.h"

namespace doorstep::store {

class ticket_cache {
 public:
  explicit ticket_cache(std::size_t capacity) : capacity_(capacity) {}

  // The cached ticket, marked most recently used; null if absent. O(1).
  shared_ticket find(const std::string& id);

  // Adds or replaces a ticket (not null) and, if given, the history its committed stats
  // row holds, evicting the least recently used beyond capacity. O(1); once full, the
  // evicted entry's nodes are reused.
  void put(shared_ticket t, std::optional<stats_history> history = std::nullopt);

  // The stats history put with ticket `id` if the cached ticket is at `version`; null
  // otherwise (not cached, put without one, or another version). Leaves the order alone.
  const stats_history* history(const std::string& id, std::uint64_t version) const;

  void clear();
  std::size_t size() const { return index_.size(); }

 private:
  std::size_t capacity_;
  struct entry {
    shared_ticket ticket;
    std::optional<stats_history> history;
  };
  std::list<entry> order_;  // most recently used first
  std::unordered_map<std::string, std::list<entry>::iterator> index_;
};

}  // namespace doorstep::store
