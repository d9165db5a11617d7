#include "client/outbox.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "client/command_status.h"
#include "client/key_directory.h"
#include "common/durable_files.h"
#include "common/public_keys.h"
#include "server/base/status_macros.h"

namespace mpower::cli {
namespace {

namespace fs = std::filesystem;

constexpr absl::string_view kItemSuffix = ".item";

std::string ReadFile(const std::string& path, bool& found) {
  std::ifstream in(path, std::ios::binary);
  found = static_cast<bool>(in);
  return found ? std::string(std::istreambuf_iterator<char>(in), {}) : "";
}

// An item's fields, one "key=base64(value)" line each: any bytes, and
// fields a later CLI adds are skipped by an earlier one.
std::string EncodeItem(const OutboxItem& item) {
  std::string text;
  const auto field = [&text](absl::string_view key, absl::string_view value) {
    absl::StrAppend(&text, key, "=", absl::Base64Escape(value), "\n");
  };
  field("method", item.method);
  field("plural", item.plural);
  field("verb", item.verb);
  field("name", item.name);
  field("needs", item.needs);
  field("request", item.request);
  field("sealing_settled", item.sealing_settled ? "1" : "0");
  field("queued", absl::FormatTime(absl::RFC3339_full, item.queued, absl::UTCTimeZone()));
  field("state", item.state);
  field("code", absl::StrCat(item.code));
  field("message", item.message);
  return text;
}

absl::StatusOr<OutboxItem> DecodeItem(const std::string& id, absl::string_view text) {
  std::map<std::string, std::string> fields;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    const size_t equals = line.find('=');
    std::string value;
    if (equals == absl::string_view::npos ||
        !absl::Base64Unescape(line.substr(equals + 1), &value)) {
      return LocalError(absl::StrCat("outbox item ", id, " is malformed"));
    }
    fields[std::string(line.substr(0, equals))] = std::move(value);
  }
  OutboxItem item;
  item.id = id;
  item.method = fields["method"];
  item.plural = fields["plural"];
  item.verb = fields["verb"];
  item.name = fields["name"];
  item.needs = fields["needs"];
  item.request = fields["request"];
  item.sealing_settled = fields["sealing_settled"] == "1";
  item.state = fields["state"];
  item.message = fields["message"];
  std::string error;
  if (item.method.empty() ||
      !absl::ParseTime(absl::RFC3339_full, fields["queued"], &item.queued, &error) ||
      !absl::SimpleAtoi(fields["code"], &item.code)) {
    return LocalError(absl::StrCat("outbox item ", id, " is malformed"));
  }
  return item;
}

// The sequence number an item's id is.
int64_t SequenceOf(absl::string_view id) {
  int64_t sequence = 0;
  (void)absl::SimpleAtoi(id, &sequence);
  return sequence;
}

// Overwrites the file at `path` with zeros, syncs it and removes it: a key
// gone for good, as far as the file system lets a program make it so.
void Shred(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd >= 0) {
    struct stat info;
    if (::fstat(fd, &info) == 0) {
      (void)WriteAll(fd, std::string(static_cast<size_t>(info.st_size), '\0'));
      (void)::fsync(fd);
    }
    ::close(fd);
  }
  ::unlink(path.c_str());
}

}  // namespace

absl::StatusOr<std::string> OutboxDirectory(const std::string& flag) {
  if (!flag.empty()) return flag;
  if (const char* dir = std::getenv("MPOWER_OUTBOX"); dir != nullptr && *dir != '\0') return dir;
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg != nullptr && *xdg != '\0') {
    return absl::StrCat(xdg, "/mpower/outbox");
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    return absl::StrCat(home, "/.local/share/mpower/outbox");
  }
  return UsageError("no outbox directory: set HOME, or give --outbox or MPOWER_OUTBOX");
}

absl::StatusOr<Outbox> Outbox::Open(const std::string& directory,
                                    const std::string& key_directory) {
  if (!SodiumReady()) return LocalError("libsodium cannot be used on this machine");
  // Only the outbox itself is made owner-only: it may be put anywhere
  // (--outbox /media/usb/outbox), and what holds it is not ours to change.
  std::error_code error;
  fs::create_directories(directory, error);
  if (error || ::chmod(directory.c_str(), 0700) != 0) {
    return LocalError(absl::StrCat("cannot make the outbox ", directory, " owner-only",
                                   error ? absl::StrCat(": ", error.message()) : ""));
  }
  // The outbox's own id, made on first use, names its keys' directory.
  const std::string id_path = (fs::path(directory) / "id").string();
  bool found = false;
  std::string id(absl::StripAsciiWhitespace(ReadFile(id_path, found)));
  if (!found) {
    unsigned char random[12];
    randombytes_buf(random, sizeof random);
    id = absl::BytesToHexString(
        absl::string_view(reinterpret_cast<const char*>(random), sizeof random));
    absl::Status made = CreateSyncedFile(id_path, id);
    if (made.ok()) made = SyncDirectory(directory);
    if (!made.ok()) {
      // Another mpower made it first: use its.
      id = std::string(absl::StripAsciiWhitespace(ReadFile(id_path, found)));
    }
  }
  if (id.size() != 24 || !absl::c_all_of(id, absl::ascii_isxdigit)) {
    return LocalError(absl::StrCat(id_path,
                                   " is not an outbox's id: move it away, and the "
                                   "outbox's items become unreadable"));
  }
  const std::string keys = (fs::path(key_directory) / "outbox" / id).string();
  MPOWER_RETURN_IF_ERROR(MakeOwnerOnlyDirectory(keys));
  return Outbox(directory, keys);
}

std::string Outbox::ItemPath(const std::string& id) const {
  return (fs::path(directory_) / absl::StrCat(id, kItemSuffix)).string();
}

std::string Outbox::KeyPath(const std::string& id) const {
  return (fs::path(key_directory_) / absl::StrCat(id, ".key")).string();
}

// Whether any item key here is locked under a passphrase.
bool AnyLockedKey(const std::string& key_directory) {
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(key_directory, error)) {
    bool found = false;
    if (absl::EndsWith(entry.path().string(), ".key") &&
        absl::StartsWith(ReadFile(entry.path().string(), found), "locked:")) {
      return true;
    }
  }
  return false;
}

// A known text sealed under the passphrase's key, kept beside the salt, so
// that a mistyped passphrase is refused before anything is locked under it.
constexpr absl::string_view kPassphraseCheck = "mpower outbox passphrase";

bool Outbox::UnderPassphrase() const {
  return fs::exists(fs::path(key_directory_) / "passphrase.salt");
}

absl::Status Outbox::UsePassphrase(const std::string& passphrase) {
  // The salt is the outbox's, kept beside its item keys, made on first use.
  const std::string salt_path = (fs::path(key_directory_) / "passphrase.salt").string();
  const std::string check_path = (fs::path(key_directory_) / "passphrase.check").string();
  bool found = false;
  std::string salt = absl::HexStringToBytes(absl::StripAsciiWhitespace(ReadFile(salt_path, found)));
  const bool new_salt = !found;
  if (new_salt && AnyLockedKey(key_directory_)) {
    // Another salt would make every locked item unreadable for good.
    return LocalError(absl::StrCat(salt_path,
                                   " is gone while items are locked under it; put "
                                   "it back (from a copy of the key directory)"));
  }
  if (!found) {
    salt.assign(crypto_pwhash_SALTBYTES, '\0');
    randombytes_buf(salt.data(), salt.size());
    absl::Status made = CreateSyncedFile(salt_path, absl::BytesToHexString(salt));
    if (made.ok()) made = SyncDirectory(key_directory_);
    if (!made.ok()) {
      salt = absl::HexStringToBytes(absl::StripAsciiWhitespace(ReadFile(salt_path, found)));
    }
  }
  if (salt.size() != crypto_pwhash_SALTBYTES) {
    return LocalError(absl::StrCat(salt_path, " is not a salt; move it away"));
  }
  auto key = std::shared_ptr<std::string>(new std::string(crypto_secretbox_KEYBYTES, '\0'),
                                          [](std::string* wiped) {
                                            sodium_memzero(wiped->data(), wiped->size());
                                            delete wiped;
                                          });
  if (crypto_pwhash(reinterpret_cast<unsigned char*>(key->data()), key->size(), passphrase.data(),
                    passphrase.size(), reinterpret_cast<const unsigned char*>(salt.data()),
                    crypto_pwhash_OPSLIMIT_MODERATE, crypto_pwhash_MEMLIMIT_MODERATE,
                    crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return LocalError("not enough memory to derive a key from the outbox's passphrase");
  }
  const auto* key_bytes = reinterpret_cast<const unsigned char*>(key->data());
  // Without a check (an outbox from before checks, or one cut short as it
  // was made), a check is written only where no item is locked yet: else a
  // mistyped passphrase would become the check. Locked items then still
  // refuse a wrong passphrase one by one.
  const bool has_check = fs::exists(check_path);
  if (!new_salt && !has_check && AnyLockedKey(key_directory_)) {
    passphrase_key_ = std::move(key);
    return absl::OkStatus();
  }
  if (new_salt || !has_check) {
    std::string check(
        crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + kPassphraseCheck.size(), '\0');
    auto* out = reinterpret_cast<unsigned char*>(check.data());
    randombytes_buf(out, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(out + crypto_secretbox_NONCEBYTES,
                          reinterpret_cast<const unsigned char*>(kPassphraseCheck.data()),
                          kPassphraseCheck.size(), out, key_bytes);
    absl::Status written = CreateSyncedFile(check_path, absl::BytesToHexString(check));
    if (written.ok()) written = SyncDirectory(key_directory_);
    if (!written.ok()) return LocalError(written.message());
  } else {
    const std::string check =
        absl::HexStringToBytes(absl::StripAsciiWhitespace(ReadFile(check_path, found)));
    std::string opened(kPassphraseCheck.size(), '\0');
    if (check.size() != crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + opened.size() ||
        crypto_secretbox_open_easy(
            reinterpret_cast<unsigned char*>(opened.data()),
            reinterpret_cast<const unsigned char*>(check.data()) + crypto_secretbox_NONCEBYTES,
            check.size() - crypto_secretbox_NONCEBYTES,
            reinterpret_cast<const unsigned char*>(check.data()), key_bytes) != 0 ||
        opened != kPassphraseCheck) {
      return UsageError(
          "--outbox-passphrase-file: not the passphrase this outbox is under; nothing was done");
    }
  }
  passphrase_key_ = std::move(key);
  return absl::OkStatus();
}

// A locked item key: this prefix, then in hex a nonce and crypto_secretbox
// of the key under the passphrase's.
constexpr absl::string_view kLockedKey = "locked:";

absl::StatusOr<std::string> Outbox::ReadKey(const std::string& id) const {
  bool found = false;
  std::string hex = ReadFile(KeyPath(id), found);
  if (found && absl::StartsWith(hex, kLockedKey)) {
    std::string locked =
        absl::HexStringToBytes(absl::StripTrailingAsciiWhitespace(hex).substr(kLockedKey.size()));
    sodium_memzero(hex.data(), hex.size());
    if (passphrase_key_ == nullptr) {
      return UsageError(
          absl::StrCat("outbox item ", id,
                       " is under a passphrase: give it with "
                       "--outbox-passphrase-file (or MPOWER_OUTBOX_PASSPHRASE_FILE)"));
    }
    std::string key(crypto_secretstream_xchacha20poly1305_KEYBYTES, '\0');
    if (locked.size() != crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + key.size() ||
        crypto_secretbox_open_easy(
            reinterpret_cast<unsigned char*>(key.data()),
            reinterpret_cast<const unsigned char*>(locked.data()) + crypto_secretbox_NONCEBYTES,
            locked.size() - crypto_secretbox_NONCEBYTES,
            reinterpret_cast<const unsigned char*>(locked.data()),
            reinterpret_cast<const unsigned char*>(passphrase_key_->data())) != 0) {
      return LocalError(absl::StrCat("outbox item ", id,
                                     " does not open under the passphrase given: is it the one "
                                     "it was queued with?"));
    }
    return key;
  }
  std::string key = absl::HexStringToBytes(absl::StripTrailingAsciiWhitespace(hex));
  sodium_memzero(hex.data(), hex.size());
  if (!found || key.size() != crypto_secretstream_xchacha20poly1305_KEYBYTES) {
    return LocalError(absl::StrCat("outbox item ", id, " has no key in ", key_directory_,
                                   " (the key directory of the machine that queued it): it "
                                   "cannot be opened; mpower outbox drop ",
                                   id, " removes it"));
  }
  return key;
}

absl::Status Outbox::Write(const OutboxItem& item, const std::string& key, bool replace) {
  std::string plaintext = EncodeItem(item);
  crypto_secretstream_xchacha20poly1305_state state;
  std::string sealed(crypto_secretstream_xchacha20poly1305_HEADERBYTES + plaintext.size() +
                         crypto_secretstream_xchacha20poly1305_ABYTES,
                     '\0');
  auto* out = reinterpret_cast<unsigned char*>(sealed.data());
  crypto_secretstream_xchacha20poly1305_init_push(
      &state, out, reinterpret_cast<const unsigned char*>(key.data()));
  crypto_secretstream_xchacha20poly1305_push(
      &state, out + crypto_secretstream_xchacha20poly1305_HEADERBYTES, nullptr,
      reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(),
      reinterpret_cast<const unsigned char*>(item.id.data()), item.id.size(),
      crypto_secretstream_xchacha20poly1305_TAG_FINAL);
  sodium_memzero(plaintext.data(), plaintext.size());
  sodium_memzero(&state, sizeof state);
  const std::string path = ItemPath(item.id);
  const std::string pending = absl::StrCat(path, ".new");
  ::unlink(pending.c_str());  // left by a write that was cut short
  absl::Status created = CreateSyncedFile(pending, sealed);
  if (!created.ok()) return LocalError(created.message());
  const bool named = replace ? ::rename(pending.c_str(), path.c_str()) == 0
                             : ::link(pending.c_str(), path.c_str()) == 0;
  const int error = errno;
  ::unlink(pending.c_str());
  if (!named) {
    return LocalError(absl::StrCat("cannot save ", path, ": ", std::strerror(error)));
  }
  absl::Status synced = SyncDirectory(directory_);
  if (!synced.ok()) return LocalError(synced.message());
  return absl::OkStatus();
}

absl::StatusOr<std::string> Outbox::Add(OutboxItem item) {
  // Once under a passphrase, never an item whose key is not locked too.
  if (passphrase_key_ == nullptr && UnderPassphrase()) {
    return UsageError(
        "this outbox is under a passphrase: give it with --outbox-passphrase-file (or "
        "MPOWER_OUTBOX_PASSPHRASE_FILE); nothing was queued");
  }
  // After every id given out, queued, sent or dropped (DIR/last-id, a
  // high-water mark): ids are never reused, so a receipt names one item.
  MPOWER_ASSIGN_OR_RETURN(const std::vector<std::string> ids, Ids());
  const std::string last_path = (fs::path(directory_) / "last-id").string();
  bool found = false;
  int64_t sequence = SequenceOf(absl::StripAsciiWhitespace(ReadFile(last_path, found))) + 1;
  if (!ids.empty()) sequence = std::max(sequence, SequenceOf(ids.back()) + 1);
  const std::string pending_last = absl::StrCat(last_path, ".new");
  ::unlink(pending_last.c_str());
  absl::Status marked = CreateSyncedFile(pending_last, absl::StrCat(sequence, "\n"));
  if (marked.ok() && ::rename(pending_last.c_str(), last_path.c_str()) != 0) {
    marked = absl::UnavailableError(absl::StrCat("cannot save ", last_path));
  }
  if (!marked.ok()) return LocalError(marked.message());
  item.id = absl::StrFormat("%08d", sequence);
  std::string key(crypto_secretstream_xchacha20poly1305_KEYBYTES, '\0');
  crypto_secretstream_xchacha20poly1305_keygen(reinterpret_cast<unsigned char*>(key.data()));
  // The key is on disk before anything is sealed with it.
  std::string hex;
  if (passphrase_key_ != nullptr) {
    std::string locked(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + key.size(), '\0');
    auto* out = reinterpret_cast<unsigned char*>(locked.data());
    randombytes_buf(out, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(out + crypto_secretbox_NONCEBYTES,
                          reinterpret_cast<const unsigned char*>(key.data()), key.size(), out,
                          reinterpret_cast<const unsigned char*>(passphrase_key_->data()));
    hex = absl::StrCat(kLockedKey, absl::BytesToHexString(locked));
  } else {
    hex = absl::BytesToHexString(key);
  }
  absl::Status key_written = CreateSyncedFile(KeyPath(item.id), hex);
  sodium_memzero(hex.data(), hex.size());
  if (key_written.ok()) key_written = SyncDirectory(key_directory_);
  if (!key_written.ok()) {
    sodium_memzero(key.data(), key.size());
    return LocalError(key_written.message());
  }
  absl::Status written = Write(item, key, /*replace=*/false);
  sodium_memzero(key.data(), key.size());
  if (!written.ok()) {
    Shred(KeyPath(item.id));
    return written;
  }
  return item.id;
}

absl::StatusOr<OutboxItem> Outbox::Item(const std::string& id) const {
  bool found = false;
  const std::string sealed = ReadFile(ItemPath(id), found);
  if (!found) return absl::NotFoundError(absl::StrCat("no item ", id, " in ", directory_));
  MPOWER_ASSIGN_OR_RETURN(std::string key, ReadKey(id));
  const size_t overhead = crypto_secretstream_xchacha20poly1305_HEADERBYTES +
                          crypto_secretstream_xchacha20poly1305_ABYTES;
  std::string plaintext(sealed.size() < overhead ? 0 : sealed.size() - overhead, '\0');
  crypto_secretstream_xchacha20poly1305_state state;
  unsigned char tag = 0;
  const auto* in = reinterpret_cast<const unsigned char*>(sealed.data());
  const bool opened = sealed.size() >= overhead &&
                      crypto_secretstream_xchacha20poly1305_init_pull(
                          &state, in, reinterpret_cast<const unsigned char*>(key.data())) == 0 &&
                      crypto_secretstream_xchacha20poly1305_pull(
                          &state, reinterpret_cast<unsigned char*>(plaintext.data()), nullptr, &tag,
                          in + crypto_secretstream_xchacha20poly1305_HEADERBYTES,
                          sealed.size() - crypto_secretstream_xchacha20poly1305_HEADERBYTES,
                          reinterpret_cast<const unsigned char*>(id.data()), id.size()) == 0 &&
                      tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL;
  sodium_memzero(key.data(), key.size());
  sodium_memzero(&state, sizeof state);
  if (!opened) {
    sodium_memzero(plaintext.data(), plaintext.size());
    return LocalError(absl::StrCat("outbox item ", id,
                                   " does not open under its key: it was changed or cut short; "
                                   "mpower outbox drop ",
                                   id, " removes it"));
  }
  absl::StatusOr<OutboxItem> item = DecodeItem(id, plaintext);
  sodium_memzero(plaintext.data(), plaintext.size());
  return item;
}

absl::StatusOr<std::vector<std::string>> Outbox::Ids() const {
  std::vector<std::string> ids;
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(directory_, error)) {
    const std::string file = entry.path().filename().string();
    if (absl::EndsWith(file, kItemSuffix)) {
      ids.push_back(file.substr(0, file.size() - kItemSuffix.size()));
    }
  }
  if (error) return LocalError(absl::StrCat("cannot read ", directory_, ": ", error.message()));
  std::sort(ids.begin(), ids.end(), [](const std::string& a, const std::string& b) {
    return std::make_pair(SequenceOf(a), a) < std::make_pair(SequenceOf(b), b);
  });
  return ids;
}

absl::StatusOr<std::vector<OutboxItem>> Outbox::Items() const {
  MPOWER_ASSIGN_OR_RETURN(const std::vector<std::string> ids, Ids());
  std::vector<OutboxItem> items;
  for (const std::string& id : ids) {
    MPOWER_ASSIGN_OR_RETURN(OutboxItem item, Item(id));
    items.push_back(std::move(item));
  }
  return items;
}

OutboxLock::~OutboxLock() {
  if (fd_ >= 0) ::close(fd_);  // closing lets go of the flock
}

absl::StatusOr<OutboxLock> Outbox::Lock(bool wait) const {
  const std::string path = (fs::path(directory_) / "lock").string();
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return LocalError(absl::StrCat("cannot open ", path, ": ", std::strerror(errno)));
  if (::flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) != 0) {
    const int error = errno;
    ::close(fd);
    if (error == EWOULDBLOCK) {
      return LocalError(absl::StrCat("another mpower is using the outbox ", directory_,
                                     "; try again when it is done"));
    }
    return LocalError(absl::StrCat("cannot lock ", path, ": ", std::strerror(error)));
  }
  return OutboxLock(fd);
}

absl::Status Outbox::Save(const OutboxItem& item) {
  MPOWER_ASSIGN_OR_RETURN(std::string key, ReadKey(item.id));
  absl::Status written = Write(item, key, /*replace=*/true);
  sodium_memzero(key.data(), key.size());
  return written;
}

absl::Status Outbox::Remove(const std::string& id) {
  ::unlink(ItemPath(id).c_str());
  Shred(KeyPath(id));
  absl::Status synced = SyncDirectory(directory_);
  if (synced.ok()) synced = SyncDirectory(key_directory_);
  if (!synced.ok()) return LocalError(synced.message());
  return absl::OkStatus();
}

absl::Status Outbox::FinishInterrupted() {
  MPOWER_ASSIGN_OR_RETURN(const std::vector<OutboxReceipt> receipts, Receipts());
  MPOWER_ASSIGN_OR_RETURN(const std::vector<std::string> ids, Ids());
  for (const OutboxReceipt& receipt : receipts) {
    if (std::find(ids.begin(), ids.end(), receipt.id) != ids.end()) {
      MPOWER_RETURN_IF_ERROR(Remove(receipt.id));
    }
  }
  std::error_code error;
  // An item whose saving was cut short, before it had its name.
  for (const fs::directory_entry& entry : fs::directory_iterator(directory_, error)) {
    if (absl::EndsWith(entry.path().filename().string(), ".item.new")) {
      ::unlink(entry.path().c_str());
    }
  }
  for (const fs::directory_entry& entry : fs::directory_iterator(key_directory_, error)) {
    const std::string file = entry.path().filename().string();
    if (!absl::EndsWith(file, ".key")) continue;
    const std::string id = file.substr(0, file.size() - 4);
    if (!fs::exists(ItemPath(id))) Shred(entry.path().string());
  }
  if (error) return LocalError(absl::StrCat("cannot read ", key_directory_, ": ", error.message()));
  return absl::OkStatus();
}

absl::Status Outbox::AddReceipt(const OutboxReceipt& receipt) {
  const std::string path = (fs::path(directory_) / "receipts").string();
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
  // A line cut short by a crash as it was appended ends where this starts.
  std::string line;
  struct stat info;
  char last = '\n';
  if (fd >= 0 && ::fstat(fd, &info) == 0 && info.st_size > 0 &&
      ::pread(fd, &last, 1, info.st_size - 1) == 1 && last != '\n') {
    line = "\n";
  }
  absl::StrAppend(&line, absl::FormatTime(absl::RFC3339_full, receipt.sent, absl::UTCTimeZone()),
                  "\t", receipt.id, "\t", receipt.method, "\t", receipt.name, "\t", receipt.etag,
                  "\n");
  const bool written = fd >= 0 && WriteAll(fd, line) && ::fsync(fd) == 0;
  const int error = errno;
  if (fd >= 0) ::close(fd);
  if (!written) {
    return LocalError(
        absl::StrCat("cannot record the receipt in ", path, ": ", std::strerror(error)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<OutboxReceipt>> Outbox::Receipts() const {
  bool found = false;
  const std::string text = ReadFile((fs::path(directory_) / "receipts").string(), found);
  std::vector<OutboxReceipt> receipts;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    const std::vector<std::string> fields = absl::StrSplit(line, '\t');
    OutboxReceipt receipt;
    std::string error;
    // A line cut short by a crash as it was appended is not a receipt.
    if (fields.size() != 5 ||
        !absl::ParseTime(absl::RFC3339_full, fields[0], &receipt.sent, &error)) {
      continue;
    }
    receipt.id = fields[1];
    receipt.method = fields[2];
    receipt.name = fields[3];
    receipt.etag = fields[4];
    receipts.push_back(std::move(receipt));
  }
  return receipts;
}

}  // namespace mpower::cli
