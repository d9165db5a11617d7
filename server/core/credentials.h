#ifndef MPOWER_SERVER_CORE_CREDENTIALS_H_
#define MPOWER_SERVER_CORE_CREDENTIALS_H_

// Credentials: bearer tokens and client-certificate identities that
// authenticate a principal in a role. A token's secret is shown once, when
// issued, and stored only as its SHA-256 (it carries 256 random bits, so a
// fast hash is enough and lookup by hash leaks no timing).

#include <string>
#include <unordered_map>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "mpower/v1/admin.pb.h"
#include "server/core/access.h"
#include "server/core/page.h"
#include "server/storage/store.h"

namespace mpower {

// A credential just issued, with its token (empty for certificates).
struct IssuedCredential {
  v1::Credential credential;
  std::string token;
};

// Issues, lists, revokes and checks credentials. Managing them requires
// the admin role. Thread-safe.
class CredentialManager {
 public:
  // REQUIRES: `store` outlives this object.
  explicit CredentialManager(Store* store) : store_(store) {}

  absl::StatusOr<IssuedCredential> Create(const Principal& caller, absl::string_view id,
                                          const v1::Credential& input);
  absl::StatusOr<Page<v1::Credential>> List(const Principal& caller, int32_t page_size,
                                            absl::string_view page_token);
  absl::StatusOr<v1::Credential> Revoke(const Principal& caller, absl::string_view name);

  // The principal a bearer token authenticates. UNAUTHENTICATED, saying
  // why, if it is unknown, revoked or expired. A token seen lately is
  // answered from memory, without a read of the store, for as long as no
  // credential has changed since (Store::CredentialsGeneration) and it has
  // not expired: revocation takes effect at once.
  absl::StatusOr<Principal> AuthenticateToken(absl::string_view token) const;
  // The principal a verified client certificate's subject maps to.
  absl::StatusOr<Principal> AuthenticateCertificate(absl::string_view subject) const;

  // OK while the credential that authenticated `principal` (if any) is
  // neither revoked nor expired; UNAUTHENTICATED once it is. For long-lived
  // streams, so that revocation reaches them too.
  absl::Status CheckStillValid(const Principal& principal) const;

  // Whether any credential was ever issued.
  absl::StatusOr<bool> Any() const;

 private:
  // What `record` authenticates; sets `*expires` to when that ends.
  absl::StatusOr<Principal> PrincipalFor(const std::optional<CredentialRecord>& record,
                                         absl::Time* expires = nullptr) const;

  struct CachedPrincipal {
    Principal principal;
    uint64_t generation;  // the store's credentials generation when read
    absl::Time expires;
  };
  // Bounds memory: a flood of distinct tokens only empties the cache.
  static constexpr size_t kMaxCachedTokens = 10'000;

  Store* store_;
  mutable absl::Mutex cache_mutex_;
  // By the token's SHA-256; the token itself is never kept.
  mutable std::unordered_map<std::string, CachedPrincipal> cache_ ABSL_GUARDED_BY(cache_mutex_);
};

}  // namespace mpower

#endif  // MPOWER_SERVER_CORE_CREDENTIALS_H_
