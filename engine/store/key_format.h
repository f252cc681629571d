// engine/store/key_format.h
// Building blocks of keys and index rows, shared by keys.cpp and rows.cpp (internal to
// the store).
#pragma once

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/digits.h"
#include "domain/time.h"

namespace doorstep::store::key_format {

// An instant as keys and rows hold it: epoch milliseconds, none before the epoch (keys
// pad it to 13 digits).
inline std::uint64_t ms_field(instant t) { return static_cast<std::uint64_t>(std::max<std::int64_t>(0, to_millis(t))); }

// Keys are built on every staged write (twice per index entry: before and after), so
// they are appended in place rather than formatted.
inline void append_padded(std::string& out, std::uint64_t v, int width) {
  char buf[20];
  out.append(buf, static_cast<std::size_t>(digits::put_padded(buf, v, width) - buf));
}

inline std::string pad(std::uint64_t v, int width) {
  std::string out;
  append_padded(out, v, width);
  return out;
}

// "p007|<family>|" with room for `rest` more characters (written at once: several keys
// start this way for every staged command).
inline std::string key_start(unsigned partition, char family, std::size_t rest) {
  char head[1 + 20 + 3];
  char* p = head;
  *p++ = 'p';
  p = digits::put_padded(p, partition, 3);
  *p++ = '|';
  *p++ = family;
  *p++ = '|';
  std::string k;
  k.reserve(static_cast<std::size_t>(p - head) + rest);
  k.append(head, static_cast<std::size_t>(p - head));
  return k;
}

inline std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == sep) {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

// Splits `s` at `sep` into exactly N fields; false when it has more or fewer.
template <std::size_t N>
bool split_exact(std::string_view s, char sep, std::array<std::string_view, N>& out) {
  std::size_t start = 0;
  for (std::size_t i = 0; i + 1 < N; ++i) {
    const auto end = s.find(sep, start);
    if (end == std::string_view::npos) return false;
    out[i] = s.substr(start, end - start);
    start = end + 1;
  }
  out[N - 1] = s.substr(start);
  return out[N - 1].find(sep) == std::string_view::npos;
}

template <class T>
std::optional<T> to_number(std::string_view s) {
  T v{};
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
  return v;
}


}  // namespace doorstep::store::key_format
