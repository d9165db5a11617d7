#include "server/core/page_token.h"

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"

namespace mpower {

std::string Fingerprint(absl::string_view bytes) {
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return absl::StrFormat("%016x", hash);
}

std::string EncodePageToken(absl::string_view query_fingerprint, absl::string_view after_name) {
  return absl::WebSafeBase64Escape(absl::StrCat(query_fingerprint, ":", after_name));
}

absl::StatusOr<std::string> DecodePageToken(absl::string_view token,
                                            absl::string_view query_fingerprint) {
  std::string decoded;
  if (token.size() > 1024 || !absl::WebSafeBase64Unescape(token, &decoded) ||
      decoded.size() <= query_fingerprint.size() || decoded[query_fingerprint.size()] != ':') {
    return absl::InvalidArgumentError(
        "page_token: not a token this server issued; pass the next_page_token "
        "of the previous response unchanged, or none for the first page");
  }
  if (absl::string_view(decoded).substr(0, query_fingerprint.size()) != query_fingerprint) {
    return absl::InvalidArgumentError(
        "page_token: belongs to a different query; keep the parent, filter and "
        "show_deleted the same while paging, or start again without a token");
  }
  return decoded.substr(query_fingerprint.size() + 1);
}

}  // namespace mpower
