#include "client/resource_command.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>

#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "client/command_status.h"
#include "client/field_text.h"
#include "client/outbox_commands.h"
#include "client/render.h"
#include "client/sealing.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/field_mask.pb.h"
#include "google/protobuf/util/json_util.h"
#include "mpower/v1/alert.pb.h"
#include "server/base/status_macros.h"
#include "server/core/names.h"

namespace mpower::cli {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

std::unique_ptr<Message> NewMessage(const Descriptor* type) {
  return std::unique_ptr<Message>(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(type)->New());
}

// Sets `field` of `message`; a request without that field takes no value
// for it, which is a usage error unless `value` is empty.
absl::Status SetString(Message& message, const std::string& field, const std::string& value) {
  const FieldDescriptor* descriptor = message.GetDescriptor()->FindFieldByName(field);
  if (descriptor == nullptr) {
    if (value.empty()) return absl::OkStatus();
    return UsageError(absl::StrCat("this command takes no ", field, "; run it with --help"));
  }
  message.GetReflection()->SetString(&message, descriptor, value);
  return absl::OkStatus();
}

std::string GetString(const Message& message, const std::string& field) {
  return message.GetReflection()->GetString(message,
                                            message.GetDescriptor()->FindFieldByName(field));
}

const Message& GetMessage(const Message& message, const std::string& field) {
  return message.GetReflection()->GetMessage(message,
                                             message.GetDescriptor()->FindFieldByName(field));
}

// A random request_id, so a create the CLI retries is applied once.
std::string NewRequestId() {
  absl::BitGen gen;
  return absl::StrCat("cli-", absl::Hex(absl::Uniform<uint64_t>(gen)),
                      absl::Hex(absl::Uniform<uint64_t>(gen)));
}

// Whether `status` says the server could not be reached, or gave no
// answer in time.
bool IsUnreachable(const absl::Status& status) {
  return absl::IsUnavailable(status) || absl::IsDeadlineExceeded(status);
}

// The alert in `message`, if it is one: alerts' protected details are
// sealed and opened here (sealing.h).
v1::Alert* AsAlert(Message& message) { return dynamic_cast<v1::Alert*>(&message); }

class Command {
 public:
  Command(const ResourceSpec& spec, const Args& args, RpcClient& rpc, std::string output)
      : spec_(spec), args_(args), rpc_(rpc), output_(std::move(output)) {}

  absl::Status Run(const std::string& verb) {
    if (args_.Has("queue") && (verb == "get" || verb == "list" || verb == "test")) {
      return UsageError(absl::StrCat("--queue: ", spec_.plural, " ", verb,
                                     " writes nothing to queue; run it when the server can be "
                                     "reached"));
    }
    if (verb == "get") return Get();
    if (verb == "list") return List();
    if (verb == "create") return Create();
    if (verb == "update") return Update();
    if (verb == "delete" || verb == "undelete" || verb == "revoke" || verb == "retire" ||
        verb == "purge") {
      return ActOnOne(verb);
    }
    if (verb == "test") return Test();
    if (verb == "replay") return Replay();
    return UsageError(absl::StrCat("unknown verb '", verb, "' for ", spec_.plural, "; run mpower ",
                                   spec_.plural, " --help"));
  }

 private:
  absl::StatusOr<const google::protobuf::MethodDescriptor*> Method(
      const std::string& prefix, const std::string& suffix) const {
    const auto* method = spec_.service()->FindMethodByName(prefix + suffix);
    if (method == nullptr) {
      return UsageError(absl::StrCat("mpower ", spec_.plural, " has no ",
                                     absl::AsciiStrToLower(prefix), " verb; run mpower ",
                                     spec_.plural, " --help"));
    }
    return method;
  }

  // Calls `method`; its response, or the call's failure (RpcError).
  absl::StatusOr<std::unique_ptr<Message>> Call(const google::protobuf::MethodDescriptor* method,
                                                const Message& request, bool idempotent) {
    std::unique_ptr<Message> response = NewMessage(method->output_type());
    const std::string path = absl::StrCat("/", method->service()->full_name(), "/", method->name());
    grpc::Status status = rpc_.Call(path, request, response.get(), idempotent);
    if (!status.ok()) return RpcError(status);
    return response;
  }

  // Sends the write `request`, or queues it in the outbox as `mode` says
  // (outbox_commands.h): nullptr when it was queued. `name` is what it
  // writes, `needs` what must exist for it to go.
  absl::StatusOr<std::unique_ptr<Message>> SendOrQueue(
      const google::protobuf::MethodDescriptor* method, const Message& request, bool idempotent,
      QueueMode mode, const std::string& verb, const std::string& name, const std::string& needs) {
    const std::string path = absl::StrCat("/", method->service()->full_name(), "/", method->name());
    if (mode == QueueMode::kWhenUnreachable) {
      // Behind what waits, never ahead of it: a later push would otherwise
      // apply an older change last.
      MPOWER_ASSIGN_OR_RETURN(const int waiting, WaitingInOutbox(args_));
      if (waiting > 0) {
        std::cerr << waiting << " writes wait in the outbox; this " << verb
                  << " goes behind them\n";
        mode = QueueMode::kAlways;
      }
    }
    if (mode != QueueMode::kAlways) {
      std::unique_ptr<Message> response = NewMessage(method->output_type());
      const grpc::Status status = rpc_.Call(path, request, response.get(), idempotent);
      if (status.ok()) return response;
      if (!QueueAfter(mode, status)) return RpcError(status);
      if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED && !idempotent) {
        // It may have been applied, and nothing would keep a second
        // sending from applying it again.
        const absl::Status unknown = RpcError(status);
        return absl::Status(
            unknown.code(),
            absl::StrCat(unknown.message(), "\nthe ", verb,
                         " may have been applied: check before sending it again (not queued)"));
      }
      std::cerr << "mpower: the server could not be reached (" << CodeName(status.error_code())
                << "); queueing the " << verb << " instead\n";
    }
    OutboxItem item;
    item.method = path;
    item.plural = spec_.plural;
    item.verb = verb;
    item.name = name;
    item.needs = needs == name ? "" : needs;
    item.request = request.SerializeAsString();
    // Sent once already, perhaps applied: a push sends these same bytes,
    // never details sealed again, which under the same request_id the
    // server would refuse.
    item.sealing_settled = mode != QueueMode::kAlways;
    if (verb == "update") MPOWER_RETURN_IF_ERROR(FixEtagSeen(item));
    MPOWER_RETURN_IF_ERROR(QueueWrite(args_, std::move(item)));
    return nullptr;
  }

  // A queued update without --etag gets the etag the resource has now,
  // when the server can say and nothing queued before it writes the same
  // resource: if the resource changes before the push, the update is then
  // refused (ABORTED) and kept, never applied over that change. Otherwise
  // says that it is queued without one.
  absl::Status FixEtagSeen(OutboxItem& item) {
    const google::protobuf::MethodDescriptor* update =
        spec_.service()->FindMethodByName(absl::StrCat("Update", spec_.type));
    const google::protobuf::MethodDescriptor* get =
        spec_.service()->FindMethodByName(absl::StrCat("Get", spec_.type));
    if (update == nullptr || get == nullptr) return absl::OkStatus();
    std::unique_ptr<Message> request = NewMessage(update->input_type());
    if (!request->ParseFromString(item.request)) return LocalError("cannot queue the update");
    Message& patch = *request->GetReflection()->MutableMessage(
        request.get(), request->GetDescriptor()->FindFieldByName(spec_.field));
    if (!GetString(patch, "etag").empty()) return absl::OkStatus();
    const char* without =
        "queued without an etag: it applies over any change made to it before the push (give "
        "--etag to have it refused instead)";
    MPOWER_ASSIGN_OR_RETURN(const bool behind, OutboxWritesTo(args_, item.name));
    if (behind) {
      std::cerr << item.name << " is written by a queued write before this one; " << without
                << "\n";
      return absl::OkStatus();
    }
    std::unique_ptr<Message> get_request = NewMessage(get->input_type());
    MPOWER_RETURN_IF_ERROR(SetString(*get_request, "name", item.name));
    std::unique_ptr<Message> current = NewMessage(get->output_type());
    const grpc::Status status =
        rpc_.Call(absl::StrCat("/", get->service()->full_name(), "/", get->name()), *get_request,
                  current.get(), /*idempotent=*/true);
    if (!status.ok()) {
      std::cerr << "the server could not be asked for " << item.name << "'s etag; " << without
                << "\n";
      return absl::OkStatus();
    }
    const std::string etag = GetString(GetMessage(*current, spec_.field), "etag");
    MPOWER_RETURN_IF_ERROR(SetString(patch, "etag", etag));
    item.request = request->SerializeAsString();
    std::cerr << "queued against " << item.name << " as it is now (etag " << etag
              << "): if it changes before the push, the update is kept, not applied over it\n";
    return absl::OkStatus();
  }

  // The name a create under `parent` with `id` gives: "{parent}/{collection}/{id}".
  std::string NameOfNew(const std::string& parent, const std::string& id) const {
    std::string collection = spec_.type;
    collection[0] = absl::ascii_tolower(collection[0]);
    return absl::StrCat(parent.empty() ? "" : absl::StrCat(parent, "/"), collection, "s/", id);
  }

  absl::StatusOr<std::string> RequiredName() const {
    if (args_.positional.size() < 3) {
      return UsageError(
          absl::StrCat("give the ", spec_.field, "'s name, e.g. ", spec_.example_name));
    }
    return args_.positional[2];
  }

  void PrintResource(const Message& resource) {
    if (output_ == "json") {
      std::cout << ToJson(resource);
    } else {
      PrintTable(spec_, {&resource}, std::cout);
    }
  }

  absl::Status Get() {
    MPOWER_ASSIGN_OR_RETURN(const auto* method, Method("Get", spec_.type));
    auto request = NewMessage(method->input_type());
    MPOWER_ASSIGN_OR_RETURN(std::string name, RequiredName());
    MPOWER_RETURN_IF_ERROR(SetString(*request, "name", name));
    MPOWER_ASSIGN_OR_RETURN(auto response, Call(method, *request, /*idempotent=*/true));
    Message& resource = *response->GetReflection()->MutableMessage(
        response.get(), response->GetDescriptor()->FindFieldByName(spec_.field));
    if (v1::Alert* alert = AsAlert(resource)) {
      // A sealed envelope binds the name it was sealed for: only the alert
      // asked for is opened.
      if (alert->name() != name) {
        return LocalError(absl::StrCat("the server answered for ", name, " with another alert"));
      }
      MPOWER_ASSIGN_OR_RETURN(const std::string note, OpenDetails(rpc_, args_, *alert));
      if (!note.empty()) std::cerr << "protected details " << note << "\n";
    }
    PrintResource(resource);
    return absl::OkStatus();
  }

  absl::Status List() {
    const auto* method = spec_.list();
    if (method == nullptr)
      return UsageError(absl::StrCat("mpower ", spec_.plural, " has no list verb"));
    auto request = NewMessage(method->input_type());
    if (spec_.nested()) {
      MPOWER_RETURN_IF_ERROR(SetString(*request, "parent",
                                       args_.Get("parent", absl::StrCat(spec_.parent_word, "/-"))));
    }
    MPOWER_RETURN_IF_ERROR(SetString(*request, "filter", args_.Get("filter")));
    MPOWER_RETURN_IF_ERROR(SetString(*request, "page_token", args_.Get("page-token")));
    int page_size = 0;
    if (args_.Has("page-size") && !absl::SimpleAtoi(args_.Get("page-size"), &page_size)) {
      return UsageError("--page-size: expected a whole number");
    }
    request->GetReflection()->SetInt32(
        request.get(), request->GetDescriptor()->FindFieldByName("page_size"), page_size);
    if (args_.Has("show-deleted")) {
      const FieldDescriptor* field = request->GetDescriptor()->FindFieldByName("show_deleted");
      if (field == nullptr) return UsageError("--show-deleted: these are never soft-deleted");
      request->GetReflection()->SetBool(request.get(), field, true);
    }
    const FieldDescriptor* items_field = method->output_type()->FindFieldByName(spec_.items());
    std::vector<std::unique_ptr<Message>> pages;
    std::vector<const Message*> items;
    std::string next;
    do {
      MPOWER_ASSIGN_OR_RETURN(auto response, Call(method, *request, /*idempotent=*/true));
      const int count = response->GetReflection()->FieldSize(*response, items_field);
      for (int i = 0; i < count; ++i) {
        Message* item =
            response->GetReflection()->MutableRepeatedMessage(response.get(), items_field, i);
        if (v1::Alert* alert = AsAlert(*item)) {
          // One alert that does not open spoils no other.
          const absl::StatusOr<std::string> note = OpenDetails(rpc_, args_, *alert);
          if (!note.ok()) std::cerr << "mpower: " << note.status().message() << "\n";
        }
        items.push_back(item);
      }
      next = GetString(*response, "next_page_token");
      MPOWER_RETURN_IF_ERROR(SetString(*request, "page_token", next));
      pages.push_back(std::move(response));
    } while (args_.Has("all") && !next.empty());
    if (output_ == "json") {
      auto combined = NewMessage(method->output_type());
      for (const Message* item : items) {
        combined->GetReflection()->AddMessage(combined.get(), items_field)->CopyFrom(*item);
      }
      MPOWER_RETURN_IF_ERROR(SetString(*combined, "next_page_token", next));
      std::cout << ToJson(*combined);
      return absl::OkStatus();
    }
    PrintTable(spec_, items, std::cout);
    if (!next.empty()) std::cout << "\nMore: add --page-token=" << next << " (or --all)\n";
    return absl::OkStatus();
  }

  // The resource from -f FILE (JSON; "-" for stdin) overlaid with field
  // flags, and the field paths the user set.
  absl::StatusOr<std::unique_ptr<Message>> ResourceFromInput(std::vector<std::string>& paths) {
    auto resource = NewMessage(spec_.message());
    if (args_.Has("file")) {
      std::string json;
      if (args_.Get("file") == "-") {
        json.assign(std::istreambuf_iterator<char>(std::cin), {});
      } else {
        std::ifstream in(args_.Get("file"));
        if (!in) return LocalError(absl::StrCat("cannot read ", args_.Get("file")));
        json.assign(std::istreambuf_iterator<char>(in), {});
      }
      auto status = google::protobuf::util::JsonStringToMessage(json, resource.get());
      if (!status.ok()) {
        return LocalError(absl::StrCat(args_.Get("file"), ": not a ", spec_.type,
                                       " in JSON: ", status.message().as_string()));
      }
      std::vector<const FieldDescriptor*> set;
      resource->GetReflection()->ListFields(*resource, &set);
      for (const FieldDescriptor* field : set) paths.push_back(field->name());
    }
    for (const std::string& flag : args_.flag_order) {
      for (const FieldFlag& field_flag : spec_.flags) {
        if (flag != field_flag.flag) continue;
        absl::Status status = SetFieldFromText(*resource, field_flag.path, args_.Get(flag));
        if (!status.ok()) return UsageError(status.message());
        // A nested field (webhook.url) is updated as its whole message.
        const std::string path(field_flag.path);
        paths.push_back(path.substr(0, path.find('.')));
      }
    }
    return resource;
  }

  // Plans to seal `alert`'s details: nullopt, having said why, when they
  // go in the clear.
  absl::StatusOr<std::optional<SealingPlan>> PlanToSeal(const v1::Alert& alert, bool queued) {
    std::string why_not;
    MPOWER_ASSIGN_OR_RETURN(std::optional<SealingPlan> plan,
                            PlanSealing(rpc_, args_, alert, Signer::kFiler, why_not));
    if (!plan.has_value()) {
      std::cerr << (queued ? "protected details queued unsealed (the push seals them if it can "
                             "then, else sends them readable by the server): "
                           : "mpower: protected details sent unsealed, readable by the server: ")
                << why_not << "\n";
    }
    return plan;
  }

  absl::Status Create() {
    MPOWER_ASSIGN_OR_RETURN(const auto* method, Method("Create", spec_.type));
    MPOWER_ASSIGN_OR_RETURN(QueueMode queue, ResolveQueueMode(args_));
    auto request = NewMessage(method->input_type());
    std::vector<std::string> paths;
    MPOWER_ASSIGN_OR_RETURN(auto resource, ResourceFromInput(paths));
    const std::string id_field = absl::StrCat(spec_.field, "_id");
    std::string id = args_.positional.size() >= 3 ? args_.positional[2] : "";
    // A create that may be queued gets its name now, as the server makes
    // them: a queued write that needs it (a response to a queued alert)
    // can name it, and a push repeated after a cut names the same.
    if (queue != QueueMode::kNever && id.empty() &&
        request->GetDescriptor()->FindFieldByName(id_field) != nullptr) {
      id = GenerateResourceId();
    }
    // An envelope is signed for the alert's name, so the name is made here
    // (as the server makes them, unless given) and the details sealed to
    // it travel with the create, in one call.
    std::optional<SealingPlan> sealing;
    if (v1::Alert* alert = AsAlert(*resource); alert != nullptr && HasClearDetails(*alert)) {
      absl::StatusOr<std::optional<SealingPlan>> planned =
          PlanToSeal(*alert, queue == QueueMode::kAlways);
      if (!planned.ok() && queue != QueueMode::kNever && IsUnreachable(planned.status())) {
        // The keys cannot be fetched: sealed to those this machine last
        // fetched and pins, which the push checks against the server's
        // before it sends; else the details wait in the outbox, encrypted
        // there, and are sealed when pushed. Either way they are queued,
        // never sent in the clear because the server came back meanwhile.
        queue = QueueMode::kAlways;
        std::string why_not;
        planned = PlanSealingFromKnownKeys(args_, *alert, why_not);
        if (planned.ok() && !planned->has_value()) {
          std::cerr << "protected details not sealed yet: the server could not be reached for "
                       "the keys to seal to, and "
                    << why_not << "; they are sealed when pushed\n";
        } else if (planned.ok()) {
          std::cerr << "the server could not be reached: sealing to the keys this machine last "
                       "fetched; the push checks them first\n";
        }
      }
      MPOWER_ASSIGN_OR_RETURN(sealing, std::move(planned));
      if (sealing.has_value()) {
        if (id.empty()) id = GenerateResourceId();
        MPOWER_ASSIGN_OR_RETURN(
            v1::SealedEnvelope envelope,
            SealDetails(args_, *sealing, MakeName("", kAlertName, id), alert->protected_details()));
        alert->clear_protected_details();
        *alert->mutable_protected_details()->mutable_sealed() = std::move(envelope);
      }
    }
    const Descriptor* type = request->GetDescriptor();
    request->GetReflection()
        ->MutableMessage(request.get(), type->FindFieldByName(spec_.field))
        ->CopyFrom(*resource);
    if (!id.empty()) MPOWER_RETURN_IF_ERROR(SetString(*request, id_field, id));
    if (spec_.nested()) {
      if (!args_.Has("parent")) {
        return UsageError(
            absl::StrCat("--parent is required: the ",
                         std::string(spec_.parent_word, strlen(spec_.parent_word) - 1),
                         " it belongs to, e.g. --parent=", spec_.parent_word, "/..."));
      }
      MPOWER_RETURN_IF_ERROR(SetString(*request, "parent", args_.Get("parent")));
    }
    const bool idempotent = type->FindFieldByName("request_id") != nullptr;
    if (idempotent) {
      MPOWER_RETURN_IF_ERROR(
          SetString(*request, "request_id", args_.Get("request-id", NewRequestId())));
    }
    const std::string parent = spec_.nested() ? args_.Get("parent") : "";
    MPOWER_ASSIGN_OR_RETURN(auto response,
                            SendOrQueue(method, *request, idempotent, queue, "create",
                                        id.empty() ? "" : NameOfNew(parent, id), parent));
    if (response == nullptr) return absl::OkStatus();  // queued
    if (sealing.has_value()) {
      v1::Alert& filed = *AsAlert(*response->GetReflection()->MutableMessage(
          response.get(), response->GetDescriptor()->FindFieldByName(spec_.field)));
      MPOWER_RETURN_IF_ERROR(OpenDetails(rpc_, args_, filed).status());
      std::cerr << "protected details sealed here to " << sealing->recipients.size() << " keys of "
                << sealing->partners << "; the server cannot read them\n";
      PrintResource(filed);
      return absl::OkStatus();
    }
    const FieldDescriptor* token = response->GetDescriptor()->FindFieldByName("token");
    if (token != nullptr && output_ == "json") {
      std::cout << ToJson(*response);
      return absl::OkStatus();
    }
    PrintResource(GetMessage(*response, spec_.field));
    if (token != nullptr && !GetString(*response, "token").empty()) {
      std::cout << "\ntoken (shown only now; keep it secret): " << GetString(*response, "token")
                << "\n";
    }
    const std::string secret = FieldToText(*response, absl::StrCat(spec_.field, ".signing_secret"));
    // Only a webhook uses it (an email subscription keeps one for the day
    // it becomes a webhook).
    if (!secret.empty() &&
        !FieldToText(*response, absl::StrCat(spec_.field, ".webhook.url")).empty()) {
      std::cout << "\nsigning secret (shown only now; give it to the receiver, keep it secret): "
                << secret << "\n";
    }
    return absl::OkStatus();
  }

  absl::Status Update() {
    MPOWER_ASSIGN_OR_RETURN(const auto* method, Method("Update", spec_.type));
    auto request = NewMessage(method->input_type());
    std::vector<std::string> paths;
    MPOWER_ASSIGN_OR_RETURN(auto resource, ResourceFromInput(paths));
    MPOWER_ASSIGN_OR_RETURN(std::string name, RequiredName());
    MPOWER_RETURN_IF_ERROR(SetString(*resource, "name", name));
    if (args_.Has("etag")) MPOWER_RETURN_IF_ERROR(SetString(*resource, "etag", args_.Get("etag")));
    google::protobuf::FieldMask mask;
    if (args_.Has("update-mask")) {
      for (absl::string_view path : absl::StrSplit(args_.Get("update-mask"), ',')) {
        mask.add_paths(std::string(absl::StripAsciiWhitespace(path)));
      }
    } else if (paths.empty()) {
      return UsageError("nothing to update: give field flags, -f FILE or --update-mask");
    } else {
      for (const std::string& path : paths) mask.add_paths(path);
    }
    MPOWER_ASSIGN_OR_RETURN(QueueMode queue, ResolveQueueMode(args_));
    if (v1::Alert* alert = AsAlert(*resource)) {
      absl::Status sealed = SealUpdatedAlertDetails(rpc_, args_, *alert, mask);
      if (!sealed.ok() && queue != QueueMode::kNever && IsUnreachable(sealed)) {
        // As a create's: sealed when pushed, never sent in the clear now.
        std::cerr << "protected details not sealed yet: the server could not be reached for "
                     "the keys to seal to; they are sealed when pushed\n";
        queue = QueueMode::kAlways;
        sealed = absl::OkStatus();
      }
      MPOWER_RETURN_IF_ERROR(sealed);
    }
    const Descriptor* type = request->GetDescriptor();
    request->GetReflection()
        ->MutableMessage(request.get(), type->FindFieldByName(spec_.field))
        ->CopyFrom(*resource);
    request->GetReflection()
        ->MutableMessage(request.get(), type->FindFieldByName("update_mask"))
        ->CopyFrom(mask);
    MPOWER_ASSIGN_OR_RETURN(auto response, SendOrQueue(method, *request, /*idempotent=*/false,
                                                       queue, "update", name, name));
    if (response == nullptr) return absl::OkStatus();  // queued
    Message& updated = *response->GetReflection()->MutableMessage(
        response.get(), response->GetDescriptor()->FindFieldByName(spec_.field));
    if (v1::Alert* alert = AsAlert(updated)) {
      MPOWER_RETURN_IF_ERROR(OpenDetails(rpc_, args_, *alert).status());
    }
    PrintResource(updated);
    return absl::OkStatus();
  }

  // subscriptions test NAME: a signed ping, and what the receiver said.
  absl::Status Test() {
    MPOWER_ASSIGN_OR_RETURN(const auto* method, Method("Test", spec_.type));
    auto request = NewMessage(method->input_type());
    MPOWER_ASSIGN_OR_RETURN(const std::string name, RequiredName());
    MPOWER_RETURN_IF_ERROR(SetString(*request, "name", name));
    MPOWER_ASSIGN_OR_RETURN(auto response, Call(method, *request, /*idempotent=*/false));
    if (output_ == "json") {
      std::cout << ToJson(*response);
      return absl::OkStatus();
    }
    const auto text = [&](const char* field) { return FieldToText(*response, field); };
    std::cout << (text("delivered") == "true" ? "delivered" : "NOT delivered");
    if (text("http_status") != "0") std::cout << ": HTTP " << text("http_status");
    std::cout << "\n";
    if (!text("error").empty()) std::cout << "error: " << text("error") << "\n";
    if (!text("response_excerpt").empty()) {
      std::cout << "the receiver answered:\n" << text("response_excerpt") << "\n";
    }
    return absl::OkStatus();
  }

  // subscriptions replay NAME --after-revision N: deliver again from there.
  absl::Status Replay() {
    MPOWER_ASSIGN_OR_RETURN(const auto* method, Method("Replay", spec_.type));
    auto request = NewMessage(method->input_type());
    MPOWER_ASSIGN_OR_RETURN(const std::string name, RequiredName());
    MPOWER_RETURN_IF_ERROR(SetString(*request, "name", name));
    if (!args_.Has("after-revision")) {
      return UsageError("--after-revision is required: deliver again every change after it");
    }
    absl::Status set = SetFieldFromText(*request, "after_revision", args_.Get("after-revision"));
    if (!set.ok()) return UsageError(set.message());
    MPOWER_ASSIGN_OR_RETURN(QueueMode queue, ResolveQueueMode(args_));
    // Delivered again twice, receivers would see each change twice: at
    // most once, as any write without a request_id.
    MPOWER_ASSIGN_OR_RETURN(auto response, SendOrQueue(method, *request, /*idempotent=*/false,
                                                       queue, "replay", name, name));
    if (response == nullptr) return absl::OkStatus();  // queued
    PrintResource(GetMessage(*response, spec_.field));
    return absl::OkStatus();
  }

  // A verb that takes a name and changes that one resource: delete,
  // undelete, revoke, retire, purge (which also takes --reason).
  absl::Status ActOnOne(const std::string& verb) {
    const std::string capitalized = std::string(1, verb[0] - 32) + verb.substr(1);
    MPOWER_ASSIGN_OR_RETURN(const auto* method, Method(capitalized, spec_.type));
    auto request = NewMessage(method->input_type());
    MPOWER_ASSIGN_OR_RETURN(const std::string name, RequiredName());
    MPOWER_RETURN_IF_ERROR(SetString(*request, "name", name));
    if (request->GetDescriptor()->FindFieldByName("etag") != nullptr) {
      MPOWER_RETURN_IF_ERROR(SetString(*request, "etag", args_.Get("etag")));
    }
    if (request->GetDescriptor()->FindFieldByName("reason") != nullptr) {
      MPOWER_RETURN_IF_ERROR(SetString(*request, "reason", args_.Get("reason")));
    }
    if (args_.Has("include-shareable")) {
      const FieldDescriptor* field = request->GetDescriptor()->FindFieldByName("include_shareable");
      if (field == nullptr) {
        return UsageError("--include-shareable: only for mpower alerts purge");
      }
      request->GetReflection()->SetBool(request.get(), field, true);
    }
    MPOWER_ASSIGN_OR_RETURN(QueueMode queue, ResolveQueueMode(args_));
    MPOWER_ASSIGN_OR_RETURN(auto response, SendOrQueue(method, *request, /*idempotent=*/false,
                                                       queue, verb, name, name));
    if (response == nullptr) return absl::OkStatus();  // queued
    const FieldDescriptor* field = response->GetDescriptor()->FindFieldByName(spec_.field);
    if (field != nullptr && output_ == "json") {
      std::cout << ToJson(GetMessage(*response, spec_.field));
    } else {
      std::cout << name << " " << verb << (verb.back() == 'e' ? "d\n" : "ed\n");
    }
    return absl::OkStatus();
  }

  const ResourceSpec& spec_;
  const Args& args_;
  RpcClient& rpc_;
  const std::string output_;
};

}  // namespace

absl::Status RunResourceCommand(const ResourceSpec& spec, const Args& args, RpcClient& rpc,
                                const std::string& output, const std::string& verb) {
  return Command(spec, args, rpc, output).Run(verb);
}

std::vector<std::string> ListFirstNames(const ResourceSpec& spec, RpcClient& rpc) {
  const google::protobuf::MethodDescriptor* method = spec.list();
  if (method == nullptr) return {};
  std::unique_ptr<Message> request = NewMessage(method->input_type());
  if (spec.nested() && !SetString(*request, "parent", absl::StrCat(spec.parent_word, "/-")).ok()) {
    return {};
  }
  if (const FieldDescriptor* size = request->GetDescriptor()->FindFieldByName("page_size")) {
    request->GetReflection()->SetInt32(request.get(), size, 100);
  }
  std::unique_ptr<Message> response = NewMessage(method->output_type());
  const std::string path = absl::StrCat("/", method->service()->full_name(), "/", method->name());
  if (!rpc.Call(path, *request, response.get(), /*idempotent=*/false).ok()) return {};
  const FieldDescriptor* items = method->output_type()->FindFieldByName(spec.items());
  std::vector<std::string> names;
  for (int i = 0; i < response->GetReflection()->FieldSize(*response, items); ++i) {
    const Message& item = response->GetReflection()->GetRepeatedMessage(*response, items, i);
    if (item.GetDescriptor()->FindFieldByName("name") != nullptr) {
      names.push_back(GetString(item, "name"));
    }
  }
  return names;
}

}  // namespace mpower::cli
