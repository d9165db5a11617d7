#include "server/service/alert_service.h"

#include "absl/strings/match.h"
#include "server/base/status_macros.h"
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

// Whether `alert` carries protected details in the clear.
bool HasClearDetails(const v1::Alert& alert) {
  return alert.has_protected_details() && !alert.protected_details().has_sealed() &&
         alert.protected_details().ByteSizeLong() > 0;
}

// Whether `mask` sets the protected details (an empty mask or "*" sets
// every field).
bool SetsDetails(const google::protobuf::FieldMask& mask) {
  if (mask.paths().empty()) return true;
  for (const std::string& path : mask.paths()) {
    if (path == "*" || path == "protected_details" ||
        absl::StartsWith(path, "protected_details.")) {
      return true;
    }
  }
  return false;
}

absl::Status RefuseClearDetails() {
  return absl::InvalidArgumentError(
      "alert.protected_details: this server takes protected details only sealed on the filer's "
      "machine (mpowerd --require-client-sealing); seal them to every entitled partner's keys "
      "and give them as protected_details.sealed: mpower alerts create and update do so once "
      "your partner has a key (mpower keys generate)");
}

}  // namespace

AlertServiceImpl::AlertServiceImpl(Store* store, const Authenticator* auth,
                                   bool require_client_sealing)
    : auth_(*auth), alerts_(store), require_client_sealing_(require_client_sealing) {
  Serve(this, "GetAlert", &AlertServiceImpl::GetAlert, RunsOn::kGrpcThread);
  Serve(this, "ListAlerts", &AlertServiceImpl::ListAlerts, RunsOn::kGrpcThread);
  Serve(this, "CreateAlert", &AlertServiceImpl::CreateAlert, RunsOn::kWorkerPool);
  Serve(this, "UpdateAlert", &AlertServiceImpl::UpdateAlert, RunsOn::kWorkerPool);
  Serve(this, "DeleteAlert", &AlertServiceImpl::DeleteAlert, RunsOn::kWorkerPool);
  Serve(this, "UndeleteAlert", &AlertServiceImpl::UndeleteAlert, RunsOn::kWorkerPool);
  Serve(this, "PurgeAlert", &AlertServiceImpl::PurgeAlert, RunsOn::kWorkerPool);
}

absl::Status AlertServiceImpl::GetAlert(grpc::CallbackServerContext* context,
                                        const v1::GetAlertRequest* request,
                                        v1::GetAlertResponse* response) {
  MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
  MPOWER_ASSIGN_OR_RETURN(v1::Alert alert, alerts_.Get(caller, request->name()));
  *response->mutable_alert() = std::move(alert);
  return absl::OkStatus();
}

absl::Status AlertServiceImpl::ListAlerts(grpc::CallbackServerContext* context,
                                          const v1::ListAlertsRequest* request,
                                          v1::ListAlertsResponse* response) {
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
}

absl::Status AlertServiceImpl::CreateAlert(grpc::CallbackServerContext* context,
                                           const v1::CreateAlertRequest* request,
                                           v1::CreateAlertResponse* response) {
  MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
  if (require_client_sealing_ && HasClearDetails(request->alert())) return RefuseClearDetails();
  MPOWER_ASSIGN_OR_RETURN(v1::Alert alert,
                          alerts_.Create(caller, "", request->alert_id(), request->alert(),
                                         request->request_id(), AlertFingerprint(*request)));
  *response->mutable_alert() = std::move(alert);
  return absl::OkStatus();
}

absl::Status AlertServiceImpl::UpdateAlert(grpc::CallbackServerContext* context,
                                           const v1::UpdateAlertRequest* request,
                                           v1::UpdateAlertResponse* response) {
  MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
  if (require_client_sealing_ && HasClearDetails(request->alert()) &&
      SetsDetails(request->update_mask())) {
    return RefuseClearDetails();
  }
  MPOWER_ASSIGN_OR_RETURN(v1::Alert alert,
                          alerts_.Update(caller, request->alert(), request->update_mask()));
  *response->mutable_alert() = std::move(alert);
  return absl::OkStatus();
}

absl::Status AlertServiceImpl::DeleteAlert(grpc::CallbackServerContext* context,
                                           const v1::DeleteAlertRequest* request,
                                           v1::DeleteAlertResponse* response) {
  MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
  MPOWER_ASSIGN_OR_RETURN(std::optional<v1::Alert> alert,
                          alerts_.Delete(caller, request->name(), request->etag()));
  *response->mutable_alert() = *std::move(alert);
  return absl::OkStatus();
}

absl::Status AlertServiceImpl::UndeleteAlert(grpc::CallbackServerContext* context,
                                             const v1::UndeleteAlertRequest* request,
                                             v1::UndeleteAlertResponse* response) {
  MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
  MPOWER_ASSIGN_OR_RETURN(v1::Alert alert,
                          alerts_.Undelete(caller, request->name(), request->etag()));
  *response->mutable_alert() = std::move(alert);
  return absl::OkStatus();
}

absl::Status AlertServiceImpl::PurgeAlert(grpc::CallbackServerContext* context,
                                          const v1::PurgeAlertRequest* request,
                                          v1::PurgeAlertResponse* response) {
  MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
  MPOWER_ASSIGN_OR_RETURN(v1::Alert alert,
                          alerts_.Purge(caller, request->name(), request->reason(), request->etag(),
                                        request->include_shareable()));
  *response->mutable_alert() = std::move(alert);
  return absl::OkStatus();
}

}  // namespace mpower
