#ifndef MPOWER_BENCH_SEALED_FILER_H_
#define MPOWER_BENCH_SEALED_FILER_H_

// The filer's half of a sealed CreateAlert, for mpower-load's
// create-sealed-alert scenario: a key pair of the filing partner made and
// published here, as `mpower keys generate` does, and the UpdateAlert that
// gives a just-filed alert its details sealed, as `mpower alerts create`
// sends after the create (an envelope binds the alert's name, which the
// create assigns).

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/sealed_envelope.h"

namespace mpower::bench {

class SealedFiler {
 public:
  // Publishes a new key of `partner` as the holder of `token`, and reads
  // every ACTIVE key of it to seal to.
  static absl::StatusOr<std::unique_ptr<SealedFiler>> Publish(
      const std::shared_ptr<grpc::Channel>& channel, const std::string& token,
      const std::string& partner);

  // A serialized UpdateAlertRequest giving `alert` protected details
  // sealed here to every key read, under a fresh data key.
  absl::StatusOr<std::string> SealedUpdateFor(const std::string& alert) const;

 private:
  SealedFiler() = default;

  std::vector<EnvelopeRecipient> recipients_;
  EnvelopeSigner signer_;
  std::string details_;  // a serialized AlertProtectedDetails
};

}  // namespace mpower::bench

#endif  // MPOWER_BENCH_SEALED_FILER_H_
