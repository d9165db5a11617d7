#include "server/service/initiative_service.h"

#include "server/base/status_macros.h"
#include "server/service/handler_support.h"

namespace mpower {

InitiativeServiceImpl::InitiativeServiceImpl(Store* store, const Authenticator* auth)
    : initiatives_(store), auth_(*auth) {
  Serve(this, "GetInitiative", &InitiativeServiceImpl::GetInitiative, RunsOn::kGrpcThread);
  Serve(this, "ListInitiatives", &InitiativeServiceImpl::ListInitiatives, RunsOn::kGrpcThread);
  Serve(this, "CreateInitiative", &InitiativeServiceImpl::CreateInitiative, RunsOn::kWorkerPool);
  Serve(this, "UpdateInitiative", &InitiativeServiceImpl::UpdateInitiative, RunsOn::kWorkerPool);
  Serve(this, "DeleteInitiative", &InitiativeServiceImpl::DeleteInitiative, RunsOn::kWorkerPool);
}

absl::Status InitiativeServiceImpl::GetInitiative(grpc::CallbackServerContext* context,
                                                  const v1::GetInitiativeRequest* request,
                                                  v1::GetInitiativeResponse* response) {
  MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
  MPOWER_ASSIGN_OR_RETURN(*response->mutable_initiative(),
                          initiatives_.Get(caller, request->name()));
  return absl::OkStatus();
}

absl::Status InitiativeServiceImpl::ListInitiatives(grpc::CallbackServerContext* context,
                                                    const v1::ListInitiativesRequest* request,
                                                    v1::ListInitiativesResponse* response) {
  MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
  MPOWER_ASSIGN_OR_RETURN(Page<v1::Initiative> page,
                          initiatives_.List(caller, {.page_size = request->page_size(),
                                                     .page_token = request->page_token(),
                                                     .filter = request->filter()}));
  for (auto& initiative : page.items) *response->add_initiatives() = std::move(initiative);
  response->set_next_page_token(page.next_page_token);
  return absl::OkStatus();
}

absl::Status InitiativeServiceImpl::CreateInitiative(grpc::CallbackServerContext* context,
                                                     const v1::CreateInitiativeRequest* request,
                                                     v1::CreateInitiativeResponse* response) {
  MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
  MPOWER_ASSIGN_OR_RETURN(
      *response->mutable_initiative(),
      initiatives_.Create(caller, "", request->initiative_id(), request->initiative(),
                          request->request_id(), CreateFingerprint(*request)));
  return absl::OkStatus();
}

absl::Status InitiativeServiceImpl::UpdateInitiative(grpc::CallbackServerContext* context,
                                                     const v1::UpdateInitiativeRequest* request,
                                                     v1::UpdateInitiativeResponse* response) {
  MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
  MPOWER_ASSIGN_OR_RETURN(
      *response->mutable_initiative(),
      initiatives_.Update(caller, request->initiative(), request->update_mask()));
  return absl::OkStatus();
}

absl::Status InitiativeServiceImpl::DeleteInitiative(grpc::CallbackServerContext* context,
                                                     const v1::DeleteInitiativeRequest* request,
                                                     v1::DeleteInitiativeResponse*) {
  MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
  return initiatives_.Delete(caller, request->name(), request->etag()).status();
}

}  // namespace mpower
