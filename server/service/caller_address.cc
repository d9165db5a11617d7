#include "server/service/caller_address.h"

#include <openssl/crypto.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "server/storage/crypto.h"

namespace mpower {
namespace {

constexpr char kAddressKey[] = "mpower-http-caller";
constexpr char kProofKey[] = "mpower-http-caller-proof";

// Made once per process, never sent anywhere: the in-process channel
// carries it from the gateway to the services.
const std::string& ProcessProof() {
  static const std::string proof = absl::BytesToHexString(RandomBytes(16));
  return proof;
}

std::string WithoutPort(const std::string& address) {
  const size_t colon = address.rfind(':');
  return colon == std::string::npos ? address : address.substr(0, colon);
}

}  // namespace

void SetHttpCallerAddress(grpc::ClientContext& context, absl::string_view address) {
  context.AddMetadata(kAddressKey, absl::StrCat("http:", address));
  context.AddMetadata(kProofKey, ProcessProof());
}

std::string CallerAddress(const grpc::ServerContextBase& context, bool with_port) {
  const auto& metadata = context.client_metadata();
  const auto address = metadata.find(kAddressKey);
  const auto proof = metadata.find(kProofKey);
  if (address != metadata.end() && proof != metadata.end() &&
      proof->second.size() == ProcessProof().size() &&
      CRYPTO_memcmp(proof->second.data(), ProcessProof().data(), ProcessProof().size()) == 0) {
    const std::string http(address->second.data(), address->second.size());
    return with_port ? http : WithoutPort(http);
  }
  const std::string peer = context.peer();
  return with_port ? peer : WithoutPort(peer);
}

}  // namespace mpower
