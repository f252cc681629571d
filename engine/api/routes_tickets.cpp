// engine/api/routes_tickets.cpp
// Appeals, tickets, their events and actions, the supervisor's worklist and stats.
#include <algorithm>
#include <sstream>

#include "api/call.h"
#include "api/views.h"
#include "stats/summary.h"
#include "store/keys.h"
#include "store/rows.h"

namespace doorstep::api {
namespace json = boost::json;

namespace {

// Loads a ticket the caller may see, or answers 404/403 and returns nullopt.
std::optional<ticket> visible_ticket(call& c, runtime::engine& eng, const std::string& id) {
  auto t = eng.storage().load_ticket(id);
  if (!t) {
    c.reply_error(t.err());
    return std::nullopt;
  }
  if (!*t || !in_scope(c.token, (*t)->jurisdiction_id, eng.rules().tree())) {
    // Out of scope answers like a missing ticket: its existence is not revealed.
    c.reply_problem(make_problem(404, "not_found", "no ticket " + id));
    return std::nullopt;
  }
  return std::move(**t);
}

std::string etag(const ticket& t) { return "\"" + std::to_string(t.version) + "\""; }

}  // namespace

void handler::post_appeal(call& c) {
  auto body = c.json_body();
  if (!body) return;
  auto decoded = codec::decode_command_body(*body, "submit");
  if (!decoded) return c.reply_error(decoded.err());
  auto& a = std::get<submit_cmd>(*decoded).a;
  const auto& tree = engine_.rules().tree();
  if (a.jurisdiction_id.empty()) {
    auto located = engine_.rules().locate(a.address);
    if (!located) return c.reply_error(located.err());
    a.jurisdiction_id = *located;
  }
  if (tree.find(a.jurisdiction_id) && !in_scope(c.token, a.jurisdiction_id, tree)) {
    return c.reply_problem(make_problem(403, "forbidden", "place " + a.jurisdiction_id + " is outside the token's scope",
                                        "location.jurisdiction_id"));
  }
  if (c.token.who != role::operator_ && c.token.who != role::integration && c.token.who != role::admin) {
    return c.reply_problem(make_problem(403, "forbidden", "role " + std::string(to_string(c.token.who)) +
                                                              " may not file appeals"));
  }
  command cmd;
  const std::string key(c.req["Idempotency-Key"]);
  if (key.size() > 200) {
    return c.reply_problem(make_problem(400, "bad_request", "Idempotency-Key is longer than 200 characters"));
  }
  cmd.id = key.empty() ? command_id("http-") : "idem-" + key;
  cmd.by = actor{c.token.who, c.token.name};
  if (!key.empty()) {
    cmd.idempotency_key = "http:" + c.token.name + ":" + key;
    cmd.idempotency_fingerprint = sha256_hex(c.req.body());
  }
  if (a.reported_at == instant{}) a.reported_at = clock_.now();
  cmd.body = std::move(*decoded);
  auto self = c.self.lock();
  engine_.post(std::move(cmd), [self, this](runtime::outcome o) {
    if (!o.ok()) return self->reply_error(*o.err);
    const auto& t = *o.after;
    json::object out{{"ticket_id", t.id},
                     {"status", std::string(to_string(t.st))},
                     {"level", t.lvl ? json::value(std::string(to_string(*t.lvl))) : json::value(nullptr)},
                     {"unit_id", t.unit_id},
                     {"deadlines", deadlines_view(t)},
                     {"joined", o.joined},
                     {"version", t.version}};
    self->headers.emplace_back("Location", "/api/v1/tickets/" + t.id);
    self->headers.emplace_back("ETag", etag(t));
    self->reply_json(o.created || (o.replayed && !o.joined) ? http::status::created : http::status::ok, out);
  });
}

void handler::get_ticket(call& c, const std::string& id) {
  auto t = visible_ticket(c, engine_, id);
  if (!t) return;
  c.headers.emplace_back("ETag", etag(*t));
  c.reply_json(http::status::ok, ticket_view(*t, clock_.now(), sees_pii(c.token, *t)));
}

void handler::get_events(call& c, const std::string& id) {
  auto t = visible_ticket(c, engine_, id);
  if (!t) return;
  auto log = engine_.storage().load_events(id);
  if (!log) return c.reply_error(log.err());
  json::array events;
  const bool pii = sees_pii(c.token, *t);
  for (const auto& e : *log) events.push_back(event_view(e, pii));
  c.reply_json(http::status::ok, json::object{{"ticket_id", id}, {"events", std::move(events)}});
}

void handler::post_action(call& c, const std::string& id) {
  auto body = c.json_body();
  if (!body) return;
  auto t = visible_ticket(c, engine_, id);
  if (!t) return;
  auto action = body->find("action");
  if (action == body->end() || !action->value().is_string()) {
    return c.reply_problem(make_problem(422, "missing_field", "action is required", "action"));
  }
  const std::string name(action->value().as_string());
  if (name == "submit") {
    return c.reply_problem(make_problem(422, "invalid_field", "file appeals with POST /api/v1/appeals", "action"));
  }
  auto decoded = codec::decode_command_body(*body, name);
  if (!decoded) return c.reply_error(decoded.err());
  if (auto denied = authorize_action(c.token, name, *t, engine_.rules().tree())) {
    return c.reply_problem(make_problem(403, "forbidden", denied->message));
  }
  if (const auto* esc = std::get_if<escalate_cmd>(&*decoded);
      esc && c.token.who == role::handler && esc->reason != escalation_reason::handler_request) {
    return c.reply_problem(make_problem(403, "forbidden", "a handler escalates with reason handler_request", "reason"));
  }
  command cmd;
  cmd.ticket_id = id;
  cmd.by = actor{c.token.who, c.token.name};
  const std::string key(c.req["Idempotency-Key"]);
  cmd.id = key.empty() ? command_id("http-") : "idem-" + key;
  if (!key.empty()) {
    cmd.idempotency_key = "http:" + c.token.name + ":" + key;
    cmd.idempotency_fingerprint = sha256_hex(id + "\n" + c.req.body());
  }
  const auto if_match = c.req[http::field::if_match];
  if (!if_match.empty()) {
    std::string v(if_match);
    if (v.rfind("W/", 0) == 0) v = v.substr(2);
    v.erase(std::remove(v.begin(), v.end(), '"'), v.end());
    try {
      std::size_t used = 0;
      cmd.expected_version = std::stoull(v, &used);
      if (used != v.size()) throw std::invalid_argument("trailing");
    } catch (const std::exception&) {
      return c.reply_problem(make_problem(400, "bad_request", "If-Match must be the ticket's ETag, e.g. \"3\""));
    }
  }
  cmd.body = std::move(*decoded);
  auto self = c.self.lock();
  engine_.post(std::move(cmd), [self, this](runtime::outcome o) {
    if (!o.ok()) return self->reply_error(*o.err);
    const bool pii = sees_pii(self->token, *o.after);
    json::array events;
    for (const auto& e : o.events) events.push_back(event_view(e, pii));
    self->headers.emplace_back("ETag", etag(*o.after));
    self->reply_json(http::status::ok, json::object{{"ticket", ticket_view(*o.after, clock_.now(), pii)},
                                                    {"events", std::move(events)},
                                                    {"replayed", o.replayed}});
  });
}

namespace {

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string part; std::getline(in, part, ',');) {
    if (!part.empty()) out.push_back(part);
  }
  return out;
}

struct worklist_filter {
  std::vector<std::string> statuses, levels, units, categories, channels;
  std::string jurisdiction;
  bool overdue = false, at_risk = false;
  std::optional<instant> from, to;
};

bool contains(const std::vector<std::string>& v, std::string_view x) {
  return v.empty() || std::find(v.begin(), v.end(), x) != v.end();
}

}  // namespace

void handler::get_worklist(call& c) {
  worklist_filter f;
  auto q = [&](const char* k) {
    auto it = c.query.find(k);
    return it == c.query.end() ? std::string{} : it->second;
  };
  f.statuses = split_list(q("status"));
  for (const auto& s : f.statuses) {
    if (!parse_status(s)) return c.reply_problem(make_problem(422, "invalid_field", "unknown status '" + s + "'", "status"));
  }
  f.levels = split_list(q("level"));
  for (const auto& l : f.levels) {
    if (!parse_level(l)) return c.reply_problem(make_problem(422, "invalid_field", "unknown level '" + l + "'", "level"));
  }
  f.units = split_list(q("unit_id"));
  f.categories = split_list(q("category"));
  f.channels = split_list(q("channel"));
  f.jurisdiction = q("jurisdiction");
  if (!f.jurisdiction.empty() && !engine_.rules().tree().find(f.jurisdiction)) {
    return c.reply_problem(make_problem(422, "unknown_jurisdiction", "unknown place '" + f.jurisdiction + "'", "jurisdiction"));
  }
  f.overdue = q("overdue") == "true";
  f.at_risk = q("at_risk") == "true";
  for (auto [key, slot] : {std::pair{"created_from", &f.from}, std::pair{"created_to", &f.to}}) {
    if (auto v = q(key); !v.empty()) {
      auto t = parse_rfc3339(v);
      if (!t) return c.reply_problem(make_problem(422, "invalid_field", std::string(key) + " must be RFC 3339", key));
      *slot = *t;
    }
  }
  long limit = 50;
  if (auto v = q("limit"); !v.empty()) {
    try {
      limit = std::stol(v);
    } catch (const std::exception&) {
      limit = -1;
    }
    if (limit < 1 || limit > 500) return c.reply_problem(make_problem(422, "invalid_field", "limit must be 1..500", "limit"));
  }
  const auto cursor = q("cursor");

  // The cursor is the (due, id) of the last row of the previous page.
  std::optional<std::pair<std::int64_t, std::string>> after;
  if (!cursor.empty()) {
    const auto colon = cursor.find(':');
    std::int64_t due = 0;
    bool good = colon != std::string::npos && colon + 1 < cursor.size();
    try {
      if (good) due = std::stoll(cursor.substr(0, colon));
    } catch (const std::exception&) {
      good = false;
    }
    if (!good) return c.reply_problem(make_problem(422, "invalid_field", "malformed cursor", "cursor"));
    after.emplace(due, cursor.substr(colon + 1));
  }

  // Every partition's worklist index is in (nearest deadline, id) order, the page's order:
  // the page is the first `limit` rows of the partitions' first `limit` matches after the
  // cursor. Overdue tickets are a prefix of it (their nearest deadline has passed), so
  // `overdue` stops at the first row due after now. `total` counts matches up to
  // opts_.worklist_count_max and says whether it stopped there.
  const auto now = clock_.now();
  const auto now_ms = to_millis(now);
  const auto& tree = engine_.rules().tree();
  const auto& st = engine_.storage();
  const auto wanted = static_cast<std::size_t>(limit) + 1;
  auto matches = [&](const store::worklist_row_view& r) {
    if (!contains(f.statuses, to_string(r.st))) return false;
    if (!contains(f.levels, r.lvl ? to_string(*r.lvl) : "none")) return false;
    if (!contains(f.units, r.unit_id) || !contains(f.categories, r.category) || !contains(f.channels, to_string(r.via))) return false;
    // The tree looks places up by std::string; the row views its value, so the id is
    // copied only when a place check is needed.
    if (!sees_everywhere(c.token) || !f.jurisdiction.empty()) {
      const std::string place(r.jurisdiction_id);
      if (!in_scope(c.token, place, tree)) return false;
      if (!f.jurisdiction.empty() && !tree.in_subtree(place, f.jurisdiction)) return false;
    }
    if (f.from && r.created_ms < to_millis(*f.from)) return false;
    if (f.to && r.created_ms >= to_millis(*f.to)) return false;
    if (f.overdue && !r.overdue(now)) return false;
    if (f.at_risk && !r.at_risk(now)) return false;
    return true;
  };
  // A filter the key decides (none, or overdue only, for a token that sees everywhere)
  // reads keys only: a row whose nearest running deadline has passed is overdue, so the
  // overdue prefix matches whole. Any other filter parses each row it reads.
  const bool key_only = f.statuses.empty() && f.levels.empty() && f.units.empty() && f.categories.empty() &&
                        f.channels.empty() && f.jurisdiction.empty() && !f.at_risk && !f.from && !f.to &&
                        sees_everywhere(c.token);
  enum class verdict { skip, take, stop };  // stop: past the overdue prefix
  auto judge = [&](std::string_view key, std::string_view value, store::worklist_key_view& k) {
    if (key_only) {
      auto kv = store::parse_worklist_key(key);
      if (!kv) return verdict::skip;
      k = *kv;
      return f.overdue && k.due_ms > now_ms ? verdict::stop : verdict::take;
    }
    auto r = store::parse_worklist_row(key, value);
    if (!r) return verdict::skip;
    if (f.overdue && r->due_ms > now_ms) return verdict::stop;
    k = {r->due_ms, r->ticket_id};
    return matches(*r) ? verdict::take : verdict::skip;
  };
  struct page_row {
    std::int64_t due_ms;
    std::string ticket_id;
  };
  std::size_t total = 0;
  bool total_exact = true;
  std::vector<page_row> rows;
  // Without a cursor the count and the page start at the same key: the count collects
  // the page's rows too, and a partition needs a second scan only if the count stopped
  // (at the cap) before that partition's first `wanted` matches.
  std::vector<bool> page_done(st.partitions(), false);
  for (unsigned p = 0; p < st.partitions(); ++p) {
    if (!total_exact) break;
    const auto prefix = store::family_prefix(p, store::kWorklist);
    const auto first_row = rows.size();
    std::size_t taken = 0;
    bool ended = true;
    auto scanned = st.scan(prefix, [&](std::string_view key, std::string_view value) {
      store::worklist_key_view k;
      const auto v = judge(key, value, k);
      if (v != verdict::take) return v == verdict::skip;
      if (total == opts_.worklist_count_max) {
        total_exact = false;
        ended = false;
        return false;
      }
      ++total;
      if (!after && taken < wanted) {
        rows.push_back({k.due_ms, std::string(k.ticket_id)});
        ++taken;
      }
      return true;
    });
    if (!scanned) return c.reply_error(scanned.err());
    page_done[p] = !after && (ended || taken == wanted);
    // The count stopped inside this partition's page: the second pass reads that page
    // whole, so drop the part read here (the partition's rows are the last ones).
    if (!page_done[p]) rows.resize(first_row);
  }
  for (unsigned p = 0; p < st.partitions(); ++p) {
    if (page_done[p]) continue;
    std::size_t taken = 0;
    const auto from = after ? store::worklist_after(p, after->first == INT64_MAX ? store::kNoDeadline : after->first, after->second)
                            : std::string{};
    auto scanned = st.scan(store::family_prefix(p, store::kWorklist), [&](std::string_view key, std::string_view value) {
      store::worklist_key_view k;
      const auto v = judge(key, value, k);
      if (v != verdict::take) return v == verdict::skip;
      rows.push_back({k.due_ms, std::string(k.ticket_id)});
      return ++taken < wanted;
    }, from);
    if (!scanned) return c.reply_error(scanned.err());
  }
  std::sort(rows.begin(), rows.end(), [](const page_row& a, const page_row& b) {
    return a.due_ms < b.due_ms || (a.due_ms == b.due_ms && a.ticket_id < b.ticket_id);
  });
  const auto page = std::min(rows.size(), static_cast<std::size_t>(limit));
  std::vector<std::string> ids;
  ids.reserve(page);
  for (std::size_t i = 0; i < page; ++i) ids.push_back(rows[i].ticket_id);
  auto tickets = st.load_tickets(ids);  // one batched read for the page's snapshots
  if (!tickets) return c.reply_error(tickets.err());
  json::array items;
  items.reserve(page);
  for (const auto& t : *tickets) {
    if (!t) continue;  // removed since the row was read: nothing removes tickets today
    items.push_back(ticket_view(*t, now, sees_pii(c.token, *t)));
  }
  auto due_text = [](const page_row& r) {
    return std::to_string(r.due_ms == store::kNoDeadline ? INT64_MAX : r.due_ms) + ":" + r.ticket_id;
  };
  json::object out{{"tickets", std::move(items)}, {"total", total}, {"total_exact", total_exact}};
  out["next_cursor"] = rows.size() > page ? json::value(due_text(rows[page - 1])) : json::value(nullptr);
  c.reply_json(http::status::ok, out);
}

void handler::get_stats(call& c) {
  auto q = [&](const char* k) {
    auto it = c.query.find(k);
    return it == c.query.end() ? std::string{} : it->second;
  };
  if (c.token.who == role::handler) {
    return c.reply_problem(make_problem(403, "forbidden", "stats are for supervisors, operators and admins"));
  }
  stats::filter f;
  for (auto [key, slot] : {std::pair{"from", &f.created_from}, std::pair{"to", &f.created_to}}) {
    if (auto v = q(key); !v.empty()) {
      auto t = parse_rfc3339(v);
      if (!t) return c.reply_problem(make_problem(422, "invalid_field", std::string(key) + " must be RFC 3339", key));
      *slot = *t;
    }
  }
  f.jurisdiction = q("jurisdiction");
  if (!f.jurisdiction.empty() && !engine_.rules().tree().find(f.jurisdiction)) {
    return c.reply_problem(make_problem(422, "unknown_jurisdiction", "unknown place '" + f.jurisdiction + "'", "jurisdiction"));
  }
  const auto& tree = engine_.rules().tree();
  const auto token = c.token;
  f.visible = [&tree, token](const std::string& jurisdiction_id) { return in_scope(token, jurisdiction_id, tree); };
  std::string group = q("group_by");
  if (group.empty()) group = "community";
  if (group != "unit" && group != "level" && group != "street" && group != "community") {
    return c.reply_problem(make_problem(422, "invalid_field", "group_by must be unit, level, street or community", "group_by"));
  }
  const auto summarized = stats::compute_summary(engine_.storage(), engine_.rules(), f);
  if (!summarized) return c.reply_error(summarized.err());
  const auto& s = *summarized;
  const auto& groups = group == "unit" ? s.by_unit : group == "level" ? s.by_level_rates
                       : group == "street" ? s.by_street : s.by_community;
  const auto accept = c.req[http::field::accept];
  if (accept.find("text/csv") != boost::beast::string_view::npos) {
    std::ostringstream csv;
    csv << group << ",received,response_rate,resolution_rate,satisfaction_rate,accept_compliance,contact_compliance,"
                    "resolve_compliance,verify_compliance,escalations\n";
    for (const auto& [k, r] : groups) {
      std::size_t esc = 0;
      for (const auto& [reason, n] : r.escalations) esc += n;
      csv << '"' << k << "\"," << r.tickets << ',' << r.response_rate() << ',' << r.resolution_rate() << ','
          << r.satisfaction_rate() << ',' << r.compliance(clock_kind::accept) << ',' << r.compliance(clock_kind::contact)
          << ',' << r.compliance(clock_kind::resolve) << ',' << r.compliance(clock_kind::verify) << ',' << esc << "\n";
    }
    return c.reply(http::status::ok, csv.str(), "text/csv; charset=utf-8");
  }
  json::array rows;
  for (const auto& [k, r] : groups) {
    json::object compliance, esc;
    for (auto clk : kAllClocks) compliance[std::string(to_string(clk))] = r.compliance(clk);
    for (const auto& [reason, n] : r.escalations) esc[reason] = n;
    rows.push_back(json::object{{"key", k},
                                {"received", r.tickets},
                                {"response_rate", r.response_rate()},
                                {"resolution_rate", r.resolution_rate()},
                                {"satisfaction_rate", r.satisfaction_rate()},
                                {"sla_compliance", std::move(compliance)},
                                {"escalations", std::move(esc)}});
  }
  json::array hot;
  for (const auto& h : s.hot_spots) {
    hot.push_back(json::object{{"ticket_id", h.ticket_id}, {"jurisdiction_id", h.jurisdiction_id},
                               {"category", h.category}, {"appeals", h.appeals}});
  }
  json::object esc_total;
  for (const auto& [reason, n] : s.escalations) esc_total[reason] = n;
  c.reply_json(http::status::ok, json::object{{"group_by", group},
                                              {"tickets", s.tickets},
                                              {"groups", std::move(rows)},
                                              {"escalations", std::move(esc_total)},
                                              {"hot_spots", std::move(hot)}});
}

}  // namespace doorstep::api
