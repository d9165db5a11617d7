#include "server/service/change_service.h"

#include "server/base/status_macros.h"
#include "server/service/handler_support.h"

namespace mpower {

ChangeServiceImpl::ChangeServiceImpl(Store* store, const Authenticator* auth, WatchHub* hub)
    : feed_(store), auth_(*auth), hub_(*hub) {
  Serve(this, "ListChanges", &ChangeServiceImpl::ListChanges, RunsOn::kGrpcThread);
  Serve(this, "WatchChanges", &ChangeServiceImpl::WatchChanges);
}

absl::Status ChangeServiceImpl::ListChanges(grpc::CallbackServerContext* context,
                                            const v1::ListChangesRequest* request,
                                            v1::ListChangesResponse* response) {
  MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
  MPOWER_ASSIGN_OR_RETURN(ChangePage page,
                          feed_.List(caller, request->after_revision(), request->page_size(),
                                     request->page_token(), request->filter()));
  for (v1::Change& change : page.changes) *response->add_changes() = std::move(change);
  response->set_next_page_token(page.next_page_token);
  response->set_current_revision(page.current_revision);
  return absl::OkStatus();
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* ChangeServiceImpl::WatchChanges(
    grpc::CallbackServerContext* context, const v1::WatchChangesRequest& request) {
  absl::StatusOr<Principal> caller = auth_.Authenticate(*context);
  const std::string key =
      Authenticator::CallerKey(caller.ok() ? *caller : Principal::Anonymous(), *context);
  return hub_.Watch(request, std::move(caller), key);
}

}  // namespace mpower
