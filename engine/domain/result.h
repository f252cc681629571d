// engine/domain/result.h
// Errors as values: every fallible call in the domain, routing, SLA and store returns
// result<T>. An error carries a stable machine-readable code, the field at fault (if
// any) and a human-readable message.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace doorstep {

struct error {
  std::string code;     // stable, snake_case: "illegal_transition", "stale_version", ...
  std::string message;  // for humans; may contain UTF-8
  std::string field;    // JSON-pointer-like path of the offending input, or empty
};

inline error make_error(std::string code, std::string message, std::string field = {}) {
  return error{std::move(code), std::move(message), std::move(field)};
}

template <class T>
class [[nodiscard]] result {
 public:
  result(T value) : v_(std::move(value)) {}          // NOLINT(google-explicit-constructor)
  result(error err) : v_(std::move(err)) {}           // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const error& err() const { return std::get<1>(v_); }

 private:
  std::variant<T, error> v_;
};

// result<void>
struct ok_t {};
inline constexpr ok_t ok_v{};
using status_result = result<ok_t>;

}  // namespace doorstep
