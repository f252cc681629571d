#include "support/http_client.h"

#include <signal.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <stdexcept>

namespace doorstep::testing {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;

boost::json::value http_reply::json() const { return boost::json::parse(body); }

http_reply http_request(unsigned short port, const std::string& method, const std::string& target,
                        const std::string& body, const std::map<std::string, std::string>& headers) {
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.connect(net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, "127.0.0.1");
  for (const auto& [k, v] : headers) req.set(k, v);
  req.body() = body;
  req.prepare_payload();
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  http::read(stream, buffer, parser);
  auto res = parser.release();
  http_reply r;
  r.status = static_cast<int>(res.result_int());
  for (const auto& f : res) {
    std::string name(f.name_string());
    for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    r.headers[name] = std::string(f.value());
  }
  r.body = res.body();
  beast::error_code ec;
  stream.socket().shutdown(net::ip::tcp::socket::shutdown_both, ec);
  return r;
}

test_server::test_server(std::vector<std::string> extra_args, const std::filesystem::path& data_dir) {
  const auto data = data_dir.empty() ? dir_.path() / "data" : data_dir;
  std::vector<std::string> args{DOORSTEP_BINARY, "--config", std::string(DOORSTEP_SOURCE_DIR) + "/config/doorstep.yaml",
                                "serve", "--listen", "127.0.0.1:0", "--data", data.string(),
                                "--clock", "simulated", "--clock-start", "2026-03-02T09:00:00+08:00", "--demo-tokens"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  proc_ = std::make_unique<child_process>(args, (dir_.path() / "server.log").string());
  while (auto line = proc_->read_line()) {
    const std::string marker = "serving on http://127.0.0.1:";
    if (auto pos = line->find(marker); pos != std::string::npos) {
      port_ = static_cast<unsigned short>(std::stoi(line->substr(pos + marker.size())));
      return;
    }
  }
  throw std::runtime_error("doorstep serve did not start; see " + (dir_.path() / "server.log").string());
}

test_server::~test_server() {
  if (proc_) stop();
}

http_reply test_server::get(const std::string& token, const std::string& target,
                            const std::map<std::string, std::string>& h) {
  auto headers = h;
  headers["Authorization"] = "Bearer " + token;
  return http_request(port_, "GET", target, {}, headers);
}

http_reply test_server::post(const std::string& token, const std::string& target, const std::string& body,
                             std::map<std::string, std::string> h) {
  h["Authorization"] = "Bearer " + token;
  if (!h.count("Content-Type")) h["Content-Type"] = "application/json";
  return http_request(port_, "POST", target, body, h);
}

int test_server::stop() {
  ::kill(proc_->pid(), SIGTERM);
  while (proc_->read_line()) {
  }
  const int code = proc_->wait();
  proc_.reset();
  return code;
}

}  // namespace doorstep::testing
