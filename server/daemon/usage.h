#ifndef MPOWER_SERVER_DAEMON_USAGE_H_
#define MPOWER_SERVER_DAEMON_USAGE_H_

// What `mpowerd --help` and `mpowerd --version` print. help2man makes the
// man page from the two, so their layout is the one it reads: "Usage:"
// lines, then headed groups of indented "--flag=VALUE" lines.

#include <string>

namespace mpower {

// The commands, then every flag of mpowerd by group, in the spelling
// README and the configuration file use (--data-dir), each with its
// default and meaning.
std::string MpowerdHelp();

// The release, commit and build; the API package; the storage schema
// version of each backend this binary reads and writes.
std::string MpowerdVersion();

}  // namespace mpower

#endif  // MPOWER_SERVER_DAEMON_USAGE_H_
