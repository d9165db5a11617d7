#include "server/core/crypto.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstdlib>

#include "absl/strings/escaping.h"
#include "server/base/log.h"

namespace mpower {
namespace {

// OpenSSL 3 looks EVP_sha256() up by name on every digest (an "implicit
// fetch"; see OpenSSL's crypto(7), "Performance"). That lookup was a third
// of hashing a bearer token, which every call does. Fetched once, it lives
// as long as the process.
const EVP_MD* Sha256Algorithm() {
  static const EVP_MD* const fetched = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
  return fetched != nullptr ? fetched : EVP_sha256();
}

}  // namespace

std::string Sha256Hex(absl::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &length, Sha256Algorithm(), nullptr);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), length));
}

std::string RandomBytes(size_t count) {
  std::string bytes(count, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(count)) != 1) {
    Log(LogLevel::kError, "crypto", "the random number generator failed; stopping");
    std::abort();
  }
  return bytes;
}

}  // namespace mpower
