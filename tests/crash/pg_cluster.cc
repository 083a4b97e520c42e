#include "tests/crash/pg_cluster.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace retail::crash {
namespace {

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (const char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

PgCluster::PgCluster(std::string scripts_pg, std::string dir,
                     std::string log_path)
    : scripts_pg_(std::move(scripts_pg)),
      dir_(std::move(dir)),
      log_path_(std::move(log_path)) {}

int PgCluster::Shell(const std::string& command) const {
  std::ofstream(log_path_, std::ios::app) << "$ " << command << "\n";
  const int status = std::system(
      absl::StrCat("{ ", command, "; } >>", Quote(log_path_), " 2>&1").c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

absl::Status PgCluster::Start() {
  std::string command =
      absl::StrCat(Quote(scripts_pg_), " start ", Quote(dir_));
  // The server keeps the URL it was given: the port must not move.
  if (!port_.empty()) absl::StrAppend(&command, " --port ", port_);
  const int status = Shell(command);
  // 3: already running, e.g. left by a run that was cut short.
  if (status != 0 && !(status == 3 && port_.empty())) {
    return absl::InternalError(
        absl::StrCat(command, " exited ", status, "; see ", log_path_));
  }
  url_ = std::string(absl::StripAsciiWhitespace(ReadAll(dir_ + "/url")));
  // postgresql://USER@127.0.0.1:PORT/retail?...
  const size_t host = url_.find("@127.0.0.1:");
  if (host == std::string::npos) {
    return absl::InternalError(
        absl::StrCat("no port in ", dir_, "/url: '", url_, "'"));
  }
  const size_t from = host + 11;
  port_ = url_.substr(from, url_.find('/', from) - from);
  return absl::OkStatus();
}

absl::Status PgCluster::StopImmediately() {
  // As scripts/pg runs pg_ctl: as the `postgres` user (PG_OS_USER) when we
  // are root, since the cluster's files are that user's; from inside DIR.
  const char* os_user = std::getenv("PG_OS_USER");
  const std::string user =
      os_user != nullptr && *os_user != '\0' ? os_user : "postgres";
  const std::string as_owner =
      geteuid() == 0
          ? absl::StrCat("setpriv --reuid=", Quote(user), " --regid=\"$(id -g ",
                         Quote(user), ")\" --init-groups -- ")
          : "";
  const std::string command = absl::StrCat(
      "d=\"$(pg_config --bindir 2>/dev/null)\"; [ -x \"$d/pg_ctl\" ] || "
      "d=/usr/lib/postgresql/15/bin; cd ",
      Quote(dir_), " && ", as_owner, "\"$d/pg_ctl\" stop -D ",
      Quote(dir_ + "/data"), " -m immediate -w -t 60");
  const int status = Shell(command);
  if (status != 0) {
    return absl::InternalError(absl::StrCat("pg_ctl stop -m immediate exited ",
                                            status, "; see ", log_path_));
  }
  return absl::OkStatus();
}

absl::Status PgCluster::Stop() {
  const std::string command =
      absl::StrCat(Quote(scripts_pg_), " stop ", Quote(dir_));
  const int status = Shell(command);
  if (status != 0) {
    return absl::InternalError(
        absl::StrCat(command, " exited ", status, "; see ", log_path_));
  }
  return absl::OkStatus();
}

std::string PgCluster::LogTail(size_t bytes) const {
  std::string log = ReadAll(dir_ + "/log");
  if (log.size() > bytes) log = "...\n" + log.substr(log.size() - bytes);
  return log;
}

}  // namespace retail::crash
