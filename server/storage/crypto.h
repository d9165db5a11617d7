#ifndef MPOWER_SERVER_STORAGE_CRYPTO_H_
#define MPOWER_SERVER_STORAGE_CRYPTO_H_

// The few cryptographic primitives mpower needs, from OpenSSL: random
// bytes, SHA-256, HMAC-SHA-256 and AES-256-GCM. The keyring seals protected
// details with them, core hashes tokens and the audit chain and seals page
// tokens.

#include <cstddef>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace mpower {

inline constexpr size_t kAeadKeyBytes = 32;
inline constexpr size_t kAeadNonceBytes = 12;
inline constexpr size_t kAeadTagBytes = 16;

// `count` bytes from OpenSSL's CSPRNG. Aborts if it cannot be seeded, since
// continuing would issue guessable secrets.
std::string RandomBytes(size_t count);

// The SHA-256 of `bytes` as 64 lowercase hex digits.
std::string Sha256Hex(absl::string_view bytes);

// AES-256-GCM: the ciphertext followed by the tag. REQUIRES: a 32-byte key
// and a 12-byte nonce never used with this key before.
std::string AesGcmSeal(absl::string_view key, absl::string_view nonce,
                       absl::string_view associated_data, absl::string_view plaintext);

// The plaintext of AesGcmSeal's output; nullopt if the tag does not verify
// (a wrong key, nonce or associated data, or altered bytes).
std::optional<std::string> AesGcmOpen(absl::string_view key, absl::string_view nonce,
                                      absl::string_view associated_data, absl::string_view sealed);

// HMAC-SHA-256 of `message` under `key`: 32 bytes.
std::string HmacSha256(absl::string_view key, absl::string_view message);

}  // namespace mpower

#endif  // MPOWER_SERVER_STORAGE_CRYPTO_H_
