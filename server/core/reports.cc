#include "server/core/reports.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "server/base/status_macros.h"
#include "server/core/alert_rules.h"
#include "server/core/commitment_rules.h"
#include "server/core/initiative_rules.h"
#include "server/core/partner_rules.h"
#include "server/core/report_aggregates.h"
#include "server/core/report_exports.h"
#include "server/core/resource_manager.h"
#include "server/core/response_rules.h"
#include "server/core/value_checks.h"

namespace mpower {
namespace {

using v1::Alert;
using v1::Commitment;
using v1::Initiative;

constexpr size_t kBriefListLimit = 1000;

// Calls `visit` with every resource List would return to `caller`, a page
// at a time, until it returns false or nothing is left.
template <typename T, typename Visit>
absl::Status ForEach(Store* store, const Principal& caller, ListParams params, Visit visit) {
  ResourceManager<T> manager(store);
  params.page_size = kMaxPageSize;
  do {
    MPOWER_ASSIGN_OR_RETURN(Page<T> page, manager.List(caller, params));
    for (T& item : page.items) {
      if (!visit(std::move(item))) return absl::OkStatus();
    }
    params.page_token = std::move(page.next_page_token);
  } while (!params.page_token.empty());
  return absl::OkStatus();
}

// Calls `visit` with the stored public part of every live resource of
// `collection`, whoever may read it.
template <typename T, typename Visit>
absl::Status ForEachStored(Store* store, absl::string_view collection, Visit visit) {
  ListQuery query;
  query.collection = std::string(collection);
  query.limit = kMaxPageSize;
  do {
    MPOWER_ASSIGN_OR_RETURN(ListResult result, store->List(query));
    for (const StoredResource& stored : result.items) {
      T resource;
      if (!resource.ParseFromString(stored.data)) {
        return absl::InternalError(absl::StrCat("stored ", stored.name, " does not parse"));
      }
      visit(resource);
    }
    query.after_name = result.resume_after;
  } while (!query.after_name.empty());
  return absl::OkStatus();
}

std::string ParentOrAll(const std::string& parent) {
  return parent.empty() ? "partners/-" : parent;
}

bool IsReceivedRecord(const Commitment& commitment) {
  return !commitment.provider_partner().empty();
}

}  // namespace

absl::StatusOr<v1::SummarizeCommitmentsResponse> Reports::SummarizeCommitments(
    const Principal& caller, const v1::SummarizeCommitmentsRequest& request) const {
  MPOWER_RETURN_IF_ERROR(
      CheckDimensions(request.group_by(), v1::CommitmentDimension_descriptor(), "group_by"));
  std::vector<v1::CommitmentDimension> group_by;
  for (int dimension : request.group_by()) {
    group_by.push_back(static_cast<v1::CommitmentDimension>(dimension));
  }
  CommitmentTotals totals(std::move(group_by));
  v1::SummarizeCommitmentsResponse response;
  ListParams params;
  params.parent = ParentOrAll(request.parent());
  params.filter = request.filter();
  MPOWER_RETURN_IF_ERROR(ForEach<Commitment>(store_, caller, params, [&](Commitment c) {
    if (IsReceivedRecord(c)) {
      response.set_received_records_excluded(response.received_records_excluded() + 1);
    } else {
      totals.Add(c);
    }
    return true;
  }));
  MPOWER_RETURN_IF_ERROR(totals.Fill(response.mutable_rows(), response.mutable_totals()));
  return response;
}

absl::StatusOr<v1::SummarizeAlertsResponse> Reports::SummarizeAlerts(
    const Principal& caller, const v1::SummarizeAlertsRequest& request) const {
  MPOWER_RETURN_IF_ERROR(RequireReader(caller));
  MPOWER_RETURN_IF_ERROR(
      CheckDimensions(request.group_by(), v1::AlertDimension_descriptor(), "group_by"));
  FieldViolations violations;
  if (request.has_start_time()) CheckTimestamp(violations, "start_time", request.start_time());
  if (request.has_end_time()) CheckTimestamp(violations, "end_time", request.end_time());
  MPOWER_RETURN_IF_ERROR(violations.ToStatus());
  std::vector<v1::AlertDimension> group_by;
  for (int dimension : request.group_by()) {
    group_by.push_back(static_cast<v1::AlertDimension>(dimension));
  }
  // The first response recorded to each alert.
  std::map<std::string, google::protobuf::Timestamp> first_response;
  MPOWER_RETURN_IF_ERROR(ForEachStored<v1::Response>(
      store_, kResponseName.collection, [&](const v1::Response& response) {
        absl::StatusOr<ParsedName> name = ParseName(response.name(), kResponseName, "name");
        if (!name.ok()) return;
        auto [it, inserted] = first_response.emplace(name->parent, response.create_time());
        if (!inserted && response.create_time() < it->second) it->second = response.create_time();
      }));
  // The table counts what the caller may read; the rest is one coarse
  // figure (UnreadableAlerts), never per group.
  AlertStatistics statistics(std::move(group_by));
  int64_t unreadable = 0;
  absl::Status failed;
  MPOWER_RETURN_IF_ERROR(
      ForEachStored<Alert>(store_, kAlertName.collection, [&](const Alert& alert) {
        if (request.has_start_time() && alert.create_time() < request.start_time()) return;
        if (request.has_end_time() && !(alert.create_time() < request.end_time())) return;
        absl::StatusOr<bool> readable = ResourceTraits<Alert>::CanRead(caller, alert, *store_);
        if (!readable.ok()) {
          failed.Update(readable.status());
          return;
        }
        if (!*readable) {
          ++unreadable;
          return;
        }
        std::optional<google::protobuf::Timestamp> first;
        if (auto found = first_response.find(alert.name()); found != first_response.end()) {
          first = found->second;
        }
        statistics.Add(alert, first);
      }));
  MPOWER_RETURN_IF_ERROR(failed);
  v1::SummarizeAlertsResponse response;
  statistics.Fill(response);
  // The public learns nothing of alerts that are not public, not even how
  // many.
  if (caller.role == Principal::Role::kPublicReader) return response;
  v1::UnreadableAlerts& left_out = *response.mutable_unreadable_alerts();
  if (unreadable > 0 && unreadable < min_reported_count_) {
    left_out.set_fewer_than(min_reported_count_);
  } else {
    left_out.set_at_least(unreadable / min_reported_count_ * min_reported_count_);
  }
  return response;
}

absl::StatusOr<v1::GetCountryBriefResponse> Reports::GetCountryBrief(
    const Principal& caller, const v1::GetCountryBriefRequest& request) const {
  MPOWER_RETURN_IF_ERROR(RequireReader(caller));
  FieldViolations violations;
  CheckCountryCode(violations, "country_code", request.country_code(), Presence::kRequired);
  MPOWER_RETURN_IF_ERROR(violations.ToStatus());
  const std::string has_country = absl::StrCat("country_codes:\"", request.country_code(), "\"");
  v1::GetCountryBriefResponse brief;
  brief.set_country_code(request.country_code());

  ListParams initiatives;
  initiatives.filter = absl::StrCat(has_country, " AND status != CLOSED AND status != CANCELLED");
  MPOWER_RETURN_IF_ERROR(ForEach<Initiative>(store_, caller, initiatives, [&](Initiative i) {
    if (static_cast<size_t>(brief.initiatives_size()) == kBriefListLimit) {
      brief.set_initiatives_truncated(true);
      return false;
    }
    *brief.add_initiatives() = std::move(i);
    return true;
  }));

  // The commitments naming the country, then those serving its
  // initiatives, each once.
  std::map<std::string, Commitment> commitments;
  const auto collect = [&](Commitment c) {
    if (IsReceivedRecord(c)) return true;
    if (commitments.size() == kBriefListLimit && commitments.count(c.name()) == 0) {
      brief.set_commitments_truncated(true);
      return false;
    }
    commitments.emplace(c.name(), std::move(c));
    return true;
  };
  ListParams by_country;
  by_country.parent = "partners/-";
  by_country.filter = has_country;
  MPOWER_RETURN_IF_ERROR(ForEach<Commitment>(store_, caller, by_country, collect));
  for (const Initiative& initiative : brief.initiatives()) {
    if (brief.commitments_truncated()) break;
    ListParams by_initiative;
    by_initiative.parent = "partners/-";
    by_initiative.filter = absl::StrCat("initiative = \"", initiative.name(), "\"");
    MPOWER_RETURN_IF_ERROR(ForEach<Commitment>(store_, caller, by_initiative, collect));
  }
  CommitmentTotals totals({});
  for (auto& [name, commitment] : commitments) {
    totals.Add(commitment);
    *brief.add_commitments() = std::move(commitment);
  }
  google::protobuf::RepeatedPtrField<v1::CommitmentSummaryRow> no_rows;
  MPOWER_RETURN_IF_ERROR(totals.Fill(&no_rows, brief.mutable_commitment_totals()));

  ListParams alerts;
  alerts.filter = absl::StrCat("country_code = \"", request.country_code(), "\"");
  std::vector<Alert> readable;
  MPOWER_RETURN_IF_ERROR(ForEach<Alert>(store_, caller, alerts, [&](Alert alert) {
    if (readable.size() == kBriefListLimit) {
      brief.set_alerts_truncated(true);
      return false;
    }
    readable.push_back(std::move(alert));
    return true;
  }));
  std::stable_sort(readable.begin(), readable.end(), [](const Alert& a, const Alert& b) {
    return b.create_time() < a.create_time();
  });
  for (Alert& alert : readable) {
    v1::AlertWithResponses* entry = brief.add_alerts();
    ListParams responses;
    responses.parent = alert.name();
    std::vector<v1::Response> found;
    MPOWER_RETURN_IF_ERROR(ForEach<v1::Response>(store_, caller, responses, [&](v1::Response r) {
      found.push_back(std::move(r));
      return true;
    }));
    std::stable_sort(found.begin(), found.end(), [](const v1::Response& a, const v1::Response& b) {
      return a.action_time() < b.action_time();
    });
    for (v1::Response& response : found) *entry->add_responses() = std::move(response);
    *entry->mutable_alert() = std::move(alert);
  }
  return brief;
}

absl::StatusOr<v1::ReconcileCommitmentsResponse> Reports::ReconcileCommitments(
    const Principal& caller, const v1::ReconcileCommitmentsRequest& request) const {
  if (!request.partner().empty()) {
    MPOWER_RETURN_IF_ERROR(ParseName(request.partner(), kPartnerName, "partner").status());
  }
  std::vector<Commitment> funder_records;
  std::vector<Commitment> recipient_records;
  ListParams params;
  params.parent = "partners/-";
  params.filter = "kind = FUNDING";
  MPOWER_RETURN_IF_ERROR(ForEach<Commitment>(store_, caller, params, [&](Commitment c) {
    absl::StatusOr<ParsedName> name = ParseName(c.name(), kCommitmentName, "name");
    const std::string owner = name.ok() ? name->parent : "";
    if (IsReceivedRecord(c)) {
      if (request.partner().empty() || request.partner() == owner ||
          request.partner() == c.provider_partner()) {
        recipient_records.push_back(std::move(c));
      }
    } else if (!c.recipient_partner().empty() && c.has_amount()) {
      if (request.partner().empty() || request.partner() == owner ||
          request.partner() == c.recipient_partner()) {
        funder_records.push_back(std::move(c));
      }
    }
    return true;
  }));
  return Reconcile(funder_records, recipient_records);
}

absl::StatusOr<ExportedDocument> Reports::ExportActivities(
    const Principal& caller, const v1::ExportActivitiesRequest& request, absl::Time now) const {
  MPOWER_RETURN_IF_ERROR(RequireReader(caller));
  if (request.format() == v1::EXPORT_FORMAT_INITIATIVES_CSV) {
    std::vector<Initiative> initiatives;
    ListParams params;
    params.filter = request.filter();
    MPOWER_RETURN_IF_ERROR(ForEach<Initiative>(store_, caller, params, [&](Initiative i) {
      initiatives.push_back(std::move(i));
      return true;
    }));
    return ExportedDocument{"text/csv", InitiativesCsv(initiatives)};
  }
  if (request.format() != v1::EXPORT_FORMAT_COMMITMENTS_CSV &&
      request.format() != v1::EXPORT_FORMAT_IATI_XML) {
    return absl::InvalidArgumentError(
        "format: required; one of EXPORT_FORMAT_COMMITMENTS_CSV, EXPORT_FORMAT_INITIATIVES_CSV "
        "or EXPORT_FORMAT_IATI_XML");
  }
  std::vector<Commitment> commitments;
  ListParams params;
  params.parent = ParentOrAll(request.parent());
  params.filter = request.filter();
  MPOWER_RETURN_IF_ERROR(ForEach<Commitment>(store_, caller, params, [&](Commitment c) {
    commitments.push_back(std::move(c));
    return true;
  }));
  if (request.format() == v1::EXPORT_FORMAT_COMMITMENTS_CSV) {
    return ExportedDocument{"text/csv", CommitmentsCsv(commitments)};
  }
  IatiContext context;
  context.generated = now;
  MPOWER_RETURN_IF_ERROR(ForEach<v1::Partner>(store_, caller, {}, [&](v1::Partner p) {
    std::string name = p.name();
    context.partners.emplace(std::move(name), std::move(p));
    return true;
  }));
  MPOWER_RETURN_IF_ERROR(ForEach<Initiative>(store_, caller, {}, [&](Initiative i) {
    std::string name = i.name();
    context.initiatives.emplace(std::move(name), std::move(i));
    return true;
  }));
  return ExportedDocument{"application/xml", IatiActivitiesXml(commitments, context)};
}

}  // namespace mpower
