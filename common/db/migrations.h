// Numbered schema migrations, applied at start-up.
//
// Each migration runs in its own transaction together with its row in
// schema_migrations, so a crash mid-migration leaves the previous version.
// Append new migrations at the end of the list in migrations.cc; never edit
// one that has shipped.
#ifndef RETAIL_COMMON_DB_MIGRATIONS_H_
#define RETAIL_COMMON_DB_MIGRATIONS_H_

#include <cstdint>

#include "absl/status/status.h"
#include "common/db/connection.h"

namespace retail::db {

// Brings the schema up to the newest version. Fails if the database was
// written by a newer build (its version is above ours).
absl::Status Migrate(Connection& conn, int64_t now_micros);

// The newest schema version this build knows.
int SchemaVersion();

}  // namespace retail::db

#endif  // RETAIL_COMMON_DB_MIGRATIONS_H_
