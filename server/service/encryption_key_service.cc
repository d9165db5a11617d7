#include "server/service/encryption_key_service.h"

#include "server/base/status_macros.h"
#include "server/service/handler_support.h"

namespace mpower {

using v1::EncryptionKey;

EncryptionKeyServiceImpl::EncryptionKeyServiceImpl(Store* store, const Authenticator* auth)
    : auth_(*auth), keys_(store) {
  Serve(this, "GetEncryptionKey", &EncryptionKeyServiceImpl::GetEncryptionKey, RunsOn::kGrpcThread);
  Serve(this, "ListEncryptionKeys", &EncryptionKeyServiceImpl::ListEncryptionKeys,
        RunsOn::kGrpcThread);
  Serve(this, "CreateEncryptionKey", &EncryptionKeyServiceImpl::CreateEncryptionKey,
        RunsOn::kWorkerPool);
  Serve(this, "RetireEncryptionKey", &EncryptionKeyServiceImpl::RetireEncryptionKey,
        RunsOn::kWorkerPool);
}

absl::Status EncryptionKeyServiceImpl::GetEncryptionKey(grpc::CallbackServerContext* context,
                                                        const v1::GetEncryptionKeyRequest* request,
                                                        v1::GetEncryptionKeyResponse* response) {
  MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
  // Keys are for partners, not for the anonymous public reader.
  MPOWER_RETURN_IF_ERROR(RequireCredentials(caller));
  MPOWER_ASSIGN_OR_RETURN(*response->mutable_encryption_key(), keys_.Get(caller, request->name()));
  return absl::OkStatus();
}

absl::Status EncryptionKeyServiceImpl::ListEncryptionKeys(
    grpc::CallbackServerContext* context, const v1::ListEncryptionKeysRequest* request,
    v1::ListEncryptionKeysResponse* response) {
  MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
  MPOWER_RETURN_IF_ERROR(RequireCredentials(caller));
  MPOWER_ASSIGN_OR_RETURN(Page<EncryptionKey> page,
                          keys_.List(caller, {.parent = request->parent(),
                                              .page_size = request->page_size(),
                                              .page_token = request->page_token(),
                                              .filter = request->filter()}));
  for (EncryptionKey& key : page.items) *response->add_encryption_keys() = std::move(key);
  response->set_next_page_token(page.next_page_token);
  return absl::OkStatus();
}

absl::Status EncryptionKeyServiceImpl::CreateEncryptionKey(
    grpc::CallbackServerContext* context, const v1::CreateEncryptionKeyRequest* request,
    v1::CreateEncryptionKeyResponse* response) {
  MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
  EncryptionKey key = request->encryption_key();
  key.clear_state();  // every key is published ACTIVE
  MPOWER_ASSIGN_OR_RETURN(*response->mutable_encryption_key(),
                          keys_.Create(caller, request->parent(), request->encryption_key_id(), key,
                                       request->request_id(), CreateFingerprint(*request)));
  return absl::OkStatus();
}

absl::Status EncryptionKeyServiceImpl::RetireEncryptionKey(
    grpc::CallbackServerContext* context, const v1::RetireEncryptionKeyRequest* request,
    v1::RetireEncryptionKeyResponse* response) {
  MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
  EncryptionKey patch;
  patch.set_name(request->name());
  patch.set_etag(request->etag());
  patch.set_state(EncryptionKey::STATE_RETIRED);
  google::protobuf::FieldMask mask;
  mask.add_paths("state");
  MPOWER_ASSIGN_OR_RETURN(*response->mutable_encryption_key(),
                          keys_.Update(caller, patch, mask, "Retire"));
  return absl::OkStatus();
}

}  // namespace mpower
