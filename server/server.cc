#include "server/server.h"

#include <grpcpp/ext/health_check_service_server_builder_option.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/resource_quota.h>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/db/mutation.h"
#include "common/db/pg_connection.h"
#include "common/logging.h"
#include "common/status.h"
#include "server/malformed_request_interceptor.h"

namespace retail {
namespace {

// One slice of request_id pruning: bounds how long it holds the writer.
constexpr int kPruneSlice = 10'000;

// Registered by InitProtoReflectionServerBuilderPlugin.
constexpr char kReflectionService[] =
    "grpc.reflection.v1alpha.ServerReflection";

// The engine's own maintenance: forget request_id replay copies older than
// the retention window.
MaintenanceTask PruneStoredResponsesTask(db::Database& db, const Clock& clock,
                                         absl::Duration interval,
                                         absl::Duration retention) {
  return {"core.prune_request_ids", interval,
          [&db, &clock, retention]() -> absl::StatusOr<bool> {
            int pruned = 0;
            const int64_t cutoff =
                clock.NowMicros() - absl::ToInt64Microseconds(retention);
            RETURN_IF_ERROR(
                db.writer().RunSync([&](db::Connection& conn) -> absl::Status {
                  ASSIGN_OR_RETURN(pruned, db::PruneStoredResponses(
                                               conn, cutoff, kPruneSlice));
                  return absl::OkStatus();
                }));
            return pruned == kPruneSlice;
          }};
}

}  // namespace

absl::StatusOr<std::unique_ptr<RetailServer>> BuildServer(
    const ServerOptions& options) {
  const Clock& clock = options.clock ? *options.clock : *SystemClock::Get();
  auto server = std::unique_ptr<RetailServer>(new RetailServer());
  server->clock_ = &clock;
  server->chain_ = options.chain;
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(server->chain_.time_zone, &zone)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "unknown time zone '", options.chain.time_zone,
        "' (an IANA name such as Asia/Shanghai; is tzdata installed?)"));
  }

  // Transport first: a server that must not listen should not migrate the
  // database either.
  RETURN_IF_ERROR(CheckListenSecurity(options.listen, options.tls));
  std::shared_ptr<grpc::ServerCredentials> credentials =
      grpc::InsecureServerCredentials();
  if (options.tls.enabled()) {
    ASSIGN_OR_RETURN(credentials, MakeServerCredentials(options.tls));
  }

  ASSIGN_OR_RETURN(server->auth_,
                   Authenticator::Create(options.auth_config, &clock));
  db::DatabaseOptions db_options;
  db_options.path = options.db_path;
  db_options.reader_connections = options.reader_connections;
  db_options.write_connections = options.write_connections;
  db_options.now_micros = clock.NowMicros();
  db_options.schemas = AllSchemas();
  db_options.storage_probe_interval = options.storage_probe_interval;
  db_options.max_write_queue = options.max_write_queue;
  ASSIGN_OR_RETURN(server->db_, db::Database::Open(db_options));

  // Every module's access rules go in before any service is built, so each
  // handler finds its rule.
  server->gate_ = std::make_unique<CallGate>(
      *server->auth_, options.call_wait_limit, options.max_calls_in_flight,
      options.rate_limit_clock);
  server->gate_->set_client_certs_verified(options.tls.enabled() &&
                                           options.tls.mutual());
  server->call_log_ = std::make_unique<CallLog>(options.call_log);
  server->gate_->AddObserver(server->call_log_.get());
  for (const ModuleSpec& spec : Modules()) {
    server->gate_->access().Merge(spec.access());
  }
  server->failure_audit_ =
      std::make_unique<FailureAudit>(server->db_->writer(), clock);
  server->gate_->set_failure_audit(server->failure_audit_.get());
  server->description_.version = kServerVersion;
  server->registry_.Offer<ServerDescription>(&server->description_);

  std::vector<MaintenanceTask> tasks = {
      PruneStoredResponsesTask(*server->db_, clock,
                               options.maintenance_interval,
                               options.request_id_retention),
      // Folded failure counts of each finished minute.
      {"core.flush_failure_audit", absl::Minutes(1),
       [audit = server->failure_audit_.get()]() -> absl::StatusOr<bool> {
         RETURN_IF_ERROR(audit->Flush(/*all=*/false));
         return false;
       }}};
  // The engine's own upkeep (PostgreSQL: the coming months' partitions).
  for (MaintenanceTask& task : EngineMaintenanceTasks(
           *server->db_, clock, options.maintenance_interval)) {
    tasks.push_back(std::move(task));
  }
  grpc::ServerBuilder builder;
  // `options` may not outlive this call (tests build it on the stack):
  // modules get the server's own copies.
  ModuleEnv env{*server->db_,      clock,
                server->chain_,    *server->gate_,
                server->registry_, options.maintenance_interval};
  for (const ModuleSpec& spec : Modules()) {
    ASSIGN_OR_RETURN(std::unique_ptr<Module> module, spec.build(env));
    for (ModuleService* service : module->services()) {
      RETURN_IF_ERROR(service->Complete());
      RETURN_IF_ERROR(
          server->gate_->access().CheckCovers(service->descriptor()));
      builder.RegisterService(service);
      server->description_.services.push_back(
          service->descriptor().full_name());
    }
    for (MaintenanceTask& task : module->maintenance_tasks()) {
      tasks.push_back(std::move(task));
    }
    server->description_.modules.push_back(spec.name);
    server->modules_.push_back(std::move(module));
  }
  server->maintenance_ =
      std::make_unique<MaintenanceScheduler>(clock, std::move(tasks));
  // After the modules, which offer what the metrics sample (event lag).
  if (!options.metrics_listen.empty()) {
    ASSIGN_OR_RETURN(server->metrics_,
                     ServerMetrics::Start(options.metrics_listen, *server->db_,
                                          server->registry_));
    server->gate_->AddObserver(server->metrics_.get());
    server->db_->SetObserver(server->metrics_.get());
  }

  std::vector<std::string> health_names = server->description_.services;
  health_names.push_back(grpc::health::v1::Health::service_full_name());
  health_names.push_back(kReflectionService);
  server->health_ = std::make_unique<HealthService>(health_names);
  builder.RegisterService(server->health_.get());
  // Ours replaces gRPC's built-in health service, which must not claim the
  // same methods.
  builder.SetOption(
      std::make_unique<grpc::HealthCheckServiceServerBuilderOption>(nullptr));
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  // Plaintext only on loopback (CheckListenSecurity above).
  builder.AddListeningPort(options.listen, credentials, &server->port_);
  builder.SetMaxReceiveMessageSize(options.max_receive_message_bytes);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS,
                             options.keepalive_time_ms);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
                             options.keepalive_timeout_ms);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(
      GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10'000);
  // Without these gRPC 1.51 lets one connection open any number of streams
  // and keeps connections (and their file descriptors) forever.
  if (options.max_concurrent_streams > 0) {
    builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS,
                               options.max_concurrent_streams);
  }
  builder.AddChannelArgument(GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS,
                             options.handshake_timeout_ms);
  if (options.max_connection_idle_ms > 0) {
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS,
                               options.max_connection_idle_ms);
  }
  if (options.max_connection_age_ms > 0) {
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS,
                               options.max_connection_age_ms);
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS,
                               options.max_connection_age_grace_ms);
  }
  grpc::ResourceQuota quota("retail_server");
  if (options.grpc_memory_quota_bytes > 0) {
    quota.Resize(static_cast<size_t>(options.grpc_memory_quota_bytes));
  }
  if (options.grpc_max_threads > 0) {
    quota.SetMaxThreads(options.grpc_max_threads);
  }
  builder.SetResourceQuota(quota);
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
  // Storage faults flip health from the writer thread from now on.
  server->db_->writer().SetStorageListener(
      [s = server.get()](bool) { s->UpdateHealth(); });
  server->UpdateHealth();
  if (options.maintenance_interval > absl::ZeroDuration()) {
    server->maintenance_->Start();
  }
  RETAIL_LOG(INFO) << "serving on port " << server->port_ << " ("
                   << (!options.tls.enabled() ? "plaintext"
                       : options.tls.mutual() ? "mTLS"
                                              : "TLS")
                   << ") with database "
                   << db::DisplayDatabase(options.db_path);
  return server;
}

RetailServer::~RetailServer() {
  // Logged by Shutdown; a destructor has no one to tell.
  Shutdown(absl::Seconds(5)).IgnoreError();
  // The metrics outlive the database and the modules they sample at scrape
  // time (they are told of every call and batch until the end): close
  // their listener before those go, also when start-up failed midway.
  if (metrics_ != nullptr) metrics_->Stop();
}

std::shared_ptr<grpc::Channel> RetailServer::InProcessChannel() {
  return server_->InProcessChannel(grpc::ChannelArguments());
}

std::vector<const ModuleService*> RetailServer::services() const {
  std::vector<const ModuleService*> out;
  for (const auto& module : modules_) {
    for (const ModuleService* s : module->services()) out.push_back(s);
  }
  return out;
}

void RetailServer::Drain() {
  {
    std::lock_guard<std::mutex> lock(health_mu_);
    draining_ = true;
  }
  UpdateHealth();
}

void RetailServer::UpdateHealth() {
  if (health_ == nullptr) return;
  std::lock_guard<std::mutex> lock(health_mu_);
  health_->SetServing(!draining_ && db_->storage_ok());
}

absl::Status RetailServer::Shutdown(absl::Duration grace) {
  if (shut_down_ || server_ == nullptr) return shutdown_status_;
  shut_down_ = true;
  // Returns after the slice in progress, not after a whole sweep.
  if (maintenance_ != nullptr) maintenance_->Stop();
  // Before the server: open Watch streams would otherwise hold it for the
  // whole grace period. Modules end their own long-lived streams the same
  // way (e.g. WatchEvents).
  health_->Shutdown();
  for (auto& module : modules_) module->Stop();
  // Calls still waiting for their commit finish normally: the writer keeps
  // running until Close() below.
  server_->Shutdown(std::chrono::system_clock::now() +
                    absl::ToChronoNanoseconds(grace));
  // No call is left to fail: write the folded counts still in memory.
  if (absl::Status flushed = failure_audit_->Flush(/*all=*/true);
      !flushed.ok()) {
    RETAIL_LOG(WARNING) << "folded failure counts lost: " << flushed;
  }
  shutdown_status_ = db_->Close();
  if (!shutdown_status_.ok()) {
    RETAIL_LOG(ERROR) << "closing the database: " << shutdown_status_;
  }
  RETAIL_LOG(INFO) << "server stopped";
  return shutdown_status_;
}

void RetailServer::Wait() { server_->Wait(); }

}  // namespace retail
