#include "server/service/commitment_service.h"

#include "server/base/status_macros.h"
#include "server/service/handler_support.h"
#include "server/service/sync_reactor.h"

namespace mpower {

CommitmentServiceImpl::CommitmentServiceImpl(Store* store, const Authenticator* auth)
    : commitments_(store), sync_(store), auth_(*auth) {
  Serve(this, "GetCommitment", &CommitmentServiceImpl::GetCommitment, RunsOn::kGrpcThread);
  Serve(this, "ListCommitments", &CommitmentServiceImpl::ListCommitments, RunsOn::kGrpcThread);
  Serve(this, "CreateCommitment", &CommitmentServiceImpl::CreateCommitment, RunsOn::kWorkerPool);
  Serve(this, "UpdateCommitment", &CommitmentServiceImpl::UpdateCommitment, RunsOn::kWorkerPool);
  Serve(this, "DeleteCommitment", &CommitmentServiceImpl::DeleteCommitment, RunsOn::kWorkerPool);
  Serve(this, "UndeleteCommitment", &CommitmentServiceImpl::UndeleteCommitment,
        RunsOn::kWorkerPool);
  ServeBidi<v1::SyncCommitmentsRequest>(this, "SyncCommitments",
                                        &CommitmentServiceImpl::SyncCommitments);
}

absl::Status CommitmentServiceImpl::GetCommitment(grpc::CallbackServerContext* context,
                                                  const v1::GetCommitmentRequest* request,
                                                  v1::GetCommitmentResponse* response) {
  MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
  MPOWER_ASSIGN_OR_RETURN(*response->mutable_commitment(),
                          commitments_.Get(caller, request->name()));
  return absl::OkStatus();
}

absl::Status CommitmentServiceImpl::ListCommitments(grpc::CallbackServerContext* context,
                                                    const v1::ListCommitmentsRequest* request,
                                                    v1::ListCommitmentsResponse* response) {
  MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
  MPOWER_ASSIGN_OR_RETURN(Page<v1::Commitment> page,
                          commitments_.List(caller, {.parent = request->parent(),
                                                     .page_size = request->page_size(),
                                                     .page_token = request->page_token(),
                                                     .filter = request->filter(),
                                                     .show_deleted = request->show_deleted()}));
  for (auto& commitment : page.items) *response->add_commitments() = std::move(commitment);
  response->set_next_page_token(page.next_page_token);
  return absl::OkStatus();
}

absl::Status CommitmentServiceImpl::CreateCommitment(grpc::CallbackServerContext* context,
                                                     const v1::CreateCommitmentRequest* request,
                                                     v1::CreateCommitmentResponse* response) {
  MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
  MPOWER_ASSIGN_OR_RETURN(*response->mutable_commitment(),
                          commitments_.Create(caller, request->parent(), request->commitment_id(),
                                              request->commitment(), request->request_id(),
                                              CreateFingerprint(*request)));
  return absl::OkStatus();
}

absl::Status CommitmentServiceImpl::UpdateCommitment(grpc::CallbackServerContext* context,
                                                     const v1::UpdateCommitmentRequest* request,
                                                     v1::UpdateCommitmentResponse* response) {
  MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
  MPOWER_ASSIGN_OR_RETURN(
      *response->mutable_commitment(),
      commitments_.Update(caller, request->commitment(), request->update_mask()));
  return absl::OkStatus();
}

absl::Status CommitmentServiceImpl::DeleteCommitment(grpc::CallbackServerContext* context,
                                                     const v1::DeleteCommitmentRequest* request,
                                                     v1::DeleteCommitmentResponse* response) {
  MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
  MPOWER_ASSIGN_OR_RETURN(std::optional<v1::Commitment> deleted,
                          commitments_.Delete(caller, request->name(), request->etag()));
  *response->mutable_commitment() = *std::move(deleted);
  return absl::OkStatus();
}

absl::Status CommitmentServiceImpl::UndeleteCommitment(grpc::CallbackServerContext* context,
                                                       const v1::UndeleteCommitmentRequest* request,
                                                       v1::UndeleteCommitmentResponse* response) {
  MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
  MPOWER_ASSIGN_OR_RETURN(*response->mutable_commitment(),
                          commitments_.Undelete(caller, request->name(), request->etag()));
  return absl::OkStatus();
}

grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* CommitmentServiceImpl::SyncCommitments(
    grpc::CallbackServerContext* context) {
  return new SyncReactor(&sync_, auth_.Authenticate(*context));
}

}  // namespace mpower
