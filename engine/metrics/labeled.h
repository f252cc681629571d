// engine/metrics/labeled.h
// The members of a Prometheus family found by their label values.
#pragma once

#include <prometheus/family.h>

#include <algorithm>
#include <array>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace doorstep::metrics {

// The members (counters, histograms, ...) of a family with N labels, kept by their label
// values once added. Family::Add builds and hashes a label map on every call, about
// 2,500 instructions; counting a request or a consumed message found its counter that
// way each time. Here the second lookup is a search of a small locked map by the values
// alone. Thread-safe. The values must be bounded, as every label's are.
template <class Metric, std::size_t N>
class labeled {
 public:
  using adder = std::function<Metric&(prometheus::Family<Metric>&, const prometheus::Labels&)>;

  // `add` makes a new member; Family::Add by default, which needs a member that takes
  // no arguments (a histogram's `add` passes its buckets).
  labeled(prometheus::Family<Metric>& family, std::array<std::string, N> names, adder add = {})
      : family_(family), names_(std::move(names)), add_(std::move(add)) {}

  Metric& at(const std::array<std::string_view, N>& values) {
    std::lock_guard lock(mu_);
    if (const auto it = found_.find(values); it != found_.end()) return *it->second;
    std::array<std::string, N> key;
    prometheus::Labels labels;
    for (std::size_t i = 0; i < N; ++i) {
      key[i] = std::string(values[i]);
      labels.emplace(names_[i], key[i]);
    }
    Metric& m = make(labels);
    found_.emplace(std::move(key), &m);
    return m;
  }

 private:
  Metric& make(const prometheus::Labels& labels) {
    if constexpr (std::is_default_constructible_v<Metric>) {
      if (!add_) return family_.Add(labels);
    }
    return add_(family_, labels);  // members that need arguments (a histogram's buckets)
  }

  struct less {
    using is_transparent = void;
    template <class A, class B>
    bool operator()(const A& a, const B& b) const {
      return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), [](const auto& x, const auto& y) {
        return std::string_view(x) < std::string_view(y);
      });
    }
  };
  prometheus::Family<Metric>& family_;
  std::array<std::string, N> names_;
  adder add_;
  std::mutex mu_;
  std::map<std::array<std::string, N>, Metric*, less> found_;
};

}  // namespace doorstep::metrics
