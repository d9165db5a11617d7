#include "server/notify/notification.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "server/base/status_macros.h"
#include "server/core/alert_rules.h"
#include "server/core/subscription_rules.h"
#include "server/storage/crypto.h"

namespace mpower {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using v1::Alert;
using v1::Subscription;

// The collection a subscription names, as storage names it.
const char* CollectionName(int collection) {
  switch (collection) {
    case Subscription::COLLECTION_ALERTS:
      return "alerts";
    case Subscription::COLLECTION_RESPONSES:
      return "responses";
    case Subscription::COLLECTION_COMMITMENTS:
      return "commitments";
    case Subscription::COLLECTION_INITIATIVES:
      return "initiatives";
    case Subscription::COLLECTION_PARTNERS:
      return "partners";
  }
  return "";
}

bool SelectsCollection(const Subscription& subscription, const std::string& collection) {
  if (subscription.escalations_only()) return collection == "alerts";
  if (subscription.collections().empty()) {
    return collection == "alerts" || collection == "responses";
  }
  return std::any_of(subscription.collections().begin(), subscription.collections().end(),
                     [&](int c) { return collection == CollectionName(c); });
}

template <typename Values>
bool AnyCountry(const Subscription& subscription, const Values& countries) {
  if (subscription.country_codes().empty()) return true;
  for (const std::string& country : countries) {
    if (std::find(subscription.country_codes().begin(), subscription.country_codes().end(),
                  country) != subscription.country_codes().end()) {
      return true;
    }
  }
  return false;
}

// Whether an alert passes the subscription's country, category and
// severity conditions.
bool SelectsAlert(const Subscription& subscription, const Alert& alert) {
  if (!AnyCountry(subscription, std::vector<std::string>{alert.country_code()})) return false;
  if (!subscription.alert_categories().empty() &&
      std::find(subscription.alert_categories().begin(), subscription.alert_categories().end(),
                alert.category()) == subscription.alert_categories().end()) {
    return false;
  }
  // Severity values run from most severe (EXTREME = 1) to least; UNKNOWN
  // may be anything, so it passes.
  if (subscription.minimum_severity() != Alert::SEVERITY_UNSPECIFIED &&
      alert.severity() != Alert::SEVERITY_UNKNOWN &&
      alert.severity() > subscription.minimum_severity()) {
    return false;
  }
  return true;
}

// The change that escalated the alert: escalation stamps update_time and
// escalate_time with the same instant (core/escalation.cc).
bool IsEscalation(const v1::Change& change) {
  return change.type() == v1::CHANGE_TYPE_UPDATED && change.alert().escalated() &&
         change.alert().has_escalate_time() &&
         change.alert().escalate_time().seconds() == change.alert().update_time().seconds() &&
         change.alert().escalate_time().nanos() == change.alert().update_time().nanos();
}

std::string Verb(v1::ChangeType type) {
  switch (type) {
    case v1::CHANGE_TYPE_CREATED:
      return "created";
    case v1::CHANGE_TYPE_UPDATED:
      return "updated";
    case v1::CHANGE_TYPE_REMOVED:
      return "removed";
    default:
      return "changed";
  }
}

const Message* Resource(const v1::Change& change) {
  const google::protobuf::OneofDescriptor* oneof =
      v1::Change::descriptor()->FindOneofByName("resource");
  const FieldDescriptor* field = change.GetReflection()->GetOneofFieldDescriptor(change, oneof);
  if (field == nullptr) return nullptr;
  return &change.GetReflection()->GetMessage(change, field);
}

std::string Json(const Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  return json;
}

std::string NowRfc3339() {
  return absl::FormatTime("%Y-%m-%d%ET%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone());
}

// "headline: ...", one line per set top-level scalar field of `resource`.
std::string FieldLines(const Message& resource) {
  std::string lines;
  std::vector<const FieldDescriptor*> fields;
  resource.GetReflection()->ListFields(resource, &fields);
  for (const FieldDescriptor* field : fields) {
    if (field->name() == "name" || field->name() == "etag") continue;
    const auto* reflection = resource.GetReflection();
    std::string value;
    if (field->is_repeated()) {
      if (field->type() != FieldDescriptor::TYPE_STRING &&
          field->type() != FieldDescriptor::TYPE_ENUM) {
        continue;
      }
      std::vector<std::string> values;
      for (int i = 0; i < reflection->FieldSize(resource, field); ++i) {
        values.push_back(field->type() == FieldDescriptor::TYPE_STRING
                             ? reflection->GetRepeatedString(resource, field, i)
                             : reflection->GetRepeatedEnum(resource, field, i)->name());
      }
      value = absl::StrJoin(values, ", ");
    } else {
      switch (field->cpp_type()) {
        case FieldDescriptor::CPPTYPE_STRING:
          value = reflection->GetString(resource, field);
          break;
        case FieldDescriptor::CPPTYPE_ENUM:
          value = reflection->GetEnum(resource, field)->name();
          break;
        case FieldDescriptor::CPPTYPE_BOOL:
          value = reflection->GetBool(resource, field) ? "yes" : "no";
          break;
        case FieldDescriptor::CPPTYPE_MESSAGE:
          if (field->message_type()->full_name() == "google.protobuf.Timestamp") {
            value = google::protobuf::util::TimeUtil::ToString(
                static_cast<const google::protobuf::Timestamp&>(
                    reflection->GetMessage(resource, field)));
          }
          break;
        default:
          break;
      }
    }
    if (value.empty()) continue;
    // One line each: a value's own line breaks become spaces.
    std::replace(value.begin(), value.end(), '\n', ' ');
    std::replace(value.begin(), value.end(), '\r', ' ');
    absl::StrAppend(&lines, "  ", field->name(), ": ", value, "\n");
  }
  return lines;
}

}  // namespace

Principal SubscriptionReader(const Subscription& subscription) {
  Principal reader;
  if (subscription.secretariat_scope()) {
    reader.role = Principal::Role::kAdmin;
  } else {
    reader.role = Principal::Role::kPartnerViewer;
    reader.partner = SubscriptionOwner(subscription.name());
  }
  reader.id = absl::StrCat("notifications:", subscription.name());
  reader.withhold_protected_details = true;
  return reader;
}

absl::StatusOr<std::optional<Notification>> SelectNotification(Store& store, const ChangeFeed& feed,
                                                               const Subscription& subscription,
                                                               const ChangeRecord& record) {
  const std::string& collection = record.resource.collection;
  if (!SelectsCollection(subscription, collection)) return std::nullopt;
  MPOWER_ASSIGN_OR_RETURN(std::optional<v1::Change> change,
                          feed.Render(SubscriptionReader(subscription), record, ChangeSelection{}));
  if (!change.has_value()) return std::nullopt;
  Notification notification;
  std::string singular = collection.substr(0, collection.size() - 1);
  std::string verb = Verb(change->type());
  switch (change->resource_case()) {
    case v1::Change::kAlert:
      if (!SelectsAlert(subscription, change->alert())) return std::nullopt;
      if (IsEscalation(*change)) {
        verb = "escalated";
      } else if (subscription.escalations_only()) {
        return std::nullopt;
      }
      // Never sent, whoever subscribes; the renderer already withheld them.
      change->mutable_alert()->clear_protected_details();
      break;
    case v1::Change::kResponse: {
      // A response is selected by its alert's country, category and
      // severity, as the partner may read the alert now.
      const std::string alert_name =
          change->response().name().substr(0, change->response().name().find("/responses/"));
      MPOWER_ASSIGN_OR_RETURN(std::optional<StoredResource> stored, store.Get(alert_name));
      if (!stored.has_value()) return std::nullopt;
      MPOWER_ASSIGN_OR_RETURN(Alert alert, ResourceCodec<Alert>::Decode(*stored));
      if (!SelectsAlert(subscription, alert)) return std::nullopt;
      break;
    }
    case v1::Change::kCommitment:
      if (!AnyCountry(subscription, change->commitment().country_codes())) return std::nullopt;
      break;
    case v1::Change::kInitiative:
      if (!AnyCountry(subscription, change->initiative().country_codes())) return std::nullopt;
      break;
    case v1::Change::kPartner:
      if (!AnyCountry(subscription, std::vector<std::string>{change->partner().country_code()})) {
        return std::nullopt;
      }
      break;
    default:
      return std::nullopt;
  }
  notification.event_type = absl::StrCat(singular, ".", verb);
  notification.change = *std::move(change);
  return notification;
}

std::string WebhookBody(const Notification& notification) {
  return absl::StrCat(R"({"type":")", notification.event_type, R"(","timestamp":")", NowRfc3339(),
                      R"(","data":)", Json(notification.change), "}");
}

std::string PingBody(absl::string_view subscription_name) {
  return absl::StrCat(R"({"type":"mpower.ping","timestamp":")", NowRfc3339(),
                      R"(","data":{"revision":"0","subscription":")", subscription_name, R"("}})");
}

std::string MessageId(absl::string_view subscription_name, const Notification& notification) {
  return absl::StrCat(
      "msg_", Sha256Hex(absl::StrCat(subscription_name, "\n", notification.change.revision(), "\n",
                                     notification.change.name()))
                  .substr(0, 32));
}

EmailText EmailFor(const std::vector<Notification>& notifications) {
  EmailText email;
  if (notifications.size() == 1) {
    const Notification& only = notifications.front();
    email.subject = absl::StrCat("[mpower] ", only.event_type, ": ", only.change.name());
  } else {
    email.subject = absl::StrCat("[mpower] ", notifications.size(), " changes, through revision ",
                                 notifications.back().change.revision());
  }
  for (const Notification& notification : notifications) {
    absl::StrAppend(&email.body, notification.event_type, " ", notification.change.name(),
                    " (revision ", notification.change.revision(), ")\n");
    if (const Message* resource = Resource(notification.change); resource != nullptr) {
      absl::StrAppend(&email.body, FieldLines(*resource));
    }
    absl::StrAppend(&email.body, "\n");
  }
  absl::StrAppend(&email.body,
                  "This message holds only what your partner may read, never protected alert "
                  "details. Read more with your own credential, e.g.\n  mpower alerts get NAME\n");
  return email;
}

}  // namespace mpower
