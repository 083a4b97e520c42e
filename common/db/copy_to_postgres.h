// Moving a chain from SQLite to PostgreSQL (issue 16): copies every table of
// a SQLite database into a PostgreSQL database migrated to the same schema,
// then checks each table's row count and checksum on both sides.
// `retailctl admin migrate-db --from FILE --to URL` is the command; the
// README has the runbook.
//
// What it promises:
//   * One snapshot: the whole source is read in one read transaction, so a
//     copy is consistent even if something wrote to the file meanwhile
//     (stop the server first all the same: later writes are not copied).
//   * Resumable: rows go over in transactions of `rows_per_transaction`,
//     each committed together with the table's progress row
//     (retail_copy_progress on the target). Run the same command again
//     after any failure, kill or lost connection and it carries on where
//     the last committed transaction ended; a finished table is skipped.
//     The source must be the same file, unchanged: its row counts are
//     recorded at the start and a resume that finds others is refused.
//   * Into an empty database only: a first run refuses a target whose
//     tables already hold rows (a server already started on it, or another
//     chain's data).
//   * Verified: for every table, the row count and an order-independent
//     checksum of every value (FNV-1a of each row's canonical encoding,
//     summed) are computed from the source and read back from the target;
//     any difference is reported per table and fails the command.
//   * After the copy, identity sequences continue past every id the source
//     ever issued (sqlite_sequence included, so ids of deleted rows are not
//     reused), and the event sequencer's head is the source's last event
//     number, so watchers resume across the move without a gap.
#ifndef RETAIL_COMMON_DB_COPY_TO_POSTGRES_H_
#define RETAIL_COMMON_DB_COPY_TO_POSTGRES_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/db/migrations.h"
#include "common/db/pg_connection.h"
#include "common/db/sqlite_connection.h"

namespace retail::db {

struct CopyOptions {
  // Every module's schema (the server's AllSchemas()): the source must be
  // at this build's newest SQLite versions, and the target is migrated to
  // its PostgreSQL versions before anything is copied.
  std::vector<ModuleSchema> modules;
  // Rows per target transaction (and per progress step).
  int64_t rows_per_transaction = 20'000;
  // Clock for the target's migrations (which months get partitions first).
  int64_t now_micros = 0;
  // Told each step, e.g. "orders: 40000 of 120000 rows"; may be empty.
  std::function<void(const std::string&)> progress;
};

struct TableCopy {
  std::string table;
  int64_t source_rows = 0;
  int64_t target_rows = 0;
  uint64_t source_checksum = 0;
  uint64_t target_checksum = 0;
  int64_t copied_this_run = 0;  // 0 for a table an earlier run finished
  bool matches() const {
    return source_rows == target_rows && source_checksum == target_checksum;
  }
};

struct CopyReport {
  bool resumed = false;  // an earlier run had begun this copy
  std::vector<TableCopy> tables;
  bool verified() const {
    for (const TableCopy& t : tables) {
      if (!t.matches()) return false;
    }
    return !tables.empty();
  }
};

// Copies `from` into `to` and verifies the copy (see the top of this file).
// An error status means the copy could not go on (the message says why and
// whether running again resumes); a report whose verified() is false means
// it ran to the end and the two sides differ (the table says where).
absl::StatusOr<CopyReport> CopySqliteToPostgres(SqliteConnection& from,
                                                PgConnection& to,
                                                const CopyOptions& options);

}  // namespace retail::db

#endif  // RETAIL_COMMON_DB_COPY_TO_POSTGRES_H_
