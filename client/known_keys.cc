#include "client/known_keys.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "client/command_status.h"
#include "common/durable_files.h"
#include "server/base/status_macros.h"

namespace mpower::cli {
namespace {

// One line each: "partner NAME" for a partner whose keys were fetched,
// "key BASE64" for one of its keys (a serialized EncryptionKey),
// "secretariat NAME" for a secretariat partner, and "secretariat-known"
// once the secretariat was fetched at all.
std::string Path(const std::string& directory) {
  return (std::filesystem::path(directory) / "known-keys").string();
}

// The partner a key's name belongs to: partners/{partner}.
std::string OwnerOf(const std::string& key_name) {
  return key_name.substr(0, key_name.find("/encryptionKeys/"));
}

}  // namespace

absl::StatusOr<KnownKeys> LoadKnownKeys(const std::string& directory) {
  KnownKeys known;
  std::ifstream in(Path(directory));
  if (!in) return known;
  const std::string text((std::istreambuf_iterator<char>(in)), {});
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    if (absl::ConsumePrefix(&line, "partner ")) {
      known.by_partner[std::string(line)];
    } else if (absl::ConsumePrefix(&line, "key ")) {
      std::string bytes;
      v1::EncryptionKey key;
      if (!absl::Base64Unescape(line, &bytes) || !key.ParseFromString(bytes)) {
        return LocalError(absl::StrCat(Path(directory), " is malformed; remove it"));
      }
      known.by_partner[OwnerOf(key.name())].push_back(std::move(key));
    } else if (line == "secretariat-known") {
      if (!known.secretariat.has_value()) known.secretariat.emplace();
    } else if (absl::ConsumePrefix(&line, "secretariat ")) {
      if (!known.secretariat.has_value()) known.secretariat.emplace();
      known.secretariat->push_back(std::string(line));
    }
  }
  return known;
}

absl::Status RememberKeys(const std::string& directory, const std::vector<std::string>& partners,
                          const std::vector<v1::EncryptionKey>& keys,
                          const std::vector<std::string>& secretariat) {
  MPOWER_ASSIGN_OR_RETURN(KnownKeys known, LoadKnownKeys(directory));
  for (const std::string& partner : partners) known.by_partner[partner].clear();
  for (const v1::EncryptionKey& key : keys) known.by_partner[OwnerOf(key.name())].push_back(key);
  known.secretariat = secretariat;
  std::string text = "secretariat-known\n";
  for (const std::string& partner : *known.secretariat) {
    absl::StrAppend(&text, "secretariat ", partner, "\n");
  }
  for (const auto& [partner, partner_keys] : known.by_partner) {
    absl::StrAppend(&text, "partner ", partner, "\n");
    for (const v1::EncryptionKey& key : partner_keys) {
      absl::StrAppend(&text, "key ", absl::Base64Escape(key.SerializeAsString()), "\n");
    }
  }
  // Written whole, then put in place: a reader sees the old or the new.
  const std::string path = Path(directory);
  const std::string pending = absl::StrCat(path, ".new");
  ::unlink(pending.c_str());
  absl::Status written = CreateSyncedFile(pending, text);
  if (written.ok() && std::rename(pending.c_str(), path.c_str()) != 0) {
    written = absl::UnavailableError(absl::StrCat("cannot save ", path));
  }
  if (!written.ok()) return LocalError(written.message());
  return absl::OkStatus();
}

}  // namespace mpower::cli
