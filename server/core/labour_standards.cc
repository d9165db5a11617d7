#include "server/core/labour_standards.h"

#include <algorithm>
#include <utility>

namespace mpower {

using v1::Alert;
using v1::Commitment;

const std::vector<Commitment::Stage>& StagesOf(Commitment::PolicyAction action) {
  static const std::vector<Commitment::Stage> kNone;
  static const std::vector<Commitment::Stage> kRatify = {
      Commitment::STAGE_ANNOUNCED, Commitment::STAGE_SUBMITTED_TO_LEGISLATURE,
      Commitment::STAGE_RATIFIED, Commitment::STAGE_REGISTERED_WITH_ILO,
      Commitment::STAGE_IN_FORCE};
  static const std::vector<Commitment::Stage> kApplyInLaw = {
      Commitment::STAGE_ANNOUNCED, Commitment::STAGE_SUBMITTED_TO_LEGISLATURE,
      Commitment::STAGE_LAW_ADOPTED, Commitment::STAGE_IN_FORCE};
  static const std::vector<Commitment::Stage> kEnforce = {
      Commitment::STAGE_ANNOUNCED, Commitment::STAGE_ENFORCEMENT_PLAN_ADOPTED,
      Commitment::STAGE_ENFORCEMENT_UNDER_WAY, Commitment::STAGE_ENFORCEMENT_REVIEWED};
  static const std::vector<Commitment::Stage> kReport = {Commitment::STAGE_ANNOUNCED,
                                                         Commitment::STAGE_REPORT_SUBMITTED,
                                                         Commitment::STAGE_REPORT_EXAMINED};
  static const std::vector<Commitment::Stage> kWithdrawReservation = {
      Commitment::STAGE_ANNOUNCED, Commitment::STAGE_SUBMITTED_TO_LEGISLATURE,
      Commitment::STAGE_RESERVATION_WITHDRAWN, Commitment::STAGE_REGISTERED_WITH_ILO};
  switch (action) {
    case Commitment::POLICY_ACTION_RATIFY:
      return kRatify;
    case Commitment::POLICY_ACTION_APPLY_IN_LAW:
      return kApplyInLaw;
    case Commitment::POLICY_ACTION_ENFORCE:
      return kEnforce;
    case Commitment::POLICY_ACTION_REPORT:
      return kReport;
    case Commitment::POLICY_ACTION_WITHDRAW_RESERVATION:
      return kWithdrawReservation;
    default:
      return kNone;
  }
}

namespace {

// Which categories concern which instrument. Violence and threats against
// unionists are freedom-of-association cases for the ILO's Committee on
// Freedom of Association, hence C087 for all of them; anti-union
// discrimination and the right to bargain and strike add C098; gender-based
// violence is C190's subject and a form of C111's discrimination.
const std::vector<std::pair<Alert::Category, Commitment::Instrument>>& Table() {
  static const std::vector<std::pair<Alert::Category, Commitment::Instrument>> kTable = {
      {Alert::CATEGORY_KILLING, Commitment::INSTRUMENT_C087},
      {Alert::CATEGORY_PHYSICAL_ATTACK, Commitment::INSTRUMENT_C087},
      {Alert::CATEGORY_THREAT_OF_VIOLENCE, Commitment::INSTRUMENT_C087},
      {Alert::CATEGORY_ABDUCTION_OR_DISAPPEARANCE, Commitment::INSTRUMENT_C087},
      {Alert::CATEGORY_ARBITRARY_ARREST_OR_DETENTION, Commitment::INSTRUMENT_C087},
      {Alert::CATEGORY_JUDICIAL_HARASSMENT, Commitment::INSTRUMENT_C087},
      {Alert::CATEGORY_DISMISSAL_FOR_UNION_ACTIVITY, Commitment::INSTRUMENT_C087},
      {Alert::CATEGORY_DISMISSAL_FOR_UNION_ACTIVITY, Commitment::INSTRUMENT_C098},
      {Alert::CATEGORY_HARASSMENT_AND_INTIMIDATION, Commitment::INSTRUMENT_C087},
      {Alert::CATEGORY_SURVEILLANCE, Commitment::INSTRUMENT_C087},
      {Alert::CATEGORY_RAID_OR_SEIZURE, Commitment::INSTRUMENT_C087},
      {Alert::CATEGORY_UNION_DEREGISTRATION, Commitment::INSTRUMENT_C087},
      {Alert::CATEGORY_UNION_DEREGISTRATION, Commitment::INSTRUMENT_C098},
      {Alert::CATEGORY_DENIAL_OF_RIGHT_TO_STRIKE, Commitment::INSTRUMENT_C087},
      {Alert::CATEGORY_DENIAL_OF_RIGHT_TO_STRIKE, Commitment::INSTRUMENT_C098},
      {Alert::CATEGORY_GENDER_BASED_VIOLENCE, Commitment::INSTRUMENT_C111},
      {Alert::CATEGORY_GENDER_BASED_VIOLENCE, Commitment::INSTRUMENT_C190},
  };
  return kTable;
}

}  // namespace

std::vector<Alert::Category> CategoriesConcerning(Commitment::Instrument instrument) {
  std::vector<Alert::Category> categories;
  for (const auto& [category, concerned] : Table()) {
    if (concerned == instrument) categories.push_back(category);
  }
  std::sort(categories.begin(), categories.end());
  return categories;
}

bool Concerns(Alert::Category category, Commitment::Instrument instrument) {
  const auto& table = Table();
  return std::find(table.begin(), table.end(), std::make_pair(category, instrument)) != table.end();
}

}  // namespace mpower
