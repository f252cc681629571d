// tests/bench/trivial_http.cpp
// bench_trivial_http: the HTTP baseline. A minimal Boost.Beast server with the port
// settings of `doorstep serve` (same threads, one io_context, a strand per connection,
// keep-alive, 64 KiB body and 8 KiB header limits, read/write deadlines) whose handler
// does no work: it reads the request and answers 201 with a small fixed JSON body of the
// shape POST /api/v1/appeals returns. Prints "listening on HOST:PORT" when ready.
#include <CLI/CLI.hpp>

#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <iostream>
#include <memory>
#include <optional>
#include <thread>

#include "api/server.h"

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

constexpr std::string_view kAnswer =
    R"({"ticket_id":"T20260302-003-000123","status":"dispatched","level":"building",)"
    R"("unit_id":"runtai-huayuan-b1-head","deadlines":{},"joined":false,"version":2})";

class session : public std::enable_shared_from_this<session> {
 public:
  session(tcp::socket s, const doorstep::api::server_options& o) : stream_(std::move(s)), opts_(o) {}
  void run() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read(); });
  }

 private:
  void read() {
    parser_.emplace();
    parser_->body_limit(opts_.max_body_bytes);
    parser_->header_limit(static_cast<std::uint32_t>(opts_.max_header_bytes));
    stream_.expires_after(opts_.idle_timeout);
    http::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->close();
      self->answer();
    });
  }

  void answer() {
    const auto req = parser_->release();
    res_.emplace(http::status::created, req.version());
    res_->set(http::field::content_type, "application/json; charset=utf-8");
    res_->keep_alive(req.keep_alive());
    res_->body() = kAnswer;
    res_->prepare_payload();
    stream_.expires_after(opts_.request_timeout);
    http::async_write(stream_, *res_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec || !self->res_->keep_alive()) return self->close();
      self->read();
    });
  }

  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
  }

  beast::tcp_stream stream_;
  const doorstep::api::server_options& opts_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::string_body>> res_;
};

void accept(net::io_context& ioc, tcp::acceptor& acceptor, const doorstep::api::server_options& opts) {
  acceptor.async_accept(net::make_strand(ioc), [&](beast::error_code ec, tcp::socket s) {
    if (ec) return;
    std::make_shared<session>(std::move(s), opts)->run();
    accept(ioc, acceptor, opts);
  });
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Trivial Beast HTTP server: the baseline of the HTTP benchmark"};
  std::string host = "127.0.0.1";
  unsigned short port = 0;
  unsigned threads = 2;
  app.add_option("--host", host, "address to listen on");
  app.add_option("--port", port, "port (0 picks one)");
  app.add_option("--threads", threads, "I/O threads (as doorstep serve --threads)")->check(CLI::Range(1, 64));
  CLI11_PARSE(app, argc, argv);

  const doorstep::api::server_options opts;  // the limits and deadlines doorstep serve uses
  net::io_context ioc;
  tcp::acceptor acceptor(net::make_strand(ioc));
  const tcp::endpoint at(net::ip::make_address(host), port);
  acceptor.open(at.protocol());
  acceptor.set_option(net::socket_base::reuse_address(true));
  acceptor.bind(at);
  acceptor.listen(net::socket_base::max_listen_connections);
  accept(ioc, acceptor, opts);
  net::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int) { ioc.stop(); });
  std::cout << "listening on " << host << ":" << acceptor.local_endpoint().port() << std::endl;
  std::vector<std::thread> pool;
  for (unsigned i = 1; i < threads; ++i) pool.emplace_back([&] { ioc.run(); });
  ioc.run();
  for (auto& t : pool) t.join();
  return 0;
}
