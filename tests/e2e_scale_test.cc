// The 100,000-commitment sync through the CLI, alone: under the sanitizers
// it keeps both cores busy for about a minute and a half, so
// tests/CMakeLists.txt runs it serially. On PostgreSQL it once took more
// than ten minutes on CI: a round trip per item, and, when autovacuum had
// analysed the demo data's small tables first, a cached plan that scanned
// every index term once per item. Items are now looked up 1,000 at a time
// and writes plan by key (postgres_store.cc, CommitGroup).

#include <fstream>
#include <string>
#include <vector>

#include "tests/process.h"
#include "tests/test_support.h"

namespace mpower {
namespace {

using ::mpower::testing::CommandResult;
using ::mpower::testing::ServerProcess;
using ::testing::HasSubstr;

class ScaleEndToEndTest : public testing::ServerBackendTest {
 protected:
  testing::TempDir dir_;
};

TEST_P(ScaleEndToEndTest, SyncsOneHundredThousandCommitmentsThroughTheCli) {
  ServerProcess server(dir_.path(), ServerFlags({"--demo-data"}));
  ASSERT_GT(server.port(), 0) << server.log();
  // mpower as the local admin the server bootstrapped.
  const auto cli = [&server](std::vector<std::string> args) {
    return testing::RunMpowerAs(server, server.admin_token(), std::move(args));
  };
  const std::string file = dir_.path() + "/commitments.csv";
  {
    std::ofstream csv(file);
    csv << "external_id,kind,title,amount,currency,contribution_basis,country_codes\n";
    for (int i = 0; i < 100000; ++i) {
      csv << "GRANT-" << i << ",funding,\"Grant " << i << ", labour inspection\"," << 1000 + i
          << ".25,USD,voluntary_earmarked,ID;MY\n";
    }
  }
  CommandResult first =
      cli({"commitments", "sync", "--parent", "partners/us-dol", "-f", file, "--timeout", "10m"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_THAT(first.out, HasSubstr("applied: 100000 created, 0 updated, 0 unchanged"));
  CommandResult second =
      cli({"commitments", "sync", "--parent", "partners/us-dol", "-f", file, "--timeout", "10m"});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_THAT(second.out, HasSubstr("applied: 0 created, 0 updated, 100000 unchanged"));
  // Each page examines up to 10,000 rows: under a sanitizer one can take
  // longer than the CLI's default 10 s.
  CommandResult one =
      cli({"commitments", "list", "--all", "--parent", "partners/us-dol", "--filter",
           "external_id = \"GRANT-99999\"", "-o", "json", "--timeout", "2m"});
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_THAT(one.out, HasSubstr("\"units\": \"100999\""));
  EXPECT_THAT(one.out, HasSubstr("\"nanos\": 250000000"));
}

MPOWER_ON_EVERY_BACKEND(ScaleEndToEndTest);

}  // namespace
}  // namespace mpower
