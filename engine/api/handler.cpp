// engine/api/handler.cpp
// Request plumbing (auth, limits, problem answers) and the small routes. The ticket
// routes are in routes_tickets.cpp.
#include "api/handler.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "api/call.h"
#include "api/problem.h"
#include "store/backup.h"

namespace doorstep::api {

// ----------------------------------------------------------------------------- tokens

token_provider::token_provider(std::filesystem::path file) : file_(std::move(file)) {}

std::optional<token_record> token_provider::find(std::string_view token) {
  std::lock_guard lock(mu_);
  const auto now = std::chrono::steady_clock::now();
  if (now - checked_ > std::chrono::seconds(1)) {
    checked_ = now;
    struct ::stat st {};
    if (::stat(file_.c_str(), &st) == 0) {
      const auto ns = [](const timespec& t) { return static_cast<std::int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec; };
      const stamp now_stamp{ns(st.st_mtim), ns(st.st_ctim), static_cast<std::uint64_t>(st.st_ino),
                            static_cast<std::int64_t>(st.st_size)};
      if (now_stamp != loaded_) {
        if (auto loaded = token_store::load(file_)) {
          tokens_ = std::move(*loaded);
          known_.clear();
          loaded_ = now_stamp;
        }
      }
    }
  }
  std::string presented(token);
  if (auto it = known_.find(presented); it != known_.end()) return it->second;
  const auto* r = tokens_.find(token);
  if (!r) return std::nullopt;
  known_.emplace(std::move(presented), *r);
  return *r;
}

bool rate_limiter::allow(const std::string& who, int& retry_after) {
  std::lock_guard lock(mu_);
  const auto now = std::chrono::steady_clock::now();
  auto [it, fresh] = buckets_.try_emplace(who, bucket{burst_, now});
  auto& b = it->second;
  if (!fresh) {
    const double elapsed = std::chrono::duration<double>(now - b.at).count();
    b.tokens = std::min(burst_, b.tokens + elapsed * rate_);
    b.at = now;
  }
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return true;
  }
  retry_after = std::max(1, static_cast<int>(std::ceil((1 - b.tokens) / rate_)));
  return false;
}

// ----------------------------------------------------------------------------- call

std::string url_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

call::call(const request& r, std::function<void(response)> d) : req(r), done(std::move(d)) {
  const std::string_view target(req.target().data(), req.target().size());
  const auto q = target.find('?');
  path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) query = parse_pairs(target.substr(q + 1));
}

std::map<std::string, std::string> parse_pairs(std::string_view text) {
  std::map<std::string, std::string> out;
  while (!text.empty()) {
    const auto amp = text.find('&');
    const auto pair = text.substr(0, amp);
    const auto eq = pair.find('=');
    out[url_decode(pair.substr(0, eq))] = eq == std::string_view::npos ? "" : url_decode(pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    text = text.substr(amp + 1);
  }
  return out;
}

void call::reply(http::status status, std::string body, std::string_view content_type) {
  response res{status, req.version()};
  res.set(http::field::content_type, content_type);
  res.set(http::field::cache_control, "no-store");
  for (const auto& [k, v] : headers) res.set(k, v);
  res.keep_alive(req.keep_alive());
  res.body() = std::move(body);
  res.prepare_payload();
  done(std::move(res));
}

void call::reply_json(http::status status, const boost::json::value& v) {
  reply(status, boost::json::serialize(v), "application/json; charset=utf-8");
}

void call::reply_problem(const problem& p) {
  if (p.status == 401) headers.emplace_back("WWW-Authenticate", "Bearer realm=\"doorstep\"");
  reply(static_cast<http::status>(p.status), boost::json::serialize(to_json(p)),
        "application/problem+json; charset=utf-8");
}

void call::reply_error(const error& e) { reply_problem(from_error(e)); }

std::optional<boost::json::object> call::json_body() {
  const auto ct = req[http::field::content_type];
  if (ct.substr(0, 16) != "application/json") {
    reply_problem(make_problem(415, "unsupported_media_type", "send the body as application/json"));
    return std::nullopt;
  }
  auto v = codec::parse(req.body());
  if (!v) {
    reply_error(v.err());
    return std::nullopt;
  }
  if (!v->is_object()) {
    reply_problem(make_problem(422, "invalid_field", "the body must be a JSON object", ""));
    return std::nullopt;
  }
  return std::move(v->as_object());
}

// ----------------------------------------------------------------------------- handler

handler::handler(runtime::engine& eng, runtime::clock& clk, handler_options opts)
    : engine_(eng), clock_(clk), opts_(std::move(opts)), tokens_(opts_.tokens_file),
      limiter_(opts_.rate_per_second, opts_.rate_burst) {}

namespace {

// A bounded label for the route of a path.
std::string route_label(const std::string& path) {
  static const std::vector<std::string> fixed{"/api/v1/appeals",
                                              "/api/v1/tickets",
                                              "/api/v1/stats",
                                              "/api/v1/catalog/categories",
                                              "/api/v1/jurisdictions",
                                              "/api/v1/admin/clock",
                                              "/api/v1/admin/backup",
                                              "/api/v1/openapi.json",
                                              "/healthz",
                                              "/readyz",
                                              "/metrics"};
  for (const auto& f : fixed) {
    if (path == f) return f;
  }
  const std::string tickets = "/api/v1/tickets/";
  if (path.rfind(tickets, 0) == 0) {
    const auto rest = path.substr(tickets.size());
    const auto slash = rest.find('/');
    if (slash == std::string::npos) return "/api/v1/tickets/{id}";
    const auto sub = rest.substr(slash);
    if (sub == "/events" || sub == "/actions") return "/api/v1/tickets/{id}" + sub;
  }
  if (path.rfind("/open311/v2/requests/", 0) == 0) return "/open311/v2/requests/{id}";
  if (path.rfind("/open311/v2/services/", 0) == 0) return "/open311/v2/services/{code}";
  if (path.rfind("/open311/v2/", 0) == 0) {
    for (const char* r : {"/open311/v2/services.json", "/open311/v2/services.xml", "/open311/v2/requests.json",
                          "/open311/v2/requests.xml"}) {
      if (path == r) return r;
    }
  }
  return "other";
}

}  // namespace

void handler::handle(const request& req, std::function<void(response)> done) {
  if (opts_.probe) {
    const auto started = std::chrono::steady_clock::now();
    const std::string target(req.target().data(), req.target().size());
    done = [inner = std::move(done), started, probe = opts_.probe, route = route_label(target.substr(0, target.find('?')))](
               response res) {
      probe->request(route, res.result_int(),
                     std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
      inner(std::move(res));
    };
  }
  auto c = std::make_shared<call>(req, std::move(done));
  c->self = c;
  try {
    route(*c);
  } catch (const std::exception& e) {
    c->reply_problem(make_problem(500, "internal", std::string("internal error: ") + e.what()));
  }
}

void handler::route(call& c) {
  const auto method = c.req.method();
  const auto& p = c.path;
  if (p == "/readyz") {
    std::optional<std::string> why;
    if (!engine_.healthy()) why = "a partition is fenced after a failed store commit, WAL sync or read; restart the engine";
    if (!why && opts_.not_ready) why = opts_.not_ready();
    if (why) return c.reply_problem(make_problem(503, "not_ready", *why));
  }
  if (p == "/healthz" || p == "/readyz") {
    c.reply_json(http::status::ok, boost::json::object{{"status", "ok"}});
    return;
  }
  if (p == "/api/v1/openapi.json") return get_openapi(c);
  if (p == "/metrics" && opts_.metrics) {
    return c.reply(http::status::ok, opts_.metrics->scrape(), "text/plain; version=0.0.4; charset=utf-8");
  }
  if (p.rfind("/open311/v2/", 0) == 0) return open311(c);
  if (p.rfind("/api/v1/", 0) != 0) {
    c.reply_problem(make_problem(404, "not_found", "no resource at " + p));
    return;
  }
  // Authenticate, then limit.
  const auto auth = c.req[http::field::authorization];
  if (auth.size() < 8 || !boost::beast::iequals(auth.substr(0, 7), "Bearer ")) {
    c.reply_problem(make_problem(401, "unauthorized", "send Authorization: Bearer <token>"));
    return;
  }
  auto tok = tokens_.find(std::string_view(auth.data() + 7, auth.size() - 7));
  if (!tok) {
    c.reply_problem(make_problem(401, "unauthorized", "the bearer token is not known"));
    return;
  }
  c.token = *tok;
  int retry_after = 0;
  if (!limiter_.allow(c.token.name, retry_after)) {
    c.headers.emplace_back("Retry-After", std::to_string(retry_after));
    c.reply_problem(make_problem(429, "too_many_requests", "slow down: the token's request rate is exhausted"));
    return;
  }

  const std::string tickets = "/api/v1/tickets/";
  auto need = [&](http::verb v) {
    if (method == v) return true;
    c.headers.emplace_back("Allow", std::string(http::to_string(v)));
    c.reply_problem(make_problem(405, "method_not_allowed", std::string(method_string(c.req)) + " is not allowed on " + p));
    return false;
  };
  if (p == "/api/v1/appeals") {
    if (need(http::verb::post)) post_appeal(c);
  } else if (p == "/api/v1/tickets") {
    if (need(http::verb::get)) get_worklist(c);
  } else if (p.rfind(tickets, 0) == 0) {
    const auto rest = p.substr(tickets.size());
    const auto slash = rest.find('/');
    const auto id = rest.substr(0, slash);
    const auto sub = slash == std::string::npos ? std::string{} : rest.substr(slash);
    if (sub.empty()) {
      if (need(http::verb::get)) get_ticket(c, id);
    } else if (sub == "/events") {
      if (need(http::verb::get)) get_events(c, id);
    } else if (sub == "/actions") {
      if (need(http::verb::post)) post_action(c, id);
    } else {
      c.reply_problem(make_problem(404, "not_found", "no resource at " + p));
    }
  } else if (p == "/api/v1/stats") {
    if (need(http::verb::get)) get_stats(c);
  } else if (p == "/api/v1/catalog/categories") {
    if (need(http::verb::get)) get_categories(c);
  } else if (p == "/api/v1/jurisdictions") {
    if (need(http::verb::get)) get_jurisdictions(c);
  } else if (p == "/api/v1/admin/clock") {
    if (need(http::verb::post)) post_clock(c);
  } else if (p == "/api/v1/admin/backup") {
    if (need(http::verb::post)) post_backup(c);
  } else {
    c.reply_problem(make_problem(404, "not_found", "no resource at " + p));
  }
}

void handler::get_openapi(call& c) {
  std::ifstream in(opts_.openapi_file);
  if (!in) {
    c.reply_problem(make_problem(404, "not_found", "the OpenAPI document is not installed"));
    return;
  }
  std::stringstream buf;
  buf << in.rdbuf();
  c.reply(http::status::ok, buf.str(), "application/json; charset=utf-8");
}

void handler::get_categories(call& c) {
  boost::json::array out;
  for (const auto& cat : engine_.rules().categories()) {
    boost::json::array kw;
    for (const auto& k : cat.keywords) kw.push_back(boost::json::string(k));
    out.push_back(boost::json::object{{"code", cat.code},
                                      {"name", cat.name},
                                      {"group", cat.group},
                                      {"urgent", cat.urgent},
                                      {"keywords", std::move(kw)}});
  }
  c.reply_json(http::status::ok, boost::json::object{{"categories", std::move(out)}});
}

namespace {
boost::json::object node_json(const routing::jurisdiction_tree& tree, const routing::node& n) {
  boost::json::object o{{"id", n.id}, {"name", n.name}, {"kind", std::string(routing::to_string(n.kind))}};
  if (n.unit_id) {
    const auto* u = tree.find_unit(*n.unit_id);
    o["unit"] = boost::json::object{{"id", u->id}, {"name", u->name}, {"level", std::string(to_string(u->lvl))}};
  }
  if (!n.department_ids.empty()) {
    boost::json::array deps;
    for (const auto& d : n.department_ids) {
      const auto* u = tree.find_unit(d);
      boost::json::array handles;
      for (const auto& h : u->handles) handles.push_back(boost::json::string(h));
      deps.push_back(boost::json::object{{"id", u->id}, {"name", u->name}, {"handles", std::move(handles)}});
    }
    o["departments"] = std::move(deps);
  }
  boost::json::array children;
  for (const auto& child : n.children) children.push_back(node_json(tree, *tree.find(child)));
  o["children"] = std::move(children);
  return o;
}
}  // namespace

void handler::get_jurisdictions(call& c) {
  const auto& tree = engine_.rules().tree();
  boost::json::array roots;
  if (c.token.scope != "*" && tree.find(c.token.scope)) {
    roots.push_back(node_json(tree, *tree.find(c.token.scope)));
  } else {
    for (const auto& r : tree.roots()) roots.push_back(node_json(tree, *tree.find(r)));
  }
  c.reply_json(http::status::ok, boost::json::object{{"jurisdictions", std::move(roots)}});
}

void handler::post_clock(call& c) {
  if (c.token.who != role::admin) {
    c.reply_problem(make_problem(403, "forbidden", "only an admin token may move the clock"));
    return;
  }
  auto* sim = dynamic_cast<runtime::simulated_clock*>(&clock_);
  if (!sim) {
    c.reply_problem(make_problem(404, "not_found", "the clock is real; start with --clock=simulated to move it"));
    return;
  }
  auto body = c.json_body();
  if (!body) return;
  instant target = sim->now();
  if (auto it = body->find("advance"); it != body->end()) {
    auto d = it->value().is_string() ? parse_duration(std::string_view(it->value().as_string())) : std::nullopt;
    if (!d) {
      c.reply_problem(make_problem(422, "invalid_field", "advance must be a duration such as PT2H", "advance"));
      return;
    }
    target += *d;
  } else if (auto it2 = body->find("set"); it2 != body->end()) {
    auto t = it2->value().is_string() ? parse_rfc3339(std::string_view(it2->value().as_string())) : std::nullopt;
    if (!t) {
      c.reply_problem(make_problem(422, "invalid_field", "set must be an RFC 3339 date-time", "set"));
      return;
    }
    if (*t < sim->now()) {
      c.reply_problem(make_problem(422, "invalid_field", "the clock only moves forward", "set"));
      return;
    }
    target = *t;
  } else {
    c.reply_problem(make_problem(422, "missing_field", "give advance or set", "advance"));
    return;
  }
  // advance_to waits for every firing; run it off the I/O thread.
  auto self = c.self.lock();
  std::thread([this, self, target] {
    const auto fired = engine_.advance_to(target);
    self->reply_json(http::status::ok, boost::json::object{{"now", format_rfc3339(clock_.now())}, {"timers_fired", fired}});
  }).detach();
}

void handler::post_backup(call& c) {
  if (c.token.who != role::admin) {
    c.reply_problem(make_problem(403, "forbidden", "only an admin token may take backups"));
    return;
  }
  if (opts_.backup_dir.empty()) {
    c.reply_problem(make_problem(404, "not_found", "online backups are off: start serve with --backup-dir DIR"));
    return;
  }
  // The place of a backup is the server's choice: a body may be empty or {}, nothing more.
  if (!c.req.body().empty()) {
    auto body = c.json_body();
    if (!body) return;
    if (!body->empty()) {
      c.reply_problem(make_problem(422, "invalid_field",
                                   "a backup goes under the server's --backup-dir; a request cannot choose its place",
                                   std::string(body->begin()->key())));
      return;
    }
  }
  // A checkpoint flushes the memtable and links files: off the I/O thread.
  auto self = c.self.lock();
  std::thread([this, self] {
    const auto now = runtime::system_clock().now();  // backups are named in wall time, also on a simulated clock
    std::filesystem::path target;
    status_result done = ok_v;
    {
      std::lock_guard lock(backup_mu_);
      target = store::next_backup_path(opts_.backup_dir, now);
      done = store::write_backup(engine_.storage(), target, {opts_.tokens_file});
    }
    // Nothing of the handler is touched after the answer: the server may stop once it is sent.
    if (!done) {
      self->reply_error(done.err());
    } else {
      self->reply_json(http::status::created,
                       boost::json::object{{"path", target.string()}, {"created_at", format_rfc3339(now)}});
    }
  }).detach();
}

}  // namespace doorstep::api
