// The PostgreSQL engine (issue 16): a libpq connection and its statements,
// behind the same Connection / Statement interface as SQLite (statement.h).
//
// SQL keeps SQLite's ?N placeholders (and bare ?, numbered left to right);
// Prepare rewrites them to $N outside string literals, quoted identifiers
// and comments (PgPlaceholders), so a statement's text is written once where
// the dialects agree.
//
// Parameters are typed from their bindings, not inferred by the server
// (which cannot type "?1 IS NULL OR t < ?1", a ?N the text skips, or knows
// ?1 in "?1 + 1" only as int4): BindInt64 -> int8, BindDouble -> float8,
// BindText -> text, BindBlob -> bytea. A NULL takes the type that parameter
// last had on this statement, or is left to the server to infer (tried as
// bigint, then text, where the server cannot). So a statement is prepared
// server-side (PQprepare, named s1, s2, ... per connection) at its first
// run, not by Prepare, and once more for each other set of parameter types
// it is later run with; all run with PQexecPrepared. Runs with the same
// types as the last one cost only a compare of the types. The server casts
// a typed parameter where the SQL needs another type, as to an INTEGER or
// SMALLINT column; there is no cast from bigint to BOOLEAN, so flags are
// 0/1 integers. Bad SQL is therefore reported by the first Step or Exec.
//
// Values travel in binary where that is exact and cheap: parameters are
// sent as text for integers, doubles and text, and as binary for bytes
// (BindBlob, a bytea); results come back in binary and are decoded by the
// column's type (int2/int4/int8/bool as Int64, float4/float8 as Double,
// text/varchar/name as Text, bytea as Blob). A column of another type
// (numeric, say from SUM over bigint) throws kInternal: cast it in the SQL.
//
// Errors are thrown as StorageError, its kind from the SQLSTATE:
//   23505 -> kUniqueViolation; other 23xxx -> kConstraint;
//   40001, 40P01 -> kSerialization (the writer retries the transaction);
//   55P03, 57014 -> kBusy; 53100 -> kFull; 08xxx, 57P01-03, a lost
//   connection -> kUnavailable; anything else -> kInternal.
#ifndef RETAIL_COMMON_DB_PG_CONNECTION_H_
#define RETAIL_COMMON_DB_PG_CONNECTION_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/db/connection.h"

typedef struct pg_conn PGconn;

namespace retail::db {

// True if `db` names a PostgreSQL database (postgresql:// or postgres://)
// rather than a SQLite file.
bool IsPostgresUrl(absl::string_view db);

// `db` as it may be shown in a log line: a SQLite path as it is, a
// PostgreSQL URL with any password masked.
std::string DisplayDatabase(absl::string_view db);

// `sql` with ?N and ? placeholders rewritten to $N. A bare ? takes the
// number after the highest seen so far, as SQLite numbers them.
std::string PgPlaceholders(absl::string_view sql);

class PgConnection final : public Connection {
 public:
  // Connects to `url` (a libpq connection URI). The error names the URL
  // with its password, if any, removed.
  static absl::StatusOr<std::unique_ptr<PgConnection>> Open(
      const std::string& url);
  ~PgConnection() override;

  Engine engine() const override { return Engine::kPostgres; }
  // PQexec: one or more statements without parameters or results.
  void Exec(const char* sql) override;
  Stmt PrepareInsert(absl::string_view insert_sql) override;
  int64_t ExecInsert(Stmt& insert) override;

  // False once the server went away; the owner reconnects.
  bool ok() const;
  // For what only libpq offers: LISTEN/NOTIFY, COPY (migrate-db).
  PGconn* raw() { return conn_; }

 protected:
  std::unique_ptr<Statement> NewStatement(const std::string& sql) override;

 private:
  explicit PgConnection(PGconn* conn) : conn_(conn) {}

  PGconn* conn_;
  // Names the server-side statements, s1, s2, ...: each Statement's
  // variants take theirs from here.
  int next_statement_ = 0;
};

// The PostgreSQL connection behind `conn`, which must be one.
PgConnection& AsPostgres(Connection& conn);

}  // namespace retail::db

#endif  // RETAIL_COMMON_DB_PG_CONNECTION_H_
