#ifndef MPOWER_CLIENT_CSV_H_
#define MPOWER_CLIENT_CSV_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mpower::cli {

// A CSV row and the line of the file it starts on (1-based).
struct CsvRow {
  int line = 0;
  std::vector<std::string> cells;
};

// Parses RFC 4180 CSV: comma-separated, fields optionally in double quotes,
// "" for a quote inside them, quoted fields may span lines; CRLF or LF.
// INVALID_ARGUMENT naming the line of an unterminated quote.
absl::StatusOr<std::vector<CsvRow>> ParseCsv(absl::string_view text);

}  // namespace mpower::cli

#endif  // MPOWER_CLIENT_CSV_H_
