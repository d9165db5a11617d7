#include "bench/sealed_filer.h"

#include <sodium.h>
#include <unistd.h>

#include <thread>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/public_keys.h"
#include "mpower/v1/encryption_key.grpc.pb.h"
#include "server/base/status_macros.h"
#include "server/core/names.h"

namespace mpower::bench {

namespace {

absl::Status FromGrpc(const grpc::Status& status, const std::string& doing) {
  if (status.ok()) return absl::OkStatus();
  return absl::UnknownError(absl::StrCat(doing, ": ", status.error_message()));
}

std::string Bytes(const unsigned char* data, size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

}  // namespace

absl::StatusOr<std::unique_ptr<SealedFiler>> SealedFiler::Publish(
    const std::shared_ptr<grpc::Channel>& channel, const std::string& token,
    const std::string& partner) {
  if (!SodiumReady()) return absl::InternalError("libsodium cannot be used here");
  unsigned char sealing_public[crypto_box_PUBLICKEYBYTES],
      sealing_secret[crypto_box_SECRETKEYBYTES];
  unsigned char signing_public[crypto_sign_PUBLICKEYBYTES],
      signing_secret[crypto_sign_SECRETKEYBYTES];
  crypto_box_keypair(sealing_public, sealing_secret);
  crypto_sign_keypair(signing_public, signing_secret);

  auto stub = v1::EncryptionKeyService::NewStub(channel);
  v1::CreateEncryptionKeyRequest create;
  create.set_parent(partner);
  create.set_encryption_key_id(absl::StrCat("bench-load-", getpid()));
  v1::EncryptionKey* key = create.mutable_encryption_key();
  key->set_sealing_public_key(Bytes(sealing_public, sizeof sealing_public));
  key->set_signing_public_key(Bytes(signing_public, sizeof signing_public));
  key->set_proof_of_possession(SignProofOfPossession(partner, key->sealing_public_key(),
                                                     key->signing_public_key(),
                                                     Bytes(signing_secret, sizeof signing_secret)));
  v1::CreateEncryptionKeyResponse created;
  grpc::ClientContext create_context;
  create_context.AddMetadata("authorization", "Bearer " + token);
  if (absl::Status status = FromGrpc(stub->CreateEncryptionKey(&create_context, create, &created),
                                     "publishing a key");
      !status.ok()) {
    return status;
  }

  std::unique_ptr<SealedFiler> filer(new SealedFiler());
  filer->signer_ = {created.encryption_key().name(), Bytes(signing_secret, sizeof signing_secret)};
  sodium_memzero(sealing_secret, sizeof sealing_secret);
  sodium_memzero(signing_secret, sizeof signing_secret);
  v1::ListEncryptionKeysRequest list;
  list.set_parent(partner);
  list.set_page_size(1000);
  v1::ListEncryptionKeysResponse listed;
  grpc::ClientContext list_context;
  list_context.AddMetadata("authorization", "Bearer " + token);
  if (absl::Status status =
          FromGrpc(stub->ListEncryptionKeys(&list_context, list, &listed), "listing keys");
      !status.ok()) {
    return status;
  }
  for (const v1::EncryptionKey& each : listed.encryption_keys()) {
    if (each.state() != v1::EncryptionKey::STATE_ACTIVE) continue;
    filer->recipients_.push_back({each.name(), each.sealing_public_key()});
  }
  v1::AlertProtectedDetails details;
  v1::AlertProtectedDetails::Person* person = details.add_people();
  person->set_full_name("Benchmark Person");
  person->set_role("branch secretary");
  details.set_narrative("Followed home after the strike vote.");
  filer->details_ = details.SerializeAsString();
  return filer;
}

absl::StatusOr<SealedFiler::Filing> SealedFiler::Seal() const {
  Filing filing;
  filing.alert_id = GenerateResourceId();
  absl::StatusOr<v1::SealedEnvelope> envelope =
      SealEnvelope(MakeName("", kAlertName, filing.alert_id), details_, recipients_, signer_);
  if (!envelope.ok()) return envelope.status();
  filing.envelope = *std::move(envelope);
  return filing;
}

absl::Status SealedFiler::SealAhead(size_t count, int threads) {
  ahead_.assign(count, Filing());
  std::vector<absl::Status> results(threads);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([this, t, threads, count, &results] {
      for (size_t i = t; i < count; i += threads) {
        absl::StatusOr<Filing> filing = Seal();
        if (!filing.ok()) {
          results[t] = filing.status();
          return;
        }
        ahead_[i] = *std::move(filing);
      }
    });
  }
  for (std::thread& worker : workers) worker.join();
  for (const absl::Status& result : results) {
    if (!result.ok()) return result;
  }
  return absl::OkStatus();
}

absl::Status SealedFiler::SealInto(v1::CreateAlertRequest& request) {
  const size_t index = next_ahead_.fetch_add(1);
  Filing filing;
  if (index < ahead_.size()) {
    filing = std::move(ahead_[index]);
  } else {
    sealed_during_load_.fetch_add(1);
    MPOWER_ASSIGN_OR_RETURN(filing, Seal());
  }
  request.set_alert_id(std::move(filing.alert_id));
  *request.mutable_alert()->mutable_protected_details()->mutable_sealed() =
      std::move(filing.envelope);
  return absl::OkStatus();
}

}  // namespace mpower::bench
