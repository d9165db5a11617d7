#include "tests/process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "gtest/gtest.h"

extern char** environ;

namespace mpower::testing {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string TempPath(const char* stem) {
  static int counter = 0;
  return "/tmp/mpower-e2e-" + std::to_string(getpid()) + "-" + std::to_string(++counter) + "-" +
         stem;
}

// With `own_group`, the child leads a new process group, so that it and
// every process it starts can be killed together.
pid_t Spawn(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
            const std::string& in, const std::string& out, const std::string& err,
            bool own_group = false) {
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  if (own_group) {
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attributes, 0);
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, in.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::vector<std::string> environment;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry = *e;
    if (env.count(entry.substr(0, entry.find('='))) == 0) environment.push_back(entry);
  }
  for (const auto& [key, value] : env) environment.push_back(key + "=" + value);
  std::vector<char*> args, envp;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  for (const std::string& entry : environment) envp.push_back(const_cast<char*>(entry.c_str()));
  envp.push_back(nullptr);
  pid_t pid = -1;
  if (posix_spawn(&pid, args[0], &actions, &attributes, args.data(), envp.data()) != 0) pid = -1;
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  return pid;
}

}  // namespace

CommandResult RunCommand(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& env, const std::string& input) {
  const std::string in = TempPath("in"), out = TempPath("out"), err = TempPath("err");
  std::ofstream(in) << input;
  CommandResult result;
  const pid_t pid = Spawn(argv, env, in, out, err);
  int status = 0;
  if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  }
  result.out = ReadFile(out);
  result.err = ReadFile(err);
  std::remove(in.c_str());
  std::remove(out.c_str());
  std::remove(err.c_str());
  return result;
}

BackgroundCommand::BackgroundCommand(const std::vector<std::string>& argv,
                                     const std::map<std::string, std::string>& env)
    : out_(TempPath("bg-out")), err_(TempPath("bg-err")) {
  pid_ = Spawn(argv, env, "/dev/null", out_, err_, /*own_group=*/true);
}

BackgroundCommand::~BackgroundCommand() {
  if (pid_ > 0) {
    // The whole group: a browser's helpers outlive their parent and would
    // go on writing into its profile directory. The group's id cannot be
    // reused while its leader is unreaped.
    kill(-pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  std::remove(out_.c_str());
  std::remove(err_.c_str());
}

CommandResult BackgroundCommand::Wait() {
  CommandResult result;
  int status = 0;
  if (pid_ > 0 && waitpid(pid_, &status, 0) == pid_ && WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  }
  pid_ = -1;
  result.out = ReadFile(out_);
  result.err = ReadFile(err_);
  return result;
}

std::string BackgroundCommand::Output() const { return ReadFile(out_); }

CommandResult BackgroundCommand::Stop(int signal) {
  if (pid_ > 0) kill(pid_, signal);
  return Wait();
}

ServerProcess::ServerProcess(const std::string& data_dir,
                             const std::vector<std::string>& extra_args) {
  client_config_ = data_dir + "/client.config";
  std::vector<std::string> argv = {MPOWERD_PATH, "--listen=127.0.0.1:0", "--data-dir=" + data_dir,
                                   "--client-config=" + client_config_};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  const std::string out = TempPath("server-out");
  log_path_ = TempPath("server-log");
  pid_ = Spawn(argv, {}, "/dev/null", out, log_path_);
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (pid_ > 0 && std::chrono::steady_clock::now() < give_up) {
    const std::string printed = ReadFile(out);
    const size_t at = printed.find("serving on 127.0.0.1:");
    if (at != std::string::npos && printed.find('\n', at) != std::string::npos) {
      port_ = std::stoi(printed.substr(at + std::string("serving on 127.0.0.1:").size()));
      // With --metrics-listen, printed before it.
      if (const size_t metrics = printed.find("metrics on 127.0.0.1:"); metrics < at) {
        metrics_port_ =
            std::stoi(printed.substr(metrics + std::string("metrics on 127.0.0.1:").size()));
      }
      // With --http-listen, printed before it too.
      if (const size_t http = printed.find("HTTP on 127.0.0.1:"); http < at) {
        http_port_ = std::stoi(printed.substr(http + std::string("HTTP on 127.0.0.1:").size()));
      }
      break;
    }
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::remove(out.c_str());
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) Stop(SIGKILL);
  std::remove(log_path_.c_str());
}

std::string ServerProcess::log() const { return ReadFile(log_path_); }

std::string ServerProcess::admin_token() const {
  const std::string config = ReadFile(client_config_);
  const size_t at = config.find("token = ");
  if (at == std::string::npos) return "";
  const size_t start = at + std::string("token = ").size();
  return config.substr(start, config.find('\n', start) - start);
}

void ServerProcess::Signal(int signal) const {
  if (pid_ > 0) kill(pid_, signal);
}

int ServerProcess::Stop(int signal) {
  if (pid_ <= 0) return -1;
  kill(pid_, signal);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return status;
}

CommandResult RunMpowerAs(const ServerProcess& server, const std::string& token,
                          std::vector<std::string> args, const std::string& input) {
  args.insert(args.begin(), MPOWER_PATH);
  return RunCommand(args,
                    {{"MPOWER_ADDRESS", server.address()},
                     {"MPOWER_TOKEN", token},
                     {"MPOWER_CONFIG", "/nonexistent/mpower-config"}},
                    input);
}

std::string IssueCredential(const ServerProcess& server, const std::string& id,
                            const std::vector<std::string>& flags) {
  std::vector<std::string> args = {"credentials", "create", id, "--principal", id, "-o", "json"};
  args.insert(args.end(), flags.begin(), flags.end());
  const CommandResult issued = RunMpowerAs(server, server.admin_token(), args);
  EXPECT_EQ(issued.exit_code, 0) << issued.err;
  const size_t at = issued.out.find("\"token\": \"");
  if (at == std::string::npos) return "";
  const size_t start = at + 10;
  return issued.out.substr(start, issued.out.find('"', start) - start);
}

}  // namespace mpower::testing
