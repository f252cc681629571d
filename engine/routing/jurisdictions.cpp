#include "routing/jurisdictions.h"

#include <array>
#include <stdexcept>

namespace doorstep::routing {
namespace {
constexpr std::array<std::string_view, 7> kKindNames{"city",     "district", "street",  "community",
                                                     "grid",     "compound", "building"};
}

std::string_view to_string(node_kind k) { return kKindNames.at(static_cast<std::size_t>(k)); }

std::optional<node_kind> parse_node_kind(std::string_view s) {
  for (std::size_t i = 0; i < kKindNames.size(); ++i) {
    if (kKindNames[i] == s) return static_cast<node_kind>(i);
  }
  return std::nullopt;
}

std::optional<node_kind> kind_for_level(level l) {
  switch (l) {
    case level::building: return node_kind::building;
    case level::grid: return node_kind::grid;
    case level::community: return node_kind::community;
    case level::street: return node_kind::street;
    case level::department: return std::nullopt;
  }
  return std::nullopt;
}

void jurisdiction_tree::add_node(node n) {
  if (nodes_.count(n.id)) throw std::invalid_argument("duplicate jurisdiction id '" + n.id + "'");
  if (n.parent.empty()) {
    roots_.push_back(n.id);
  } else {
    auto it = nodes_.find(n.parent);
    if (it == nodes_.end()) throw std::invalid_argument("parent '" + n.parent + "' of '" + n.id + "' is unknown");
    it->second.children.push_back(n.id);
  }
  auto id = n.id;
  nodes_.emplace(std::move(id), std::move(n));
}

void jurisdiction_tree::add_unit(unit u) {
  if (units_.count(u.id)) throw std::invalid_argument("duplicate unit id '" + u.id + "'");
  auto id = u.id;
  units_.emplace(std::move(id), std::move(u));
}

const node* jurisdiction_tree::find(const std::string& id) const {
  auto it = nodes_.find(id);
  return it == nodes_.end() ? nullptr : &it->second;
}

const unit* jurisdiction_tree::find_unit(const std::string& id) const {
  auto it = units_.find(id);
  return it == units_.end() ? nullptr : &it->second;
}

bool jurisdiction_tree::in_subtree(const std::string& id, const std::string& root) const {
  for (const node* n = find(id); n != nullptr; n = n->parent.empty() ? nullptr : find(n->parent)) {
    if (n->id == root) return true;
  }
  return false;
}

const node* jurisdiction_tree::ancestor(const std::string& id, node_kind kind) const {
  for (const node* n = find(id); n != nullptr; n = n->parent.empty() ? nullptr : find(n->parent)) {
    if (n->kind == kind) return n;
  }
  return nullptr;
}

const unit* jurisdiction_tree::unit_at(const std::string& place, const std::string& category,
                                       level at) const {
  if (auto kind = kind_for_level(at)) {
    const node* n = ancestor(place, *kind);
    if (n == nullptr || !n->unit_id) return nullptr;
    return find_unit(*n->unit_id);
  }
  // Department: the nearest ancestor with a department handling the category.
  for (const node* n = find(place); n != nullptr; n = n->parent.empty() ? nullptr : find(n->parent)) {
    for (const auto& dep_id : n->department_ids) {
      const unit* d = find_unit(dep_id);
      if (d != nullptr && (d->handles.count(category) || d->handles.count("*"))) return d;
    }
  }
  return nullptr;
}

}  // namespace doorstep::routing
