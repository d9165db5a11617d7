#ifndef MPOWER_SERVER_SERVICE_RESPONSE_SERVICE_H_
#define MPOWER_SERVER_SERVICE_RESPONSE_SERVICE_H_

#include "mpower/v1/response.grpc.pb.h"
#include "server/core/response_rules.h"
#include "server/service/authenticator.h"
#include "server/service/parsing_service.h"

namespace mpower {

// The gRPC face of ResponseService. Thread-safe.
class ResponseServiceImpl final : public ParsingService<v1::ResponseService> {
 public:
  ResponseServiceImpl(Store* store, const Authenticator* auth);

  absl::Status GetResponse(grpc::CallbackServerContext* context,
                           const v1::GetResponseRequest* request,
                           v1::GetResponseResponse* response);
  absl::Status ListResponses(grpc::CallbackServerContext* context,
                             const v1::ListResponsesRequest* request,
                             v1::ListResponsesResponse* response);
  absl::Status CreateResponse(grpc::CallbackServerContext* context,
                              const v1::CreateResponseRequest* request,
                              v1::CreateResponseResponse* response);
  absl::Status UpdateResponse(grpc::CallbackServerContext* context,
                              const v1::UpdateResponseRequest* request,
                              v1::UpdateResponseResponse* response);
  absl::Status DeleteResponse(grpc::CallbackServerContext* context,
                              const v1::DeleteResponseRequest* request,
                              v1::DeleteResponseResponse* response);

 private:
  const Authenticator& auth_;
  ResourceManager<v1::Response> responses_;
};

}  // namespace mpower

#endif  // MPOWER_SERVER_SERVICE_RESPONSE_SERVICE_H_
