#include "server/daemon/bootstrap.h"

#include <fcntl.h>

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "common/client_config_path.h"
#include "server/base/log.h"
#include "server/base/status_macros.h"
#include "server/core/credentials.h"
#include "server/daemon/data_dir.h"

namespace mpower {
namespace {

// Writes `contents` to a new file at `path` readable only by its owner.
// False if the file exists or cannot be written.
bool WriteOwnerOnlyFile(const std::string& path, const std::string& contents) {
  const size_t slash = path.rfind('/');
  if (slash != std::string::npos && slash > 0 && !MakeDirectories(path.substr(0, slash))) {
    return false;
  }
  FILE* file = nullptr;
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd >= 0) file = fdopen(fd, "w");
  if (file == nullptr) return false;
  const bool written = std::fwrite(contents.data(), 1, contents.size(), file) == contents.size();
  return std::fclose(file) == 0 && written;
}

}  // namespace

absl::Status BootstrapLocalAdmin(Store* store, const std::string& address,
                                 const std::string& data_dir, const std::string& client_config) {
  CredentialManager credentials(store);
  absl::StatusOr<bool> any = credentials.Any();
  if (!any.ok() || *any) return any.status();
  v1::Credential admin;
  admin.set_principal("local administrator");
  admin.set_role(v1::ROLE_ADMIN);
  admin.set_description("Issued by mpowerd on first start for the local user.");
  absl::StatusOr<IssuedCredential> issued =
      credentials.Create(Principal::System(), "local-admin", admin);
  // Replicas starting together on an empty database race to here; the one
  // that loses finds the credential issued, and leaves it to the winner.
  if (absl::IsAlreadyExists(issued.status())) return absl::OkStatus();
  if (!issued.ok()) return issued.status();
  std::string config = client_config;
  if (config.empty()) config = ClientConfigPath();
  const std::string contents =
      absl::StrCat("# Written by mpowerd on first start: the local admin's credential.\n",
                   "address = ", address, "\ntoken = ", issued->token, "\n");
  if (!WriteOwnerOnlyFile(config, contents)) {
    config = absl::StrCat(data_dir, "/local-admin.config");
    if (!WriteOwnerOnlyFile(config, contents)) {
      return absl::UnavailableError(absl::StrCat("cannot write the admin credential to ", config));
    }
  }
  Log(LogLevel::kInfo, "main",
      absl::StrCat("issued the first admin credential, credentials/local-admin, and wrote it "
                   "owner-only to ",
                   config, "; mpower reads it from there (MPOWER_CONFIG)"));
  return absl::OkStatus();
}

}  // namespace mpower
