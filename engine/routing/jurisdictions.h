// engine/routing/jurisdictions.h
// The place tree (city > district > street > community > grid > compound > building)
// and the units that handle each level of the ladder. Immutable after finalize();
// lookups are O(depth) and thread-safe.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "domain/types.h"

namespace doorstep::routing {

enum class node_kind : std::uint8_t { city, district, street, community, grid, compound, building };
std::string_view to_string(node_kind k);
std::optional<node_kind> parse_node_kind(std::string_view s);

struct unit {
  std::string id;
  std::string name;
  level lvl = level::grid;
  std::string node_id;                 // where it sits in the tree
  std::set<std::string> handles;       // departments only: category codes ("*" = all)
};

struct node {
  std::string id;
  std::string name;
  node_kind kind = node_kind::building;
  std::string parent;                  // empty for roots
  std::optional<std::string> unit_id;  // the ladder unit of this node (building head, grid worker...)
  std::vector<std::string> department_ids;
  std::vector<std::string> children;
  std::optional<std::pair<double, double>> position;  // (lat, long), WGS 84, where known
};

class jurisdiction_tree {
 public:
  // Building: throws std::invalid_argument on duplicates (config load time only).
  void add_node(node n);
  void add_unit(unit u);

  const node* find(const std::string& id) const;
  const unit* find_unit(const std::string& id) const;
  const std::vector<std::string>& roots() const { return roots_; }
  std::size_t size() const { return nodes_.size(); }
  const std::unordered_map<std::string, node>& nodes() const { return nodes_; }
  const std::unordered_map<std::string, unit>& units() const { return units_; }

  // True if `id` is `root` or lies below it.
  bool in_subtree(const std::string& id, const std::string& root) const;
  // The nearest ancestor-or-self of the given kind.
  const node* ancestor(const std::string& id, node_kind kind) const;

  // The unit that handles `category` at `place` on exactly level `at`, if any.
  const unit* unit_at(const std::string& place, const std::string& category, level at) const;

 private:
  std::unordered_map<std::string, node> nodes_;
  std::unordered_map<std::string, unit> units_;
  std::vector<std::string> roots_;
};

// The node kind whose unit serves a level (department has none: see unit_at).
std::optional<node_kind> kind_for_level(level l);

}  // namespace doorstep::routing
