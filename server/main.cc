// retail_server: flags, signals, and the server's lifetime. Everything else
// is in BuildServer (server.h).
#include <signal.h>

#include <cstdlib>
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/logging.h"
#include "server/server.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051", "host:port to serve on");
ABSL_FLAG(std::string, db, "data/retail.db",
          "SQLite database file (created if missing)");
ABSL_FLAG(std::string, auth_config, "data/auth.conf",
          "token file: 'sha256:<hex> <principal_id> <role> [branch=ID] "
          "[methods=M,...]' "
          "per line; re-read when it changes");
ABSL_FLAG(int32_t, max_receive_message_bytes, 4 * 1024 * 1024,
          "largest request accepted; larger ones get RESOURCE_EXHAUSTED");
ABSL_FLAG(int32_t, keepalive_time_ms, 60'000, "server keepalive ping interval");
ABSL_FLAG(int32_t, keepalive_timeout_ms, 20'000, "keepalive ping timeout");
ABSL_FLAG(int32_t, reader_connections, 4, "read-only SQLite connections");
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
// Module flags (e.g. the customer tier thresholds) live in their modules.

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("Retail customer-service gRPC server");
  absl::ParseCommandLine(argc, argv);
  // Debian builds Abseil without NDEBUG, which leaves mutex deadlock detection
  // on inside every gRPC lock: ~5% of server CPU per call in profiles.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  // Block the stop signals in every thread (gRPC's and the writer inherit
  // this mask), then wait for them synchronously below.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  retail::ServerOptions options;
  options.listen = absl::GetFlag(FLAGS_listen);
  options.db_path = absl::GetFlag(FLAGS_db);
  options.auth_config = absl::GetFlag(FLAGS_auth_config);
  options.max_receive_message_bytes =
      absl::GetFlag(FLAGS_max_receive_message_bytes);
  options.keepalive_time_ms = absl::GetFlag(FLAGS_keepalive_time_ms);
  options.keepalive_timeout_ms = absl::GetFlag(FLAGS_keepalive_timeout_ms);
  options.reader_connections = absl::GetFlag(FLAGS_reader_connections);
  options.maintenance_interval =
      absl::Seconds(absl::GetFlag(FLAGS_maintenance_interval_seconds));
  options.request_id_retention =
      absl::Hours(24) * absl::GetFlag(FLAGS_request_id_retention_days);
  options.call_wait_limit =
      absl::Milliseconds(absl::GetFlag(FLAGS_call_wait_limit_ms));
  options.chain.currency_code = absl::GetFlag(FLAGS_currency);
  options.chain.time_zone = absl::GetFlag(FLAGS_time_zone);

  auto server = retail::BuildServer(options);
  if (!server.ok()) {
    RETAIL_LOG(ERROR) << "cannot start: " << server.status();
    return 1;
  }
  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  RETAIL_LOG(INFO) << "received signal " << signal_number << "; shutting down";
  (*server)->Shutdown(
      absl::Seconds(absl::GetFlag(FLAGS_shutdown_grace_seconds)));
  return 0;
}
