#include "server/storage/postgres/write_transaction.h"

#include "server/base/status_macros.h"
#include "server/storage/postgres/rows.h"
#include "server/storage/postgres/scrub.h"

namespace mpower::postgres {
namespace {

// The first row of `result` as a resource, if any.
absl::StatusOr<std::optional<StoredResource>> FirstResource(const Result& result,
                                                            const Keyring& keyring) {
  if (result.rows() == 0) return std::nullopt;
  MPOWER_ASSIGN_OR_RETURN(StoredResource resource, ReadResource(result, 0, keyring));
  return resource;
}

}  // namespace

absl::Status InsertTerms(Connection& connection, absl::string_view collection,
                         absl::string_view name, const std::vector<std::string>& terms) {
  if (terms.empty()) return absl::OkStatus();
  return connection.Execute(
      "INSERT INTO resource_terms(collection, term, name) "
      "SELECT $1, term, $3 FROM unnest($2::text[]) AS term ON CONFLICT DO NOTHING",
      Params().Text(collection).TextArray(terms).Text(name), "indexing a resource");
}

absl::StatusOr<std::optional<StoredResource>> GetResource(Connection& connection,
                                                          const Keyring& keyring,
                                                          absl::string_view name) {
  MPOWER_ASSIGN_OR_RETURN(auto result,
                          connection.Query(MPOWER_PG_SELECT_RESOURCES "WHERE name = $1",
                                           Params().Text(name), "reading a resource"));
  return FirstResource(*result, keyring);
}

absl::StatusOr<std::optional<StoredResource>> PostgresWriteTransaction::Get(
    absl::string_view name) {
  if (auto known = memory_.resources.find(name); known != memory_.resources.end()) {
    return known->second;
  }
  MPOWER_ASSIGN_OR_RETURN(std::optional<StoredResource> resource,
                          GetResource(connection_, keyring_, name));
  memory_.resources.emplace(name, resource);
  return resource;
}

absl::StatusOr<std::optional<StoredResource>> PostgresWriteTransaction::FindByExternalId(
    absl::string_view collection, absl::string_view parent, absl::string_view external_id) {
  MPOWER_ASSIGN_OR_RETURN(
      auto result, connection_.Query(MPOWER_PG_SELECT_RESOURCES
                                     "WHERE collection = $1 AND parent = $2 AND external_id = $3",
                                     Params().Text(collection).Text(parent).Text(external_id),
                                     "finding an external id"));
  return FirstResource(*result, keyring_);
}

absl::StatusOr<absl::flat_hash_map<std::string, StoredResource>>
PostgresWriteTransaction::FindByExternalIds(absl::string_view collection, absl::string_view parent,
                                            const std::vector<std::string>& external_ids) {
  // One index descent per id, as FindByExternalId makes. Asked as
  // `external_id = ANY($3)`, the planner may instead walk every row of the
  // parent per batch when its statistics predate the rows this very
  // transaction added (a sync of 100,000 took minutes so); a LIMIT keeps
  // the lateral lookup from being flattened into such a join.
  MPOWER_ASSIGN_OR_RETURN(
      auto result,
      connection_.Query(
          "SELECT found.* FROM unnest($3::text[]) AS wanted(external_id), "
          "LATERAL (" MPOWER_PG_SELECT_RESOURCES "WHERE collection = $1 AND parent = $2 "
          "AND external_id = wanted.external_id LIMIT 1) AS found",
          Params().Text(collection).Text(parent).TextArray(external_ids), "finding external ids"));
  absl::flat_hash_map<std::string, StoredResource> found;
  for (int row = 0; row < result->rows(); ++row) {
    MPOWER_ASSIGN_OR_RETURN(StoredResource resource, ReadResource(*result, row, keyring_));
    std::string external_id = resource.external_id;
    found.emplace(std::move(external_id), std::move(resource));
  }
  return found;
}

absl::StatusOr<bool> PostgresWriteTransaction::IsReferenced(absl::string_view name) {
  MPOWER_ASSIGN_OR_RETURN(
      auto result,
      connection_.Query("SELECT EXISTS(SELECT 1 FROM resource_references WHERE to_name = $1) "
                        "OR EXISTS(SELECT 1 FROM resources WHERE parent = $1)",
                        Params().Text(name), "checking references"));
  return result->Bool(0, 0);
}

absl::StatusOr<bool> PostgresWriteTransaction::HasChildren(absl::string_view parent,
                                                           absl::string_view collection) {
  MPOWER_ASSIGN_OR_RETURN(
      auto result,
      connection_.Query(
          "SELECT EXISTS(SELECT 1 FROM resources WHERE parent = $1 AND collection = $2)",
          Params().Text(parent).Text(collection), "checking children"));
  return result->Bool(0, 0);
}

// Writing a resource is one statement: the row, its references and index
// terms (only those that changed are touched; the old and new sets never
// overlap, so the parts cannot collide within one snapshot), and its change
// record. A resource written twice in one transaction keeps its last state
// and the kind of its first write (created stays created). Put replaces a
// row of the same name; Insert fails on one, with unique_violation.
#define MPOWER_PG_INSERT_RESOURCE                                                       \
  "WITH upsert AS (INSERT INTO resources(name, collection, parent, external_id, "       \
  "create_revision, update_revision, deleted, data, protected_data, protected_key_id) " \
  "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
#define MPOWER_PG_RESOURCE_FOLLOWERS                                                            \
  "), stale_references AS (DELETE FROM resource_references "                                    \
  "WHERE from_name = $1 AND NOT (to_name = ANY($11::text[]))), "                                \
  "new_references AS (INSERT INTO resource_references(to_name, from_name) "                     \
  "SELECT to_name, $1 FROM unnest($11::text[]) AS to_name ON CONFLICT DO NOTHING), "            \
  "stale_terms AS (DELETE FROM resource_terms WHERE name = $1 AND NOT (term = "                 \
  "ANY($12::text[]))), "                                                                        \
  "new_terms AS (INSERT INTO resource_terms(collection, term, name) "                           \
  "SELECT $2, term, $1 FROM unnest($12::text[]) AS term ON CONFLICT DO NOTHING) "               \
  "INSERT INTO changes(revision, name, kind, collection, parent, create_revision, deleted, "    \
  "data, protected_data, protected_key_id) VALUES ($13, $1, $14, $2, $3, $5, $7, $8, $9, $10) " \
  "ON CONFLICT (revision, name) DO UPDATE SET kind = LEAST(changes.kind, excluded.kind), "      \
  "deleted = excluded.deleted, data = excluded.data, "                                          \
  "protected_data = excluded.protected_data, protected_key_id = excluded.protected_key_id"
constexpr char kPutResource[] = MPOWER_PG_INSERT_RESOURCE
    " ON CONFLICT (name) DO UPDATE SET "
    "collection = excluded.collection, parent = excluded.parent, "
    "external_id = excluded.external_id, create_revision = excluded.create_revision, "
    "update_revision = excluded.update_revision, deleted = excluded.deleted, "
    "data = excluded.data, protected_data = excluded.protected_data, "
    "protected_key_id = excluded.protected_key_id" MPOWER_PG_RESOURCE_FOLLOWERS;
constexpr char kInsertResource[] = MPOWER_PG_INSERT_RESOURCE MPOWER_PG_RESOURCE_FOLLOWERS;
#undef MPOWER_PG_INSERT_RESOURCE
#undef MPOWER_PG_RESOURCE_FOLLOWERS

constexpr size_t kMostUnanswered = 1000;

absl::Status PostgresWriteTransaction::Put(const StoredResource& resource) {
  return WriteResource(resource, /*must_be_new=*/false);
}

absl::Status PostgresWriteTransaction::Insert(const StoredResource& resource) {
  return WriteResource(resource, /*must_be_new=*/true);
}

absl::Status PostgresWriteTransaction::WriteResource(const StoredResource& resource,
                                                     bool must_be_new) {
  wrote_ = true;
  changed_resources_ = true;
  memory_.resources.erase(resource.name);
  const bool indexed = extractor_ != nullptr && *extractor_;
  const ChangeRecord::Kind kind = resource.create_revision == revision_
                                      ? ChangeRecord::Kind::kCreated
                                      : ChangeRecord::Kind::kUpdated;
  Params params;
  params.Text(resource.name)
      .Text(resource.collection)
      .Text(resource.parent)
      .TextOrNull(resource.external_id)
      .Int64(resource.create_revision)
      .Int64(resource.update_revision)
      .Bool(resource.deleted)
      .Bytes(resource.data);
  MPOWER_RETURN_IF_ERROR(AddSealed(params, keyring_, resource));
  params.TextArray(resource.references)
      .TextArray(indexed ? (*extractor_)(resource) : std::vector<std::string>())
      .Int64(revision_)
      .Int64(static_cast<int64_t>(kind));
  MPOWER_RETURN_IF_ERROR(
      connection_.Execute(must_be_new ? kInsertResource : kPutResource, params,
                          must_be_new ? "creating a resource" : "writing a resource"));
  // A write of many resources that reads nothing between them (a sync)
  // would queue every answer in memory until the commit: collect them a
  // batch at a time.
  if (connection_.unanswered() >= kMostUnanswered) MPOWER_RETURN_IF_ERROR(connection_.Settle());
  if (indexed) return absl::OkStatus();
  // Without an extractor the index can no longer be trusted: the next one
  // rebuilds it.
  return connection_.Execute(
      "INSERT INTO settings(key, value) VALUES ('terms_version', '') "
      "ON CONFLICT (key) DO UPDATE SET value = ''",
      "marking the index stale");
}

absl::Status PostgresWriteTransaction::Remove(absl::string_view name) {
  MPOWER_ASSIGN_OR_RETURN(std::optional<StoredResource> last, Get(name));
  if (!last.has_value()) return absl::OkStatus();
  memory_.resources.erase(name);
  MPOWER_RETURN_IF_ERROR(connection_.Execute("DELETE FROM resources WHERE name = $1",
                                             Params().Text(name), "removing a resource"));
  MPOWER_RETURN_IF_ERROR(connection_.Execute("DELETE FROM resource_references WHERE from_name = $1",
                                             Params().Text(name), "removing references"));
  MPOWER_RETURN_IF_ERROR(connection_.Execute("DELETE FROM resource_terms WHERE name = $1",
                                             Params().Text(name), "removing index terms"));
  MPOWER_RETURN_IF_ERROR(connection_.Execute("DELETE FROM delivery_states WHERE subscription = $1",
                                             Params().Text(name), "removing a delivery state"));
  return RecordChange(ChangeRecord::Kind::kRemoved, *last);
}

absl::Status PostgresWriteTransaction::RewriteCopies(
    absl::string_view name, const std::function<absl::StatusOr<bool>(StoredResource&)>& rewrite) {
  struct Table {
    const char* select;
    const char* update;       // data, protected_data, protected_key_id, then the key
    const char* update_data;  // data, then the key: for a copy whose sealed part is erased
    bool is_history;
  };
  const Table tables[] = {
      {MPOWER_PG_SELECT_RESOURCES "WHERE name = $1",
       "UPDATE resources SET data = $1, protected_data = $2, protected_key_id = $3 "
       "WHERE name = $4",
       "UPDATE resources SET data = $1 WHERE name = $2", false},
      {MPOWER_PG_SELECT_CHANGES "WHERE name = $1",
       "UPDATE changes SET data = $1, protected_data = $2, protected_key_id = $3 "
       "WHERE revision = $4 AND name = $5",
       "UPDATE changes SET data = $1 WHERE revision = $2 AND name = $3", true}};
  memory_.resources.erase(name);
  for (const Table& table : tables) {
    MPOWER_ASSIGN_OR_RETURN(
        auto rows, connection_.Query(table.select, Params().Text(name), "reading stored copies"));
    MPOWER_ASSIGN_OR_RETURN(std::vector<StoredResource> copies, ReadResources(*rows, keyring_));
    for (StoredResource& copy : copies) {
      MPOWER_ASSIGN_OR_RETURN(const bool changed, rewrite(copy));
      if (!changed) continue;
      Params params;
      params.Bytes(copy.data);
      if (!copy.erased) MPOWER_RETURN_IF_ERROR(AddSealed(params, keyring_, copy));
      // A history row's update_revision is the change's revision.
      if (table.is_history) params.Int64(copy.update_revision);
      params.Text(copy.name);
      MPOWER_RETURN_IF_ERROR(connection_.Execute(copy.erased ? table.update_data : table.update,
                                                 params, "rewriting a stored copy"));
      wrote_ = true;
      rewrote_copies_ = true;
    }
  }
  return rewrote_copies_ ? MarkScrubDue(connection_) : absl::OkStatus();
}

absl::StatusOr<std::optional<RequestRecord>> PostgresWriteTransaction::FindRequest(
    absl::string_view key) {
  MPOWER_ASSIGN_OR_RETURN(
      auto result,
      connection_.Query("SELECT fingerprint, name FROM requests WHERE request_key = $1",
                        Params().Text(key), "finding a request id"));
  if (result->rows() == 0) return std::nullopt;
  return RequestRecord{result->Bytes(0, 0), result->Bytes(0, 1)};
}

absl::Status PostgresWriteTransaction::SaveRequest(absl::string_view key,
                                                   const RequestRecord& record) {
  return connection_.Execute(
      "INSERT INTO requests(request_key, fingerprint, name, revision) VALUES ($1, $2, $3, $4)",
      Params().Text(key).Text(record.fingerprint).Text(record.name).Int64(revision_),
      "recording a request id");
}

absl::Status PostgresWriteTransaction::PutCredential(const CredentialRecord& credential,
                                                     bool must_be_new) {
  Params params;
  params.Text(credential.id)
      .Bytes(credential.data)
      .TextOrNull(credential.secret_hash)
      .TextOrNull(credential.certificate_subject);
  MPOWER_RETURN_IF_ERROR(connection_.Execute(
      must_be_new ? "INSERT INTO credentials(id, data, secret_hash, certificate_subject) "
                    "VALUES ($1, $2, $3, $4)"
                  : "INSERT INTO credentials(id, data, secret_hash, certificate_subject) "
                    "VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO UPDATE SET data = excluded.data, "
                    "secret_hash = excluded.secret_hash, "
                    "certificate_subject = excluded.certificate_subject",
      params, "writing a credential"));
  // The unique id, secret hash and certificate subject are checked by the
  // database alone: wait for its answer here, so that a conflict fails this
  // write at once, not the writes grouped after it too.
  MPOWER_RETURN_IF_ERROR(connection_.Settle());
  wrote_ = true;
  changed_credentials_ = true;
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::string>> PostgresWriteTransaction::GetDeliveryState(
    absl::string_view subscription) {
  MPOWER_ASSIGN_OR_RETURN(
      auto result, connection_.Query("SELECT data FROM delivery_states WHERE subscription = $1",
                                     Params().Text(subscription), "reading a delivery state"));
  if (result->rows() == 0) return std::nullopt;
  return result->Bytes(0, 0);
}

absl::Status PostgresWriteTransaction::PutDeliveryState(absl::string_view subscription,
                                                        absl::string_view data) {
  MPOWER_RETURN_IF_ERROR(
      connection_.Execute("INSERT INTO delivery_states(subscription, data) VALUES ($1, $2) "
                          "ON CONFLICT (subscription) DO UPDATE SET data = excluded.data",
                          Params().Text(subscription).Bytes(data), "writing a delivery state"));
  wrote_ = true;
  return absl::OkStatus();
}

absl::Status PostgresWriteTransaction::AppendAudit(
    AuditRecord record, const std::function<std::string(const AuditRecord&)>& chain) {
  if (!memory_.audit_tail_known) {
    MPOWER_ASSIGN_OR_RETURN(auto last, connection_.Query("SELECT sequence, hash FROM audit_log "
                                                         "ORDER BY sequence DESC LIMIT 1",
                                                         "reading the audit log"));
    memory_.audit_tail_known = true;
    memory_.audit_sequence = last->rows() > 0 ? last->Int64(0, 0) : 0;
    memory_.audit_hash = last->rows() > 0 ? last->Bytes(0, 1) : "";
  }
  record.sequence = memory_.audit_sequence + 1;
  record.previous_hash = memory_.audit_hash;
  record.hash = chain(record);
  MPOWER_RETURN_IF_ERROR(connection_.Execute(
      "INSERT INTO audit_log(sequence, unix_micros, principal, method, resource, request_id, "
      "previous_hash, hash, reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
      Params()
          .Int64(record.sequence)
          .Int64(record.unix_micros)
          .Text(record.principal)
          .Text(record.method)
          .Text(record.resource)
          .Text(record.request_id)
          .Text(record.previous_hash)
          .Text(record.hash)
          .Text(record.reason),
      "appending to the audit log"));
  memory_.audit_sequence = record.sequence;
  memory_.audit_hash = record.hash;
  wrote_ = true;
  return absl::OkStatus();
}

absl::Status PostgresWriteTransaction::RecordChange(ChangeRecord::Kind kind,
                                                    const StoredResource& resource) {
  wrote_ = true;
  changed_resources_ = true;
  Params params;
  params.Int64(revision_)
      .Text(resource.name)
      .Int64(static_cast<int64_t>(kind))
      .Text(resource.collection)
      .Text(resource.parent)
      .Int64(resource.create_revision)
      .Bool(resource.deleted)
      .Bytes(resource.data);
  MPOWER_RETURN_IF_ERROR(AddSealed(params, keyring_, resource));
  // A resource written twice in one transaction keeps its last state and
  // the kind of its first write (created stays created).
  return connection_.Execute(
      "INSERT INTO changes(revision, name, kind, collection, parent, create_revision, deleted, "
      "data, protected_data, protected_key_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
      "ON CONFLICT (revision, name) DO UPDATE SET kind = LEAST(changes.kind, excluded.kind), "
      "deleted = excluded.deleted, data = excluded.data, "
      "protected_data = excluded.protected_data, protected_key_id = excluded.protected_key_id",
      params, "recording a change");
}

}  // namespace mpower::postgres
