#include "tests/faultfs/fault_vfs.h"

#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/faultfs/journal_format.h"

namespace retail::faultfs {
namespace {

struct Shim {
  sqlite3_vfs vfs;
  sqlite3_vfs* real = nullptr;
  std::string scope;  // with a trailing '/'
  int journal_fd = -1;
  Control* control = nullptr;
  std::mutex journal_mu;
};

Shim* g_shim = nullptr;

// One open file: our header, then the real VFS's file object right after it.
struct File {
  sqlite3_file base;
  sqlite3_file* real;
  bool in_scope;
  // Opened with CREATE as a WAL or rollback journal that did not exist: the
  // unix VFS fsyncs the directory at the file's first sync (UNIXFILE_DIRSYNC);
  // we journal that as a kDirSync after the first successful sync.
  bool dirsync_pending;
  std::string* path;  // owned; null when not in scope
};

void AppendRecord(RecordType type, const std::string& path, uint64_t offset,
                  uint64_t length, uint64_t old_size, const void* pre,
                  uint64_t pre_len) {
  if (g_shim->journal_fd < 0) return;
  std::string buf = EncodeRecord(type, path, offset, length, old_size,
                                 static_cast<const char*>(pre), pre_len);
  std::lock_guard<std::mutex> lock(g_shim->journal_mu);
  // One write() per record: a SIGKILL lands before or after it, and the
  // reader drops a record without its footer anyway.
  const char* p = buf.data();
  size_t left = buf.size();
  while (left > 0) {
    const ssize_t n = ::write(g_shim->journal_fd, p, left);
    if (n <= 0) {
      std::perror("faultfs: journal write");
      std::abort();  // a test without its journal would prove nothing
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
}

// Counts one I/O and, if this is the chosen one, dies before doing it, the
// way a power cut stops a disk in the middle of its work.
void MaybeKill() {
  Control* c = g_shim->control;
  if (c == nullptr) return;
  if (c->kill_at_io.load(std::memory_order_relaxed) <= 0) return;
  if (c->kill_at_io.fetch_sub(1) != 1) return;
  const int delay = c->kill_delay_ms.load();
  if (delay > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay));
  ::kill(::getpid(), SIGKILL);
  for (;;) pause();
}

int64_t FileSize(File* f) {
  sqlite3_int64 size = 0;
  if (f->real->pMethods->xFileSize(f->real, &size) != SQLITE_OK) return -1;
  return size;
}

// Reads what is in [offset, offset+length) before it changes. Bytes past the
// end of the file have no pre-image: undoing them means cutting the file.
bool PreImage(File* f, int64_t offset, int64_t length, std::vector<char>& out,
              int64_t& old_size) {
  old_size = FileSize(f);
  if (old_size < 0) return false;
  const int64_t end = std::min(old_size, offset + length);
  out.assign(static_cast<size_t>(std::max<int64_t>(0, end - offset)), 0);
  if (out.empty()) return true;
  const int rc = f->real->pMethods->xRead(f->real, out.data(),
                                          static_cast<int>(out.size()), offset);
  return rc == SQLITE_OK || rc == SQLITE_IOERR_SHORT_READ;
}

// --- io methods ------------------------------------------------------------

int Close(sqlite3_file* file) {
  File* f = reinterpret_cast<File*>(file);
  const int rc =
      f->real->pMethods ? f->real->pMethods->xClose(f->real) : SQLITE_OK;
  delete f->path;
  f->path = nullptr;
  return rc;
}

bool ReadFault(File* f) {
  Control* c = g_shim->control;
  if (!f->in_scope || c == nullptr || c->read_fault.load() == 0) return false;
  c->faults_injected.fetch_add(1);
  return true;
}

int Read(sqlite3_file* file, void* buf, int amt, sqlite3_int64 offset) {
  File* f = reinterpret_cast<File*>(file);
  if (ReadFault(f)) return SQLITE_IOERR_READ;
  return f->real->pMethods->xRead(f->real, buf, amt, offset);
}

int Write(sqlite3_file* file, const void* buf, int amt, sqlite3_int64 offset) {
  File* f = reinterpret_cast<File*>(file);
  if (!f->in_scope) {
    return f->real->pMethods->xWrite(f->real, buf, amt, offset);
  }
  MaybeKill();
  if (Control* c = g_shim->control) {
    const int32_t fault = c->write_fault.load(std::memory_order_relaxed);
    if (fault != kWriteOk) {
      c->faults_injected.fetch_add(1);
      return fault == kWriteNoSpace ? SQLITE_FULL : SQLITE_IOERR_WRITE;
    }
    c->writes.fetch_add(1, std::memory_order_relaxed);
  }
  std::vector<char> pre;
  int64_t old_size = 0;
  if (!PreImage(f, offset, amt, pre, old_size)) return SQLITE_IOERR_READ;
  AppendRecord(RecordType::kWrite, *f->path, offset, amt, old_size, pre.data(),
               pre.size());
  return f->real->pMethods->xWrite(f->real, buf, amt, offset);
}

int Truncate(sqlite3_file* file, sqlite3_int64 size) {
  File* f = reinterpret_cast<File*>(file);
  if (!f->in_scope) return f->real->pMethods->xTruncate(f->real, size);
  MaybeKill();
  if (Control* c = g_shim->control) {
    if (c->write_fault.load(std::memory_order_relaxed) == kWriteEio) {
      c->faults_injected.fetch_add(1);
      return SQLITE_IOERR_TRUNCATE;
    }
  }
  std::vector<char> pre;
  int64_t old_size = 0;
  if (!PreImage(f, size, INT32_MAX, pre, old_size)) return SQLITE_IOERR_READ;
  AppendRecord(RecordType::kTruncate, *f->path, size, 0, old_size, pre.data(),
               pre.size());
  return f->real->pMethods->xTruncate(f->real, size);
}

int Sync(sqlite3_file* file, int flags) {
  File* f = reinterpret_cast<File*>(file);
  if (!f->in_scope) return f->real->pMethods->xSync(f->real, flags);
  MaybeKill();
  if (Control* c = g_shim->control) {
    bool fail = c->sync_fault.load(std::memory_order_relaxed) != 0;
    int32_t left = c->sync_failures_left.load();
    while (!fail && left > 0) {
      fail = c->sync_failures_left.compare_exchange_weak(left, left - 1);
    }
    if (fail) {
      c->faults_injected.fetch_add(1);
      AppendRecord(RecordType::kSyncFailed, *f->path, 0, 0, 0, nullptr, 0);
      return SQLITE_IOERR_FSYNC;
    }
    c->syncs.fetch_add(1, std::memory_order_relaxed);
  }
  const int rc = f->real->pMethods->xSync(f->real, flags);
  if (rc == SQLITE_OK) {
    AppendRecord(RecordType::kSyncOk, *f->path, 0, 0, 0, nullptr, 0);
    if (f->dirsync_pending) {
      f->dirsync_pending = false;
      AppendRecord(RecordType::kDirSync, *f->path, 0, 0, 0, nullptr, 0);
    }
  }
  return rc;
}

int FileSizeMethod(sqlite3_file* file, sqlite3_int64* size) {
  File* f = reinterpret_cast<File*>(file);
  return f->real->pMethods->xFileSize(f->real, size);
}
int Lock(sqlite3_file* file, int lock) {
  File* f = reinterpret_cast<File*>(file);
  return f->real->pMethods->xLock(f->real, lock);
}
int Unlock(sqlite3_file* file, int lock) {
  File* f = reinterpret_cast<File*>(file);
  return f->real->pMethods->xUnlock(f->real, lock);
}
int CheckReservedLock(sqlite3_file* file, int* out) {
  File* f = reinterpret_cast<File*>(file);
  return f->real->pMethods->xCheckReservedLock(f->real, out);
}
int FileControl(sqlite3_file* file, int op, void* arg) {
  File* f = reinterpret_cast<File*>(file);
  return f->real->pMethods->xFileControl(f->real, op, arg);
}
int SectorSize(sqlite3_file* file) {
  File* f = reinterpret_cast<File*>(file);
  return f->real->pMethods->xSectorSize(f->real);
}
int DeviceCharacteristics(sqlite3_file* file) {
  File* f = reinterpret_cast<File*>(file);
  return f->real->pMethods->xDeviceCharacteristics(f->real);
}
// WAL's shared memory: passed straight through. It is not durable state, and
// CutPower() deletes the -shm file so the next open rebuilds it from the WAL.
int ShmMap(sqlite3_file* file, int page, int page_size, int extend,
           void volatile** out) {
  File* f = reinterpret_cast<File*>(file);
  return f->real->pMethods->xShmMap(f->real, page, page_size, extend, out);
}
int ShmLock(sqlite3_file* file, int offset, int n, int flags) {
  File* f = reinterpret_cast<File*>(file);
  return f->real->pMethods->xShmLock(f->real, offset, n, flags);
}
void ShmBarrier(sqlite3_file* file) {
  File* f = reinterpret_cast<File*>(file);
  f->real->pMethods->xShmBarrier(f->real);
}
int ShmUnmap(sqlite3_file* file, int delete_flag) {
  File* f = reinterpret_cast<File*>(file);
  return f->real->pMethods->xShmUnmap(f->real, delete_flag);
}
// Memory-mapped reads see the page cache, as reads do; writes never go
// through the map in Debian's build (no SQLITE_MMAP_READWRITE).
int Fetch(sqlite3_file* file, sqlite3_int64 offset, int amt, void** out) {
  File* f = reinterpret_cast<File*>(file);
  if (f->in_scope && g_shim->control != nullptr &&
      g_shim->control->read_fault.load() != 0) {
    *out = nullptr;  // "not mapped": SQLite reads with xRead instead
    return SQLITE_OK;
  }
  return f->real->pMethods->xFetch(f->real, offset, amt, out);
}
int Unfetch(sqlite3_file* file, sqlite3_int64 offset, void* p) {
  File* f = reinterpret_cast<File*>(file);
  return f->real->pMethods->xUnfetch(f->real, offset, p);
}

// Method tables matching the real file's version: SQLite decides whether to
// use shared memory and mmap from iVersion and the pointers being set.
sqlite3_io_methods MakeMethods(int version) {
  sqlite3_io_methods m{};
  m.iVersion = version;
  m.xClose = Close;
  m.xRead = Read;
  m.xWrite = Write;
  m.xTruncate = Truncate;
  m.xSync = Sync;
  m.xFileSize = FileSizeMethod;
  m.xLock = Lock;
  m.xUnlock = Unlock;
  m.xCheckReservedLock = CheckReservedLock;
  m.xFileControl = FileControl;
  m.xSectorSize = SectorSize;
  m.xDeviceCharacteristics = DeviceCharacteristics;
  if (version >= 2) {
    m.xShmMap = ShmMap;
    m.xShmLock = ShmLock;
    m.xShmBarrier = ShmBarrier;
    m.xShmUnmap = ShmUnmap;
  }
  if (version >= 3) {
    m.xFetch = Fetch;
    m.xUnfetch = Unfetch;
  }
  return m;
}
const sqlite3_io_methods kMethods1 = MakeMethods(1);
const sqlite3_io_methods kMethods2 = MakeMethods(2);
const sqlite3_io_methods kMethods3 = MakeMethods(3);

bool InScope(const char* name) {
  if (name == nullptr) return false;
  const std::string_view path(name);
  return path.size() > g_shim->scope.size() &&
         path.substr(0, g_shim->scope.size()) == g_shim->scope &&
         path.find('/', g_shim->scope.size()) == std::string_view::npos;
}

// --- vfs methods -----------------------------------------------------------

int Open(sqlite3_vfs*, const char* name, sqlite3_file* file, int flags,
         int* out_flags) {
  File* f = reinterpret_cast<File*>(file);
  f->base.pMethods = nullptr;
  f->real = reinterpret_cast<sqlite3_file*>(f + 1);
  f->in_scope = InScope(name);
  f->dirsync_pending = false;
  f->path = nullptr;
  bool created = false;
  if (f->in_scope && (flags & SQLITE_OPEN_CREATE) != 0) {
    created = ::access(name, F_OK) != 0;
  }
  const int rc =
      g_shim->real->xOpen(g_shim->real, name, f->real, flags, out_flags);
  if (rc != SQLITE_OK) {
    // SQLite calls xClose even after a failed open if pMethods is set; the
    // real file cleans up after itself, so leave ours unset.
    if (f->real->pMethods != nullptr) f->real->pMethods->xClose(f->real);
    return rc;
  }
  if (f->in_scope) {
    f->path = new std::string(name);
    constexpr int kJournalTypes =
        SQLITE_OPEN_WAL | SQLITE_OPEN_MAIN_JOURNAL | SQLITE_OPEN_SUPER_JOURNAL;
    if (created) {
      AppendRecord(RecordType::kCreate, *f->path, 0, 0, 0, nullptr, 0);
      f->dirsync_pending = (flags & kJournalTypes) != 0;
    }
  }
  const int version = f->real->pMethods->iVersion;
  f->base.pMethods = version >= 3   ? &kMethods3
                     : version == 2 ? &kMethods2
                                    : &kMethods1;
  return SQLITE_OK;
}

int Delete(sqlite3_vfs*, const char* name, int dir_sync) {
  if (InScope(name)) {
    AppendRecord(RecordType::kDelete, name, 0, 0, 0, nullptr, 0);
  }
  return g_shim->real->xDelete(g_shim->real, name, dir_sync);
}
int Access(sqlite3_vfs*, const char* name, int flags, int* out) {
  return g_shim->real->xAccess(g_shim->real, name, flags, out);
}
int FullPathname(sqlite3_vfs*, const char* name, int n, char* out) {
  return g_shim->real->xFullPathname(g_shim->real, name, n, out);
}
void* DlOpen(sqlite3_vfs*, const char* name) {
  return g_shim->real->xDlOpen(g_shim->real, name);
}
void DlError(sqlite3_vfs*, int n, char* out) {
  g_shim->real->xDlError(g_shim->real, n, out);
}
void (*DlSym(sqlite3_vfs*, void* handle, const char* sym))(void) {
  return g_shim->real->xDlSym(g_shim->real, handle, sym);
}
void DlClose(sqlite3_vfs*, void* handle) {
  g_shim->real->xDlClose(g_shim->real, handle);
}
int Randomness(sqlite3_vfs*, int n, char* out) {
  return g_shim->real->xRandomness(g_shim->real, n, out);
}
int Sleep(sqlite3_vfs*, int micros) {
  return g_shim->real->xSleep(g_shim->real, micros);
}
int CurrentTime(sqlite3_vfs*, double* out) {
  return g_shim->real->xCurrentTime(g_shim->real, out);
}
int GetLastError(sqlite3_vfs*, int n, char* out) {
  return g_shim->real->xGetLastError(g_shim->real, n, out);
}
int CurrentTimeInt64(sqlite3_vfs*, sqlite3_int64* out) {
  return g_shim->real->xCurrentTimeInt64(g_shim->real, out);
}

}  // namespace

Control* MapControl(const std::string& path, bool create) {
  const int fd = ::open(path.c_str(), O_RDWR | (create ? O_CREAT : 0), 0600);
  if (fd < 0) {
    std::perror(("faultfs: open " + path).c_str());
    return nullptr;
  }
  if (create && ::ftruncate(fd, 0) != 0) {
    ::close(fd);
    return nullptr;
  }
  const size_t size = 4096;
  static_assert(sizeof(Control) <= 4096);
  if (::ftruncate(fd, size) != 0) {
    ::close(fd);
    return nullptr;
  }
  void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  ::close(fd);
  if (p == MAP_FAILED) return nullptr;
  // A zeroed file is a valid Control: every switch off, every counter zero.
  return static_cast<Control*>(p);
}

bool Install(const Options& options) {
  const int journal_fd =
      ::open(options.journal_path.c_str(),
             O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
  if (journal_fd < 0) {
    std::perror(("faultfs: open " + options.journal_path).c_str());
    return false;
  }
  // As SQLite spells paths to xOpen: absolute, no "//", no "./".
  std::string scope =
      std::filesystem::absolute(options.scope_dir).lexically_normal().string();
  while (scope.size() > 1 && scope.back() == '/') scope.pop_back();
  scope += '/';
  if (g_shim != nullptr) {
    // Already the default VFS: a new scope for the next database. Only
    // between databases, with no file of the old scope open.
    std::lock_guard<std::mutex> lock(g_shim->journal_mu);
    if (g_shim->journal_fd >= 0) ::close(g_shim->journal_fd);
    g_shim->journal_fd = journal_fd;
    g_shim->scope = scope;
    g_shim->control = options.control;
    return true;
  }
  sqlite3_vfs* real = sqlite3_vfs_find(nullptr);
  if (real == nullptr) return false;
  auto* shim = new Shim();
  shim->real = real;
  shim->scope = scope;
  shim->control = options.control;
  shim->journal_fd = journal_fd;
  sqlite3_vfs& v = shim->vfs;
  v.iVersion = std::min(real->iVersion, 2);  // no xSetSystemCall & co.
  v.szOsFile = static_cast<int>(sizeof(File)) + real->szOsFile;
  v.mxPathname = real->mxPathname;
  v.zName = "retail-faultfs";
  v.pAppData = shim;
  v.xOpen = Open;
  v.xDelete = Delete;
  v.xAccess = Access;
  v.xFullPathname = FullPathname;
  v.xDlOpen = DlOpen;
  v.xDlError = DlError;
  v.xDlSym = DlSym;
  v.xDlClose = DlClose;
  v.xRandomness = Randomness;
  v.xSleep = Sleep;
  v.xCurrentTime = CurrentTime;
  v.xGetLastError = GetLastError;
  v.xCurrentTimeInt64 = CurrentTimeInt64;
  g_shim = shim;
  if (sqlite3_vfs_register(&shim->vfs, /*makeDflt=*/1) != SQLITE_OK) {
    std::fprintf(stderr, "faultfs: sqlite3_vfs_register failed\n");
    g_shim = nullptr;
    return false;
  }
  return true;
}

Control* InstalledControl() {
  return g_shim == nullptr ? nullptr : g_shim->control;
}

}  // namespace retail::faultfs
