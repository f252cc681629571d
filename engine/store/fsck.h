// engine/store/fsck.h
// The consistency checker: verifies that every snapshot equals the fold of its event
// log, that logs are gap-free, and that the index families (timers, worklist,
// duplicates) hold exactly the entries the snapshots imply. Read-only; O(store size).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "store/store.h"

namespace doorstep::store {

struct fsck_report {
  std::size_t tickets = 0;
  std::size_t events = 0;
  std::size_t index_entries = 0;
  std::vector<std::string> problems;  // empty when consistent
  bool ok() const { return problems.empty(); }
};

// `dup_scope` gives the duplicate scope node of a ticket, as the runtime computes it.
fsck_report fsck(const store& s, const std::function<std::string(const ticket&)>& dup_scope,
                 std::size_t max_problems = 100);

}  // namespace doorstep::store
