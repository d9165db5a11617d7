#ifndef MPOWER_TESTS_PROCESS_MEMORY_H_
#define MPOWER_TESTS_PROCESS_MEMORY_H_

// Searches a running process's memory, as one would search its core dump.

#include <sys/types.h>

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace mpower::testing {

// Whether the memory of the running process `pid` holds `needle`: every
// mapping a core dump would hold (readable, and not marked don't-dump),
// read through /proc/PID/mem while the process is stopped, as gcore stops
// it. gcore itself is no use on a sanitizer build: it writes out
// AddressSanitizer's terabytes of shadow, which the kernel's own core
// dumps leave out (and which holds no bytes of the program's data).
absl::StatusOr<bool> MemoryHolds(pid_t pid, std::string_view needle);

}  // namespace mpower::testing

#endif  // MPOWER_TESTS_PROCESS_MEMORY_H_
