#include "store/key_order.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>

namespace doorstep::store {
namespace {

// How many leading bytes every key in [first, last) shares.
std::size_t shared_prefix(std::vector<keyed_write>::const_iterator first, std::vector<keyed_write>::const_iterator last) {
  if (first == last) return 0;
  const std::string_view head = first->key;
  std::size_t shared = head.size();
  for (auto it = first + 1; it != last && shared > 0; ++it) {
    const std::string_view k = it->key;
    // Most keys share all of what the keys before them share: one memcmp says so.
    if (k.size() >= shared && std::memcmp(head.data(), k.data(), shared) == 0) continue;
    const std::size_t n = std::min(shared, k.size());
    std::size_t i = 0;
    while (i < n && head[i] == k[i]) ++i;
    shared = i;
  }
  return shared;
}

// The eight bytes of `key` from `at`, big-endian, zero past its end. If two keys that
// share their first `at` bytes have different heads, the heads order them as the keys
// do (a key that ends reads as zeros, and a key that is a prefix of another sorts first).
std::uint64_t head_at(std::string_view key, std::size_t at) {
  if (at + 8 <= key.size()) {
    std::uint64_t h;
    std::memcpy(&h, key.data() + at, 8);
    if constexpr (std::endian::native == std::endian::little) h = __builtin_bswap64(h);
    return h;
  }
  std::uint64_t h = 0;
  for (std::size_t i = 0; i < 8; ++i) {
    h <<= 8;
    if (at + i < key.size()) h |= static_cast<unsigned char>(key[at + i]);
  }
  return h;
}

struct headed {
  std::uint64_t head;
  keyed_write w;
};

// Sorts one bucket, whose keys all share their first `shared` bytes.
void sort_bucket(std::vector<keyed_write>::iterator first, std::vector<keyed_write>::iterator last,
                 std::vector<headed>& room) {
  const auto n = static_cast<std::size_t>(last - first);
  if (n < 2) return;
  const std::size_t shared = shared_prefix(first, last);
  room.clear();
  for (auto it = first; it != last; ++it) room.push_back({head_at(it->key, shared), *it});
  std::sort(room.begin(), room.end(), [](const headed& a, const headed& b) {
    if (a.head != b.head) return a.head < b.head;
    const int c = a.w.key.compare(b.w.key);
    return c != 0 ? c < 0 : a.w.index < b.w.index;
  });
  for (std::size_t i = 0; i < n; ++i) first[static_cast<std::ptrdiff_t>(i)] = room[i].w;
}

}  // namespace

void sort_by_key(std::vector<keyed_write>& writes, std::vector<keyed_write>& scratch) {
  if (writes.size() < 2) return;
  // Bucket 0: keys no longer than the shared prefix (at most one distinct key: the
  // prefix itself); bucket 1 + b: keys whose next byte is b. A stable counting pass.
  const std::size_t shared = shared_prefix(writes.begin(), writes.end());
  const auto bucket_of = [shared](const keyed_write& w) -> std::size_t {
    return w.key.size() > shared ? 1 + static_cast<unsigned char>(w.key[shared]) : 0;
  };
  std::array<std::uint32_t, 258> start{};
  for (const auto& w : writes) ++start[bucket_of(w) + 1];
  for (std::size_t b = 1; b < start.size(); ++b) start[b] += start[b - 1];
  scratch.resize(writes.size());
  auto next = start;
  for (const auto& w : writes) scratch[next[bucket_of(w)]++] = w;
  writes.swap(scratch);

  std::vector<headed> room;
  room.reserve(writes.size());
  for (std::size_t b = 0; b + 1 < start.size(); ++b) {
    sort_bucket(writes.begin() + start[b], writes.begin() + start[b + 1], room);
  }
}

}  // namespace doorstep::store
