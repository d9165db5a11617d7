#include "server/core/page_token.h"

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "server/base/status_macros.h"
#include "server/storage/crypto.h"

namespace mpower {
namespace {

constexpr char kTokenVersion = 1;
constexpr size_t kSaltBytes = 16;
constexpr size_t kMaxTokenBytes = 2048;
constexpr absl::string_view kAssociatedData = "mpower page token";
constexpr absl::string_view kSecretName = "page-tokens";

absl::Status NotIssuedHere() {
  return absl::InvalidArgumentError(
      "page_token: not a token this server issued; pass the next_page_token "
      "of the previous response unchanged, or none for the first page");
}

// The key of the token salted with `salt`: used for that token alone, so
// its nonce may be fixed (and the number of tokens is unbounded).
std::string TokenKey(absl::string_view secret, absl::string_view salt) {
  return HmacSha256(secret, salt);
}

}  // namespace

std::string Fingerprint(absl::string_view bytes) {
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return absl::StrFormat("%016x", hash);
}

std::string SealPageToken(absl::string_view secret, absl::string_view query_fingerprint,
                          absl::string_view position) {
  const std::string salt = RandomBytes(kSaltBytes);
  const std::string nonce(kAeadNonceBytes, '\0');
  return absl::WebSafeBase64Escape(
      absl::StrCat(std::string(1, kTokenVersion), salt,
                   AesGcmSeal(TokenKey(secret, salt), nonce, kAssociatedData,
                              absl::StrCat(query_fingerprint, ":", position))));
}

absl::StatusOr<std::string> OpenPageToken(absl::string_view secret, absl::string_view token,
                                          absl::string_view query_fingerprint) {
  std::string decoded;
  if (token.size() > kMaxTokenBytes || !absl::WebSafeBase64Unescape(token, &decoded) ||
      decoded.size() < 1 + kSaltBytes + kAeadTagBytes || decoded[0] != kTokenVersion ||
      // Base64's last character may carry bits decoding drops: only the
      // one spelling of a token is the token.
      absl::WebSafeBase64Escape(decoded) != token) {
    return NotIssuedHere();
  }
  const absl::string_view salt = absl::string_view(decoded).substr(1, kSaltBytes);
  const std::optional<std::string> opened =
      AesGcmOpen(TokenKey(secret, salt), std::string(kAeadNonceBytes, '\0'), kAssociatedData,
                 absl::string_view(decoded).substr(1 + kSaltBytes));
  if (!opened.has_value() || opened->size() <= query_fingerprint.size() ||
      (*opened)[query_fingerprint.size()] != ':') {
    return NotIssuedHere();
  }
  if (absl::string_view(*opened).substr(0, query_fingerprint.size()) != query_fingerprint) {
    return absl::InvalidArgumentError(
        "page_token: belongs to a different query; keep the parent, filter and "
        "show_deleted the same while paging, or start again without a token");
  }
  return opened->substr(query_fingerprint.size() + 1);
}

absl::StatusOr<std::string> EncodePageToken(Store& store, absl::string_view query_fingerprint,
                                            absl::string_view position) {
  MPOWER_ASSIGN_OR_RETURN(std::string secret, store.SharedSecret(kSecretName));
  return SealPageToken(secret, query_fingerprint, position);
}

absl::StatusOr<std::string> DecodePageToken(Store& store, absl::string_view token,
                                            absl::string_view query_fingerprint) {
  MPOWER_ASSIGN_OR_RETURN(std::string secret, store.SharedSecret(kSecretName));
  return OpenPageToken(secret, token, query_fingerprint);
}

}  // namespace mpower
