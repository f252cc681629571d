// engine/store/ticket_cache.h
// The decoded snapshots of a partition's most recently committed tickets, so a command
// on a ticket touched moments ago (a neighbour's duplicate joining it, the handler
// accepting it) does not parse its JSON snapshot again. Holds committed state only:
// the partition adds a group's tickets after the group's commit succeeded. Owned by the
// partition and used only on its strand (not thread-safe). Must be cleared if the
// partition's store contents are ever replaced underneath it (a restore).
#pragma once

#include <cstddef>
#include <list>
#include <string>
#include <unordered_map>

#include "domain/ticket.h"

namespace doorstep::store {

class ticket_cache {
 public:
  explicit ticket_cache(std::size_t capacity) : capacity_(capacity) {}

  // The cached ticket, marked most recently used; null if absent. O(1).
  shared_ticket find(const std::string& id);

  // Adds or replaces a ticket (not null), evicting the least recently used beyond
  // capacity. O(1); once full, the evicted entry's nodes are reused, so a put allocates
  // nothing.
  void put(shared_ticket t);

  void clear();
  std::size_t size() const { return index_.size(); }

 private:
  std::size_t capacity_;
  std::list<shared_ticket> order_;  // most recently used first
  std::unordered_map<std::string, std::list<shared_ticket>::iterator> index_;
};

}  // namespace doorstep::store
