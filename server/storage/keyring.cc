#include "server/storage/keyring.h"

#include <dirent.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
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

namespace mpower {
namespace {

constexpr size_t kKeyBytes = 32;
constexpr size_t kNonceBytes = 12;
constexpr size_t kTagBytes = 16;

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

std::string RandomBytes(size_t count) {
  std::string bytes(count, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(count));
  return bytes;
}

// AES-256-GCM, fetched from OpenSSL once rather than looked up by name on
// every seal and open (OpenSSL 3's implicit fetch; crypto(7), "Performance").
const EVP_CIPHER* AesGcmAlgorithm() {
  static const EVP_CIPHER* const fetched = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  return fetched != nullptr ? fetched : EVP_aes_256_gcm();
}

// Runs AES-256-GCM one way or the other. Returns false if the tag does not
// verify (decryption) or OpenSSL fails.
bool RunGcm(bool encrypt, const std::string& key, absl::string_view nonce,
            absl::string_view associated_data, absl::string_view input, std::string& output,
            std::string& tag) {
  std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(),
                                                                      EVP_CIPHER_CTX_free);
  const auto* key_bytes = reinterpret_cast<const unsigned char*>(key.data());
  const auto* nonce_bytes = reinterpret_cast<const unsigned char*>(nonce.data());
  if (ctx == nullptr || EVP_CipherInit_ex(ctx.get(), AesGcmAlgorithm(), nullptr, key_bytes,
                                          nonce_bytes, encrypt ? 1 : 0) != 1) {
    return false;
  }
  int length = 0;
  if (!associated_data.empty() &&
      EVP_CipherUpdate(ctx.get(), nullptr, &length,
                       reinterpret_cast<const unsigned char*>(associated_data.data()),
                       static_cast<int>(associated_data.size())) != 1) {
    return false;
  }
  output.resize(input.size());
  if (EVP_CipherUpdate(ctx.get(), reinterpret_cast<unsigned char*>(output.data()), &length,
                       reinterpret_cast<const unsigned char*>(input.data()),
                       static_cast<int>(input.size())) != 1) {
    return false;
  }
  if (!encrypt &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data()) != 1) {
    return false;
  }
  int final_length = 0;
  if (EVP_CipherFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(output.data()) + length,
                         &final_length) != 1) {
    return false;
  }
  if (encrypt) {
    tag.resize(kTagBytes);
    if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, tag.data()) != 1) {
      return false;
    }
  }
  return true;
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

SealedData Keyring::Seal(absl::string_view plaintext, absl::string_view associated_data) const {
  std::string key_id, key;
  {
    absl::ReaderMutexLock lock(&mutex_);
    key_id = contents_.current;
    key = contents_.keys.at(key_id);
  }
  const std::string nonce = RandomBytes(kNonceBytes);
  std::string ciphertext;
  std::string tag;
  RunGcm(/*encrypt=*/true, key, nonce, associated_data, plaintext, ciphertext, tag);
  return SealedData{key_id, absl::StrCat(nonce, ciphertext, tag)};
}

absl::StatusOr<std::string> Keyring::Open(const SealedData& sealed,
                                          absl::string_view associated_data) const {
  const std::optional<std::string> key = FindKey(sealed.key_id);
  if (!key.has_value()) {
    return absl::FailedPreconditionError(
        absl::StrCat("protected details are encrypted with key ", sealed.key_id,
                     ", which is not in ", directory_, "; restore ", sealed.key_id,
                     ".key from your backup (with several replicas, "
                     "every one needs every key)"));
  }
  if (sealed.blob.size() < kNonceBytes + kTagBytes) {
    return absl::DataLossError(
        absl::StrCat("encrypted data for ", associated_data, " is truncated"));
  }
  const absl::string_view blob = sealed.blob;
  std::string tag(blob.substr(blob.size() - kTagBytes));
  std::string plaintext;
  if (!RunGcm(/*encrypt=*/false, *key, blob.substr(0, kNonceBytes), associated_data,
              blob.substr(kNonceBytes, blob.size() - kNonceBytes - kTagBytes), plaintext, tag)) {
    return absl::DataLossError(absl::StrCat(
        "cannot decrypt the protected details of ", associated_data, " with key ", sealed.key_id,
        ": the key file is not the one they were sealed with, or the data was "
        "altered"));
  }
  return plaintext;
}

}  // namespace mpower
