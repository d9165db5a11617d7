#include "server/core/initiative_rules.h"

#include <cmath>
#include <set>

#include "absl/strings/str_cat.h"
#include "server/base/status_macros.h"
#include "server/core/reference_checks.h"
#include "server/core/value_checks.h"

namespace mpower {

using v1::Initiative;

const std::vector<std::string>& ResourceTraits<Initiative>::MutableFields() {
  static const std::vector<std::string> kFields = {
      "display_name", "description", "sphere",     "action_areas", "country_codes",
      "participants", "status",      "start_date", "end_date",     "results"};
  return kFields;
}

const std::vector<std::string>& ResourceTraits<Initiative>::FilterableFields() {
  static const std::vector<std::string> kFields = {"sphere", "status", "country_codes",
                                                   "action_areas", "display_name"};
  return kFields;
}

void ResourceTraits<Initiative>::Validate(const Initiative& initiative,
                                          FieldViolations& violations) {
  CheckText(violations, "initiative.display_name", initiative.display_name(), 200,
            Presence::kRequired);
  CheckText(violations, "initiative.description", initiative.description(), 4000,
            Presence::kOptional);
  CheckEnum(violations, "initiative.sphere", initiative.sphere(), Initiative::Sphere_descriptor(),
            Presence::kRequired);
  CheckEnumList(violations, "initiative.action_areas", initiative.action_areas(),
                v1::ActionArea_descriptor());
  CheckCountryCodes(violations, "initiative.country_codes", initiative.country_codes(), 250);
  CheckEnum(violations, "initiative.status", initiative.status(), Initiative::Status_descriptor(),
            Presence::kRequired);
  if (initiative.participants_size() > 100) {
    violations.Add("initiative.participants", "too many; at most 100");
  }
  std::set<std::pair<std::string, int>> seen;
  for (int i = 0; i < initiative.participants_size() && i < 100; ++i) {
    const auto& participant = initiative.participants(i);
    const std::string field = absl::StrCat("initiative.participants[", i, "]");
    if (participant.partner().empty()) {
      violations.Add(field + ".partner", "required; give partners/{partner}");
    }
    CheckNameFormat(violations, field + ".partner", participant.partner(), kPartnerName);
    CheckEnum(violations, field + ".role", participant.role(),
              Initiative::ParticipantRole_descriptor(), Presence::kRequired);
    if (!seen.insert({participant.partner(), participant.role()}).second) {
      violations.Add(field, "duplicate partner and role");
    }
  }
  CheckDateRange(violations, "initiative", initiative.has_start_date(), initiative.start_date(),
                 initiative.has_end_date(), initiative.end_date());
  if (initiative.results_size() > 100) {
    violations.Add("initiative.results", "too many; at most 100");
  }
  for (int i = 0; i < initiative.results_size() && i < 100; ++i) {
    const auto& result = initiative.results(i);
    const std::string field = absl::StrCat("initiative.results[", i, "]");
    CheckText(violations, field + ".title", result.title(), 200, Presence::kRequired);
    CheckText(violations, field + ".unit", result.unit(), 50, Presence::kOptional);
    for (const auto& [name, has, value] :
         {std::tuple{"baseline_value", result.has_baseline_value(), result.baseline_value()},
          std::tuple{"target_value", result.has_target_value(), result.target_value()},
          std::tuple{"actual_value", result.has_actual_value(), result.actual_value()}}) {
      if (has && !std::isfinite(value)) {
        violations.Add(absl::StrCat(field, ".", name), "must be a finite number");
      }
    }
    if (result.has_as_of_date()) CheckDate(violations, field + ".as_of_date", result.as_of_date());
  }
}

absl::Status ResourceTraits<Initiative>::CheckReferences(WriteTransaction& txn,
                                                         const Initiative& initiative) {
  for (int i = 0; i < initiative.participants_size(); ++i) {
    MPOWER_RETURN_IF_ERROR(CheckExists(txn,
                                       absl::StrCat("initiative.participants[", i, "].partner"),
                                       initiative.participants(i).partner()));
  }
  return absl::OkStatus();
}

std::vector<std::string> ResourceTraits<Initiative>::References(const Initiative& initiative) {
  std::vector<std::string> references;
  for (const auto& participant : initiative.participants()) {
    references.push_back(participant.partner());
  }
  return references;
}

absl::Status ResourceTraits<Initiative>::CheckCreate(const Principal& caller, absl::string_view,
                                                     const Initiative&, Store&) {
  return RequireAdmin(caller, "initiatives");
}

absl::Status ResourceTraits<Initiative>::CheckWrite(const Principal& caller, const Initiative&,
                                                    WriteKind) {
  return RequireAdmin(caller, "initiatives");
}

}  // namespace mpower
