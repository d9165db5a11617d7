#ifndef MPOWER_SERVER_SERVICE_REPORT_SERVICE_H_
#define MPOWER_SERVER_SERVICE_REPORT_SERVICE_H_

#include "mpower/v1/report.grpc.pb.h"
#include "server/core/reports.h"
#include "server/service/authenticator.h"

namespace mpower {

// The gRPC face of ReportService. Thread-safe.
class ReportServiceImpl final : public v1::ReportService::CallbackService {
 public:
  // REQUIRES: every argument outlives this object.
  ReportServiceImpl(Store* store, const Authenticator* auth) : reports_(store), auth_(*auth) {}

  grpc::ServerUnaryReactor* SummarizeCommitments(
      grpc::CallbackServerContext* context, const v1::SummarizeCommitmentsRequest* request,
      v1::SummarizeCommitmentsResponse* response) override;
  grpc::ServerUnaryReactor* SummarizeAlerts(grpc::CallbackServerContext* context,
                                            const v1::SummarizeAlertsRequest* request,
                                            v1::SummarizeAlertsResponse* response) override;
  grpc::ServerUnaryReactor* GetCountryBrief(grpc::CallbackServerContext* context,
                                            const v1::GetCountryBriefRequest* request,
                                            v1::GetCountryBriefResponse* response) override;
  grpc::ServerUnaryReactor* ReconcileCommitments(
      grpc::CallbackServerContext* context, const v1::ReconcileCommitmentsRequest* request,
      v1::ReconcileCommitmentsResponse* response) override;
  grpc::ServerWriteReactor<v1::ExportActivitiesResponse>* ExportActivities(
      grpc::CallbackServerContext* context, const v1::ExportActivitiesRequest* request) override;

 private:
  Reports reports_;
  const Authenticator& auth_;
};

}  // namespace mpower

#endif  // MPOWER_SERVER_SERVICE_REPORT_SERVICE_H_
