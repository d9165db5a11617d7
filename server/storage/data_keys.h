#ifndef MPOWER_SERVER_STORAGE_DATA_KEYS_H_
#define MPOWER_SERVER_STORAGE_DATA_KEYS_H_

// One data key per resource whose protected data must be erasable (alerts),
// kept in a directory apart from the database and its backups. Every copy
// of such a resource's protected data, the current row and each revision in
// the history alike, is sealed under that key before the keyring seals it
// again; destroying the key (a purge) makes all of them, and every database
// backup ever taken, unreadable at once, without finding any of them.
//
// A key lives in `{directory}/{sha256 of the resource name}.key` (the name
// itself is not on disk): a random 8-byte id and the 32-byte key, in hex.
// The id goes into everything the key seals, so data sealed under a
// destroyed key is told apart from data sealed under the key that replaced
// it. Replicas sharing the key directory share these keys; nothing is
// cached in memory, so a purge on one replica holds on every replica at
// once.

#include <optional>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mpower {

class DataKeys {
 public:
  // REQUIRES: `directory` exists (Keyring::LoadOrCreate creates it).
  explicit DataKeys(std::string directory) : directory_(std::move(directory)) {}

  // True if `data` is what Seal returns (the first byte tells: no
  // serialized message and no SealedPart starts with it).
  static bool IsSealed(absl::string_view data);

  // Makes sure `name` has a key, durably on disk, creating one if it has
  // none; returns whether it created it. Creating waits for the disk (two
  // syncs): call it before a write transaction, so that Seal inside one
  // does not.
  absl::StatusOr<bool> Prepare(absl::string_view name) const;

  // Seals `plaintext` under `name`'s key, creating the key if needed.
  absl::StatusOr<std::string> Seal(absl::string_view name, absl::string_view plaintext) const;

  // What Seal sealed; nullopt if the key it was sealed with has been
  // destroyed. DATA_LOSS if the data was altered or moved to another name.
  absl::StatusOr<std::optional<std::string>> Open(absl::string_view name,
                                                  absl::string_view sealed) const;

  // Destroys `name`'s key: overwrites and removes the file and syncs the
  // directory, so the key is gone from the file system when this returns.
  // OK if there is none.
  absl::Status Destroy(absl::string_view name) const;

  // Whether `name` has a key now.
  bool Has(absl::string_view name) const;

  const std::string& directory() const { return directory_; }

 private:
  struct Key {
    std::string id;     // 8 random bytes
    std::string bytes;  // 32 bytes
  };

  std::string PathOf(absl::string_view name) const;
  // The key of `name`; nullopt if it has none. UNAVAILABLE if the file
  // cannot be read, DATA_LOSS if it is malformed.
  absl::StatusOr<std::optional<Key>> Find(absl::string_view name) const;
  // The key of `name`, and whether this call created it.
  absl::StatusOr<std::pair<Key, bool>> FindOrCreate(absl::string_view name) const;

  const std::string directory_;
};

}  // namespace mpower

#endif  // MPOWER_SERVER_STORAGE_DATA_KEYS_H_
