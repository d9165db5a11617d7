#ifndef MPOWER_COMMON_BUILD_INFO_H_
#define MPOWER_COMMON_BUILD_INFO_H_

// What a binary says of itself for --version: the release, the commit it
// was built from and how it was built. mpowerd and mpower share it, so
// that `mpower version` can set the two side by side.

#include <string>

namespace mpower {

// The protobuf package of the API these binaries speak.
inline constexpr char kApiPackage[] = "mpower.v1";

struct BuildInfo {
  const char* version;  // the release, as CMake's project() gives it: "0.2.0"
  const char* commit;   // `git describe --always --dirty` of the tree built; "unknown" outside git
  const char* build_type;  // CMAKE_BUILD_TYPE, with the sanitizers built in: "Release"
};

const BuildInfo& GetBuildInfo();

// "<program> 0.2.0 (commit 0123456789ab, Release build)": the first line
// of --version, in the form help2man reads.
std::string VersionLine(const char* program);

}  // namespace mpower

#endif  // MPOWER_COMMON_BUILD_INFO_H_
