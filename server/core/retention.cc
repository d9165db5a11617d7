#include "server/core/retention.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "server/base/status_macros.h"
#include "server/core/alert_rules.h"

namespace mpower {

using v1::Alert;

absl::StatusOr<int> PurgeClosedAlerts(Store& store, absl::Duration after, absl::Time now) {
  // Candidates, judged on the public part: closed long enough, with
  // protected details, not purged yet. Purge checks again as it writes.
  ListQuery query;
  query.collection = "alerts";
  query.show_deleted = true;  // a deleted alert is kept as evidence, details and all
  query.limit = SIZE_MAX;
  query.max_scanned = SIZE_MAX;
  query.predicate = [&](const StoredResource& stored) {
    Alert alert;
    if (!alert.ParseFromString(stored.data) || alert.has_purge_time() ||
        !alert.protected_details_present()) {
      return false;
    }
    if (alert.status() != Alert::STATUS_RESOLVED && alert.status() != Alert::STATUS_DISMISSED) {
      return false;
    }
    const google::protobuf::Timestamp& closed =
        alert.has_close_time() ? alert.close_time() : alert.update_time();
    return absl::FromUnixSeconds(closed.seconds()) + after <= now;
  };
  MPOWER_ASSIGN_OR_RETURN(ListResult candidates, store.List(query));
  const std::string reason =
      absl::StrCat("retention: protected details are kept ", absl::FormatDuration(after),
                   " after an alert is resolved or dismissed (mpowerd --purge-protected-after)");
  ResourceManager<Alert> alerts(&store);
  int purged = 0;
  for (const StoredResource& candidate : candidates.items) {
    MPOWER_ASSIGN_OR_RETURN(Alert alert,
                            alerts.Purge(Principal::System(), candidate.name, reason, ""));
    if (alert.has_purge_time()) ++purged;
  }
  return purged;
}

}  // namespace mpower
