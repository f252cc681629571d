// engine/domain/decide.cpp
// The state machine: one function per command, each checking the move is legal and
// emitting the events that describe it.
#include "domain/decide.h"

#include <algorithm>

#include "domain/utf8.h"

namespace doorstep {
namespace {

using events = std::vector<event>;

constexpr std::size_t kMaxTextBytes = 4000;
constexpr std::size_t kMaxSourceIdBytes = 400;  // schemas/v1: appeal source_id maxLength

error illegal(const ticket& t, std::string_view what) {
  return make_error("illegal_transition", std::string(what) + " is not allowed while the ticket is " +
                                              std::string(to_string(t.st)));
}

error missing(std::string field) {
  return make_error("missing_field", field + " is required", field);
}

// Checks a free-text field: valid UTF-8 and bounded.
std::optional<error> check_text(const std::string& text, const std::string& field, bool required) {
  if (required && text.empty()) return missing(field);
  if (!is_valid_utf8(text)) return make_error("invalid_field", field + " is not valid UTF-8", field);
  if (text.size() > kMaxTextBytes) {
    return make_error("invalid_field", field + " is longer than 4000 bytes", field);
  }
  return std::nullopt;
}

class decider {
 public:
  decider(const ticket& t, const command& c, instant now, const policy& p)
      : t_(t), c_(c), now_(now), p_(p) {}

  result<events> run() {
    if (c_.expected_version && *c_.expected_version != t_.version) {
      return make_error("stale_version", "ticket is at version " + std::to_string(t_.version) +
                                             ", not " + std::to_string(*c_.expected_version));
    }
    if (!t_.exists() && !std::holds_alternative<submit_cmd>(c_.body)) {
      return make_error("not_found", "ticket " + c_.ticket_id + " does not exist");
    }
    auto err = std::visit([this](const auto& body) { return on(body); }, c_.body);
    if (err) return std::move(*err);
    return std::move(out_);
  }

 private:
  using maybe_error = std::optional<error>;

  void emit(event_body body) {
    event e;
    e.ticket_id = t_.exists() ? t_.id : c_.ticket_id;
    e.seq = t_.version + out_.size() + 1;
    e.at = now_;
    e.by = c_.by;
    e.causation = c_.id;
    e.body = std::move(body);
    out_.push_back(std::move(e));
  }

  bool in(std::initializer_list<status> allowed) const {
    return std::find(allowed.begin(), allowed.end(), t_.st) != allowed.end();
  }

  clock_set fresh_clocks(const std::string& sla, bool contacted) const {
    clock_set cs{};
    cs[static_cast<std::size_t>(clock_kind::accept)] = p_.start_clock(sla, clock_kind::accept, now_);
    if (!contacted) {
      cs[static_cast<std::size_t>(clock_kind::contact)] = p_.start_clock(sla, clock_kind::contact, now_);
    } else {
      cs[static_cast<std::size_t>(clock_kind::contact)] = t_.clock(clock_kind::contact);
    }
    cs[static_cast<std::size_t>(clock_kind::resolve)] = p_.start_clock(sla, clock_kind::resolve, now_);
    return cs;
  }

  void emit_dispatch(const placement& pl) {
    dispatched_ev ev{pl.at, pl.unit_id, pl.prio, pl.sla_policy, pl.rule_id,
                     fresh_clocks(pl.sla_policy, false)};
    emit(std::move(ev));
  }

  // Escalates one level up (or further, skipping levels without a unit). Returns false
  // when already at the top of the ladder.
  bool emit_escalation(escalation_reason reason, std::string note) {
    if (!t_.lvl) return false;
    auto up = next_level(*t_.lvl);
    if (!up) return false;
    auto target = p_.unit_at_or_above(t_.jurisdiction_id, t_.category, *up);
    if (!target) return false;
    escalated_ev ev{*t_.lvl,         target->at, reason, target->unit_id, std::move(note),
                    fresh_clocks(t_.sla_policy, t_.contacted_at.has_value())};
    emit(std::move(ev));
    return true;
  }

  maybe_error on(const submit_cmd& c) {
    const appeal& a = c.a;
    if (a.category.empty()) return missing("category");
    if (a.jurisdiction_id.empty()) return missing("location.jurisdiction_id");
    if (auto e = check_text(a.description, "description", true)) return e;
    if (auto e = check_text(a.address, "location.address", false)) return e;
    if (auto e = check_text(a.resident.name, "resident.name", false)) return e;
    if (auto e = check_text(a.resident.phone, "resident.phone", false)) return e;
    if (a.source_id.size() > kMaxSourceIdBytes) {
      return make_error("invalid_field", "source_id is longer than 400 bytes", "source_id");
    }
    if (t_.exists()) return join(a);
    if (c_.ticket_id.empty()) return missing("ticket_id");
    auto community = p_.community_of(a.jurisdiction_id);
    if (!community) return community.err();
    auto pl = p_.route(a, now_);
    if (!pl) return pl.err();
    appeal stored = a;
    if (stored.reported_at == instant{}) stored.reported_at = now_;
    emit(received_ev{std::move(stored), *community});
    emit_dispatch(*pl);
    return std::nullopt;
  }

  maybe_error join(const appeal& a) {
    if (is_terminal(t_.st)) return illegal(t_, "joining an appeal");
    appeal stored = a;
    if (stored.reported_at == instant{}) stored.reported_at = now_;
    emit(appeal_joined_ev{std::move(stored)});
    const auto joins = t_.joined.size() + 1;
    if (joins == p_.hot_spot_joins() && in({status::dispatched, status::accepted})) {
      emit_escalation(escalation_reason::repeat_reports,
                      std::to_string(joins) + " residents reported the same problem");
    }
    return std::nullopt;
  }

  maybe_error on(const triage_cmd& c) {
    if (t_.st != status::received) return illegal(t_, "triage");
    appeal a = t_.origin;
    a.category = c.category.value_or(t_.category);
    a.jurisdiction_id = c.jurisdiction_id.value_or(t_.jurisdiction_id);
    a.sev = c.sev.value_or(t_.sev);
    auto community = p_.community_of(a.jurisdiction_id);
    if (!community) return community.err();
    if (*community != t_.community_id) {
      return make_error("cross_community", "a ticket cannot move to another community",
                        "jurisdiction_id");
    }
    auto pl = p_.route(a, now_);
    if (!pl) return pl.err();
    emit(triaged_ev{a.category, a.jurisdiction_id, a.sev});
    emit_dispatch(*pl);
    return std::nullopt;
  }

  maybe_error on(const dispatch_cmd& c) {
    if (t_.st != status::received) return illegal(t_, "dispatch");
    auto target = p_.unit_at_or_above(t_.jurisdiction_id, t_.category, c.to);
    if (!c.unit_id.empty()) {
      if (!p_.unit_serves(c.unit_id, c.to, t_.jurisdiction_id)) {
        return make_error("unknown_unit", "unit " + c.unit_id + " does not serve this place at level " +
                                              std::string(to_string(c.to)),
                          "unit_id");
      }
      target = placement{c.to, c.unit_id, {}, {}, {}};
    }
    if (!target) return make_error("unknown_unit", "no unit at or above this level", "level");
    appeal current = t_.origin;
    current.category = t_.category;
    current.jurisdiction_id = t_.jurisdiction_id;
    current.sev = t_.sev;
    auto routed = p_.route(current, now_);
    if (!routed) return routed.err();
    placement pl = *routed;
    pl.at = target->at;
    pl.unit_id = target->unit_id;
    pl.rule_id = "manual";
    emit_dispatch(pl);
    return std::nullopt;
  }

  maybe_error on(const accept_cmd&) {
    if (t_.st != status::dispatched) return illegal(t_, "accept");
    emit(accepted_ev{});
    return std::nullopt;
  }

  maybe_error on(const contact_cmd& c) {
    if (!in({status::dispatched, status::accepted})) return illegal(t_, "contact");
    if (auto e = check_text(c.note, "note", false)) return e;
    emit(contacted_ev{c.note});
    return std::nullopt;
  }

  maybe_error on(const note_cmd& c) {
    if (is_terminal(t_.st)) return illegal(t_, "note");
    if (auto e = check_text(c.text, "note", true)) return e;
    emit(noted_ev{c.text});
    return std::nullopt;
  }

  maybe_error on(const resolve_cmd& c) {
    if (t_.st != status::accepted) return illegal(t_, "resolve");
    if (auto e = check_text(c.note, "note", false)) return e;
    emit(resolved_ev{c.note, p_.start_clock(t_.sla_policy, clock_kind::verify, now_)});
    return std::nullopt;
  }

  maybe_error on(const verify_cmd& c) {
    if (t_.st != status::resolved || t_.verified) return illegal(t_, "verify");
    if (auto e = check_text(c.note, "note", false)) return e;
    if (c.passed) {
      emit(verified_ev{c.note, now_ + p_.terms(t_.sla_policy).rating_window});
    } else {
      emit(verification_failed_ev{c.note, p_.start_clock(t_.sla_policy, clock_kind::resolve, now_)});
    }
    return std::nullopt;
  }

  maybe_error on(const rate_cmd& c) {
    if (t_.st != status::resolved) return illegal(t_, "rate");
    if (!t_.verified) return make_error("not_verified", "the result must be verified before rating");
    if (c.score < 1 || c.score > 5) {
      return make_error("invalid_field", "score must be an integer from 1 to 5", "score");
    }
    if (auto e = check_text(c.comment, "comment", false)) return e;
    emit(rated_ev{c.score, c.comment});
    emit(closed_ev{"rated"});
    return std::nullopt;
  }

  maybe_error on(const escalate_cmd& c) {
    if (!in({status::dispatched, status::accepted})) return illegal(t_, "escalate");
    if (c.reason != escalation_reason::handler_request && c.reason != escalation_reason::supervisor &&
        c.reason != escalation_reason::severity) {
      return make_error("invalid_field",
                        "reason must be handler_request, supervisor or severity; the engine raises "
                        "the others itself",
                        "reason");
    }
    if (auto e = check_text(c.note, "note", false)) return e;
    if (!emit_escalation(c.reason, c.note)) {
      return make_error("top_of_ladder", "there is no unit above " +
                                             std::string(to_string(t_.lvl.value_or(level::department))));
    }
    return std::nullopt;
  }

  maybe_error on(const return_cmd& c) {
    if (!in({status::dispatched, status::accepted})) return illegal(t_, "return");
    if (auto e = check_text(c.reason, "reason", true)) return e;
    if (t_.returns >= p_.max_returns()) {
      return make_error("return_limit", "the ticket was already returned " + std::to_string(t_.returns) +
                                            " times; a supervisor must dispatch it");
    }
    emit(returned_ev{c.reason});
    return std::nullopt;
  }

  maybe_error on(const suspend_cmd& c) {
    if (!in({status::dispatched, status::accepted})) return illegal(t_, "suspend");
    if (auto e = check_text(c.reason, "reason", true)) return e;
    clock_set cs = t_.clocks;
    for (auto& clk : cs) {
      if (clk.state == clock_state::running) clk = p_.pause_clock(t_.sla_policy, clk, now_);
    }
    emit(suspended_ev{c.reason, cs});
    return std::nullopt;
  }

  maybe_error on(const resume_cmd&) {
    if (t_.st != status::suspended) return illegal(t_, "resume");
    clock_set cs = t_.clocks;
    for (auto& clk : cs) {
      if (clk.state == clock_state::paused) clk = p_.resume_clock(t_.sla_policy, clk, now_);
    }
    emit(resumed_ev{cs});
    return std::nullopt;
  }

  maybe_error on(const merge_cmd& c) {
    if (!in({status::received, status::dispatched, status::accepted})) return illegal(t_, "merge");
    if (c.into.empty()) return missing("into");
    if (c.into == t_.id) return make_error("invalid_field", "a ticket cannot merge into itself", "into");
    emit(merged_ev{c.into});
    return std::nullopt;
  }

  maybe_error on(const absorb_cmd& c) {
    if (is_terminal(t_.st)) return illegal(t_, "merging a duplicate into");
    emit(absorbed_ev{c.from, c.appeals});
    // Absorbed appeals count as joins: crossing the hot-spot threshold escalates.
    const auto before = t_.joined.size();
    const auto after = before + c.appeals.size();
    if (before < p_.hot_spot_joins() && after >= p_.hot_spot_joins() && in({status::dispatched, status::accepted})) {
      const ticket absorbed = apply(t_, out_.back());
      decider up(absorbed, c_, now_, p_);
      if (up.emit_escalation(escalation_reason::repeat_reports, std::to_string(after) + " residents reported the same problem")) {
        out_.push_back(std::move(up.out_.back()));
      }
    }
    return std::nullopt;
  }

  maybe_error on(const cancel_cmd& c) {
    if (is_terminal(t_.st) || t_.st == status::resolved) return illegal(t_, "cancel");
    if (auto e = check_text(c.reason, "reason", true)) return e;
    emit(cancelled_ev{c.reason});
    return std::nullopt;
  }

  maybe_error on(const reopen_cmd& c) {
    if (t_.st != status::closed) return illegal(t_, "reopen");
    if (auto e = check_text(c.reason, "reason", true)) return e;
    const auto terms = p_.terms(t_.sla_policy);
    if (!t_.closed_at || now_ > *t_.closed_at + terms.feedback_window) {
      return make_error("feedback_window_closed", "the ticket can no longer be reopened");
    }
    emit(reopened_ev{c.reason, fresh_clocks(t_.sla_policy, false)});
    if (terms.reopen_escalates) {
      // The reopened ticket is dispatched at its old level; apply the escalation on top.
      const ticket reopened = apply(t_, out_.back());
      decider up(reopened, c_, now_, p_);
      if (up.emit_escalation(escalation_reason::dissatisfied, c.reason)) out_.push_back(std::move(up.out_.back()));
    }
    return std::nullopt;
  }

  maybe_error on(const timer_fired_cmd& c) {
    const auto pending = pending_timers(t_);
    if (std::find(pending.begin(), pending.end(), c.timer) == pending.end()) {
      return make_error("stale_timer", "the timer is no longer pending");
    }
    switch (c.timer.kind) {
      case timer_kind::warning:
        emit(sla_at_risk_ev{c.timer.clock, c.timer.ordinal, t_.clock(c.timer.clock).due});
        break;
      case timer_kind::breach: {
        emit(sla_breached_ev{c.timer.clock, t_.clock(c.timer.clock).due});
        const auto terms = p_.terms(t_.sla_policy);
        if (terms.escalate_on_breach[static_cast<std::size_t>(c.timer.clock)] &&
            in({status::dispatched, status::accepted})) {
          const bool response = c.timer.clock == clock_kind::accept || c.timer.clock == clock_kind::contact;
          emit_escalation(response ? escalation_reason::accept_overdue : escalation_reason::resolve_overdue,
                          std::string(to_string(c.timer.clock)) + " deadline passed");
        }
        break;
      }
      case timer_kind::auto_close:
        emit(closed_ev{"unrated"});
        break;
    }
    return std::nullopt;
  }

  const ticket& t_;
  const command& c_;
  instant now_;
  const policy& p_;
  events out_;
};

}  // namespace

bool may_move(status from, status to) {
  using s = status;
  switch (from) {
    case s::received:
      return to == s::dispatched || to == s::cancelled || to == s::merged;
    case s::dispatched:
      return to == s::accepted || to == s::dispatched || to == s::received || to == s::suspended ||
             to == s::cancelled || to == s::merged;
    case s::accepted:
      return to == s::resolved || to == s::dispatched || to == s::received || to == s::suspended ||
             to == s::cancelled || to == s::merged;
    case s::resolved:
      return to == s::closed || to == s::accepted;
    case s::suspended:
      return to == s::dispatched || to == s::accepted || to == s::cancelled;
    case s::closed:
      return to == s::dispatched;
    case s::merged:
    case s::cancelled:
      return false;
  }
  return false;
}

result<events> decide(const ticket& t, const command& c, instant now, const policy& p) {
  return decider(t, c, now, p).run();
}

}  // namespace doorstep
