#include "store/ticket_cache.h"

namespace doorstep::store {

shared_ticket ticket_cache::find(const std::string& id) {
  auto it = index_.find(id);
  if (it == index_.end()) return nullptr;
  order_.splice(order_.begin(), order_, it->second);
  return it->second->ticket;
}

const ticket_rows* ticket_cache::rows(const std::string& id, std::uint64_t version) const {
  auto it = index_.find(id);
  if (it == index_.end() || it->second->ticket->version != version || !it->second->rows) return nullptr;
  return &*it->second->rows;
}

void ticket_cache::put(shared_ticket t, std::optional<ticket_rows> rows) {
  if (capacity_ == 0) return;
  if (auto it = index_.find(t->id); it != index_.end()) {
    *it->second = entry{std::move(t), std::move(rows)};
    order_.splice(order_.begin(), order_, it->second);
    return;
  }
  if (index_.size() < capacity_) {
    order_.push_front(entry{std::move(t), std::move(rows)});
    index_.emplace(order_.front().ticket->id, order_.begin());
    return;
  }
  // Full: the least recently used entry's list node and map node take the new ticket.
  auto node = index_.extract(order_.back().ticket->id);
  order_.splice(order_.begin(), order_, std::prev(order_.end()));
  order_.front() = entry{std::move(t), std::move(rows)};
  node.key() = order_.front().ticket->id;
  node.mapped() = order_.begin();
  index_.insert(std::move(node));
}

void ticket_cache::clear() {
  index_.clear();
  order_.clear();
}

}  // namespace doorstep::store
