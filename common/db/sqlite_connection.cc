#include "common/db/sqlite_connection.h"

#include <sqlite3.h>

#include <cstdlib>

#include "SQLiteCpp/Exception.h"
#include "common/logging.h"

namespace retail::db {

namespace {

// Process-wide SQLite settings; must run before the library initialises
// (sqlite3_config is refused afterwards, harmlessly).
void ConfigureSqliteOnce() {
  static const bool configured = [] {
    // Memory statistics take a global mutex on every allocation inside
    // SQLite: 2-3% of a point read, contended across reader threads. We
    // never read the statistics.
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    return true;
  }();
  (void)configured;
}

// A statement on the sqlite3 C API. SQLiteCpp's Statement does not hand
// out its sqlite3_stmt, and its getColumn copies and releases a shared_ptr
// per value (a fifth of a statistics call that reads millions of values).
// Errors are thrown as SQLiteCpp's exception, as everything else on this
// engine throws.
class SqliteStatement final : public Statement {
 public:
  SqliteStatement(sqlite3* db, const std::string& sql) : db_(db) {
    // PERSISTENT: kept for the connection's life, so SQLite may place it
    // outside its lookaside memory.
    const int rc =
        sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                           SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
    if (rc != SQLITE_OK) throw SQLite::Exception(db_, rc);
  }
  ~SqliteStatement() override { sqlite3_finalize(stmt_); }

  void BindNull(int index) override { Check(sqlite3_bind_null(stmt_, index)); }
  void BindInt64(int index, int64_t value) override {
    Check(sqlite3_bind_int64(stmt_, index, value));
  }
  void BindDouble(int index, double value) override {
    Check(sqlite3_bind_double(stmt_, index, value));
  }
  void BindText(int index, absl::string_view value) override {
    // SQLITE_TRANSIENT: SQLite copies, so a temporary may be bound. A null
    // pointer would bind NULL, not an empty text.
    Check(sqlite3_bind_text(stmt_, index,
                            value.data() != nullptr ? value.data() : "",
                            static_cast<int>(value.size()), SQLITE_TRANSIENT));
  }
  void BindBlob(int index, absl::string_view bytes) override {
    Check(sqlite3_bind_blob(stmt_, index,
                            bytes.data() != nullptr ? bytes.data() : "",
                            static_cast<int>(bytes.size()), SQLITE_TRANSIENT));
  }

  bool Step() override {
    // Once done, a statement stays done until reset: SQLite would start it
    // over, running an INSERT twice.
    if (done_) return false;
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) {
      done_ = true;
      return false;
    }
    throw SQLite::Exception(db_, rc);
  }
  int Exec() override {
    if (Step()) {
      throw SQLite::Exception("Exec() on a statement that returns rows");
    }
    return sqlite3_changes(db_);
  }
  void Reset() override {
    sqlite3_reset(stmt_);  // repeats the last run's error, already thrown
    sqlite3_clear_bindings(stmt_);
    done_ = false;
  }

  bool IsNull(int column) const override {
    return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
  }
  int64_t Int64(int column) const override {
    return sqlite3_column_int64(stmt_, column);
  }
  double Double(int column) const override {
    return sqlite3_column_double(stmt_, column);
  }
  absl::string_view Text(int column) const override {
    // sqlite3_column_text before _bytes: the order SQLite documents.
    const auto* text =
        reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
    const int size = sqlite3_column_bytes(stmt_, column);
    return text == nullptr ? absl::string_view()
                           : absl::string_view(text, static_cast<size_t>(size));
  }
  absl::string_view Blob(int column) const override {
    const void* blob = sqlite3_column_blob(stmt_, column);
    const int size = sqlite3_column_bytes(stmt_, column);
    return blob == nullptr ? absl::string_view()
                           : absl::string_view(static_cast<const char*>(blob),
                                               static_cast<size_t>(size));
  }

 private:
  void Check(int rc) {
    if (rc != SQLITE_OK) throw SQLite::Exception(db_, rc);
  }

  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  bool done_ = false;
};

}  // namespace

int64_t SqliteConnection::ExecInsert(Stmt& insert) {
  insert->Exec();
  // This connection's last INSERT: the one just run, as a connection is
  // used by one thread at a time.
  return sqlite3_last_insert_rowid(db_.getHandle());
}

absl::StatusOr<std::unique_ptr<SqliteConnection>> SqliteConnection::Open(
    const std::string& path, Mode mode) {
  ConfigureSqliteOnce();
  try {
    const int flags = mode == Mode::kReadWrite
                          ? SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE
                          : SQLite::OPEN_READONLY;
    SQLite::Database db(path, flags | SQLite::OPEN_NOMUTEX, kBusyTimeoutMs);
    auto conn =
        std::unique_ptr<SqliteConnection>(new SqliteConnection(std::move(db)));
    if (mode == Mode::kReadWrite) {
      conn->Exec("PRAGMA journal_mode=WAL");
      // Deleted and overwritten content is zeroed, not left in free space:
      // erased personal data must not stay readable in the file.
      conn->Exec("PRAGMA secure_delete=ON");
      // Replaces SQLite's automatic checkpoint (which is itself a WAL hook):
      // the writer checkpoints after answering the batch (writer.cc).
      sqlite3_wal_hook(
          conn->db_.getHandle(),
          [](void* self, sqlite3*, const char*, int pages) {
            static_cast<SqliteConnection*>(self)->wal_pages_ = pages;
            return SQLITE_OK;
          },
          conn.get());
    }
    // FULL: the WAL is fsynced at every commit, so an acknowledged write
    // survives power loss. Group commit, not a weaker sync, makes us fast.
    conn->Exec("PRAGMA synchronous=FULL");
    conn->Exec("PRAGMA foreign_keys=ON");
    conn->Exec("PRAGMA temp_store=MEMORY");
    conn->Exec("PRAGMA cache_size=-65536");  // 64 MiB per connection
    // Pages not in that cache are read through a shared memory map instead
    // of a pread() and a copy each: at 1M customers point reads touch pages
    // no connection has cached yet. Writes still go through the WAL, so
    // durability is unchanged.
    conn->Exec("PRAGMA mmap_size=1073741824");  // 1 GiB
    return conn;
  } catch (const std::exception& e) {
    RETAIL_LOG(ERROR) << "opening database " << path << ": " << e.what();
    return absl::UnavailableError("cannot open the database at " + path);
  }
}

SqliteConnection& AsSqlite(Connection& conn) {
  if (conn.engine() != Engine::kSqlite) {
    RETAIL_LOG(ERROR) << "AsSqlite: not a SQLite connection";
    std::abort();
  }
  return static_cast<SqliteConnection&>(conn);
}

std::unique_ptr<Statement> SqliteConnection::NewStatement(
    const std::string& sql) {
  return std::make_unique<SqliteStatement>(db_.getHandle(), sql);
}

}  // namespace retail::db
