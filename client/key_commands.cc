#include "client/key_commands.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "client/command_status.h"
#include "client/key_directory.h"
#include "client/key_passphrase.h"
#include "client/key_pins.h"
#include "client/render.h"
#include "client/sealing.h"
#include "common/durable_files.h"
#include "common/public_keys.h"
#include "mpower/v1/encryption_key.pb.h"
#include "server/core/names.h"

namespace mpower::cli {
namespace {

namespace fs = std::filesystem;
using v1::EncryptionKey;

// Creates the pending file for new private halves: owner-only, synced,
// and its directory entry synced too, so that a published key never lacks
// its private half on disk.
absl::Status WriteNewSecretFile(const fs::path& path, const std::string& contents) {
  absl::Status created = CreateSyncedFile(path.string(), contents);
  if (!created.ok()) return LocalError(created.message());
  absl::Status synced = SyncDirectory(path.parent_path().string());
  if (!synced.ok()) {
    ::unlink(path.c_str());
    return LocalError(synced.message());
  }
  return absl::OkStatus();
}

// Gives the pending file `from` its final name `to`, never replacing a file
// there (another key's private half), and makes the new name durable. The
// error says where the private half is.
absl::Status NameSecretFile(const fs::path& from, const fs::path& to) {
  if (::link(from.c_str(), to.c_str()) != 0) {
    return LocalError(absl::StrCat("its private half stays in ", from.string(),
                                   ", since it cannot be named ", to.string(), ": ",
                                   std::strerror(errno)));
  }
  ::unlink(from.c_str());
  absl::Status synced = SyncDirectory(to.parent_path().string());
  if (!synced.ok()) {
    return LocalError(absl::StrCat("its private half is in ", to.string(),
                                   ", which may not survive a crash: ", synced.message()));
  }
  return absl::OkStatus();
}

// Whether the server's answer to CreateEncryptionKey with `code` means the
// key was certainly not published, so that its private half may go.
bool CertainlyNotPublished(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::NOT_FOUND:
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::FAILED_PRECONDITION:
      return true;
    default:
      return false;
  }
}

std::string Base64(const unsigned char* bytes, size_t size) {
  return absl::Base64Escape(absl::string_view(reinterpret_cast<const char*>(bytes), size));
}

// A key's name from the command line: `mpower keys fingerprint NAME`.
absl::StatusOr<std::string> NameArgument(const Args& args, absl::string_view usage) {
  if (args.positional.size() != 3) return UsageError(usage);
  return args.positional[2];
}

}  // namespace

absl::Status RunKeysGenerate(RpcClient& rpc, const Args& args, const std::string& output,
                             absl::Duration) {
  if (args.positional.size() > 3) {
    return UsageError("mpower keys generate [ID] --parent partners/P; run mpower keys --help");
  }
  // The partner's id becomes a directory name: nothing but a valid id.
  const std::string parent = args.Get("parent");
  absl::StatusOr<ParsedName> partner = ParseName(parent, kPartnerName, "parent");
  if (!partner.ok()) {
    return UsageError("--parent partners/P is required: the partner publishing the key");
  }
  if (!SodiumReady()) return LocalError("libsodium could not be initialised");
  // Asked first: a key is published only once its private halves can be
  // kept as asked.
  std::string passphrase;
  const bool locked = WantsPassphrase(args);
  if (locked) {
    absl::StatusOr<std::string> read =
        ReadPassphrase(args, absl::StrCat("the new key of ", parent), /*confirm=*/true);
    if (!read.ok()) return read.status();
    passphrase = *std::move(read);
  }
  unsigned char sealing_public[crypto_box_PUBLICKEYBYTES];
  unsigned char sealing_secret[crypto_box_SECRETKEYBYTES];
  unsigned char signing_public[crypto_sign_PUBLICKEYBYTES];
  unsigned char signing_secret[crypto_sign_SECRETKEYBYTES];
  crypto_box_keypair(sealing_public, sealing_secret);
  crypto_sign_keypair(signing_public, signing_secret);
  const std::string sealing_key(reinterpret_cast<char*>(sealing_public), sizeof sealing_public);
  const std::string signing_key(reinterpret_cast<char*>(signing_public), sizeof signing_public);

  v1::CreateEncryptionKeyRequest request;
  request.set_parent(parent);
  if (args.positional.size() == 3) request.set_encryption_key_id(args.positional[2]);
  EncryptionKey& key = *request.mutable_encryption_key();
  key.set_display_name(args.Get("display-name"));
  key.set_sealing_public_key(sealing_key);
  key.set_signing_public_key(signing_key);
  key.set_proof_of_possession(SignProofOfPossession(
      parent, sealing_key, signing_key,
      absl::string_view(reinterpret_cast<char*>(signing_secret), sizeof signing_secret)));
  unsigned char request_id[16];
  randombytes_buf(request_id, sizeof request_id);
  request.set_request_id(absl::BytesToHexString(
      absl::string_view(reinterpret_cast<char*>(request_id), sizeof request_id)));
  const std::string fingerprint = KeyFingerprint(sealing_key, signing_key);

  // The private halves reach the disk before the public ones are
  // published: under a name of their own until the server names the key.
  absl::StatusOr<std::string> key_directory = KeyDirectory(args);
  if (!key_directory.ok()) {
    sodium_memzero(sealing_secret, sizeof sealing_secret);
    sodium_memzero(signing_secret, sizeof signing_secret);
    return key_directory.status();
  }
  const std::string& directory = *key_directory;
  const fs::path partner_directory = PartnerKeyDirectory(directory, *partner);
  if (absl::Status made = MakeOwnerOnlyDirectory(partner_directory); !made.ok()) {
    sodium_memzero(sealing_secret, sizeof sealing_secret);
    sodium_memzero(signing_secret, sizeof signing_secret);
    return made;
  }
  const fs::path pending =
      partner_directory / absl::StrCat("pending-", request.request_id(), ".key");
  std::string contents =
      absl::StrCat("# mpower private key: never share this file; back it up offline.\n",
                   "parent = ", parent, "\nfingerprint = ", fingerprint,
                   "\nsealing_public_key = ", Base64(sealing_public, sizeof sealing_public),
                   "\nsigning_public_key = ", Base64(signing_public, sizeof signing_public), "\n");
  if (passphrase.empty()) {
    absl::StrAppend(&contents,
                    "sealing_secret_key = ", Base64(sealing_secret, sizeof sealing_secret),
                    "\nsigning_secret_key = ", Base64(signing_secret, sizeof signing_secret), "\n");
  } else {
    std::string secrets;
    secrets.reserve(sizeof sealing_secret + sizeof signing_secret);  // one buffer, wiped below
    secrets.append(reinterpret_cast<char*>(sealing_secret), sizeof sealing_secret);
    secrets.append(reinterpret_cast<char*>(signing_secret), sizeof signing_secret);
    absl::StatusOr<std::string> locked = LockedSecretLines(passphrase, secrets);
    sodium_memzero(secrets.data(), secrets.size());
    sodium_memzero(passphrase.data(), passphrase.size());
    if (!locked.ok()) {
      sodium_memzero(sealing_secret, sizeof sealing_secret);
      sodium_memzero(signing_secret, sizeof signing_secret);
      return locked.status();
    }
    absl::StrAppend(&contents, *locked);
  }
  sodium_memzero(sealing_secret, sizeof sealing_secret);
  sodium_memzero(signing_secret, sizeof signing_secret);
  absl::Status saved = WriteNewSecretFile(pending, contents);
  sodium_memzero(contents.data(), contents.size());
  if (!saved.ok()) return saved;

  v1::CreateEncryptionKeyResponse response;
  // Safe to retry: the request id makes a repeat return the first key.
  const grpc::Status status = rpc.Call("/mpower.v1.EncryptionKeyService/CreateEncryptionKey",
                                       request, &response, /*idempotent=*/true);
  if (!status.ok()) {
    if (CertainlyNotPublished(status.error_code())) {
      ::unlink(pending.c_str());
    } else {
      // Published or not, nobody can tell from here: the private half
      // stays, since a published key without it could never be opened.
      std::cerr << "mpower: the key may have been published; its private half stays in "
                << pending.string() << " until you check with mpower keys list --parent " << parent
                << " (fingerprint " << fingerprint << ")\n";
    }
    return RpcError(status);
  }
  const EncryptionKey& published = response.encryption_key();
  // The server's answer names a file here: only a key of this partner, and
  // only the key this machine made.
  absl::StatusOr<ParsedName> named =
      ParseName(published.name(), kEncryptionKeyName, "encryption_key.name");
  if (!named.ok() || named->parent != parent || published.sealing_public_key() != sealing_key ||
      published.signing_public_key() != signing_key || published.fingerprint() != fingerprint) {
    return LocalError(
        absl::StrCat("the server answered with another key than the one made here "
                     "(or under a name not ",
                     parent, "'s); do not use it, tell the secretariat, and keep ",
                     pending.string(), " until this is understood"));
  }
  const fs::path file = KeyFile(directory, *named);
  if (absl::Status named_file = NameSecretFile(pending, file); !named_file.ok()) {
    return LocalError(absl::StrCat(published.name(), " is published, but ", named_file.message()));
  }
  // A key made here is one this machine trusts without asking; the
  // partner's other keys, seen here for the first time, are pinned as
  // first seen (or, if seen before, must still be those).
  absl::StatusOr<KeyPins> pins = KeyPins::Load(directory);
  absl::StatusOr<std::vector<EncryptionKey>> partner_keys = CheckedActiveKeys(rpc, parent);
  std::string pinned;
  const bool first_sight = pins.ok() && !pins->Knows(parent);
  if (!pins.ok() || !partner_keys.ok() ||
      !pins->Check(parent, first_sight ? *partner_keys : std::vector<EncryptionKey>{published},
                   /*trust_new_keys=*/!first_sight, pinned)
           .ok()) {
    std::cerr << "mpower: " << published.name() << " could not be pinned here; the next seal "
              << "asks to accept it (--trust-new-keys)\n";
  }
  if (output == "json") {
    std::cout << ToJson(published);
  } else {
    std::cout << published.name() << " published\nfingerprint: " << fingerprint
              << "\nprivate key: " << file.string()
              << (locked ? " (owner-only, under your passphrase" : " (owner-only")
              << "; back it up offline: without it nothing sealed to this key opens)\n";
  }
  return absl::OkStatus();
}

absl::Status RunKeysFingerprint(RpcClient& rpc, const Args& args, const std::string& output,
                                absl::Duration) {
  absl::StatusOr<std::string> name =
      NameArgument(args, "mpower keys fingerprint NAME; run mpower keys --help");
  if (!name.ok()) return name.status();
  v1::GetEncryptionKeyRequest request;
  request.set_name(*name);
  v1::GetEncryptionKeyResponse response;
  const grpc::Status status = rpc.Call("/mpower.v1.EncryptionKeyService/GetEncryptionKey", request,
                                       &response, /*idempotent=*/true);
  if (!status.ok()) return RpcError(status);
  const EncryptionKey& key = response.encryption_key();
  absl::StatusOr<ParsedName> named = ParseName(key.name(), kEncryptionKeyName, "name");
  if (!named.ok() || key.name() != *name) {
    return LocalError(absl::StrCat("the server answered for ", *name, " with another key"));
  }
  const std::string& partner = named->parent;
  if (!VerifyProofOfPossession(partner, key.sealing_public_key(), key.signing_public_key(),
                               key.proof_of_possession())) {
    return LocalError(absl::StrCat(key.name(), ": its proof of possession does not verify for ",
                                   partner, "; do not seal to it, and tell the secretariat"));
  }
  const std::string fingerprint =
      KeyFingerprint(key.sealing_public_key(), key.signing_public_key());
  if (fingerprint != key.fingerprint()) {
    return LocalError(absl::StrCat(key.name(), ": the server says its fingerprint is ",
                                   key.fingerprint(), " but its keys give ", fingerprint,
                                   "; do not seal to it, and tell the secretariat"));
  }
  absl::StatusOr<std::string> directory = KeyDirectory(args);
  const fs::path file = directory.ok() ? KeyFile(*directory, *named) : fs::path();
  const bool held = directory.ok() && fs::exists(file);
  if (output == "json") {
    std::cout << ToJson(key);
    return absl::OkStatus();
  }
  std::cout << key.name() << "\nfingerprint: " << fingerprint
            << "\nproof of possession: verified for " << partner
            << "\nprivate key: " << (held ? file.string() : "not held on this machine") << "\n";
  return absl::OkStatus();
}

std::string KeysGenerateHelp() {
  return "mpower keys generate [ID] --parent partners/P [--display-name TEXT] [--key-dir DIR]\n"
         "                     [--passphrase | --passphrase-file FILE]\n\n"
         "Makes a key pair for sealing (X25519) and signing (Ed25519) with libsodium, saves\n"
         "the private halves owner-only in the key directory (--key-dir, MPOWER_KEY_DIR, or\n"
         "~/.config/mpower/keys), then publishes the public halves for the partner with a\n"
         "signature proving this machine holds them. The private halves never leave\n"
         "this machine: back the file up offline, since nothing sealed to the key opens\n"
         "without it. Read the fingerprint it prints to the people who will seal to you.\n"
         "With --passphrase (asked twice on the terminal) or --passphrase-file FILE (its\n"
         "first line; MPOWER_PASSPHRASE_FILE too), the private halves are kept locked under\n"
         "it (Argon2id, then XSalsa20-Poly1305), and every seal or open asks for it.\n\n"
         "Example:\n"
         "  mpower keys generate --parent partners/ilo --display-name \"Geneva laptop\"\n";
}

std::string KeysFingerprintHelp() {
  return "mpower keys fingerprint NAME [--key-dir DIR]\n\n"
         "Reads a published key, checks its proof of possession and works out its\n"
         "fingerprint here, rather than trusting the server's; says whether this machine\n"
         "holds its private half. Compare the fingerprint aloud with the key's owner.\n\n"
         "Example:\n"
         "  mpower keys fingerprint partners/ilo/encryptionKeys/geneva-desk\n";
}

}  // namespace mpower::cli
