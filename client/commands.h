#ifndef MPOWER_CLIENT_COMMANDS_H_
#define MPOWER_CLIENT_COMMANDS_H_

// What commands the CLI has: their words, the flags each takes, and their
// help. main() runs them; completion.cc offers them.

#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "client/args.h"
#include "client/resources.h"
#include "client/rpc.h"

namespace mpower::cli {

inline constexpr char kDefaultAddress[] = "127.0.0.1:50051";

// Flags that take no value.
const std::set<std::string>& BooleanFlags();
// Flags every command takes: the connection, the output, paging.
const std::set<std::string>& CommonFlags();

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
  // The second words it takes, for completion (report's reports).
  std::vector<std::string> second_words = {};
  // For a resource's own verb (keys generate): what follows the verb in
  // the resource's help, its arguments and a line on what it does.
  const char* summary = nullptr;
};

const std::vector<SpecialCommand>& SpecialCommands();

// The special command `positional` selects, if any.
const SpecialCommand* FindSpecialCommand(const std::vector<std::string>& positional);

// The verbs `mpower <spec.plural>` takes, special commands' included
// (alerts watch, commitments sync), in the order help lists them.
std::vector<std::string> VerbsOf(const ResourceSpec& spec);
// Whether `verb` acts on one resource named after it (get NAME).
bool TakesName(const std::string& verb);

std::string MainHelp();
std::string ResourceHelp(const ResourceSpec& spec);
std::string VersionHelp();
std::string CompletionHelp();

}  // namespace mpower::cli

#endif  // MPOWER_CLIENT_COMMANDS_H_
