// Numbered schema migrations per module, applied at start-up.
//
// The engine's own tables (request ids, audit, events, server secret) are the
// "core" module here; every service module brings its own list
// (docs/architecture.md, "Adding a service"). `schema_migrations` is keyed by
// (module, version). Each migration runs in its own transaction together with
// its row, so a crash mid-migration leaves the previous version. Append new
// migrations at the end of a module's list; never edit one that has shipped.
//
// Each engine has its own numbered list per module: `migrations` for SQLite,
// `pg_migrations` for PostgreSQL. PostgreSQL's starts at version 1 = the
// module's shape when PostgreSQL support came (issue 16: SQLite's versions
// folded into one; there is no PostgreSQL database to upgrade from before),
// so the two lists' version numbers differ. A schema change appends one
// migration to each list. tests/pg/pg_schema_test.cc checks that every
// SQLite table, column and index exists on PostgreSQL with a matching type.
#ifndef RETAIL_COMMON_DB_MIGRATIONS_H_
#define RETAIL_COMMON_DB_MIGRATIONS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/db/connection.h"

namespace retail::db {

struct Migration {
  int version;  // 1, 2, ... within the module
  const char* name;
  const char* sql;
  // The version in the single, chain-wide sequence used before migrations
  // were kept per module (schema 1..3), whose tables this migration creates;
  // 0 for migrations written since. Lets such a database upgrade in place.
  int legacy_version = 0;
};

struct ModuleSchema {
  std::string module;                         // e.g. "core", "customers"
  std::vector<Migration> migrations;          // SQLite
  std::vector<Migration> pg_migrations = {};  // PostgreSQL (no legacy)
};

// The advisory lock key (pg_advisory_lock) that PostgreSQL migrations hold:
// "retail16" in ASCII.
inline constexpr int64_t kPgMigrationLockKey = 0x72657461696C3136;

// The engine's own tables; always migrated first.
const ModuleSchema& CoreSchema();

// Brings every module's schema up to its newest version, `modules` in order
// (CoreSchema() is not in it; it goes first), running the list of
// conn.engine(). Fails if the database holds a module version newer than
// this build knows.
//
// On PostgreSQL it holds a session advisory lock (kPgMigrationLockKey) from
// start to end, also on failure, so replicas starting together migrate
// once: the others wait, then find nothing to do. Each migration's
// transaction sees the setting retail.migration_now_us = `now_micros`
// (retail_migration_now_us() in SQL: the months partitioned at creation are
// those around the server's clock). A module with SQLite migrations but no
// PostgreSQL ones is refused there: its tables would be missing.
absl::Status Migrate(Connection& conn, const std::vector<ModuleSchema>& modules,
                     int64_t now_micros);

}  // namespace retail::db

#endif  // RETAIL_COMMON_DB_MIGRATIONS_H_
