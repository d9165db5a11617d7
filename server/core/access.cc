#include "server/core/access.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace mpower {
namespace {

using Role = Principal::Role;

bool ActsForPartner(const Principal& principal) {
  return principal.role == Role::kPartnerViewer || principal.role == Role::kPartnerEditor;
}

bool IsRecipient(const Principal& principal, const v1::Alert& alert) {
  return std::find(alert.recipient_partners().begin(), alert.recipient_partners().end(),
                   principal.partner) != alert.recipient_partners().end();
}

bool IsFilerOrRecipient(const Principal& principal, const v1::Alert& alert) {
  return ActsForPartner(principal) && !principal.partner.empty() &&
         (principal.partner == alert.filing_partner() || IsRecipient(principal, alert));
}

absl::Status Unauthenticated() {
  return absl::UnauthenticatedError(
      "this call needs credentials: send `authorization: Bearer <token>` (mpower --token, "
      "MPOWER_TOKEN or the config file); the secretariat issues tokens");
}

}  // namespace

bool IsAdmin(const Principal& principal) { return principal.role == Role::kAdmin; }

absl::Status RequireReader(const Principal& principal) {
  if (principal.role == Role::kAnonymous) return Unauthenticated();
  return absl::OkStatus();
}

absl::Status RequireCredentials(const Principal& principal) {
  if (principal.role == Role::kAnonymous || principal.role == Role::kPublicReader) {
    return Unauthenticated();
  }
  return absl::OkStatus();
}

absl::Status RequireEditorOf(const Principal& principal, absl::string_view partner,
                             absl::string_view what) {
  if (absl::Status status = RequireCredentials(principal); !status.ok()) return status;
  if (IsAdmin(principal)) return absl::OkStatus();
  if (principal.role == Role::kPartnerEditor && principal.partner == partner) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(
      absl::StrCat(what, " may be changed only by ", partner.empty() ? "the secretariat" : partner,
                   partner.empty() ? "" : "'s editors or the secretariat", "; you act as ",
                   principal.partner.empty() ? principal.id : principal.partner,
                   principal.role == Role::kPartnerViewer ? " with read-only access" : ""));
}

absl::Status RequireAdmin(const Principal& principal, absl::string_view what) {
  return RequireEditorOf(principal, "", what);
}

bool CanReadAlert(const Principal& reader, const v1::Alert& alert) {
  switch (reader.role) {
    case Role::kAdmin:
      return true;
    case Role::kPartnerViewer:
    case Role::kPartnerEditor:
      return alert.scope() != v1::Alert::SCOPE_RESTRICTED || IsFilerOrRecipient(reader, alert);
    case Role::kPublicReader:
      return alert.scope() == v1::Alert::SCOPE_PUBLIC;
    case Role::kAnonymous:
      return false;
  }
  return false;
}

bool MaySeeProtectedDetails(const Principal& reader, const v1::Alert& alert) {
  if (reader.withhold_protected_details) return false;
  return IsAdmin(reader) || IsFilerOrRecipient(reader, alert);
}

void RedactForReader(const Principal& reader, v1::Alert& alert) {
  if (!MaySeeProtectedDetails(reader, alert)) {
    alert.clear_protected_details();
    return;
  }
  if (!alert.protected_details().has_sealed()) return;
  // Sealed details: only the wraps of the reader's own partner's keys, and
  // no envelope at all without one. The secretariat keeps every wrap: its
  // recovery keys are among them, held offline, and a wrap opens only
  // with the private half of the key it is sealed to.
  if (IsAdmin(reader)) return;
  v1::SealedEnvelope& envelope = *alert.mutable_protected_details()->mutable_sealed();
  const std::string own_keys = absl::StrCat(reader.partner, "/encryptionKeys/");
  auto& wraps = *envelope.mutable_wraps();
  wraps.erase(std::remove_if(wraps.begin(), wraps.end(),
                             [&](const v1::KeyWrap& wrap) {
                               return reader.partner.empty() ||
                                      !absl::StartsWith(wrap.key(), own_keys);
                             }),
              wraps.end());
  if (wraps.empty()) alert.clear_protected_details();
}

}  // namespace mpower
