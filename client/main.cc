// mpower: the command-line client of mpowerd.
//
//   mpower <resource> <verb> [NAME|ID] [flags]
//
// Every RPC is reached through its proto descriptor, so the CLI follows the
// API as it grows. The commands and their flags are in commands.cc. Exit
// codes: 0 ok, 1 local error, 2 usage, 64 + the gRPC code when the call
// fails (as grpcurl).

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "client/args.h"
#include "client/command_status.h"
#include "client/commands.h"
#include "client/completion.h"
#include "client/config.h"
#include "client/outbox_commands.h"
#include "client/resource_command.h"
#include "client/resources.h"
#include "client/rpc.h"
#include "client/version_command.h"
#include "common/client_config_path.h"

namespace mpower::cli {
namespace {

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

// Where and how to call, and how to show what comes back.
struct Connection {
  ChannelSettings channel;
  std::string token;
  absl::Duration timeout;
  std::string output;
};

absl::StatusOr<Connection> ResolveConnection(const Args& args) {
  absl::StatusOr<std::map<std::string, std::string>> config = ReadConfig(ClientConfigPath());
  if (!config.ok()) return LocalError(config.status().message());
  Connection connection;
  connection.output = Setting(args, "output", "MPOWER_OUTPUT", *config, "table");
  if (connection.output != "table" && connection.output != "json") {
    return UsageError("--output must be table or json");
  }
  if (!absl::ParseDuration(Setting(args, "timeout", "MPOWER_TIMEOUT", *config, "10s"),
                           &connection.timeout) ||
      connection.timeout <= absl::ZeroDuration()) {
    return UsageError("--timeout must be a positive duration such as 10s or 500ms");
  }
  ChannelSettings& channel = connection.channel;
  channel.address = Setting(args, "address", "MPOWER_ADDRESS", *config, kDefaultAddress);
  for (auto [target, flag, env] : {std::tuple{&channel.tls_ca_pem, "tls-ca", "MPOWER_TLS_CA"},
                                   std::tuple{&channel.tls_cert_pem, "tls-cert", "MPOWER_TLS_CERT"},
                                   std::tuple{&channel.tls_key_pem, "tls-key", "MPOWER_TLS_KEY"}}) {
    const std::string path = Setting(args, flag, env, *config, "");
    if (path.empty()) continue;
    std::ifstream in(path);
    if (!in) return LocalError(absl::StrCat("--", flag, ": cannot read ", path));
    target->assign(std::istreambuf_iterator<char>(in), {});
  }
  if (channel.tls_cert_pem.empty() != channel.tls_key_pem.empty()) {
    return UsageError("mutual TLS needs both --tls-cert and --tls-key");
  }
  connection.token = Setting(args, "token", "MPOWER_TOKEN", *config, "");
  return connection;
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

// `mpower __complete WORDS...`: the candidates for the last word, one a
// line (completion.h). Names come from the server the words, the
// environment or the config file point at, within a second.
int CompleteWords(const std::vector<std::string>& words) {
  Args connection_args;
  for (size_t i = 0; i + 1 < words.size(); ++i) {
    for (const char* flag : {"address", "token", "tls-ca", "tls-cert", "tls-key"}) {
      const std::string spelled = absl::StrCat("--", flag);
      if (words[i] == spelled && i + 2 < words.size()) {
        connection_args.flags[flag] = words[i + 1];
      } else if (absl::StartsWith(words[i], spelled + "=")) {
        connection_args.flags[flag] = words[i].substr(spelled.size() + 1);
      }
    }
  }
  const absl::StatusOr<Connection> connection = ResolveConnection(connection_args);
  const NameLister names = [&connection](const ResourceSpec& spec) -> std::vector<std::string> {
    if (!connection.ok()) return {};
    RpcClient rpc(connection->channel, connection->token, absl::Seconds(1));
    return ListFirstNames(spec, rpc);
  };
  for (const std::string& candidate : Complete(words, names)) std::cout << candidate << "\n";
  return kExitOk;
}

int Run(int argc, char** argv) {
  if (argc >= 2 && std::string(argv[1]) == "__complete") {
    return CompleteWords(std::vector<std::string>(argv + 2, argv + argc));
  }
  std::set<std::string> any_known = CommonFlags();
  for (const ResourceSpec& spec : Resources()) {
    for (const FieldFlag& flag : spec.flags) any_known.insert(flag.flag);
  }
  for (const SpecialCommand& command : SpecialCommands()) {
    any_known.insert(command.flags.begin(), command.flags.end());
  }
  absl::StatusOr<Args> parsed = ParseArgs(argc, argv, any_known, BooleanFlags());
  if (!parsed.ok()) {
    std::cerr << "mpower: " << parsed.status().message() << "; run mpower --help\n";
    return kExitUsage;
  }
  const Args& args = *parsed;
  if (args.positional.empty() && args.Has("version") && !args.Has("help")) {
    std::cout << ClientVersion();
    return kExitOk;
  }
  if (args.positional.empty()) return PrintHelp(args, MainHelp());

  // Commands that are no resource's.
  const std::string& first = args.positional[0];
  if (first == "completion") {
    if (args.Has("help") || args.positional.size() != 2) return PrintHelp(args, CompletionHelp());
    absl::StatusOr<std::string> script = CompletionScript(args.positional[1]);
    if (!script.ok()) return Finish(script.status());
    std::cout << *script;
    return kExitOk;
  }
  if (first == "version") {
    if (args.Has("help") || args.positional.size() != 1) return PrintHelp(args, VersionHelp());
    absl::StatusOr<Connection> connection = ResolveConnection(args);
    if (!connection.ok()) return Finish(connection.status());
    RpcClient rpc(connection->channel, connection->token, connection->timeout);
    return Finish(VersionCommand(rpc, connection->output));
  }

  // Which command, and which flags it takes.
  const SpecialCommand* special = FindSpecialCommand(args.positional);
  const ResourceSpec* spec = nullptr;
  std::set<std::string> known = CommonFlags();
  if (special != nullptr) {
    if (args.Has("help") || special->run == nullptr ||
        (special->takes_any_second_word && args.positional.size() < 2)) {
      return PrintHelp(args, special->help());
    }
    known.insert(special->flags.begin(), special->flags.end());
  } else {
    spec = FindResource(first);
    if (spec == nullptr) {
      std::cerr << "mpower: unknown resource '" << first << "'; run mpower --help\n";
      return kExitUsage;
    }
    if (args.Has("help") || args.positional.size() < 2) return PrintHelp(args, ResourceHelp(*spec));
    for (const FieldFlag& flag : spec->flags) known.insert(flag.flag);
  }
  for (const auto& [flag, value] : args.flags) {
    if (known.count(flag) == 0) {
      std::cerr << "mpower: unknown flag --" << flag << " for " << first << "; run mpower " << first
                << " --help\n";
      return kExitUsage;
    }
  }

  absl::StatusOr<Connection> connection = ResolveConnection(args);
  if (!connection.ok()) return Finish(connection.status());
  RpcClient rpc(connection->channel, connection->token, connection->timeout);
  if (special != nullptr) {
    // A share, a reseal, a sync or a key to generate is queued as the
    // command, which the push runs: each reads the server as it goes. The
    // rest only read: said, never silently ignored.
    if (IsQueueableCommand(special->words)) {
      absl::StatusOr<QueueMode> mode = ResolveQueueMode(args);
      if (!mode.ok()) return Finish(mode.status());
      if (*mode == QueueMode::kAlways) return Finish(QueueCommand(args));
      absl::Status ran = special->run(rpc, args, connection->output, connection->timeout);
      // MPOWER_QUEUE=auto: the server could not be reached, or did not
      // answer in time, so the push runs it again (a share, reseal or sync
      // does nothing twice; a key is made only if none was published).
      if (*mode == QueueMode::kWhenUnreachable && ExitCode(ran) >= kExitRpcBase &&
          (absl::IsUnavailable(ran) || absl::IsDeadlineExceeded(ran))) {
        std::cerr << "mpower: " << ran.message() << "\nqueueing it instead\n";
        ran = QueueCommand(args);
      }
      return Finish(ran);
    }
    if (args.Has("queue")) {
      return Finish(UsageError(absl::StrCat(
          "--queue: mpower ", absl::StrJoin(special->words, " "),
          " cannot be queued: it reads the server; run it when the server can be reached (a "
          "resource's create, update, delete and other writes can be queued)")));
    }
    return Finish(special->run(rpc, args, connection->output, connection->timeout));
  }
  return Finish(RunResourceCommand(*spec, args, rpc, connection->output, args.positional[1]));
}

}  // namespace
}  // namespace mpower::cli

int main(int argc, char** argv) { return mpower::cli::Run(argc, argv); }
