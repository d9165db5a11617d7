#ifndef MPOWER_SERVER_SERVICE_PARTNER_SERVICE_H_
#define MPOWER_SERVER_SERVICE_PARTNER_SERVICE_H_

#include "mpower/v1/partner.grpc.pb.h"
#include "server/core/partner_rules.h"
#include "server/service/authenticator.h"
#include "server/service/parsing_service.h"

namespace mpower {

// The gRPC face of PartnerService: unpacks requests, calls core, packs
// responses. Thread-safe.
class PartnerServiceImpl final : public ParsingService<v1::PartnerService> {
 public:
  PartnerServiceImpl(Store* store, const Authenticator* auth);

  absl::Status GetPartner(grpc::CallbackServerContext* context,
                          const v1::GetPartnerRequest* request, v1::GetPartnerResponse* response);
  absl::Status ListPartners(grpc::CallbackServerContext* context,
                            const v1::ListPartnersRequest* request,
                            v1::ListPartnersResponse* response);
  absl::Status CreatePartner(grpc::CallbackServerContext* context,
                             const v1::CreatePartnerRequest* request,
                             v1::CreatePartnerResponse* response);
  absl::Status UpdatePartner(grpc::CallbackServerContext* context,
                             const v1::UpdatePartnerRequest* request,
                             v1::UpdatePartnerResponse* response);
  absl::Status DeletePartner(grpc::CallbackServerContext* context,
                             const v1::DeletePartnerRequest* request,
                             v1::DeletePartnerResponse* response);

 private:
  const Authenticator& auth_;
  ResourceManager<v1::Partner> partners_;
};

}  // namespace mpower

#endif  // MPOWER_SERVER_SERVICE_PARTNER_SERVICE_H_
