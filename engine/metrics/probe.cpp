#include "metrics/probe.h"

#include <prometheus/text_serializer.h>

#include <algorithm>
#include <charconv>
#include <sstream>

#include "domain/decide.h"

namespace doorstep::metrics {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

prometheus::Histogram::BucketBoundaries latency_buckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
}

std::string s(std::string_view v) { return std::string(v); }

}  // namespace

engine_probe::engine_probe(prometheus::Registry& r, street_resolver street_of)
    : commands_(BuildCounter().Name("doorstep_commands_total").Help("Commands processed, by command and outcome").Register(r)),
      command_seconds_(BuildHistogram().Name("doorstep_command_duration_seconds").Help("From a command being queued to the end of its group commit, by command").Register(r)),
      appeals_(BuildCounter().Name("doorstep_appeals_received_total").Help("Appeals received, by channel and category").Register(r)),
      joined_(BuildCounter().Name("doorstep_appeals_joined_total").Help("Appeals that joined an open ticket (duplicates)").Register(r).Add({})),
      escalations_(BuildCounter().Name("doorstep_escalations_total").Help("Escalations by from level, to level and reason").Register(r)),
      at_risk_(BuildCounter().Name("doorstep_sla_at_risk_total").Help("SLA at-risk warnings, by clock and level").Register(r)),
      breaches_(BuildCounter().Name("doorstep_sla_breaches_total").Help("SLA breaches, by clock and level").Register(r)),
      ratings_(BuildCounter().Name("doorstep_ratings_total").Help("Resident ratings, by score 1..5 and street").Register(r)),
      transitions_(BuildCounter().Name("doorstep_ticket_transitions_total").Help("Events committed, by event type").Register(r)),
      commit_size_(BuildHistogram().Name("doorstep_group_commit_commands").Help("Commands per group commit").Register(r).Add(
          {}, prometheus::Histogram::BucketBoundaries{1, 2, 4, 8, 16, 32, 64, 128, 256, 512})),
      commit_seconds_(BuildHistogram().Name("doorstep_group_commit_duration_seconds").Help("Time to decide and commit one group").Register(r).Add(
          {}, latency_buckets())),
      commit_bytes_(BuildHistogram().Name("doorstep_store_write_bytes").Help("Bytes of each group commit's RocksDB write batch").Register(r).Add(
          {}, prometheus::Histogram::BucketBoundaries{1024, 4096, 16384, 65536, 262144, 1048576, 4194304})),
      timer_lag_(BuildHistogram().Name("doorstep_timer_firing_lag_seconds").Help("How late deadlines fire after they are due").Register(r).Add(
          {}, latency_buckets())),
      timer_backlog_(BuildGauge().Name("doorstep_timer_backlog").Help("Deadline timers due and not fired yet").Register(r).Add({})),
      timer_backlog_age_(BuildGauge().Name("doorstep_timer_backlog_age_seconds").Help("How long the oldest unfired due timer has been due").Register(r).Add({})),
      tickets_(BuildGauge().Name("doorstep_tickets").Help("Tickets by current status and level").Register(r)),
      street_tickets_(BuildGauge().Name("doorstep_street_tickets").Help("Tickets by street and current status").Register(r)),
      sla_outcomes_(BuildCounter().Name("doorstep_sla_outcomes_total").Help("SLA clock runs that ended met or breached, by clock and street").Register(r)),
      clocks_(BuildGauge().Name("doorstep_sla_clocks").Help("Running SLA clocks that are at risk or breached, by clock and level").Register(r)),
      to_accept_(BuildHistogram().Name("doorstep_time_to_accept_seconds").Help("From dispatch to acceptance, by level").Register(r)),
      to_contact_(BuildHistogram().Name("doorstep_time_to_contact_seconds").Help("From dispatch to first contact, by level").Register(r)),
      to_resolve_(BuildHistogram().Name("doorstep_time_to_resolve_seconds").Help("From receipt to resolution, by level").Register(r)),
      street_of_(std::move(street_of)) {}

namespace {
prometheus::Histogram::BucketBoundaries span_buckets() {
  // 5 minutes .. 30 days
  return {300, 900, 1800, 3600, 7200, 14400, 28800, 86400, 172800, 259200, 604800, 1296000, 2592000};
}
}  // namespace

std::string engine_probe::street(const std::string& jurisdiction_id) const {
  std::string id = street_of_ ? street_of_(jurisdiction_id) : std::string{};
  return id.empty() ? "none" : id;
}

namespace {
std::size_t level_slot(const std::optional<level>& l) { return l ? static_cast<std::size_t>(*l) + 1 : 0; }
std::string level_label(const std::optional<level>& l) { return std::string(l ? to_string(*l) : "none"); }
std::string_view result_label(command_result r) {
  switch (r) {
    case command_result::ok: return "ok";
    case command_result::rejected: return "rejected";
    case command_result::replayed: return "replayed";
  }
  return "ok";
}
}  // namespace

// The caller holds places_mu_. Entries are never erased, and only their gauge pointers
// change (under the lock), so a street read through one stays valid.
engine_probe::place_metrics& engine_probe::place_locked(const std::string& jurisdiction_id) {
  auto it = places_.find(jurisdiction_id);
  if (it == places_.end()) it = places_.emplace(jurisdiction_id, place_metrics{street(jurisdiction_id), {}}).first;
  return it->second;
}

const std::string& engine_probe::street_of_place(const std::string& jurisdiction_id) {
  std::lock_guard lock(places_mu_);
  return place_locked(jurisdiction_id).street;
}

prometheus::Gauge& engine_probe::street_tickets(const std::string& jurisdiction_id, status st) {
  std::lock_guard lock(places_mu_);
  auto& where = place_locked(jurisdiction_id);
  auto& g = where.tickets[static_cast<std::size_t>(st)];
  if (g == nullptr) g = &street_tickets_.Add({{"status", s(to_string(st))}, {"street", where.street}});
  return *g;
}

prometheus::Counter& engine_probe::appeals(channel via, const std::string& category) {
  std::lock_guard lock(categories_mu_);
  auto it = categories_.find(category);
  if (it == categories_.end()) it = categories_.emplace(category, std::array<prometheus::Counter*, kAllChannels.size()>{}).first;
  auto& c = it->second[static_cast<std::size_t>(via)];
  if (c == nullptr) c = &appeals_.Add({{"channel", s(to_string(via))}, {"category", category}});
  return *c;
}

void engine_probe::count(const ticket& t, double delta) {
  if (!t.exists()) return;
  const auto st = static_cast<std::size_t>(t.st);
  const auto lvl = level_slot(t.lvl);
  ticket_gauges_
      .get(st * kLevelSlots + lvl,
           [&]() -> prometheus::Gauge& { return tickets_.Add({{"status", s(to_string(t.st))}, {"level", level_label(t.lvl)}}); })
      .Increment(delta);
  street_tickets(t.jurisdiction_id, t.st).Increment(delta);
  for (auto k : kAllClocks) {
    const auto& c = t.clock(k);
    if (c.state != clock_state::running) continue;
    const char* state = c.breached ? "breached" : c.at_risk() ? "at_risk" : nullptr;
    if (!state) continue;
    const auto slot = (static_cast<std::size_t>(k) * kLevelSlots + lvl) * 2 + (c.breached ? 1 : 0);
    clock_gauges_
        .get(slot,
             [&]() -> prometheus::Gauge& {
               return clocks_.Add({{"clock", s(to_string(k))}, {"level", level_label(t.lvl)}, {"state", state}});
             })
        .Increment(delta);
  }
}

void engine_probe::row_loader::add(const store::worklist_row_view& r) {
  const auto st = static_cast<std::size_t>(r.st);
  ++by_level_[r.lvl][st];
  auto place = by_place_.find(r.jurisdiction_id);
  if (place == by_place_.end()) place = by_place_.emplace(std::string(r.jurisdiction_id), statuses{}).first;
  ++place->second[st];
  for (std::size_t i = 0; i < kClockCount; ++i) {
    const auto& c = r.clocks[i];
    if (c.state == clock_state::running && (c.breached || c.warned)) ++clocks_[{i, r.lvl, c.breached}];
  }
}

void engine_probe::row_loader::finish() {
  for (const auto& [lvl, counts] : by_level_) {
    for (std::size_t i = 0; i < counts.size(); ++i) {
      if (counts[i] != 0) probe_.tickets_.Add({{"status", s(to_string(kAllStatuses[i]))}, {"level", level_label(lvl)}}).Increment(counts[i]);
    }
  }
  for (const auto& [place, counts] : by_place_) {
    const auto where = probe_.street(place);
    for (std::size_t i = 0; i < counts.size(); ++i) {
      if (counts[i] != 0) probe_.street_tickets_.Add({{"status", s(to_string(kAllStatuses[i]))}, {"street", where}}).Increment(counts[i]);
    }
  }
  for (const auto& [key, n] : clocks_) {
    const auto& [clock, lvl, breached] = key;
    probe_.clocks_.Add({{"clock", s(to_string(kAllClocks[clock]))}, {"level", level_label(lvl)}, {"state", breached ? "breached" : "at_risk"}})
        .Increment(n);
  }
  by_level_.clear();
  by_place_.clear();
  clocks_.clear();
}

void engine_probe::changed(const ticket& before, const std::vector<doorstep::event>& events, const ticket& after) {
  count(before, -1);
  count(after, 1);
  const std::string& where = street_of_place(after.jurisdiction_id);
  count_outcomes(before, events, where);
  const std::string lvl = level_label(before.lvl);
  for (const auto& e : events) {
    if (const auto* rt = std::get_if<rated_ev>(&e.body)) {
      ratings_.Add({{"score", std::to_string(rt->score)}, {"street", where}}).Increment();
    }
    const auto seconds = [&](instant from) { return std::chrono::duration<double>(e.at - from).count(); };
    if (std::holds_alternative<accepted_ev>(e.body)) {
      to_accept_.Add({{"level", lvl}}, span_buckets()).Observe(seconds(before.clock(clock_kind::accept).started));
    } else if (std::holds_alternative<contacted_ev>(e.body) && !before.contacted_at) {
      to_contact_.Add({{"level", lvl}}, span_buckets()).Observe(seconds(before.clock(clock_kind::contact).started));
    } else if (std::holds_alternative<resolved_ev>(e.body)) {
      to_resolve_.Add({{"level", lvl}}, span_buckets()).Observe(seconds(before.created_at));
    }
  }
}

void engine_probe::command(const command_body& body, command_result result, double seconds) {
  const auto i = body.index();
  command_counts_
      .get(i * 3 + static_cast<std::size_t>(result),
           [&]() -> prometheus::Counter& {
             return commands_.Add({{"command", s(command_name(body))}, {"outcome", s(result_label(result))}});
           })
      .Increment();
  command_durations_
      .get(i, [&]() -> prometheus::Histogram& { return command_seconds_.Add({{"command", s(command_name(body))}}, latency_buckets()); })
      .Observe(seconds);
}

void engine_probe::committed(const doorstep::event& e, std::optional<level> at) {
  transition_counts_
      .get(e.body.index(), [&]() -> prometheus::Counter& { return transitions_.Add({{"type", s(event_type(e.body))}}); })
      .Increment();
  const auto clock_slot = [&](clock_kind k) { return static_cast<std::size_t>(k) * kLevelSlots + level_slot(at); };
  if (const auto* r = std::get_if<received_ev>(&e.body)) {
    appeals(r->a.via, r->a.category).Increment();
  } else if (const auto* j = std::get_if<appeal_joined_ev>(&e.body)) {
    appeals(j->a.via, j->a.category).Increment();
    joined_.Increment();
  } else if (const auto* x = std::get_if<escalated_ev>(&e.body)) {
    escalations_.Add({{"from", s(to_string(x->from))}, {"to", s(to_string(x->to))}, {"reason", s(to_string(x->reason))}})
        .Increment();
  } else if (const auto* w = std::get_if<sla_at_risk_ev>(&e.body)) {
    at_risk_counts_
        .get(clock_slot(w->clock),
             [&]() -> prometheus::Counter& { return at_risk_.Add({{"clock", s(to_string(w->clock))}, {"level", level_label(at)}}); })
        .Increment();
  } else if (const auto* b = std::get_if<sla_breached_ev>(&e.body)) {
    breach_counts_
        .get(clock_slot(b->clock),
             [&]() -> prometheus::Counter& { return breaches_.Add({{"clock", s(to_string(b->clock))}, {"level", level_label(at)}}); })
        .Increment();
  }
}

// Each run of an SLA clock counts once: `breached` when its breach fires (or when it is
// stopped after its due instant before the breach timer ran), `met` when the step it
// times (accept, first contact, resolve, verification) happens in time. Runs that end
// otherwise (escalated, returned, suspended into a new run, merged, cancelled, or
// stopped by a later step) are not counted.
void engine_probe::count_outcomes(const ticket& before, const std::vector<doorstep::event>& events,
                                  const std::string& where) {
  const auto ends_a_run = [](const doorstep::event& e) {
    return std::holds_alternative<accepted_ev>(e.body) || std::holds_alternative<contacted_ev>(e.body) ||
           std::holds_alternative<resolved_ev>(e.body) || std::holds_alternative<verified_ev>(e.body) ||
           std::holds_alternative<verification_failed_ev>(e.body) || std::holds_alternative<sla_breached_ev>(e.body);
  };
  // Most commands (every new appeal) end no run: no copy of the ticket to replay them on.
  if (std::none_of(events.begin(), events.end(), ends_a_run)) return;
  const auto outcome = [&](clock_kind k, const char* what) {
    sla_outcomes_.Add({{"clock", s(to_string(k))}, {"outcome", what}, {"street", where}}).Increment();
  };
  ticket cur = before;
  for (const auto& e : events) {
    const auto ends = [&](clock_kind k) {
      const auto& c = cur.clock(k);
      if (c.state != clock_state::running || c.breached) return;
      outcome(k, e.at <= c.due ? "met" : "breached");
    };
    if (std::holds_alternative<accepted_ev>(e.body)) {
      ends(clock_kind::accept);
    } else if (std::holds_alternative<contacted_ev>(e.body)) {
      ends(clock_kind::contact);
    } else if (std::holds_alternative<resolved_ev>(e.body)) {
      ends(clock_kind::resolve);
    } else if (std::holds_alternative<verified_ev>(e.body) || std::holds_alternative<verification_failed_ev>(e.body)) {
      ends(clock_kind::verify);
    } else if (const auto* b = std::get_if<sla_breached_ev>(&e.body); b && !cur.clock(b->clock).breached) {
      outcome(b->clock, "breached");
    }
    cur = apply(std::move(cur), e);
  }
}

void engine_probe::group_commit(std::size_t commands, double seconds, std::size_t bytes) {
  commit_size_.Observe(static_cast<double>(commands));
  commit_seconds_.Observe(seconds);
  if (bytes > 0) commit_bytes_.Observe(static_cast<double>(bytes));
}

void engine_probe::timer_fired(double lag_seconds) { timer_lag_.Observe(lag_seconds); }

void engine_probe::timer_backlog(std::size_t due, double oldest_seconds) {
  timer_backlog_.Set(static_cast<double>(due));
  timer_backlog_age_.Set(oldest_seconds);
}

http_probe::http_probe(prometheus::Registry& r)
    : requests_(BuildCounter().Name("doorstep_http_requests_total").Help("HTTP requests by route and status code").Register(r)),
      latency_(BuildHistogram().Name("doorstep_http_request_duration_seconds").Help("HTTP request latency by route").Register(r)),
      requests_by_(requests_, {"route", "code"}),
      latency_by_(latency_, {"route"},
                  [](auto& family, const prometheus::Labels& labels) -> prometheus::Histogram& {
                    return family.Add(labels, latency_buckets());
                  }) {}

void http_probe::request(std::string_view route, unsigned status, double seconds) {
  char code[12];
  const auto end = std::to_chars(code, code + sizeof code, status).ptr;
  requests_by_.at({route, std::string_view(code, static_cast<std::size_t>(end - code))}).Increment();
  latency_by_.at({route}).Observe(seconds);
}

registry::registry() : registry_(std::make_shared<prometheus::Registry>()) {
  BuildGauge().Name("doorstep_build_info").Help("Build information").Register(*registry_).Add({{"version", "0.1.0"}}).Set(1);
}

void registry::on_scrape(std::function<void()> refresh) {
  std::lock_guard lock(mu_);
  refresh_.push_back(std::move(refresh));
}

std::string registry::scrape() const {
  std::lock_guard lock(mu_);
  for (const auto& refresh : refresh_) refresh();
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, registry_->Collect());
  return out.str();
}

}  // namespace doorstep::metrics
