#include "common/sealed_envelope.h"

#include <sodium.h>

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/public_keys.h"

namespace mpower {
namespace {

constexpr char kEnvelopeContext[] = "mpower-sealed-envelope-v1";
constexpr char kDataKeyIdContext[] = "mpower-data-key-id-v1";
constexpr absl::string_view kZero("\0", 1);

static_assert(kDataKeyBytes == crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
static_assert(kEnvelopeNonceBytes == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
static_assert(kEnvelopeTagBytes == crypto_aead_xchacha20poly1305_ietf_ABYTES);
static_assert(kSealedDataKeyBytes == crypto_box_SEALBYTES + kDataKeyBytes);
static_assert(kDataKeyIdBytes == crypto_generichash_BYTES);

const unsigned char* Bytes(absl::string_view data) {
  return reinterpret_cast<const unsigned char*>(data.data());
}

unsigned char* MutableBytes(std::string& data) {
  return reinterpret_cast<unsigned char*>(data.data());
}

void AppendBigEndian32(std::string& out, uint32_t value) {
  const char bytes[4] = {static_cast<char>(value >> 24), static_cast<char>(value >> 16),
                         static_cast<char>(value >> 8), static_cast<char>(value)};
  out.append(bytes, 4);
}

template <typename Names>
void AppendKeyList(std::string& out, const Names& names) {
  AppendBigEndian32(out, static_cast<uint32_t>(names.size()));
  for (const auto& name : names) absl::StrAppend(&out, name, kZero);
}

// A string that is wiped when it goes: data keys and padded details.
class SecretBytes {
 public:
  explicit SecretBytes(size_t size) : bytes_(size, '\0') {}
  ~SecretBytes() { sodium_memzero(bytes_.data(), bytes_.size()); }
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  std::string& get() { return bytes_; }

 private:
  std::string bytes_;
};

// A key's name as the signed bytes can hold it: not empty, at most 300
// bytes, no zero byte (the server checks the full form).
bool IsKeyName(absl::string_view name) {
  return !name.empty() && name.size() <= 300 && name.find('\0') == absl::string_view::npos;
}

bool IsAscendingWithoutRepeats(const google::protobuf::RepeatedPtrField<std::string>& names) {
  for (int i = 1; i < names.size(); ++i) {
    if (!(names[i - 1] < names[i])) return false;
  }
  return true;
}

}  // namespace

std::string EnvelopeAssociatedData(absl::string_view alert,
                                   const std::vector<std::string>& recipient_keys) {
  std::string data = absl::StrCat(kEnvelopeContext, kZero, alert, kZero);
  AppendKeyList(data, recipient_keys);
  return data;
}

std::string EnvelopeSignedBytes(absl::string_view alert, const v1::SealedEnvelope& envelope) {
  std::string data =
      absl::StrCat(kEnvelopeContext, kZero, alert, kZero, envelope.signing_key(), kZero);
  AppendBigEndian32(data, envelope.format_version());
  absl::StrAppend(&data, envelope.nonce(), envelope.data_key_id());
  AppendKeyList(data, envelope.recipient_keys());
  data.append(envelope.ciphertext());
  return data;
}

std::string DataKeyId(absl::string_view data_key) {
  std::string id(kDataKeyIdBytes, '\0');
  crypto_generichash(MutableBytes(id), id.size(), Bytes(kDataKeyIdContext),
                     sizeof(kDataKeyIdContext) - 1, Bytes(data_key), data_key.size());
  return id;
}

std::vector<EnvelopeProblem> CheckEnvelopeShape(const v1::SealedEnvelope& envelope,
                                                absl::string_view field,
                                                bool wraps_may_be_partial) {
  std::vector<EnvelopeProblem> problems;
  auto add = [&](absl::string_view name, std::string problem) {
    problems.push_back({absl::StrCat(field, ".", name), std::move(problem)});
  };
  if (envelope.format_version() != kEnvelopeFormatVersion) {
    add("format_version",
        absl::StrCat(
            "format ", envelope.format_version(),
            " is not one this server reads; seal with format 1 (docs/sealed-envelope.md)"));
  }
  if (envelope.nonce().size() != kEnvelopeNonceBytes) {
    add("nonce", absl::StrCat("must be ", kEnvelopeNonceBytes, " bytes"));
  }
  const size_t ciphertext = envelope.ciphertext().size();
  if (ciphertext < kEnvelopePaddingBlock + kEnvelopeTagBytes ||
      (ciphertext - kEnvelopeTagBytes) % kEnvelopePaddingBlock != 0) {
    add("ciphertext", absl::StrCat("must be the padded details (a multiple of ",
                                   kEnvelopePaddingBlock, " bytes) and a ", kEnvelopeTagBytes,
                                   "-byte tag; the envelope is truncated or not format 1"));
  } else if (ciphertext > kMaxEnvelopeCiphertextBytes) {
    add("ciphertext", absl::StrCat("too long; at most ", kMaxEnvelopeCiphertextBytes, " bytes"));
  }
  if (envelope.data_key_id().size() != kDataKeyIdBytes) {
    add("data_key_id", absl::StrCat("must be ", kDataKeyIdBytes, " bytes"));
  }
  const auto& keys = envelope.recipient_keys();
  if (keys.empty()) {
    add("recipient_keys", "required; name every key the data key is sealed to");
  } else if (static_cast<size_t>(keys.size()) > kMaxEnvelopeRecipientKeys) {
    // Bounded before anything compares names: the rest waits for a list
    // of a sane size.
    add("recipient_keys", absl::StrCat("too many; at most ", kMaxEnvelopeRecipientKeys));
    return problems;
  } else if (!IsAscendingWithoutRepeats(keys)) {
    add("recipient_keys", "must be in ascending byte order, without repeats");
  }
  // Names end in a zero byte in the signed bytes: none may hold one, so
  // those bytes read back one way only.
  if (!IsKeyName(envelope.signing_key())) {
    add("signing_key", "is not a key's name");
  }
  for (int i = 0; i < keys.size(); ++i) {
    if (!IsKeyName(keys[i])) {
      add(absl::StrCat("recipient_keys[", i, "]"), "is not a key's name");
    }
  }
  if (static_cast<size_t>(envelope.wraps_size()) > kMaxEnvelopeRecipientKeys) {
    add("wraps", absl::StrCat("too many; at most ", kMaxEnvelopeRecipientKeys));
    return problems;
  }
  const absl::flat_hash_set<absl::string_view> key_set(keys.begin(), keys.end());
  absl::flat_hash_set<absl::string_view> wrapped;
  for (int i = 0; i < envelope.wraps_size(); ++i) {
    const v1::KeyWrap& wrap = envelope.wraps(i);
    if (!key_set.contains(wrap.key())) {
      add(absl::StrCat("wraps[", i, "].key"), "is not one of recipient_keys");
    }
    if (wrap.sealed_data_key().size() != kSealedDataKeyBytes) {
      add(absl::StrCat("wraps[", i, "].sealed_data_key"),
          absl::StrCat("must be ", kSealedDataKeyBytes, " bytes"));
    }
    if (!wrapped.insert(wrap.key()).second) {
      add(absl::StrCat("wraps[", i, "].key"), "repeats an earlier wrap's key");
    }
  }
  if (!wraps_may_be_partial && envelope.wraps_size() != keys.size()) {
    add("wraps", "must hold one wrap for each of recipient_keys, no more and no fewer");
  }
  if (envelope.signature().size() != kSignatureBytes) {
    add("signature", absl::StrCat("must be ", kSignatureBytes, " bytes"));
  }
  return problems;
}

absl::StatusOr<v1::SealedEnvelope> SealEnvelopeWith(
    absl::string_view alert, absl::string_view details,
    const std::vector<EnvelopeRecipient>& recipients, const EnvelopeSigner& signer,
    const EnvelopeRandomness& randomness) {
  if (!SodiumReady()) return absl::InternalError("libsodium cannot be initialised");
  if (randomness.data_key.size() != kDataKeyBytes ||
      randomness.nonce.size() != kEnvelopeNonceBytes) {
    return absl::InvalidArgumentError("randomness: a 32-byte data key and a 24-byte nonce");
  }
  if (signer.signing_secret_key.size() != kSigningSecretKeyBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("signing key ", signer.key_name, ": its secret half is not 64 bytes"));
  }
  if (recipients.empty() || recipients.size() > kMaxEnvelopeRecipientKeys) {
    return absl::InvalidArgumentError(
        absl::StrCat("recipients: between 1 and ", kMaxEnvelopeRecipientKeys, " keys"));
  }
  std::vector<EnvelopeRecipient> sorted = recipients;
  std::sort(sorted.begin(), sorted.end(),
            [](const EnvelopeRecipient& a, const EnvelopeRecipient& b) {
              return a.key_name < b.key_name;
            });
  std::vector<std::string> key_names;
  for (const EnvelopeRecipient& recipient : sorted) {
    if (!key_names.empty() && key_names.back() == recipient.key_name) {
      return absl::InvalidArgumentError(
          absl::StrCat("recipients: ", recipient.key_name, " is named twice"));
    }
    if (recipient.sealing_public_key.size() != kSealingPublicKeyBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("recipients: ", recipient.key_name, "'s sealing key is not 32 bytes"));
    }
    key_names.push_back(recipient.key_name);
  }

  // Padded so that the ciphertext's length says only which 512-byte block
  // the details end in.
  const size_t padded_capacity =
      (details.size() / kEnvelopePaddingBlock + 1) * kEnvelopePaddingBlock;
  if (padded_capacity + kEnvelopeTagBytes > kMaxEnvelopeCiphertextBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("details: too long to seal; at most ",
                     (kMaxEnvelopeCiphertextBytes - kEnvelopeTagBytes) / kEnvelopePaddingBlock *
                             kEnvelopePaddingBlock -
                         1,
                     " bytes"));
  }
  SecretBytes padded(padded_capacity);
  std::copy(details.begin(), details.end(), padded.get().begin());
  size_t padded_size = 0;
  if (sodium_pad(&padded_size, MutableBytes(padded.get()), details.size(), kEnvelopePaddingBlock,
                 padded_capacity) != 0) {
    return absl::InternalError("padding the details failed");
  }

  v1::SealedEnvelope envelope;
  envelope.set_format_version(kEnvelopeFormatVersion);
  envelope.set_signing_key(signer.key_name);
  envelope.set_nonce(randomness.nonce);
  envelope.set_data_key_id(DataKeyId(randomness.data_key));
  for (const std::string& name : key_names) envelope.add_recipient_keys(name);

  const std::string associated_data = EnvelopeAssociatedData(alert, key_names);
  std::string& ciphertext = *envelope.mutable_ciphertext();
  ciphertext.resize(padded_size + kEnvelopeTagBytes);
  unsigned long long ciphertext_size = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      MutableBytes(ciphertext), &ciphertext_size, Bytes(padded.get()), padded_size,
      Bytes(associated_data), associated_data.size(), nullptr, Bytes(randomness.nonce),
      Bytes(randomness.data_key));
  ciphertext.resize(ciphertext_size);

  for (const EnvelopeRecipient& recipient : sorted) {
    v1::KeyWrap* wrap = envelope.add_wraps();
    wrap->set_key(recipient.key_name);
    std::string& sealed = *wrap->mutable_sealed_data_key();
    sealed.resize(kSealedDataKeyBytes);
    if (crypto_box_seal(MutableBytes(sealed), Bytes(randomness.data_key), kDataKeyBytes,
                        Bytes(recipient.sealing_public_key)) != 0) {
      return absl::InvalidArgumentError(absl::StrCat("recipients: ", recipient.key_name,
                                                     "'s sealing key is not a usable X25519 key"));
    }
  }

  const std::string signed_bytes = EnvelopeSignedBytes(alert, envelope);
  std::string& signature = *envelope.mutable_signature();
  signature.resize(kSignatureBytes);
  crypto_sign_detached(MutableBytes(signature), nullptr, Bytes(signed_bytes), signed_bytes.size(),
                       Bytes(signer.signing_secret_key));
  return envelope;
}

absl::StatusOr<v1::SealedEnvelope> SealEnvelope(absl::string_view alert, absl::string_view details,
                                                const std::vector<EnvelopeRecipient>& recipients,
                                                const EnvelopeSigner& signer) {
  if (!SodiumReady()) return absl::InternalError("libsodium cannot be initialised");
  EnvelopeRandomness randomness{std::string(kDataKeyBytes, '\0'),
                                std::string(kEnvelopeNonceBytes, '\0')};
  crypto_aead_xchacha20poly1305_ietf_keygen(MutableBytes(randomness.data_key));
  randombytes_buf(randomness.nonce.data(), randomness.nonce.size());
  absl::StatusOr<v1::SealedEnvelope> envelope =
      SealEnvelopeWith(alert, details, recipients, signer, randomness);
  sodium_memzero(randomness.data_key.data(), randomness.data_key.size());
  return envelope;
}

bool VerifyEnvelopeSignature(absl::string_view alert, const v1::SealedEnvelope& envelope,
                             absl::string_view signing_public_key) {
  if (!SodiumReady() || envelope.signature().size() != kSignatureBytes ||
      signing_public_key.size() != kSigningPublicKeyBytes) {
    return false;
  }
  const std::string signed_bytes = EnvelopeSignedBytes(alert, envelope);
  return crypto_sign_verify_detached(Bytes(envelope.signature()), Bytes(signed_bytes),
                                     signed_bytes.size(), Bytes(signing_public_key)) == 0;
}

absl::StatusOr<std::string> OpenEnvelope(absl::string_view alert,
                                         const v1::SealedEnvelope& envelope,
                                         absl::string_view signing_public_key,
                                         const EnvelopeOpener& opener) {
  if (!SodiumReady()) return absl::InternalError("libsodium cannot be initialised");
  const std::vector<EnvelopeProblem> problems =
      CheckEnvelopeShape(envelope, "envelope", /*wraps_may_be_partial=*/true);
  if (!problems.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(problems.front().field, ": ", problems.front().problem));
  }
  if (!VerifyEnvelopeSignature(alert, envelope, signing_public_key)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "envelope.signature: does not verify with ", envelope.signing_key(), " for ", alert,
        "; the envelope was changed after signing, or moved from another alert"));
  }
  const auto wrap = std::find_if(
      envelope.wraps().begin(), envelope.wraps().end(),
      [&](const v1::KeyWrap& candidate) { return candidate.key() == opener.key_name; });
  if (wrap == envelope.wraps().end()) {
    return absl::NotFoundError(
        absl::StrCat("envelope.wraps: none is for ", opener.key_name, "; it cannot open this"));
  }
  if (opener.sealing_public_key.size() != kSealingPublicKeyBytes ||
      opener.sealing_secret_key.size() != crypto_box_SECRETKEYBYTES) {
    return absl::InvalidArgumentError(
        absl::StrCat("key ", opener.key_name, ": its halves are not 32 bytes each"));
  }
  SecretBytes data_key(kDataKeyBytes);
  if (crypto_box_seal_open(MutableBytes(data_key.get()), Bytes(wrap->sealed_data_key()),
                           wrap->sealed_data_key().size(), Bytes(opener.sealing_public_key),
                           Bytes(opener.sealing_secret_key)) != 0) {
    return absl::DataLossError(absl::StrCat("envelope.wraps: the wrap for ", opener.key_name,
                                            " does not open with its private half"));
  }
  if (DataKeyId(data_key.get()) != envelope.data_key_id()) {
    return absl::DataLossError(
        absl::StrCat("envelope.wraps: the wrap for ", opener.key_name,
                     " holds another data key than the one signed for; it was swapped"));
  }
  const std::vector<std::string> key_names(envelope.recipient_keys().begin(),
                                           envelope.recipient_keys().end());
  const std::string associated_data = EnvelopeAssociatedData(alert, key_names);
  SecretBytes padded(envelope.ciphertext().size() - kEnvelopeTagBytes);
  unsigned long long padded_size = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          MutableBytes(padded.get()), &padded_size, nullptr, Bytes(envelope.ciphertext()),
          envelope.ciphertext().size(), Bytes(associated_data), associated_data.size(),
          Bytes(envelope.nonce()), Bytes(data_key.get())) != 0) {
    return absl::DataLossError(
        "envelope.ciphertext: does not open for this alert and these recipient keys");
  }
  size_t details_size = 0;
  if (sodium_unpad(&details_size, Bytes(padded.get()), padded_size, kEnvelopePaddingBlock) != 0) {
    return absl::DataLossError("envelope.ciphertext: the details' padding is malformed");
  }
  return std::string(padded.get().data(), details_size);
}

}  // namespace mpower
