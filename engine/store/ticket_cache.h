// engine/store/ticket_cache.h
// The decoded snapshots of a partition's most recently committed tickets, so a command
// on a ticket touched moments ago (a neighbour's duplicate joining it, the handler
// accepting it) does not parse its JSON snapshot again, and with each ticket what its
// other rows hold (ticket_rows): the history in its stats row, so the next command on it
// does not read and parse that row (store/rows.h) to fold its events in, and its index
// entries, so that command need not compute them again to know which to replace. Holds
// committed state only: the partition adds a group's tickets after the group's commit
// succeeded. Owned by the partition and used only on its strand (not thread-safe). Must
// be cleared if the partition's store contents are ever replaced underneath it (a
// restore).
#pragma once

#include <cstddef>
#include <list>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "domain/ticket.h"
#include "store/keys.h"
#include "store/rows.h"

namespace doorstep::store {

// What a ticket's rows besides its snapshot hold at one version, known to whoever staged
// them: the history in its stats row and its index entries (index_entries(), computed
// for `dup_scope`).
struct ticket_rows {
  stats_history history;
  std::vector<index_entry> index;
  std::string dup_scope;
};

class ticket_cache {
 public:
  explicit ticket_cache(std::size_t capacity) : capacity_(capacity) {}

  // The cached ticket, marked most recently used; null if absent. O(1).
  shared_ticket find(const std::string& id);

  // Adds or replaces a ticket (not null) and, if given, what its committed rows hold,
  // evicting the least recently used beyond capacity. O(1); once full, the evicted
  // entry's nodes are reused.
  void put(shared_ticket t, std::optional<ticket_rows> rows = std::nullopt);

  // The rows put with ticket `id` if the cached ticket is at `version`; null otherwise
  // (not cached, put without them, or another version). Leaves the order alone.
  const ticket_rows* rows(const std::string& id, std::uint64_t version) const;

  void clear();
  std::size_t size() const { return index_.size(); }

 private:
  std::size_t capacity_;
  struct entry {
    shared_ticket ticket;
    std::optional<ticket_rows> rows;
  };
  std::list<entry> order_;  // most recently used first
  std::unordered_map<std::string, std::list<entry>::iterator> index_;
};

}  // namespace doorstep::store
