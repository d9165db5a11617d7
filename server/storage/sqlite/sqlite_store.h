#ifndef MPOWER_SERVER_STORAGE_SQLITE_SQLITE_STORE_H_
#define MPOWER_SERVER_STORAGE_SQLITE_SQLITE_STORE_H_

// The embedded default backend: a Store on one SQLite database file.

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "server/storage/group_commit.h"
#include "server/storage/keyring.h"
#include "server/storage/sqlite/database.h"
#include "server/storage/sqlite/reader_pool.h"
#include "server/storage/store.h"

namespace mpower {

// A Store on one SQLite database file in WAL mode. Writes go through one
// connection, in group commits (group_commit.h); reads use a pool of their
// own connections, so readers never wait for the writer. Protected data is
// sealed with the keyring's current key and bound to its resource's name.
// One process at a time: mpowerd holds the data directory's lock.
// Thread-safe.
//
// The implementation is in rooms: sqlite_store.cc (opening, Get, Write and
// the group commit), sqlite_list.cc (List), sqlite_reads.cc (credentials,
// the change history, the audit trail) and sqlite_maintenance.cc (key
// checks and re-encryption, re-indexing, compaction).
class SqliteStore : public Store {
 public:
  // Opens or creates the database at `path` and its schema, and checks that
  // `keyring` opens data sealed with each key in use (FAILED_PRECONDITION
  // for a missing key, DATA_LOSS for a wrong one). REQUIRES: `keyring`
  // outlives the store.
  static absl::StatusOr<std::unique_ptr<SqliteStore>> Open(const std::string& path,
                                                           const Keyring* keyring);

  // Re-seals with the current key all protected data sealed with older
  // keys, in one transaction. Returns how many resources it re-sealed.
  absl::StatusOr<int64_t> ReencryptProtectedData() override ABSL_LOCKS_EXCLUDED(write_mutex_);
  const DataKeys& data_keys() const override { return keyring_.data_keys(); }
  void SetGroupCommitObserver(GroupCommitObserver observer) override {
    group_commit_.SetObserver(std::move(observer));
  }
  absl::StatusOr<int64_t> DatabaseBytes() override;
  absl::Status SealUnderDataKeys(absl::string_view collection) override
      ABSL_LOCKS_EXCLUDED(write_mutex_);
  absl::StatusOr<std::string> SharedSecret(absl::string_view name) override
      ABSL_LOCKS_EXCLUDED(write_mutex_, secrets_mutex_);

  using Store::Write;
  absl::StatusOr<int64_t> Write(
      Durability durability, const std::function<absl::Status(WriteTransaction&)>& body) override;
  absl::StatusOr<std::optional<StoredResource>> Get(absl::string_view name) override;
  absl::StatusOr<ListResult> List(const ListQuery& query) override;
  absl::StatusOr<int64_t> CurrentRevision() override;
  uint64_t CredentialsGeneration() const override { return credentials_generation_.load(); }
  absl::Status SetTermExtractor(std::string version, TermExtractor extractor) override
      ABSL_LOCKS_EXCLUDED(write_mutex_);
  void SetCommitListener(std::function<void()> listener) override {
    commit_listener_ = std::move(listener);
  }
  absl::StatusOr<std::optional<CredentialRecord>> GetCredential(absl::string_view id) override;
  absl::StatusOr<std::optional<CredentialRecord>> FindCredentialBySecretHash(
      absl::string_view secret_hash) override;
  absl::StatusOr<std::optional<CredentialRecord>> FindCredentialBySubject(
      absl::string_view subject) override;
  absl::StatusOr<std::vector<CredentialRecord>> ListCredentials(absl::string_view after_id,
                                                                size_t limit) override;
  absl::StatusOr<std::vector<AuditRecord>> ListAudit(int64_t after, size_t limit) override;
  absl::StatusOr<std::optional<std::string>> GetDeliveryState(
      absl::string_view subscription) override;
  absl::StatusOr<std::vector<DeliveryStateRecord>> ListDeliveryStates(absl::string_view after,
                                                                      size_t limit) override;
  absl::StatusOr<std::vector<ChangeRecord>> ListChanges(int64_t after_revision,
                                                        absl::string_view after_name,
                                                        size_t limit) override;
  absl::StatusOr<int64_t> CompactedRevision() override;
  absl::Status Compact(int64_t revision) override ABSL_LOCKS_EXCLUDED(write_mutex_);

 private:
  SqliteStore(std::string path, const Keyring* keyring, std::unique_ptr<sqlite::Database> writer,
              int64_t revision);

  // Runs each write of `group` in its own savepoint of one transaction and
  // commits them together: one fsync for all, or none when no write of the
  // group asks for Durability::kSynced. Sets each write's result; a write
  // that failed leaves nothing behind, and if the commit fails, every write
  // of the group fails with it.
  void CommitGroup(const std::vector<GroupCommit::PendingWrite*>& group)
      ABSL_LOCKS_EXCLUDED(write_mutex_);
  // After a write that rewrote stored copies: checkpoints the WAL into the
  // database file and truncates it, so that the old copies' page images
  // leave the log (secure_delete has zeroed their cells in the new ones).
  // Logs, and leaves the WAL for the next such write or the close, if
  // readers kept it busy.
  void TruncateWal() ABSL_LOCKS_EXCLUDED(write_mutex_);
  // Runs `body` in a write transaction of its own (BEGIN IMMEDIATE ...
  // COMMIT), for maintenance that is not a revision of the store.
  absl::Status WithWriter(const std::function<absl::Status(sqlite::Database&)>& body)
      ABSL_LOCKS_EXCLUDED(write_mutex_);

  const Keyring& keyring_;

  absl::Mutex write_mutex_;  // serializes write transactions on writer_
  const std::unique_ptr<sqlite::Database> writer_ ABSL_PT_GUARDED_BY(write_mutex_);
  TermExtractor extractor_ ABSL_GUARDED_BY(write_mutex_);
  absl::Mutex secrets_mutex_;  // apart from write_mutex_: a List must not wait for a commit
  std::map<std::string, std::string> secrets_ ABSL_GUARDED_BY(secrets_mutex_);
  GroupCommit group_commit_;

  std::atomic<uint64_t> credentials_generation_{0};  // see CredentialsGeneration
  std::atomic<int64_t> revision_;         // last committed revision; written under write_mutex_
  std::atomic<bool> terms_ready_{false};  // List may use the term index
  std::function<void()> commit_listener_;

  sqlite::ReaderPool readers_;
};

}  // namespace mpower

#endif  // MPOWER_SERVER_STORAGE_SQLITE_SQLITE_STORE_H_
