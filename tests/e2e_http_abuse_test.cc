// The HTTP listener under hostile clients, with the real mpowerd: while
// 2,000 connections trickle their headers a byte every two seconds, 500
// keep-alive connections sit idle and the most HTTP watches the server
// allows are open and never read, another client's GET /v1/partners is
// still answered, on HTTP and on HTTPS. A slow body and slow headers are
// cut off with 408; a client address over its connection cap is refused
// at once while another address is served, and the refusal is counted.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"
#include "tests/process.h"
#include "tests/test_support.h"

namespace mpower {
namespace {

using ::mpower::testing::CommandResult;
using ::mpower::testing::RunCommand;
using ::mpower::testing::ServerProcess;
using ::testing::HasSubstr;

// A TCP connection to 127.0.0.1:`port` from `source` (a loopback address),
// optionally speaking TLS. Blocking, with receive timeouts.
class Connection {
 public:
  Connection(int port, const char* source = "127.0.0.1", SSL_CTX* tls = nullptr) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in from{};
    from.sin_family = AF_INET;
    inet_pton(AF_INET, source, &from.sin_addr);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&from), sizeof(from)) != 0) {
      Fail();
      return;
    }
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&to), sizeof(to)) != 0) {
      Fail();
      return;
    }
    SetTimeout(std::chrono::seconds(5));
    if (tls != nullptr) {
      ssl_ = SSL_new(tls);
      SSL_set_fd(ssl_, fd_);
      if (SSL_connect(ssl_) != 1) Fail();
    }
  }
  ~Connection() {
    if (ssl_ != nullptr) SSL_free(ssl_);
    if (fd_ >= 0) close(fd_);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  bool ok() const { return fd_ >= 0; }
  void SetTimeout(std::chrono::milliseconds timeout) {
    timeval value{static_cast<time_t>(timeout.count() / 1000),
                  static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &value, sizeof(value));
  }
  bool Send(const std::string& data) {
    if (fd_ < 0) return false;
    if (ssl_ != nullptr) return SSL_write(ssl_, data.data(), static_cast<int>(data.size())) > 0;
    return send(fd_, data.data(), data.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(data.size());
  }
  // One byte without waiting, for the trickle.
  void SendByteNow(char byte) {
    if (fd_ >= 0) (void)send(fd_, &byte, 1, MSG_NOSIGNAL | MSG_DONTWAIT);
  }
  // Reads until `done` says the bytes so far are enough, the peer closes,
  // or the timeout passes; returns what came.
  std::string Receive(const std::function<bool(const std::string&)>& done) {
    std::string got;
    char buffer[4096];
    while (fd_ >= 0 && !done(got)) {
      const ssize_t n = ssl_ != nullptr ? SSL_read(ssl_, buffer, sizeof(buffer))
                                        : recv(fd_, buffer, sizeof(buffer), 0);
      if (n <= 0) break;
      got.append(buffer, static_cast<size_t>(n));
    }
    return got;
  }
  // A whole response with a Content-Length body.
  std::string ReceiveResponse() {
    return Receive([](const std::string& got) {
      const size_t end = got.find("\r\n\r\n");
      if (end == std::string::npos) return false;
      const size_t length = got.find("Content-Length: ");
      if (length == std::string::npos || length > end) return true;
      return got.size() >= end + 4 + std::stoul(got.substr(length + 16));
    });
  }
  // Whether the server closed the connection (EOF) within the timeout.
  bool ClosedByPeer() {
    char byte;
    const ssize_t n = recv(fd_, &byte, 1, 0);
    return n == 0 || (n < 0 && errno == ECONNRESET);
  }

 private:
  void Fail() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }
  int fd_ = -1;
  SSL* ssl_ = nullptr;
};

std::string Get(const std::string& path, const std::string& token) {
  return absl::StrCat("GET ", path, " HTTP/1.1\r\nHost: mpower\r\nAuthorization: Bearer ", token,
                      "\r\n\r\n");
}

int StatusOf(const std::string& response) {
  return response.size() > 12 && response.rfind("HTTP/1.1 ", 0) == 0
             ? std::atoi(response.substr(9, 3).c_str())
             : 0;
}

class HttpAbuseTest : public ::testing::TestWithParam<bool> {
 protected:
  static void SetUpTestSuite() {
    // Thousands of connections: as many descriptors as this process may.
    rlimit files{};
    getrlimit(RLIMIT_NOFILE, &files);
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
    certs_ = new testing::TempDir();
    const std::string dir = certs_->path();
    CommandResult made =
        RunCommand({"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj",
                    "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout",
                    dir + "/server.key", "-out", dir + "/server.pem"});
    ASSERT_EQ(made.exit_code, 0) << made.err;
  }
  static void TearDownTestSuite() { delete certs_; }

  void SetUp() override {
    if (GetParam()) {
      tls_ = SSL_CTX_new(TLS_client_method());
      SSL_CTX_set_verify(tls_, SSL_VERIFY_NONE, nullptr);
    }
  }
  void TearDown() override {
    if (tls_ != nullptr) SSL_CTX_free(tls_);
  }

  std::vector<std::string> Flags(std::vector<std::string> more) const {
    more.insert(more.end(), {"--demo-data", "--http-listen=127.0.0.1:0", "--rate-limit=0"});
    if (GetParam()) {
      more.push_back("--tls-cert=" + certs_->path() + "/server.pem");
      more.push_back("--tls-key=" + certs_->path() + "/server.key");
    }
    return more;
  }

  static testing::TempDir* certs_;
  testing::TempDir dir_;
  SSL_CTX* tls_ = nullptr;
};

testing::TempDir* HttpAbuseTest::certs_ = nullptr;

TEST_P(HttpAbuseTest, SlowAndIdleConnectionsAndOpenWatchesDoNotStarveOtherClients) {
  ServerProcess server(
      dir_.path(), Flags({"--http-header-timeout=60s", "--http-max-connections-per-address=100000",
                          "--http-max-streams=16"}));
  ASSERT_GT(server.http_port(), 0) << server.log();
  const int port = server.http_port();
  const std::string token = server.admin_token();

  // 2,000 connections that send a request line and part of a header, then
  // a byte every two seconds (on HTTPS, a few bytes of a handshake).
  std::vector<std::unique_ptr<Connection>> trickling;
  for (int i = 0; i < 2000; ++i) {
    trickling.push_back(std::make_unique<Connection>(port));
    ASSERT_TRUE(trickling.back()->ok()) << "connection " << i;
    // HTTPS: a TLS record header announcing 512 bytes of handshake.
    ASSERT_TRUE(trickling.back()->Send(
        GetParam() ? std::string("\x16\x03\x01\x02\x00", 5)
                   : "GET /v1/partners HTTP/1.1\r\nHost: mpower\r\nX-Slow: "));
  }
  std::atomic<bool> stop = false;
  std::thread trickle([&] {
    while (!stop) {
      for (auto& connection : trickling) connection->SendByteNow('a');
      for (int i = 0; i < 20 && !stop; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  // 500 keep-alive connections that made one request and sit idle.
  std::vector<std::unique_ptr<Connection>> idle;
  for (int i = 0; i < 500; ++i) {
    idle.push_back(std::make_unique<Connection>(port, "127.0.0.1", tls_));
    ASSERT_TRUE(idle.back()->ok()) << "idle connection " << i;
    ASSERT_TRUE(idle.back()->Send("GET /healthz HTTP/1.1\r\nHost: mpower\r\n\r\n"));
    ASSERT_THAT(idle.back()->ReceiveResponse(), HasSubstr("SERVING"));
  }
  // As many watches as the server allows, opened and never read.
  std::vector<std::unique_ptr<Connection>> watches;
  for (int i = 0; i < 16; ++i) {
    watches.push_back(std::make_unique<Connection>(port, "127.0.0.1", tls_));
    ASSERT_TRUE(watches.back()->Send(Get("/v1/changes:watch", token)));
    const std::string head = watches.back()->Receive(
        [](const std::string& got) { return got.find("\r\n\r\n") != std::string::npos; });
    ASSERT_EQ(StatusOf(head), 200) << head;
  }
  {
    Connection one_too_many(port, "127.0.0.1", tls_);
    ASSERT_TRUE(one_too_many.Send(Get("/v1/changes:watch", token)));
    const std::string refused = one_too_many.ReceiveResponse();
    EXPECT_EQ(StatusOf(refused), 429) << refused;
    EXPECT_THAT(refused, HasSubstr("--http-max-streams"));
  }

  // Another client's requests, each on a new connection, are answered.
  std::vector<double> milliseconds;
  for (int i = 0; i < 200; ++i) {
    const auto start = std::chrono::steady_clock::now();
    Connection client(port, "127.0.0.1", tls_);
    client.SetTimeout(std::chrono::seconds(2));
    ASSERT_TRUE(client.ok());
    ASSERT_TRUE(client.Send(Get("/v1/partners", token)));
    const std::string answer = client.ReceiveResponse();
    ASSERT_EQ(StatusOf(answer), 200) << "request " << i << " got: " << answer.substr(0, 300);
    ASSERT_THAT(answer, HasSubstr("International Labour Organization"));
    milliseconds.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
            .count());
  }
  stop = true;
  trickle.join();
  std::sort(milliseconds.begin(), milliseconds.end());
  std::printf(
      "%s: GET /v1/partners beside 2,000 trickling, 500 idle and 16 watching "
      "connections: p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
      GetParam() ? "HTTPS" : "HTTP", milliseconds[100], milliseconds[197], milliseconds.back());
}

TEST_P(HttpAbuseTest, SlowHeadersAndASlowBodyAreCutOffWith408) {
  ServerProcess server(dir_.path(), Flags({"--http-header-timeout=2s", "--http-min-body-rate=50"}));
  ASSERT_GT(server.http_port(), 0) << server.log();
  const std::string token = server.admin_token();

  // A POST of 100 bytes sent a byte a second, where 50 a second are
  // required after a grace of 2 s.
  Connection slow_post(server.http_port(), "127.0.0.1", tls_);
  slow_post.SetTimeout(std::chrono::seconds(1));
  ASSERT_TRUE(slow_post.Send(
      absl::StrCat("POST /v1/partners HTTP/1.1\r\nHost: mpower\r\nAuthorization: Bearer ", token,
                   "\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n")));
  std::string answer;
  for (int second = 0; second < 20 && answer.empty(); ++second) {
    slow_post.Send("{");
    answer = slow_post.ReceiveResponse();
  }
  EXPECT_EQ(StatusOf(answer), 408) << answer;
  EXPECT_THAT(answer, HasSubstr("came too slowly"));
  EXPECT_THAT(answer, HasSubstr("Connection: close"));

  // A POST that declares a large body and sends none is cut off after the
  // grace, not after the hours its declared length would take at 50 a
  // second.
  Connection declared_only(server.http_port(), "127.0.0.1", tls_);
  declared_only.SetTimeout(std::chrono::seconds(15));
  ASSERT_TRUE(declared_only.Send(
      absl::StrCat("POST /v1/partners HTTP/1.1\r\nHost: mpower\r\nAuthorization: Bearer ", token,
                   "\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n")));
  const std::string dropped = declared_only.ReceiveResponse();
  EXPECT_EQ(StatusOf(dropped), 408) << dropped;

  // Headers that never end.
  Connection slow_headers(server.http_port(), "127.0.0.1", tls_);
  slow_headers.SetTimeout(std::chrono::seconds(10));
  ASSERT_TRUE(slow_headers.Send("GET /v1/partners HTTP/1.1\r\nHost: mpower\r\nX-Slow: "));
  const std::string cut = slow_headers.ReceiveResponse();
  EXPECT_EQ(StatusOf(cut), 408) << cut;
}

TEST_P(HttpAbuseTest, AnAddressOverItsConnectionCapIsRefusedWhileAnotherIsServedAndCounted) {
  ServerProcess server(dir_.path(),
                       Flags({"--http-max-connections-per-address=8", "--http-header-timeout=60s",
                              "--metrics-listen=127.0.0.1:0"}));
  ASSERT_GT(server.http_port(), 0) << server.log();
  std::vector<std::unique_ptr<Connection>> held;
  for (int i = 0; i < 8; ++i) {
    held.push_back(std::make_unique<Connection>(server.http_port(), "127.0.0.2"));
    ASSERT_TRUE(held.back()->ok());
  }
  // The ninth from that address is closed at once.
  Connection ninth(server.http_port(), "127.0.0.2");
  ASSERT_TRUE(ninth.ok());
  EXPECT_TRUE(ninth.ClosedByPeer()) << "a connection over the per-address cap stays open";

  // Another address is served.
  Connection other(server.http_port(), "127.0.0.1", tls_);
  ASSERT_TRUE(other.Send(Get("/v1/partners", server.admin_token())));
  EXPECT_EQ(StatusOf(other.ReceiveResponse()), 200);

  // And the refusal is in the metrics.
  CommandResult metrics =
      RunCommand({"/usr/bin/curl", "-s",
                  absl::StrCat("http://127.0.0.1:", server.metrics_port(), "/metrics")});
  EXPECT_THAT(metrics.out,
              HasSubstr("mpower_http_connections_limited_total{reason=\"address_cap\"} 1"));
}

INSTANTIATE_TEST_SUITE_P(Listeners, HttpAbuseTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Https" : "Http";
                         });

}  // namespace
}  // namespace mpower
