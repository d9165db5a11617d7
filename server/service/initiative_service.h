#ifndef MPOWER_SERVER_SERVICE_INITIATIVE_SERVICE_H_
#define MPOWER_SERVER_SERVICE_INITIATIVE_SERVICE_H_

#include "mpower/v1/initiative.grpc.pb.h"
#include "server/service/authenticator.h"
#include "server/core/initiative_rules.h"

namespace mpower {

// The gRPC face of InitiativeService. Thread-safe.
class InitiativeServiceImpl final : public v1::InitiativeService::CallbackService {
 public:
  InitiativeServiceImpl(Store* store, const Authenticator* auth) : initiatives_(store), auth_(*auth) {}

  grpc::ServerUnaryReactor* GetInitiative(grpc::CallbackServerContext* context,
                                          const v1::GetInitiativeRequest* request,
                                          v1::GetInitiativeResponse* response) override;
  grpc::ServerUnaryReactor* ListInitiatives(grpc::CallbackServerContext* context,
                                            const v1::ListInitiativesRequest* request,
                                            v1::ListInitiativesResponse* response) override;
  grpc::ServerUnaryReactor* CreateInitiative(grpc::CallbackServerContext* context,
                                             const v1::CreateInitiativeRequest* request,
                                             v1::CreateInitiativeResponse* response) override;
  grpc::ServerUnaryReactor* UpdateInitiative(grpc::CallbackServerContext* context,
                                             const v1::UpdateInitiativeRequest* request,
                                             v1::UpdateInitiativeResponse* response) override;
  grpc::ServerUnaryReactor* DeleteInitiative(grpc::CallbackServerContext* context,
                                             const v1::DeleteInitiativeRequest* request,
                                             v1::DeleteInitiativeResponse* response) override;

 private:
  const Authenticator& auth_;
  ResourceManager<v1::Initiative> initiatives_;
};

}  // namespace mpower

#endif  // MPOWER_SERVER_SERVICE_INITIATIVE_SERVICE_H_
