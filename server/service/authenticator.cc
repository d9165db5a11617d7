#include "server/service/authenticator.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "server/core/error_details.h"
#include "server/service/call_observer.h"
#include "server/service/caller_address.h"

namespace mpower {

absl::StatusOr<Principal> Authenticator::Authenticate(
    const grpc::CallbackServerContext& context) const {
  absl::StatusOr<Principal> principal = Identify(context);
  if (observer_ != nullptr && principal.ok()) observer_->NotePrincipal(&context, principal->id);
  if (limiter_ == nullptr) return principal;
  const std::string key = CallerKey(principal.ok() ? *principal : Principal::Anonymous(), context);
  if (std::optional<absl::Duration> wait = limiter_->Admit(key, absl::Now())) {
    const int64_t retry_ms =
        std::max<int64_t>(1, absl::ToInt64Milliseconds(absl::Ceil(*wait, absl::Milliseconds(1))));
    return WithReason(
        WithRetryDelay(absl::ResourceExhaustedError(absl::StrCat(
                           "rate limit: at most ", limiter_->per_second(),
                           " calls a second per caller; retry after ", retry_ms, "ms")),
                       absl::Milliseconds(retry_ms)),
        "RATE_LIMITED");
  }
  return principal;
}

std::string Authenticator::CallerKey(const Principal& principal,
                                     const grpc::CallbackServerContext& context) {
  if (!principal.credential_id.empty()) return absl::StrCat("credential:", principal.credential_id);
  // "ipv4:127.0.0.1:5555" without the port: one address, one bucket; an
  // HTTP client's own address, not the gateway's.
  return absl::StrCat("peer:", CallerAddress(context, /*with_port=*/false));
}

absl::StatusOr<Principal> Authenticator::Identify(
    const grpc::CallbackServerContext& context) const {
  const auto& metadata = context.client_metadata();
  if (auto found = metadata.find("authorization"); found != metadata.end()) {
    const absl::string_view value(found->second.data(), found->second.size());
    constexpr absl::string_view kBearer = "Bearer ";
    if (!absl::StartsWith(value, kBearer)) {
      return absl::UnauthenticatedError("the authorization metadata must be `Bearer <token>`");
    }
    return credentials_->AuthenticateToken(value.substr(kBearer.size()));
  }
  // With mutual TLS, gRPC has verified the certificate against --client-ca.
  if (auto auth = context.auth_context(); auth != nullptr && auth->IsPeerAuthenticated()) {
    for (const grpc::string_ref& name : auth->FindPropertyValues("x509_common_name")) {
      return credentials_->AuthenticateCertificate(absl::string_view(name.data(), name.size()));
    }
  }
  return public_read_ ? Principal::PublicReader() : Principal::Anonymous();
}

}  // namespace mpower
