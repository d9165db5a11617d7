// Erasure: a purge destroys an alert's own data key, so its protected
// details are gone from the alert, from every version in the history and
// from every backup, without anything searching for the copies; and the
// retention rule purges alerts closed long enough ago.

#include <sys/stat.h>

#include <filesystem>
#include <thread>

#include "google/protobuf/text_format.h"
#include "server/core/alert_rules.h"
#include "server/core/audit.h"
#include "server/core/partner_rules.h"
#include "server/core/retention.h"
#include "server/storage/data_keys.h"
#include "tests/test_support.h"

namespace mpower {
namespace {

using ::mpower::testing::StatusIs;
using ::testing::HasSubstr;

constexpr char kPerson[] = "Ixchel Tzompantli-Okonkwo";
const Principal kSecretariat = Principal::System();

TEST(DataKeysTest, ADestroyedKeyOpensNothingAndItsSuccessorOpensOnlyNewData) {
  testing::TempDir dir;
  const DataKeys keys(dir.path());
  ASSERT_TRUE(keys.Prepare("alerts/a").ok());
  // The file is owner-only and does not name the alert.
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    EXPECT_EQ(entry.path().string().find("alerts"), std::string::npos);
    struct stat info;
    ASSERT_EQ(stat(entry.path().c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0600u);
  }
  absl::StatusOr<std::string> sealed = keys.Seal("alerts/a", kPerson);
  ASSERT_TRUE(sealed.ok()) << sealed.status();
  EXPECT_EQ(sealed->find("Ixchel"), std::string::npos);
  EXPECT_EQ(**keys.Open("alerts/a", *sealed), kPerson);
  ASSERT_TRUE(keys.Prepare("alerts/b").ok());
  absl::StatusOr<std::optional<std::string>> moved = keys.Open("alerts/b", *sealed);
  EXPECT_TRUE(!moved.ok() || !moved->has_value())
      << "sealed data moved to another alert does not open";

  ASSERT_TRUE(keys.Destroy("alerts/a").ok());
  EXPECT_FALSE(keys.Has("alerts/a"));
  EXPECT_EQ(*keys.Open("alerts/a", *sealed), std::nullopt);
  // A key made after the purge is another key: the old data stays erased.
  absl::StatusOr<std::string> later = keys.Seal("alerts/a", "after");
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(*keys.Open("alerts/a", *sealed), std::nullopt);
  EXPECT_EQ(**keys.Open("alerts/a", *later), "after");
  EXPECT_TRUE(keys.Destroy("alerts/never-had-one").ok());
}

class ErasureTest : public testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    for (const char* id : {"union", "ilo"}) {
      v1::Partner partner;
      partner.set_display_name(id);
      partner.set_type(v1::Partner::TYPE_TRADE_UNION);
      partner.set_country_code("ID");
      ASSERT_TRUE(ResourceManager<v1::Partner>(store_.get())
                      .Create(kSecretariat, "", id, partner, "", "")
                      .ok());
    }
  }

  // Files a restricted alert for the union naming kPerson, with `status`.
  void File(const std::string& id, const std::string& status = "STATUS_OPEN") {
    v1::Alert alert;
    ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
        absl::StrCat(R"(filing_partner: "partners/union" category: CATEGORY_THREAT_OF_VIOLENCE
           severity: SEVERITY_SEVERE urgency: URGENCY_IMMEDIATE certainty: CERTAINTY_LIKELY
           country_code: "ID" headline: "Organiser )",
                     kPerson, R"( threatened" scope: SCOPE_RESTRICTED
           recipient_partners: "partners/ilo" status: )",
                     status, R"( protected_details { people { full_name: ")", kPerson,
                     R"(" } exact_location: "Kampung Secret" })"),
        &alert));
    ASSERT_TRUE(alerts().Create(kSecretariat, "", id, alert, "", "").ok());
  }

  ResourceManager<v1::Alert> alerts() { return ResourceManager<v1::Alert>(store_.get()); }

  // Every copy of `name` the store holds, decoded: the current row and
  // each version in the history.
  std::vector<v1::Alert> EveryCopy(const std::string& name) {
    std::vector<v1::Alert> copies;
    absl::StatusOr<std::optional<StoredResource>> current = store_->Get(name);
    EXPECT_TRUE(current.ok() && current->has_value());
    copies.push_back(*ResourceCodec<v1::Alert>::Decode(**current));
    absl::StatusOr<std::vector<ChangeRecord>> history = store_->ListChanges(0, "", 10000);
    EXPECT_TRUE(history.ok()) << history.status();
    for (const ChangeRecord& change : *history) {
      if (change.resource.name == name) {
        copies.push_back(*ResourceCodec<v1::Alert>::Decode(change.resource));
      }
    }
    return copies;
  }
};

TEST_P(ErasureTest, APurgeErasesTheDetailsOfEveryVersionAndKeepsTheShareablePart) {
  File("threat");
  v1::Alert update;
  update.set_name("alerts/threat");
  update.set_severity(v1::Alert::SEVERITY_EXTREME);
  google::protobuf::FieldMask mask;
  mask.add_paths("severity");
  ASSERT_TRUE(alerts().Update(kSecretariat, update, mask).ok());
  ASSERT_EQ(EveryCopy("alerts/threat").size(), 3u);
  for (const v1::Alert& copy : EveryCopy("alerts/threat")) {
    ASSERT_EQ(copy.protected_details().people(0).full_name(), kPerson);
  }

  const Principal filer{Principal::Role::kPartnerEditor, "union-desk", "partners/union"};
  const Principal recipient{Principal::Role::kPartnerEditor, "ilo-desk", "partners/ilo"};
  const Principal recipient_viewer{Principal::Role::kPartnerViewer, "ilo-viewer", "partners/ilo"};
  EXPECT_THAT(alerts().Purge(filer, "alerts/threat", "", ""),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("reason")));
  EXPECT_THAT(alerts().Purge(recipient, "alerts/threat", "asked", ""),
              StatusIs(absl::StatusCode::kPermissionDenied))
      << "a recipient reads the details but does not decide to erase them";
  EXPECT_THAT(alerts().Purge(recipient_viewer, "alerts/threat", "asked", ""),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(alerts().Purge(filer, "alerts/threat", "asked", "\"1\""),
              StatusIs(absl::StatusCode::kAborted));
  ASSERT_EQ(EveryCopy("alerts/threat")[0].protected_details().people(0).full_name(), kPerson)
      << "a refused purge destroys nothing";

  absl::StatusOr<v1::Alert> purged =
      alerts().Purge(filer, "alerts/threat", "the organiser asked to be forgotten", "");
  ASSERT_TRUE(purged.ok()) << purged.status();
  EXPECT_TRUE(purged->has_purge_time());
  EXPECT_EQ(purged->purge_reason(), "the organiser asked to be forgotten");
  EXPECT_FALSE(purged->has_protected_details());
  EXPECT_FALSE(purged->protected_details_present());
  // The shareable part stays, the sealed headline included, for those who
  // may read it.
  EXPECT_THAT(purged->headline(), HasSubstr("threatened"));
  EXPECT_EQ(purged->severity(), v1::Alert::SEVERITY_EXTREME);

  // Not even the secretariat, nor storage itself, finds the details in any
  // copy, including the versions written before the purge.
  const std::vector<v1::Alert> copies = EveryCopy("alerts/threat");
  ASSERT_EQ(copies.size(), 4u);
  for (const v1::Alert& copy : copies) {
    EXPECT_EQ(copy.DebugString().find("Kampung Secret"), std::string::npos) << copy.DebugString();
    EXPECT_FALSE(copy.has_protected_details());
  }
  EXPECT_EQ(alerts().Get(kSecretariat, "alerts/threat")->DebugString().find("Kampung"),
            std::string::npos);

  // Audited with who and why, never what.
  std::vector<AuditRecord> audit = *store_->ListAudit(0, 1000);
  auto entry = std::find_if(audit.begin(), audit.end(),
                            [](const AuditRecord& r) { return r.method == "PurgeAlert"; });
  ASSERT_NE(entry, audit.end());
  EXPECT_EQ(entry->principal, "union-desk");
  EXPECT_EQ(entry->resource, "alerts/threat");
  EXPECT_EQ(entry->reason, "the organiser asked to be forgotten");
  EXPECT_TRUE(VerifyAuditChain(*store_).ok()) << "the reason is part of the hash chain";

  // Purging again changes nothing; new details are refused.
  const int64_t revision = *store_->CurrentRevision();
  ASSERT_TRUE(alerts().Purge(filer, "alerts/threat", "again", "").ok());
  EXPECT_EQ(*store_->CurrentRevision(), revision);
  v1::Alert details;
  details.set_name("alerts/threat");
  details.mutable_protected_details()->set_narrative("new account");
  google::protobuf::FieldMask details_mask;
  details_mask.add_paths("protected_details");
  EXPECT_THAT(alerts().Update(filer, details, details_mask),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("purged")));
  // The rest of the alert still changes as before.
  v1::Alert resolve;
  resolve.set_name("alerts/threat");
  resolve.set_status(v1::Alert::STATUS_RESOLVED);
  google::protobuf::FieldMask status_mask;
  status_mask.add_paths("status");
  absl::StatusOr<v1::Alert> resolved = alerts().Update(filer, resolve, status_mask);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_TRUE(resolved->has_close_time());
  EXPECT_TRUE(resolved->has_purge_time());
}

TEST_P(ErasureTest, OnlyTheAlertPurgedLosesItsDetails) {
  File("purged");
  File("kept");
  ASSERT_TRUE(alerts().Purge(kSecretariat, "alerts/purged", "asked", "").ok());
  for (const v1::Alert& copy : EveryCopy("alerts/kept")) {
    EXPECT_EQ(copy.protected_details().people(0).full_name(), kPerson);
  }
}

TEST_P(ErasureTest, RetentionPurgesAlertsClosedLongerAgoThanTheSettingAndNoOthers) {
  File("open");
  File("resolved-long-ago", "STATUS_RESOLVED");
  // Close times are kept to the second: the next one is a second later.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  File("dismissed-just-now", "STATUS_DISMISSED");
  const v1::Alert recent = *alerts().Get(kSecretariat, "alerts/dismissed-just-now");
  ASSERT_TRUE(recent.has_close_time());
  const absl::Time now = absl::FromUnixSeconds(recent.close_time().seconds());

  absl::StatusOr<int> purged = PurgeClosedAlerts(*store_, absl::Seconds(1), now);
  ASSERT_TRUE(purged.ok()) << purged.status();
  EXPECT_EQ(*purged, 1);
  const v1::Alert old = *alerts().Get(kSecretariat, "alerts/resolved-long-ago");
  EXPECT_TRUE(old.has_purge_time());
  EXPECT_THAT(old.purge_reason(), HasSubstr("--purge-protected-after"));
  EXPECT_FALSE(old.has_protected_details());
  for (const char* kept : {"alerts/open", "alerts/dismissed-just-now"}) {
    const v1::Alert alert = *alerts().Get(kSecretariat, kept);
    EXPECT_FALSE(alert.has_purge_time()) << kept;
    EXPECT_EQ(alert.protected_details().people(0).full_name(), kPerson) << kept;
  }
  std::vector<AuditRecord> audit = *store_->ListAudit(0, 1000);
  EXPECT_TRUE(std::any_of(audit.begin(), audit.end(), [](const AuditRecord& r) {
    return r.method == "PurgeAlert" && r.principal == "system" &&
           r.resource == "alerts/resolved-long-ago";
  }));
  // A second round finds nothing more to do.
  EXPECT_EQ(*PurgeClosedAlerts(*store_, absl::Seconds(1), now), 0);
}

TEST_P(ErasureTest, OnlyAlertsWithDetailsHaveKeysAndACreateThatFailsLeavesNone) {
  const auto key_files = [&] {
    const std::filesystem::path dir = store_->data_keys().directory();
    return std::distance(std::filesystem::directory_iterator(dir),
                         std::filesystem::directory_iterator());
  };
  File("with");
  EXPECT_EQ(key_files(), 1);
  v1::Alert plain = *alerts().Get(kSecretariat, "alerts/with");
  plain.clear_protected_details();
  ASSERT_TRUE(alerts().Create(kSecretariat, "", "without", plain, "", "").ok());
  EXPECT_EQ(key_files(), 1) << "an alert without details needs no key";

  v1::Alert detailed = *alerts().Get(kSecretariat, "alerts/with");
  EXPECT_THAT(alerts().Create(kSecretariat, "", "with", detailed, "", ""),
              StatusIs(absl::StatusCode::kAlreadyExists));
  detailed.set_filing_partner("partners/nobody");
  EXPECT_THAT(alerts().Create(kSecretariat, "", "orphan", detailed, "", ""),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(key_files(), 1) << "no key outlives a create that failed";
  EXPECT_EQ(alerts().Get(kSecretariat, "alerts/with")->protected_details().people(0).full_name(),
            kPerson)
      << "the existing alert's key was left alone";
}

TEST_P(ErasureTest, AlertsStoredBeforeDataKeysExistedAreSealedUnderThemOnce) {
  // An alert as an mpowerd before data keys stored it: sealed by the
  // keyring alone, in the resources and the history.
  File("legacy");
  absl::StatusOr<std::optional<StoredResource>> stored = store_->Get("alerts/legacy");
  ASSERT_TRUE(stored.ok() && stored->has_value());
  StoredResource legacy = **stored;
  legacy.erasable = false;
  ASSERT_TRUE(store_->Write([&](WriteTransaction& txn) { return txn.Put(legacy); }).ok());
  ASSERT_TRUE(store_->data_keys().Destroy("alerts/legacy").ok());
  ASSERT_EQ(EveryCopy("alerts/legacy").back().protected_details().people(0).full_name(), kPerson)
      << "the keyring alone still opens the legacy copy";

  ASSERT_TRUE(store_->SealUnderDataKeys("alerts").ok());
  ASSERT_TRUE(store_->SealUnderDataKeys("alerts").ok()) << "the second time finds it done";
  EXPECT_TRUE((*store_->Get("alerts/legacy"))->erasable);
  ASSERT_TRUE(alerts().Purge(kSecretariat, "alerts/legacy", "asked", "").ok());
  for (const v1::Alert& copy : EveryCopy("alerts/legacy")) {
    EXPECT_FALSE(copy.has_protected_details()) << copy.DebugString();
  }
}

MPOWER_ON_EVERY_BACKEND(ErasureTest);

}  // namespace
}  // namespace mpower
