// The first hour with mpower, as a newcomer meets it: `--help` and
// `--version` of both programs, `mpower version`, shell completion in bash,
// zsh and fish, and every example that `mpower --help` and README print,
// run as printed against the demo data.

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "tests/process.h"
#include "tests/test_support.h"

namespace mpower {
namespace {

using ::mpower::testing::BackgroundCommand;
using ::mpower::testing::CommandResult;
using ::mpower::testing::RunCommand;
using ::mpower::testing::ServerProcess;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

std::string ReadSource(const std::string& path) {
  std::ifstream in(std::string(MPOWER_SOURCE_DIR) + "/" + path);
  EXPECT_TRUE(in.good()) << path;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Every `--name` in `text` (a name of lower-case letters, digits, hyphens
// and underscores).
std::set<std::string> FlagsIn(const std::string& text) {
  static const std::regex kFlag("--([a-z][a-z0-9_-]*)");
  std::set<std::string> flags;
  for (std::sregex_iterator it(text.begin(), text.end(), kFlag), end; it != end; ++it) {
    flags.insert((*it)[1]);
  }
  return flags;
}

// The flags `mpowerd --help` lists, one a line as "  --name[=VALUE]".
std::set<std::string> ListedFlags(const std::string& help) {
  std::set<std::string> flags;
  for (absl::string_view line : absl::StrSplit(help, '\n')) {
    if (!absl::ConsumePrefix(&line, "  --")) continue;
    const std::string name(line.substr(0, line.find('=')));
    EXPECT_TRUE(flags.insert(name).second) << "--" << name << " is listed twice";
  }
  return flags;
}

// `text`'s lines, each ending in a backslash joined with the next.
std::vector<std::string> JoinedLines(const std::string& text) {
  std::vector<std::string> lines;
  std::string pending;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (absl::ConsumeSuffix(&line, "\\")) {
      absl::StrAppend(&pending, line, " ");
      continue;
    }
    lines.push_back(absl::StrCat(pending, line));
    pending.clear();
  }
  return lines;
}

// The flags README gives mpowerd: in inline code that runs mpowerd, and on
// lines of its code blocks that do, up to the end of that command.
std::set<std::string> ReadmeMpowerdFlags(const std::string& readme) {
  std::set<std::string> flags;
  static const std::regex kInline("`mpowerd ([^`]*)`");
  for (std::sregex_iterator it(readme.begin(), readme.end(), kInline), end; it != end; ++it) {
    const std::set<std::string> found = FlagsIn((*it)[1]);
    flags.insert(found.begin(), found.end());
  }
  bool in_code = false;
  for (const std::string& line : JoinedLines(readme)) {
    if (absl::StartsWith(absl::StripLeadingAsciiWhitespace(line), "```")) in_code = !in_code;
    static const std::regex kCommand("(^|[\\s$])mpowerd (.*)");
    std::smatch command;
    if (!in_code || !std::regex_search(line, command, kCommand)) continue;
    std::string rest = command[2];
    for (const char* end_of_command : {"&&", "|", ";", "#"})
      rest = rest.substr(0, rest.find(end_of_command));
    const std::set<std::string> found = FlagsIn(rest);
    flags.insert(found.begin(), found.end());
  }
  return flags;
}

// The settings the packaged configuration file names, given or commented
// out as samples ("# tls-cert = ...").
std::set<std::string> ConfigFileSettings(const std::string& config) {
  static const std::regex kSetting("^#?\\s*([a-z][a-z0-9_-]*)\\s*=\\s*\\S");
  std::set<std::string> settings;
  for (const std::string& line : std::vector<std::string>(absl::StrSplit(config, '\n'))) {
    std::smatch setting;
    if (std::regex_search(line, setting, kSetting)) settings.insert(setting[1]);
  }
  return settings;
}

TEST(MpowerdHelpTest, ListsEveryFlagOnceByGroupInTheSpellingPeopleUse) {
  const CommandResult help = RunCommand({MPOWERD_PATH, "--help"});
  ASSERT_EQ(help.exit_code, 0) << help.err;
  EXPECT_THAT(help.out, Not(HasSubstr("No flags matched")));
  // A flag missing from the groups' table is shown under this heading.
  EXPECT_THAT(help.out, Not(HasSubstr("Other flags:")));
  for (const char* group : {"Listening and TLS:", "Storage:", "Limits:", "Notifications:", "HTTP:",
                            "Operations:", "Logging:"}) {
    EXPECT_THAT(help.out, HasSubstr(absl::StrCat("\n", group, "\n"))) << group;
  }
  const std::set<std::string> listed = ListedFlags(help.out);
  EXPECT_GE(listed.size(), 50u);
  for (const std::string& flag : listed) {
    EXPECT_EQ(flag.find('_'), std::string::npos) << "--" << flag << " is spelled with _";
  }
  // With its default and meaning.
  EXPECT_THAT(help.out, HasSubstr("  --purge-protected-after=DURATION\n      Purge an alert's"));
  EXPECT_THAT(help.out, HasSubstr("Default: 127.0.0.1:50051."));
  // Every spelling is one the parser takes: --help's flags are real flags.
  const CommandResult parsed = RunCommand({MPOWERD_PATH, "--purge-protected-after=-1h"});
  EXPECT_EQ(parsed.exit_code, 2) << parsed.err;
  EXPECT_THAT(parsed.err, HasSubstr("--purge-protected-after must be a positive duration"));
  // --helpfull and -h say the same.
  EXPECT_EQ(RunCommand({MPOWERD_PATH, "--helpfull"}).out, help.out);
  EXPECT_EQ(RunCommand({MPOWERD_PATH, "-h"}).out, help.out);
}

TEST(MpowerdHelpTest, ReadmeTheConfigFileAndTheUnitNameOnlyFlagsMpowerdHas) {
  const std::set<std::string> listed = ListedFlags(RunCommand({MPOWERD_PATH, "--help"}).out);
  ASSERT_FALSE(listed.empty());
  const std::set<std::string> readme = ReadmeMpowerdFlags(ReadSource("README.md"));
  EXPECT_GE(readme.size(), 15u) << "README's mpowerd commands were not found";
  for (const std::string& flag : readme) {
    if (flag == "help" || flag == "version") continue;  // answered before the flags
    EXPECT_TRUE(listed.count(flag))
        << "README gives mpowerd --" << flag << ", which mpowerd --help does not list";
  }
  const std::set<std::string> settings = ConfigFileSettings(ReadSource("packaging/mpowerd.conf"));
  EXPECT_GE(settings.size(), 8u) << "packaging/mpowerd.conf's settings were not found";
  for (const std::string& setting : settings) {
    EXPECT_TRUE(listed.count(setting))
        << "packaging/mpowerd.conf sets " << setting << ", which mpowerd --help does not list";
  }
  std::set<std::string> unit;
  for (const std::string& line : JoinedLines(ReadSource("packaging/mpowerd.service.in"))) {
    if (!absl::StartsWith(line, "ExecStart=")) continue;
    const std::set<std::string> found = FlagsIn(line);
    unit.insert(found.begin(), found.end());
  }
  EXPECT_TRUE(unit.count("config"));
  for (const std::string& flag : unit) {
    EXPECT_TRUE(listed.count(flag)) << "the unit gives mpowerd --" << flag;
  }
}

// The commit the tree was at, as the build looked it up; "" outside git.
std::string SourceCommit() {
  if (!std::filesystem::exists(std::string(MPOWER_SOURCE_DIR) + "/.git")) return "";
  CommandResult head =
      RunCommand({"git", "-C", MPOWER_SOURCE_DIR, "rev-parse", "--short=12", "HEAD"});
  return std::string(absl::StripTrailingAsciiWhitespace(head.out));
}

TEST(VersionTest, BothProgramsNameTheReleaseCommitBuildApiAndSchema) {
  for (const auto& [program, path] :
       {std::pair{"mpowerd", MPOWERD_PATH}, std::pair{"mpower", MPOWER_PATH}}) {
    const CommandResult version = RunCommand({path, "--version"});
    ASSERT_EQ(version.exit_code, 0) << version.err;
    EXPECT_THAT(version.out, HasSubstr(absl::StrCat(program, " ", MPOWER_VERSION, " (commit ")));
    EXPECT_THAT(version.out, HasSubstr(absl::StrCat(", ", MPOWER_CMAKE_BUILD_TYPE)));
    EXPECT_THAT(version.out, Not(HasSubstr("NDEBUG")));
    EXPECT_THAT(version.out, HasSubstr("\nAPI: mpower.v1\n"));
    if (const std::string commit = SourceCommit(); !commit.empty()) {
      EXPECT_THAT(version.out, HasSubstr("(commit " + commit)) << "built from another commit?";
    }
  }
  EXPECT_THAT(RunCommand({MPOWERD_PATH, "--version"}).out,
              ::testing::ContainsRegex("Storage schema: SQLite [0-9]+, PostgreSQL [0-9]+\n"));
}

// `mpower version` asks the server, on every backend.
class ServerVersionTest : public testing::ServerBackendTest {};

TEST_P(ServerVersionTest, MpowerVersionShowsTheClientAndTheServerItTalksTo) {
  testing::TempDir dir;
  ServerProcess server(dir.path(), ServerFlags());
  ASSERT_GT(server.port(), 0) << server.log();
  const CommandResult version = testing::RunMpowerAs(server, server.admin_token(), {"version"});
  ASSERT_EQ(version.exit_code, 0) << version.err;
  EXPECT_THAT(version.out, HasSubstr(absl::StrCat("Client: mpower ", MPOWER_VERSION)));
  EXPECT_THAT(version.out,
              HasSubstr(absl::StrCat("Server: mpowerd ", MPOWER_VERSION, " (commit ")));
  EXPECT_THAT(version.out, HasSubstr("Server API: mpower.v1"));
  // The schema the server migrated its database to, which its --version
  // names for this backend.
  const std::string schemas = RunCommand({MPOWERD_PATH, "--version"}).out;
  std::smatch numbers;
  ASSERT_TRUE(
      std::regex_search(schemas, numbers, std::regex("SQLite ([0-9]+), PostgreSQL ([0-9]+)")));
  const bool postgres = GetParam() == testing::Backend::kPostgres;
  EXPECT_THAT(version.out,
              HasSubstr(absl::StrCat("Server storage: ", postgres ? "postgresql" : "sqlite",
                                     ", schema version ", std::string(numbers[postgres ? 2 : 1]))));
  const CommandResult json =
      testing::RunMpowerAs(server, server.admin_token(), {"version", "-o", "json"});
  EXPECT_EQ(json.exit_code, 0) << json.err;
  EXPECT_THAT(json.out, HasSubstr("\"server\": {"));
  EXPECT_THAT(json.out, HasSubstr(absl::StrCat("\"storage_backend\": \"",
                                               postgres ? "postgresql" : "sqlite", "\"")));

  // Without credentials the server says nothing of itself; the client
  // still says what it is.
  const CommandResult anonymous = testing::RunMpowerAs(server, "", {"version"});
  EXPECT_EQ(anonymous.exit_code, 64 + 16) << anonymous.err;
  EXPECT_THAT(anonymous.out, HasSubstr("Client: mpower"));
  EXPECT_THAT(anonymous.out, Not(HasSubstr("Server:")));
  EXPECT_THAT(anonymous.err, HasSubstr("UNAUTHENTICATED"));
}

MPOWER_ON_EVERY_BACKEND(ServerVersionTest);

// Shell completion against a server with the demo data, through the
// hidden command every shell's script calls and through the scripts.
class CompletionTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_GT(server_.port(), 0) << server_.log(); }

  std::vector<std::string> Complete(std::vector<std::string> words,
                                    const std::string& address = "") {
    words.insert(words.begin(), {MPOWER_PATH, "__complete"});
    const CommandResult run =
        RunCommand(words, {{"MPOWER_CONFIG", server_.client_config()},
                           {"MPOWER_ADDRESS", address.empty() ? server_.address() : address}});
    EXPECT_EQ(run.exit_code, 0) << run.err;
    return absl::StrSplit(run.out, '\n', absl::SkipEmpty());
  }

  // Runs `script` in `shell` with mpower on its PATH and the server's
  // client config.
  CommandResult InShell(const std::string& shell, const std::string& script) {
    const std::string bin = std::filesystem::path(MPOWER_PATH).parent_path();
    return RunCommand({shell, "-c", script}, {{"PATH", bin + ":/usr/bin:/bin"},
                                              {"MPOWER_CONFIG", server_.client_config()},
                                              {"MPOWER_ADDRESS", server_.address()}});
  }

  testing::TempDir dir_;
  ServerProcess server_{dir_.path(), {"--demo-data"}};
};

using ::testing::ElementsAre;
using ::testing::IsSupersetOf;

TEST_F(CompletionTest, OffersResourcesVerbsFlagsEnumValuesAndNamesFromTheServer) {
  EXPECT_THAT(Complete({""}), IsSupersetOf({"partners", "commitments", "alerts", "report",
                                            "version", "completion"}));
  EXPECT_THAT(Complete({"com"}), ElementsAre("commitments", "completion"));
  EXPECT_THAT(Complete({"alerts", ""}), IsSupersetOf({"get", "list", "create", "purge", "watch"}));
  EXPECT_THAT(Complete({"commitments", ""}), IsSupersetOf({"sync", "undelete"}));
  EXPECT_THAT(Complete({"report", ""}), IsSupersetOf({"accountability", "export"}));
  EXPECT_THAT(Complete({"completion", ""}), ElementsAre("bash", "zsh", "fish"));
  // Flags of the command typed, its own fields' included.
  EXPECT_THAT(Complete({"commitments", "create", "--ki"}), ElementsAre("--kind"));
  EXPECT_THAT(Complete({"partners", "list", "--ki"}), IsEmpty());
  // Enum values, as the tables show them and, typed in lower case, so.
  EXPECT_THAT(Complete({"commitments", "create", "--kind", ""}),
              IsSupersetOf({"FUNDING", "POLICY"}));
  EXPECT_THAT(Complete({"commitments", "create", "--kind", "p"}), ElementsAre("policy"));
  EXPECT_THAT(Complete({"partners", "create", "--type=TRADE"}), ElementsAre("--type=TRADE_UNION"));
  EXPECT_THAT(Complete({"alerts", "watch", "--min-severity", "SEV"}), ElementsAre("SEVERE"));
  EXPECT_THAT(Complete({"alerts", "list", "-o", ""}), ElementsAre("table", "json"));
  EXPECT_THAT(Complete({"commitments", "sync", "-f", "ex"}), ElementsAre(":files"));
  // Names, from the server.
  EXPECT_THAT(Complete({"partners", "get", "partners/us-d"}),
              ElementsAre("partners/us-dol", "partners/us-dol-ilab", "partners/us-dos"));
  EXPECT_THAT(Complete({"alerts", "get", ""}),
              IsSupersetOf({"alerts/example-detention-west-kalimantan"}));
  EXPECT_THAT(Complete({"commitments", "list", "--parent", "partners/us-g"}),
              ElementsAre("partners/us-gov"));
}

TEST_F(CompletionTest, OfflineItOffersEverythingButNames) {
  // A port nothing listens on: the names are left out within the second
  // completion waits, and the rest is offered as before.
  const std::string nowhere = "127.0.0.1:1";
  const auto started = std::chrono::steady_clock::now();
  EXPECT_THAT(Complete({"partners", "get", "partners/"}, nowhere), IsEmpty());
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  EXPECT_THAT(Complete({"partners", ""}, nowhere), IsSupersetOf({"get", "list"}));
  EXPECT_THAT(Complete({"commitments", "create", "--kind", "p"}, nowhere), ElementsAre("policy"));
}

TEST_F(CompletionTest, TheBashZshAndFishScriptsCompleteInTheirShells) {
  // bash: the function the script registers, called as bash calls it
  // (with COMP_WORDS split at '=', as bash splits them).
  const CommandResult bash = InShell("/bin/bash", R"(
source <(mpower completion bash) || exit 1
complete -p mpower || exit 1
t() { COMP_LINE="$1"; COMP_POINT=${#COMP_LINE}; shift; COMP_WORDS=("$@");
      COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _mpower; echo "${COMPREPLY[*]}"; }
t "mpower partners get partners/us-d" mpower partners get partners/us-d
t "mpower partners create --type=TR" mpower partners create --type = TR
t "mpower alerts wa" mpower alerts wa
)");
  EXPECT_EQ(bash.exit_code, 0) << bash.err;
  EXPECT_THAT(bash.out, HasSubstr("\npartners/us-dol partners/us-dol-ilab partners/us-dos\n"
                                  "TRADE_UNION\nwatch\n"));

  // zsh: the completion function, with compadd and _files standing in for
  // zsh's completion system, which needs a terminal.
  const CommandResult zsh = InShell("/usr/bin/zsh", R"(
source <(mpower completion zsh) || exit 1
compadd() { while [[ $1 == -* && $1 != -- ]]; do shift; done; shift; print -rl -- "$@"; }
_files() { print FILES; }
words=(mpower partners get partners/us-d); CURRENT=4; _mpower
words=(mpower commitments sync -f ex); CURRENT=5; _mpower
)");
  EXPECT_EQ(zsh.exit_code, 0) << zsh.err;
  EXPECT_EQ(zsh.out, "partners/us-dol\npartners/us-dol-ilab\npartners/us-dos\nFILES\n");

  // fish answers `complete -C` as it would at a prompt.
  const CommandResult fish = InShell("/usr/bin/fish", R"(
mpower completion fish | source
complete -C "mpower partners get partners/us-d"
complete -C "mpower alerts watch --min-severity S"
)");
  EXPECT_EQ(fish.exit_code, 0) << fish.err;
  EXPECT_EQ(fish.out, "partners/us-dol\npartners/us-dol-ilab\npartners/us-dos\nSEVERE\n");
}

// Runs the examples people copy: each in a shell, in a directory where
// README's paths hold (build/release/client/mpower, examples/), as the
// demo server's local admin.
class ExamplesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_GT(server_.port(), 0) << server_.log();
    std::filesystem::create_directories(work_.path() + "/build/release/client");
    std::filesystem::create_symlink(MPOWER_PATH, work_.path() + "/build/release/client/mpower");
    std::filesystem::create_symlink(std::string(MPOWER_SOURCE_DIR) + "/examples",
                                    work_.path() + "/examples");
  }

  std::map<std::string, std::string> Environment() const {
    const std::string bin = std::filesystem::path(MPOWER_PATH).parent_path();
    // Keys the examples generate stay in this test's directory.
    return {{"PATH", bin + ":/usr/bin:/bin"},
            {"MPOWER_CONFIG", server_.client_config()},
            {"MPOWER_KEY_DIR", work_.path() + "/keys"},
            {"MPOWER_OUTBOX", work_.path() + "/outbox"}};
  }

  // Runs `command` as printed. A watch never ends by itself: it is given
  // three seconds to fail, and then stopped.
  CommandResult Run(const std::string& command) {
    const std::vector<std::string> argv = {"/bin/bash", "-c",
                                           absl::StrCat("cd ", work_.path(), " && ", command)};
    if (absl::StrContains(command, " watch ")) {
      BackgroundCommand watch(argv, Environment());
      std::this_thread::sleep_for(std::chrono::seconds(3));
      CommandResult stopped = watch.Stop(SIGINT);
      if (stopped.err.empty()) stopped.exit_code = 0;
      return stopped;
    }
    return RunCommand(argv, Environment());
  }

  // The help of every command, as `mpower ... --help` prints it.
  std::vector<std::string> EveryHelp() {
    std::vector<std::vector<std::string>> commands = {
        {},         {"changes"}, {"changes", "watch"}, {"alerts", "watch"}, {"commitments", "sync"},
        {"report"}, {"version"}, {"completion"},       {"outbox"}};
    for (const char* resource : {"partners", "initiatives", "commitments", "alerts", "responses",
                                 "subscriptions", "credentials", "audit"}) {
      commands.push_back({resource});
    }
    std::vector<std::string> helps;
    for (std::vector<std::string> words : commands) {
      words.insert(words.begin(), MPOWER_PATH);
      words.push_back("--help");
      const CommandResult help = RunCommand(words);
      EXPECT_EQ(help.exit_code, 0) << absl::StrJoin(words, " ") << ": " << help.err;
      helps.push_back(help.out);
    }
    return helps;
  }

  testing::TempDir dir_;
  testing::TempDir work_;
  ServerProcess server_{dir_.path(), {"--demo-data"}};
};

// The lines under a help's "Example:" or "Examples:", joined where they
// continue.
std::vector<std::string> HelpExamples(const std::string& help) {
  std::vector<std::string> examples;
  bool in_examples = false;
  for (const std::string& line : JoinedLines(help)) {
    if (line == "Examples:" || line == "Example:") {
      in_examples = true;
    } else if (line.empty() || !absl::StartsWith(line, "  ")) {
      in_examples = false;
    } else if (in_examples && absl::StartsWith(line, "  mpower ")) {
      examples.push_back(std::string(absl::StripLeadingAsciiWhitespace(line)));
    }
  }
  return examples;
}

TEST_F(ExamplesTest, EveryExampleInTheHelpRunsAsPrinted) {
  int run = 0;
  for (const std::string& help : EveryHelp()) {
    for (const std::string& example : HelpExamples(help)) {
      ++run;
      const CommandResult result = Run(example);
      EXPECT_EQ(result.exit_code, 0) << example << "\n" << result.out << result.err;
      EXPECT_EQ(result.err, "") << example;
    }
  }
  EXPECT_GE(run, 20) << "the help's examples were not found";
}

// One command README shows, and the first line it shows it printing.
struct ReadmeExample {
  std::string command;
  std::string first_output_line;
};

// The `$ mpower ...` commands of README's console blocks, in order.
std::vector<ReadmeExample> ReadmeExamples(const std::string& readme) {
  std::vector<ReadmeExample> examples;
  bool in_console = false;
  bool after_command = false;
  for (const std::string& line : JoinedLines(readme)) {
    const absl::string_view trimmed = absl::StripLeadingAsciiWhitespace(line);
    if (absl::StartsWith(trimmed, "```")) {
      in_console = !in_console && absl::StartsWith(trimmed, "```console");
      after_command = false;
      continue;
    }
    if (!in_console) continue;
    absl::string_view command = trimmed;
    if (absl::ConsumePrefix(&command, "$ ")) {
      after_command = false;
      if (!absl::StartsWith(command, "mpower ") &&
          !absl::StartsWith(command, "build/release/client/mpower ")) {
        continue;
      }
      // A comment after the command is README's, not the shell's.
      const size_t comment = command.find("   #");
      examples.push_back(
          {std::string(absl::StripTrailingAsciiWhitespace(command.substr(0, comment))), ""});
      after_command = true;
    } else if (after_command && !absl::StartsWith(trimmed, "#")) {
      examples.back().first_output_line = std::string(trimmed);
      after_command = false;
    }
  }
  return examples;
}

// `text` with every run of spaces made one, so that a table compares
// whatever its column widths, and the build a version names left out
// (README shows a Release build's, at some commit).
std::string Comparable(absl::string_view text) {
  static const std::regex kBuild("\\(commit [^)]*\\)");
  return std::regex_replace(absl::StrJoin(absl::StrSplit(text, ' ', absl::SkipEmpty()), " "),
                            kBuild, "(commit ...)");
}

TEST_F(ExamplesTest, EveryMpowerExampleInReadmeRunsAsPrintedInOrder) {
  // What a test cannot reach, and so does not run.
  const std::map<std::string, std::string> not_run = {
      {"mpower subscriptions test partners/ilo/subscriptions/escalations",
       "delivers to https://hooks.ilo.example, a receiver on the internet"},
  };
  const std::vector<ReadmeExample> examples = ReadmeExamples(ReadSource("README.md"));
  EXPECT_GE(examples.size(), 20u) << "README's examples were not found";
  for (const ReadmeExample& example : examples) {
    if (not_run.count(example.command)) continue;
    const CommandResult result = Run(example.command);
    const bool shows_an_error = absl::StartsWith(example.first_output_line, "mpower: ");
    if (shows_an_error && !absl::StrContains(example.command, "echo")) {
      EXPECT_NE(result.exit_code, 0) << example.command;
    } else {
      EXPECT_EQ(result.exit_code, 0) << example.command << "\n" << result.out << result.err;
    }
    if (!example.first_output_line.empty() && !absl::StrContains(example.command, " watch ")) {
      EXPECT_THAT(Comparable(result.out + result.err),
                  HasSubstr(Comparable(example.first_output_line)))
          << example.command;
    }
  }
}

}  // namespace
}  // namespace mpower
