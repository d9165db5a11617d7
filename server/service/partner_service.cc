#include "server/service/partner_service.h"

#include "server/base/status_macros.h"
#include "server/service/handler_support.h"

namespace mpower {

PartnerServiceImpl::PartnerServiceImpl(Store* store, const Authenticator* auth)
    : partners_(store), auth_(*auth) {
  Serve(this, "GetPartner", &PartnerServiceImpl::GetPartner, RunsOn::kGrpcThread);
  Serve(this, "ListPartners", &PartnerServiceImpl::ListPartners, RunsOn::kGrpcThread);
  Serve(this, "CreatePartner", &PartnerServiceImpl::CreatePartner, RunsOn::kWorkerPool);
  Serve(this, "UpdatePartner", &PartnerServiceImpl::UpdatePartner, RunsOn::kWorkerPool);
  Serve(this, "DeletePartner", &PartnerServiceImpl::DeletePartner, RunsOn::kWorkerPool);
}

absl::Status PartnerServiceImpl::GetPartner(grpc::CallbackServerContext* context,
                                            const v1::GetPartnerRequest* request,
                                            v1::GetPartnerResponse* response) {
  MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
  MPOWER_ASSIGN_OR_RETURN(*response->mutable_partner(), partners_.Get(caller, request->name()));
  return absl::OkStatus();
}

absl::Status PartnerServiceImpl::ListPartners(grpc::CallbackServerContext* context,
                                              const v1::ListPartnersRequest* request,
                                              v1::ListPartnersResponse* response) {
  MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
  MPOWER_ASSIGN_OR_RETURN(Page<v1::Partner> page,
                          partners_.List(caller, {.page_size = request->page_size(),
                                                  .page_token = request->page_token(),
                                                  .filter = request->filter()}));
  for (v1::Partner& partner : page.items) *response->add_partners() = std::move(partner);
  response->set_next_page_token(page.next_page_token);
  return absl::OkStatus();
}

absl::Status PartnerServiceImpl::CreatePartner(grpc::CallbackServerContext* context,
                                               const v1::CreatePartnerRequest* request,
                                               v1::CreatePartnerResponse* response) {
  MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
  MPOWER_ASSIGN_OR_RETURN(*response->mutable_partner(),
                          partners_.Create(caller, "", request->partner_id(), request->partner(),
                                           request->request_id(), CreateFingerprint(*request)));
  return absl::OkStatus();
}

absl::Status PartnerServiceImpl::UpdatePartner(grpc::CallbackServerContext* context,
                                               const v1::UpdatePartnerRequest* request,
                                               v1::UpdatePartnerResponse* response) {
  MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
  MPOWER_ASSIGN_OR_RETURN(*response->mutable_partner(),
                          partners_.Update(caller, request->partner(), request->update_mask()));
  return absl::OkStatus();
}

absl::Status PartnerServiceImpl::DeletePartner(grpc::CallbackServerContext* context,
                                               const v1::DeletePartnerRequest* request,
                                               v1::DeletePartnerResponse*) {
  MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
  return partners_.Delete(caller, request->name(), request->etag()).status();
}

}  // namespace mpower
