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

constexpr char kCreateTable[] =
    "CREATE TABLE schema_migrations ("
    " module TEXT NOT NULL, version INTEGER NOT NULL, name TEXT NOT NULL,"
    " applied_time_us INTEGER NOT NULL, PRIMARY KEY (module, version)) STRICT";

bool TableExists(Connection& conn, const char* table) {
  Stmt q = conn.Prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
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
      Stmt q = conn.Prepare("SELECT version, applied_time_us FROM "
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
        Stmt ins = conn.Prepare("INSERT INTO schema_migrations VALUES (?, ?, ?, ?)");
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
  int64_t current = 0;
  {
    Stmt q = conn.Prepare("SELECT COALESCE(MAX(version), 0) FROM "
                        "schema_migrations WHERE module = ?");
    q->Bind(1, schema.module);
    q->Step();
    current = q->Int64(0);
  }
  const int newest =
      schema.migrations.empty() ? 0 : schema.migrations.back().version;
  if (current > newest) {
    return absl::FailedPreconditionError(absl::StrCat(
        "database schema of module '", schema.module, "' is at version ",
        current, ", newer than this build (", newest, ")"));
  }
  for (const Migration& m : schema.migrations) {
    if (m.version <= current) continue;
    conn.Exec("BEGIN IMMEDIATE");
    try {
      conn.Exec(m.sql);
      Stmt ins = conn.Prepare("INSERT INTO schema_migrations VALUES (?, ?, ?, ?)");
      ins->Bind(1, schema.module);
      ins->Bind(2, m.version);
      ins->Bind(3, m.name);
      ins->Bind(4, static_cast<int64_t>(now_micros));
      ins->Exec();
      conn.Exec("COMMIT");
    } catch (...) {
      conn.Exec("ROLLBACK");
      throw;
    }
    RETAIL_LOG(INFO) << "applied migration " << schema.module << " "
                     << m.version << " (" << m.name << ")";
  }
  return absl::OkStatus();
}

}  // namespace

const ModuleSchema& CoreSchema() {
  static const auto* const kCore =
      new ModuleSchema{"core",
                       {
                           {1, "foundation", kCoreV1, /*legacy_version=*/1},
                           {2, "staff identity", kCoreV2},
                           {3, "stored failures, folded audit rows", kCoreV3},
                           {4, "event stream: sequences, states", kCoreV4},
                       }};
  return *kCore;
}

absl::Status Migrate(Connection& conn, const std::vector<ModuleSchema>& modules,
                     int64_t now_micros) {
  return Guard("migrate", [&]() -> absl::Status {
    std::vector<const ModuleSchema*> all = {&CoreSchema()};
    for (const ModuleSchema& m : modules) all.push_back(&m);
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
