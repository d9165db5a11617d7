#ifndef MPOWER_SERVER_NOTIFY_NOTIFICATION_H_
#define MPOWER_SERVER_NOTIFY_NOTIFICATION_H_

// Which changes a subscription hears of, and what it is told: the change
// as the subscribing partner may read it at delivery time, never with
// protected alert details.

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "mpower/v1/change.pb.h"
#include "mpower/v1/subscription.pb.h"
#include "server/core/change_feed.h"
#include "server/storage/store.h"

namespace mpower {

// One change to tell a subscription of.
struct Notification {
  v1::Change change;
  // e.g. "alert.created", "alert.escalated", "response.created".
  std::string event_type;
};

// The reader a subscription's deliveries are judged as: its partner's
// viewer (or the secretariat, with secretariat_scope), never receiving
// protected details.
Principal SubscriptionReader(const v1::Subscription& subscription);

// The notification `record` makes for `subscription`, judged now; nullopt
// if the subscription does not select it or its partner may not read it.
absl::StatusOr<std::optional<Notification>> SelectNotification(Store& store, const ChangeFeed& feed,
                                                               const v1::Subscription& subscription,
                                                               const ChangeRecord& record);

// The webhook body: {"type", "timestamp", "data": the change}, as the
// Standard Webhooks payload structure suggests.
std::string WebhookBody(const Notification& notification);

// The webhook body of a ping: type "mpower.ping".
std::string PingBody(absl::string_view subscription_name);

// The webhook-id of `notification` for `subscription`: the same on every
// retry, so a receiver can drop duplicates.
std::string MessageId(absl::string_view subscription_name, const Notification& notification);

// Plain-text email: a subject and body for one notification, or a digest
// of several.
struct EmailText {
  std::string subject;
  std::string body;
};
EmailText EmailFor(const std::vector<Notification>& notifications);

}  // namespace mpower

#endif  // MPOWER_SERVER_NOTIFY_NOTIFICATION_H_
