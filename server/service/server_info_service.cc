#include "server/service/server_info_service.h"

#include <utility>

#include "common/build_info.h"
#include "server/base/status_macros.h"
#include "server/core/access.h"

namespace mpower {
namespace {

v1::GetServerInfoResponse WithBuild(v1::GetServerInfoResponse info) {
  const BuildInfo& build = GetBuildInfo();
  info.set_version(build.version);
  info.set_commit(build.commit);
  info.set_build_type(build.build_type);
  info.set_api_package(kApiPackage);
  return info;
}

}  // namespace

ServerInfoServiceImpl::ServerInfoServiceImpl(v1::GetServerInfoResponse info,
                                             const Authenticator* auth)
    : info_(WithBuild(std::move(info))), auth_(*auth) {
  Serve(this, "GetServerInfo", &ServerInfoServiceImpl::GetServerInfo, RunsOn::kGrpcThread);
}

absl::Status ServerInfoServiceImpl::GetServerInfo(grpc::CallbackServerContext* context,
                                                  const v1::GetServerInfoRequest*,
                                                  v1::GetServerInfoResponse* response) {
  MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
  MPOWER_RETURN_IF_ERROR(RequireCredentials(caller));
  *response = info_;
  return absl::OkStatus();
}

}  // namespace mpower
