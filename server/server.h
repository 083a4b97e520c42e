// BuildServer: the one place that wires storage, auth and every service
// module (server/modules.cc) into a running gRPC server. main.cc and the
// integration tests both use it, so tests exercise exactly what ships.
#ifndef RETAIL_SERVER_SERVER_H_
#define RETAIL_SERVER_SERVER_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/auth.h"
#include "common/clock.h"
#include "common/db/database.h"
#include "server/call_gate.h"
#include "server/call_log.h"
#include "server/failure_audit.h"
#include "server/health_service.h"
#include "server/maintenance.h"
#include "server/metrics/server_metrics.h"
#include "server/module.h"
#include "server/module_registry.h"
#include "server/server_info/server_info_module.h"
#include "server/tls.h"

namespace retail {

// The build's version, reported by GetServerInfo.
inline constexpr char kServerVersion[] = "0.4.0";

struct ServerOptions {
  // Port 0 picks a free port. Anything but loopback needs `tls`.
  std::string listen = "127.0.0.1:50051";
  // TLS, or mTLS with a client CA; off: plaintext (loopback only).
  TlsOptions tls;
  std::string db_path = "data/retail.db";
  std::string auth_config = "data/auth.conf";
  int max_receive_message_bytes = 4 * 1024 * 1024;
  int keepalive_time_ms = 60'000;
  int keepalive_timeout_ms = 20'000;
  int reader_connections = 4;
  int write_connections = 4;  // PostgreSQL only
  // How long a call without a deadline may wait for the writer or a reader
  // connection before it is answered UNAVAILABLE.
  absl::Duration call_wait_limit = absl::Seconds(5);
  // Default interval of every maintenance task (tier lapse, request_id
  // pruning); each also runs once at start-up. Zero disables the maintenance
  // thread (tests drive RunMaintenance() directly).
  absl::Duration maintenance_interval = absl::Hours(1);
  // How long a request_id's first response is kept for retries.
  absl::Duration request_id_retention = absl::Hours(24 * 30);
  // After a storage fault (I/O error, full disk), how often the writer tries
  // to recover; health answers NOT_SERVING until it has.
  absl::Duration storage_probe_interval = absl::Seconds(1);

  // Resource bounds. A client that opens streams and never
  // reads the answers pins each answer in memory until gRPC is done with the
  // call; these keep that, and the connections themselves, bounded.
  //
  // Streams one connection may have open at once (HTTP/2 SETTINGS; a client
  // queues the rest).
  int max_concurrent_streams = 100;
  // Calls of every connection together being served or still sending their
  // answer; more are answered RESOURCE_EXHAUSTED (reason SERVER_OVERLOADED)
  // at once. 0: no limit. Health checks are not counted.
  int max_calls_in_flight = 256;
  // A connection that has not finished the HTTP/2 handshake by then is
  // closed (gRPC's default is 120 s: plenty of time to hold descriptors).
  int handshake_timeout_ms = 10'000;
  // A connection with no call for this long is sent GOAWAY; clients
  // reconnect when they next need to. 0: never.
  int max_connection_idle_ms = 5 * 60'000;
  // Every connection is sent GOAWAY after about this long, and closed
  // `max_connection_age_grace_ms` later whatever is still running on it.
  // 0: never.
  int max_connection_age_ms = 30 * 60'000;
  int max_connection_age_grace_ms = 60'000;
  // Memory gRPC itself may allocate (transport buffers, call state); under
  // pressure it shrinks flow-control windows and then cancels streams.
  // Answers built by the services are not counted: max_calls_in_flight
  // bounds those. 0: no limit.
  int64_t grpc_memory_quota_bytes = 512LL * 1024 * 1024;
  // Threads gRPC may start for its synchronous services (reflection).
  int grpc_max_threads = 64;
  // Writes that may wait for the writer at once; more are answered
  // UNAVAILABLE (reason WRITER_QUEUE_FULL) with RetryInfo at once, never
  // applied. 0: no limit.
  int max_write_queue = 10'000;
  // Paces the per-principal rate limits of auth.conf; null: the steady
  // clock (tests inject a FakeClock to make refusals deterministic).
  const Clock* rate_limit_clock = nullptr;

  // Prometheus exposition (server/metrics/): its own HTTP listener, e.g.
  // "127.0.0.1:9464" (port 0 picks a free port). Empty: no metrics.
  std::string metrics_listen;
  // The per-call log and its slow-call lines (server/call_log.h).
  CallLogOptions call_log;

  ChainSettings chain;
  const Clock* clock = nullptr;  // null: the system clock
};

class RetailServer {
 public:
  ~RetailServer();

  // The bound port (useful with port 0).
  int port() const { return port_; }

  // A channel to this server that skips the network, for tests.
  std::shared_ptr<grpc::Channel> InProcessChannel();

  // Health answers NOT_SERVING for every service from now on, so load
  // balancers stop sending calls; calls that still come are served. The
  // caller waits (--drain_seconds), then calls Shutdown().
  void Drain();

  // Graceful stop: health goes NOT_SERVING and health Watch streams end, no
  // new calls are accepted, in-flight calls get until `grace` to finish, then
  // the writer drains and the WAL is checkpointed. Returns the error of
  // closing the database (e.g. a failed checkpoint), which the process
  // should exit non-zero for. Idempotent: later calls return the first
  // result.
  absl::Status Shutdown(absl::Duration grace);

  // Blocks until the server stops.
  void Wait();

  db::Database& database() { return *db_; }
  const ModuleRegistry& registry() const { return registry_; }
  // The merged access table of every module.
  const AccessTable& access() const { return gate_->access(); }
  // Every service served, with how each method is handled.
  std::vector<const ModuleService*> services() const;
  // Runs the maintenance tasks that are due by the clock (tests, with a
  // FakeClock and maintenance_interval zero).
  int RunMaintenance() { return maintenance_->RunDue(); }
  // The grpc.health.v1.Health service, which has a status for every service
  // served (services(), health itself and reflection).
  HealthService& health() { return *health_; }
  // Calls holding a max_calls_in_flight slot now.
  int calls_in_flight() const { return gate_->calls_in_flight(); }
  // The metrics listener's port; 0 without metrics.
  int metrics_port() const {
    return metrics_ != nullptr ? metrics_->port() : 0;
  }
  // What a scrape would return now; empty without metrics.
  std::string MetricsExposition() const {
    return metrics_ != nullptr ? metrics_->Exposition() : std::string();
  }
  // The auth config in force (main.cc re-reads it on SIGHUP).
  Authenticator& authenticator() { return *auth_; }

 private:
  friend absl::StatusOr<std::unique_ptr<RetailServer>> BuildServer(
      const ServerOptions& options);
  RetailServer() = default;

  const Clock* clock_ = nullptr;
  ChainSettings chain_;  // modules keep references to it
  // First, so they outlive everything that reports to them.
  std::unique_ptr<CallLog> call_log_;
  std::unique_ptr<ServerMetrics> metrics_;
  std::unique_ptr<Authenticator> auth_;
  std::unique_ptr<db::Database> db_;
  std::unique_ptr<CallGate> gate_;
  ModuleRegistry registry_;
  ServerDescription description_;
  std::vector<std::unique_ptr<Module>> modules_;
  std::unique_ptr<FailureAudit> failure_audit_;
  std::unique_ptr<MaintenanceScheduler> maintenance_;
  // Outlives server_: its Watch streams end before the server is destroyed.
  std::unique_ptr<HealthService> health_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  bool shut_down_ = false;
  absl::Status shutdown_status_;
  // Health is SERVING while started, not draining, and the storage is OK.
  void UpdateHealth();
  std::mutex health_mu_;
  bool draining_ = false;  // guarded by health_mu_
};

// Opens and migrates the database, loads the auth config, builds every
// module and starts serving.
absl::StatusOr<std::unique_ptr<RetailServer>> BuildServer(
    const ServerOptions& options);

}  // namespace retail

#endif  // RETAIL_SERVER_SERVER_H_
