// The audit trail: writes and protected reads are recorded, and the hash
// chain catches an edited, a deleted and a reordered entry.

#include "server/core/audit.h"

#include <sqlite3.h>

#include "google/protobuf/text_format.h"
#include "server/core/alert_rules.h"
#include "server/core/partner_rules.h"
#include "tests/test_support.h"

namespace mpower {
namespace {

using ::mpower::testing::StatusIs;
using ::testing::HasSubstr;

class AuditTest : public testing::SqliteStoreTest {
 protected:
  void SetUp() override {
    SqliteStoreTest::SetUp();
    ResourceManager<v1::Partner> partners(store_.get());
    for (const char* id : {"a", "b", "c", "d"}) {
      v1::Partner partner;
      partner.set_display_name(id);
      partner.set_type(v1::Partner::TYPE_TRADE_UNION);
      partner.set_country_code("ID");
      absl::StatusOr<v1::Partner> created =
          partners.Create(Principal::System(), "", id, partner, std::string("req-") + id, "f");
      ASSERT_TRUE(created.ok()) << created.status();
    }
  }

  // Changes the database behind mpowerd's back, as an intruder with the
  // file would: the append-only triggers go first.
  void Tamper(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(database_path().c_str(), &db), SQLITE_OK);
    const std::string script =
        "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete; " + sql;
    char* error = nullptr;
    EXPECT_EQ(sqlite3_exec(db, script.c_str(), nullptr, nullptr, &error), SQLITE_OK) << error;
    sqlite3_free(error);
    sqlite3_close(db);
  }
};

TEST_F(AuditTest, RecordsEachWriteWithWhoWhatAndRequest) {
  absl::StatusOr<std::vector<AuditRecord>> records = store_->ListAudit(0, 100);
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 4u);
  EXPECT_EQ((*records)[0].sequence, 1);
  EXPECT_EQ((*records)[0].principal, "system");
  EXPECT_EQ((*records)[0].method, "CreatePartner");
  EXPECT_EQ((*records)[0].resource, "partners/a");
  EXPECT_EQ((*records)[0].request_id, "req-a");
  EXPECT_EQ((*records)[1].previous_hash, (*records)[0].hash);
  EXPECT_TRUE(VerifyAuditChain(*store_).ok());
}

TEST_F(AuditTest, RecordsReadsOfProtectedDetailsButNotRedactedReads) {
  ResourceManager<v1::Alert> alerts(store_.get());
  v1::Alert alert;
  ASSERT_TRUE(
      google::protobuf::TextFormat::ParseFromString(R"pb(
                                                      filing_partner: "partners/a"
                                                      category: CATEGORY_SURVEILLANCE
                                                      severity: SEVERITY_MINOR
                                                      urgency: URGENCY_FUTURE
                                                      certainty: CERTAINTY_POSSIBLE
                                                      country_code: "ID"
                                                      headline: "h"
                                                      protected_details { narrative: "n" })pb",
                                                    &alert));
  absl::StatusOr<v1::Alert> created = alerts.Create(Principal::System(), "", "x", alert, "", "");
  ASSERT_TRUE(created.ok()) << created.status();
  const int64_t before = store_->ListAudit(0, 100)->size();
  const Principal outsider{Principal::Role::kPartnerViewer, "outsider", "partners/b"};
  ASSERT_TRUE(alerts.Get(outsider, "alerts/x").ok());
  EXPECT_EQ(store_->ListAudit(0, 100)->size(), static_cast<size_t>(before))
      << "nothing protected was disclosed";
  const Principal filer{Principal::Role::kPartnerEditor, "filer", "partners/a"};
  ASSERT_TRUE(alerts.Get(filer, "alerts/x").ok());
  std::vector<AuditRecord> records = *store_->ListAudit(0, 100);
  ASSERT_EQ(records.size(), static_cast<size_t>(before + 1));
  EXPECT_EQ(records.back().method, kReadProtectedDetails);
  EXPECT_EQ(records.back().principal, "filer");
  EXPECT_EQ(records.back().resource, "alerts/x");
}

TEST_F(AuditTest, TheLogRefusesChangesThroughSql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(database_path().c_str(), &db), SQLITE_OK);
  EXPECT_NE(sqlite3_exec(db, "UPDATE audit_log SET principal = 'x'", nullptr, nullptr, nullptr),
            SQLITE_OK);
  EXPECT_NE(sqlite3_exec(db, "DELETE FROM audit_log", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  EXPECT_EQ(store_->ListAudit(0, 100)->size(), 4u);
}

TEST_F(AuditTest, VerifyCatchesAnEditedEntry) {
  Tamper("UPDATE audit_log SET principal = 'someone else' WHERE sequence = 2;");
  EXPECT_THAT(VerifyAuditChain(*store_),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("audit entry 2 (CreatePartner partners/b): its contents do not "
                                 "match its hash")));
}

TEST_F(AuditTest, VerifyCatchesADeletedEntry) {
  Tamper("DELETE FROM audit_log WHERE sequence = 3;");
  EXPECT_THAT(VerifyAuditChain(*store_),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("audit entry 3 is missing")));
}

TEST_F(AuditTest, VerifyCatchesADeletedLastEntryWhenLaterOnesFollow) {
  Tamper(
      "DELETE FROM audit_log WHERE sequence = 3; UPDATE audit_log SET sequence = 3 WHERE sequence "
      "= 4;");
  EXPECT_THAT(VerifyAuditChain(*store_),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("audit entry 3")));
}

TEST_F(AuditTest, VerifyCatchesReorderedEntries) {
  // Swap entries 2 and 3 whole, hashes included, keeping the sequence order.
  Tamper(
      "UPDATE audit_log SET sequence = -2 WHERE sequence = 2;"
      "UPDATE audit_log SET sequence = 2 WHERE sequence = 3;"
      "UPDATE audit_log SET sequence = 3 WHERE sequence = -2;");
  EXPECT_THAT(
      VerifyAuditChain(*store_),
      StatusIs(absl::StatusCode::kDataLoss, HasSubstr("does not follow the entry before it")));
}

}  // namespace
}  // namespace mpower
