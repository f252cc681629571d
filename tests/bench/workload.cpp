#include "workload.h"

#include <sys/resource.h>
#include <zlib.h>

#include <algorithm>
#include <stdexcept>

#include "domain/codec.h"

#if !defined(DOORSTEP_SOURCE_DIR) || !defined(DOORSTEP_BUILD_TYPE)
#error "the build defines DOORSTEP_SOURCE_DIR (repository root) and DOORSTEP_BUILD_TYPE"
#endif

namespace doorstep::bench {
namespace {

namespace json = boost::json;

// A function, not a namespace-scope path: benchmarks register (and load the sample)
// during static initialisation, in any order across translation units.
std::filesystem::path root() { return DOORSTEP_SOURCE_DIR; }
constexpr int kTileDays = 49;

std::string str(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_string() ? std::string(it->value().as_string()) : std::string{};
}

}  // namespace

const config::loaded_config& demo_config() {
  static const config::loaded_config cfg = config::load(root() / "config" / "doorstep.yaml");
  return cfg;
}

std::vector<std::string> sample_lines() {
  const auto path = root() / "config" / "samples" / "appeals-2026-spring.jsonl.gz";
  gzFile in = gzopen(path.c_str(), "rb");
  if (!in) throw std::runtime_error("cannot open " + path.string());
  std::vector<std::string> lines;
  std::string current;
  char buf[1 << 16];
  int got = 0;
  while ((got = gzread(in, buf, sizeof buf)) > 0) {
    for (int i = 0; i < got; ++i) {
      if (buf[i] != '\n') {
        current += buf[i];
      } else if (!current.empty()) {
        lines.push_back(std::move(current));
        current.clear();
      }
    }
  }
  gzclose(in);
  if (got < 0) throw std::runtime_error("cannot decompress " + path.string());
  if (!current.empty()) lines.push_back(std::move(current));
  return lines;
}

std::vector<timed_appeal> sample_appeals(std::size_t n) {
  std::vector<timed_appeal> base;
  for (const auto& line : sample_lines()) {
    auto v = codec::parse(line);
    if (!v || !v->is_object() || str(v->as_object(), "command") != "submit") continue;
    const auto& o = v->as_object();
    auto body = codec::decode_command_body(o);
    auto at = parse_rfc3339(str(o, "at"));
    if (!body || !at) throw std::runtime_error("the spring sample holds a bad appeal: " + line);
    timed_appeal t{*at, command{}};
    t.cmd.id = str(o, "id");
    t.cmd.by = actor{role::operator_, "bench"};
    t.cmd.body = std::move(*body);
    auto& a = std::get<submit_cmd>(t.cmd.body).a;
    if (a.reported_at == instant{}) a.reported_at = *at;
    base.push_back(std::move(t));
  }
  if (base.empty()) throw std::runtime_error("the spring sample holds no appeals");
  std::vector<timed_appeal> out;
  out.reserve(n);
  for (std::size_t k = 0; out.size() < n; ++k) {
    const auto shift = std::chrono::hours(24 * kTileDays) * static_cast<int>(k);
    for (std::size_t i = 0; i < base.size() && out.size() < n; ++i) {
      timed_appeal t = base[i];
      t.at += shift;
      auto& a = std::get<submit_cmd>(t.cmd.body).a;
      a.reported_at += shift;
      if (k > 0) {
        a.source_id += "#" + std::to_string(k);
        t.cmd.id += "#" + std::to_string(k);
      }
      out.push_back(std::move(t));
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const timed_appeal& a, const timed_appeal& b) { return a.at < b.at; });
  return out;
}

std::vector<std::string> sample_bodies() {
  std::vector<std::string> out;
  for (const auto& line : sample_lines()) {
    auto v = codec::parse(line);
    if (!v || !v->is_object() || str(v->as_object(), "command") != "submit") continue;
    auto o = v->as_object();
    for (const char* drop : {"command", "source_id", "at", "id"}) o.erase(drop);
    out.push_back(json::serialize(o));
  }
  return out;
}

double process_cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto secs = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return secs(u.ru_utime) + secs(u.ru_stime);
}

std::string build_kind() {
  std::string kind = DOORSTEP_BUILD_TYPE;
#ifdef DOORSTEP_SANITIZED
  kind += "+sanitizers";
#endif
#ifndef NDEBUG
  kind += "+assertions";
#endif
#ifndef __OPTIMIZE__
  kind += "+unoptimized";
#endif
  return kind;
}

}  // namespace doorstep::bench
