// Page tokens come back from clients: any text decodes to the name it was
// made for, or is refused with INVALID_ARGUMENT. A token made for a name the
// server could resume after (non-empty, far below the token's 1,024-byte
// bound) always round-trips.

#include <cstddef>
#include <cstdint>
#include <string>

#include "server/core/page_token.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const std::string query = mpower::Fingerprint("commitments\npartners/ilo\n\nlive");
  absl::StatusOr<std::string> decoded = mpower::DecodePageToken(text, query);
  if (!decoded.ok() && decoded.status().code() != absl::StatusCode::kInvalidArgument) {
    __builtin_trap();
  }
  if (text.empty() || text.size() > 256) return 0;
  const std::string token = mpower::EncodePageToken(query, text);
  absl::StatusOr<std::string> again = mpower::DecodePageToken(token, query);
  if (!again.ok() || *again != text) __builtin_trap();
  return 0;
}
