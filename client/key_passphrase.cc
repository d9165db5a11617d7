#include "client/key_passphrase.h"

#include <fcntl.h>
#include <sodium.h>
#include <termios.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iterator>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "client/command_status.h"

namespace mpower::cli {
namespace {

// What a new key's passphrase costs to try: libsodium's "moderate" Argon2id
// (3 passes over 256 MiB, most of a second), since these keys guard people,
// not a login prompt.
constexpr unsigned long long kOpsLimit = crypto_pwhash_OPSLIMIT_MODERATE;
constexpr size_t kMemLimit = crypto_pwhash_MEMLIMIT_MODERATE;

// A key file may not ask for more than this: a file made to exhaust the
// machine is refused, not obeyed.
constexpr unsigned long long kMaxOpsLimit = crypto_pwhash_OPSLIMIT_SENSITIVE * 4;
constexpr size_t kMaxMemLimit = crypto_pwhash_MEMLIMIT_SENSITIVE;

void Wipe(std::string& secret) { sodium_memzero(secret.data(), secret.size()); }

// The key the passphrase and salt give, into `key`.
bool DeriveKey(const std::string& passphrase, const std::string& salt, unsigned long long opslimit,
               size_t memlimit, unsigned char key[crypto_secretbox_KEYBYTES]) {
  return crypto_pwhash(key, crypto_secretbox_KEYBYTES, passphrase.data(), passphrase.size(),
                       reinterpret_cast<const unsigned char*>(salt.data()), opslimit, memlimit,
                       crypto_pwhash_ALG_ARGON2ID13) == 0;
}

// One line from the terminal with echo off; an error without a terminal.
absl::StatusOr<std::string> AskTerminal(const std::string& prompt) {
  const int tty = ::open("/dev/tty", O_RDWR | O_CLOEXEC);
  if (tty < 0) {
    return UsageError(
        absl::StrCat(prompt,
                     " is needed, and there is no terminal to ask on: give --passphrase-file FILE "
                     "(or MPOWER_PASSPHRASE_FILE), a file whose first line is the passphrase"));
  }
  const std::string ask = absl::StrCat(prompt, ": ");
  (void)!::write(tty, ask.data(), ask.size());
  termios saved{};
  const bool is_terminal = ::tcgetattr(tty, &saved) == 0;
  if (is_terminal) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(tty, TCSAFLUSH, &quiet);
  }
  std::string line;
  line.reserve(1024);  // no reallocation leaves a copy behind
  char c;
  while (::read(tty, &c, 1) == 1 && c != '\n' && line.size() < 1024) line.push_back(c);
  if (is_terminal) ::tcsetattr(tty, TCSAFLUSH, &saved);
  (void)!::write(tty, "\n", 1);
  ::close(tty);
  return line;
}

}  // namespace

bool WantsPassphrase(const Args& args) {
  const char* file = std::getenv("MPOWER_PASSPHRASE_FILE");
  return args.Has("passphrase") || args.Has("passphrase-file") ||
         (file != nullptr && *file != '\0');
}

absl::StatusOr<std::string> ReadPassphrase(const Args& args, const std::string& what,
                                           bool confirm) {
  std::string file = args.Get("passphrase-file");
  if (file.empty()) {
    const char* from_env = std::getenv("MPOWER_PASSPHRASE_FILE");
    if (from_env != nullptr) file = from_env;
  }
  std::string passphrase;
  if (!file.empty()) {
    std::ifstream in(file);
    if (!in) return LocalError(absl::StrCat("cannot read the passphrase file ", file));
    std::getline(in, passphrase);
    // A file written on Windows ends its line with a carriage return.
    if (!passphrase.empty() && passphrase.back() == '\r') passphrase.pop_back();
  } else {
    absl::StatusOr<std::string> asked = AskTerminal(absl::StrCat("Passphrase for ", what));
    if (!asked.ok()) return asked.status();
    passphrase = *std::move(asked);
    if (confirm) {
      absl::StatusOr<std::string> again = AskTerminal("The same passphrase again");
      if (!again.ok()) return again.status();
      const bool same = *again == passphrase;
      Wipe(*again);
      if (!same) {
        Wipe(passphrase);
        return UsageError("the two passphrases differ; nothing was made");
      }
    }
  }
  if (passphrase.empty()) {
    return UsageError(confirm ? "an empty passphrase protects nothing; give one"
                              : absl::StrCat("no passphrase was given for ", what));
  }
  return passphrase;
}

absl::StatusOr<std::string> LockedSecretLines(const std::string& passphrase,
                                              absl::string_view secrets) {
  std::string salt(crypto_pwhash_SALTBYTES, '\0');
  randombytes_buf(salt.data(), salt.size());
  unsigned char key[crypto_secretbox_KEYBYTES];
  if (!DeriveKey(passphrase, salt, kOpsLimit, kMemLimit, key)) {
    return LocalError("not enough memory to derive a key from the passphrase");
  }
  std::string locked(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + secrets.size(),
                     '\0');
  auto* out = reinterpret_cast<unsigned char*>(locked.data());
  randombytes_buf(out, crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(out + crypto_secretbox_NONCEBYTES,
                        reinterpret_cast<const unsigned char*>(secrets.data()), secrets.size(), out,
                        key);
  sodium_memzero(key, sizeof key);
  return absl::StrCat("passphrase_salt = ", absl::Base64Escape(salt),
                      "\npassphrase_opslimit = ", kOpsLimit, "\npassphrase_memlimit = ", kMemLimit,
                      "\nlocked_secret_keys = ", absl::Base64Escape(locked), "\n");
}

bool LockedSecrets::TakeLine(absl::string_view field, absl::string_view value) {
  // A value that does not parse is left empty or zero, which
  // UnlockSecrets refuses.
  if (field == "passphrase_salt") {
    if (!absl::Base64Unescape(value, &salt)) salt.clear();
  } else if (field == "passphrase_opslimit") {
    if (!absl::SimpleAtoi(value, &opslimit)) opslimit = 0;
  } else if (field == "passphrase_memlimit") {
    if (!absl::SimpleAtoi(value, &memlimit)) memlimit = 0;
  } else if (field == "locked_secret_keys") {
    if (!absl::Base64Unescape(value, &locked)) locked.clear();
  } else {
    return false;
  }
  return true;
}

absl::StatusOr<std::string> UnlockSecrets(const LockedSecrets& locked,
                                          const std::string& passphrase, const std::string& file) {
  if (locked.salt.size() != crypto_pwhash_SALTBYTES ||
      locked.opslimit < crypto_pwhash_OPSLIMIT_MIN || locked.opslimit > kMaxOpsLimit ||
      locked.memlimit < crypto_pwhash_MEMLIMIT_MIN || locked.memlimit > kMaxMemLimit ||
      locked.locked.size() < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) {
    return LocalError(
        absl::StrCat(file, " is not a private key under a passphrase as mpower writes one"));
  }
  unsigned char key[crypto_secretbox_KEYBYTES];
  if (!DeriveKey(passphrase, locked.salt, locked.opslimit, locked.memlimit, key)) {
    return LocalError("not enough memory to derive a key from the passphrase");
  }
  const auto* in = reinterpret_cast<const unsigned char*>(locked.locked.data());
  const size_t boxed = locked.locked.size() - crypto_secretbox_NONCEBYTES;
  std::string secrets(boxed - crypto_secretbox_MACBYTES, '\0');
  const bool opened =
      crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(secrets.data()),
                                 in + crypto_secretbox_NONCEBYTES, boxed, in, key) == 0;
  sodium_memzero(key, sizeof key);
  if (!opened) {
    Wipe(secrets);
    return LocalError(absl::StrCat("the passphrase does not open ", file,
                                   " (or the file was changed); nothing was opened or signed"));
  }
  return secrets;
}

}  // namespace mpower::cli
