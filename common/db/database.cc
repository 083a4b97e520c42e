#include "common/db/database.h"

#include <sys/stat.h>

#include "common/db/migrations.h"
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
      if (q->executeStep()) return q->getColumn(0).getString();
    }
    std::string secret = RandomBytes(32);
    Stmt ins = conn.Prepare(
        "INSERT INTO server_meta (key, value) VALUES ('secret', ?)");
    ins->bind(1, secret.data(), static_cast<int>(secret.size()));
    ins->exec();
    return secret;
  });
}

}  // namespace

absl::StatusOr<std::unique_ptr<Database>> Database::Open(
    const DatabaseOptions& options) {
  // Personal data lives in this file: keep it (and its WAL) owner-only.
  const mode_t old_umask = umask(077);
  auto writer_conn =
      Connection::Open(options.path, Connection::Mode::kReadWrite);
  umask(old_umask);
  if (!writer_conn.ok()) return writer_conn.status();
  RETURN_IF_ERROR(Migrate(**writer_conn, options.schemas, options.now_micros));

  auto db = std::unique_ptr<Database>(new Database());
  ASSIGN_OR_RETURN(db->secret_, LoadOrCreateSecret(**writer_conn));
  for (int i = 0; i < std::max(1, options.reader_connections); ++i) {
    ASSIGN_OR_RETURN(
        auto reader,
        Connection::Open(options.path, Connection::Mode::kReadOnly));
    db->idle_.push_back(reader.get());
    db->readers_.push_back(std::move(reader));
  }
  db->writer_ = std::make_unique<Writer>(std::move(*writer_conn),
                                         options.max_write_batch);
  return db;
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
  return writer_->WithConnectionAfterStop([](Connection& conn) {
    conn.Exec("PRAGMA wal_checkpoint(TRUNCATE)");
    RETAIL_LOG(INFO) << "database checkpointed";
    return absl::OkStatus();
  });
}

Database::Lease::Lease(Database* d, const WaitLimit& wait) : db(d) {
  std::unique_lock<std::mutex> lock(db->pool_mu_);
  auto available = [this] { return !db->idle_.empty(); };
  if (wait.until == absl::InfiniteFuture()) {
    db->pool_cv_.wait(lock, available);
  } else if (!db->pool_cv_.wait_until(lock, absl::ToChronoTime(wait.until),
                                      available)) {
    return;
  }
  conn = db->idle_.back();
  db->idle_.pop_back();
}

Database::Lease::~Lease() {
  if (conn == nullptr) return;
  std::lock_guard<std::mutex> lock(db->pool_mu_);
  db->idle_.push_back(conn);
  db->pool_cv_.notify_one();
}

}  // namespace retail::db
