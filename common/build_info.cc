#include "common/build_info.h"

#include "absl/strings/str_cat.h"

// MPOWER_COMMIT, written at each build by write_build_commit.cmake.
#include "build_commit.inc"

namespace mpower {

const BuildInfo& GetBuildInfo() {
  static const BuildInfo kInfo = {MPOWER_VERSION, MPOWER_COMMIT, MPOWER_BUILD_TYPE};
  return kInfo;
}

std::string VersionLine(const char* program) {
  const BuildInfo& info = GetBuildInfo();
  return absl::StrCat(program, " ", info.version, " (commit ", info.commit, ", ", info.build_type,
                      " build)");
}

}  // namespace mpower
