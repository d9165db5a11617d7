#include "server/core/credentials.h"

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "server/base/status_macros.h"
#include "server/core/audit.h"
#include "server/core/page_token.h"
#include "server/core/reference_checks.h"
#include "server/core/value_checks.h"
#include "server/storage/crypto.h"

namespace mpower {
namespace {

using v1::Credential;

constexpr NamePattern kCredentialName{"", "credentials", "credential"};
constexpr absl::string_view kTokenPrefix = "mpw_";

google::protobuf::Timestamp Now() {
  google::protobuf::Timestamp stamp;
  stamp.set_seconds(absl::ToUnixSeconds(absl::Now()));
  return stamp;
}

absl::StatusOr<Credential> Decode(const CredentialRecord& record) {
  Credential credential;
  if (!credential.ParseFromString(record.data)) {
    return absl::DataLossError(absl::StrCat("stored credential ", record.id, " is unreadable"));
  }
  return credential;
}

void Validate(const Credential& credential, FieldViolations& violations) {
  CheckText(violations, "credential.principal", credential.principal(), 100, Presence::kRequired);
  CheckEnum(violations, "credential.role", credential.role(), v1::Role_descriptor(),
            Presence::kRequired);
  if (credential.role() == v1::ROLE_ADMIN) {
    if (!credential.partner().empty()) {
      violations.Add("credential.partner", "must be empty for ROLE_ADMIN");
    }
  } else if (credential.role() != v1::ROLE_UNSPECIFIED) {
    if (credential.partner().empty()) {
      violations.Add("credential.partner", "required for partner roles; give partners/{partner}");
    }
    CheckNameFormat(violations, "credential.partner", credential.partner(), kPartnerName);
  }
  CheckText(violations, "credential.description", credential.description(), 500,
            Presence::kOptional);
  CheckText(violations, "credential.certificate_subject", credential.certificate_subject(), 200,
            Presence::kOptional);
  if (credential.has_expire_time()) {
    CheckTimestamp(violations, "credential.expire_time", credential.expire_time());
    if (credential.expire_time().seconds() <= absl::ToUnixSeconds(absl::Now())) {
      violations.Add("credential.expire_time", "must be in the future");
    }
  }
}

}  // namespace

absl::StatusOr<IssuedCredential> CredentialManager::Create(const Principal& caller,
                                                           absl::string_view id,
                                                           const Credential& input) {
  MPOWER_RETURN_IF_ERROR(RequireAdmin(caller, "credentials"));
  FieldViolations violations;
  if (!IsValidResourceId(id)) {
    violations.Add("credential_id",
                   "must be 1 to 63 lowercase letters, digits and hyphens, "
                   "starting with a letter");
  }
  Credential credential;
  credential.set_principal(input.principal());
  credential.set_role(input.role());
  credential.set_partner(input.partner());
  credential.set_description(input.description());
  credential.set_certificate_subject(input.certificate_subject());
  if (input.has_expire_time()) *credential.mutable_expire_time() = input.expire_time();
  Validate(credential, violations);
  MPOWER_RETURN_IF_ERROR(violations.ToStatus());
  if (!credential.partner().empty()) {
    MPOWER_ASSIGN_OR_RETURN(std::optional<StoredResource> partner,
                            store_->Get(credential.partner()));
    if (!partner.has_value()) {
      return absl::NotFoundError(
          absl::StrCat("credential.partner: ", credential.partner(), " does not exist"));
    }
  }
  credential.set_name(MakeName("", kCredentialName, id));
  *credential.mutable_create_time() = Now();

  IssuedCredential issued;
  CredentialRecord record;
  record.id = std::string(id);
  record.certificate_subject = credential.certificate_subject();
  if (record.certificate_subject.empty()) {
    issued.token = absl::StrCat(kTokenPrefix, absl::WebSafeBase64Escape(RandomBytes(32)));
    record.secret_hash = Sha256Hex(issued.token);
  }
  credential.SerializeToString(&record.data);
  absl::Status status =
      store_
          ->Write([&](WriteTransaction& txn) -> absl::Status {
            MPOWER_RETURN_IF_ERROR(txn.PutCredential(record, /*must_be_new=*/true));
            return AppendAudit(txn,
                               MakeAuditRecord(caller, "CreateCredential", credential.name(), ""));
          })
          .status();
  if (absl::IsAlreadyExists(status)) {
    return absl::AlreadyExistsError(absl::StrCat("credential_id: ", credential.name(),
                                                 " or its certificate_subject is already in use"));
  }
  MPOWER_RETURN_IF_ERROR(status);
  issued.credential = std::move(credential);
  return issued;
}

absl::StatusOr<Page<Credential>> CredentialManager::List(const Principal& caller, int32_t page_size,
                                                         absl::string_view page_token) {
  MPOWER_RETURN_IF_ERROR(RequireAdmin(caller, "credentials"));
  if (page_size < 0) return absl::InvalidArgumentError("page_size: must not be negative");
  const size_t size = page_size == 0 ? kDefaultPageSize : std::min(page_size, kMaxPageSize);
  const std::string query = Fingerprint("credentials");
  std::string after;
  if (!page_token.empty()) {
    MPOWER_ASSIGN_OR_RETURN(after, DecodePageToken(*store_, page_token, query));
  }
  MPOWER_ASSIGN_OR_RETURN(std::vector<CredentialRecord> records,
                          store_->ListCredentials(after, size + 1));
  Page<Credential> page;
  for (size_t i = 0; i < records.size() && i < size; ++i) {
    MPOWER_ASSIGN_OR_RETURN(Credential credential, Decode(records[i]));
    page.items.push_back(std::move(credential));
  }
  if (records.size() > size) {
    MPOWER_ASSIGN_OR_RETURN(page.next_page_token,
                            EncodePageToken(*store_, query, records[size - 1].id));
  }
  return page;
}

absl::StatusOr<Credential> CredentialManager::Revoke(const Principal& caller,
                                                     absl::string_view name) {
  MPOWER_RETURN_IF_ERROR(RequireAdmin(caller, "credentials"));
  MPOWER_ASSIGN_OR_RETURN(ParsedName parsed, ParseName(name, kCredentialName, "name"));
  MPOWER_ASSIGN_OR_RETURN(std::optional<CredentialRecord> record, store_->GetCredential(parsed.id));
  if (!record.has_value())
    return absl::NotFoundError(absl::StrCat("credential ", name, " not found"));
  MPOWER_ASSIGN_OR_RETURN(Credential credential, Decode(*record));
  if (credential.has_revoke_time()) {
    return absl::FailedPreconditionError(absl::StrCat(name, " is already revoked"));
  }
  *credential.mutable_revoke_time() = Now();
  credential.SerializeToString(&record->data);
  MPOWER_RETURN_IF_ERROR(
      store_
          ->Write([&](WriteTransaction& txn) -> absl::Status {
            MPOWER_RETURN_IF_ERROR(txn.PutCredential(*record, /*must_be_new=*/false));
            return AppendAudit(txn, MakeAuditRecord(caller, "RevokeCredential", name, ""));
          })
          .status());
  return credential;
}

absl::StatusOr<Principal> CredentialManager::PrincipalFor(
    const std::optional<CredentialRecord>& record, absl::Time* expires) const {
  if (!record.has_value()) {
    return absl::UnauthenticatedError(
        "the credential is not recognised; check the token, or ask the secretariat for one");
  }
  MPOWER_ASSIGN_OR_RETURN(Credential credential, Decode(*record));
  if (credential.has_revoke_time()) {
    return absl::UnauthenticatedError(
        absl::StrCat(credential.name(), " was revoked; ask the secretariat for a new credential"));
  }
  if (credential.has_expire_time() &&
      credential.expire_time().seconds() <= absl::ToUnixSeconds(absl::Now())) {
    return absl::UnauthenticatedError(
        absl::StrCat(credential.name(), " has expired; ask the secretariat for a new credential"));
  }
  if (expires != nullptr) {
    *expires = credential.has_expire_time()
                   ? absl::FromUnixSeconds(credential.expire_time().seconds())
                   : absl::InfiniteFuture();
  }
  Principal principal;
  principal.id = absl::StrCat(credential.principal(), " (", credential.name(), ")");
  principal.credential_id = record->id;
  principal.partner = credential.partner();
  switch (credential.role()) {
    case v1::ROLE_ADMIN:
      principal.role = Principal::Role::kAdmin;
      break;
    case v1::ROLE_PARTNER_EDITOR:
      principal.role = Principal::Role::kPartnerEditor;
      break;
    case v1::ROLE_PARTNER_VIEWER:
      principal.role = Principal::Role::kPartnerViewer;
      break;
    default:
      return absl::DataLossError(absl::StrCat(credential.name(), " has no valid role"));
  }
  return principal;
}

absl::StatusOr<Principal> CredentialManager::AuthenticateToken(absl::string_view token) const {
  if (!absl::StartsWith(token, kTokenPrefix) || token.size() > 200) {
    return absl::UnauthenticatedError(
        "not an mpower token; tokens start with mpw_ and come from the secretariat");
  }
  const std::string hash = Sha256Hex(token);
  // Read before the store, so a change that lands during the read leaves
  // what it read already stale.
  const uint64_t generation = store_->CredentialsGeneration();
  {
    absl::MutexLock lock(&cache_mutex_);
    auto cached = cache_.find(hash);
    if (cached != cache_.end() && cached->second.generation == generation &&
        absl::Now() < cached->second.expires) {
      return cached->second.principal;
    }
  }
  MPOWER_ASSIGN_OR_RETURN(std::optional<CredentialRecord> record,
                          store_->FindCredentialBySecretHash(hash));
  absl::Time expires;
  absl::StatusOr<Principal> principal = PrincipalFor(record, &expires);
  if (principal.ok()) {
    absl::MutexLock lock(&cache_mutex_);
    if (cache_.size() >= kMaxCachedTokens) cache_.clear();
    cache_[hash] = {*principal, generation, expires};
  }
  return principal;
}

absl::StatusOr<Principal> CredentialManager::AuthenticateCertificate(
    absl::string_view subject) const {
  MPOWER_ASSIGN_OR_RETURN(std::optional<CredentialRecord> record,
                          store_->FindCredentialBySubject(subject));
  return PrincipalFor(record);
}

absl::Status CredentialManager::CheckStillValid(const Principal& principal) const {
  if (principal.credential_id.empty()) return absl::OkStatus();
  MPOWER_ASSIGN_OR_RETURN(std::optional<CredentialRecord> record,
                          store_->GetCredential(principal.credential_id));
  return PrincipalFor(record).status();
}

absl::StatusOr<bool> CredentialManager::Any() const {
  MPOWER_ASSIGN_OR_RETURN(std::vector<CredentialRecord> records, store_->ListCredentials("", 1));
  return !records.empty();
}

}  // namespace mpower
