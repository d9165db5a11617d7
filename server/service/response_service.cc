#include "server/service/response_service.h"

#include "server/core/status_macros.h"
#include "server/service/handler_support.h"

namespace mpower {

grpc::ServerUnaryReactor* ResponseServiceImpl::GetResponse(grpc::CallbackServerContext* context,
                                                           const v1::GetResponseRequest* request,
                                                           v1::GetResponseResponse* response) {
  return Respond(context, "GetResponse", [&]() -> absl::Status {
    MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
    MPOWER_ASSIGN_OR_RETURN(*response->mutable_response(), responses_.Get(caller, request->name()));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ResponseServiceImpl::ListResponses(
    grpc::CallbackServerContext* context, const v1::ListResponsesRequest* request,
    v1::ListResponsesResponse* response) {
  return Respond(context, "ListResponses", [&]() -> absl::Status {
    MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
    MPOWER_ASSIGN_OR_RETURN(Page<v1::Response> page,
                            responses_.List(caller, {.parent = request->parent(),
                                             .page_size = request->page_size(),
                                             .page_token = request->page_token(),
                                             .filter = request->filter()}));
    for (auto& item : page.items) *response->add_responses() = std::move(item);
    response->set_next_page_token(page.next_page_token);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ResponseServiceImpl::CreateResponse(
    grpc::CallbackServerContext* context, const v1::CreateResponseRequest* request,
    v1::CreateResponseResponse* response) {
  return RespondOffThread(context, "CreateResponse", [=, this]() -> absl::Status {
    MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
    MPOWER_ASSIGN_OR_RETURN(
        *response->mutable_response(),
        responses_.Create(caller, request->parent(), request->response_id(), request->response(),
                          request->request_id(), CreateFingerprint(*request)));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ResponseServiceImpl::UpdateResponse(
    grpc::CallbackServerContext* context, const v1::UpdateResponseRequest* request,
    v1::UpdateResponseResponse* response) {
  return RespondOffThread(context, "UpdateResponse", [=, this]() -> absl::Status {
    MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
    MPOWER_ASSIGN_OR_RETURN(*response->mutable_response(),
                            responses_.Update(caller, request->response(), request->update_mask()));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ResponseServiceImpl::DeleteResponse(
    grpc::CallbackServerContext* context, const v1::DeleteResponseRequest* request,
    v1::DeleteResponseResponse*) {
  return RespondOffThread(context, "DeleteResponse", [=, this]() -> absl::Status {
    MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
    return responses_.Delete(caller, request->name(), request->etag()).status();
  });
}

}  // namespace mpower
