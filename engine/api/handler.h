// engine/api/handler.h
// The HTTP API as a function: handle(request) -> response, called by the server's
// sessions. REST under /api/v1, plus /healthz and /readyz. Reads go straight to the
// store; commands go through the engine and answer when committed. Thread-safe.
#pragma once

#include <boost/beast/http.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "api/auth.h"
#include "metrics/probe.h"
#include "runtime/engine.h"

namespace doorstep::api {

namespace http = boost::beast::http;
using request = http::request<http::string_body>;
using response = http::response<http::string_body>;

// Tokens from <data_dir>/tokens.json, reloaded when the file changes.
class token_provider {
 public:
  explicit token_provider(std::filesystem::path file);
  // The record for a presented token (a copy: the store may be reloaded meanwhile).
  // The file is checked for changes at most once a second; a token added or revoked
  // takes effect at the next check.
  std::optional<token_record> find(std::string_view token);

 private:
  std::filesystem::path file_;
  std::mutex mu_;
  token_store tokens_;
  // Tokens presented and found since the last reload, so a known caller's request does
  // not hash its token again. Only found tokens enter it (at most one per record) and
  // every reload empties it, so a revoked token stops working at the same check as
  // before.
  std::unordered_map<std::string, token_record> known_;
  // The loaded file's identity: saves replace the file (a new inode) and the
  // modification time alone can repeat within a clock tick.
  struct stamp {
    std::int64_t mtime_ns = -1;
    std::int64_t ctime_ns = -1;
    std::uint64_t inode = 0;
    std::int64_t size = -1;
    bool operator==(const stamp&) const = default;
  };
  stamp loaded_{};
  std::chrono::steady_clock::time_point checked_{};
};

// A token bucket per token name: `rate` requests a second, bursts up to `burst`.
class rate_limiter {
 public:
  rate_limiter(double rate, double burst) : rate_(rate), burst_(burst) {}
  // True if the request may go ahead; otherwise `retry_after` seconds to wait.
  bool allow(const std::string& who, int& retry_after);

 private:
  struct bucket {
    double tokens;
    std::chrono::steady_clock::time_point at;
  };
  double rate_, burst_;
  std::mutex mu_;
  std::unordered_map<std::string, bucket> buckets_;
};

struct call;

struct handler_options {
  std::filesystem::path tokens_file;
  std::filesystem::path openapi_file;  // served at /api/v1/openapi.json
  double rate_per_second = 100;
  double rate_burst = 200;
  metrics::registry* metrics = nullptr;  // served at /metrics when set
  metrics::http_probe* probe = nullptr;
  // Online backups (POST /api/v1/admin/backup) go under this directory; empty: off.
  // Requests cannot choose another place.
  std::filesystem::path backup_dir;
  // Extra readiness condition (e.g. the Kafka consumer): returns why the process is not
  // ready, or nullopt. /readyz also checks that no engine partition is fenced.
  std::function<std::optional<std::string>()> not_ready;
  // The worklist counts matches up to this many (`total`, `total_exact: false` beyond).
  // Counting reads index rows, so it bounds what a page costs when many tickets match.
  std::size_t worklist_count_max = 1000;
};

class handler {
 public:
  handler(runtime::engine& eng, runtime::clock& clk, handler_options opts);

  // Calls `done` exactly once, on this thread or on an engine thread.
  void handle(const request& req, std::function<void(response)> done);

 private:
  void route(call& c);
  void post_appeal(call& c);
  void get_ticket(call& c, const std::string& id);
  void get_events(call& c, const std::string& id);
  void post_action(call& c, const std::string& id);
  void get_worklist(call& c);
  void get_stats(call& c);
  void get_categories(call& c);
  void get_jurisdictions(call& c);
  void post_clock(call& c);
  void post_backup(call& c);
  void get_openapi(call& c);
  void open311(call& c);

  runtime::engine& engine_;
  runtime::clock& clock_;
  handler_options opts_;
  token_provider tokens_;
  rate_limiter limiter_;
  std::mutex backup_mu_;  // one backup at a time
};

}  // namespace doorstep::api
