// The database: a writer (writer.h) and a pool of read connections, on
// either engine. `path` names a SQLite file (the embedded default: one
// group-committing writer, WAL readers that never wait for it) or a
// PostgreSQL URL (postgresql://...; a pool of SERIALIZABLE writer
// connections, pg_writer.h). Reads never take a writer's connection.
#ifndef RETAIL_COMMON_DB_DATABASE_H_
#define RETAIL_COMMON_DB_DATABASE_H_

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/call.h"
#include "common/db/connection.h"
#include "common/db/migrations.h"
#include "common/db/sqlite_connection.h"
#include "common/db/sqlite_writer.h"
#include "common/db/writer.h"

namespace retail::db {

struct DatabaseOptions {
  std::string path;  // a SQLite file, or a postgresql:// URL
  int reader_connections = 4;
  // PostgreSQL only: writer connections, each running one transaction.
  int write_connections = 4;
  int max_write_batch = 1024;
  // Writes of calls that may wait for the writer at once; more are refused
  // UNAVAILABLE (WRITER_QUEUE_FULL) with RetryInfo (writer.h). 0: no bound.
  int max_write_queue = 0;
  int64_t now_micros = 0;  // for migration bookkeeping
  // Every module's tables, migrated in this order after the core's.
  std::vector<ModuleSchema> schemas;
  // After a storage fault, how often the writer tries to recover.
  absl::Duration storage_probe_interval = absl::Seconds(1);
};

// The reader pool, as metrics sample it at scrape time.
struct ReaderPoolStats {
  int connections = 0;         // the pool's size (--reader_connections)
  int connections_in_use = 0;  // leased to a read now
  // PostgreSQL: connections the server had dropped, opened again before a
  // read (SQLite's readers are files, reopened only with the writer after a
  // storage fault).
  int64_t reconnects = 0;
};

class Database {
 public:
  // Opens (creating if needed) and migrates the database, then starts the
  // writer thread.
  static absl::StatusOr<std::unique_ptr<Database>> Open(
      const DatabaseOptions& options);
  ~Database();

  // Runs `fn(Connection&)` on a read-only connection checked out of the pool
  // and returns what it returns (an absl::Status or absl::StatusOr). Waits
  // while all readers are in use, but never past `wait`: then it returns
  // wait.ExpiredStatus() without running `fn`, so a read never holds a gRPC
  // thread without bound. An already expired `wait` never runs `fn`.
  template <typename Fn>
  auto Read(const WaitLimit& wait, Fn&& fn)
      -> decltype(fn(std::declval<Connection&>())) {
    // A caller whose time is already up gets no read, even with a reader
    // free: the gate checked the deadline once, but time passes between.
    if (wait.Expired()) return wait.ExpiredStatus("a reader connection");
    Lease lease(this, wait);
    if (lease.conn == nullptr) return wait.ExpiredStatus("a reader connection");
    return fn(*lease.conn);
  }
  // For start-up work and tests: waits as long as it takes.
  template <typename Fn>
  auto Read(Fn&& fn) -> decltype(fn(std::declval<Connection&>())) {
    Lease lease(this, WaitLimit::None());
    return fn(*lease.conn);
  }

  Writer& writer() { return *writer_; }

  ReaderPoolStats reader_stats();

  // Told of every batch, checkpoint and reader wait (storage_observer.h).
  // May be set while calls run; it must outlive the database.
  void SetObserver(StorageObserver* observer) {
    observer_.store(observer);
    writer_->SetObserver(observer);
  }

  // The SQLite file, or the PostgreSQL URL as given.
  const std::string& path() const { return path_; }
  Engine engine() const { return engine_; }

  // False while a storage fault keeps writes refused (see writer.h).
  bool storage_ok() const { return writer_->storage_ok(); }

  // A random secret generated on first start and kept in the database, e.g.
  // for signing page tokens so they stay valid across restarts.
  const std::string& secret() const { return secret_; }

  // Stops the writer after draining its queue, then checkpoints and
  // truncates the WAL. Called on graceful shutdown.
  absl::Status Close();

 private:
  struct Lease {
    Lease(Database* db, const WaitLimit& wait);
    ~Lease();
    void BeginPgRead();
    Database* db;
    Connection* conn = nullptr;  // null if `wait` expired first
    bool pg_open = false;        // a PostgreSQL read transaction is open
  };

  Database() = default;

  static absl::StatusOr<std::unique_ptr<Database>> OpenPostgres(
      const DatabaseOptions& options);
  // StorageRecovery::reopen: closes every connection, drops the OS's cached
  // pages of the files, and opens them all again.
  absl::StatusOr<std::unique_ptr<SqliteConnection>> Reopen(
      std::unique_ptr<SqliteConnection> old_writer);
  absl::Status OpenReaders();  // pool_mu_ held or not yet shared

  std::string path_;
  Engine engine_ = Engine::kSqlite;
  int reader_count_ = 1;

  std::unique_ptr<Writer> writer_;
  SqliteWriter* sqlite_writer_ = nullptr;  // writer_, on SQLite
  std::string secret_;
  std::mutex pool_mu_;
  std::condition_variable pool_cv_;
  std::vector<std::unique_ptr<Connection>> readers_;
  std::vector<Connection*> idle_;
  std::atomic<StorageObserver*> observer_{nullptr};
  int64_t reader_reconnects_ = 0;  // under pool_mu_
  bool reopening_ = false;         // leases wait while set
  bool closed_ = false;
};

}  // namespace retail::db

#endif  // RETAIL_COMMON_DB_DATABASE_H_
