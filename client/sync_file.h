#ifndef MPOWER_CLIENT_SYNC_FILE_H_
#define MPOWER_CLIENT_SYNC_FILE_H_

// Reading a partner's commitments for `mpower commitments sync` from CSV
// (a header naming the columns, one commitment a line) or JSON (an array
// of Commitment objects, or {"commitments": [...]}), reporting every bad
// row by line and column. No network: the fuzzers drive it directly.

#include <string>
#include <vector>

#include "mpower/v1/commitment.pb.h"

namespace mpower::cli {

// One commitment of the file.
struct SyncItem {
  int line = 0;  // where it came from, for messages; 0 for JSON
  v1::Commitment commitment;
};

// What a sync file holds.
struct SyncFile {
  bool json = false;
  std::vector<SyncItem> items;
  // For CSV, the fields its columns provide (the sync's update mask);
  // empty for JSON, which provides every field.
  std::vector<std::string> fields;
  // Every problem found, by line and column; the file is unusable if any.
  std::vector<std::string> errors;
};

// Reads `text`, the contents of the file at `path` (whose extension, with
// the first character, tells JSON from CSV).
SyncFile ReadSyncFile(const std::string& path, const std::string& text);

}  // namespace mpower::cli

#endif  // MPOWER_CLIENT_SYNC_FILE_H_
