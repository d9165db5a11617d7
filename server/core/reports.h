#ifndef MPOWER_SERVER_CORE_REPORTS_H_
#define MPOWER_SERVER_CORE_REPORTS_H_

// The reports of ReportService (proto/mpower/v1/report.proto), read on
// behalf of a caller. Resources are read through ResourceManager, so each
// report sees exactly what List would show the caller, redacted the same
// way. Only the alert statistics read alerts the caller may not see, and
// they read the stored public part alone: protected details are never
// decrypted for a report that does not return them.

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "mpower/v1/report.pb.h"
#include "server/core/access.h"
#include "server/core/unreadable_tabulation.h"
#include "server/storage/store.h"

namespace mpower {

// An exported document.
struct ExportedDocument {
  std::string content_type;
  std::string data;
};

class Reports {
 public:
  // REQUIRES: `store` outlives this object; `min_reported_count` >= 1 (see
  // UnreadableAlerts in report.proto).
  explicit Reports(Store* store, int64_t min_reported_count = 3)
      : store_(store), min_reported_count_(min_reported_count) {}

  absl::StatusOr<v1::SummarizeCommitmentsResponse> SummarizeCommitments(
      const Principal& caller, const v1::SummarizeCommitmentsRequest& request) const;
  absl::StatusOr<v1::SummarizeAlertsResponse> SummarizeAlerts(
      const Principal& caller, const v1::SummarizeAlertsRequest& request) const;
  absl::StatusOr<v1::GetCountryBriefResponse> GetCountryBrief(
      const Principal& caller, const v1::GetCountryBriefRequest& request) const;
  absl::StatusOr<v1::GetAccountabilityReportResponse> GetAccountabilityReport(
      const Principal& caller, const v1::GetAccountabilityReportRequest& request) const;
  absl::StatusOr<v1::ReconcileCommitmentsResponse> ReconcileCommitments(
      const Principal& caller, const v1::ReconcileCommitmentsRequest& request) const;
  // `now` stamps the IATI document's generated-datetime.
  absl::StatusOr<ExportedDocument> ExportActivities(const Principal& caller,
                                                    const v1::ExportActivitiesRequest& request,
                                                    absl::Time now) const;

 private:
  // The brief's labour-standards section, from the country's partner
  // governments' policy commitments and the alerts already in `brief`.
  absl::Status AddLabourStandards(const Principal& caller,
                                  v1::GetCountryBriefResponse& brief) const;
  // Every live alert `caller` may not read, in the fixed tabulation.
  absl::StatusOr<UnreadableTabulation> TabulateUnreadable(const Principal& caller) const;

  Store* store_;
  int64_t min_reported_count_;
};

}  // namespace mpower

#endif  // MPOWER_SERVER_CORE_REPORTS_H_
