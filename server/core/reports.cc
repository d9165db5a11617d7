#include "server/core/reports.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "google/protobuf/util/time_util.h"
#include "server/base/status_macros.h"
#include "server/core/alert_rules.h"
#include "server/core/commitment_rules.h"
#include "server/core/initiative_rules.h"
#include "server/core/labour_standards.h"
#include "server/core/partner_rules.h"
#include "server/core/report_aggregates.h"
#include "server/core/report_exports.h"
#include "server/core/resource_manager.h"
#include "server/core/response_rules.h"
#include "server/core/unreadable_tabulation.h"
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

std::string PartnerOf(const Commitment& commitment) {
  absl::StatusOr<ParsedName> name = ParseName(commitment.name(), kCommitmentName, "name");
  return name.ok() ? name->parent : "";
}

// Whether a report tells `caller` of the alerts it may not read: the
// public learns nothing of alerts that are not public, not even how many,
// and the secretariat may read every alert.
bool ToldOfUnreadable(const Principal& caller) {
  return caller.role != Principal::Role::kPublicReader && caller.role != Principal::Role::kAdmin;
}

absl::Time ToTime(const google::protobuf::Timestamp& stamp) {
  return absl::FromUnixSeconds(stamp.seconds()) + absl::Nanoseconds(stamp.nanos());
}

// When an alert's events began, for "since the commitment's start": the
// occur time the filer gave, or else the filing time.
google::protobuf::Timestamp EventTime(const Alert& alert) {
  return alert.has_occur_time() ? alert.occur_time() : alert.create_time();
}

google::protobuf::Timestamp StartOfDay(const v1::Date& date) {
  const absl::Time start =
      absl::FromCivil(absl::CivilDay(date.year(), date.month(), date.day()), absl::UTCTimeZone());
  google::protobuf::Timestamp stamp;
  stamp.set_seconds(absl::ToUnixSeconds(start));
  return stamp;
}

// The names of the alerts that received at least one response.
absl::StatusOr<std::set<std::string>> AlertsWithResponses(Store* store) {
  std::set<std::string> answered;
  MPOWER_RETURN_IF_ERROR(ForEachStored<v1::Response>(
      store, kResponseName.collection, [&](const v1::Response& response) {
        absl::StatusOr<ParsedName> name = ParseName(response.name(), kResponseName, "name");
        if (name.ok()) answered.insert(name->parent);
      }));
  return answered;
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
  // The table counts what the caller may read in the window; the rest go
  // into the fixed tabulation whatever their filing time, and the window
  // only selects its cells.
  AlertStatistics statistics(std::move(group_by));
  UnreadableTabulation unreadable(min_reported_count_);
  absl::Status failed;
  MPOWER_RETURN_IF_ERROR(
      ForEachStored<Alert>(store_, kAlertName.collection, [&](const Alert& alert) {
        absl::StatusOr<bool> readable = ResourceTraits<Alert>::CanRead(caller, alert, *store_);
        if (!readable.ok()) {
          failed.Update(readable.status());
          return;
        }
        if (!*readable) {
          unreadable.Add(alert.country_code(), ToTime(alert.create_time()));
          return;
        }
        if (request.has_start_time() && alert.create_time() < request.start_time()) return;
        if (request.has_end_time() && !(alert.create_time() < request.end_time())) return;
        std::optional<google::protobuf::Timestamp> first;
        if (auto found = first_response.find(alert.name()); found != first_response.end()) {
          first = found->second;
        }
        statistics.Add(alert, first);
      }));
  MPOWER_RETURN_IF_ERROR(failed);
  v1::SummarizeAlertsResponse response;
  statistics.Fill(response);
  if (!ToldOfUnreadable(caller)) return response;
  TimeWindow window;
  if (request.has_start_time()) window.start = ToTime(request.start_time());
  if (request.has_end_time()) window.end = ToTime(request.end_time());
  *response.mutable_unreadable_alerts() = unreadable.EveryCountry(window);
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
  MPOWER_RETURN_IF_ERROR(AddLabourStandards(caller, brief));
  if (ToldOfUnreadable(caller)) {
    MPOWER_ASSIGN_OR_RETURN(UnreadableTabulation unreadable, TabulateUnreadable(caller));
    *brief.mutable_unreadable_alerts() = unreadable.Countries({{request.country_code(), {}}});
  }
  return brief;
}

absl::StatusOr<UnreadableTabulation> Reports::TabulateUnreadable(const Principal& caller) const {
  UnreadableTabulation unreadable(min_reported_count_);
  absl::Status failed;
  MPOWER_RETURN_IF_ERROR(
      ForEachStored<Alert>(store_, kAlertName.collection, [&](const Alert& alert) {
        absl::StatusOr<bool> readable = ResourceTraits<Alert>::CanRead(caller, alert, *store_);
        if (!readable.ok()) {
          failed.Update(readable.status());
        } else if (!*readable) {
          unreadable.Add(alert.country_code(), ToTime(alert.create_time()));
        }
      }));
  MPOWER_RETURN_IF_ERROR(failed);
  return unreadable;
}

absl::Status Reports::AddLabourStandards(const Principal& caller,
                                         v1::GetCountryBriefResponse& brief) const {
  std::vector<std::string> governments;
  ListParams partners;
  partners.filter = absl::StrCat("country_code = \"", brief.country_code(),
                                 "\" AND (type = GOVERNMENT OR type = GOVERNMENT_AGENCY)");
  MPOWER_RETURN_IF_ERROR(ForEach<v1::Partner>(store_, caller, partners, [&](v1::Partner p) {
    governments.push_back(p.name());
    return true;
  }));
  std::vector<Commitment> policies;
  for (const std::string& government : governments) {
    ListParams commitments;
    commitments.parent = government;
    commitments.filter = "kind = POLICY";
    MPOWER_RETURN_IF_ERROR(ForEach<Commitment>(store_, caller, commitments, [&](Commitment c) {
      // A government's promises about its own country, not those it makes
      // about others (such as support for a protocol elsewhere).
      const auto& countries = c.country_codes();
      if (countries.empty() ||
          std::find(countries.begin(), countries.end(), brief.country_code()) != countries.end()) {
        policies.push_back(std::move(c));
      }
      return true;
    }));
  }
  std::stable_sort(policies.begin(), policies.end(), [](const Commitment& a, const Commitment& b) {
    return std::make_pair(static_cast<int>(a.instrument()), a.name()) <
           std::make_pair(static_cast<int>(b.instrument()), b.name());
  });
  for (const Commitment& policy : policies) {
    v1::LabourStandardEntry& entry = *brief.add_labour_standards();
    entry.set_instrument(policy.instrument());
    entry.set_instrument_reference(policy.instrument_reference());
    entry.set_partner(PartnerOf(policy));
    entry.set_commitment(policy.name());
    entry.set_policy_action(policy.policy_action());
    entry.set_stage(policy.stage());
    for (const v1::AlertWithResponses& listed : brief.alerts()) {
      if (Concerns(listed.alert().category(), policy.instrument())) {
        entry.add_related_alerts(listed.alert().name());
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::GetAccountabilityReportResponse> Reports::GetAccountabilityReport(
    const Principal& caller, const v1::GetAccountabilityReportRequest& request) const {
  MPOWER_RETURN_IF_ERROR(RequireReader(caller));
  FieldViolations violations;
  CheckCountryCode(violations, "country_code", request.country_code(), Presence::kOptional);
  CheckEnum(violations, "instrument", request.instrument(), Commitment::Instrument_descriptor(),
            Presence::kOptional);
  MPOWER_RETURN_IF_ERROR(violations.ToStatus());

  // A commitment on no country of its own is its partner's country's.
  std::map<std::string, std::string> partner_country;
  MPOWER_RETURN_IF_ERROR(ForEach<v1::Partner>(store_, caller, {}, [&](v1::Partner p) {
    partner_country.emplace(p.name(), p.country_code());
    return true;
  }));
  v1::GetAccountabilityReportResponse report;
  ListParams policies;
  policies.parent = "partners/-";
  policies.filter = "kind = POLICY";
  if (request.instrument() != Commitment::INSTRUMENT_UNSPECIFIED) {
    absl::StrAppend(&policies.filter,
                    " AND instrument = ", Commitment::Instrument_Name(request.instrument()));
  }
  MPOWER_RETURN_IF_ERROR(ForEach<Commitment>(store_, caller, policies, [&](Commitment c) {
    std::vector<std::string> countries(c.country_codes().begin(), c.country_codes().end());
    if (countries.empty() && !partner_country[PartnerOf(c)].empty()) {
      countries.push_back(partner_country[PartnerOf(c)]);
    }
    for (const std::string& country : countries) {
      if (!request.country_code().empty() && country != request.country_code()) continue;
      v1::AccountabilityRow& row = *report.add_rows();
      row.set_country_code(country);
      row.set_instrument(c.instrument());
      for (v1::Alert::Category category : CategoriesConcerning(c.instrument())) {
        row.add_categories(category);
      }
      if (c.has_start_date()) *row.mutable_since() = c.start_date();
      *row.mutable_commitment() = c;
    }
    return true;
  }));
  std::stable_sort(report.mutable_rows()->begin(), report.mutable_rows()->end(),
                   [](const v1::AccountabilityRow& a, const v1::AccountabilityRow& b) {
                     return std::make_tuple(a.country_code(), static_cast<int>(a.instrument()),
                                            a.commitment().name()) <
                            std::make_tuple(b.country_code(), static_cast<int>(b.instrument()),
                                            b.commitment().name());
                   });

  MPOWER_ASSIGN_OR_RETURN(const std::set<std::string> answered, AlertsWithResponses(store_));
  // Counts are of what the caller may read. The others are never counted
  // per row, instrument or start date, which would be groupings and windows
  // of the caller's choosing (a partner sets its own commitments' start
  // dates): each row's country and start only select cells of the fixed
  // tabulation.
  absl::Status failed;
  MPOWER_RETURN_IF_ERROR(
      ForEachStored<Alert>(store_, kAlertName.collection, [&](const Alert& alert) {
        std::optional<bool> readable;
        for (v1::AccountabilityRow& row : *report.mutable_rows()) {
          if (row.country_code() != alert.country_code() ||
              !Concerns(alert.category(), row.instrument())) {
            continue;
          }
          if (row.has_since() && EventTime(alert) < StartOfDay(row.since())) continue;
          if (!readable.has_value()) {
            absl::StatusOr<bool> can = ResourceTraits<Alert>::CanRead(caller, alert, *store_);
            if (!can.ok()) {
              failed.Update(can.status());
              return;
            }
            readable = *can;
          }
          if (!*readable) break;
          row.set_alert_count(row.alert_count() + 1);
          if (answered.count(alert.name()) > 0) row.set_responded_count(row.responded_count() + 1);
          if (alert.escalated()) row.set_escalated_count(row.escalated_count() + 1);
        }
      }));
  MPOWER_RETURN_IF_ERROR(failed);
  if (ToldOfUnreadable(caller)) {
    // Each country from the earliest start of its rows; a row without a
    // start selects all of its country's cells.
    std::map<std::string, TimeWindow> windows;
    for (const v1::AccountabilityRow& row : report.rows()) {
      std::optional<absl::Time> start;
      if (row.has_since()) start = ToTime(StartOfDay(row.since()));
      auto [it, inserted] = windows.emplace(row.country_code(), TimeWindow{start, std::nullopt});
      if (!inserted && it->second.start.has_value() &&
          (!start.has_value() || *start < *it->second.start)) {
        it->second.start = start;
      }
    }
    MPOWER_ASSIGN_OR_RETURN(UnreadableTabulation unreadable, TabulateUnreadable(caller));
    *report.mutable_unreadable_alerts() = unreadable.Countries(windows);
  }
  return report;
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
