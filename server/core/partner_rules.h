#ifndef MPOWER_SERVER_CORE_PARTNER_RULES_H_
#define MPOWER_SERVER_CORE_PARTNER_RULES_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mpower/v1/partner.pb.h"
#include "server/core/resource_manager.h"
#include "server/core/resource_traits_defaults.h"

namespace mpower {

template <>
struct ResourceTraits<v1::Partner> : ResourceTraitsDefaults {
  static constexpr const NamePattern& kName = kPartnerName;
  static constexpr bool kSoftDelete = false;
  static constexpr bool kServerAssignsIds = false;
  static constexpr absl::string_view kField = "partner";
  // Indexed by storage, so a List filtered by country reads only matches.
  static constexpr absl::string_view kIndexedFields[] = {"country_code", "type"};
  static const std::vector<std::string>& MutableFields();
  static const std::vector<std::string>& FilterableFields();
  static void ApplyDefaults(v1::Partner& partner);
  static void Validate(const v1::Partner& partner, FieldViolations& violations);
  static absl::Status CheckReferences(WriteTransaction& txn, const v1::Partner& partner);
  static absl::Status CheckCreate(const Principal& caller, absl::string_view parent,
                                  const v1::Partner& resource, Store& store);
  static absl::Status CheckWrite(const Principal& caller, const v1::Partner& existing,
                                 WriteKind kind);
  static std::vector<std::string> References(const v1::Partner& partner);
  // Only admins make a partner TYPE_SECRETARIAT or stop it being one.
  static absl::Status CheckUpdate(const Principal& caller, Store& store, WriteTransaction& txn,
                                  const v1::Partner& current, v1::Partner& updated);
  // A partner's credentials would go on working after it is gone (reading
  // what any partner may), so a partner with working credentials stays
  // until they are revoked.
  static absl::Status CheckRemovable(absl::string_view name, Store& store);
};

// The partners of TYPE_SECRETARIAT, in name order: whose ACTIVE keys are
// the recovery keys every sealed alert is sealed to.
absl::StatusOr<std::vector<std::string>> SecretariatPartners(Store& store);

// Whether `read`, what reading `partner` from a store or a transaction
// gave, is a partner of TYPE_SECRETARIAT.
absl::StatusOr<bool> IsSecretariatPartner(const absl::StatusOr<std::optional<StoredResource>>& read,
                                          absl::string_view partner);

}  // namespace mpower

#endif  // MPOWER_SERVER_CORE_PARTNER_RULES_H_
