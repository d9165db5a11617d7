#include "server/daemon/admin_commands.h"

#include <cstdio>
#include <functional>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/base/log.h"
#include "server/core/audit.h"
#include "server/core/credentials.h"
#include "server/storage/sqlite/backup.h"

namespace mpower {
namespace {

int Fail(absl::string_view what, const absl::Status& status) {
  std::fprintf(stderr, "mpowerd: %s: %s\n", std::string(what).c_str(),
               std::string(status.message()).c_str());
  return 1;
}

// `mpowerd credentials create`: issues a credential on the database
// directly, for operators bootstrapping or recovering access.
int CreateCredential(const DataPaths& paths, const CredentialRequest& request) {
  static const std::map<std::string, v1::Role> kRoles = {
      {"admin", v1::ROLE_ADMIN},
      {"partner-editor", v1::ROLE_PARTNER_EDITOR},
      {"partner-viewer", v1::ROLE_PARTNER_VIEWER}};
  auto role = kRoles.find(request.role);
  if (role == kRoles.end()) {
    std::fprintf(stderr, "mpowerd: --role must be admin, partner-editor or partner-viewer\n");
    return 2;
  }
  absl::StatusOr<OpenedStore> opened = OpenStore(paths);
  if (!opened.ok()) return Fail("credentials create", opened.status());
  v1::Credential credential;
  credential.set_principal(request.principal);
  credential.set_role(role->second);
  credential.set_partner(request.partner);
  credential.set_description("Issued with mpowerd credentials create.");
  absl::StatusOr<IssuedCredential> issued =
      CredentialManager(opened->store.get()).Create(Principal::System(), request.id, credential);
  if (!issued.ok()) return Fail("credentials create", issued.status());
  std::printf("%s\n", issued->token.c_str());
  return 0;
}

// `mpowerd audit verify`: checks the audit trail's hash chain.
int VerifyAudit(const DataPaths& paths) {
  absl::StatusOr<OpenedStore> opened = OpenStore(paths);
  if (!opened.ok()) return Fail("audit verify", opened.status());
  if (absl::Status status = VerifyAuditChain(*opened->store); !status.ok()) {
    return Fail("audit trail broken", status);
  }
  std::printf("audit trail intact\n");
  return 0;
}

// `mpowerd keys rotate`: makes a new key current, then re-seals everything
// sealed with older keys. On SQLite with mpowerd stopped (the data
// directory's lock says so); on PostgreSQL while replicas serve, since they
// follow the key directory (keyring.h).
int RotateKeys(const DataPaths& paths) {
  if (!paths.postgres() && !LockDataDir(paths.data_dir)) return 1;
  absl::StatusOr<std::string> key = Keyring::AddKey(paths.key_dir);
  if (!key.ok()) return Fail("keys rotate", key.status());
  std::printf("new current key %s\n", key->c_str());
  absl::StatusOr<OpenedStore> opened = OpenStore(paths);
  if (!opened.ok()) return Fail("keys rotate", opened.status());
  absl::StatusOr<int64_t> count = opened->store->ReencryptProtectedData();
  if (!count.ok()) return Fail("keys rotate", count.status());
  std::printf(
      "re-encrypted the protected details of %lld resources; keep the old key files "
      "until your backups no longer need them\n",
      static_cast<long long>(*count));
  return 0;
}

// `mpowerd backup FILE`: a consistent snapshot while mpowerd serves.
int Backup(const DataPaths& paths, const std::string& file) {
  if (absl::Status status = BackupDatabase(paths.database, file); !status.ok()) {
    return Fail("backup failed", status);
  }
  std::printf(
      "backed up %s to %s; the keys in the key directory are not in it: back them "
      "up apart, or the backup's protected details cannot be read\n",
      paths.database.c_str(), file.c_str());
  return 0;
}

// `mpowerd restore FILE`: with mpowerd stopped, into a directory without a
// database.
int Restore(const DataPaths& paths, const std::string& file) {
  if (!LockDataDir(paths.data_dir)) return 1;
  if (absl::Status status = RestoreDatabase(file, paths.database); !status.ok()) {
    return Fail("restore failed", status);
  }
  std::printf(
      "restored %s from %s; start mpowerd with the keys the backup was made "
      "with\n",
      paths.database.c_str(), file.c_str());
  return 0;
}

}  // namespace

int RunAdminCommand(const std::vector<std::string>& command, const DataPaths& paths,
                    const CredentialRequest& credential) {
  using Args = std::vector<std::string>;
  if (command == Args{"credentials", "create"}) return CreateCredential(paths, credential);
  if (command == Args{"audit", "verify"}) return VerifyAudit(paths);
  if (command == Args{"keys", "rotate"}) return RotateKeys(paths);
  if (!command.empty() && (command[0] == "backup" || command[0] == "restore")) {
    if (paths.postgres()) {
      std::fprintf(stderr,
                   "mpowerd: %s is for the SQLite database; back up and restore PostgreSQL "
                   "with pg_dump and pg_restore (README, \"Several replicas on PostgreSQL\")\n",
                   command[0].c_str());
      return 2;
    }
    if (command.size() != 2) {
      std::fprintf(stderr, "mpowerd: usage: mpowerd %s FILE [--data-dir=DIR]\n",
                   command[0].c_str());
      return 2;
    }
    return command[0] == "backup" ? Backup(paths, command[1]) : Restore(paths, command[1]);
  }
  std::fprintf(stderr, "mpowerd: unknown command \"%s\"; run mpowerd --help\n",
               absl::StrJoin(command, " ").c_str());
  return 2;
}

}  // namespace mpower
