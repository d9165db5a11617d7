#ifndef MPOWER_SERVER_CORE_CHANGE_FEED_H_
#define MPOWER_SERVER_CORE_CHANGE_FEED_H_

// The change feed: the store's history, as each caller may see it.

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "mpower/v1/change.pb.h"
#include "server/core/access.h"
#include "server/core/audit.h"
#include "server/storage/store.h"

namespace mpower {

// Which changes a caller asked for; see mpower.v1.ChangeFilter.
struct ChangeSelection {
  std::set<std::string> collections;  // empty: all
  std::string partner;
  std::string country_code;

  // INVALID_ARGUMENT naming the bad field of `filter`.
  static absl::StatusOr<ChangeSelection> FromProto(const v1::ChangeFilter& filter);
};

// A page of changes.
struct ChangePage {
  std::vector<v1::Change> changes;
  std::string next_page_token;
  int64_t current_revision = 0;
};

// The current form of resources, looked up once for many renderings (the
// watch hub renders each change for every stream; a page of history holds
// many versions of one resource). Use one for a moment's work only: it is
// what "now" means for those renderings.
using CurrentResources = absl::flat_hash_map<std::string, std::optional<StoredResource>>;

// Renders history for callers. Thread-safe.
class ChangeFeed {
 public:
  // REQUIRES: `store` outlives this object.
  explicit ChangeFeed(Store* store) : store_(store) {}

  // The change `record` as `caller` may see it: nullopt if the caller may
  // not read the resource (it must not learn the change happened) or it is
  // not selected; otherwise redacted as Get redacts, with disclosures of
  // protected details recorded in the audit trail, or, when `deferred` is
  // given, added to it: then the caller must record them
  // (RecordDisclosures) before the change leaves the server. Whether the
  // caller may read a version is judged by the resource as it is now,
  // looked up in `current` (and added to it) when given.
  absl::StatusOr<std::optional<v1::Change>> Render(
      const Principal& caller, const ChangeRecord& record, const ChangeSelection& selection,
      CurrentResources* current = nullptr, std::vector<Disclosure>* deferred = nullptr) const;

  // Changes after `after_revision` (continuing from `page_token`), up to
  // `page_size`. OUT_OF_RANGE if `after_revision` has been compacted.
  absl::StatusOr<ChangePage> List(const Principal& caller, int64_t after_revision,
                                  int32_t page_size, absl::string_view page_token,
                                  const v1::ChangeFilter& filter) const;

 private:
  Store* store_;
};

}  // namespace mpower

#endif  // MPOWER_SERVER_CORE_CHANGE_FEED_H_
