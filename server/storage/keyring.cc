#include "server/storage/keyring.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "server/base/status_macros.h"
#include "server/storage/crypto.h"

namespace mpower {
namespace {

constexpr size_t kKeyBytes = kAeadKeyBytes;

absl::StatusOr<std::string> ReadSmallFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(path);
  std::stringstream text;
  text << in.rdbuf();
  return std::string(absl::StripAsciiWhitespace(text.str()));
}

absl::Status WriteOwnerOnly(const std::string& path, absl::string_view contents) {
  const std::string temporary = path + ".new";
  const int fd = open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return absl::UnavailableError(absl::StrCat("cannot write ", temporary));
  const bool written =
      write(fd, contents.data(), contents.size()) == static_cast<ssize_t>(contents.size()) &&
      fsync(fd) == 0;
  close(fd);
  if (!written || rename(temporary.c_str(), path.c_str()) != 0) {
    return absl::UnavailableError(absl::StrCat("cannot write ", path));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Keyring::Contents> Keyring::Read(const std::string& directory) {
  Contents contents;
  DIR* dir = opendir(directory.c_str());
  if (dir == nullptr) return absl::UnavailableError(absl::StrCat("cannot read ", directory));
  while (dirent* entry = readdir(dir)) {
    const std::string file = entry->d_name;
    if (!absl::EndsWith(file, ".key")) continue;
    const std::string path = absl::StrCat(directory, "/", file);
    absl::StatusOr<std::string> hex = ReadSmallFile(path);
    if (!hex.ok() || hex->size() != 2 * kKeyBytes ||
        !std::all_of(hex->begin(), hex->end(), absl::ascii_isxdigit)) {
      closedir(dir);
      return absl::FailedPreconditionError(
          absl::StrCat("key file ", path, " is not 64 hex digits; restore it from your backup"));
    }
    contents.keys[file.substr(0, file.size() - 4)] = absl::HexStringToBytes(*hex);
  }
  closedir(dir);
  absl::StatusOr<std::string> current = ReadSmallFile(directory + "/current");
  if (!current.ok() || contents.keys.count(*current) == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(directory, "/current names a key that is not in ", directory,
                     "; restore the key file from your backup"));
  }
  contents.current = *current;
  return contents;
}

absl::StatusOr<std::unique_ptr<Keyring>> Keyring::LoadOrCreate(const std::string& directory) {
  if (mkdir(directory.c_str(), 0700) != 0 && errno != EEXIST) {
    return absl::UnavailableError(absl::StrCat("cannot create key directory ", directory));
  }
  const std::string data_keys = DataKeysDirectory(directory);
  if (mkdir(data_keys.c_str(), 0700) != 0 && errno != EEXIST) {
    return absl::UnavailableError(absl::StrCat("cannot create data key directory ", data_keys));
  }
  if (!ReadSmallFile(directory + "/current").ok()) {
    // A directory without a current key: a new data directory.
    absl::StatusOr<std::string> created = AddKey(directory);
    if (!created.ok()) return created.status();
  }
  absl::StatusOr<Contents> contents = Read(directory);
  if (!contents.ok()) return contents.status();
  std::unique_ptr<Keyring> keyring(new Keyring(directory));
  absl::MutexLock lock(&keyring->mutex_);
  keyring->contents_ = *std::move(contents);
  return keyring;
}

absl::StatusOr<bool> Keyring::Reload() const {
  absl::StatusOr<Contents> read = Read(directory_);
  if (!read.ok()) return read.status();
  absl::MutexLock lock(&mutex_);
  // Keys only ever arrive: one removed from the directory stays loaded.
  read->keys.insert(contents_.keys.begin(), contents_.keys.end());
  const bool moved = read->current != contents_.current;
  contents_ = *std::move(read);
  return moved;
}

bool Keyring::HasKey(absl::string_view key_id) const {
  absl::ReaderMutexLock lock(&mutex_);
  return contents_.keys.count(std::string(key_id)) > 0;
}

size_t Keyring::KeyCount() const {
  absl::ReaderMutexLock lock(&mutex_);
  return contents_.keys.size();
}

std::string Keyring::current_key_id() const {
  absl::ReaderMutexLock lock(&mutex_);
  return contents_.current;
}

std::optional<std::string> Keyring::FindKey(const std::string& key_id) const {
  {
    absl::ReaderMutexLock lock(&mutex_);
    auto key = contents_.keys.find(key_id);
    if (key != contents_.keys.end()) return key->second;
  }
  // Another replica may have sealed with a key added since this one loaded.
  if (!Reload().ok()) return std::nullopt;
  absl::ReaderMutexLock lock(&mutex_);
  auto key = contents_.keys.find(key_id);
  if (key == contents_.keys.end()) return std::nullopt;
  return key->second;
}

absl::StatusOr<std::string> Keyring::AddKey(const std::string& directory) {
  const std::string id = absl::BytesToHexString(RandomBytes(6));
  absl::Status status = WriteOwnerOnly(absl::StrCat(directory, "/", id, ".key"),
                                       absl::BytesToHexString(RandomBytes(kKeyBytes)) + "\n");
  if (status.ok()) status = WriteOwnerOnly(directory + "/current", id + "\n");
  if (!status.ok()) return status;
  return id;
}

absl::StatusOr<SealedData> Keyring::Seal(absl::string_view plaintext, absl::string_view name,
                                         bool erasable) const {
  std::string inner;
  if (erasable) {
    MPOWER_ASSIGN_OR_RETURN(inner, data_keys_.Seal(name, plaintext));
    plaintext = inner;
  }
  std::string key_id, key;
  {
    absl::ReaderMutexLock lock(&mutex_);
    key_id = contents_.current;
    key = contents_.keys.at(key_id);
  }
  const std::string nonce = RandomBytes(kAeadNonceBytes);
  return SealedData{key_id, nonce + AesGcmSeal(key, nonce, name, plaintext)};
}

absl::StatusOr<OpenedData> Keyring::Open(const SealedData& sealed, absl::string_view name) const {
  const absl::string_view associated_data = name;
  const std::optional<std::string> key = FindKey(sealed.key_id);
  if (!key.has_value()) {
    return absl::FailedPreconditionError(
        absl::StrCat("protected details are encrypted with key ", sealed.key_id,
                     ", which is not in ", directory_, "; restore ", sealed.key_id,
                     ".key from your backup (with several replicas, "
                     "every one needs every key)"));
  }
  if (sealed.blob.size() < kAeadNonceBytes + kAeadTagBytes) {
    return absl::DataLossError(
        absl::StrCat("encrypted data for ", associated_data, " is truncated"));
  }
  const absl::string_view blob = sealed.blob;
  std::optional<std::string> plaintext = AesGcmOpen(*key, blob.substr(0, kAeadNonceBytes),
                                                    associated_data, blob.substr(kAeadNonceBytes));
  if (!plaintext.has_value()) {
    return absl::DataLossError(absl::StrCat(
        "cannot decrypt the protected details of ", associated_data, " with key ", sealed.key_id,
        ": the key file is not the one they were sealed with, or the data was "
        "altered"));
  }
  OpenedData opened;
  if (!DataKeys::IsSealed(*plaintext)) {
    opened.plaintext = *std::move(plaintext);
    return opened;
  }
  opened.erasable = true;
  MPOWER_ASSIGN_OR_RETURN(std::optional<std::string> inner, data_keys_.Open(name, *plaintext));
  opened.erased = !inner.has_value();
  if (inner.has_value()) opened.plaintext = *std::move(inner);
  return opened;
}

}  // namespace mpower
