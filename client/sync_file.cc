#include "client/sync_file.h"

#include <algorithm>
#include <string_view>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "client/csv.h"
#include "client/field_text.h"
#include "common/commitment_csv_columns.h"
#include "google/protobuf/util/json_util.h"
#include "mpower/v1/commitment.pb.h"

namespace mpower::cli {

namespace {

// Output-only columns of `mpower report export --format commitments-csv`,
// read past so an export syncs back as it is.
bool IsIgnoredColumn(std::string_view column) {
  if (column == kCommitmentNameColumn) return true;
  for (std::string_view derived : kCommitmentDerivedColumns) {
    if (column == derived) return true;
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

// Reads commitments from CSV; every problem goes into `errors`.
std::vector<SyncItem> FromCsv(const std::string& text, std::vector<std::string>& errors) {
  std::vector<SyncItem> items;
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
    for (std::string_view column : kCommitmentSyncColumns) known = known || header[c] == column;
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
    SyncItem item{row.line, {}};
    std::string amount, currency;
    for (size_t c = 0; c < header.size(); ++c) {
      const std::string value(absl::StripAsciiWhitespace(row.cells[c]));
      if (value.empty() || IsIgnoredColumn(header[c])) continue;
      if (header[c] == "amount") {
        amount = value;
      } else if (header[c] == "currency") {
        currency = value;
      } else {
        // Lists inside a cell are separated by semicolons; any other cell
        // is text, kept as it is.
        const auto* field = v1::Commitment::descriptor()->FindFieldByName(header[c]);
        const bool list = field != nullptr && field->is_repeated();
        absl::Status status = SetFieldFromText(
            item.commitment, header[c], list ? absl::StrReplaceAll(value, {{";", ","}}) : value);
        if (!status.ok()) {
          errors.push_back(absl::StrCat(
              "line ", row.line, ", column ", header[c], ": ",
              absl::StripPrefix(status.message(), absl::StrCat("--", header[c], ": "))));
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
std::vector<SyncItem> FromJson(const std::string& text, std::vector<std::string>& errors) {
  const std::string trimmed(absl::StripAsciiWhitespace(text));
  const std::string wrapped =
      absl::StartsWith(trimmed, "[") ? absl::StrCat("{\"commitments\": ", trimmed, "}") : trimmed;
  v1::SyncCommitmentsRequest parsed;
  auto status = google::protobuf::util::JsonStringToMessage(wrapped, &parsed);
  std::vector<SyncItem> items;
  if (!status.ok()) {
    errors.push_back(absl::StrCat("not commitments in JSON: ", status.message().as_string()));
    return items;
  }
  for (v1::Commitment& commitment : *parsed.mutable_commitments()) {
    items.push_back(SyncItem{0, std::move(commitment)});
  }
  return items;
}

}  // namespace

SyncFile ReadSyncFile(const std::string& path, const std::string& text) {
  SyncFile file;
  file.json = absl::EndsWith(path, ".json") ||
              absl::StartsWith(absl::StripLeadingAsciiWhitespace(text), "[") ||
              absl::StartsWith(absl::StripLeadingAsciiWhitespace(text), "{");
  if (file.json) {
    file.items = FromJson(text, file.errors);
  } else {
    file.items = FromCsv(text, file.errors);
    file.fields = CsvFields(text);
  }
  return file;
}

}  // namespace mpower::cli
