#include "client/report_commands.h"

#include <algorithm>
#include <fstream>
#include <iostream>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "client/command_status.h"
#include "client/field_text.h"
#include "client/render.h"
#include "mpower/v1/report.grpc.pb.h"
#include "server/base/status_macros.h"

namespace mpower::cli {

const char* const kReportFlags[] = {"group-by", "since",   "until",      "format", "out",
                                    "partner",  "country", "instrument", nullptr};

namespace {

constexpr char kService[] = "/mpower.v1.ReportService/";

absl::Status Usage(absl::string_view message) {
  return UsageError(absl::StrCat(message, "; run mpower report --help"));
}

absl::Status Call(RpcClient& rpc, const std::string& method,
                  const google::protobuf::Message& request, google::protobuf::Message* response) {
  grpc::Status status = rpc.Call(kService + method, request, response, /*idempotent=*/true);
  if (!status.ok()) return RpcError(status);
  return absl::OkStatus();
}

std::string Day(const google::protobuf::Timestamp& stamp) {
  return absl::FormatTime("%Y-%m-%d", absl::FromUnixSeconds(stamp.seconds()), absl::UTCTimeZone());
}

// The figure of alerts a report left out (UnreadableAlerts): the cells of
// the fixed tabulation that reached the threshold, and whether any did not.
void PrintUnreadable(const v1::UnreadableAlerts& left_out) {
  if (left_out.fewer_than() == 0 && left_out.at_least() == 0) return;
  std::cout << "\nAlerts you may not read, not counted above";
  if (left_out.has_start_time() || left_out.has_end_time()) {
    std::cout << " (whole periods from "
              << (left_out.has_start_time() ? Day(left_out.start_time()) : "the start") << " to "
              << (left_out.has_end_time() ? Day(left_out.end_time()) : "now") << ")";
  }
  std::cout << ": ";
  if (left_out.at_least() > 0) std::cout << "at least " << left_out.at_least();
  if (left_out.at_least() > 0 && left_out.fewer_than() > 0) std::cout << ", and ";
  if (left_out.fewer_than() > 0) {
    std::cout << "fewer than " << left_out.fewer_than() << " in each other country and period";
  }
  std::cout << "\n";
  for (const v1::UnreadableAlertCell& cell : left_out.cells()) {
    std::cout << "  " << cell.country_code() << " " << Day(cell.start_time()) << " to "
              << Day(cell.end_time()) << ": at least " << cell.at_least() << "\n";
  }
}

// Enum values from a comma-separated list, written in full or without the
// type's prefix, case-insensitively: "country,basis" is not enough, but
// "country,contribution_basis" is.
template <typename Repeated>
absl::Status AddDimensions(const std::string& text, const google::protobuf::EnumDescriptor* type,
                           Repeated* out) {
  std::string prefix = type->value(0)->name();
  prefix.resize(prefix.size() - std::string("UNSPECIFIED").size());
  for (absl::string_view word : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    const std::string upper = absl::AsciiStrToUpper(absl::StripAsciiWhitespace(word));
    const auto* value = type->FindValueByName(upper);
    if (value == nullptr) value = type->FindValueByName(prefix + upper);
    if (value == nullptr || value->number() == 0) {
      std::vector<std::string> names;
      for (int i = 1; i < type->value_count(); ++i) {
        names.push_back(absl::AsciiStrToLower(type->value(i)->name().substr(prefix.size())));
      }
      return Usage(absl::StrCat("--group-by: unknown dimension \"", word, "\"; use ",
                                absl::StrJoin(names, ", ")));
    }
    out->Add(value->number());
  }
  return absl::OkStatus();
}

absl::StatusOr<google::protobuf::Timestamp> ParseTime(const std::string& flag,
                                                      const std::string& text) {
  absl::Time time;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, text, &time, &error) &&
      !absl::ParseTime("%Y-%m-%d", text, absl::UTCTimeZone(), &time, &error)) {
    return Usage(
        absl::StrCat("--", flag, ": expected an RFC 3339 time or a date, e.g. 2026-01-01"));
  }
  google::protobuf::Timestamp stamp;
  stamp.set_seconds(absl::ToUnixSeconds(time));
  return stamp;
}

std::vector<std::string> DimensionHeaders(const google::protobuf::RepeatedField<int>& group_by,
                                          const google::protobuf::EnumDescriptor* type) {
  std::string prefix = type->value(0)->name();
  prefix.resize(prefix.size() - std::string("UNSPECIFIED").size());
  std::vector<std::string> headers;
  for (int dimension : group_by) {
    std::string name = type->FindValueByNumber(dimension)->name().substr(prefix.size());
    std::replace(name.begin(), name.end(), '_', ' ');
    headers.push_back(std::move(name));
  }
  return headers;
}

// A group's key for people: enum values lose their dimension's prefix
// (CONTRIBUTION_BASIS_ASSESSED under CONTRIBUTION BASIS reads ASSESSED).
std::string KeyText(const std::string& key, std::string header) {
  if (key.empty()) return "(none)";
  std::replace(header.begin(), header.end(), ' ', '_');
  header += "_";
  return key.rfind(header, 0) == 0 ? key.substr(header.size()) : key;
}

std::string Or(const std::string& text, const char* otherwise) {
  return text.empty() ? otherwise : text;
}

std::string DurationText(const google::protobuf::Duration& duration, bool set) {
  return set ? absl::FormatDuration(absl::Seconds(duration.seconds())) : "-";
}

void PrintCommitmentRows(
    const std::vector<std::string>& dimension_headers,
    const google::protobuf::RepeatedPtrField<v1::CommitmentSummaryRow>& rows,
    const google::protobuf::RepeatedPtrField<v1::CommitmentSummaryRow>& totals) {
  std::vector<std::vector<std::string>> table;
  std::vector<std::string> header = dimension_headers;
  for (const char* column : {"CURRENCY", "COMMITMENTS", "COMMITTED", "FULFILLED"}) {
    header.push_back(column);
  }
  table.push_back(header);
  const auto add = [&](const v1::CommitmentSummaryRow& row, bool total) {
    std::vector<std::string> cells;
    for (size_t i = 0; i < dimension_headers.size(); ++i) {
      cells.push_back(total ? (i == 0 ? "TOTAL" : "")
                            : KeyText(row.keys(static_cast<int>(i)), dimension_headers[i]));
    }
    cells.push_back(Or(row.currency_code(), "-"));
    cells.push_back(absl::StrCat(row.commitment_count()));
    cells.push_back(Or(FieldToText(row, "committed_amount"), "-"));
    cells.push_back(Or(FieldToText(row, "fulfilled_amount"), "-"));
    table.push_back(std::move(cells));
  };
  for (const auto& row : rows) add(row, false);
  for (const auto& row : totals) add(row, !dimension_headers.empty());
  PrintAligned(table, std::cout);
}

absl::Status Commitments(RpcClient& rpc, const Args& args, const std::string& output) {
  v1::SummarizeCommitmentsRequest request;
  request.set_parent(args.Get("parent"));
  request.set_filter(args.Get("filter"));
  MPOWER_RETURN_IF_ERROR(AddDimensions(args.Get("group-by"), v1::CommitmentDimension_descriptor(),
                                       request.mutable_group_by()));
  v1::SummarizeCommitmentsResponse response;
  MPOWER_RETURN_IF_ERROR(Call(rpc, "SummarizeCommitments", request, &response));
  if (output == "json") {
    std::cout << ToJson(response) << "\n";
    return absl::OkStatus();
  }
  PrintCommitmentRows(DimensionHeaders(request.group_by(), v1::CommitmentDimension_descriptor()),
                      response.rows(), response.totals());
  if (response.received_records_excluded() > 0) {
    std::cout << "\n"
              << response.received_records_excluded()
              << " record(s) of funding received left out: they mirror another partner's "
                 "commitment (see mpower report reconciliation).\n";
  }
  return absl::OkStatus();
}

absl::Status Alerts(RpcClient& rpc, const Args& args, const std::string& output) {
  v1::SummarizeAlertsRequest request;
  if (args.Has("since")) {
    MPOWER_ASSIGN_OR_RETURN(*request.mutable_start_time(), ParseTime("since", args.Get("since")));
  }
  if (args.Has("until")) {
    MPOWER_ASSIGN_OR_RETURN(*request.mutable_end_time(), ParseTime("until", args.Get("until")));
  }
  MPOWER_RETURN_IF_ERROR(AddDimensions(args.Get("group-by"), v1::AlertDimension_descriptor(),
                                       request.mutable_group_by()));
  v1::SummarizeAlertsResponse response;
  MPOWER_RETURN_IF_ERROR(Call(rpc, "SummarizeAlerts", request, &response));
  if (output == "json") {
    std::cout << ToJson(response) << "\n";
    return absl::OkStatus();
  }
  const std::vector<std::string> dimensions =
      DimensionHeaders(request.group_by(), v1::AlertDimension_descriptor());
  std::vector<std::vector<std::string>> table;
  std::vector<std::string> header = dimensions;
  for (const char* column : {"ALERTS", "RESPONDED", "ESCALATED", "UNANSWERED",
                             "MEDIAN TO 1ST RESPONSE", "P90 TO 1ST RESPONSE"}) {
    header.push_back(column);
  }
  table.push_back(header);
  const auto add = [&](const v1::AlertSummaryRow& row, bool total) {
    std::vector<std::string> cells;
    for (size_t i = 0; i < dimensions.size(); ++i) {
      cells.push_back(total ? (i == 0 ? "TOTAL" : "")
                            : KeyText(row.keys(static_cast<int>(i)), dimensions[i]));
    }
    for (int64_t count : {row.alert_count(), row.responded_count(), row.escalated_count(),
                          row.unanswered_count()}) {
      cells.push_back(absl::StrCat(count));
    }
    cells.push_back(
        DurationText(row.median_time_to_first_response(), row.has_median_time_to_first_response()));
    cells.push_back(
        DurationText(row.p90_time_to_first_response(), row.has_p90_time_to_first_response()));
    table.push_back(std::move(cells));
  };
  for (const auto& row : response.rows()) add(row, false);
  add(response.total(), !dimensions.empty());
  PrintAligned(table, std::cout);
  PrintUnreadable(response.unreadable_alerts());
  return absl::OkStatus();
}

std::vector<std::string> CommitmentCells(const v1::Commitment& c) {
  return {c.name(), Or(FieldToText(c, "amount"), "-"), FieldToText(c, "contribution_basis"),
          absl::StrCat(FieldToText(c, "start_date"), "..", FieldToText(c, "end_date")),
          c.title().substr(0, 50)};
}

absl::Status Reconciliation(RpcClient& rpc, const Args& args, const std::string& output) {
  v1::ReconcileCommitmentsRequest request;
  request.set_partner(args.Get("partner"));
  v1::ReconcileCommitmentsResponse response;
  MPOWER_RETURN_IF_ERROR(Call(rpc, "ReconcileCommitments", request, &response));
  if (output == "json") {
    std::cout << ToJson(response) << "\n";
    return absl::OkStatus();
  }
  std::cout << response.matched_count() << " pair(s) agree.\n";
  const std::vector<std::string> header = {"NAME", "AMOUNT", "BASIS", "PERIOD", "TITLE"};
  if (response.mismatched_size() > 0) {
    std::cout << "\nPairs that disagree (funder's record, then the recipient's):\n";
    for (const auto& pair : response.mismatched()) {
      std::cout << "\n  differ in: " << absl::StrJoin(pair.mismatched_fields(), ", ") << "\n";
      PrintAligned(
          {header, CommitmentCells(pair.funder_record()), CommitmentCells(pair.recipient_record())},
          std::cout);
    }
  }
  const auto section = [&](const char* title, const auto& records) {
    if (records.empty()) return;
    std::cout << "\n" << title << "\n";
    std::vector<std::vector<std::string>> table = {header};
    for (const auto& record : records) table.push_back(CommitmentCells(record));
    PrintAligned(table, std::cout);
  };
  section("Funders' commitments the recipient has not recorded:",
          response.unmatched_funder_records());
  section("Funding recorded as received that no funder's commitment accounts for:",
          response.unmatched_recipient_records());
  return absl::OkStatus();
}

absl::Status Export(RpcClient& rpc, const Args& args) {
  v1::ExportActivitiesRequest request;
  const std::string format = absl::AsciiStrToLower(args.Get("format"));
  if (format == "commitments-csv") {
    request.set_format(v1::EXPORT_FORMAT_COMMITMENTS_CSV);
  } else if (format == "initiatives-csv") {
    request.set_format(v1::EXPORT_FORMAT_INITIATIVES_CSV);
  } else if (format == "iati") {
    request.set_format(v1::EXPORT_FORMAT_IATI_XML);
  } else {
    return Usage("--format: required; commitments-csv, initiatives-csv or iati");
  }
  request.set_parent(args.Get("parent"));
  request.set_filter(args.Get("filter"));
  grpc::ClientContext context;
  rpc.Authorize(context);
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(5));
  auto reader = v1::ReportService::NewStub(rpc.channel())->ExportActivities(&context, request);
  std::string document;
  v1::ExportActivitiesResponse chunk;
  while (reader->Read(&chunk)) document += chunk.data();
  grpc::Status status = reader->Finish();
  if (!status.ok()) {
    return RpcError(status);
  }
  // Written only once complete, so a failed export leaves no partial file.
  if (!args.Has("out")) {
    std::cout << document;
    return absl::OkStatus();
  }
  std::ofstream file(args.Get("out"), std::ios::binary | std::ios::trunc);
  file << document;
  if (!file.flush()) {
    return LocalError(absl::StrCat("--out: cannot write ", args.Get("out")));
  }
  return absl::OkStatus();
}

absl::Status CountryBrief(RpcClient& rpc, const std::string& country, const std::string& output) {
  v1::GetCountryBriefRequest request;
  request.set_country_code(absl::AsciiStrToUpper(country));
  v1::GetCountryBriefResponse brief;
  MPOWER_RETURN_IF_ERROR(Call(rpc, "GetCountryBrief", request, &brief));
  if (output == "json") {
    std::cout << ToJson(brief) << "\n";
    return absl::OkStatus();
  }
  std::cout << "Country brief: " << brief.country_code() << "\n\nInitiatives active there ("
            << brief.initiatives_size() << (brief.initiatives_truncated() ? "+" : "") << "):\n";
  std::vector<std::vector<std::string>> initiatives = {{"NAME", "STATUS", "DISPLAY NAME"}};
  for (const auto& i : brief.initiatives()) {
    initiatives.push_back({i.name(), FieldToText(i, "status"), i.display_name().substr(0, 60)});
  }
  PrintAligned(initiatives, std::cout);
  std::cout << "\nCommitments that target it (" << brief.commitments_size()
            << (brief.commitments_truncated() ? "+" : "") << "):\n";
  std::vector<std::vector<std::string>> commitments = {
      {"NAME", "KIND", "AMOUNT", "STATUS", "TITLE"}};
  for (const auto& c : brief.commitments()) {
    commitments.push_back({c.name(), FieldToText(c, "kind"), Or(FieldToText(c, "amount"), "-"),
                           FieldToText(c, "status"), c.title().substr(0, 50)});
  }
  PrintAligned(commitments, std::cout);
  for (const auto& total : brief.commitment_totals()) {
    if (total.currency_code().empty()) continue;
    std::cout << "  total " << FieldToText(total, "committed_amount") << " committed, "
              << FieldToText(total, "fulfilled_amount") << " fulfilled\n";
  }
  std::cout << "\nAlerts filed there that you may read (" << brief.alerts_size()
            << (brief.alerts_truncated() ? "+" : "") << "):\n";
  for (const auto& entry : brief.alerts()) {
    const v1::Alert& alert = entry.alert();
    std::cout << "\n  " << alert.name() << "  " << FieldToText(alert, "category") << "  "
              << FieldToText(alert, "severity") << "  " << FieldToText(alert, "status") << "\n  "
              << alert.headline() << "\n";
    if (alert.has_protected_details()) {
      std::cout << "  protected details: " << alert.protected_details().people_size()
                << " person(s) at risk; see mpower alerts get " << alert.name() << "\n";
    }
    for (const auto& response : entry.responses()) {
      std::cout << "    " << FieldToText(response, "action_time") << "  "
                << response.responding_partner() << "  " << FieldToText(response, "action") << "  "
                << response.note().substr(0, 60) << "\n";
    }
    if (entry.responses().empty()) std::cout << "    no response yet\n";
  }
  std::cout << "\nLabour standards: the partner governments' policy commitments ("
            << brief.labour_standards_size() << "):\n";
  std::vector<std::vector<std::string>> standards = {
      {"INSTRUMENT", "ACTION", "STAGE", "RELATED ALERTS", "COMMITMENT"}};
  for (const v1::LabourStandardEntry& entry : brief.labour_standards()) {
    standards.push_back({entry.instrument() == v1::Commitment::INSTRUMENT_OTHER
                             ? entry.instrument_reference().substr(0, 30)
                             : FieldToText(entry, "instrument"),
                         FieldToText(entry, "policy_action"), Or(FieldToText(entry, "stage"), "-"),
                         Or(absl::StrJoin(entry.related_alerts(), ","), "-"), entry.commitment()});
  }
  PrintAligned(standards, std::cout);
  PrintUnreadable(brief.unreadable_alerts());
  return absl::OkStatus();
}

absl::Status Accountability(RpcClient& rpc, const Args& args, const std::string& output) {
  v1::GetAccountabilityReportRequest request;
  request.set_country_code(absl::AsciiStrToUpper(args.Get("country")));
  if (args.Has("instrument")) {
    MPOWER_RETURN_IF_ERROR(SetFieldFromText(request, "instrument", args.Get("instrument")));
  }
  v1::GetAccountabilityReportResponse response;
  MPOWER_RETURN_IF_ERROR(Call(rpc, "GetAccountabilityReport", request, &response));
  if (output == "json") {
    std::cout << ToJson(response) << "\n";
    return absl::OkStatus();
  }
  std::vector<std::vector<std::string>> table = {{"COUNTRY", "INSTRUMENT", "ACTION", "STAGE",
                                                  "SINCE", "ALERTS", "RESPONDED", "ESCALATED",
                                                  "COMMITMENT"}};
  for (const v1::AccountabilityRow& row : response.rows()) {
    const v1::Commitment& c = row.commitment();
    table.push_back(
        {row.country_code(),
         c.instrument() == v1::Commitment::INSTRUMENT_OTHER ? c.instrument_reference().substr(0, 30)
                                                            : FieldToText(c, "instrument"),
         FieldToText(c, "policy_action"), Or(FieldToText(c, "stage"), "-"),
         Or(FieldToText(row, "since"), "-"),
         row.categories().empty() ? "-" : absl::StrCat(row.alert_count()),
         absl::StrCat(row.responded_count()), absl::StrCat(row.escalated_count()), c.name()});
  }
  PrintAligned(table, std::cout);
  PrintUnreadable(response.unreadable_alerts());
  return absl::OkStatus();
}

}  // namespace

std::string ReportHelp() {
  return "mpower report: reports over what you may read.\n\n"
         "Usage:\n"
         "  mpower report commitments [--parent partners/P] [--filter EXPR] [--group-by DIMS]\n"
         "      totals per currency; DIMS from partner, recipient_partner, initiative, country,\n"
         "      action_area, kind, contribution_basis, status, start_year, instrument, stage\n"
         "  mpower report alerts [--since TIME] [--until TIME] [--group-by DIMS]\n"
         "      counts and time to first response; DIMS from country, category, severity, status\n"
         "  mpower report reconciliation [--partner partners/P]\n"
         "      funders' commitments beside recipients' records of funding received\n"
         "  mpower report accountability [--country CC] [--instrument C087]\n"
         "      policy commitments on ILO instruments beside the alerts that concern them\n"
         "  mpower report export --format commitments-csv|initiatives-csv|iati [--parent "
         "partners/P]\n"
         "      [--filter EXPR] [--out FILE]\n"
         "  mpower country brief CC\n"
         "      initiatives, commitments and alerts (with responses) for one country\n\n"
         "Examples:\n"
         "  mpower report commitments --parent partners/us-gov --group-by contribution_basis \\\n"
         "      --filter 'recipient_partner = \"partners/ilo\" AND start_date.year >= 2018 AND "
         "end_date.year <= 2022'\n"
         "  mpower report alerts --since 2026-01-01 --group-by country,category -o json\n"
         "  mpower report export --format iati --parent partners/us-gov --out us-gov.xml\n"
         "  mpower report accountability --country US\n"
         "  mpower country brief ID\n";
}

absl::Status ReportCommand(RpcClient& rpc, const Args& args, const std::string& output) {
  const std::string& noun = args.positional[0];
  const std::string what = args.positional.size() > 1 ? args.positional[1] : "";
  if (noun == "country") {
    if (what != "brief" || args.positional.size() != 3) {
      return Usage("expected mpower country brief CC");
    }
    return CountryBrief(rpc, args.positional[2], output);
  }
  if (args.positional.size() > 2) return Usage("unexpected argument " + args.positional[2]);
  if (what == "commitments") return Commitments(rpc, args, output);
  if (what == "alerts") return Alerts(rpc, args, output);
  if (what == "reconciliation") return Reconciliation(rpc, args, output);
  if (what == "accountability") return Accountability(rpc, args, output);
  if (what == "export") return Export(rpc, args);
  return Usage(what.empty() ? "which report?" : "unknown report \"" + what + "\"");
}

}  // namespace mpower::cli
