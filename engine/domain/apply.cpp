// engine/domain/apply.cpp
// Folding events into tickets. Every case only copies what the event says.
#include <type_traits>

#include "domain/decide.h"

namespace doorstep {
namespace {

void stop_clock(sla_clock& c, instant at) {
  if (c.state == clock_state::running || c.state == clock_state::paused) {
    c.state = clock_state::stopped;
    c.stopped_at = at;
  }
}

struct applier {
  ticket& t;
  const event& e;

  void operator()(const received_ev& ev) {
    t.origin = ev.a;
    t.category = ev.a.category;
    t.jurisdiction_id = ev.a.jurisdiction_id;
    t.community_id = ev.community_id;
    t.sev = ev.a.sev;
    t.via = ev.a.via;
    t.st = status::received;
    t.created_at = e.at;
  }
  void operator()(const triaged_ev& ev) {
    t.category = ev.category;
    t.jurisdiction_id = ev.jurisdiction_id;
    t.sev = ev.sev;
  }
  void operator()(const dispatched_ev& ev) {
    t.st = status::dispatched;
    t.lvl = ev.to;
    t.entry_level = ev.to;
    t.unit_id = ev.unit_id;
    t.prio = ev.prio;
    t.sla_policy = ev.sla_policy;
    t.rule_id = ev.rule_id;
    t.clocks = ev.clocks;
    t.accepted_at.reset();
    t.contacted_at.reset();
  }
  void operator()(const accepted_ev&) {
    t.st = status::accepted;
    t.accepted_at = e.at;
    stop_clock(t.clock(clock_kind::accept), e.at);
  }
  void operator()(const contacted_ev&) {
    if (!t.contacted_at) t.contacted_at = e.at;
    stop_clock(t.clock(clock_kind::contact), e.at);
  }
  void operator()(const noted_ev&) {}
  void operator()(const resolved_ev& ev) {
    t.st = status::resolved;
    t.resolved_at = e.at;
    stop_clock(t.clock(clock_kind::resolve), e.at);
    stop_clock(t.clock(clock_kind::accept), e.at);
    stop_clock(t.clock(clock_kind::contact), e.at);
    t.clock(clock_kind::verify) = ev.verify;
    t.verified = false;
  }
  void operator()(const verified_ev& ev) {
    t.verified = true;
    t.auto_close_at = ev.auto_close_at;
    stop_clock(t.clock(clock_kind::verify), e.at);
  }
  void operator()(const verification_failed_ev& ev) {
    t.st = status::accepted;
    t.resolved_at.reset();
    stop_clock(t.clock(clock_kind::verify), e.at);
    t.clock(clock_kind::verify) = sla_clock{};
    t.clock(clock_kind::resolve) = ev.resolve;
  }
  void operator()(const rated_ev& ev) { t.rating = ev.score; }
  void operator()(const closed_ev&) {
    t.st = status::closed;
    t.closed_at = e.at;
    t.auto_close_at.reset();
    for (auto& c : t.clocks) stop_clock(c, e.at);
  }
  void operator()(const escalated_ev& ev) {
    t.escalations.push_back({ev.from, ev.to, ev.reason, e.at, ev.unit_id});
    t.lvl = ev.to;
    t.unit_id = ev.unit_id;
    t.clocks = ev.clocks;
    t.st = status::dispatched;
    t.accepted_at.reset();
  }
  void operator()(const returned_ev&) {
    t.st = status::received;
    t.returns += 1;
    t.lvl.reset();
    t.unit_id.clear();
    t.clocks = clock_set{};
    t.accepted_at.reset();
  }
  void operator()(const suspended_ev& ev) {
    t.resume_to = t.st;
    t.st = status::suspended;
    t.clocks = ev.clocks;
  }
  void operator()(const resumed_ev& ev) {
    t.st = t.resume_to;
    t.resume_to = status::received;
    t.clocks = ev.clocks;
  }
  void operator()(const merged_ev& ev) {
    t.st = status::merged;
    t.merged_into = ev.into;
    for (auto& c : t.clocks) stop_clock(c, e.at);
  }
  void operator()(const absorbed_ev& ev) {
    t.merged_from.push_back(ev.from);
    t.joined.append(ev.appeals.begin(), ev.appeals.end());
  }
  void operator()(const cancelled_ev&) {
    t.st = status::cancelled;
    t.resume_to = status::received;  // a suspended ticket may be cancelled
    for (auto& c : t.clocks) stop_clock(c, e.at);
  }
  void operator()(const reopened_ev& ev) {
    t.st = status::dispatched;
    t.clocks = ev.clocks;
    t.closed_at.reset();
    t.resolved_at.reset();
    t.accepted_at.reset();
    t.rating.reset();
    t.verified = false;
  }
  void operator()(const appeal_joined_ev& ev) { t.joined.push_back(ev.a); }
  void operator()(const sla_at_risk_ev& ev) {
    auto& c = t.clock(ev.clock);
    c.warnings_fired = static_cast<std::uint8_t>(ev.ordinal + 1);
  }
  void operator()(const sla_breached_ev& ev) {
    auto& c = t.clock(ev.clock);
    c.breached = true;
    c.warnings_fired = static_cast<std::uint8_t>(c.warn_at.size());
  }
};

}  // namespace

ticket apply(ticket t, const event& e) {
  if (t.id.empty()) t.id = e.ticket_id;
  std::visit(applier{t, e}, e.body);
  t.version = e.seq;
  t.updated_at = e.at;
  return t;
}

ticket fold(const std::vector<event>& log) {
  ticket t;
  for (const auto& e : log) t = apply(std::move(t), e);
  return t;
}

}  // namespace doorstep
