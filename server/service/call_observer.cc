#include "server/service/call_observer.h"

#include <grpcpp/server_context.h>

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "google/protobuf/descriptor.h"
#include "server/base/log.h"
#include "server/service/caller_address.h"

namespace mpower {

using grpc::experimental::InterceptionHookPoints;

namespace {

// The method a call names, if it is one the server knows ("/pkg.Service/
// Method", found among the linked protos); else "unknown". The path is the
// caller's to choose, so it reaches a label or a log line only when it is
// one of ours: never a caller's free text, and no unbounded label set.
std::string KnownMethod(const char* path) {
  const absl::string_view full = path != nullptr ? path : "";
  const size_t slash = full.rfind('/');
  if (full.size() < 2 || full.front() != '/' || slash == 0 || slash == absl::string_view::npos) {
    return "unknown";
  }
  // gRPC's health service is not among the linked protos.
  if (full == "/grpc.health.v1.Health/Check" || full == "/grpc.health.v1.Health/Watch") {
    return std::string(full);
  }
  const std::string dotted = absl::StrCat(full.substr(1, slash - 1), ".", full.substr(slash + 1));
  return google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(dotted) != nullptr
             ? std::string(full)
             : "unknown";
}

}  // namespace

class CallObserver::Interceptor final : public grpc::experimental::Interceptor {
 public:
  Interceptor(CallObserver* observer, grpc::experimental::ServerRpcInfo* info)
      : observer_(observer),
        method_(KnownMethod(info->method())),
        call_(info->server_context()),
        streaming_(info->type() != grpc::experimental::ServerRpcInfo::Type::UNARY),
        start_(absl::Now()) {
    if (streaming_ && observer_->metrics_ != nullptr) observer_->metrics_->StreamOpened(method_, 1);
  }

  ~Interceptor() override {
    if (streaming_ && observer_->metrics_ != nullptr) {
      observer_->metrics_->StreamOpened(method_, -1);
    }
    if (!finished_) observer_->TakeNotes(call_);  // ended without a status
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      const auto* metadata = methods->GetRecvInitialMetadata();
      presented_credentials_ = metadata != nullptr && metadata->count("authorization") > 0;
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      Finish(methods->GetSendStatus().error_code());
    }
    methods->Proceed();
  }

 private:
  void Finish(grpc::StatusCode code) {
    finished_ = true;
    const absl::Duration duration = absl::Now() - start_;
    const std::string code_name = absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
    const Notes notes = observer_->TakeNotes(call_);
    if (ServerMetrics* metrics = observer_->metrics_; metrics != nullptr) {
      metrics->RecordCall(method_, code_name, duration);
      if (code == grpc::StatusCode::RESOURCE_EXHAUSTED) metrics->RecordLimitRefusal();
      if (code == grpc::StatusCode::UNAUTHENTICATED && presented_credentials_) {
        metrics->RecordAuthenticationFailure();
      }
    }
    if (observer_->access_log_) {
      LogFields(LogLevel::kInfo, "access", "call",
                {{"method", method_},
                 {"code", code_name},
                 {"duration_ms", absl::StrCat(absl::ToDoubleMilliseconds(duration))},
                 {"principal", notes.principal.empty() ? "-" : notes.principal},
                 {"request_id", notes.request_id.empty() ? "-" : notes.request_id},
                 {"peer", call_ != nullptr ? CallerAddress(*call_) : "-"}});
    }
  }

  CallObserver* const observer_;
  const std::string method_;
  const grpc::ServerContextBase* const call_;
  const bool streaming_;
  const absl::Time start_;
  bool presented_credentials_ = false;
  bool finished_ = false;
};

class CallObserver::Factory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit Factory(CallObserver* observer) : observer_(observer) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new Interceptor(observer_, info);
  }

 private:
  CallObserver* const observer_;
};

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
CallObserver::NewInterceptorFactory() {
  return std::make_unique<Factory>(this);
}

void CallObserver::NotePrincipal(const grpc::ServerContextBase* call, absl::string_view id) {
  // Only the access log reads it; without one, no interceptor takes it.
  if (!access_log_) return;
  absl::MutexLock lock(&mutex_);
  notes_[call].principal = std::string(id);
}

void CallObserver::NoteRequest(const grpc::ServerContextBase* call,
                               const google::protobuf::Message& request) {
  if (!access_log_) return;
  const google::protobuf::FieldDescriptor* field =
      request.GetDescriptor()->FindFieldByName("request_id");
  if (field == nullptr || field->type() != google::protobuf::FieldDescriptor::TYPE_STRING ||
      field->is_repeated()) {
    return;
  }
  std::string id = request.GetReflection()->GetString(request, field);
  if (id.empty()) return;
  id.resize(std::min<size_t>(id.size(), 64));
  absl::MutexLock lock(&mutex_);
  notes_[call].request_id = std::move(id);
}

CallObserver::Notes CallObserver::TakeNotes(const grpc::ServerContextBase* call) {
  absl::MutexLock lock(&mutex_);
  auto found = notes_.find(call);
  if (found == notes_.end()) return {};
  Notes notes = std::move(found->second);
  notes_.erase(found);
  return notes;
}

}  // namespace mpower
