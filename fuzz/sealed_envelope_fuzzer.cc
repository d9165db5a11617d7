// Sealed envelopes as a client might send them, or a server return them:
// whatever bytes parse as one, checking its shape, verifying its signature
// and trying to open it finish without a crash, and never open anything
// not sealed to the key tried.

#include <sodium.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/public_keys.h"
#include "common/sealed_envelope.h"

namespace {

// A fixed key of each kind, from fixed seeds, as the test vectors' are.
struct FixedKeys {
  std::string sealing_public = std::string(crypto_box_PUBLICKEYBYTES, '\0');
  std::string sealing_secret = std::string(crypto_box_SECRETKEYBYTES, '\0');
  std::string signing_public = std::string(crypto_sign_PUBLICKEYBYTES, '\0');
  std::string signing_secret = std::string(crypto_sign_SECRETKEYBYTES, '\0');
  FixedKeys() {
    mpower::SodiumReady();
    const unsigned char sealing_seed[crypto_box_SEEDBYTES] = {0x21};
    const unsigned char signing_seed[crypto_sign_SEEDBYTES] = {0x11};
    crypto_box_seed_keypair(reinterpret_cast<unsigned char*>(sealing_public.data()),
                            reinterpret_cast<unsigned char*>(sealing_secret.data()), sealing_seed);
    crypto_sign_seed_keypair(reinterpret_cast<unsigned char*>(signing_public.data()),
                             reinterpret_cast<unsigned char*>(signing_secret.data()), signing_seed);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const FixedKeys keys;
  mpower::v1::SealedEnvelope envelope;
  if (!envelope.ParseFromArray(data, static_cast<int>(size))) return 0;
  (void)mpower::CheckEnvelopeShape(envelope, "sealed", /*wraps_may_be_partial=*/false);
  (void)mpower::CheckEnvelopeShape(envelope, "sealed", /*wraps_may_be_partial=*/true);
  (void)mpower::VerifyEnvelopeSignature("alerts/fuzz", envelope, keys.signing_public);
  const std::string key_name = envelope.wraps_size() > 0 ? envelope.wraps(0).key() : "k";
  absl::StatusOr<std::string> opened = mpower::OpenEnvelope(
      "alerts/fuzz", envelope, keys.signing_public,
      mpower::EnvelopeOpener{key_name, keys.sealing_public, keys.sealing_secret});
  // Opening needs the signature of the fixed signing key, which no
  // mutation forges.
  if (opened.ok()) __builtin_trap();
  return 0;
}
