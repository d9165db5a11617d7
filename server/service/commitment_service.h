#ifndef MPOWER_SERVER_SERVICE_COMMITMENT_SERVICE_H_
#define MPOWER_SERVER_SERVICE_COMMITMENT_SERVICE_H_

#include "mpower/v1/commitment.grpc.pb.h"
#include "server/core/commitment_rules.h"
#include "server/core/commitment_sync.h"
#include "server/service/authenticator.h"
#include "server/service/parsing_service.h"

namespace mpower {

// The gRPC face of CommitmentService. Thread-safe.
class CommitmentServiceImpl final : public ParsingService<v1::CommitmentService> {
 public:
  CommitmentServiceImpl(Store* store, const Authenticator* auth);

  absl::Status GetCommitment(grpc::CallbackServerContext* context,
                             const v1::GetCommitmentRequest* request,
                             v1::GetCommitmentResponse* response);
  absl::Status ListCommitments(grpc::CallbackServerContext* context,
                               const v1::ListCommitmentsRequest* request,
                               v1::ListCommitmentsResponse* response);
  absl::Status CreateCommitment(grpc::CallbackServerContext* context,
                                const v1::CreateCommitmentRequest* request,
                                v1::CreateCommitmentResponse* response);
  absl::Status UpdateCommitment(grpc::CallbackServerContext* context,
                                const v1::UpdateCommitmentRequest* request,
                                v1::UpdateCommitmentResponse* response);
  absl::Status DeleteCommitment(grpc::CallbackServerContext* context,
                                const v1::DeleteCommitmentRequest* request,
                                v1::DeleteCommitmentResponse* response);
  absl::Status UndeleteCommitment(grpc::CallbackServerContext* context,
                                  const v1::UndeleteCommitmentRequest* request,
                                  v1::UndeleteCommitmentResponse* response);
  grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* SyncCommitments(
      grpc::CallbackServerContext* context);

 private:
  const Authenticator& auth_;
  ResourceManager<v1::Commitment> commitments_;
  CommitmentSync sync_;
};

}  // namespace mpower

#endif  // MPOWER_SERVER_SERVICE_COMMITMENT_SERVICE_H_
