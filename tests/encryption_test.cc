// Protected alert details at rest: sealed with AES-256-GCM, bound to their
// alert, with keys that rotate and fail clearly when missing or wrong.

#include <sqlite3.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "google/protobuf/text_format.h"
#include "server/core/alert_rules.h"
#include "server/core/partner_rules.h"
#include "server/storage/keyring.h"
#include "tests/test_support.h"

namespace mpower {
namespace {

using ::mpower::testing::StatusIs;
using ::testing::HasSubstr;

constexpr char kSecretName[] = "Dewi Kartika Rahasia";

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

class EncryptionTest : public testing::SqliteStoreTest {
 protected:
  void SetUp() override {
    SqliteStoreTest::SetUp();
    v1::Partner partner;
    ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
        R"pb(display_name: "Union" type: TYPE_TRADE_UNION country_code: "ID")pb", &partner));
    ASSERT_TRUE(ResourceManager<v1::Partner>(store_.get())
                    .Create(Principal::System(), "", "union", partner, "", "")
                    .ok());
    v1::Alert alert;
    ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
        R"pb(
          filing_partner: "partners/union"
          category: CATEGORY_ABDUCTION_OR_DISAPPEARANCE
          severity: SEVERITY_EXTREME
          urgency: URGENCY_IMMEDIATE
          certainty: CERTAINTY_LIKELY
          country_code: "ID"
          headline: "Organiser missing")pb",
        &alert));
    alert.mutable_protected_details()->add_people()->set_full_name(kSecretName);
    ASSERT_TRUE(ResourceManager<v1::Alert>(store_.get())
                    .Create(Principal::System(), "", "missing", alert, "", "")
                    .ok());
  }

  std::string KeyDir() const { return dir_.path() + "/keys"; }

  // Closes the store and opens it again with the keys now on disk.
  absl::Status Reopen() {
    store_.reset();
    keyring_.reset();
    absl::StatusOr<std::unique_ptr<Keyring>> keyring = Keyring::LoadOrCreate(KeyDir());
    if (!keyring.ok()) return keyring.status();
    keyring_ = *std::move(keyring);
    absl::StatusOr<std::unique_ptr<SqliteStore>> store =
        SqliteStore::Open(database_path(), keyring_.get());
    if (!store.ok()) return store.status();
    store_ = *std::move(store);
    return absl::OkStatus();
  }

  std::string ReadName() {
    absl::StatusOr<v1::Alert> alert =
        ResourceManager<v1::Alert>(store_.get()).Get(Principal::System(), "alerts/missing");
    return alert.ok() ? alert->protected_details().people(0).full_name() : "";
  }
};

TEST_F(EncryptionTest, TheDatabaseFilesNeverHoldTheDetailsInTheClear) {
  EXPECT_EQ(ReadName(), kSecretName);
  store_.reset();  // checkpoints the WAL into the main file
  for (const auto& entry : std::filesystem::directory_iterator(dir_.path())) {
    if (!entry.is_regular_file()) continue;
    EXPECT_EQ(ReadBytes(entry.path()).find("Dewi Kartika"), std::string::npos)
        << entry.path() << " holds the name in the clear";
  }
}

TEST_F(EncryptionTest, KeyFilesAreOwnerOnly) {
  for (const auto& entry : std::filesystem::directory_iterator(KeyDir())) {
    struct stat info;
    ASSERT_EQ(stat(entry.path().c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 077, 0u) << entry.path();
  }
}

TEST_F(EncryptionTest, RotationReencryptsAndRetiresTheOldKey) {
  const std::string old_key = keyring_->current_key_id();
  absl::StatusOr<std::string> new_key = Keyring::AddKey(KeyDir());
  ASSERT_TRUE(new_key.ok());
  ASSERT_TRUE(Reopen().ok());
  absl::StatusOr<int64_t> count = store_->ReencryptProtectedData();
  ASSERT_TRUE(count.ok()) << count.status();
  EXPECT_EQ(*count, 1);
  std::filesystem::remove(KeyDir() + "/" + old_key + ".key");
  ASSERT_TRUE(Reopen().ok()) << "nothing needs the old key any more";
  EXPECT_EQ(ReadName(), kSecretName);
}

TEST_F(EncryptionTest, AMissingKeyIsAClearErrorAtStart) {
  const std::string key = keyring_->current_key_id();
  ASSERT_TRUE(Keyring::AddKey(KeyDir()).ok());
  std::filesystem::remove(KeyDir() + "/" + key + ".key");
  EXPECT_THAT(Reopen(), StatusIs(absl::StatusCode::kFailedPrecondition,
                                 HasSubstr("restore " + key + ".key from your backup")));
}

TEST_F(EncryptionTest, AWrongKeyIsAClearErrorNotGarbage) {
  const std::string key = keyring_->current_key_id();
  std::ofstream(KeyDir() + "/" + key + ".key") << std::string(64, 'a') << "\n";
  absl::Status status = Reopen();
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kDataLoss,
                               HasSubstr("the key file is not the one they were sealed with")));
  EXPECT_THAT(std::string(status.message()), ::testing::Not(HasSubstr("Dewi")));
}

TEST_F(EncryptionTest, AMalformedKeyFileIsNamed) {
  std::ofstream(KeyDir() + "/" + keyring_->current_key_id() + ".key") << "not hex\n";
  EXPECT_THAT(Reopen(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("64 hex digits")));
}

TEST_F(EncryptionTest, SealedDataMovedToAnotherAlertDoesNotOpen) {
  const SealedData sealed = *keyring_->Seal("details", "alerts/one", /*erasable=*/false);
  EXPECT_TRUE(keyring_->Open(sealed, "alerts/one").ok());
  EXPECT_THAT(keyring_->Open(sealed, "alerts/two"), StatusIs(absl::StatusCode::kDataLoss));
  SealedData tampered = sealed;
  tampered.blob[14] ^= 1;
  EXPECT_THAT(keyring_->Open(tampered, "alerts/one"), StatusIs(absl::StatusCode::kDataLoss));
}

}  // namespace
}  // namespace mpower
