// Storage faults: with the disk full or the database read-only, writes
// fail UNAVAILABLE with a message that says so, reads keep working, nothing
// is half-written, and writes work again once the disk heals.

#include "server/core/alert_rules.h"
#include "server/core/commitment_rules.h"
#include "server/core/partner_rules.h"
#include "server/demo/demo_data.h"
#include "server/storage/sqlite/database.h"
#include "tests/fault_vfs.h"
#include "tests/test_support.h"
#include "tests/write_load.h"

namespace mpower {
namespace {

using ::mpower::testing::FaultVfs;
using ::mpower::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

class StorageFaultTest : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    FaultVfs::Install();
    auto keyring = Keyring::LoadOrCreate(dir_.path() + "/keys");
    ASSERT_TRUE(keyring.ok());
    keyring_ = *std::move(keyring);
    auto store = SqliteStore::Open(dir_.path() + "/mpower.db", keyring_.get());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    ASSERT_TRUE(LoadDemoData(store_.get()).ok());
  }
  void TearDown() override { FaultVfs::FailWritesWith(SQLITE_OK); }

  absl::StatusOr<v1::Commitment> CreateCommitment(const std::string& id) {
    v1::Commitment commitment;
    commitment.set_kind(v1::Commitment::KIND_POLICY);
    commitment.set_title("Ratify C190");
    return ResourceManager<v1::Commitment>(store_.get())
        .Create(Principal::System(), "partners/ilo", id, commitment, "", "");
  }

  testing::TempDir dir_;
  std::unique_ptr<Keyring> keyring_;
  std::unique_ptr<SqliteStore> store_;
};

TEST_P(StorageFaultTest, WritesFailUnavailableReadsWorkAndTheStoreRecovers) {
  const int64_t before = *store_->CurrentRevision();
  FaultVfs::FailWritesWith(GetParam());
  const absl::StatusOr<v1::Commitment> failed = CreateCommitment("while-broken");
  EXPECT_THAT(failed,
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr(GetParam() == SQLITE_FULL ? "disk holding the database is full"
                                                           : "database is read-only")));
  // An alert with protected details takes the encrypted path.
  v1::Alert alert;
  alert.set_filing_partner("partners/example-union");
  alert.set_category(v1::Alert::CATEGORY_OTHER);
  alert.set_severity(v1::Alert::SEVERITY_MINOR);
  alert.set_urgency(v1::Alert::URGENCY_FUTURE);
  alert.set_certainty(v1::Alert::CERTAINTY_POSSIBLE);
  alert.set_country_code("ID");
  alert.set_headline("h");
  alert.mutable_protected_details()->add_people()->set_full_name("Someone");
  EXPECT_THAT(ResourceManager<v1::Alert>(store_.get())
                  .Create(Principal::System(), "", "broken-alert", alert, "", ""),
              StatusIs(absl::StatusCode::kUnavailable));
  // Reads are served all along.
  EXPECT_TRUE(
      ResourceManager<v1::Partner>(store_.get()).Get(Principal::System(), "partners/ilo").ok());
  ListParams everything;
  everything.parent = "partners/-";
  absl::StatusOr<Page<v1::Commitment>> listed =
      ResourceManager<v1::Commitment>(store_.get()).List(Principal::System(), everything);
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_EQ(listed->items.size(), 11u);  // the demo's

  FaultVfs::FailWritesWith(SQLITE_OK);
  // Nothing of the failed writes is there, and no revision was used.
  EXPECT_EQ(*store_->CurrentRevision(), before);
  EXPECT_THAT(ResourceManager<v1::Commitment>(store_.get())
                  .Get(Principal::System(), "partners/ilo/commitments/while-broken"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(
      ResourceManager<v1::Alert>(store_.get()).Get(Principal::System(), "alerts/broken-alert"),
      StatusIs(absl::StatusCode::kNotFound));
  // The same write succeeds once the disk heals, at the next revision.
  ASSERT_TRUE(CreateCommitment("while-broken").ok());
  EXPECT_EQ(*store_->CurrentRevision(), before + 1);
  EXPECT_EQ(testing::IntegrityCheck(dir_.path() + "/mpower.db"), "ok");
}

// A unique key refusing a second record is a conflict the caller can act
// on; a trigger refusing (the audit log's append-only guard) is the
// server's fault, and must not read as "already exists".
TEST(SqliteErrorTest, OnlyAKeyConflictIsAlreadyExists) {
  EXPECT_THAT(sqlite::SqliteError(nullptr, SQLITE_CONSTRAINT_UNIQUE, "inserting"),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(sqlite::SqliteError(nullptr, SQLITE_CONSTRAINT_PRIMARYKEY, "inserting"),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(sqlite::SqliteError(nullptr, SQLITE_CONSTRAINT_TRIGGER, "appending to the audit log"),
              StatusIs(absl::StatusCode::kInternal, Not(HasSubstr("append-only"))));
}

INSTANTIATE_TEST_SUITE_P(Faults, StorageFaultTest, ::testing::Values(SQLITE_FULL, SQLITE_READONLY),
                         [](const auto& info) {
                           return info.param == SQLITE_FULL ? "DiskFull" : "ReadOnly";
                         });

}  // namespace
}  // namespace mpower
