#include "server/core/partner_rules.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "mpower/v1/admin.pb.h"
#include "mpower/v1/encryption_key.pb.h"
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
  } else if (partner.type() == Partner::TYPE_SECRETARIAT) {
    CheckCountryCode(violations, "partner.country_code", partner.country_code(),
                     Presence::kOptional);
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

absl::Status ResourceTraits<Partner>::CheckUpdate(const Principal& caller, Store& store,
                                                  WriteTransaction&, const Partner& current,
                                                  Partner& updated) {
  const bool was = current.type() == Partner::TYPE_SECRETARIAT;
  const bool is = updated.type() == Partner::TYPE_SECRETARIAT;
  if (was == is) return absl::OkStatus();
  if (!IsAdmin(caller)) {
    // The secretariat's keys are the recovery keys every sealed alert is
    // sealed to: a partner that made itself the secretariat would be sent
    // every filer's details.
    return absl::PermissionDeniedError(absl::StrCat(
        "partner.type: only the secretariat's admins make a partner TYPE_SECRETARIAT or stop it "
        "being one, since its keys are the recovery keys every sealed alert is sealed to; keep ",
        Partner::Type_Name(current.type())));
  }
  if (is) {
    // Keys its editors published, perhaps on an online laptop, must not
    // become recovery keys unseen: the admins publish those themselves.
    ListQuery query;
    query.collection = std::string(kEncryptionKeyName.collection);
    query.parent = current.name();
    query.limit = 1;
    query.predicate = [](const StoredResource& stored) {
      v1::EncryptionKey key;
      return key.ParseFromString(stored.data) && key.state() == v1::EncryptionKey::STATE_ACTIVE;
    };
    MPOWER_ASSIGN_OR_RETURN(ListResult active, store.List(query));
    if (!active.items.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "partner.type: ", current.name(), " has ACTIVE encryption keys (", active.items[0].name,
          "), which would become recovery keys; retire them first (mpower keys retire), then "
          "publish the recovery keys as an admin"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> SecretariatPartners(Store& store) {
  ListQuery query;
  query.collection = std::string(kPartnerName.collection);
  query.limit = 1000;
  query.term = absl::StrCat("type=", static_cast<int>(Partner::TYPE_SECRETARIAT));
  query.predicate = [](const StoredResource& stored) {
    Partner partner;
    return partner.ParseFromString(stored.data) && partner.type() == Partner::TYPE_SECRETARIAT;
  };
  std::vector<std::string> names;
  do {
    MPOWER_ASSIGN_OR_RETURN(ListResult page, store.List(query));
    for (const StoredResource& stored : page.items) names.push_back(stored.name);
    query.after_name = page.resume_after;
  } while (!query.after_name.empty());
  return names;
}

absl::StatusOr<bool> IsSecretariatPartner(const absl::StatusOr<std::optional<StoredResource>>& read,
                                          absl::string_view partner) {
  MPOWER_ASSIGN_OR_RETURN(const std::optional<StoredResource>& stored, read);
  if (!stored.has_value() || stored->collection != kPartnerName.collection) return false;
  Partner decoded;
  if (!decoded.ParseFromString(stored->data)) {
    return absl::DataLossError(absl::StrCat("stored partner ", partner, " is unreadable"));
  }
  return decoded.type() == Partner::TYPE_SECRETARIAT;
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
