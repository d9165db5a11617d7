#ifndef MPOWER_SERVER_SERVICE_ALERT_SERVICE_H_
#define MPOWER_SERVER_SERVICE_ALERT_SERVICE_H_

#include "mpower/v1/alert.grpc.pb.h"
#include "server/service/authenticator.h"
#include "server/core/alert_rules.h"

namespace mpower {

// The gRPC face of AlertService. Core redacts every alert for the caller.
// Thread-safe.
class AlertServiceImpl final : public v1::AlertService::CallbackService {
 public:
  AlertServiceImpl(Store* store, const Authenticator* auth) : alerts_(store), auth_(*auth) {}

  grpc::ServerUnaryReactor* GetAlert(grpc::CallbackServerContext* context,
                                     const v1::GetAlertRequest* request,
                                     v1::GetAlertResponse* response) override;
  grpc::ServerUnaryReactor* ListAlerts(grpc::CallbackServerContext* context,
                                       const v1::ListAlertsRequest* request,
                                       v1::ListAlertsResponse* response) override;
  grpc::ServerUnaryReactor* CreateAlert(grpc::CallbackServerContext* context,
                                        const v1::CreateAlertRequest* request,
                                        v1::CreateAlertResponse* response) override;
  grpc::ServerUnaryReactor* UpdateAlert(grpc::CallbackServerContext* context,
                                        const v1::UpdateAlertRequest* request,
                                        v1::UpdateAlertResponse* response) override;
  grpc::ServerUnaryReactor* DeleteAlert(grpc::CallbackServerContext* context,
                                        const v1::DeleteAlertRequest* request,
                                        v1::DeleteAlertResponse* response) override;
  grpc::ServerUnaryReactor* UndeleteAlert(grpc::CallbackServerContext* context,
                                          const v1::UndeleteAlertRequest* request,
                                          v1::UndeleteAlertResponse* response) override;

 private:
  const Authenticator& auth_;
  ResourceManager<v1::Alert> alerts_;
};

}  // namespace mpower

#endif  // MPOWER_SERVER_SERVICE_ALERT_SERVICE_H_
