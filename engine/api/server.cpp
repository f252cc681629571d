#include "api/server.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "api/problem.h"

namespace doorstep::api {

namespace beast = boost::beast;
namespace net = boost::asio;
using tcp = net::ip::tcp;

class session : public std::enable_shared_from_this<session> {
 public:
  session(tcp::socket socket, server& owner) : stream_(std::move(socket)), owner_(owner) {}

  void run() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read(); });
  }

  // Called from any thread by server::stop().
  void shutdown() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      self->closing_ = true;
      if (!self->busy_) self->close();
    });
  }

  ~session() { owner_.forget(this); }

 private:
  void read() {
    if (closing_) return close();
    parser_.emplace();
    parser_->body_limit(owner_.opts_.max_body_bytes);
    parser_->header_limit(static_cast<std::uint32_t>(owner_.opts_.max_header_bytes));
    stream_.expires_after(first_ ? owner_.opts_.request_timeout : owner_.opts_.idle_timeout);
    first_ = false;
    http::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      self->on_read(ec);
    });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == net::error::operation_aborted ||
        ec == net::error::connection_reset || ec == net::error::eof) {
      return close();
    }
    if (ec) return reject(ec);
    busy_ = true;
    req_ = parser_->release();
    stream_.expires_never();
    auto self = shared_from_this();
    // While the engine holds the request the io_context has nothing else of this session
    // to run; the work guard keeps it from returning (at shutdown) before the answer is
    // posted, so no answer lands on a stopped io_context to be destroyed after the server.
    auto work = net::make_work_guard(stream_.get_executor());
    owner_.handler_.handle(req_, [self, work](response res) mutable {
      net::post(self->stream_.get_executor(), [self, res = std::move(res)]() mutable { self->write(std::move(res)); });
      work.reset();
    });
  }

  // A request that could not be read: answer with a problem and close.
  void reject(beast::error_code ec) {
    problem p = ec == http::error::body_limit ? make_problem(413, "payload_too_large", "the body exceeds " +
                                                                  std::to_string(owner_.opts_.max_body_bytes) + " bytes")
                : ec == http::error::header_limit ? make_problem(431, "bad_request", "the headers are too large")
                                                  : make_problem(400, "bad_request", "malformed HTTP request: " + ec.message());
    response res{static_cast<http::status>(p.status), 11};
    res.set(http::field::content_type, "application/problem+json; charset=utf-8");
    res.keep_alive(false);
    res.body() = boost::json::serialize(to_json(p));
    res.prepare_payload();
    closing_ = true;
    write(std::move(res));
  }

  void write(response res) {
    res_ = std::make_shared<response>(std::move(res));
    if (closing_ || owner_.stopping_) res_->keep_alive(false);
    stream_.expires_after(owner_.opts_.request_timeout);
    http::async_write(stream_, *res_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      self->busy_ = false;
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
  server& owner_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  request req_;
  std::shared_ptr<response> res_;
  bool busy_ = false;
  bool closing_ = false;
  bool first_ = true;
};

server::server(net::io_context& ioc, const tcp::endpoint& at, handler& h, server_options opts)
    : ioc_(ioc), acceptor_(net::make_strand(ioc)), handler_(h), opts_(opts) {
  acceptor_.open(at.protocol());
  acceptor_.set_option(net::socket_base::reuse_address(true));
  acceptor_.bind(at);
  acceptor_.listen(net::socket_base::max_listen_connections);
  port_ = acceptor_.local_endpoint().port();
}

server::~server() = default;

void server::start() { accept(); }

void server::accept() {
  acceptor_.async_accept(net::make_strand(ioc_), [this](beast::error_code ec, tcp::socket socket) {
    if (ec || stopping_) return;
    std::shared_ptr<session> s;
    {
      std::lock_guard lock(mu_);
      if (sessions_.size() < opts_.max_connections) {
        s = std::make_shared<session>(std::move(socket), *this);
        sessions_.insert(s);
      }
    }
    if (s) s->run();  // over the connection limit the socket just closes
    accept();
  });
}

void server::forget(session*) {
  std::lock_guard lock(mu_);
  std::erase_if(sessions_, [](const std::weak_ptr<session>& w) { return w.expired(); });
}

void server::stop() {
  if (stopping_.exchange(true)) return;
  net::post(acceptor_.get_executor(), [this] {
    beast::error_code ec;
    acceptor_.close(ec);
  });
  std::vector<std::shared_ptr<session>> live;
  {
    std::lock_guard lock(mu_);
    for (const auto& w : sessions_) {
      if (auto s = w.lock()) live.push_back(std::move(s));
    }
  }
  for (auto& s : live) s->shutdown();
}

}  // namespace doorstep::api
