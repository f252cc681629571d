#include "cli/serve.h"

#include <boost/asio/signal_set.hpp>

#include <algorithm>
#include <thread>

#include "api/server.h"
#include "cli/tokens.h"
#include "kafka/edge.h"
#include "metrics/store_probe.h"
#include "runtime/engine.h"

#ifndef DOORSTEP_SOURCE_SCHEMAS
#define DOORSTEP_SOURCE_SCHEMAS "schemas"
#endif

namespace doorstep::cli {
namespace {

// Well-known tokens for trying the API on a laptop. Never use them on a network.
struct demo_token {
  const char* name;
  const char* role;
  const char* scope;
  const char* unit;
};
constexpr demo_token kDemoTokens[] = {
    {"demo-operator", "operator", "*", ""},
    {"demo-supervisor", "supervisor", "*", ""},
    {"demo-admin", "admin", "*", ""},
    {"demo-integration", "integration", "*", ""},
    {"demo-building-head", "handler", "runtai", "runtai-huayuan-b1-head"},
    {"demo-grid-worker", "handler", "runtai", "runtai-g1-worker"},
    {"demo-runtai-supervisor", "supervisor", "runtai", ""},
};

void ensure_demo_tokens(const config::loaded_config& cfg, const std::filesystem::path& data_dir, std::ostream& out) {
  auto existing = api::token_store::load(tokens_file(data_dir));
  out << "demo tokens (local use only):\n";
  for (const auto& d : kDemoTokens) {
    bool present = false;
    if (existing) {
      for (const auto& r : existing->records()) present |= r.name == d.name;
    }
    if (!present) {
      token_options t{"add", d.name, d.role, d.scope, d.unit, d.name};
      std::ostringstream sink;
      run_tokens(cfg, data_dir, t, sink, sink);
    }
    out << "  " << d.name << "\t" << d.role << (std::string(d.unit).empty() ? "" : " for " + std::string(d.unit))
        << "\tAuthorization: Bearer " << d.name << "\n";
  }
}

}  // namespace

result<std::filesystem::path> prepare_backup_dir(const std::filesystem::path& dir,
                                                 const std::filesystem::path& data_dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto abs = fs::weakly_canonical(fs::absolute(dir), ec);
  const auto store_dir = fs::weakly_canonical(fs::absolute(data_dir / "store"), ec);
  const auto [in_store, rest] = std::mismatch(store_dir.begin(), store_dir.end(), abs.begin(), abs.end());
  if (in_store == store_dir.end()) {
    return make_error("invalid_field",
                      dir.string() + " lies inside the store " + store_dir.string() +
                          "; choose a directory beside it, e.g. " + (data_dir / "backups").string(),
                      "backup_dir");
  }
  fs::create_directories(abs, ec);
  if (ec || !fs::is_directory(abs)) {
    return make_error("invalid_field",
                      "cannot use " + dir.string() + " as a directory" + (ec ? ": " + ec.message() : ""), "backup_dir");
  }
  return abs;
}

int run_serve(const config::loaded_config& cfg, const serve_options& opts, std::ostream& out, std::ostream& err) {
  namespace net = boost::asio;
  const auto colon = opts.listen.rfind(':');
  if (colon == std::string::npos) {
    err << "serve: --listen must be host:port\n";
    return 2;
  }
  boost::system::error_code ec;
  const auto address = net::ip::make_address(opts.listen.substr(0, colon), ec);
  unsigned long port = 0;
  try {
    port = std::stoul(opts.listen.substr(colon + 1));
  } catch (const std::exception&) {
    port = 70000;
  }
  if (ec || port > 65535) {
    err << "serve: --listen '" << opts.listen << "' is not an IP address and port\n";
    return 2;
  }
  std::unique_ptr<runtime::clock> clk;
  if (opts.clock == "simulated") {
    auto start = opts.clock_start.empty() ? runtime::system_clock().now() : parse_rfc3339(opts.clock_start).value_or(instant{});
    if (!opts.clock_start.empty() && start == instant{}) {
      err << "serve: --clock-start must be RFC 3339\n";
      return 2;
    }
    clk = std::make_unique<runtime::simulated_clock>(start);
  } else if (opts.clock == "real") {
    clk = std::make_unique<runtime::system_clock>();
  } else {
    err << "serve: --clock must be real or simulated\n";
    return 2;
  }
  const auto data_dir = opts.data_dir.empty() ? std::filesystem::path(cfg.engine.data_dir) : opts.data_dir;
  std::filesystem::path backup_dir;
  if (!opts.backup_dir.empty()) {
    auto checked = prepare_backup_dir(opts.backup_dir, data_dir);
    if (!checked) {
      err << "serve: --backup-dir: " << checked.err().message << "\n";
      return 2;
    }
    backup_dir = *checked;
  }
  const std::string kafka_where = !opts.kafka.empty() ? opts.kafka : !cfg.kafka.bootstrap.empty() ? cfg.kafka.bootstrap : "none";
  if (kafka_where != "none") {
    if (auto ok = kafka::edge::check(cfg.kafka, kafka_where); !ok) {  // before anything is opened or created
      err << "serve: kafka: " << ok.err().message << "\n";
      return 2;
    }
  }
  auto st = store::store::open(data_dir / "store",
                               store::options{cfg.engine.partitions, cfg.engine.dur == config::durability::sync, true, false});
  if (!st) {
    err << "serve: " << st.err().message << "\n";
    return 1;
  }
  if (opts.demo_tokens) ensure_demo_tokens(cfg, data_dir, out);

  metrics::registry registry;
  metrics::engine_probe engine_probe(registry.get(),
                                     [rules = cfg.rules](const std::string& place) { return rules->street_of(place); });
  metrics::http_probe http_probe(registry.get());
  metrics::store_probe store_probe(registry, **st);
  std::unique_ptr<kafka::edge> edge;
  if (kafka_where != "none") {
    auto e = kafka::edge::open(**st, cfg.kafka, kafka_where, &registry.get());
    if (!e) {
      err << "serve: kafka: " << e.err().message << "\n";
      return e.err().code == "kafka_config" ? 2 : 1;
    }
    edge = std::move(*e);
  }
  runtime::engine_options eopts{opts.threads, cfg.engine.group_commit_max, true, &engine_probe};
  if (edge) edge->attach(eopts);
  runtime::engine eng(cfg.rules, **st, *clk, eopts);
  if (edge) {
    if (auto r = edge->start_consumer(eng); !r) {
      err << "serve: kafka: " << r.err().message << "\n";
      return 1;
    }
    out << "doorstep: kafka " << (edge->embedded() ? "(embedded dev broker) " : "") << edge->bootstrap() << ": consuming "
        << cfg.kafka.appeals_topic << ", " << cfg.kafka.commands_topic << "; publishing " << cfg.kafka.ticket_events_topic
        << ", " << cfg.kafka.dlq_topic << "\n";
  }
  registry.on_scrape([&eng] { eng.report_timer_backlog(); });
  api::handler h(
      eng, *clk,
      api::handler_options{tokens_file(data_dir), std::filesystem::path(DOORSTEP_SOURCE_SCHEMAS) / "openapi.json",
                           opts.rate, 2 * opts.rate, &registry, &http_probe, backup_dir,
                           [e = edge.get()]() -> std::optional<std::string> {
                             if (e && !e->healthy()) return "the Kafka consumer stopped after a failed commit; restart";
                             return std::nullopt;
                           },
                           opts.worklist_count_max});
  net::io_context ioc;
  std::unique_ptr<api::server> srv;
  try {
    srv = std::make_unique<api::server>(ioc, net::ip::tcp::endpoint(address, static_cast<unsigned short>(port)), h,
                                        api::server_options{.max_body_bytes = opts.max_body});
  } catch (const boost::system::system_error& e) {
    err << "serve: cannot listen on " << opts.listen << ": " << e.code().message() << "\n";
    return 1;
  }
  srv->start();
  net::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int) { srv->stop(); });
  out << "doorstep: serving on http://" << address.to_string() << ":" << srv->port() << " (clock: " << opts.clock
      << ", data: " << data_dir.string() << (backup_dir.empty() ? "" : ", backups: " + backup_dir.string()) << ")\n"
      << std::flush;
  std::vector<std::thread> threads;
  for (unsigned i = 1; i < opts.threads; ++i) threads.emplace_back([&] { ioc.run(); });
  ioc.run();
  for (auto& t : threads) t.join();
  if (edge) edge->stop_consumer();  // everything read is committed
  eng.stop();
  if (edge) edge->stop();  // everything committed is published
  out << "doorstep: stopped\n";
  return 0;
}

}  // namespace doorstep::cli
