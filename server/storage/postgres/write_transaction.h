#ifndef MPOWER_SERVER_STORAGE_POSTGRES_WRITE_TRANSACTION_H_
#define MPOWER_SERVER_STORAGE_POSTGRES_WRITE_TRANSACTION_H_

// The WriteTransaction of one Store::Write call on PostgreSQL: every
// operation a write body may use, as statements inside the transaction
// (and savepoint) the group commit opened.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "server/storage/keyring.h"
#include "server/storage/postgres/connection.h"
#include "server/storage/store.h"

namespace mpower::postgres {

// What a group's transaction has learned that stays true while it holds
// the revision lock (no other replica writes meanwhile), so that each
// write in the group need not ask again: the audit log's last record, read
// once per group, and the resources read and not written since. When a
// write is undone, its audit records are forgotten with it and the
// resources are forgotten altogether.
struct GroupMemory {
  bool audit_tail_known = false;
  int64_t audit_sequence = 0;
  std::string audit_hash;
  absl::flat_hash_map<std::string, std::optional<StoredResource>> resources;
};

// Not thread-safe: used by the group's leader alone.
class PostgresWriteTransaction : public WriteTransaction {
 public:
  // Records changes at `revision`. `extractor` (may be null, or empty)
  // gives the index terms of each resource put; `memory` is the group's.
  // REQUIRES: a transaction is open on `connection`, and every argument
  // outlives this object.
  PostgresWriteTransaction(Connection& connection, const Keyring& keyring, int64_t revision,
                           const TermExtractor* extractor, GroupMemory* memory)
      : connection_(connection),
        keyring_(keyring),
        revision_(revision),
        extractor_(extractor),
        memory_(*memory) {}

  bool wrote() const { return wrote_; }
  bool changed_resources() const { return changed_resources_; }
  bool changed_credentials() const { return changed_credentials_; }
  // Whether RewriteCopies rewrote a copy, and so the dead row versions of
  // the old ones are to be vacuumed once this commits.
  bool rewrote_copies() const { return rewrote_copies_; }

  int64_t revision() const override { return revision_; }
  absl::StatusOr<std::optional<StoredResource>> Get(absl::string_view name) override;
  absl::StatusOr<std::optional<StoredResource>> FindByExternalId(
      absl::string_view collection, absl::string_view parent,
      absl::string_view external_id) override;
  absl::StatusOr<absl::flat_hash_map<std::string, StoredResource>> FindByExternalIds(
      absl::string_view collection, absl::string_view parent,
      const std::vector<std::string>& external_ids) override;
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
  absl::Status RecordChange(ChangeRecord::Kind kind, const StoredResource& resource);

  Connection& connection_;
  const Keyring& keyring_;
  const int64_t revision_;
  const TermExtractor* extractor_;
  GroupMemory& memory_;
  bool wrote_ = false;
  bool changed_resources_ = false;
  bool changed_credentials_ = false;
  bool rewrote_copies_ = false;
};

// Indexes `name` of `collection` under each of `terms`.
absl::Status InsertTerms(Connection& connection, absl::string_view collection,
                         absl::string_view name, const std::vector<std::string>& terms);

// The resource named `name`; nullopt if there is none.
absl::StatusOr<std::optional<StoredResource>> GetResource(Connection& connection,
                                                          const Keyring& keyring,
                                                          absl::string_view name);

}  // namespace mpower::postgres

#endif  // MPOWER_SERVER_STORAGE_POSTGRES_WRITE_TRANSACTION_H_
