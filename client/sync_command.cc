#include "client/sync_command.h"

#include <unistd.h>

#include <fstream>
#include <iostream>
#include <iterator>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "client/csv.h"
#include "client/field_text.h"
#include "google/protobuf/util/json_util.h"
#include "mpower/v1/commitment.grpc.pb.h"

namespace mpower::cli {

const char* const kSyncCsvColumns[] = {
    "external_id", "kind", "title", "description", "amount", "currency", "contribution_basis",
    "recipient_partner", "provider_partner", "initiative", "start_date", "end_date", "status",
    "country_codes", "action_areas", nullptr};

// Output-only columns of `mpower report export --format commitments-csv`,
// read past so an export syncs back as it is.
const char* const kIgnoredCsvColumns[] = {"name", "fulfilled_amount", nullptr};

namespace {

constexpr int kExitLocalError = 1;
constexpr int kExitUsage = 2;
constexpr int kExitRpcBase = 64;
constexpr int kChunk = 1000;

bool IsIgnoredColumn(absl::string_view column) {
  for (const char* const* ignored = kIgnoredCsvColumns; *ignored != nullptr; ++ignored) {
    if (column == *ignored) return true;
  }
  return false;
}

// The fields a CSV header provides: its columns, amount and currency
// together as amount.
std::vector<std::string> CsvFields(const std::string& text) {
  std::vector<std::string> fields;
  absl::StatusOr<std::vector<CsvRow>> rows = ParseCsv(text);
  if (!rows.ok() || rows->empty()) return fields;
  for (const std::string& cell : rows->front().cells) {
    std::string column = absl::AsciiStrToLower(absl::StripAsciiWhitespace(cell));
    if (column == "currency") column = "amount";
    if (IsIgnoredColumn(column)) continue;
    if (std::find(fields.begin(), fields.end(), column) == fields.end()) fields.push_back(column);
  }
  return fields;
}

struct Item {
  int line = 0;  // where it came from, for messages; 0 for JSON
  v1::Commitment commitment;
};

// Reads commitments from CSV; every problem goes into `errors`.
std::vector<Item> FromCsv(const std::string& text, std::vector<std::string>& errors) {
  std::vector<Item> items;
  absl::StatusOr<std::vector<CsvRow>> rows = ParseCsv(text);
  if (!rows.ok()) {
    errors.push_back(std::string(rows.status().message()));
    return items;
  }
  if (rows->empty()) {
    errors.push_back("the file is empty; the first line names the columns");
    return items;
  }
  std::vector<std::string> header;
  for (const std::string& cell : rows->front().cells) {
    header.push_back(absl::AsciiStrToLower(absl::StripAsciiWhitespace(cell)));
  }
  for (size_t c = 0; c < header.size(); ++c) {
    bool known = IsIgnoredColumn(header[c]);
    for (const char* const* column = kSyncCsvColumns; *column != nullptr; ++column) {
      known = known || header[c] == *column;
    }
    if (!known) {
      errors.push_back(absl::StrCat("line 1, column ", c + 1, ": unknown column \"", header[c],
                                    "\"; see the README for the columns"));
    }
  }
  if (!errors.empty()) return items;
  for (size_t r = 1; r < rows->size(); ++r) {
    const CsvRow& row = (*rows)[r];
    if (row.cells.size() != header.size()) {
      errors.push_back(absl::StrCat("line ", row.line, ": ", row.cells.size(),
                                    " cells; the header has ", header.size()));
      continue;
    }
    Item item{row.line, {}};
    std::string amount, currency;
    for (size_t c = 0; c < header.size(); ++c) {
      const std::string value(absl::StripAsciiWhitespace(row.cells[c]));
      if (value.empty() || IsIgnoredColumn(header[c])) continue;
      if (header[c] == "amount") {
        amount = value;
      } else if (header[c] == "currency") {
        currency = value;
      } else {
        // Lists inside a cell are separated by semicolons.
        absl::Status status = SetFieldFromText(item.commitment, header[c],
                                               absl::StrReplaceAll(value, {{";", ","}}));
        if (!status.ok()) {
          errors.push_back(absl::StrCat("line ", row.line, ", column ", header[c], ": ",
                                        absl::StripPrefix(status.message(),
                                                          absl::StrCat("--", header[c], ": "))));
        }
      }
    }
    if (!amount.empty() || !currency.empty()) {
      absl::Status status =
          SetFieldFromText(item.commitment, "amount", absl::StrCat(amount, " ", currency));
      if (!status.ok()) {
        errors.push_back(absl::StrCat("line ", row.line, ", columns amount and currency: ",
                                      absl::StripPrefix(status.message(), "--amount: ")));
      }
    }
    items.push_back(std::move(item));
  }
  return items;
}

// Reads {"commitments": [...]} or a bare array of Commitment JSON objects.
std::vector<Item> FromJson(const std::string& text, std::vector<std::string>& errors) {
  const std::string trimmed(absl::StripAsciiWhitespace(text));
  const std::string wrapped =
      absl::StartsWith(trimmed, "[") ? absl::StrCat("{\"commitments\": ", trimmed, "}") : trimmed;
  v1::SyncCommitmentsRequest parsed;
  auto status = google::protobuf::util::JsonStringToMessage(wrapped, &parsed);
  std::vector<Item> items;
  if (!status.ok()) {
    errors.push_back(absl::StrCat("not commitments in JSON: ", status.message().as_string()));
    return items;
  }
  for (v1::Commitment& commitment : *parsed.mutable_commitments()) {
    items.push_back(Item{0, std::move(commitment)});
  }
  return items;
}

std::string Where(const std::vector<Item>& items, int index) {
  if (index < 0 || index >= static_cast<int>(items.size())) return "";
  return items[index].line > 0 ? absl::StrCat("line ", items[index].line)
                               : absl::StrCat("item ", index);
}

}  // namespace

int SyncCommitmentsCommand(RpcClient& rpc, const Args& args, const std::string& output,
                           absl::Duration timeout) {
  if (!args.Has("parent") || !args.Has("file")) {
    std::cerr << "mpower: give --parent partners/P and -f FILE (CSV or JSON); run "
                 "mpower commitments --help\n";
    return kExitUsage;
  }
  const std::string path = args.Get("file");
  std::string text;
  if (path == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), {});
  } else {
    std::ifstream in(path);
    if (!in) {
      std::cerr << "mpower: cannot read " << path << "\n";
      return kExitLocalError;
    }
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  std::vector<std::string> errors;
  const bool json = absl::EndsWith(path, ".json") ||
                    absl::StartsWith(absl::StripLeadingAsciiWhitespace(text), "[") ||
                    absl::StartsWith(absl::StripLeadingAsciiWhitespace(text), "{");
  std::vector<Item> items = json ? FromJson(text, errors) : FromCsv(text, errors);
  if (!errors.empty()) {
    for (const std::string& error : errors) std::cerr << "mpower: " << path << ": " << error << "\n";
    std::cerr << "mpower: nothing was sent; fix the rows above and run again\n";
    return kExitLocalError;
  }

  grpc::ClientContext context;
  rpc.Authorize(context);
  // A large set takes longer than one ordinary call.
  context.set_deadline(absl::ToChronoTime(absl::Now() + std::max(timeout, absl::Minutes(10))));
  auto stream = v1::CommitmentService::NewStub(rpc.channel())->SyncCommitments(&context);
  const bool progress = isatty(STDERR_FILENO);
  for (size_t i = 0; i < items.size() || i == 0; i += kChunk) {
    v1::SyncCommitmentsRequest chunk;
    chunk.set_parent(args.Get("parent"));
    chunk.set_mirror(args.Has("mirror"));
    chunk.set_validate_only(args.Has("dry-run"));
    if (i == 0 && !json) {
      for (const std::string& field : CsvFields(text)) chunk.mutable_update_mask()->add_paths(field);
    }
    for (size_t k = i; k < items.size() && k < i + kChunk; ++k) {
      *chunk.add_commitments() = items[k].commitment;
    }
    if (!stream->Write(chunk)) break;
    if (progress) {
      std::cerr << "\rsent " << std::min(items.size(), i + kChunk) << " of " << items.size()
                << " commitments" << std::flush;
    }
  }
  stream->WritesDone();
  if (progress) std::cerr << "\r\033[K" << std::flush;
  v1::SyncCommitmentsResponse all;
  v1::SyncCommitmentsResponse response;
  while (stream->Read(&response)) {
    all.mutable_outcomes()->MergeFrom(response.outcomes());
    if (response.has_summary()) *all.mutable_summary() = response.summary();
  }
  const grpc::Status status = stream->Finish();
  if (!status.ok() && all.outcomes().empty()) {
    std::cerr << "mpower: " << status.error_message() << "\n";
    return kExitRpcBase + status.error_code();
  }
  if (output == "json") {
    google::protobuf::util::JsonPrintOptions options;
    options.preserve_proto_field_names = true;
    options.add_whitespace = true;
    std::string printed;
    (void)google::protobuf::util::MessageToJsonString(all, &printed, options);
    std::cout << printed;
  } else {
    const v1::SyncSummary& summary = all.summary();
    std::cout << (summary.applied() ? "applied" : (args.Has("dry-run") ? "dry run" : "not applied"))
              << ": " << summary.created() << " created, " << summary.updated() << " updated, "
              << summary.unchanged() << " unchanged, " << summary.deleted() << " deleted, "
              << summary.invalid() << " invalid";
    if (summary.revision() != 0) std::cout << " (revision " << summary.revision() << ")";
    std::cout << "\n";
    static const char* kKinds[] = {"", "create", "update", "", "delete", "invalid"};
    int shown = 0;
    for (const v1::SyncOutcome& outcome : all.outcomes()) {
      if (outcome.kind() == v1::SyncOutcome::KIND_UNCHANGED) continue;
      if (outcome.kind() != v1::SyncOutcome::KIND_INVALID && ++shown > 50) continue;
      std::cout << "  " << kKinds[outcome.kind()] << "  "
                << (outcome.index() >= 0 ? Where(items, outcome.index()) : "")
                << (outcome.index() >= 0 ? "  " : "") << outcome.external_id() << "  "
                << outcome.name() << "\n";
      for (const auto& violation : outcome.violations()) {
        std::cout << "      " << violation.field() << ": " << violation.description() << "\n";
      }
    }
    if (shown > 50) std::cout << "  ... and " << shown - 50 << " more changes (-o json lists all)\n";
  }
  if (!status.ok()) {
    std::cerr << "mpower: " << status.error_message() << "\n";
    return kExitRpcBase + status.error_code();
  }
  return 0;
}

}  // namespace mpower::cli
