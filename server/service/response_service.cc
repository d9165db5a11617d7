#include "server/service/response_service.h"

#include "server/base/status_macros.h"
#include "server/service/handler_support.h"

namespace mpower {

ResponseServiceImpl::ResponseServiceImpl(Store* store, const Authenticator* auth)
    : responses_(store), auth_(*auth) {
  Serve(this, "GetResponse", &ResponseServiceImpl::GetResponse, RunsOn::kGrpcThread);
  Serve(this, "ListResponses", &ResponseServiceImpl::ListResponses, RunsOn::kGrpcThread);
  Serve(this, "CreateResponse", &ResponseServiceImpl::CreateResponse, RunsOn::kWorkerPool);
  Serve(this, "UpdateResponse", &ResponseServiceImpl::UpdateResponse, RunsOn::kWorkerPool);
  Serve(this, "DeleteResponse", &ResponseServiceImpl::DeleteResponse, RunsOn::kWorkerPool);
}

absl::Status ResponseServiceImpl::GetResponse(grpc::CallbackServerContext* context,
                                              const v1::GetResponseRequest* request,
                                              v1::GetResponseResponse* response) {
  MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
  MPOWER_ASSIGN_OR_RETURN(*response->mutable_response(), responses_.Get(caller, request->name()));
  return absl::OkStatus();
}

absl::Status ResponseServiceImpl::ListResponses(grpc::CallbackServerContext* context,
                                                const v1::ListResponsesRequest* request,
                                                v1::ListResponsesResponse* response) {
  MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
  MPOWER_ASSIGN_OR_RETURN(Page<v1::Response> page,
                          responses_.List(caller, {.parent = request->parent(),
                                                   .page_size = request->page_size(),
                                                   .page_token = request->page_token(),
                                                   .filter = request->filter()}));
  for (auto& item : page.items) *response->add_responses() = std::move(item);
  response->set_next_page_token(page.next_page_token);
  return absl::OkStatus();
}

absl::Status ResponseServiceImpl::CreateResponse(grpc::CallbackServerContext* context,
                                                 const v1::CreateResponseRequest* request,
                                                 v1::CreateResponseResponse* response) {
  MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
  MPOWER_ASSIGN_OR_RETURN(
      *response->mutable_response(),
      responses_.Create(caller, request->parent(), request->response_id(), request->response(),
                        request->request_id(), CreateFingerprint(*request)));
  return absl::OkStatus();
}

absl::Status ResponseServiceImpl::UpdateResponse(grpc::CallbackServerContext* context,
                                                 const v1::UpdateResponseRequest* request,
                                                 v1::UpdateResponseResponse* response) {
  MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
  MPOWER_ASSIGN_OR_RETURN(*response->mutable_response(),
                          responses_.Update(caller, request->response(), request->update_mask()));
  return absl::OkStatus();
}

absl::Status ResponseServiceImpl::DeleteResponse(grpc::CallbackServerContext* context,
                                                 const v1::DeleteResponseRequest* request,
                                                 v1::DeleteResponseResponse*) {
  MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
  return responses_.Delete(caller, request->name(), request->etag()).status();
}

}  // namespace mpower
