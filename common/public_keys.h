#ifndef MPOWER_COMMON_PUBLIC_KEYS_H_
#define MPOWER_COMMON_PUBLIC_KEYS_H_

// What mpowerd and mpower must compute alike about a partner's published
// key pair (proto/mpower/v1/encryption_key.proto): the bytes its proof of
// possession signs, and the fingerprint people compare aloud. The
// cryptography is libsodium's.

#include <string>

#include "absl/strings/string_view.h"

namespace mpower {

inline constexpr size_t kSealingPublicKeyBytes = 32;  // X25519
inline constexpr size_t kSigningPublicKeyBytes = 32;  // Ed25519
inline constexpr size_t kSigningSecretKeyBytes = 64;  // Ed25519, libsodium's form
inline constexpr size_t kSignatureBytes = 64;         // Ed25519

// False if libsodium cannot be used (it has no entropy source); calls
// sodium_init() once. Every function below requires it.
bool SodiumReady();

// "mpower-encryption-key-v1", 0, `partner`, 0, then both keys.
std::string ProofOfPossessionMessage(absl::string_view partner,
                                     absl::string_view sealing_public_key,
                                     absl::string_view signing_public_key);

// Whether `signature` is `signing_public_key`'s Ed25519 signature of
// ProofOfPossessionMessage. False for keys or a signature of the wrong size.
bool VerifyProofOfPossession(absl::string_view partner, absl::string_view sealing_public_key,
                             absl::string_view signing_public_key, absl::string_view signature);

// `signing_secret_key`'s detached signature of ProofOfPossessionMessage.
// REQUIRES: the key is kSigningSecretKeyBytes long.
std::string SignProofOfPossession(absl::string_view partner, absl::string_view sealing_public_key,
                                  absl::string_view signing_public_key,
                                  absl::string_view signing_secret_key);

// Eight groups of five digits, e.g. "05122 38571 ...": from the SHA-512 of
// "mpower-key-fingerprint-v1", 0, then both keys, each group five bytes of
// the hash, big-endian, modulo 100000.
std::string KeyFingerprint(absl::string_view sealing_public_key,
                           absl::string_view signing_public_key);

}  // namespace mpower

#endif  // MPOWER_COMMON_PUBLIC_KEYS_H_
