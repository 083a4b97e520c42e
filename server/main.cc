// retail_server: flags, signals, and the server's lifetime. Everything else
// is in BuildServer (server.h).
#include <fcntl.h>
#include <grpc/support/log.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/logging.h"
#include "server/accept_watchdog.h"
#include "server/server.h"

// jemalloc's start-up options (it reads this symbol before main). By default
// it keeps freed pages for reuse for ~10 s and purges them only when it next
// allocates, so after a flood of calls the memory stayed with the process
// (~1.4 GB seen). A background thread now returns freed pages to the system
// after a second, whether or not anything else runs. MALLOC_CONF in the
// environment still overrides these.
extern "C" {
// NOLINTNEXTLINE: the name is jemalloc's.
const char* malloc_conf =
    "background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0";
}

ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "host:port to serve on; port 0 picks a free one (see --port_file). "
          "Plaintext only on loopback (127.0.0.0/8, [::1], localhost): any "
          "other address needs --tls_cert_file and --tls_key_file");
ABSL_FLAG(std::string, tls_cert_file, "",
          "PEM certificate chain of the server (leaf first); with "
          "--tls_key_file turns TLS on. Re-read when it changes");
ABSL_FLAG(std::string, tls_key_file, "",
          "PEM private key of --tls_cert_file (unencrypted; keep it mode "
          "0600). Re-read when it changes");
ABSL_FLAG(std::string, tls_client_ca_file, "",
          "PEM bundle of the CAs that sign client certificates; set: every "
          "client must present one (mTLS), and auth.conf 'san:' lines name "
          "principals by it. Re-read when it changes");
ABSL_FLAG(int32_t, tls_reload_interval_seconds, 60,
          "how often the TLS files are checked for changes (rotation without "
          "a restart); new connections use the new files, open ones keep "
          "their session");
ABSL_FLAG(std::string, port_file, "",
          "once serving, write the bound port (decimal, then a newline) to "
          "this file, atomically (PATH.tmp, then rename), so a test or "
          "supervisor that passed --listen host:0 learns the port; empty: "
          "none");
ABSL_FLAG(std::string, db, "data/retail.db",
          "the database: a SQLite file (created if missing), or a "
          "PostgreSQL URL, postgresql://USER@HOST:PORT/DB?passfile=FILE "
          "(migrated at start, under an advisory lock)");
ABSL_FLAG(std::string, auth_config, "data/auth.conf",
          "principals: 'sha256:<hex of token>|san:dns:<name>|san:uri:<uri> "
          "<principal_id> <role> [branch=ID] [methods=M,...] [rate=N/s "
          "[burst=N]]' per line (san: binds a client certificate, with "
          "--tls_client_ca_file), and role defaults 'limit role=ROLE "
          "rate=N/s [burst=N]'; rate limits are per server process (with N "
          "replicas each enforces its own), exceeded: RESOURCE_EXHAUSTED "
          "with RetryInfo; re-read when it changes");
ABSL_FLAG(int32_t, max_receive_message_bytes, 4 * 1024 * 1024,
          "largest request accepted; larger ones get RESOURCE_EXHAUSTED");
ABSL_FLAG(int32_t, keepalive_time_ms, 60'000, "server keepalive ping interval");
ABSL_FLAG(int32_t, keepalive_timeout_ms, 20'000, "keepalive ping timeout");
ABSL_FLAG(int32_t, reader_connections, 4,
          "read connections (read-only SQLite connections, or PostgreSQL "
          "connections that run only reads)");
ABSL_FLAG(int32_t, write_connections, 4,
          "PostgreSQL only: writer connections, each running one "
          "SERIALIZABLE transaction at a time (SQLite has one writer)");
ABSL_FLAG(int32_t, shutdown_grace_seconds, 10,
          "on SIGTERM/SIGINT, time in-flight calls get to finish");
ABSL_FLAG(int32_t, maintenance_interval_seconds, 3600,
          "how often time-driven rules (tier lapse, request_id pruning) run; "
          "0 disables them");
ABSL_FLAG(
    int32_t, request_id_retention_days, 30,
    "how long a request_id's first response is kept so retries return it");
ABSL_FLAG(std::string, currency, "CNY",
          "ISO 4217 currency of every amount the server stores");
ABSL_FLAG(std::string, time_zone, "Asia/Shanghai",
          "IANA time zone of the chain's business day (display, business "
          "hours); API times stay UTC");
ABSL_FLAG(int32_t, call_wait_limit_ms, 5000,
          "how long a call without a deadline may wait for the writer or a "
          "reader connection before it gets UNAVAILABLE");
ABSL_FLAG(int32_t, drain_seconds, 5,
          "on SIGTERM/SIGINT, how long health reports NOT_SERVING (calls still "
          "served) before the server stops taking calls; a second signal "
          "ends it early");
ABSL_FLAG(int32_t, max_concurrent_streams, 100,
          "calls one connection may have open at once (HTTP/2 "
          "MAX_CONCURRENT_STREAMS); 0: no limit");
ABSL_FLAG(int32_t, max_calls_in_flight, 256,
          "calls of all connections together being served or sending their "
          "answer; more get RESOURCE_EXHAUSTED (SERVER_OVERLOADED) at once. "
          "Health checks are not counted. 0: no limit");
ABSL_FLAG(int32_t, max_write_queue, 10'000,
          "writes that may wait for the writer thread at once; more get "
          "UNAVAILABLE (WRITER_QUEUE_FULL) with RetryInfo at once and are not "
          "applied, so the same request_id may be retried. 0: no limit");
ABSL_FLAG(int32_t, handshake_timeout_ms, 10'000,
          "close a connection that has not completed the HTTP/2 handshake by "
          "then");
ABSL_FLAG(int32_t, max_connection_idle_ms, 5 * 60'000,
          "send GOAWAY to a connection that has had no call for this long; 0: "
          "never");
ABSL_FLAG(int32_t, max_connection_age_ms, 30 * 60'000,
          "send GOAWAY to every connection after about this long; 0: never");
ABSL_FLAG(int32_t, max_connection_age_grace_ms, 60'000,
          "after GOAWAY for age, how long calls on the connection get before "
          "it is closed");
ABSL_FLAG(int32_t, grpc_memory_quota_mb, 512,
          "memory gRPC itself may use for connections and calls; 0: no limit");
ABSL_FLAG(int32_t, grpc_max_threads, 64,
          "threads gRPC may start for synchronous services (reflection)");
ABSL_FLAG(std::string, metrics_listen, "127.0.0.1:9464",
          "where Prometheus scrapes /metrics (plain HTTP: keep it on "
          "loopback or a private network); empty: no metrics");
ABSL_FLAG(std::string, log_format, "text",
          "format of every line the server logs to stderr (the per-call "
          "lines and all others): text or json (one object per line)");
ABSL_FLAG(bool, log_calls, true,
          "one log line per call (method, principal, code, latency, "
          "request_id); slow calls are logged either way");
ABSL_FLAG(int32_t, slow_call_ms, 500,
          "calls slower than this are logged as slow, with where the time "
          "went; 0: never");
ABSL_FLAG(int32_t, accept_check_interval_ms, 10'000,
          "how often the server checks, over a new connection to its own "
          "port, that it still accepts connections; 0: never");
ABSL_FLAG(int32_t, accept_check_timeout_ms, 5'000,
          "time one such check gets (connect, handshake, health Check)");
ABSL_FLAG(int32_t, accept_check_failures, 6,
          "checks failing in a row after which the server exits with status "
          "3 for its supervisor to restart it");
// Module flags (e.g. the customer tier thresholds) live in their modules.

namespace {

// Exit status when the listener has stopped accepting (AcceptWatchdog).
constexpr int kExitListenerDead = 3;

// Every connection is a file descriptor, and gRPC 1.51 stops accepting for
// good after one EMFILE (see server/accept_watchdog.h). The soft limit is
// often 1024 while the hard limit is far higher; use all of it.
void RaiseFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  if (limit.rlim_cur < limit.rlim_max) {
    const rlim_t before = limit.rlim_cur;
    limit.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
      RETAIL_LOG(WARNING) << "cannot raise the file descriptor limit from "
                          << before << ": " << std::strerror(errno);
      return;
    }
  }
  RETAIL_LOG(INFO) << "file descriptor limit " << limit.rlim_cur;
}

// Writes "<port>\n" to `path` through `path`.tmp and a rename, so a reader
// never sees a partial number.
absl::Status WritePortFile(const std::string& path, int port) {
  const std::string tmp = path + ".tmp";
  const std::string text = std::to_string(port) + "\n";
  const int fd =
      open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::InternalError(
        absl::StrCat("cannot create ", tmp, ": ", std::strerror(errno)));
  }
  const ssize_t written = write(fd, text.data(), text.size());
  const int write_errno = errno;
  if (close(fd) != 0 || written != static_cast<ssize_t>(text.size())) {
    unlink(tmp.c_str());
    return absl::InternalError(
        absl::StrCat("cannot write ", tmp, ": ",
                     std::strerror(written < 0 ? write_errno : errno)));
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    const int rename_errno = errno;
    unlink(tmp.c_str());
    return absl::InternalError(absl::StrCat("cannot rename ", tmp, " to ", path,
                                            ": ", std::strerror(rename_errno)));
  }
  return absl::OkStatus();
}

// Waits up to `period` for another stop signal.
void WaitForSignal(const sigset_t& signals, absl::Duration period) {
  const absl::Time end = absl::Now() + period;
  for (absl::Duration left = period; left > absl::ZeroDuration();
       left = end - absl::Now()) {
    const timespec ts = absl::ToTimespec(left);
    if (sigtimedwait(&signals, nullptr, &ts) >= 0) return;
    if (errno != EINTR) return;  // EAGAIN: the period is over
  }
}

// SIGHUP (systemctl reload): re-reads the auth config now. gRPC 1.51's
// FileWatcherCertificateProvider has no "re-read now": it looks at the TLS
// files on its own every --tls_reload_interval_seconds, so the line says
// when a new certificate is picked up instead. A SIGHUP during the drain
// stays pending and is dropped at exit.
void ReloadOnHangup(retail::RetailServer& server,
                    const retail::ServerOptions& options) {
  const absl::Status auth = server.authenticator().ReloadNow();
  std::string tls = "no TLS";
  if (options.tls.enabled()) {
    tls = absl::StrCat("TLS files (", options.tls.cert_file,
                       options.tls.mutual() ? ", client CA" : "",
                       ") are not re-read by SIGHUP: gRPC picks changes up "
                       "within --tls_reload_interval_seconds=",
                       absl::ToInt64Seconds(options.tls.reload_interval));
  }
  if (auth.ok()) {
    RETAIL_LOG(INFO) << "SIGHUP: reloaded auth config " << options.auth_config
                     << "; " << tls;
  } else {
    RETAIL_LOG(ERROR) << "SIGHUP: keeping the previous auth config: " << auth
                      << "; " << tls;
  }
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("Retail customer-service gRPC server");
  absl::ParseCommandLine(argc, argv);
  // Before anything logs: every stderr line follows --log_format.
  const absl::StatusOr<retail::LogFormat> log_format =
      retail::ParseLogFormat(absl::GetFlag(FLAGS_log_format));
  if (!log_format.ok()) {
    RETAIL_LOG(ERROR) << "cannot start: " << log_format.status().message();
    return 1;
  }
  retail::SetLogFormat(*log_format);
  // gRPC's own lines (errors only, by default) in the same format, so a log
  // shipper parses one format.
  gpr_set_log_function([](gpr_log_func_args* args) {
    const retail::LogSeverity severity =
        args->severity == GPR_LOG_SEVERITY_ERROR ? retail::LogSeverity::kError
                                                 : retail::LogSeverity::kInfo;
    retail::LogMessage(severity, args->file, args->line).stream()
        << "grpc: " << args->message;
  });
  // Debian builds Abseil without NDEBUG, which leaves mutex deadlock detection
  // on inside every gRPC lock: ~5% of server CPU per call in profiles.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  // Requests with invalid UTF-8 make protobuf log an error each, before
  // anyone is authenticated.
  retail::InstallProtobufLogLimiter();
  RaiseFileLimit();

  // Block the stop signals and SIGHUP in every thread (gRPC's and the
  // writer inherit this mask), then wait for them synchronously below.
  // SIGHUP's default action would end the process.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  sigset_t wait_signals = stop_signals;
  sigaddset(&wait_signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &wait_signals, nullptr);

  retail::ServerOptions options;
  options.listen = absl::GetFlag(FLAGS_listen);
  options.tls.cert_file = absl::GetFlag(FLAGS_tls_cert_file);
  options.tls.key_file = absl::GetFlag(FLAGS_tls_key_file);
  options.tls.client_ca_file = absl::GetFlag(FLAGS_tls_client_ca_file);
  if (absl::GetFlag(FLAGS_tls_reload_interval_seconds) < 1) {
    RETAIL_LOG(ERROR) << "cannot start: --tls_reload_interval_seconds must be "
                         "at least 1";
    return 1;
  }
  options.tls.reload_interval =
      absl::Seconds(absl::GetFlag(FLAGS_tls_reload_interval_seconds));
  options.db_path = absl::GetFlag(FLAGS_db);
  options.auth_config = absl::GetFlag(FLAGS_auth_config);
  options.max_receive_message_bytes =
      absl::GetFlag(FLAGS_max_receive_message_bytes);
  options.keepalive_time_ms = absl::GetFlag(FLAGS_keepalive_time_ms);
  options.keepalive_timeout_ms = absl::GetFlag(FLAGS_keepalive_timeout_ms);
  options.reader_connections = absl::GetFlag(FLAGS_reader_connections);
  options.write_connections = absl::GetFlag(FLAGS_write_connections);
  options.maintenance_interval =
      absl::Seconds(absl::GetFlag(FLAGS_maintenance_interval_seconds));
  options.request_id_retention =
      absl::Hours(24) * absl::GetFlag(FLAGS_request_id_retention_days);
  options.call_wait_limit =
      absl::Milliseconds(absl::GetFlag(FLAGS_call_wait_limit_ms));
  options.max_concurrent_streams = absl::GetFlag(FLAGS_max_concurrent_streams);
  options.max_calls_in_flight = absl::GetFlag(FLAGS_max_calls_in_flight);
  options.max_write_queue = absl::GetFlag(FLAGS_max_write_queue);
  options.handshake_timeout_ms = absl::GetFlag(FLAGS_handshake_timeout_ms);
  options.max_connection_idle_ms = absl::GetFlag(FLAGS_max_connection_idle_ms);
  options.max_connection_age_ms = absl::GetFlag(FLAGS_max_connection_age_ms);
  options.max_connection_age_grace_ms =
      absl::GetFlag(FLAGS_max_connection_age_grace_ms);
  options.grpc_memory_quota_bytes =
      int64_t{absl::GetFlag(FLAGS_grpc_memory_quota_mb)} * 1024 * 1024;
  options.grpc_max_threads = absl::GetFlag(FLAGS_grpc_max_threads);
  options.metrics_listen = absl::GetFlag(FLAGS_metrics_listen);
  options.call_log.format = *log_format;
  options.call_log.enabled = absl::GetFlag(FLAGS_log_calls);
  options.call_log.slow_threshold =
      absl::Milliseconds(std::max(0, absl::GetFlag(FLAGS_slow_call_ms)));
  options.chain.currency_code = absl::GetFlag(FLAGS_currency);
  options.chain.time_zone = absl::GetFlag(FLAGS_time_zone);

  auto server = retail::BuildServer(options);
  if (!server.ok()) {
    RETAIL_LOG(ERROR) << "cannot start: " << server.status();
    return 1;
  }
  std::unique_ptr<retail::AcceptWatchdog> watchdog;
  // A plaintext health Check cannot get through a TLS listener: there the
  // watchdog probes with a TCP connection any protocol answers or closes.
  const bool tls_on_unix_socket =
      options.tls.enabled() && absl::StartsWith(options.listen, "unix:");
  if (tls_on_unix_socket) {
    RETAIL_LOG(WARNING) << "accept watchdog off: it cannot probe TLS on a "
                           "unix socket";
  }
  if (absl::GetFlag(FLAGS_accept_check_interval_ms) > 0 &&
      !tls_on_unix_socket) {
    retail::AcceptWatchdogOptions check;
    check.tls = options.tls.enabled();
    check.target = retail::WatchdogTarget(options.listen, (*server)->port());
    check.interval =
        absl::Milliseconds(absl::GetFlag(FLAGS_accept_check_interval_ms));
    check.timeout =
        absl::Milliseconds(absl::GetFlag(FLAGS_accept_check_timeout_ms));
    check.max_failures =
        std::max(1, absl::GetFlag(FLAGS_accept_check_failures));
    watchdog = std::make_unique<retail::AcceptWatchdog>(
        check, [](int failures, const absl::Status& last) {
          // Nothing new can connect, health checks included; only a restart
          // brings the listener back. No checkpoint: the WAL is durable and
          // the next start recovers it.
          RETAIL_LOG(ERROR) << "not accepting connections (" << failures
                            << " checks in a row failed; last: " << last
                            << "); exiting for the supervisor to restart";
          _exit(kExitListenerDead);
        });
  }

  // Last, so whoever reads the port finds the server serving it.
  if (const std::string port_file = absl::GetFlag(FLAGS_port_file);
      !port_file.empty()) {
    if (absl::Status written = WritePortFile(port_file, (*server)->port());
        !written.ok()) {
      RETAIL_LOG(ERROR) << "--port_file: " << written;
      if (watchdog != nullptr) watchdog->Stop();
      (*server)->Shutdown(absl::ZeroDuration()).IgnoreError();
      return 1;
    }
  }

  int signal_number = 0;
  while (sigwait(&wait_signals, &signal_number) == 0 &&
         signal_number == SIGHUP) {
    ReloadOnHangup(**server, options);
  }
  if (watchdog != nullptr) watchdog->Stop();
  RETAIL_LOG(INFO) << "received signal " << signal_number << "; shutting down";
  const absl::Duration drain =
      absl::Seconds(absl::GetFlag(FLAGS_drain_seconds));
  if (drain > absl::ZeroDuration()) {
    RETAIL_LOG(INFO) << "health NOT_SERVING for " << drain
                     << " before calls are refused";
    (*server)->Drain();
    WaitForSignal(stop_signals, drain);
  }
  const absl::Status stopped = (*server)->Shutdown(
      absl::Seconds(absl::GetFlag(FLAGS_shutdown_grace_seconds)));
  // A failed checkpoint leaves data only in the WAL: the supervisor should
  // hear about it.
  return stopped.ok() ? 0 : 1;
}
