#ifndef MPOWER_SERVER_SERVICE_CHANGE_SERVICE_H_
#define MPOWER_SERVER_SERVICE_CHANGE_SERVICE_H_

#include "mpower/v1/change.grpc.pb.h"
#include "server/core/change_feed.h"
#include "server/service/authenticator.h"
#include "server/service/parsing_service.h"
#include "server/service/watch_hub.h"

namespace mpower {

// The gRPC face of ChangeService. Thread-safe.
class ChangeServiceImpl final : public ParsingService<v1::ChangeService> {
 public:
  // REQUIRES: every argument outlives this object.
  ChangeServiceImpl(Store* store, const Authenticator* auth, WatchHub* hub);

  absl::Status ListChanges(grpc::CallbackServerContext* context,
                           const v1::ListChangesRequest* request,
                           v1::ListChangesResponse* response);
  grpc::ServerWriteReactor<grpc::ByteBuffer>* WatchChanges(grpc::CallbackServerContext* context,
                                                           const v1::WatchChangesRequest& request);

 private:
  ChangeFeed feed_;
  const Authenticator& auth_;
  WatchHub& hub_;
};

}  // namespace mpower

#endif  // MPOWER_SERVER_SERVICE_CHANGE_SERVICE_H_
