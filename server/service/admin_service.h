#ifndef MPOWER_SERVER_SERVICE_ADMIN_SERVICE_H_
#define MPOWER_SERVER_SERVICE_ADMIN_SERVICE_H_

#include "mpower/v1/admin.grpc.pb.h"
#include "server/core/credentials.h"
#include "server/service/authenticator.h"
#include "server/service/parsing_service.h"

namespace mpower {

// The gRPC face of AdminService: credentials and the audit trail, for the
// secretariat. Thread-safe.
class AdminServiceImpl final : public ParsingService<v1::AdminService> {
 public:
  // REQUIRES: every argument outlives this object.
  AdminServiceImpl(Store* store, CredentialManager* credentials, const Authenticator* auth);

  absl::Status CreateCredential(grpc::CallbackServerContext* context,
                                const v1::CreateCredentialRequest* request,
                                v1::CreateCredentialResponse* response);
  absl::Status ListCredentials(grpc::CallbackServerContext* context,
                               const v1::ListCredentialsRequest* request,
                               v1::ListCredentialsResponse* response);
  absl::Status RevokeCredential(grpc::CallbackServerContext* context,
                                const v1::RevokeCredentialRequest* request,
                                v1::RevokeCredentialResponse* response);
  absl::Status ListAuditEntries(grpc::CallbackServerContext* context,
                                const v1::ListAuditEntriesRequest* request,
                                v1::ListAuditEntriesResponse* response);

 private:
  Store* store_;
  CredentialManager& credentials_;
  const Authenticator& auth_;
};

}  // namespace mpower

#endif  // MPOWER_SERVER_SERVICE_ADMIN_SERVICE_H_
