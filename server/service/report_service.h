#ifndef MPOWER_SERVER_SERVICE_REPORT_SERVICE_H_
#define MPOWER_SERVER_SERVICE_REPORT_SERVICE_H_

#include "mpower/v1/report.grpc.pb.h"
#include "server/core/reports.h"
#include "server/service/authenticator.h"
#include "server/service/parsing_service.h"

namespace mpower {

// The gRPC face of ReportService. Thread-safe.
class ReportServiceImpl final : public ParsingService<v1::ReportService> {
 public:
  // REQUIRES: every argument outlives this object.
  ReportServiceImpl(Store* store, const Authenticator* auth, int64_t min_reported_count);

  absl::Status SummarizeCommitments(grpc::CallbackServerContext* context,
                                    const v1::SummarizeCommitmentsRequest* request,
                                    v1::SummarizeCommitmentsResponse* response);
  absl::Status SummarizeAlerts(grpc::CallbackServerContext* context,
                               const v1::SummarizeAlertsRequest* request,
                               v1::SummarizeAlertsResponse* response);
  absl::Status GetCountryBrief(grpc::CallbackServerContext* context,
                               const v1::GetCountryBriefRequest* request,
                               v1::GetCountryBriefResponse* response);
  absl::Status ReconcileCommitments(grpc::CallbackServerContext* context,
                                    const v1::ReconcileCommitmentsRequest* request,
                                    v1::ReconcileCommitmentsResponse* response);
  absl::Status GetAccountabilityReport(grpc::CallbackServerContext* context,
                                       const v1::GetAccountabilityReportRequest* request,
                                       v1::GetAccountabilityReportResponse* response);
  grpc::ServerWriteReactor<grpc::ByteBuffer>* ExportActivities(
      grpc::CallbackServerContext* context, const v1::ExportActivitiesRequest& request);

 private:
  Reports reports_;
  const Authenticator& auth_;
};

}  // namespace mpower

#endif  // MPOWER_SERVER_SERVICE_REPORT_SERVICE_H_
