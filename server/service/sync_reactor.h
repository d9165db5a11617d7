#ifndef MPOWER_SERVER_SERVICE_SYNC_REACTOR_H_
#define MPOWER_SERVER_SERVICE_SYNC_REACTOR_H_

#include <grpcpp/grpcpp.h>

#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "mpower/v1/commitment.pb.h"
#include "server/core/commitment_sync.h"

namespace mpower {

// One SyncCommitments call: reads the set in chunks, applies it on a worker
// thread (the sync is one long transaction, which must not hold a gRPC
// thread), then writes the outcomes back in chunks and ends the call,
// INVALID_ARGUMENT if any item was invalid. Deletes itself when done.
class SyncReactor final : public grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  // The most items one sync accepts.
  static constexpr size_t kMaxItems = 1'000'000;
  // Outcomes per response message.
  static constexpr int kOutcomesPerMessage = 1000;

  // REQUIRES: `sync` outlives the call.
  SyncReactor(CommitmentSync* sync, absl::StatusOr<Principal> caller);

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnDone() override;

 private:
  void Apply();
  void WriteNext();

  CommitmentSync* sync_;
  Principal caller_;
  grpc::ByteBuffer chunk_bytes_;  // the chunk being read, as it arrives
  v1::SyncCommitmentsRequest chunk_;
  int chunks_read_ = 0;
  SyncRequest request_;
  bool first_chunk_ = true;
  std::vector<v1::SyncCommitmentsResponse> responses_;
  size_t next_response_ = 0;
  grpc::ByteBuffer response_bytes_;  // the response being written
  grpc::Status final_status_;
  std::thread worker_;
};

}  // namespace mpower

#endif  // MPOWER_SERVER_SERVICE_SYNC_REACTOR_H_
