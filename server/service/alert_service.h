#ifndef MPOWER_SERVER_SERVICE_ALERT_SERVICE_H_
#define MPOWER_SERVER_SERVICE_ALERT_SERVICE_H_

#include "mpower/v1/alert.grpc.pb.h"
#include "server/core/alert_rules.h"
#include "server/service/authenticator.h"
#include "server/service/parsing_service.h"

namespace mpower {

// The gRPC face of AlertService. Core redacts every alert for the caller.
// Thread-safe.
class AlertServiceImpl final : public ParsingService<v1::AlertService> {
 public:
  // With `require_client_sealing`, protected details given in the clear
  // are refused (mpowerd --require-client-sealing).
  AlertServiceImpl(Store* store, const Authenticator* auth, bool require_client_sealing = false);

  absl::Status GetAlert(grpc::CallbackServerContext* context, const v1::GetAlertRequest* request,
                        v1::GetAlertResponse* response);
  absl::Status ListAlerts(grpc::CallbackServerContext* context,
                          const v1::ListAlertsRequest* request, v1::ListAlertsResponse* response);
  absl::Status CreateAlert(grpc::CallbackServerContext* context,
                           const v1::CreateAlertRequest* request,
                           v1::CreateAlertResponse* response);
  absl::Status UpdateAlert(grpc::CallbackServerContext* context,
                           const v1::UpdateAlertRequest* request,
                           v1::UpdateAlertResponse* response);
  absl::Status DeleteAlert(grpc::CallbackServerContext* context,
                           const v1::DeleteAlertRequest* request,
                           v1::DeleteAlertResponse* response);
  absl::Status UndeleteAlert(grpc::CallbackServerContext* context,
                             const v1::UndeleteAlertRequest* request,
                             v1::UndeleteAlertResponse* response);
  absl::Status PurgeAlert(grpc::CallbackServerContext* context,
                          const v1::PurgeAlertRequest* request, v1::PurgeAlertResponse* response);

 private:
  const Authenticator& auth_;
  ResourceManager<v1::Alert> alerts_;
  const bool require_client_sealing_;
};

}  // namespace mpower

#endif  // MPOWER_SERVER_SERVICE_ALERT_SERVICE_H_
