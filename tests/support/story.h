// tests/support/story.h
// One ticket driven through decide() and apply() on the demo policy, keeping its log:
// the fixture the state-machine tests tell their stories with. Header-only.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "domain/decide.h"
#include "support/test_support.h"

namespace doorstep::testing {

// The wire names of events, in order ("received", "dispatched", ...).
inline std::vector<std::string> types(const std::vector<event>& evs) {
  std::vector<std::string> out;
  for (const auto& e : evs) out.emplace_back(event_type(e.body));
  return out;
}

class story {
 public:
  story(const std::string& place, const std::string& category, instant start,
        const std::string& description = "楼下垃圾桶满了没人清运", std::string id = "T-story")
      : id_(std::move(id)), now_(start) {
    auto c = submit(place, category, "src-" + place + "-" + category, description);
    c.ticket_id = id_;
    last_ = run(c);
  }

  const ticket& t() const { return t_; }
  const std::vector<event>& log() const { return log_; }
  const std::vector<event>& last() const { return last_; }
  instant now() const { return now_; }
  void advance(duration d) { now_ += d; }
  void set_now(instant t) { now_ = t; }

  // Runs a command that must succeed; returns its events.
  std::vector<event> ok(command_body body) {
    last_ = run(action(id_, std::move(body)));
    return last_;
  }

  // Runs a command that must be rejected; returns the error.
  error fails(command_body body) {
    auto r = decide(t_, action(id_, std::move(body)), now_, policy());
    EXPECT_FALSE(r.ok()) << "expected a rejection";
    return r.ok() ? error{} : r.err();
  }

  // Fires the next pending timer at its own instant.
  std::vector<event> fire_next() {
    const auto pending = pending_timers(t_);
    EXPECT_FALSE(pending.empty());
    if (pending.empty()) return {};
    now_ = pending.front().at;
    return ok(timer_fired_cmd{pending.front()});
  }

  std::vector<event> run(const command& c) {
    auto r = decide(t_, c, now_, policy());
    EXPECT_TRUE(r.ok()) << command_name(c.body) << ": " << (r.ok() ? "" : r.err().code + " " + r.err().message);
    if (!r.ok()) return {};
    for (const auto& e : *r) {
      t_ = apply(t_, e);
      log_.push_back(e);
    }
    return *r;
  }

 private:
  static const doorstep::policy& policy() { return *demo_config().rules; }

  std::string id_;
  ticket t_;
  std::vector<event> log_;
  std::vector<event> last_;
  instant now_;
};

}  // namespace doorstep::testing
