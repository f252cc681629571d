#include "domain/ticket.h"

#include <algorithm>
#include <array>

namespace doorstep {
namespace {
constexpr std::array<std::string_view, 3> kTimerNames{"warning", "breach", "auto_close"};
}

std::string_view to_string(timer_kind k) { return kTimerNames.at(static_cast<std::size_t>(k)); }

std::optional<timer_kind> parse_timer_kind(std::string_view s) {
  for (std::size_t i = 0; i < kTimerNames.size(); ++i) {
    if (kTimerNames[i] == s) return static_cast<timer_kind>(i);
  }
  return std::nullopt;
}

const shared_ticket& no_ticket() {
  static const shared_ticket none = std::make_shared<const ticket>();
  return none;
}

std::vector<pending_timer> pending_timers(const ticket& t) {
  std::vector<pending_timer> out;
  if (!t.exists() || is_terminal(t.st) || t.st == status::suspended) return out;
  out.reserve(2 * kClockCount + 1);  // a warning and a breach per clock, and auto-close
  for (auto k : kAllClocks) {
    const sla_clock& c = t.clock(k);
    if (c.state != clock_state::running || c.breached) continue;
    if (c.warnings_fired < c.warn_at.size()) {
      out.push_back({c.warn_at[c.warnings_fired], k, timer_kind::warning, c.warnings_fired});
    }
    out.push_back({c.due, k, timer_kind::breach, 0});
  }
  if (t.st == status::resolved && t.verified && t.auto_close_at) {
    out.push_back({*t.auto_close_at, clock_kind::verify, timer_kind::auto_close, 0});
  }
  std::sort(out.begin(), out.end(), [](const pending_timer& a, const pending_timer& b) {
    return a.at < b.at || (a.at == b.at && a.clock < b.clock);
  });
  return out;
}

}  // namespace doorstep
