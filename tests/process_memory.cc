#include "tests/process_memory.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace mpower::testing {
namespace {

struct Mapping {
  uint64_t begin = 0;
  uint64_t end = 0;
  bool readable = false;
  bool dont_dump = false;  // VmFlags "dd": madvise(MADV_DONTDUMP)
  std::string path;
};

// The process's mappings, from /proc/PID/smaps: each begins with a line
// "BEGIN-END PERMS OFFSET DEVICE INODE [PATH]" and ends with "VmFlags: ...".
std::vector<Mapping> MappingsOf(pid_t pid) {
  std::vector<Mapping> mappings;
  std::ifstream smaps(absl::StrCat("/proc/", pid, "/smaps"));
  std::string line;
  while (std::getline(smaps, line)) {
    if (absl::StartsWith(line, "VmFlags:")) {
      if (!mappings.empty()) mappings.back().dont_dump = absl::StrContains(line + " ", " dd ");
      continue;
    }
    std::istringstream fields(line);
    std::string range, perms, offset, device, inode, path;
    fields >> range >> perms >> offset >> device >> inode >> path;
    const size_t dash = range.find('-');
    if (dash == std::string::npos || range.back() == ':' || perms.size() != 4) continue;
    Mapping mapping;
    mapping.begin = std::stoull(range.substr(0, dash), nullptr, 16);
    mapping.end = std::stoull(range.substr(dash + 1), nullptr, 16);
    mapping.readable = perms[0] == 'r';
    mapping.path = path;
    mappings.push_back(mapping);
  }
  return mappings;
}

// Whether `mapping` of /proc/PID/mem (`memory`) holds `needle`. Reads in
// blocks that overlap by the needle's length, so that no match straddles two.
bool MappingHolds(int memory, const Mapping& mapping, std::string_view needle) {
  constexpr size_t kBlock = 4 << 20;
  const uint64_t page_size = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  std::string block(kBlock + needle.size(), '\0');
  size_t carried = 0;  // bytes kept from the previous block's end
  for (uint64_t at = mapping.begin; at < mapping.end;) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(kBlock, mapping.end - at));
    const ssize_t got = pread(memory, block.data() + carried, want, static_cast<off_t>(at));
    if (got <= 0) {
      // A page that cannot be read (a guard page) holds nothing to find:
      // go on from the next, reading nothing across the gap.
      at = (at / page_size + 1) * page_size;
      carried = 0;
      continue;
    }
    const std::string_view read(block.data(), carried + static_cast<size_t>(got));
    if (read.find(needle) != std::string_view::npos) return true;
    carried = std::min(read.size(), needle.size() - 1);
    std::copy(read.end() - carried, read.end(), block.begin());
    at += static_cast<uint64_t>(got);
  }
  return false;
}

}  // namespace

absl::StatusOr<bool> MemoryHolds(pid_t pid, std::string_view needle) {
  if (needle.empty()) return absl::InvalidArgumentError("search for something");
  const std::vector<Mapping> mappings = MappingsOf(pid);
  if (mappings.empty()) return absl::NotFoundError(absl::StrCat("no mappings for process ", pid));
  const int memory = open(absl::StrCat("/proc/", pid, "/mem").c_str(), O_RDONLY);
  if (memory < 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot open /proc/", pid, "/mem: ", std::strerror(errno)));
  }
  // Stopped while read, and continued however this returns.
  kill(pid, SIGSTOP);
  struct Continue {
    pid_t pid;
    int memory;
    ~Continue() {
      kill(pid, SIGCONT);
      close(memory);
    }
  } continue_after{pid, memory};
  bool found = false;
  for (const Mapping& mapping : mappings) {
    // [vvar] and [vsyscall] are the kernel's, and refuse reads.
    if (!mapping.readable || mapping.dont_dump || mapping.path == "[vvar]" ||
        mapping.path == "[vsyscall]") {
      continue;
    }
    if (MappingHolds(memory, mapping, needle)) {
      found = true;
      break;
    }
  }
  return found;
}

}  // namespace mpower::testing
