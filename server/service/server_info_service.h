#ifndef MPOWER_SERVER_SERVICE_SERVER_INFO_SERVICE_H_
#define MPOWER_SERVER_SERVICE_SERVER_INFO_SERVICE_H_

#include "mpower/v1/server_info.grpc.pb.h"
#include "server/service/authenticator.h"
#include "server/service/parsing_service.h"

namespace mpower {

// The gRPC face of ServerInfoService: the release, build and storage this
// server runs, for any caller with credentials. Thread-safe.
class ServerInfoServiceImpl final : public ParsingService<v1::ServerInfoService> {
 public:
  // `info` is answered as it is, with the build's own fields filled in.
  // REQUIRES: `auth` outlives this object.
  ServerInfoServiceImpl(v1::GetServerInfoResponse info, const Authenticator* auth);

  absl::Status GetServerInfo(grpc::CallbackServerContext* context,
                             const v1::GetServerInfoRequest* request,
                             v1::GetServerInfoResponse* response);

 private:
  const v1::GetServerInfoResponse info_;
  const Authenticator& auth_;
};

}  // namespace mpower

#endif  // MPOWER_SERVER_SERVICE_SERVER_INFO_SERVICE_H_
