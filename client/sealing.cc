#include "client/sealing.h"

#include <sodium.h>

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
#include "common/public_keys.h"
#include "common/sealed_envelope.h"
#include "mpower/v1/encryption_key.pb.h"

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
                       const std::vector<EncryptionKey>& keys) {
  absl::StatusOr<std::string> directory = KeyDirectory(args);
  if (!directory.ok()) return directory.status();
  absl::StatusOr<KeyPins> pins = KeyPins::Load(*directory);
  if (!pins.ok()) return pins.status();
  std::string note;
  absl::Status checked = pins->Check(partner, keys, args.Has("trust-new-keys"), note);
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

}  // namespace

absl::StatusOr<std::optional<SealingPlan>> PlanSealing(RpcClient& rpc, const Args& args,
                                                       const v1::Alert& alert,
                                                       std::string& why_not) {
  absl::btree_set<std::string> partners(alert.recipient_partners().begin(),
                                        alert.recipient_partners().end());
  partners.insert(alert.filing_partner());
  SealingPlan plan;
  plan.partners = absl::StrJoin(partners, ", ");
  // First whether this machine can sign at all: without a key of the filer
  // here nothing is sealed, so nothing is asked of the server or pinned.
  absl::StatusOr<std::string> key_directory = KeyDirectory(args);
  if (!key_directory.ok()) return key_directory.status();
  bool holds_filer_key = false;
  {
    absl::StatusOr<KeyPins> pins = KeyPins::Load(*key_directory);
    if (!pins.ok()) return pins.status();
    // Only a partner's name becomes a path: never one the input could aim
    // elsewhere.
    absl::StatusOr<ParsedName> filer =
        ParseName(alert.filing_partner(), kPartnerName, "alert.filing_partner");
    std::error_code error;
    holds_filer_key =
        filer.ok() && (pins->Knows(alert.filing_partner()) ||
                       std::filesystem::exists(PartnerKeyDirectory(*key_directory, *filer), error));
  }
  if (!holds_filer_key) {
    why_not =
        absl::StrCat("this machine holds no ACTIVE key of ", alert.filing_partner(),
                     " to sign with (mpower keys generate --parent ", alert.filing_partner(), ")");
    return std::nullopt;
  }
  for (const std::string& partner : partners) {
    absl::StatusOr<std::vector<EncryptionKey>> keys = CheckedActiveKeys(rpc, partner);
    if (!keys.ok()) return keys.status();
    if (keys->empty()) {
      absl::StatusOr<std::string> directory = KeyDirectory(args);
      if (!directory.ok()) return directory.status();
      absl::StatusOr<KeyPins> pins = KeyPins::Load(*directory);
      if (!pins.ok()) return pins.status();
      if (pins->Knows(partner)) {
        // Keys this machine pinned do not vanish unremarked: a server that
        // hid them would get the details in the clear.
        return LocalError(absl::StrCat(
            "the server lists no ACTIVE key of ", partner, ", whose keys this machine pinned; ",
            "nothing was sent. Ask ", partner, " whether it retired them"));
      }
      why_not = absl::StrCat(partner, " has published no ACTIVE key to seal to");
      return std::nullopt;
    }
    if (absl::Status pinned = CheckPins(args, partner, *keys); !pinned.ok()) return pinned;
    plan.recipients.insert(plan.recipients.end(), keys->begin(), keys->end());
  }
  absl::StatusOr<std::string> directory = KeyDirectory(args);
  if (!directory.ok()) return directory.status();
  for (const EncryptionKey& key : plan.recipients) {
    if (!absl::StartsWith(key.name(), absl::StrCat(alert.filing_partner(), "/"))) continue;
    absl::StatusOr<std::optional<HeldKey>> held = ReadHeldKey(*directory, key.name());
    if (!held.ok()) return held.status();
    if (held->has_value() && (*held)->signing_public_key == key.signing_public_key()) {
      plan.signing_key = key.name();
      break;
    }
  }
  if (plan.signing_key.empty()) {
    why_not =
        absl::StrCat("this machine holds no ACTIVE key of ", alert.filing_partner(),
                     " to sign with (mpower keys generate --parent ", alert.filing_partner(), ")");
    return std::nullopt;
  }
  return plan;
}

absl::StatusOr<v1::SealedEnvelope> SealDetails(const Args& args, const SealingPlan& plan,
                                               const std::string& alert_name,
                                               const v1::AlertProtectedDetails& details) {
  absl::StatusOr<std::string> directory = KeyDirectory(args);
  if (!directory.ok()) return directory.status();
  absl::StatusOr<std::optional<HeldKey>> signer = ReadHeldKey(*directory, plan.signing_key);
  if (!signer.ok()) return signer.status();
  if (!signer->has_value()) return LocalError(absl::StrCat(plan.signing_key, " is not held here"));
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
    // Only a signature by the filing partner's own key counts.
    absl::StatusOr<EncryptionKey> signer =
        CheckedKey(rpc, envelope.signing_key(), alert.filing_partner());
    if (!signer.ok()) return signer.status();
    if (absl::Status pinned = CheckPins(args, alert.filing_partner(), {*signer}); !pinned.ok()) {
      return pinned;
    }
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

}  // namespace mpower::cli
