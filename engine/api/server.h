// engine/api/server.h
// The HTTP/1.1 server (Boost.Beast on Asio): one session per connection on its own
// strand; every read and write has a deadline; bodies and headers are bounded; a slow
// or malformed client costs one socket, never a thread. stop() stops accepting, lets
// requests in flight finish, and closes idle connections.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <memory>
#include <mutex>
#include <set>

#include "api/handler.h"

namespace doorstep::api {

struct server_options {
  std::size_t max_body_bytes = 64 * 1024;
  std::size_t max_header_bytes = 8 * 1024;
  std::chrono::seconds request_timeout{30};  // to read one whole request
  std::chrono::seconds idle_timeout{60};     // keep-alive between requests
  std::size_t max_connections = 1024;
};

class session;

class server {
 public:
  // Binds and listens; throws boost::system::system_error if the address is taken.
  server(boost::asio::io_context& ioc, const boost::asio::ip::tcp::endpoint& at, handler& h, server_options opts);
  ~server();

  unsigned short port() const { return port_; }
  void start();
  // Thread-safe. Stops accepting; idle connections close now, busy ones after their response.
  void stop();

 private:
  friend class session;
  void accept();
  void forget(session* s);

  boost::asio::io_context& ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  handler& handler_;
  server_options opts_;
  unsigned short port_ = 0;
  std::mutex mu_;
  std::set<std::weak_ptr<session>, std::owner_less<std::weak_ptr<session>>> sessions_;
  std::atomic<bool> stopping_{false};
};

}  // namespace doorstep::api
