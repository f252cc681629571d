#include "api/problem.h"

#include <map>

namespace doorstep::api {
namespace {

struct kind {
  unsigned status;
  const char* title;
};

const std::map<std::string, kind>& kinds() {
  static const std::map<std::string, kind> k{
      {"invalid_json", {400, "The body is not valid JSON"}},
      {"bad_request", {400, "The request is malformed"}},
      {"unauthorized", {401, "A valid bearer token is required"}},
      {"forbidden", {403, "The token may not do this"}},
      {"not_found", {404, "No such resource"}},
      {"method_not_allowed", {405, "Method not allowed on this resource"}},
      {"not_acceptable", {406, "No acceptable representation"}},
      {"illegal_transition", {409, "The ticket's state does not allow this"}},
      {"return_limit", {409, "The ticket was returned too often"}},
      {"top_of_ladder", {409, "There is no level above"}},
      {"feedback_window_closed", {409, "The feedback window has closed"}},
      {"not_verified", {409, "The result has not been verified"}},
      {"idempotency_conflict", {409, "The Idempotency-Key was used with another body"}},
      {"stale_timer", {409, "The timer is no longer pending"}},
      {"already_exists", {409, "Already exists"}},
      {"stale_version", {412, "The ticket changed since the version given in If-Match"}},
      {"payload_too_large", {413, "The body is too large"}},
      {"unsupported_media_type", {415, "The body must be application/json"}},
      {"missing_field", {422, "A required field is missing"}},
      {"invalid_field", {422, "A field has an invalid value"}},
      {"unknown_category", {422, "Unknown category"}},
      {"unknown_jurisdiction", {422, "Unknown place"}},
      {"unknown_unit", {422, "Unknown unit"}},
      {"cross_community", {422, "The tickets belong to different communities"}},
      {"too_many_requests", {429, "Too many requests"}},
      {"storage", {503, "The store is unavailable"}},
      {"unavailable", {503, "The service is unavailable"}},
  };
  return k;
}

}  // namespace

problem make_problem(unsigned status, std::string code, std::string detail, std::string field) {
  problem p{status, std::move(code), {}, std::move(detail), std::move(field)};
  auto it = kinds().find(p.code);
  p.title = it != kinds().end() ? it->second.title : "Error";
  return p;
}

problem from_error(const error& e) {
  auto it = kinds().find(e.code);
  const unsigned status = it != kinds().end() ? it->second.status : 500;
  return make_problem(status, e.code, e.message, e.field);
}

boost::json::object to_json(const problem& p) {
  boost::json::object o{{"type", "https://doorstep.dev/problems/" + p.code},
                        {"title", p.title},
                        {"status", p.status},
                        {"code", p.code},
                        {"detail", p.detail}};
  if (!p.field.empty()) o["field"] = p.field;
  return o;
}

}  // namespace doorstep::api
