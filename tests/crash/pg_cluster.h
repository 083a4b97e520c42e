// PostgreSQL for the crash test (issue 16): a cluster made and started with
// scripts/pg, which the test may stop the hard way under load
// (pg_ctl stop -m immediate: every backend is killed at once and the next
// start replays the WAL, as after a crash of the database's machine) and
// start again on the same port, so the server's URL stays valid.
//
// Only a cluster of the test's own may be stopped: the ctest fixture's is
// shared by every pg test running in parallel.
#ifndef RETAIL_TESTS_CRASH_PG_CLUSTER_H_
#define RETAIL_TESTS_CRASH_PG_CLUSTER_H_

#include <string>

#include "absl/status/status.h"

namespace retail::crash {

class PgCluster {
 public:
  // `scripts_pg`: the scripts/pg script; `dir`: the cluster's directory
  // (scripts/pg's DIR, under /tmp when run as root); `log_path`: where the
  // output of every scripts/pg and pg_ctl run is appended.
  PgCluster(std::string scripts_pg, std::string dir, std::string log_path);

  // scripts/pg start DIR, the first time on a port it picks; later on the
  // same port. A cluster already running in DIR (a run cut short) is
  // reused.
  absl::Status Start();
  // pg_ctl stop -m immediate, as the cluster's owner; waits for the
  // postmaster to exit.
  absl::Status StopImmediately();
  // scripts/pg stop DIR (a fast shutdown).
  absl::Status Stop();

  // From DIR/url, after Start().
  const std::string& url() const { return url_; }
  const std::string& dir() const { return dir_; }
  // The end of the cluster's own log (DIR/log), for a failure report.
  std::string LogTail(size_t bytes) const;

 private:
  // Runs `command` through the shell, its output appended to log_path_.
  int Shell(const std::string& command) const;

  const std::string scripts_pg_;
  const std::string dir_;
  const std::string log_path_;
  std::string url_;
  std::string port_;  // once known, every start asks for it again
};

}  // namespace retail::crash

#endif  // RETAIL_TESTS_CRASH_PG_CLUSTER_H_
