// tests/support/http_client.h
// A plain HTTP/1.1 client over a real socket, and a doorstep server started as a child
// process on a free port, for end-to-end API tests.
#pragma once

#include <boost/json.hpp>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "support/process.h"
#include "support/test_support.h"

namespace doorstep::testing {

struct http_reply {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  boost::json::value json() const;
};

// One request on a fresh connection. `headers` may set Authorization, Content-Type...
http_reply http_request(unsigned short port, const std::string& method, const std::string& target,
                        const std::string& body = {}, const std::map<std::string, std::string>& headers = {});

// `doorstep serve` on 127.0.0.1:0 with the simulated clock and demo tokens, on a fresh
// data directory in its own temp dir, or on `data_dir` when given (e.g. a restored one).
class test_server {
 public:
  explicit test_server(std::vector<std::string> extra_args = {}, const std::filesystem::path& data_dir = {});
  ~test_server();
  unsigned short port() const { return port_; }
  const temp_dir& dir() const { return dir_; }

  // As a demo token ("demo-operator", ...), JSON bodies.
  http_reply get(const std::string& token, const std::string& target, const std::map<std::string, std::string>& h = {});
  http_reply post(const std::string& token, const std::string& target, const std::string& body,
                  std::map<std::string, std::string> h = {});
  // SIGTERM and wait; returns the exit code.
  int stop();

 private:
  temp_dir dir_;
  std::unique_ptr<child_process> proc_;
  unsigned short port_ = 0;
};

}  // namespace doorstep::testing
