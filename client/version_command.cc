#include "client/version_command.h"

#include <iostream>

#include "absl/strings/str_cat.h"
#include "client/command_status.h"
#include "client/render.h"
#include "common/build_info.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "mpower/v1/server_info.pb.h"

namespace mpower::cli {
namespace {

// The client described in the server's terms, so both print alike.
v1::GetServerInfoResponse ClientInfo() {
  const BuildInfo& build = GetBuildInfo();
  v1::GetServerInfoResponse info;
  info.set_version(build.version);
  info.set_commit(build.commit);
  info.set_build_type(build.build_type);
  info.set_api_package(kApiPackage);
  return info;
}

google::protobuf::Value AsJsonValue(const google::protobuf::Message& message) {
  google::protobuf::Value value;
  // Cannot fail: the JSON is protobuf's own, of a generated type.
  (void)google::protobuf::util::JsonStringToMessage(ToJson(message), &value);
  return value;
}

}  // namespace

std::string ClientVersion() {
  return absl::StrCat(VersionLine("mpower"), "\nAPI: ", kApiPackage, "\n");
}

absl::Status VersionCommand(RpcClient& rpc, const std::string& output) {
  const v1::GetServerInfoResponse client = ClientInfo();
  v1::GetServerInfoResponse server;
  const grpc::Status status = rpc.Call("/mpower.v1.ServerInfoService/GetServerInfo",
                                       v1::GetServerInfoRequest(), &server, /*idempotent=*/true);
  if (output == "json") {
    google::protobuf::Struct both;
    (*both.mutable_fields())["client"] = AsJsonValue(client);
    if (status.ok()) (*both.mutable_fields())["server"] = AsJsonValue(server);
    std::cout << ToJson(both);
  } else {
    std::cout << "Client: " << VersionLine("mpower") << "\nClient API: " << client.api_package()
              << "\n";
    if (status.ok()) {
      std::cout << "Server: mpowerd " << server.version() << " (commit " << server.commit() << ", "
                << server.build_type() << " build)\nServer API: " << server.api_package()
                << "\nServer storage: " << server.storage_backend() << ", schema version "
                << server.storage_schema_version() << "\n";
    }
  }
  if (!status.ok()) return RpcError(status);
  return absl::OkStatus();
}

}  // namespace mpower::cli
