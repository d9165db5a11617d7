// Resource names, parents and ids: any text is accepted or refused with
// INVALID_ARGUMENT, and what is accepted joins back into the same name.

#include <cstddef>
#include <cstdint>
#include <string>

#include "server/core/names.h"

namespace {

void Check(const std::string& text, const mpower::NamePattern& pattern) {
  absl::StatusOr<mpower::ParsedName> name = mpower::ParseName(text, pattern, "name");
  if (name.ok()) {
    if (mpower::MakeName(name->parent, pattern, name->id) != text) __builtin_trap();
    if (!mpower::IsValidResourceId(name->id)) __builtin_trap();
  } else if (name.status().code() != absl::StatusCode::kInvalidArgument) {
    __builtin_trap();
  }
  absl::StatusOr<std::string> parent =
      mpower::ParseParent(text, pattern, /*allow_wildcard=*/true, "parent");
  if (!parent.ok() && parent.status().code() != absl::StatusCode::kInvalidArgument) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  for (const mpower::NamePattern* pattern :
       {&mpower::kPartnerName, &mpower::kInitiativeName, &mpower::kCommitmentName,
        &mpower::kAlertName, &mpower::kResponseName}) {
    Check(text, *pattern);
  }
  (void)mpower::IsValidResourceId(text);
  return 0;
}
