#include "server/service/report_service.h"

#include <algorithm>
#include <utility>

#include "absl/time/clock.h"
#include "server/base/status_macros.h"
#include "server/service/handler_support.h"
#include "server/service/message_bytes.h"
#include "server/service/worker_pool.h"

namespace mpower {
namespace {

// Chunks small enough to stay far below any message-size limit.
constexpr size_t kExportChunkBytes = 64 * 1024;

// Sends a finished document in chunks, one write at a time, then ends the
// call; or ends it at once with an error.
class DocumentWriter final : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  // Starts sending `document`; any thread may call it, once.
  void Send(absl::StatusOr<ExportedDocument> document, absl::string_view method) {
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
    chunk_bytes_ = SerializeMessage(chunk_);
    StartWrite(&chunk_bytes_);
  }

  ExportedDocument document_;
  v1::ExportActivitiesResponse chunk_;
  grpc::ByteBuffer chunk_bytes_;  // chunk_ as it is sent
  size_t sent_ = 0;
};

}  // namespace

ReportServiceImpl::ReportServiceImpl(Store* store, const Authenticator* auth,
                                     int64_t min_reported_count)
    : reports_(store, min_reported_count), auth_(*auth) {
  Serve(this, "SummarizeCommitments", &ReportServiceImpl::SummarizeCommitments,
        RunsOn::kWorkerPool);
  Serve(this, "SummarizeAlerts", &ReportServiceImpl::SummarizeAlerts, RunsOn::kWorkerPool);
  Serve(this, "GetCountryBrief", &ReportServiceImpl::GetCountryBrief, RunsOn::kWorkerPool);
  Serve(this, "ReconcileCommitments", &ReportServiceImpl::ReconcileCommitments,
        RunsOn::kWorkerPool);
  Serve(this, "GetAccountabilityReport", &ReportServiceImpl::GetAccountabilityReport,
        RunsOn::kWorkerPool);
  Serve(this, "ExportActivities", &ReportServiceImpl::ExportActivities);
}

absl::Status ReportServiceImpl::SummarizeCommitments(grpc::CallbackServerContext* context,
                                                     const v1::SummarizeCommitmentsRequest* request,
                                                     v1::SummarizeCommitmentsResponse* response) {
  MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
  MPOWER_ASSIGN_OR_RETURN(*response, reports_.SummarizeCommitments(caller, *request));
  return absl::OkStatus();
}

absl::Status ReportServiceImpl::SummarizeAlerts(grpc::CallbackServerContext* context,
                                                const v1::SummarizeAlertsRequest* request,
                                                v1::SummarizeAlertsResponse* response) {
  MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
  MPOWER_ASSIGN_OR_RETURN(*response, reports_.SummarizeAlerts(caller, *request));
  return absl::OkStatus();
}

absl::Status ReportServiceImpl::GetCountryBrief(grpc::CallbackServerContext* context,
                                                const v1::GetCountryBriefRequest* request,
                                                v1::GetCountryBriefResponse* response) {
  MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
  MPOWER_ASSIGN_OR_RETURN(*response, reports_.GetCountryBrief(caller, *request));
  return absl::OkStatus();
}

absl::Status ReportServiceImpl::ReconcileCommitments(grpc::CallbackServerContext* context,
                                                     const v1::ReconcileCommitmentsRequest* request,
                                                     v1::ReconcileCommitmentsResponse* response) {
  MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
  MPOWER_ASSIGN_OR_RETURN(*response, reports_.ReconcileCommitments(caller, *request));
  return absl::OkStatus();
}

absl::Status ReportServiceImpl::GetAccountabilityReport(
    grpc::CallbackServerContext* context, const v1::GetAccountabilityReportRequest* request,
    v1::GetAccountabilityReportResponse* response) {
  MPOWER_ASSIGN_OR_RETURN(const Principal caller, auth_.Authenticate(*context));
  MPOWER_ASSIGN_OR_RETURN(*response, reports_.GetAccountabilityReport(caller, *request));
  return absl::OkStatus();
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* ReportServiceImpl::ExportActivities(
    grpc::CallbackServerContext* context, const v1::ExportActivitiesRequest& request) {
  auto* writer = new DocumentWriter();
  // An export reads the store end to end: it is built on the pool, as the
  // other reports are, not on gRPC's thread. The call, and so `context`,
  // lasts until the writer finishes.
  worker_pool()->Schedule([this, writer, context, request] {
    if (CallerGaveUp(*context)) {
      writer->Send(absl::DeadlineExceededError("the call's deadline passed before it was served"),
                   "ExportActivities");
      return;
    }
    absl::StatusOr<Principal> caller = auth_.Authenticate(*context);
    writer->Send(caller.ok() ? reports_.ExportActivities(*caller, request, absl::Now())
                             : absl::StatusOr<ExportedDocument>(caller.status()),
                 "ExportActivities");
  });
  return writer;
}

}  // namespace mpower
