// What end-to-end sealing costs the filer's and the reader's machine: the
// time mpower spends sealing an alert's protected details to 1, 5 and 50
// recipient keys (one wrap each), and opening them with one key, through
// the same library the CLI uses (common/sealed_envelope.h). Prints one
// key=value line per recipient count for bench/table.py.

#include <sodium.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/sealed_envelope.h"
#include "mpower/v1/alert.pb.h"

namespace {

using Clock = std::chrono::steady_clock;

struct KeyPair {
  std::string name;
  std::string sealing_public = std::string(crypto_box_PUBLICKEYBYTES, '\0');
  std::string sealing_secret = std::string(crypto_box_SECRETKEYBYTES, '\0');
};

// Details as a union files them: two people, a narrative of a page.
std::string Details() {
  mpower::v1::AlertProtectedDetails details;
  for (const char* name : {"Siti Example-Rahayu", "Budi Example-Santoso"}) {
    auto* person = details.add_people();
    person->set_full_name(name);
    person->set_role("branch secretary");
  }
  details.set_exact_location("Estate gate, block 7, Example Regency");
  details.set_narrative(std::string(2000, 'n'));
  return details.SerializeAsString();
}

double MicrosecondsPer(Clock::duration elapsed, int runs) {
  return std::chrono::duration<double, std::micro>(elapsed).count() / runs;
}

}  // namespace

int main() {
  if (sodium_init() < 0) return 1;
  const std::string alert = "alerts/bench";
  const std::string details = Details();
  std::string signing_public(crypto_sign_PUBLICKEYBYTES, '\0');
  std::string signing_secret(crypto_sign_SECRETKEYBYTES, '\0');
  crypto_sign_keypair(reinterpret_cast<unsigned char*>(signing_public.data()),
                      reinterpret_cast<unsigned char*>(signing_secret.data()));
  const mpower::EnvelopeSigner signer{"partners/union/encryptionKeys/desk", signing_secret};
  for (const int count : {1, 5, 50}) {
    std::vector<KeyPair> keys(count);
    std::vector<mpower::EnvelopeRecipient> recipients;
    for (int i = 0; i < count; ++i) {
      keys[i].name = absl::StrCat("partners/p", 100 + i, "/encryptionKeys/k");
      crypto_box_keypair(reinterpret_cast<unsigned char*>(keys[i].sealing_public.data()),
                         reinterpret_cast<unsigned char*>(keys[i].sealing_secret.data()));
      recipients.push_back({keys[i].name, keys[i].sealing_public});
    }
    const int runs = count == 50 ? 100 : 500;
    mpower::v1::SealedEnvelope envelope;
    Clock::time_point start = Clock::now();
    for (int i = 0; i < runs; ++i) {
      auto sealed = mpower::SealEnvelope(alert, details, recipients, signer);
      if (!sealed.ok()) return 1;
      envelope = *std::move(sealed);
    }
    const double seal_us = MicrosecondsPer(Clock::now() - start, runs);
    // A reader opens with its one key: the last wrap, as a reader whose
    // key sorts last finds it.
    const KeyPair& reader = keys.back();
    const mpower::EnvelopeOpener opener{reader.name, reader.sealing_public, reader.sealing_secret};
    start = Clock::now();
    for (int i = 0; i < runs; ++i) {
      if (!mpower::OpenEnvelope(alert, envelope, signing_public, opener).ok()) return 1;
    }
    const double open_us = MicrosecondsPer(Clock::now() - start, runs);
    std::printf("scenario=seal-%d recipients=%d seal_us=%.0f open_us=%.0f envelope_bytes=%zu\n",
                count, count, seal_us, open_us, envelope.ByteSizeLong());
  }
  return 0;
}
