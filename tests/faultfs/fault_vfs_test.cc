// The fault VFS's own tests: it must model the disk it claims to (unsynced
// data lost, failed syncs lost for good, new files needing a directory sync),
// and it must be able to make a careless database lose data. A shim that
// could not break synchronous=OFF would prove nothing about the server.
//
// A "process" that dies is a fork()ed child that SIGKILLs itself, so its
// file descriptors and SQLite state die the way the server's would.
#include "tests/faultfs/fault_vfs.h"

#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <string>

#include "gtest/gtest.h"
#include "tests/faultfs/power_cut.h"

namespace retail::faultfs {
namespace {

class FaultVfsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::path(::testing::TempDir()) /
            ("faultfs_" + std::to_string(getpid()) + "_" +
             std::to_string(std::random_device{}()));
    dir_ = (root_ / "db").string();
    std::filesystem::create_directories(dir_);
    journal_ = (root_ / "journal").string();
    control_ = MapControl((root_ / "control").string(), /*create=*/true);
    ASSERT_NE(control_, nullptr);
    ASSERT_TRUE(Install(Options{dir_, journal_, control_}));
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }

  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  // Runs `body` in a child that then dies by SIGKILL, as a power cut finds
  // a process. Returns the child's exit code if it exited instead (a failed
  // step inside), or -SIGKILL.
  int InDyingChild(const std::function<int()>& body) {
    const pid_t pid = fork();
    if (pid == 0) {
      const int rc = body();
      if (rc != 0) _exit(rc);
      kill(getpid(), SIGKILL);
      _exit(99);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    if (WIFSIGNALED(status)) return -WTERMSIG(status);
    return WEXITSTATUS(status);
  }

  static int Exec(sqlite3* db, const std::string& sql) {
    return sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
  }

  // Opens `db` in WAL mode with `sync` and inserts `rows` rows, one commit
  // each. Returns 0 or the step that failed.
  static int WriteRows(const std::string& path, const std::string& sync,
                       int rows, int first = 0) {
    sqlite3* db = nullptr;
    if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) return 10;
    if (Exec(db, "PRAGMA journal_mode=WAL") != SQLITE_OK) return 11;
    if (Exec(db, "PRAGMA synchronous=" + sync) != SQLITE_OK) return 12;
    if (Exec(db, "CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, v)") !=
        SQLITE_OK) {
      return 13;
    }
    for (int i = first; i < first + rows; ++i) {
      if (Exec(db, "INSERT INTO t VALUES(" + std::to_string(i) +
                       ", randomblob(300))") != SQLITE_OK) {
        return 14;
      }
    }
    return 0;  // left open: the process dies with it
  }

  // Rows in t and the integrity check, read after the cut.
  std::pair<int, std::string> Inspect(const std::string& path) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    int rows = -1;
    std::string integrity;
    sqlite3_stmt* q = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM t", -1, &q, nullptr) ==
            SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW) {
      rows = sqlite3_column_int(q, 0);
    }
    sqlite3_finalize(q);
    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &q, nullptr) ==
            SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW) {
      integrity = reinterpret_cast<const char*>(sqlite3_column_text(q, 0));
    }
    sqlite3_finalize(q);
    sqlite3_close(db);
    return {rows, integrity};
  }

  PowerCutReport Cut(PowerCutMode mode, uint64_t seed = 1) {
    PowerCutReport r = CutPower(journal_, dir_, mode, seed);
    EXPECT_EQ(r.error, "") << r.ToString();
    return r;
  }

  std::filesystem::path root_;
  std::string dir_, journal_;
  Control* control_ = nullptr;
};

TEST_F(FaultVfsTest, CommitsWithFullSyncSurviveThePowerCut) {
  const std::string db = Path("full.db");
  ASSERT_EQ(InDyingChild([&] { return WriteRows(db, "FULL", 50); }), -SIGKILL);
  const PowerCutReport report = Cut(PowerCutMode::kDropUnsynced);
  EXPECT_GT(report.records, 50);
  EXPECT_EQ(Inspect(db), std::make_pair(50, std::string("ok")));
}

// The point of the shim: a database that does not sync loses commits a
// SIGKILL alone would have kept.
TEST_F(FaultVfsTest, CommitsWithoutSyncAreLostAtThePowerCut) {
  const std::string db = Path("off.db");
  // The table exists durably first, so the lost part is exactly the rows.
  ASSERT_EQ(InDyingChild([&] { return WriteRows(db, "FULL", 5); }), -SIGKILL);
  Cut(PowerCutMode::kDropUnsynced);
  ASSERT_EQ(InDyingChild([&] { return WriteRows(db, "OFF", 50, 5); }),
            -SIGKILL);
  const PowerCutReport report = Cut(PowerCutMode::kDropUnsynced);
  EXPECT_GT(report.bytes_reverted, 50 * 300);
  EXPECT_EQ(Inspect(db), std::make_pair(5, std::string("ok")));
}

TEST_F(FaultVfsTest, TornUnsyncedSectorsNeverCorruptSyncedCommits) {
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    const std::string db = Path("torn" + std::to_string(seed) + ".db");
    ASSERT_EQ(InDyingChild([&] {
                if (int rc = WriteRows(db, "FULL", 20); rc != 0) return rc;
                // More commits, the last ones' WAL frames unsynced: normal
                // mode syncs only at checkpoints.
                return WriteRows(db, "NORMAL", 20, 20);
              }),
              -SIGKILL);
    const PowerCutReport report = Cut(PowerCutMode::kTearUnsynced, seed);
    const auto [rows, integrity] = Inspect(db);
    EXPECT_EQ(integrity, "ok") << "seed " << seed << ": " << report.ToString();
    EXPECT_GE(rows, 20) << "seed " << seed;
    EXPECT_LE(rows, 40) << "seed " << seed;
    EXPECT_GT(report.bytes_garbled, 0) << "seed " << seed << ": nothing torn";
  }
}

// File-level model checks, through the VFS's own methods. The unix VFS reads
// URI parameters after a name's terminator, so names come from
// sqlite3_create_filename() as SQLite's own would.
class RawFile {
 public:
  // Opens the database file `db`, or with `wal` its "-wal" file.
  RawFile(const std::string& db, bool wal) {
    name_ = sqlite3_create_filename(db.c_str(), "", (db + "-wal").c_str(), 0,
                                    nullptr);
    vfs_ = sqlite3_vfs_find(nullptr);
    file_ = static_cast<sqlite3_file*>(std::calloc(1, vfs_->szOsFile));
    rc_ = vfs_->xOpen(vfs_, wal ? sqlite3_filename_wal(name_) : name_, file_,
                      (wal ? SQLITE_OPEN_WAL : SQLITE_OPEN_MAIN_DB) |
                          SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                      nullptr);
  }
  ~RawFile() {
    if (rc_ == SQLITE_OK) file_->pMethods->xClose(file_);
    std::free(file_);
    sqlite3_free_filename(name_);
  }
  int open_rc() const { return rc_; }
  int Write(const std::string& data, int64_t offset) {
    return file_->pMethods->xWrite(file_, data.data(),
                                   static_cast<int>(data.size()), offset);
  }
  int Sync() { return file_->pMethods->xSync(file_, SQLITE_SYNC_NORMAL); }

 private:
  sqlite3_filename name_;
  sqlite3_vfs* vfs_;
  sqlite3_file* file_;
  int rc_;
};

std::string Contents(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

TEST_F(FaultVfsTest, WhatAFailedSyncLostStaysLostUnlessRewritten) {
  const std::string path = Path("data.db");
  {
    RawFile f(path, /*wal=*/false);
    ASSERT_EQ(f.open_rc(), SQLITE_OK);
    ASSERT_EQ(f.Write(std::string(1024, 'a'), 0), SQLITE_OK);
    ASSERT_EQ(f.Sync(), SQLITE_OK);
    ASSERT_EQ(f.Write(std::string(512, 'b'), 0), SQLITE_OK);
    ASSERT_EQ(f.Write(std::string(512, 'c'), 512), SQLITE_OK);
    control_->sync_failures_left = 1;
    EXPECT_EQ(f.Sync(), SQLITE_IOERR_FSYNC);
    // The cache still answers with what was written...
    EXPECT_EQ(Contents(path), std::string(512, 'b') + std::string(512, 'c'));
    // ...and a later write over half of it, synced, is durable.
    ASSERT_EQ(f.Write(std::string(512, 'd'), 512), SQLITE_OK);
    ASSERT_EQ(f.Sync(), SQLITE_OK);
    // Keep the directory entry: a WAL's first sync syncs the directory.
    RawFile wal(path, /*wal=*/true);
    ASSERT_EQ(wal.Sync(), SQLITE_OK);
  }
  Cut(PowerCutMode::kDropUnsynced);
  EXPECT_EQ(Contents(path), std::string(512, 'a') + std::string(512, 'd'));
  EXPECT_EQ(control_->faults_injected.load(), 1);
}

TEST_F(FaultVfsTest, NewFilesNeedTheirDirectorySynced) {
  {
    // Database files: the unix VFS never syncs the directory for them.
    RawFile main_db(Path("main.db"), /*wal=*/false);
    ASSERT_EQ(main_db.open_rc(), SQLITE_OK);
    ASSERT_EQ(main_db.Write("x", 0), SQLITE_OK);
    ASSERT_EQ(main_db.Sync(), SQLITE_OK);
    RawFile other_db(Path("other.db"), /*wal=*/false);
    ASSERT_EQ(other_db.Write("o", 0), SQLITE_OK);
    // A WAL's first sync syncs its directory too, which makes every entry in
    // it durable, the database files' included.
    RawFile wal(Path("main.db"), /*wal=*/true);
    ASSERT_EQ(wal.open_rc(), SQLITE_OK);
    ASSERT_EQ(wal.Write("y", 0), SQLITE_OK);
    RawFile other_wal(Path("other.db"), /*wal=*/true);
    ASSERT_EQ(other_wal.Write("z", 0), SQLITE_OK);
    ASSERT_EQ(wal.Sync(), SQLITE_OK);
    // Created after that sync, and nothing synced the directory again.
    RawFile late(Path("late.db"), /*wal=*/false);
    ASSERT_EQ(late.Write("w", 0), SQLITE_OK);
    ASSERT_EQ(late.Sync(), SQLITE_OK);
  }
  const PowerCutReport report = Cut(PowerCutMode::kDropUnsynced);
  EXPECT_EQ(Contents(Path("main.db")), "x");
  EXPECT_EQ(Contents(Path("main.db-wal")), "y");
  // Their entries are durable; their data was never synced.
  EXPECT_TRUE(std::filesystem::exists(Path("other.db")));
  EXPECT_EQ(Contents(Path("other.db")), "");
  EXPECT_TRUE(std::filesystem::exists(Path("other.db-wal")));
  EXPECT_EQ(Contents(Path("other.db-wal")), "");
  EXPECT_FALSE(std::filesystem::exists(Path("late.db")));
  EXPECT_EQ(report.files_removed, 1);
}

TEST_F(FaultVfsTest, InjectedWriteFaultsReachTheCaller) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(Path("faults.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(Exec(db, "PRAGMA journal_mode=WAL"), SQLITE_OK);
  ASSERT_EQ(Exec(db, "CREATE TABLE t(v)"), SQLITE_OK);
  control_->write_fault = kWriteNoSpace;
  EXPECT_EQ(Exec(db, "INSERT INTO t VALUES(randomblob(100))"), SQLITE_FULL);
  control_->write_fault = kWriteEio;
  EXPECT_EQ(Exec(db, "INSERT INTO t VALUES(randomblob(100))") & 0xff,
            SQLITE_IOERR);
  control_->write_fault = kWriteOk;
  control_->sync_fault = 1;
  EXPECT_EQ(Exec(db, "INSERT INTO t VALUES(randomblob(100))") & 0xff,
            SQLITE_IOERR);
  control_->sync_fault = 0;
  EXPECT_EQ(Exec(db, "INSERT INTO t VALUES(randomblob(100))"), SQLITE_OK);
  EXPECT_EQ(control_->faults_injected.load(), 3);
  sqlite3_close(db);
}

TEST_F(FaultVfsTest, KillsTheProcessAtTheChosenIo) {
  const std::string db = Path("kill.db");
  control_->kill_at_io = 7;
  EXPECT_EQ(InDyingChild([&] {
              WriteRows(db, "FULL", 100);
              return 42;  // reached only if the shim did not kill
            }),
            -SIGKILL);
  EXPECT_EQ(control_->kill_at_io.load(), 0);
  EXPECT_EQ(control_->writes.load() + control_->syncs.load(), 6);
  Cut(PowerCutMode::kDropUnsynced);
}

}  // namespace
}  // namespace retail::faultfs
