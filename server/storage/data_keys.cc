#include "server/storage/data_keys.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/durable_files.h"
#include "server/base/status_macros.h"
#include "server/storage/crypto.h"

namespace mpower {
namespace {

// What Seal's output starts with. A serialized message starts with a tag
// (field number at least 1, so at least 0x08); SealedPart starts with 0x00.
constexpr char kSealedMark = '\x02';
constexpr size_t kKeyIdBytes = 8;
// The key file: the id, then the key, in hex.
constexpr size_t kKeyFileChars = 2 * (kKeyIdBytes + kAeadKeyBytes);

}  // namespace

bool DataKeys::IsSealed(absl::string_view data) {
  return !data.empty() && data.front() == kSealedMark;
}

std::string DataKeys::PathOf(absl::string_view name) const {
  return absl::StrCat(directory_, "/", Sha256Hex(name), ".key");
}

absl::StatusOr<std::optional<DataKeys::Key>> DataKeys::Find(absl::string_view name) const {
  const std::string path = PathOf(name);
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::nullopt;
    return absl::UnavailableError(absl::StrCat("cannot read data key ", path));
  }
  char buffer[kKeyFileChars + 2];
  const ssize_t read_bytes = read(fd, buffer, sizeof buffer);
  close(fd);
  if (read_bytes < 0) return absl::UnavailableError(absl::StrCat("cannot read data key ", path));
  const absl::string_view text =
      absl::StripAsciiWhitespace(absl::string_view(buffer, static_cast<size_t>(read_bytes)));
  if (text.size() != kKeyFileChars ||
      !std::all_of(text.begin(), text.end(), absl::ascii_isxdigit)) {
    return absl::DataLossError(absl::StrCat("data key ", path, " is not ", kKeyFileChars,
                                            " hex digits; restore it from your backup"));
  }
  const std::string raw = absl::HexStringToBytes(text);
  return Key{raw.substr(0, kKeyIdBytes), raw.substr(kKeyIdBytes)};
}

absl::StatusOr<std::pair<DataKeys::Key, bool>> DataKeys::FindOrCreate(
    absl::string_view name) const {
  MPOWER_ASSIGN_OR_RETURN(std::optional<Key> found, Find(name));
  if (found.has_value()) return std::make_pair(*std::move(found), false);
  // Written aside, synced, then linked into place: link() fails if another
  // thread or replica got there first, so a key, once seen, never changes.
  const std::string path = PathOf(name);
  const std::string temporary =
      absl::StrCat(path, ".", absl::BytesToHexString(RandomBytes(6)), ".new");
  const std::string contents =
      absl::StrCat(absl::BytesToHexString(RandomBytes(kKeyIdBytes + kAeadKeyBytes)), "\n");
  const bool written = CreateSyncedFile(temporary, contents).ok();
  const bool created = written && link(temporary.c_str(), path.c_str()) == 0;
  const bool linked = created || (written && errno == EEXIST);
  unlink(temporary.c_str());
  if (!linked) return absl::UnavailableError(absl::StrCat("cannot create data key ", path));
  // Whoever created it, it is on disk before anything is sealed with it.
  MPOWER_RETURN_IF_ERROR(SyncDirectory(directory_));
  MPOWER_ASSIGN_OR_RETURN(found, Find(name));
  if (!found.has_value()) {
    return absl::UnavailableError(absl::StrCat("data key ", path, " vanished as it was made"));
  }
  return std::make_pair(*std::move(found), created);
}

absl::StatusOr<bool> DataKeys::Prepare(absl::string_view name) const {
  MPOWER_ASSIGN_OR_RETURN(auto key, FindOrCreate(name));
  return key.second;
}

bool DataKeys::Has(absl::string_view name) const {
  absl::StatusOr<std::optional<Key>> found = Find(name);
  return found.ok() && found->has_value();
}

absl::StatusOr<std::string> DataKeys::Seal(absl::string_view name,
                                           absl::string_view plaintext) const {
  MPOWER_ASSIGN_OR_RETURN(auto found, FindOrCreate(name));
  const Key& key = found.first;
  const std::string nonce = RandomBytes(kAeadNonceBytes);
  return absl::StrCat(absl::string_view(&kSealedMark, 1), key.id, nonce,
                      AesGcmSeal(key.bytes, nonce, name, plaintext));
}

absl::StatusOr<std::optional<std::string>> DataKeys::Open(absl::string_view name,
                                                          absl::string_view sealed) const {
  constexpr size_t kHeader = 1 + kKeyIdBytes + kAeadNonceBytes;
  if (!IsSealed(sealed) || sealed.size() < kHeader + kAeadTagBytes) {
    return absl::DataLossError(absl::StrCat("the erasable data of ", name, " is truncated"));
  }
  MPOWER_ASSIGN_OR_RETURN(std::optional<Key> key, Find(name));
  // Gone, or replaced by a key made after a purge: the data is erased.
  if (!key.has_value() || key->id != sealed.substr(1, kKeyIdBytes)) return std::nullopt;
  std::optional<std::string> plaintext = AesGcmOpen(
      key->bytes, sealed.substr(1 + kKeyIdBytes, kAeadNonceBytes), name, sealed.substr(kHeader));
  if (!plaintext.has_value()) {
    return absl::DataLossError(absl::StrCat("cannot decrypt the erasable data of ", name,
                                            ": its data key file was altered, or the data was"));
  }
  return plaintext;
}

absl::Status DataKeys::Destroy(absl::string_view name) const {
  const std::string path = PathOf(name);
  const int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return absl::OkStatus();
    return absl::UnavailableError(absl::StrCat("cannot destroy data key ", path));
  }
  // Overwritten first, so the blocks the file system frees no longer hold
  // the key on disks that write in place (not SSDs: see README).
  const bool overwritten = WriteAll(fd, std::string(kKeyFileChars + 1, '0')) && fsync(fd) == 0;
  close(fd);
  if (!overwritten || unlink(path.c_str()) != 0) {
    return absl::UnavailableError(absl::StrCat("cannot destroy data key ", path));
  }
  return SyncDirectory(directory_);
}

}  // namespace mpower
