#include "client/outbox_commands.h"

#include <sodium.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "client/command_status.h"
#include "client/key_commands.h"
#include "client/key_directory.h"
#include "client/render.h"
#include "client/reseal_commands.h"
#include "client/resources.h"
#include "client/sealing.h"
#include "client/sync_command.h"
#include "common/durable_files.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "mpower/v1/alert.pb.h"
#include "server/base/status_macros.h"
#include "server/core/names.h"

namespace mpower::cli {
namespace {

using google::protobuf::Message;

constexpr char kCreateAlert[] = "/mpower.v1.AlertService/CreateAlert";
// The "method" of a queued command (QueueCommand): this, then its words.
constexpr absl::string_view kQueuedCommand = "mpower:";
// The flags of a queued command that are its own; the rest (where the
// server is, the key directory, passphrases) are the push's.
const char* const kQueuedCommandFlags[] = {"partner", "etag",         "parent",
                                           "mirror",  "display-name", "passphrase"};

// A command's positional words and own flags, one "p BASE64" or
// "f NAME BASE64" line each, and the file it reads (a sync's), fixed when
// it was queued: "c BASE64" with its extension as "x EXT".
std::string EncodeCommand(const Args& args, const std::string& file_contents = "",
                          const std::string& file_extension = "") {
  std::string text;
  if (!file_extension.empty()) {
    absl::StrAppend(&text, "x ", absl::Base64Escape(file_extension), "\n", "c ",
                    absl::Base64Escape(file_contents), "\n");
  }
  for (const std::string& word : args.positional) {
    absl::StrAppend(&text, "p ", absl::Base64Escape(word), "\n");
  }
  for (const char* flag : kQueuedCommandFlags) {
    if (args.Has(flag))
      absl::StrAppend(&text, "f ", flag, " ", absl::Base64Escape(args.Get(flag)), "\n");
  }
  return text;
}

// A queued command: its Args, with the push's own settings beside them,
// and the file it reads, if it reads one.
struct QueuedCommand {
  Args args;
  std::string file_contents;
  std::string file_extension;
};

absl::StatusOr<QueuedCommand> DecodeCommand(const std::string& text, const Args& push) {
  QueuedCommand command;
  Args& args = command.args;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    std::vector<std::string> parts = absl::StrSplit(line, ' ');
    std::string value;
    if (parts.size() == 2 && parts[0] == "x" && absl::Base64Unescape(parts[1], &value)) {
      command.file_extension = std::move(value);
    } else if (parts.size() == 2 && parts[0] == "c" && absl::Base64Unescape(parts[1], &value)) {
      command.file_contents = std::move(value);
    } else if (parts.size() == 2 && parts[0] == "p" && absl::Base64Unescape(parts[1], &value)) {
      args.positional.push_back(std::move(value));
    } else if (parts.size() == 3 && parts[0] == "f" && absl::Base64Unescape(parts[2], &value)) {
      args.flags[parts[1]] = std::move(value);
      args.flag_order.push_back(parts[1]);
    } else {
      return LocalError("a queued command is malformed");
    }
  }
  for (const char* flag : {"key-dir", "passphrase-file", "trust-new-keys"}) {
    if (push.Has(flag)) args.flags[flag] = push.Get(flag);
  }
  return command;
}

// Runs the queued command `item` holds, as its own command would have.
absl::Status RunQueuedCommand(RpcClient& rpc, const Args& push, const Outbox& outbox,
                              const OutboxItem& item, absl::Duration timeout) {
  MPOWER_ASSIGN_OR_RETURN(QueuedCommand command, DecodeCommand(item.request, push));
  const std::string words = item.method.substr(kQueuedCommand.size());
  if (words == "alerts share") return RunAlertsShare(rpc, command.args, "table", timeout);
  if (words == "alerts reseal") return RunAlertsReseal(rpc, command.args, "table", timeout);
  if (words == "keys generate") return RunKeysGenerate(rpc, command.args, "table", timeout);
  if (words == "commitments sync") {
    // The file as it was when queued, owner-only beside the outbox while
    // the sync reads it.
    const std::string path = (std::filesystem::path(outbox.directory()) /
                              absl::StrCat("sync-", item.id, command.file_extension))
                                 .string();
    ::unlink(path.c_str());
    absl::Status written = CreateSyncedFile(path, command.file_contents);
    if (!written.ok()) return LocalError(written.message());
    command.args.flags["file"] = path;
    absl::Status synced = SyncCommitmentsCommand(rpc, command.args, "table", timeout);
    ::unlink(path.c_str());
    return synced;
  }
  return LocalError(
      absl::StrCat("outbox item ", item.id, " runs ", words, ", which this mpower cannot run"));
}
constexpr char kUpdateAlert[] = "/mpower.v1.AlertService/UpdateAlert";

// The outbox `args` name; with `unlocked`, under its passphrase if given
// (deriving its key costs a moment and 256 MiB, so not for what only
// counts items).
absl::StatusOr<Outbox> OpenOutbox(const Args& args, bool unlocked = true) {
  MPOWER_ASSIGN_OR_RETURN(const std::string directory, OutboxDirectory(args.Get("outbox")));
  MPOWER_ASSIGN_OR_RETURN(const std::string keys, KeyDirectory(args));
  MPOWER_ASSIGN_OR_RETURN(Outbox outbox, Outbox::Open(directory, keys));
  if (!unlocked) return outbox;
  // Under a passphrase: the first line of --outbox-passphrase-file or of
  // the file MPOWER_OUTBOX_PASSPHRASE_FILE names.
  std::string file = args.Get("outbox-passphrase-file");
  if (const char* from_env = std::getenv("MPOWER_OUTBOX_PASSPHRASE_FILE");
      file.empty() && from_env != nullptr) {
    file = from_env;
  }
  if (!file.empty()) {
    std::ifstream in(file);
    std::string passphrase;
    if (!in || !std::getline(in, passphrase)) {
      return LocalError(absl::StrCat("cannot read the outbox's passphrase file ", file));
    }
    if (!passphrase.empty() && passphrase.back() == '\r') passphrase.pop_back();
    if (passphrase.empty()) return UsageError("--outbox-passphrase-file: its first line is empty");
    absl::Status used = outbox.UsePassphrase(passphrase);
    sodium_memzero(passphrase.data(), passphrase.size());
    MPOWER_RETURN_IF_ERROR(used);
  }
  return outbox;
}

std::string Time(absl::Time time) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%SZ", time, absl::UTCTimeZone());
}

// The method `path` ("/mpower.v1.AlertService/CreateAlert") names.
const google::protobuf::MethodDescriptor* FindMethod(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (path.empty() || path[0] != '/' || slash == 0 || slash == std::string::npos) return nullptr;
  const auto* service = google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
      path.substr(1, slash - 1));
  return service == nullptr ? nullptr : service->FindMethodByName(path.substr(slash + 1));
}

std::unique_ptr<Message> NewMessage(const google::protobuf::Descriptor* type) {
  return std::unique_ptr<Message>(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(type)->New());
}

// A string field of `message`, "" when it has none of that name.
std::string StringField(const Message& message, const std::string& field) {
  const auto* descriptor = message.GetDescriptor()->FindFieldByName(field);
  if (descriptor == nullptr ||
      descriptor->type() != google::protobuf::FieldDescriptor::TYPE_STRING ||
      descriptor->is_repeated()) {
    return "";
  }
  return message.GetReflection()->GetString(message, descriptor);
}

// The resource a write's response carries, if it carries one.
const Message* ResourceIn(const Message& response, const OutboxItem& item) {
  const ResourceSpec* spec = FindResource(item.plural);
  if (spec == nullptr) return nullptr;
  const auto* field = response.GetDescriptor()->FindFieldByName(spec->field);
  if (field == nullptr || field->type() != google::protobuf::FieldDescriptor::TYPE_MESSAGE) {
    return nullptr;
  }
  return &response.GetReflection()->GetMessage(response, field);
}

// Seals an alert's details queued in the clear (the server could not be
// reached to fetch the keys when they were queued), as they would have
// been sealed then. Whatever it decides (sealed, or to go in the clear
// since no key of an entitled partner exists) is saved before the item is
// first sent: a push cut short sends the same bytes again, and what it
// says of them stays true.
absl::Status SealBeforeSending(RpcClient& rpc, const Args& args, Outbox& outbox, OutboxItem& item) {
  if (item.sealing_settled) return absl::OkStatus();
  if (item.method == kCreateAlert) {
    v1::CreateAlertRequest request;
    if (!request.ParseFromString(item.request)) {
      return LocalError(absl::StrCat("outbox item ", item.id, " holds no CreateAlertRequest"));
    }
    bool opened_to_seal_again = false;
    if (request.alert().protected_details().has_sealed()) {
      // Sealed as it was queued, perhaps offline to the keys last known:
      // sealed again here if the keys entitled have changed since.
      v1::Alert alert = request.alert();
      alert.set_name(MakeName("", kAlertName, request.alert_id()));
      MPOWER_ASSIGN_OR_RETURN(const bool current, SealedToEveryKeyEntitledNow(rpc, args, alert));
      if (!current) {
        MPOWER_ASSIGN_OR_RETURN(const std::string opened, OpenDetails(rpc, args, alert));
        if (!HasClearDetails(alert)) {
          return LocalError(absl::StrCat("the keys entitled to ", item.id,
                                         "'s details changed since it was queued, and they "
                                         "cannot be opened here to seal them again: ",
                                         opened));
        }
        std::cerr << "the keys entitled to the details of " << item.id
                  << " changed since it was queued: sealing them again\n";
        *request.mutable_alert()->mutable_protected_details() = alert.protected_details();
        opened_to_seal_again = true;
      }
    }
    if (!request.alert().has_protected_details()) return absl::OkStatus();
    if (!HasClearDetails(request.alert())) {
      item.sealing_settled = true;
      item.request = request.SerializeAsString();
      return outbox.Save(item);
    }
    std::string why_not;
    MPOWER_ASSIGN_OR_RETURN(std::optional<SealingPlan> plan,
                            PlanSealing(rpc, args, request.alert(), Signer::kFiler, why_not));
    if (!plan.has_value() && opened_to_seal_again) {
      // Queued sealed: never sent in the clear.
      return absl::FailedPreconditionError(absl::StrCat(
          "its details were sealed when queued and cannot be sealed again now: ", why_not,
          "; nothing was sent"));
    }
    if (!plan.has_value()) {
      std::cerr << "mpower: protected details of " << item.id
                << " sent unsealed, readable by the server: " << why_not << "\n";
    } else {
      MPOWER_ASSIGN_OR_RETURN(v1::SealedEnvelope envelope,
                              SealDetails(args, *plan, MakeName("", kAlertName, request.alert_id()),
                                          request.alert().protected_details()));
      request.mutable_alert()->clear_protected_details();
      *request.mutable_alert()->mutable_protected_details()->mutable_sealed() = std::move(envelope);
      std::cerr << "protected details of " << item.id << " sealed here to "
                << plan->recipients.size() << " keys of " << plan->partners
                << "; the server cannot read them\n";
      item.request = request.SerializeAsString();
    }
  } else if (item.method == kUpdateAlert) {
    v1::UpdateAlertRequest request;
    if (!request.ParseFromString(item.request)) {
      return LocalError(absl::StrCat("outbox item ", item.id, " holds no UpdateAlertRequest"));
    }
    if (!HasClearDetails(request.alert())) return absl::OkStatus();
    MPOWER_RETURN_IF_ERROR(
        SealUpdatedAlertDetails(rpc, args, *request.mutable_alert(), request.update_mask()));
    item.request = request.SerializeAsString();
  } else {
    return absl::OkStatus();
  }
  item.sealing_settled = true;
  return outbox.Save(item);
}

// The resource `item` updates, as the server has it now.
absl::StatusOr<std::unique_ptr<Message>> CurrentResource(RpcClient& rpc, const OutboxItem& item) {
  const ResourceSpec* spec = FindResource(item.plural);
  const auto* get = spec == nullptr
                        ? nullptr
                        : spec->service()->FindMethodByName(absl::StrCat("Get", spec->type));
  if (get == nullptr) {
    return LocalError(
        absl::StrCat("outbox item ", item.id, ": ", item.plural, " cannot be read again"));
  }
  std::unique_ptr<Message> request = NewMessage(get->input_type());
  request->GetReflection()->SetString(request.get(),
                                      request->GetDescriptor()->FindFieldByName("name"), item.name);
  std::unique_ptr<Message> response = NewMessage(get->output_type());
  const grpc::Status status =
      rpc.Call(absl::StrCat("/", get->service()->full_name(), "/", get->name()), *request,
               response.get(), /*idempotent=*/true);
  if (!status.ok()) return RpcError(status);
  return response;
}

// What a failed send means for the item.
enum class Failure {
  // The server did not take it, and may later: it stays queued and the
  // push stops (UNAVAILABLE, RESOURCE_EXHAUSTED, CANCELLED, and
  // UNAUTHENTICATED, which a new token mends).
  kNotYet,
  // It may have been applied (no answer in time, or a broken one): a write
  // with a request_id stays queued, since sending it again is harmless;
  // any other is marked unknown, for a person to check, and the push stops.
  kOutcomeUnknown,
  // The server refused it: it is kept as rejected, with the reason.
  kRefused,
};

Failure Classify(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
    case grpc::StatusCode::CANCELLED:
    case grpc::StatusCode::UNAUTHENTICATED:
      return Failure::kNotYet;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::INTERNAL:
    case grpc::StatusCode::UNKNOWN:
      return Failure::kOutcomeUnknown;
    default:
      return Failure::kRefused;
  }
}

// The error that stops a push at `item`.
absl::Status Stopped(const absl::Status& cause, const OutboxItem& item, int sent,
                     absl::string_view what_now) {
  absl::Status stopped(cause.code(), absl::StrCat(cause.message(), "\nstopped at ", item.id,
                                                  " after ", sent, " sent; ", what_now));
  // The cause's kind too, so the exit code is the call's (64 + its code).
  cause.ForEachPayload(
      [&](absl::string_view url, const absl::Cord& payload) { stopped.SetPayload(url, payload); });
  return stopped;
}

absl::Status Push(RpcClient& rpc, const Args& args, Outbox& outbox, absl::Duration timeout) {
  // A push cut short after a receipt and before the item went finishes
  // here: the receipt says it was delivered.
  MPOWER_RETURN_IF_ERROR(outbox.FinishInterrupted());
  MPOWER_ASSIGN_OR_RETURN(std::vector<OutboxItem> items, outbox.Items());
  if (items.empty()) {
    std::cout << "the outbox is empty\n";
    return absl::OkStatus();
  }
  // The names whose queued create did not happen, and why: what needs them
  // is held back.
  std::map<std::string, std::string> missing;
  int sent = 0, refused = 0;
  for (OutboxItem& item : items) {
    const bool creates = item.verb == "create" && !item.name.empty();
    if (item.state == "sending") {
      // A push was cut short while this was on its way, and it has no
      // request_id to make sending it again harmless.
      item.state = "unknown";
      item.message = absl::StrCat(
          "a push was cut short while it was on its way: it may have been applied; check, then "
          "mpower outbox retry ",
          item.id, " to send it again, or drop it");
      MPOWER_RETURN_IF_ERROR(outbox.Save(item));
    }
    if (item.state == "rejected" || item.state == "unknown") {
      ++refused;
      if (creates) {
        missing[item.name] = absl::StrCat("whose queued create ", item.id, " is ", item.state);
      }
      std::cout << item.state << " " << item.id << ": " << item.verb << " " << item.name
                << " (mpower outbox list says why)\n";
      continue;
    }
    // What it needs: its parent, for a create; the resource it changes,
    // for anything else.
    const std::string& needs = creates ? item.needs : item.name;
    if (auto found = missing.find(needs); !needs.empty() && found != missing.end()) {
      item.state = "held";
      item.code = 0;
      item.message = absl::StrCat("held back: it needs ", needs, ", ", found->second);
      MPOWER_RETURN_IF_ERROR(outbox.Save(item));
      std::cout << "held " << item.id << ": " << item.verb << " " << item.name << ": "
                << item.message << "\n";
      ++refused;
      if (creates) missing[item.name] = absl::StrCat("whose queued create ", item.id, " is held");
      continue;
    }
    if (item.state == "held") {  // what held it back is gone: it may go
      item.state = "queued";
      item.message.clear();
    }
    if (absl::StartsWith(item.method, kQueuedCommand)) {
      // Run as it would have been: a share or reseal reads the alert and
      // seals as it goes, a sync compares with what the server holds, so
      // run again after a cut they do nothing twice. A key generated twice
      // would be two keys: it is sent at most once, as a write without a
      // request_id is.
      const bool repeatable = item.verb != "generate";
      if (!repeatable) {
        item.state = "sending";
        MPOWER_RETURN_IF_ERROR(outbox.Save(item));
      }
      const absl::Status ran = RunQueuedCommand(rpc, args, outbox, item, timeout);
      if (ran.ok()) {
        MPOWER_RETURN_IF_ERROR(
            outbox.AddReceipt({absl::Now(), item.id, item.method, item.name, ""}));
        MPOWER_RETURN_IF_ERROR(outbox.Remove(item.id));
        std::cout << "sent " << item.id << ": " << item.plural << " " << item.verb << " "
                  << item.name << "\n";
        ++sent;
        continue;
      }
      if (ExitCode(ran) >= kExitRpcBase) {
        const Failure failure = Classify(static_cast<grpc::StatusCode>(ran.code()));
        if (failure == Failure::kNotYet || (failure == Failure::kOutcomeUnknown && repeatable)) {
          if (!repeatable) {
            item.state = "queued";
            MPOWER_RETURN_IF_ERROR(outbox.Save(item));
          }
          return Stopped(ran, item, sent, "what is left stays queued: push again later");
        }
        if (failure == Failure::kOutcomeUnknown) {
          item.state = "unknown";
          item.message = absl::StrCat(ran.message(),
                                      "; it may have been applied: check, then "
                                      "mpower outbox retry ",
                                      item.id, ", or drop it");
          MPOWER_RETURN_IF_ERROR(outbox.Save(item));
          return Stopped(ran, item, sent,
                         "it may have been applied, so it is marked unknown for you to check");
        }
      }
      item.state = "rejected";
      item.code = static_cast<int>(ran.code());
      item.message = std::string(ran.message());
      MPOWER_RETURN_IF_ERROR(outbox.Save(item));
      std::cout << "rejected " << item.id << ": " << item.plural << " " << item.verb << " "
                << item.name << ": " << item.message << "\n";
      ++refused;
      continue;
    }
    const google::protobuf::MethodDescriptor* method = FindMethod(item.method);
    if (method == nullptr) {
      return LocalError(absl::StrCat("outbox item ", item.id, " calls ", item.method,
                                     ", which this mpower does not know"));
    }
    if (absl::Status sealed = SealBeforeSending(rpc, args, outbox, item); !sealed.ok()) {
      if (absl::IsUnavailable(sealed) || absl::IsDeadlineExceeded(sealed) ||
          absl::IsUnauthenticated(sealed) || absl::IsResourceExhausted(sealed)) {
        return Stopped(sealed, item, sent, "what is left stays queued: push again later");
      }
      // This one item cannot be sealed (its alert is gone, a key changed
      // and waits to be accepted): it waits, and the rest go.
      item.state = "rejected";
      item.code = static_cast<int>(sealed.code());
      item.message = absl::StrCat("its protected details could not be sealed: ", sealed.message());
      MPOWER_RETURN_IF_ERROR(outbox.Save(item));
      std::cout << "rejected " << item.id << ": " << item.verb << " " << item.name << ": "
                << item.message << "\n";
      ++refused;
      if (creates) {
        missing[item.name] = absl::StrCat("whose queued create ", item.id, " was rejected");
      }
      continue;
    }
    std::unique_ptr<Message> request = NewMessage(method->input_type());
    if (!request->ParseFromString(item.request)) {
      return LocalError(
          absl::StrCat("outbox item ", item.id, " holds no ", method->input_type()->name()));
    }
    std::unique_ptr<Message> response = NewMessage(method->output_type());
    // A request_id makes a repeat harmless: the server answers it with the
    // first result. Anything else is sent at most once: marked as on its
    // way first, so that a push cut short leaves it for a person to check.
    const bool idempotent = !StringField(*request, "request_id").empty();
    if (!idempotent) {
      item.state = "sending";
      MPOWER_RETURN_IF_ERROR(outbox.Save(item));
    }
    const grpc::Status status = rpc.Call(item.method, *request, response.get(), idempotent);
    if (status.ok()) {
      OutboxReceipt receipt{absl::Now(), item.id, item.method, item.name, ""};
      if (const Message* resource = ResourceIn(*response, item)) {
        if (const std::string name = StringField(*resource, "name"); !name.empty()) {
          receipt.name = name;
        }
        receipt.etag = StringField(*resource, "etag");
      }
      MPOWER_RETURN_IF_ERROR(outbox.AddReceipt(receipt));
      MPOWER_RETURN_IF_ERROR(outbox.Remove(item.id));
      std::cout << "sent " << item.id << ": " << item.verb << " " << receipt.name
                << (receipt.etag.empty() ? "" : absl::StrCat(" (etag ", receipt.etag, ")")) << "\n";
      ++sent;
      continue;
    }
    const Failure failure = Classify(status.error_code());
    if (failure == Failure::kNotYet || (failure == Failure::kOutcomeUnknown && idempotent)) {
      if (!idempotent) {
        item.state = "queued";
        MPOWER_RETURN_IF_ERROR(outbox.Save(item));
      }
      return Stopped(RpcError(status), item, sent, "what is left stays queued: push again later");
    }
    if (failure == Failure::kOutcomeUnknown) {
      item.state = "unknown";
      item.code = static_cast<int>(status.error_code());
      item.message = absl::StrCat(status.error_message(),
                                  "; it may have been applied: check, then mpower outbox retry ",
                                  item.id, " to send it again, or drop it");
      MPOWER_RETURN_IF_ERROR(outbox.Save(item));
      return Stopped(RpcError(status), item, sent,
                     "it may have been applied, so it is marked unknown for you to check");
    }
    item.state = "rejected";
    item.code = static_cast<int>(status.error_code());
    item.message = status.error_message();
    if (status.error_code() == grpc::StatusCode::ABORTED && item.verb == "update") {
      // Kept, never overwritten: the person decides, knowing what it is now.
      absl::StatusOr<std::unique_ptr<Message>> current = CurrentResource(rpc, item);
      const Message* resource = current.ok() ? ResourceIn(**current, item) : nullptr;
      if (resource != nullptr) {
        absl::StrAppend(&item.message, "; it is now at etag ", StringField(*resource, "etag"),
                        ": mpower outbox retry ", item.id,
                        " --rebase applies this change on top of that, or drop it");
      }
    }
    MPOWER_RETURN_IF_ERROR(outbox.Save(item));
    std::cout << "rejected " << item.id << ": " << item.verb << " " << item.name << ": "
              << CodeName(status.error_code()) << ": " << item.message << "\n";
    ++refused;
    if (creates)
      missing[item.name] = absl::StrCat("whose queued create ", item.id, " was rejected");
  }
  if (refused > 0) {
    return LocalError(absl::StrCat(sent, " sent, ", refused,
                                   " rejected or held back: mpower outbox list shows why; mpower "
                                   "outbox drop ID removes one"));
  }
  std::cout << sent << " sent; the outbox is empty\n";
  return absl::OkStatus();
}

// "create" for ".../CreateAlert": the verb of a receipt's method.
std::string VerbOf(const std::string& method) {
  // A queued command's: its last word ("mpower:alerts share").
  if (absl::StartsWith(method, kQueuedCommand)) return method.substr(method.rfind(' ') + 1);
  std::string verb = method.substr(method.rfind('/') + 1);
  size_t end = 1;
  while (end < verb.size() && !absl::ascii_isupper(verb[end])) ++end;
  verb.resize(end);
  verb[0] = absl::ascii_tolower(verb[0]);
  return verb;
}

absl::Status List(const Args& args, Outbox& outbox) {
  absl::Duration since = absl::InfiniteDuration();
  if (args.Has("since") && !absl::ParseDuration(args.Get("since"), &since)) {
    return UsageError("--since: expected a duration such as 24h or 30m");
  }
  const absl::Time from =
      since == absl::InfiniteDuration() ? absl::InfinitePast() : absl::Now() - since;
  // One row each: what was sent (since `from`), then what waits.
  struct Row {
    std::string id, state, verb, name, when, note;
  };
  std::vector<Row> rows;
  MPOWER_ASSIGN_OR_RETURN(std::vector<OutboxReceipt> receipts, outbox.Receipts());
  for (const OutboxReceipt& receipt : receipts) {
    if (receipt.sent < from) continue;
    rows.push_back({receipt.id, "sent", VerbOf(receipt.method), receipt.name, Time(receipt.sent),
                    receipt.etag.empty() ? "" : absl::StrCat("etag ", receipt.etag)});
  }
  MPOWER_ASSIGN_OR_RETURN(std::vector<std::string> ids, outbox.Ids());
  for (const std::string& id : ids) {
    absl::StatusOr<OutboxItem> item = outbox.Item(id);
    if (!item.ok()) {
      rows.push_back({id, "unreadable", "", "", "", std::string(item.status().message())});
      continue;
    }
    std::string note = item->message;
    if (item->state == "rejected") {
      note = absl::StrCat(CodeName(static_cast<grpc::StatusCode>(item->code)), ": ", note);
    }
    rows.push_back({id, item->state, item->verb, item->name, Time(item->queued), note});
  }
  if (rows.empty()) {
    std::cout << "the outbox is empty, and nothing was sent from it"
              << (args.Has("since") ? " since then" : "") << "\n";
    return absl::OkStatus();
  }
  size_t name_width = 4;
  for (const Row& row : rows) name_width = std::max(name_width, row.name.size());
  std::cout << absl::StrFormat("%-9s %-8s %-8s %-*s %s\n", "ID", "STATE", "VERB", name_width,
                               "NAME", "WHEN");
  for (const Row& row : rows) {
    std::cout << absl::StrFormat("%-9s %-8s %-8s %-*s %s\n", row.id, row.state, row.verb,
                                 name_width, row.name, row.when);
    // Why it waits, or what it became: a line of its own, as it may be long.
    if (!row.note.empty()) std::cout << "    " << row.note << "\n";
  }
  return absl::OkStatus();
}

// The item id `mpower outbox VERB ID` names: digits, as listed ("00000003"),
// or without the leading zeros ("3").
absl::StatusOr<std::string> ItemIdArgument(const Args& args, absl::string_view verb) {
  int64_t sequence = 0;
  if (args.positional.size() != 3 || args.positional[2].size() > 8 ||
      !absl::c_all_of(args.positional[2], absl::ascii_isdigit) ||
      !absl::SimpleAtoi(args.positional[2], &sequence)) {
    return UsageError(absl::StrCat(
        "give the item's id as mpower outbox list shows it: mpower outbox ", verb, " 00000003"));
  }
  return absl::StrFormat("%08d", sequence);
}

absl::Status Show(const Args& args, Outbox& outbox) {
  MPOWER_ASSIGN_OR_RETURN(const std::string id, ItemIdArgument(args, "show"));
  MPOWER_ASSIGN_OR_RETURN(const OutboxItem item, outbox.Item(id));
  std::cout << "id: " << item.id << "\nstate: " << item.state << "\n";
  if (!item.message.empty()) {
    std::cout << "why: "
              << (item.state == "rejected"
                      ? absl::StrCat(CodeName(static_cast<grpc::StatusCode>(item.code)), ": ")
                      : "")
              << item.message << "\n";
  }
  std::cout << "queued: " << Time(item.queued) << "\ncall: " << item.method << "\n"
            << "writes: " << item.name << "\n";
  if (!item.needs.empty()) std::cout << "needs: " << item.needs << "\n";
  if (const google::protobuf::MethodDescriptor* method = FindMethod(item.method)) {
    std::unique_ptr<Message> request = NewMessage(method->input_type());
    if (request->ParseFromString(item.request)) std::cout << "request:\n" << ToJson(*request);
  }
  return absl::OkStatus();
}

absl::Status Drop(const Args& args, Outbox& outbox) {
  MPOWER_ASSIGN_OR_RETURN(const std::string id, ItemIdArgument(args, "drop"));
  MPOWER_ASSIGN_OR_RETURN(const std::vector<std::string> ids, outbox.Ids());
  if (!absl::c_linear_search(ids, id)) {
    return absl::NotFoundError(absl::StrCat("no item ", id, " in ", outbox.directory()));
  }
  MPOWER_RETURN_IF_ERROR(outbox.Remove(id));
  std::cout << id << " dropped: it will not be sent, and its key is gone\n";
  return absl::OkStatus();
}

// Queues a rejected or held item again; with --rebase, an update refused
// for a stale etag is given the resource's etag now, so that pushing it
// applies the same change on top of what is there.
absl::Status Retry(RpcClient& rpc, const Args& args, Outbox& outbox) {
  MPOWER_ASSIGN_OR_RETURN(const std::string id, ItemIdArgument(args, "retry"));
  MPOWER_ASSIGN_OR_RETURN(OutboxItem item, outbox.Item(id));
  if (item.state == "queued") {
    std::cout << id << " is queued already: mpower outbox push sends it\n";
    return absl::OkStatus();
  }
  if (args.Has("rebase")) {
    if (item.verb != "update") {
      return UsageError(absl::StrCat("--rebase: ", id, " is a ", item.verb,
                                     ", and only an update is applied on top of a newer version"));
    }
    const google::protobuf::MethodDescriptor* method = FindMethod(item.method);
    std::unique_ptr<Message> request =
        method == nullptr ? nullptr : NewMessage(method->input_type());
    const ResourceSpec* spec = FindResource(item.plural);
    if (request == nullptr || spec == nullptr || !request->ParseFromString(item.request)) {
      return LocalError(absl::StrCat("outbox item ", id, " cannot be read as an update"));
    }
    MPOWER_ASSIGN_OR_RETURN(std::unique_ptr<Message> current, CurrentResource(rpc, item));
    const Message* resource = ResourceIn(*current, item);
    const auto* patch_field = request->GetDescriptor()->FindFieldByName(spec->field);
    if (resource == nullptr || patch_field == nullptr) {
      return LocalError(absl::StrCat("outbox item ", id, " cannot be rebased"));
    }
    Message* patch = request->GetReflection()->MutableMessage(request.get(), patch_field);
    const std::string etag = StringField(*resource, "etag");
    patch->GetReflection()->SetString(patch, patch->GetDescriptor()->FindFieldByName("etag"), etag);
    item.request = request->SerializeAsString();
    std::cout << id << " rebased on " << item.name << " at etag " << etag << "\n";
  }
  item.state = "queued";
  item.code = 0;
  item.message.clear();
  MPOWER_RETURN_IF_ERROR(outbox.Save(item));
  std::cout << id << " queued again: mpower outbox push sends it\n";
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<QueueMode> ResolveQueueMode(const Args& args) {
  if (args.Has("queue")) return QueueMode::kAlways;
  const char* value = std::getenv("MPOWER_QUEUE");
  const std::string mode = value == nullptr ? "" : value;
  if (mode.empty() || mode == "never") return QueueMode::kNever;
  if (mode == "auto") return QueueMode::kWhenUnreachable;
  if (mode == "always") return QueueMode::kAlways;
  return UsageError("MPOWER_QUEUE must be auto, always or never");
}

bool QueueAfter(QueueMode mode, const grpc::Status& status) {
  return mode == QueueMode::kWhenUnreachable &&
         (status.error_code() == grpc::StatusCode::UNAVAILABLE ||
          status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED);
}

absl::StatusOr<int> WaitingInOutbox(const Args& args) {
  MPOWER_ASSIGN_OR_RETURN(Outbox outbox, OpenOutbox(args, /*unlocked=*/false));
  MPOWER_ASSIGN_OR_RETURN(const std::vector<std::string> ids, outbox.Ids());
  return static_cast<int>(ids.size());
}

bool IsQueueableCommand(const std::vector<std::string>& words) {
  if (words.size() != 2) return false;
  return (words[0] == "alerts" && (words[1] == "share" || words[1] == "reseal")) ||
         (words[0] == "commitments" && words[1] == "sync") ||
         (words[0] == "keys" && words[1] == "generate");
}

absl::Status QueueCommand(const Args& args) {
  OutboxItem item;
  item.method = absl::StrCat(kQueuedCommand, args.positional[0], " ", args.positional[1]);
  item.plural = args.positional[0];
  item.verb = args.positional[1];
  if (item.plural == "alerts") {
    if (args.positional.size() != 3) {
      return UsageError(absl::StrCat("give the alert's name: mpower alerts ", item.verb, " NAME"));
    }
    item.name = args.positional[2];
    item.request = EncodeCommand(args);
  } else if (item.plural == "keys") {
    if (!args.Has("parent")) return UsageError("--parent is required: the partner the key is of");
    item.name = args.Get("parent");
    if (args.positional.size() >= 3) {
      absl::StrAppend(&item.name, "/encryptionKeys/", args.positional[2]);
    }
    item.needs = args.Get("parent");
    item.request = EncodeCommand(args);
  } else {
    if (args.Has("dry-run")) return UsageError("--dry-run writes nothing to queue");
    if (!args.Has("parent") || !args.Has("file")) {
      return UsageError("mpower commitments sync needs --parent partners/P and -f FILE");
    }
    // The file as it is now: a sync queued is the sync of this file.
    std::ifstream in(args.Get("file"), std::ios::binary);
    if (!in) return LocalError(absl::StrCat("cannot read ", args.Get("file")));
    const std::string contents((std::istreambuf_iterator<char>(in)), {});
    item.name = args.Get("parent");
    item.request =
        EncodeCommand(args, contents, std::filesystem::path(args.Get("file")).extension().string());
  }
  return QueueWrite(args, std::move(item));
}

absl::StatusOr<bool> OutboxWritesTo(const Args& args, const std::string& name) {
  MPOWER_ASSIGN_OR_RETURN(Outbox outbox, OpenOutbox(args));
  MPOWER_ASSIGN_OR_RETURN(const std::vector<OutboxItem> items, outbox.Items());
  return absl::c_any_of(
      items, [&](const OutboxItem& item) { return item.name == name || item.needs == name; });
}

absl::Status QueueWrite(const Args& args, OutboxItem item) {
  MPOWER_ASSIGN_OR_RETURN(Outbox outbox, OpenOutbox(args));
  MPOWER_ASSIGN_OR_RETURN(OutboxLock lock, outbox.Lock(/*wait=*/true));
  MPOWER_RETURN_IF_ERROR(outbox.FinishInterrupted());
  item.queued = absl::Now();
  const std::string what = absl::StrCat(item.verb, " ", item.name);
  MPOWER_ASSIGN_OR_RETURN(const std::string id, outbox.Add(std::move(item)));
  std::cout << "queued " << id << ": " << what << "\n"
            << "not sent yet: mpower outbox push sends it, mpower outbox list shows the queue\n";
  return absl::OkStatus();
}

absl::Status RunOutbox(RpcClient& rpc, const Args& args, const std::string&,
                       absl::Duration timeout) {
  const std::string verb = args.positional.size() >= 2 ? args.positional[1] : "";
  if (verb != "list" && verb != "show" && verb != "drop" && verb != "push" && verb != "retry") {
    return UsageError(
        absl::StrCat("unknown verb '", verb, "' for outbox; run mpower outbox --help"));
  }
  MPOWER_ASSIGN_OR_RETURN(Outbox outbox, OpenOutbox(args));
  if (verb == "list") return List(args, outbox);
  if (verb == "show") return Show(args, outbox);
  // Changing the queue: one mpower at a time.
  MPOWER_ASSIGN_OR_RETURN(OutboxLock lock, outbox.Lock(/*wait=*/false));
  if (verb == "drop") return Drop(args, outbox);
  if (verb == "retry") return Retry(rpc, args, outbox);
  return Push(rpc, args, outbox, timeout);
}

std::string OutboxHelp() {
  return "mpower outbox list [--since DURATION] | show ID | drop ID | push | retry ID "
         "[--rebase]\n\n"
         "Writes queued on this machine, to send when the server can be reached. Any\n"
         "create, update, delete or other write, alerts share and reseal, commitments\n"
         "sync and keys generate take --queue, which queues it instead of sending it;\n"
         "MPOWER_QUEUE=auto sends as usual and queues a write the server could not be\n"
         "reached for (UNAVAILABLE, DEADLINE_EXCEEDED), or that would go ahead of writes\n"
         "waiting. A queued write\n"
         "keeps what was fixed when it was queued: its request_id, the name a create\n"
         "gives, an update's etag (--etag's, or the resource's then if the server could be\n"
         "asked). Protected details are sealed before they are queued: to the server's\n"
         "keys, or offline to those this machine last fetched (checked again at the\n"
         "push); else when pushed.\n\n"
         "  list    what is queued, rejected or held back, and the receipts of what was\n"
         "          sent (--since 24h: only those sent since)\n"
         "  show    one item, with the request it will send\n"
         "  drop    removes an item, and its key, for good\n"
         "  push    sends what is queued, in the order it was queued: a create exactly\n"
         "          once, any other write at most once (one whose outcome is unknown is\n"
         "          marked so, for you to check); stops at the first the server cannot\n"
         "          take yet; one the server refuses stays, rejected, with its reason,\n"
         "          and what needs it is held back\n"
         "  retry   queues a rejected, held or unknown item again; --rebase gives an\n"
         "          update refused for a stale etag (ABORTED) the resource's etag now, so\n"
         "          that pushing it applies the same change on top of what is there\n\n"
         "Where:\n"
         "  --outbox DIR   MPOWER_OUTBOX   default ~/.local/share/mpower/outbox, owner-only.\n"
         "                 Each item is encrypted under a key of its own, kept in the key\n"
         "                 directory (--key-dir), apart from the outbox: keep that safe.\n"
         "  --outbox-passphrase-file F   MPOWER_OUTBOX_PASSPHRASE_FILE   locks the items'\n"
         "                 keys under the passphrase on F's first line too (Argon2id), so\n"
         "                 that a machine taken whole gives up nothing without it.\n\n"
         "Examples:\n"
         "  mpower responses create --parent alerts/example-detention-west-kalimantan "
         "--responding-partner partners/ilo --action ACKNOWLEDGED --note 'Seen' --queue\n"
         "  mpower outbox list\n"
         "  mpower outbox push\n"
         "  mpower outbox list --since 24h\n";
}

}  // namespace mpower::cli
