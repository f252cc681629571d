// Decide + apply per command: the pure state machine on the demo policy, one command on
// a ticket in the state where that command is legal (what a partition does per command
// before staging). Includes copying the ticket, as partition::decide_and_stage does.
#include <benchmark/benchmark.h>

#include "micro_support.h"

namespace doorstep::bench {
namespace {

const std::string kId = "T20260302-000-000001";

struct scenario {
  const char* name;
  ticket before;
  command cmd;
  instant now;
};

std::vector<scenario> scenarios() {
  const instant t0 = local(2026, 3, 2, 9);  // a Monday morning
  const instant later = t0 + std::chrono::minutes(20);
  const auto submit = sample_submit(kId);
  ticket dispatched = step(ticket{}, submit, t0);
  ticket accepted = step(dispatched, action(kId, accept_cmd{}), later);
  ticket contacted = step(accepted, action(kId, contact_cmd{"已电话联系居民"}), later);
  ticket resolved = step(contacted, action(kId, resolve_cmd{"已处理完毕"}), later);
  ticket verified = step(resolved, action(kId, verify_cmd{true, "网格员现场核查"}), later);
  ticket suspended = step(accepted, action(kId, suspend_cmd{"等待物业维修配件"}), later);
  command join = sample_submit(kId);
  std::get<submit_cmd>(join.body).a.source_id = "a-join";
  const auto first_timer = pending_timers(dispatched).front();
  return {
      {"submit", ticket{}, submit, t0},
      {"join", dispatched, join, later},
      {"accept", dispatched, action(kId, accept_cmd{}), later},
      {"contact", accepted, action(kId, contact_cmd{"已电话联系居民"}), later},
      {"resolve", contacted, action(kId, resolve_cmd{"已处理完毕"}), later},
      {"verify", resolved, action(kId, verify_cmd{true, "网格员现场核查"}), later},
      {"rate", verified, action(kId, rate_cmd{5, "满意"}), later},
      {"escalate", dispatched, action(kId, escalate_cmd{escalation_reason::handler_request, "需要街道协调"}), later},
      {"suspend", accepted, action(kId, suspend_cmd{"等待物业维修配件"}), later},
      {"resume", suspended, action(kId, resume_cmd{}), later + std::chrono::hours(30)},
      {"timer_fired", dispatched, action(kId, timer_fired_cmd{first_timer}), first_timer.at},
  };
}

void decide_apply(benchmark::State& state, const scenario& s) {
  const auto& policy = rules();
  for (auto _ : state) {
    auto events = decide(s.before, s.cmd, s.now, policy);
    ticket after = s.before;
    for (const auto& e : *events) after = apply(std::move(after), e);
    benchmark::DoNotOptimize(after);
  }
  state.SetItemsProcessed(state.iterations());
}

const bool registered = [] {
  for (const auto& s : scenarios()) {
    benchmark::RegisterBenchmark(("domain/decide_apply/" + std::string(s.name)).c_str(),
                                 [s](benchmark::State& st) { decide_apply(st, s); });
  }
  return true;
}();

}  // namespace
}  // namespace doorstep::bench
