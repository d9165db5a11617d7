// Page tokens come back from clients: any text opens to the position it was
// sealed for, or is refused with INVALID_ARGUMENT. A token sealed for a
// position the server could resume at (non-empty, far below the token's
// 2,048-byte bound) always round-trips, and with one byte changed never
// opens.

#include <cstddef>
#include <cstdint>
#include <string>

#include "server/core/page_token.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string secret(32, 's');
  const std::string text(reinterpret_cast<const char*>(data), size);
  const std::string query = mpower::Fingerprint("commitments\npartners/ilo\n\nlive");
  absl::StatusOr<std::string> opened = mpower::OpenPageToken(secret, text, query);
  if (!opened.ok() && opened.status().code() != absl::StatusCode::kInvalidArgument) {
    __builtin_trap();
  }
  if (text.empty() || text.size() > 256) return 0;
  std::string token = mpower::SealPageToken(secret, query, text);
  absl::StatusOr<std::string> again = mpower::OpenPageToken(secret, token, query);
  if (!again.ok() || *again != text) __builtin_trap();
  // One character of the token changed, to another of the base64 alphabet.
  const size_t at = data[0] % token.size();
  token[at] = token[at] == 'A' ? 'B' : 'A';
  if (mpower::OpenPageToken(secret, token, query).ok()) __builtin_trap();
  return 0;
}
