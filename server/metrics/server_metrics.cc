#include "server/metrics/server_metrics.h"

#include <netdb.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "prometheus/collectable.h"
#include "prometheus/counter.h"
#include "prometheus/exposer.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/metric_family.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"
#include "server/events/event_stats.h"

namespace retail {
namespace {

// The ErrorInfo reasons counted as overload refusals, in refusals_ order.
// A fixed list: a reason is a label, and labels must stay bounded.
constexpr absl::string_view kRefusalReasonNames[] = {
    "RATE_LIMITED",       // the principal's token bucket (auth.conf)
    "SERVER_OVERLOADED",  // --max_calls_in_flight
    "WRITER_QUEUE_FULL",  // --max_write_queue
    "TOO_MANY_WATCHERS",  // --max_event_watchers
};

// Call latency: 0.5 ms (a cached read) to 10 s (the longest a call waits
// for the writer or a reader is --call_wait_limit_ms, 5 s by default).
prometheus::Histogram::BucketBoundaries LatencyBuckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
          0.1,    0.25,  0.5,    1,     2.5,  5,     10};
}
// The writer's steps and reader waits: from 50 µs (an fsync on a fast
// device, a short wait) up.
prometheus::Histogram::BucketBoundaries StorageBuckets() {
  return {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05,    0.1,    0.25,    0.5,    1,     2.5,    5,     10};
}
// Operations per group commit (the writer takes at most 1024).
prometheus::Histogram::BucketBoundaries BatchBuckets() {
  return {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};
}

double Seconds(absl::Duration d) { return absl::ToDoubleSeconds(d); }

// Brings a counter up to a total the storage layer keeps (sampled at
// scrape): prometheus counters only go up, and so do those totals.
void AdvanceTo(prometheus::Counter* counter, int64_t total) {
  if (counter == nullptr) return;
  const double by = static_cast<double>(total) - counter->Value();
  if (by > 0) counter->Increment(by);
}

// "127.0.0.1:9464" → host "127.0.0.1"; "[::1]:9464" → "::1". False when
// `listen` is not host:port with a decimal port.
bool SplitListen(absl::string_view listen, absl::string_view* host) {
  const size_t colon = listen.rfind(':');
  if (colon == absl::string_view::npos || colon == 0) return false;
  absl::string_view h = listen.substr(0, colon);
  const absl::string_view port = listen.substr(colon + 1);
  int n = 0;
  if (port.empty() || !absl::SimpleAtoi(port, &n) || n < 0 || n > 65535) {
    return false;
  }
  for (char c : port) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') {
    h = h.substr(1, h.size() - 2);
  }
  if (h.empty()) return false;
  *host = h;
  return true;
}

bool IsLoopback(absl::string_view host) {
  return absl::StartsWith(host, "127.") || host == "::1" || host == "localhost";
}

// Opens and closes a connection to host:port, ignoring failures.
void Poke(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) !=
      0) {
    return;
  }
  const int fd = socket(found->ai_family, found->ai_socktype | SOCK_CLOEXEC, 0);
  if (fd >= 0) {
    (void)connect(fd, found->ai_addr, found->ai_addrlen);
    close(fd);
  }
  freeaddrinfo(found);
}

}  // namespace

// What the Exposer collects on each scrape: the gauges of state sampled
// now, then every family.
class ServerMetrics::Scrape final : public prometheus::Collectable {
 public:
  explicit Scrape(const ServerMetrics& metrics) : metrics_(metrics) {}
  std::vector<prometheus::MetricFamily> Collect() const override {
    return metrics_.Collect();
  }

 private:
  const ServerMetrics& metrics_;
};

ServerMetrics::ServerMetrics(db::Database* db, const ModuleRegistry* registry)
    : registry_(std::make_shared<prometheus::Registry>()), db_(db) {
  if (registry != nullptr) {
    events_ = registry->Find<events::EventStreamStats>();
  }
  prometheus::Registry& r = *registry_;
  // Which families are real here (without a database, as unit tests make
  // it: SQLite's).
  const bool has_wal = db == nullptr || db->engine() == db::Engine::kSqlite;
  const bool on_postgres =
      db != nullptr && db->engine() == db::Engine::kPostgres;
  const bool writer_pool =
      db != nullptr && db->writer().pool_stats().has_value();
  calls_ = &prometheus::BuildCounter()
                .Name("retail_calls_total")
                .Help(
                    "Calls answered, by method and gRPC status code (a "
                    "server stream counts when it ends)")
                .Register(r);
  latency_ = &prometheus::BuildHistogram()
                  .Name("retail_call_duration_seconds")
                  .Help(
                      "Time from taking a call up to its answer, by "
                      "method (a server stream: until it ended)")
                  .Register(r);
  open_streams_ = &prometheus::BuildGauge()
                       .Name("retail_open_streams")
                       .Help("Server streams open now, by method")
                       .Register(r);
  auth_failures_ = &prometheus::BuildCounter()
                        .Name("retail_authentication_failures_total")
                        .Help(
                            "Calls refused UNAUTHENTICATED (no, unknown or "
                            "malformed token or certificate)")
                        .Register(r)
                        .Add({});
  auto& refusals =
      prometheus::BuildCounter()
          .Name("retail_call_refusals_total")
          .Help(
              "Calls refused for overload, by reason: RATE_LIMITED (the "
              "principal's rate limit), SERVER_OVERLOADED (calls in "
              "flight), WRITER_QUEUE_FULL (the writer's queue), "
              "TOO_MANY_WATCHERS (open event streams)")
          .Register(r);
  for (int i = 0; i < kRefusalReasons; ++i) {
    refusals_[i] =
        &refusals.Add({{"reason", std::string(kRefusalReasonNames[i])}});
  }
  batch_ops_ = &prometheus::BuildHistogram()
                    .Name("retail_writer_batch_operations")
                    .Help("Operations per group commit (one transaction)")
                    .Register(r)
                    .Add({}, BatchBuckets());
  transaction_ = &prometheus::BuildHistogram()
                      .Name("retail_writer_transaction_duration_seconds")
                      .Help(
                          "Group commit from BEGIN to the start of COMMIT: "
                          "every operation's statements")
                      .Register(r)
                      .Add({}, StorageBuckets());
  commit_ = &prometheus::BuildHistogram()
                 .Name("retail_writer_commit_duration_seconds")
                 .Help(
                     "COMMIT of a group commit, including its WAL fsync "
                     "(WAL mode with synchronous=FULL: this is the fsync)")
                 .Register(r)
                 .Add({}, StorageBuckets());
  failed_batches_ = &prometheus::BuildCounter()
                         .Name("retail_writer_failed_batches_total")
                         .Help(
                             "Group commits that did not commit (rolled "
                             "back, or lost to a storage fault)")
                         .Register(r)
                         .Add({});
  queue_depth_ = &prometheus::BuildGauge()
                      .Name("retail_writer_queue_depth")
                      .Help(
                          "Calls' writes waiting for the writer "
                          "(--max_write_queue bounds it), sampled at scrape")
                      .Register(r)
                      .Add({});
  // SQLite's WAL file and the checkpoints its writer runs. PostgreSQL's
  // WAL is the server's own: its checkpoints are not ours to time.
  if (has_wal) {
    auto& checkpoint =
        prometheus::BuildHistogram()
            .Name("retail_wal_checkpoint_duration_seconds")
            .Help(
                "WAL checkpoints the writer ran, by mode: passive (the WAL "
                "reached 1000 pages) or truncate (asked for by an erasure or "
                "a backup)")
            .Register(r);
    auto& checkpoint_failures =
        prometheus::BuildCounter()
            .Name("retail_wal_checkpoint_failures_total")
            .Help("WAL checkpoints that failed, by mode")
            .Register(r);
    for (int truncate = 0; truncate < 2; ++truncate) {
      const std::string mode = truncate ? "truncate" : "passive";
      checkpoint_[truncate] =
          &checkpoint.Add({{"mode", mode}}, StorageBuckets());
      checkpoint_failures_[truncate] =
          &checkpoint_failures.Add({{"mode", mode}});
    }
    wal_bytes_ =
        &prometheus::BuildGauge()
             .Name("retail_wal_size_bytes")
             .Help("Size of the database's WAL file, sampled at scrape")
             .Register(r)
             .Add({});
  }
  storage_ok_ = &prometheus::BuildGauge()
                     .Name("retail_storage_ok")
                     .Help(
                         "1 while the storage takes writes; 0 from a "
                         "storage fault until the writer recovers")
                     .Register(r)
                     .Add({});
  reader_wait_ = &prometheus::BuildHistogram()
                      .Name("retail_reader_wait_duration_seconds")
                      .Help(
                          "How long a read waited for a connection of the "
                          "reader pool (0 when one was free)")
                      .Register(r)
                      .Add({}, StorageBuckets());
  reader_waits_ = &prometheus::BuildCounter()
                       .Name("retail_reader_waits_total")
                       .Help(
                           "Reads that found every connection of the reader "
                           "pool in use and waited for one")
                       .Register(r)
                       .Add({});
  reader_connections_ =
      &prometheus::BuildGauge()
           .Name("retail_reader_connections")
           .Help("Connections of the reader pool (--reader_connections)")
           .Register(r)
           .Add({});
  reader_in_use_ = &prometheus::BuildGauge()
                        .Name("retail_reader_connections_in_use")
                        .Help(
                            "Reader connections leased to a read, sampled at "
                            "scrape")
                        .Register(r)
                        .Add({});
  if (on_postgres) {
    reader_reconnects_ = &prometheus::BuildCounter()
                              .Name("retail_reader_reconnects_total")
                              .Help(
                                  "Reader connections PostgreSQL had dropped, "
                                  "opened again before a read")
                              .Register(r)
                              .Add({});
  }
  // A writer with a pool of connections, each op its own transaction
  // retried on conflicts: PostgreSQL's.
  if (writer_pool) {
    writer_connections_ =
        &prometheus::BuildGauge()
             .Name("retail_writer_connections")
             .Help("Connections of the writer pool (--write_connections)")
             .Register(r)
             .Add({});
    writer_in_use_ = &prometheus::BuildGauge()
                          .Name("retail_writer_connections_in_use")
                          .Help(
                              "Writer connections running an operation's "
                              "transaction, sampled at scrape")
                          .Register(r)
                          .Add({});
    transaction_retries_ =
        &prometheus::BuildCounter()
             .Name("retail_writer_transaction_retries_total")
             .Help(
                 "Transactions rolled back by a serialization failure or a "
                 "deadlock (SQLSTATE 40001, 40P01) and run again")
             .Register(r)
             .Add({});
    retries_exhausted_ =
        &prometheus::BuildCounter()
             .Name("retail_writer_retries_exhausted_total")
             .Help(
                 "Operations answered UNAVAILABLE (retry) because every run "
                 "of their transaction conflicted; nothing was written")
             .Register(r)
             .Add({});
    writer_reconnects_ = &prometheus::BuildCounter()
                              .Name("retail_writer_reconnects_total")
                              .Help(
                                  "Writer connections opened again after "
                                  "the database dropped them")
                              .Register(r)
                              .Add({});
    events_sequenced_ = &prometheus::BuildCounter()
                             .Name("retail_events_sequenced_total")
                             .Help(
                                 "Committed events this server's writer gave "
                                 "their sequence number (in commit order)")
                             .Register(r)
                             .Add({});
  }
  if (events_ != nullptr) {
    event_head_ = &prometheus::BuildGauge()
                       .Name("retail_event_head_sequence")
                       .Help("Newest event sequence the event stream has read")
                       .Register(r)
                       .Add({});
    event_lag_ = &prometheus::BuildGauge()
                      .Name("retail_event_stream_max_lag_events")
                      .Help(
                          "Over open WatchEvents streams, the largest "
                          "head sequence minus the sequence the stream "
                          "has been handed (0 without streams)")
                      .Register(r)
                      .Add({});
  }
}

ServerMetrics::~ServerMetrics() { Stop(); }

std::unique_ptr<ServerMetrics> ServerMetrics::Create(
    db::Database* db, const ModuleRegistry* registry) {
  return std::unique_ptr<ServerMetrics>(new ServerMetrics(db, registry));
}

absl::StatusOr<std::unique_ptr<ServerMetrics>> ServerMetrics::Start(
    const std::string& listen, db::Database& db,
    const ModuleRegistry& registry) {
  absl::string_view host;
  if (!SplitListen(listen, &host)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--metrics_listen \"", listen,
                     "\": give host:port, e.g. 127.0.0.1:9464 or [::1]:9464 "
                     "(port 0: any free port), or empty for no metrics"));
  }
  if (!IsLoopback(host)) {
    RETAIL_LOG(WARNING) << "--metrics_listen " << listen
                        << " is not loopback: /metrics is plain HTTP "
                           "without authentication, reachable by anyone who "
                           "can reach that address";
  }
  std::unique_ptr<ServerMetrics> m = Create(&db, &registry);
  // "localhost" as IPv4 loopback, whatever the resolver prefers.
  const std::string bind =
      host == "localhost"
          ? absl::StrCat("127.0.0.1", listen.substr(listen.rfind(':')))
          : listen;
  try {
    m->exposer_ = std::make_unique<prometheus::Exposer>(bind, 2);
  } catch (const std::exception& e) {
    return absl::FailedPreconditionError(absl::StrCat(
        "--metrics_listen ", listen,
        ": cannot listen there (in use, or not an address of this host): ",
        e.what()));
  }
  m->scrape_ = std::make_shared<Scrape>(*m);
  m->exposer_->RegisterCollectable(m->scrape_);
  const std::vector<int> ports = m->exposer_->GetListeningPorts();
  if (ports.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "--metrics_listen ", listen, ": the listener reports no port"));
  }
  m->port_ = ports.front();
  // Where Stop() can reach the listener (an "any" address by loopback).
  const std::string bound_host = bind.substr(0, bind.rfind(':'));
  m->poke_host_ = bound_host == "0.0.0.0" ? "127.0.0.1"
                  : bound_host == "[::]"  ? "::1"
                  : bound_host.front() == '['
                      ? bound_host.substr(1, bound_host.size() - 2)
                      : bound_host;
  RETAIL_LOG(INFO) << "metrics on http://" << bind.substr(0, bind.rfind(':'))
                   << ":" << m->port_ << "/metrics";
  return m;
}

void ServerMetrics::Stop() {
  // Closing the listener waits for its threads, so no scrape is left.
  // civetweb's accept loop looks at its stop flag only between polls of up
  // to 2 s: connections wake it, so shutdown does not wait for the poll.
  if (exposer_ != nullptr) {
    std::atomic<bool> stopped{false};
    std::thread waker([&] {
      while (!stopped.load()) {
        Poke(poke_host_, port_);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    });
    exposer_.reset();
    stopped = true;
    waker.join();
  }
  std::lock_guard<std::mutex> lock(sample_mu_);
  db_ = nullptr;
  events_ = nullptr;
}

ServerMetrics::MethodMetrics& ServerMetrics::ForMethod(
    absl::string_view method) {
  {
    std::shared_lock<std::shared_mutex> lock(methods_mu_);
    auto it = methods_.find(method);
    if (it != methods_.end()) return *it->second;
  }
  // First call of the method (methods are the access table's: bounded).
  std::unique_lock<std::shared_mutex> lock(methods_mu_);
  auto& slot = methods_[method];
  if (slot == nullptr) {
    slot = std::make_unique<MethodMetrics>();
    slot->name = std::string(method);
    slot->latency = &latency_->Add({{"method", slot->name}}, LatencyBuckets());
  }
  return *slot;
}

prometheus::Gauge& ServerMetrics::OpenStreams(MethodMetrics& m) {
  prometheus::Gauge* g = m.open_streams.load(std::memory_order_acquire);
  if (g == nullptr) {
    // Family::Add returns the existing series for the same labels, so a
    // race makes it once.
    g = &open_streams_->Add({{"method", m.name}});
    m.open_streams.store(g, std::memory_order_release);
  }
  return *g;
}

void ServerMetrics::OnCallDone(const CallRecord& call) {
  MethodMetrics& m = ForMethod(call.method);
  int code = static_cast<int>(call.code);
  if (code < 0 || code >= static_cast<int>(m.calls.size())) {
    code = static_cast<int>(absl::StatusCode::kUnknown);
  }
  prometheus::Counter* calls = m.calls[code].load(std::memory_order_acquire);
  if (calls == nullptr) {
    calls = &calls_->Add({{"method", m.name},
                          {"code", absl::StatusCodeToString(
                                       static_cast<absl::StatusCode>(code))}});
    m.calls[code].store(calls, std::memory_order_release);
  }
  calls->Increment();
  m.latency->Observe(Seconds(call.latency));
  if (call.stream) OpenStreams(m).Decrement();
  if (call.code == absl::StatusCode::kUnauthenticated) {
    auth_failures_->Increment();
  }
  if (!call.reason.empty()) {
    for (int i = 0; i < kRefusalReasons; ++i) {
      if (call.reason == kRefusalReasonNames[i]) {
        refusals_[i]->Increment();
        break;
      }
    }
  }
}

void ServerMetrics::OnStreamOpened(absl::string_view method) {
  OpenStreams(ForMethod(method)).Increment();
}

void ServerMetrics::OnBatch(const db::BatchReport& batch) {
  batch_ops_->Observe(static_cast<double>(batch.ops));
  transaction_->Observe(Seconds(batch.transaction));
  if (batch.committed) {
    commit_->Observe(Seconds(batch.commit));
  } else {
    failed_batches_->Increment();
  }
}

void ServerMetrics::OnCheckpoint(absl::Duration took, int /*pages*/,
                                 bool truncate, bool ok) {
  if (checkpoint_[0] == nullptr) return;  // no WAL of ours (PostgreSQL)
  checkpoint_[truncate ? 1 : 0]->Observe(Seconds(took));
  if (!ok) checkpoint_failures_[truncate ? 1 : 0]->Increment();
}

void ServerMetrics::OnReaderWait(absl::Duration waited) {
  reader_wait_->Observe(Seconds(waited));
  // A read that found a connection free reports exactly zero.
  if (waited > absl::ZeroDuration()) reader_waits_->Increment();
}

std::vector<prometheus::MetricFamily> ServerMetrics::Collect() const {
  {
    std::lock_guard<std::mutex> lock(sample_mu_);
    if (db_ != nullptr) {
      queue_depth_->Set(static_cast<double>(db_->writer().queue_depth()));
      storage_ok_->Set(db_->storage_ok() ? 1 : 0);
      if (wal_bytes_ != nullptr) {
        struct stat st;
        const std::string wal = db_->path() + "-wal";
        // No WAL file (after a TRUNCATE at shutdown, or before the first
        // write) is an empty WAL.
        wal_bytes_->Set(
            stat(wal.c_str(), &st) == 0 ? static_cast<double>(st.st_size) : 0);
      }
      const db::ReaderPoolStats readers = db_->reader_stats();
      reader_connections_->Set(readers.connections);
      reader_in_use_->Set(readers.connections_in_use);
      AdvanceTo(reader_reconnects_, readers.reconnects);
      if (writer_connections_ != nullptr) {
        if (const std::optional<db::WriterPoolStats> pool =
                db_->writer().pool_stats();
            pool.has_value()) {
          writer_connections_->Set(pool->connections);
          writer_in_use_->Set(pool->connections_in_use);
          AdvanceTo(transaction_retries_, pool->transaction_retries);
          AdvanceTo(retries_exhausted_, pool->retries_exhausted);
          AdvanceTo(writer_reconnects_, pool->reconnects);
          AdvanceTo(events_sequenced_, pool->events_sequenced);
        }
      }
    }
    if (events_ != nullptr) {
      const events::EventStreamStats::Sample s = events_->SampleStreams();
      event_head_->Set(static_cast<double>(s.head));
      event_lag_->Set(static_cast<double>(s.max_lag));
    }
  }
  return registry_->Collect();
}

std::string ServerMetrics::Exposition() const {
  return prometheus::TextSerializer().Serialize(Collect());
}

}  // namespace retail
