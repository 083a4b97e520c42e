#include "tests/crash/server_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"

namespace retail::crash {

ServerProcess::ServerProcess(std::string binary, std::string log_path)
    : binary_(std::move(binary)), log_path_(std::move(log_path)) {}

ServerProcess::~ServerProcess() { Kill(); }

absl::Status ServerProcess::Start() {
  if (pid_ > 0)
    return absl::FailedPreconditionError("a server is already running");
  // Everything the child needs is prepared before fork(): the parent has
  // gRPC threads, so between fork() and exec() the child may only make
  // async-signal-safe calls (no allocation, no locks).
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(binary_.c_str()));
  for (const std::string& arg : args_)
    argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view entry(*e);
    const bool replaced =
        std::any_of(env_.begin(), env_.end(), [&](const std::string& mine) {
          return entry.substr(0, entry.find('=') + 1) ==
                 std::string_view(mine).substr(0, mine.find('=') + 1);
        });
    if (!replaced) envp.push_back(*e);
  }
  for (const std::string& entry : env_) {
    envp.push_back(const_cast<char*>(entry.c_str()));
  }
  envp.push_back(nullptr);
  const int log_fd =
      open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    return absl::InternalError(
        absl::StrCat("open ", log_path_, ": ", strerror(errno)));
  }
  const int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  const pid_t parent = getpid();

  const pid_t pid = fork();
  if (pid < 0) {
    const int err = errno;
    close(log_fd);
    if (null_fd >= 0) close(null_fd);
    return absl::InternalError(absl::StrCat("fork: ", strerror(err)));
  }
  if (pid == 0) {
    // If the test process dies (e.g. killed by ctest's timeout), take the
    // server with it instead of leaving it holding the port and the files.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    // The parent's signal mask is inherited across exec; start clean.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    if (null_fd >= 0) dup2(null_fd, STDIN_FILENO);
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  close(log_fd);
  if (null_fd >= 0) close(null_fd);
  pid_ = pid;
  return absl::OkStatus();
}

bool ServerProcess::Reap(bool block) {
  if (pid_ <= 0) return true;
  for (;;) {
    const pid_t r = waitpid(pid_, &wait_status_, block ? 0 : WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      return true;
    }
    if (r == 0) return false;  // still running (WNOHANG)
    if (errno == EINTR) continue;
    pid_ = -1;  // ECHILD: not ours any more; nothing left to reap
    return true;
  }
}

bool ServerProcess::Running() { return pid_ > 0 && !Reap(/*block=*/false); }

void ServerProcess::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  Reap(/*block=*/true);
}

absl::StatusOr<int> ServerProcess::Terminate(absl::Duration timeout) {
  if (pid_ <= 0) return absl::FailedPreconditionError("no server is running");
  kill(pid_, SIGTERM);
  const absl::Time deadline = absl::Now() + timeout;
  while (!Reap(/*block=*/false)) {
    if (absl::Now() >= deadline) {
      Kill();
      return absl::DeadlineExceededError(absl::StrCat(
          "the server did not exit within ", absl::FormatDuration(timeout),
          " of SIGTERM; killed it"));
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  if (WIFEXITED(wait_status_)) return WEXITSTATUS(wait_status_);
  return absl::InternalError(
      absl::StrCat("the server died from signal ", WTERMSIG(wait_status_)));
}

}  // namespace retail::crash
