#ifndef MPOWER_CLIENT_SEALING_H_
#define MPOWER_CLIENT_SEALING_H_

// End-to-end sealing in the CLI (docs/sealed-envelope.md): protected
// details are sealed here, before they leave this machine, to the keys of
// the partners entitled to them, and opened here with the private keys in
// the key directory (key_directory.h). The server never sees them.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/args.h"
#include "client/rpc.h"
#include "google/protobuf/field_mask.pb.h"
#include "mpower/v1/alert.pb.h"
#include "mpower/v1/encryption_key.pb.h"

namespace mpower::cli {

// What sealing an alert's details takes: the keys to seal to, and a key
// this machine holds to sign with.
struct SealingPlan {
  // Every ACTIVE key of the filing and recipient partners and of the
  // secretariat (its recovery keys), each checked here: its proof of
  // possession, and its fingerprint worked out anew.
  std::vector<v1::EncryptionKey> recipients;
  std::string signing_key;  // a key this machine holds: the filer's, or a recovery key
  std::string partners;     // "partners/a, partners/b", for people
};

// Who may sign what this machine seals.
enum class Signer {
  kFiler,  // a key of the filing partner: filing and updating
  // Or, failing one, a recovery key of the secretariat: resealing the
  // details of a filer who lost its key.
  kFilerOrSecretariat,
};

// The partners of TYPE_SECRETARIAT, whose ACTIVE keys are the recovery keys
// every sealed alert is sealed to too.
absl::StatusOr<std::vector<std::string>> SecretariatPartners(RpcClient& rpc);

// The plan for details of an alert filed by `alert.filing_partner()` for
// `alert.recipient_partners()`; nullopt, with `why_not` saying why, when
// they cannot be sealed: a filing or recipient partner has no ACTIVE key,
// or this machine holds no key `signer` allows. An error if a key the
// server gives fails its checks: then nothing may be sealed to it.
absl::StatusOr<std::optional<SealingPlan>> PlanSealing(RpcClient& rpc, const Args& args,
                                                       const v1::Alert& alert, Signer signer,
                                                       std::string& why_not);

// As PlanSealing, from the keys this machine last fetched and still pins
// (known_keys.h), asking the server nothing: for details queued while it
// cannot be reached. nullopt, with `why_not`, when one of the partners'
// keys (or the secretariat's) is not known here.
absl::StatusOr<std::optional<SealingPlan>> PlanSealingFromKnownKeys(const Args& args,
                                                                    const v1::Alert& alert,
                                                                    std::string& why_not);

// Whether `alert`'s sealed details are sealed to exactly the keys
// PlanSealing would seal to now. FAILED_PRECONDITION, saying why, when no
// plan can be made here now.
absl::StatusOr<bool> SealedToEveryKeyEntitledNow(RpcClient& rpc, const Args& args,
                                                 const v1::Alert& alert);

// `partner`'s ACTIVE keys as the server gives them, each checked: its
// proof of possession verifies for `partner` and its fingerprint is what
// its keys give here. An error names a key that fails.
absl::StatusOr<std::vector<v1::EncryptionKey>> CheckedActiveKeys(RpcClient& rpc,
                                                                 const std::string& partner);

// Seals `details` for the alert `alert_name` as `plan` says.
absl::StatusOr<v1::SealedEnvelope> SealDetails(const Args& args, const SealingPlan& plan,
                                               const std::string& alert_name,
                                               const v1::AlertProtectedDetails& details);

// Whether `alert` carries details in the clear, to be sealed before sending.
bool HasClearDetails(const v1::Alert& alert);

// The details in the update `patch`, sealed when `mask` gives them in the
// clear: to the filer and the recipients the alert will have (read from the
// server now). Details the mask does not set are dropped: they never leave
// this machine. When they cannot be sealed, says why on stderr and leaves
// them in the clear, unless the alert's are sealed already: then an error.
absl::Status SealUpdatedAlertDetails(RpcClient& rpc, const Args& args, v1::Alert& patch,
                                     const google::protobuf::FieldMask& mask);

// Opens `alert`'s sealed details in place, when this machine holds a key
// the envelope is sealed to, after checking that the filing partner (or
// the secretariat, resealing) signed it. Returns what to tell the reader:
// "" when the details were not sealed, else where they were opened, or
// why not (then the envelope stays).
absl::StatusOr<std::string> OpenDetails(RpcClient& rpc, const Args& args, v1::Alert& alert);

}  // namespace mpower::cli

#endif  // MPOWER_CLIENT_SEALING_H_
