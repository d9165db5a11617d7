#ifndef MPOWER_COMMON_SEALED_ENVELOPE_H_
#define MPOWER_COMMON_SEALED_ENVELOPE_H_

// The sealed envelope of format 1 (proto/mpower/v1/sealed_envelope.proto,
// docs/sealed-envelope.md): what the CLI seals protected details in, and
// what mpowerd checks without ever opening. All cryptography is
// libsodium's:
//   - the details, padded to a multiple of 512 bytes (sodium_pad), are
//     encrypted with XChaCha20-Poly1305 (crypto_aead_xchacha20poly1305_ietf)
//     under a random 32-byte data key, with associated data binding the
//     alert's name and the list of recipient keys;
//   - the data key is sealed to each recipient key (crypto_box_seal);
//   - the data key is named by a keyed BLAKE2b (crypto_generichash), so a
//     reader knows the key it unwrapped is the one signed for;
//   - everything but the wraps is signed with Ed25519 (crypto_sign).

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mpower/v1/sealed_envelope.pb.h"

namespace mpower {

inline constexpr uint32_t kEnvelopeFormatVersion = 1;
inline constexpr size_t kDataKeyBytes = 32;
inline constexpr size_t kEnvelopeNonceBytes = 24;
inline constexpr size_t kDataKeyIdBytes = 32;
inline constexpr size_t kSealedDataKeyBytes = 80;  // 32-byte ephemeral key, key, 16-byte tag
inline constexpr size_t kEnvelopeTagBytes = 16;
inline constexpr size_t kEnvelopePaddingBlock = 512;
inline constexpr size_t kMaxEnvelopeCiphertextBytes = 1 << 20;
inline constexpr size_t kMaxEnvelopeRecipientKeys = 200;

// A key to seal the data key to.
struct EnvelopeRecipient {
  std::string key_name;            // partners/{partner}/encryptionKeys/{key}
  std::string sealing_public_key;  // X25519, 32 bytes
};

// The key that signs: one of the filing partner's.
struct EnvelopeSigner {
  std::string key_name;
  std::string signing_secret_key;  // Ed25519, libsodium's 64-byte form
};

// A key the reader holds both halves of, to open with.
struct EnvelopeOpener {
  std::string key_name;
  std::string sealing_public_key;
  std::string sealing_secret_key;  // X25519, 32 bytes
};

// What a seal draws at random. Only test vectors fix it.
struct EnvelopeRandomness {
  std::string data_key;  // kDataKeyBytes
  std::string nonce;     // kEnvelopeNonceBytes
};

// "mpower-sealed-envelope-v1", 0, the alert's name, 0, the number of keys
// (4 bytes, big-endian), then each key name followed by 0.
std::string EnvelopeAssociatedData(absl::string_view alert,
                                   const std::vector<std::string>& recipient_keys);

// What the signature covers: "mpower-sealed-envelope-v1", 0, the alert's
// name, 0, `signing_key`, 0, `format_version` (4 bytes, big-endian),
// `nonce`, `data_key_id`, the number of recipient keys (4 bytes,
// big-endian), each key name followed by 0, then `ciphertext`.
std::string EnvelopeSignedBytes(absl::string_view alert, const v1::SealedEnvelope& envelope);

// The keyed BLAKE2b-256 of "mpower-data-key-id-v1" under `data_key`.
std::string DataKeyId(absl::string_view data_key);

// One thing wrong with an envelope's shape: the field, under the prefix
// the caller gave (e.g. "alert.protected_details.sealed.nonce"), and why.
struct EnvelopeProblem {
  std::string field;
  std::string problem;
};

// Checks what can be checked without keys: the format version, sizes,
// the order of recipient keys, and that the wraps name exactly the
// recipient keys (unless `wraps_may_be_partial`, as for an envelope read
// back). Never reads the ciphertext's meaning.
std::vector<EnvelopeProblem> CheckEnvelopeShape(const v1::SealedEnvelope& envelope,
                                                absl::string_view field, bool wraps_may_be_partial);

// Seals `details` (any bytes; mpower seals a serialized
// AlertProtectedDetails) for `alert` to every recipient and signs it.
// INVALID_ARGUMENT for a recipient key of the wrong size or repeated, or
// details too long; INTERNAL if libsodium is unusable.
absl::StatusOr<v1::SealedEnvelope> SealEnvelope(absl::string_view alert, absl::string_view details,
                                                const std::vector<EnvelopeRecipient>& recipients,
                                                const EnvelopeSigner& signer);
// The same with the data key and nonce given: for test vectors only.
absl::StatusOr<v1::SealedEnvelope> SealEnvelopeWith(
    absl::string_view alert, absl::string_view details,
    const std::vector<EnvelopeRecipient>& recipients, const EnvelopeSigner& signer,
    const EnvelopeRandomness& randomness);

// Whether `signing_public_key` signed `envelope` for `alert`.
bool VerifyEnvelopeSignature(absl::string_view alert, const v1::SealedEnvelope& envelope,
                             absl::string_view signing_public_key);

// Checks the signature with `signing_public_key` (the signing key the
// reader has verified belongs to the filing partner), unwraps the data key
// with `opener`, checks it against `data_key_id`, and returns the details.
// INVALID_ARGUMENT naming the field for a malformed envelope or a
// signature that does not verify; NOT_FOUND if no wrap is for `opener`'s
// key; DATA_LOSS if the wrap or the ciphertext does not open.
absl::StatusOr<std::string> OpenEnvelope(absl::string_view alert,
                                         const v1::SealedEnvelope& envelope,
                                         absl::string_view signing_public_key,
                                         const EnvelopeOpener& opener);

}  // namespace mpower

#endif  // MPOWER_COMMON_SEALED_ENVELOPE_H_
