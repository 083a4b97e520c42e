// Consistent snapshots of the live database (issue 15, "Online backup and
// restore"), used by AdminService/BackupDatabase and the scheduled backup.
//
// How: SQLite's online backup API (sqlite3_backup_*) from a connection of
// our own, opened read-only on the database file, which holds one read
// transaction from Begin() to Finish(). In WAL mode that read transaction
// is the snapshot: every page copied is as of its start, whatever the
// writer commits meanwhile, and the writer is never blocked (only
// checkpoints cannot pass the snapshot until it ends). Because the source
// connection keeps its transaction across steps, sqlite3_backup_step never
// restarts under write load, so the copy runs in slices of N pages.
//
// Why not VACUUM INTO: it is one statement that cannot be cut into slices
// (a scheduler slice or a cancelled stream would wait for all of it), and
// it rebuilds every table and index, which costs far more CPU on a shared
// 2-core host than copying pages. Its one gain, a compacted file, does not
// matter for a backup.
#ifndef RETAIL_SERVER_ADMIN_BACKUP_H_
#define RETAIL_SERVER_ADMIN_BACKUP_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

struct sqlite3;
struct sqlite3_backup;

namespace retail::admin {

// What a finished snapshot holds.
struct SnapshotInfo {
  int64_t page_count = 0;
  int64_t size_bytes = 0;
  int64_t last_event_sequence = 0;  // max(events.event_id), 0 if none
  int64_t last_audit_id = 0;        // max(audit_log.audit_id), 0 if none
};

// One snapshot in progress. Not thread-safe: one thread drives it.
class Snapshot {
 public:
  // Opens `db_path` read-only, starts the read transaction that fixes the
  // snapshot, and creates `dest_path` (owner-only, it holds personal data;
  // it must not exist yet).
  static absl::StatusOr<std::unique_ptr<Snapshot>> Begin(
      const std::string& db_path, const std::string& dest_path);
  // Closes both connections; deletes the destination unless Finish()
  // succeeded.
  ~Snapshot();
  Snapshot(const Snapshot&) = delete;
  Snapshot& operator=(const Snapshot&) = delete;

  // Copies up to `pages` pages; true when the whole database is copied.
  // A busy destination or source (rare) copies nothing and answers false.
  absl::StatusOr<bool> Step(int pages);
  // After Step() answered true: ends the source transaction, syncs the
  // file, and says what it holds. The file is then kept.
  absl::StatusOr<SnapshotInfo> Finish();

  int64_t pages_total() const;

 private:
  Snapshot() = default;
  void CloseAll();

  std::string dest_path_;
  sqlite3* src_ = nullptr;
  sqlite3* dest_ = nullptr;
  sqlite3_backup* backup_ = nullptr;
  SnapshotInfo info_;
  bool done_ = false;
  bool kept_ = false;
};

// `PRAGMA integrity_check` on a database file nobody writes (opened
// immutable, so no -wal or -shm is created): OK, or DATA_LOSS with the
// first problems SQLite names. A file without SQLite's header, or shorter
// than a page (which SQLite would read as an empty database), is DATA_LOSS.
absl::Status IntegrityCheck(const std::string& path);

// Incremental SHA-256 (OpenSSL), hex digest.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void Update(absl::string_view data);
  std::string HexDigest();  // once

 private:
  void* ctx_;  // EVP_MD_CTX
};

// Syncs a directory, so a file created or renamed in it survives a crash.
absl::Status SyncDirectory(const std::string& dir);

// Scheduled backups are named by their UTC time:
// "retail-20260601T000000Z.db".
std::string BackupFileName(absl::Time t);
std::optional<absl::Time> ParseBackupFileName(absl::string_view name);

// Deletes backups in `dir` named for a time before `cutoff`, and leftover
// "*.db.tmp" files of interrupted runs (unless `keep_tmp` names one).
// Returns how many backups it deleted.
absl::StatusOr<int> PruneBackups(const std::string& dir, absl::Time cutoff,
                                 const std::string& keep_tmp = "");

// The newest backup's time in `dir`, if any.
std::optional<absl::Time> NewestBackup(const std::string& dir);

}  // namespace retail::admin

#endif  // RETAIL_SERVER_ADMIN_BACKUP_H_
