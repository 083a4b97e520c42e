// One SQLite connection plus its cache of prepared statements.
//
// Statements are prepared once per connection and reused: Prepare() hands
// out a Stmt handle that resets the statement and clears its bindings when
// it goes out of scope, so the next user starts clean. A Connection is used
// by one thread at a time (the writer thread, or a reader checked out of the
// pool), so the cache needs no lock.
#ifndef RETAIL_COMMON_DB_CONNECTION_H_
#define RETAIL_COMMON_DB_CONNECTION_H_

#include <memory>
#include <string>

#include "SQLiteCpp/Database.h"
#include "SQLiteCpp/Statement.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace retail::db {

// A prepared statement borrowed from a Connection's cache.
class Stmt {
 public:
  explicit Stmt(SQLite::Statement* statement) : statement_(statement) {}
  ~Stmt() {
    statement_->tryReset();
    statement_->clearBindings();
  }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  SQLite::Statement* operator->() { return statement_; }
  SQLite::Statement& operator*() { return *statement_; }

 private:
  SQLite::Statement* statement_;
};

class Connection {
 public:
  enum class Mode { kReadWrite, kReadOnly };

  // How long a statement waits for a lock: only start-up and checkpoints
  // ever wait, since there is one writer and WAL readers never block it.
  static constexpr int kBusyTimeoutMs = 5000;

  // Opens `path` and applies the durability pragmas (WAL, synchronous=FULL,
  // foreign_keys=ON). Read-write mode creates the file if missing.
  static absl::StatusOr<std::unique_ptr<Connection>> Open(
      const std::string& path, Mode mode);

  // Returns the cached statement for `sql`, preparing it on first use.
  // `sql` must be fixed text: parameters are always bound, never spliced.
  Stmt Prepare(absl::string_view sql);

  // Runs `sql` (one or more statements without parameters).
  void Exec(const char* sql) { db_.exec(sql); }

  SQLite::Database& raw() { return db_; }

  // Asks the writer to checkpoint and truncate the WAL right after this
  // transaction commits, before anyone is answered: an erasure must not
  // leave the person's old page images in the WAL (docs/architecture.md,
  // "Storage"). Writer connection only.
  void RequestCheckpointAfterCommit() { checkpoint_requested_ = true; }
  // Set by AppendEvent: the transaction wrote events, so watchers are woken
  // after its commit (Writer's commit listener).
  void NoteEventsAppended() { events_appended_ = true; }
  bool TakeEventsAppended() {
    const bool appended = events_appended_;
    events_appended_ = false;
    return appended;
  }
  // Set by RewriteStoredResponses when it rewrote stored event states (an
  // erasure): copies of them held in memory must be dropped at commit.
  void NoteStatesRewritten() { states_rewritten_ = true; }
  bool TakeStatesRewritten() {
    const bool rewritten = states_rewritten_;
    states_rewritten_ = false;
    return rewritten;
  }
  // Pages in the WAL after this connection's last commit (read-write
  // connections only; SQLite's WAL hook). The writer checkpoints by this
  // instead of SQLite's automatic checkpoint, which would run inside COMMIT,
  // before anyone is answered, and could not be timed apart from it.
  int wal_pages() const { return wal_pages_; }
  bool TakeCheckpointRequest() {
    const bool requested = checkpoint_requested_;
    checkpoint_requested_ = false;
    return requested;
  }

 private:
  explicit Connection(SQLite::Database db) : db_(std::move(db)) {}

  SQLite::Database db_;
  absl::flat_hash_map<std::string, std::unique_ptr<SQLite::Statement>> cache_;
  bool checkpoint_requested_ = false;
  bool events_appended_ = false;
  bool states_rewritten_ = false;
  int wal_pages_ = 0;
};

// Maps a SQLiteCpp exception to a status without leaking SQL or engine text
// to callers: UNIQUE/constraint -> ALREADY_EXISTS / FAILED_PRECONDITION,
// BUSY/LOCKED -> UNAVAILABLE, FULL -> RESOURCE_EXHAUSTED, else INTERNAL.
// The full text is logged here.
absl::Status StatusFromSqliteException(const std::exception& e,
                                       absl::string_view what);

// Runs `fn(args...)`, turning any SQLite exception into a status. Stores wrap
// their bodies in this so no exception crosses a layer.
template <typename Fn>
auto Guard(absl::string_view what, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const std::exception& e) {
    return StatusFromSqliteException(e, what);
  }
}

}  // namespace retail::db

#endif  // RETAIL_COMMON_DB_CONNECTION_H_
