#ifndef RETAIL_CLIENT_MIGRATE_DB_H_
#define RETAIL_CLIENT_MIGRATE_DB_H_

#include <CLI/CLI.hpp>

namespace retail::cli {

// Adds "migrate-db" under `admin`: copies a SQLite database file into an
// empty PostgreSQL database and verifies it (common/db/copy_to_postgres.h).
// Unlike the other commands it calls no server: it opens both databases
// itself, so it runs with the server stopped.
void AddMigrateDbCommand(CLI::App& admin);

}  // namespace retail::cli

#endif  // RETAIL_CLIENT_MIGRATE_DB_H_
