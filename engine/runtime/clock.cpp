#include "runtime/clock.h"

#include <chrono>

namespace doorstep::runtime {

instant system_clock::now() const {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

instant simulated_clock::advance_to(instant t) {
  auto target = to_millis(t);
  auto cur = now_.load();
  while (cur < target && !now_.compare_exchange_weak(cur, target)) {
  }
  return from_millis(now_.load());
}

}  // namespace doorstep::runtime
