#ifndef MPOWER_SERVER_SERVICE_SUBSCRIPTION_SERVICE_H_
#define MPOWER_SERVER_SERVICE_SUBSCRIPTION_SERVICE_H_

#include "mpower/v1/subscription.grpc.pb.h"
#include "server/core/subscription_rules.h"
#include "server/notify/notifier.h"
#include "server/service/authenticator.h"
#include "server/service/parsing_service.h"

namespace mpower {

// The gRPC face of SubscriptionService. Thread-safe.
class SubscriptionServiceImpl final : public ParsingService<v1::SubscriptionService> {
 public:
  // REQUIRES: every argument outlives this object.
  SubscriptionServiceImpl(Store* store, const Authenticator* auth, Notifier* notifier);

  absl::Status GetSubscription(grpc::CallbackServerContext* context,
                               const v1::GetSubscriptionRequest* request,
                               v1::GetSubscriptionResponse* response);
  absl::Status ListSubscriptions(grpc::CallbackServerContext* context,
                                 const v1::ListSubscriptionsRequest* request,
                                 v1::ListSubscriptionsResponse* response);
  absl::Status CreateSubscription(grpc::CallbackServerContext* context,
                                  const v1::CreateSubscriptionRequest* request,
                                  v1::CreateSubscriptionResponse* response);
  absl::Status UpdateSubscription(grpc::CallbackServerContext* context,
                                  const v1::UpdateSubscriptionRequest* request,
                                  v1::UpdateSubscriptionResponse* response);
  absl::Status DeleteSubscription(grpc::CallbackServerContext* context,
                                  const v1::DeleteSubscriptionRequest* request,
                                  v1::DeleteSubscriptionResponse* response);
  absl::Status TestSubscription(grpc::CallbackServerContext* context,
                                const v1::TestSubscriptionRequest* request,
                                v1::TestSubscriptionResponse* response);
  absl::Status ReplaySubscription(grpc::CallbackServerContext* context,
                                  const v1::ReplaySubscriptionRequest* request,
                                  v1::ReplaySubscriptionResponse* response);

 private:
  // Adds the delivery status to `subscription`.
  absl::Status AddDeliveryStatus(v1::Subscription& subscription) const;
  // Makes a failing subscription active again, after an update.
  absl::Status Resume(const std::string& name);

  Store& store_;
  const Authenticator& auth_;
  Notifier& notifier_;
  ResourceManager<v1::Subscription> subscriptions_;
};

}  // namespace mpower

#endif  // MPOWER_SERVER_SERVICE_SUBSCRIPTION_SERVICE_H_
