#ifndef MPOWER_SERVER_SERVICE_PARTNER_SERVICE_H_
#define MPOWER_SERVER_SERVICE_PARTNER_SERVICE_H_

#include "mpower/v1/partner.grpc.pb.h"
#include "server/service/authenticator.h"
#include "server/core/partner_rules.h"

namespace mpower {

// The gRPC face of PartnerService: unpacks requests, calls core, packs
// responses. Thread-safe.
class PartnerServiceImpl final : public v1::PartnerService::CallbackService {
 public:
  PartnerServiceImpl(Store* store, const Authenticator* auth) : partners_(store), auth_(*auth) {}

  grpc::ServerUnaryReactor* GetPartner(grpc::CallbackServerContext* context,
                                       const v1::GetPartnerRequest* request,
                                       v1::GetPartnerResponse* response) override;
  grpc::ServerUnaryReactor* ListPartners(grpc::CallbackServerContext* context,
                                         const v1::ListPartnersRequest* request,
                                         v1::ListPartnersResponse* response) override;
  grpc::ServerUnaryReactor* CreatePartner(grpc::CallbackServerContext* context,
                                          const v1::CreatePartnerRequest* request,
                                          v1::CreatePartnerResponse* response) override;
  grpc::ServerUnaryReactor* UpdatePartner(grpc::CallbackServerContext* context,
                                          const v1::UpdatePartnerRequest* request,
                                          v1::UpdatePartnerResponse* response) override;
  grpc::ServerUnaryReactor* DeletePartner(grpc::CallbackServerContext* context,
                                          const v1::DeletePartnerRequest* request,
                                          v1::DeletePartnerResponse* response) override;

 private:
  const Authenticator& auth_;
  ResourceManager<v1::Partner> partners_;
};

}  // namespace mpower

#endif  // MPOWER_SERVER_SERVICE_PARTNER_SERVICE_H_
