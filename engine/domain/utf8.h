// engine/domain/utf8.h
#pragma once

#include <string_view>

namespace doorstep {

// True if `s` is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool is_valid_utf8(std::string_view s);

}  // namespace doorstep
