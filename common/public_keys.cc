#include "common/public_keys.h"

#include <sodium.h>

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace mpower {
namespace {

constexpr char kProofContext[] = "mpower-encryption-key-v1";
constexpr char kFingerprintContext[] = "mpower-key-fingerprint-v1";
constexpr int kFingerprintGroups = 8;

const unsigned char* Bytes(absl::string_view data) {
  return reinterpret_cast<const unsigned char*>(data.data());
}

}  // namespace

bool SodiumReady() {
  static const bool kReady = sodium_init() >= 0;
  return kReady;
}

std::string ProofOfPossessionMessage(absl::string_view partner,
                                     absl::string_view sealing_public_key,
                                     absl::string_view signing_public_key) {
  return absl::StrCat(kProofContext, absl::string_view("\0", 1), partner,
                      absl::string_view("\0", 1), sealing_public_key, signing_public_key);
}

bool VerifyProofOfPossession(absl::string_view partner, absl::string_view sealing_public_key,
                             absl::string_view signing_public_key, absl::string_view signature) {
  if (sealing_public_key.size() != kSealingPublicKeyBytes ||
      signing_public_key.size() != kSigningPublicKeyBytes || signature.size() != kSignatureBytes ||
      !SodiumReady()) {
    return false;
  }
  const std::string message =
      ProofOfPossessionMessage(partner, sealing_public_key, signing_public_key);
  return crypto_sign_verify_detached(Bytes(signature), Bytes(message), message.size(),
                                     Bytes(signing_public_key)) == 0;
}

std::string SignProofOfPossession(absl::string_view partner, absl::string_view sealing_public_key,
                                  absl::string_view signing_public_key,
                                  absl::string_view signing_secret_key) {
  const std::string message =
      ProofOfPossessionMessage(partner, sealing_public_key, signing_public_key);
  std::string signature(crypto_sign_BYTES, '\0');
  crypto_sign_detached(reinterpret_cast<unsigned char*>(signature.data()), nullptr, Bytes(message),
                       message.size(), Bytes(signing_secret_key));
  return signature;
}

std::string KeyFingerprint(absl::string_view sealing_public_key,
                           absl::string_view signing_public_key) {
  const std::string input = absl::StrCat(kFingerprintContext, absl::string_view("\0", 1),
                                         sealing_public_key, signing_public_key);
  unsigned char hash[crypto_hash_sha512_BYTES];
  crypto_hash_sha512(hash, Bytes(input), input.size());
  std::string fingerprint;
  for (int group = 0; group < kFingerprintGroups; ++group) {
    uint64_t value = 0;
    for (int i = 0; i < 5; ++i) value = (value << 8) | hash[group * 5 + i];
    absl::StrAppendFormat(&fingerprint, "%s%05d", group == 0 ? "" : " ",
                          static_cast<int>(value % 100000));
  }
  return fingerprint;
}

}  // namespace mpower
