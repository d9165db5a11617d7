#ifndef MPOWER_SERVER_SERVICE_ADMIN_SERVICE_H_
#define MPOWER_SERVER_SERVICE_ADMIN_SERVICE_H_

#include "mpower/v1/admin.grpc.pb.h"
#include "server/core/credentials.h"
#include "server/service/authenticator.h"

namespace mpower {

// The gRPC face of AdminService: credentials and the audit trail, for the
// secretariat. Thread-safe.
class AdminServiceImpl final : public v1::AdminService::CallbackService {
 public:
  // REQUIRES: every argument outlives this object.
  AdminServiceImpl(Store* store, CredentialManager* credentials, const Authenticator* auth)
      : store_(store), credentials_(*credentials), auth_(*auth) {}

  grpc::ServerUnaryReactor* CreateCredential(grpc::CallbackServerContext* context,
                                             const v1::CreateCredentialRequest* request,
                                             v1::CreateCredentialResponse* response) override;
  grpc::ServerUnaryReactor* ListCredentials(grpc::CallbackServerContext* context,
                                            const v1::ListCredentialsRequest* request,
                                            v1::ListCredentialsResponse* response) override;
  grpc::ServerUnaryReactor* RevokeCredential(grpc::CallbackServerContext* context,
                                             const v1::RevokeCredentialRequest* request,
                                             v1::RevokeCredentialResponse* response) override;
  grpc::ServerUnaryReactor* ListAuditEntries(grpc::CallbackServerContext* context,
                                             const v1::ListAuditEntriesRequest* request,
                                             v1::ListAuditEntriesResponse* response) override;

 private:
  Store* store_;
  CredentialManager& credentials_;
  const Authenticator& auth_;
};

}  // namespace mpower

#endif  // MPOWER_SERVER_SERVICE_ADMIN_SERVICE_H_
