#include "common/db/database.h"

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "SQLiteCpp/Database.h"
#include "SQLiteCpp/Statement.h"
#include "absl/strings/str_cat.h"
#include "common/db/migrations.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/test_util.h"

namespace retail::db {
namespace {

using ::retail::testing::IsOk;
using ::retail::testing::StatusIs;
using ::testing::ElementsAre;

constexpr int64_t kOpenTime = 1'717'200'000'000'000;  // 2024-06-01

// A module of the engine's tests, not of the product: these tests exercise
// the engine on tables of their own (docs/architecture.md).
ModuleSchema ScratchSchema() {
  return ModuleSchema{
      "scratch",
      {
          {1, "items", "CREATE TABLE items (name TEXT NOT NULL) STRICT",
           /*legacy_version=*/1},
          {2, "item tags",
           "CREATE TABLE item_tags (item INTEGER NOT NULL, tag TEXT NOT NULL)"
           " STRICT",
           /*legacy_version=*/2},
          {3, "item index", "CREATE INDEX items_by_name ON items (name)"},
      }};
}

int ExpectedMigrationRows() {
  return static_cast<int>(CoreSchema().migrations.size() +
                          ScratchSchema().migrations.size());
}

class DatabaseTest : public ::testing::Test {
 protected:
  DatabaseOptions Options() const {
    DatabaseOptions options;
    options.path = path_;
    options.reader_connections = 2;
    options.now_micros = kOpenTime;
    options.schemas = {ScratchSchema()};
    return options;
  }

  std::unique_ptr<Database> OpenOrDie() {
    absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(Options());
    EXPECT_THAT(db, IsOk());
    return db.ok() ? std::move(*db) : nullptr;
  }

  static absl::Status PutNote(Database& db, const std::string& note) {
    return db.writer().RunSync([note](Connection& c) {
      c.Exec("CREATE TABLE IF NOT EXISTS notes (note TEXT NOT NULL) STRICT");
      Stmt s = c.Prepare("INSERT INTO notes (note) VALUES (?)");
      s->Bind(1, note);
      s->Exec();
      return absl::OkStatus();
    });
  }

  static std::vector<std::string> Notes(Database& db) {
    return db.Read([](Connection& c) {
      std::vector<std::string> out;
      Stmt q = c.Prepare("SELECT note FROM notes ORDER BY rowid");
      while (q->Step()) out.push_back(q->String(0));
      return out;
    });
  }

  // The notes the main database file holds by itself, without its WAL: read
  // from a copy of that file alone. A missing table shows as "(no notes
  // table)".
  std::vector<std::string> NotesInMainFile() {
    const std::string copy = dir_.File("main-file-only.db");
    std::filesystem::remove(copy + "-wal");
    std::filesystem::remove(copy + "-shm");
    std::filesystem::copy_file(
        path_, copy, std::filesystem::copy_options::overwrite_existing);
    std::vector<std::string> out;
    try {
      SQLite::Database raw(copy, SQLite::OPEN_READWRITE);
      SQLite::Statement q(raw, "SELECT note FROM notes ORDER BY rowid");
      while (q.executeStep()) out.push_back(q.getColumn(0).getString());
    } catch (const SQLite::Exception& e) {
      out.push_back(absl::StrCat("(", e.what(), ")"));
    }
    return out;
  }

  // Runs `sql` on the file with a plain connection, outside any Database.
  void ExecRaw(const char* sql) {
    SQLite::Database raw(path_, SQLite::OPEN_READWRITE);
    raw.exec(sql);
  }

  testing::ScopedTempDir dir_;
  const std::string path_ = dir_.File("retail.db");
};

TEST_F(DatabaseTest, OpenMigratesAndRecordsTheVersion) {
  auto db = OpenOrDie();
  ASSERT_NE(db, nullptr);
  struct Row {
    std::string module;
    int64_t version;
    int64_t applied;
  };
  std::vector<Row> rows = db->Read([](Connection& c) {
    std::vector<Row> out;
    Stmt q = c.Prepare(
        "SELECT module, version, applied_time_us FROM schema_migrations"
        " ORDER BY module, version");
    while (q->Step()) out.push_back({q->String(0), q->Int64(1), q->Int64(2)});
    return out;
  });
  ASSERT_EQ(rows.size(), static_cast<size_t>(ExpectedMigrationRows()));
  EXPECT_EQ(rows.front().module, "core");
  EXPECT_EQ(rows.back().module, "scratch");
  EXPECT_EQ(rows.back().version, 3);
  EXPECT_EQ(rows.back().applied, kOpenTime);
}

TEST_F(DatabaseTest, UsesDurableWalSettings) {
  auto db = OpenOrDie();
  ASSERT_NE(db, nullptr);
  absl::Status checked = db->writer().RunSync([](Connection& c) {
    EXPECT_EQ(
        db::AsSqlite(c).raw().execAndGet("PRAGMA journal_mode").getString(),
        "wal");
    EXPECT_EQ(db::AsSqlite(c).raw().execAndGet("PRAGMA synchronous").getInt(),
              2);  // FULL
    EXPECT_EQ(db::AsSqlite(c).raw().execAndGet("PRAGMA foreign_keys").getInt(),
              1);
    return absl::OkStatus();
  });
  EXPECT_THAT(checked, IsOk());
}

TEST_F(DatabaseTest, ReopenKeepsDataSecretAndSchema) {
  std::string secret;
  {
    auto db = OpenOrDie();
    ASSERT_NE(db, nullptr);
    secret = db->secret();
    ASSERT_THAT(PutNote(*db, "before restart"), IsOk());
    ASSERT_THAT(db->Close(), IsOk());
  }
  auto db = OpenOrDie();
  ASSERT_NE(db, nullptr);
  EXPECT_THAT(Notes(*db), ::testing::ElementsAre("before restart"));
  // Page tokens signed before the restart must still verify.
  EXPECT_EQ(db->secret(), secret);
  EXPECT_EQ(secret.size(), 32u);
  // Migrations are not applied twice.
  EXPECT_EQ(db->Read([](Connection& c) {
    return db::AsSqlite(c)
        .raw()
        .execAndGet("SELECT COUNT(*) FROM schema_migrations")
        .getInt();
  }),
            ExpectedMigrationRows());
}

// A module's migrations added later run on a database that has the earlier
// ones, and only those.
TEST_F(DatabaseTest, LaterMigrationsOfAModuleApplyOnReopen) {
  ASSERT_NE(OpenOrDie(), nullptr);
  ExecRaw(
      "DROP INDEX items_by_name;"
      "DELETE FROM schema_migrations WHERE module = 'scratch' AND version = 3;"
      "INSERT INTO items (name) VALUES ('kept')");
  auto db = OpenOrDie();
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(db->Read([](Connection& c) {
    return db::AsSqlite(c)
        .raw()
        .execAndGet(
            "SELECT COUNT(*) FROM sqlite_master WHERE name ="
            " 'items_by_name'")
        .getInt();
  }),
            1);
  EXPECT_EQ(db->Read([](Connection& c) {
    return db::AsSqlite(c)
        .raw()
        .execAndGet("SELECT name FROM items")
        .getString();
  }),
            "kept");
}

// A database written when migrations were one chain-wide sequence (schema
// 1..N in schema_migrations(version, name, applied_time_us)) is re-keyed by
// module in place: what it had counts as applied, with its original time,
// and only newer migrations run.
TEST_F(DatabaseTest, LegacySingleSequenceIsRekeyedByModule) {
  {
    SQLite::Database raw(path_, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    raw.exec(CoreSchema().migrations[0].sql);
    raw.exec(ScratchSchema().migrations[0].sql);
    raw.exec(ScratchSchema().migrations[1].sql);
    raw.exec(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY,"
        " name TEXT NOT NULL, applied_time_us INTEGER NOT NULL) STRICT;"
        "INSERT INTO schema_migrations VALUES (1, 'foundation', 11),"
        " (2, 'tags', 22);"
        "INSERT INTO items (name) VALUES ('from the old build')");
  }
  auto db = OpenOrDie();
  ASSERT_NE(db, nullptr);
  auto applied = [&](const char* module, int version) {
    return db->Read([&](Connection& c) -> int64_t {
      SQLite::Statement q(db::AsSqlite(c).raw(),
                          "SELECT applied_time_us FROM schema_migrations"
                          " WHERE module = ? AND version = ?");
      q.bind(1, module);
      q.bind(2, version);
      return q.executeStep() ? q.getColumn(0).getInt64() : -1;
    });
  };
  EXPECT_EQ(applied("core", 1), 11);
  EXPECT_EQ(applied("scratch", 1), 11);
  EXPECT_EQ(applied("scratch", 2), 22);
  EXPECT_EQ(applied("scratch", 3), kOpenTime);  // new since: it ran
  EXPECT_EQ(applied("core", 2), kOpenTime);
  EXPECT_EQ(db->Read([](Connection& c) {
    return db::AsSqlite(c)
        .raw()
        .execAndGet("SELECT name FROM items")
        .getString();
  }),
            "from the old build");
}

TEST_F(DatabaseTest, EachDatabaseHasItsOwnSecret) {
  auto a = OpenOrDie();
  DatabaseOptions other = Options();
  other.path = dir_.File("other.db");
  absl::StatusOr<std::unique_ptr<Database>> b = Database::Open(other);
  ASSERT_NE(a, nullptr);
  ASSERT_THAT(b, IsOk());
  EXPECT_NE(a->secret(), (*b)->secret());
}

TEST_F(DatabaseTest, FileIsOwnerOnly) {
  // It holds personal data.
  auto db = OpenOrDie();
  ASSERT_NE(db, nullptr);
  struct stat st;
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 077, 0u) << std::oct << st.st_mode;
}

TEST_F(DatabaseTest, RefusesSchemaFromNewerBuild) {
  {
    auto db = OpenOrDie();
    ASSERT_NE(db, nullptr);
  }
  ExecRaw(
      "INSERT INTO schema_migrations VALUES ('scratch', 1000000, 'future', "
      "0)");
  EXPECT_THAT(Database::Open(Options()),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(DatabaseTest, ReadsSeeCommittedWritesFromManyThreads) {
  auto db = OpenOrDie();
  ASSERT_NE(db, nullptr);
  ASSERT_THAT(PutNote(*db, "hello"), IsOk());
  // More readers than pooled connections: callers wait, none fails.
  std::vector<std::thread> threads;
  std::atomic<int> seen{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < 20; ++j) {
        if (Notes(*db) == std::vector<std::string>{"hello"}) ++seen;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(seen.load(), 8 * 20);
}

TEST_F(DatabaseTest, CloseIsIdempotentAndRefusesLaterWrites) {
  auto db = OpenOrDie();
  ASSERT_NE(db, nullptr);
  ASSERT_THAT(PutNote(*db, "kept"), IsOk());
  // Committed, but so far only to the WAL: the main file alone lacks it.
  ASSERT_THAT(NotesInMainFile(), ::testing::Not(ElementsAre("kept")));
  EXPECT_THAT(db->Close(), IsOk());
  EXPECT_THAT(db->Close(), IsOk());
  EXPECT_THAT(PutNote(*db, "too late"),
              StatusIs(absl::StatusCode::kUnavailable));
  // Close checkpointed the WAL into the main file: the file alone now holds
  // the note...
  EXPECT_THAT(NotesInMainFile(), ElementsAre("kept"));
  // ...and the WAL, if any is left, was truncated.
  struct stat st;
  if (stat((path_ + "-wal").c_str(), &st) == 0) {
    EXPECT_EQ(st.st_size, 0);
  }
}

// Regression: a failure after the Database object exists but before its
// writer does (loading the secret, opening a reader) used to crash in the
// destructor (Close() on a null writer_) instead of returning the error. Run
// in a child process so a crash fails only this test.
TEST_F(DatabaseTest, OpenReportsErrorsAfterMigrationInsteadOfCrashing) {
  {
    auto db = OpenOrDie();
    ASSERT_NE(db, nullptr);
  }
  // A damaged file: migrated, but the secret's table is gone.
  ExecRaw("DROP TABLE server_meta");
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        absl::StatusOr<std::unique_ptr<Database>> db =
            Database::Open(Options());
        std::exit(db.ok() ? 1 : 0);
      },
      ::testing::ExitedWithCode(0), "");
}

// A read waits for a free reader connection only as long as its call may:
// a gRPC thread is never held without bound.
TEST_F(DatabaseTest, ReadGivesUpWhenNoReaderFreesInTime) {
  auto db = OpenOrDie();
  ASSERT_NE(db, nullptr);
  ASSERT_THAT(PutNote(*db, "hello"), IsOk());
  // Hold both pooled readers.
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::vector<std::thread> holders;
  std::atomic<int> holding{0};
  for (int i = 0; i < 2; ++i) {
    holders.emplace_back([&] {
      db->Read([&](Connection&) {
          ++holding;
          released.wait();
          return absl::OkStatus();
        }).IgnoreError();
    });
  }
  while (holding.load() < 2) absl::SleepFor(absl::Milliseconds(1));
  auto read = [&](WaitLimit wait) {
    return db->Read(wait, [](Connection&) { return absl::OkStatus(); });
  };
  EXPECT_THAT(
      read(WaitLimit{absl::Now() + absl::Milliseconds(30), true, nullptr}),
      StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_THAT(
      read(WaitLimit{absl::Now() + absl::Milliseconds(30), false, nullptr}),
      StatusIs(absl::StatusCode::kUnavailable));
  release.set_value();
  for (std::thread& t : holders) t.join();
  EXPECT_THAT(read(WaitLimit{absl::Now() + absl::Seconds(10), true, nullptr}),
              IsOk());
}

}  // namespace
}  // namespace retail::db
