#include "server/core/commitment_rules.h"

#include "absl/strings/str_cat.h"
#include "server/base/status_macros.h"
#include "server/core/money.h"
#include "server/core/reference_checks.h"
#include "server/core/value_checks.h"

namespace mpower {

using v1::Commitment;

constexpr int kMaxProgressEntries = 1000;

const std::vector<std::string>& ResourceTraits<Commitment>::MutableFields() {
  static const std::vector<std::string> kFields = {"external_id",
                                                   "kind",
                                                   "title",
                                                   "description",
                                                   "amount",
                                                   "contribution_basis",
                                                   "recipient_partner",
                                                   "initiative",
                                                   "start_date",
                                                   "end_date",
                                                   "action_areas",
                                                   "country_codes",
                                                   "status",
                                                   "progress",
                                                   "provider_partner"};
  return kFields;
}

const std::vector<std::string>& ResourceTraits<Commitment>::FilterableFields() {
  static const std::vector<std::string> kFields = {"kind",
                                                   "status",
                                                   "contribution_basis",
                                                   "recipient_partner",
                                                   "initiative",
                                                   "external_id",
                                                   "country_codes",
                                                   "action_areas",
                                                   "amount.currency_code",
                                                   "amount.units",
                                                   "provider_partner",
                                                   "start_date.year",
                                                   "end_date.year"};
  return kFields;
}

void ResourceTraits<Commitment>::ApplyDefaults(Commitment& commitment) {
  if (commitment.status() == Commitment::STATUS_UNSPECIFIED) {
    commitment.set_status(Commitment::STATUS_PLEDGED);
  }
}

void ResourceTraits<Commitment>::Validate(const Commitment& commitment,
                                          FieldViolations& violations) {
  CheckText(violations, "commitment.external_id", commitment.external_id(), 128,
            Presence::kOptional);
  CheckEnum(violations, "commitment.kind", commitment.kind(), Commitment::Kind_descriptor(),
            Presence::kRequired);
  CheckText(violations, "commitment.title", commitment.title(), 200, Presence::kRequired);
  CheckText(violations, "commitment.description", commitment.description(), 4000,
            Presence::kOptional);
  const bool funding = commitment.kind() == Commitment::KIND_FUNDING;
  if (commitment.has_amount()) {
    CheckMoney(violations, "commitment.amount", commitment.amount(), /*allow_negative=*/false);
  } else if (funding) {
    violations.Add("commitment.amount", "required for a funding commitment");
  }
  CheckEnum(violations, "commitment.contribution_basis", commitment.contribution_basis(),
            Commitment::ContributionBasis_descriptor(),
            funding ? Presence::kRequired : Presence::kOptional);
  CheckNameFormat(violations, "commitment.recipient_partner", commitment.recipient_partner(),
                  kPartnerName);
  CheckNameFormat(violations, "commitment.initiative", commitment.initiative(), kInitiativeName);
  CheckNameFormat(violations, "commitment.provider_partner", commitment.provider_partner(),
                  kPartnerName);
  if (!commitment.provider_partner().empty()) {
    if (!funding) {
      violations.Add("commitment.provider_partner",
                     "only a funding commitment can record funding received");
    }
    if (!commitment.recipient_partner().empty()) {
      violations.Add("commitment.recipient_partner",
                     "must be empty on a record of funding received (provider_partner is set)");
    }
  }
  CheckDateRange(violations, "commitment", commitment.has_start_date(), commitment.start_date(),
                 commitment.has_end_date(), commitment.end_date());
  CheckEnumList(violations, "commitment.action_areas", commitment.action_areas(),
                v1::ActionArea_descriptor());
  CheckCountryCodes(violations, "commitment.country_codes", commitment.country_codes(), 250);
  CheckEnum(violations, "commitment.status", commitment.status(), Commitment::Status_descriptor(),
            Presence::kOptional);
  if (commitment.progress_size() > kMaxProgressEntries) {
    violations.Add("commitment.progress",
                   absl::StrCat("too many entries; at most ", kMaxProgressEntries));
    return;
  }
  for (int i = 0; i < commitment.progress_size(); ++i) {
    const auto& entry = commitment.progress(i);
    const std::string field = absl::StrCat("commitment.progress[", i, "]");
    if (entry.has_date()) {
      CheckDate(violations, field + ".date", entry.date());
    } else {
      violations.Add(field + ".date", "required");
    }
    CheckText(violations, field + ".note", entry.note(), 2000, Presence::kOptional);
    if (!entry.has_disbursed_amount()) continue;
    CheckMoney(violations, field + ".disbursed_amount", entry.disbursed_amount(),
               /*allow_negative=*/false);
    if (!commitment.has_amount()) {
      violations.Add(field + ".disbursed_amount", "needs the commitment's amount to be set");
    } else if (entry.disbursed_amount().currency_code() != commitment.amount().currency_code()) {
      violations.Add(field + ".disbursed_amount.currency_code",
                     "must be the commitment's currency");
    }
  }
}

absl::Status ResourceTraits<Commitment>::CheckReferences(WriteTransaction& txn,
                                                         const Commitment& commitment) {
  MPOWER_RETURN_IF_ERROR(
      CheckExists(txn, "commitment.recipient_partner", commitment.recipient_partner()));
  MPOWER_RETURN_IF_ERROR(
      CheckExists(txn, "commitment.provider_partner", commitment.provider_partner()));
  return CheckExists(txn, "commitment.initiative", commitment.initiative());
}

std::vector<std::string> ResourceTraits<Commitment>::References(const Commitment& commitment) {
  std::vector<std::string> references;
  if (!commitment.recipient_partner().empty()) {
    references.push_back(commitment.recipient_partner());
  }
  if (!commitment.provider_partner().empty()) {
    references.push_back(commitment.provider_partner());
  }
  if (!commitment.initiative().empty()) references.push_back(commitment.initiative());
  return references;
}

absl::Status ResourceTraits<Commitment>::Derive(Commitment& commitment) {
  commitment.clear_fulfilled_amount();
  if (!commitment.has_amount()) return absl::OkStatus();
  v1::Money total;
  total.set_currency_code(commitment.amount().currency_code());
  for (const auto& entry : commitment.progress()) {
    if (!entry.has_disbursed_amount()) continue;
    absl::StatusOr<v1::Money> sum = AddMoney(total, entry.disbursed_amount());
    if (!sum.ok()) {
      return absl::InvalidArgumentError(
          "commitment.progress: the disbursed amounts add up to more than can be represented");
    }
    total = *std::move(sum);
  }
  *commitment.mutable_fulfilled_amount() = total;
  return absl::OkStatus();
}

absl::Status ResourceTraits<Commitment>::CheckCreate(const Principal& caller,
                                                     absl::string_view parent, const Commitment&,
                                                     Store&) {
  return RequireEditorOf(caller, parent, absl::StrCat(parent, "'s commitments"));
}

absl::Status ResourceTraits<Commitment>::CheckWrite(const Principal& caller,
                                                    const Commitment& existing, WriteKind) {
  absl::StatusOr<ParsedName> name = ParseName(existing.name(), kCommitmentName, "name");
  if (!name.ok()) return name.status();
  return RequireEditorOf(caller, name->parent, absl::StrCat(name->parent, "'s commitments"));
}

}  // namespace mpower
