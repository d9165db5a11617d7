#include "server/service/partner_service.h"

#include "server/core/status_macros.h"
#include "server/service/handler_support.h"

namespace mpower {

grpc::ServerUnaryReactor* PartnerServiceImpl::GetPartner(grpc::CallbackServerContext* context,
                                                         const v1::GetPartnerRequest* request,
                                                         v1::GetPartnerResponse* response) {
  return Respond(context, "GetPartner", [&]() -> absl::Status {
    MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
    MPOWER_ASSIGN_OR_RETURN(*response->mutable_partner(), partners_.Get(caller, request->name()));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* PartnerServiceImpl::ListPartners(grpc::CallbackServerContext* context,
                                                           const v1::ListPartnersRequest* request,
                                                           v1::ListPartnersResponse* response) {
  return Respond(context, "ListPartners", [&]() -> absl::Status {
    MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
    MPOWER_ASSIGN_OR_RETURN(Page<v1::Partner> page,
                            partners_.List(caller, {.page_size = request->page_size(),
                                            .page_token = request->page_token(),
                                            .filter = request->filter()}));
    for (v1::Partner& partner : page.items) *response->add_partners() = std::move(partner);
    response->set_next_page_token(page.next_page_token);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* PartnerServiceImpl::CreatePartner(
    grpc::CallbackServerContext* context, const v1::CreatePartnerRequest* request,
    v1::CreatePartnerResponse* response) {
  return RespondOffThread(context, "CreatePartner", [=, this]() -> absl::Status {
    MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
    MPOWER_ASSIGN_OR_RETURN(*response->mutable_partner(),
                            partners_.Create(caller, "", request->partner_id(), request->partner(),
                                             request->request_id(), CreateFingerprint(*request)));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* PartnerServiceImpl::UpdatePartner(
    grpc::CallbackServerContext* context, const v1::UpdatePartnerRequest* request,
    v1::UpdatePartnerResponse* response) {
  return RespondOffThread(context, "UpdatePartner", [=, this]() -> absl::Status {
    MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
    MPOWER_ASSIGN_OR_RETURN(*response->mutable_partner(),
                            partners_.Update(caller, request->partner(), request->update_mask()));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* PartnerServiceImpl::DeletePartner(
    grpc::CallbackServerContext* context, const v1::DeletePartnerRequest* request,
    v1::DeletePartnerResponse*) {
  return RespondOffThread(context, "DeletePartner", [=, this]() -> absl::Status {
    MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
    return partners_.Delete(caller, request->name(), request->etag()).status();
  });
}

}  // namespace mpower
