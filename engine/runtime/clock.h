// engine/runtime/clock.h
// Where "now" comes from. The real clock reads the system time; the simulated clock
// moves only when told, so tests and drills can run days of SLA behaviour in seconds.
#pragma once

#include <atomic>
#include <memory>

#include "domain/time.h"

namespace doorstep::runtime {

class clock {
 public:
  virtual ~clock() = default;
  virtual instant now() const = 0;
  virtual bool simulated() const = 0;
};

class system_clock final : public clock {
 public:
  instant now() const override;
  bool simulated() const override { return false; }
};

// Thread-safe; only moves forward.
class simulated_clock final : public clock {
 public:
  explicit simulated_clock(instant start) : now_(to_millis(start)) {}
  instant now() const override { return from_millis(now_.load()); }
  bool simulated() const override { return true; }
  // Moves to `t` if it is later than now; returns the new now.
  instant advance_to(instant t);

 private:
  std::atomic<std::int64_t> now_;
};

}  // namespace doorstep::runtime
