#ifndef MPOWER_BENCH_SEALED_FILER_H_
#define MPOWER_BENCH_SEALED_FILER_H_

// The filer's half of a sealed CreateAlert, for mpower-load's
// create-sealed-alert scenario: a key pair of the filing partner made and
// published here, as `mpower keys generate` does, and details sealed to
// the name of an alert about to be filed, as `mpower alerts create` seals
// them (under an alert_id made here, since the envelope binds the name).

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/sealed_envelope.h"
#include "mpower/v1/alert.pb.h"

namespace mpower::bench {

class SealedFiler {
 public:
  // Publishes a new key of `partner` as the holder of `token`, and reads
  // every ACTIVE key of it to seal to.
  static absl::StatusOr<std::unique_ptr<SealedFiler>> Publish(
      const std::shared_ptr<grpc::Channel>& channel, const std::string& token,
      const std::string& partner);

  // Gives `request` an alert_id made here and the alert protected details
  // sealed to its name, to every key read, under a fresh data key.
  absl::Status SealInto(v1::CreateAlertRequest& request) const;

 private:
  SealedFiler() = default;

  std::vector<EnvelopeRecipient> recipients_;
  EnvelopeSigner signer_;
  std::string details_;  // a serialized AlertProtectedDetails
};

}  // namespace mpower::bench

#endif  // MPOWER_BENCH_SEALED_FILER_H_
