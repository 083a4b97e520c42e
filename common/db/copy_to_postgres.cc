#include "common/db/copy_to_postgres.h"

#include <libpq-fe.h>
#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace retail::db {
namespace {

// How a column's values are carried and compared, by its PostgreSQL type.
enum class Kind { kInt, kReal, kText, kBlob, kBool };

struct Column {
  std::string name;
  Kind kind = Kind::kText;
};

struct Table {
  std::string name;
  std::vector<Column> columns;  // the source's, each also on the target
  std::string order_by;         // the source's key: resume by OFFSET on it
  int64_t source_rows = 0;
};

std::string Quote(const std::string& identifier) {
  std::string out = "\"";
  for (char c : identifier) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// ---- PostgreSQL through libpq: COPY and cursors are not statements --------

struct PgResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, PgResultDeleter>;

absl::Status PgFailure(PGconn* conn, PGresult* r, absl::string_view what) {
  const char* message = r != nullptr ? PQresultErrorMessage(r) : "";
  if (message == nullptr || *message == '\0') message = PQerrorMessage(conn);
  // The connection's own message names no password (libpq never prints it).
  const bool lost = PQstatus(conn) != CONNECTION_OK;
  return absl::Status(
      lost ? absl::StatusCode::kUnavailable : absl::StatusCode::kInternal,
      absl::StrCat(what, ": ", message,
                   lost ? " (the connection was lost: run the same command "
                          "again to resume)"
                        : ""));
}

// Runs `sql` with text parameters; fails unless it succeeded.
absl::StatusOr<PgResult> Pg(PGconn* conn, const std::string& sql,
                            const std::vector<std::string>& params = {}) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const std::string& p : params) values.push_back(p.c_str());
  PgResult r(params.empty()
                 ? PQexec(conn, sql.c_str())
                 : PQexecParams(conn, sql.c_str(),
                                static_cast<int>(values.size()), nullptr,
                                values.data(), nullptr, nullptr, 0));
  const ExecStatusType status = PQresultStatus(r.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    return PgFailure(conn, r.get(), sql.substr(0, 80));
  }
  return r;
}

absl::StatusOr<int64_t> PgInt(PGconn* conn, const std::string& sql,
                              const std::vector<std::string>& params = {}) {
  absl::StatusOr<PgResult> r = Pg(conn, sql, params);
  if (!r.ok()) return r.status();
  int64_t v = 0;
  if (PQntuples(r->get()) == 0 || PQgetisnull(r->get(), 0, 0)) return 0;
  if (!absl::SimpleAtoi(PQgetvalue(r->get(), 0, 0), &v)) {
    return absl::InternalError(absl::StrCat("not an integer: ", sql));
  }
  return v;
}

// ---- The canonical encoding that both checksums hash -----------------------
// A value is its kind's letter and its text, ended by ';' (text and bytes
// with their length first, so no content can fake a boundary). Reals are
// %.17g of the double, which round-trips, so PostgreSQL's shortest form and
// SQLite's double encode alike.

void EncodeNull(std::string& out) { out += "N;"; }
void EncodeInt(std::string& out, int64_t v) {
  absl::StrAppend(&out, "I", v, ";");
}
void EncodeReal(std::string& out, double v) {
  absl::StrAppend(&out, "R", absl::StrFormat("%.17g", v), ";");
}
void EncodeBytes(std::string& out, char kind, absl::string_view v) {
  absl::StrAppend(&out, std::string(1, kind), v.size(), ":", v, ";");
}

// FNV-1a, 64-bit: stable across runs and machines (absl::Hash is salted).
uint64_t Fnv1a(absl::string_view data) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : data) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

// ---- COPY's text format
// ------------------------------------------------------

void CopyText(std::string& out, absl::string_view v) {
  for (char c : v) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += c;
    }
  }
}

void CopyBytea(std::string& out, absl::string_view v) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += "\\\\x";  // bytea's hex input "\x..", its backslash escaped for COPY
  for (unsigned char c : v) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
}

void CopyReal(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "Infinity" : "-Infinity";
  } else {
    out += absl::StrFormat("%.17g", v);
  }
}

// ---- The source, through the sqlite3 C API
// -----------------------------------

struct SqliteStmtDeleter {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using SqliteStmt = std::unique_ptr<sqlite3_stmt, SqliteStmtDeleter>;

absl::StatusOr<SqliteStmt> SqlitePrepare(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) != SQLITE_OK) {
    sqlite3_finalize(s);
    return absl::InternalError(
        absl::StrCat("source: ", sqlite3_errmsg(db), " in: ", sql));
  }
  return SqliteStmt(s);
}

const char* SqliteTypeName(int type) {
  switch (type) {
    case SQLITE_INTEGER:
      return "an integer";
    case SQLITE_FLOAT:
      return "a real";
    case SQLITE_TEXT:
      return "text";
    case SQLITE_BLOB:
      return "a blob";
    default:
      return "NULL";
  }
}

// Appends column `i` of the current row to `copy` (COPY text) and `canon`
// (the checksum's encoding), or fails naming where the source holds a value
// the target's type cannot take as it is.
absl::Status EncodeSourceValue(sqlite3_stmt* s, int i, const Table& t,
                               int64_t row, std::string& copy,
                               std::string& canon) {
  const Column& col = t.columns[i];
  const int type = sqlite3_column_type(s, i);
  if (type == SQLITE_NULL) {
    copy += "\\N";
    EncodeNull(canon);
    return absl::OkStatus();
  }
  auto mismatch = [&] {
    return absl::FailedPreconditionError(absl::StrCat(
        "source table ", t.name, " row ", row + 1, " (in key order) holds ",
        SqliteTypeName(type), " in column ", col.name,
        ", which the PostgreSQL column's type does not take; nothing of this "
        "table's current transaction was written"));
  };
  switch (col.kind) {
    case Kind::kInt:
    case Kind::kBool: {
      if (type != SQLITE_INTEGER) return mismatch();
      const int64_t v = sqlite3_column_int64(s, i);
      if (col.kind == Kind::kBool) {
        if (v != 0 && v != 1) return mismatch();
        copy += v != 0 ? "t" : "f";
      } else {
        absl::StrAppend(&copy, v);
      }
      EncodeInt(canon, v);
      return absl::OkStatus();
    }
    case Kind::kReal: {
      if (type != SQLITE_INTEGER && type != SQLITE_FLOAT) return mismatch();
      const double v = sqlite3_column_double(s, i);
      CopyReal(copy, v);
      EncodeReal(canon, v);
      return absl::OkStatus();
    }
    case Kind::kText: {
      if (type != SQLITE_TEXT) return mismatch();
      absl::string_view v(
          reinterpret_cast<const char*>(sqlite3_column_text(s, i)),
          sqlite3_column_bytes(s, i));
      if (v.find('\0') != absl::string_view::npos) return mismatch();
      CopyText(copy, v);
      EncodeBytes(canon, 'T', v);
      return absl::OkStatus();
    }
    case Kind::kBlob: {
      if (type != SQLITE_BLOB && type != SQLITE_TEXT) return mismatch();
      const void* data = sqlite3_column_blob(s, i);
      absl::string_view v(static_cast<const char*>(data),
                          data == nullptr ? 0 : sqlite3_column_bytes(s, i));
      CopyBytea(copy, v);
      EncodeBytes(canon, 'B', v);
      return absl::OkStatus();
    }
  }
  return mismatch();
}

std::string SelectSql(const Table& t) {
  std::vector<std::string> cols;
  for (const Column& c : t.columns) cols.push_back(Quote(c.name));
  return absl::StrCat("SELECT ", absl::StrJoin(cols, ", "), " FROM ",
                      Quote(t.name), " ORDER BY ", t.order_by);
}

// ---- Steps
// -------------------------------------------------------------------

absl::StatusOr<Kind> KindOfPgType(const std::string& table,
                                  const std::string& column,
                                  const std::string& type) {
  if (type == "bigint" || type == "integer" || type == "smallint") {
    return Kind::kInt;
  }
  if (type == "double precision" || type == "real") return Kind::kReal;
  if (type == "text" || type == "character varying") return Kind::kText;
  if (type == "bytea") return Kind::kBlob;
  if (type == "boolean") return Kind::kBool;
  return absl::UnimplementedError(absl::StrCat("the copy cannot carry ", table,
                                               ".", column,
                                               " of PostgreSQL type ", type));
}

// The source must be at this build's newest SQLite schema, or its columns
// may not be the ones the target's migrations made.
absl::Status CheckSourceVersions(sqlite3* db,
                                 const std::vector<ModuleSchema>& modules) {
  std::vector<const ModuleSchema*> all = {&CoreSchema()};
  for (const ModuleSchema& m : modules) all.push_back(&m);
  absl::StatusOr<SqliteStmt> q = SqlitePrepare(
      db, "SELECT MAX(version) FROM schema_migrations WHERE module = ?1");
  if (!q.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the source is not a retail database (", q.status().message(), ")"));
  }
  for (const ModuleSchema* m : all) {
    if (m->migrations.empty()) continue;
    const int64_t want = m->migrations.back().version;
    sqlite3_reset(q->get());
    sqlite3_bind_text(q->get(), 1, m->module.c_str(), -1, SQLITE_TRANSIENT);
    int64_t have = 0;
    if (sqlite3_step(q->get()) == SQLITE_ROW) {
      have = sqlite3_column_int64(q->get(), 0);
    }
    if (have < want) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the source's ", m->module, " schema is at version ", have,
          ", this build's at ", want,
          ": start this build's retail_server on the file once (it migrates "
          "at start), stop it, and run migrate-db again"));
    }
    if (have > want) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the source's ", m->module, " schema is at version ", have,
          ", newer than this build's ", want, ": use a newer retailctl"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Table>> ListTables(sqlite3* db, PGconn* pg) {
  std::vector<Table> tables;
  {
    absl::StatusOr<SqliteStmt> q = SqlitePrepare(
        db,
        "SELECT name, CASE WHEN sql LIKE '%WITHOUT ROWID%' THEN 0 ELSE 1 END"
        " FROM sqlite_master WHERE type = 'table'"
        " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
        " AND name <> 'schema_migrations' ORDER BY name");
    if (!q.ok()) return q.status();
    while (sqlite3_step(q->get()) == SQLITE_ROW) {
      Table t;
      t.name = reinterpret_cast<const char*>(sqlite3_column_text(q->get(), 0));
      t.order_by = sqlite3_column_int(q->get(), 1) != 0 ? "rowid" : "";
      tables.push_back(std::move(t));
    }
  }
  for (Table& t : tables) {
    absl::StatusOr<PgResult> pg_cols =
        Pg(pg,
           "SELECT column_name::text, data_type::text FROM"
           " information_schema.columns WHERE table_schema = current_schema()"
           " AND table_name = $1",
           {t.name});
    if (!pg_cols.ok()) return pg_cols.status();
    std::map<std::string, std::string> pg_types;
    for (int r = 0; r < PQntuples(pg_cols->get()); ++r) {
      pg_types[PQgetvalue(pg_cols->get(), r, 0)] =
          PQgetvalue(pg_cols->get(), r, 1);
    }
    if (pg_types.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "table ", t.name, " is in the source but not in the target"));
    }
    absl::StatusOr<SqliteStmt> q = SqlitePrepare(
        db, absl::StrCat("SELECT name, pk FROM pragma_table_info(",
                         "'" + t.name + "'", ") ORDER BY cid"));
    if (!q.ok()) return q.status();
    std::vector<std::pair<int, std::string>> key;
    while (sqlite3_step(q->get()) == SQLITE_ROW) {
      Column c;
      c.name = reinterpret_cast<const char*>(sqlite3_column_text(q->get(), 0));
      const int pk = sqlite3_column_int(q->get(), 1);
      if (pk > 0) key.emplace_back(pk, c.name);
      const auto it = pg_types.find(c.name);
      if (it == pg_types.end()) {
        return absl::FailedPreconditionError(
            absl::StrCat("column ", t.name, ".", c.name,
                         " is in the source but not in the target"));
      }
      absl::StatusOr<Kind> kind = KindOfPgType(t.name, c.name, it->second);
      if (!kind.ok()) return kind.status();
      c.kind = *kind;
      t.columns.push_back(std::move(c));
    }
    if (t.order_by.empty()) {  // WITHOUT ROWID: its primary key
      std::sort(key.begin(), key.end());
      std::vector<std::string> names;
      for (const auto& [pk, name] : key) names.push_back(Quote(name));
      t.order_by = absl::StrJoin(names, ", ");
    }
  }
  // Parents before children: the target keeps some foreign keys.
  absl::StatusOr<PgResult> fks =
      Pg(pg,
         "SELECT c.conrelid::regclass::text, c.confrelid::regclass::text"
         " FROM pg_constraint c WHERE c.contype = 'f'"
         " AND c.connamespace = current_schema()::regnamespace");
  if (!fks.ok()) return fks.status();
  std::map<std::string, std::set<std::string>> parents;
  for (int r = 0; r < PQntuples(fks->get()); ++r) {
    const std::string child = PQgetvalue(fks->get(), r, 0);
    const std::string parent = PQgetvalue(fks->get(), r, 1);
    if (child != parent) parents[child].insert(parent);
  }
  std::vector<Table> ordered;
  std::set<std::string> placed;
  while (ordered.size() < tables.size()) {
    bool progressed = false;
    for (Table& t : tables) {
      if (placed.contains(t.name)) continue;
      bool ready = true;
      for (const std::string& p : parents[t.name]) {
        const bool copied_here =
            std::any_of(tables.begin(), tables.end(),
                        [&](const Table& x) { return x.name == p; });
        if (copied_here && !placed.contains(p)) ready = false;
      }
      if (!ready) continue;
      placed.insert(t.name);
      ordered.push_back(t);
      progressed = true;
    }
    if (!progressed) {
      return absl::InternalError("the target's foreign keys form a cycle");
    }
  }
  return ordered;
}

absl::StatusOr<int64_t> SqliteCount(sqlite3* db, const std::string& table) {
  absl::StatusOr<SqliteStmt> q =
      SqlitePrepare(db, absl::StrCat("SELECT COUNT(*) FROM ", Quote(table)));
  if (!q.ok()) return q.status();
  if (sqlite3_step(q->get()) != SQLITE_ROW) {
    return absl::InternalError(sqlite3_errmsg(db));
  }
  return sqlite3_column_int64(q->get(), 0);
}

// Records the copy on the target, or checks that this run resumes the same
// copy of the same source.
absl::StatusOr<bool> BeginOrResume(PGconn* pg, std::vector<Table>& tables) {
  absl::StatusOr<PgResult> made =
      Pg(pg,
         "CREATE TABLE IF NOT EXISTS retail_copy_progress ("
         " table_name TEXT PRIMARY KEY, source_rows BIGINT NOT NULL,"
         " copied_rows BIGINT NOT NULL, done BOOLEAN NOT NULL)");
  if (!made.ok()) return made.status();
  absl::StatusOr<PgResult> rows =
      Pg(pg, "SELECT table_name, source_rows FROM retail_copy_progress");
  if (!rows.ok()) return rows.status();
  if (PQntuples(rows->get()) > 0) {
    std::map<std::string, int64_t> recorded;
    for (int r = 0; r < PQntuples(rows->get()); ++r) {
      int64_t n = 0;
      (void)absl::SimpleAtoi(PQgetvalue(rows->get(), r, 1), &n);
      recorded[PQgetvalue(rows->get(), r, 0)] = n;
    }
    for (const Table& t : tables) {
      const auto it = recorded.find(t.name);
      if (it == recorded.end() || it->second != t.source_rows) {
        return absl::FailedPreconditionError(absl::StrCat(
            "the target holds a copy begun from another source, or the "
            "source changed since (table ",
            t.name, ": ",
            it == recorded.end() ? std::string("not recorded")
                                 : absl::StrCat(it->second, " rows then"),
            ", ", t.source_rows,
            " now); drop the target database, create it empty and start "
            "again"));
      }
    }
    return true;
  }
  for (const Table& t : tables) {
    absl::StatusOr<int64_t> any =
        PgInt(pg, absl::StrCat("SELECT COUNT(*) FROM (SELECT 1 FROM ",
                               Quote(t.name), " LIMIT 1) AS any_row"));
    if (!any.ok()) return any.status();
    if (*any > 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the target's table ", t.name,
          " already holds rows: migrate-db copies into an empty database "
          "only (create one; do not start a server on it first)"));
    }
  }
  absl::StatusOr<PgResult> begun = Pg(pg, "BEGIN");
  if (!begun.ok()) return begun.status();
  for (const Table& t : tables) {
    absl::StatusOr<PgResult> r =
        Pg(pg, "INSERT INTO retail_copy_progress VALUES ($1, $2, 0, false)",
           {t.name, absl::StrCat(t.source_rows)});
    if (!r.ok()) return r.status();
  }
  absl::StatusOr<PgResult> committed = Pg(pg, "COMMIT");
  if (!committed.ok()) return committed.status();
  return false;
}

// Every month the source's rows fall in gets its partition before the rows
// arrive, rather than the rows landing in DEFAULT and being moved later.
absl::Status EnsurePartitions(sqlite3* db, PGconn* pg,
                              const std::vector<Table>& tables) {
  absl::StatusOr<PgResult> partitioned =
      Pg(pg, "SELECT table_name FROM retail_partitioned_tables");
  if (!partitioned.ok()) return partitioned.status();
  for (int r = 0; r < PQntuples(partitioned->get()); ++r) {
    const std::string name = PQgetvalue(partitioned->get(), r, 0);
    if (std::none_of(tables.begin(), tables.end(),
                     [&](const Table& t) { return t.name == name; })) {
      continue;
    }
    absl::StatusOr<SqliteStmt> q = SqlitePrepare(
        db,
        absl::StrCat("SELECT MIN(create_time_us), MAX(create_time_us) FROM ",
                     Quote(name)));
    if (!q.ok()) return q.status();
    if (sqlite3_step(q->get()) != SQLITE_ROW ||
        sqlite3_column_type(q->get(), 0) == SQLITE_NULL) {
      continue;
    }
    const int64_t lo = sqlite3_column_int64(q->get(), 0);
    const int64_t hi = sqlite3_column_int64(q->get(), 1);
    absl::StatusOr<PgResult> made =
        Pg(pg, "SELECT retail_ensure_month_partitions($1, $2, $3)",
           {name, absl::StrCat(lo), absl::StrCat(hi + 1)});
    if (!made.ok()) return made.status();
  }
  return absl::OkStatus();
}

absl::Status PutCopyData(PGconn* pg, const std::string& data) {
  if (PQputCopyData(pg, data.data(), static_cast<int>(data.size())) != 1) {
    return PgFailure(pg, nullptr, "COPY");
  }
  return absl::OkStatus();
}

// Copies `t` from row `from_row` (key order) on, one transaction per
// `per_txn` rows, each with its progress. Returns the rows copied.
absl::StatusOr<int64_t> CopyTable(sqlite3* db, PGconn* pg, const Table& t,
                                  int64_t from_row,
                                  const CopyOptions& options) {
  absl::StatusOr<SqliteStmt> q = SqlitePrepare(
      db, absl::StrCat(SelectSql(t), " LIMIT -1 OFFSET ", from_row));
  if (!q.ok()) return q.status();
  std::vector<std::string> cols;
  for (const Column& c : t.columns) cols.push_back(Quote(c.name));
  const std::string copy_sql = absl::StrCat(
      "COPY ", Quote(t.name), " (", absl::StrJoin(cols, ", "), ") FROM STDIN");
  int64_t row = from_row;
  int64_t copied = 0;
  bool more = true;
  std::string buffer, canon;
  while (more) {
    absl::StatusOr<PgResult> began = Pg(pg, "BEGIN");
    if (!began.ok()) return began.status();
    PgResult start(PQexec(pg, copy_sql.c_str()));
    if (PQresultStatus(start.get()) != PGRES_COPY_IN) {
      return PgFailure(pg, start.get(), copy_sql);
    }
    int64_t in_txn = 0;
    buffer.clear();
    while (in_txn < options.rows_per_transaction) {
      const int rc = sqlite3_step(q->get());
      if (rc == SQLITE_DONE) {
        more = false;
        break;
      }
      if (rc != SQLITE_ROW) {
        PQputCopyEnd(pg, "source read failed");
        return absl::InternalError(
            absl::StrCat("source: ", t.name, ": ", sqlite3_errmsg(db)));
      }
      for (size_t i = 0; i < t.columns.size(); ++i) {
        if (i > 0) buffer += '\t';
        absl::Status s = EncodeSourceValue(q->get(), static_cast<int>(i), t,
                                           row, buffer, canon);
        if (!s.ok()) {
          PQputCopyEnd(pg, "refused");
          PgResult(PQgetResult(pg));
          Pg(pg, "ROLLBACK").IgnoreError();
          return s;
        }
      }
      canon.clear();
      buffer += '\n';
      ++row;
      ++in_txn;
      if (buffer.size() >= (1 << 20)) {
        absl::Status put = PutCopyData(pg, buffer);
        if (!put.ok()) return put;
        buffer.clear();
      }
    }
    if (!buffer.empty()) {
      absl::Status put = PutCopyData(pg, buffer);
      if (!put.ok()) return put;
    }
    if (PQputCopyEnd(pg, nullptr) != 1) return PgFailure(pg, nullptr, "COPY");
    PgResult ended(PQgetResult(pg));
    if (PQresultStatus(ended.get()) != PGRES_COMMAND_OK) {
      absl::Status failed =
          PgFailure(pg, ended.get(), absl::StrCat("copying ", t.name));
      while (PgResult(PQgetResult(pg)) != nullptr) {
      }
      Pg(pg, "ROLLBACK").IgnoreError();
      return failed;
    }
    while (PgResult(PQgetResult(pg)) != nullptr) {
    }
    absl::StatusOr<PgResult> noted =
        Pg(pg,
           "UPDATE retail_copy_progress SET copied_rows = copied_rows + $2,"
           " done = $3 WHERE table_name = $1",
           {t.name, absl::StrCat(in_txn), more ? "false" : "true"});
    if (!noted.ok()) return noted.status();
    absl::StatusOr<PgResult> committed = Pg(pg, "COMMIT");
    if (!committed.ok()) return committed.status();
    copied += in_txn;
    if (options.progress) {
      options.progress(
          absl::StrCat(t.name, ": ", row, " of ", t.source_rows, " rows"));
    }
  }
  return copied;
}

// Identity columns continue past every id the source issued; the event
// sequencer's head is the source's last event number.
absl::Status ContinueSequences(sqlite3* db, PGconn* pg,
                               const std::vector<Table>& tables) {
  absl::flat_hash_map<std::string, int64_t> issued;  // sqlite_sequence
  {
    absl::StatusOr<SqliteStmt> q =
        SqlitePrepare(db,
                      "SELECT name, seq FROM sqlite_master m JOIN"
                      " sqlite_sequence s ON s.name = m.name"
                      " WHERE m.type = 'table'");
    // No AUTOINCREMENT table at all: no sqlite_sequence, nothing to carry.
    if (q.ok()) {
      while (sqlite3_step(q->get()) == SQLITE_ROW) {
        issued[reinterpret_cast<const char*>(sqlite3_column_text(
            q->get(), 0))] = sqlite3_column_int64(q->get(), 1);
      }
    }
  }
  for (const Table& t : tables) {
    absl::StatusOr<PgResult> ids =
        Pg(pg,
           "SELECT column_name::text FROM information_schema.columns"
           " WHERE table_schema = current_schema() AND table_name = $1"
           " AND is_identity = 'YES' AND identity_generation = 'BY DEFAULT'",
           {t.name});
    if (!ids.ok()) return ids.status();
    for (int r = 0; r < PQntuples(ids->get()); ++r) {
      const std::string column = PQgetvalue(ids->get(), r, 0);
      absl::StatusOr<int64_t> top = PgInt(
          pg,
          absl::StrCat("SELECT MAX(", Quote(column), ") FROM ", Quote(t.name)));
      if (!top.ok()) return top.status();
      int64_t next = *top;
      if (const auto it = issued.find(t.name); it != issued.end()) {
        next = std::max(next, it->second);
      }
      if (next <= 0) continue;
      absl::StatusOr<PgResult> set =
          Pg(pg, "SELECT setval(pg_get_serial_sequence($1, $2), $3)",
             {Quote(t.name), column, absl::StrCat(next)});
      if (!set.ok()) return set.status();
    }
  }
  if (std::any_of(tables.begin(), tables.end(),
                  [](const Table& t) { return t.name == "events"; })) {
    absl::StatusOr<int64_t> top = PgInt(pg, "SELECT MAX(event_id) FROM events");
    if (!top.ok()) return top.status();
    int64_t head = *top;
    if (const auto it = issued.find("events"); it != issued.end()) {
      head = std::max(head, it->second);
    }
    absl::StatusOr<PgResult> set =
        Pg(pg, "UPDATE event_sequencer SET head = GREATEST(head, $1)",
           {absl::StrCat(head)});
    if (!set.ok()) return set.status();
  }
  return absl::OkStatus();
}

absl::StatusOr<std::pair<int64_t, uint64_t>> SourceChecksum(sqlite3* db,
                                                            const Table& t) {
  absl::StatusOr<SqliteStmt> q = SqlitePrepare(db, SelectSql(t));
  if (!q.ok()) return q.status();
  int64_t rows = 0;
  uint64_t sum = 0;
  std::string ignored, canon;
  int rc;
  while ((rc = sqlite3_step(q->get())) == SQLITE_ROW) {
    canon.clear();
    for (size_t i = 0; i < t.columns.size(); ++i) {
      ignored.clear();
      absl::Status s = EncodeSourceValue(q->get(), static_cast<int>(i), t, rows,
                                         ignored, canon);
      if (!s.ok()) return s;
    }
    sum += Fnv1a(canon);
    ++rows;
  }
  if (rc != SQLITE_DONE) return absl::InternalError(sqlite3_errmsg(db));
  return std::make_pair(rows, sum);
}

// Reads the target's rows back in text through a cursor, in batches, so a
// large table never sits in memory whole.
absl::StatusOr<std::pair<int64_t, uint64_t>> TargetChecksum(PGconn* pg,
                                                            const Table& t) {
  std::vector<std::string> cols;
  for (const Column& c : t.columns) cols.push_back(Quote(c.name));
  absl::StatusOr<PgResult> declared = Pg(
      pg, absl::StrCat("DECLARE retail_copy_check NO SCROLL CURSOR FOR SELECT ",
                       absl::StrJoin(cols, ", "), " FROM ", Quote(t.name)));
  if (!declared.ok()) return declared.status();
  int64_t rows = 0;
  uint64_t sum = 0;
  std::string canon;
  while (true) {
    absl::StatusOr<PgResult> batch =
        Pg(pg, "FETCH FORWARD 5000 FROM retail_copy_check");
    if (!batch.ok()) return batch.status();
    PGresult* r = batch->get();
    const int n = PQntuples(r);
    if (n == 0) break;
    for (int row = 0; row < n; ++row) {
      canon.clear();
      for (size_t i = 0; i < t.columns.size(); ++i) {
        const int col = static_cast<int>(i);
        if (PQgetisnull(r, row, col)) {
          EncodeNull(canon);
          continue;
        }
        absl::string_view v(PQgetvalue(r, row, col), PQgetlength(r, row, col));
        switch (t.columns[i].kind) {
          case Kind::kInt:
            absl::StrAppend(&canon, "I", v, ";");
            break;
          case Kind::kBool:
            EncodeInt(canon, v == "t" ? 1 : 0);
            break;
          case Kind::kReal:
            EncodeReal(canon, std::strtod(std::string(v).c_str(), nullptr));
            break;
          case Kind::kText:
            EncodeBytes(canon, 'T', v);
            break;
          case Kind::kBlob: {
            size_t len = 0;
            unsigned char* bytes = PQunescapeBytea(
                reinterpret_cast<const unsigned char*>(PQgetvalue(r, row, col)),
                &len);
            if (bytes == nullptr) {
              return absl::InternalError("could not decode a bytea value");
            }
            EncodeBytes(canon, 'B',
                        absl::string_view(reinterpret_cast<char*>(bytes), len));
            PQfreemem(bytes);
            break;
          }
        }
      }
      sum += Fnv1a(canon);
      ++rows;
    }
  }
  absl::StatusOr<PgResult> closed = Pg(pg, "CLOSE retail_copy_check");
  if (!closed.ok()) return closed.status();
  return std::make_pair(rows, sum);
}

absl::Status Run(sqlite3* db, PGconn* pg, const CopyOptions& options,
                 CopyReport& report) {
  absl::StatusOr<std::vector<Table>> tables = ListTables(db, pg);
  if (!tables.ok()) return tables.status();
  for (Table& t : *tables) {
    absl::StatusOr<int64_t> n = SqliteCount(db, t.name);
    if (!n.ok()) return n.status();
    t.source_rows = *n;
  }
  absl::StatusOr<bool> resumed = BeginOrResume(pg, *tables);
  if (!resumed.ok()) return resumed.status();
  report.resumed = *resumed;
  absl::Status partitions = EnsurePartitions(db, pg, *tables);
  if (!partitions.ok()) return partitions;
  for (const Table& t : *tables) {
    absl::StatusOr<PgResult> progress =
        Pg(pg,
           "SELECT copied_rows, done FROM retail_copy_progress"
           " WHERE table_name = $1",
           {t.name});
    if (!progress.ok()) return progress.status();
    int64_t copied = 0;
    (void)absl::SimpleAtoi(PQgetvalue(progress->get(), 0, 0), &copied);
    const bool done = std::string(PQgetvalue(progress->get(), 0, 1)) == "t";
    TableCopy entry;
    entry.table = t.name;
    if (!done) {
      absl::StatusOr<int64_t> now = CopyTable(db, pg, t, copied, options);
      if (!now.ok()) return now.status();
      entry.copied_this_run = *now;
    }
    report.tables.push_back(entry);
  }
  absl::Status sequences = ContinueSequences(db, pg, *tables);
  if (!sequences.ok()) return sequences;
  // The planner's statistics, which a bulk load leaves empty.
  absl::StatusOr<PgResult> analyzed = Pg(pg, "ANALYZE");
  if (!analyzed.ok()) return analyzed.status();

  if (options.progress) options.progress("verifying counts and checksums");
  absl::StatusOr<PgResult> began =
      Pg(pg, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  if (!began.ok()) return began.status();
  for (size_t i = 0; i < tables->size(); ++i) {
    const Table& t = (*tables)[i];
    absl::StatusOr<std::pair<int64_t, uint64_t>> source = SourceChecksum(db, t);
    if (!source.ok()) return source.status();
    absl::StatusOr<std::pair<int64_t, uint64_t>> target = TargetChecksum(pg, t);
    if (!target.ok()) return target.status();
    TableCopy& entry = report.tables[i];
    entry.source_rows = source->first;
    entry.source_checksum = source->second;
    entry.target_rows = target->first;
    entry.target_checksum = target->second;
  }
  return Pg(pg, "COMMIT").status();
}

}  // namespace

absl::StatusOr<CopyReport> CopySqliteToPostgres(SqliteConnection& from,
                                                PgConnection& to,
                                                const CopyOptions& options) {
  sqlite3* db = from.raw().getHandle();
  PGconn* pg = to.raw();
  absl::Status versions = CheckSourceVersions(db, options.modules);
  if (!versions.ok()) return versions;
  absl::Status migrated = Migrate(to, options.modules, options.now_micros);
  if (!migrated.ok()) return migrated;
  // One snapshot of the source for the copy and its verification: the read
  // transaction begins at the first read and holds until the end.
  if (sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr) != SQLITE_OK) {
    return absl::InternalError(sqlite3_errmsg(db));
  }
  CopyReport report;
  absl::Status ran = Run(db, pg, options, report);
  sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
  if (!ran.ok()) {
    // A failed statement leaves the target's transaction aborted.
    if (PQtransactionStatus(pg) != PQTRANS_IDLE) {
      PgResult(PQexec(pg, "ROLLBACK"));
    }
    return ran;
  }
  return report;
}

}  // namespace retail::db
