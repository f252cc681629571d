#include "api/views.h"

#include "domain/codec.h"

namespace doorstep::api {
namespace json = boost::json;

namespace {

json::string_view sv(std::string_view s) { return {s.data(), s.size()}; }

void mask_appeal(json::object& a) {
  auto it = a.find("resident");
  if (it == a.end() || !it->value().is_object()) return;
  auto& r = it->value().as_object();
  r["name"] = mask_name(std::string(r["name"].as_string()));
  r["phone"] = mask_phone(std::string(r["phone"].as_string()));
}

json::object appeal_view(const appeal& a, bool show_pii) {
  auto o = codec::encode(a);
  if (!show_pii) mask_appeal(o);
  return o;
}

}  // namespace

std::string_view clock_state_name(const sla_clock& c, instant now) {
  if (c.breached) return "breached";
  if (c.state == clock_state::paused) return "paused";
  if (c.state == clock_state::running && now >= c.due) return "breached";
  if (c.state == clock_state::stopped) return c.stopped_at > c.due ? "breached" : "ok";
  if (c.at_risk()) return "at_risk";
  if (c.state == clock_state::running && !c.warn_at.empty() && now >= c.warn_at.front()) return "at_risk";
  return "ok";
}

std::optional<instant> nearest_deadline(const ticket& t) {
  std::optional<instant> best;
  for (const auto& c : t.clocks) {
    if (c.state == clock_state::running && (!best || c.due < *best)) best = c.due;
  }
  return best;
}

json::object deadlines_view(const ticket& t) {
  json::object d;
  for (auto k : {clock_kind::accept, clock_kind::contact, clock_kind::resolve}) {
    const auto& c = t.clock(k);
    d[sv(to_string(k))] = c.state == clock_state::idle ? json::value(nullptr) : json::value(json::string(format_rfc3339(c.due)));
  }
  return d;
}

json::object ticket_view(const ticket& t, instant now, bool show_pii) {
  json::object o;
  o.reserve(25);  // every member below: no rehash while it fills
  o["ticket_id"] = t.id;
  o["version"] = t.version;
  o["status"] = sv(to_string(t.st));
  o["level"] = t.lvl ? json::value(sv(to_string(*t.lvl))) : json::value(nullptr);
  o["unit_id"] = t.unit_id;
  o["category"] = t.category;
  o["jurisdiction_id"] = t.jurisdiction_id;
  o["community_id"] = t.community_id;
  o["channel"] = sv(to_string(t.via));
  o["severity"] = sv(to_string(t.sev));
  o["priority"] = sv(to_string(t.prio));
  o["sla_policy"] = t.sla_policy;
  o["rule_id"] = t.rule_id;
  o["description"] = t.origin.description;
  o["deadlines"] = deadlines_view(t);
  json::object sla;
  for (auto k : kAllClocks) {
    const auto& c = t.clock(k);
    if (c.state == clock_state::idle) continue;
    json::object clk{{"due", format_rfc3339(c.due)}, {"state", sv(clock_state_name(c, now))}};
    if (c.state == clock_state::stopped) clk["stopped_at"] = format_rfc3339(c.stopped_at);
    if (c.state == clock_state::paused) clk["remaining_ms"] = c.remaining.count();
    sla[sv(to_string(k))] = std::move(clk);
  }
  o["sla"] = std::move(sla);
  json::array esc;
  for (const auto& e : t.escalations) esc.push_back(codec::encode(e));
  o["escalations"] = std::move(esc);
  json::array appeals;
  appeals.push_back(appeal_view(t.origin, show_pii));
  for (const auto& a : t.joined) appeals.push_back(appeal_view(a, show_pii));
  o["appeals"] = std::move(appeals);
  o["rating"] = t.rating ? json::value(*t.rating) : json::value(nullptr);
  o["returns"] = t.returns;
  o["verified"] = t.verified;
  if (!t.merged_into.empty()) o["merged_into"] = t.merged_into;
  o["created_at"] = format_rfc3339(t.created_at);
  o["updated_at"] = format_rfc3339(t.updated_at);
  if (t.closed_at) o["closed_at"] = format_rfc3339(*t.closed_at);
  return o;
}

json::object event_view(const event& e, bool show_pii) {
  auto o = codec::encode(e);
  if (!show_pii) {
    auto& data = o["data"].as_object();
    if (auto it = data.find("appeal"); it != data.end()) mask_appeal(it->value().as_object());
    if (auto it = data.find("appeals"); it != data.end()) {
      for (auto& a : it->value().as_array()) mask_appeal(a.as_object());
    }
  }
  return o;
}

}  // namespace doorstep::api
