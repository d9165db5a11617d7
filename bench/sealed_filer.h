#ifndef MPOWER_BENCH_SEALED_FILER_H_
#define MPOWER_BENCH_SEALED_FILER_H_

// The filer's half of a sealed CreateAlert, for mpower-load's
// create-sealed-alert scenario: a key pair of the filing partner made and
// published here, as `mpower keys generate` does, and details sealed to
// the name of an alert about to be filed, as `mpower alerts create` seals
// them (under an alert_id made here, since the envelope binds the name).
//
// The sealing is done ahead, before the load starts: filers seal on their
// own machines, and a generator sealing on the server's two cores would
// starve the server and shrink its commit groups, so the server's CPU per
// filing would measure the generator rather than the server.

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstddef>
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

  // Seals `count` filings ahead, on `threads` threads.
  absl::Status SealAhead(size_t count, int threads);

  // Gives `request` an alert_id made here and the alert protected details
  // sealed to its name, to every key read, under a fresh data key: one
  // sealed ahead while they last, then one sealed now. Thread-safe.
  absl::Status SealInto(v1::CreateAlertRequest& request);

  // How many filings were sealed during the load, the ones made ahead
  // having run out.
  size_t sealed_during_load() const { return sealed_during_load_.load(); }

 private:
  struct Filing {
    std::string alert_id;
    v1::SealedEnvelope envelope;
  };

  SealedFiler() = default;
  absl::StatusOr<Filing> Seal() const;

  std::vector<EnvelopeRecipient> recipients_;
  EnvelopeSigner signer_;
  std::string details_;  // a serialized AlertProtectedDetails
  std::vector<Filing> ahead_;
  std::atomic<size_t> next_ahead_ = 0;
  std::atomic<size_t> sealed_during_load_ = 0;
};

}  // namespace mpower::bench

#endif  // MPOWER_BENCH_SEALED_FILER_H_
