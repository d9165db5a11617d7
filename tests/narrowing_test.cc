// Narrowing an alert's scope seals what was public: afterwards no copy of
// its headline, summary or area lies in the clear in the live database,
// its WAL (SQLite), its table files and pg_wal (PostgreSQL) or a backup
// taken since,
// while the readers still entitled read it as before. A backup taken
// before the narrowing keeps it, as README says. And a purge with
// include_shareable erases that text from every copy.

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "google/protobuf/text_format.h"
#include "server/core/alert_rules.h"
#include "server/core/partner_rules.h"
#include "server/storage/postgres/connection.h"
#include "server/storage/sqlite/backup.h"
#include "tests/test_support.h"

namespace mpower {
namespace {

// Distinctive words, one per field the narrowing seals.
constexpr char kHeadline[] = "Popocatepetl-Ngozi";
constexpr char kSummary[] = "Iztaccihuatl-Chidinma";
constexpr char kArea[] = "Tenochtitlan-Adaeze";
const Principal kSecretariat = Principal::System();
const Principal kFiler{Principal::Role::kPartnerEditor, "union-desk", "partners/union"};
const Principal kRecipient{Principal::Role::kPartnerViewer, "ilo-viewer", "partners/ilo"};
const Principal kOther{Principal::Role::kPartnerViewer, "dol-viewer", "partners/dol"};

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

// The bytes of every regular file in `directory`. PostgreSQL removes and
// recycles files while the scrub runs, and a walk that meets a vanished
// entry stops: so one that stopped early is done again.
std::string ReadFilesIn(const std::filesystem::path& directory) {
  for (int attempt = 0; attempt < 5; ++attempt) {
    std::string bytes;
    std::error_code error;
    for (std::filesystem::directory_iterator it(directory, error), end; !error && it != end;
         it.increment(error)) {
      std::error_code type_error;
      if (it->is_regular_file(type_error)) bytes += ReadAll(it->path());
    }
    if (!error) return bytes;
  }
  ADD_FAILURE() << "could not read " << directory;
  return "";
}

// The words of `words` found in `bytes`, as they are or hex-encoded (as
// pg_dump writes bytea).
std::string WordsIn(const std::string& bytes, const std::vector<std::string>& words) {
  std::string found;
  for (const std::string& word : words) {
    if (bytes.find(word) != std::string::npos ||
        bytes.find(absl::BytesToHexString(word)) != std::string::npos) {
      absl::StrAppend(&found, word, " ");
    }
  }
  return found;
}

class NarrowingTest : public testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    for (const char* id : {"union", "ilo", "dol"}) {
      v1::Partner partner;
      partner.set_display_name(id);
      partner.set_type(v1::Partner::TYPE_TRADE_UNION);
      partner.set_country_code("ID");
      ASSERT_TRUE(ResourceManager<v1::Partner>(store_.get())
                      .Create(kSecretariat, "", id, partner, "", "")
                      .ok());
    }
  }

  ResourceManager<v1::Alert> alerts() { return ResourceManager<v1::Alert>(store_.get()); }

  // Files a public alert with the distinctive words and protected details,
  // and changes it once, so that the history holds two public copies.
  std::string FilePublic() {
    v1::Alert alert;
    EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(
        absl::StrCat(R"(filing_partner: "partners/union" category: CATEGORY_THREAT_OF_VIOLENCE
           severity: SEVERITY_SEVERE urgency: URGENCY_IMMEDIATE certainty: CERTAINTY_LIKELY
           country_code: "ID" scope: SCOPE_PUBLIC recipient_partners: "partners/ilo"
           headline: "Headline )",
                     kHeadline, R"(" summary: "Summary )", kSummary, R"(" area: "Area )", kArea,
                     R"(" protected_details { people { full_name: "Someone" } })"),
        &alert));
    absl::StatusOr<v1::Alert> filed = alerts().Create(kFiler, "", "", alert, "", "");
    EXPECT_TRUE(filed.ok()) << filed.status();
    v1::Alert change;
    change.set_name(filed->name());
    change.set_severity(v1::Alert::SEVERITY_EXTREME);
    google::protobuf::FieldMask mask;
    mask.add_paths("severity");
    EXPECT_TRUE(alerts().Update(kFiler, change, mask).ok());
    return filed->name();
  }

  absl::StatusOr<v1::Alert> Narrow(const std::string& name, v1::Alert::Scope scope) {
    v1::Alert change;
    change.set_name(name);
    change.set_scope(scope);
    google::protobuf::FieldMask mask;
    mask.add_paths("scope");
    return alerts().Update(kFiler, change, mask);
  }

  // Every stored copy of `name`: the resource and its versions in the
  // history.
  std::vector<StoredResource> StoredCopies(const std::string& name) {
    std::vector<StoredResource> copies;
    absl::StatusOr<std::optional<StoredResource>> current = store_->Get(name);
    EXPECT_TRUE(current.ok() && current->has_value());
    copies.push_back(**current);
    absl::StatusOr<std::vector<ChangeRecord>> history = store_->ListChanges(0, "", 10000);
    EXPECT_TRUE(history.ok()) << history.status();
    for (const ChangeRecord& change : *history) {
      if (change.resource.name == name) copies.push_back(change.resource);
    }
    return copies;
  }

  // The words found in the live database's files, as they lie on disk:
  // SQLite's database file and WAL; PostgreSQL's files of this database,
  // after a checkpoint writes out what its buffers hold, and its pg_wal.
  std::string WordsOnDisk() {
    std::string bytes;
    if (GetParam() == testing::Backend::kSqlite) {
      bytes = ReadAll(database_path()) + ReadAll(database_path() + "-wal");
    } else {
      EXPECT_EQ(postgres_->Execute("CHECKPOINT"), "");
      const std::string data = postgres_->QueryValue("SHOW data_directory");
      const std::string table = postgres_->QueryValue("SELECT pg_relation_filepath('changes')");
      const std::filesystem::path directory =
          std::filesystem::path(data + "/" + table).parent_path();
      EXPECT_TRUE(std::filesystem::is_directory(directory)) << directory;
      bytes += ReadFilesIn(directory);
      // The write-ahead log: the tests' role may cycle it, as README asks
      // of an operator who lets mpowerd do so.
      bytes += ReadFilesIn(data + "/pg_wal");
    }
    return WordsIn(bytes, {kHeadline, kSummary, kArea});
  }

  // The words still on disk once the vacuum that follows a narrowing or a
  // purge has run. PostgreSQL's runs after the write is answered, so this
  // looks again, for up to 30 s, while any remain.
  std::string WordsLeftOnDisk() {
    const absl::Time until = absl::Now() + absl::Seconds(30);
    std::string words = WordsOnDisk();
    while (!words.empty() && absl::Now() < until) {
      absl::SleepFor(absl::Milliseconds(200));
      words = WordsOnDisk();
    }
    return words;
  }

  // The words found in a fresh backup by the backend's own means: SQLite's
  // backup API, or pg_dump (plain, uncompressed).
  std::string WordsInBackup(const std::string& file) {
    const std::string path = dir_.path() + "/" + file;
    if (GetParam() == testing::Backend::kSqlite) {
      EXPECT_TRUE(BackupDatabase(database_path(), path).ok());
    } else {
      const std::string command =
          absl::StrCat("/usr/bin/pg_dump -Fp -f '", path, "' '", postgres_->url(), "'");
      EXPECT_EQ(std::system(command.c_str()), 0) << command;
    }
    const std::string bytes = ReadAll(path);
    EXPECT_FALSE(bytes.empty()) << path;
    return WordsIn(bytes, {kHeadline, kSummary, kArea});
  }
};

TEST_P(NarrowingTest, ANarrowedAlertLeavesNoTextInTheClearYetItsReadersReadIt) {
  const std::string name = FilePublic();
  ASSERT_THAT(name, ::testing::StartsWith("alerts/"));
  // The search finds the words while the alert is public.
  const std::string all = absl::StrCat(kHeadline, " ", kSummary, " ", kArea, " ");
  EXPECT_EQ(WordsOnDisk(), all);
  EXPECT_EQ(WordsInBackup("before.backup"), all);

  absl::StatusOr<v1::Alert> narrowed = Narrow(name, v1::Alert::SCOPE_RESTRICTED);
  ASSERT_TRUE(narrowed.ok()) << narrowed.status();

  EXPECT_EQ(WordsLeftOnDisk(), "");
  EXPECT_EQ(WordsInBackup("after.backup"), "");
  EXPECT_EQ(WordsIn(ReadAll(dir_.path() + "/before.backup"), {kHeadline}),
            absl::StrCat(kHeadline, " "))
      << "what a backup took while the alert was public, it keeps (README)";

  // Stored: nothing shareable in the clear part of any copy. Decoded: every
  // version says what it said, details included.
  const std::vector<StoredResource> copies = StoredCopies(name);
  EXPECT_EQ(copies.size(), 4u);  // the resource; created, changed, narrowed
  for (const StoredResource& copy : copies) {
    EXPECT_EQ(WordsIn(copy.data, {kHeadline, kSummary, kArea}), "") << copy.update_revision;
    absl::StatusOr<v1::Alert> decoded = ResourceCodec<v1::Alert>::Decode(copy);
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(decoded->headline(), absl::StrCat("Headline ", kHeadline));
    EXPECT_EQ(decoded->summary(), absl::StrCat("Summary ", kSummary));
    EXPECT_EQ(decoded->area(), absl::StrCat("Area ", kArea));
    EXPECT_EQ(decoded->protected_details().people(0).full_name(), "Someone");
  }
  // Readers entitled now read it; others do not.
  for (const Principal& reader : {kFiler, kRecipient, kSecretariat}) {
    absl::StatusOr<v1::Alert> read = alerts().Get(reader, name);
    ASSERT_TRUE(read.ok()) << reader.id << ": " << read.status();
    EXPECT_EQ(read->headline(), absl::StrCat("Headline ", kHeadline));
  }
  EXPECT_THAT(alerts().Get(kOther, name), testing::StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_P(NarrowingTest, PartnersToRestrictedAndBackSealsWhatEachPublicSpellLeft) {
  const std::string name = FilePublic();
  ASSERT_TRUE(Narrow(name, v1::Alert::SCOPE_PARTNERS).ok());
  EXPECT_EQ(WordsLeftOnDisk(), "");
  // Public again, for a while: its new versions lie in the clear, as any
  // public text may; narrowed again, they are sealed too.
  ASSERT_TRUE(Narrow(name, v1::Alert::SCOPE_PUBLIC).ok());
  EXPECT_NE(WordsOnDisk(), "");
  ASSERT_TRUE(Narrow(name, v1::Alert::SCOPE_RESTRICTED).ok());
  EXPECT_EQ(WordsLeftOnDisk(), "");
  for (const StoredResource& copy : StoredCopies(name)) {
    EXPECT_EQ(WordsIn(copy.data, {kHeadline}), "") << copy.update_revision;
  }
}

TEST_P(NarrowingTest, APurgeIncludingShareableTextErasesItFromEveryCopy) {
  const std::string name = FilePublic();
  ASSERT_TRUE(Narrow(name, v1::Alert::SCOPE_PARTNERS).ok());
  // Without include_shareable the text stays, sealed.
  absl::StatusOr<v1::Alert> purged = alerts().Purge(kFiler, name, "asked", "");
  ASSERT_TRUE(purged.ok()) << purged.status();
  EXPECT_EQ(purged->headline(), absl::StrCat("Headline ", kHeadline));
  const std::string purge_time = purged->purge_time().DebugString();

  // Asked for again, with the shareable text: gone from every copy, and
  // from a backup taken since.
  purged = alerts().Purge(kFiler, name, "the headline names the organiser", "",
                          /*include_shareable=*/true);
  ASSERT_TRUE(purged.ok()) << purged.status();
  EXPECT_EQ(purged->headline(), "[erased]");
  EXPECT_EQ(purged->summary(), "");
  EXPECT_EQ(purged->area(), "");
  EXPECT_EQ(purged->purge_time().DebugString(), purge_time) << "the first purge's time stays";
  EXPECT_EQ(WordsLeftOnDisk(), "");
  EXPECT_EQ(WordsInBackup("after-purge.backup"), "");
  for (const StoredResource& copy : StoredCopies(name)) {
    absl::StatusOr<v1::Alert> decoded = ResourceCodec<v1::Alert>::Decode(copy);
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(decoded->headline(), "[erased]") << copy.update_revision;
    EXPECT_EQ(decoded->summary(), "") << copy.update_revision;
    EXPECT_EQ(decoded->area(), "") << copy.update_revision;
    EXPECT_EQ(decoded->country_code(), "ID");
  }
  // Once erased, asking again changes nothing.
  absl::StatusOr<v1::Alert> again = alerts().Purge(kFiler, name, "again", "", true);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->etag(), purged->etag());
}

TEST_P(NarrowingTest, NarrowingAPurgedAlertSealsTheTextOfItsErasedVersionsToo) {
  const std::string name = FilePublic();
  // The purge destroys the data key the public versions' details were
  // sealed under: nothing more can be sealed under it.
  ASSERT_TRUE(alerts().Purge(kFiler, name, "asked", "").ok());
  ASSERT_TRUE(Narrow(name, v1::Alert::SCOPE_RESTRICTED).ok());
  EXPECT_EQ(WordsLeftOnDisk(), "");
  for (const StoredResource& copy : StoredCopies(name)) {
    EXPECT_EQ(WordsIn(copy.data, {kHeadline, kSummary, kArea}), "") << copy.update_revision;
    absl::StatusOr<v1::Alert> decoded = ResourceCodec<v1::Alert>::Decode(copy);
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(decoded->headline(), absl::StrCat("Headline ", kHeadline)) << copy.update_revision;
    EXPECT_FALSE(decoded->has_protected_details()) << copy.update_revision;
    EXPECT_FALSE(decoded->protected_details_present()) << copy.update_revision;
  }
}

// On PostgreSQL the scrub runs after the write's answer. One that cannot
// finish (here a reader holds a lock on the tables, so VACUUM FULL cannot
// have its own) is owed still, in the database, and the next store to
// open it runs it.
TEST_P(NarrowingTest, AScrubCutShortIsRunByTheNextStoreToOpenTheDatabase) {
  if (GetParam() != testing::Backend::kPostgres) {
    GTEST_SKIP() << "SQLite's scrub ends before the write's answer";
  }
  const std::string name = FilePublic();
  absl::StatusOr<std::unique_ptr<postgres::Connection>> reader =
      postgres::Connection::Open(postgres_->url());
  ASSERT_TRUE(reader.ok()) << reader.status();
  ASSERT_TRUE((*reader)->Execute("BEGIN", "a long read").ok());
  ASSERT_TRUE((*reader)->Execute("LOCK TABLE resources IN ACCESS SHARE MODE", "a long read").ok());
  ASSERT_TRUE(Narrow(name, v1::Alert::SCOPE_RESTRICTED).ok());
  store_.reset();  // waits for the scrub under way, which cannot vacuum
  ASSERT_TRUE((*reader)->Execute("ROLLBACK", "a long read").ok());
  EXPECT_NE(WordsOnDisk(), "") << "the dead versions outlived the scrub that was cut short";

  absl::StatusOr<std::unique_ptr<Store>> reopened =
      testing::OpenStore(GetParam(), database_path(), postgres_.get(), keyring_.get());
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  store_ = *std::move(reopened);
  EXPECT_EQ(WordsLeftOnDisk(), "");
}

MPOWER_ON_EVERY_BACKEND(NarrowingTest);

}  // namespace
}  // namespace mpower
