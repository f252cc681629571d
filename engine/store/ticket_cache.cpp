#include "store/ticket_cache.h"

namespace doorstep::store {

const ticket* ticket_cache::find(const std::string& id) {
  auto it = index_.find(id);
  if (it == index_.end()) return nullptr;
  order_.splice(order_.begin(), order_, it->second);
  return &*it->second;
}

void ticket_cache::put(ticket t) {
  if (capacity_ == 0) return;
  if (auto it = index_.find(t.id); it != index_.end()) {
    *it->second = std::move(t);
    order_.splice(order_.begin(), order_, it->second);
    return;
  }
  order_.push_front(std::move(t));
  index_.emplace(order_.front().id, order_.begin());
  if (index_.size() > capacity_) {
    index_.erase(order_.back().id);
    order_.pop_back();
  }
}

void ticket_cache::clear() {
  index_.clear();
  order_.clear();
}

}  // namespace doorstep::store
