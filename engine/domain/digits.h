// engine/domain/digits.h
// Decimal digits written two at a time from a table, for the hot encoders (instants in
// every event and snapshot, numbers in every store key) where a division per digit and
// a std::string append per character showed in profiles.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>

namespace doorstep::digits {

// "00" to "99".
inline constexpr auto kPairs = [] {
  std::array<char, 200> t{};
  for (int i = 0; i < 100; ++i) {
    t[2 * i] = static_cast<char>('0' + i / 10);
    t[2 * i + 1] = static_cast<char>('0' + i % 10);
  }
  return t;
}();

// Writes `v` < 100 as two digits; returns the end.
inline char* put2(char* out, unsigned v) {
  std::memcpy(out, &kPairs[2 * v], 2);
  return out + 2;
}

// Writes `v` in decimal, zero-padded to at least `width` digits (at most 20); returns
// the end. At most 20 characters.
inline char* put_padded(char* out, std::uint64_t v, int width) {
  int n = 1;
  for (std::uint64_t limit = 10; n < 20 && v >= limit; limit *= 10) ++n;
  if (width > 20) width = 20;
  char* const end = out + (n > width ? n : width);
  char* p = end;
  while (v >= 100) {
    p -= 2;
    std::memcpy(p, &kPairs[2 * (v % 100)], 2);
    v /= 100;
  }
  if (v >= 10) {
    p -= 2;
    std::memcpy(p, &kPairs[2 * v], 2);
  } else {
    *--p = static_cast<char>('0' + v);
  }
  while (p > out) *--p = '0';
  return end;
}

}  // namespace doorstep::digits
