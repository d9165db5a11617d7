#include "server/core/encryption_key_rules.h"

#include "absl/strings/str_cat.h"
#include "common/public_keys.h"
#include "server/base/status_macros.h"
#include "server/core/partner_rules.h"
#include "server/core/value_checks.h"

namespace mpower {
namespace {

using v1::EncryptionKey;

constexpr size_t kMaxDisplayNameLength = 200;

void CheckKeyBytes(FieldViolations& violations, absl::string_view field, absl::string_view value,
                   size_t size, absl::string_view what) {
  if (value.empty()) {
    violations.Add(field, absl::StrCat("required: the ", what, " (", size,
                                       " bytes); mpower keys generate makes one"));
  } else if (value.size() != size) {
    violations.Add(field,
                   absl::StrCat("must be ", size, " bytes (the ", what, "), not ", value.size()));
  }
}

}  // namespace

const std::vector<std::string>& ResourceTraits<EncryptionKey>::MutableFields() {
  static const std::vector<std::string> kFields = {"state"};
  return kFields;
}

const std::vector<std::string>& ResourceTraits<EncryptionKey>::CreateOnlyFields() {
  static const std::vector<std::string> kFields = {"display_name", "sealing_public_key",
                                                   "signing_public_key", "proof_of_possession"};
  return kFields;
}

const std::vector<std::string>& ResourceTraits<EncryptionKey>::FilterableFields() {
  static const std::vector<std::string> kFields = {"state"};
  return kFields;
}

void ResourceTraits<EncryptionKey>::ApplyDefaults(EncryptionKey& key) {
  if (key.state() == EncryptionKey::STATE_UNSPECIFIED) key.set_state(EncryptionKey::STATE_ACTIVE);
  key.set_fingerprint(KeyFingerprint(key.sealing_public_key(), key.signing_public_key()));
}

void ResourceTraits<EncryptionKey>::Validate(const EncryptionKey& key,
                                             FieldViolations& violations) {
  CheckText(violations, "encryption_key.display_name", key.display_name(), kMaxDisplayNameLength,
            Presence::kOptional);
  CheckKeyBytes(violations, "encryption_key.sealing_public_key", key.sealing_public_key(),
                kSealingPublicKeyBytes, "X25519 public key");
  CheckKeyBytes(violations, "encryption_key.signing_public_key", key.signing_public_key(),
                kSigningPublicKeyBytes, "Ed25519 public key");
  CheckKeyBytes(violations, "encryption_key.proof_of_possession", key.proof_of_possession(),
                kSignatureBytes, "Ed25519 signature");
  if (key.state() != EncryptionKey::STATE_ACTIVE && key.state() != EncryptionKey::STATE_RETIRED) {
    violations.Add("encryption_key.state", "must be STATE_ACTIVE or STATE_RETIRED");
  }
}

absl::Status CheckProofOfPossession(absl::string_view partner, const EncryptionKey& key) {
  if (!SodiumReady()) return absl::InternalError("libsodium could not be initialised");
  if (VerifyProofOfPossession(partner, key.sealing_public_key(), key.signing_public_key(),
                              key.proof_of_possession())) {
    return absl::OkStatus();
  }
  FieldViolations violations;
  violations.Add("encryption_key.proof_of_possession",
                 absl::StrCat("is not the signing key's signature over ", partner,
                              " and both public keys; sign them with the key's own private half "
                              "(mpower keys generate does)"));
  return violations.ToStatus();
}

namespace {

// Recovery keys (a TYPE_SECRETARIAT partner's) are the admins' alone to
// publish and retire: every sealed alert is sealed to them.
template <typename Reader>
absl::Status RequireAdminForRecoveryKeys(const Principal& caller, Reader& reader,
                                         absl::string_view partner) {
  if (IsAdmin(caller)) return absl::OkStatus();
  MPOWER_ASSIGN_OR_RETURN(const bool secretariat,
                          IsSecretariatPartner(reader.Get(partner), partner));
  if (!secretariat) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat(
      "the keys of ", partner,
      " are the secretariat's recovery keys, which only its admins publish and retire"));
}

}  // namespace

absl::Status ResourceTraits<EncryptionKey>::CheckCreate(const Principal& caller,
                                                        absl::string_view parent,
                                                        const EncryptionKey& key, Store& store) {
  MPOWER_RETURN_IF_ERROR(RequireEditorOf(caller, parent, absl::StrCat("the keys of ", parent)));
  MPOWER_RETURN_IF_ERROR(RequireAdminForRecoveryKeys(caller, store, parent));
  // Here, where every create passes once the caller may publish: no key
  // is stored without its proof, whichever path creates it.
  return CheckProofOfPossession(parent, key);
}

absl::Status ResourceTraits<EncryptionKey>::CheckWrite(const Principal& caller,
                                                       const EncryptionKey& existing, WriteKind) {
  const std::string owner = EncryptionKeyOwner(existing.name());
  return RequireEditorOf(caller, owner, absl::StrCat("the keys of ", owner));
}

absl::Status ResourceTraits<EncryptionKey>::CheckUpdate(const Principal& caller, Store&,
                                                        WriteTransaction& txn,
                                                        const EncryptionKey& current,
                                                        EncryptionKey&) {
  return RequireAdminForRecoveryKeys(caller, txn, EncryptionKeyOwner(current.name()));
}

absl::StatusOr<bool> ResourceTraits<EncryptionKey>::CanRead(const Principal& caller,
                                                            const EncryptionKey&, Store&) {
  return caller.role != Principal::Role::kPublicReader;
}

std::string EncryptionKeyOwner(absl::string_view key_name) {
  return std::string(key_name.substr(0, key_name.find("/encryptionKeys/")));
}

}  // namespace mpower
