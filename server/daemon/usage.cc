#include "server/daemon/usage.h"

#include <set>
#include <vector>

#include "absl/flags/reflection.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "common/build_info.h"
#include "server/daemon/flags.h"
#include "server/storage/postgres/schema.h"
#include "server/storage/sqlite/schema.h"

namespace mpower {
namespace {

constexpr size_t kWidth = 79;
constexpr char kIndent[] = "      ";

// `text` in lines of at most kWidth columns (a longer word stands alone),
// each starting with kIndent.
std::string Wrap(absl::string_view text) {
  std::string wrapped;
  std::string line = kIndent;
  for (absl::string_view word : absl::StrSplit(text, ' ', absl::SkipEmpty())) {
    if (line.size() > sizeof kIndent - 1 && line.size() + 1 + word.size() > kWidth) {
      absl::StrAppend(&wrapped, line, "\n");
      line = kIndent;
    }
    absl::StrAppend(&line, line.size() > sizeof kIndent - 1 ? " " : "", word);
  }
  return absl::StrCat(wrapped, line, "\n");
}

std::string Hyphenated(absl::string_view name) { return absl::StrReplaceAll(name, {{"_", "-"}}); }

// "  --data-dir=DIR" and its help, with the default where there is one
// worth saying (not an empty text, a zero or a switch that is off).
std::string FlagHelp(const absl::CommandLineFlag& flag, absl::string_view value_name) {
  std::string help = absl::StrCat("  --", Hyphenated(flag.Name()));
  if (!value_name.empty()) absl::StrAppend(&help, "=", value_name);
  absl::StrAppend(&help, "\n");
  std::string text = flag.Help();
  const std::string value = flag.DefaultValue();
  if (!value.empty() && value != "false" && value != "0" && value != "0s") {
    absl::StrAppend(&text, " Default: ", value_name.empty() ? "on" : value, ".");
  }
  return absl::StrCat(help, Wrap(text));
}

}  // namespace

std::string MpowerdHelp() {
  std::string help =
      "mpowerd: the mpower gRPC server.\n"
      "\n"
      "Usage: mpowerd [FLAGS]\n"
      "  or:  mpowerd credentials create --id=ID --principal=WHO --role=ROLE "
      "[--partner=partners/P]\n"
      "  or:  mpowerd audit verify\n"
      "  or:  mpowerd keys rotate\n"
      "  or:  mpowerd backup FILE\n"
      "  or:  mpowerd restore FILE\n"
      "  or:  mpowerd --help | --version\n"
      "\n"
      "Without a command, mpowerd serves until SIGINT or SIGTERM, and re-reads its log\n"
      "settings from --config on SIGHUP. `credentials create` issues a credential and\n"
      "prints its token once; `audit verify` checks the audit trail's hash chain;\n"
      "`keys rotate` re-seals protected details under a new key (on SQLite with mpowerd\n"
      "stopped, on PostgreSQL while it serves); `backup` writes a consistent snapshot\n"
      "while mpowerd serves; `restore` puts one back, with mpowerd stopped, into a data\n"
      "directory without a database.\n"
      "\n"
      "A flag is written --name=value or --name value (a switch alone, or\n"
      "--name=false), and in the --config file as `name = value`. Durations take a unit:\n"
      "10s, 5m, 2160h.\n";
  std::set<std::string> listed;
  for (const FlagGroup& group : MpowerdFlagGroups()) {
    absl::StrAppend(&help, "\n", group.title, ":\n");
    for (const FlagEntry& entry : group.flags) {
      const absl::CommandLineFlag* flag = absl::FindCommandLineFlag(entry.name);
      if (flag == nullptr) continue;  // flags_test keeps the table and the flags equal
      absl::StrAppend(&help, FlagHelp(*flag, entry.value_name));
      listed.insert(entry.name);
    }
  }
  // A flag the table forgot is still shown, under its own heading, which
  // flags_test looks for.
  std::string others;
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (listed.count(std::string(name)) == 0 && IsMpowerdFlag(*flag)) {
      absl::StrAppend(&others, FlagHelp(*flag, "VALUE"));
    }
  }
  if (!others.empty()) absl::StrAppend(&help, "\nOther flags:\n", others);
  absl::StrAppend(&help,
                  "\nExamples:\n"
                  "  mpowerd --demo-data\n"
                  "  mpowerd --config=/etc/mpower/mpowerd.conf\n"
                  "  mpowerd credentials create --id=ilo-geneva --principal=ilo-geneva-desk "
                  "--role=partner-editor --partner=partners/ilo\n"
                  "\nREADME.md says more: production, replicas on PostgreSQL, TLS, backups.\n");
  return help;
}

std::string MpowerdVersion() {
  return absl::StrCat(VersionLine("mpowerd"), "\nAPI: ", kApiPackage, "\nStorage schema: SQLite ",
                      sqlite::kSchemaVersion, ", PostgreSQL ", postgres::LatestSchemaVersion(),
                      "\n");
}

}  // namespace mpower
