#include "server/service/authenticator.h"

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"

namespace mpower {

absl::StatusOr<Principal> Authenticator::Authenticate(
    const grpc::CallbackServerContext& context) const {
  const auto& metadata = context.client_metadata();
  if (auto found = metadata.find("authorization"); found != metadata.end()) {
    const absl::string_view value(found->second.data(), found->second.size());
    constexpr absl::string_view kBearer = "Bearer ";
    if (!absl::StartsWith(value, kBearer)) {
      return absl::UnauthenticatedError(
          "the authorization metadata must be `Bearer <token>`");
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
