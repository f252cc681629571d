// engine/api/problem.h
// RFC 9457 problem details: the one place where errors become HTTP answers. Every
// error type has a stable URI under https://doorstep.dev/problems/<code>.
#pragma once

#include <boost/json.hpp>
#include <string>

#include "domain/result.h"

namespace doorstep::api {

struct problem {
  unsigned status = 500;
  std::string code;    // stable: "illegal_transition", "unauthorized", ...
  std::string title;   // short, per code
  std::string detail;  // this occurrence, may be Chinese
  std::string field;   // JSON pointer-ish path of the offending input, if any
};

// Maps a domain/store error to its HTTP status and title.
problem from_error(const error& e);
problem make_problem(unsigned status, std::string code, std::string detail, std::string field = {});

boost::json::object to_json(const problem& p);

}  // namespace doorstep::api
