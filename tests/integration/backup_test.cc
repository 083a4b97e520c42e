// Online backup and restore (issue 15): AdminService/BackupDatabase under
// write load, restored with scripts/restore into a fresh server; access;
// one backup at a time; the scheduled backup task and its retention.
#include "server/admin/backup.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "SQLiteCpp/Database.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "retail/admin/v1/admin.grpc.pb.h"
#include "retail/customers/v1/customers.grpc.pb.h"
#include "tests/integration/test_server.h"
#include "tests/pg/pg_test_db.h"

namespace retail {
namespace {

namespace av1 = ::retail::admin::v1;
namespace cv1 = ::retail::customers::v1;
using testing::kAdmin;
using testing::TestServer;
using testing::TestServerOptions;

std::string TempDir() {
  std::random_device rd;
  std::string dir = absl::StrCat(::testing::TempDir(), "/retail_backup_",
                                 getpid(), "_", rd());
  std::filesystem::create_directories(dir);
  return dir;
}

// Reads a whole BackupDatabase stream into `path`, checking offsets.
struct Received {
  grpc::Status status;
  av1::BackupSummary summary;
  int64_t bytes = 0;
  int messages = 0;
  std::string sha256;  // of what was received
};

Received Backup(TestServer& server, const std::string& token,
                const std::string& path) {
  Received r;
  auto stub = av1::AdminService::NewStub(server.Channel());
  auto ctx = testing::ContextFor(token);
  ctx->set_deadline(std::chrono::system_clock::now() +
                    std::chrono::seconds(60));
  auto reader = stub->BackupDatabase(ctx.get(), av1::BackupDatabaseRequest());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  admin::Sha256 hash;
  av1::BackupDatabaseResponse m;
  for (int i = 0; i < 100'000 && reader->Read(&m); ++i) {
    EXPECT_EQ(m.offset(), r.bytes);
    out.write(m.data().data(), static_cast<std::streamsize>(m.data().size()));
    hash.Update(m.data());
    r.bytes += static_cast<int64_t>(m.data().size());
    ++r.messages;
    if (m.has_summary()) r.summary = m.summary();
  }
  out.close();
  r.status = reader->Finish();
  r.sha256 = hash.HexDigest();
  return r;
}

std::string ScalarOn(const std::string& db_path, const std::string& sql) {
  SQLite::Database db(db_path, SQLite::OPEN_READONLY);
  SQLite::Statement q(db, sql);
  if (!q.executeStep()) return "";
  return q.getColumn(0).getString();
}

std::vector<std::string> TempSnapshots(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.rfind(".retail-backup-", 0) == 0) out.push_back(name);
  }
  return out;
}

// Why most tests here skip on PostgreSQL (RETAIL_TEST_ENGINE): they copy,
// check or restore SQLite's file. There BackupDatabase answers
// BACKUP_BY_PG_DUMP and no backup is scheduled (both tested below); backups
// are pg_dump's, tested once in tests/pg/pg_dump_restore_test.sh.
constexpr char kSqliteFileOnly[] =
    "SQLite only: copies SQLite's database file (on PostgreSQL backups are "
    "pg_dump's, tests/pg/pg_dump_restore_test.sh)";

int RunScript(const std::string& args) {
  const std::string cmd =
      absl::StrCat(RETAIL_RESTORE_SCRIPT, " ", args, " >/dev/null 2>&1");
  const int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

// Writers create customers and add points for a bounded time; every write
// acknowledged before the backup began must be in the restored database.
TEST(BackupTest, BackupUnderWriteLoadRestoresEveryAcknowledgedWrite) {
  if (testing::TestEngineIsPostgres()) GTEST_SKIP() << kSqliteFileOnly;
  TestServer server;
  const std::string work = TempDir();
  // 24 MiB of padding: the copy takes several steps while writes commit.
  {
    SQLite::Database db(server.db_path(), SQLite::OPEN_READWRITE);
    db.exec("PRAGMA busy_timeout = 5000");
    db.exec("CREATE TABLE test_padding (b BLOB)");
    for (int i = 0; i < 6; ++i) {
      db.exec("INSERT INTO test_padding VALUES (zeroblob(4 * 1024 * 1024))");
    }
  }
  auto customers = cv1::CustomerService::NewStub(server.Channel());

  std::mutex mu;
  std::map<std::string, int> acked;  // customer -> points acknowledged
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  constexpr int kWriters = 3;
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      const auto give_up =
          std::chrono::steady_clock::now() + std::chrono::seconds(20);
      std::string current;
      for (int i = 0; i < 100'000 && !stop.load() &&
                      std::chrono::steady_clock::now() < give_up;
           ++i) {
        if (i % 4 == 0) {
          cv1::CreateCustomerRequest req;
          req.set_request_id(absl::StrCat("bk-create-", w, "-", i));
          req.mutable_customer()->set_display_name(
              absl::StrCat("Backup Load ", w, " ", i));
          req.mutable_customer()->set_phone(
              absl::StrCat("139", 10'000'000 + w * 1'000'000 + i));
          req.mutable_customer()->set_branch_id("B001");
          cv1::CreateCustomerResponse resp;
          grpc::Status s = testing::Call(
              *customers, &cv1::CustomerService::Stub::CreateCustomer, kAdmin,
              req, &resp);
          if (!s.ok()) {
            ++failures;
            continue;
          }
          current = resp.customer().customer_id();
          std::lock_guard<std::mutex> lock(mu);
          acked[current] = 0;
        } else if (!current.empty()) {
          cv1::AdjustPointsRequest req;
          req.set_customer_id(current);
          req.set_delta(1);
          req.set_reason("backup load");
          req.set_request_id(absl::StrCat("bk-adjust-", w, "-", i));
          cv1::AdjustPointsResponse resp;
          grpc::Status s = testing::Call(
              *customers, &cv1::CustomerService::Stub::AdjustPoints, kAdmin,
              req, &resp);
          if (!s.ok()) {
            ++failures;
            continue;
          }
          std::lock_guard<std::mutex> lock(mu);
          ++acked[current];
        }
      }
    });
  }
  // Let the load build up, then record what is acknowledged and back up.
  for (int i = 0; i < 200; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    std::lock_guard<std::mutex> lock(mu);
    if (acked.size() >= 40) break;
  }
  std::map<std::string, int> before;
  {
    std::lock_guard<std::mutex> lock(mu);
    before = acked;
  }
  const std::string file = work + "/backup.db";
  Received r = Backup(server, kAdmin, file);
  // Load continues a little after the snapshot, then stops.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  stop = true;
  for (auto& t : writers) t.join();
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  EXPECT_EQ(failures.load(), 0);
  ASSERT_FALSE(before.empty());
  ASSERT_GT(r.messages, 0);
  EXPECT_EQ(r.bytes, r.summary.size_bytes());
  EXPECT_EQ(r.sha256, r.summary.sha256());
  EXPECT_EQ(r.summary.sha256().size(), 64u);
  EXPECT_EQ(r.summary.snapshot_time().seconds(),
            server.clock().NowMicros() / 1'000'000);
  EXPECT_GT(r.summary.last_event_sequence(), 0);
  EXPECT_GT(r.summary.last_audit_id(), 0);
  // The temporary snapshot is gone once streamed.
  const std::string state_dir =
      std::filesystem::path(server.db_path()).parent_path().string();
  for (int i = 0; i < 200 && !TempSnapshots(state_dir).empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(TempSnapshots(state_dir).empty());

  // Restore with scripts/restore into a data directory holding an old
  // database, which must be moved aside, not deleted.
  const std::string data = work + "/data";
  std::filesystem::create_directories(data);
  const std::string db = data + "/retail.db";
  { std::ofstream(db) << "old database"; }
  ASSERT_EQ(RunScript(absl::StrCat("--sha256 ", r.summary.sha256(), " ", file,
                                   " ", db)),
            0);
  int aside = 0;
  for (const auto& e : std::filesystem::directory_iterator(data)) {
    if (e.path().filename().string().rfind("retail.db.before-restore-", 0) ==
        0) {
      ++aside;
      std::ifstream in(e.path());
      std::string text;
      std::getline(in, text);
      EXPECT_EQ(text, "old database");
    }
  }
  EXPECT_EQ(aside, 1);
  // A wrong checksum is refused and changes nothing.
  EXPECT_EQ(RunScript(absl::StrCat("--sha256 ", std::string(64, '0'), " ", file,
                                   " ", db)),
            1);

  EXPECT_EQ(ScalarOn(db, "PRAGMA integrity_check"), "ok");
  EXPECT_EQ(ScalarOn(db, "SELECT max(event_id) FROM events"),
            absl::StrCat(r.summary.last_event_sequence()));
  EXPECT_EQ(ScalarOn(db, "SELECT max(audit_id) FROM audit_log"),
            absl::StrCat(r.summary.last_audit_id()));

  // The backup is audited like a reveal of everything.
  EXPECT_EQ(server.QueryScalar(
                "SELECT COUNT(*) FROM audit_log WHERE method LIKE "
                "'%/BackupDatabase' AND outcome = 'REVEAL' AND principal_id = "
                "'admin'"),
            "1");

  // A fresh server on the restored file has every write acknowledged
  // before the backup began.
  TestServerOptions options;
  options.db_path = db;
  TestServer restored(options);
  EXPECT_EQ(restored.QueryScalar("PRAGMA integrity_check"), "ok");
  auto rstub = cv1::CustomerService::NewStub(restored.Channel());
  int checked = 0;
  for (const auto& [id, points] : before) {
    cv1::GetCustomerRequest req;
    req.set_customer_id(id);
    cv1::GetCustomerResponse resp;
    grpc::Status s = testing::Call(
        *rstub, &cv1::CustomerService::Stub::GetCustomer, kAdmin, req, &resp);
    ASSERT_TRUE(s.ok()) << id << ": " << s.error_message();
    EXPECT_GE(resp.customer().points_balance(), points) << id;
    ++checked;
  }
  EXPECT_EQ(checked, static_cast<int>(before.size()));
  restored.Stop();
  std::error_code ec;
  std::filesystem::remove_all(work, ec);
}

TEST(BackupTest, OnlyAdminMayBackUp) {
  TestServer server;
  const std::string work = TempDir();
  for (const char* token :
       {testing::kAgent, testing::kAuditor, testing::kBranch1, testing::kCrm}) {
    Received r = Backup(server, token, work + "/x.db");
    EXPECT_EQ(r.status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
        << token;
    EXPECT_EQ(r.messages, 0);
  }
  Received r = Backup(server, "", work + "/x.db");
  EXPECT_EQ(r.status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  std::error_code ec;
  std::filesystem::remove_all(work, ec);
}

TEST(BackupTest, OneBackupAtATimeAndTheTempFileGoesOnCancel) {
  if (testing::TestEngineIsPostgres()) GTEST_SKIP() << kSqliteFileOnly;
  TestServer server;
  // Big enough (8 MiB) that a stream nobody reads stays open on flow
  // control.
  {
    SQLite::Database db(server.db_path(), SQLite::OPEN_READWRITE);
    db.exec("PRAGMA busy_timeout = 5000");
    db.exec("CREATE TABLE test_padding (b BLOB)");
    db.exec("INSERT INTO test_padding VALUES (zeroblob(8 * 1024 * 1024))");
  }
  // No BDP probing: the client's window stays small, so the server cannot
  // push the rest of the file into buffers while this test does not read.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  args.SetInt("retail.test.backup", 1);
  auto stub = av1::AdminService::NewStub(grpc::CreateCustomChannel(
      server.address(), grpc::InsecureChannelCredentials(), args));
  auto ctx = testing::ContextFor(kAdmin);
  auto reader = stub->BackupDatabase(ctx.get(), av1::BackupDatabaseRequest());
  av1::BackupDatabaseResponse first;
  ASSERT_TRUE(reader->Read(&first));
  EXPECT_EQ(first.offset(), 0);
  EXPECT_EQ(first.data().size(), 1u << 20);
  const std::string state_dir =
      std::filesystem::path(server.db_path()).parent_path().string();
  EXPECT_EQ(TempSnapshots(state_dir).size(), 1u);

  const std::string work = TempDir();
  Received second = Backup(server, kAdmin, work + "/second.db");
  EXPECT_EQ(second.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(second.status.error_message().find("one runs at a time"),
            std::string::npos)
      << second.status.error_message();
  EXPECT_EQ(testing::DetailsOf(second.status).reason, "BACKUP_IN_PROGRESS");

  ctx->TryCancel();
  av1::BackupDatabaseResponse m;
  for (int i = 0; i < 100 && reader->Read(&m); ++i) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  for (int i = 0; i < 500 && !TempSnapshots(state_dir).empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(TempSnapshots(state_dir).empty());

  // Then the next one runs.
  Received third = Backup(server, kAdmin, work + "/third.db");
  ASSERT_TRUE(third.status.ok()) << third.status.error_message();
  EXPECT_EQ(third.sha256, third.summary.sha256());
  EXPECT_GT(third.bytes, 8 << 20);
  EXPECT_EQ(ScalarOn(work + "/third.db", "PRAGMA integrity_check"), "ok");

  // scripts/restore refuses a database a running server has open.
  EXPECT_EQ(RunScript(absl::StrCat(work, "/third.db ", server.db_path())), 1);
  EXPECT_EQ(server.QueryScalar("SELECT count(*) FROM test_padding"), "1");
  std::error_code ec;
  std::filesystem::remove_all(work, ec);
}

std::vector<std::string> BackupNames(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    out.push_back(e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// A server with scheduled backups on and no maintenance thread: the test
// runs the tasks with RunMaintenance().
TestServerOptions ScheduledOptions() {
  TestServerOptions options;
  options.scheduled_backups = true;
  options.configure = [](ServerOptions& o) {
    o.maintenance_interval = absl::ZeroDuration();
  };
  return options;
}

// Where the admin module would put scheduled backups: next to the database
// file, or on PostgreSQL (no file) in the server's own directory.
std::string BackupDir(TestServer& server) {
  return std::filesystem::path(server.on_postgres() ? server.auth_path()
                                                    : server.db_path())
             .parent_path()
             .string() +
         "/backups";
}

// Scheduled backups and their leftovers in `dir` ("retail-*.db" and
// "retail-*.db.tmp"); none if there is no such directory.
std::vector<std::string> Backups(const std::string& dir, bool tmp = false) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("retail-", 0) != 0) continue;
    const bool is_tmp =
        name.size() > 7 && name.compare(name.size() - 7, 7, ".db.tmp") == 0;
    if (is_tmp == tmp) out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Makes the database `mib` MiB bigger, so a copy takes several slices.
void Pad(TestServer& server, int mib) {
  SQLite::Database db(server.db_path(), SQLite::OPEN_READWRITE);
  db.exec("PRAGMA busy_timeout = 5000");
  db.exec("CREATE TABLE IF NOT EXISTS test_padding (b BLOB)");
  for (int i = 0; i < mib / 4; ++i) {
    db.exec("INSERT INTO test_padding VALUES (zeroblob(4 * 1024 * 1024))");
  }
}

TEST(BackupTest, ScheduledBackupTakesVerifiesAndPrunes) {
  if (testing::TestEngineIsPostgres()) GTEST_SKIP() << kSqliteFileOnly;
  const TestServerOptions options = ScheduledOptions();
  TestServer server(options);
  const std::string dir =
      std::filesystem::path(server.db_path()).parent_path().string() +
      "/backups";
  std::filesystem::create_directories(dir);
  const absl::Time now = absl::FromUnixMicros(server.clock().NowMicros());
  const std::string old8 = admin::BackupFileName(now - absl::Hours(24 * 8));
  const std::string old3 = admin::BackupFileName(now - absl::Hours(24 * 3));
  { std::ofstream(dir + "/" + old8) << "x"; }
  { std::ofstream(dir + "/" + old3) << "x"; }
  { std::ofstream(dir + "/notes.txt") << "kept"; }

  server.server().RunMaintenance();
  const std::string first = admin::BackupFileName(now);
  EXPECT_EQ(BackupNames(dir),
            (std::vector<std::string>{"notes.txt", old3, first}));
  EXPECT_TRUE(admin::IntegrityCheck(dir + "/" + first).ok());
  struct stat st {};
  ASSERT_EQ(::stat((dir + "/" + first).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  // Not due again within the interval.
  server.clock().Advance(absl::ToInt64Microseconds(absl::Hours(2)));
  server.server().RunMaintenance();
  EXPECT_EQ(BackupNames(dir).size(), 3u);

  // 5 days on: a new one; the 3-day-old one is now past 7 days.
  server.clock().Advance(absl::ToInt64Microseconds(absl::Hours(24 * 5)));
  server.server().RunMaintenance();
  const std::string second =
      admin::BackupFileName(absl::FromUnixMicros(server.clock().NowMicros()));
  EXPECT_EQ(BackupNames(dir),
            (std::vector<std::string>{"notes.txt", first, second}));
  EXPECT_EQ(ScalarOn(dir + "/" + second, "PRAGMA integrity_check"), "ok");
}

// Test servers take no scheduled backup unless asked (other tests run
// maintenance and would copy their databases), and with
// maintenance_interval zero nothing runs on its own, however far the clock
// moves: only RunMaintenance() takes one.
TEST(BackupTest, ScheduledBackupsRunOnlyWhenAskedAndOnlyByMaintenance) {
  {
    TestServer plain({.configure = [](ServerOptions& o) {
      o.maintenance_interval = absl::ZeroDuration();
    }});
    plain.server().RunMaintenance();
    EXPECT_TRUE(Backups(BackupDir(plain)).empty());
    EXPECT_FALSE(std::filesystem::exists(BackupDir(plain)));
  }
  TestServer server(ScheduledOptions());
  const std::string dir = BackupDir(server);
  server.clock().Advance(absl::ToInt64Microseconds(absl::Hours(24 * 3)));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_TRUE(Backups(dir).empty());
  EXPECT_TRUE(Backups(dir, /*tmp=*/true).empty());
  server.server().RunMaintenance();
  // On PostgreSQL none is scheduled even when asked: pg_dump's job.
  EXPECT_EQ(Backups(dir).size(), server.on_postgres() ? 0u : 1u);
  EXPECT_TRUE(Backups(dir, /*tmp=*/true).empty());
}

// On PostgreSQL, BackupDatabase copies nothing: it answers at once
// FAILED_PRECONDITION BACKUP_BY_PG_DUMP, pointing at pg_dump, and leaves no
// file behind; access is checked first, as on SQLite (OnlyAdminMayBackUp
// runs on both engines).
TEST(BackupTest, OnPostgresBackupDatabaseSaysUsePgDump) {
  if (!testing::TestEngineIsPostgres()) {
    GTEST_SKIP() << "PostgreSQL only: SQLite's backups are tested above";
  }
  TestServer server;
  const std::string work = TempDir();
  Received r = Backup(server, kAdmin, work + "/x.db");
  EXPECT_EQ(r.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(testing::DetailsOf(r.status).reason, "BACKUP_BY_PG_DUMP");
  EXPECT_NE(r.status.error_message().find("pg_dump"), std::string::npos)
      << r.status.error_message();
  testing::ExpectNoStorageText(r.status);
  EXPECT_EQ(r.messages, 0);
  EXPECT_EQ(r.bytes, 0);
  // Nothing was copied anywhere near the server's state.
  const std::string state_dir =
      std::filesystem::path(server.auth_path()).parent_path().string();
  EXPECT_TRUE(TempSnapshots(state_dir).empty());
  EXPECT_TRUE(Backups(state_dir + "/backups").empty());
  // The answer is the same however often it is asked.
  EXPECT_EQ(
      testing::DetailsOf(Backup(server, kAdmin, work + "/y.db").status).reason,
      "BACKUP_BY_PG_DUMP");
  std::error_code ec;
  std::filesystem::remove_all(work, ec);
}

// Two callers of the scheduled task at once (the maintenance thread and a
// test's RunMaintenance(); here two RunMaintenance() threads) share one
// backup, one slice at a time: this crashed in sqlite3_backup_step when
// both stepped the same snapshot.
TEST(BackupTest, TwoSchedulersAtOnceTakeOneBackup) {
  if (testing::TestEngineIsPostgres()) GTEST_SKIP() << kSqliteFileOnly;
  TestServer server(ScheduledOptions());
  Pad(server, 24);
  const std::string dir = BackupDir(server);
  for (int round = 1; round <= 3; ++round) {
    std::thread other([&] { server.server().RunMaintenance(); });
    server.server().RunMaintenance();
    other.join();
    const std::vector<std::string> names = Backups(dir);
    ASSERT_EQ(names.size(), static_cast<size_t>(round));
    EXPECT_TRUE(Backups(dir, /*tmp=*/true).empty());
    EXPECT_TRUE(admin::IntegrityCheck(dir + "/" + names.back()).ok());
    server.clock().Advance(absl::ToInt64Microseconds(absl::Hours(25)));
  }
}

// While the scheduled backup copies, BackupDatabase is FAILED_PRECONDITION
// (one backup at a time, whoever asked first).
TEST(BackupTest, BackupDatabaseWaitsForTheScheduledBackup) {
  if (testing::TestEngineIsPostgres()) GTEST_SKIP() << kSqliteFileOnly;
  TestServer server(ScheduledOptions());
  Pad(server, 64);
  const std::string dir = BackupDir(server);
  const std::string work = TempDir();
  std::thread scheduler([&] { server.server().RunMaintenance(); });
  bool seen = false;
  for (int i = 0; i < 2000 && !seen; ++i) {
    seen = !Backups(dir, /*tmp=*/true).empty();
    if (!seen) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  Received r = Backup(server, kAdmin, work + "/during.db");
  // The gate is released only after the temporary file is renamed: if it
  // is still there, the call met the scheduled backup.
  const bool still_copying = !Backups(dir, /*tmp=*/true).empty();
  scheduler.join();
  ASSERT_TRUE(seen) << "the scheduled backup never started";
  std::cout << "[backup] the call " << (still_copying ? "met" : "missed")
            << " the scheduled backup" << std::endl;
  if (still_copying) {
    EXPECT_EQ(r.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_EQ(testing::DetailsOf(r.status).reason, "BACKUP_IN_PROGRESS");
    EXPECT_EQ(r.messages, 0);
  } else {
    EXPECT_TRUE(r.status.ok() ||
                r.status.error_code() == grpc::StatusCode::FAILED_PRECONDITION)
        << r.status.error_message();
  }
  EXPECT_EQ(Backups(dir).size(), 1u);
  // Then a call runs.
  Received after = Backup(server, kAdmin, work + "/after.db");
  ASSERT_TRUE(after.status.ok()) << after.status.error_message();
  EXPECT_EQ(after.sha256, after.summary.sha256());
  std::error_code ec;
  std::filesystem::remove_all(work, ec);
}

// While a BackupDatabase stream is open, the scheduled task skips its
// check (no second snapshot) and takes the backup at the next check.
TEST(BackupTest, ScheduledBackupDefersToAnOpenStream) {
  if (testing::TestEngineIsPostgres()) GTEST_SKIP() << kSqliteFileOnly;
  TestServer server(ScheduledOptions());
  Pad(server, 8);
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  args.SetInt("retail.test.defer", 1);
  auto stub = av1::AdminService::NewStub(grpc::CreateCustomChannel(
      server.address(), grpc::InsecureChannelCredentials(), args));
  auto ctx = testing::ContextFor(kAdmin);
  auto reader = stub->BackupDatabase(ctx.get(), av1::BackupDatabaseRequest());
  av1::BackupDatabaseResponse first;
  ASSERT_TRUE(reader->Read(&first));
  const std::string dir = BackupDir(server);
  server.server().RunMaintenance();
  EXPECT_TRUE(Backups(dir).empty());
  EXPECT_TRUE(Backups(dir, /*tmp=*/true).empty());

  ctx->TryCancel();
  av1::BackupDatabaseResponse m;
  for (int i = 0; i < 100 && reader->Read(&m); ++i) {
  }
  reader->Finish();
  const std::string state_dir =
      std::filesystem::path(server.db_path()).parent_path().string();
  for (int i = 0; i < 500 && !TempSnapshots(state_dir).empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  // The task looks again every hour (at most --backup_interval_hours).
  server.clock().Advance(absl::ToInt64Microseconds(absl::Hours(1)));
  server.server().RunMaintenance();
  EXPECT_EQ(Backups(dir).size(), 1u);
}

// A snapshot holds back every checkpoint while it is open (an erasure's
// WAL truncate among them); once it ends, the module has the writer
// truncate the WAL.
TEST(BackupTest, TheWalIsTruncatedAfterASnapshot) {
  if (testing::TestEngineIsPostgres()) {
    GTEST_SKIP() << "SQLite only: SQLite's WAL file and its checkpoints";
  }
  TestServer server;
  auto customers = cv1::CustomerService::NewStub(server.Channel());
  for (int i = 0; i < 5; ++i) {
    cv1::CreateCustomerRequest req;
    req.set_request_id(absl::StrCat("wal-truncate-", i));
    req.mutable_customer()->set_display_name(absl::StrCat("Wal ", i));
    req.mutable_customer()->set_phone(absl::StrCat("1391234560", i));
    req.mutable_customer()->set_branch_id("B001");
    cv1::CreateCustomerResponse resp;
    grpc::Status s =
        testing::Call(*customers, &cv1::CustomerService::Stub::CreateCustomer,
                      kAdmin, req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  const std::string wal = server.db_path() + "-wal";
  ASSERT_GT(std::filesystem::file_size(wal), 0u);
  const std::string work = TempDir();
  Received r = Backup(server, kAdmin, work + "/b.db");
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  for (int i = 0; i < 500 && std::filesystem::file_size(wal) > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(std::filesystem::file_size(wal), 0u);
  std::error_code ec;
  std::filesystem::remove_all(work, ec);
}

}  // namespace
}  // namespace retail
