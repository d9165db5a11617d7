#include "client/args.h"

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace mpower::cli {

std::string Args::Get(const std::string& flag, const std::string& otherwise) const {
  auto found = flags.find(flag);
  return found == flags.end() ? otherwise : found->second;
}

absl::StatusOr<Args> ParseArgs(int argc, char** argv, const std::set<std::string>& known,
                               const std::set<std::string>& booleans) {
  static const std::map<std::string, std::string> kShort = {
      {"-o", "output"}, {"-f", "file"}, {"-h", "help"}};
  Args args;
  bool only_positional = false;
  for (int i = 1; i < argc; ++i) {
    std::string word = argv[i];
    if (only_positional || word == "-" || !absl::StartsWith(word, "-")) {
      args.positional.push_back(word);
      continue;
    }
    if (word == "--") {
      only_positional = true;
      continue;
    }
    std::string name;
    std::string value;
    bool has_value = false;
    if (auto short_form = kShort.find(word); short_form != kShort.end()) {
      name = short_form->second;
    } else if (absl::StartsWith(word, "--")) {
      name = word.substr(2);
      if (size_t equals = name.find('='); equals != std::string::npos) {
        value = name.substr(equals + 1);
        name.resize(equals);
        has_value = true;
      }
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag ", word));
    }
    if (known.count(name) == 0) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name));
    }
    if (booleans.count(name) > 0) {
      value = has_value ? value : "true";
    } else if (!has_value) {
      if (i + 1 >= argc) {
        return absl::InvalidArgumentError(absl::StrCat("flag --", name, " needs a value"));
      }
      value = argv[++i];
    }
    if (!args.flags.emplace(name, value).second) {
      return absl::InvalidArgumentError(absl::StrCat("flag --", name, " given twice"));
    }
    args.flag_order.push_back(name);
  }
  return args;
}

}  // namespace mpower::cli
