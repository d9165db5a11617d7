#include "server/service/subscription_service.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "server/base/status_macros.h"
#include "server/service/handler_support.h"

namespace mpower {
namespace {

using v1::Subscription;
using DeliveryStatus = v1::Subscription::DeliveryStatus;

// Whether an update with `mask` (empty: every mutable field) sets `field`.
bool MaskCovers(const google::protobuf::FieldMask& mask, absl::string_view field) {
  if (mask.paths().empty()) return true;
  for (const std::string& path : mask.paths()) {
    if (path == "*" || path == field || absl::StartsWith(path, absl::StrCat(field, "."))) {
      return true;
    }
  }
  return false;
}

}  // namespace

SubscriptionServiceImpl::SubscriptionServiceImpl(Store* store, const Authenticator* auth,
                                                 Notifier* notifier)
    : store_(*store), auth_(*auth), notifier_(*notifier), subscriptions_(store) {
  Serve(this, "GetSubscription", &SubscriptionServiceImpl::GetSubscription, RunsOn::kGrpcThread);
  Serve(this, "ListSubscriptions", &SubscriptionServiceImpl::ListSubscriptions,
        RunsOn::kGrpcThread);
  Serve(this, "CreateSubscription", &SubscriptionServiceImpl::CreateSubscription,
        RunsOn::kWorkerPool);
  Serve(this, "UpdateSubscription", &SubscriptionServiceImpl::UpdateSubscription,
        RunsOn::kWorkerPool);
  Serve(this, "DeleteSubscription", &SubscriptionServiceImpl::DeleteSubscription,
        RunsOn::kWorkerPool);
  // A ping waits for the receiver: never on one of gRPC's threads.
  Serve(this, "TestSubscription", &SubscriptionServiceImpl::TestSubscription, RunsOn::kWorkerPool);
  Serve(this, "ReplaySubscription", &SubscriptionServiceImpl::ReplaySubscription,
        RunsOn::kWorkerPool);
}

absl::Status SubscriptionServiceImpl::AddDeliveryStatus(Subscription& subscription) const {
  MPOWER_ASSIGN_OR_RETURN(*subscription.mutable_delivery(),
                          LoadDeliveryStatus(store_, subscription.name()));
  return absl::OkStatus();
}

absl::Status SubscriptionServiceImpl::GetSubscription(grpc::CallbackServerContext* context,
                                                      const v1::GetSubscriptionRequest* request,
                                                      v1::GetSubscriptionResponse* response) {
  MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
  MPOWER_ASSIGN_OR_RETURN(*response->mutable_subscription(),
                          subscriptions_.Get(caller, request->name()));
  return AddDeliveryStatus(*response->mutable_subscription());
}

absl::Status SubscriptionServiceImpl::ListSubscriptions(grpc::CallbackServerContext* context,
                                                        const v1::ListSubscriptionsRequest* request,
                                                        v1::ListSubscriptionsResponse* response) {
  MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
  MPOWER_ASSIGN_OR_RETURN(Page<Subscription> page,
                          subscriptions_.List(caller, {.parent = request->parent(),
                                                       .page_size = request->page_size(),
                                                       .page_token = request->page_token()}));
  for (auto& subscription : page.items) {
    MPOWER_RETURN_IF_ERROR(AddDeliveryStatus(subscription));
    *response->add_subscriptions() = std::move(subscription);
  }
  response->set_next_page_token(page.next_page_token);
  return absl::OkStatus();
}

absl::Status SubscriptionServiceImpl::CreateSubscription(
    grpc::CallbackServerContext* context, const v1::CreateSubscriptionRequest* request,
    v1::CreateSubscriptionResponse* response) {
  MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
  const Subscription& input = request->subscription();
  if (input.has_webhook()) {
    MPOWER_RETURN_IF_ERROR(CheckWebhookTarget(input.webhook().url(), notifier_.target_policy(),
                                              "subscription.webhook.url"));
  }
  Subscription subscription = input;
  if (subscription.signing_secret().empty()) subscription.set_signing_secret(NewSigningSecret());
  MPOWER_ASSIGN_OR_RETURN(
      Subscription created,
      subscriptions_.Create(caller, request->parent(), request->subscription_id(), subscription,
                            request->request_id(), CreateFingerprint(*request)));
  // The secret, shown now only (and again to a retry of this create, whose
  // first answer may have been lost): read back, since a retry returns the
  // first create's.
  MPOWER_ASSIGN_OR_RETURN(std::optional<StoredResource> stored, store_.Get(created.name()));
  if (stored.has_value()) {
    MPOWER_ASSIGN_OR_RETURN(Subscription with_secret, ResourceCodec<Subscription>::Decode(*stored));
    created.set_signing_secret(with_secret.signing_secret());
  }
  MPOWER_RETURN_IF_ERROR(AddDeliveryStatus(created));
  notifier_.Reload();
  *response->mutable_subscription() = std::move(created);
  return absl::OkStatus();
}

absl::Status SubscriptionServiceImpl::UpdateSubscription(
    grpc::CallbackServerContext* context, const v1::UpdateSubscriptionRequest* request,
    v1::UpdateSubscriptionResponse* response) {
  MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
  const Subscription& patch = request->subscription();
  if (MaskCovers(request->update_mask(), "webhook") && patch.has_webhook()) {
    MPOWER_RETURN_IF_ERROR(CheckWebhookTarget(patch.webhook().url(), notifier_.target_policy(),
                                              "subscription.webhook.url"));
  }
  if (MaskCovers(request->update_mask(), "secretariat_scope") && patch.secretariat_scope() &&
      !IsAdmin(caller)) {
    MPOWER_RETURN_IF_ERROR(RequireAdmin(caller, "subscription.secretariat_scope"));
  }
  MPOWER_ASSIGN_OR_RETURN(Subscription updated,
                          subscriptions_.Update(caller, patch, request->update_mask()));
  MPOWER_RETURN_IF_ERROR(Resume(updated.name()));
  MPOWER_RETURN_IF_ERROR(AddDeliveryStatus(updated));
  *response->mutable_subscription() = std::move(updated);
  return absl::OkStatus();
}

absl::Status SubscriptionServiceImpl::Resume(const std::string& name) {
  MPOWER_ASSIGN_OR_RETURN(const int64_t compacted, store_.CompactedRevision());
  MPOWER_RETURN_IF_ERROR(
      store_
          .Write([&](WriteTransaction& txn) -> absl::Status {
            MPOWER_ASSIGN_OR_RETURN(std::optional<std::string> stored, txn.GetDeliveryState(name));
            DeliveryStatus status;
            if (!stored.has_value() || !status.ParseFromString(*stored) ||
                status.state() != Subscription::STATE_FAILING) {
              return absl::OkStatus();
            }
            status.set_state(Subscription::STATE_ACTIVE);
            status.set_consecutive_failures(0);
            status.clear_failing_since();
            status.clear_next_attempt_time();
            status.clear_last_error();
            // What was compacted meanwhile cannot be delivered any more.
            status.set_delivered_revision(std::max(status.delivered_revision(), compacted));
            return txn.PutDeliveryState(name, status.SerializeAsString());
          })
          .status());
  notifier_.Reload();
  return absl::OkStatus();
}

absl::Status SubscriptionServiceImpl::DeleteSubscription(
    grpc::CallbackServerContext* context, const v1::DeleteSubscriptionRequest* request,
    v1::DeleteSubscriptionResponse*) {
  MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
  MPOWER_RETURN_IF_ERROR(subscriptions_.Delete(caller, request->name(), request->etag()).status());
  notifier_.Reload();
  return absl::OkStatus();
}

absl::Status SubscriptionServiceImpl::TestSubscription(grpc::CallbackServerContext* context,
                                                       const v1::TestSubscriptionRequest* request,
                                                       v1::TestSubscriptionResponse* response) {
  MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
  // Only those who may change it may make mpowerd send to it.
  MPOWER_ASSIGN_OR_RETURN(Subscription visible, subscriptions_.Get(caller, request->name()));
  MPOWER_RETURN_IF_ERROR(
      ResourceTraits<Subscription>::CheckWrite(caller, visible, WriteKind::kUpdate));
  MPOWER_ASSIGN_OR_RETURN(std::optional<StoredResource> stored, store_.Get(request->name()));
  if (!stored.has_value()) return ResourceNotFound("subscription", request->name());
  MPOWER_ASSIGN_OR_RETURN(Subscription subscription, ResourceCodec<Subscription>::Decode(*stored));
  const SendResult sent = notifier_.Ping(subscription);
  response->set_delivered(sent.delivered);
  response->set_http_status(sent.http_status);
  response->set_error(sent.error);
  response->set_response_excerpt(sent.response_excerpt);
  return absl::OkStatus();
}

absl::Status SubscriptionServiceImpl::ReplaySubscription(
    grpc::CallbackServerContext* context, const v1::ReplaySubscriptionRequest* request,
    v1::ReplaySubscriptionResponse* response) {
  MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
  if (request->after_revision() < 0) {
    return absl::InvalidArgumentError("after_revision: must not be negative");
  }
  MPOWER_ASSIGN_OR_RETURN(Subscription subscription, subscriptions_.Get(caller, request->name()));
  MPOWER_RETURN_IF_ERROR(
      ResourceTraits<Subscription>::CheckWrite(caller, subscription, WriteKind::kUpdate));
  MPOWER_ASSIGN_OR_RETURN(const int64_t compacted, store_.CompactedRevision());
  if (request->after_revision() < compacted) {
    return absl::OutOfRangeError(absl::StrCat(
        "after_revision: revision ", request->after_revision(),
        " has been compacted; the oldest revision a replay can start after is ", compacted));
  }
  MPOWER_ASSIGN_OR_RETURN(DeliveryStatus current, LoadDeliveryStatus(store_, request->name()));
  if (request->after_revision() > current.delivered_revision()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "after_revision: ", request->after_revision(), " is ahead of what was delivered (through ",
        current.delivered_revision(), "); a replay goes back, never skips ahead"));
  }
  MPOWER_RETURN_IF_ERROR(
      store_
          .Write([&](WriteTransaction& txn) -> absl::Status {
            DeliveryStatus status = current;
            status.set_state(Subscription::STATE_ACTIVE);
            status.set_delivered_revision(request->after_revision());
            status.set_consecutive_failures(0);
            status.clear_failing_since();
            status.clear_next_attempt_time();
            status.clear_last_error();
            MPOWER_RETURN_IF_ERROR(AppendAudit(
                txn, MakeAuditRecord(caller, "ReplaySubscription", request->name(), "")));
            return txn.PutDeliveryState(request->name(), status.SerializeAsString());
          })
          .status());
  notifier_.Reload();
  MPOWER_RETURN_IF_ERROR(AddDeliveryStatus(subscription));
  *response->mutable_subscription() = std::move(subscription);
  return absl::OkStatus();
}

}  // namespace mpower
