// engine/api/call.h
// One request in flight: its parsed target, the caller's token, and the ways to answer.
#pragma once

#include <boost/json.hpp>
#include <map>
#include <memory>

#include "api/handler.h"
#include "api/problem.h"
#include "domain/codec.h"

namespace doorstep::api {

std::string url_decode(std::string_view s);
// "a=1&b=%E7%8E%8B" (a query string or an application/x-www-form-urlencoded body).
std::map<std::string, std::string> parse_pairs(std::string_view text);

struct call {
  call(const request& r, std::function<void(response)> d);

  const request& req;
  std::function<void(response)> done;
  std::weak_ptr<call> self;
  std::string path;
  std::map<std::string, std::string> query;
  token_record token;
  std::vector<std::pair<std::string, std::string>> headers;  // extra response headers

  void reply(http::status status, std::string body, std::string_view content_type);
  void reply_json(http::status status, const boost::json::value& v);
  void reply_problem(const problem& p);
  void reply_error(const error& e);
  // The body as a JSON object, or nullopt after answering 415/400/422.
  std::optional<boost::json::object> json_body();
};

inline std::string_view method_string(const request& r) {
  return {r.method_string().data(), r.method_string().size()};
}

}  // namespace doorstep::api
