#include "common/db/migrations.h"

#include <algorithm>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/status.h"

namespace retail::db {
namespace {

// Conventions: STRICT tables; times are UTC microseconds (`*_us`); money is
// integer minor units plus a currency code; enums are integers with CHECKs
// matching the proto enum numbers.
constexpr char kCoreV1[] = R"sql(
CREATE TABLE server_meta (
  key   TEXT PRIMARY KEY,
  value BLOB NOT NULL
) STRICT, WITHOUT ROWID;

-- AIP-155: the first response to each request_id, per caller and method.
CREATE TABLE idempotency_keys (
  principal_id   TEXT NOT NULL,
  method         TEXT NOT NULL,
  request_id     TEXT NOT NULL,
  request_hash   BLOB NOT NULL,
  response       BLOB NOT NULL,
  resource       TEXT NOT NULL,  -- lets erasure scrub stored responses
  create_time_us INTEGER NOT NULL,
  PRIMARY KEY (principal_id, method, request_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX idempotency_by_resource ON idempotency_keys (resource);
CREATE INDEX idempotency_by_time ON idempotency_keys (create_time_us);

-- Change feed: one row per mutation of a resource.
CREATE TABLE events (
  event_id       INTEGER PRIMARY KEY,
  resource_type  TEXT NOT NULL,
  resource_id    TEXT NOT NULL,
  event_type     TEXT NOT NULL,
  revision       INTEGER NOT NULL,
  principal_id   TEXT NOT NULL,
  create_time_us INTEGER NOT NULL
) STRICT;
CREATE INDEX events_by_resource ON events (resource_type, resource_id, event_id);

-- Who did what: every mutation (and its failures) and every PII reveal.
CREATE TABLE audit_log (
  audit_id       INTEGER PRIMARY KEY,
  create_time_us INTEGER NOT NULL,
  principal_id   TEXT NOT NULL,
  role           TEXT NOT NULL,
  method         TEXT NOT NULL,
  resource       TEXT NOT NULL,
  request_id     TEXT NOT NULL,
  outcome        TEXT NOT NULL,
  detail         TEXT NOT NULL
) STRICT;
CREATE INDEX audit_by_time ON audit_log (create_time_us);
)sql";

constexpr char kCoreV2[] = R"sql(
-- One store token serves many cashiers: x-staff-id names the person acting,
-- next to the principal, in every audit row and event ('' when not given).
ALTER TABLE audit_log ADD COLUMN staff_id TEXT NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN staff_id TEXT NOT NULL DEFAULT '';
)sql";

constexpr char kCoreV3[] = R"sql(
-- Stripe's rule for retries: a request that began executing keeps its
-- result, success or business failure. NULL: the stored response is a
-- success; otherwise a google.rpc.Status of the failure to replay.
ALTER TABLE idempotency_keys ADD COLUMN status BLOB;
-- A flood of identical denials is folded into one row per principal,
-- method and minute, with how many it stands for.
ALTER TABLE audit_log ADD COLUMN count INTEGER NOT NULL DEFAULT 1;
)sql";

constexpr char kCoreV4[] = R"sql(
-- The event stream (retail.events.v1): sequences must never be reused, even
-- after retention has deleted every row, so a watcher resuming after N never
-- takes a new event for one it has seen. INTEGER PRIMARY KEY alone would hand
-- out MAX+1 again; AUTOINCREMENT keeps the high-water mark in
-- sqlite_sequence. SQLite cannot add AUTOINCREMENT in place: rebuild.
-- Each event also keeps its resource's name (for erasure's scrub), the
-- branch it belongs to (a branch watcher's filter) and the resource's state
-- at that revision (a serialised google.protobuf.Any, NULL before v4).
CREATE TABLE events_v4 (
  event_id       INTEGER PRIMARY KEY AUTOINCREMENT,
  resource_type  TEXT NOT NULL,
  resource_id    TEXT NOT NULL,
  event_type     TEXT NOT NULL,
  revision       INTEGER NOT NULL,
  principal_id   TEXT NOT NULL,
  create_time_us INTEGER NOT NULL,
  staff_id       TEXT NOT NULL DEFAULT '',
  resource       TEXT NOT NULL DEFAULT '',
  branch_id      TEXT NOT NULL DEFAULT '',
  state          BLOB
) STRICT;
INSERT INTO events_v4 (event_id, resource_type, resource_id, event_type,
                       revision, principal_id, create_time_us, staff_id)
  SELECT event_id, resource_type, resource_id, event_type, revision,
         principal_id, create_time_us, staff_id FROM events;
DROP TABLE events;
ALTER TABLE events_v4 RENAME TO events;
-- By resource name (erasure scrubs a resource's stored states; its history
-- in order). Replaces v1's (resource_type, resource_id) index, which no
-- query of the server used: one index per event, not two.
CREATE INDEX events_by_resource ON events (resource, event_id);
-- A branch watcher reads its own branch's events in sequence order.
CREATE INDEX events_by_branch ON events (branch_id, event_id);
-- Keep the high-water mark even when the table was empty when rebuilt.
INSERT INTO sqlite_sequence (name, seq)
  SELECT 'events', COALESCE(MAX(event_id), 0) FROM events
  WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'events');
)sql";

// PostgreSQL (issue 16): the core tables as SQLite versions 1-4 left them,
// in one step, plus what only PostgreSQL has: monthly partitions of events
// and audit_log with the functions that keep them, and the event
// sequencer's head. Types: INTEGER -> BIGINT (SQLite's is 64-bit; stores
// bind and read integers, booleans as 0/1), TEXT -> TEXT, BLOB -> BYTEA,
// INTEGER PRIMARY KEY -> an identity.
constexpr char kPgCoreV1[] = R"sql(
-- server_meta, idempotency_keys: as on SQLite (SQLite versions 1-4).
CREATE TABLE server_meta (
  key   TEXT PRIMARY KEY,
  value BYTEA NOT NULL
);

-- AIP-155: the first response to each request_id, per caller and method.
-- Unpartitioned: the key must be unique across the chain, and retention
-- deletes it by time in slices (idempotency_by_time).
CREATE TABLE idempotency_keys (
  principal_id   TEXT NOT NULL,
  method         TEXT NOT NULL,
  request_id     TEXT NOT NULL,
  request_hash   BYTEA NOT NULL,
  response       BYTEA NOT NULL,
  resource       TEXT NOT NULL,
  create_time_us BIGINT NOT NULL,
  status         BYTEA,
  PRIMARY KEY (principal_id, method, request_id)
);
CREATE INDEX idempotency_by_resource ON idempotency_keys (resource);
CREATE INDEX idempotency_by_time ON idempotency_keys (create_time_us);

-- Monthly partitions (issue 16, "Volume"). The big append-mostly tables
-- (events, audit_log here; orders and order_payments in the orders module)
-- are PARTITION BY RANGE (create_time_us), one partition per calendar month
-- in UTC, bounds in microseconds, named <table>_pYYYYMM, plus
-- <table>_default, which takes any row no month partition covers, so an
-- insert never fails. Past retention a maintenance task drops whole
-- months (retail_drop_partitions_before) instead of deleting rows.
--
-- PostgreSQL's PRIMARY KEY and UNIQUE constraints on a partitioned table
-- must include the partition key, so such a table's primary key is
-- (id, create_time_us), and every key that must be unique across the
-- chain lives in an unpartitioned key table, kept by triggers on the
-- partitioned table; a duplicate fails with 23505 as SQLite's UNIQUE does.
-- retail_partitioned_tables lists the partitioned tables and their key
-- tables (each with a create_time_us column: the row's partition), so the
-- functions below accept no other table and drop a month's keys with it.
CREATE TABLE retail_partitioned_tables (
  table_name TEXT PRIMARY KEY,
  key_tables TEXT[] NOT NULL DEFAULT '{}'
);

-- The first microsecond of the UTC calendar month of `us`, `months` later.
CREATE FUNCTION retail_month_start_us(us BIGINT, months INTEGER DEFAULT 0)
RETURNS BIGINT LANGUAGE sql IMMUTABLE STRICT AS $$
  SELECT (extract(epoch FROM
            date_trunc('month', TIMESTAMP '1970-01-01'
                                  + us * INTERVAL '1 microsecond')
            + months * INTERVAL '1 month') * 1000000)::BIGINT
$$;

-- "Now" for a migration: the migration runner sets retail.migration_now_us
-- for each migration's transaction (the server's clock, which tests set);
-- otherwise the database's clock.
CREATE FUNCTION retail_migration_now_us() RETURNS BIGINT
LANGUAGE sql STABLE AS $$
  SELECT COALESCE(
    NULLIF(current_setting('retail.migration_now_us', true), '')::BIGINT,
    (extract(epoch FROM clock_timestamp()) * 1000000)::BIGINT)
$$;

-- Creates the missing monthly partitions of `table_name` for every month
-- that overlaps [from_us, to_us), and the DEFAULT partition if missing;
-- returns the names it created. Rows already in the DEFAULT partition for
-- a new month (written while no partition covered it) are moved into it:
-- PostgreSQL refuses to create a partition while the default holds rows
-- of its range. They are deleted from the default into a temporary table
-- and inserted again through the parent, so the key tables' triggers
-- delete and re-insert their keys (the same keys) and identities keep their
-- values (event_id too: a moved event keeps its number or its place in
-- the sequencer's queue). Each CREATE locks the parent (ACCESS EXCLUSIVE)
-- until the caller's transaction ends and scans the DEFAULT partition: a
-- maintenance task runs it for the coming months ahead of time, in its
-- own transaction, so DEFAULT stays empty and the lock brief.
CREATE FUNCTION retail_ensure_month_partitions(table_name TEXT, from_us BIGINT,
                                               to_us BIGINT)
RETURNS SETOF TEXT LANGUAGE plpgsql AS $$
DECLARE
  parent   regclass;
  nsp      TEXT;
  rel      TEXT;
  dflt     TEXT;
  lo       BIGINT;
  hi       BIGINT;
  part     TEXT;
  moving   BOOLEAN;
BEGIN
  -- Also serialises maintenance tasks of several replicas on this table.
  PERFORM 1 FROM retail_partitioned_tables t
    WHERE t.table_name = retail_ensure_month_partitions.table_name
    FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'retail_ensure_month_partitions: % is not partitioned'
                    ' by month', table_name
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  parent := to_regclass(quote_ident(table_name));
  SELECT n.nspname, c.relname INTO nsp, rel
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.oid = parent;
  dflt := rel || '_default';
  IF to_regclass(format('%I.%I', nsp, dflt)) IS NULL THEN
    EXECUTE format('CREATE TABLE %I.%I PARTITION OF %I.%I DEFAULT',
                   nsp, dflt, nsp, rel);
    RETURN NEXT dflt;
  END IF;
  IF from_us IS NULL OR to_us IS NULL OR from_us >= to_us THEN
    RETURN;
  END IF;
  lo := retail_month_start_us(from_us);
  WHILE lo < to_us LOOP
    hi := retail_month_start_us(lo, 1);
    part := rel || '_p' || to_char(TIMESTAMP '1970-01-01'
                                   + lo * INTERVAL '1 microsecond', 'YYYYMM');
    IF to_regclass(format('%I.%I', nsp, part)) IS NULL THEN
      EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I.%I'
                     ' WHERE create_time_us >= $1 AND create_time_us < $2)',
                     nsp, dflt)
        INTO moving USING lo, hi;
      IF moving THEN
        EXECUTE format('CREATE TEMPORARY TABLE retail_partition_move'
                       ' (LIKE %I.%I)', nsp, rel);
        EXECUTE format('WITH moved AS (DELETE FROM %I.%I'
                       ' WHERE create_time_us >= $1 AND create_time_us < $2'
                       ' RETURNING *)'
                       ' INSERT INTO retail_partition_move SELECT * FROM moved',
                       nsp, dflt) USING lo, hi;
      END IF;
      EXECUTE format('CREATE TABLE %I.%I PARTITION OF %I.%I'
                     ' FOR VALUES FROM (%s) TO (%s)',
                     nsp, part, nsp, rel, lo, hi);
      IF moving THEN
        EXECUTE format('INSERT INTO %I.%I OVERRIDING SYSTEM VALUE'
                       ' SELECT * FROM retail_partition_move', nsp, rel);
        DROP TABLE retail_partition_move;
      END IF;
      RETURN NEXT part;
    END IF;
    lo := hi;
  END LOOP;
END
$$;

-- Drops every monthly partition of `table_name` that ends at or before
-- `before_us`, with its rows' keys in the table's key tables; returns the
-- names it dropped. The DEFAULT partition is never dropped (its rows, if
-- any, are moved into months by retail_ensure_month_partitions). Tables
-- that name a dropped row (refunds, settlements, returns name an order)
-- keep their rows: retention drops them with the orders, by its own rule.
CREATE FUNCTION retail_drop_partitions_before(table_name TEXT, before_us BIGINT)
RETURNS SETOF TEXT LANGUAGE plpgsql AS $$
DECLARE
  parent   regclass;
  keys     TEXT[];
  key_tab  TEXT;
  p        RECORD;
  bounds   TEXT[];
BEGIN
  SELECT t.key_tables INTO keys FROM retail_partitioned_tables t
    WHERE t.table_name = retail_drop_partitions_before.table_name
    FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'retail_drop_partitions_before: % is not partitioned'
                    ' by month', table_name
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  parent := to_regclass(quote_ident(table_name));
  FOR p IN
    SELECT n.nspname AS nsp, c.relname AS rel,
           pg_get_expr(c.relpartbound, c.oid) AS bound
      FROM pg_inherits i
      JOIN pg_class c ON c.oid = i.inhrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE i.inhparent = parent
      ORDER BY c.relname
  LOOP
    bounds := regexp_match(p.bound,
        '^FOR VALUES FROM \(''?(-?[0-9]+)''?\) TO \(''?(-?[0-9]+)''?\)$');
    CONTINUE WHEN bounds IS NULL OR bounds[2]::BIGINT > before_us;
    FOREACH key_tab IN ARRAY keys LOOP
      EXECUTE format('DELETE FROM %I'
                     ' WHERE create_time_us >= $1 AND create_time_us < $2',
                     key_tab) USING bounds[1]::BIGINT, bounds[2]::BIGINT;
    END LOOP;
    EXECUTE format('DROP TABLE %I.%I', p.nsp, p.rel);
    RETURN NEXT p.rel;
  END LOOP;
END
$$;

-- Makes `table_name` (just created PARTITION BY RANGE (create_time_us))
-- one of the partitioned tables, with its key tables: its DEFAULT partition
-- and the months from two before the migration's now to three after.
CREATE PROCEDURE retail_partition_monthly(table_name TEXT,
                                          key_tables TEXT[] DEFAULT '{}')
LANGUAGE plpgsql AS $$
DECLARE
  now_us BIGINT := retail_migration_now_us();
BEGIN
  INSERT INTO retail_partitioned_tables VALUES (table_name, key_tables);
  PERFORM retail_ensure_month_partitions(table_name,
    retail_month_start_us(now_us, -2), retail_month_start_us(now_us, 4));
END
$$;

-- Change feed: one row per mutation of a resource. On PostgreSQL events
-- are numbered in commit order by the event sequencer, not at insert: a
-- row is inserted with event_id NULL and pending_id (insertion order,
-- internal); after its transaction commits the sequencer gives it
-- event_id = head + 1, ... in pending_id order and moves
-- event_sequencer.head, so a watcher reading event_id > N never skips an
-- event that commits later with a smaller number, and numbers have no
-- gaps. event_id is unique because only the sequencer assigns it (an index,
-- not a constraint: a UNIQUE would have to include create_time_us).
CREATE TABLE events (
  event_id       BIGINT,
  resource_type  TEXT NOT NULL,
  resource_id    TEXT NOT NULL,
  event_type     TEXT NOT NULL,
  revision       BIGINT NOT NULL,
  principal_id   TEXT NOT NULL,
  create_time_us BIGINT NOT NULL,
  staff_id       TEXT NOT NULL DEFAULT '',
  resource       TEXT NOT NULL DEFAULT '',
  branch_id      TEXT NOT NULL DEFAULT '',
  state          BYTEA,
  pending_id     BIGINT GENERATED ALWAYS AS IDENTITY,
  PRIMARY KEY (pending_id, create_time_us)
) PARTITION BY RANGE (create_time_us);
CREATE INDEX events_by_event_id ON events (event_id);
-- The sequencer's queue: committed rows not yet numbered.
CREATE INDEX events_unnumbered ON events (pending_id) WHERE event_id IS NULL;
CREATE INDEX events_by_resource ON events (resource, event_id);
CREATE INDEX events_by_branch ON events (branch_id, event_id);
CALL retail_partition_monthly('events');

-- The highest event_id handed out (SQLite keeps it in sqlite_sequence):
-- one row, never reused even when retention has dropped every event.
CREATE TABLE event_sequencer (
  head BIGINT NOT NULL
);
CREATE UNIQUE INDEX event_sequencer_one_row ON event_sequencer ((true));
INSERT INTO event_sequencer (head) VALUES (0);

-- Who did what: every mutation (and its failures) and every PII reveal.
-- Partitioned by month; audit_id stays unique by its identity (no key
-- table: no audit column must be unique across the chain, and the key
-- table would cost a second write on the busiest table). The indexes end
-- in audit_id, which SQLite appends to every index entry implicitly:
-- ListAuditLog pages by (create_time_us, audit_id).
CREATE TABLE audit_log (
  audit_id       BIGINT GENERATED BY DEFAULT AS IDENTITY,
  create_time_us BIGINT NOT NULL,
  principal_id   TEXT NOT NULL,
  role           TEXT NOT NULL,
  method         TEXT NOT NULL,
  resource       TEXT NOT NULL,
  request_id     TEXT NOT NULL,
  outcome        TEXT NOT NULL,
  detail         TEXT NOT NULL,
  staff_id       TEXT NOT NULL DEFAULT '',
  count          BIGINT NOT NULL DEFAULT 1,
  PRIMARY KEY (audit_id, create_time_us)
) PARTITION BY RANGE (create_time_us);
CREATE INDEX audit_by_time ON audit_log (create_time_us, audit_id);
CALL retail_partition_monthly('audit_log');
)sql";

constexpr char kCreateTable[] =
    "CREATE TABLE schema_migrations ("
    " module TEXT NOT NULL, version INTEGER NOT NULL, name TEXT NOT NULL,"
    " applied_time_us INTEGER NOT NULL, PRIMARY KEY (module, version)) STRICT";

// PostgreSQL's schema_migrations; created under the migration lock, so
// IF NOT EXISTS only spares a query.
constexpr char kPgCreateTable[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " module TEXT NOT NULL, version BIGINT NOT NULL, name TEXT NOT NULL,"
    " applied_time_us BIGINT NOT NULL, PRIMARY KEY (module, version))";

bool TableExists(Connection& conn, const char* table) {
  Stmt q = conn.Prepare(
      "SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
      "name = ?");
  q->Bind(1, table);
  return q->Step();
}

bool HasColumn(Connection& conn, const char* table, const char* column) {
  Stmt q = conn.Prepare("SELECT 1 FROM pragma_table_info(?) WHERE name = ?");
  q->Bind(1, table);
  q->Bind(2, column);
  return q->Step();
}

// A database written before migrations were kept per module has
// schema_migrations(version, name, applied_time_us) with one global
// sequence. Re-key it: each module's migration that names a legacy version
// at or below the recorded one counts as applied, with its original time.
absl::Status UpgradeLegacyTable(Connection& conn,
                                const std::vector<const ModuleSchema*>& all) {
  int legacy_known = 0;
  for (const ModuleSchema* m : all) {
    for (const Migration& mig : m->migrations) {
      legacy_known = std::max(legacy_known, mig.legacy_version);
    }
  }
  conn.Exec("BEGIN IMMEDIATE");
  try {
    absl::flat_hash_map<int, int64_t> applied;  // legacy version -> time
    {
      Stmt q = conn.Prepare(
          "SELECT version, applied_time_us FROM "
          "schema_migrations");
      while (q->Step()) {
        applied[q->Int(0)] = q->Int64(1);
      }
    }
    for (const auto& [version, time] : applied) {
      if (version > legacy_known) {
        conn.Exec("ROLLBACK");
        return absl::FailedPreconditionError(absl::StrCat(
            "database schema version ", version,
            " is newer than this build knows (", legacy_known, ")"));
      }
    }
    conn.Exec("ALTER TABLE schema_migrations RENAME TO schema_migrations_v0");
    conn.Exec(kCreateTable);
    for (const ModuleSchema* m : all) {
      for (const Migration& mig : m->migrations) {
        auto it = applied.find(mig.legacy_version);
        if (mig.legacy_version == 0 || it == applied.end()) continue;
        Stmt ins =
            conn.Prepare("INSERT INTO schema_migrations VALUES (?, ?, ?, ?)");
        ins->Bind(1, m->module);
        ins->Bind(2, mig.version);
        ins->Bind(3, mig.name);
        ins->Bind(4, static_cast<int64_t>(it->second));
        ins->Exec();
      }
    }
    conn.Exec("DROP TABLE schema_migrations_v0");
    conn.Exec("COMMIT");
  } catch (...) {
    conn.Exec("ROLLBACK");
    throw;
  }
  RETAIL_LOG(INFO) << "schema_migrations re-keyed by module";
  return absl::OkStatus();
}

absl::Status MigrateModule(Connection& conn, const ModuleSchema& schema,
                           int64_t now_micros) {
  const bool pg = conn.engine() == Engine::kPostgres;
  const std::vector<Migration>& migrations =
      pg ? schema.pg_migrations : schema.migrations;
  int64_t current = 0;
  {
    Stmt q = conn.Prepare(
        "SELECT COALESCE(MAX(version), 0) FROM "
        "schema_migrations WHERE module = ?");
    q->Bind(1, schema.module);
    q->Step();
    current = q->Int64(0);
  }
  const int newest = migrations.empty() ? 0 : migrations.back().version;
  if (current > newest) {
    return absl::FailedPreconditionError(absl::StrCat(
        "database schema of module '", schema.module, "' is at version ",
        current, ", newer than this build (", newest, ")"));
  }
  for (const Migration& m : migrations) {
    if (m.version <= current) continue;
    // SQLite: IMMEDIATE takes the write lock up front. PostgreSQL: the
    // advisory lock (MigratePostgres) already keeps other migrators out.
    conn.Exec(pg ? "BEGIN" : "BEGIN IMMEDIATE");
    try {
      if (pg) {
        // retail_migration_now_us() (kPgCoreV1), for this transaction.
        Stmt now = conn.Prepare(
            "SELECT 1 FROM set_config('retail.migration_now_us', ?, true)");
        now->Bind(1, absl::StrCat(now_micros));
        now->Step();
      }
      conn.Exec(m.sql);
      Stmt ins =
          conn.Prepare("INSERT INTO schema_migrations VALUES (?, ?, ?, ?)");
      ins->Bind(1, schema.module);
      ins->Bind(2, m.version);
      ins->Bind(3, m.name);
      ins->Bind(4, static_cast<int64_t>(now_micros));
      ins->Exec();
      conn.Exec("COMMIT");
    } catch (...) {
      if (!pg) {
        conn.Exec("ROLLBACK");
        throw;
      }
      try {
        conn.Exec("ROLLBACK");
      } catch (...) {
        // The connection is gone, and the server ended the transaction
        // with it. The migration's own error is the one to report.
      }
      throw;
    }
    RETAIL_LOG(INFO) << "applied migration " << schema.module << " "
                     << m.version << " (" << m.name << ")"
                     << (pg ? " on PostgreSQL" : "");
  }
  return absl::OkStatus();
}

// Holds the session advisory lock kPgMigrationLockKey while `fn` runs, and
// releases it however `fn` ends (a session lock would otherwise outlive a
// failed migration until the connection closes).
template <typename Fn>
absl::Status WithPgMigrationLock(Connection& conn, Fn&& fn) {
  {
    // Waits for a replica that is migrating now.
    Stmt lock = conn.Prepare("SELECT 1 FROM pg_advisory_lock(?)");
    lock->Bind(1, kPgMigrationLockKey);
    lock->Step();
  }
  struct Unlock {
    Connection& conn;
    ~Unlock() {
      try {
        Stmt unlock = conn.Prepare("SELECT 1 FROM pg_advisory_unlock(?)");
        unlock->Bind(1, kPgMigrationLockKey);
        unlock->Step();
      } catch (const std::exception& e) {
        // A lost connection released it with the session.
        RETAIL_LOG(WARNING) << "migration lock not released: " << e.what();
      }
    }
  } unlock{conn};
  return fn();
}

absl::Status MigratePostgres(Connection& conn,
                             const std::vector<const ModuleSchema*>& all,
                             int64_t now_micros) {
  for (const ModuleSchema* m : all) {
    if (m->pg_migrations.empty() && !m->migrations.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("module '", m->module, "' has no PostgreSQL schema"));
    }
  }
  return WithPgMigrationLock(conn, [&]() -> absl::Status {
    conn.Exec(kPgCreateTable);
    for (const ModuleSchema* m : all) {
      RETURN_IF_ERROR(MigrateModule(conn, *m, now_micros));
    }
    return absl::OkStatus();
  });
}

}  // namespace

const ModuleSchema& CoreSchema() {
  static const auto* const kCore = new ModuleSchema{
      "core",
      {
          {1, "foundation", kCoreV1, /*legacy_version=*/1},
          {2, "staff identity", kCoreV2},
          {3, "stored failures, folded audit rows", kCoreV3},
          {4, "event stream: sequences, states", kCoreV4},
      },
      {
          {1, "foundation, partitions, event sequencer", kPgCoreV1},
      }};
  return *kCore;
}

absl::Status Migrate(Connection& conn, const std::vector<ModuleSchema>& modules,
                     int64_t now_micros) {
  return Guard("migrate", [&]() -> absl::Status {
    std::vector<const ModuleSchema*> all = {&CoreSchema()};
    for (const ModuleSchema& m : modules) all.push_back(&m);
    if (conn.engine() == Engine::kPostgres) {
      return MigratePostgres(conn, all, now_micros);
    }
    if (!TableExists(conn, "schema_migrations")) {
      conn.Exec(kCreateTable);
    } else if (!HasColumn(conn, "schema_migrations", "module")) {
      RETURN_IF_ERROR(UpgradeLegacyTable(conn, all));
    }
    for (const ModuleSchema* m : all) {
      RETURN_IF_ERROR(MigrateModule(conn, *m, now_micros));
    }
    return absl::OkStatus();
  });
}

}  // namespace retail::db
