#include "server/core/report_aggregates.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "server/base/status_macros.h"
#include "server/core/money.h"
#include "server/core/names.h"
#include "server/core/value_checks.h"

namespace mpower {
namespace {

using v1::Alert;
using v1::Commitment;

std::string EnumName(const google::protobuf::EnumDescriptor* type, int value) {
  const google::protobuf::EnumValueDescriptor* found = type->FindValueByNumber(value);
  return found != nullptr ? found->name() : absl::StrCat(value);
}

// The values a commitment has for one dimension: one for most, any number
// (and "" for none) for the repeated fields.
std::vector<std::string> DimensionValues(const Commitment& commitment,
                                         v1::CommitmentDimension dimension) {
  switch (dimension) {
    case v1::COMMITMENT_DIMENSION_PARTNER: {
      absl::StatusOr<ParsedName> name = ParseName(commitment.name(), kCommitmentName, "name");
      return {name.ok() ? name->parent : ""};
    }
    case v1::COMMITMENT_DIMENSION_RECIPIENT_PARTNER:
      return {commitment.recipient_partner()};
    case v1::COMMITMENT_DIMENSION_INITIATIVE:
      return {commitment.initiative()};
    case v1::COMMITMENT_DIMENSION_COUNTRY: {
      std::vector<std::string> values(commitment.country_codes().begin(),
                                      commitment.country_codes().end());
      if (values.empty()) values.push_back("");
      return values;
    }
    case v1::COMMITMENT_DIMENSION_ACTION_AREA: {
      std::vector<std::string> values;
      for (int area : commitment.action_areas()) {
        values.push_back(EnumName(v1::ActionArea_descriptor(), area));
      }
      if (values.empty()) values.push_back("");
      return values;
    }
    case v1::COMMITMENT_DIMENSION_KIND:
      return {EnumName(Commitment::Kind_descriptor(), commitment.kind())};
    case v1::COMMITMENT_DIMENSION_CONTRIBUTION_BASIS:
      return {
          EnumName(Commitment::ContributionBasis_descriptor(), commitment.contribution_basis())};
    case v1::COMMITMENT_DIMENSION_STATUS:
      return {EnumName(Commitment::Status_descriptor(), commitment.status())};
    case v1::COMMITMENT_DIMENSION_START_YEAR:
      return {commitment.has_start_date() ? absl::StrCat(commitment.start_date().year()) : ""};
    case v1::COMMITMENT_DIMENSION_INSTRUMENT:
      return {commitment.instrument() == Commitment::INSTRUMENT_UNSPECIFIED
                  ? ""
                  : EnumName(Commitment::Instrument_descriptor(), commitment.instrument())};
    case v1::COMMITMENT_DIMENSION_STAGE:
      return {commitment.stage() == Commitment::STAGE_UNSPECIFIED
                  ? ""
                  : EnumName(Commitment::Stage_descriptor(), commitment.stage())};
    default:
      return {""};
  }
}

std::string AlertDimensionValue(const Alert& alert, v1::AlertDimension dimension) {
  switch (dimension) {
    case v1::ALERT_DIMENSION_COUNTRY:
      return alert.country_code();
    case v1::ALERT_DIMENSION_CATEGORY:
      return EnumName(Alert::Category_descriptor(), alert.category());
    case v1::ALERT_DIMENSION_SEVERITY:
      return EnumName(Alert::Severity_descriptor(), alert.severity());
    case v1::ALERT_DIMENSION_STATUS:
      return EnumName(Alert::Status_descriptor(), alert.status());
    default:
      return "";
  }
}

// Every combination of one value per dimension.
std::vector<std::vector<std::string>> CrossProduct(
    const std::vector<std::vector<std::string>>& values) {
  std::vector<std::vector<std::string>> combinations = {{}};
  for (const std::vector<std::string>& choices : values) {
    std::vector<std::vector<std::string>> next;
    for (const std::vector<std::string>& prefix : combinations) {
      for (const std::string& choice : choices) {
        next.push_back(prefix);
        next.back().push_back(choice);
      }
    }
    combinations = std::move(next);
  }
  return combinations;
}

google::protobuf::Duration Seconds(int64_t seconds) {
  google::protobuf::Duration duration;
  duration.set_seconds(seconds);
  return duration;
}

}  // namespace

absl::Status CheckDimensions(const google::protobuf::RepeatedField<int>& group_by,
                             const google::protobuf::EnumDescriptor* type,
                             absl::string_view field) {
  std::set<int> seen;
  for (int i = 0; i < group_by.size(); ++i) {
    const int value = group_by.Get(i);
    if (value == 0 || type->FindValueByNumber(value) == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(field, "[", i, "]: must be one of the ",
                                                     type->name(), " values other than ",
                                                     type->value(0)->name()));
    }
    if (!seen.insert(value).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, "[", i, "]: ", type->FindValueByNumber(value)->name(), " appears twice"));
    }
  }
  return absl::OkStatus();
}

void CommitmentTotals::Accumulate(Sum& sum, const Commitment& commitment) {
  ++sum.count;
  if (commitment.has_amount()) sum.committed_nanos += ToNanos(commitment.amount());
  if (commitment.has_fulfilled_amount()) {
    sum.fulfilled_nanos += ToNanos(commitment.fulfilled_amount());
  }
}

void CommitmentTotals::Add(const Commitment& commitment) {
  const std::string currency = commitment.has_amount() ? commitment.amount().currency_code() : "";
  Accumulate(totals_[currency], commitment);
  if (group_by_.empty()) return;
  std::vector<std::vector<std::string>> values;
  for (v1::CommitmentDimension dimension : group_by_) {
    std::vector<std::string> choices = DimensionValues(commitment, dimension);
    // A repeated field holding a value twice must not count it twice.
    std::sort(choices.begin(), choices.end());
    choices.erase(std::unique(choices.begin(), choices.end()), choices.end());
    values.push_back(std::move(choices));
  }
  for (std::vector<std::string>& keys : CrossProduct(values)) {
    Accumulate(groups_[Key(std::move(keys), currency)], commitment);
  }
}

absl::Status CommitmentTotals::ToRow(const Key& key, const Sum& sum,
                                     v1::CommitmentSummaryRow* row) {
  for (const std::string& value : key.first) row->add_keys(value);
  row->set_currency_code(key.second);
  row->set_commitment_count(sum.count);
  if (key.second.empty()) return absl::OkStatus();
  absl::StatusOr<v1::Money> committed = FromNanos(key.second, sum.committed_nanos);
  absl::StatusOr<v1::Money> fulfilled = FromNanos(key.second, sum.fulfilled_nanos);
  if (!committed.ok() || !fulfilled.ok()) {
    return absl::OutOfRangeError(
        absl::StrCat("the ", key.second, " total is too large to represent; narrow the filter"));
  }
  *row->mutable_committed_amount() = *std::move(committed);
  *row->mutable_fulfilled_amount() = *std::move(fulfilled);
  return absl::OkStatus();
}

absl::Status CommitmentTotals::Fill(
    google::protobuf::RepeatedPtrField<v1::CommitmentSummaryRow>* rows,
    google::protobuf::RepeatedPtrField<v1::CommitmentSummaryRow>* totals) const {
  for (const auto& [key, sum] : groups_) {
    MPOWER_RETURN_IF_ERROR(ToRow(key, sum, rows->Add()));
  }
  for (const auto& [currency, sum] : totals_) {
    MPOWER_RETURN_IF_ERROR(ToRow(Key({}, currency), sum, totals->Add()));
  }
  return absl::OkStatus();
}

std::optional<int64_t> SuppressSmallCount(int64_t count, int64_t threshold) {
  if (count < threshold) return std::nullopt;
  return count / threshold * threshold;
}

int64_t NearestRankPercentile(std::vector<int64_t>& values, int percent) {
  std::sort(values.begin(), values.end());
  // The smallest value with at least `percent`% of the values at or below.
  const size_t rank = (values.size() * static_cast<size_t>(percent) + 99) / 100;
  return values[std::max<size_t>(rank, 1) - 1];
}

void AlertStatistics::Accumulate(Group& group, const Alert& alert,
                                 const std::optional<google::protobuf::Timestamp>& first_response) {
  ++group.count;
  if (alert.escalated()) ++group.escalated;
  const bool closed =
      alert.status() == Alert::STATUS_RESOLVED || alert.status() == Alert::STATUS_DISMISSED;
  if (!first_response.has_value()) {
    if (!closed) ++group.unanswered;
    return;
  }
  group.response_seconds.push_back(
      std::max<int64_t>(0, first_response->seconds() - alert.create_time().seconds()));
}

void AlertStatistics::Add(const Alert& alert,
                          std::optional<google::protobuf::Timestamp> first_response) {
  Accumulate(total_, alert, first_response);
  if (group_by_.empty()) return;
  std::vector<std::string> keys;
  for (v1::AlertDimension dimension : group_by_) {
    keys.push_back(AlertDimensionValue(alert, dimension));
  }
  Accumulate(groups_[keys], alert, first_response);
}

void AlertStatistics::ToRow(const Group& group, v1::AlertSummaryRow* row) {
  row->set_alert_count(group.count);
  row->set_responded_count(static_cast<int64_t>(group.response_seconds.size()));
  row->set_escalated_count(group.escalated);
  row->set_unanswered_count(group.unanswered);
  if (group.response_seconds.empty()) return;
  std::vector<int64_t> seconds = group.response_seconds;
  *row->mutable_median_time_to_first_response() = Seconds(NearestRankPercentile(seconds, 50));
  *row->mutable_p90_time_to_first_response() = Seconds(NearestRankPercentile(seconds, 90));
}

void AlertStatistics::Fill(v1::SummarizeAlertsResponse& response) const {
  for (const auto& [keys, group] : groups_) {
    v1::AlertSummaryRow* row = response.add_rows();
    for (const std::string& key : keys) row->add_keys(key);
    ToRow(group, row);
  }
  ToRow(total_, response.mutable_total());
}

namespace {

std::string PartnerOf(const Commitment& commitment) {
  absl::StatusOr<ParsedName> name = ParseName(commitment.name(), kCommitmentName, "name");
  return name.ok() ? name->parent : "";
}

bool SameDate(bool has_a, const v1::Date& a, bool has_b, const v1::Date& b) {
  return has_a == has_b && (!has_a || CompareDates(a, b) == 0);
}

// Missing dates are open-ended.
bool PeriodsOverlap(const Commitment& a, const Commitment& b) {
  if (a.has_start_date() && b.has_end_date() && CompareDates(a.start_date(), b.end_date()) > 0) {
    return false;
  }
  if (b.has_start_date() && a.has_end_date() && CompareDates(b.start_date(), a.end_date()) > 0) {
    return false;
  }
  return true;
}

std::vector<std::string> Disagreements(const Commitment& funder, const Commitment& recipient) {
  std::vector<std::string> fields;
  if (ToNanos(funder.amount()) != ToNanos(recipient.amount())) fields.push_back("amount");
  if (funder.contribution_basis() != recipient.contribution_basis()) {
    fields.push_back("contribution_basis");
  }
  if (!SameDate(funder.has_start_date(), funder.start_date(), recipient.has_start_date(),
                recipient.start_date())) {
    fields.push_back("start_date");
  }
  if (!SameDate(funder.has_end_date(), funder.end_date(), recipient.has_end_date(),
                recipient.end_date())) {
    fields.push_back("end_date");
  }
  return fields;
}

// How well two records of the same funder, recipient and currency fit; -1
// if their periods do not overlap, so they cannot be the same funding.
int Fit(const Commitment& funder, const Commitment& recipient) {
  if (!PeriodsOverlap(funder, recipient)) return -1;
  const std::vector<std::string> fields = Disagreements(funder, recipient);
  const auto agrees = [&](absl::string_view field) {
    return std::find(fields.begin(), fields.end(), field) == fields.end();
  };
  return (agrees("start_date") && agrees("end_date") ? 4 : 0) + (agrees("amount") ? 2 : 0) +
         (agrees("contribution_basis") ? 1 : 0);
}

}  // namespace

v1::ReconcileCommitmentsResponse Reconcile(const std::vector<Commitment>& funder_records,
                                           const std::vector<Commitment>& recipient_records) {
  // Recipient records by (funder, recipient, currency).
  using Key = std::tuple<std::string, std::string, std::string>;
  std::map<Key, std::vector<size_t>> candidates;
  for (size_t i = 0; i < recipient_records.size(); ++i) {
    const Commitment& record = recipient_records[i];
    candidates[Key(record.provider_partner(), PartnerOf(record), record.amount().currency_code())]
        .push_back(i);
  }
  std::vector<bool> paired(recipient_records.size(), false);
  v1::ReconcileCommitmentsResponse response;
  for (const Commitment& funder : funder_records) {
    const auto found = candidates.find(
        Key(PartnerOf(funder), funder.recipient_partner(), funder.amount().currency_code()));
    int best_fit = -1;
    size_t best = 0;
    if (found != candidates.end()) {
      for (size_t i : found->second) {
        if (paired[i]) continue;
        const int fit = Fit(funder, recipient_records[i]);
        if (fit > best_fit) {
          best_fit = fit;
          best = i;
        }
      }
    }
    if (best_fit < 0) {
      *response.add_unmatched_funder_records() = funder;
      continue;
    }
    paired[best] = true;
    std::vector<std::string> fields = Disagreements(funder, recipient_records[best]);
    if (fields.empty()) {
      response.set_matched_count(response.matched_count() + 1);
      continue;
    }
    v1::ReconciliationPair* pair = response.add_mismatched();
    *pair->mutable_funder_record() = funder;
    *pair->mutable_recipient_record() = recipient_records[best];
    for (std::string& field : fields) pair->add_mismatched_fields(std::move(field));
  }
  for (size_t i = 0; i < recipient_records.size(); ++i) {
    if (!paired[i]) *response.add_unmatched_recipient_records() = recipient_records[i];
  }
  return response;
}

}  // namespace mpower
