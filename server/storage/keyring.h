#ifndef MPOWER_SERVER_STORAGE_KEYRING_H_
#define MPOWER_SERVER_STORAGE_KEYRING_H_

// Keys for encrypting protected alert details at rest with AES-256-GCM.
// Keys live in a directory, one file per key (`{key_id}.key`, 64 hex
// digits, owner-only) and a file `current` naming the key new data is
// sealed with. Old keys stay until the operator removes them after
// `mpowerd keys rotate` has re-encrypted everything (and the backups that
// need them are gone).

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "server/storage/data_keys.h"

namespace mpower {

// A sealed value: which key, and the nonce, ciphertext and tag.
struct SealedData {
  std::string key_id;
  std::string blob;  // 12-byte nonce, ciphertext, 16-byte tag
};

// What Keyring::Open found.
struct OpenedData {
  std::string plaintext;
  // Sealed under a data key too (Seal's `erasable`).
  bool erasable = false;
  // That data key has been destroyed: `plaintext` is empty, for good.
  bool erased = false;
};

// The keys of one data directory. Thread-safe. The keyring follows its
// directory: Reload() (and a read that meets a key it has not loaded) picks
// up keys added since, and the key `current` names, so replicas sharing a
// key directory go on serving through `mpowerd keys rotate`. Keys are only
// ever added to a loaded keyring.
class Keyring {
 public:
  // Loads the keys in `directory`, creating the directory and a first key
  // (owner-only) if there are none. FAILED_PRECONDITION, naming the file
  // and what to do, if a key file is malformed or `current` names a key
  // that is missing.
  static absl::StatusOr<std::unique_ptr<Keyring>> LoadOrCreate(const std::string& directory);

  // Creates a new key in `directory` and makes it current. Returns its id.
  static absl::StatusOr<std::string> AddKey(const std::string& directory);

  // Reads the directory again. Returns whether the current key changed;
  // the keyring is unchanged if the directory cannot be read.
  absl::StatusOr<bool> Reload() const ABSL_LOCKS_EXCLUDED(mutex_);

  // Encrypts `plaintext` with the current key, binding it to `name` (the
  // resource's). If `erasable`, seals it under `name`'s data key first
  // (data_keys()), so that destroying that key erases it; UNAVAILABLE if
  // the data key cannot be read or made.
  absl::StatusOr<SealedData> Seal(absl::string_view plaintext, absl::string_view name,
                                  bool erasable) const ABSL_LOCKS_EXCLUDED(mutex_);

  // Decrypts. FAILED_PRECONDITION if the key is not in the keyring, even
  // after reading the directory again; DATA_LOSS if the key is wrong or the
  // data or its name was altered. Messages never include the data.
  absl::StatusOr<OpenedData> Open(const SealedData& sealed, absl::string_view name) const
      ABSL_LOCKS_EXCLUDED(mutex_);

  // The per-resource data keys, in the `data-keys` folder of the directory.
  const DataKeys& data_keys() const { return data_keys_; }

  bool HasKey(absl::string_view key_id) const ABSL_LOCKS_EXCLUDED(mutex_);
  size_t KeyCount() const ABSL_LOCKS_EXCLUDED(mutex_);
  std::string current_key_id() const ABSL_LOCKS_EXCLUDED(mutex_);
  const std::string& directory() const { return directory_; }

 private:
  // What a key directory holds.
  struct Contents {
    std::map<std::string, std::string> keys;  // id -> 32 raw bytes
    std::string current;
  };
  static absl::StatusOr<Contents> Read(const std::string& directory);

  explicit Keyring(std::string directory)
      : directory_(std::move(directory)), data_keys_(DataKeysDirectory(directory_)) {}
  static std::string DataKeysDirectory(const std::string& directory) {
    return directory + "/data-keys";
  }

  // The key `key_id`, reading the directory again if it is not loaded;
  // nullopt if it is not there either.
  std::optional<std::string> FindKey(const std::string& key_id) const ABSL_LOCKS_EXCLUDED(mutex_);

  const std::string directory_;
  const DataKeys data_keys_;
  mutable absl::Mutex mutex_;
  // A cache of the directory, refreshed by const methods.
  mutable Contents contents_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace mpower

#endif  // MPOWER_SERVER_STORAGE_KEYRING_H_
