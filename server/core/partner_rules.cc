#include "server/core/partner_rules.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "mpower/v1/admin.pb.h"
#include "server/base/status_macros.h"
#include "server/core/reference_checks.h"
#include "server/core/value_checks.h"

namespace mpower {

using v1::Partner;

const std::vector<std::string>& ResourceTraits<Partner>::MutableFields() {
  static const std::vector<std::string> kFields = {
      "display_name",      "type",        "iati_identifier", "country_code", "parent_partner",
      "membership_status", "website_uri", "description"};
  return kFields;
}

const std::vector<std::string>& ResourceTraits<Partner>::FilterableFields() {
  static const std::vector<std::string> kFields = {
      "type",           "country_code", "membership_status", "iati_identifier",
      "parent_partner", "display_name"};
  return kFields;
}

void ResourceTraits<Partner>::ApplyDefaults(Partner& partner) {
  if (partner.membership_status() == Partner::MEMBERSHIP_STATUS_UNSPECIFIED) {
    partner.set_membership_status(Partner::MEMBERSHIP_STATUS_ACTIVE);
  }
}

void ResourceTraits<Partner>::Validate(const Partner& partner, FieldViolations& violations) {
  CheckText(violations, "partner.display_name", partner.display_name(), 200, Presence::kRequired);
  CheckEnum(violations, "partner.type", partner.type(), Partner::Type_descriptor(),
            Presence::kRequired);
  CheckText(violations, "partner.iati_identifier", partner.iati_identifier(), 100,
            Presence::kOptional);
  if (partner.iati_identifier().find(' ') != std::string::npos) {
    violations.Add("partner.iati_identifier", "must not contain spaces, e.g. XM-DAC-41302");
  }
  if (partner.type() == Partner::TYPE_MULTILATERAL) {
    if (!partner.country_code().empty()) {
      violations.Add("partner.country_code", "must be empty for a multilateral organisation");
    }
  } else {
    CheckCountryCode(violations, "partner.country_code", partner.country_code(),
                     Presence::kRequired);
  }
  CheckNameFormat(violations, "partner.parent_partner", partner.parent_partner(), kPartnerName);
  if (!partner.name().empty() && partner.parent_partner() == partner.name()) {
    violations.Add("partner.parent_partner", "a partner cannot be its own parent");
  }
  CheckEnum(violations, "partner.membership_status", partner.membership_status(),
            Partner::MembershipStatus_descriptor(), Presence::kOptional);
  CheckHttpUri(violations, "partner.website_uri", partner.website_uri());
  CheckText(violations, "partner.description", partner.description(), 4000, Presence::kOptional);
}

absl::Status ResourceTraits<Partner>::CheckReferences(WriteTransaction& txn,
                                                      const Partner& partner) {
  return CheckExists(txn, "partner.parent_partner", partner.parent_partner());
}

std::vector<std::string> ResourceTraits<Partner>::References(const Partner& partner) {
  if (partner.parent_partner().empty()) return {};
  return {partner.parent_partner()};
}

absl::Status ResourceTraits<Partner>::CheckCreate(const Principal& caller, absl::string_view,
                                                  const Partner&, Store&) {
  return RequireAdmin(caller, "the list of partners");
}

absl::Status ResourceTraits<Partner>::CheckWrite(const Principal& caller, const Partner& existing,
                                                 WriteKind kind) {
  if (kind == WriteKind::kUpdate) {
    return RequireEditorOf(caller, existing.name(), existing.name() + "'s profile");
  }
  return RequireAdmin(caller, "the list of partners");
}

absl::Status ResourceTraits<Partner>::CheckRemovable(absl::string_view name, Store& store) {
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  std::string after;
  while (true) {
    MPOWER_ASSIGN_OR_RETURN(std::vector<CredentialRecord> records,
                            store.ListCredentials(after, 1000));
    for (const CredentialRecord& record : records) {
      v1::Credential credential;
      if (!credential.ParseFromString(record.data)) {
        return absl::DataLossError(absl::StrCat("stored credential ", record.id, " is unreadable"));
      }
      const bool works =
          !credential.has_revoke_time() &&
          !(credential.has_expire_time() && credential.expire_time().seconds() <= now);
      if (works && credential.partner() == name) {
        return absl::FailedPreconditionError(
            absl::StrCat(name, " still has a working credential, credentials/", record.id,
                         "; revoke its credentials first (mpower credentials revoke credentials/",
                         record.id, ")"));
      }
    }
    if (records.size() < 1000) return absl::OkStatus();
    after = records.back().id;
  }
}

}  // namespace mpower
