// engine/routing/rulebook.h
// The loaded routing and SLA configuration, serving as the domain's policy: routes
// appeals, resolves units on the ladder, runs SLA clock arithmetic. Immutable once
// built; shared read-only by every partition.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "domain/policy.h"
#include "routing/jurisdictions.h"
#include "routing/rules.h"
#include "sla/policy.h"

namespace doorstep::routing {

enum class duplicate_scope : std::uint8_t { building, compound, grid, community };

struct duplicate_settings {
  duplicate_scope scope = duplicate_scope::compound;
  duration window{std::chrono::hours(72)};
  unsigned hot_spot_joins = 3;
};

struct rulebook_parts {
  jurisdiction_tree tree;
  std::vector<category> categories;
  std::vector<rule> rules;
  std::vector<std::unique_ptr<sla::calendar>> calendars;
  std::vector<sla::policy_spec> sla_policies;
  duplicate_settings duplicates;
  unsigned max_returns = 2;
  std::string fallback_unit;  // 兜底 when a place has no street office
  int utc_offset_minutes = kShanghaiOffsetMinutes;
};

class rulebook final : public policy {
 public:
  // Throws std::invalid_argument when parts are inconsistent (a missing calendar).
  explicit rulebook(rulebook_parts parts);

  result<placement> route(const appeal& a, instant now) const override;
  result<std::string> community_of(const std::string& jurisdiction_id) const override;
  std::optional<placement> unit_at_or_above(const std::string& place, const std::string& category,
                                            level at) const override;
  bool unit_serves(const std::string& unit_id, level at, const std::string& place) const override;
  sla_clock start_clock(const std::string& sla_policy, clock_kind kind, instant start) const override;
  sla_clock pause_clock(const std::string& sla_policy, const sla_clock& c, instant at) const override;
  sla_clock resume_clock(const std::string& sla_policy, const sla_clock& c, instant at) const override;
  sla_terms terms(const std::string& sla_policy) const override;
  unsigned max_returns() const override { return parts_.max_returns; }
  unsigned hot_spot_joins() const override { return parts_.duplicates.hot_spot_joins; }

  const jurisdiction_tree& tree() const { return parts_.tree; }
  const std::vector<category>& categories() const { return parts_.categories; }
  const category* find_category(const std::string& code) const;
  const std::vector<rule>& rules() const { return parts_.rules; }
  const duplicate_settings& duplicates() const { return parts_.duplicates; }
  const sla::sla_policy* find_sla(const std::string& id) const;
  const std::vector<std::unique_ptr<sla::calendar>>& calendars() const { return parts_.calendars; }
  const std::string& fallback_unit() const { return parts_.fallback_unit; }

  // The node that scopes duplicate detection for a place (e.g. its compound), or the
  // place itself when it sits above that scope.
  std::string duplicate_scope_of(const std::string& place) const;
  // The place an address text names: the community-or-lower node whose own name and its
  // ancestors' names cover most of the text (e.g. "润泰花园1号楼" → that building).
  // Errors: unknown_jurisdiction when nothing matches or two places match equally.
  result<std::string> locate(const std::string& address) const;

  // The place nearest to a point (lat, long) among places with a known position, if it
  // lies within `within_m` metres. Errors: unknown_jurisdiction.
  result<std::string> locate(double lat, double lon, double within_m = 1000) const;

  // The street node id of a place (for stats), or empty.
  std::string street_of(const std::string& place) const;

 private:
  const sla::sla_policy& sla(const std::string& id) const;

  rulebook_parts parts_;
  std::unordered_map<std::string, std::size_t> category_index_;
  std::map<std::string, sla::sla_policy> sla_;
};

}  // namespace doorstep::routing
