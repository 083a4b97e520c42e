// The statement interface every store writes against, whatever the engine.
//
// A store prepares fixed SQL text once per connection (Connection::Prepare
// caches it), binds ?1..?N, steps through rows and reads columns by index.
// SQLite (sqlite_connection.h) and PostgreSQL (pg_connection.h) implement it;
// nothing above the stores sees which one runs. The overloads of Bind mirror
// the C types stores hold, so a value is bound the same way on both engines:
// integers as 64-bit integers, std::string and const char* as TEXT,
// (pointer, size) as bytes (BLOB / bytea).
//
// Errors are thrown (SQLiteCpp's SQLite::Exception, or StorageError below)
// and turned into a status by Guard() (connection.h) at the store's edge, so
// no exception crosses a layer and no engine text reaches a caller.
#ifndef RETAIL_COMMON_DB_STATEMENT_H_
#define RETAIL_COMMON_DB_STATEMENT_H_

#include <cstdint>
#include <stdexcept>
#include <string>

#include "absl/strings/string_view.h"

namespace retail::db {

enum class Engine { kSqlite, kPostgres };

// What went wrong, in terms the service layer can act on. SQLite's codes
// and PostgreSQL's SQLSTATEs both map onto these (StatusFromStorageError).
enum class StorageErrorKind {
  kUniqueViolation,  // a UNIQUE or PRIMARY KEY constraint
  kConstraint,       // another integrity rule (CHECK, FOREIGN KEY, NOT NULL)
  kBusy,             // a lock could not be taken in time
  kSerialization,    // a SERIALIZABLE conflict or a deadlock: retry the txn
  kFull,             // out of disk
  kUnavailable,      // the connection or the I/O failed
  kInternal,         // a bug: bad SQL, a type mismatch
};

// Thrown by engines other than SQLite (SQLiteCpp throws its own exception,
// which the same mapping understands). what() carries the engine's text for
// the log only.
class StorageError : public std::runtime_error {
 public:
  StorageError(StorageErrorKind kind, const std::string& message,
               std::string engine_code = "")
      : std::runtime_error(message),
        kind_(kind),
        engine_code_(std::move(engine_code)) {}
  StorageErrorKind kind() const { return kind_; }
  // SQLite's extended result code or PostgreSQL's SQLSTATE, for the log.
  const std::string& engine_code() const { return engine_code_; }

 private:
  StorageErrorKind kind_;
  std::string engine_code_;
};

// One prepared statement of one connection. Used by one thread at a time.
class Statement {
 public:
  virtual ~Statement() = default;

  // Parameters are numbered from 1, as ?1..?N in the SQL text. Values are
  // copied, so a temporary (a serialised message) may be bound.
  virtual void BindNull(int index) = 0;
  virtual void BindInt64(int index, int64_t value) = 0;
  virtual void BindDouble(int index, double value) = 0;
  virtual void BindText(int index, absl::string_view value) = 0;
  virtual void BindBlob(int index, absl::string_view bytes) = 0;

  void Bind(int index) { BindNull(index); }
  void Bind(int index, int32_t value) { BindInt64(index, value); }
  void Bind(int index, uint32_t value) { BindInt64(index, value); }
  void Bind(int index, int64_t value) { BindInt64(index, value); }
  void Bind(int index, double value) { BindDouble(index, value); }
  void Bind(int index, const std::string& value) { BindText(index, value); }
  void Bind(int index, const char* value) { BindText(index, value); }
  void Bind(int index, const void* bytes, int size) {
    BindBlob(index, absl::string_view(static_cast<const char*>(bytes),
                                      static_cast<size_t>(size)));
  }

  // Advances to the next result row; false when there is none. The first
  // call runs the statement.
  virtual bool Step() = 0;
  // Runs a statement that returns no rows; returns how many rows it changed.
  virtual int Exec() = 0;
  // Ends the current run and clears the bindings (Stmt does this when it
  // goes out of scope).
  virtual void Reset() = 0;

  // Columns of the current row, numbered from 0. Text and Blob are valid
  // until the next Step or Reset: hand them to a (data, size) setter rather
  // than building a temporary std::string.
  virtual bool IsNull(int column) const = 0;
  virtual int64_t Int64(int column) const = 0;
  virtual double Double(int column) const = 0;
  virtual absl::string_view Text(int column) const = 0;
  virtual absl::string_view Blob(int column) const = 0;

  int32_t Int(int column) const { return static_cast<int32_t>(Int64(column)); }
  bool Bool(int column) const { return Int64(column) != 0; }
  std::string String(int column) const { return std::string(Text(column)); }
};

// A prepared statement borrowed from a Connection's cache: resets it and
// clears its bindings when it goes out of scope, so the next user starts
// clean.
class Stmt {
 public:
  explicit Stmt(Statement* statement) : statement_(statement) {}
  ~Stmt() {
    try {
      statement_->Reset();
    } catch (...) {
      // A reset reports the last run's error again; that run's caller
      // already had it.
    }
  }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Statement* operator->() { return statement_; }
  Statement& operator*() { return *statement_; }

 private:
  Statement* statement_;
};

}  // namespace retail::db

#endif  // RETAIL_COMMON_DB_STATEMENT_H_
