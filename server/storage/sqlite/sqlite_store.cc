#include "server/storage/sqlite/sqlite_store.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "server/base/log.h"
#include "server/base/status_macros.h"
#include "server/storage/sqlite/rows.h"
#include "server/storage/sqlite/schema.h"
#include "server/storage/sqlite/write_transaction.h"

namespace mpower {
namespace {

// The most writes one group commit takes: bounds how long one transaction
// holds the writer.
constexpr size_t kMaxGroupSize = 256;

// Opens one sealed row per key in use, so a missing or wrong key is found
// at start-up with a clear message, not on some later read.
absl::Status CheckKeys(sqlite::Database& db, const Keyring& keyring) {
  const auto open = [&](const sqlite::Statement& row) { return ReadResource(row, keyring); };
  MPOWER_ASSIGN_OR_RETURN(auto resources,
                          db.Prepare(MPOWER_SELECT_RESOURCES "WHERE protected_key_id IS NOT NULL "
                                                             "GROUP BY protected_key_id"));
  MPOWER_RETURN_IF_ERROR(sqlite::ReadRows<StoredResource>(*resources, open).status());
  MPOWER_ASSIGN_OR_RETURN(auto history,
                          db.Prepare(MPOWER_SELECT_CHANGES "WHERE protected_key_id IS NOT NULL "
                                                           "GROUP BY protected_key_id"));
  return sqlite::ReadRows<StoredResource>(*history, open).status();
}

}  // namespace

using sqlite::ReadResource;

absl::StatusOr<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path,
                                                               const Keyring* keyring) {
  MPOWER_ASSIGN_OR_RETURN(std::unique_ptr<sqlite::Database> writer, sqlite::Database::Open(path));
  MPOWER_RETURN_IF_ERROR(sqlite::CreateSchema(*writer));
  MPOWER_RETURN_IF_ERROR(CheckKeys(*writer, *keyring));
  MPOWER_ASSIGN_OR_RETURN(int64_t revision, sqlite::ReadMetadata(*writer, "revision"));
  return std::unique_ptr<SqliteStore>(new SqliteStore(path, keyring, std::move(writer), revision));
}

SqliteStore::SqliteStore(std::string path, const Keyring* keyring,
                         std::unique_ptr<sqlite::Database> writer, int64_t revision)
    : keyring_(*keyring),
      writer_(std::move(writer)),
      group_commit_([this](const auto& group) { CommitGroup(group); }, kMaxGroupSize),
      revision_(revision),
      readers_(std::move(path)) {}

absl::StatusOr<std::optional<StoredResource>> SqliteStore::Get(absl::string_view name) {
  MPOWER_ASSIGN_OR_RETURN(sqlite::ReaderPool::Lease reader, readers_.Acquire());
  return sqlite::GetResource(*reader, keyring_, name);
}

absl::StatusOr<int64_t> SqliteStore::CurrentRevision() { return revision_.load(); }

absl::StatusOr<int64_t> SqliteStore::Write(
    Durability durability, const std::function<absl::Status(WriteTransaction&)>& body) {
  const int64_t before = revision_.load();
  GroupCommit::PendingWrite write{&body, durability};
  group_commit_.Submit(write);
  if (write.result.ok() && write.rewrote_copies) TruncateWal();
  if (write.result.ok() && *write.result > before && commit_listener_) commit_listener_();
  return write.result;
}

void SqliteStore::TruncateWal() {
  absl::MutexLock lock(&write_mutex_);
  absl::StatusOr<std::unique_ptr<sqlite::Statement>> checkpoint =
      writer_->Prepare("PRAGMA wal_checkpoint(TRUNCATE)");
  absl::StatusOr<bool> row = checkpoint.ok() ? (*checkpoint)->Step() : checkpoint.status();
  if (!row.ok()) {
    Log(LogLevel::kWarning, "storage",
        absl::StrCat("could not checkpoint the WAL after rewriting stored copies: ",
                     row.status().message()));
  } else if (*row && (*checkpoint)->ColumnInt64(0) != 0) {
    // Readers held an older snapshot past the busy timeout: the log keeps
    // the old pages until a later checkpoint reaches its end.
    Log(LogLevel::kWarning, "storage",
        "readers kept the WAL busy; it is truncated at the next narrowing or when mpowerd stops");
  }
}

void SqliteStore::CommitGroup(const std::vector<GroupCommit::PendingWrite*>& group) {
  absl::MutexLock lock(&write_mutex_);
  const auto fail_all = [&](const absl::Status& status) {
    for (GroupCommit::PendingWrite* write : group) write->result = status;
  };
  // A group that needs no fsync commits with synchronous=NORMAL: in WAL
  // mode the commit is then written to the log, which survives a crash of
  // the process, and reaches the disk with the next synced commit or
  // checkpoint.
  const bool sync = GroupCommit::NeedsSync(group);
  if (!sync) {
    if (absl::Status relaxed = writer_->Execute("PRAGMA synchronous=NORMAL"); !relaxed.ok()) {
      fail_all(relaxed);
      return;
    }
  }
  sqlite::Transaction transaction(*writer_);
  int64_t last = revision_.load();
  bool changed = false;
  bool changed_credentials = false;
  absl::Status status = transaction.Begin(sqlite::Transaction::kWrite);
  size_t ran = 0;  // how many writes of the group have run
  for (; status.ok() && ran < group.size(); ++ran) {
    GroupCommit::PendingWrite* write = group[ran];
    status = writer_->Execute("SAVEPOINT write");
    if (!status.ok()) break;
    sqlite::SqliteWriteTransaction body(*writer_, keyring_, last + 1, &extractor_);
    const absl::Status outcome = (*write->body)(body);
    if (outcome.ok() && body.wrote()) {
      if (body.changed_resources()) {
        ++last;
        changed = true;
      }
      changed_credentials |= body.changed_credentials();
      write->result = last;
      write->rewrote_copies = body.rewrote_copies();
      writer_->Execute("RELEASE write").IgnoreError();
      continue;
    }
    write->result = outcome.ok() ? absl::StatusOr<int64_t>(last) : outcome;
    // After some errors (a full disk, an I/O error) SQLite rolls the whole
    // transaction back by itself: then the group's earlier writes are gone
    // too, and all of it must be retried.
    if (writer_->InAutocommit() || !writer_->Execute("ROLLBACK TO write").ok() ||
        !writer_->Execute("RELEASE write").ok()) {
      status =
          outcome.ok() ? absl::UnavailableError("the write transaction was lost; retry") : outcome;
    }
  }
  if (status.ok() && changed) status = sqlite::WriteMetadata(*writer_, "revision", last);
  if (status.ok()) status = transaction.Commit();
  if (!status.ok()) transaction.Rollback();
  if (!sync) writer_->Execute("PRAGMA synchronous=FULL").IgnoreError();
  if (!status.ok()) {
    // Nothing of the group was kept: the writes that succeeded, or never
    // ran, fail with the reason.
    for (size_t i = 0; i < group.size(); ++i) {
      if (i >= ran || group[i]->result.ok()) group[i]->result = status;
    }
    return;
  }
  revision_.store(last);
  if (changed_credentials) credentials_generation_.fetch_add(1);
}

absl::Status SqliteStore::WithWriter(const std::function<absl::Status(sqlite::Database&)>& body) {
  absl::MutexLock lock(&write_mutex_);
  sqlite::Transaction transaction(*writer_);
  MPOWER_RETURN_IF_ERROR(transaction.Begin(sqlite::Transaction::kWrite));
  MPOWER_RETURN_IF_ERROR(body(*writer_));
  return transaction.Commit();
}

}  // namespace mpower
