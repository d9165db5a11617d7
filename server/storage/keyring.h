#ifndef MPOWER_SERVER_STORAGE_KEYRING_H_
#define MPOWER_SERVER_STORAGE_KEYRING_H_

// Keys for encrypting protected alert details at rest with AES-256-GCM.
// Keys live in a directory, one file per key (`{key_id}.key`, 64 hex
// digits, owner-only) and a file `current` naming the key new data is
// sealed with. Old keys stay until the operator removes them after
// `mpowerd keys rotate` has re-encrypted everything.

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mpower {

// A sealed value: which key, and the nonce, ciphertext and tag.
struct SealedData {
  std::string key_id;
  std::string blob;  // 12-byte nonce, ciphertext, 16-byte tag
};

// The keys of one data directory. Immutable after loading; thread-safe.
class Keyring {
 public:
  // Loads the keys in `directory`, creating the directory and a first key
  // (owner-only) if there are none. FAILED_PRECONDITION, naming the file
  // and what to do, if a key file is malformed or `current` names a key
  // that is missing.
  static absl::StatusOr<std::unique_ptr<Keyring>> LoadOrCreate(const std::string& directory);

  // Creates a new key in `directory` and makes it current. Returns its id.
  static absl::StatusOr<std::string> AddKey(const std::string& directory);

  // Encrypts `plaintext` with the current key, binding it to
  // `associated_data` (the resource's name).
  SealedData Seal(absl::string_view plaintext, absl::string_view associated_data) const;

  // Decrypts. FAILED_PRECONDITION if the key is not in the keyring;
  // DATA_LOSS if the key is wrong or the data or its name was altered.
  // Messages never include the data.
  absl::StatusOr<std::string> Open(const SealedData& sealed,
                                   absl::string_view associated_data) const;

  bool HasKey(absl::string_view key_id) const { return keys_.count(std::string(key_id)) > 0; }
  const std::string& current_key_id() const { return current_; }
  const std::string& directory() const { return directory_; }

 private:
  Keyring() = default;

  std::string directory_;
  std::map<std::string, std::string> keys_;  // id -> 32 raw bytes
  std::string current_;
};

}  // namespace mpower

#endif  // MPOWER_SERVER_STORAGE_KEYRING_H_
