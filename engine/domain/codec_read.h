// engine/domain/codec_read.h
// Field readers shared by the decoders: each returns the value or an error naming the
// field (as a JSON-pointer-like path) and what was wrong with it.
// The objects come from codec::parse, so their strings are valid UTF-8 already.
#pragma once

#include <boost/json.hpp>
#include <optional>
#include <string>

#include "domain/result.h"
#include "domain/time.h"

namespace doorstep::codec::detail {

namespace json = boost::json;

inline std::string path(const std::string& prefix, std::string_view key) {
  return prefix.empty() ? std::string(key) : prefix + "." + std::string(key);
}

class reader {
 public:
  reader(const json::object& o, std::string prefix) : o_(o), prefix_(std::move(prefix)) {}

  const json::value* find(std::string_view key) const {
    auto it = o_.find(key);
    if (it == o_.end() || it->value().is_null()) return nullptr;
    return &it->value();
  }

  result<std::string> str(std::string_view key, bool required) const {
    const auto* v = find(key);
    if (!v) {
      if (required) return make_error("missing_field", path(prefix_, key) + " is required", path(prefix_, key));
      return std::string{};
    }
    if (!v->is_string()) return type_error(key, "a string");
    // Valid UTF-8 already: values come from codec::parse.
    return std::string(v->as_string().data(), v->as_string().size());
  }

  result<std::int64_t> integer(std::string_view key, bool required, std::int64_t fallback = 0) const {
    const auto* v = find(key);
    if (!v) {
      if (required) return make_error("missing_field", path(prefix_, key) + " is required", path(prefix_, key));
      return fallback;
    }
    if (v->is_int64()) return v->as_int64();
    if (v->is_uint64() && v->as_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
      return static_cast<std::int64_t>(v->as_uint64());
    }
    return type_error(key, "an integer");
  }

  result<bool> boolean(std::string_view key, bool fallback) const {
    const auto* v = find(key);
    if (!v) return fallback;
    if (!v->is_bool()) return type_error(key, "a boolean");
    return v->as_bool();
  }

  result<instant> time(std::string_view key, bool required) const {
    auto s = str(key, required);
    if (!s) return s.err();
    if (s->empty()) return instant{};
    auto t = parse_rfc3339(*s);
    if (!t) {
      return make_error("invalid_field", path(prefix_, key) + " is not an RFC 3339 date-time",
                        path(prefix_, key));
    }
    return *t;
  }

  // Parses an enum through `parse` (one of the parse_<enum> functions).
  template <class E, class F>
  result<E> enumeration(std::string_view key, F parse, std::optional<E> fallback,
                        std::string_view allowed) const {
    auto s = str(key, !fallback.has_value());
    if (!s) return s.err();
    if (s->empty()) {
      if (fallback) return *fallback;
      return make_error("invalid_field", path(prefix_, key) + " must be one of " + std::string(allowed),
                        path(prefix_, key));
    }
    auto e = parse(*s);
    if (!e) {
      return make_error("invalid_field",
                        path(prefix_, key) + " must be one of " + std::string(allowed) + ", not '" + *s + "'",
                        path(prefix_, key));
    }
    return *e;
  }

  result<const json::object*> object(std::string_view key, bool required) const {
    const auto* v = find(key);
    if (!v) {
      if (required) return make_error("missing_field", path(prefix_, key) + " is required", path(prefix_, key));
      return static_cast<const json::object*>(nullptr);
    }
    if (!v->is_object()) return type_error(key, "an object");
    return &v->as_object();
  }

  result<const json::array*> array(std::string_view key, bool required) const {
    const auto* v = find(key);
    if (!v) {
      if (required) return make_error("missing_field", path(prefix_, key) + " is required", path(prefix_, key));
      return static_cast<const json::array*>(nullptr);
    }
    if (!v->is_array()) return type_error(key, "an array");
    return &v->as_array();
  }

  std::string sub(std::string_view key) const { return path(prefix_, key); }

 private:
  error type_error(std::string_view key, std::string_view what) const {
    return make_error("invalid_field", path(prefix_, key) + " must be " + std::string(what), path(prefix_, key));
  }

  const json::object& o_;
  std::string prefix_;
};

// Unwraps a result into `var` or returns its error from the enclosing function.
#define DS_TRY(var, expr)               \
  auto var##_r = (expr);                \
  if (!var##_r) return var##_r.err();   \
  auto var = std::move(var##_r).value()

}  // namespace doorstep::codec::detail
