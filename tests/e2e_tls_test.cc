// TLS and mutual TLS with the real mpowerd and mpower, on certificates the
// test makes with the openssl command.

#include <chrono>
#include <cstdio>
#include <fstream>
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
using ::testing::Not;

class TlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    certs_ = new testing::TempDir();
    const std::string dir = certs_->path();
    std::ofstream(dir + "/server.ext") << "subjectAltName=IP:127.0.0.1,DNS:localhost\n";
    MakeCa("ca");
    MakeCa("rogue-ca");
    MakeSigned("server", "localhost", "ca", dir + "/server.ext");
    MakeSigned("client", "ilo-desk-certificate", "ca", "");
    MakeSigned("rogue", "ilo-desk-certificate", "rogue-ca", "");
  }
  static void TearDownTestSuite() { delete certs_; }

  static void Openssl(std::vector<std::string> args) {
    args.insert(args.begin(), "/usr/bin/openssl");
    CommandResult result = RunCommand(args);
    ASSERT_EQ(result.exit_code, 0) << result.err;
  }
  static std::string Path(const std::string& file) { return certs_->path() + "/" + file; }
  static void MakeCa(const std::string& name) {
    Openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", Path(name + ".key"), "-out", Path(name + ".pem"), "-days", "2", "-subj",
             "/CN=" + name});
  }
  static void MakeSigned(const std::string& name, const std::string& common_name,
                         const std::string& ca, const std::string& extensions) {
    Openssl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", Path(name + ".key"), "-out", Path(name + ".csr"), "-subj",
             "/CN=" + common_name});
    std::vector<std::string> sign = {"x509",
                                     "-req",
                                     "-in",
                                     Path(name + ".csr"),
                                     "-CA",
                                     Path(ca + ".pem"),
                                     "-CAkey",
                                     Path(ca + ".key"),
                                     "-CAcreateserial",
                                     "-out",
                                     Path(name + ".pem"),
                                     "-days",
                                     "2"};
    if (!extensions.empty()) {
      sign.push_back("-extfile");
      sign.push_back(extensions);
    }
    Openssl(sign);
  }

  // Puts certificate `name` (and its key) where the server reads them:
  // written aside and renamed, so the server never reads half a file.
  static void Install(const std::string& name, const std::string& cert, const std::string& key) {
    for (const auto& [from, to] :
         {std::pair{Path(name + ".pem"), cert}, std::pair{Path(name + ".key"), key}}) {
      std::ifstream in(from, std::ios::binary);
      std::ofstream(to + ".new", std::ios::binary) << in.rdbuf();
      ASSERT_EQ(std::rename((to + ".new").c_str(), to.c_str()), 0);
    }
  }

  CommandResult Cli(const ServerProcess& server, std::vector<std::string> args,
                    const std::map<std::string, std::string>& settings) {
    args.insert(args.begin(), MPOWER_PATH);
    std::map<std::string, std::string> env = {{"MPOWER_ADDRESS", server.address()},
                                              {"MPOWER_CONFIG", data_.path() + "/none"}};
    env.insert(settings.begin(), settings.end());
    return RunCommand(args, env);
  }

  static testing::TempDir* certs_;
  testing::TempDir data_;
};

testing::TempDir* TlsTest::certs_ = nullptr;

TEST_F(TlsTest, ServesTokensOverTlsAndRefusesPlaintext) {
  ServerProcess server(data_.path(), {"--demo-data", "--tls-cert=" + Path("server.pem"),
                                      "--tls-key=" + Path("server.key")});
  ASSERT_GT(server.port(), 0) << server.log();
  CommandResult over_tls =
      Cli(server, {"partners", "get", "partners/ilo"},
          {{"MPOWER_TLS_CA", Path("ca.pem")}, {"MPOWER_TOKEN", server.admin_token()}});
  EXPECT_EQ(over_tls.exit_code, 0) << over_tls.err;
  EXPECT_THAT(over_tls.out, HasSubstr("International Labour Organization"));

  CommandResult plaintext = Cli(server, {"partners", "list", "--timeout", "2s"},
                                {{"MPOWER_TOKEN", server.admin_token()}});
  EXPECT_EQ(plaintext.exit_code, 64 + 14) << "a plaintext client cannot talk to a TLS server";

  CommandResult wrong_ca =
      Cli(server, {"partners", "list", "--timeout", "2s"},
          {{"MPOWER_TLS_CA", Path("rogue-ca.pem")}, {"MPOWER_TOKEN", server.admin_token()}});
  EXPECT_EQ(wrong_ca.exit_code, 64 + 14) << "the client must not trust an unknown server";
}

// A certificate renewed on disk (as certbot does) serves new connections
// within kTlsRefreshSeconds, without a restart, while a watch stream opened
// on the old certificate goes on and sees what is written after.
TEST_F(TlsTest, ARenewedCertificateServesNewConnectionsWhileOpenStreamsGoOn) {
  MakeCa("renewed-ca");
  MakeSigned("renewed", "localhost", "renewed-ca", Path("server.ext"));
  const std::string cert = data_.path() + "/cert.pem";
  const std::string key = data_.path() + "/key.pem";
  const auto install = [&](const std::string& name) { Install(name, cert, key); };
  install("server");
  ServerProcess server(data_.path() + "/data",
                       {"--demo-data", "--tls-cert=" + cert, "--tls-key=" + key});
  ASSERT_GT(server.port(), 0) << server.log();
  const std::string token = server.admin_token();
  const std::map<std::string, std::string> old_ca = {{"MPOWER_TLS_CA", Path("ca.pem")},
                                                     {"MPOWER_TOKEN", token}};
  const std::map<std::string, std::string> new_ca = {{"MPOWER_TLS_CA", Path("renewed-ca.pem")},
                                                     {"MPOWER_TOKEN", token}};
  CommandResult watched;
  std::thread watcher([&] {
    watched = Cli(server, {"alerts", "watch", "--for", "25s", "-o", "json"}, old_ca);
  });
  std::this_thread::sleep_for(std::chrono::seconds(1));  // the stream is open

  install("renewed");
  bool renewed = false;
  for (int attempt = 0; attempt < 40 && !renewed; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    renewed = Cli(server, {"partners", "list", "--timeout", "2s"}, new_ca).exit_code == 0;
  }
  ASSERT_TRUE(renewed) << "the renewed certificate never served: " << server.log();
  EXPECT_EQ(Cli(server, {"partners", "list", "--timeout", "2s"}, old_ca).exit_code, 64 + 14)
      << "new connections get the renewed certificate only";
  CommandResult filed =
      Cli(server,
          {"alerts", "create", "--filing-partner", "partners/example-union", "--category", "other",
           "--severity", "minor", "--urgency", "future", "--certainty", "possible", "--country",
           "ID", "--headline", "Filed after the renewal", "--scope", "public"},
          new_ca);
  ASSERT_EQ(filed.exit_code, 0) << filed.err;
  watcher.join();
  EXPECT_EQ(watched.exit_code, 0) << watched.err;
  EXPECT_THAT(watched.out, HasSubstr("Filed after the renewal"))
      << "the stream opened before the renewal went on";
}

// The HTTP listener serves HTTPS with the gRPC port's certificate (and may
// then listen off loopback), and takes a renewed one without a restart.
TEST_F(TlsTest, TheHttpListenerServesHttpsWithTheSameRenewableCertificate) {
  MakeCa("http-renewed-ca");
  MakeSigned("http-renewed", "localhost", "http-renewed-ca", Path("server.ext"));
  const std::string cert = data_.path() + "/cert.pem";
  const std::string key = data_.path() + "/key.pem";
  const auto install = [&](const std::string& name) { Install(name, cert, key); };
  install("server");
  ServerProcess server(data_.path() + "/data", {"--demo-data", "--tls-cert=" + cert,
                                                "--tls-key=" + key, "--http-listen=127.0.0.1:0"});
  ASSERT_GT(server.http_port(), 0) << server.log();
  const std::string url = absl::StrCat("https://localhost:", server.http_port());
  const auto curl = [&](const std::string& ca, const std::string& path) {
    return RunCommand({"/usr/bin/curl", "-s", "-S", "--cacert", ca, "--resolve",
                       absl::StrCat("localhost:", server.http_port(), ":127.0.0.1"), "-X", "POST",
                       "-H", "Content-Type: application/json", "-H",
                       "Authorization: Bearer " + server.admin_token(), "--data",
                       R"({"name": "partners/ilo"})", url + path});
  };
  CommandResult got = curl(Path("ca.pem"), "/mpower.v1.PartnerService/GetPartner");
  EXPECT_EQ(got.exit_code, 0) << got.err;
  EXPECT_THAT(got.out, HasSubstr("XM-DAC-41302"));
  CommandResult plain =
      RunCommand({"/usr/bin/curl", "-s", "-S",
                  absl::StrCat("http://127.0.0.1:", server.http_port(), "/healthz")});
  EXPECT_THAT(plain.out, Not(HasSubstr("SERVING"))) << "plaintext HTTP must not be served";

  install("http-renewed");
  CommandResult renewed = curl(Path("http-renewed-ca.pem"), "/mpower.v1.PartnerService/GetPartner");
  EXPECT_EQ(renewed.exit_code, 0) << renewed.err;
  EXPECT_THAT(renewed.out, HasSubstr("XM-DAC-41302"));
  EXPECT_NE(curl(Path("ca.pem"), "/healthz").exit_code, 0) << "the old certificate still served";
}

TEST_F(TlsTest, ClientCertificatesMapToTheirCredential) {
  ServerProcess server(data_.path(),
                       {"--demo-data", "--tls-cert=" + Path("server.pem"),
                        "--tls-key=" + Path("server.key"), "--client-ca=" + Path("ca.pem")});
  ASSERT_GT(server.port(), 0) << server.log();
  const std::map<std::string, std::string> admin = {{"MPOWER_TLS_CA", Path("ca.pem")},
                                                    {"MPOWER_TOKEN", server.admin_token()}};
  CommandResult mapped = Cli(server,
                             {"credentials", "create", "ilo-desk-certificate", "--principal",
                              "ILO desk", "--role", "partner_viewer", "--partner", "partners/ilo",
                              "--certificate-subject", "ilo-desk-certificate"},
                             admin);
  ASSERT_EQ(mapped.exit_code, 0) << mapped.err;
  EXPECT_THAT(mapped.out, ::testing::Not(HasSubstr("token (shown")))
      << "a certificate credential has no bearer secret";

  const std::map<std::string, std::string> certificate = {{"MPOWER_TLS_CA", Path("ca.pem")},
                                                          {"MPOWER_TLS_CERT", Path("client.pem")},
                                                          {"MPOWER_TLS_KEY", Path("client.key")}};
  CommandResult read = Cli(server, {"partners", "list"}, certificate);
  EXPECT_EQ(read.exit_code, 0) << read.err;
  CommandResult write = Cli(server,
                            {"initiatives", "create", "x", "--display-name", "X", "--sphere",
                             "domestic_action", "--status", "pipeline"},
                            certificate);
  EXPECT_EQ(write.exit_code, 64 + 7) << "the certificate maps to a viewer";

  CommandResult rogue = Cli(server, {"partners", "list", "--timeout", "2s"},
                            {{"MPOWER_TLS_CA", Path("ca.pem")},
                             {"MPOWER_TLS_CERT", Path("rogue.pem")},
                             {"MPOWER_TLS_KEY", Path("rogue.key")}});
  EXPECT_NE(rogue.exit_code, 0) << "a certificate from another CA is refused";

  ASSERT_EQ(
      Cli(server, {"credentials", "revoke", "credentials/ilo-desk-certificate"}, admin).exit_code,
      0);
  EXPECT_EQ(Cli(server, {"partners", "list"}, certificate).exit_code, 64 + 16)
      << "revoking the credential shuts the certificate out on the next call";
}

}  // namespace
}  // namespace mpower
