// engine/api/open311.cpp
// Open311 GeoReport v2 under /open311/v2: services and service requests in JSON and
// XML. service_code is a Doorstep category; address_id is a Doorstep place id;
// expected_datetime is the resolve deadline; agency_responsible the handling unit.
// Writes and request queries need the api_key (a Doorstep token) as the spec allows;
// the service list is public.
#include <sstream>

#include "api/call.h"
#include "api/views.h"

namespace doorstep::api {
namespace json = boost::json;

namespace {

struct field {
  std::string name;
  json::value value;  // string, number, bool or null
};
using record = std::vector<field>;

std::string xml_escape(std::string_view s) {
  std::string out;
  for (char ch : s) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += ch;
    }
  }
  return out;
}

std::string scalar_text(const json::value& v) {
  if (v.is_string()) return std::string(v.as_string());
  if (v.is_null()) return {};
  return json::serialize(v);
}

// Renders records as the spec's JSON array or XML document.
void answer(call& c, bool xml, http::status status, const char* list_tag, const char* item_tag,
            const std::vector<record>& items) {
  if (xml) {
    std::ostringstream o;
    o << "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<" << list_tag << ">";
    for (const auto& r : items) {
      o << "<" << item_tag << ">";
      for (const auto& f : r) o << "<" << f.name << ">" << xml_escape(scalar_text(f.value)) << "</" << f.name << ">";
      o << "</" << item_tag << ">";
    }
    o << "</" << list_tag << ">\n";
    return c.reply(status, o.str(), "text/xml; charset=utf-8");
  }
  json::array arr;
  for (const auto& r : items) {
    json::object o;
    for (const auto& f : r) o[f.name] = f.value;
    arr.push_back(std::move(o));
  }
  c.reply_json(status, arr);
}

void fail(call& c, bool xml, unsigned status, const std::string& description) {
  record r;
  r.push_back({"code", json::value(static_cast<std::int64_t>(status))});
  r.push_back({"description", json::value(json::string(description))});
  answer(c, xml, static_cast<http::status>(status), "errors", "error", {r});
}

bool is_open_status(status s) { return !is_terminal(s); }

record request_record(const ticket& t, const routing::rulebook& rules) {
  const auto* cat = rules.find_category(t.category);
  const auto* unit = rules.tree().find_unit(t.unit_id);
  const auto* place = rules.tree().find(t.jurisdiction_id);
  const auto& resolve = t.clock(clock_kind::resolve);
  std::string notes = std::string(to_string(t.st));
  if (t.lvl) notes += " at " + std::string(to_string(*t.lvl)) + " level";
  return record{
      {"service_request_id", json::string(t.id)},
      {"status", is_open_status(t.st) ? "open" : "closed"},
      {"status_notes", json::string(notes)},
      {"service_name", json::string(cat ? cat->name : t.category)},
      {"service_code", json::string(t.category)},
      {"description", json::string(t.origin.description)},
      {"agency_responsible", unit ? json::value(json::string(unit->name)) : json::value(nullptr)},
      {"service_notice", nullptr},
      {"requested_datetime", json::string(format_rfc3339(t.created_at))},
      {"updated_datetime", json::string(format_rfc3339(t.updated_at))},
      {"expected_datetime", resolve.state == clock_state::idle ? json::value(nullptr)
                                                               : json::value(json::string(format_rfc3339(resolve.due)))},
      {"address", json::string(!t.origin.address.empty() ? t.origin.address : place ? place->name : t.jurisdiction_id)},
      {"address_id", json::string(t.jurisdiction_id)},
      {"zipcode", nullptr},
      {"lat", place && place->position ? json::value(place->position->first) : json::value(nullptr)},
      {"long", place && place->position ? json::value(place->position->second) : json::value(nullptr)},
      {"media_url", nullptr},
  };
}

}  // namespace

void handler::open311(call& c) {
  std::string rest = c.path.substr(std::string("/open311/v2/").size());
  bool xml = false;
  if (rest.size() > 5 && rest.substr(rest.size() - 5) == ".json") {
    rest.resize(rest.size() - 5);
  } else if (rest.size() > 4 && rest.substr(rest.size() - 4) == ".xml") {
    rest.resize(rest.size() - 4);
    xml = true;
  } else {
    return fail(c, false, 404, "append .json or .xml to the resource");
  }
  const auto& rules = engine_.rules();

  if (rest == "services" && c.req.method() == http::verb::get) {
    std::vector<record> items;
    for (const auto& cat : rules.categories()) {
      std::string keywords;
      for (const auto& k : cat.keywords) keywords += (keywords.empty() ? "" : ",") + k;
      items.push_back(record{{"service_code", json::string(cat.code)},
                             {"service_name", json::string(cat.name)},
                             {"description", json::string(cat.name)},
                             {"metadata", false},
                             {"type", "realtime"},
                             {"keywords", json::string(keywords)},
                             {"group", json::string(cat.group)}});
    }
    return answer(c, xml, http::status::ok, "services", "service", items);
  }
  if (rest.rfind("services/", 0) == 0 && c.req.method() == http::verb::get) {
    const auto code = rest.substr(9);
    if (!rules.find_category(code)) return fail(c, xml, 404, "no service " + code);
    // metadata is false for every service: the definition has no attributes.
    if (xml) {
      return c.reply(http::status::ok,
                     "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<service_definition><service_code>" + xml_escape(code) +
                         "</service_code><attributes></attributes></service_definition>\n",
                     "text/xml; charset=utf-8");
    }
    return c.reply_json(http::status::ok, json::object{{"service_code", code}, {"attributes", json::array{}}});
  }

  // Everything else needs a key: api_key (form or query) or a bearer token.
  auto params = c.query;
  if (c.req.method() == http::verb::post) {
    for (auto& [k, v] : parse_pairs(c.req.body())) params[k] = v;
  }
  std::string key = params.count("api_key") ? params["api_key"] : std::string{};
  const auto auth = c.req[http::field::authorization];
  if (key.empty() && auth.size() > 7 && boost::beast::iequals(auth.substr(0, 7), "Bearer ")) {
    key = std::string(auth.substr(7));
  }
  auto tok = tokens_.find(key);
  if (!tok) return fail(c, xml, 403, "a valid api_key is required");
  c.token = *tok;
  int retry_after = 0;
  if (!limiter_.allow(c.token.name, retry_after)) {
    c.headers.emplace_back("Retry-After", std::to_string(retry_after));
    return fail(c, xml, 429, "too many requests");
  }

  if (rest == "requests" && c.req.method() == http::verb::post) {
    if (c.token.who != role::operator_ && c.token.who != role::integration && c.token.who != role::admin) {
      return fail(c, xml, 403, "this api_key may not file requests");
    }
    const auto code = params["service_code"];
    if (code.empty()) return fail(c, xml, 400, "service_code is required");
    if (!rules.find_category(code)) return fail(c, xml, 400, "unknown service_code " + code);
    auto place = params["address_id"];
    if (place.empty() && !params["address_string"].empty()) {
      auto located = rules.locate(params["address_string"]);
      if (!located) return fail(c, xml, 400, located.err().message);
      place = *located;
    }
    if (place.empty() && !params["lat"].empty() && !params["long"].empty()) {
      double lat = 0, lon = 0;
      try {
        lat = std::stod(params["lat"]);
        lon = std::stod(params["long"]);
      } catch (const std::exception&) {
        return fail(c, xml, 400, "lat and long must be decimal degrees");
      }
      auto located = rules.locate(lat, lon);
      if (!located) return fail(c, xml, 400, located.err().message);
      place = *located;
    }
    if (place.empty()) {
      return fail(c, xml, 400, "a location is required: address_id (a place id), an address_string naming a place, or lat and long");
    }
    if (!rules.tree().find(place)) return fail(c, xml, 400, "unknown address_id " + place);
    if (!in_scope(c.token, place, rules.tree())) return fail(c, xml, 403, "address_id is outside this api_key's scope");
    appeal a;
    a.via = c.token.who == role::integration ? channel::integration : channel::app;
    a.category = code;
    a.description = params["description"];
    a.jurisdiction_id = place;
    a.address = params["address_string"];
    a.resident.name = params["last_name"] + params["first_name"];
    a.resident.phone = params["phone"];
    a.reported_at = clock_.now();
    if (!params["device_id"].empty() || !params["account_id"].empty()) {
      a.source_id = "open311:" + params["account_id"] + ":" + params["device_id"] + ":" + sha256_hex(c.req.body()).substr(0, 16);
    }
    command cmd;
    cmd.id = command_id("open311-");
    cmd.by = actor{c.token.who, c.token.name};
    cmd.body = submit_cmd{std::move(a)};
    auto self = c.self.lock();
    return engine_.post(std::move(cmd), [self, xml](runtime::outcome o) {
      if (!o.ok()) {
        const unsigned status = o.err->code == "storage" ? 503 : 400;
        return fail(*self, xml, status, o.err->message + (o.err->field.empty() ? "" : " (" + o.err->field + ")"));
      }
      answer(*self, xml, http::status::created, "service_requests", "request",
             {record{{"service_request_id", json::string(o.ticket_id)},
                     {"service_notice", o.joined ? json::value("joined an open request for the same problem")
                                                 : json::value(nullptr)},
                     {"account_id", nullptr}}});
    });
  }
  if (c.req.method() != http::verb::get) return fail(c, xml, 405, "method not allowed");

  if (rest.rfind("requests/", 0) == 0) {
    const auto id = rest.substr(9);
    auto t = engine_.storage().load_ticket(id);
    if (!t || !*t || !in_scope(c.token, (*t)->jurisdiction_id, rules.tree())) return fail(c, xml, 404, "no request " + id);
    return answer(c, xml, http::status::ok, "service_requests", "request", {request_record(**t, rules)});
  }
  if (rest != "requests") return fail(c, xml, 404, "no resource " + c.path);

  std::set<std::string> ids;
  if (!params["service_request_id"].empty()) {
    std::stringstream in(params["service_request_id"]);
    for (std::string part; std::getline(in, part, ',');) ids.insert(part);
  }
  std::set<std::string> codes;
  if (!params["service_code"].empty()) {
    std::stringstream in(params["service_code"]);
    for (std::string part; std::getline(in, part, ',');) codes.insert(part);
  }
  const auto status_filter = params["status"];
  if (!status_filter.empty() && status_filter != "open" && status_filter != "closed") {
    return fail(c, xml, 400, "status must be open or closed");
  }
  std::optional<instant> start, end;
  for (auto [name, slot] : {std::pair{"start_date", &start}, std::pair{"end_date", &end}}) {
    if (!params[name].empty()) {
      auto t = parse_rfc3339(params[name]);
      if (!t) return fail(c, xml, 400, std::string(name) + " must be a W3C date-time");
      *slot = *t;
    }
  }
  // The spec's default window is the last 90 days, at most 1000 requests.
  if (ids.empty() && !start && !end) start = clock_.now() - std::chrono::hours(24 * 90);
  std::vector<ticket> found;
  auto scanned = engine_.storage().for_each_ticket([&](unsigned, const ticket& t) {
    if (!in_scope(c.token, t.jurisdiction_id, rules.tree())) return true;
    if (!ids.empty() && !ids.count(t.id)) return true;
    if (!codes.empty() && !codes.count(t.category)) return true;
    if (status_filter == "open" && !is_open_status(t.st)) return true;
    if (status_filter == "closed" && is_open_status(t.st)) return true;
    if (start && t.created_at < *start) return true;
    if (end && t.created_at > *end) return true;
    found.push_back(t);
    return true;
  });
  if (!scanned) return fail(c, xml, 503, scanned.err().message);
  std::sort(found.begin(), found.end(), [](const ticket& a, const ticket& b) { return a.created_at > b.created_at; });
  if (found.size() > 1000) found.resize(1000);
  std::vector<record> items;
  for (const auto& t : found) items.push_back(request_record(t, rules));
  answer(c, xml, http::status::ok, "service_requests", "request", items);
}

}  // namespace doorstep::api
