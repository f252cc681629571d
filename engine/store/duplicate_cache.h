// engine/store/duplicate_cache.h
// The committed open-duplicate index entries (keys.h: p007|d|<category>|<scope>|...) of
// one partition, for each prefix the partition has looked up, from a low-water key on.
// Finding the ticket a new appeal joins then needs no RocksDB iterator: before this
// cache, creating one and seeking it was a tenth of the engine's CPU per appeal.
//
// A prefix's range holds every committed key under it at or after its low-water key
// (the window start of the last lookup): only the open tickets created inside the
// duplicate window, usually none or one per category and place. A lookup from a later
// instant drops the entries before it; one from an earlier instant (an appeal decided
// at its own, older time) is not answered, and the caller reads the store and loads the
// range again. The partition hands it every duplicate-index write of a group after the
// group's commit succeeded, so it holds committed state only. Owned by the partition and
// used only on its strand (not thread-safe). Must be cleared if the partition's store
// contents are ever replaced underneath it.
#pragma once

#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <string_view>

namespace doorstep::store {

class duplicate_cache {
 public:
  using keys = std::set<std::string, std::less<>>;

  // At most `capacity` keys over all prefixes; past it, the other prefixes are dropped.
  explicit duplicate_cache(std::size_t capacity) : capacity_(capacity) {}

  // The committed keys under `prefix` at or after `from` (a key under the prefix, the
  // lookup's start), or nullptr when the cache does not hold that range. Keys before
  // `from` are dropped: `from` becomes the prefix's low-water key.
  const keys* find(std::string_view prefix, std::string_view from);

  // Holds `committed`, every committed key under `prefix` at or after `from`, as the
  // prefix's range (replacing what it held). Returns the held keys.
  const keys& load(std::string_view prefix, std::string_view from, keys committed);

  // A committed put (present) or delete of a duplicate-index key.
  void committed(std::string_view key, bool present);

  void clear();
  std::size_t size() const { return size_; }
  std::size_t prefixes() const { return ranges_.size(); }

 private:
  struct range {
    std::string from;  // low-water key: the range holds every committed key >= from
    keys held;
  };
  using ranges = std::map<std::string, range, std::less<>>;
  void keep_only(ranges::iterator keep);

  std::size_t capacity_;
  std::size_t size_ = 0;
  ranges ranges_;
};

}  // namespace doorstep::store
