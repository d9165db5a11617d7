#include "server/service/initiative_service.h"

#include "server/core/status_macros.h"
#include "server/service/handler_support.h"

namespace mpower {

grpc::ServerUnaryReactor* InitiativeServiceImpl::GetInitiative(
    grpc::CallbackServerContext* context, const v1::GetInitiativeRequest* request,
    v1::GetInitiativeResponse* response) {
  return Respond(context, "GetInitiative", [&]() -> absl::Status {
    MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
    MPOWER_ASSIGN_OR_RETURN(*response->mutable_initiative(), initiatives_.Get(caller, request->name()));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* InitiativeServiceImpl::ListInitiatives(
    grpc::CallbackServerContext* context, const v1::ListInitiativesRequest* request,
    v1::ListInitiativesResponse* response) {
  return Respond(context, "ListInitiatives", [&]() -> absl::Status {
    MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
    MPOWER_ASSIGN_OR_RETURN(Page<v1::Initiative> page,
                            initiatives_.List(caller, {.page_size = request->page_size(),
                                               .page_token = request->page_token(),
                                               .filter = request->filter()}));
    for (auto& initiative : page.items) *response->add_initiatives() = std::move(initiative);
    response->set_next_page_token(page.next_page_token);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* InitiativeServiceImpl::CreateInitiative(
    grpc::CallbackServerContext* context, const v1::CreateInitiativeRequest* request,
    v1::CreateInitiativeResponse* response) {
  return RespondOffThread(context, "CreateInitiative", [=, this]() -> absl::Status {
    MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
    MPOWER_ASSIGN_OR_RETURN(
        *response->mutable_initiative(),
        initiatives_.Create(caller, "", request->initiative_id(), request->initiative(),
                            request->request_id(), CreateFingerprint(*request)));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* InitiativeServiceImpl::UpdateInitiative(
    grpc::CallbackServerContext* context, const v1::UpdateInitiativeRequest* request,
    v1::UpdateInitiativeResponse* response) {
  return RespondOffThread(context, "UpdateInitiative", [=, this]() -> absl::Status {
    MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
    MPOWER_ASSIGN_OR_RETURN(*response->mutable_initiative(),
                            initiatives_.Update(caller, request->initiative(), request->update_mask()));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* InitiativeServiceImpl::DeleteInitiative(
    grpc::CallbackServerContext* context, const v1::DeleteInitiativeRequest* request,
    v1::DeleteInitiativeResponse*) {
  return RespondOffThread(context, "DeleteInitiative", [=, this]() -> absl::Status {
    MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
    return initiatives_.Delete(caller, request->name(), request->etag()).status();
  });
}

}  // namespace mpower
