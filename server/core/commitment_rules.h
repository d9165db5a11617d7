#ifndef MPOWER_SERVER_CORE_COMMITMENT_RULES_H_
#define MPOWER_SERVER_CORE_COMMITMENT_RULES_H_

#include "absl/strings/string_view.h"
#include "mpower/v1/commitment.pb.h"
#include "server/core/resource_manager.h"
#include "server/core/resource_traits_defaults.h"

namespace mpower {

template <>
struct ResourceTraits<v1::Commitment> : ResourceTraitsDefaults {
  static constexpr const NamePattern& kName = kCommitmentName;
  static constexpr bool kSoftDelete = true;
  static constexpr bool kServerAssignsIds = true;
  static constexpr absl::string_view kField = "commitment";
  // Indexed by storage, so a List filtered by country reads only matches.
  // Most selective first: a List uses the first one its filter requires.
  // (The partner is the parent, which storage filters on anyway.)
  static constexpr absl::string_view kIndexedFields[] = {"country_codes", "status"};
  static const std::vector<std::string>& MutableFields();
  static const std::vector<std::string>& FilterableFields();
  static void ApplyDefaults(v1::Commitment& commitment);
  static void Validate(const v1::Commitment& commitment, FieldViolations& violations);
  static absl::Status CheckReferences(WriteTransaction& txn, const v1::Commitment& commitment);
  static absl::Status CheckCreate(const Principal& caller, absl::string_view parent,
                                  const v1::Commitment& resource, Store& store);
  static absl::Status CheckWrite(const Principal& caller, const v1::Commitment& existing,
                                 WriteKind kind);
  static std::vector<std::string> References(const v1::Commitment& commitment);
  static std::string ExternalId(const v1::Commitment& commitment) {
    return commitment.external_id();
  }
  // Sets fulfilled_amount to the sum of the progress entries' disbursements.
  static absl::Status Derive(v1::Commitment& commitment);
};

}  // namespace mpower

#endif  // MPOWER_SERVER_CORE_COMMITMENT_RULES_H_
