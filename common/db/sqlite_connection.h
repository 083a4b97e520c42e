// The SQLite engine (the embedded default): a connection through SQLiteCpp
// and its statements.
//
#ifndef RETAIL_COMMON_DB_SQLITE_CONNECTION_H_
#define RETAIL_COMMON_DB_SQLITE_CONNECTION_H_

#include <memory>
#include <string>

#include "SQLiteCpp/Database.h"
#include "absl/status/statusor.h"
#include "common/db/connection.h"

namespace retail::db {

class SqliteConnection final : public Connection {
 public:
  enum class Mode { kReadWrite, kReadOnly };

  // How long a statement waits for a lock: only start-up and checkpoints
  // ever wait, since there is one writer and WAL readers never block it.
  static constexpr int kBusyTimeoutMs = 5000;

  // Opens `path` and applies the durability pragmas (WAL, synchronous=FULL,
  // foreign_keys=ON). Read-write mode creates the file if missing.
  static absl::StatusOr<std::unique_ptr<SqliteConnection>> Open(
      const std::string& path, Mode mode);

  // Statements are finalised before the database handle closes.
  ~SqliteConnection() override { ClearStatements(); }

  Engine engine() const override { return Engine::kSqlite; }
  void Exec(const char* sql) override { db_.exec(sql); }
  int64_t ExecInsert(Stmt& insert) override;

  SQLite::Database& raw() { return db_; }

  // Pages in the WAL after this connection's last commit (read-write
  // connections only; SQLite's WAL hook). The writer checkpoints by this
  // instead of SQLite's automatic checkpoint, which would run inside COMMIT,
  // before anyone is answered, and could not be timed apart from it.
  int wal_pages() const { return wal_pages_; }

 protected:
  std::unique_ptr<Statement> NewStatement(const std::string& sql) override;

 private:
  explicit SqliteConnection(SQLite::Database db) : db_(std::move(db)) {}

  SQLite::Database db_;
  int wal_pages_ = 0;
};

// The SQLite connection behind `conn`, for the code that is SQLite's alone
// (online backup, the file's name, tests that read the file's pragmas).
// `conn` must be a SQLite connection.
SqliteConnection& AsSqlite(Connection& conn);

}  // namespace retail::db

#endif  // RETAIL_COMMON_DB_SQLITE_CONNECTION_H_
