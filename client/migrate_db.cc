#include "client/migrate_db.h"

#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "client/global_options.h"
#include "common/db/copy_to_postgres.h"
#include "common/db/pg_connection.h"
#include "common/db/sqlite_connection.h"
#include "server/module.h"

namespace retail::cli {
namespace {

struct MigrateDbArgs {
  std::string from;
  std::string to;
  int64_t rows_per_transaction = 20'000;
};

[[noreturn]] void Fail(const std::string& message) {
  std::cerr << "error: " << message << "\n";
  throw CLI::RuntimeError(kExitFailure);
}

void RunMigrateDb(const MigrateDbArgs& args) {
  if (!std::filesystem::is_regular_file(args.from)) {
    Fail("--from: " + args.from + " is not a database file");
  }
  if (!db::IsPostgresUrl(args.to)) {
    Fail("--to: expected a postgresql:// or postgres:// URL");
  }
  // Read-only: the source is never changed, whatever happens here.
  auto from = db::SqliteConnection::Open(args.from,
                                         db::SqliteConnection::Mode::kReadOnly);
  if (!from.ok()) Fail(std::string(from.status().message()));
  auto to = db::PgConnection::Open(args.to);
  if (!to.ok()) Fail(std::string(to.status().message()));
  std::cerr << "copying " << args.from << " to " << db::DisplayDatabase(args.to)
            << "\n";

  db::CopyOptions options;
  options.modules = AllSchemas();
  options.rows_per_transaction = args.rows_per_transaction;
  options.now_micros = absl::ToUnixMicros(absl::Now());
  options.progress = [](const std::string& line) {
    std::cerr << "  " << line << "\n";
  };
  const absl::Time start = absl::Now();
  absl::StatusOr<db::CopyReport> report =
      db::CopySqliteToPostgres(**from, **to, options);
  if (!report.ok()) Fail(std::string(report.status().message()));

  std::cout << absl::StrFormat("%-32s %12s %12s %18s %18s  %s\n", "table",
                               "source rows", "target rows", "source checksum",
                               "target checksum", "");
  int64_t rows = 0;
  for (const db::TableCopy& t : report->tables) {
    rows += t.source_rows;
    std::cout << absl::StrFormat("%-32s %12d %12d %016x %016x  %s\n", t.table,
                                 t.source_rows, t.target_rows,
                                 t.source_checksum, t.target_checksum,
                                 t.matches() ? "ok" : "MISMATCH");
  }
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  if (!report->verified()) {
    Fail(
        "the copy does not match the source (see MISMATCH above); do not "
        "serve from the target");
  }
  std::cout << absl::StrFormat(
      "verified: %d tables, %d rows, counts and checksums equal%s (%.1f s)\n",
      report->tables.size(), rows,
      report->resumed ? " (resumed an earlier run)" : "", seconds);
}

}  // namespace

void AddMigrateDbCommand(CLI::App& admin) {
  auto args = std::make_shared<MigrateDbArgs>();
  CLI::App* cmd = admin.add_subcommand(
      "migrate-db",
      "Copy a SQLite database (the server stopped) into an empty PostgreSQL "
      "database, verifying every table's row count and checksum. Resumable: "
      "run it again after any failure. Needs no server and no token.");
  cmd->add_option("--from", args->from, "The SQLite database file")->required();
  cmd->add_option("--to", args->to,
                  "The target: postgresql://user@host:port/db (libpq URL)")
      ->required();
  cmd->add_option("--rows-per-transaction", args->rows_per_transaction,
                  "Rows copied per target transaction (a resume restarts at "
                  "the last one committed)")
      ->check(CLI::Range(int64_t{1}, int64_t{10'000'000}))
      ->capture_default_str();
  cmd->callback([args] { RunMigrateDb(*args); });
}

}  // namespace retail::cli
