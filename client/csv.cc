#include "client/csv.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace mpower::cli {

absl::StatusOr<std::vector<CsvRow>> ParseCsv(absl::string_view text) {
  std::vector<CsvRow> rows;
  CsvRow row{1, {}};
  std::string cell;
  int line = 1;
  bool quoted = false;
  bool row_has_content = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        cell.push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        if (c == '\n') ++line;
        cell.push_back(c);
      }
      continue;
    }
    if (c == '"' && cell.empty()) {
      quoted = true;
      row_has_content = true;
    } else if (c == ',') {
      row.cells.push_back(std::move(cell));
      cell.clear();
      row_has_content = true;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      if (row_has_content || !cell.empty()) {
        row.cells.push_back(std::move(cell));
        rows.push_back(std::move(row));
      }
      cell.clear();
      ++line;
      row = CsvRow{line, {}};
      row_has_content = false;
    } else {
      cell.push_back(c);
      row_has_content = true;
    }
  }
  if (quoted) {
    return absl::InvalidArgumentError(
        absl::StrCat("line ", row.line, ": a quoted field is never closed"));
  }
  if (row_has_content || !cell.empty()) {
    row.cells.push_back(std::move(cell));
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace mpower::cli
