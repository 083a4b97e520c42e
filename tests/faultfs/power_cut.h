// Cuts the power under a database the fault VFS (fault_vfs.h) journaled: after
// the process has died (SIGKILL, or the shim killing it at a chosen I/O), puts
// every file in scope back to what a disk could hold after power loss, then
// starts a new, empty journal.
//
// The disk model, after SQLite's own crash tests (test6.c) and Linux:
//   * what was synced stays;
//   * what was written since the file's last successful sync is lost
//     (kDropUnsynced), or, per 512-byte sector, kept, lost or garbled
//     (kTearUnsynced), and the file may keep or lose its unsynced tail;
//   * what was written before a FAILED sync is lost even if a later sync
//     succeeded (Linux marks those pages clean after reporting EIO once),
//     except where a later durable write covered it;
//   * a file created since its directory was last synced disappears;
//   * the WAL's shared-memory file (-shm) is deleted: it is rebuilt on open.
#ifndef RETAIL_TESTS_FAULTFS_POWER_CUT_H_
#define RETAIL_TESTS_FAULTFS_POWER_CUT_H_

#include <cstdint>
#include <string>

namespace retail::faultfs {

enum class PowerCutMode { kDropUnsynced, kTearUnsynced };

struct PowerCutReport {
  int64_t records = 0;         // journal records read
  int64_t bytes_reverted = 0;  // unsynced or lost bytes put back
  int64_t bytes_garbled = 0;   // torn sectors filled with noise
  int64_t files_removed = 0;   // created, never made durable in the directory
  std::string error;           // empty if it worked
  std::string ToString() const;
};

// Applies the journal at `journal_path` to the files it names, then empties
// the journal. `seed` drives kTearUnsynced's choices. Also deletes the -shm
// file of every database in `scope_dir`.
PowerCutReport CutPower(const std::string& journal_path,
                        const std::string& scope_dir, PowerCutMode mode,
                        uint64_t seed);

}  // namespace retail::faultfs

#endif  // RETAIL_TESTS_FAULTFS_POWER_CUT_H_
