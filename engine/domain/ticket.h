// engine/domain/ticket.h
// A ticket's state: the fold of its events (see apply.h). Plain data, copyable.
#pragma once

#include <boost/iterator/indirect_iterator.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "domain/time.h"
#include "domain/types.h"

namespace doorstep {

struct resident_info {
  std::string name;
  std::string phone;
  bool operator==(const resident_info&) const = default;
};

// One appeal as a resident raised it. The first appeal creates a ticket; duplicates
// join it and are kept alongside.
struct appeal {
  channel via = channel::hotline;
  std::string category;
  severity sev = severity::normal;
  std::string description;      // UTF-8, usually Chinese
  std::string jurisdiction_id;  // the place: building, compound, grid or community node
  std::string address;          // free text, optional
  resident_info resident;
  std::string source_id;        // idempotency id of the source (HTTP key, Kafka id, file line)
  instant reported_at{};
  bool operator==(const appeal&) const = default;
};

// The appeals that joined a ticket, oldest first: a value (copies compare and read as
// vectors of appeals do) whose appeals are shared, never copied, between the versions
// of a ticket. Every command copies its ticket to apply its events, and a hot spot's
// ticket holds hundreds of joined appeals: copying them each time was the largest
// part of a join's own cost. Appeals are only ever added, at the end.
class appeal_list {
  using items = std::vector<std::shared_ptr<const appeal>>;

 public:
  using value_type = appeal;
  using const_iterator = boost::indirect_iterator<items::const_iterator>;
  using iterator = const_iterator;

  std::size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  const appeal& operator[](std::size_t i) const { return *items_[i]; }
  const appeal& front() const { return *items_.front(); }
  const appeal& back() const { return *items_.back(); }
  const_iterator begin() const { return const_iterator(items_.begin()); }
  const_iterator end() const { return const_iterator(items_.end()); }

  void reserve(std::size_t n) { items_.reserve(n); }
  void push_back(appeal a) { items_.push_back(std::make_shared<const appeal>(std::move(a))); }
  template <class It>
  void append(It first, It last) {
    for (; first != last; ++first) push_back(*first);
  }
  void clear() { items_.clear(); }

  bool operator==(const appeal_list& o) const {
    return std::equal(items_.begin(), items_.end(), o.items_.begin(), o.items_.end(),
                      [](const auto& a, const auto& b) { return a == b || *a == *b; });
  }

 private:
  items items_;
};

enum class clock_state : std::uint8_t { idle, running, paused, stopped };

// One SLA clock. `target` is measured in working time on the policy's calendar, or in
// plain time when `continuous`. All instants are precomputed by the policy so that
// apply() never needs a calendar.
struct sla_clock {
  clock_state state = clock_state::idle;
  bool continuous = false;
  duration target{0};
  instant started{};
  instant due{};
  std::vector<instant> warn_at;  // ascending at-risk instants still relevant to `due`
  std::uint8_t warnings_fired = 0;
  bool breached = false;
  duration remaining{0};   // while paused: time left until due
  instant stopped_at{};    // when stopped (met or late)
  bool operator==(const sla_clock&) const = default;

  bool active() const { return state == clock_state::running; }
  bool at_risk() const { return warnings_fired > 0 && !breached; }
};
using clock_set = std::array<sla_clock, kClockCount>;

struct escalation_record {
  level from = level::building;
  level to = level::building;
  escalation_reason reason = escalation_reason::supervisor;
  instant at{};
  std::string unit_id;
  bool operator==(const escalation_record&) const = default;
};

struct ticket {
  std::string id;
  std::uint64_t version = 0;  // number of events folded; 0 = does not exist
  status st = status::received;
  status resume_to = status::received;  // where resume goes back to (while suspended)

  // Classification.
  std::string category;
  std::string jurisdiction_id;
  std::string community_id;
  severity sev = severity::normal;
  channel via = channel::hotline;
  appeal origin;                   // the appeal that created the ticket
  appeal_list joined;              // duplicates that joined it, oldest first

  // Placement on the ladder.
  std::optional<level> lvl;
  std::string unit_id;
  priority prio = priority::normal;
  std::string sla_policy;
  std::string rule_id;
  level entry_level = level::building;

  clock_set clocks{};
  std::vector<escalation_record> escalations;
  std::uint32_t returns = 0;
  std::optional<int> rating;
  bool verified = false;
  std::string merged_into;
  std::vector<std::string> merged_from;

  instant created_at{};
  instant updated_at{};
  std::optional<instant> accepted_at;
  std::optional<instant> contacted_at;
  std::optional<instant> resolved_at;
  std::optional<instant> closed_at;
  std::optional<instant> auto_close_at;  // an unrated, verified ticket closes itself then

  bool exists() const { return version > 0; }
  const sla_clock& clock(clock_kind k) const { return clocks[static_cast<std::size_t>(k)]; }
  sla_clock& clock(clock_kind k) { return clocks[static_cast<std::size_t>(k)]; }
  bool operator==(const ticket&) const = default;
};

// A staged or committed ticket, immutable and shared by whoever holds it (the batch that
// staged it, the partition's cache, the outcome handed to the caller), so a command
// copies its ticket once, to apply its events, and never again on the way out.
using shared_ticket = std::shared_ptr<const ticket>;

// The ticket that does not exist (version 0), shared: what an outcome holds until it
// has a ticket. Never null.
const shared_ticket& no_ticket();

// Timers a ticket currently waits for. The store keeps one index entry per pending
// timer; the runtime fires them as timer_fired commands.
enum class timer_kind : std::uint8_t { warning, breach, auto_close };
std::string_view to_string(timer_kind k);
std::optional<timer_kind> parse_timer_kind(std::string_view s);

struct pending_timer {
  instant at{};
  clock_kind clock = clock_kind::accept;
  timer_kind kind = timer_kind::breach;
  std::uint8_t ordinal = 0;  // which warning (0-based); 0 otherwise
  bool operator==(const pending_timer&) const = default;
};

// Pending timers of a ticket, derived from its state. Pure.
std::vector<pending_timer> pending_timers(const ticket& t);

}  // namespace doorstep
