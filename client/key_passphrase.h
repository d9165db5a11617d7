#ifndef MPOWER_CLIENT_KEY_PASSPHRASE_H_
#define MPOWER_CLIENT_KEY_PASSPHRASE_H_

// Private keys under a passphrase: a key file whose private halves are
// locked with a key derived from a passphrase (libsodium's crypto_pwhash,
// Argon2id), so that a laptop taken, or a backup found, does not give them
// up without it. The public halves stay readable, so that mpower knows
// which keys a machine holds without asking for the passphrase.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/args.h"

namespace mpower::cli {

// The lines of a key file that hold `secrets` locked under `passphrase`:
// `passphrase_salt`, `passphrase_opslimit`, `passphrase_memlimit` and
// `locked_secret_keys` (a nonce, then crypto_secretbox of the secrets).
absl::StatusOr<std::string> LockedSecretLines(const std::string& passphrase,
                                              absl::string_view secrets);

// What a key file says of its locked private halves.
struct LockedSecrets {
  std::string salt;
  unsigned long long opslimit = 0;
  size_t memlimit = 0;
  std::string locked;  // nonce, then crypto_secretbox's output

  bool empty() const { return locked.empty(); }
  // Takes the line `field = value` if it is one of the above; false if not.
  bool TakeLine(absl::string_view field, absl::string_view value);
};

// The secrets `locked` holds; an error naming `file` if `passphrase` does
// not open them.
absl::StatusOr<std::string> UnlockSecrets(const LockedSecrets& locked,
                                          const std::string& passphrase, const std::string& file);

// The passphrase for `what`: the first line of --passphrase-file or of the
// file MPOWER_PASSPHRASE_FILE names, else asked for on the terminal with
// echo off (twice when `confirm`). An error saying how to give one when
// there is no terminal.
absl::StatusOr<std::string> ReadPassphrase(const Args& args, const std::string& what, bool confirm);

// Whether the user asked for a passphrase (--passphrase or a passphrase
// file), for `mpower keys generate`.
bool WantsPassphrase(const Args& args);

}  // namespace mpower::cli

#endif  // MPOWER_CLIENT_KEY_PASSPHRASE_H_
