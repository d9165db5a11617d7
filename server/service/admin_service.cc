#include "server/service/admin_service.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "server/base/status_macros.h"
#include "server/service/handler_support.h"

namespace mpower {

AdminServiceImpl::AdminServiceImpl(Store* store, CredentialManager* credentials,
                                   const Authenticator* auth)
    : store_(store), credentials_(*credentials), auth_(*auth) {
  Serve(this, "CreateCredential", &AdminServiceImpl::CreateCredential, RunsOn::kWorkerPool);
  Serve(this, "ListCredentials", &AdminServiceImpl::ListCredentials, RunsOn::kGrpcThread);
  Serve(this, "RevokeCredential", &AdminServiceImpl::RevokeCredential, RunsOn::kWorkerPool);
  Serve(this, "ListAuditEntries", &AdminServiceImpl::ListAuditEntries, RunsOn::kGrpcThread);
}

absl::Status AdminServiceImpl::CreateCredential(grpc::CallbackServerContext* context,
                                                const v1::CreateCredentialRequest* request,
                                                v1::CreateCredentialResponse* response) {
  MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
  MPOWER_ASSIGN_OR_RETURN(
      IssuedCredential issued,
      credentials_.Create(caller, request->credential_id(), request->credential()));
  *response->mutable_credential() = std::move(issued.credential);
  response->set_token(issued.token);
  return absl::OkStatus();
}

absl::Status AdminServiceImpl::ListCredentials(grpc::CallbackServerContext* context,
                                               const v1::ListCredentialsRequest* request,
                                               v1::ListCredentialsResponse* response) {
  MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
  MPOWER_ASSIGN_OR_RETURN(Page<v1::Credential> page,
                          credentials_.List(caller, request->page_size(), request->page_token()));
  for (auto& credential : page.items) *response->add_credentials() = std::move(credential);
  response->set_next_page_token(page.next_page_token);
  return absl::OkStatus();
}

absl::Status AdminServiceImpl::RevokeCredential(grpc::CallbackServerContext* context,
                                                const v1::RevokeCredentialRequest* request,
                                                v1::RevokeCredentialResponse* response) {
  MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
  MPOWER_ASSIGN_OR_RETURN(*response->mutable_credential(),
                          credentials_.Revoke(caller, request->name()));
  return absl::OkStatus();
}

absl::Status AdminServiceImpl::ListAuditEntries(grpc::CallbackServerContext* context,
                                                const v1::ListAuditEntriesRequest* request,
                                                v1::ListAuditEntriesResponse* response) {
  MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
  MPOWER_RETURN_IF_ERROR(RequireAdmin(caller, "the audit trail"));
  if (request->page_size() < 0) {
    return absl::InvalidArgumentError("page_size: must not be negative");
  }
  const int32_t size =
      request->page_size() == 0 ? kDefaultPageSize : std::min(request->page_size(), kMaxPageSize);
  const std::string query = Fingerprint("audit");
  int64_t after = 0;
  if (!request->page_token().empty()) {
    MPOWER_ASSIGN_OR_RETURN(std::string position,
                            DecodePageToken(*store_, request->page_token(), query));
    if (!absl::SimpleAtoi(position, &after)) {
      return absl::InvalidArgumentError("page_token: not a token this server issued");
    }
  }
  MPOWER_ASSIGN_OR_RETURN(std::vector<AuditRecord> records,
                          store_->ListAudit(after, static_cast<size_t>(size) + 1));
  for (size_t i = 0; i < records.size() && i < static_cast<size_t>(size); ++i) {
    const AuditRecord& record = records[i];
    v1::AuditEntry* entry = response->add_audit_entries();
    entry->set_sequence(record.sequence);
    entry->mutable_time()->set_seconds(record.unix_micros / 1000000);
    entry->mutable_time()->set_nanos(static_cast<int32_t>(record.unix_micros % 1000000) * 1000);
    entry->set_principal(record.principal);
    entry->set_method(record.method);
    entry->set_resource(record.resource);
    entry->set_request_id(record.request_id);
    entry->set_previous_hash(record.previous_hash);
    entry->set_hash(record.hash);
    entry->set_reason(record.reason);
  }
  if (records.size() > static_cast<size_t>(size)) {
    MPOWER_ASSIGN_OR_RETURN(
        std::string token,
        EncodePageToken(*store_, query, absl::StrCat(records[size - 1].sequence)));
    response->set_next_page_token(token);
  }
  return absl::OkStatus();
}

}  // namespace mpower
