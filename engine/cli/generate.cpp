// engine/cli/generate.cpp
// Appeals follow the demo's places and categories; handlers mostly meet their
// deadlines, some are late (so timers escalate), some return, suspend or reopen.
#include "cli/generate.h"

#include <algorithm>
#include <boost/json.hpp>
#include <random>

namespace doorstep::cli {
namespace {

namespace json = boost::json;
using std::chrono::hours;
using std::chrono::minutes;

struct line {
  instant at;
  std::size_t order;  // stable tie-break
  json::object body;
};

constexpr const char* kSurnames[] = {"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "周", "吴", "徐", "孙", "朱", "马"};
constexpr const char* kGiven[] = {"建国", "秀英", "桂英", "志强", "丽", "军", "敏", "静", "海燕", "德明", "晓东", "玉兰"};
constexpr const char* kAsks[] = {"请尽快处理", "麻烦派人来看看", "已经好几天了", "老人出行不便", "希望社区帮忙协调",
                                 "晚上特别影响休息"};

class generator {
 public:
  generator(const routing::rulebook& rules, const generate_options& opts) : rules_(rules), opts_(opts), rng_(opts.seed) {
    for (const auto& [id, n] : rules.tree().nodes()) {
      if (n.kind == routing::node_kind::building || n.kind == routing::node_kind::compound) places_.push_back(&n);
    }
    std::sort(places_.begin(), places_.end(), [](auto* a, auto* b) { return a->id < b->id; });
  }

  std::vector<line> run() {
    for (std::size_t i = 0; i < opts_.appeals; ++i) appeal_with_lifecycle(i);
    std::stable_sort(lines_.begin(), lines_.end(), [](const line& a, const line& b) {
      return a.at < b.at || (a.at == b.at && a.order < b.order);
    });
    return std::move(lines_);
  }

 private:
  double uniform() { return std::uniform_real_distribution<double>(0, 1)(rng_); }
  template <class T, std::size_t N>
  const T& pick(const T (&arr)[N]) { return arr[std::uniform_int_distribution<std::size_t>(0, N - 1)(rng_)]; }
  // A whole number of seconds in [lo, hi].
  duration between(duration lo, duration hi) {
    return std::chrono::seconds{std::uniform_int_distribution<std::int64_t>(lo.count() / 1000, hi.count() / 1000)(rng_)};
  }

  void emit(instant at, json::object body) {
    body["at"] = format_rfc3339(at);
    body["id"] = "c-" + std::to_string(lines_.size() + 1);
    lines_.push_back({at, lines_.size(), std::move(body)});
  }

  void action(instant at, const std::string& ref, const char* name, json::object extra = {}) {
    extra["command"] = name;
    extra["ref"] = ref;
    extra["actor"] = json::object{{"role", "handler"}, {"id", "generated"}};
    emit(at, std::move(extra));
  }

  instant appeal_time() {
    const auto day = std::uniform_int_distribution<unsigned>(0, opts_.days - 1)(rng_);
    // Mostly daytime; one in ten at night.
    const auto minute = uniform() < 0.9 ? std::uniform_int_distribution<int>(7 * 60, 21 * 60)(rng_)
                                        : std::uniform_int_distribution<int>(0, 24 * 60 - 1)(rng_);
    return opts_.from + hours(24 * day) + minutes(minute) - minutes(kShanghaiOffsetMinutes);
  }

  json::object appeal_body(const routing::node& place, const routing::category& cat, const std::string& source) {
    std::string description = place.name + "：" + cat.name;
    if (!cat.keywords.empty() && uniform() < 0.6) {
      description += "，" + cat.keywords[std::uniform_int_distribution<std::size_t>(0, cat.keywords.size() - 1)(rng_)];
    }
    description += "，" + std::string(pick(kAsks)) + "。";
    static const char* kChannels[] = {"hotline", "hotline", "hotline", "grid_worker", "app", "qr_plate", "integration"};
    json::object o{{"command", "submit"},
                   {"channel", pick(kChannels)},
                   {"category", cat.code},
                   {"description", description},
                   {"location", json::object{{"jurisdiction_id", place.id}}},
                   {"resident", json::object{{"name", std::string(pick(kSurnames)) + pick(kGiven)},
                                             {"phone", "13" + std::to_string(100000000 + rng_() % 900000000)}}},
                   {"source_id", source}};
    if (uniform() < 0.02) o["severity"] = "urgent";
    return o;
  }

  void appeal_with_lifecycle(std::size_t i) {
    const auto& place = *places_[std::uniform_int_distribution<std::size_t>(0, places_.size() - 1)(rng_)];
    const auto& cats = rules_.categories();
    const auto& cat = cats[std::uniform_int_distribution<std::size_t>(0, cats.size() - 1)(rng_)];
    const std::string ref = "a-" + std::to_string(i + 1);
    instant t = appeal_time();
    emit(t, appeal_body(place, cat, ref));

    if (uniform() < opts_.duplicate_share) {  // neighbours report the same thing
      const int extra = std::uniform_int_distribution<int>(1, 3)(rng_);
      for (int k = 0; k < extra; ++k) {
        emit(t + between(minutes(10), hours(30)), appeal_body(place, cat, ref + "-dup" + std::to_string(k)));
      }
    }
    if (uniform() < 0.02) {
      action(t + between(minutes(5), hours(2)), ref, "cancel", {{"reason", "居民已自行解决"}});
      return;
    }
    if (uniform() < 0.03) {  // misrouted: returned, then re-triaged by the operator
      t += between(minutes(10), hours(3));
      action(t, ref, "return", {{"reason", "不属于本单位职责"}});
      t += between(minutes(20), hours(4));
      emit(t, {{"command", "triage"}, {"ref", ref}, {"actor", json::object{{"role", "operator"}, {"id", "op-1"}}}});
    }
    // Accept: most within the hour, some late enough to breach.
    const double r = uniform();
    t += r < 0.8 ? between(minutes(2), minutes(50)) : r < 0.95 ? between(hours(1), hours(6)) : between(hours(6), hours(40));
    action(t, ref, "accept");
    t += between(minutes(5), hours(3));
    action(t, ref, "contact", {{"note", "已电话联系居民"}});
    if (uniform() < 0.04) {
      t += between(hours(1), hours(6));
      action(t, ref, "suspend", {{"reason", "等待物业维修配件"}});
      t += between(hours(12), hours(72));
      action(t, ref, "resume");
    }
    const double s = uniform();
    t += s < 0.7 ? between(hours(1), hours(24)) : s < 0.95 ? between(hours(24), hours(96)) : between(hours(96), hours(400));
    action(t, ref, "resolve", {{"note", "已处理完毕"}});
    t += between(hours(1), hours(20));
    action(t, ref, "verify", {{"passed", uniform() > 0.03}, {"note", "网格员现场核查"}});
    if (uniform() < 0.75) {
      const double q = uniform();
      const int score = q < 0.5 ? 5 : q < 0.8 ? 4 : q < 0.9 ? 3 : q < 0.96 ? 2 : 1;
      t += between(minutes(30), hours(48));
      action(t, ref, "rate", {{"score", score}});
      if (score <= 2 && uniform() < 0.5) {
        t += between(hours(1), hours(72));
        action(t, ref, "reopen", {{"reason", "问题没有解决，再次反映"}});
      }
    }
  }

  const routing::rulebook& rules_;
  const generate_options& opts_;
  std::mt19937_64 rng_;
  std::vector<const routing::node*> places_;
  std::vector<line> lines_;
};

}  // namespace

std::size_t generate(const routing::rulebook& rules, const generate_options& opts, std::ostream& out) {
  auto lines = generator(rules, opts).run();
  for (const auto& l : lines) out << json::serialize(l.body) << "\n";
  return lines.size();
}

}  // namespace doorstep::cli
