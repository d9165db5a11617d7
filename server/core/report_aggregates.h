#ifndef MPOWER_SERVER_CORE_REPORT_AGGREGATES_H_
#define MPOWER_SERVER_CORE_REPORT_AGGREGATES_H_

// The arithmetic of reports, apart from how their inputs are read: exact
// per-currency totals of commitments, alert response-time statistics, the
// small-count rule for alerts a caller may not read, and the pairing of
// funders' and recipients' records. Pure functions of their inputs, so
// tests can give them a fixed timeline. The cells the small-count rule is
// applied to are in unreadable_tabulation.h.

#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/numeric/int128.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "google/protobuf/repeated_field.h"
#include "google/protobuf/timestamp.pb.h"
#include "mpower/v1/alert.pb.h"
#include "mpower/v1/commitment.pb.h"
#include "mpower/v1/report.pb.h"

namespace mpower {

// INVALID_ARGUMENT naming `field` if a dimension is unspecified, unknown or
// repeated.
absl::Status CheckDimensions(const google::protobuf::RepeatedField<int>& group_by,
                             const google::protobuf::EnumDescriptor* type, absl::string_view field);

// Adds commitments up, one at a time, into groups and per-currency totals.
class CommitmentTotals {
 public:
  // REQUIRES: CheckDimensions passed for `group_by`.
  explicit CommitmentTotals(std::vector<v1::CommitmentDimension> group_by)
      : group_by_(std::move(group_by)) {}

  // Counts `commitment` in each group it belongs to and in the totals.
  void Add(const v1::Commitment& commitment);

  // The rows and totals so far. OUT_OF_RANGE if a sum no longer fits in
  // Money.
  absl::Status Fill(google::protobuf::RepeatedPtrField<v1::CommitmentSummaryRow>* rows,
                    google::protobuf::RepeatedPtrField<v1::CommitmentSummaryRow>* totals) const;

 private:
  struct Sum {
    int64_t count = 0;
    absl::int128 committed_nanos = 0;
    absl::int128 fulfilled_nanos = 0;
  };
  using Key = std::pair<std::vector<std::string>, std::string>;  // keys, currency

  static void Accumulate(Sum& sum, const v1::Commitment& commitment);
  static absl::Status ToRow(const Key& key, const Sum& sum, v1::CommitmentSummaryRow* row);

  std::vector<v1::CommitmentDimension> group_by_;
  std::map<Key, Sum> groups_;
  std::map<std::string, Sum> totals_;  // by currency
};

// Alert counts and time to first response, grouped.
class AlertStatistics {
 public:
  // REQUIRES: CheckDimensions passed for `group_by`.
  explicit AlertStatistics(std::vector<v1::AlertDimension> group_by)
      : group_by_(std::move(group_by)) {}

  // Counts `alert`; `first_response` is when its first response was
  // recorded, if it has one.
  void Add(const v1::Alert& alert, std::optional<google::protobuf::Timestamp> first_response);

  void Fill(v1::SummarizeAlertsResponse& response) const;

 private:
  struct Group {
    int64_t count = 0;
    int64_t escalated = 0;
    int64_t unanswered = 0;
    std::vector<int64_t> response_seconds;  // one per alert with a response
  };
  static void Accumulate(Group& group, const v1::Alert& alert,
                         const std::optional<google::protobuf::Timestamp>& first_response);
  static void ToRow(const Group& group, v1::AlertSummaryRow* row);

  std::vector<v1::AlertDimension> group_by_;
  std::map<std::vector<std::string>, Group> groups_;
  Group total_;
};

// The small-count rule for alerts a caller may not read: a count below
// `threshold`, none included, is never shown, only "fewer than
// `threshold`" (nullopt), so an empty cell looks like a small one; a count
// at or above it is shown rounded down to a multiple of it. Applied only to
// the fixed cells of UnreadableTabulation, never to a count over a window
// or group a request chose. REQUIRES: threshold >= 1.
std::optional<int64_t> SuppressSmallCount(int64_t count, int64_t threshold);

// The nearest-rank `percent`th percentile of `values`, which it sorts.
// REQUIRES: `values` is not empty and 0 < percent <= 100.
int64_t NearestRankPercentile(std::vector<int64_t>& values, int percent);

// Pairs funders' commitments to a recipient partner with the recipients'
// records of funding received (see ReconcileCommitments in report.proto).
// Records are paired when they have the same funder, recipient and currency
// and periods that overlap (a missing date overlaps anything), preferring
// the same period, then the same amount and basis.
v1::ReconcileCommitmentsResponse Reconcile(const std::vector<v1::Commitment>& funder_records,
                                           const std::vector<v1::Commitment>& recipient_records);

}  // namespace mpower

#endif  // MPOWER_SERVER_CORE_REPORT_AGGREGATES_H_
