#include "client/key_pins.h"

#include <sodium.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "client/command_status.h"
#include "common/durable_files.h"

namespace mpower::cli {

namespace fs = std::filesystem;

absl::StatusOr<KeyPins> KeyPins::Load(const std::string& key_directory) {
  KeyPins pins((fs::path(key_directory) / "pins").string());
  std::error_code error;
  if (!fs::exists(pins.path_, error)) return pins;
  std::ifstream in(pins.path_);
  const std::string text(std::istreambuf_iterator<char>(in), {});
  if (!in && !in.eof()) return LocalError(absl::StrCat("cannot read ", pins.path_));
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    if (line[0] == '#') continue;
    const std::pair<absl::string_view, absl::string_view> pin =
        absl::StrSplit(line, absl::MaxSplits(" = ", 1));
    if (pin.second.empty()) {
      return LocalError(absl::StrCat(pins.path_, " is malformed: each line is NAME = FINGERPRINT"));
    }
    pins.fingerprints_[std::string(pin.first)] = std::string(pin.second);
  }
  return pins;
}

bool KeyPins::Knows(const std::string& partner) const {
  const std::string prefix = absl::StrCat(partner, "/encryptionKeys/");
  const auto after = fingerprints_.lower_bound(prefix);
  return after != fingerprints_.end() && absl::StartsWith(after->first, prefix);
}

absl::Status KeyPins::Check(const std::string& partner, const std::vector<v1::EncryptionKey>& keys,
                            bool trust_new_keys, std::string& note, bool known_partner) {
  const bool partner_seen = known_partner || Knows(partner);
  std::string refused;
  bool changed = false;
  for (const v1::EncryptionKey& key : keys) {
    const auto pinned = fingerprints_.find(key.name());
    if (pinned != fingerprints_.end() && pinned->second == key.fingerprint()) continue;
    if (!partner_seen || trust_new_keys) {
      fingerprints_[key.name()] = key.fingerprint();
      absl::StrAppend(&note, "pinned ", key.name(), " (fingerprint ", key.fingerprint(), ")\n");
      changed = true;
      continue;
    }
    absl::StrAppend(&refused, "\n  ", key.name(), ": fingerprint ", key.fingerprint(),
                    pinned == fingerprints_.end()
                        ? " (a key of " + partner + " not seen here before)"
                        : " (pinned here as " + pinned->second + ")");
  }
  if (changed) {
    if (absl::Status saved = Save(); !saved.ok()) return saved;
  }
  if (refused.empty()) return absl::OkStatus();
  return LocalError(absl::StrCat(
      "keys of ", partner, " differ from those this machine pinned:", refused,
      "\nthe server may have swapped them. Compare each fingerprint aloud with ", partner,
      " (mpower keys fingerprint NAME), and only then run again with --trust-new-keys"));
}

namespace {

// How a secretariat partner is pinned: a line of its own, apart from keys;
// and the line that says none was, when the server named none.
constexpr absl::string_view kSecretariatPin = "secretariat:";
constexpr absl::string_view kNoSecretariat = "secretariat:(none)";

}  // namespace

bool KeyPins::Pinned(const std::string& key_name, const std::string& fingerprint) const {
  const auto pinned = fingerprints_.find(key_name);
  return pinned != fingerprints_.end() && pinned->second == fingerprint;
}

bool KeyPins::SecretariatSeen() const {
  const auto first = fingerprints_.lower_bound(std::string(kSecretariatPin));
  return first != fingerprints_.end() && absl::StartsWith(first->first, kSecretariatPin);
}

bool KeyPins::IsPinnedSecretariat(const std::string& partner) const {
  return fingerprints_.contains(absl::StrCat(kSecretariatPin, partner));
}

absl::Status KeyPins::CheckSecretariat(const std::vector<std::string>& partners,
                                       bool trust_new_keys, std::string& note) {
  std::set<std::string> now;
  for (const std::string& partner : partners) now.insert(absl::StrCat(kSecretariatPin, partner));
  if (now.empty()) now.insert(std::string(kNoSecretariat));
  std::set<std::string> pinned;
  for (auto it = fingerprints_.lower_bound(std::string(kSecretariatPin));
       it != fingerprints_.end() && absl::StartsWith(it->first, kSecretariatPin); ++it) {
    pinned.insert(it->first);
  }
  if (now == pinned) return absl::OkStatus();
  if (!pinned.empty() && !trust_new_keys) {
    const auto names = [](const std::set<std::string>& pins) {
      std::string joined;
      for (const std::string& pin : pins) {
        absl::StrAppend(&joined, joined.empty() ? "" : ", ", pin.substr(kSecretariatPin.size()));
      }
      return joined;
    };
    return LocalError(absl::StrCat(
        "the server now calls ", names(now),
        " the secretariat, whose keys every alert is "
        "sealed to as recovery keys; this machine pinned ",
        names(pinned),
        ". The server may be steering details to a partner of its choosing, or dropping "
        "recovery: nothing was sent. Ask the secretariat, and only then run again with "
        "--trust-new-keys"));
  }
  for (const std::string& pin : pinned) fingerprints_.erase(pin);
  for (const std::string& pin : now) fingerprints_[pin] = "TYPE_SECRETARIAT";
  absl::StrAppend(&note, "pinned ", partners.empty() ? "that there is no" : "the", " secretariat",
                  partners.empty() ? "" : ": ");
  for (size_t i = 0; i < partners.size(); ++i) {
    absl::StrAppend(&note, i == 0 ? "" : ", ", partners[i]);
  }
  absl::StrAppend(&note, "\n");
  return Save();
}

absl::Status KeyPins::Save() const {
  std::string text =
      "# mpower: partners' keys as this machine first saw them (mpower --trust-new-keys adds)\n";
  for (const auto& [name, fingerprint] : fingerprints_) {
    absl::StrAppend(&text, name, " = ", fingerprint, "\n");
  }
  const fs::path path(path_);
  std::error_code error;
  fs::create_directories(path.parent_path(), error);
  ::chmod(path.parent_path().c_str(), 0700);
  unsigned char suffix[8];
  randombytes_buf(suffix, sizeof suffix);
  const std::string pending = absl::StrCat(path_, ".pending-", suffix[0], suffix[1], suffix[2],
                                           suffix[3], suffix[4], suffix[5]);
  if (absl::Status created = CreateSyncedFile(pending, text); !created.ok()) {
    return LocalError(created.message());
  }
  if (std::rename(pending.c_str(), path_.c_str()) != 0) {
    std::remove(pending.c_str());
    return LocalError(absl::StrCat("cannot write ", path_));
  }
  if (absl::Status synced = SyncDirectory(path.parent_path().string()); !synced.ok()) {
    return LocalError(synced.message());
  }
  return absl::OkStatus();
}

}  // namespace mpower::cli
