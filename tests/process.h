#ifndef MPOWER_TESTS_PROCESS_H_
#define MPOWER_TESTS_PROCESS_H_

// Runs the real mpowerd and mpower binaries for end-to-end tests.

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

namespace mpower::testing {

// What a finished command did.
struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `argv` to completion with `env` added to the environment, capturing
// stdout and stderr; stdin is `input`.
CommandResult RunCommand(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& env = {},
                         const std::string& input = "");

// A command running in the background, its output captured. It leads a
// process group of its own.
class BackgroundCommand {
 public:
  BackgroundCommand(const std::vector<std::string>& argv,
                    const std::map<std::string, std::string>& env = {});
  ~BackgroundCommand();  // kills it and what it started, if still running
  BackgroundCommand(const BackgroundCommand&) = delete;
  BackgroundCommand& operator=(const BackgroundCommand&) = delete;
  // Waits for it to exit by itself.
  CommandResult Wait();
  // What it has printed so far.
  std::string Output() const;
  // Sends `signal`, waits for it to exit, and returns what it printed.
  CommandResult Stop(int signal);

 private:
  pid_t pid_ = -1;
  std::string out_, err_;
};

// An mpowerd process on 127.0.0.1 with a port the OS picks. Killed with
// SIGKILL if still running when destroyed.
class ServerProcess {
 public:
  // Starts mpowerd with `data_dir` and `extra_args` and waits until it
  // prints the port it serves on. Aborts the test binary's expectations
  // (port() == 0) if it does not start within 10 seconds.
  ServerProcess(const std::string& data_dir, const std::vector<std::string>& extra_args = {});
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  int port() const { return port_; }
  // Its process id, while it runs.
  pid_t pid() const { return pid_; }
  // The metrics port, with --metrics-listen=127.0.0.1:0; 0 without.
  int metrics_port() const { return metrics_port_; }
  // The HTTP/JSON port, with --http-listen=127.0.0.1:0; else 0.
  int http_port() const { return http_port_; }
  // The CLI config the server wrote on its first start (address and the
  // local admin's token); point MPOWER_CONFIG at it.
  const std::string& client_config() const { return client_config_; }
  // The local admin's token from that config.
  std::string admin_token() const;
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  // What the server wrote to stderr so far (its log).
  std::string log() const;

  // Sends `signal` and waits for exit; returns the exit status as from
  // waitpid, or -1.
  int Stop(int signal);
  // Sends `signal` without waiting (e.g. SIGHUP).
  void Signal(int signal) const;

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  int metrics_port_ = 0;
  int http_port_ = 0;
  std::string log_path_;
  std::string client_config_;
};

// Runs mpower against `server` as the holder of `token` ("" for none),
// with no config file, so nothing is inherited from the bootstrapped one.
CommandResult RunMpowerAs(const ServerProcess& server, const std::string& token,
                          std::vector<std::string> args, const std::string& input = "");

// Issues the credential `id` (principal `id`, then `flags`, e.g. its role)
// as the local admin and returns its token; a test failure and "" if that
// fails.
std::string IssueCredential(const ServerProcess& server, const std::string& id,
                            const std::vector<std::string>& flags);

}  // namespace mpower::testing

#endif  // MPOWER_TESTS_PROCESS_H_
