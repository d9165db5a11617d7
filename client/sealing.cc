#include "client/sealing.h"

#include <sodium.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <vector>

#include "absl/container/btree_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/command_status.h"
#include "client/key_directory.h"
#include "client/key_pins.h"
#include "client/known_keys.h"
#include "common/public_keys.h"
#include "common/sealed_envelope.h"
#include "mpower/v1/encryption_key.pb.h"
#include "mpower/v1/partner.pb.h"
#include "server/base/status_macros.h"

namespace mpower::cli {
namespace {

using v1::EncryptionKey;

void Wipe(std::string& secret) { sodium_memzero(secret.data(), secret.size()); }

// Whether `key`, as the server gave it, is `partner`'s own: its proof of
// possession verifies for `partner`, and its fingerprint is what its keys
// give here. Nothing is sealed to, or trusted from, a key that is not.
absl::Status CheckPublishedKey(const EncryptionKey& key, const std::string& partner) {
  if (!absl::StartsWith(key.name(), absl::StrCat(partner, "/encryptionKeys/")) ||
      !VerifyProofOfPossession(partner, key.sealing_public_key(), key.signing_public_key(),
                               key.proof_of_possession())) {
    return LocalError(absl::StrCat(key.name(), ": its proof of possession does not verify for ",
                                   partner,
                                   "; nothing is sealed to or trusted from it. Tell the "
                                   "secretariat"));
  }
  if (KeyFingerprint(key.sealing_public_key(), key.signing_public_key()) != key.fingerprint()) {
    return LocalError(absl::StrCat(key.name(),
                                   ": the fingerprint the server gives is not that "
                                   "of its keys; nothing is sealed to or trusted from it. Tell "
                                   "the secretariat"));
  }
  return absl::OkStatus();
}

// Checks `keys` of `partner` against this machine's pins (key_pins.h),
// saying on stderr what it pins.
absl::Status CheckPins(const Args& args, const std::string& partner,
                       const std::vector<EncryptionKey>& keys, bool known_partner = false) {
  absl::StatusOr<std::string> directory = KeyDirectory(args);
  if (!directory.ok()) return directory.status();
  absl::StatusOr<KeyPins> pins = KeyPins::Load(*directory);
  if (!pins.ok()) return pins.status();
  std::string note;
  absl::Status checked =
      pins->Check(partner, keys, args.Has("trust-new-keys"), note, known_partner);
  if (!note.empty()) std::cerr << note;
  return checked;
}

// Checks which partners the server calls the secretariat against this
// machine's pins (KeyPins::CheckSecretariat).
absl::Status CheckSecretariatPins(const Args& args, const std::vector<std::string>& partners) {
  absl::StatusOr<std::string> directory = KeyDirectory(args);
  if (!directory.ok()) return directory.status();
  absl::StatusOr<KeyPins> pins = KeyPins::Load(*directory);
  if (!pins.ok()) return pins.status();
  std::string note;
  absl::Status checked = pins->CheckSecretariat(partners, args.Has("trust-new-keys"), note);
  if (!note.empty()) std::cerr << note;
  return checked;
}

}  // namespace

absl::StatusOr<std::vector<EncryptionKey>> CheckedActiveKeys(RpcClient& rpc,
                                                             const std::string& partner) {
  v1::ListEncryptionKeysRequest request;
  request.set_parent(partner);
  request.set_filter("state = STATE_ACTIVE");
  request.set_page_size(1000);
  std::vector<EncryptionKey> keys;
  // A partner has a handful of keys: a server that pages on and on is not
  // followed.
  constexpr int kMaxPages = 10;
  int pages = 0;
  do {
    if (++pages > kMaxPages) {
      return LocalError(absl::StrCat("the server lists more than ", kMaxPages * 1000, " keys of ",
                                     partner, "; nothing is sealed to them"));
    }
    v1::ListEncryptionKeysResponse response;
    const grpc::Status status = rpc.Call("/mpower.v1.EncryptionKeyService/ListEncryptionKeys",
                                         request, &response, /*idempotent=*/true);
    if (!status.ok()) return RpcError(status);
    for (const EncryptionKey& key : response.encryption_keys()) {
      if (absl::Status checked = CheckPublishedKey(key, partner); !checked.ok()) return checked;
      if (key.state() == EncryptionKey::STATE_ACTIVE) keys.push_back(key);
    }
    request.set_page_token(response.next_page_token());
  } while (!request.page_token().empty());
  return keys;
}

namespace {

// The key `name` of `partner`, checked.
absl::StatusOr<EncryptionKey> CheckedKey(RpcClient& rpc, const std::string& name,
                                         const std::string& partner) {
  v1::GetEncryptionKeyRequest request;
  request.set_name(name);
  v1::GetEncryptionKeyResponse response;
  const grpc::Status status = rpc.Call("/mpower.v1.EncryptionKeyService/GetEncryptionKey", request,
                                       &response, /*idempotent=*/true);
  if (!status.ok()) return RpcError(status);
  if (response.encryption_key().name() != name) {
    return LocalError(absl::StrCat("the server answered for ", name, " with another key"));
  }
  if (absl::Status checked = CheckPublishedKey(response.encryption_key(), partner); !checked.ok()) {
    return checked;
  }
  return response.encryption_key();
}

// The key that signed `envelope`, checked: a key of the filing partner,
// pinned here on first sight like any partner's; or a recovery key of the
// secretariat, resealing, which counts only once a person has accepted it
// here (--trust-new-keys): else a server could make up a secretariat and
// sign what it likes, even for readers who pinned the filer long ago.
absl::StatusOr<EncryptionKey> TrustedSigner(RpcClient& rpc, const Args& args,
                                            const v1::Alert& alert,
                                            const v1::SealedEnvelope& envelope) {
  const std::string& name = envelope.signing_key();
  const std::string partner = name.substr(0, name.find("/encryptionKeys/"));
  if (partner == alert.filing_partner()) {
    absl::StatusOr<EncryptionKey> key = CheckedKey(rpc, name, partner);
    if (!key.ok()) return key.status();
    if (absl::Status pinned = CheckPins(args, partner, {*key}); !pinned.ok()) return pinned;
    return key;
  }
  absl::StatusOr<std::vector<std::string>> secretariat = SecretariatPartners(rpc);
  if (!secretariat.ok()) return secretariat.status();
  if (std::find(secretariat->begin(), secretariat->end(), partner) == secretariat->end()) {
    return LocalError(absl::StrCat(alert.name(), ": its sealed details are signed by ", name,
                                   ", neither the filing partner's key nor a recovery key of "
                                   "the secretariat; do not trust them, and tell the "
                                   "secretariat"));
  }
  absl::StatusOr<EncryptionKey> key = CheckedKey(rpc, name, partner);
  if (!key.ok()) return key.status();
  absl::StatusOr<std::string> directory = KeyDirectory(args);
  if (!directory.ok()) return directory.status();
  absl::StatusOr<KeyPins> pins = KeyPins::Load(*directory);
  if (!pins.ok()) return pins.status();
  if (!args.Has("trust-new-keys") &&
      !(pins->IsPinnedSecretariat(partner) && pins->Pinned(name, key->fingerprint()))) {
    return LocalError(absl::StrCat(
        alert.name(), ": its sealed details were sealed again by the secretariat's recovery key ",
        name, " (fingerprint ", key->fingerprint(),
        "), which this machine has not accepted. Compare the fingerprint with the secretariat "
        "(mpower keys fingerprint ",
        name, "), then run again with --trust-new-keys"));
  }
  if (absl::Status pinned = CheckSecretariatPins(args, *secretariat); !pinned.ok()) return pinned;
  if (absl::Status pinned = CheckPins(args, partner, {*key}, /*known_partner=*/true);
      !pinned.ok()) {
    return pinned;
  }
  return key;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> SecretariatPartners(RpcClient& rpc) {
  v1::ListPartnersRequest request;
  request.set_filter("type = TYPE_SECRETARIAT");
  request.set_page_size(1000);
  std::vector<std::string> partners;
  // A secretariat is one partner, or a few: a server that pages on and on
  // is not followed.
  for (int pages = 0;; ++pages) {
    if (pages == 10) return LocalError("the server lists too many secretariat partners");
    v1::ListPartnersResponse response;
    const grpc::Status status =
        rpc.Call("/mpower.v1.PartnerService/ListPartners", request, &response, /*idempotent=*/true);
    if (!status.ok()) return RpcError(status);
    for (const v1::Partner& partner : response.partners()) {
      if (partner.type() == v1::Partner::TYPE_SECRETARIAT) partners.push_back(partner.name());
    }
    if (response.next_page_token().empty()) return partners;
    request.set_page_token(response.next_page_token());
  }
}

namespace {

// Whether this machine holds, or once held, a key of `partner`: without
// one nothing is signed for it, so nothing need be asked or pinned.
absl::StatusOr<bool> MayHoldKeyOf(const std::string& directory, const KeyPins& pins,
                                  const std::string& partner) {
  // Only a partner's name becomes a path: never one the input could aim
  // elsewhere.
  absl::StatusOr<ParsedName> parsed = ParseName(partner, kPartnerName, "partner");
  if (!parsed.ok()) return false;
  std::error_code error;
  return pins.Knows(partner) ||
         std::filesystem::exists(PartnerKeyDirectory(directory, *parsed), error);
}

// The first of `keys` this machine holds both halves of, "" if none.
absl::StatusOr<std::string> HeldKeyAmong(const std::string& directory,
                                         const std::vector<EncryptionKey>& keys) {
  for (const EncryptionKey& key : keys) {
    absl::StatusOr<std::optional<HeldKey>> held = ReadHeldKey(directory, key.name());
    if (!held.ok()) return held.status();
    if (held->has_value() && (*held)->signing_public_key == key.signing_public_key()) {
      return key.name();
    }
  }
  return "";
}

// `partner`'s ACTIVE keys, checked and pinned; none when it has none,
// unless this machine pinned some: keys do not vanish unremarked, since a
// server that hid them would get the details in the clear.
absl::StatusOr<std::vector<EncryptionKey>> KeysToSealTo(RpcClient& rpc, const Args& args,
                                                        const KeyPins& pins,
                                                        const std::string& partner,
                                                        bool known_partner = false) {
  absl::StatusOr<std::vector<EncryptionKey>> keys = CheckedActiveKeys(rpc, partner);
  if (!keys.ok()) return keys.status();
  if (keys->empty()) {
    if (pins.Knows(partner)) {
      return LocalError(absl::StrCat("the server lists no ACTIVE key of ", partner,
                                     ", whose keys this machine pinned; nothing was sent. Ask ",
                                     partner, " whether it retired them"));
    }
    return keys;
  }
  if (absl::Status pinned = CheckPins(args, partner, *keys, known_partner); !pinned.ok()) {
    return pinned;
  }
  return keys;
}

}  // namespace

absl::StatusOr<std::optional<SealingPlan>> PlanSealing(RpcClient& rpc, const Args& args,
                                                       const v1::Alert& alert, Signer signer,
                                                       std::string& why_not) {
  absl::btree_set<std::string> partners(alert.recipient_partners().begin(),
                                        alert.recipient_partners().end());
  partners.insert(alert.filing_partner());
  absl::StatusOr<std::string> directory = KeyDirectory(args);
  if (!directory.ok()) return directory.status();
  absl::StatusOr<KeyPins> pins = KeyPins::Load(*directory);
  if (!pins.ok()) return pins.status();
  const std::string no_signer =
      absl::StrCat("this machine holds no ACTIVE key of ", alert.filing_partner(),
                   " to sign with (mpower keys generate --parent ", alert.filing_partner(), ")");
  // First whether this machine can sign at all: without a key here nothing
  // is sealed, so nothing is asked of the server or pinned.
  absl::StatusOr<bool> holds_signer = MayHoldKeyOf(*directory, *pins, alert.filing_partner());
  if (!holds_signer.ok()) return holds_signer.status();
  if (!*holds_signer && signer == Signer::kFiler) {
    why_not = no_signer;
    return std::nullopt;
  }
  absl::StatusOr<std::vector<std::string>> secretariat = SecretariatPartners(rpc);
  if (!secretariat.ok()) return secretariat.status();
  for (const std::string& partner : *secretariat) {
    if (*holds_signer) break;
    holds_signer = MayHoldKeyOf(*directory, *pins, partner);
    if (!holds_signer.ok()) return holds_signer.status();
  }
  if (!*holds_signer) {
    why_not = absl::StrCat(no_signer, ", nor a recovery key of the secretariat");
    return std::nullopt;
  }
  SealingPlan plan;
  std::vector<EncryptionKey> filer_keys;
  std::vector<EncryptionKey> recovery_keys;
  for (const std::string& partner : partners) {
    absl::StatusOr<std::vector<EncryptionKey>> keys = KeysToSealTo(rpc, args, *pins, partner);
    if (!keys.ok()) return keys.status();
    if (keys->empty()) {
      why_not = absl::StrCat(partner, " has published no ACTIVE key to seal to");
      return std::nullopt;
    }
    if (partner == alert.filing_partner()) filer_keys = *keys;
    plan.recipients.insert(plan.recipients.end(), keys->begin(), keys->end());
  }
  // The secretariat's recovery keys, so that a filer who loses its own
  // does not lose the case. Which partners are the secretariat is pinned
  // too, and once it is, even a secretariat's first key needs a person's
  // yes. A secretariat without keys has set up no recovery.
  const bool secretariat_known = pins->SecretariatSeen();
  if (absl::Status pinned = CheckSecretariatPins(args, *secretariat); !pinned.ok()) {
    return pinned;
  }
  absl::btree_set<std::string> everyone = partners;
  for (const std::string& partner : *secretariat) {
    // Sealed to already, were the server to let it be a recipient.
    if (partners.contains(partner)) continue;
    absl::StatusOr<std::vector<EncryptionKey>> keys =
        KeysToSealTo(rpc, args, *pins, partner, secretariat_known);
    if (!keys.ok()) return keys.status();
    if (keys->empty()) continue;
    everyone.insert(partner);
    recovery_keys.insert(recovery_keys.end(), keys->begin(), keys->end());
    plan.recipients.insert(plan.recipients.end(), keys->begin(), keys->end());
  }
  plan.partners = absl::StrJoin(everyone, ", ");
  absl::StatusOr<std::string> signing_key = HeldKeyAmong(*directory, filer_keys);
  if (signing_key.ok() && signing_key->empty() && signer == Signer::kFilerOrSecretariat) {
    signing_key = HeldKeyAmong(*directory, recovery_keys);
  }
  if (!signing_key.ok()) return signing_key.status();
  if (signing_key->empty()) {
    why_not = signer == Signer::kFilerOrSecretariat
                  ? absl::StrCat(no_signer, ", nor a recovery key of the secretariat")
                  : no_signer;
    return std::nullopt;
  }
  plan.signing_key = *signing_key;
  // For sealing while the server cannot be reached (known_keys.h). A
  // machine that cannot remember them still seals now.
  std::vector<std::string> fetched(partners.begin(), partners.end());
  fetched.insert(fetched.end(), secretariat->begin(), secretariat->end());
  (void)RememberKeys(*directory, fetched, plan.recipients, *secretariat);
  return plan;
}

absl::StatusOr<std::optional<SealingPlan>> PlanSealingFromKnownKeys(const Args& args,
                                                                    const v1::Alert& alert,
                                                                    std::string& why_not) {
  MPOWER_ASSIGN_OR_RETURN(const std::string directory, KeyDirectory(args));
  MPOWER_ASSIGN_OR_RETURN(const KeyPins pins, KeyPins::Load(directory));
  MPOWER_ASSIGN_OR_RETURN(const KnownKeys known, LoadKnownKeys(directory));
  absl::btree_set<std::string> partners(alert.recipient_partners().begin(),
                                        alert.recipient_partners().end());
  partners.insert(alert.filing_partner());
  if (!known.secretariat.has_value()) {
    why_not = "this machine has never fetched the secretariat's recovery keys";
    return std::nullopt;
  }
  absl::btree_set<std::string> everyone = partners;
  for (const std::string& partner : *known.secretariat) {
    if (known.by_partner.count(partner) != 0 && !known.by_partner.at(partner).empty()) {
      everyone.insert(partner);
    }
  }
  SealingPlan plan;
  std::vector<EncryptionKey> filer_keys;
  for (const std::string& partner : everyone) {
    const auto found = known.by_partner.find(partner);
    if (found == known.by_partner.end() || found->second.empty()) {
      why_not = absl::StrCat("this machine knows no key of ", partner,
                             " (it seals to a partner's keys once it has fetched them online)");
      return std::nullopt;
    }
    for (const EncryptionKey& key : found->second) {
      // Remembered only once pinned; and a pin changed since is obeyed.
      if (!pins.Pinned(key.name(), key.fingerprint())) {
        why_not = absl::StrCat(key.name(), " is no longer pinned here");
        return std::nullopt;
      }
    }
    if (partner == alert.filing_partner()) filer_keys = found->second;
    plan.recipients.insert(plan.recipients.end(), found->second.begin(), found->second.end());
  }
  plan.partners = absl::StrJoin(everyone, ", ");
  MPOWER_ASSIGN_OR_RETURN(plan.signing_key, HeldKeyAmong(directory, filer_keys));
  if (plan.signing_key.empty()) {
    why_not = absl::StrCat("this machine holds no ACTIVE key of ", alert.filing_partner(),
                           " to sign with");
    return std::nullopt;
  }
  return plan;
}

absl::StatusOr<bool> SealedToEveryKeyEntitledNow(RpcClient& rpc, const Args& args,
                                                 const v1::Alert& alert) {
  std::string why_not;
  MPOWER_ASSIGN_OR_RETURN(std::optional<SealingPlan> plan,
                          PlanSealing(rpc, args, alert, Signer::kFiler, why_not));
  // No plan now (this machine's key retired since, say): the envelope is
  // not sent as it is, unchecked.
  if (!plan.has_value()) {
    return absl::FailedPreconditionError(
        absl::StrCat("its details cannot be sealed here now: ", why_not));
  }
  absl::btree_set<std::string> now;
  for (const EncryptionKey& key : plan->recipients) now.insert(key.name());
  const auto& sealed_to = alert.protected_details().sealed().recipient_keys();
  return now == absl::btree_set<std::string>(sealed_to.begin(), sealed_to.end());
}

absl::StatusOr<v1::SealedEnvelope> SealDetails(const Args& args, const SealingPlan& plan,
                                               const std::string& alert_name,
                                               const v1::AlertProtectedDetails& details) {
  absl::StatusOr<std::string> directory = KeyDirectory(args);
  if (!directory.ok()) return directory.status();
  absl::StatusOr<std::optional<HeldKey>> signer = ReadHeldKey(*directory, plan.signing_key);
  if (!signer.ok()) return signer.status();
  if (!signer->has_value()) return LocalError(absl::StrCat(plan.signing_key, " is not held here"));
  if (absl::Status unlocked = UnlockHeldKey(args, **signer); !unlocked.ok()) return unlocked;
  std::vector<EnvelopeRecipient> recipients;
  for (const EncryptionKey& key : plan.recipients) {
    recipients.push_back({key.name(), key.sealing_public_key()});
  }
  std::string serialized = details.SerializeAsString();
  absl::StatusOr<v1::SealedEnvelope> envelope =
      SealEnvelope(alert_name, serialized, recipients,
                   EnvelopeSigner{plan.signing_key, (*signer)->signing_secret_key});
  Wipe(serialized);
  if (!envelope.ok()) return LocalError(envelope.status().message());
  return envelope;
}

absl::StatusOr<std::string> OpenDetails(RpcClient& rpc, const Args& args, v1::Alert& alert) {
  if (!alert.protected_details().has_sealed()) return "";
  const v1::SealedEnvelope& envelope = alert.protected_details().sealed();
  if (!CheckEnvelopeShape(envelope, "sealed", /*wraps_may_be_partial=*/true).empty()) {
    return LocalError(absl::StrCat(alert.name(),
                                   ": its sealed details are malformed; do not "
                                   "trust them, and tell the secretariat"));
  }
  absl::StatusOr<std::string> directory = KeyDirectory(args);
  if (!directory.ok()) return directory.status();
  for (const v1::KeyWrap& wrap : envelope.wraps()) {
    absl::StatusOr<std::optional<HeldKey>> held = ReadHeldKey(*directory, wrap.key());
    if (!held.ok()) return held.status();
    if (!held->has_value()) continue;
    // Only a signature by the filing partner's own key counts, or by a
    // recovery key of the secretariat's, which reseals for a filer who
    // lost its key.
    absl::StatusOr<EncryptionKey> signer = TrustedSigner(rpc, args, alert, envelope);
    if (!signer.ok()) return signer.status();
    if (absl::Status unlocked = UnlockHeldKey(args, **held); !unlocked.ok()) return unlocked;
    absl::StatusOr<std::string> opened = OpenEnvelope(
        alert.name(), envelope, signer->signing_public_key(),
        EnvelopeOpener{wrap.key(), (*held)->sealing_public_key, (*held)->sealing_secret_key});
    if (!opened.ok()) {
      return LocalError(absl::StrCat(
          alert.name(), ": its sealed details do not open: ", opened.status().message(),
          ". Do not trust them; tell the secretariat"));
    }
    v1::AlertProtectedDetails details;
    const bool parsed = details.ParseFromString(*opened) && !details.has_sealed();
    Wipe(*opened);
    if (!parsed) {
      return LocalError(absl::StrCat(alert.name(), ": its sealed details are not details"));
    }
    *alert.mutable_protected_details() = std::move(details);
    return absl::StrCat("sealed by ", envelope.signing_key(), "; opened here with ", wrap.key());
  }
  return absl::StrCat("sealed; no key on this machine opens them (",
                      absl::StrJoin(envelope.recipient_keys(), ", "), ")");
}

namespace {

// Whether `mask` sets `field` (an empty mask or "*" sets every field).
bool MaskSets(const google::protobuf::FieldMask& mask, absl::string_view field) {
  if (mask.paths().empty()) return true;
  return std::any_of(mask.paths().begin(), mask.paths().end(), [&](const std::string& path) {
    return path == "*" || path == field || absl::StartsWith(path, absl::StrCat(field, "."));
  });
}

}  // namespace

bool HasClearDetails(const v1::Alert& alert) {
  return alert.has_protected_details() && !alert.protected_details().has_sealed() &&
         alert.protected_details().ByteSizeLong() > 0;
}

// The alert's details in `patch`, sealed, when the mask gives them in the
// clear: to the filer and the recipients the alert will have. Details the
// mask does not set never leave this machine.
absl::Status SealUpdatedAlertDetails(RpcClient& rpc, const Args& args, v1::Alert& patch,
                                     const google::protobuf::FieldMask& mask) {
  if (!HasClearDetails(patch)) return absl::OkStatus();
  if (!MaskSets(mask, "protected_details")) {
    patch.clear_protected_details();
    return absl::OkStatus();
  }
  v1::GetAlertRequest get;
  get.set_name(patch.name());
  v1::GetAlertResponse current;
  const grpc::Status status =
      rpc.Call("/mpower.v1.AlertService/GetAlert", get, &current, /*idempotent=*/true);
  if (!status.ok()) return RpcError(status);
  if (current.alert().name() != patch.name()) {
    return LocalError(absl::StrCat("the server answered for ", patch.name(),
                                   " with another alert; nothing was sent"));
  }
  v1::Alert next = current.alert();
  if (MaskSets(mask, "recipient_partners")) {
    *next.mutable_recipient_partners() = patch.recipient_partners();
  }
  std::string why_not;
  MPOWER_ASSIGN_OR_RETURN(std::optional<SealingPlan> plan,
                          PlanSealing(rpc, args, next, Signer::kFiler, why_not));
  if (!plan.has_value()) {
    if (current.alert().protected_details().has_sealed()) {
      // Sealed details are replaced only by sealed ones: the server
      // refuses the downgrade too, but would have read them first.
      return LocalError(absl::StrCat(
          patch.name(), "'s details are sealed, and new ones cannot be sealed here: ", why_not,
          "; nothing was sent"));
    }
    std::cerr << "mpower: protected details sent unsealed, readable by the server: " << why_not
              << "\n";
    return absl::OkStatus();
  }
  MPOWER_ASSIGN_OR_RETURN(v1::SealedEnvelope envelope,
                          SealDetails(args, *plan, patch.name(), patch.protected_details()));
  // Only the envelope leaves: every other field of the details is in it.
  v1::AlertProtectedDetails sealed_only;
  *sealed_only.mutable_sealed() = std::move(envelope);
  *patch.mutable_protected_details() = std::move(sealed_only);
  std::cerr << "protected details sealed here to " << plan->recipients.size() << " keys of "
            << plan->partners << "; the server cannot read them\n";
  return absl::OkStatus();
}

}  // namespace mpower::cli
