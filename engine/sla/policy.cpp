#include "sla/policy.h"

#include <cmath>
#include <stdexcept>

namespace doorstep::sla {

sla_policy::sla_policy(policy_spec spec, const calendar* cal) : spec_(std::move(spec)), cal_(cal) {
  if (!spec_.continuous && cal_ == nullptr) {
    throw std::invalid_argument("SLA policy " + spec_.id + " counts working time but has no calendar");
  }
}

instant sla_policy::add(instant from, duration work) const {
  return spec_.continuous ? from + work : cal_->add_working(from, work);
}

duration sla_policy::between(instant a, instant b) const {
  if (b <= a) return duration{0};
  return spec_.continuous ? b - a : cal_->working_between(a, b);
}

namespace {
duration fraction_of(duration d, double f) {
  return duration{static_cast<std::int64_t>(std::llround(static_cast<double>(d.count()) * f))};
}
}  // namespace

sla_clock sla_policy::start(clock_kind kind, instant start) const {
  sla_clock c;
  c.state = clock_state::running;
  c.continuous = spec_.continuous;
  c.target = spec_.targets[static_cast<std::size_t>(kind)];
  c.started = start;
  c.due = add(start, c.target);
  for (double f : spec_.warn_at) c.warn_at.push_back(add(start, fraction_of(c.target, f)));
  return c;
}

sla_clock sla_policy::pause(const sla_clock& c, instant at) const {
  sla_clock p = c;
  p.state = clock_state::paused;
  p.remaining = between(at, c.due);
  return p;
}

sla_clock sla_policy::resume(const sla_clock& c, instant at) const {
  sla_clock r = c;
  r.state = clock_state::running;
  r.due = add(at, c.remaining);
  const duration elapsed = c.target - c.remaining;
  r.warn_at.clear();
  for (double f : spec_.warn_at) {
    const duration mark = fraction_of(c.target, f);
    r.warn_at.push_back(mark > elapsed ? add(at, mark - elapsed) : at);
  }
  r.remaining = duration{0};
  return r;
}

sla_terms sla_policy::terms() const {
  sla_terms t;
  for (std::size_t i = 0; i < kClockCount; ++i) t.escalate_on_breach[i] = spec_.escalate_on_breach[i];
  t.feedback_window = spec_.feedback_window;
  t.rating_window = spec_.rating_window;
  t.reopen_escalates = spec_.reopen_escalates;
  return t;
}

}  // namespace doorstep::sla
