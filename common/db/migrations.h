// Numbered schema migrations per module, applied at start-up.
//
// The engine's own tables (request ids, audit, events, server secret) are the
// "core" module here; every service module brings its own list
// (docs/architecture.md, "Adding a service"). `schema_migrations` is keyed by
// (module, version). Each migration runs in its own transaction together with
// its row, so a crash mid-migration leaves the previous version. Append new
// migrations at the end of a module's list; never edit one that has shipped.
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
  std::string module;  // e.g. "core", "customers"
  std::vector<Migration> migrations;
};

// The engine's own tables; always migrated first.
const ModuleSchema& CoreSchema();

// Brings every module's schema up to its newest version, `modules` in order
// (CoreSchema() is not in it; it goes first). Fails if the database holds a
// module version newer than this build knows.
absl::Status Migrate(Connection& conn, const std::vector<ModuleSchema>& modules,
                     int64_t now_micros);

}  // namespace retail::db

#endif  // RETAIL_COMMON_DB_MIGRATIONS_H_
