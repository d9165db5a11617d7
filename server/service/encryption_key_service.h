#ifndef MPOWER_SERVER_SERVICE_ENCRYPTION_KEY_SERVICE_H_
#define MPOWER_SERVER_SERVICE_ENCRYPTION_KEY_SERVICE_H_

#include "mpower/v1/encryption_key.grpc.pb.h"
#include "server/core/encryption_key_rules.h"
#include "server/service/authenticator.h"
#include "server/service/parsing_service.h"

namespace mpower {

// The gRPC face of EncryptionKeyService. Thread-safe.
class EncryptionKeyServiceImpl final : public ParsingService<v1::EncryptionKeyService> {
 public:
  // REQUIRES: every argument outlives this object.
  EncryptionKeyServiceImpl(Store* store, const Authenticator* auth);

  absl::Status GetEncryptionKey(grpc::CallbackServerContext* context,
                                const v1::GetEncryptionKeyRequest* request,
                                v1::GetEncryptionKeyResponse* response);
  absl::Status ListEncryptionKeys(grpc::CallbackServerContext* context,
                                  const v1::ListEncryptionKeysRequest* request,
                                  v1::ListEncryptionKeysResponse* response);
  absl::Status CreateEncryptionKey(grpc::CallbackServerContext* context,
                                   const v1::CreateEncryptionKeyRequest* request,
                                   v1::CreateEncryptionKeyResponse* response);
  absl::Status RetireEncryptionKey(grpc::CallbackServerContext* context,
                                   const v1::RetireEncryptionKeyRequest* request,
                                   v1::RetireEncryptionKeyResponse* response);

 private:
  const Authenticator& auth_;
  ResourceManager<v1::EncryptionKey> keys_;
};

}  // namespace mpower

#endif  // MPOWER_SERVER_SERVICE_ENCRYPTION_KEY_SERVICE_H_
