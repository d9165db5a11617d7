#ifndef MPOWER_TESTS_LOOPBACK_HTTP_SERVER_H_
#define MPOWER_TESTS_LOOPBACK_HTTP_SERVER_H_

// An httplib server that tests and benchmarks start on loopback: webhook
// receivers, a page's web origin. Header-only, as httplib is.

#include <httplib.h>

#include <chrono>
#include <thread>

namespace mpower::testing {

// Serves `server`, already given its handlers, on 127.0.0.1 at a port the
// OS picks, on its own thread, until destroyed.
class LoopbackHttpServer {
 public:
  explicit LoopbackHttpServer(httplib::Server& server) : server_(server) {
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~LoopbackHttpServer() {
    // httplib loses a stop that comes before the listening thread runs,
    // and the join would then wait for ever.
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    server_.stop();
    thread_.join();
  }
  LoopbackHttpServer(const LoopbackHttpServer&) = delete;
  LoopbackHttpServer& operator=(const LoopbackHttpServer&) = delete;

  int port() const { return port_; }

 private:
  httplib::Server& server_;
  int port_ = 0;
  std::thread thread_;
};

}  // namespace mpower::testing

#endif  // MPOWER_TESTS_LOOPBACK_HTTP_SERVER_H_
