#include "server/storage/postgres/postgres_store.h"

#include <poll.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/base/log.h"
#include "server/base/status_macros.h"
#include "server/storage/postgres/rows.h"
#include "server/storage/postgres/schema.h"
#include "server/storage/postgres/write_transaction.h"

namespace mpower {

using postgres::Connection;
using postgres::Params;

namespace {

constexpr size_t kMaxGroupSize = 256;
// How often the follower reads the counters even without a notification:
// bounds how stale another replica's revocation can be.
constexpr int kFollowPollMs = 500;
constexpr char kChannel[] = "mpower_changes";

// Opens one sealed row per key in use, so a missing or wrong key is found
// at start-up with a clear message, not on some later read.
absl::Status CheckKeys(Connection& connection, const Keyring& keyring) {
  MPOWER_ASSIGN_OR_RETURN(
      auto resources,
      connection.Query("SELECT DISTINCT ON (protected_key_id) " MPOWER_PG_RESOURCE_COLUMNS
                       "FROM resources WHERE protected_key_id IS NOT NULL",
                       "checking the keys"));
  MPOWER_RETURN_IF_ERROR(postgres::ReadResources(*resources, keyring).status());
  MPOWER_ASSIGN_OR_RETURN(
      auto history,
      connection.Query("SELECT DISTINCT ON (protected_key_id) name, collection, parent, '', "
                       "create_revision, revision, deleted, data, protected_data, "
                       "protected_key_id, kind FROM changes WHERE protected_key_id IS NOT NULL",
                       "checking the keys"));
  return postgres::ReadChanges(*history, keyring).status();
}

absl::StatusOr<int64_t> ReadCounter(Connection& connection, const char* sql) {
  MPOWER_ASSIGN_OR_RETURN(auto result, connection.Query(sql, "reading a counter"));
  if (result->rows() != 1) return absl::DataLossError("the database has lost a counter");
  return result->Int64(0, 0);
}

}  // namespace

class PostgresStore::Lease {
 public:
  Lease(PostgresStore* store, std::unique_ptr<Connection> connection)
      : store_(store), connection_(std::move(connection)) {}
  Lease(Lease&&) = default;
  Lease& operator=(Lease&&) = delete;
  ~Lease() {
    if (connection_ != nullptr) store_->Release(std::move(connection_));
  }
  Connection* operator->() { return connection_.get(); }
  Connection& operator*() { return *connection_; }

 private:
  PostgresStore* store_;
  std::unique_ptr<Connection> connection_;
};

absl::StatusOr<std::unique_ptr<PostgresStore>> PostgresStore::Open(const std::string& url,
                                                                   const Keyring* keyring) {
  MPOWER_ASSIGN_OR_RETURN(std::unique_ptr<Connection> writer, Connection::Open(url));
  MPOWER_RETURN_IF_ERROR(postgres::Migrate(*writer));
  MPOWER_RETURN_IF_ERROR(CheckKeys(*writer, *keyring));
  std::unique_ptr<PostgresStore> store(new PostgresStore(url, keyring, std::move(writer)));
  {
    MPOWER_ASSIGN_OR_RETURN(Lease lease, store->Acquire());
    MPOWER_RETURN_IF_ERROR(store->Refresh(*lease));
  }
  store->follower_ = std::thread([raw = store.get()] { raw->Follow(); });
  return store;
}

PostgresStore::PostgresStore(std::string url, const Keyring* keyring,
                             std::unique_ptr<Connection> writer)
    : url_(std::move(url)),
      keyring_(*keyring),
      writer_(std::move(writer)),
      group_commit_([this](const auto& group) { CommitGroup(group); }, kMaxGroupSize) {}

PostgresStore::~PostgresStore() {
  stopping_.store(true);
  if (follower_.joinable()) follower_.join();
}

absl::StatusOr<PostgresStore::Lease> PostgresStore::Acquire() {
  {
    absl::MutexLock lock(&pool_mutex_);
    while (!idle_.empty()) {
      std::unique_ptr<Connection> connection = std::move(idle_.back());
      idle_.pop_back();
      if (connection->healthy()) return Lease(this, std::move(connection));
    }
  }
  MPOWER_ASSIGN_OR_RETURN(std::unique_ptr<Connection> connection, Connection::Open(url_));
  return Lease(this, std::move(connection));
}

void PostgresStore::Release(std::unique_ptr<Connection> connection) {
  // A broken connection, or one left inside a transaction, is not reused.
  if (!connection->healthy() || connection->InTransaction()) return;
  absl::MutexLock lock(&pool_mutex_);
  idle_.push_back(std::move(connection));
}

absl::StatusOr<Connection*> PostgresStore::Writer() {
  if (writer_ == nullptr || !writer_->healthy()) {
    writer_.reset();
    MPOWER_ASSIGN_OR_RETURN(writer_, Connection::Open(url_));
  }
  return writer_.get();
}

void PostgresStore::SetCommitListener(std::function<void()> listener) {
  absl::MutexLock lock(&listener_mutex_);
  commit_listener_ = std::move(listener);
}

void PostgresStore::NotifyCommit() {
  absl::MutexLock lock(&listener_mutex_);
  if (commit_listener_) commit_listener_();
}

absl::StatusOr<int64_t> PostgresStore::CurrentRevision() { return revision_.load(); }

absl::StatusOr<int64_t> PostgresStore::Write(
    Durability durability, const std::function<absl::Status(WriteTransaction&)>& body) {
  const int64_t before = revision_.load();
  GroupCommit::PendingWrite write{&body, durability};
  group_commit_.Submit(write);
  if (write.result.ok() && *write.result > before) NotifyCommit();
  return write.result;
}

void PostgresStore::CommitGroup(const std::vector<GroupCommit::PendingWrite*>& group) {
  absl::MutexLock lock(&writer_mutex_);
  absl::StatusOr<Connection*> writer = Writer();
  if (!writer.ok()) {
    for (GroupCommit::PendingWrite* write : group) write->result = writer.status();
    return;
  }
  Connection& connection = **writer;
  postgres::Transaction transaction(connection);
  absl::Status status = transaction.Begin();
  // A group that needs no fsync commits without waiting for the WAL flush:
  // PostgreSQL's asynchronous commit, which a crash of the database server
  // (not of mpowerd) may lose.
  if (status.ok() && !GroupCommit::NeedsSync(group)) {
    status = connection.Execute("SET LOCAL synchronous_commit TO off", "relaxing durability");
  }
  int64_t last = 0;
  if (status.ok()) {
    // The cluster's one serialization point: held until COMMIT.
    absl::StatusOr<int64_t> locked =
        ReadCounter(connection, "SELECT value FROM counters WHERE key = 'revision' FOR UPDATE");
    status = locked.status();
    if (locked.ok()) last = *locked;
  }
  bool changed = false;
  bool changed_credentials = false;
  size_t ran = 0;
  for (; status.ok() && ran < group.size(); ++ran) {
    GroupCommit::PendingWrite* write = group[ran];
    status = connection.Execute("SAVEPOINT write", "starting a write");
    if (!status.ok()) break;
    postgres::PostgresWriteTransaction body(connection, keyring_, last + 1, &extractor_);
    const absl::Status outcome = (*write->body)(body);
    if (outcome.ok() && body.wrote()) {
      if (body.changed_resources()) {
        ++last;
        changed = true;
      }
      changed_credentials |= body.changed_credentials();
      write->result = last;
      status = connection.Execute("RELEASE SAVEPOINT write", "finishing a write");
      continue;
    }
    write->result = outcome.ok() ? absl::StatusOr<int64_t>(last) : outcome;
    if (!connection.healthy()) {
      status = absl::UnavailableError("the database connection was lost; retry");
      break;
    }
    status = connection.Execute("ROLLBACK TO SAVEPOINT write", "undoing a failed write");
    if (status.ok()) status = connection.Execute("RELEASE SAVEPOINT write", "undoing a write");
  }
  int64_t stored_generation = -1;
  if (status.ok() && changed) {
    status = connection.Execute("UPDATE counters SET value = $1 WHERE key = 'revision'",
                                Params().Int64(last), "recording the revision");
  }
  if (status.ok() && changed_credentials) {
    absl::StatusOr<int64_t> generation =
        ReadCounter(connection,
                    "UPDATE counters SET value = value + 1 WHERE key = 'credentials_generation' "
                    "RETURNING value");
    status = generation.status();
    if (generation.ok()) stored_generation = *generation;
  }
  if (status.ok() && (changed || changed_credentials)) {
    // Delivered to every replica's follower at COMMIT.
    status =
        connection.Execute("SELECT pg_notify($1, $2)",
                           Params().Text(kChannel).Text(absl::StrCat(last)), "notifying replicas");
  }
  if (status.ok()) status = transaction.Commit();
  if (!status.ok()) {
    transaction.Rollback();
    for (size_t i = 0; i < group.size(); ++i) {
      if (i >= ran || group[i]->result.ok()) group[i]->result = status;
    }
    return;
  }
  int64_t known = revision_.load();
  while (last > known && !revision_.compare_exchange_weak(known, last)) {
  }
  if (changed_credentials) {
    stored_credentials_generation_.store(stored_generation);
    credentials_generation_.fetch_add(1);
  }
}

absl::Status PostgresStore::WithWriter(const std::function<absl::Status(Connection&)>& body) {
  absl::MutexLock lock(&writer_mutex_);
  MPOWER_ASSIGN_OR_RETURN(Connection * connection, Writer());
  postgres::Transaction transaction(*connection);
  MPOWER_RETURN_IF_ERROR(transaction.Begin());
  MPOWER_RETURN_IF_ERROR(connection->Execute(
      "SELECT value FROM counters WHERE key = 'revision' FOR UPDATE", "locking the store"));
  MPOWER_RETURN_IF_ERROR(body(*connection));
  return transaction.Commit();
}

absl::StatusOr<std::optional<StoredResource>> PostgresStore::Get(absl::string_view name) {
  MPOWER_ASSIGN_OR_RETURN(Lease lease, Acquire());
  return postgres::GetResource(*lease, keyring_, name);
}

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

absl::StatusOr<std::vector<AuditRecord>> PostgresStore::ListAudit(int64_t after, size_t limit) {
  MPOWER_ASSIGN_OR_RETURN(Lease lease, Acquire());
  MPOWER_ASSIGN_OR_RETURN(
      auto rows,
      lease->Query(MPOWER_PG_SELECT_AUDIT "WHERE sequence > $1 ORDER BY sequence LIMIT $2",
                   Params().Int64(after).Int64(static_cast<int64_t>(limit)),
                   "reading the audit log"));
  return postgres::ReadAudit(*rows);
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
    return absl::OutOfRangeError(absl::StrCat(
        "revision ", after_revision, " is no longer held: history up to revision ", compacted,
        " has been compacted, and the oldest revision you can continue after is ", compacted,
        ". List the resources again and watch from the revision the list returns"));
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

absl::Status PostgresStore::Compact(int64_t revision) {
  return WithWriter([&](Connection& connection) -> absl::Status {
    MPOWER_ASSIGN_OR_RETURN(
        int64_t current,
        ReadCounter(connection, "SELECT value FROM counters WHERE key = 'revision'"));
    MPOWER_ASSIGN_OR_RETURN(
        int64_t compacted,
        ReadCounter(connection, "SELECT value FROM counters WHERE key = 'compacted_revision'"));
    revision = std::min(revision, current);
    if (revision <= compacted) return absl::OkStatus();
    MPOWER_RETURN_IF_ERROR(connection.Execute("DELETE FROM changes WHERE revision <= $1",
                                              Params().Int64(revision), "compacting"));
    return connection.Execute("UPDATE counters SET value = $1 WHERE key = 'compacted_revision'",
                              Params().Int64(revision), "compacting");
  });
}

absl::Status PostgresStore::SetTermExtractor(std::string version, TermExtractor extractor) {
  MPOWER_RETURN_IF_ERROR(WithWriter([&](Connection& connection) -> absl::Status {
    MPOWER_ASSIGN_OR_RETURN(
        auto indexed, connection.Query("SELECT value FROM settings WHERE key = 'terms_version'",
                                       "reading the index version"));
    if (indexed->rows() == 1 && indexed->Bytes(0, 0) == version) return absl::OkStatus();
    // Another replica may be indexing too: the revision lock makes it wait,
    // and then find the work done.
    MPOWER_RETURN_IF_ERROR(connection.Execute("DELETE FROM resource_terms", "re-indexing"));
    MPOWER_ASSIGN_OR_RETURN(auto rows, connection.Query("SELECT name, collection, data FROM "
                                                        "resources",
                                                        "re-indexing"));
    for (int row = 0; row < rows->rows(); ++row) {
      StoredResource resource;
      resource.name = rows->Bytes(row, 0);
      resource.collection = rows->Bytes(row, 1);
      resource.data = rows->Bytes(row, 2);
      MPOWER_RETURN_IF_ERROR(postgres::InsertTerms(connection, resource.collection, resource.name,
                                                   extractor(resource)));
    }
    return connection.Execute(
        "INSERT INTO settings(key, value) VALUES ('terms_version', $1) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        Params().Text(version), "re-indexing");
  }));
  absl::MutexLock lock(&writer_mutex_);
  extractor_ = std::move(extractor);
  terms_ready_.store(true);
  return absl::OkStatus();
}

absl::StatusOr<int64_t> PostgresStore::ReencryptProtectedData() {
  int64_t count = 0;
  MPOWER_RETURN_IF_ERROR(WithWriter([&](Connection& connection) -> absl::Status {
    MPOWER_ASSIGN_OR_RETURN(
        auto stale_rows,
        connection.Query(MPOWER_PG_SELECT_RESOURCES "WHERE protected_key_id IS NOT NULL "
                                                    "AND protected_key_id <> $1",
                         Params().Text(keyring_.current_key_id()), "re-encrypting"));
    MPOWER_ASSIGN_OR_RETURN(std::vector<StoredResource> stale,
                            postgres::ReadResources(*stale_rows, keyring_));
    for (const StoredResource& resource : stale) {
      Params params;
      postgres::AddSealed(params, keyring_, resource);
      params.Text(resource.name);
      MPOWER_RETURN_IF_ERROR(connection.Execute(
          "UPDATE resources SET protected_data = $1, protected_key_id = $2 WHERE name = $3", params,
          "re-encrypting"));
      ++count;
    }
    MPOWER_ASSIGN_OR_RETURN(
        auto history_rows,
        connection.Query(MPOWER_PG_SELECT_CHANGES "WHERE protected_key_id IS NOT NULL "
                                                  "AND protected_key_id <> $1",
                         Params().Text(keyring_.current_key_id()), "re-encrypting"));
    MPOWER_ASSIGN_OR_RETURN(std::vector<ChangeRecord> history,
                            postgres::ReadChanges(*history_rows, keyring_));
    for (const ChangeRecord& change : history) {
      Params params;
      postgres::AddSealed(params, keyring_, change.resource);
      params.Int64(change.revision).Text(change.resource.name);
      MPOWER_RETURN_IF_ERROR(
          connection.Execute("UPDATE changes SET protected_data = $1, protected_key_id = $2 "
                             "WHERE revision = $3 AND name = $4",
                             params, "re-encrypting"));
    }
    return absl::OkStatus();
  }));
  return count;
}

absl::StatusOr<bool> PostgresStore::HoldsMaintenanceLease() {
  absl::MutexLock lock(&lease_mutex_);
  if (lease_ != nullptr && !lease_->healthy()) {
    lease_.reset();  // the session, and the lock with it, is gone
    lease_held_ = false;
  }
  if (lease_held_) return true;
  if (lease_ == nullptr) {
    MPOWER_ASSIGN_OR_RETURN(lease_, Connection::Open(url_));
  }
  MPOWER_ASSIGN_OR_RETURN(auto taken, lease_->Query("SELECT pg_try_advisory_lock($1)",
                                                    Params().Int64(postgres::kMaintenanceLock),
                                                    "taking the maintenance lease"));
  lease_held_ = taken->Bool(0, 0);
  return lease_held_;
}

absl::Status PostgresStore::CheckHealth() {
  MPOWER_ASSIGN_OR_RETURN(Lease lease, Acquire());
  return lease->Execute("SELECT 1", "checking the database");
}

absl::Status PostgresStore::Refresh(Connection& connection) {
  MPOWER_ASSIGN_OR_RETURN(auto rows,
                          connection.Query("SELECT key, value FROM counters "
                                           "WHERE key IN ('revision', 'credentials_generation')",
                                           "following other replicas"));
  bool advanced = false;
  for (int row = 0; row < rows->rows(); ++row) {
    const std::string key = rows->Bytes(row, 0);
    const int64_t value = rows->Int64(row, 1);
    if (key == "revision") {
      int64_t known = revision_.load();
      while (value > known && !revision_.compare_exchange_weak(known, value)) {
      }
      advanced = value > known;
    } else if (stored_credentials_generation_.exchange(value) != value) {
      credentials_generation_.fetch_add(1);
    }
  }
  if (advanced) NotifyCommit();
  return absl::OkStatus();
}

void PostgresStore::Follow() {
  std::unique_ptr<Connection> connection;
  while (!stopping_.load()) {
    if (connection == nullptr || !connection->healthy()) {
      connection.reset();
      absl::StatusOr<std::unique_ptr<Connection>> opened = Connection::Open(url_);
      if (opened.ok() &&
          (*opened)->Execute("LISTEN mpower_changes", "listening for changes").ok()) {
        connection = *std::move(opened);
      } else {
        absl::SleepFor(absl::Milliseconds(kFollowPollMs));
        continue;
      }
    }
    if (!Refresh(*connection).ok()) {
      connection.reset();
      continue;
    }
    // Wait for a notification, or the poll interval.
    pollfd socket{PQsocket(connection->handle()), POLLIN, 0};
    if (poll(&socket, 1, kFollowPollMs) > 0) {
      PQconsumeInput(connection->handle());
      while (PGnotify* notify = PQnotifies(connection->handle())) PQfreemem(notify);
    }
  }
}

}  // namespace mpower
