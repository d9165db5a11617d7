#ifndef MPOWER_TESTS_FLAKY_PROXY_H_
#define MPOWER_TESTS_FLAKY_PROXY_H_

// A TCP proxy on 127.0.0.1, to a server on 127.0.0.1, that is slow and
// cuts some of the connections through it after a random number of bytes:
// a poor network that drops calls halfway, for tests of what a client does
// then.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

namespace mpower::testing {

class FlakyProxy {
 public:
  // Each connection is cut, with probability `cut_probability`, after a
  // number of bytes (either way) drawn from [0, 8192); whatever is read
  // from either end waits `delay` before it is passed on.
  FlakyProxy(int target_port, double cut_probability, std::chrono::milliseconds delay,
             uint32_t seed)
      : target_port_(target_port), cut_probability_(cut_probability), delay_(delay), random_(seed) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), size) != 0 ||
        ::listen(listener_, 64) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
      return;
    }
    port_ = ntohs(address.sin_port);
    acceptor_ = std::thread([this] { Accept(); });
  }
  FlakyProxy(const FlakyProxy&) = delete;
  FlakyProxy& operator=(const FlakyProxy&) = delete;
  ~FlakyProxy() {
    stopping_ = true;
    if (acceptor_.joinable()) acceptor_.join();
    std::lock_guard<std::mutex> lock(mutex_);
    for (std::thread& relay : relays_) relay.join();
    ::close(listener_);
  }

  int port() const { return port_; }  // 0 if it could not listen
  int cut() const { return cut_.load(); }

  // Cuts every connection open now.
  void CutAll() { ++generation_; }
  // While refusing, every new connection is closed as soon as it opens:
  // the server cannot be reached.
  void SetRefusing(bool refusing) { refusing_ = refusing; }

 private:
  void Accept() {
    while (!stopping_) {
      pollfd ready{listener_, POLLIN, 0};
      if (::poll(&ready, 1, 50) <= 0) continue;
      const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      if (refusing_) {
        ::close(client);
        continue;
      }
      const int server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in address{};
      address.sin_family = AF_INET;
      address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      address.sin_port = htons(static_cast<uint16_t>(target_port_));
      if (::connect(server, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        ::close(client);
        ::close(server);
        continue;
      }
      int64_t budget = -1;  // never cut
      if (std::uniform_real_distribution<double>(0, 1)(random_) < cut_probability_) {
        budget = std::uniform_int_distribution<int64_t>(0, 8191)(random_);
      }
      std::lock_guard<std::mutex> lock(mutex_);
      const int generation = generation_.load();
      relays_.emplace_back([this, client, server, budget, generation] {
        Relay(client, server, budget, generation);
      });
    }
  }

  // Copies bytes both ways until either side closes, `budget` bytes have
  // passed (then both are cut), CutAll is called, or the proxy stops.
  void Relay(int client, int server, int64_t budget, int generation) {
    char buffer[16384];
    int64_t passed = 0;
    while (!stopping_ && generation_ == generation) {
      pollfd ends[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
      if (::poll(ends, 2, 50) <= 0) continue;
      bool open = true;
      for (int i = 0; i < 2 && open; ++i) {
        if ((ends[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
        const ssize_t got = ::read(ends[i].fd, buffer, sizeof buffer);
        if (got <= 0) {
          open = false;
          break;
        }
        std::this_thread::sleep_for(delay_);
        ssize_t allowed = got;
        if (budget >= 0 && passed + got > budget) allowed = static_cast<ssize_t>(budget - passed);
        const int to = i == 0 ? server : client;
        for (ssize_t sent = 0; sent < allowed;) {
          const ssize_t n =
              ::send(to, buffer + sent, static_cast<size_t>(allowed - sent), MSG_NOSIGNAL);
          if (n <= 0) break;
          sent += n;
        }
        passed += allowed;
        if (allowed < got) {
          ++cut_;
          open = false;
        }
      }
      if (!open) break;
    }
    ::close(client);
    ::close(server);
  }

  const int target_port_;
  const double cut_probability_;
  const std::chrono::milliseconds delay_;
  std::mt19937 random_;  // the acceptor's alone
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_ = false;
  std::atomic<int> cut_ = 0;
  std::atomic<int> generation_ = 0;
  std::atomic<bool> refusing_ = false;
  std::thread acceptor_;
  std::mutex mutex_;
  std::vector<std::thread> relays_;
};

}  // namespace mpower::testing

#endif  // MPOWER_TESTS_FLAKY_PROXY_H_
