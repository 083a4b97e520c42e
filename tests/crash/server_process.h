// Process control for the crash test: runs the real retail_server binary as a
// child process so that SIGKILL hits a real process with its own file
// descriptors, page cache view and WAL, exactly as a power cut or the OOM
// killer would. Only the child this class started is ever signalled.
#ifndef RETAIL_TESTS_CRASH_SERVER_PROCESS_H_
#define RETAIL_TESTS_CRASH_SERVER_PROCESS_H_

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace retail::crash {

// One child process at a time: Start, then Kill or Terminate (which reap it),
// then Start again. The destructor SIGKILLs and reaps a child still running,
// so a failing test never leaks a server.
class ServerProcess {
 public:
  // `binary` is run with the arguments from set_args (argv[1..]); its stdout
  // and stderr are appended to `log_path`, so every restart's log ends up in
  // one file.
  ServerProcess(std::string binary, std::string log_path);
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // Arguments for the next Start().
  void set_args(std::vector<std::string> args) { args_ = std::move(args); }
  // "NAME=value" entries added to (or replacing) the inherited environment
  // at the next Start(), e.g. LD_PRELOAD of the fault VFS.
  void set_env(std::vector<std::string> env) { env_ = std::move(env); }

  // Forks and execs the binary. FAILED_PRECONDITION if a child is running.
  absl::Status Start();

  // True while the child has been started and not yet reaped. Reaps it (and
  // returns false) if it has exited on its own, e.g. because it could not
  // open the database.
  bool Running();

  // SIGKILLs the child and reaps it. No-op if none is running.
  void Kill();

  // SIGTERMs the child and waits up to `timeout` for it to exit; returns its
  // exit code, or an error if it died from a signal or had to be SIGKILLed.
  absl::StatusOr<int> Terminate(absl::Duration timeout);

  pid_t pid() const { return pid_; }

 private:
  // Waits for the child; true once reaped. `block` false polls once.
  bool Reap(bool block);

  const std::string binary_;
  std::vector<std::string> args_;
  std::vector<std::string> env_;
  const std::string log_path_;
  pid_t pid_ = -1;
  int wait_status_ = 0;  // of the last reaped child
};

}  // namespace retail::crash

#endif  // RETAIL_TESTS_CRASH_SERVER_PROCESS_H_
