#ifndef MPOWER_SERVER_CORE_ENCRYPTION_KEY_RULES_H_
#define MPOWER_SERVER_CORE_ENCRYPTION_KEY_RULES_H_

// Partners' published public keys (proto/mpower/v1/encryption_key.proto):
// immutable once published but for their state, readable by every caller
// with credentials, published and retired by the partner's editors.

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "mpower/v1/encryption_key.pb.h"
#include "server/core/resource_manager.h"
#include "server/core/resource_traits_defaults.h"

namespace mpower {

template <>
struct ResourceTraits<v1::EncryptionKey> : ResourceTraitsDefaults {
  static constexpr const NamePattern& kName = kEncryptionKeyName;
  // A key is retired, never deleted: what was sealed to it, and the trace
  // of who published it, stay explainable.
  static constexpr bool kSoftDelete = false;
  static constexpr bool kServerAssignsIds = true;
  static constexpr absl::string_view kField = "encryption_key";
  // Only the state, and only through RetireEncryptionKey.
  static const std::vector<std::string>& MutableFields();
  static const std::vector<std::string>& CreateOnlyFields();
  static const std::vector<std::string>& FilterableFields();
  // ACTIVE, and the fingerprint of the keys.
  static void ApplyDefaults(v1::EncryptionKey& key);
  // Sizes and the display name. The proof of possession, which signs the
  // partner's name, is checked by CheckCreate.
  static void Validate(const v1::EncryptionKey& key, FieldViolations& violations);
  static absl::Status CheckReferences(WriteTransaction&, const v1::EncryptionKey&) {
    return absl::OkStatus();
  }
  static std::vector<std::string> References(const v1::EncryptionKey&) { return {}; }
  // The partner's editors, or the secretariat (alone, for the keys of a
  // TYPE_SECRETARIAT partner); then the proof of possession
  // (CheckProofOfPossession).
  static absl::Status CheckCreate(const Principal& caller, absl::string_view parent,
                                  const v1::EncryptionKey& key, Store& store);
  static absl::Status CheckWrite(const Principal& caller, const v1::EncryptionKey& existing,
                                 WriteKind kind);
  // A TYPE_SECRETARIAT partner's keys, the recovery keys, are retired by
  // admins alone (and published by them alone: CheckCreate).
  static absl::Status CheckUpdate(const Principal& caller, Store& store, WriteTransaction& txn,
                                  const v1::EncryptionKey& current, v1::EncryptionKey& updated);
  // Every caller with credentials; not the anonymous public reader.
  static constexpr bool kReadsRestricted = true;
  static absl::StatusOr<bool> CanRead(const Principal& caller, const v1::EncryptionKey& key,
                                      Store& store);
};

// The partner a key belongs to, `partners/{partner}`.
std::string EncryptionKeyOwner(absl::string_view key_name);

// INVALID_ARGUMENT naming `encryption_key.proof_of_possession` unless it is
// the key's own signature over `partner` and both public keys.
absl::Status CheckProofOfPossession(absl::string_view partner, const v1::EncryptionKey& key);

}  // namespace mpower

#endif  // MPOWER_SERVER_CORE_ENCRYPTION_KEY_RULES_H_
