#include "client/completion.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "client/command_status.h"
#include "client/commands.h"
#include "google/protobuf/descriptor.h"
#include "mpower/v1/alert.pb.h"

namespace mpower::cli {
namespace {

using google::protobuf::EnumDescriptor;
using google::protobuf::FieldDescriptor;

// The command line before the word under the cursor: its positional words,
// and the flag still waiting for its value (the cursor's word is that
// value), if any.
struct Typed {
  std::vector<std::string> positional;
  std::string pending_flag;
};

Typed ReadTyped(const std::vector<std::string>& words) {
  Typed typed;
  for (size_t i = 0; i + 1 < words.size(); ++i) {
    const std::string& word = words[i];
    if (!typed.pending_flag.empty()) {
      typed.pending_flag.clear();
    } else if (absl::StartsWith(word, "--")) {
      const std::string name = word.substr(2);
      if (name.find('=') == std::string::npos && BooleanFlags().count(name) == 0) {
        typed.pending_flag = name;
      }
    } else if (word == "-o" || word == "-f") {
      typed.pending_flag = word == "-o" ? "output" : "file";
    } else if (!absl::StartsWith(word, "-")) {
      typed.positional.push_back(word);
    }
  }
  return typed;
}

// The flags the command `positional` selects takes, as "--name".
std::vector<std::string> FlagsFor(const std::vector<std::string>& positional) {
  std::set<std::string> flags = CommonFlags();
  if (const SpecialCommand* special = FindSpecialCommand(positional); special != nullptr) {
    flags.insert(special->flags.begin(), special->flags.end());
  } else if (const ResourceSpec* spec = positional.empty() ? nullptr : FindResource(positional[0]);
             spec != nullptr) {
    for (const FieldFlag& flag : spec->flags) flags.insert(flag.flag);
  }
  std::vector<std::string> out;
  for (const std::string& flag : flags) out.push_back("--" + flag);
  return out;
}

// The values of an enum as the CLI's tables show them (POLICY for
// KIND_POLICY), without the unspecified zero.
std::vector<std::string> EnumValues(const EnumDescriptor* type) {
  std::vector<std::string> values;
  const std::string unspecified = type->value_count() > 0 ? type->value(0)->name() : "";
  const std::string prefix = absl::EndsWith(unspecified, "UNSPECIFIED")
                                 ? unspecified.substr(0, unspecified.size() - 11)
                                 : "";
  for (int i = 0; i < type->value_count(); ++i) {
    if (type->value(i)->number() == 0) continue;
    values.push_back(std::string(absl::StripPrefix(type->value(i)->name(), prefix)));
  }
  return values;
}

// The field a resource's flag sets, or null.
const FieldDescriptor* FieldOfFlag(const ResourceSpec& spec, absl::string_view flag) {
  for (const FieldFlag& field_flag : spec.flags) {
    if (flag != field_flag.flag) continue;
    const google::protobuf::Descriptor* message = spec.message();
    const FieldDescriptor* field = nullptr;
    for (absl::string_view part : absl::StrSplit(field_flag.path, '.')) {
      if (message == nullptr) return nullptr;
      field = message->FindFieldByName(std::string(part));
      if (field == nullptr) return nullptr;
      message = field->message_type();
    }
    return field;
  }
  return nullptr;
}

// The values `flag` may take, where they are known; names come from the
// server.
std::vector<std::string> ValuesOf(const std::string& flag, const Typed& typed,
                                  const NameLister& names) {
  const ResourceSpec* spec = typed.positional.empty() ? nullptr : FindResource(typed.positional[0]);
  if (flag == "output") return {"table", "json"};
  if (flag == "file" || flag == "out" || flag == "tls-ca" || flag == "tls-cert" ||
      flag == "tls-key") {
    return {kCompleteFiles};
  }
  if (flag == "format") return {"commitments-csv", "initiatives-csv", "iati"};
  if (flag == "categories" || flag == "min-severity") {
    const FieldDescriptor* field =
        v1::Alert::descriptor()->FindFieldByName(flag == "categories" ? "category" : "severity");
    if (spec == nullptr || FieldOfFlag(*spec, flag) == nullptr) {
      return EnumValues(field->enum_type());
    }
  }
  if (flag == "collections" && (spec == nullptr || FieldOfFlag(*spec, flag) == nullptr)) {
    std::vector<std::string> collections;
    for (const ResourceSpec& resource : Resources()) {
      if (resource.service_name == nullptr) collections.push_back(resource.plural);
    }
    return collections;
  }
  if (spec != nullptr) {
    if (const FieldDescriptor* field = FieldOfFlag(*spec, flag); field != nullptr) {
      if (field->enum_type() != nullptr) return EnumValues(field->enum_type());
      if (field->type() == FieldDescriptor::TYPE_BOOL) return {"true", "false"};
    }
  }
  // A partner, or a nested resource's parent.
  if (flag == "partner" || flag == "parent-partner" || flag == "responding-partner" ||
      flag == "parent") {
    const ResourceSpec* parent = flag == "parent" && spec != nullptr && spec->nested()
                                     ? FindResource(spec->parent_word)
                                     : FindResource("partners");
    if (parent != nullptr && names) return names(*parent);
  }
  return {};
}

// What goes in place of a new positional word after `positional`.
std::vector<std::string> PositionalCandidates(const std::vector<std::string>& positional,
                                              const NameLister& names) {
  if (positional.empty()) {
    std::vector<std::string> words;
    for (const ResourceSpec& spec : Resources()) words.push_back(spec.plural);
    for (const char* word : {"changes", "report", "country", "version", "completion", "outbox"}) {
      words.push_back(word);
    }
    return words;
  }
  const std::string& first = positional[0];
  if (const ResourceSpec* spec = FindResource(first); spec != nullptr) {
    if (positional.size() == 1) return VerbsOf(*spec);
    if (positional.size() == 2 && TakesName(positional[1]) && names) return names(*spec);
    return {};
  }
  if (positional.size() != 1) return {};
  if (first == "completion") return {"bash", "zsh", "fish"};
  if (first == "changes") return {"list", "watch"};
  for (const SpecialCommand& command : SpecialCommands()) {
    if (command.words.size() == 1 && command.words[0] == first) return command.second_words;
  }
  return {};
}

// Those of `candidates` that start with `typed` (after `keep`, which each
// gets back in front: "--kind=" or "ID,"). Lower-case input gets lower-case
// enum values, which the CLI accepts as well.
std::vector<std::string> Matching(const std::vector<std::string>& candidates,
                                  absl::string_view keep, absl::string_view typed) {
  const bool lower = !typed.empty() && absl::AsciiStrToLower(typed) == typed;
  std::vector<std::string> out;
  for (std::string candidate : candidates) {
    if (candidate == kCompleteFiles) return {kCompleteFiles};
    if (lower && absl::AsciiStrToUpper(candidate) == candidate) {
      candidate = absl::AsciiStrToLower(candidate);
    }
    if (absl::StartsWith(candidate, typed)) out.push_back(absl::StrCat(keep, candidate));
  }
  return out;
}

// For a list value ("ID,MY,"), the part already complete, to keep.
absl::string_view CompletedListPart(absl::string_view value) {
  const size_t comma = value.rfind(',');
  return comma == absl::string_view::npos ? "" : value.substr(0, comma + 1);
}

}  // namespace

std::vector<std::string> Complete(const std::vector<std::string>& words, const NameLister& names) {
  const std::string current = words.empty() ? "" : words.back();
  const Typed typed = ReadTyped(words);
  if (!typed.pending_flag.empty()) {
    const absl::string_view keep = CompletedListPart(current);
    return Matching(ValuesOf(typed.pending_flag, typed, names), keep,
                    absl::string_view(current).substr(keep.size()));
  }
  if (absl::StartsWith(current, "--")) {
    if (const size_t equals = current.find('='); equals != std::string::npos) {
      const absl::string_view value = absl::string_view(current).substr(equals + 1);
      const absl::string_view list = CompletedListPart(value);
      return Matching(ValuesOf(current.substr(2, equals - 2), typed, names),
                      absl::StrCat(current.substr(0, equals + 1), list), value.substr(list.size()));
    }
    return Matching(FlagsFor(typed.positional), "", current);
  }
  if (absl::StartsWith(current, "-")) return Matching(FlagsFor(typed.positional), "", current);
  return Matching(PositionalCandidates(typed.positional, names), "", current);
}

absl::StatusOr<std::string> CompletionScript(absl::string_view shell) {
  if (shell == "bash") {
    // The words are taken from the line up to the cursor, not COMP_WORDS,
    // which bash splits at '=' and ':'; each candidate then loses what of
    // the word lies before bash's own idea of it.
    return std::string(R"(# bash completion for mpower: source <(mpower completion bash)
_mpower() {
  local line="${COMP_LINE:0:COMP_POINT}"
  local -a words candidates
  read -ra words <<<"$line"
  [[ "$line" =~ [[:space:]]$ ]] && words+=("")
  local current="${words[${#words[@]}-1]}"
  local bash_current="${COMP_WORDS[COMP_CWORD]}"
  mapfile -t candidates < <("${words[0]}" __complete "${words[@]:1}" 2>/dev/null)
  if [[ "${candidates[0]-}" == ":files" ]]; then
    mapfile -t COMPREPLY < <(compgen -f -- "$bash_current")
    return
  fi
  local before="${current%"$bash_current"}"
  COMPREPLY=("${candidates[@]#"$before"}")
}
complete -o bashdefault -F _mpower mpower
)");
  }
  if (shell == "zsh") {
    return std::string(R"(#compdef mpower
# zsh completion for mpower: source <(mpower completion zsh), after compinit
_mpower() {
  local -a candidates
  candidates=("${(@f)$("${words[1]}" __complete "${(@)words[2,CURRENT]}" 2>/dev/null)}")
  candidates=("${(@)candidates:#}")
  if [[ "${candidates[1]}" == ":files" ]]; then
    _files
    return
  fi
  compadd -Q -- "${candidates[@]}"
}
if (( $+functions[compdef] )); then
  compdef _mpower mpower
fi
)");
  }
  if (shell == "fish") {
    return std::string(R"(# fish completion for mpower: mpower completion fish | source
function __mpower_complete
    set -l words (commandline -opc) (commandline -ct)
    set -l candidates ($words[1] __complete $words[2..-1] 2>/dev/null)
    if test "$candidates[1]" = ":files"
        __fish_complete_path (commandline -ct)
        return
    end
    printf '%s\n' $candidates
end
complete -c mpower -f -a '(__mpower_complete)'
)");
  }
  return UsageError(
      absl::StrCat("completion: unknown shell \"", shell, "\"; give bash, zsh or fish"));
}

}  // namespace mpower::cli
