// Prometheus metrics on their own HTTP listener (issue 15, "Metrics";
// --metrics_listen, loopback by default): per-method calls and latency, the
// writer's batches, queue, commits and checkpoints, the WAL's size, the
// reader pool's use and waits, open streams and event-stream lag,
// authentication failures and overload refusals; on PostgreSQL also the
// writer's connection pool, its transaction retries and reconnects, and the
// events sequenced (issue 16). Fed by the call path (CallObserver) and the
// storage layer (db::StorageObserver); gauges of state (queue depth, WAL
// size, storage health, event lag, pools in use) and the pools' own
// counters (db::WriterPoolStats, db::ReaderPoolStats) are sampled at scrape
// time. A family is exported only on the engine where it is real: the
// WAL's on SQLite, the writer pool's on a writer that has one.
//
// The listener is plain HTTP without authentication: keep it on loopback or
// a private network (a non-loopback address is logged as a warning). The
// metrics hold no personal data: labels are only the method, the status
// code, the refusal reason and the checkpoint mode; never a principal id
// (unbounded, and it names people) nor a request_id.
//
// Hot path: a call costs one lookup of its method in a read-mostly map
// (shared lock), a counter and a histogram observation; the per-method and
// per-code series are made on their first use and kept, so nothing is
// allocated per call.
#ifndef RETAIL_SERVER_METRICS_SERVER_METRICS_H_
#define RETAIL_SERVER_METRICS_SERVER_METRICS_H_

#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "common/db/database.h"
#include "common/db/storage_observer.h"
#include "server/call_observer.h"
#include "server/module_registry.h"

namespace prometheus {
class Counter;
class Exposer;
class Gauge;
class Histogram;
class Registry;
struct MetricFamily;
template <typename T>
class Family;
}  // namespace prometheus

namespace retail {

namespace events {
class EventStreamStats;
}

class ServerMetrics final : public CallObserver, public db::StorageObserver {
 public:
  // Starts the HTTP listener on `listen` ("127.0.0.1:9464"; port 0 picks a
  // free one), serving GET /metrics. `db` and `registry` must stay alive
  // until Stop() (or destruction). An address it cannot listen on fails,
  // naming --metrics_listen.
  static absl::StatusOr<std::unique_ptr<ServerMetrics>> Start(
      const std::string& listen, db::Database& db,
      const ModuleRegistry& registry);
  // Without a listener (tests read Exposition()); `db` and `registry` may
  // be null: their gauges are then absent or zero.
  static std::unique_ptr<ServerMetrics> Create(db::Database* db,
                                               const ModuleRegistry* registry);
  ~ServerMetrics() override;

  // The bound port; 0 without a listener.
  int port() const { return port_; }

  // What a scrape answers now, in the text exposition format.
  std::string Exposition() const;

  // Closes the listener (waiting for a scrape in progress) and stops
  // sampling the database and the modules, so they may go before this
  // object does. The observer calls stay valid. Idempotent.
  void Stop();

  void OnCallDone(const CallRecord& call) override;
  void OnStreamOpened(absl::string_view method) override;
  void OnBatch(const db::BatchReport& batch) override;
  void OnCheckpoint(absl::Duration took, int pages, bool truncate,
                    bool ok) override;
  void OnReaderWait(absl::Duration waited) override;

 private:
  class Scrape;
  // The series of one method, made on its first call.
  struct MethodMetrics {
    std::string name;
    prometheus::Histogram* latency = nullptr;
    // retail_calls_total by absl::StatusCode (0..16), made on first use.
    std::array<std::atomic<prometheus::Counter*>, 17> calls{};
    std::atomic<prometheus::Gauge*> open_streams{nullptr};
  };
  // Overload refusals counted by reason (ErrorInfo.reason).
  static constexpr int kRefusalReasons = 4;

  ServerMetrics(db::Database* db, const ModuleRegistry* registry);
  MethodMetrics& ForMethod(absl::string_view method);
  prometheus::Gauge& OpenStreams(MethodMetrics& m);
  // Samples the gauges of state, then collects every family.
  std::vector<prometheus::MetricFamily> Collect() const;

  std::shared_ptr<prometheus::Registry> registry_;
  // Families (owned by registry_).
  prometheus::Family<prometheus::Counter>* calls_ = nullptr;
  prometheus::Family<prometheus::Histogram>* latency_ = nullptr;
  prometheus::Family<prometheus::Gauge>* open_streams_ = nullptr;
  prometheus::Counter* auth_failures_ = nullptr;
  std::array<prometheus::Counter*, kRefusalReasons> refusals_{};
  prometheus::Histogram* batch_ops_ = nullptr;
  prometheus::Histogram* transaction_ = nullptr;
  prometheus::Histogram* commit_ = nullptr;
  prometheus::Counter* failed_batches_ = nullptr;
  // The WAL's (SQLite, or no database): null on PostgreSQL.
  std::array<prometheus::Histogram*, 2> checkpoint_{};  // [truncate]
  std::array<prometheus::Counter*, 2> checkpoint_failures_{};
  prometheus::Histogram* reader_wait_ = nullptr;
  prometheus::Counter* reader_waits_ = nullptr;
  // Sampled at scrape time.
  prometheus::Gauge* queue_depth_ = nullptr;
  prometheus::Gauge* wal_bytes_ = nullptr;  // null on PostgreSQL
  prometheus::Gauge* reader_connections_ = nullptr;
  prometheus::Gauge* reader_in_use_ = nullptr;
  prometheus::Counter* reader_reconnects_ = nullptr;  // PostgreSQL only
  // A writer with a pool (db::Writer::pool_stats()); null otherwise.
  prometheus::Gauge* writer_connections_ = nullptr;
  prometheus::Gauge* writer_in_use_ = nullptr;
  prometheus::Counter* transaction_retries_ = nullptr;
  prometheus::Counter* retries_exhausted_ = nullptr;
  prometheus::Counter* writer_reconnects_ = nullptr;
  prometheus::Counter* events_sequenced_ = nullptr;
  prometheus::Gauge* storage_ok_ = nullptr;
  prometheus::Gauge* event_head_ = nullptr;
  prometheus::Gauge* event_lag_ = nullptr;

  mutable std::shared_mutex methods_mu_;
  absl::flat_hash_map<std::string, std::unique_ptr<MethodMetrics>> methods_;

  // What is sampled at scrape time; null after Stop().
  mutable std::mutex sample_mu_;
  db::Database* db_ = nullptr;
  const events::EventStreamStats* events_ = nullptr;

  std::shared_ptr<Scrape> scrape_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  int port_ = 0;
  std::string poke_host_;  // the listener's numeric host, for Stop()
};

}  // namespace retail

#endif  // RETAIL_SERVER_METRICS_SERVER_METRICS_H_
