#ifndef MPOWER_SERVER_CORE_SUBSCRIPTION_RULES_H_
#define MPOWER_SERVER_CORE_SUBSCRIPTION_RULES_H_

#include <string>

#include "absl/strings/string_view.h"
#include "mpower/v1/subscription.pb.h"
#include "server/core/resource_manager.h"
#include "server/core/resource_traits_defaults.h"

namespace mpower {

template <>
struct ResourceTraits<v1::Subscription> : ResourceTraitsDefaults {
  static constexpr const NamePattern& kName = kSubscriptionName;
  static constexpr bool kSoftDelete = false;
  static constexpr bool kServerAssignsIds = true;
  static constexpr absl::string_view kField = "subscription";
  static const std::vector<std::string>& MutableFields();
  // The signing secret, which the service makes (or the creator brings).
  static const std::vector<std::string>& CreateOnlyFields();
  // None: what a subscription selects is sealed at rest, so storage cannot
  // filter on it.
  static const std::vector<std::string>& FilterableFields();
  static void ApplyDefaults(v1::Subscription&) {}
  static void Validate(const v1::Subscription& subscription, FieldViolations& violations);
  static absl::Status CheckReferences(WriteTransaction&, const v1::Subscription&) {
    return absl::OkStatus();
  }
  static std::vector<std::string> References(const v1::Subscription&) { return {}; }
  // A partner's editors, or the secretariat; only the secretariat sets
  // secretariat_scope.
  static absl::Status CheckCreate(const Principal& caller, absl::string_view parent,
                                  const v1::Subscription& resource, Store& store);
  static absl::Status CheckWrite(const Principal& caller, const v1::Subscription& existing,
                                 WriteKind kind);
  // Only the partner itself and the secretariat know it exists.
  static constexpr bool kReadsRestricted = true;
  static absl::StatusOr<bool> CanRead(const Principal& caller, const v1::Subscription& subscription,
                                      Store& store);
  // The signing secret never leaves in a read (CreateSubscription shows it
  // once, itself). Returns false: a subscription holds no alert details.
  static bool Redact(const Principal& caller, v1::Subscription& subscription);
  // Everything but the name and times is sealed at rest: destinations and
  // addresses are personal data, the secret is a secret, and what a partner
  // watches is its own business.
  static std::string TakeProtected(v1::Subscription& subscription);
  static absl::Status RestoreProtected(v1::Subscription& subscription, const std::string& data);
};

// The partner a subscription belongs to, `partners/{partner}`.
std::string SubscriptionOwner(absl::string_view subscription_name);

// A new signing secret in the Standard Webhooks form: `whsec_` and the
// base64 of 32 random bytes.
std::string NewSigningSecret();

// The key bytes of a signing secret; empty if it is not one.
std::string SigningKey(absl::string_view secret);

}  // namespace mpower

#endif  // MPOWER_SERVER_CORE_SUBSCRIPTION_RULES_H_
