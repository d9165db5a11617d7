#ifndef MPOWER_CLIENT_KEY_DIRECTORY_H_
#define MPOWER_CLIENT_KEY_DIRECTORY_H_

// Where mpower keeps the private halves of its partners' keys, and reading
// them back. Owner-only, in the user's own configuration directory:
// --key-dir, MPOWER_KEY_DIR, $XDG_CONFIG_HOME/mpower/keys, or
// ~/.config/mpower/keys. Never beside MPOWER_CONFIG's file, which may be
// the one mpowerd wrote into its data directory for the local admin: a
// private key there would sit on the server, in its backups.

#include <filesystem>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "client/args.h"
#include "client/key_passphrase.h"
#include "server/core/names.h"

namespace mpower::cli {

absl::StatusOr<std::string> KeyDirectory(const Args& args);

// Makes `directory` (and what is missing above it) and makes it and its
// parent owner-only.
absl::Status MakeOwnerOnlyDirectory(const std::filesystem::path& directory);

// Where a partner's private keys live: DIR/{partner id}. `partner` is a
// parsed partners/{id}, so the id is a valid resource id, never a path.
std::filesystem::path PartnerKeyDirectory(const std::string& directory, const ParsedName& partner);

// The file holding a key's private halves: DIR/{partner id}/{key id}.key.
std::filesystem::path KeyFile(const std::string& directory, const ParsedName& key);

// Both halves of both keys of a key this machine holds. The private halves
// of a key under a passphrase are empty until UnlockHeldKey.
struct HeldKey {
  std::string name;  // partners/{partner}/encryptionKeys/{key}
  std::string file;
  std::string sealing_public_key;
  std::string sealing_secret_key;
  std::string signing_public_key;
  std::string signing_secret_key;
  LockedSecrets locked;  // empty for a key not under a passphrase
  ~HeldKey();
};

// The key `key_name` as held in `directory`; nullopt if this machine does
// not hold it. An error if its file is there but unreadable or malformed.
// Asks for no passphrase: its public halves are enough to know it is held.
absl::StatusOr<std::optional<HeldKey>> ReadHeldKey(const std::string& directory,
                                                   const std::string& key_name);

// Fills in `key`'s private halves, asking for its passphrase (ReadPassphrase)
// if it is under one, and checks that they are the public halves' own.
absl::Status UnlockHeldKey(const Args& args, HeldKey& key);

}  // namespace mpower::cli

#endif  // MPOWER_CLIENT_KEY_DIRECTORY_H_
