// BuildServer: the one place that wires storage, auth and every service into
// a running gRPC server. main.cc and the integration tests both use it, so
// tests exercise exactly what ships.
#ifndef RETAIL_SERVER_SERVER_H_
#define RETAIL_SERVER_SERVER_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/auth.h"
#include "common/clock.h"
#include "common/db/database.h"
#include "server/customers/customer_manager.h"

namespace retail {

struct ServerOptions {
  std::string listen = "127.0.0.1:50051";  // port 0 picks a free port
  std::string db_path = "data/retail.db";
  std::string auth_config = "data/auth.conf";
  int max_receive_message_bytes = 4 * 1024 * 1024;
  int keepalive_time_ms = 60'000;
  int keepalive_timeout_ms = 20'000;
  int reader_connections = 4;
  // How often time-driven rules run (tier lapse); also once at start-up.
  // Zero disables the maintenance thread (tests drive sweeps directly).
  absl::Duration maintenance_interval = absl::Hours(1);
  // How long a request_id's first response is kept for retries.
  absl::Duration request_id_retention = absl::Hours(24 * 30);
  customers::CustomerOptions customers;
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
  customers::CustomerManager& customer_manager() { return *customer_manager_; }

 private:
  friend absl::StatusOr<std::unique_ptr<RetailServer>> BuildServer(
      const ServerOptions& options);
  RetailServer() = default;
  // Runs the time-driven sweeps every `interval` until Shutdown().
  void RunMaintenance(absl::Duration interval, absl::Duration retention);

  const Clock* clock_ = nullptr;
  std::unique_ptr<Authenticator> auth_;
  std::unique_ptr<db::Database> db_;
  std::unique_ptr<customers::CustomerManager> customer_manager_;
  std::unique_ptr<grpc::Service> customer_service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  bool shut_down_ = false;
  absl::Mutex maintenance_mu_;
  bool stop_maintenance_ ABSL_GUARDED_BY(maintenance_mu_) = false;
  std::thread maintenance_;
};

// Opens and migrates the database, loads the auth config and starts serving.
absl::StatusOr<std::unique_ptr<RetailServer>> BuildServer(
    const ServerOptions& options);

}  // namespace retail

#endif  // RETAIL_SERVER_SERVER_H_
