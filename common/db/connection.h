// One database connection plus its cache of prepared statements, whatever
// the engine (statement.h).
//
// Statements are prepared once per connection and reused: Prepare() hands
// out a Stmt handle that resets the statement and clears its bindings when
// it goes out of scope, so the next user starts clean. A Connection is used
// by one thread at a time (the writer thread, or a reader checked out of the
// pool), so the cache needs no lock.
#ifndef RETAIL_COMMON_DB_CONNECTION_H_
#define RETAIL_COMMON_DB_CONNECTION_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/db/statement.h"

namespace retail::db {

class Connection {
 public:
  virtual ~Connection() = default;

  virtual Engine engine() const = 0;

  // Returns the cached statement for `sql`, preparing it on first use.
  // `sql` must be fixed text: parameters are always bound, never spliced.
  Stmt Prepare(absl::string_view sql);

  // Runs `sql` (one or more statements without parameters).
  virtual void Exec(const char* sql) = 0;

  // An INSERT into a table keyed by an engine-assigned `id`, written
  // without RETURNING, prepared so that ExecInsert() can return the new
  // row's id. PostgreSQL's statement gets " RETURNING id"; SQLite's stays as
  // written and ExecInsert reads sqlite3_last_insert_rowid(): SQLite runs
  // RETURNING through a temporary table per statement, 4-5% of a
  // CreateCustomer's instructions.
  virtual Stmt PrepareInsert(absl::string_view insert_sql) {
    return Prepare(insert_sql);
  }
  // Runs `insert` (from PrepareInsert, its parameters bound) and returns the
  // id of the row it inserted.
  virtual int64_t ExecInsert(Stmt& insert) = 0;

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
  bool TakeCheckpointRequest() {
    const bool requested = checkpoint_requested_;
    checkpoint_requested_ = false;
    return requested;
  }

 protected:
  Connection() = default;
  // Drops every cached statement: an engine calls this in its destructor,
  // before its handle closes.
  void ClearStatements() { cache_.clear(); }
  // Prepares `sql` for this engine; called once per distinct text.
  virtual std::unique_ptr<Statement> NewStatement(const std::string& sql) = 0;

 private:
  absl::flat_hash_map<std::string, std::unique_ptr<Statement>> cache_;
  bool checkpoint_requested_ = false;
  bool events_appended_ = false;
  bool states_rewritten_ = false;
};

// The kind of a thrown storage error: a StorageError's own, a SQLite
// exception's mapped from its result code; anything else is kInternal.
StorageErrorKind KindOf(const std::exception& e);

// Maps a storage exception (SQLiteCpp's or a StorageError) to a status
// without leaking SQL or engine text to callers: UNIQUE -> ALREADY_EXISTS,
// other constraints -> FAILED_PRECONDITION, BUSY/serialization/I/O ->
// UNAVAILABLE, FULL -> RESOURCE_EXHAUSTED, else INTERNAL. The full text is
// logged here. Also records the error's kind for TakeFirstStorageErrorKind().
absl::Status StatusFromStorageException(const std::exception& e,
                                        absl::string_view what);

// The kind of the first storage error this thread turned into a status
// (Guard) since the last call, and forgets it; nullopt if none. First, not
// last: after a serialization failure PostgreSQL answers every later
// statement of the transaction with "transaction aborted", and an op that
// swallowed the first error must still be run again, not answered INTERNAL. A
// store reports a failed statement as a status, but PostgreSQL's writer must
// still tell a serialization failure (retry the transaction) from a rule's
// refusal: it asks here after an op fails.
std::optional<StorageErrorKind> TakeFirstStorageErrorKind();

// Runs `fn(args...)`, turning any storage exception into a status. Stores
// wrap their bodies in this so no exception crosses a layer.
template <typename Fn>
auto Guard(absl::string_view what, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const std::exception& e) {
    return StatusFromStorageException(e, what);
  }
}

}  // namespace retail::db

#endif  // RETAIL_COMMON_DB_CONNECTION_H_
