#include "common/db/connection.h"

#include <sqlite3.h>

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

}  // namespace

absl::StatusOr<std::unique_ptr<Connection>> Connection::Open(
    const std::string& path, Mode mode) {
  ConfigureSqliteOnce();
  try {
    const int flags = mode == Mode::kReadWrite
                          ? SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE
                          : SQLite::OPEN_READONLY;
    SQLite::Database db(path, flags | SQLite::OPEN_NOMUTEX, kBusyTimeoutMs);
    auto conn = std::unique_ptr<Connection>(new Connection(std::move(db)));
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
            static_cast<Connection*>(self)->wal_pages_ = pages;
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

Stmt Connection::Prepare(absl::string_view sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    it = cache_
             .emplace(std::string(sql), std::make_unique<SQLite::Statement>(
                                            db_, std::string(sql)))
             .first;
  }
  return Stmt(it->second.get());
}

absl::Status StatusFromSqliteException(const std::exception& e,
                                       absl::string_view what) {
  int code = SQLITE_ERROR;
  int extended = SQLITE_ERROR;
  if (const auto* se = dynamic_cast<const SQLite::Exception*>(&e)) {
    code = se->getErrorCode();
    extended = se->getExtendedErrorCode();
  }
  RETAIL_LOG(ERROR) << what << ": sqlite error " << extended << ": "
                    << e.what();
  switch (code) {
    case SQLITE_CONSTRAINT:
      if (extended == SQLITE_CONSTRAINT_UNIQUE ||
          extended == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return absl::AlreadyExistsError("the record already exists");
      }
      return absl::FailedPreconditionError(
          "the change breaks a data integrity rule");
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return absl::UnavailableError("the database is busy; retry");
    case SQLITE_FULL:
      return absl::ResourceExhaustedError("the database disk is full");
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
      return absl::UnavailableError("the database is unavailable; retry");
    default:
      return absl::InternalError("internal storage error");
  }
}

}  // namespace retail::db
