#ifndef MPOWER_SERVER_SERVICE_INITIATIVE_SERVICE_H_
#define MPOWER_SERVER_SERVICE_INITIATIVE_SERVICE_H_

#include "mpower/v1/initiative.grpc.pb.h"
#include "server/core/initiative_rules.h"
#include "server/service/authenticator.h"
#include "server/service/parsing_service.h"

namespace mpower {

// The gRPC face of InitiativeService. Thread-safe.
class InitiativeServiceImpl final : public ParsingService<v1::InitiativeService> {
 public:
  InitiativeServiceImpl(Store* store, const Authenticator* auth);

  absl::Status GetInitiative(grpc::CallbackServerContext* context,
                             const v1::GetInitiativeRequest* request,
                             v1::GetInitiativeResponse* response);
  absl::Status ListInitiatives(grpc::CallbackServerContext* context,
                               const v1::ListInitiativesRequest* request,
                               v1::ListInitiativesResponse* response);
  absl::Status CreateInitiative(grpc::CallbackServerContext* context,
                                const v1::CreateInitiativeRequest* request,
                                v1::CreateInitiativeResponse* response);
  absl::Status UpdateInitiative(grpc::CallbackServerContext* context,
                                const v1::UpdateInitiativeRequest* request,
                                v1::UpdateInitiativeResponse* response);
  absl::Status DeleteInitiative(grpc::CallbackServerContext* context,
                                const v1::DeleteInitiativeRequest* request,
                                v1::DeleteInitiativeResponse* response);

 private:
  const Authenticator& auth_;
  ResourceManager<v1::Initiative> initiatives_;
};

}  // namespace mpower

#endif  // MPOWER_SERVER_SERVICE_INITIATIVE_SERVICE_H_
