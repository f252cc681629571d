#include "store/ticket_cache.h"

namespace doorstep::store {

shared_ticket ticket_cache::find(const std::string& id) {
  auto it = index_.find(id);
  if (it == index_.end()) return nullptr;
  order_.splice(order_.begin(), order_, it->second);
  return *it->second;
}

void ticket_cache::put(shared_ticket t) {
  if (capacity_ == 0) return;
  if (auto it = index_.find(t->id); it != index_.end()) {
    *it->second = std::move(t);
    order_.splice(order_.begin(), order_, it->second);
    return;
  }
  if (index_.size() < capacity_) {
    order_.push_front(std::move(t));
    index_.emplace(order_.front()->id, order_.begin());
    return;
  }
  // Full: the least recently used entry's list node and map node take the new ticket.
  auto node = index_.extract(order_.back()->id);
  order_.splice(order_.begin(), order_, std::prev(order_.end()));
  order_.front() = std::move(t);
  node.key() = order_.front()->id;
  node.mapped() = order_.begin();
  index_.insert(std::move(node));
}

void ticket_cache::clear() {
  index_.clear();
  order_.clear();
}

}  // namespace doorstep::store
