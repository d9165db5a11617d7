#ifndef MPOWER_CLIENT_KEY_PINS_H_
#define MPOWER_CLIENT_KEY_PINS_H_

// Partners' keys as this machine first saw them, as SSH's known_hosts keeps
// hosts' keys: a server that swaps a partner's key, or publishes one in its
// name, cannot make mpower seal to it or trust its signature until a
// person has compared the new fingerprint with the partner and accepted it
// (--trust-new-keys). Kept owner-only in the key directory, file `pins`.

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "mpower/v1/encryption_key.pb.h"

namespace mpower::cli {

class KeyPins {
 public:
  // The pins in `key_directory`; none if it has no `pins` file yet.
  static absl::StatusOr<KeyPins> Load(const std::string& key_directory);

  // Checks `partner`'s ACTIVE keys, each already checked for its proof and
  // fingerprint, against the pins. A partner seen for the first time has
  // its keys pinned (and `note` says so). A key not pinned, or pinned with
  // another fingerprint, is refused, naming it with both fingerprints,
  // unless `trust_new_keys`, which pins it. Saves what it pinned.
  // `known_partner` treats the partner as seen even with no key pinned
  // yet: a secretariat pinned before this run, whose first key must be
  // accepted like any new one.
  absl::Status Check(const std::string& partner, const std::vector<v1::EncryptionKey>& keys,
                     bool trust_new_keys, std::string& note, bool known_partner = false);

  // Whether some key of `partner` is pinned here.
  bool Knows(const std::string& partner) const;

  // Whether `key_name` is pinned here with `fingerprint`.
  bool Pinned(const std::string& key_name, const std::string& fingerprint) const;

  // Whether this machine pinned which partners are the secretariat (none,
  // perhaps), and whether `partner` is one of them.
  bool SecretariatSeen() const;
  bool IsPinnedSecretariat(const std::string& partner) const;

  // Checks the partners the server calls the secretariat (TYPE_SECRETARIAT),
  // whose keys every envelope is sealed to as recovery keys, against those
  // pinned: the first answer is pinned, even an empty one (`note` says
  // so); a partner newly called the secretariat, or one no longer called
  // so, is refused, named, unless `trust_new_keys`, which pins the new
  // answer. Else a server could seal every filer's details to a partner of
  // its choosing by calling it the secretariat, or drop recovery unseen.
  absl::Status CheckSecretariat(const std::vector<std::string>& partners, bool trust_new_keys,
                                std::string& note);

 private:
  explicit KeyPins(std::string path) : path_(std::move(path)) {}
  absl::Status Save() const;

  std::string path_;
  std::map<std::string, std::string> fingerprints_;  // key name -> fingerprint
};

}  // namespace mpower::cli

#endif  // MPOWER_CLIENT_KEY_PINS_H_
