// Request validation of every resource: whatever bytes a client sends that
// parse as a resource, validation finishes and names fields, never
// crashes; defaults and derived fields apply to what passes.

#include <cstddef>
#include <cstdint>
#include <string>

#include "server/core/alert_rules.h"
#include "server/core/commitment_rules.h"
#include "server/core/field_violations.h"
#include "server/core/initiative_rules.h"
#include "server/core/money.h"
#include "server/core/partner_rules.h"
#include "server/core/response_rules.h"

namespace {

template <typename T>
void Validate(const uint8_t* data, size_t size) {
  T resource;
  if (!resource.ParseFromArray(data, static_cast<int>(size))) return;
  mpower::ResourceTraits<T>::ApplyDefaults(resource);
  mpower::FieldViolations violations;
  mpower::ResourceTraits<T>::Validate(resource, violations);
  if (violations.ToStatus().ok()) (void)mpower::ResourceTraits<T>::Derive(resource);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Validate<mpower::v1::Partner>(data, size);
  Validate<mpower::v1::Initiative>(data, size);
  Validate<mpower::v1::Commitment>(data, size);
  Validate<mpower::v1::Alert>(data, size);
  Validate<mpower::v1::Response>(data, size);
  const std::string text(reinterpret_cast<const char*>(data), size);
  (void)mpower::ParseMoney("USD", text);
  return 0;
}
