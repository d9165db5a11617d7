#ifndef MPOWER_CLIENT_KNOWN_KEYS_H_
#define MPOWER_CLIENT_KNOWN_KEYS_H_

// The partners' keys this machine last sealed to, remembered in the key
// directory (KEYDIR/known-keys, owner-only), so that an organiser with no
// signal can still seal an alert's details as it queues them: the outbox
// then holds only an envelope. Only keys that were checked and pinned
// when fetched are remembered, and each is checked against the pins again
// when used; the push checks them against the server's keys before it
// sends, and seals again if they changed meanwhile.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "mpower/v1/encryption_key.pb.h"

namespace mpower::cli {

struct KnownKeys {
  // Each partner's ACTIVE keys as last fetched; a partner fetched with
  // none has an empty list.
  std::map<std::string, std::vector<v1::EncryptionKey>> by_partner;
  // The secretariat's partners as last fetched; nullopt if never.
  std::optional<std::vector<std::string>> secretariat;
};

// What `directory` remembers; empty if nothing.
absl::StatusOr<KnownKeys> LoadKnownKeys(const std::string& directory);

// Remembers `keys` as every ACTIVE key of each partner in `partners` (the
// others' stay as they were), and `secretariat` as the secretariat's.
absl::Status RememberKeys(const std::string& directory, const std::vector<std::string>& partners,
                          const std::vector<v1::EncryptionKey>& keys,
                          const std::vector<std::string>& secretariat);

}  // namespace mpower::cli

#endif  // MPOWER_CLIENT_KNOWN_KEYS_H_
