#ifndef MPOWER_SERVER_STORAGE_STORE_H_
#define MPOWER_SERVER_STORAGE_STORE_H_

// The storage interface. Storage knows resources only as named, versioned
// blobs; what they mean, and every rule about them, lives in core/.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace mpower {

class DataKeys;

// One stored resource.
struct StoredResource {
  std::string name;        // e.g. "partners/ilo/commitments/rb-2022"
  std::string collection;  // e.g. "commitments"
  std::string parent;      // e.g. "partners/ilo"; "" for top level
  // The owner's own id ("" for none), unique among the live and deleted
  // resources of the same collection and parent: the key of sync.
  std::string external_id;
  // Names of other resources this one refers to; a referenced resource
  // cannot be hard-deleted. Written by Put; reads leave it empty.
  std::vector<std::string> references;
  int64_t create_revision = 0;  // the revision that created it
  int64_t update_revision = 0;  // the revision that last changed it
  bool deleted = false;         // soft-deleted
  std::string data;             // the serialized resource, without protected details
  std::string protected_data;   // serialized protected details; "" for none
  // Writes: seal protected_data under the resource's own data key too, so
  // that a purge (Store::DestroyDataKey) erases every copy of it. Reads:
  // whether it was.
  bool erasable = false;
  // Reads: protected_data was sealed under a data key since destroyed; it
  // is empty, and no key will ever open it again.
  bool erased = false;
};

// What to list: live (and, if asked, deleted) resources of one collection,
// in name order, after a name.
struct ListQuery {
  std::string collection;
  std::string parent;      // "" for every parent
  std::string after_name;  // start after this name; "" for the start
  bool show_deleted = false;
  size_t limit = 50;           // the most items to return
  size_t max_scanned = 10000;  // the most rows to examine in one call
  // Keeps only the resources it returns true for; null keeps every one.
  // Called in the order resources are examined; ListResult::items holds
  // exactly those it accepted, in that order.
  std::function<bool(const StoredResource&)> predicate;
  // A hint: every resource the predicate keeps has this index term (see
  // Store::SetTermExtractor), so the store may read only those. "" for
  // none. The result is the same either way.
  std::string term;
};

// The index terms of a resource, e.g. {"country_codes=ID"}.
using TermExtractor = std::function<std::vector<std::string>(const StoredResource&)>;

struct ListResult {
  std::vector<StoredResource> items;
  // The name to resume after for the next page; "" when nothing is left.
  std::string resume_after;
};

// One change in the store-wide history: what a resource became at a
// revision (or, when removed, what it was before).
struct ChangeRecord {
  enum class Kind { kCreated = 1, kUpdated = 2, kRemoved = 3 };
  int64_t revision = 0;
  Kind kind = Kind::kUpdated;
  StoredResource resource;  // references and request data are not kept
};

// A retried create's record, keyed by request id.
struct RequestRecord {
  std::string fingerprint;  // identifies the request's content
  std::string name;         // the resource it created
};

// A stored credential. Storage keeps the serialized public Credential and
// the two keys it is found by; the secret itself is never stored.
struct CredentialRecord {
  std::string id;                   // the last part of "credentials/{id}"
  std::string data;                 // the serialized mpower.v1.Credential
  std::string secret_hash;          // hex SHA-256 of a bearer secret; "" for certificates
  std::string certificate_subject;  // "" for bearer tokens
};

// One entry of the append-only audit trail. `hash` covers every other
// field and the previous entry's hash, so editing, deleting or reordering
// an entry breaks the chain.
struct AuditRecord {
  int64_t sequence = 0;  // 1, 2, 3, ... in the order written
  int64_t unix_micros = 0;
  std::string principal;
  std::string method;  // e.g. "CreateAlert", "ReadProtectedDetails"
  std::string resource;
  std::string request_id;
  std::string reason;         // why, where the method asks for one (a purge)
  std::string previous_hash;  // hex; "" for the first entry
  std::string hash;           // hex
};

// Where one subscription's notifications have got to: core's serialized
// mpower.v1.Subscription.DeliveryStatus, keyed by the subscription's name.
// Kept beside the resources and outside the revisioned history: it changes
// with every delivery, and is no change anybody watches.
struct DeliveryStateRecord {
  std::string subscription;
  std::string data;
};

// How durable a write must be when Store::Write returns (leveldb's
// WriteOptions::sync).
enum class Durability {
  // On stable storage: survives a power loss of the database's machine.
  kSynced,
  // Committed, visible to every reader, and survives a crash of mpowerd;
  // but, until a later synced write reaches the disk, a power loss of the
  // database's machine (or, on PostgreSQL, a crash of its server) may lose
  // it. For what a read must leave behind (the audit record of a
  // disclosure) without making the read wait for a disk.
  kProcessCrashSafe,
};

// The operations available inside one write transaction. Reads see the
// transaction's own writes. Used only inside Store::Write's callback.
class WriteTransaction {
 public:
  virtual ~WriteTransaction() = default;

  // The revision every write of this transaction is recorded under.
  virtual int64_t revision() const = 0;

  virtual absl::StatusOr<std::optional<StoredResource>> Get(absl::string_view name) = 0;
  virtual absl::StatusOr<std::optional<StoredResource>> FindByExternalId(
      absl::string_view collection, absl::string_view parent, absl::string_view external_id) = 0;
  // FindByExternalId for many ids at once: the resources found, by external
  // id. A backend a network away answers in one round trip where one call
  // each would take one each (a sync of 100,000 items); this one, for a
  // backend in the process, asks one at a time.
  virtual absl::StatusOr<absl::flat_hash_map<std::string, StoredResource>> FindByExternalIds(
      absl::string_view collection, absl::string_view parent,
      const std::vector<std::string>& external_ids) {
    absl::flat_hash_map<std::string, StoredResource> found;
    for (const std::string& external_id : external_ids) {
      absl::StatusOr<std::optional<StoredResource>> one =
          FindByExternalId(collection, parent, external_id);
      if (!one.ok()) return one.status();
      if (one->has_value()) found.emplace(external_id, std::move(**one));
    }
    return found;
  }
  // True if another resource refers to `name` or has it as its parent.
  virtual absl::StatusOr<bool> IsReferenced(absl::string_view name) = 0;
  // True if a resource of `collection` (deleted or not) has `parent` as its
  // parent.
  virtual absl::StatusOr<bool> HasChildren(absl::string_view parent,
                                           absl::string_view collection) = 0;

  // Inserts or replaces `resource` and records the change at revision().
  virtual absl::Status Put(const StoredResource& resource) = 0;
  // Inserts `resource`, which must be new, and records the change at
  // revision(). If any resource (deleted or not) has its name, the write
  // fails ALREADY_EXISTS: here, or, on a backend that sends statements
  // ahead without waiting, when the write is committed. So a create whose
  // name the server just made need not read first to be sure it replaces
  // nothing.
  virtual absl::Status Insert(const StoredResource& resource) = 0;
  // Removes `name` for good and records the change at revision().
  virtual absl::Status Remove(absl::string_view name) = 0;

  // Rewrites in place every stored copy of `name`, the resource and each
  // of its versions in the history, that `rewrite` changes (returning true),
  // for taking out of the clear, or erasing, what earlier versions stored
  // (an alert whose scope narrowed). `rewrite` gets each copy as a read
  // returns it (protected_data opened) and may change data, protected_data
  // and erasable; a copy still marked erased afterwards keeps its sealed
  // part as it is, since no key opens it. Uses no revision: the history
  // keeps its revisions, and readers of the change feed see the copies as
  // rewritten. REQUIRES: `rewrite` changes nothing the store indexes the
  // resource by (its terms, references or external id).
  //
  // Once it commits, the store overwrites the old copies' space: SQLite
  // before Write returns (freed cells zeroed, then a WAL checkpoint that
  // truncates the log); PostgreSQL on a thread of its own after Write
  // returns (postgres/scrub.h: VACUUM FULL of the resources and history,
  // then pg_wal cycled if the role may). That costs a rewrite of the whole
  // database on PostgreSQL: for rare writes only.
  virtual absl::Status RewriteCopies(
      absl::string_view name,
      const std::function<absl::StatusOr<bool>(StoredResource&)>& rewrite) = 0;

  virtual absl::StatusOr<std::optional<RequestRecord>> FindRequest(absl::string_view key) = 0;
  virtual absl::Status SaveRequest(absl::string_view key, const RequestRecord& record) = 0;

  // Inserts (`must_be_new`) or replaces a credential. Uses no revision:
  // credentials are not part of the change feed. ALREADY_EXISTS if the id
  // is taken (when inserting), or another credential has the same secret
  // hash or certificate subject.
  virtual absl::Status PutCredential(const CredentialRecord& credential, bool must_be_new) = 0;

  // The delivery state of `subscription`; nullopt if none was written.
  virtual absl::StatusOr<std::optional<std::string>> GetDeliveryState(
      absl::string_view subscription) = 0;
  // Writes the delivery state of `subscription`. Uses no revision. Removing
  // the subscription (Remove) removes its state too.
  virtual absl::Status PutDeliveryState(absl::string_view subscription, absl::string_view data) = 0;

  // Appends `record` to the audit trail, filling in its sequence and the
  // hash chain (computed by `chain`, which core supplies so storage needs
  // no cryptography).
  virtual absl::Status AppendAudit(AuditRecord record,
                                   const std::function<std::string(const AuditRecord&)>& chain) = 0;
};

// A durable store of resources with a store-wide revision: every committed
// write transaction that changed a resource gets the next revision,
// strictly increasing, without gaps. Backends live in folders of their own
// (sqlite/, postgres/); what is not specific to one (group commit, the
// keyring that seals protected data) lives beside them here. Thread-safe.
class Store {
 public:
  virtual ~Store() = default;

  // The resource named `name`, deleted or not; nullopt if there is none.
  virtual absl::StatusOr<std::optional<StoredResource>> Get(absl::string_view name) = 0;

  virtual absl::StatusOr<ListResult> List(const ListQuery& query) = 0;

  // Runs `body` in one serializable write transaction. If `body` returns OK
  // and wrote something, commits as durably as `durability` asks and
  // returns the new revision; if it wrote nothing, returns the current
  // revision and no revision is used. If `body` fails, nothing it did is
  // kept and its status is returned. `body` runs exactly once.
  virtual absl::StatusOr<int64_t> Write(
      Durability durability, const std::function<absl::Status(WriteTransaction&)>& body) = 0;
  // The same, synced: the data is on disk when this returns.
  absl::StatusOr<int64_t> Write(const std::function<absl::Status(WriteTransaction&)>& body) {
    return Write(Durability::kSynced, body);
  }

  // The revision of the last committed write; 0 for an empty store.
  virtual absl::StatusOr<int64_t> CurrentRevision() = 0;

  // Indexes every resource by the terms `extractor` gives it, so that List
  // can use ListQuery::term. `version` names the extractor: if the store
  // was indexed by another (or by none), it is re-indexed first. Until this
  // succeeds, List scans. Call once, before writes begin.
  virtual absl::Status SetTermExtractor(std::string version, TermExtractor extractor) = 0;

  // Calls `listener` after each commit that used a revision, on the
  // writer's thread: it must be quick. Set once, before writes begin.
  virtual void SetCommitListener(std::function<void()> listener) = 0;

  // Calls `observer` after each group commit with how many writes the
  // group held and how long committing it took (its transaction and its
  // flush), on the writer's thread: it must be quick. For the operator's
  // metrics. Set once, before writes begin; null for none.
  using GroupCommitObserver = std::function<void(size_t writes, absl::Duration took)>;
  virtual void SetGroupCommitObserver(GroupCommitObserver observer) = 0;

  // A number that changes whenever a committed write has changed a
  // credential (before that write returns), so a cache of credentials can
  // tell it is still current. It starts anew each time the store opens.
  virtual uint64_t CredentialsGeneration() const = 0;

  // Credentials, found by id, by the hash of a bearer secret, or by a
  // client certificate subject; nullopt if none.
  virtual absl::StatusOr<std::optional<CredentialRecord>> GetCredential(absl::string_view id) = 0;
  virtual absl::StatusOr<std::optional<CredentialRecord>> FindCredentialBySecretHash(
      absl::string_view secret_hash) = 0;
  virtual absl::StatusOr<std::optional<CredentialRecord>> FindCredentialBySubject(
      absl::string_view subject) = 0;
  // Up to `limit` credentials with ids after `after_id`, in id order.
  virtual absl::StatusOr<std::vector<CredentialRecord>> ListCredentials(absl::string_view after_id,
                                                                        size_t limit) = 0;

  // Changes after (`after_revision`, `after_name`) in (revision, name)
  // order, up to `limit`; an empty `after_name` means after every change of
  // `after_revision`. OUT_OF_RANGE if `after_revision` is below the
  // oldest revision still held (see CompactedRevision).
  virtual absl::StatusOr<std::vector<ChangeRecord>> ListChanges(int64_t after_revision,
                                                                absl::string_view after_name,
                                                                size_t limit) = 0;
  // Changes at or below this revision have been dropped; 0 if none.
  virtual absl::StatusOr<int64_t> CompactedRevision() = 0;
  // Drops the history at or below `revision` (at most the current one).
  virtual absl::Status Compact(int64_t revision) = 0;

  // The delivery state of `subscription`; nullopt if none was written.
  virtual absl::StatusOr<std::optional<std::string>> GetDeliveryState(
      absl::string_view subscription) = 0;
  // Up to `limit` delivery states of subscriptions named after `after`, in
  // name order.
  virtual absl::StatusOr<std::vector<DeliveryStateRecord>> ListDeliveryStates(
      absl::string_view after, size_t limit) = 0;

  // The audit trail from sequence `after` on, up to `limit` entries.
  virtual absl::StatusOr<std::vector<AuditRecord>> ListAudit(int64_t after, size_t limit) = 0;

  // Whether this process should run the cluster's maintenance (compaction,
  // escalation) now: true for exactly one process at a time among all that
  // share the database, and, once it dies, for another within a moment. A
  // store only one process opens always says true.
  virtual absl::StatusOr<bool> HoldsMaintenanceLease() { return true; }

  // OK if the database answers now; UNAVAILABLE, saying so, if not. For
  // health checks: cheap, and never waits long.
  virtual absl::Status CheckHealth() { return absl::OkStatus(); }

  // The database's size on disk in bytes, for the operator's metrics.
  virtual absl::StatusOr<int64_t> DatabaseBytes() = 0;

  // Re-seals with the keyring's current key all protected data (resources
  // and history) sealed with older keys, in one transaction. Returns how
  // many resources it re-sealed.
  virtual absl::StatusOr<int64_t> ReencryptProtectedData() = 0;

  // The per-resource data keys that seal erasable protected data
  // (StoredResource::erasable), the keyring's. Prepare a resource's key
  // before a write that seals for it, so the write does not wait for the
  // disk inside its group; Destroy it to purge.
  virtual const DataKeys& data_keys() const = 0;

  // Seals under data keys the protected data of `collection` stored
  // before its writes asked for that (StoredResource::erasable), in the
  // resources and the history, in one transaction; done once per database.
  // Call once, at start, before writes begin.
  virtual absl::Status SealUnderDataKeys(absl::string_view collection) = 0;

  // A random 32-byte secret called `name`, made the first time any process
  // asks and the same for every process on this database, so that what one
  // replica seals with it (page tokens) another opens. Kept in the database
  // in the clear: it keeps callers from reading what it seals, which the
  // database holds anyway. Cached after the first call.
  virtual absl::StatusOr<std::string> SharedSecret(absl::string_view name) = 0;
};

}  // namespace mpower

#endif  // MPOWER_SERVER_STORAGE_STORE_H_
