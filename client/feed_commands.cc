#include "client/feed_commands.h"

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
#include "mpower/v1/change.grpc.pb.h"

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

void PrintAlertChange(const v1::Change& change, const std::string& output) {
  if (output == "json") {
    std::cout << OneLineJson(change) << std::endl;
    return;
  }
  static const char* kTypes[] = {"", "CREATED", "UPDATED", "REMOVED"};
  const v1::Alert& alert = change.alert();
  std::cout << absl::StrFormat("%-9d %-8s %-45s %-3s %-30s %-9s %-10s %s", change.revision(),
                               kTypes[change.type()], change.name(), alert.country_code(),
                               FieldToText(alert, "category"), FieldToText(alert, "severity"),
                               FieldToText(alert, "status"), alert.headline())
            << std::endl;
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
  if (args.Has("after")) {
    int64_t after = 0;
    if (!absl::SimpleAtoi(args.Get("after"), &after)) {
      return UsageError("--after: expected a revision number");
    }
    request.set_after_revision(after);
  } else {
    request.set_start_now(true);
  }
  if (output != "json") {
    std::cout << absl::StrFormat("%-9s %-8s %-45s %-3s %-30s %-9s %-10s %s", "REVISION", "TYPE",
                                 "NAME", "CC", "CATEGORY", "SEVERITY", "STATUS", "HEADLINE")
              << std::endl;
  }
  const absl::Time end =
      run_for == absl::InfiniteDuration() ? absl::InfiniteFuture() : absl::Now() + run_for;
  auto stub = v1::ChangeService::NewStub(rpc.channel());
  absl::Duration backoff = absl::Milliseconds(200);
  while (true) {
    grpc::ClientContext context;
    rpc.Authorize(context);
    if (end != absl::InfiniteFuture()) context.set_deadline(absl::ToChronoTime(end));
    auto reader = stub->WatchChanges(&context, request);
    v1::WatchChangesResponse message;
    while (reader->Read(&message)) {
      for (const v1::Change& change : message.changes()) {
        if (change.has_alert() && selection.Matches(change.alert()))
          PrintAlertChange(change, output);
      }
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
      default:
        return RpcError(status);
    }
    std::this_thread::sleep_for(absl::ToChronoMilliseconds(std::min(backoff, end - absl::Now())));
    backoff = std::min(backoff * 2, absl::Seconds(5));
  }
}

}  // namespace mpower::cli
