#include "server/storage/postgres/libpq.h"

#include <dlfcn.h>

#include <mutex>

#include "absl/strings/str_cat.h"

namespace mpower::postgres::libpq {

#define MPOWER_LIBPQ_DEFINE(name) decltype(&::name) name = nullptr;
MPOWER_LIBPQ_FUNCTIONS(MPOWER_LIBPQ_DEFINE)
#undef MPOWER_LIBPQ_DEFINE

absl::Status Load() {
  static std::once_flag once;
  static absl::Status* loaded = nullptr;
  std::call_once(once, [] {
    void* library = dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL);
    if (library == nullptr) {
      loaded = new absl::Status(absl::FailedPreconditionError(
          absl::StrCat("cannot load libpq, which --database needs (", dlerror(),
                       "); install Debian's libpq5 package")));
      return;
    }
    std::string missing;
#define MPOWER_LIBPQ_RESOLVE(name)                                   \
  name = reinterpret_cast<decltype(&::name)>(dlsym(library, #name)); \
  if (name == nullptr) missing = #name;
    MPOWER_LIBPQ_FUNCTIONS(MPOWER_LIBPQ_RESOLVE)
#undef MPOWER_LIBPQ_RESOLVE
    loaded = new absl::Status(
        missing.empty() ? absl::OkStatus()
                        : absl::FailedPreconditionError(absl::StrCat(
                              "libpq.so.5 lacks ", missing, "; install PostgreSQL 15's libpq5")));
  });
  return *loaded;
}

}  // namespace mpower::postgres::libpq
