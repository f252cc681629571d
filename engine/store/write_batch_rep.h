// engine/store/write_batch_rep.h
// RocksDB's serialized WriteBatch, written directly (internal to the store). A group's
// batch is built once, in key order, from writes already staged and checked; RocksDB's
// Put and Delete would each re-check sizes, update content flags and save points, which
// under callgrind cost about 440 instructions a record. The layout (RocksDB's
// db/write_batch.cc, stable across releases because WAL files hold it):
//
//   rep    := sequence: fixed64, count: fixed32, record[count]
//   record := kTypeValue varstring varstring | kTypeDeletion varstring   (default column family)
//   varstring := length: varint32, bytes
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace doorstep::store::write_batch_rep {

inline constexpr std::size_t kHeader = 12;
inline constexpr char kTypeDeletion = 0x0, kTypeValue = 0x1;

// The length of `n` as a varint32.
inline std::size_t varint_size(std::size_t n) {
  std::size_t size = 1;
  for (; n >= 128; n >>= 7) ++size;
  return size;
}

// Writes `n` as a varint32 at `out`; returns the end.
inline char* put_varint32(char* out, std::size_t n) {
  auto v = static_cast<std::uint32_t>(n);
  for (; v >= 128; v >>= 7) *out++ = static_cast<char>(v | 128);
  *out++ = static_cast<char>(v);
  return out;
}

inline void append_varstring(std::string& rep, std::string_view s) {
  char len[5];
  rep.append(len, static_cast<std::size_t>(put_varint32(len, s.size()) - len));
  rep.append(s);
}

// A record's type, key and value length go out in one append when they fit a small
// buffer (keys are short), and the value in a second: two appends instead of five.
inline void put(std::string& rep, std::string_view key, std::string_view value) {
  char head[256];
  if (key.size() <= sizeof head - 11) {
    char* p = head;
    *p++ = kTypeValue;
    p = put_varint32(p, key.size());
    std::memcpy(p, key.data(), key.size());
    p = put_varint32(p + key.size(), value.size());
    rep.append(head, static_cast<std::size_t>(p - head));
    rep.append(value);
    return;
  }
  rep += kTypeValue;
  append_varstring(rep, key);
  append_varstring(rep, value);
}

inline void del(std::string& rep, std::string_view key) {
  rep += kTypeDeletion;
  append_varstring(rep, key);
}

// Writes the record count into the header (fixed32, little-endian).
inline void set_count(std::string& rep, std::uint32_t count) {
  for (int i = 0; i < 4; ++i) rep[8 + static_cast<std::size_t>(i)] = static_cast<char>((count >> (8 * i)) & 0xFF);
}

}  // namespace doorstep::store::write_batch_rep
