// PostgresStore's reads: List, credentials, the change history and the
// audit trail, each on a pooled connection.

#include "absl/strings/str_cat.h"
#include "server/base/status_macros.h"
#include "server/storage/history.h"
#include "server/storage/postgres/postgres_store.h"
#include "server/storage/postgres/rows.h"

namespace mpower {

using postgres::Connection;
using postgres::Params;
using postgres::ReadCounter;

absl::StatusOr<ListResult> PostgresStore::List(const ListQuery& query) {
  MPOWER_ASSIGN_OR_RETURN(Lease lease, Acquire());
  // One snapshot for every batch of the page.
  postgres::Transaction snapshot(*lease);
  MPOWER_RETURN_IF_ERROR(snapshot.Begin());
  MPOWER_RETURN_IF_ERROR(lease->Execute(
      "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", "starting a snapshot"));
  constexpr int64_t kBatch = 256;
  const bool use_terms = !query.term.empty() && terms_ready_.load();
  ListResult result;
  std::string after = query.after_name;
  size_t scanned = 0;
  while (true) {
    Params params;
    params.Text(query.collection)
        .Text(query.parent)
        .Text(after)
        .Bool(query.show_deleted)
        .Int64(kBatch);
    if (use_terms) params.Text(query.term);
    // The filter's work is done in SQL where an index can do it: the
    // collection, the parent, deletion and the term; the predicate decides
    // the rest, as on SQLite.
    MPOWER_ASSIGN_OR_RETURN(
        auto rows,
        use_terms ? lease->Query("SELECT r.name, r.collection, r.parent, r.external_id, "
                                 "r.create_revision, r.update_revision, r.deleted, r.data, "
                                 "r.protected_data, r.protected_key_id "
                                 "FROM resource_terms t JOIN resources r ON r.name = t.name "
                                 "WHERE t.collection = $1 AND t.term = $6 AND t.name > $3 "
                                 "AND ($2 = '' OR r.parent = $2) AND (NOT r.deleted OR $4) "
                                 "ORDER BY t.name LIMIT $5",
                                 params, "listing")
        : query.parent.empty() ? lease->Query(MPOWER_PG_SELECT_RESOURCES
                                              "WHERE collection = $1 AND $2 = '' AND name > $3 "
                                              "AND (NOT deleted OR $4) ORDER BY name LIMIT $5",
                                              params, "listing")
                               : lease->Query(MPOWER_PG_SELECT_RESOURCES
                                              "WHERE parent = $2 AND collection = $1 AND name > $3 "
                                              "AND (NOT deleted OR $4) ORDER BY name LIMIT $5",
                                              params, "listing"));
    for (int row = 0; row < rows->rows(); ++row) {
      ++scanned;
      MPOWER_ASSIGN_OR_RETURN(StoredResource resource,
                              postgres::ReadResource(*rows, row, keyring_));
      after = resource.name;
      if (!query.predicate || query.predicate(resource)) {
        result.items.push_back(std::move(resource));
      }
      if (result.items.size() >= query.limit || scanned >= query.max_scanned) {
        result.resume_after = after;
        return result;
      }
    }
    if (rows->rows() < kBatch) return result;
  }
}

absl::StatusOr<std::optional<CredentialRecord>> PostgresStore::GetCredential(absl::string_view id) {
  MPOWER_ASSIGN_OR_RETURN(Lease lease, Acquire());
  MPOWER_ASSIGN_OR_RETURN(auto rows, lease->Query(MPOWER_PG_SELECT_CREDENTIALS "WHERE id = $1",
                                                  Params().Text(id), "reading a credential"));
  std::vector<CredentialRecord> found = postgres::ReadCredentials(*rows);
  if (found.empty()) return std::nullopt;
  return found.front();
}

absl::StatusOr<std::optional<CredentialRecord>> PostgresStore::FindCredentialBySecretHash(
    absl::string_view secret_hash) {
  MPOWER_ASSIGN_OR_RETURN(Lease lease, Acquire());
  MPOWER_ASSIGN_OR_RETURN(auto rows,
                          lease->Query(MPOWER_PG_SELECT_CREDENTIALS "WHERE secret_hash = $1",
                                       Params().Text(secret_hash), "reading a credential"));
  std::vector<CredentialRecord> found = postgres::ReadCredentials(*rows);
  if (found.empty()) return std::nullopt;
  return found.front();
}

absl::StatusOr<std::optional<CredentialRecord>> PostgresStore::FindCredentialBySubject(
    absl::string_view subject) {
  MPOWER_ASSIGN_OR_RETURN(Lease lease, Acquire());
  MPOWER_ASSIGN_OR_RETURN(
      auto rows, lease->Query(MPOWER_PG_SELECT_CREDENTIALS "WHERE certificate_subject = $1",
                              Params().Text(subject), "reading a credential"));
  std::vector<CredentialRecord> found = postgres::ReadCredentials(*rows);
  if (found.empty()) return std::nullopt;
  return found.front();
}

absl::StatusOr<std::vector<CredentialRecord>> PostgresStore::ListCredentials(
    absl::string_view after_id, size_t limit) {
  MPOWER_ASSIGN_OR_RETURN(Lease lease, Acquire());
  MPOWER_ASSIGN_OR_RETURN(
      auto rows, lease->Query(MPOWER_PG_SELECT_CREDENTIALS "WHERE id > $1 ORDER BY id LIMIT $2",
                              Params().Text(after_id).Int64(static_cast<int64_t>(limit)),
                              "listing credentials"));
  return postgres::ReadCredentials(*rows);
}

absl::StatusOr<std::optional<std::string>> PostgresStore::GetDeliveryState(
    absl::string_view subscription) {
  MPOWER_ASSIGN_OR_RETURN(Lease lease, Acquire());
  MPOWER_ASSIGN_OR_RETURN(auto rows,
                          lease->Query("SELECT data FROM delivery_states WHERE subscription = $1",
                                       Params().Text(subscription), "reading a delivery state"));
  if (rows->rows() == 0) return std::nullopt;
  return rows->Bytes(0, 0);
}

absl::StatusOr<std::vector<DeliveryStateRecord>> PostgresStore::ListDeliveryStates(
    absl::string_view after, size_t limit) {
  MPOWER_ASSIGN_OR_RETURN(Lease lease, Acquire());
  MPOWER_ASSIGN_OR_RETURN(
      auto rows,
      lease->Query("SELECT subscription, data FROM delivery_states WHERE subscription > $1 "
                   "ORDER BY subscription LIMIT $2",
                   Params().Text(after).Int64(static_cast<int64_t>(limit)),
                   "listing delivery states"));
  std::vector<DeliveryStateRecord> states;
  for (int row = 0; row < rows->rows(); ++row) {
    states.push_back({rows->Bytes(row, 0), rows->Bytes(row, 1)});
  }
  return states;
}

absl::StatusOr<std::vector<AuditRecord>> PostgresStore::ListAudit(int64_t after, size_t limit) {
  MPOWER_ASSIGN_OR_RETURN(Lease lease, Acquire());
  MPOWER_ASSIGN_OR_RETURN(
      auto rows,
      lease->Query(MPOWER_PG_SELECT_AUDIT "WHERE sequence > $1 ORDER BY sequence LIMIT $2",
                   Params().Int64(after).Int64(static_cast<int64_t>(limit)),
                   "reading the audit log"));
  return postgres::ReadAudit(*rows);
}

absl::StatusOr<int64_t> PostgresStore::DatabaseBytes() {
  MPOWER_ASSIGN_OR_RETURN(Lease lease, Acquire());
  return ReadCounter(*lease, "SELECT pg_database_size(current_database())::bigint");
}

absl::StatusOr<int64_t> PostgresStore::CompactedRevision() {
  MPOWER_ASSIGN_OR_RETURN(Lease lease, Acquire());
  return ReadCounter(*lease, "SELECT value FROM counters WHERE key = 'compacted_revision'");
}

absl::StatusOr<std::vector<ChangeRecord>> PostgresStore::ListChanges(int64_t after_revision,
                                                                     absl::string_view after_name,
                                                                     size_t limit) {
  MPOWER_ASSIGN_OR_RETURN(Lease lease, Acquire());
  // One snapshot: the compaction mark and the rows agree.
  postgres::Transaction snapshot(*lease);
  MPOWER_RETURN_IF_ERROR(snapshot.Begin());
  MPOWER_RETURN_IF_ERROR(lease->Execute(
      "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", "starting a snapshot"));
  MPOWER_ASSIGN_OR_RETURN(
      int64_t compacted,
      ReadCounter(*lease, "SELECT value FROM counters WHERE key = 'compacted_revision'"));
  if (after_revision < compacted) {
    return CompactedHistoryError(after_revision, compacted);
  }
  MPOWER_ASSIGN_OR_RETURN(
      auto rows,
      lease->Query(
          MPOWER_PG_SELECT_CHANGES
          "WHERE revision > $1 OR (revision = $1 AND $2 <> '' AND name > $2) "
          "ORDER BY revision, name LIMIT $3",
          Params().Int64(after_revision).Text(after_name).Int64(static_cast<int64_t>(limit)),
          "reading the history"));
  return postgres::ReadChanges(*rows, keyring_);
}

}  // namespace mpower
