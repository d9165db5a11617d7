// mpower: the command-line client of mpowerd.
//
//   mpower <resource> <verb> [NAME|ID] [flags]
//
// Every RPC is reached through its proto descriptor, so the CLI follows the
// API as it grows. Exit codes: 0 ok, 1 local error, 2 usage, 64 + the gRPC
// code when the call fails (as grpcurl).

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "client/args.h"
#include "client/command_status.h"
#include "client/config.h"
#include "client/feed_commands.h"
#include "client/render.h"
#include "client/report_commands.h"
#include "client/resource_command.h"
#include "client/resources.h"
#include "client/rpc.h"
#include "client/sync_command.h"
#include "common/client_config_path.h"

namespace mpower::cli {
namespace {

const std::set<std::string> kBooleanFlags = {"help",    "show-deleted", "all",
                                             "dry-run", "mirror",       "include-shareable"};
const std::set<std::string> kFeedFlags = {"dry-run",      "mirror",  "after",     "collections",
                                          "partner",      "country", "countries", "categories",
                                          "min-severity", "for"};
const std::set<std::string> kCommonFlags = {
    "address",          "token",      "tls-ca",      "tls-cert",     "tls-key",
    "timeout",          "output",     "help",        "file",         "filter",
    "page-size",        "page-token", "all",         "show-deleted", "parent",
    "request-id",       "etag",       "update-mask", "reason",       "after-revision",
    "include-shareable"};
const char kDefaultAddress[] = "127.0.0.1:50051";

// A setting from its flag, else its MPOWER_* variable, else the config
// file, else `otherwise` (kubectl's order).
std::string Setting(const Args& args, const std::string& flag, const char* env,
                    const std::map<std::string, std::string>& config,
                    const std::string& otherwise) {
  if (args.Has(flag)) return args.Get(flag);
  if (const char* value = std::getenv(env); value != nullptr && *value != '\0') return value;
  if (auto found = config.find(flag); found != config.end()) return found->second;
  return otherwise;
}

std::string MainHelp() {
  std::string help =
      "mpower: the command-line client of mpowerd.\n\n"
      "Usage:\n  mpower <resource> <verb> [NAME|ID] [flags]\n\n"
      "Resources:\n";
  for (const ResourceSpec& spec : Resources()) {
    absl::StrAppend(&help, "  ", spec.plural, "\n");
  }
  absl::StrAppend(&help, "  changes      (list: the change feed)\n");
  absl::StrAppend(&help,
                  "  report       (commitments, alerts, reconciliation, accountability, export)\n");
  absl::StrAppend(&help, "  country      (brief CC: one country at a glance)\n");
  absl::StrAppend(
      &help,
      "\nVerbs: get, list, create, update, delete, and undelete for commitments and alerts;\n"
      "credentials take create, list and revoke; audit takes list; alerts also watch\n"
      "and purge; subscriptions also test and replay.\n\n"
      "Connection and output (flag, then environment, then the config file, then default):\n"
      "  --address HOST:PORT   MPOWER_ADDRESS   default ",
      kDefaultAddress, "\n",
      "  --token TOKEN         MPOWER_TOKEN     the bearer token the secretariat issued\n"
      "  --tls-ca FILE         MPOWER_TLS_CA    CA of the server's certificate: turns on TLS\n"
      "  --tls-cert FILE       MPOWER_TLS_CERT  client certificate, for mutual TLS\n"
      "  --tls-key FILE        MPOWER_TLS_KEY   its private key\n"
      "  config file           MPOWER_CONFIG    default ~/.config/mpower/config, owner-only;\n"
      "                                         lines `address = ...` and `token = ...`\n",
      "  --timeout DURATION    MPOWER_TIMEOUT   default 10s; every call has this deadline\n"
      "  -o, --output FORMAT   MPOWER_OUTPUT    table (default) or json\n\n"
      "Exit codes: 0 ok, 1 local error, 2 usage, 64 + gRPC code when a call fails.\n\n"
      "Examples:\n"
      "  mpower partners list\n"
      "  mpower commitments list --filter 'contribution_basis = ASSESSED' -o json\n"
      "  mpower alerts get alerts/example-dismissals-honduras\n\n"
      "Run mpower <resource> --help for each resource's verbs and flags.\n");
  return help;
}

std::string ResourceHelp(const ResourceSpec& spec) {
  const auto* service = spec.service();
  const auto has = [&](const std::string& verb) {
    return service->FindMethodByName(verb + spec.type) != nullptr;
  };
  const std::string parent =
      spec.nested() ? absl::StrCat(" --parent ", spec.parent_word, "/ID") : "";
  std::string help =
      absl::StrCat("mpower ", spec.plural, ": manage ", spec.plural, ".\n\nVerbs:\n");
  if (has("Get")) absl::StrAppend(&help, "  get NAME\n");
  absl::StrAppend(&help, "  list [--page-size N] [--page-token T] [--all]",
                  spec.list_method == nullptr ? " [--filter EXPR]" : "",
                  spec.nested() ? absl::StrCat(" [--parent ", spec.parent_word, "/ID|-]") : "",
                  has("Undelete") ? " [--show-deleted]" : "", "\n");
  if (has("Create")) {
    absl::StrAppend(&help, "  create ", spec.list_method == nullptr ? "[ID]" : "ID", parent,
                    " [-f FILE.json] [field flags]\n");
  }
  if (has("Update")) {
    absl::StrAppend(&help,
                    "  update NAME [-f FILE.json] [field flags] [--update-mask a,b] [--etag E]\n");
  }
  if (has("Delete")) absl::StrAppend(&help, "  delete NAME [--etag E]\n");
  if (has("Undelete")) absl::StrAppend(&help, "  undelete NAME [--etag E]\n");
  if (has("Revoke")) absl::StrAppend(&help, "  revoke NAME\n");
  if (has("Purge")) {
    absl::StrAppend(&help,
                    "  purge NAME --reason TEXT [--etag E] [--include-shareable]\n"
                    "      erases the protected details for good, every version and backup\n"
                    "      included; the reason is kept in the clear, so never put in it what\n"
                    "      you are erasing. --include-shareable erases the headline (it\n"
                    "      becomes \"[erased]\"), summary and area of every version too, for\n"
                    "      shareable text that itself points at someone; what was public was\n"
                    "      public, and backups taken while it was keep it\n");
  }
  if (has("Test")) {
    absl::StrAppend(&help,
                    "  test NAME\n"
                    "      sends a signed ping now and shows what the receiver answered\n");
  }
  if (has("Replay")) {
    absl::StrAppend(&help,
                    "  replay NAME --after-revision N\n"
                    "      delivers again every selected change after revision N\n");
  }
  if (has("Sync")) {
    absl::StrAppend(&help,
                    "  sync --parent partners/P -f FILE.csv|FILE.json [--dry-run] [--mirror]\n");
  }
  if (!spec.flags.empty()) absl::StrAppend(&help, "\nField flags (create and update):\n");
  for (const FieldFlag& flag : spec.flags) {
    absl::StrAppend(&help, "  --", flag.flag,
                    std::string(20 - std::min<size_t>(19, strlen(flag.flag)), ' '), flag.help,
                    "\n");
  }
  absl::StrAppend(&help, "\nExamples:\n  mpower ", spec.plural, " list\n");
  if (has("Get")) {
    absl::StrAppend(&help, "  mpower ", spec.plural, " get ", spec.example_name, " -o json\n");
  }
  if (has("Revoke")) {
    absl::StrAppend(&help, "  mpower ", spec.plural,
                    " create ilo-desk --principal ilo-geneva-desk --role partner_editor "
                    "--partner partners/ilo\n");
  }
  return help;
}

// The commands that are not a resource's standard verbs, in the order they
// are matched: their words, their flags beyond the common ones, their help,
// and what runs them. Everything else is `mpower <resource> <verb>`.
struct SpecialCommand {
  // The leading words that select the command.
  std::vector<std::string> words;
  std::set<std::string> flags;
  std::string (*help)();
  // Null for words that only have help (a bare `mpower changes`).
  absl::Status (*run)(RpcClient& rpc, const Args& args, const std::string& output,
                      absl::Duration timeout);
  // Selected by its first word alone, and needing a second to run (report
  // and country take their subcommand themselves).
  bool takes_any_second_word = false;
};

std::string SyncHelp() {
  return "mpower commitments sync --parent partners/P -f FILE [--dry-run] [--mirror]\n\n"
         "Applies a partner's commitments from CSV or JSON, keyed by external_id, all "
         "or nothing: creates the new, updates the changed, leaves the rest; --mirror "
         "also deletes the partner's synced commitments missing from the file; "
         "--dry-run shows what would change. Bad rows are reported by line and column "
         "and nothing is sent. The README lists the CSV columns.\n\nExample:\n"
         "  mpower commitments sync --parent partners/us-gov -f "
         "examples/us-gov-commitments.csv --dry-run\n";
}

std::string ChangesHelp() {
  return "mpower changes list [--after REVISION] [--collections alerts,commitments] "
         "[--partner partners/P] [--country CC] [--page-size N] [--page-token T] [--all]\n\n"
         "Every write, in revision order, as you may see it.\n\nExample:\n"
         "  mpower changes list --after 100 --collections commitments\n";
}

std::string WatchHelp() {
  return "mpower alerts watch [--countries ID,HN] [--categories "
         "ARBITRARY_ARREST_OR_DETENTION,...] "
         "[--min-severity SEVERE] [--after REVISION] [--for DURATION]\n\n"
         "Prints alerts as they are filed or change, from now on (or after REVISION), "
         "until interrupted or DURATION has passed; reconnects by itself and resumes "
         "after the last revision it saw.\n\nExample:\n"
         "  mpower alerts watch --countries ID,MY --min-severity SEVERE\n";
}

std::set<std::string> ReportFlags() {
  std::set<std::string> flags;
  for (const char* const* flag = kReportFlags; *flag != nullptr; ++flag) flags.insert(*flag);
  return flags;
}

absl::Status RunSync(RpcClient& rpc, const Args& args, const std::string& output,
                     absl::Duration timeout) {
  return SyncCommitmentsCommand(rpc, args, output, timeout);
}
absl::Status RunChanges(RpcClient& rpc, const Args& args, const std::string& output,
                        absl::Duration) {
  return ListChangesCommand(rpc, args, output);
}
absl::Status RunWatch(RpcClient& rpc, const Args& args, const std::string& output, absl::Duration) {
  return WatchAlertsCommand(rpc, args, output);
}
absl::Status RunReport(RpcClient& rpc, const Args& args, const std::string& output,
                       absl::Duration) {
  return ReportCommand(rpc, args, output);
}

const std::vector<SpecialCommand>& SpecialCommands() {
  static const auto* const kCommands = new std::vector<SpecialCommand>{
      {{"commitments", "sync"}, kFeedFlags, &SyncHelp, &RunSync},
      {{"changes", "list"}, kFeedFlags, &ChangesHelp, &RunChanges},
      {{"changes"}, kFeedFlags, &ChangesHelp, nullptr},
      {{"alerts", "watch"}, kFeedFlags, &WatchHelp, &RunWatch},
      {{"report"}, ReportFlags(), &ReportHelp, &RunReport, true},
      {{"country"}, ReportFlags(), &ReportHelp, &RunReport, true},
  };
  return *kCommands;
}

// The special command `positional` selects, if any.
const SpecialCommand* FindSpecialCommand(const std::vector<std::string>& positional) {
  for (const SpecialCommand& command : SpecialCommands()) {
    if (positional.size() >= command.words.size() &&
        std::equal(command.words.begin(), command.words.end(), positional.begin())) {
      return &command;
    }
  }
  return nullptr;
}

// Prints a failed command's message and returns its exit code.
int Finish(const absl::Status& status) {
  if (!status.ok()) std::cerr << "mpower: " << status.message() << "\n";
  return ExitCode(status);
}

// Prints `help` on stdout when asked for, else on stderr as a usage error.
int PrintHelp(const Args& args, const std::string& help) {
  (args.Has("help") ? std::cout : std::cerr) << help;
  return args.Has("help") ? kExitOk : kExitUsage;
}

int Run(int argc, char** argv) {
  std::set<std::string> any_known = kCommonFlags;
  for (const ResourceSpec& spec : Resources()) {
    for (const FieldFlag& flag : spec.flags) any_known.insert(flag.flag);
  }
  for (const SpecialCommand& command : SpecialCommands()) {
    any_known.insert(command.flags.begin(), command.flags.end());
  }
  absl::StatusOr<Args> parsed = ParseArgs(argc, argv, any_known, kBooleanFlags);
  if (!parsed.ok()) {
    std::cerr << "mpower: " << parsed.status().message() << "; run mpower --help\n";
    return kExitUsage;
  }
  const Args& args = *parsed;
  if (args.positional.empty()) return PrintHelp(args, MainHelp());

  // Which command, and which flags it takes.
  const SpecialCommand* special = FindSpecialCommand(args.positional);
  const ResourceSpec* spec = nullptr;
  std::set<std::string> known = kCommonFlags;
  if (special != nullptr) {
    if (args.Has("help") || special->run == nullptr ||
        (special->takes_any_second_word && args.positional.size() < 2)) {
      return PrintHelp(args, special->help());
    }
    known.insert(special->flags.begin(), special->flags.end());
  } else {
    spec = FindResource(args.positional[0]);
    if (spec == nullptr) {
      std::cerr << "mpower: unknown resource '" << args.positional[0] << "'; run mpower --help\n";
      return kExitUsage;
    }
    if (args.Has("help") || args.positional.size() < 2) return PrintHelp(args, ResourceHelp(*spec));
    for (const FieldFlag& flag : spec->flags) known.insert(flag.flag);
  }
  for (const auto& [flag, value] : args.flags) {
    if (known.count(flag) == 0) {
      std::cerr << "mpower: unknown flag --" << flag << " for " << args.positional[0]
                << "; run mpower " << args.positional[0] << " --help\n";
      return kExitUsage;
    }
  }

  // Where to call, and how.
  absl::StatusOr<std::map<std::string, std::string>> config = ReadConfig(ClientConfigPath());
  if (!config.ok()) {
    std::cerr << "mpower: " << config.status().message() << "\n";
    return kExitLocalError;
  }
  const std::string output = Setting(args, "output", "MPOWER_OUTPUT", *config, "table");
  if (output != "table" && output != "json") {
    std::cerr << "mpower: --output must be table or json\n";
    return kExitUsage;
  }
  absl::Duration timeout;
  if (!absl::ParseDuration(Setting(args, "timeout", "MPOWER_TIMEOUT", *config, "10s"), &timeout) ||
      timeout <= absl::ZeroDuration()) {
    std::cerr << "mpower: --timeout must be a positive duration such as 10s or 500ms\n";
    return kExitUsage;
  }
  ChannelSettings channel;
  channel.address = Setting(args, "address", "MPOWER_ADDRESS", *config, kDefaultAddress);
  for (auto [target, flag, env] : {std::tuple{&channel.tls_ca_pem, "tls-ca", "MPOWER_TLS_CA"},
                                   std::tuple{&channel.tls_cert_pem, "tls-cert", "MPOWER_TLS_CERT"},
                                   std::tuple{&channel.tls_key_pem, "tls-key", "MPOWER_TLS_KEY"}}) {
    const std::string path = Setting(args, flag, env, *config, "");
    if (path.empty()) continue;
    std::ifstream in(path);
    if (!in) {
      std::cerr << "mpower: --" << flag << ": cannot read " << path << "\n";
      return kExitLocalError;
    }
    target->assign(std::istreambuf_iterator<char>(in), {});
  }
  if (channel.tls_cert_pem.empty() != channel.tls_key_pem.empty()) {
    std::cerr << "mpower: mutual TLS needs both --tls-cert and --tls-key\n";
    return kExitUsage;
  }
  RpcClient rpc(channel, Setting(args, "token", "MPOWER_TOKEN", *config, ""), timeout);
  if (special != nullptr) return Finish(special->run(rpc, args, output, timeout));
  return Finish(RunResourceCommand(*spec, args, rpc, output, args.positional[1]));
}

}  // namespace
}  // namespace mpower::cli

int main(int argc, char** argv) { return mpower::cli::Run(argc, argv); }
