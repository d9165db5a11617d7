#ifndef MPOWER_SERVER_STORAGE_SQLITE_WRITE_TRANSACTION_H_
#define MPOWER_SERVER_STORAGE_SQLITE_WRITE_TRANSACTION_H_

// The WriteTransaction of one Store::Write call on SQLite: every operation
// a write body may use, as statements on the writer connection inside the
// transaction (and savepoint) the group commit opened.

#include <cstdint>
#include <string>
#include <vector>

#include "server/storage/keyring.h"
#include "server/storage/sqlite/database.h"
#include "server/storage/store.h"

namespace mpower::sqlite {

// Not thread-safe: used by the group's leader alone.
class SqliteWriteTransaction : public WriteTransaction {
 public:
  // Records changes at `revision`. `extractor` (may be null, or empty) gives
  // the index terms of each resource put. REQUIRES: a transaction is open on
  // `db`, and every argument outlives this object.
  SqliteWriteTransaction(Database& db, const Keyring& keyring, int64_t revision,
                         const TermExtractor* extractor)
      : db_(db), keyring_(keyring), revision_(revision), extractor_(extractor) {}

  // Whether anything was written, and so there is something to commit.
  bool wrote() const { return wrote_; }
  // Whether a resource changed, and so the transaction uses its revision.
  bool changed_resources() const { return changed_resources_; }
  bool changed_credentials() const { return changed_credentials_; }
  // Whether RewriteCopies rewrote a copy, and so the space the old ones
  // held is to be overwritten once this commits.
  bool rewrote_copies() const { return rewrote_copies_; }

  int64_t revision() const override { return revision_; }
  absl::StatusOr<std::optional<StoredResource>> Get(absl::string_view name) override;
  absl::StatusOr<std::optional<StoredResource>> FindByExternalId(
      absl::string_view collection, absl::string_view parent,
      absl::string_view external_id) override;
  absl::StatusOr<bool> IsReferenced(absl::string_view name) override;
  absl::StatusOr<bool> HasChildren(absl::string_view parent, absl::string_view collection) override;
  absl::Status Put(const StoredResource& resource) override;
  absl::Status Insert(const StoredResource& resource) override;
  absl::Status Remove(absl::string_view name) override;
  absl::Status RewriteCopies(
      absl::string_view name,
      const std::function<absl::StatusOr<bool>(StoredResource&)>& rewrite) override;
  absl::StatusOr<std::optional<RequestRecord>> FindRequest(absl::string_view key) override;
  absl::Status SaveRequest(absl::string_view key, const RequestRecord& record) override;
  absl::Status PutCredential(const CredentialRecord& credential, bool must_be_new) override;
  absl::StatusOr<std::optional<std::string>> GetDeliveryState(
      absl::string_view subscription) override;
  absl::Status PutDeliveryState(absl::string_view subscription, absl::string_view data) override;
  absl::Status AppendAudit(AuditRecord record,
                           const std::function<std::string(const AuditRecord&)>& chain) override;

 private:
  // Put, or with `must_be_new` Insert.
  absl::Status WriteResource(const StoredResource& resource, bool must_be_new);
  absl::Status ReplaceReferences(absl::string_view from,
                                 const std::vector<std::string>& references);
  // Indexes `resource` by its terms. Without an extractor the index can no
  // longer be trusted: it is marked for rebuilding by the next one.
  absl::Status ReplaceTerms(const StoredResource& resource);
  absl::Status DeleteTerms(absl::string_view name);
  // Records `resource` as of this revision in the history. A resource
  // written twice in one transaction keeps its last state and the kind of
  // its first write (created stays created).
  absl::Status RecordChange(ChangeRecord::Kind kind, const StoredResource& resource);

  Database& db_;
  const Keyring& keyring_;
  const int64_t revision_;
  const TermExtractor* extractor_;
  bool wrote_ = false;
  bool changed_resources_ = false;
  bool changed_credentials_ = false;
  bool rewrote_copies_ = false;
};

// Indexes `name` of `collection` under each of `terms`, inside the open
// transaction on `db`.
absl::Status InsertTerms(Database& db, absl::string_view collection, absl::string_view name,
                         const std::vector<std::string>& terms);

}  // namespace mpower::sqlite

#endif  // MPOWER_SERVER_STORAGE_SQLITE_WRITE_TRANSACTION_H_
