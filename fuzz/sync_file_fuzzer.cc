// CSV and JSON import for `mpower commitments sync`: any file is read into
// commitments or refused with errors naming the problem, never a crash.

#include <cstddef>
#include <cstdint>
#include <string>

#include "client/sync_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  for (const char* path : {"commitments.csv", "commitments.json"}) {
    mpower::cli::SyncFile file = mpower::cli::ReadSyncFile(path, text);
    if (!file.errors.empty() && file.errors.front().empty()) __builtin_trap();
  }
  return 0;
}
