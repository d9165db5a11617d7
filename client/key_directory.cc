#include "client/key_directory.h"

#include <sodium.h>

#include <cstdlib>
#include <fstream>
#include <iterator>

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
  }
  sodium_memzero(text.data(), text.size());
  if (parent != named->parent || key.sealing_public_key.size() != kSealingPublicKeyBytes ||
      key.sealing_secret_key.size() != crypto_box_SECRETKEYBYTES ||
      key.signing_public_key.size() != kSigningPublicKeyBytes ||
      key.signing_secret_key.size() != kSigningSecretKeyBytes) {
    return LocalError(absl::StrCat(file.string(), " is not a private key of ", named->parent,
                                   " as mpower keys generate writes one"));
  }
  return key;
}

}  // namespace mpower::cli
