// faultfs: a test-only SQLite VFS that sits between SQLite and the real file
// system, so tests can cut the power and break the disk underneath the real
// database code (issue 9). Production code never links it.
//
// It wraps the default ("unix") VFS and passes everything through, WAL shared
// memory (xShm*) and memory-mapped reads (xFetch/xUnfetch) included, so the
// database behaves exactly as without it. For files under its scope directory
// it also:
//   * keeps an undo journal: before every write or truncate it appends the
//     region's pre-image, and it notes every successful sync, every file it
//     created and every directory sync the unix VFS performs. After the
//     process is SIGKILLed, CutPower() (power_cut.h) uses the journal to put
//     each file back to what a disk would hold after a power cut. Undoing
//     after the fact, rather than holding writes back, keeps readers honest:
//     while the process runs, every read sees exactly what it wrote;
//   * fails writes (EIO or a full disk) or syncs (EIO) on request, and can
//     kill the process at a chosen I/O, optionally after a delay that
//     models a slow disk (so answers sent too early reach the client).
//
// The switches live in a small shared-memory Control block, so a test can
// flip them in a server process it started (the shim reads them on every I/O
// with one atomic load; no syscalls).
//
// Two ways in: Install() in-process (unit tests), or LD_PRELOAD of
// libretail_faultfs_preload.so, which calls Install() from the environment
// (see preload.cc) so the real retail_server binary runs unmodified.
#ifndef RETAIL_TESTS_FAULTFS_FAULT_VFS_H_
#define RETAIL_TESTS_FAULTFS_FAULT_VFS_H_

#include <atomic>
#include <cstdint>
#include <string>

namespace retail::faultfs {

enum WriteFault : int32_t {
  kWriteOk = 0,
  kWriteEio = 1,     // xWrite/xTruncate answer SQLITE_IOERR_WRITE
  kWriteNoSpace = 2  // xWrite answers SQLITE_FULL, as unix does on ENOSPC
};

// Shared between the test and the process under test. Plain atomics in a
// mapped file: lock-free, address-free, fine across processes.
struct Control {
  std::atomic<int32_t> write_fault;  // a WriteFault, while set
  std::atomic<int32_t> sync_fault;   // 1: every sync fails with EIO
  // 1: every read fails with EIO (memory-mapped reads are refused, so SQLite
  // falls back to xRead and meets the error).
  std::atomic<int32_t> read_fault;
  // > 0: that many next syncs fail with EIO, then syncs work again (Linux
  // reports a lost writeback once; the data is gone all the same).
  std::atomic<int32_t> sync_failures_left;
  // > 0: counts down on every write, truncate and sync in scope; the one that
  // takes it to zero sleeps kill_delay_ms, then SIGKILLs the process before
  // doing its I/O.
  std::atomic<int64_t> kill_at_io;
  std::atomic<int32_t> kill_delay_ms;
  // Statistics, for choosing kill points and for test assertions.
  std::atomic<int64_t> writes;
  std::atomic<int64_t> syncs;
  std::atomic<int64_t> faults_injected;

  // Every switch off; the counters stay.
  void ClearFaults() {
    write_fault = kWriteOk;
    sync_fault = 0;
    read_fault = 0;
    sync_failures_left = 0;
    kill_at_io = 0;
    kill_delay_ms = 0;
  }
};

// Maps (creating and zeroing if `create`) the control block at `path`.
// Returns null on error. The mapping lives until the process exits.
Control* MapControl(const std::string& path, bool create);

struct Options {
  // Only files directly in this directory are journaled and faulted.
  std::string scope_dir;
  // Append-only undo journal; must not be inside scope_dir. Truncated here.
  std::string journal_path;
  // Where the switches live; may be null (no faults, journal only).
  Control* control = nullptr;
};

// Registers the shim as SQLite's default VFS. Call before the first database
// is opened. Calling it again points the installed shim at a new scope,
// journal and control block (between databases: no file of the old scope may
// be open). Returns false (and prints why) on failure.
bool Install(const Options& options);

// The in-process control block given to Install() (null if none).
Control* InstalledControl();

// Journal record types (shared with power_cut.cc).
enum class RecordType : uint32_t {
  kCreate = 1,      // the file did not exist and xOpen created it
  kWrite = 2,       // offset, length, old size, pre-image
  kTruncate = 3,    // new size (offset), old size, pre-image of the tail
  kSyncOk = 4,      // everything written so far is durable
  kSyncFailed = 5,  // what was unsynced is lost on the disk (cache kept it)
  kDirSync = 6,     // entries created in the file's directory are durable
  kDelete = 7,      // the file was deleted
};

inline constexpr uint32_t kRecordMagic = 0x46464a31;  // "FFJ1"

}  // namespace retail::faultfs

#endif  // RETAIL_TESTS_FAULTFS_FAULT_VFS_H_
