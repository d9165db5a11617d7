#include "server/service/report_service.h"

#include <algorithm>
#include <utility>

#include "absl/time/clock.h"
#include "server/core/status_macros.h"
#include "server/service/handler_support.h"

namespace mpower {
namespace {

// Chunks small enough to stay far below any message-size limit.
constexpr size_t kExportChunkBytes = 64 * 1024;

// Sends a finished document in chunks, one write at a time, then ends the
// call; or ends it at once with an error.
class DocumentWriter final : public grpc::ServerWriteReactor<v1::ExportActivitiesResponse> {
 public:
  DocumentWriter(absl::StatusOr<ExportedDocument> document, absl::string_view method) {
    if (!document.ok()) {
      Finish(ToGrpcStatus(document.status(), method));
      return;
    }
    document_ = *std::move(document);
    WriteNext();
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "the client went away"));
      return;
    }
    WriteNext();
  }

  void OnDone() override { delete this; }

 private:
  void WriteNext() {
    if (sent_ > 0 && sent_ >= document_.data.size()) {
      Finish(grpc::Status::OK);
      return;
    }
    chunk_.Clear();
    if (sent_ == 0) chunk_.set_content_type(document_.content_type);
    const size_t size = std::min(kExportChunkBytes, document_.data.size() - sent_);
    chunk_.set_data(document_.data.substr(sent_, size));
    // An empty document still gets one chunk, with its content type.
    sent_ += std::max<size_t>(size, 1);
    StartWrite(&chunk_);
  }

  ExportedDocument document_;
  v1::ExportActivitiesResponse chunk_;
  size_t sent_ = 0;
};

}  // namespace

grpc::ServerUnaryReactor* ReportServiceImpl::SummarizeCommitments(
    grpc::CallbackServerContext* context, const v1::SummarizeCommitmentsRequest* request,
    v1::SummarizeCommitmentsResponse* response) {
  return RespondOffThread(context, "SummarizeCommitments", [=, this]() -> absl::Status {
    MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
    MPOWER_ASSIGN_OR_RETURN(*response, reports_.SummarizeCommitments(caller, *request));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ReportServiceImpl::SummarizeAlerts(
    grpc::CallbackServerContext* context, const v1::SummarizeAlertsRequest* request,
    v1::SummarizeAlertsResponse* response) {
  return RespondOffThread(context, "SummarizeAlerts", [=, this]() -> absl::Status {
    MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
    MPOWER_ASSIGN_OR_RETURN(*response, reports_.SummarizeAlerts(caller, *request));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ReportServiceImpl::GetCountryBrief(
    grpc::CallbackServerContext* context, const v1::GetCountryBriefRequest* request,
    v1::GetCountryBriefResponse* response) {
  return RespondOffThread(context, "GetCountryBrief", [=, this]() -> absl::Status {
    MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
    MPOWER_ASSIGN_OR_RETURN(*response, reports_.GetCountryBrief(caller, *request));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ReportServiceImpl::ReconcileCommitments(
    grpc::CallbackServerContext* context, const v1::ReconcileCommitmentsRequest* request,
    v1::ReconcileCommitmentsResponse* response) {
  return RespondOffThread(context, "ReconcileCommitments", [=, this]() -> absl::Status {
    MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
    MPOWER_ASSIGN_OR_RETURN(*response, reports_.ReconcileCommitments(caller, *request));
    return absl::OkStatus();
  });
}

grpc::ServerWriteReactor<v1::ExportActivitiesResponse>* ReportServiceImpl::ExportActivities(
    grpc::CallbackServerContext* context, const v1::ExportActivitiesRequest* request) {
  absl::StatusOr<Principal> caller = auth_.Authenticate(*context);
  absl::StatusOr<ExportedDocument> document =
      caller.ok() ? reports_.ExportActivities(*caller, *request, absl::Now())
                  : absl::StatusOr<ExportedDocument>(caller.status());
  return new DocumentWriter(std::move(document), "ExportActivities");
}

}  // namespace mpower
