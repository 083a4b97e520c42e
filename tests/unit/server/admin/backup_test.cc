// server/admin/backup.h: the snapshot (one read transaction, copied in
// steps while another connection writes), its effect on checkpoints, the
// integrity check, SHA-256, and the scheduled backups' names and pruning.
#include "server/admin/backup.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "SQLiteCpp/Database.h"
#include "SQLiteCpp/Statement.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace retail::admin {
namespace {

class BackupUnitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir_ = absl::StrCat(::testing::TempDir(), "/retail_backup_unit_", getpid(),
                        "_", rd());
    std::filesystem::create_directories(dir_);
    db_path_ = dir_ + "/live.db";
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // A WAL database with `rows` rows in t, and the connection that wrote it
  // (kept open, as the server's writer is).
  std::unique_ptr<SQLite::Database> Live(int rows) {
    auto db = std::make_unique<SQLite::Database>(
        db_path_, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db->exec("PRAGMA journal_mode=WAL");
    db->exec("CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB)");
    db->exec("BEGIN");
    for (int i = 0; i < rows; ++i) {
      db->exec("INSERT INTO t (b) VALUES (randomblob(4000))");
    }
    db->exec("COMMIT");
    return db;
  }

  static int64_t Count(const std::string& path) {
    SQLite::Database db(path, SQLite::OPEN_READONLY);
    SQLite::Statement q(db, "SELECT count(*) FROM t");
    q.executeStep();
    return q.getColumn(0).getInt64();
  }

  void Touch(const std::string& name) {
    std::ofstream(dir_ + "/" + name) << "x";
  }
  bool Exists(const std::string& name) {
    return std::filesystem::exists(dir_ + "/" + name);
  }

  std::string dir_;
  std::string db_path_;
};

TEST_F(BackupUnitTest, SnapshotIsAsOfItsStartWhileWritesGoOn) {
  auto writer = Live(500);  // ~2 MB: several steps of 64 pages
  const std::string dest = dir_ + "/copy.db";
  auto snap = Snapshot::Begin(db_path_, dest);
  ASSERT_TRUE(snap.ok()) << snap.status();
  struct stat st {};
  ASSERT_EQ(::stat(dest.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  int steps = 0;
  for (bool done = false; !done && steps < 10'000; ++steps) {
    // Writes commit between steps; the copy must not restart or see them.
    writer->exec("INSERT INTO t (b) VALUES (randomblob(4000))");
    absl::StatusOr<bool> step = (*snap)->Step(64);
    ASSERT_TRUE(step.ok()) << step.status();
    done = *step;
  }
  EXPECT_GT(steps, 3);
  absl::StatusOr<SnapshotInfo> info = (*snap)->Finish();
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_GT(info->page_count, 0);
  EXPECT_EQ(info->size_bytes,
            static_cast<int64_t>(std::filesystem::file_size(dest)));
  snap->reset();
  EXPECT_TRUE(std::filesystem::exists(dest));  // kept after Finish
  EXPECT_EQ(Count(dest), 500);
  EXPECT_EQ(Count(db_path_), 500 + steps);
  EXPECT_TRUE(IntegrityCheck(dest).ok());
}

TEST_F(BackupUnitTest, UnfinishedSnapshotDeletesItsFileAndNeverOverwrites) {
  auto writer = Live(100);
  const std::string dest = dir_ + "/copy.db";
  {
    auto snap = Snapshot::Begin(db_path_, dest);
    ASSERT_TRUE(snap.ok());
    ASSERT_TRUE((*snap)->Step(1).ok());
  }
  EXPECT_FALSE(std::filesystem::exists(dest));
  Touch("taken.db");
  auto refused = Snapshot::Begin(db_path_, dir_ + "/taken.db");
  EXPECT_FALSE(refused.ok());
  std::ifstream in(dir_ + "/taken.db");
  std::string text;
  std::getline(in, text);
  EXPECT_EQ(text, "x");
}

// Why an erasure's WAL truncate cannot complete while a snapshot is open,
// and can once it has ended (server/admin/admin_module.cc,
// TruncateWalAfterSnapshot).
TEST_F(BackupUnitTest, OpenSnapshotHoldsBackTheWalTruncate) {
  auto writer = Live(50);
  writer->exec("PRAGMA wal_checkpoint(TRUNCATE)");
  writer->setBusyTimeout(50);
  auto snap = Snapshot::Begin(db_path_, dir_ + "/copy.db");
  ASSERT_TRUE(snap.ok());
  writer->exec("INSERT INTO t (b) VALUES (randomblob(4000))");
  auto truncate = [&] {
    SQLite::Statement q(*writer, "PRAGMA wal_checkpoint(TRUNCATE)");
    q.executeStep();
    return q.getColumn(0).getInt();  // 1: busy, not done
  };
  EXPECT_EQ(truncate(), 1);
  EXPECT_GT(std::filesystem::file_size(db_path_ + "-wal"), 0u);
  snap->reset();
  EXPECT_EQ(truncate(), 0);
  EXPECT_EQ(std::filesystem::file_size(db_path_ + "-wal"), 0u);
}

TEST_F(BackupUnitTest, IntegrityCheckTellsAGoodFileFromABadOne) {
  auto writer = Live(10);
  writer->exec("PRAGMA wal_checkpoint(TRUNCATE)");
  const std::string copy = dir_ + "/good.db";
  std::filesystem::copy_file(db_path_, copy);
  EXPECT_TRUE(IntegrityCheck(copy).ok());
  EXPECT_FALSE(std::filesystem::exists(copy + "-wal"));
  EXPECT_FALSE(std::filesystem::exists(copy + "-shm"));
  // SQLite alone would call these two empty databases, and "ok".
  Touch("text.db");
  EXPECT_FALSE(IntegrityCheck(dir_ + "/text.db").ok());
  { std::ofstream(dir_ + "/empty.db"); }
  EXPECT_FALSE(IntegrityCheck(dir_ + "/empty.db").ok());
  // A page in the middle overwritten with garbage.
  const std::string bad = dir_ + "/bad.db";
  std::filesystem::copy_file(db_path_, bad);
  {
    std::fstream f(bad, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(4096 * 3);
    const std::string junk(4096, '\x5a');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  EXPECT_FALSE(IntegrityCheck(bad).ok());
}

TEST(BackupSha256Test, KnownVectors) {
  Sha256 empty;
  EXPECT_EQ(empty.HexDigest(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  Sha256 abc;
  abc.Update("a");
  abc.Update("bc");
  EXPECT_EQ(abc.HexDigest(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(BackupNameTest, RoundTripsAndRejectsOtherNames) {
  const absl::Time t = absl::FromUnixSeconds(1780272000);  // 2026-06-01
  EXPECT_EQ(BackupFileName(t), "retail-20260601T000000Z.db");
  EXPECT_EQ(ParseBackupFileName(BackupFileName(t)), t);
  for (const char* name :
       {"retail-20260601T000000Z.db.tmp", "retail-20261301T000000Z.db",
        "retail-2026061T000000Z.db", "retail-20260601T000000.db",
        "retail-20260601X000000Z.db", "other-20260601T000000Z.db",
        "retail-2026O601T000000Z.db", "notes.txt"}) {
    EXPECT_FALSE(ParseBackupFileName(name).has_value()) << name;
  }
}

TEST_F(BackupUnitTest, PruneDeletesOnlyOldBackupsAndLeftovers) {
  const absl::Time now = absl::FromUnixSeconds(1780272000);
  const std::string old8 = BackupFileName(now - absl::Hours(24 * 8));
  const std::string old3 = BackupFileName(now - absl::Hours(24 * 3));
  const std::string tmp = BackupFileName(now) + ".tmp";
  const std::string kept_tmp = BackupFileName(now - absl::Hours(1)) + ".tmp";
  for (const std::string& n :
       {old8, old3, tmp, kept_tmp, std::string("notes.txt"),
        std::string("retail.db")}) {
    Touch(n);
  }
  EXPECT_EQ(NewestBackup(dir_), now - absl::Hours(24 * 3));
  absl::StatusOr<int> n =
      PruneBackups(dir_, now - absl::Hours(24 * 7), dir_ + "/" + kept_tmp);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 1);
  EXPECT_FALSE(Exists(old8));
  EXPECT_TRUE(Exists(old3));
  EXPECT_FALSE(Exists(tmp));
  EXPECT_TRUE(Exists(kept_tmp));
  EXPECT_TRUE(Exists("notes.txt"));
  EXPECT_TRUE(Exists("retail.db"));
  EXPECT_FALSE(PruneBackups(dir_ + "/missing", now).ok());
  EXPECT_FALSE(NewestBackup(dir_ + "/missing").has_value());
}

}  // namespace
}  // namespace retail::admin
