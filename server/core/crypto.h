#ifndef MPOWER_SERVER_CORE_CRYPTO_H_
#define MPOWER_SERVER_CORE_CRYPTO_H_

// The few cryptographic primitives mpower needs, from OpenSSL.

#include <string>

#include "absl/strings/string_view.h"

namespace mpower {

// The SHA-256 of `bytes` as 64 lowercase hex digits.
std::string Sha256Hex(absl::string_view bytes);

// `count` bytes from OpenSSL's CSPRNG. Aborts if it cannot be seeded, since
// continuing would issue guessable secrets.
std::string RandomBytes(size_t count);

}  // namespace mpower

#endif  // MPOWER_SERVER_CORE_CRYPTO_H_
