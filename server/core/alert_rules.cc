#include "server/core/alert_rules.h"

#include <algorithm>
#include <functional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/sealed_envelope.h"
#include "server/base/status_macros.h"
#include "server/core/partner_rules.h"
#include "server/core/reference_checks.h"
#include "server/core/resource_codec.h"
#include "server/core/sealed_details.h"
#include "server/core/value_checks.h"

namespace mpower {
namespace {

using v1::Alert;
using v1::AlertProtectedDetails;

void CheckTextList(FieldViolations& violations, absl::string_view field,
                   const google::protobuf::RepeatedPtrField<std::string>& values, size_t max_items,
                   size_t max_chars) {
  if (static_cast<size_t>(values.size()) > max_items) {
    violations.Add(field, absl::StrCat("too many; at most ", max_items));
    return;
  }
  for (int i = 0; i < values.size(); ++i) {
    CheckText(violations, absl::StrCat(field, "[", i, "]"), values[i], max_chars,
              Presence::kRequired);
  }
}

// Messages name fields only; they never quote what the fields hold.
void ValidateProtectedDetails(const AlertProtectedDetails& details, FieldViolations& violations) {
  constexpr absl::string_view kField = "alert.protected_details";
  if (details.people_size() > 50) {
    violations.Add(absl::StrCat(kField, ".people"), "too many; at most 50");
  }
  for (int i = 0; i < details.people_size() && i < 50; ++i) {
    const auto& person = details.people(i);
    const std::string field = absl::StrCat(kField, ".people[", i, "]");
    CheckText(violations, field + ".full_name", person.full_name(), 200, Presence::kRequired);
    CheckText(violations, field + ".role", person.role(), 200, Presence::kOptional);
    CheckText(violations, field + ".organization", person.organization(), 200, Presence::kOptional);
  }
  CheckTextList(violations, absl::StrCat(kField, ".contact_channels"), details.contact_channels(),
                20, 200);
  CheckText(violations, absl::StrCat(kField, ".exact_location"), details.exact_location(), 500,
            Presence::kOptional);
  CheckText(violations, absl::StrCat(kField, ".narrative"), details.narrative(), 20000,
            Presence::kOptional);
  CheckTextList(violations, absl::StrCat(kField, ".evidence_references"),
                details.evidence_references(), 50, 2000);
}

}  // namespace

const std::vector<std::string>& ResourceTraits<Alert>::MutableFields() {
  static const std::vector<std::string> kFields = {"category",
                                                   "severity",
                                                   "urgency",
                                                   "certainty",
                                                   "country_code",
                                                   "area",
                                                   "headline",
                                                   "summary",
                                                   "status",
                                                   "scope",
                                                   "recipient_partners",
                                                   "occur_time",
                                                   "expire_time",
                                                   "related_initiatives",
                                                   "related_commitments",
                                                   "protected_details"};
  return kFields;
}

const std::vector<std::string>& ResourceTraits<Alert>::CreateOnlyFields() {
  static const std::vector<std::string> kFields = {"filing_partner"};
  return kFields;
}

const std::vector<std::string>& ResourceTraits<Alert>::FilterableFields() {
  static const std::vector<std::string> kFields = {"filing_partner",
                                                   "category",
                                                   "severity",
                                                   "urgency",
                                                   "certainty",
                                                   "country_code",
                                                   "status",
                                                   "scope",
                                                   "recipient_partners",
                                                   "related_initiatives",
                                                   "related_commitments",
                                                   "create_time",
                                                   "occur_time",
                                                   "escalated"};
  return kFields;
}

void ResourceTraits<Alert>::ApplyDefaults(Alert& alert) {
  if (alert.status() == Alert::STATUS_UNSPECIFIED) alert.set_status(Alert::STATUS_OPEN);
  if (alert.scope() == Alert::SCOPE_UNSPECIFIED) alert.set_scope(Alert::SCOPE_PARTNERS);
}

void ResourceTraits<Alert>::Validate(const Alert& alert, FieldViolations& violations) {
  if (alert.filing_partner().empty()) {
    violations.Add("alert.filing_partner", "required; give partners/{partner}");
  }
  CheckNameFormat(violations, "alert.filing_partner", alert.filing_partner(), kPartnerName);
  CheckEnum(violations, "alert.category", alert.category(), Alert::Category_descriptor(),
            Presence::kRequired);
  CheckEnum(violations, "alert.severity", alert.severity(), Alert::Severity_descriptor(),
            Presence::kRequired);
  CheckEnum(violations, "alert.urgency", alert.urgency(), Alert::Urgency_descriptor(),
            Presence::kRequired);
  CheckEnum(violations, "alert.certainty", alert.certainty(), Alert::Certainty_descriptor(),
            Presence::kRequired);
  CheckCountryCode(violations, "alert.country_code", alert.country_code(), Presence::kRequired);
  CheckText(violations, "alert.area", alert.area(), 100, Presence::kOptional);
  CheckText(violations, "alert.headline", alert.headline(), 200, Presence::kRequired);
  CheckText(violations, "alert.summary", alert.summary(), 4000, Presence::kOptional);
  CheckEnum(violations, "alert.status", alert.status(), Alert::Status_descriptor(),
            Presence::kOptional);
  CheckEnum(violations, "alert.scope", alert.scope(), Alert::Scope_descriptor(),
            Presence::kOptional);
  CheckNameList(violations, "alert.recipient_partners", alert.recipient_partners(), kPartnerName,
                50);
  if (alert.scope() == Alert::SCOPE_RESTRICTED && alert.recipient_partners().empty()) {
    violations.Add("alert.recipient_partners",
                   "required for SCOPE_RESTRICTED; name at least one partner to share with");
  }
  if (alert.has_occur_time()) CheckTimestamp(violations, "alert.occur_time", alert.occur_time());
  if (alert.has_expire_time()) {
    CheckTimestamp(violations, "alert.expire_time", alert.expire_time());
    if (alert.has_occur_time() && alert.expire_time().seconds() <= alert.occur_time().seconds()) {
      violations.Add("alert.expire_time", "must be after occur_time");
    }
  }
  CheckNameList(violations, "alert.related_initiatives", alert.related_initiatives(),
                kInitiativeName, 20);
  CheckNameList(violations, "alert.related_commitments", alert.related_commitments(),
                kCommitmentName, 20);
  if (HasSealedDetails(alert)) {
    AlertProtectedDetails in_the_clear = alert.protected_details();
    in_the_clear.clear_sealed();
    if (in_the_clear.ByteSizeLong() > 0) {
      violations.Add("alert.protected_details",
                     "give the details either sealed or in the clear, not both: when sealed is "
                     "set, every other field goes inside the envelope");
    }
    // Partial wraps may be the envelope as read, sent back unchanged;
    // CheckUpdate tells the two apart.
    for (const EnvelopeProblem& problem :
         CheckEnvelopeShape(alert.protected_details().sealed(), "alert.protected_details.sealed",
                            /*wraps_may_be_partial=*/true)) {
      violations.Add(problem.field, problem.problem);
    }
  } else if (alert.has_protected_details()) {
    ValidateProtectedDetails(alert.protected_details(), violations);
  }
  if (alert.has_protected_details()) {
    if (alert.has_purge_time() && alert.protected_details().ByteSizeLong() > 0) {
      violations.Add("alert.protected_details",
                     "this alert's protected details were purged and it takes no new ones; "
                     "file a new alert");
    }
  }
}

absl::Status ResourceTraits<Alert>::CheckReferences(WriteTransaction& txn, const Alert& alert) {
  MPOWER_RETURN_IF_ERROR(CheckExists(txn, "alert.filing_partner", alert.filing_partner()));
  MPOWER_RETURN_IF_ERROR(
      CheckAllExist(txn, "alert.recipient_partners", alert.recipient_partners()));
  for (int i = 0; i < alert.recipient_partners_size(); ++i) {
    const std::string& recipient = alert.recipient_partners(i);
    MPOWER_ASSIGN_OR_RETURN(const bool secretariat,
                            IsSecretariatPartner(txn.Get(recipient), recipient));
    // Its recovery keys are sealed to already, and its admins read every
    // alert; as a recipient, removing it would strip the recovery wraps.
    if (secretariat) {
      FieldViolations violations;
      violations.Add(absl::StrCat("alert.recipient_partners[", i, "]"),
                     absl::StrCat(recipient,
                                  " is the secretariat, which every alert reaches through its "
                                  "admins and recovery keys; name partners that are not"));
      return violations.ToStatus();
    }
  }
  MPOWER_RETURN_IF_ERROR(
      CheckAllExist(txn, "alert.related_initiatives", alert.related_initiatives()));
  // Every partner may read every live commitment (CommitmentService), so a
  // commitment the filer may read is exactly one that exists and is not
  // deleted; anything else is refused alike, as not existing.
  return CheckAllExist(txn, "alert.related_commitments", alert.related_commitments());
}

std::vector<std::string> ResourceTraits<Alert>::References(const Alert& alert) {
  std::vector<std::string> references = {alert.filing_partner()};
  references.insert(references.end(), alert.recipient_partners().begin(),
                    alert.recipient_partners().end());
  references.insert(references.end(), alert.related_initiatives().begin(),
                    alert.related_initiatives().end());
  references.insert(references.end(), alert.related_commitments().begin(),
                    alert.related_commitments().end());
  return references;
}

std::string ResourceTraits<Alert>::TakeProtected(Alert& alert) {
  Alert sealed;
  const bool has_details =
      alert.has_protected_details() && alert.protected_details().ByteSizeLong() > 0;
  if (has_details) sealed.mutable_protected_details()->Swap(alert.mutable_protected_details());
  alert.clear_protected_details();
  alert.set_protected_details_present(has_details);
  if (alert.scope() != Alert::SCOPE_PUBLIC) {
    sealed.mutable_headline()->swap(*alert.mutable_headline());
    sealed.mutable_summary()->swap(*alert.mutable_summary());
    sealed.mutable_area()->swap(*alert.mutable_area());
  }
  return SealedPart(sealed);
}

absl::Status ResourceTraits<Alert>::RestoreProtected(Alert& alert, const std::string& data) {
  if (data.empty()) return absl::OkStatus();
  Alert sealed;
  if (!OpenSealedPart(data, sealed) &&
      // Stored before headlines were sealed: the protected details alone.
      !sealed.mutable_protected_details()->ParseFromString(data)) {
    return absl::DataLossError(
        absl::StrCat("stored protected details of ", alert.name(), " are unreadable"));
  }
  alert.MergeFrom(sealed);
  return absl::OkStatus();
}

void ResourceTraits<Alert>::MarkErased(Alert& alert) {
  // What was sealed is gone: the details, and (unless public) the headline,
  // summary and area of this version.
  alert.set_protected_details_present(false);
}

namespace {

// The sealed part of a stored version, opened; DATA_LOSS if unreadable.
absl::StatusOr<Alert> OpenSealed(const StoredResource& stored) {
  Alert sealed;
  if (stored.erased || stored.protected_data.empty()) return sealed;
  if (!OpenSealedPart(stored.protected_data, sealed) &&
      // Stored before headlines were sealed: the protected details alone.
      !sealed.mutable_protected_details()->ParseFromString(stored.protected_data)) {
    return absl::DataLossError(
        absl::StrCat("stored protected details of ", stored.name, " are unreadable"));
  }
  return sealed;
}

absl::StatusOr<Alert> OpenClear(const StoredResource& stored) {
  Alert clear;
  if (!clear.ParseFromString(stored.data)) {
    return absl::DataLossError(absl::StrCat("stored ", stored.name, " is unreadable"));
  }
  return clear;
}

int Readership(Alert::Scope scope) {
  switch (scope) {
    case Alert::SCOPE_PUBLIC:
      return 2;
    case Alert::SCOPE_PARTNERS:
      return 1;
    default:
      return 0;
  }
}

}  // namespace

std::function<absl::StatusOr<bool>(StoredResource&)> ResourceTraits<Alert>::RewriteForUpdate(
    const Alert& before, const Alert& after) {
  const bool narrows = Readership(after.scope()) < Readership(before.scope());
  std::vector<std::string> removed;
  for (const std::string& partner : before.recipient_partners()) {
    if (std::find(after.recipient_partners().begin(), after.recipient_partners().end(), partner) ==
        after.recipient_partners().end()) {
      removed.push_back(partner);
    }
  }
  if (!narrows && removed.empty()) return nullptr;
  return [narrows, removed](StoredResource& stored) -> absl::StatusOr<bool> {
    bool changed = false;
    if (narrows) {
      MPOWER_ASSIGN_OR_RETURN(const bool sealed, SealStoredCopy(stored));
      changed |= sealed;
    }
    if (!removed.empty()) {
      MPOWER_ASSIGN_OR_RETURN(const bool stripped, StripWraps(stored, removed));
      changed |= stripped;
    }
    return changed;
  };
}

absl::StatusOr<bool> ResourceTraits<Alert>::StripWraps(StoredResource& stored,
                                                       const std::vector<std::string>& partners) {
  MPOWER_ASSIGN_OR_RETURN(Alert sealed, OpenSealed(stored));
  if (!sealed.protected_details().has_sealed()) return false;
  auto& wraps = *sealed.mutable_protected_details()->mutable_sealed()->mutable_wraps();
  const int before = wraps.size();
  wraps.erase(std::remove_if(
                  wraps.begin(), wraps.end(),
                  [&](const v1::KeyWrap& wrap) {
                    return std::any_of(partners.begin(), partners.end(), [&](const std::string& p) {
                      return absl::StartsWith(wrap.key(), absl::StrCat(p, "/encryptionKeys/"));
                    });
                  }),
              wraps.end());
  if (wraps.size() == before) return false;
  stored.protected_data = SealedPart(sealed);
  return true;
}

absl::StatusOr<bool> ResourceTraits<Alert>::SealStoredCopy(StoredResource& stored) {
  MPOWER_ASSIGN_OR_RETURN(Alert clear, OpenClear(stored));
  if (clear.headline().empty() && clear.summary().empty() && clear.area().empty()) return false;
  MPOWER_ASSIGN_OR_RETURN(Alert sealed, OpenSealed(stored));
  if (stored.erased) {
    // Its data key is destroyed, so nothing more can be sealed under it:
    // the keyring alone seals what moves, and the version goes on showing
    // what an erased one shows (MarkErased).
    clear.set_protected_details_present(false);
    stored.erased = false;
    stored.erasable = false;
  }
  sealed.mutable_headline()->swap(*clear.mutable_headline());
  sealed.mutable_summary()->swap(*clear.mutable_summary());
  sealed.mutable_area()->swap(*clear.mutable_area());
  stored.protected_data = SealedPart(sealed);
  stored.data = clear.SerializeAsString();
  return true;
}

void ResourceTraits<Alert>::EraseShareable(Alert& alert) {
  alert.set_headline(std::string(kErasedHeadline));
  alert.clear_summary();
  alert.clear_area();
}

absl::StatusOr<bool> ResourceTraits<Alert>::EraseStoredShareable(StoredResource& stored) {
  MPOWER_ASSIGN_OR_RETURN(Alert clear, OpenClear(stored));
  MPOWER_ASSIGN_OR_RETURN(Alert sealed, OpenSealed(stored));
  bool changed = false;
  if (!IsShareableErased(clear)) {
    // The placeholder lies in the clear part, whatever the version's scope:
    // it says nothing.
    EraseShareable(clear);
    stored.data = clear.SerializeAsString();
    changed = true;
  }
  if (!sealed.headline().empty() || !sealed.summary().empty() || !sealed.area().empty()) {
    sealed.clear_headline();
    sealed.clear_summary();
    sealed.clear_area();
    stored.protected_data = SealedPart(sealed);
    changed = true;
  }
  return changed;
}

void ResourceTraits<Alert>::MarkPurged(Alert& alert, absl::string_view reason,
                                       const google::protobuf::Timestamp& now) {
  alert.clear_protected_details();
  alert.set_protected_details_present(false);
  *alert.mutable_purge_time() = now;
  alert.set_purge_reason(std::string(reason));
}

absl::Status ResourceTraits<Alert>::Derive(Alert& alert) {
  const bool closed =
      alert.status() == Alert::STATUS_RESOLVED || alert.status() == Alert::STATUS_DISMISSED;
  if (!closed) {
    alert.clear_close_time();
  } else if (!alert.has_close_time()) {
    *alert.mutable_close_time() = TimestampNow();
  }
  return absl::OkStatus();
}

absl::Status ResourceTraits<Alert>::CheckCreate(const Principal& caller, absl::string_view,
                                                const Alert& alert, Store&) {
  MPOWER_RETURN_IF_ERROR(
      RequireEditorOf(caller, alert.filing_partner(),
                      absl::StrCat("alerts in the name of ", alert.filing_partner())));
  return absl::OkStatus();
}

absl::Status ResourceTraits<Alert>::CheckCreateInTransaction(const Principal&, Store& store,
                                                             WriteTransaction& txn, Alert& created,
                                                             bool caller_chose_id) {
  if (!HasSealedDetails(created)) return absl::OkStatus();
  if (!caller_chose_id) {
    return absl::InvalidArgumentError(
        "alert_id: required with sealed details, whose envelope is signed for the alert's name: "
        "make the id as the server does (\"a\", 8 base-36 digits of the time in milliseconds, "
        "15 random base-36 digits), seal to alerts/{alert_id}, and give both (mpower alerts "
        "create does)");
  }
  // A new alert has no earlier version whose data key could come back.
  const DataKeyUsedBefore never_used = [](absl::string_view) { return false; };
  return CheckSealedDetails(store, txn, Alert(), created, never_used);
}

absl::Status ResourceTraits<Alert>::CheckUpdate(const Principal&, Store& store,
                                                WriteTransaction& txn, const Alert& current,
                                                Alert& updated) {
  // Asked of every new envelope: reads every stored copy, the history
  // included (found by the history's index of names), and changes none.
  const DataKeyUsedBefore used_before = [&](absl::string_view data_key_id) -> absl::StatusOr<bool> {
    bool used = false;
    MPOWER_RETURN_IF_ERROR(
        txn.RewriteCopies(current.name(), [&](StoredResource& copy) -> absl::StatusOr<bool> {
          MPOWER_ASSIGN_OR_RETURN(const Alert sealed, OpenSealed(copy));
          used |= sealed.protected_details().sealed().data_key_id() == data_key_id;
          return false;
        }));
    return used;
  };
  return CheckSealedDetails(store, txn, current, updated, used_before);
}

absl::Status ResourceTraits<Alert>::CheckWrite(const Principal& caller, const Alert& existing,
                                               WriteKind) {
  // Only the filer (or the secretariat) changes an alert: recipients can
  // neither widen nor join its circle.
  return RequireEditorOf(caller, existing.filing_partner(),
                         absl::StrCat("alerts filed by ", existing.filing_partner()));
}

absl::StatusOr<bool> ResourceTraits<Alert>::CanRead(const Principal& caller, const Alert& alert,
                                                    Store&) {
  return CanReadAlert(caller, alert);
}

bool ResourceTraits<Alert>::Redact(const Principal& caller, Alert& alert) {
  RedactForReader(caller, alert);
  return alert.has_protected_details();
}

}  // namespace mpower
