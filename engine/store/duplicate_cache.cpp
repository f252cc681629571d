#include "store/duplicate_cache.h"

#include "store/keys.h"

namespace doorstep::store {

const duplicate_cache::keys* duplicate_cache::find(std::string_view prefix, std::string_view from) {
  auto it = ranges_.find(prefix);
  if (it == ranges_.end()) return nullptr;
  auto& r = it->second;
  if (from < r.from) return nullptr;
  if (from > r.from) {
    const auto end = r.held.lower_bound(from);
    for (auto k = r.held.begin(); k != end;) {
      k = r.held.erase(k);
      --size_;
    }
    r.from = std::string(from);
  }
  return &r.held;
}

const duplicate_cache::keys& duplicate_cache::load(std::string_view prefix, std::string_view from, keys committed) {
  auto it = ranges_.find(prefix);
  if (it != ranges_.end()) {
    size_ -= it->second.held.size();
  } else {
    it = ranges_.emplace(std::string(prefix), range{}).first;
  }
  it->second.from = std::string(from);
  it->second.held = std::move(committed);
  size_ += it->second.held.size();
  if (size_ > capacity_) keep_only(it);
  return it->second.held;
}

void duplicate_cache::committed(std::string_view key, bool present) {
  const auto prefix = duplicate_prefix_of(key);
  auto it = prefix.empty() ? ranges_.end() : ranges_.find(prefix);
  if (it == ranges_.end()) {
    // A key of a prefix not held (or of an unknown shape, then dropping everything keeps
    // the cache from answering for a range it may not mirror).
    if (prefix.empty()) clear();
    return;
  }
  auto& r = it->second;
  if (!present) {
    if (auto k = r.held.find(key); k != r.held.end()) {
      r.held.erase(k);
      --size_;
    }
    return;
  }
  if (key < std::string_view(r.from)) return;  // below the range: read from the store when asked
  if (r.held.emplace(key).second && ++size_ > capacity_) keep_only(it);
}

// Past capacity (rare: the ranges hold the duplicate window's open tickets), the other
// prefixes are dropped; they are read from the store again when next asked.
void duplicate_cache::keep_only(ranges::iterator keep) {
  for (auto r = ranges_.begin(); r != ranges_.end();) r = r == keep ? std::next(r) : ranges_.erase(r);
  size_ = keep->second.held.size();
}

void duplicate_cache::clear() {
  ranges_.clear();
  size_ = 0;
}

}  // namespace doorstep::store
