#include "client/feed_commands.h"

#include <functional>
#include <iostream>
#include <set>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/command_status.h"
#include "client/field_text.h"
#include "google/protobuf/util/json_util.h"
#include "mpower/v1/alert.pb.h"
#include "mpower/v1/change.grpc.pb.h"
#include "server/base/status_macros.h"

namespace mpower::cli {
namespace {

std::vector<std::string> List(const std::string& text) {
  return absl::StrSplit(text, ',', absl::SkipWhitespace());
}

std::string OneLineJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  return json;
}

// Looks up an enum value written in full or without its prefix.
const google::protobuf::EnumValueDescriptor* EnumValue(const google::protobuf::EnumDescriptor* type,
                                                       const std::string& text) {
  const std::string upper = absl::AsciiStrToUpper(text);
  const auto* value = type->FindValueByName(upper);
  if (value == nullptr) {
    std::string prefix = type->value(0)->name();
    prefix.resize(prefix.size() - std::string("UNSPECIFIED").size());
    value = type->FindValueByName(prefix + upper);
  }
  return value != nullptr && value->number() != 0 ? value : nullptr;
}

// The alerts a watcher asked for, beyond what the server filters.
struct AlertSelection {
  std::set<std::string> countries;
  std::set<int> categories;
  int max_severity = 0;  // SEVERITY_EXTREME = 1 is the most severe; 0 for any

  bool Matches(const v1::Alert& alert) const {
    if (!countries.empty() && countries.count(alert.country_code()) == 0) return false;
    if (!categories.empty() && categories.count(alert.category()) == 0) return false;
    if (max_severity != 0 &&
        (alert.severity() == v1::Alert::SEVERITY_UNKNOWN || alert.severity() > max_severity)) {
      return false;
    }
    return true;
  }
};

// The types of v1::Change, as printed; a change with none is a resource
// listed as it is (after the changes it went through were compacted).
constexpr const char* kChangeTypes[] = {"LISTED", "CREATED", "UPDATED", "REMOVED"};

void PrintAlertChange(const v1::Change& change, const std::string& output) {
  if (output == "json") {
    std::cout << OneLineJson(change) << std::endl;
    return;
  }
  const v1::Alert& alert = change.alert();
  // A listed alert (re-listed after compaction) has no revision of its own.
  const std::string revision = change.revision() == 0 ? "-" : absl::StrCat(change.revision());
  std::cout << absl::StrFormat("%-9s %-8s %-45s %-3s %-30s %-9s %-10s %s", revision,
                               kChangeTypes[change.type()], change.name(), alert.country_code(),
                               FieldToText(alert, "category"), FieldToText(alert, "severity"),
                               FieldToText(alert, "status"), alert.headline())
            << std::endl;
}

// From --after REVISION, else from now.
absl::Status SetStart(const Args& args, v1::WatchChangesRequest& request) {
  if (args.Has("after")) {
    int64_t after = 0;
    if (!absl::SimpleAtoi(args.Get("after"), &after)) {
      return UsageError("--after: expected a revision number");
    }
    request.set_after_revision(after);
  } else {
    request.set_start_now(true);
  }
  return absl::OkStatus();
}

// Watches with `request` until `run_for` has passed (or forever), calling
// `print` for each change in revision order. A dropped connection is
// watched again after the last revision the server vouched for, so that
// nothing is missed or printed twice. When the server no longer holds the
// changes since then (compacted: OUT_OF_RANGE), says so, watches from now
// and calls `relist` once that watch has begun, so what the list shows is
// no older than what follows it.
absl::Status WatchLoop(RpcClient& rpc, v1::WatchChangesRequest request, absl::Duration run_for,
                       const std::function<void(const v1::Change&)>& print,
                       const std::function<absl::Status()>& relist, absl::string_view relisting) {
  const absl::Time end =
      run_for == absl::InfiniteDuration() ? absl::InfiniteFuture() : absl::Now() + run_for;
  auto stub = v1::ChangeService::NewStub(rpc.channel());
  absl::Duration backoff = absl::Milliseconds(200);
  bool relist_pending = false;
  while (true) {
    grpc::ClientContext context;
    rpc.Authorize(context);
    if (end != absl::InfiniteFuture()) context.set_deadline(absl::ToChronoTime(end));
    auto reader = stub->WatchChanges(&context, request);
    v1::WatchChangesResponse message;
    while (reader->Read(&message)) {
      if (relist_pending) {
        relist_pending = false;
        MPOWER_RETURN_IF_ERROR(relist());
      }
      for (const v1::Change& change : message.changes()) print(change);
      // Resume exactly here after a reconnect.
      request.set_start_now(false);
      request.set_after_revision(message.revision());
      backoff = absl::Milliseconds(200);
    }
    const grpc::Status status = reader->Finish();
    if (absl::Now() >= end) return absl::OkStatus();
    switch (status.error_code()) {
      case grpc::StatusCode::UNAVAILABLE:
      case grpc::StatusCode::CANCELLED:
      case grpc::StatusCode::INTERNAL:
      case grpc::StatusCode::DEADLINE_EXCEEDED:
      case grpc::StatusCode::OK:
        std::cerr << "mpower: connection lost (" << status.error_message()
                  << "); resuming after revision " << request.after_revision() << std::endl;
        break;
      case grpc::StatusCode::OUT_OF_RANGE:
        if (request.start_now()) return RpcError(status);
        std::cerr << "mpower: the server no longer holds the changes after revision "
                  << request.after_revision() << " (compacted); " << relisting << std::endl;
        request.set_start_now(true);
        relist_pending = true;
        continue;  // at once: the server is there
      default:
        return RpcError(status);
    }
    std::this_thread::sleep_for(absl::ToChronoMilliseconds(std::min(backoff, end - absl::Now())));
    backoff = std::min(backoff * 2, absl::Seconds(5));
  }
}

}  // namespace

absl::Status ListChangesCommand(RpcClient& rpc, const Args& args, const std::string& output) {
  v1::ListChangesRequest request;
  int64_t after = 0;
  if (args.Has("after") && !absl::SimpleAtoi(args.Get("after"), &after)) {
    return UsageError("--after: expected a revision number");
  }
  request.set_after_revision(after);
  int page_size = 0;
  if (args.Has("page-size") && !absl::SimpleAtoi(args.Get("page-size"), &page_size)) {
    return UsageError("--page-size: expected a whole number");
  }
  request.set_page_size(page_size);
  request.set_page_token(args.Get("page-token"));
  for (const std::string& collection : List(args.Get("collections"))) {
    request.mutable_filter()->add_collections(collection);
  }
  request.mutable_filter()->set_partner(args.Get("partner"));
  request.mutable_filter()->set_country_code(args.Get("country"));
  v1::ListChangesResponse all;
  do {
    v1::ListChangesResponse response;
    grpc::Status status =
        rpc.Call("/mpower.v1.ChangeService/ListChanges", request, &response, /*idempotent=*/true);
    if (!status.ok()) {
      return RpcError(status);
    }
    all.mutable_changes()->MergeFrom(response.changes());
    all.set_next_page_token(response.next_page_token());
    all.set_current_revision(response.current_revision());
    request.set_page_token(response.next_page_token());
  } while (args.Has("all") && !request.page_token().empty());
  if (output == "json") {
    std::cout << OneLineJson(all) << "\n";
    return absl::OkStatus();
  }
  static const char* kTypes[] = {"", "CREATED", "UPDATED", "REMOVED"};
  std::cout << absl::StrFormat("%-9s %-8s %s\n", "REVISION", "TYPE", "NAME");
  for (const v1::Change& change : all.changes()) {
    std::cout << absl::StrFormat("%-9d %-8s %s\n", change.revision(), kTypes[change.type()],
                                 change.name());
  }
  if (!all.next_page_token().empty()) {
    std::cout << "\nMore: add --page-token=" << all.next_page_token() << " (or --all)\n";
  } else {
    std::cout << "\nUp to date through revision " << all.current_revision() << "\n";
  }
  return absl::OkStatus();
}

absl::Status WatchAlertsCommand(RpcClient& rpc, const Args& args, const std::string& output) {
  AlertSelection selection;
  for (const std::string& country : List(args.Get("countries"))) {
    selection.countries.insert(absl::AsciiStrToUpper(country));
  }
  for (const std::string& category : List(args.Get("categories"))) {
    const auto* value = EnumValue(v1::Alert::Category_descriptor(), category);
    if (value == nullptr) {
      return UsageError(absl::StrCat("--categories: unknown category ", category));
    }
    selection.categories.insert(value->number());
  }
  if (args.Has("min-severity")) {
    const auto* value = EnumValue(v1::Alert::Severity_descriptor(), args.Get("min-severity"));
    if (value == nullptr || value->number() == v1::Alert::SEVERITY_UNKNOWN) {
      return UsageError("--min-severity: use EXTREME, SEVERE, MODERATE or MINOR");
    }
    selection.max_severity = value->number();
  }
  absl::Duration run_for = absl::InfiniteDuration();
  if (args.Has("for") && !absl::ParseDuration(args.Get("for"), &run_for)) {
    return UsageError("--for: expected a duration such as 30s or 10m");
  }
  v1::WatchChangesRequest request;
  request.mutable_filter()->add_collections("alerts");
  if (selection.countries.size() == 1) {
    request.mutable_filter()->set_country_code(*selection.countries.begin());
  }
  MPOWER_RETURN_IF_ERROR(SetStart(args, request));
  if (output != "json") {
    std::cout << absl::StrFormat("%-9s %-8s %-45s %-3s %-30s %-9s %-10s %s", "REVISION", "TYPE",
                                 "NAME", "CC", "CATEGORY", "SEVERITY", "STATUS", "HEADLINE")
              << std::endl;
  }
  const auto print = [&](const v1::Change& change) {
    if (change.has_alert() && selection.Matches(change.alert())) PrintAlertChange(change, output);
  };
  // The alerts as they are now, each printed as a change of type LISTED.
  const auto relist = [&]() -> absl::Status {
    v1::ListAlertsRequest list;
    list.set_page_size(100);
    do {
      v1::ListAlertsResponse page;
      const grpc::Status status =
          rpc.Call("/mpower.v1.AlertService/ListAlerts", list, &page, /*idempotent=*/true);
      if (!status.ok()) return RpcError(status);
      for (const v1::Alert& alert : page.alerts()) {
        if (!selection.Matches(alert)) continue;
        v1::Change listed;
        listed.set_name(alert.name());
        *listed.mutable_alert() = alert;
        PrintAlertChange(listed, output);
      }
      list.set_page_token(page.next_page_token());
    } while (!list.page_token().empty());
    return absl::OkStatus();
  };
  return WatchLoop(rpc, request, run_for, print, relist, "re-listing the alerts as they are now");
}

absl::Status WatchChangesCommand(RpcClient& rpc, const Args& args, const std::string& output) {
  absl::Duration run_for = absl::InfiniteDuration();
  if (args.Has("for") && !absl::ParseDuration(args.Get("for"), &run_for)) {
    return UsageError("--for: expected a duration such as 30s or 10m");
  }
  v1::WatchChangesRequest request;
  for (const std::string& collection : List(args.Get("collections"))) {
    request.mutable_filter()->add_collections(collection);
  }
  request.mutable_filter()->set_partner(args.Get("partner"));
  request.mutable_filter()->set_country_code(args.Get("country"));
  MPOWER_RETURN_IF_ERROR(SetStart(args, request));
  if (output != "json")
    std::cout << absl::StrFormat("%-9s %-8s %s", "REVISION", "TYPE", "NAME") << std::endl;
  const auto print = [&](const v1::Change& change) {
    if (output == "json") {
      std::cout << OneLineJson(change) << std::endl;
      return;
    }
    std::cout << absl::StrFormat("%-9d %-8s %s", change.revision(), kChangeTypes[change.type()],
                                 change.name())
              << std::endl;
  };
  // The feed holds no state to list again: what changed meanwhile is only
  // in the resources themselves.
  const auto relist = [] { return absl::OkStatus(); };
  return WatchLoop(rpc, request, run_for, print, relist,
                   "what changed meanwhile is lost from the feed: list the resources you follow "
                   "again; watching from now");
}

}  // namespace mpower::cli
