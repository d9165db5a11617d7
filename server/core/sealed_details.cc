#include "server/core/sealed_details.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/btree_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/sealed_envelope.h"
#include "google/protobuf/util/message_differencer.h"
#include "google/rpc/error_details.pb.h"
#include "server/base/status_macros.h"
#include "server/core/encryption_key_rules.h"
#include "server/core/error_details.h"
#include "server/core/field_violations.h"
#include "server/core/partner_rules.h"
#include "server/core/resource_codec.h"

namespace mpower {
namespace {

using v1::Alert;
using v1::EncryptionKey;
using v1::SealedEnvelope;

constexpr absl::string_view kField = "alert.protected_details.sealed";

std::string Field(absl::string_view name) { return absl::StrCat(kField, ".", name); }

bool SameButForWraps(const SealedEnvelope& a, const SealedEnvelope& b) {
  SealedEnvelope left = a;
  SealedEnvelope right = b;
  left.clear_wraps();
  right.clear_wraps();
  return google::protobuf::util::MessageDifferencer::Equals(left, right);
}

// The ACTIVE keys of `partner`, by name, in name order.
absl::StatusOr<std::vector<std::string>> ActiveKeysOf(Store& store, absl::string_view partner) {
  ListQuery query;
  query.collection = std::string(kEncryptionKeyName.collection);
  query.parent = std::string(partner);
  query.limit = 1000;
  std::vector<std::string> names;
  do {
    MPOWER_ASSIGN_OR_RETURN(ListResult page, store.List(query));
    for (const StoredResource& stored : page.items) {
      MPOWER_ASSIGN_OR_RETURN(EncryptionKey key, ResourceCodec<EncryptionKey>::Decode(stored));
      if (key.state() == EncryptionKey::STATE_ACTIVE) names.push_back(key.name());
    }
    query.after_name = page.resume_after;
  } while (!query.after_name.empty());
  return names;
}

// That the envelope is signed for this alert by an ACTIVE key of the
// filing partner, or of the secretariat (whose recovery key reseals the
// details of a filer who lost its own).
absl::Status CheckSignature(WriteTransaction& txn, const Alert& alert,
                            const SealedEnvelope& envelope) {
  const std::string& signing_key = envelope.signing_key();
  const std::string signer = EncryptionKeyOwner(signing_key);
  if (signer != alert.filing_partner()) {
    MPOWER_ASSIGN_OR_RETURN(const bool secretariat, IsSecretariatPartner(txn.Get(signer), signer));
    if (!secretariat) {
      return absl::InvalidArgumentError(absl::StrCat(
          Field("signing_key"), ": is not a key of the filing partner, ", alert.filing_partner(),
          ", nor a recovery key of the secretariat; sign with one of the filer's ACTIVE keys"));
    }
  }
  MPOWER_ASSIGN_OR_RETURN(std::optional<StoredResource> stored, txn.Get(signing_key));
  if (!stored.has_value() || stored->collection != kEncryptionKeyName.collection) {
    return absl::InvalidArgumentError(absl::StrCat(Field("signing_key"), ": ", signing_key,
                                                   " is not a published key; publish it first"));
  }
  MPOWER_ASSIGN_OR_RETURN(EncryptionKey key, ResourceCodec<EncryptionKey>::Decode(*stored));
  if (key.state() != EncryptionKey::STATE_ACTIVE) {
    return absl::InvalidArgumentError(absl::StrCat(Field("signing_key"), ": ", signing_key,
                                                   " is retired; sign with an ACTIVE key"));
  }
  if (!VerifyEnvelopeSignature(alert.name(), envelope, key.signing_public_key())) {
    return absl::InvalidArgumentError(absl::StrCat(
        Field("signature"), ": does not verify with ", signing_key, " for ", alert.name(),
        "; the envelope was changed after signing, or sealed for another alert"));
  }
  return absl::OkStatus();
}

// That the envelope is sealed to exactly the ACTIVE keys of every partner
// entitled to the details now, and the secretariat's recovery keys.
absl::Status CheckRecipientKeys(Store& store, const Alert& alert, const SealedEnvelope& envelope) {
  absl::btree_set<std::string> partners = {alert.filing_partner()};
  partners.insert(alert.recipient_partners().begin(), alert.recipient_partners().end());
  absl::btree_set<std::string> required;
  // A secretariat without keys has set up no recovery: nothing to seal to.
  MPOWER_ASSIGN_OR_RETURN(const std::vector<std::string> secretariat, SecretariatPartners(store));
  for (const std::string& partner : secretariat) {
    if (partners.contains(partner)) continue;
    MPOWER_ASSIGN_OR_RETURN(std::vector<std::string> keys, ActiveKeysOf(store, partner));
    required.insert(keys.begin(), keys.end());
  }
  for (const std::string& partner : partners) {
    MPOWER_ASSIGN_OR_RETURN(std::vector<std::string> keys, ActiveKeysOf(store, partner));
    if (keys.empty()) {
      return WithPreconditionFailure(
          absl::FailedPreconditionError(absl::StrCat(
              Field("recipient_keys"), ": ", partner,
              " has no ACTIVE encryption key, so it could never open sealed details; ask it to "
              "publish one (mpower keys generate), or give the details unsealed")),
          "NO_ENCRYPTION_KEY", partner, "the partner has published no ACTIVE encryption key");
    }
    required.insert(keys.begin(), keys.end());
  }
  for (int i = 0; i < envelope.recipient_keys_size(); ++i) {
    if (!required.contains(envelope.recipient_keys(i))) {
      return absl::InvalidArgumentError(absl::StrCat(
          Field(absl::StrCat("recipient_keys[", i, "]")), ": ", envelope.recipient_keys(i),
          " is not an ACTIVE key of the filing partner, a recipient partner or the secretariat; "
          "seal only to theirs"));
    }
  }
  std::vector<std::string> missing;
  for (const std::string& key : required) {
    if (std::find(envelope.recipient_keys().begin(), envelope.recipient_keys().end(), key) ==
        envelope.recipient_keys().end()) {
      missing.push_back(key);
    }
  }
  if (missing.empty()) return absl::OkStatus();
  absl::Status status = absl::FailedPreconditionError(absl::StrCat(
      Field("recipient_keys"), ": not sealed to ", absl::StrJoin(missing, ", "),
      "; fetch every ACTIVE key of the filing and recipient partners and the secretariat's, "
      "and seal again"));
  google::rpc::PreconditionFailure failure;
  for (const std::string& key : missing) {
    google::rpc::PreconditionFailure::Violation* violation = failure.add_violations();
    violation->set_type("ENCRYPTION_KEY_MISSING");
    violation->set_subject(key);
    violation->set_description(
        "an ACTIVE key of an entitled partner the envelope is not sealed to");
  }
  AttachDetail(status, failure);
  return status;
}

}  // namespace

absl::Status CheckSealedDetails(Store& store, WriteTransaction& txn, const Alert& current,
                                Alert& updated, const DataKeyUsedBefore& used_before) {
  if (!HasSealedDetails(updated)) {
    // Details sealed once stay sealed: a client cannot be steered (by a
    // recipient without keys, say) into handing their successor over in
    // the clear.
    if (HasSealedDetails(current) && updated.has_protected_details() &&
        updated.protected_details().ByteSizeLong() > 0) {
      return absl::FailedPreconditionError(
          "alert.protected_details: this alert's details are sealed; give new ones sealed too "
          "(protected_details.sealed: mpower alerts update seals them on a machine holding a "
          "key of the filing partner)");
    }
    return absl::OkStatus();
  }
  SealedEnvelope& envelope = *updated.mutable_protected_details()->mutable_sealed();
  if (HasSealedDetails(current)) {
    const SealedEnvelope& stored = current.protected_details().sealed();
    if (SameButForWraps(envelope, stored)) {
      // Sent back as read, with the caller's wraps only: unchanged.
      *envelope.mutable_wraps() = stored.wraps();
      return absl::OkStatus();
    }
  }
  // Every version's data key, not only the current one's: a partner
  // removed since could open an earlier version, and must not open what
  // follows. Asked before the shape is checked whole: new details in an
  // envelope sent back as read have too few wraps, and the data key is
  // what is wrong.
  MPOWER_ASSIGN_OR_RETURN(const bool reused, envelope.data_key_id().empty()
                                                 ? absl::StatusOr<bool>(false)
                                                 : used_before(envelope.data_key_id()));
  if (reused) {
    return absl::FailedPreconditionError(absl::StrCat(
        Field("data_key_id"),
        ": is the data key of details this alert held before; new details need a new data "
        "key, so seal them again"));
  }
  FieldViolations violations;
  for (const EnvelopeProblem& problem :
       CheckEnvelopeShape(envelope, kField, /*wraps_may_be_partial=*/false)) {
    violations.Add(problem.field, problem.problem);
  }
  MPOWER_RETURN_IF_ERROR(violations.ToStatus());
  MPOWER_RETURN_IF_ERROR(CheckSignature(txn, updated, envelope));
  return CheckRecipientKeys(store, updated, envelope);
}

}  // namespace mpower
