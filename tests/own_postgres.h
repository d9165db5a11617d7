#ifndef MPOWER_TESTS_OWN_POSTGRES_H_
#define MPOWER_TESTS_OWN_POSTGRES_H_

// A PostgreSQL server of a test's own (scripts/postgres.sh), which it may
// restart, crash or pause without disturbing the other tests' shared one.

#include <unistd.h>

#include <string>

#include "tests/process.h"

namespace mpower::testing {

class OwnPostgres {
 public:
  OwnPostgres() {
    CommandResult started = RunCommand({MPOWER_POSTGRES_SCRIPT, "start", dir_});
    if (started.exit_code == 0) url_ = started.out.substr(0, started.out.find('\n'));
  }
  ~OwnPostgres() { RunCommand({MPOWER_POSTGRES_SCRIPT, "stop", dir_}); }
  OwnPostgres(const OwnPostgres&) = delete;
  OwnPostgres& operator=(const OwnPostgres&) = delete;

  const std::string& url() const { return url_; }  // "" if it did not start
  // A fast restart: open sessions are cut, the server shuts down cleanly.
  bool Restart() { return RunCommand({MPOWER_POSTGRES_SCRIPT, "restart", dir_}).exit_code == 0; }
  // As after a crash: stopped at once (-m immediate), recovered from the WAL.
  bool CrashRestart() {
    return RunCommand({MPOWER_POSTGRES_SCRIPT, "crash-restart", dir_}).exit_code == 0;
  }
  bool Pause() { return RunCommand({MPOWER_POSTGRES_SCRIPT, "pause", dir_}).exit_code == 0; }
  bool Resume() { return RunCommand({MPOWER_POSTGRES_SCRIPT, "resume", dir_}).exit_code == 0; }

 private:
  const std::string dir_ = "/tmp/mpower-own-pg-" + std::to_string(getpid());
  std::string url_;
};

}  // namespace mpower::testing

#endif  // MPOWER_TESTS_OWN_POSTGRES_H_
