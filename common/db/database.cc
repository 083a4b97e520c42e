#include "common/db/database.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/db/migrations.h"
#include "common/db/pg_connection.h"
#include "common/db/pg_writer.h"
#include "common/ids.h"
#include "common/logging.h"
#include "common/status.h"

namespace retail::db {
namespace {

// Loads the server secret, creating it on first start.
absl::StatusOr<std::string> LoadOrCreateSecret(Connection& conn) {
  return Guard("server secret", [&]() -> absl::StatusOr<std::string> {
    {
      Stmt q =
          conn.Prepare("SELECT value FROM server_meta WHERE key = 'secret'");
      if (q->Step()) return q->String(0);
    }
    std::string secret = RandomBytes(32);
    Stmt ins = conn.Prepare(
        "INSERT INTO server_meta (key, value) VALUES ('secret', ?)"
        " ON CONFLICT DO NOTHING");
    ins->Bind(1, secret.data(), static_cast<int>(secret.size()));
    // Replicas starting together: the first secret stored is everyone's.
    if (ins->Exec() == 1) return secret;
    Stmt q = conn.Prepare("SELECT value FROM server_meta WHERE key = 'secret'");
    if (q->Step()) return q->String(0);
    return absl::InternalError("the server secret vanished");
  });
}

}  // namespace

absl::StatusOr<std::unique_ptr<Database>> Database::Open(
    const DatabaseOptions& options) {
  if (IsPostgresUrl(options.path)) return OpenPostgres(options);
  // Personal data lives in this file: keep it (and its WAL) owner-only.
  const mode_t old_umask = umask(077);
  auto writer_conn =
      SqliteConnection::Open(options.path, SqliteConnection::Mode::kReadWrite);
  umask(old_umask);
  if (!writer_conn.ok()) return writer_conn.status();
  RETURN_IF_ERROR(Migrate(**writer_conn, options.schemas, options.now_micros));

  auto db = std::unique_ptr<Database>(new Database());
  db->path_ = options.path;
  db->reader_count_ = std::max(1, options.reader_connections);
  ASSIGN_OR_RETURN(db->secret_, LoadOrCreateSecret(**writer_conn));
  RETURN_IF_ERROR(db->OpenReaders());
  StorageRecovery recovery;
  recovery.reopen = [d = db.get()](std::unique_ptr<SqliteConnection> old) {
    return d->Reopen(std::move(old));
  };
  recovery.probe_interval = options.storage_probe_interval;
  auto writer = std::make_unique<SqliteWriter>(
      std::move(*writer_conn), options.max_write_batch, std::move(recovery),
      options.max_write_queue);
  db->sqlite_writer_ = writer.get();
  db->writer_ = std::move(writer);
  return db;
}

absl::StatusOr<std::unique_ptr<Database>> Database::OpenPostgres(
    const DatabaseOptions& options) {
  ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> setup,
                   PgConnection::Open(options.path));
  // Under an advisory lock: replicas starting together migrate once.
  RETURN_IF_ERROR(Migrate(*setup, options.schemas, options.now_micros));
  auto db = std::unique_ptr<Database>(new Database());
  db->path_ = options.path;
  db->engine_ = Engine::kPostgres;
  db->reader_count_ = std::max(1, options.reader_connections);
  ASSIGN_OR_RETURN(db->secret_, LoadOrCreateSecret(*setup));
  RETURN_IF_ERROR(db->OpenReaders());
  PgWriterOptions writer;
  writer.url = options.path;
  writer.connections = options.write_connections;
  writer.max_queue = options.max_write_queue;
  ASSIGN_OR_RETURN(db->writer_, PgWriter::Start(std::move(writer)));
  return db;
}

absl::Status Database::OpenReaders() {
  for (int i = 0; i < reader_count_; ++i) {
    std::unique_ptr<Connection> reader;
    if (engine_ == Engine::kPostgres) {
      ASSIGN_OR_RETURN(reader, PgConnection::Open(path_));
    } else {
      ASSIGN_OR_RETURN(reader, SqliteConnection::Open(
                                   path_, SqliteConnection::Mode::kReadOnly));
    }
    idle_.push_back(reader.get());
    readers_.push_back(std::move(reader));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<SqliteConnection>> Database::Reopen(
    std::unique_ptr<SqliteConnection> old_writer) {
  std::unique_lock<std::mutex> lock(pool_mu_);
  reopening_ = true;
  // Reads in progress finish first; new ones wait for the new connections.
  pool_cv_.wait(lock, [this] { return idle_.size() == readers_.size(); });
  idle_.clear();
  readers_.clear();
  old_writer.reset();
  // After a failed fsync Linux keeps the lost pages in its cache, marked
  // clean: drop them, so what SQLite reads next is what the disk holds.
  for (const std::string& file : {path_, path_ + "-wal"}) {
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    ::close(fd);
  }
  absl::StatusOr<std::unique_ptr<SqliteConnection>> writer =
      SqliteConnection::Open(path_, SqliteConnection::Mode::kReadWrite);
  absl::Status readers = writer.ok() ? OpenReaders() : writer.status();
  if (!readers.ok()) {
    // The next probe tries again; reads wait (within their limits) until
    // then rather than use half a pool.
    idle_.clear();
    readers_.clear();
    return readers;
  }
  reopening_ = false;
  pool_cv_.notify_all();
  RETAIL_LOG(WARNING) << "database reopened after a storage fault";
  return writer;
}

ReaderPoolStats Database::reader_stats() {
  ReaderPoolStats s;
  s.connections = reader_count_;
  std::lock_guard<std::mutex> lock(pool_mu_);
  // During a reopen the pool is empty: nothing is leased.
  s.connections_in_use = static_cast<int>(readers_.size() - idle_.size());
  s.reconnects = reader_reconnects_;
  return s;
}

Database::~Database() { Close().IgnoreError(); }

absl::Status Database::Close() {
  {
    std::lock_guard<std::mutex> lock(pool_mu_);
    if (closed_) return absl::OkStatus();
    closed_ = true;
  }
  // Open() may fail after constructing the object but before the writer
  // exists; there is nothing to drain then.
  if (writer_ == nullptr) return absl::OkStatus();
  writer_->Stop();
  if (sqlite_writer_ == nullptr) return absl::OkStatus();
  return sqlite_writer_->WithConnectionAfterStop([](Connection& conn) {
    conn.Exec("PRAGMA wal_checkpoint(TRUNCATE)");
    RETAIL_LOG(INFO) << "database checkpointed";
    return absl::OkStatus();
  });
}

Database::Lease::Lease(Database* d, const WaitLimit& wait) : db(d) {
  absl::Duration waited;
  {
    std::unique_lock<std::mutex> lock(db->pool_mu_);
    auto available = [this] { return !db->reopening_ && !db->idle_.empty(); };
    // The clock is read only when the read has to wait.
    bool got = true;
    if (!available()) {
      const absl::Time start = absl::Now();
      if (wait.until == absl::InfiniteFuture()) {
        db->pool_cv_.wait(lock, available);
      } else {
        got = db->pool_cv_.wait_until(lock, absl::ToChronoTime(wait.until),
                                      available);
      }
      waited = absl::Now() - start;
    }
    if (got) {
      conn = db->idle_.back();
      db->idle_.pop_back();
    }
  }
  if (wait.trace != nullptr && waited > absl::ZeroDuration()) {
    wait.trace->reader_wait_us += absl::ToInt64Microseconds(waited);
  }
  if (StorageObserver* observer = db->observer_.load(); observer != nullptr) {
    observer->OnReaderWait(waited);
  }
  if (conn != nullptr && db->engine_ == Engine::kPostgres) BeginPgRead();
}

// A read on PostgreSQL is one REPEATABLE READ transaction, so a store that
// reads with several statements (a complaint and its clocks) sees one
// snapshot, as a SQLite read does. A connection the server dropped is
// replaced first.
void Database::Lease::BeginPgRead() {
  if (!AsPostgres(*conn).ok()) {
    absl::StatusOr<std::unique_ptr<PgConnection>> fresh =
        PgConnection::Open(db->path_);
    if (fresh.ok()) {
      std::lock_guard<std::mutex> lock(db->pool_mu_);
      for (auto& reader : db->readers_) {
        if (reader.get() == conn) {
          reader = std::move(*fresh);
          conn = reader.get();
          ++db->reader_reconnects_;
          break;
        }
      }
    }
  }
  Guard("begin read", [&] {
    conn->Exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    pg_open = true;
    return absl::OkStatus();
  }).IgnoreError();  // the read's own statements then report the failure
}

Database::Lease::~Lease() {
  if (conn == nullptr) return;
  if (pg_open) {
    Guard("end read", [&] {
      conn->Exec("COMMIT");
      return absl::OkStatus();
    }).IgnoreError();
  }
  std::lock_guard<std::mutex> lock(db->pool_mu_);
  db->idle_.push_back(conn);
  // A reopen waits for every reader to come back; otherwise one waiter is
  // enough (waking them all costs a thundering herd under read load).
  if (db->reopening_) {
    db->pool_cv_.notify_all();
  } else {
    db->pool_cv_.notify_one();
  }
}

}  // namespace retail::db
