#include "server/service/alert_service.h"

#include "server/core/status_macros.h"
#include "server/service/handler_support.h"

namespace mpower {
namespace {

// The request_id fingerprint of a CreateAlert, without the protected
// details: it is stored in the clear, and a hash of a person's name would
// let anyone holding the file test guesses against it.
std::string AlertFingerprint(const v1::CreateAlertRequest& request) {
  v1::CreateAlertRequest without = request;
  without.mutable_alert()->clear_protected_details();
  return CreateFingerprint(without);
}

}  // namespace
grpc::ServerUnaryReactor* AlertServiceImpl::GetAlert(grpc::CallbackServerContext* context,
                                                     const v1::GetAlertRequest* request,
                                                     v1::GetAlertResponse* response) {
  return Respond(context, "GetAlert", [&]() -> absl::Status {
    MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
    MPOWER_ASSIGN_OR_RETURN(v1::Alert alert, alerts_.Get(caller, request->name()));
    *response->mutable_alert() = std::move(alert);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AlertServiceImpl::ListAlerts(grpc::CallbackServerContext* context,
                                                       const v1::ListAlertsRequest* request,
                                                       v1::ListAlertsResponse* response) {
  return Respond(context, "ListAlerts", [&]() -> absl::Status {
    MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
    MPOWER_ASSIGN_OR_RETURN(Page<v1::Alert> page,
                            alerts_.List(caller, {.page_size = request->page_size(),
                                          .page_token = request->page_token(),
                                          .filter = request->filter(),
                                          .show_deleted = request->show_deleted()}));
    for (v1::Alert& alert : page.items) {
      *response->add_alerts() = std::move(alert);
    }
    response->set_next_page_token(page.next_page_token);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AlertServiceImpl::CreateAlert(grpc::CallbackServerContext* context,
                                                        const v1::CreateAlertRequest* request,
                                                        v1::CreateAlertResponse* response) {
  return RespondOffThread(context, "CreateAlert", [=, this]() -> absl::Status {
    MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
    MPOWER_ASSIGN_OR_RETURN(v1::Alert alert,
                            alerts_.Create(caller, "", request->alert_id(), request->alert(),
                                           request->request_id(), AlertFingerprint(*request)));
    *response->mutable_alert() = std::move(alert);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AlertServiceImpl::UpdateAlert(grpc::CallbackServerContext* context,
                                                        const v1::UpdateAlertRequest* request,
                                                        v1::UpdateAlertResponse* response) {
  return RespondOffThread(context, "UpdateAlert", [=, this]() -> absl::Status {
    MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
    MPOWER_ASSIGN_OR_RETURN(v1::Alert alert,
                            alerts_.Update(caller, request->alert(), request->update_mask()));
    *response->mutable_alert() = std::move(alert);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AlertServiceImpl::DeleteAlert(grpc::CallbackServerContext* context,
                                                        const v1::DeleteAlertRequest* request,
                                                        v1::DeleteAlertResponse* response) {
  return RespondOffThread(context, "DeleteAlert", [=, this]() -> absl::Status {
    MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
    MPOWER_ASSIGN_OR_RETURN(std::optional<v1::Alert> alert,
                            alerts_.Delete(caller, request->name(), request->etag()));
    *response->mutable_alert() = *std::move(alert);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AlertServiceImpl::UndeleteAlert(grpc::CallbackServerContext* context,
                                                          const v1::UndeleteAlertRequest* request,
                                                          v1::UndeleteAlertResponse* response) {
  return RespondOffThread(context, "UndeleteAlert", [=, this]() -> absl::Status {
    MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
    MPOWER_ASSIGN_OR_RETURN(v1::Alert alert, alerts_.Undelete(caller, request->name(), request->etag()));
    *response->mutable_alert() = std::move(alert);
    return absl::OkStatus();
  });
}

}  // namespace mpower
