#include "client/reseal_commands.h"

#include <algorithm>
#include <iostream>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/command_status.h"
#include "client/render.h"
#include "client/resources.h"
#include "client/sealing.h"
#include "mpower/v1/alert.pb.h"
#include "server/core/names.h"

namespace mpower::cli {
namespace {

absl::StatusOr<v1::Alert> ReadAlert(RpcClient& rpc, const std::string& name) {
  v1::GetAlertRequest request;
  request.set_name(name);
  v1::GetAlertResponse response;
  const grpc::Status status =
      rpc.Call("/mpower.v1.AlertService/GetAlert", request, &response, /*idempotent=*/true);
  if (!status.ok()) return RpcError(status);
  // A sealed envelope binds the name it was sealed for: only the alert
  // asked for is opened and sealed again.
  if (response.alert().name() != name) {
    return LocalError(absl::StrCat("the server answered for ", name, " with another alert"));
  }
  return response.alert();
}

void PrintAlert(const v1::Alert& alert, const std::string& output) {
  if (output == "json") {
    std::cout << ToJson(alert);
  } else {
    PrintTable(*FindResource("alerts"), {&alert}, std::cout);
  }
}

// Sends `patch` with `mask`, says `done` on stderr, and prints the alert
// as it now is, opened if it can be (a failure to open it here is a
// warning: the update is made).
absl::Status SendUpdate(RpcClient& rpc, const Args& args, const std::string& output,
                        const v1::Alert& patch, const std::vector<std::string>& mask,
                        const std::string& done) {
  v1::UpdateAlertRequest request;
  *request.mutable_alert() = patch;
  for (const std::string& path : mask) request.mutable_update_mask()->add_paths(path);
  v1::UpdateAlertResponse response;
  const grpc::Status status =
      rpc.Call("/mpower.v1.AlertService/UpdateAlert", request, &response, /*idempotent=*/false);
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE ||
      status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    // The answer was lost, not necessarily the write.
    return LocalError(absl::StrCat("whether ", patch.name(), " changed is unknown (",
                                   status.error_message(), "); see with mpower alerts get ",
                                   patch.name(), " before trying again"));
  }
  if (!status.ok()) return RpcError(status);
  std::cerr << done << "\n";
  v1::Alert& updated = *response.mutable_alert();
  if (absl::StatusOr<std::string> note = OpenDetails(rpc, args, updated); !note.ok()) {
    std::cerr << "mpower: " << note.status().message() << "\n";
  }
  PrintAlert(updated, output);
  return absl::OkStatus();
}

// Whether `plan` seals to exactly the keys `envelope` is sealed to.
bool SealsToTheSameKeys(const SealingPlan& plan, const v1::SealedEnvelope& envelope) {
  std::vector<std::string> planned;
  for (const v1::EncryptionKey& key : plan.recipients) planned.push_back(key.name());
  std::sort(planned.begin(), planned.end());
  return std::equal(planned.begin(), planned.end(), envelope.recipient_keys().begin(),
                    envelope.recipient_keys().end());
}

// What sealing an alert's details again takes: the details, opened here,
// and the plan for `next` (the alert as it will be: its recipients).
struct Reseal {
  v1::AlertProtectedDetails details;
  SealingPlan plan;
};

absl::StatusOr<Reseal> PlanReseal(RpcClient& rpc, const Args& args, const v1::Alert& alert,
                                  const v1::Alert& next, Signer signer) {
  v1::Alert opened = alert;
  if (absl::StatusOr<std::string> note = OpenDetails(rpc, args, opened); !note.ok()) {
    return note.status();
  }
  if (opened.protected_details().has_sealed()) {
    return LocalError(absl::StrCat(
        "no key on this machine opens ", alert.name(), "'s details, so they cannot be sealed ",
        "again here; run this where a key of the filing partner",
        signer == Signer::kFilerOrSecretariat ? " or a recovery key of the secretariat" : "",
        " is held (--key-dir). Nothing was changed"));
  }
  std::string why_not;
  absl::StatusOr<std::optional<SealingPlan>> planned =
      PlanSealing(rpc, args, next, signer, why_not);
  if (!planned.ok()) return planned.status();
  if (!planned->has_value()) {
    return LocalError(absl::StrCat(alert.name(), "'s details cannot be sealed again: ", why_not,
                                   ". Nothing was changed"));
  }
  return Reseal{opened.protected_details(), **std::move(planned)};
}

// The envelope for `reseal`, in `patch`.
absl::Status SealInto(const Args& args, const Reseal& reseal, v1::Alert& patch) {
  absl::StatusOr<v1::SealedEnvelope> envelope =
      SealDetails(args, reseal.plan, patch.name(), reseal.details);
  if (!envelope.ok()) return envelope.status();
  *patch.mutable_protected_details()->mutable_sealed() = *std::move(envelope);
  return absl::OkStatus();
}

absl::StatusOr<std::string> RequiredAlertName(const Args& args, const char* verb) {
  if (args.positional.size() < 3) {
    return UsageError(absl::StrCat("give the alert's name: mpower alerts ", verb, " alerts/ID"));
  }
  return args.positional[2];
}

}  // namespace

absl::Status RunAlertsShare(RpcClient& rpc, const Args& args, const std::string& output,
                            absl::Duration) {
  absl::StatusOr<std::string> name = RequiredAlertName(args, "share");
  if (!name.ok()) return name.status();
  const std::string partner = args.Get("partner");
  if (!ParseName(partner, kPartnerName, "--partner").ok()) {
    return UsageError("--partner partners/P is required: the partner to share with");
  }
  absl::StatusOr<v1::Alert> alert = ReadAlert(rpc, *name);
  if (!alert.ok()) return alert.status();
  const auto& recipients = alert->recipient_partners();
  if (std::find(recipients.begin(), recipients.end(), partner) != recipients.end()) {
    return LocalError(absl::StrCat(partner, " is already a recipient of ", *name,
                                   "; if it cannot open the details, run mpower alerts reseal ",
                                   *name));
  }
  v1::Alert next = *alert;
  next.add_recipient_partners(partner);
  v1::Alert patch;
  patch.set_name(*name);
  patch.set_etag(args.Get("etag", alert->etag()));
  *patch.mutable_recipient_partners() = next.recipient_partners();
  std::vector<std::string> mask = {"recipient_partners"};
  std::string done = absl::StrCat(*name, " shared with ", partner);
  if (alert->protected_details().has_sealed()) {
    // In the same update: the new recipient is never left with details it
    // cannot open. Only the filer shares its alert.
    absl::StatusOr<Reseal> reseal = PlanReseal(rpc, args, *alert, next, Signer::kFiler);
    if (!reseal.ok()) return reseal.status();
    if (absl::Status sealed = SealInto(args, *reseal, patch); !sealed.ok()) return sealed;
    mask.push_back("protected_details");
    absl::StrAppend(&done, "; its details sealed again here to ", reseal->plan.recipients.size(),
                    " keys of ", reseal->plan.partners);
  }
  return SendUpdate(rpc, args, output, patch, mask, done);
}

absl::Status RunAlertsReseal(RpcClient& rpc, const Args& args, const std::string& output,
                             absl::Duration) {
  absl::StatusOr<std::string> name = RequiredAlertName(args, "reseal");
  if (!name.ok()) return name.status();
  absl::StatusOr<v1::Alert> alert = ReadAlert(rpc, *name);
  if (!alert.ok()) return alert.status();
  if (!alert->protected_details().has_sealed()) {
    return LocalError(absl::StrCat(*name,
                                   " has no sealed details here to seal again (unsealed, purged, "
                                   "or none you may read); nothing was changed"));
  }
  absl::StatusOr<Reseal> reseal =
      PlanReseal(rpc, args, *alert, *alert, Signer::kFilerOrSecretariat);
  if (!reseal.ok()) return reseal.status();
  if (SealsToTheSameKeys(reseal->plan, alert->protected_details().sealed())) {
    // As `kubectl apply` says "unchanged": nothing to send.
    std::cerr << *name << " is already sealed to every ACTIVE key of " << reseal->plan.partners
              << "; nothing was changed\n";
    return absl::OkStatus();
  }
  v1::Alert patch;
  patch.set_name(*name);
  patch.set_etag(args.Get("etag", alert->etag()));
  if (absl::Status sealed = SealInto(args, *reseal, patch); !sealed.ok()) return sealed;
  return SendUpdate(
      rpc, args, output, patch, {"protected_details"},
      absl::StrCat(*name, ": details sealed again here to ", reseal->plan.recipients.size(),
                   " keys of ", reseal->plan.partners, ", signed with ", reseal->plan.signing_key));
}

std::string AlertsShareHelp() {
  return "mpower alerts share NAME --partner partners/P [--etag E] [--key-dir DIR]\n\n"
         "Adds a recipient partner to an alert you filed. If its protected details are\n"
         "sealed, opens them here and seals them again, under a new data key, to the keys\n"
         "of the filer, every recipient (the new one too) and the secretariat's recovery\n"
         "keys, in the same update: the server cannot, since it never holds them. The new\n"
         "partner must have published a key (mpower keys generate).\n\n"
         "Example:\n"
         "  mpower alerts share alerts/example-detention-west-kalimantan --partner "
         "partners/ilo\n";
}

std::string AlertsResealHelp() {
  return "mpower alerts reseal NAME [--etag E] [--key-dir DIR]\n\n"
         "Opens an alert's sealed details here and seals them again, under a new data key,\n"
         "to the ACTIVE keys of every partner entitled to them now: after a partner\n"
         "published a new key, or for a recipient added without them. Signed with a key of\n"
         "the filing partner held here; or, for a filer that lost its own and published a\n"
         "new one, with the secretariat's recovery key (--key-dir where it is kept, and\n"
         "--trust-new-keys once the new key's fingerprint is checked with the filer). Says\n"
         "so, and changes nothing, when the details are sealed to every ACTIVE key already.\n\n"
         "Example:\n"
         "  mpower alerts reseal alerts/example-detention-west-kalimantan\n";
}

}  // namespace mpower::cli
