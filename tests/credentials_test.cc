// Credentials as the server checks them on every call: a token is answered
// from memory once seen, and that memory never outlives a revocation, an
// expiry or a change made through another CredentialManager on the store.

#include "server/core/credentials.h"

#include "tests/test_support.h"

namespace mpower {
namespace {

using ::testing::HasSubstr;

class CredentialsTest : public testing::StoreTest {
 protected:
  std::string Issue(CredentialManager& manager, const std::string& id,
                    absl::Time expires = absl::InfiniteFuture()) {
    v1::Credential input;
    input.set_principal(id);
    input.set_role(v1::ROLE_ADMIN);
    if (expires != absl::InfiniteFuture()) {
      input.mutable_expire_time()->set_seconds(absl::ToUnixSeconds(expires));
    }
    absl::StatusOr<IssuedCredential> issued = manager.Create(Principal::System(), id, input);
    EXPECT_TRUE(issued.ok()) << issued.status();
    return issued.ok() ? issued->token : "";
  }
};

TEST_P(CredentialsTest, ARevocationByAnotherManagerIsSeenAtOnceDespiteTheCache) {
  CredentialManager server(store_.get());  // what the server authenticates with
  const std::string token = Issue(server, "desk");
  for (int i = 0; i < 3; ++i) {  // the later ones come from the cache
    absl::StatusOr<Principal> principal = server.AuthenticateToken(token);
    ASSERT_TRUE(principal.ok()) << principal.status();
    EXPECT_EQ(principal->role, Principal::Role::kAdmin);
  }
  ASSERT_TRUE(CredentialManager(store_.get()).Revoke(Principal::System(), "credentials/desk").ok());
  absl::StatusOr<Principal> refused = server.AuthenticateToken(token);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(refused.status().message(), HasSubstr("was revoked"));
}

TEST_P(CredentialsTest, ACachedTokenIsRefusedOnceItExpires) {
  CredentialManager server(store_.get());
  const absl::Time expires = absl::Now() + absl::Seconds(2);
  const std::string token = Issue(server, "short", expires);
  ASSERT_TRUE(server.AuthenticateToken(token).ok());
  ASSERT_TRUE(server.AuthenticateToken(token).ok());  // cached now
  absl::SleepFor(expires - absl::Now() + absl::Milliseconds(1100));
  absl::StatusOr<Principal> refused = server.AuthenticateToken(token);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(refused.status().message(), HasSubstr("has expired"));
}

TEST_P(CredentialsTest, AnUnknownTokenIsRefusedEveryTime) {
  CredentialManager server(store_.get());
  Issue(server, "desk");
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(server.AuthenticateToken("mpw_unknown").status().code(),
              absl::StatusCode::kUnauthenticated);
  }
}

MPOWER_ON_EVERY_BACKEND(CredentialsTest);

}  // namespace
}  // namespace mpower
