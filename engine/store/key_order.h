// engine/store/key_order.h
// The order a group's writes go to RocksDB in: by key, a key's writes in staging order
// (internal to the store).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace doorstep::store {

// A staged write's key and its position in staging order.
struct keyed_write {
  std::string_view key;
  std::uint32_t index = 0;
};

// Sorts `writes` by key, equal keys by index: the order std::stable_sort by key gives
// for writes listed in staging order, at a fraction of its comparisons' cost. A group's
// keys share long prefixes ("p007|t|17710..."), so comparing them whole spends most of
// its time on bytes that never differ: the writes are first bucketed by the byte after
// the prefix every key shares (the family), and within a bucket each key carries the
// eight bytes after the prefix its bucket shares, compared as one integer; only keys
// whose eight bytes tie are compared whole. `scratch` is working room (any contents).
void sort_by_key(std::vector<keyed_write>& writes, std::vector<keyed_write>& scratch);

}  // namespace doorstep::store
