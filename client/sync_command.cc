#include "client/sync_command.h"

#include <unistd.h>

#include <fstream>
#include <iostream>
#include <iterator>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "client/command_status.h"
#include "client/sync_file.h"
#include "google/protobuf/util/json_util.h"
#include "mpower/v1/commitment.grpc.pb.h"

namespace mpower::cli {
namespace {

constexpr int kChunk = 1000;

std::string Where(const std::vector<SyncItem>& items, int index) {
  if (index < 0 || index >= static_cast<int>(items.size())) return "";
  return items[index].line > 0 ? absl::StrCat("line ", items[index].line)
                               : absl::StrCat("item ", index);
}

}  // namespace

absl::Status SyncCommitmentsCommand(RpcClient& rpc, const Args& args, const std::string& output,
                                    absl::Duration timeout) {
  if (!args.Has("parent") || !args.Has("file")) {
    return UsageError(
        "give --parent partners/P and -f FILE (CSV or JSON); run mpower commitments --help");
  }
  const std::string path = args.Get("file");
  std::string text;
  if (path == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), {});
  } else {
    std::ifstream in(path);
    if (!in) {
      return LocalError(absl::StrCat("cannot read ", path));
    }
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  SyncFile file = ReadSyncFile(path, text);
  if (!file.errors.empty()) {
    for (const std::string& error : file.errors) {
      std::cerr << "mpower: " << path << ": " << error << "\n";
    }
    return LocalError("nothing was sent; fix the rows above and run again");
  }
  const std::vector<SyncItem>& items = file.items;

  grpc::ClientContext context;
  rpc.Authorize(context);
  // A large set takes longer than one ordinary call.
  context.set_deadline(absl::ToChronoTime(absl::Now() + std::max(timeout, absl::Minutes(10))));
  auto stream = v1::CommitmentService::NewStub(rpc.channel())->SyncCommitments(&context);
  const bool progress = isatty(STDERR_FILENO);
  for (size_t i = 0; i < items.size() || i == 0; i += kChunk) {
    v1::SyncCommitmentsRequest chunk;
    chunk.set_parent(args.Get("parent"));
    chunk.set_mirror(args.Has("mirror"));
    chunk.set_validate_only(args.Has("dry-run"));
    if (i == 0) {
      for (const std::string& field : file.fields) chunk.mutable_update_mask()->add_paths(field);
    }
    for (size_t k = i; k < items.size() && k < i + kChunk; ++k) {
      *chunk.add_commitments() = items[k].commitment;
    }
    if (!stream->Write(chunk)) break;
    if (progress) {
      std::cerr << "\rsent " << std::min(items.size(), i + kChunk) << " of " << items.size()
                << " commitments" << std::flush;
    }
  }
  stream->WritesDone();
  if (progress) std::cerr << "\r\033[K" << std::flush;
  v1::SyncCommitmentsResponse all;
  v1::SyncCommitmentsResponse response;
  while (stream->Read(&response)) {
    all.mutable_outcomes()->MergeFrom(response.outcomes());
    if (response.has_summary()) *all.mutable_summary() = response.summary();
  }
  const grpc::Status status = stream->Finish();
  if (!status.ok() && all.outcomes().empty()) {
    return RpcError(status);
  }
  if (output == "json") {
    google::protobuf::util::JsonPrintOptions options;
    options.preserve_proto_field_names = true;
    options.add_whitespace = true;
    std::string printed;
    (void)google::protobuf::util::MessageToJsonString(all, &printed, options);
    std::cout << printed;
  } else {
    const v1::SyncSummary& summary = all.summary();
    std::cout << (summary.applied() ? "applied" : (args.Has("dry-run") ? "dry run" : "not applied"))
              << ": " << summary.created() << " created, " << summary.updated() << " updated, "
              << summary.unchanged() << " unchanged, " << summary.deleted() << " deleted, "
              << summary.invalid() << " invalid";
    if (summary.revision() != 0) std::cout << " (revision " << summary.revision() << ")";
    std::cout << "\n";
    static const char* kKinds[] = {"", "create", "update", "", "delete", "invalid"};
    int shown = 0;
    for (const v1::SyncOutcome& outcome : all.outcomes()) {
      if (outcome.kind() == v1::SyncOutcome::KIND_UNCHANGED) continue;
      if (outcome.kind() != v1::SyncOutcome::KIND_INVALID && ++shown > 50) continue;
      std::cout << "  " << kKinds[outcome.kind()] << "  "
                << (outcome.index() >= 0 ? Where(items, outcome.index()) : "")
                << (outcome.index() >= 0 ? "  " : "") << outcome.external_id() << "  "
                << outcome.name() << "\n";
      for (const auto& violation : outcome.violations()) {
        std::cout << "      " << violation.field() << ": " << violation.description() << "\n";
      }
    }
    if (shown > 50)
      std::cout << "  ... and " << shown - 50 << " more changes (-o json lists all)\n";
  }
  if (!status.ok()) {
    return RpcError(status);
  }
  return absl::OkStatus();
}

}  // namespace mpower::cli
