#include "server/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>

#include "absl/strings/str_cat.h"
#include "common/db/mutation.h"
#include "common/logging.h"
#include "common/status.h"
#include "server/customers/customer_service.h"
#include "server/malformed_request_interceptor.h"

namespace retail {

absl::StatusOr<std::unique_ptr<RetailServer>> BuildServer(
    const ServerOptions& options) {
  const Clock& clock = options.clock ? *options.clock : *SystemClock::Get();
  auto server = std::unique_ptr<RetailServer>(new RetailServer());
  server->clock_ = &clock;

  ASSIGN_OR_RETURN(server->auth_, Authenticator::Create(options.auth_config));
  db::DatabaseOptions db_options;
  db_options.path = options.db_path;
  db_options.reader_connections = options.reader_connections;
  db_options.now_micros = clock.NowMicros();
  ASSIGN_OR_RETURN(server->db_, db::Database::Open(db_options));

  server->customer_manager_ = std::make_unique<customers::CustomerManager>(
      *server->db_, clock, options.customers);
  server->customer_service_ = std::make_unique<customers::CustomerService>(
      *server->customer_manager_, *server->auth_);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  // Loopback by default; see README for exposing it behind TLS.
  builder.AddListeningPort(options.listen, grpc::InsecureServerCredentials(),
                           &server->port_);
  builder.SetMaxReceiveMessageSize(options.max_receive_message_bytes);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS,
                             options.keepalive_time_ms);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
                             options.keepalive_timeout_ms);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(
      GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10'000);
  builder.RegisterService(server->customer_service_.get());
  std::vector<
      std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      interceptors;
  interceptors.push_back(
      std::make_unique<MalformedRequestInterceptorFactory>());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    return absl::UnavailableError(absl::StrCat(
        "cannot listen on ", options.listen, " (address in use or invalid?)"));
  }
  server->server_->GetHealthCheckService()->SetServingStatus(true);
  if (options.maintenance_interval > absl::ZeroDuration()) {
    RetailServer* raw = server.get();
    server->maintenance_ =
        std::thread([raw, interval = options.maintenance_interval,
                     retention = options.request_id_retention] {
          raw->RunMaintenance(interval, retention);
        });
  }
  RETAIL_LOG(INFO) << "serving on port " << server->port_ << " with database "
                   << options.db_path;
  return server;
}

RetailServer::~RetailServer() { Shutdown(absl::Seconds(5)); }

std::shared_ptr<grpc::Channel> RetailServer::InProcessChannel() {
  return server_->InProcessChannel(grpc::ChannelArguments());
}

void RetailServer::RunMaintenance(absl::Duration interval,
                                  absl::Duration retention) {
  constexpr int kBatch = 10'000;  // bounds how long one sweep holds the writer
  for (;;) {
    int pruned = kBatch;
    while (pruned == kBatch) {
      pruned = 0;
      const int64_t cutoff =
          clock_->NowMicros() - absl::ToInt64Microseconds(retention);
      absl::Status s =
          db_->writer().RunSync([&](db::Connection& conn) -> absl::Status {
            ASSIGN_OR_RETURN(pruned,
                             db::PruneStoredResponses(conn, cutoff, kBatch));
            return absl::OkStatus();
          });
      if (!s.ok())
        RETAIL_LOG(WARNING) << "pruning stored responses failed: " << s;
    }
    absl::StatusOr<int> changed = kBatch;
    while (changed.ok() && *changed == kBatch) {
      changed = customer_manager_->SweepLapsedTiers(kBatch);
      if (changed.ok() && *changed > 0) {
        RETAIL_LOG(INFO) << "tier sweep: " << *changed << " customer(s) lapsed";
      }
    }
    if (!changed.ok())
      RETAIL_LOG(WARNING) << "tier sweep failed: " << changed.status();
    absl::MutexLock lock(&maintenance_mu_);
    auto stopping = [this] { return stop_maintenance_; };
    if (maintenance_mu_.AwaitWithTimeout(absl::Condition(&stopping), interval))
      return;
  }
}

void RetailServer::Shutdown(absl::Duration grace) {
  if (shut_down_ || server_ == nullptr) return;
  shut_down_ = true;
  {
    absl::MutexLock lock(&maintenance_mu_);
    stop_maintenance_ = true;
  }
  if (maintenance_.joinable()) maintenance_.join();
  server_->GetHealthCheckService()->SetServingStatus(false);
  // Calls still waiting for their commit finish normally: the writer keeps
  // running until Close() below.
  server_->Shutdown(std::chrono::system_clock::now() +
                    absl::ToChronoNanoseconds(grace));
  absl::Status closed = db_->Close();
  if (!closed.ok()) RETAIL_LOG(ERROR) << "closing the database: " << closed;
  RETAIL_LOG(INFO) << "server stopped";
}

void RetailServer::Wait() { server_->Wait(); }

}  // namespace retail
