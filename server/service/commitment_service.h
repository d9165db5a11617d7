#ifndef MPOWER_SERVER_SERVICE_COMMITMENT_SERVICE_H_
#define MPOWER_SERVER_SERVICE_COMMITMENT_SERVICE_H_

#include "mpower/v1/commitment.grpc.pb.h"
#include "server/service/authenticator.h"
#include "server/core/commitment_rules.h"
#include "server/core/commitment_sync.h"

namespace mpower {

// The gRPC face of CommitmentService. Thread-safe.
class CommitmentServiceImpl final : public v1::CommitmentService::CallbackService {
 public:
  CommitmentServiceImpl(Store* store, const Authenticator* auth)
      : commitments_(store), sync_(store), auth_(*auth) {}

  grpc::ServerUnaryReactor* GetCommitment(grpc::CallbackServerContext* context,
                                          const v1::GetCommitmentRequest* request,
                                          v1::GetCommitmentResponse* response) override;
  grpc::ServerUnaryReactor* ListCommitments(grpc::CallbackServerContext* context,
                                            const v1::ListCommitmentsRequest* request,
                                            v1::ListCommitmentsResponse* response) override;
  grpc::ServerUnaryReactor* CreateCommitment(grpc::CallbackServerContext* context,
                                             const v1::CreateCommitmentRequest* request,
                                             v1::CreateCommitmentResponse* response) override;
  grpc::ServerUnaryReactor* UpdateCommitment(grpc::CallbackServerContext* context,
                                             const v1::UpdateCommitmentRequest* request,
                                             v1::UpdateCommitmentResponse* response) override;
  grpc::ServerUnaryReactor* DeleteCommitment(grpc::CallbackServerContext* context,
                                             const v1::DeleteCommitmentRequest* request,
                                             v1::DeleteCommitmentResponse* response) override;
  grpc::ServerUnaryReactor* UndeleteCommitment(grpc::CallbackServerContext* context,
                                               const v1::UndeleteCommitmentRequest* request,
                                               v1::UndeleteCommitmentResponse* response) override;
  grpc::ServerBidiReactor<v1::SyncCommitmentsRequest, v1::SyncCommitmentsResponse>*
  SyncCommitments(grpc::CallbackServerContext* context) override;

 private:
  const Authenticator& auth_;
  ResourceManager<v1::Commitment> commitments_;
  CommitmentSync sync_;
};

}  // namespace mpower

#endif  // MPOWER_SERVER_SERVICE_COMMITMENT_SERVICE_H_
