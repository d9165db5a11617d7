#include "server/core/commitment_rules.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/base/status_macros.h"
#include "server/core/labour_standards.h"
#include "server/core/money.h"
#include "server/core/reference_checks.h"
#include "server/core/value_checks.h"

namespace mpower {

using v1::Commitment;

constexpr int kMaxProgressEntries = 1000;
constexpr int kMaxMilestones = 20;

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
                                                   "provider_partner",
                                                   "instrument",
                                                   "instrument_reference",
                                                   "policy_action",
                                                   "milestones"};
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
                                                   "end_date.year",
                                                   "instrument",
                                                   "policy_action",
                                                   "stage"};
  return kFields;
}

namespace {

std::string StageName(Commitment::Stage stage) {
  const auto* value = Commitment::Stage_descriptor()->FindValueByNumber(stage);
  return value != nullptr ? value->name() : absl::StrCat(static_cast<int>(stage));
}

// The policy fields: required for a policy commitment, absent otherwise;
// milestones in the order of the action's stages and of their dates.
void CheckPolicy(const Commitment& commitment, FieldViolations& violations) {
  const bool policy = commitment.kind() == Commitment::KIND_POLICY;
  CheckText(violations, "commitment.instrument_reference", commitment.instrument_reference(), 200,
            policy && commitment.instrument() == Commitment::INSTRUMENT_OTHER
                ? Presence::kRequired
                : Presence::kOptional);
  if (!policy) {
    constexpr absl::string_view kOnlyPolicy = "only for a policy commitment (kind KIND_POLICY)";
    if (commitment.instrument() != Commitment::INSTRUMENT_UNSPECIFIED) {
      violations.Add("commitment.instrument", kOnlyPolicy);
    }
    if (!commitment.instrument_reference().empty()) {
      violations.Add("commitment.instrument_reference", kOnlyPolicy);
    }
    if (commitment.policy_action() != Commitment::POLICY_ACTION_UNSPECIFIED) {
      violations.Add("commitment.policy_action", kOnlyPolicy);
    }
    if (commitment.milestones_size() > 0) violations.Add("commitment.milestones", kOnlyPolicy);
    return;
  }
  // A policy commitment with none of the policy fields is free text, as
  // every policy commitment was before they existed; with any of them, it
  // is structured and needs both the instrument and the action.
  const bool structured = commitment.instrument() != Commitment::INSTRUMENT_UNSPECIFIED ||
                          commitment.policy_action() != Commitment::POLICY_ACTION_UNSPECIFIED ||
                          !commitment.instrument_reference().empty() ||
                          commitment.milestones_size() > 0;
  if (!structured) return;
  CheckEnum(violations, "commitment.instrument", commitment.instrument(),
            Commitment::Instrument_descriptor(), Presence::kRequired);
  CheckEnum(violations, "commitment.policy_action", commitment.policy_action(),
            Commitment::PolicyAction_descriptor(), Presence::kRequired);
  if (commitment.milestones_size() > kMaxMilestones) {
    violations.Add("commitment.milestones", absl::StrCat("too many; at most ", kMaxMilestones));
    return;
  }
  const std::vector<Commitment::Stage>& stages = StagesOf(commitment.policy_action());
  std::vector<std::string> stage_names;
  for (Commitment::Stage stage : stages) stage_names.push_back(StageName(stage));
  int previous_position = -1;
  const v1::Date* previous_date = nullptr;
  int previous_dated = -1;
  for (int i = 0; i < commitment.milestones_size(); ++i) {
    const Commitment::Milestone& milestone = commitment.milestones(i);
    const std::string field = absl::StrCat("commitment.milestones[", i, "]");
    if (milestone.has_date()) CheckDate(violations, field + ".date", milestone.date());
    if (milestone.stage() == Commitment::STAGE_UNSPECIFIED) {
      violations.Add(field + ".stage", "required");
      continue;
    }
    const auto found = std::find(stages.begin(), stages.end(), milestone.stage());
    if (found == stages.end()) {
      if (!stages.empty()) {
        violations.Add(field + ".stage",
                       absl::StrCat("not a stage of ",
                                    Commitment::PolicyAction_Name(commitment.policy_action()),
                                    "; expected one of ", absl::StrJoin(stage_names, ", ")));
      }
      continue;
    }
    const int position = static_cast<int>(found - stages.begin());
    if (position <= previous_position) {
      violations.Add(
          field + ".stage",
          absl::StrCat("out of order: ", StageName(milestone.stage()),
                       position == previous_position
                           ? " is listed twice"
                           : absl::StrCat(" cannot follow ", stage_names[previous_position]),
                       "; list each stage at most once, in the order ",
                       absl::StrJoin(stage_names, ", ")));
    } else {
      previous_position = position;
    }
    if (milestone.has_date()) {
      if (previous_date != nullptr && CompareDates(milestone.date(), *previous_date) < 0) {
        violations.Add(
            field + ".date",
            absl::StrCat("before the date of milestones[", previous_dated, "] (",
                         FormatDate(*previous_date), "); a later stage cannot be reached earlier"));
      } else {
        previous_date = &milestone.date();
        previous_dated = i;
      }
    }
  }
}

}  // namespace

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
  CheckPolicy(commitment, violations);
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
  commitment.clear_stage();
  if (commitment.kind() == Commitment::KIND_POLICY &&
      commitment.policy_action() != Commitment::POLICY_ACTION_UNSPECIFIED) {
    // A structured policy commitment's status follows from its milestones,
    // as the fulfilled amount follows from progress; only a withdrawal is
    // the partner's to say. A free-text one keeps the status it is given.
    const std::vector<Commitment::Stage>& stages = StagesOf(commitment.policy_action());
    if (!commitment.milestones().empty()) {
      commitment.set_stage(commitment.milestones().rbegin()->stage());
    }
    if (commitment.status() != Commitment::STATUS_WITHDRAWN) {
      if (commitment.stage() == Commitment::STAGE_UNSPECIFIED) {
        commitment.set_status(Commitment::STATUS_PLEDGED);
      } else if (!stages.empty() && commitment.stage() == stages.back()) {
        commitment.set_status(Commitment::STATUS_FULFILLED);
      } else {
        commitment.set_status(Commitment::STATUS_IN_PROGRESS);
      }
    }
  }
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
