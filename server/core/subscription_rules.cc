#include "server/core/subscription_rules.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "server/storage/crypto.h"

namespace mpower {
namespace {

using v1::Subscription;

constexpr absl::string_view kSecretPrefix = "whsec_";
constexpr size_t kMaxUrlLength = 2000;
constexpr int kMaxAddresses = 10;
constexpr int kMaxCountries = 50;

// The syntax a webhook URL must have; what it may point at is the
// notifier's to judge (server/notify/webhook_target.h), at creation and at
// every delivery.
void CheckWebhookUrl(FieldViolations& violations, absl::string_view url) {
  const std::string field = "subscription.webhook.url";
  if (url.empty()) {
    violations.Add(field, "required; give the receiver's https:// URL");
    return;
  }
  if (url.size() > kMaxUrlLength) {
    violations.Add(field, absl::StrCat("too long; at most ", kMaxUrlLength, " characters"));
    return;
  }
  for (const char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      violations.Add(field, "must not hold spaces or control characters; percent-encode them");
      return;
    }
  }
  absl::string_view rest = url;
  if (!absl::ConsumePrefix(&rest, "https://") && !absl::ConsumePrefix(&rest, "http://")) {
    violations.Add(field, "must start with https://");
    return;
  }
  const absl::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (absl::StrContains(authority, '@')) {
    violations.Add(field,
                   "must not hold user information (user:password@); authenticate "
                   "deliveries by their signature");
  } else if (authority.empty() || authority[0] == ':') {
    violations.Add(field, "has no host");
  }
  if (absl::StrContains(url, '#')) violations.Add(field, "must not have a fragment (#...)");
}

// An address a relay accepts in RCPT TO: local@domain, nothing that could
// break the SMTP conversation or a header.
bool IsEmailAddress(absl::string_view address) {
  if (address.size() < 3 || address.size() > 254) return false;
  const size_t at = address.rfind('@');
  if (at == 0 || at == absl::string_view::npos || at + 1 == address.size()) return false;
  const absl::string_view domain = address.substr(at + 1);
  if (!absl::StrContains(domain, '.') || domain.front() == '.' || domain.back() == '.') {
    return false;
  }
  for (const char c : address) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f || c == '<' || c == '>' || c == ',' ||
        c == ';' || c == '"' || c == '\\' || c == '(' || c == ')') {
      return false;
    }
  }
  for (const char c : domain) {
    if (!absl::ascii_isalnum(c) && c != '-' && c != '.') return false;
  }
  return true;
}

void CheckEmail(FieldViolations& violations, const Subscription::Email& email) {
  const std::string field = "subscription.email.addresses";
  if (email.addresses().empty()) {
    violations.Add(field, "required; give 1 to 10 addresses");
    return;
  }
  if (email.addresses_size() > kMaxAddresses) {
    violations.Add(field, absl::StrCat("too many; at most ", kMaxAddresses));
    return;
  }
  std::set<std::string> seen;
  for (int i = 0; i < email.addresses_size(); ++i) {
    const std::string& address = email.addresses(i);
    if (!IsEmailAddress(address)) {
      violations.Add(absl::StrCat(field, "[", i, "]"),
                     "not an email address; give one like desk@example.org");
    } else if (!seen.insert(absl::AsciiStrToLower(address)).second) {
      violations.Add(absl::StrCat(field, "[", i, "]"), "duplicate address");
    }
  }
}

}  // namespace

const std::vector<std::string>& ResourceTraits<Subscription>::MutableFields() {
  static const std::vector<std::string> kFields = {
      "display_name",     "collections", "country_codes", "alert_categories", "minimum_severity",
      "escalations_only", "webhook",     "email",         "secretariat_scope"};
  return kFields;
}

const std::vector<std::string>& ResourceTraits<Subscription>::CreateOnlyFields() {
  static const std::vector<std::string> kFields = {"signing_secret"};
  return kFields;
}

const std::vector<std::string>& ResourceTraits<Subscription>::FilterableFields() {
  static const std::vector<std::string> kNone;
  return kNone;
}

void ResourceTraits<Subscription>::Validate(const Subscription& subscription,
                                            FieldViolations& violations) {
  CheckText(violations, "subscription.display_name", subscription.display_name(), 200,
            Presence::kOptional);
  CheckEnumList(violations, "subscription.collections", subscription.collections(),
                Subscription::Collection_descriptor());
  CheckCountryCodes(violations, "subscription.country_codes", subscription.country_codes(),
                    kMaxCountries);
  CheckEnumList(violations, "subscription.alert_categories", subscription.alert_categories(),
                v1::Alert::Category_descriptor());
  CheckEnum(violations, "subscription.minimum_severity", subscription.minimum_severity(),
            v1::Alert::Severity_descriptor(), Presence::kOptional);
  if (subscription.escalations_only() && !subscription.collections().empty() &&
      (subscription.collections_size() != 1 ||
       subscription.collections(0) != Subscription::COLLECTION_ALERTS)) {
    violations.Add("subscription.collections",
                   "escalations_only selects alerts only; leave collections empty or give "
                   "COLLECTION_ALERTS");
  }
  switch (subscription.destination_case()) {
    case Subscription::kWebhook:
      CheckWebhookUrl(violations, subscription.webhook().url());
      break;
    case Subscription::kEmail:
      CheckEmail(violations, subscription.email());
      break;
    case Subscription::DESTINATION_NOT_SET:
      violations.Add("subscription.webhook",
                     "a destination is required: give webhook.url or email.addresses");
      break;
  }
  if (!subscription.signing_secret().empty() &&
      SigningKey(subscription.signing_secret()).size() < 24) {
    violations.Add("subscription.signing_secret",
                   "expected whsec_ and the base64 of 24 to 64 random bytes; leave it empty for "
                   "one mpowerd makes");
  }
}

absl::Status ResourceTraits<Subscription>::CheckCreate(const Principal& caller,
                                                       absl::string_view parent,
                                                       const Subscription& resource, Store&) {
  MPOWER_RETURN_IF_ERROR(
      RequireEditorOf(caller, parent, absl::StrCat("the subscriptions of ", parent)));
  if (resource.secretariat_scope()) {
    return RequireAdmin(caller, "subscription.secretariat_scope");
  }
  return absl::OkStatus();
}

absl::Status ResourceTraits<Subscription>::CheckWrite(const Principal& caller,
                                                      const Subscription& existing, WriteKind) {
  const std::string owner = SubscriptionOwner(existing.name());
  return RequireEditorOf(caller, owner, absl::StrCat("the subscriptions of ", owner));
}

absl::StatusOr<bool> ResourceTraits<Subscription>::CanRead(const Principal& caller,
                                                           const Subscription& subscription,
                                                           Store&) {
  if (IsAdmin(caller)) return true;
  return (caller.role == Principal::Role::kPartnerViewer ||
          caller.role == Principal::Role::kPartnerEditor) &&
         caller.partner == SubscriptionOwner(subscription.name());
}

bool ResourceTraits<Subscription>::Redact(const Principal&, Subscription& subscription) {
  subscription.clear_signing_secret();
  return false;
}

std::string ResourceTraits<Subscription>::TakeProtected(Subscription& subscription) {
  Subscription sealed = subscription;
  sealed.clear_name();
  sealed.clear_create_time();
  sealed.clear_update_time();
  sealed.clear_etag();
  sealed.clear_delivery();
  Subscription open;
  open.set_name(subscription.name());
  *open.mutable_create_time() = subscription.create_time();
  *open.mutable_update_time() = subscription.update_time();
  subscription = std::move(open);
  return SealedPart(sealed);
}

absl::Status ResourceTraits<Subscription>::RestoreProtected(Subscription& subscription,
                                                            const std::string& data) {
  if (data.empty()) return absl::OkStatus();
  Subscription sealed;
  if (!OpenSealedPart(data, sealed)) {
    return absl::DataLossError(
        absl::StrCat("the stored settings of ", subscription.name(), " are unreadable"));
  }
  subscription.MergeFrom(sealed);
  return absl::OkStatus();
}

std::string SubscriptionOwner(absl::string_view subscription_name) {
  return std::string(subscription_name.substr(0, subscription_name.find("/subscriptions/")));
}

std::string NewSigningSecret() {
  return absl::StrCat(kSecretPrefix, absl::Base64Escape(RandomBytes(32)));
}

std::string SigningKey(absl::string_view secret) {
  std::string key;
  if (!absl::ConsumePrefix(&secret, kSecretPrefix) || !absl::Base64Unescape(secret, &key) ||
      key.size() > 64) {
    return "";
  }
  return key;
}

}  // namespace mpower
