// engine/routing/rules.h
// Routing rules: ordered matches on an appeal, first match wins.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "domain/ticket.h"
#include "routing/jurisdictions.h"

namespace doorstep::routing {

struct category {
  std::string code;
  std::string name;
  std::string group;
  std::vector<std::string> keywords;
  bool urgent = false;
};

// A local time-of-day window [start, end) in minutes; wraps midnight when start > end.
struct hours_window {
  int start_minute = 0;
  int end_minute = 0;
  bool contains(int minute) const {
    return start_minute <= end_minute ? (minute >= start_minute && minute < end_minute)
                                      : (minute >= start_minute || minute < end_minute);
  }
};

struct rule_match {
  std::vector<std::string> categories;
  std::vector<severity> severities;
  std::vector<channel> channels;
  std::vector<std::string> jurisdictions;  // subtree roots
  std::vector<std::string> keywords;       // any substring of the description
  std::optional<hours_window> hours;
};

struct rule {
  std::string id;
  std::string description;
  rule_match match;
  level at = level::grid;
  std::string unit_id;  // optional explicit unit
  priority prio = priority::normal;
  std::string sla_policy;
  int line = 0;  // where it was defined, for messages
};

// True if every condition present in `r.match` holds for the appeal. `effective` is the
// appeal's severity after category defaults (urgent categories count as urgent);
// `local_minute` its local time of day.
bool matches(const rule& r, const appeal& a, severity effective, int local_minute,
             const jurisdiction_tree& tree);

}  // namespace doorstep::routing
