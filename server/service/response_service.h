#ifndef MPOWER_SERVER_SERVICE_RESPONSE_SERVICE_H_
#define MPOWER_SERVER_SERVICE_RESPONSE_SERVICE_H_

#include "mpower/v1/response.grpc.pb.h"
#include "server/service/authenticator.h"
#include "server/core/response_rules.h"

namespace mpower {

// The gRPC face of ResponseService. Thread-safe.
class ResponseServiceImpl final : public v1::ResponseService::CallbackService {
 public:
  ResponseServiceImpl(Store* store, const Authenticator* auth) : responses_(store), auth_(*auth) {}

  grpc::ServerUnaryReactor* GetResponse(grpc::CallbackServerContext* context,
                                        const v1::GetResponseRequest* request,
                                        v1::GetResponseResponse* response) override;
  grpc::ServerUnaryReactor* ListResponses(grpc::CallbackServerContext* context,
                                          const v1::ListResponsesRequest* request,
                                          v1::ListResponsesResponse* response) override;
  grpc::ServerUnaryReactor* CreateResponse(grpc::CallbackServerContext* context,
                                           const v1::CreateResponseRequest* request,
                                           v1::CreateResponseResponse* response) override;
  grpc::ServerUnaryReactor* UpdateResponse(grpc::CallbackServerContext* context,
                                           const v1::UpdateResponseRequest* request,
                                           v1::UpdateResponseResponse* response) override;
  grpc::ServerUnaryReactor* DeleteResponse(grpc::CallbackServerContext* context,
                                           const v1::DeleteResponseRequest* request,
                                           v1::DeleteResponseResponse* response) override;

 private:
  const Authenticator& auth_;
  ResourceManager<v1::Response> responses_;
};

}  // namespace mpower

#endif  // MPOWER_SERVER_SERVICE_RESPONSE_SERVICE_H_
