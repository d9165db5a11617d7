#include "client/key_directory.h"

#include <sodium.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "client/command_status.h"
#include "common/public_keys.h"

namespace mpower::cli {

namespace fs = std::filesystem;

absl::StatusOr<std::string> KeyDirectory(const Args& args) {
  if (args.Has("key-dir")) return args.Get("key-dir");
  if (const char* dir = std::getenv("MPOWER_KEY_DIR"); dir != nullptr && *dir != '\0') return dir;
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg != nullptr && *xdg != '\0') {
    return absl::StrCat(xdg, "/mpower/keys");
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    return absl::StrCat(home, "/.config/mpower/keys");
  }
  return UsageError("no key directory: set HOME, or give --key-dir or MPOWER_KEY_DIR");
}

absl::Status MakeOwnerOnlyDirectory(const fs::path& directory) {
  std::error_code error;
  fs::create_directories(directory, error);
  if (error) {
    return LocalError(absl::StrCat("cannot make ", directory.string(), ": ", error.message()));
  }
  // Tighten what exists, from the key directory down.
  if (::chmod(directory.c_str(), 0700) != 0 ||
      ::chmod(directory.parent_path().c_str(), 0700) != 0) {
    return LocalError(
        absl::StrCat("cannot make ", directory.string(), " owner-only: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

fs::path PartnerKeyDirectory(const std::string& directory, const ParsedName& partner) {
  return fs::path(directory) / partner.id;
}

fs::path KeyFile(const std::string& directory, const ParsedName& key) {
  return fs::path(directory) / key.parent.substr(key.parent.find('/') + 1) / (key.id + ".key");
}

HeldKey::~HeldKey() {
  sodium_memzero(sealing_secret_key.data(), sealing_secret_key.size());
  sodium_memzero(signing_secret_key.data(), signing_secret_key.size());
}

absl::StatusOr<std::optional<HeldKey>> ReadHeldKey(const std::string& directory,
                                                   const std::string& key_name) {
  absl::StatusOr<ParsedName> named = ParseName(key_name, kEncryptionKeyName, "key");
  if (!named.ok()) return LocalError(absl::StrCat("not a key's name: ", key_name));
  const fs::path file = KeyFile(directory, *named);
  std::error_code error;
  if (!fs::exists(file, error)) return std::nullopt;
  std::ifstream in(file);
  std::string text(std::istreambuf_iterator<char>(in), {});
  if (!in && !in.eof()) return LocalError(absl::StrCat("cannot read ", file.string()));
  HeldKey key;
  key.name = key_name;
  key.file = file.string();
  std::string parent;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    const std::pair<absl::string_view, absl::string_view> field =
        absl::StrSplit(line, absl::MaxSplits(" = ", 1));
    std::string* bytes = nullptr;
    if (field.first == "parent") parent = std::string(field.second);
    if (field.first == "sealing_public_key") bytes = &key.sealing_public_key;
    if (field.first == "sealing_secret_key") bytes = &key.sealing_secret_key;
    if (field.first == "signing_public_key") bytes = &key.signing_public_key;
    if (field.first == "signing_secret_key") bytes = &key.signing_secret_key;
    if (bytes != nullptr && !absl::Base64Unescape(field.second, bytes)) bytes->clear();
    key.locked.TakeLine(field.first, field.second);
  }
  sodium_memzero(text.data(), text.size());
  // Either the private halves, or the private halves under a passphrase.
  const bool secrets_ok = key.locked.empty()
                              ? key.sealing_secret_key.size() == crypto_box_SECRETKEYBYTES &&
                                    key.signing_secret_key.size() == kSigningSecretKeyBytes
                              : key.sealing_secret_key.empty() && key.signing_secret_key.empty();
  if (parent != named->parent || key.sealing_public_key.size() != kSealingPublicKeyBytes ||
      key.signing_public_key.size() != kSigningPublicKeyBytes || !secrets_ok) {
    return LocalError(absl::StrCat(file.string(), " is not a private key of ", named->parent,
                                   " as mpower keys generate writes one"));
  }
  return key;
}

namespace {

// Keys unlocked by this process, by file and locked bytes: one command
// (a list of many alerts, a create that seals then opens) asks for each
// passphrase, and spends Argon2id on it, once. Never written anywhere.
absl::flat_hash_map<std::string, std::string>& UnlockedSecrets() {
  static auto* const kUnlocked = new absl::flat_hash_map<std::string, std::string>();
  return *kUnlocked;
}

}  // namespace

absl::Status UnlockHeldKey(const Args& args, HeldKey& key) {
  if (key.locked.empty()) return absl::OkStatus();
  if (!key.sealing_secret_key.empty()) return absl::OkStatus();
  const std::string cache_key = absl::StrCat(key.file, "\n", key.locked.locked);
  absl::StatusOr<std::string> secrets;
  if (const auto cached = UnlockedSecrets().find(cache_key); cached != UnlockedSecrets().end()) {
    secrets = cached->second;
  } else {
    absl::StatusOr<std::string> passphrase = ReadPassphrase(args, key.name, /*confirm=*/false);
    if (!passphrase.ok()) return passphrase.status();
    secrets = UnlockSecrets(key.locked, *passphrase, key.file);
    sodium_memzero(passphrase->data(), passphrase->size());
    if (secrets.ok()) UnlockedSecrets()[cache_key] = *secrets;
  }
  if (!secrets.ok()) return secrets.status();
  const bool sized = secrets->size() == crypto_box_SECRETKEYBYTES + kSigningSecretKeyBytes;
  if (sized) {
    key.sealing_secret_key = secrets->substr(0, crypto_box_SECRETKEYBYTES);
    key.signing_secret_key = secrets->substr(crypto_box_SECRETKEYBYTES);
  }
  sodium_memzero(secrets->data(), secrets->size());
  // The private halves must be the public halves' own: an Ed25519 secret
  // key ends with its public key, and X25519's public key is its secret
  // times the base point.
  unsigned char sealing_public[crypto_box_PUBLICKEYBYTES];
  const bool matched =
      sized &&
      crypto_scalarmult_base(sealing_public, reinterpret_cast<const unsigned char*>(
                                                 key.sealing_secret_key.data())) == 0 &&
      key.sealing_public_key ==
          absl::string_view(reinterpret_cast<char*>(sealing_public), sizeof sealing_public) &&
      key.signing_secret_key.substr(kSigningSecretKeyBytes - kSigningPublicKeyBytes) ==
          key.signing_public_key;
  if (!matched) {
    sodium_memzero(key.sealing_secret_key.data(), key.sealing_secret_key.size());
    sodium_memzero(key.signing_secret_key.data(), key.signing_secret_key.size());
    key.sealing_secret_key.clear();
    key.signing_secret_key.clear();
    return LocalError(absl::StrCat(key.file, " does not hold the private halves of ", key.name));
  }
  return absl::OkStatus();
}

}  // namespace mpower::cli
