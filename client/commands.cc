#include "client/commands.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "client/feed_commands.h"
#include "client/key_commands.h"
#include "client/outbox_commands.h"
#include "client/report_commands.h"
#include "client/reseal_commands.h"
#include "client/sync_command.h"

namespace mpower::cli {

const std::set<std::string>& BooleanFlags() {
  static const auto* const kFlags = new std::set<std::string>{
      "help",   "version",           "show-deleted",   "all",        "dry-run",
      "mirror", "include-shareable", "trust-new-keys", "passphrase", "queue",
      "rebase"};
  return *kFlags;
}

const std::set<std::string>& CommonFlags() {
  static const auto* const kFlags = new std::set<std::string>{"address",
                                                              "token",
                                                              "tls-ca",
                                                              "tls-cert",
                                                              "tls-key",
                                                              "timeout",
                                                              "output",
                                                              "help",
                                                              "version",
                                                              "file",
                                                              "filter",
                                                              "page-size",
                                                              "page-token",
                                                              "all",
                                                              "show-deleted",
                                                              "parent",
                                                              "request-id",
                                                              "etag",
                                                              "update-mask",
                                                              "reason",
                                                              "after-revision",
                                                              "include-shareable",
                                                              "key-dir",
                                                              "trust-new-keys",
                                                              "passphrase-file",
                                                              "queue",
                                                              "outbox-passphrase-file",
                                                              "outbox"};
  return *kFlags;
}

namespace {

const std::set<std::string> kFeedFlags = {"dry-run",      "mirror",  "after",     "collections",
                                          "partner",      "country", "countries", "categories",
                                          "min-severity", "for"};
const std::set<std::string> kKeyFlags = {"key-dir", "display-name", "passphrase"};
const std::set<std::string> kShareFlags = {"partner"};
const std::set<std::string> kOutboxFlags = {"since", "rebase"};

}  // namespace

std::string MainHelp() {
  std::string help =
      "mpower: the command-line client of mpowerd.\n\n"
      "Usage:\n  mpower <resource> <verb> [NAME|ID] [flags]\n\n"
      "Resources:\n";
  for (const ResourceSpec& spec : Resources()) {
    absl::StrAppend(&help, "  ", spec.plural, "\n");
  }
  absl::StrAppend(&help, "  changes      (list, watch: the change feed)\n");
  absl::StrAppend(&help,
                  "  report       (commitments, alerts, reconciliation, accountability, export)\n");
  absl::StrAppend(&help, "  country      (brief CC: one country at a glance)\n");
  absl::StrAppend(&help,
                  "  outbox       (list, show, drop, push: writes queued here to send later)\n");
  absl::StrAppend(&help,
                  "\nAlso:\n"
                  "  mpower version               this client's release, and the server's\n"
                  "  mpower completion SHELL      shell completion for bash, zsh or fish\n"
                  "  mpower --version             this client's release alone\n");
  absl::StrAppend(
      &help,
      "\nVerbs: get, list, create, update, delete, and undelete for commitments and alerts;\n"
      "credentials take create, list and revoke; audit takes list; alerts also watch,\n"
      "purge, share and reseal; subscriptions also test and replay; keys also\n"
      "generate, fingerprint and retire.\n\n"
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
      "  --key-dir DIR         MPOWER_KEY_DIR   your partner's private keys (mpower keys\n"
      "                                         generate); default ~/.config/mpower/keys.\n"
      "                                         Alerts' protected details are sealed here to\n"
      "                                         every entitled partner's keys, and opened here\n"
      "  --trust-new-keys                       accept partners' keys that differ from those\n"
      "                                         first seen here (compare fingerprints first)\n"
      "  --passphrase-file F   MPOWER_PASSPHRASE_FILE  for keys under a passphrase: its\n"
      "                                         first line; else asked on the terminal\n"
      "  --queue               MPOWER_QUEUE=auto|always  queue a write in the outbox\n"
      "                                         instead of sending it (auto: when the server\n"
      "                                         cannot be reached); mpower outbox push sends\n"
      "  --outbox DIR          MPOWER_OUTBOX    default ~/.local/share/mpower/outbox\n"
      "  -o, --output FORMAT   MPOWER_OUTPUT    table (default) or json\n\n"
      "Exit codes: 0 ok, 1 local error, 2 usage, 64 + gRPC code when a call fails.\n\n"
      "Examples:\n"
      "  mpower partners list\n"
      "  mpower commitments list --filter 'contribution_basis = ASSESSED' -o json\n"
      "  mpower alerts get alerts/example-dismissals-honduras\n"
      "  mpower version\n\n"
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
  if (has("Retire")) {
    absl::StrAppend(&help,
                    "  retire NAME [--etag E]\n"
                    "      nothing more is sealed to the key; it stays published, as a trace\n");
  }
  for (const SpecialCommand& command : SpecialCommands()) {
    if (command.words.size() == 2 && command.words[0] == spec.plural &&
        command.summary != nullptr) {
      absl::StrAppend(&help, "  ", command.words[1], " ", command.summary, "\n");
    }
  }
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
  // In an order that runs on the demo data: what get shows, create made.
  absl::StrAppend(&help, "\nExamples:\n  mpower ", spec.plural, " list\n");
  if (spec.example_create != nullptr) {
    absl::StrAppend(&help, "  mpower ", spec.plural, " create ", spec.example_create, "\n");
  }
  if (has("Get")) {
    absl::StrAppend(&help, "  mpower ", spec.plural, " get ", spec.example_name, " -o json\n");
  }
  return help;
}

namespace {

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

std::string ChangesWatchHelp() {
  return "mpower changes watch [--after REVISION] [--collections alerts,commitments] "
         "[--partner partners/P] [--country CC] [--for DURATION]\n\n"
         "Prints every write you may see as it happens, from now on (or after REVISION), "
         "until interrupted or DURATION has passed; reconnects by itself and resumes "
         "after the last revision the server vouched for, and says so when the server "
         "has compacted away the changes since then.\n\nExample:\n"
         "  mpower changes watch --collections commitments --for 2s\n";
}

std::string WatchHelp() {
  return "mpower alerts watch [--countries ID,HN] [--categories "
         "ARBITRARY_ARREST_OR_DETENTION,...] "
         "[--min-severity SEVERE] [--after REVISION] [--for DURATION]\n\n"
         "Prints alerts as they are filed or change, from now on (or after REVISION), "
         "until interrupted or DURATION has passed; reconnects by itself and resumes "
         "after the last revision it saw. When the server has compacted away the changes "
         "since then, it says so and lists the alerts as they are now (TYPE LISTED) before "
         "going on.\n\nExample:\n"
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
absl::Status RunChangesWatch(RpcClient& rpc, const Args& args, const std::string& output,
                             absl::Duration) {
  return WatchChangesCommand(rpc, args, output);
}
absl::Status RunWatch(RpcClient& rpc, const Args& args, const std::string& output, absl::Duration) {
  return WatchAlertsCommand(rpc, args, output);
}
absl::Status RunReport(RpcClient& rpc, const Args& args, const std::string& output,
                       absl::Duration) {
  return ReportCommand(rpc, args, output);
}

}  // namespace

const std::vector<SpecialCommand>& SpecialCommands() {
  static const auto* const kCommands = new std::vector<SpecialCommand>{
      {{"commitments", "sync"}, kFeedFlags, &SyncHelp, &RunSync},
      {{"changes", "list"}, kFeedFlags, &ChangesHelp, &RunChanges},
      {{"changes", "watch"}, kFeedFlags, &ChangesWatchHelp, &RunChangesWatch},
      {{"changes"}, kFeedFlags, &ChangesHelp, nullptr},
      {{"alerts", "watch"}, kFeedFlags, &WatchHelp, &RunWatch},
      {{"keys", "generate"},
       kKeyFlags,
       &KeysGenerateHelp,
       &RunKeysGenerate,
       false,
       {},
       "[ID] --parent partners/P [--display-name TEXT] [--key-dir DIR]\n"
       "      makes a key pair here and publishes its public halves"},
      {{"keys", "fingerprint"},
       kKeyFlags,
       &KeysFingerprintHelp,
       &RunKeysFingerprint,
       false,
       {},
       "NAME [--key-dir DIR]\n"
       "      checks a key's proof and works out its fingerprint here"},
      {{"alerts", "share"},
       kShareFlags,
       &AlertsShareHelp,
       &RunAlertsShare,
       false,
       {},
       "NAME --partner partners/P [--etag E]\n"
       "      adds a recipient, sealing the details again to its keys too"},
      {{"alerts", "reseal"},
       {},
       &AlertsResealHelp,
       &RunAlertsReseal,
       false,
       {},
       "NAME [--etag E]\n"
       "      seals the details again to every ACTIVE key entitled now"},
      {{"report"},
       ReportFlags(),
       &ReportHelp,
       &RunReport,
       true,
       {"commitments", "alerts", "reconciliation", "accountability", "export"}},
      {{"country"}, ReportFlags(), &ReportHelp, &RunReport, true, {"brief"}},
      {{"outbox"},
       kOutboxFlags,
       &OutboxHelp,
       &RunOutbox,
       true,
       {"list", "show", "drop", "push", "retry"}},
  };
  return *kCommands;
}

const SpecialCommand* FindSpecialCommand(const std::vector<std::string>& positional) {
  for (const SpecialCommand& command : SpecialCommands()) {
    if (positional.size() >= command.words.size() &&
        std::equal(command.words.begin(), command.words.end(), positional.begin())) {
      return &command;
    }
  }
  return nullptr;
}

std::vector<std::string> VerbsOf(const ResourceSpec& spec) {
  std::vector<std::string> verbs;
  for (const char* verb : {"Get", "List", "Create", "Update", "Delete", "Undelete", "Revoke",
                           "Retire", "Purge", "Test", "Replay"}) {
    const bool has =
        std::string(verb) == "List"
            ? spec.list() != nullptr
            : spec.service()->FindMethodByName(verb + std::string(spec.type)) != nullptr;
    if (has) verbs.push_back(absl::AsciiStrToLower(verb));
  }
  for (const SpecialCommand& command : SpecialCommands()) {
    if (command.words.size() == 2 && command.words[0] == spec.plural) {
      verbs.push_back(command.words[1]);
    }
  }
  return verbs;
}

bool TakesName(const std::string& verb) {
  return verb == "get" || verb == "update" || verb == "delete" || verb == "undelete" ||
         verb == "revoke" || verb == "retire" || verb == "purge" || verb == "test" ||
         verb == "replay" || verb == "fingerprint" || verb == "share" || verb == "reseal";
}

std::string VersionHelp() {
  return "mpower version [-o json]\n\n"
         "Prints this client's release, the commit it was built from and the API it speaks,\n"
         "then asks the server for the same and for the storage it serves from. Any\n"
         "credential may ask. `mpower --version` prints the client's alone, without a call.\n\n"
         "Example:\n"
         "  mpower version\n";
}

std::string CompletionHelp() {
  return "mpower completion bash|zsh|fish\n\n"
         "Prints a script that completes mpower's resources, verbs, flags, the values of\n"
         "flags such as --kind and --type, and resource names, which it asks the server\n"
         "for with a one-second deadline (nothing when it cannot be reached).\n\n"
         "Load it in the current shell:\n"
         "  bash:  source <(mpower completion bash)\n"
         "  zsh:   source <(mpower completion zsh)    (after compinit)\n"
         "  fish:  mpower completion fish | source\n"
         "or for every shell, e.g. mpower completion bash > "
         "~/.local/share/bash-completion/completions/mpower\n"
         "(the Debian package installs bash's).\n\n"
         "Example:\n"
         "  mpower completion bash\n";
}

}  // namespace mpower::cli
