// Reads that disclose protected details record it in the audit trail
// without waiting for a disk, and the record survives a crash of the
// process; writes record what they disclose in their own transaction.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "google/protobuf/text_format.h"
#include "server/core/alert_rules.h"
#include "server/core/audit.h"
#include "server/core/commitment_rules.h"
#include "server/core/partner_rules.h"
#include "tests/fault_vfs.h"
#include "tests/test_support.h"

namespace mpower {
namespace {

using ::mpower::testing::FaultVfs;

const Principal kFiler{Principal::Role::kPartnerEditor, "filer", "partners/a"};

class DisclosureAuditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FaultVfs::Install();  // counts syncs of databases opened from now on
    auto keyring = Keyring::LoadOrCreate(dir_.path() + "/keys");
    ASSERT_TRUE(keyring.ok()) << keyring.status();
    keyring_ = *std::move(keyring);
    ASSERT_NO_FATAL_FAILURE(Open());
    v1::Partner partner;
    partner.set_display_name("a");
    partner.set_type(v1::Partner::TYPE_TRADE_UNION);
    partner.set_country_code("ID");
    ASSERT_TRUE(ResourceManager<v1::Partner>(store_.get())
                    .Create(Principal::System(), "", "a", partner, "", "")
                    .ok());
  }

  void Open() {
    store_.reset();
    auto store = SqliteStore::Open(dir_.path() + "/mpower.db", keyring_.get());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }

  // Files an alert with protected details as the filer; returns its name.
  absl::StatusOr<v1::Alert> FileAlert() {
    v1::Alert alert;
    google::protobuf::TextFormat::ParseFromString(R"pb(
                                                    filing_partner: "partners/a"
                                                    category: CATEGORY_SURVEILLANCE
                                                    severity: SEVERITY_MINOR
                                                    urgency: URGENCY_FUTURE
                                                    certainty: CERTAINTY_POSSIBLE
                                                    country_code: "ID"
                                                    headline: "h"
                                                    protected_details { narrative: "n" })pb",
                                                  &alert);
    return ResourceManager<v1::Alert>(store_.get()).Create(kFiler, "", "", alert, "", "");
  }

  // The audit records of protected reads of `name`.
  size_t Disclosures(const std::string& name) {
    size_t count = 0;
    const std::vector<AuditRecord> records = *store_->ListAudit(0, 1000);
    for (const AuditRecord& record : records) {
      if (record.method == kReadProtectedDetails && record.resource == name) ++count;
    }
    return count;
  }

  testing::TempDir dir_;
  std::unique_ptr<Keyring> keyring_;
  std::unique_ptr<SqliteStore> store_;
};

TEST_F(DisclosureAuditTest, AReadThatDisclosesRecordsItWithoutAnFsync) {
  absl::StatusOr<v1::Alert> created = FileAlert();
  ASSERT_TRUE(created.ok()) << created.status();
  const int64_t syncs_before = FaultVfs::syncs();
  absl::StatusOr<v1::Alert> read =
      ResourceManager<v1::Alert>(store_.get()).Get(kFiler, created->name());
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_TRUE(read->has_protected_details()) << "the filer is entitled to them";
  EXPECT_EQ(FaultVfs::syncs(), syncs_before) << "the Get waited for a disk";
  // Created (one disclosure, in the create's own transaction) and read.
  EXPECT_EQ(Disclosures(created->name()), 2u);
}

TEST_F(DisclosureAuditTest, ACreateThatDisclosesCommitsOnce) {
  // A write with nothing to disclose, for comparison: one commit.
  v1::Commitment commitment;
  commitment.set_kind(v1::Commitment::KIND_POLICY);
  commitment.set_title("Ratify C190");
  int64_t syncs_before = FaultVfs::syncs();
  ASSERT_TRUE(ResourceManager<v1::Commitment>(store_.get())
                  .Create(Principal::System(), "partners/a", "c190", commitment, "", "")
                  .ok());
  const int64_t syncs_of_one_commit = FaultVfs::syncs() - syncs_before;
  ASSERT_GT(syncs_of_one_commit, 0);

  syncs_before = FaultVfs::syncs();
  absl::StatusOr<v1::Alert> created = FileAlert();
  ASSERT_TRUE(created.ok()) << created.status();
  ASSERT_TRUE(created->has_protected_details());
  EXPECT_EQ(FaultVfs::syncs() - syncs_before, syncs_of_one_commit);
  EXPECT_EQ(Disclosures(created->name()), 1u);
}

TEST_F(DisclosureAuditTest, TheRecordOfAReadSurvivesACrashOfTheProcess) {
  absl::StatusOr<v1::Alert> created = FileAlert();
  ASSERT_TRUE(created.ok()) << created.status();
  const std::string name = created->name();
  const size_t before = Disclosures(name);
  store_.reset();
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The child reads as the filer and dies at once, without closing the
    // database or syncing anything.
    auto store = SqliteStore::Open(dir_.path() + "/mpower.db", keyring_.get());
    if (!store.ok()) _exit(1);
    absl::StatusOr<v1::Alert> read = ResourceManager<v1::Alert>(store->get()).Get(kFiler, name);
    if (!read.ok() || !read->has_protected_details()) _exit(2);
    kill(getpid(), SIGKILL);
    _exit(3);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << "the child failed before its crash: " << status;
  ASSERT_NO_FATAL_FAILURE(Open());
  EXPECT_EQ(Disclosures(name), before + 1);
  EXPECT_TRUE(VerifyAuditChain(*store_).ok());
}

}  // namespace
}  // namespace mpower
