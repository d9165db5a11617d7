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

#include "absl/strings/string_view.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace mpower {

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
  std::function<bool(const StoredResource&)> predicate;
};

struct ListResult {
  std::vector<StoredResource> items;
  // The name to resume after for the next page; "" when nothing is left.
  std::string resume_after;
};

// A retried create's record, keyed by request id.
struct RequestRecord {
  std::string fingerprint;  // identifies the request's content
  std::string name;         // the resource it created
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
  // True if another resource refers to `name` or has it as its parent.
  virtual absl::StatusOr<bool> IsReferenced(absl::string_view name) = 0;

  // Inserts or replaces `resource` and records the change at revision().
  virtual absl::Status Put(const StoredResource& resource) = 0;
  // Removes `name` for good and records the change at revision().
  virtual absl::Status Remove(absl::string_view name) = 0;

  virtual absl::StatusOr<std::optional<RequestRecord>> FindRequest(absl::string_view key) = 0;
  virtual absl::Status SaveRequest(absl::string_view key, const RequestRecord& record) = 0;
};

// A durable store of resources with a store-wide revision: every committed
// write transaction gets the next revision, strictly increasing. Thread-safe.
class Store {
 public:
  virtual ~Store() = default;

  // The resource named `name`, deleted or not; nullopt if there is none.
  virtual absl::StatusOr<std::optional<StoredResource>> Get(absl::string_view name) = 0;

  virtual absl::StatusOr<ListResult> List(const ListQuery& query) = 0;

  // Runs `body` in one serializable write transaction. If `body` returns OK
  // and wrote something, commits durably (the data is on disk when this
  // returns) and returns the new revision; if it wrote nothing, returns the
  // current revision and no revision is used. If `body` fails, nothing it
  // did is kept and its status is returned.
  virtual absl::StatusOr<int64_t> Write(
      const std::function<absl::Status(WriteTransaction&)>& body) = 0;

  // The revision of the last committed write; 0 for an empty store.
  virtual absl::StatusOr<int64_t> CurrentRevision() = 0;
};

}  // namespace mpower

#endif  // MPOWER_SERVER_STORAGE_STORE_H_
