// BuildServer: the one place that wires storage, auth and every service
// module (server/modules.cc) into a running gRPC server. main.cc and the
// integration tests both use it, so tests exercise exactly what ships.
#ifndef RETAIL_SERVER_SERVER_H_
#define RETAIL_SERVER_SERVER_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/auth.h"
#include "common/clock.h"
#include "common/db/database.h"
#include "server/call_gate.h"
#include "server/maintenance.h"
#include "server/module.h"
#include "server/module_registry.h"
#include "server/server_info/server_info_module.h"

namespace retail {

// The build's version, reported by GetServerInfo.
inline constexpr char kServerVersion[] = "0.4.0";

struct ServerOptions {
  std::string listen = "127.0.0.1:50051";  // port 0 picks a free port
  std::string db_path = "data/retail.db";
  std::string auth_config = "data/auth.conf";
  int max_receive_message_bytes = 4 * 1024 * 1024;
  int keepalive_time_ms = 60'000;
  int keepalive_timeout_ms = 20'000;
  int reader_connections = 4;
  // How long a call without a deadline may wait for the writer or a reader
  // connection before it is answered UNAVAILABLE.
  absl::Duration call_wait_limit = absl::Seconds(5);
  // Default interval of every maintenance task (tier lapse, request_id
  // pruning); each also runs once at start-up. Zero disables the maintenance
  // thread (tests drive RunMaintenance() directly).
  absl::Duration maintenance_interval = absl::Hours(1);
  // How long a request_id's first response is kept for retries.
  absl::Duration request_id_retention = absl::Hours(24 * 30);
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

  // Graceful stop: health goes NOT_SERVING, no new calls are accepted,
  // in-flight calls get until `grace` to finish, then the writer drains and
  // the WAL is checkpointed. Idempotent.
  void Shutdown(absl::Duration grace);

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

 private:
  friend absl::StatusOr<std::unique_ptr<RetailServer>> BuildServer(
      const ServerOptions& options);
  RetailServer() = default;

  const Clock* clock_ = nullptr;
  ChainSettings chain_;  // modules keep references to it
  std::unique_ptr<Authenticator> auth_;
  std::unique_ptr<db::Database> db_;
  std::unique_ptr<CallGate> gate_;
  ModuleRegistry registry_;
  ServerDescription description_;
  std::vector<std::unique_ptr<Module>> modules_;
  std::unique_ptr<MaintenanceScheduler> maintenance_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  bool shut_down_ = false;
};

// Opens and migrates the database, loads the auth config, builds every
// module and starts serving.
absl::StatusOr<std::unique_ptr<RetailServer>> BuildServer(
    const ServerOptions& options);

}  // namespace retail

#endif  // RETAIL_SERVER_SERVER_H_
