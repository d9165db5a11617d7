#ifndef MPOWER_SERVER_CORE_LABOUR_STANDARDS_H_
#define MPOWER_SERVER_CORE_LABOUR_STANDARDS_H_

// What mpower knows of labour standards: the stages each policy action
// passes through, and which alert categories concern which instrument.
// One table each, documented in the protos (Commitment.PolicyAction and
// AccountabilityRow.categories).

#include <vector>

#include "mpower/v1/alert.pb.h"
#include "mpower/v1/commitment.pb.h"

namespace mpower {

// The stages of `action`, in order; the last completes the commitment.
// Empty for POLICY_ACTION_UNSPECIFIED.
const std::vector<v1::Commitment::Stage>& StagesOf(v1::Commitment::PolicyAction action);

// The alert categories that concern `instrument`, in enum order; empty for
// instruments no category maps to.
std::vector<v1::Alert::Category> CategoriesConcerning(v1::Commitment::Instrument instrument);

// Whether an alert of `category` concerns `instrument`.
bool Concerns(v1::Alert::Category category, v1::Commitment::Instrument instrument);

}  // namespace mpower

#endif  // MPOWER_SERVER_CORE_LABOUR_STANDARDS_H_
