// Crash safety (issues 3, 9 and 16): the real retail_server binary is
// killed at random moments under 64 concurrent writes, restarted on the same
// database, and every unacknowledged request is retried with its
// request_id. Four faults, one test:
//   * Kill9: SIGKILL only, on SQLite. The page cache survives, so this alone
//     would pass with every fsync removed; it checks the process's own
//     recovery.
//   * PowerLoss: the server runs on the fault VFS (tests/faultfs), which
//     journals every write; it is killed at a random I/O (after an optional
//     slow-disk delay, so answers sent too early reach the client) or at a
//     random time, and then the power is cut: whatever was not synced is
//     dropped, or torn sector by sector, before the restart.
//   * Kill9Pg: Kill9 with the server on PostgreSQL (a fresh database on the
//     ctest fixture's cluster, tests/pg).
//   * PgStop: on PostgreSQL, and in most rounds it is the database that
//     dies: pg_ctl stop -m immediate while writes are in flight, a pause,
//     and a start that replays the WAL. The server keeps running: its
//     writer and reader connections must come back by themselves, and
//     health must say SERVING again without a restart, with no write
//     answered other than OK or UNAVAILABLE. The other rounds SIGKILL the
//     server. This needs a cluster of its own (stopping the fixture's
//     would fail every pg test running beside it): scripts/pg makes one in
//     $RETAIL_CRASH_PG_DIR (kept between runs, as the fixture's), else in
//     the test's temp dir.
// Afterwards, over RPC and straight from the database (SQLite file or
// PostgreSQL, through the same engine-neutral statements):
//   * every acknowledged write is there exactly once, with the acknowledged
//     content, and no request took effect twice;
//   * PRAGMA integrity_check is ok (PostgreSQL: amcheck's verify_heapam on
//     every table and bt_index_check on every index);
//   * each customer's points balance is the sum of its ledger; each change
//     has its event and its one OK audit row (PostgreSQL: every event
//     numbered, the numbers without a gap up to the sequencer's head);
//   * a replay of an acknowledged request answers the same bytes;
//   * feedback (issue 13): each escalated item has its one complaint,
//     pointing back; the daily rollups (feedback_daily, feedback_term_daily,
//     and the satisfaction report read from them) equal the rows they
//     count; no survey response twice; follow-ups made have their time.
//
// The seed is fixed (1) so CI repeats the same choices; RETAIL_CRASH_SEED=N
// picks another and RETAIL_CRASH_SEED=random a fresh one (printed). Kill
// moments still vary with scheduling. The temp dir (database and server log)
// is kept on failure, or always with RETAIL_CRASH_KEEP_FILES=1; so is a
// PostgreSQL database (its name is printed).
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/db/connection.h"
#include "common/db/pg_connection.h"
#include "common/db/sqlite_connection.h"
#include "common/ids.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "retail/customers/v1/customers.grpc.pb.h"
#include "retail/events/v1/events.grpc.pb.h"
#include "tests/crash/ledger.h"
#include "tests/crash/load_client.h"
#include "tests/crash/pg_cluster.h"
#include "tests/crash/server_process.h"
#include "tests/faultfs/fault_vfs.h"
#include "tests/faultfs/power_cut.h"
#include "tests/pg/pg_test_db.h"

namespace retail::crash {
namespace {

using ::retail::customers::v1::AdjustPointsResponse;
using ::retail::customers::v1::CreateCustomerResponse;
using ::retail::customers::v1::Customer;
using ::retail::customers::v1::GetCustomerRequest;
using ::retail::customers::v1::GetCustomerResponse;

constexpr char kToken[] = "crash-test-admin-token";
constexpr int kInFlight = 64;
// Kills under load (the issue asks for at least 5), each 100-800 ms after
// the server answered its first health check. RETAIL_CRASH_ROUNDS asks for
// more (scripts/crash explores with it).
int KillRounds() {
  const char* env = std::getenv("RETAIL_CRASH_ROUNDS");
  const int rounds = env == nullptr ? 0 : std::atoi(env);
  return rounds >= 5 ? rounds : 6;
}
constexpr int kMinKillDelayMs = 100;
constexpr int kMaxKillDelayMs = 800;
// One extra SIGKILL lands during start-up (before the first answer), while
// the server is opening the database the previous kill left behind.
constexpr int kStartupKillAfterRound = 3;
constexpr int kMaxStartupKillDelayMs = 40;
// Generous bounds, so a loaded CI machine never fails a correct server:
// start-up (the time it took is printed, and the slowest in the summary;
// speed is the benchmark's business), and the final retry and replay passes,
// which return as soon as every request is settled.
constexpr absl::Duration kStartBound = absl::Seconds(60);
constexpr absl::Duration kDrainBudget = absl::Seconds(120);
// No request needs more than this many sends to be acknowledged.
int MaxAttemptsPerRequest() { return 2 * KillRounds() + 4; }
constexpr absl::Duration kShutdownGrace = absl::Seconds(20);
// PgStop: PostgreSQL stays down 0-500 ms after its immediate stop, and the
// server left running must serve again within this of its start (it takes
// about a second: the writer probes the database once a second).
constexpr int kMaxOutageMs = 500;
constexpr absl::Duration kRecoverBound = absl::Seconds(30);

// The server binary: $RETAIL_SERVER_BINARY (set by ctest), else the
// retail_server next to this test in the build's bin/ directory.
std::string ServerBinary() {
  if (const char* env = std::getenv("RETAIL_SERVER_BINARY");
      env != nullptr && *env != '\0') {
    return env;
  }
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return (self.parent_path() / "retail_server").string();
}

// RETAIL_CRASH_SEED, else RETAIL_TEST_SEED (the one name every seeded test
// and retail_bench read), else 1.
uint64_t Seed() {
  const char* env = std::getenv("RETAIL_CRASH_SEED");
  if (env == nullptr || *env == '\0') env = std::getenv("RETAIL_TEST_SEED");
  if (env == nullptr || *env == '\0') return 1;
  if (std::string(env) == "random") {
    return std::random_device{}() * 0x100000000ULL + std::random_device{}();
  }
  return std::strtoull(env, nullptr, 10);
}

// What dies under load. Kill9 and PowerLoss run the server on SQLite,
// Kill9Pg and PgStop on PostgreSQL (see the top of this file).
enum class Disk { kKill9, kPowerLoss, kKill9Pg, kPgStop };

// A PostgreSQL test's cluster directory, as the suites on both engines name
// it: RETAIL_TEST_PG_DIR (the pg fixture's), else RETAIL_TEST_ENGINE's
// postgres:DIR.
std::string FixtureClusterDir() {
  const char* dir = std::getenv("RETAIL_TEST_PG_DIR");
  if (dir != nullptr && *dir != '\0') return dir;
  const char* engine = std::getenv("RETAIL_TEST_ENGINE");
  if (engine != nullptr && absl::StartsWith(engine, "postgres:")) {
    return engine + std::strlen("postgres:");
  }
  return "";
}

// scripts/pg: $RETAIL_PG_SCRIPT (set by ctest), else this source tree's.
std::string ScriptsPg() {
  const char* env = std::getenv("RETAIL_PG_SCRIPT");
  if (env != nullptr && *env != '\0') return env;
  return std::string(RETAIL_SOURCE_DIR) + "/scripts/pg";
}

// One query on either engine, read the way SQLiteCpp's Statement was:
// executeStep(), then getColumn(i) as text or integer. An error (bad SQL
// for one engine, a type a getter cannot read) fails the test naming the
// SQL, and reads as no row or an empty value.
class Query {
 public:
  Query(db::Connection& conn, std::string sql) : sql_(std::move(sql)) {
    try {
      // The connection owns the statement (its cache); it is reset here.
      stmt_ = &*conn.Prepare(sql_);
    } catch (const std::exception& e) {
      Fail(e);
    }
  }
  ~Query() {
    if (stmt_ == nullptr) return;
    try {
      stmt_->Reset();
    } catch (...) {
    }
  }
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;

  void bind(int index, const std::string& value) {
    if (stmt_ != nullptr) stmt_->Bind(index, value);
  }
  void bind(int index, int64_t value) {
    if (stmt_ != nullptr) stmt_->Bind(index, value);
  }
  bool executeStep() {
    if (stmt_ == nullptr) return false;
    try {
      return stmt_->Step();
    } catch (const std::exception& e) {
      Fail(e);
      stmt_ = nullptr;
      return false;
    }
  }

  class Column {
   public:
    Column(Query* q, int index) : q_(q), index_(index) {}
    bool isNull() const {
      return q_->Get<bool>([&](db::Statement& s) { return s.IsNull(index_); });
    }
    // Text as it is, an integer as its digits (SQLite's getString).
    std::string getString() const {
      return q_->Get<std::string>([&](db::Statement& s) -> std::string {
        if (s.IsNull(index_)) return "";
        try {
          return s.String(index_);
        } catch (const db::StorageError&) {
          return absl::StrCat(s.Int64(index_));  // a PostgreSQL integer
        }
      });
    }
    int64_t getInt64() const {
      return q_->Get<int64_t>(
          [&](db::Statement& s) { return s.Int64(index_); });
    }
    int getInt() const { return static_cast<int>(getInt64()); }
    // Valid until the next executeStep().
    absl::string_view getBlob() const {
      return q_->Get<absl::string_view>(
          [&](db::Statement& s) { return s.Blob(index_); });
    }

   private:
    Query* q_;
    int index_;
  };
  Column getColumn(int index) { return Column(this, index); }

 private:
  template <typename T, typename Fn>
  T Get(Fn&& fn) {
    if (stmt_ == nullptr) return T();
    try {
      return fn(*stmt_);
    } catch (const std::exception& e) {
      Fail(e);
      return T();
    }
  }
  void Fail(const std::exception& e) {
    ADD_FAILURE() << "query failed: " << e.what() << "\n  SQL: " << sql_;
  }

  std::string sql_;
  db::Statement* stmt_ = nullptr;
};

// "CASE WHEN cond THEN 1 ELSE 0 END": a condition as a 0/1 integer on
// either engine (PostgreSQL's booleans do not add, sum or compare with
// integers).
std::string AsInt(const std::string& cond) {
  return absl::StrCat("CASE WHEN ", cond, " THEN 1 ELSE 0 END");
}

// The fault VFS, preloaded into the server (set by ctest).
std::string FaultVfsLibrary() {
  const char* env = std::getenv("RETAIL_FAULTFS_PRELOAD");
  return env == nullptr ? "" : env;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

class CrashTest : public ::testing::TestWithParam<Disk> {
 protected:
  bool power_loss() const { return GetParam() == Disk::kPowerLoss; }
  bool on_postgres() const {
    return GetParam() == Disk::kKill9Pg || GetParam() == Disk::kPgStop;
  }
  // PgStop: whether round `round` stops PostgreSQL (else it SIGKILLs the
  // server). Every third round kills the server, so the start-up kill
  // after round kStartupKillAfterRound finds it dead and the restart
  // after a kill runs against a database that also went down before.
  bool StopsPostgres(int round) const {
    return GetParam() == Disk::kPgStop && round % 3 != 0;
  }

  void SetUp() override {
    start_ = absl::Now();
    // Each disk gets its own stream of choices from the one seed.
    // The seed printed is the one to pass back; each disk draws its own
    // stream of choices from it.
    seed_ = Seed();
    const uint64_t stream =
        seed_ + std::array<uint64_t, 4>{0, 1000003, 2000003,
                                        3000017}[static_cast<int>(GetParam())];
    // Printed first, so a failing run can be repeated with the same choices.
    std::cout << "[crash] seed " << seed_ << " (RETAIL_CRASH_SEED=" << seed_
              << " to reproduce)" << std::endl;
    RecordProperty("seed", std::to_string(seed_));
    rng_.seed(stream);
    ledger_ = std::make_shared<Ledger>(stream ^ 0x9e3779b97f4a7c15ULL);

    dir_ =
        (std::filesystem::path(::testing::TempDir()) /
         absl::StrCat("retail_crash_", getpid(), "_", std::random_device{}()))
            .string();
    // The database in a directory of its own: the fault VFS's scope.
    db_dir_ = dir_ + "/db";
    std::filesystem::create_directories(db_dir_);
    db_path_ = db_dir_ + "/retail.db";
    log_path_ = dir_ + "/server.log";
    std::ofstream(dir_ + "/auth.conf")
        << "sha256:" << Sha256Hex(kToken) << " admin admin\n";
    // The server refuses an auth config others could change, whatever the
    // umask this test runs under.
    std::filesystem::permissions(dir_ + "/auth.conf",
                                 std::filesystem::perms::owner_read |
                                     std::filesystem::perms::owner_write);

    const std::string binary = ServerBinary();
    ASSERT_TRUE(std::filesystem::exists(binary))
        << binary << " not found; set RETAIL_SERVER_BINARY";
    server_ = std::make_unique<ServerProcess>(binary, log_path_);
    if (on_postgres()) {
      ASSERT_NO_FATAL_FAILURE(SetUpPostgres());
    }
    if (power_loss()) {
      const std::string preload = FaultVfsLibrary();
      ASSERT_TRUE(std::filesystem::exists(preload))
          << "fault VFS library '" << preload
          << "' not found; set RETAIL_FAULTFS_PRELOAD";
      journal_path_ = dir_ + "/faultfs.journal";
      const std::string control = dir_ + "/faultfs.control";
      control_ = faultfs::MapControl(control, /*create=*/true);
      ASSERT_NE(control_, nullptr);
      server_->set_env({"LD_PRELOAD=" + preload,
                        "RETAIL_FAULTFS_DIR=" + db_dir_,
                        "RETAIL_FAULTFS_JOURNAL=" + journal_path_,
                        "RETAIL_FAULTFS_CONTROL=" + control});
    }
    SetServerArgs();
  }

  // A fresh database for this run: on the fixture's cluster, or (PgStop)
  // on a cluster of this test's own, started here.
  void SetUpPostgres() {
    std::string cluster_dir = FixtureClusterDir();
    if (GetParam() == Disk::kPgStop) {
      const char* own = std::getenv("RETAIL_CRASH_PG_DIR");
      cluster_dir =
          own != nullptr && *own != '\0' ? std::string(own) : dir_ + "/pg";
      pg_ = std::make_unique<PgCluster>(ScriptsPg(), cluster_dir,
                                        dir_ + "/pg_ctl.log");
      const absl::Status started = pg_->Start();
      ASSERT_TRUE(started.ok()) << started << "\n"
                                << ReadFile(dir_ + "/pg_ctl.log");
      // A start after an immediate stop first fsyncs every file of the
      // cluster, one by one (some 2000, 4 s on this machine's disk), before
      // it replays the WAL; syncfs() syncs them in one call, as durably.
      // Read at the next start.
      {
        auto admin = db::PgConnection::Open(pg_->url());
        ASSERT_TRUE(admin.ok()) << admin.status();
        try {
          (*admin)->Exec(
              "ALTER SYSTEM SET recovery_init_sync_method = 'syncfs'");
        } catch (const std::exception& e) {
          FAIL() << "ALTER SYSTEM: " << e.what();
        }
      }
      // FreshPgDatabase (tests/pg) makes its database on the cluster this
      // names: this process's one and only.
      setenv("RETAIL_TEST_PG_DIR", cluster_dir.c_str(), 1);
    }
    ASSERT_FALSE(cluster_dir.empty())
        << "this test runs the server on PostgreSQL and needs a cluster: run "
           "it through ctest (ctest -R crash_kill9_pg), or by hand with "
           "scripts/pg start /tmp/pg1 && RETAIL_TEST_PG_DIR=/tmp/pg1 "
           "crash_test --gtest_filter='*Kill9Pg'";
    pg_database_ =
        absl::StrCat("crash_", getpid(), "_", std::random_device{}() % 1000000);
    absl::StatusOr<std::string> url =
        retail::testing::FreshPgDatabase(pg_database_);
    ASSERT_TRUE(url.ok()) << url.status();
    db_path_ = *url;
    std::cout << "[crash] PostgreSQL database " << pg_database_ << " on "
              << cluster_dir
              << (pg_ != nullptr ? " (a cluster of this test's own)" : "")
              << std::endl;
  }

  // The database, read-only on SQLite: for the checks after the load.
  std::unique_ptr<db::Connection> OpenDatabase() {
    if (on_postgres()) {
      auto conn = db::PgConnection::Open(db_path_);
      EXPECT_TRUE(conn.ok()) << conn.status();
      return conn.ok() ? std::move(*conn) : nullptr;
    }
    auto conn = db::SqliteConnection::Open(
        db_path_, db::SqliteConnection::Mode::kReadOnly);
    EXPECT_TRUE(conn.ok()) << conn.status();
    return conn.ok() ? std::move(*conn) : nullptr;
  }

  // Power loss: after the process is dead, drop (or tear) whatever the disk
  // had not been told to keep. Kill9: nothing to do.
  void CutPower() {
    if (!power_loss()) return;
    const bool tear = std::uniform_int_distribution<int>(0, 1)(rng_) == 1;
    const faultfs::PowerCutReport report =
        faultfs::CutPower(journal_path_, db_dir_,
                          tear ? faultfs::PowerCutMode::kTearUnsynced
                               : faultfs::PowerCutMode::kDropUnsynced,
                          rng_());
    ASSERT_EQ(report.error, "") << report.ToString();
    ++power_cuts_;
    std::cout << "[crash] power cut (" << (tear ? "torn" : "dropped")
              << " unsynced writes): " << report.ToString() << std::endl;
  }

  // Port 0: the server binds a free port itself and writes it to
  // --port_file once serving, so no other process can take it in between.
  void SetServerArgs() {
    port_file_ = dir_ + "/port";
    server_->set_args({"--listen", "127.0.0.1:0", "--metrics_listen",
                       "127.0.0.1:0",
                       // No backup at start-up: each restart would copy the
                       // whole database, on the fault file system too.
                       "--backup_interval_hours", "0", "--port_file",
                       port_file_, "--db", db_path_, "--auth_config",
                       dir_ + "/auth.conf", "--shutdown_grace_seconds", "10",
                       // No admission limit: on two busy cores a call keeps
                       // its slot until gRPC's OnDone, which lags behind the
                       // answers, so 64 calls in flight were once counted as
                       // 256 and refused. That is issue 15's to fix; this
                       // test is about durability, not admission.
                       "--max_calls_in_flight", "0"});
  }

  void TearDown() override {
    // SIGKILLs and reaps a server that a failed assertion left running.
    server_.reset();
    const bool keep =
        HasFailure() || std::getenv("RETAIL_CRASH_KEEP_FILES") != nullptr;
    if (pg_ != nullptr) {
      if (HasFailure()) {
        std::cout << "[crash] PostgreSQL log (" << pg_->dir() << "/log):\n"
                  << pg_->LogTail(6000) << std::endl;
      }
      // Whatever happened, the cluster this test started does not outlive
      // it (its files stay, with the database when kept).
      if (!keep) {
        EXPECT_TRUE(retail::testing::DropPgDatabase(pg_database_).ok());
      }
      const absl::Status stopped = pg_->Stop();
      EXPECT_TRUE(stopped.ok()) << stopped;
      pg_.reset();
    } else if (!pg_database_.empty() && !keep) {
      EXPECT_TRUE(retail::testing::DropPgDatabase(pg_database_).ok());
    }
    if (HasFailure()) {
      std::string log = ReadFile(log_path_);
      if (log.size() > 20000) log = "...\n" + log.substr(log.size() - 20000);
      std::cout << "[crash] seed " << seed_ << "; files kept in " << dir_
                << (pg_database_.empty()
                        ? ""
                        : "; PostgreSQL database " + pg_database_ + " kept")
                << "\n[crash] server log:\n"
                << log << std::endl;
      return;
    }
    if (std::getenv("RETAIL_CRASH_KEEP_FILES") != nullptr) {
      std::cout << "[crash] files kept in " << dir_ << std::endl;
      return;
    }
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  // Starts the server, reads the port it bound and waits for SERVING.
  void StartAndWaitServing() {
    std::error_code ignored;
    std::filesystem::remove(port_file_, ignored);
    address_.clear();
    ASSERT_TRUE(server_->Start().ok());
    const absl::Time started = absl::Now();
    absl::Status serving = absl::UnavailableError("no port file yet");
    while (absl::Now() - started < kStartBound) {
      ASSERT_TRUE(server_->Running()) << "the server exited during start-up";
      if (address_.empty()) {
        const std::string port = ReadFile(port_file_);
        if (!port.empty() && port.back() == '\n') {
          address_ = "127.0.0.1:" + port.substr(0, port.size() - 1);
        }
      }
      if (!address_.empty()) {
        // A fresh channel per probe connects at once; a reused one would
        // wait out its reconnect backoff after a refused connection.
        serving = CheckServing(NewChannel(address_), absl::Milliseconds(250));
        if (serving.ok()) break;
      }
      absl::SleepFor(absl::Milliseconds(10));
    }
    const absl::Duration took = absl::Now() - started;
    ASSERT_TRUE(serving.ok()) << "not serving " << absl::FormatDuration(took)
                              << " after start: " << serving;
    max_start_ = std::max(max_start_, took);
    last_start_ = took;
  }

  // The server of the last round is still running when that round stopped
  // PostgreSQL (and started it again): it must say SERVING again by
  // itself, its pools back on the restarted database. Otherwise (a
  // SIGKILL) it is started.
  void EnsureServing() {
    if (!server_->Running()) return StartAndWaitServing();
    const absl::Time started = absl::Now();
    absl::Status serving = absl::UnavailableError("not probed");
    while (absl::Now() - started < kRecoverBound) {
      ASSERT_TRUE(server_->Running())
          << "the server exited while PostgreSQL came back";
      serving = CheckServing(NewChannel(address_), absl::Milliseconds(250));
      if (serving.ok()) break;
      absl::SleepFor(absl::Milliseconds(10));
    }
    const absl::Duration took = absl::Now() - started;
    ASSERT_TRUE(serving.ok()) << "the server, left running, is not serving "
                              << absl::FormatDuration(took)
                              << " after PostgreSQL started again: " << serving;
    max_recover_ = std::max(max_recover_, took);
    last_start_ = took;
  }

  std::unique_ptr<LoadClient> NewLoadClient() {
    return std::make_unique<LoadClient>(ledger_, NewChannel(address_), kToken,
                                        kInFlight);
  }

  // Start, load with 64 in flight for a random 100-800 ms, SIGKILL. On the
  // power-loss disk the shim may kill the server first, at a random I/O.
  // PgStop: in most rounds PostgreSQL is stopped instead (immediate
  // shutdown) with the load's calls in flight, and started again after a
  // pause; the server is left running.
  void KillRound(int round) {
    const bool stop_pg = StopsPostgres(round);
    ASSERT_NO_FATAL_FAILURE(EnsureServing());
    // The event stream after the restart, then a watcher live through this
    // round's load and kill (issue 14).
    ASSERT_NO_FATAL_FAILURE(VerifyEventsAfterRestart(round));
    LiveWatch watch(address_, live_progress_);
    const int delay_ms = std::uniform_int_distribution<int>(
        kMinKillDelayMs, kMaxKillDelayMs)(rng_);
    std::string how = "SIGKILL after " + std::to_string(delay_ms) + " ms";
    if (power_loss()) {
      // About 1-10 I/Os per millisecond under this load: most rounds end at
      // the chosen I/O, the rest at the timer.
      const int64_t io = std::uniform_int_distribution<int64_t>(1, 4000)(rng_);
      const int slow_ms = std::array<int, 4>{0, 0, 20, 50}[rng_() % 4];
      control_->kill_delay_ms = slow_ms;
      control_->kill_at_io = io;
      how = absl::StrCat("killed at I/O ", io, " (", slow_ms, " ms slow) or ",
                         how);
    }
    if (stop_pg) {
      how = absl::StrCat("PostgreSQL stopped (immediate) after ", delay_ms,
                         " ms");
    }
    const size_t queued_retries = ledger_->Unacknowledged();
    const int problems_before = static_cast<int>(ledger_->Problems().size());
    auto client = NewLoadClient();
    if (power_loss() && round % 3 == 2) {
      ASSERT_NO_FATAL_FAILURE(FsyncErrorUnderLoad(*client, round));
    }
    client->Drive(absl::Now() + absl::Milliseconds(delay_ms),
                  /*allow_new=*/true, round,
                  [this] { return server_->Running(); });
    const bool died_at_io = !server_->Running();
    if (stop_pg) {
      // Drive returned with its calls still in flight: in the writer's
      // transactions, or waiting for a connection.
      const absl::Status stopped = pg_->StopImmediately();
      ASSERT_TRUE(stopped.ok()) << stopped;
      ++pg_stops_;
    } else {
      server_->Kill();
    }
    if (power_loss()) {
      control_->kill_at_io = 0;
      how = died_at_io ? how.substr(0, how.find(" or "))
                       : "SIGKILL after " + std::to_string(delay_ms) + " ms";
    }
    // The kernel resets the dead server's connections, so every call still
    // in flight fails at once and goes back to the retry queue. (A server
    // whose database stopped answers them itself: UNAVAILABLE.)
    ASSERT_TRUE(client->WaitIdle(kRpcTimeout + absl::Seconds(5)));
    if (stop_pg) {
      // The calls in flight were answered (retryable, else the ledger has
      // a problem); the server lives on without its database.
      ASSERT_TRUE(server_->Running())
          << "the server exited when PostgreSQL stopped";
      const int new_problems =
          static_cast<int>(ledger_->Problems().size()) - problems_before;
      EXPECT_EQ(new_problems, 0)
          << "writes in flight when PostgreSQL stopped were answered with "
             "something other than OK or UNAVAILABLE, e.g. "
          << ledger_->Problems().back();
      const absl::Status health =
          CheckServing(NewChannel(address_), absl::Seconds(2));
      const int outage_ms =
          std::uniform_int_distribution<int>(0, kMaxOutageMs)(rng_);
      absl::SleepFor(absl::Milliseconds(outage_ms));
      const absl::Time restart = absl::Now();
      const absl::Status started = pg_->Start();
      ASSERT_TRUE(started.ok()) << started << "\n"
                                << ReadFile(dir_ + "/pg_ctl.log");
      absl::StrAppend(&how, ", down ", outage_ms,
                      " ms more (health meanwhile: ",
                      health.ok() ? "SERVING" : health.message(),
                      "), its start (WAL replay) took ",
                      absl::ToInt64Milliseconds(absl::Now() - restart), " ms");
    }
    watch.Stop();
    live_events_ = watch.events();
    live_progress_ = std::max(live_progress_, watch.progress());
    ASSERT_NO_FATAL_FAILURE(CutPower());
    const LedgerStats stats = ledger_->Stats();
    std::cout << "[crash] round " << round << ": serving "
              << absl::ToInt64Milliseconds(last_start_)
              << (round > 1 && StopsPostgres(round - 1)
                      ? " ms after PostgreSQL's start (not restarted); "
                      : " ms after exec; ")
              << how << " under load; retried " << queued_retries
              << " from earlier rounds; "
              << stats.creates + stats.adjusts + stats.orders + stats.payments +
                     stats.return_steps + stats.complaint_steps +
                     stats.feedback_items + stats.feedback_steps
              << " requests so far, " << stats.acked << " acknowledged, "
              << ledger_->Unacknowledged() << " waiting for a retry"
              << std::endl;
  }

  // One fsync fails under load, as Linux reports a lost writeback: the disk
  // lost what that sync should have kept, though the page cache still shows
  // it (the fault VFS remembers it for the power cut). The server must
  // refuse the batch, stop taking writes, reopen the database and then
  // serve again; the power cut at the end of the round then shows that
  // nothing acknowledged, before or after the error, was lost.
  void FsyncErrorUnderLoad(LoadClient& client, int round) {
    // The round's kill waits until the server serves again.
    const int64_t kill_at_io = control_->kill_at_io.exchange(0);
    const int64_t faults = control_->faults_injected.load();
    const int64_t reopens_logged = CountInLog("database reopened");
    control_->sync_failures_left = 1;
    const absl::Time started = absl::Now();
    client.Drive(started + absl::Seconds(30), /*allow_new=*/true, round,
                 [&] { return control_->faults_injected.load() == faults; });
    ASSERT_EQ(control_->faults_injected.load(), faults + 1)
        << "no fsync in 30 s of load";
    ASSERT_TRUE(client.WaitIdle(kRpcTimeout + absl::Seconds(5)));
    absl::Status serving = absl::UnavailableError("not probed");
    while (absl::Now() - started < absl::Seconds(60)) {
      serving = CheckServing(NewChannel(address_), absl::Milliseconds(250));
      if (serving.ok()) break;
      absl::SleepFor(absl::Milliseconds(20));
    }
    ASSERT_TRUE(serving.ok())
        << "not serving again after an fsync error: " << serving;
    EXPECT_EQ(CountInLog("database reopened"), reopens_logged + 1)
        << "the server did not reopen the database after the fsync error";
    ++fsync_errors_;
    control_->kill_at_io = kill_at_io;
    std::cout << "[crash] round " << round
              << ": an fsync failed under load; database reopened, serving "
                 "again after "
              << absl::ToInt64Milliseconds(absl::Now() - started) << " ms"
              << std::endl;
  }

  int64_t CountInLog(const std::string& needle) {
    const std::string log = ReadFile(log_path_);
    int64_t n = 0;
    for (size_t pos = log.find(needle); pos != std::string::npos;
         pos = log.find(needle, pos + 1)) {
      ++n;
    }
    return n;
  }

  // SIGKILL while the server opens the database left by the previous kill.
  void StartupKill() {
    ASSERT_TRUE(server_->Start().ok());
    const int delay_ms =
        std::uniform_int_distribution<int>(0, kMaxStartupKillDelayMs)(rng_);
    absl::SleepFor(absl::Milliseconds(delay_ms));
    server_->Kill();
    ++startup_kills_;
    std::cout << "[crash] SIGKILL " << delay_ms << " ms into start-up"
              << std::endl;
    ASSERT_NO_FATAL_FAILURE(CutPower());
  }

  // GetCustomer for every created customer: same id, name, phone and branch
  // as acknowledged, and the balance the acknowledged adjustments add up to.
  void VerifyViaRpc(LoadClient& client, const std::vector<Entry>& entries,
                    const std::map<std::string, int64_t>& balances) {
    std::vector<const Entry*> creates;
    for (const Entry& e : entries) {
      if (e.kind == Kind::kCreate && e.acks > 0) creates.push_back(&e);
    }
    std::vector<GetCustomerResponse> got(creates.size());
    std::vector<grpc::Status> status(creates.size());
    InFlightLimit limit(kInFlight);
    std::vector<std::unique_ptr<grpc::ClientContext>> contexts(creates.size());
    std::vector<GetCustomerRequest> requests(creates.size());
    for (size_t i = 0; i < creates.size(); ++i) {
      ASSERT_TRUE(limit.AcquireUntil(absl::Now() + kRpcTimeout));
      requests[i].set_customer_id(creates[i]->customer_id);
      contexts[i] = std::make_unique<grpc::ClientContext>();
      contexts[i]->AddMetadata("authorization",
                               absl::StrCat("Bearer ", kToken));
      contexts[i]->set_deadline(absl::ToChronoTime(absl::Now() + kRpcTimeout));
      client.stub().async()->GetCustomer(contexts[i].get(), &requests[i],
                                         &got[i],
                                         [&limit, &status, i](grpc::Status s) {
                                           status[i] = std::move(s);
                                           limit.Release();
                                         });
    }
    ASSERT_TRUE(limit.WaitIdle(kRpcTimeout + absl::Seconds(5)));
    int mismatches = 0;
    for (size_t i = 0; i < creates.size(); ++i) {
      const Entry& e = *creates[i];
      CreateCustomerResponse ack;
      ASSERT_TRUE(ack.ParseFromString(e.first_ack)) << e.request_id;
      const Customer& want = ack.customer();
      const Customer& have = got[i].customer();
      const auto balance = balances.find(e.customer_id);
      const int64_t want_balance =
          balance == balances.end() ? 0 : balance->second;
      const bool ok = status[i].ok() &&
                      have.customer_id() == want.customer_id() &&
                      have.display_name() == want.display_name() &&
                      have.phone() == want.phone() &&
                      have.branch_id() == want.branch_id() &&
                      have.points_balance() == want_balance;
      if (!ok && ++mismatches <= 10) {
        ADD_FAILURE() << e.request_id << ": GetCustomer(" << e.customer_id
                      << ") = code " << status[i].error_code() << " "
                      << status[i].error_message() << " {"
                      << have.ShortDebugString() << "}; acknowledged {"
                      << want.ShortDebugString() << "} with balance "
                      << want_balance;
      }
    }
    EXPECT_EQ(mismatches, 0);
  }

  // GetDailyReconciliation for every branch and business day that has a
  // slip: its sales are its slips' totals, its refunds the refunds recorded
  // in its hours for the branch's orders, and nothing fails to add up.
  void VerifyReconciliation() {
    std::unique_ptr<db::Connection> conn = OpenDatabase();
    ASSERT_NE(conn, nullptr);
    db::Connection& db = *conn;
    auto stub = orders::v1::OrderService::NewStub(NewChannel(address_));
    Query days(db,
               "SELECT branch_id, business_date, COUNT(*),"
               " CAST(SUM(total_minor) AS BIGINT)"
               " FROM settlements GROUP BY branch_id, business_date");
    int checked = 0;
    while (days.executeStep()) {
      const std::string branch = days.getColumn(0).getString();
      const int date = days.getColumn(1).getInt();
      orders::v1::GetDailyReconciliationRequest req;
      req.set_branch_id(branch);
      req.mutable_date()->set_year(date / 10000);
      req.mutable_date()->set_month(date / 100 % 100);
      req.mutable_date()->set_day(date % 100);
      orders::v1::GetDailyReconciliationResponse resp;
      grpc::ClientContext context;
      context.AddMetadata("authorization", absl::StrCat("Bearer ", kToken));
      context.set_deadline(absl::ToChronoTime(absl::Now() + kRpcTimeout));
      const grpc::Status status =
          stub->GetDailyReconciliation(&context, req, &resp);
      ASSERT_TRUE(status.ok())
          << branch << " " << date << ": " << status.error_message();
      const orders::v1::Reconciliation& r = resp.reconciliation();
      EXPECT_EQ(r.totals().settled_order_count(), days.getColumn(2).getInt64())
          << branch << " " << date;
      EXPECT_EQ(r.totals().sales().minor_units(), days.getColumn(3).getInt64())
          << branch << " " << date << ": sales vs the day's slips";
      Query refunds(
          db,
          "SELECT CAST(COALESCE(SUM(r.amount_minor), 0) AS BIGINT)"
          " FROM order_refunds r"
          " JOIN orders o ON o.id = r.order_row WHERE o.branch_id = ?1"
          " AND r.create_time_us >= ?2 AND r.create_time_us < ?3");
      refunds.bind(1, branch);
      refunds.bind(
          2, static_cast<int64_t>(
                 google::protobuf::util::TimeUtil::TimestampToMicroseconds(
                     r.start_time())));
      refunds.bind(
          3, static_cast<int64_t>(
                 google::protobuf::util::TimeUtil::TimestampToMicroseconds(
                     r.end_time())));
      ASSERT_TRUE(refunds.executeStep());
      EXPECT_EQ(r.totals().refunds().minor_units(),
                refunds.getColumn(0).getInt64())
          << branch << " " << date << ": refunds vs the day's refund rows";
      EXPECT_EQ(r.discrepancies_size(), 0)
          << branch << " " << date << ": "
          << (r.discrepancies_size() > 0 ? r.discrepancies(0).ShortDebugString()
                                         : "");
      ++checked;
    }
    reconciled_days_ = checked;
  }

  // GetSatisfactionReport over every day with feedback, chain-wide: its
  // figures come from the daily rollups, so each must equal the count (or
  // sum) of the rows it covers, read straight from the database.
  void VerifySatisfactionReport() {
    std::unique_ptr<db::Connection> conn = OpenDatabase();
    ASSERT_NE(conn, nullptr);
    db::Connection& db = *conn;
    auto scalar = [&db](const std::string& sql) -> int64_t {
      Query q(db, sql);
      return q.executeStep() ? q.getColumn(0).getInt64() : -1;
    };
    if (scalar("SELECT COUNT(*) FROM feedback_daily") == 0) {
      ADD_FAILURE() << "no feedback recorded: the load sent none";
      return;
    }
    // Business days, as days since 1970-01-01 in the chain's zone.
    constexpr char kDays[] =
        " FROM (SELECT day FROM feedback_items"
        " UNION SELECT day FROM survey_responses) AS d";
    const absl::CivilDay epoch(1970, 1, 1);
    const absl::CivilDay first =
        epoch + scalar(absl::StrCat("SELECT MIN(day)", kDays));
    const absl::CivilDay last =
        epoch + scalar(absl::StrCat("SELECT MAX(day)", kDays));
    feedback::v1::GetSatisfactionReportRequest req;
    for (auto [date, d] : {std::pair{req.mutable_start_date(), first},
                           std::pair{req.mutable_end_date(), last}}) {
      date->set_year(static_cast<int32_t>(d.year()));
      date->set_month(d.month());
      date->set_day(d.day());
    }
    req.set_top(50);
    feedback::v1::GetSatisfactionReportResponse resp;
    grpc::ClientContext context;
    context.AddMetadata("authorization", absl::StrCat("Bearer ", kToken));
    context.set_deadline(absl::ToChronoTime(absl::Now() + kRpcTimeout));
    auto stub = feedback::v1::FeedbackService::NewStub(NewChannel(address_));
    const grpc::Status status =
        stub->GetSatisfactionReport(&context, req, &resp);
    ASSERT_TRUE(status.ok()) << status.error_message();
    const feedback::v1::SatisfactionReport& r = resp.report();
    EXPECT_EQ(r.feedback_count(), scalar("SELECT COUNT(*) FROM feedback_items"))
        << "report's feedback count vs feedback_items rows";
    EXPECT_EQ(r.response_count(),
              scalar("SELECT COUNT(*) FROM survey_responses"))
        << "report's response count vs survey_responses rows";
    for (const auto& [figures, source] :
         {std::pair{&r.survey_ratings(), 1},
          std::pair{&r.feedback_ratings(), 2}}) {
      const std::string where = absl::StrCat(
          " FROM feedback_scores WHERE kind = 1 AND source = ", source);
      EXPECT_EQ(figures->count(), scalar("SELECT COUNT(*)" + where))
          << "source " << source << ": ratings counted vs score rows";
      EXPECT_EQ(figures->satisfied(),
                scalar("SELECT COUNT(*)" + where + " AND value >= 4"))
          << "source " << source << ": satisfied vs score rows";
      const int64_t sum =
          scalar("SELECT CAST(COALESCE(SUM(value), 0) AS BIGINT)" + where);
      EXPECT_NEAR(figures->average() * static_cast<double>(figures->count()),
                  static_cast<double>(sum), 1e-6 * static_cast<double>(sum + 1))
          << "source " << source << ": rating sum vs score rows";
    }
    EXPECT_EQ(r.nps().count(),
              scalar("SELECT COUNT(*) FROM feedback_scores WHERE kind = 2"));
    EXPECT_EQ(r.nps().promoters(),
              scalar("SELECT COUNT(*) FROM feedback_scores WHERE kind = 2"
                     " AND value >= 9"));
    EXPECT_EQ(r.nps().detractors(),
              scalar("SELECT COUNT(*) FROM feedback_scores WHERE kind = 2"
                     " AND value <= 6"));
    int bad_terms = 0;
    for (const auto& [terms, kind] :
         {std::pair{&r.top_negative_topics(), 1},
          std::pair{&r.top_negative_keywords(), 2}}) {
      for (const feedback::v1::TermCount& t : *terms) {
        Query q(db,
                "SELECT COUNT(*) FROM feedback_terms WHERE"
                " negative = 1 AND kind = ?1 AND term = ?2");
        q.bind(1, kind);
        q.bind(2, t.term());
        q.executeStep();
        if (q.getColumn(0).getInt64() != t.count() && ++bad_terms <= 5) {
          ADD_FAILURE() << "report: negative term '" << t.term() << "' counted "
                        << t.count() << " times, feedback_terms has "
                        << q.getColumn(0).getInt64();
        }
      }
    }
    EXPECT_EQ(bad_terms, 0);
    EXPECT_GT(r.top_negative_topics_size(), 0)
        << "no negative topics: the load's complaints were not analysed";
  }

  // PostgreSQL's integrity_check: amcheck (postgresql-contrib, in Debian's
  // postgresql package) reads every page of every table (verify_heapam,
  // with their TOAST) and checks every B-tree index's order and that it
  // holds every row (bt_index_check with heapallindexed). Creating the
  // extension takes a superuser, which scripts/pg's user is. Then the
  // event sequencer's promise: every committed event numbered, the numbers
  // 1..head without a gap or a repeat.
  void CheckPostgresIntegrity(db::Connection& db) {
    try {
      db.Exec("CREATE EXTENSION IF NOT EXISTS amcheck");
    } catch (const std::exception& e) {
      FAIL() << "CREATE EXTENSION amcheck: " << e.what()
             << " (amcheck is in postgresql-contrib; the test's user must be "
                "a superuser)";
    }
    int tables = 0, corrupt = 0;
    {
      Query q(db,
              "SELECT c.relname, v.blkno, v.offnum, v.msg"
              " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
              " LEFT JOIN LATERAL verify_heapam(c.oid, check_toast => true) v"
              "   ON true"
              " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'm')"
              " ORDER BY c.relname");
      std::string last;
      while (q.executeStep()) {
        if (q.getColumn(0).getString() != last) ++tables;
        last = q.getColumn(0).getString();
        if (q.getColumn(3).isNull()) continue;
        if (++corrupt <= 10) {
          ADD_FAILURE() << "verify_heapam: " << last << " block "
                        << q.getColumn(1).getString() << " offset "
                        << q.getColumn(2).getString() << ": "
                        << q.getColumn(3).getString();
        }
      }
    }
    int indexes = 0;
    {
      // A corrupt index raises an error: Query reports it with the SQL.
      Query q(db,
              "SELECT c.relname, bt_index_check(c.oid, true)"
              " FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
              " JOIN pg_am am ON am.oid = c.relam"
              " JOIN pg_namespace n ON n.oid = c.relnamespace"
              " WHERE am.amname = 'btree' AND c.relkind = 'i'"
              "   AND n.nspname = 'public'");
      while (q.executeStep()) ++indexes;
    }
    EXPECT_EQ(corrupt, 0) << "tables verify_heapam finds corrupt";
    EXPECT_GT(tables, 20) << "verify_heapam checked too few tables";
    EXPECT_GT(indexes, 20) << "bt_index_check checked too few indexes";
    integrity_ = absl::StrCat(corrupt == 0 ? "ok" : "CORRUPT", " (", tables,
                              " tables, ", indexes, " indexes)");
    // The sequencer's numbers.
    Query q(db,
            "SELECT (SELECT COUNT(*) FROM events),"
            " (SELECT COUNT(*) FROM events WHERE event_id IS NULL),"
            " (SELECT COUNT(DISTINCT event_id) FROM events),"
            " (SELECT COALESCE(MIN(event_id), 0) FROM events),"
            " (SELECT COALESCE(MAX(event_id), 0) FROM events),"
            " (SELECT head FROM event_sequencer)");
    ASSERT_TRUE(q.executeStep());
    const int64_t events = q.getColumn(0).getInt64();
    EXPECT_EQ(q.getColumn(1).getInt64(), 0) << "events left unnumbered";
    EXPECT_EQ(q.getColumn(2).getInt64(), events) << "event numbers given twice";
    EXPECT_EQ(q.getColumn(3).getInt64(), events == 0 ? 0 : 1);
    EXPECT_EQ(q.getColumn(4).getInt64(), events)
        << "a gap in the event numbers";
    EXPECT_EQ(q.getColumn(5).getInt64(), events)
        << "event_sequencer.head vs the events numbered";
  }

  // Checks the database file itself, read-only, after the clean shutdown.
  void VerifyDatabase(const std::vector<Entry>& entries,
                      const std::map<std::string, int64_t>& balances) {
    std::unique_ptr<db::Connection> conn = OpenDatabase();
    ASSERT_NE(conn, nullptr);
    db::Connection& db = *conn;
    auto scalar = [&db](const std::string& sql) {
      Query q(db, sql);
      return q.executeStep() ? q.getColumn(0).getString() : std::string();
    };
    // One bound parameter: a statement prepared once, run per request.
    auto scalar_of = [&db](const std::string& sql, const std::string& param) {
      Query q(db, sql);
      q.bind(1, param);
      return q.executeStep() ? q.getColumn(0).getString() : std::string();
    };
    if (on_postgres()) {
      ASSERT_NO_FATAL_FAILURE(CheckPostgresIntegrity(db));
    } else {
      integrity_ = scalar("PRAGMA integrity_check");
      EXPECT_EQ(integrity_, "ok");
      EXPECT_EQ(scalar("SELECT COUNT(*) FROM pragma_foreign_key_check"), "0");
    }

    size_t creates = 0, adjusts = 0, order_creates = 0, pays = 0;
    // Acknowledged CompleteReturn answers: the returns completed, of which
    // exchanges, and those that took earned points back.
    size_t returns_done = 0, exchanges_done = 0, reversals = 0;
    size_t complaint_creates = 0;
    // Feedback: requests of each kind, escalations acknowledged (a complaint
    // opened), and the follow-ups acknowledged as made.
    size_t surveys = 0, feedback_submits = 0, escalations = 0,
           response_submits = 0, follow_ups_scheduled = 0;
    std::set<std::string> follow_ups_completed;
    for (const Entry& e : entries) {
      switch (e.kind) {
        case Kind::kCreate:
          ++creates;
          break;
        case Kind::kAdjust:
          ++adjusts;
          break;
        case Kind::kCreateOrder:
          ++order_creates;
          break;
        case Kind::kPay:
          ++pays;
          break;
        case Kind::kCreateComplaint:
          ++complaint_creates;
          break;
        case Kind::kCreateSurvey:
          ++surveys;
          break;
        case Kind::kSubmitFeedback:
          ++feedback_submits;
          if (e.acks > 0) {
            feedback::v1::SubmitFeedbackResponse ack;
            ack.ParseFromString(e.first_ack);
            escalations += ack.feedback().complaint_id().empty() ? 0 : 1;
          }
          break;
        case Kind::kSubmitSurveyResponse:
          ++response_submits;
          break;
        case Kind::kScheduleFollowUp:
          ++follow_ups_scheduled;
          break;
        case Kind::kCompleteFollowUp:
          if (e.acks > 0) follow_ups_completed.insert(e.customer_id);
          break;
        case Kind::kCompleteReturn:
          if (e.acks > 0) {
            orders::v1::CompleteReturnResponse ack;
            ack.ParseFromString(e.first_ack);
            ++returns_done;
            exchanges_done += ack.has_exchange_order() ? 1 : 0;
            reversals += ack.order_return().points_reversed() > 0 ? 1 : 0;
          }
          break;
        default:
          break;
      }
    }

    // Exactly one row per create request. Each request has its own phone,
    // so a create executed twice would rather fail with ALREADY_EXISTS than
    // add a row; the audit's OK count below catches that case too.
    struct Row {
      std::string name, phone, branch;
      int64_t balance;
    };
    std::map<std::string, Row> customers;
    {
      Query q(
          db,
          "SELECT customer_id, display_name, phone, branch_id, points_balance"
          " FROM customers");
      while (q.executeStep()) {
        customers[q.getColumn(0).getString()] =
            Row{q.getColumn(1).getString(), q.getColumn(2).getString(),
                q.getColumn(3).getString(), q.getColumn(4).getInt64()};
      }
    }
    customer_rows_ = customers.size();
    EXPECT_EQ(customers.size(), creates)
        << "customers rows vs distinct create requests";
    EXPECT_EQ(scalar("SELECT COUNT(DISTINCT phone) FROM customers"),
              std::to_string(creates));

    struct Txn {
      std::string customer_id;
      int64_t delta, balance_after;
    };
    std::map<std::string, Txn> txns;
    {
      Query q(db,
              "SELECT t.transaction_id, c.customer_id, t.delta, t.balance_after"
              " FROM points_transactions t JOIN customers c ON c.id = "
              "t.customer_row");
      while (q.executeStep()) {
        txns[q.getColumn(0).getString()] =
            Txn{q.getColumn(1).getString(), q.getColumn(2).getInt64(),
                q.getColumn(3).getInt64()};
      }
    }
    points_rows_ = txns.size();
    // Ledger rows: one per AdjustPoints request, one per member order that
    // earned points when it became paid, one per return that took earned
    // points back.
    const std::string earned_rows = scalar(
        "SELECT COUNT(*) FROM orders WHERE customer_id != ''"
        " AND points_earned > 0");
    EXPECT_EQ(std::to_string(txns.size() - adjusts - reversals), earned_rows)
        << "ledger rows vs AdjustPoints requests + orders that earned points"
           " + returns that took points back";
    // The stored running balance must add up in commit order.
    EXPECT_EQ(
        scalar("SELECT COUNT(*) FROM points_transactions t WHERE "
               "t.balance_after !="
               " (SELECT SUM(delta) FROM points_transactions u"
               "  WHERE u.customer_row = t.customer_row AND u.id <= t.id)"),
        "0");
    // Cross-table invariants. Each balance is the sum of its ledger...
    EXPECT_EQ(scalar("SELECT COUNT(*) FROM customers c WHERE c.points_balance"
                     " != (SELECT COALESCE(SUM(delta), 0)"
                     "     FROM points_transactions t"
                     "     WHERE t.customer_row = c.id)"),
              "0");
    // ...and each change has its event. A customer: its creation, each
    // ledger row, each purchase recorded (an order that became paid), each
    // return recorded (a completed return of one of its orders).
    constexpr char kPaidEver[] = "o.paid_time_us IS NOT NULL";
    EXPECT_EQ(
        scalar(absl::StrCat("SELECT COUNT(*) FROM customers c WHERE"
                            " (SELECT COUNT(*) FROM events e"
                            "  WHERE e.resource_type = 'customer'"
                            "    AND e.resource_id = c.customer_id) !="
                            " 1 + (SELECT COUNT(*) FROM points_transactions t"
                            "      WHERE t.customer_row = c.id)"
                            "   + (SELECT COUNT(*) FROM orders o"
                            "      WHERE o.customer_id = c.customer_id AND ",
                            kPaidEver,
                            ")"
                            "   + (SELECT COUNT(*) FROM order_returns r"
                            "      WHERE r.customer_id = c.customer_id"
                            "        AND r.status = 5)")),
        "0");
    // An order: its creation, each tender recorded, its completion, each
    // completed return. (An exchange's new order: its creation and the
    // credit that paid it, settled in one step.)
    EXPECT_EQ(scalar("SELECT COUNT(*) FROM orders o WHERE"
                     " (SELECT COUNT(*) FROM events e"
                     "  WHERE e.resource_type = 'order'"
                     "    AND e.resource_id = o.order_id) !="
                     " 1 + (SELECT COUNT(*) FROM order_payments p"
                     "      WHERE p.order_row = o.id)"
                     "   + CASE WHEN o.complete_time_us IS NOT NULL"
                     "     THEN 1 ELSE 0 END"
                     "   + (SELECT COUNT(*) FROM order_returns r"
                     "      WHERE r.order_row = o.id AND r.status = 5)"),
              "0");
    // A return: one event per step (its revision).
    EXPECT_EQ(scalar("SELECT COUNT(*) FROM order_returns r WHERE"
                     " (SELECT COUNT(*) FROM events e"
                     "  WHERE e.resource_type = 'return'"
                     "    AND e.resource_id = r.return_id) != r.revision"),
              "0");
    EXPECT_EQ(scalar("SELECT COUNT(*) FROM events"),
              scalar(absl::StrCat(
                  "SELECT CAST((SELECT COUNT(*) FROM customers)"
                  " + (SELECT COUNT(*) FROM points_transactions)"
                  " + (SELECT COUNT(*) FROM orders o WHERE customer_id != ''"
                  "    AND ",
                  kPaidEver,
                  ")"
                  " + 2 * (SELECT COUNT(*) FROM order_returns WHERE status = 5"
                  "        AND customer_id != '')"
                  " + (SELECT COUNT(*) FROM order_returns"
                  "    WHERE status = 5 AND customer_id = '')"
                  " + (SELECT COUNT(*) FROM orders)"
                  " + (SELECT COUNT(*) FROM order_payments)"
                  " + (SELECT COUNT(*) FROM orders"
                  "    WHERE complete_time_us IS NOT NULL)"
                  " + (SELECT COALESCE(SUM(revision), 0) FROM order_returns)"
                  " + (SELECT COALESCE(SUM(revision), 0) FROM complaints)"
                  " + (SELECT COUNT(*) FROM surveys)"
                  " + (SELECT COUNT(*) FROM feedback_items)"
                  " + (SELECT COUNT(*) FROM survey_responses)"
                  " + (SELECT COALESCE(SUM(revision), 0) FROM follow_ups)"
                  " AS BIGINT)")))
        << "events that belong to no change";

    // Orders: one row per CreateOrder request and per completed exchange;
    // one payment row per PayOrder request and per exchange credit; no
    // order overpaid and no tender refunded beyond its amount; an order's
    // paid amount is its succeeded tenders minus its refunds; its
    // succeeded tenders make its total exactly when it is paid or later;
    // one slip per such order, for its total; each customer's order count
    // is its paid orders not wholly returned.
    constexpr char kPaidOrLater[] = "status IN (2, 3, 5, 6)";
    order_rows_ = std::stoul(scalar("SELECT COUNT(*) FROM orders"));
    EXPECT_EQ(order_rows_, order_creates + exchanges_done)
        << "orders rows vs CreateOrder + exchanges";
    payment_rows_ = std::stoul(scalar("SELECT COUNT(*) FROM order_payments"));
    EXPECT_EQ(payment_rows_, pays + exchanges_done)
        << "payment rows vs PayOrder requests + exchange credits";
    EXPECT_EQ(scalar("SELECT COUNT(*) FROM orders WHERE paid_minor >"
                     " total_minor"),
              "0")
        << "overpaid orders";
    EXPECT_EQ(scalar("SELECT COUNT(*) FROM order_payments p WHERE"
                     " (SELECT COALESCE(SUM(r.amount_minor), 0)"
                     "  FROM order_refunds r WHERE r.payment_id = p.payment_id)"
                     " > p.amount_minor"),
              "0")
        << "tenders refunded beyond their amount";
    EXPECT_EQ(scalar("SELECT COUNT(*) FROM orders o WHERE o.paid_minor !="
                     " (SELECT COALESCE(SUM(amount_minor), 0)"
                     "  FROM order_payments p"
                     "  WHERE p.order_row = o.id AND p.outcome = 1)"
                     " - (SELECT COALESCE(SUM(amount_minor), 0)"
                     "  FROM order_refunds r WHERE r.order_row = o.id)"),
              "0")
        << "orders whose paid amount is not their tenders minus refunds";
    EXPECT_EQ(scalar(absl::StrCat(
                  "SELECT COUNT(*) FROM orders o WHERE (o.", kPaidOrLater,
                  ") != ((SELECT COALESCE(SUM(amount_minor), 0)"
                  "  FROM order_payments p"
                  "  WHERE p.order_row = o.id AND p.outcome = 1)"
                  " = o.total_minor)")),
              "0")
        << "orders PAID without their total, or their total without PAID";
    paid_orders_ = std::stoul(scalar(
        absl::StrCat("SELECT COUNT(*) FROM orders WHERE ", kPaidOrLater)));
    EXPECT_EQ(scalar(absl::StrCat("SELECT COUNT(*) FROM settlements s JOIN "
                                  "orders o ON o.id = s.order_row WHERE o.",
                                  kPaidOrLater,
                                  " AND s.total_minor = o.total_minor")),
              std::to_string(paid_orders_))
        << "paid orders vs their slips";
    EXPECT_EQ(scalar("SELECT COUNT(*) FROM settlements"),
              std::to_string(paid_orders_));
    // Purchases: paid orders not wholly returned for money. An exchange's
    // new order continues its original (which still counts when the
    // exchange brought all its goods back) and never counts itself. Each
    // crash-test order has at most one return.
    EXPECT_EQ(scalar("SELECT COUNT(*) FROM customers c WHERE c.order_count !="
                     " (SELECT COUNT(*) FROM orders o"
                     "  WHERE o.customer_id = c.customer_id"
                     "    AND o.exchange_return_id = ''"
                     "    AND (o.status IN (2, 3, 5) OR (o.status = 6 AND"
                     "     EXISTS (SELECT 1 FROM orders x JOIN order_returns r"
                     "      ON r.return_id = x.exchange_return_id"
                     "      WHERE r.order_row = o.id))))"),
              "0")
        << "customers whose order count is not their purchases";
    // Returns: an order is (partly) returned exactly when it has a
    // completed return; each completed return's refunds add up to its
    // value; each completed exchange has one new order, paid.
    returns_done_ = returns_done;
    EXPECT_EQ(scalar("SELECT COUNT(*) FROM order_returns WHERE status = 5"),
              std::to_string(returns_done))
        << "completed returns vs acknowledged CompleteReturn";
    EXPECT_EQ(scalar("SELECT COUNT(*) FROM orders o WHERE (o.status IN (5, 6))"
                     " != EXISTS (SELECT 1 FROM order_returns r"
                     "  WHERE r.order_row = o.id AND r.status = 5)"),
              "0")
        << "orders returned without a completed return, or the reverse";
    {
      Query q(db, "SELECT return_id, status, body FROM order_returns");
      int bad = 0;
      while (q.executeStep()) {
        orders::v1::Return r;
        const absl::string_view body = q.getColumn(2).getBlob();
        if (!r.ParseFromArray(body.data(), static_cast<int>(body.size())) ||
            r.return_id() != q.getColumn(0).getString() ||
            r.status() != q.getColumn(1).getInt()) {
          if (++bad <= 5) ADD_FAILURE() << "unreadable return row";
          continue;
        }
        if (r.status() != orders::v1::RETURN_STATUS_COMPLETED) continue;
        const std::string refunded = scalar(
            absl::StrCat("SELECT CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT)"
                         " FROM order_refunds WHERE return_id = '",
                         r.return_id(), "'"));
        if (refunded != std::to_string(r.refund_total().minor_units()) &&
            ++bad <= 5) {
          ADD_FAILURE() << r.return_id() << " refunded " << refunded
                        << " for a value of " << r.refund_total().minor_units();
        }
        if (r.type() == orders::v1::RETURN_TYPE_EXCHANGE &&
            scalar(absl::StrCat("SELECT COUNT(*) FROM orders WHERE"
                                " exchange_return_id = '",
                                r.return_id(), "' AND order_id = '",
                                r.exchange_order_id(), "' AND status = 2")) !=
                "1" &&
            ++bad <= 5) {
          ADD_FAILURE() << r.return_id() << ": its exchange order "
                        << r.exchange_order_id() << " is missing or unpaid";
        }
      }
      EXPECT_EQ(bad, 0);
    }
    // Complaints: one row per CreateComplaint request, three clocks each;
    // each step (create, assign, respond) moved it exactly once: its
    // revision, status, history and events agree, and the first answer
    // stopped the first-response clock.
    complaint_rows_ = std::stoul(scalar("SELECT COUNT(*) FROM complaints"));
    EXPECT_EQ(complaint_rows_, complaint_creates + escalations)
        << "complaints rows vs CreateComplaint requests + escalated feedback";
    EXPECT_EQ(scalar("SELECT COUNT(*) FROM complaints c WHERE"
                     " (SELECT COUNT(*) FROM complaint_clocks k"
                     "  WHERE k.complaint_row = c.id) != 3"),
              "0")
        << "complaints without exactly three clocks";
    EXPECT_EQ(scalar("SELECT COUNT(*) FROM complaints WHERE status !="
                     " CASE revision WHEN 1 THEN 1 WHEN 2 THEN 2 WHEN 3 THEN 3"
                     " ELSE -1 END"),
              "0")
        << "complaints whose status does not match their steps";
    EXPECT_EQ(scalar("SELECT COUNT(*) FROM complaints c WHERE"
                     " (SELECT COUNT(*) FROM complaint_history h"
                     "  WHERE h.complaint_row = c.id) !="
                     " CASE c.revision WHEN 1 THEN 1 WHEN 2 THEN 2 ELSE 4 END"),
              "0")
        << "complaints whose history does not match their steps";
    EXPECT_EQ(scalar("SELECT COUNT(*) FROM complaints c WHERE"
                     " (SELECT COUNT(*) FROM events e"
                     "  WHERE e.resource_type = 'complaint'"
                     "    AND e.resource_id = c.complaint_id) != c.revision"),
              "0")
        << "complaints whose events do not match their revision";
    EXPECT_EQ(scalar("SELECT COUNT(*) FROM complaints c JOIN complaint_clocks k"
                     " ON k.complaint_row = c.id AND k.kind = 1"
                     " WHERE (k.stop_us IS NOT NULL) != (c.revision = 3)"),
              "0")
        << "first-response clocks stopped without an answer, or not stopped";
    EXPECT_EQ(scalar("SELECT COUNT(*) FROM complaints c WHERE NOT EXISTS"
                     " (SELECT 1 FROM complaint_keywords k"
                     "  WHERE k.complaint_row = c.id)"),
              "0")
        << "complaints without the analyser's keywords";
    EXPECT_EQ(
        scalar("SELECT COUNT(*) FROM orders WHERE exchange_return_id != ''"),
        std::to_string(exchanges_done))
        << "exchange orders vs completed exchanges";
    ASSERT_NO_FATAL_FAILURE(VerifyFeedbackTables(
        db, surveys, feedback_submits, escalations, response_submits,
        follow_ups_scheduled, follow_ups_completed.size()));
    std::map<std::string, std::string> payments;  // payment_id -> order_id
    {
      Query q(db,
              "SELECT p.payment_id, o.order_id, p.amount_minor"
              " FROM order_payments p JOIN orders o"
              " ON o.id = p.order_row");
      while (q.executeStep()) {
        payments[q.getColumn(0).getString()] = absl::StrCat(
            q.getColumn(1).getString(), "/", q.getColumn(2).getInt64());
      }
    }
    EXPECT_EQ(scalar("SELECT COUNT(*) FROM idempotency_keys"),
              std::to_string(entries.size()));

    // Per request_id: exactly one execution ("OK"), and at least as many
    // executions plus replays as answers the client received; an answer the
    // database has no trace of would be a lost acknowledged write.
    // request_id -> (OK rows, REPLAYED rows)
    std::map<std::string, std::pair<int, int>> audit;
    {
      Query q(db,
              absl::StrCat("SELECT request_id, SUM(", AsInt("outcome = 'OK'"),
                           "), SUM(", AsInt("outcome = 'REPLAYED'"),
                           ") FROM audit_log WHERE request_id != ''"
                           " GROUP BY request_id"));
      while (q.executeStep()) {
        audit[q.getColumn(0).getString()] = {q.getColumn(1).getInt(),
                                             q.getColumn(2).getInt()};
      }
    }

    // The feedback rows, by their ids.
    struct FeedbackRow {
      std::string customer, branch, order, complaint;
      int rating = 0;
      bool needs_review = false;
      // Its feedback_terms rows: topics (kind 1) and keywords (kind 2).
      std::set<std::string> topics, keywords;
    };
    std::map<std::string, FeedbackRow> feedback_rows;
    {
      Query q(db,
              "SELECT feedback_id, customer_id, branch_id, order_id,"
              " complaint_id, rating, needs_review, id"
              " FROM feedback_items");
      std::map<int64_t, FeedbackRow*> by_row;
      while (q.executeStep()) {
        FeedbackRow& row = feedback_rows[q.getColumn(0).getString()];
        row = FeedbackRow{q.getColumn(1).getString(),
                          q.getColumn(2).getString(),
                          q.getColumn(3).getString(),
                          q.getColumn(4).getString(),
                          q.getColumn(5).getInt(),
                          q.getColumn(6).getInt() == 1,
                          {},
                          {}};
        by_row[q.getColumn(7).getInt64()] = &row;
      }
      Query t(db,
              "SELECT ref_row, kind, term FROM feedback_terms"
              " WHERE source = 2");
      while (t.executeStep()) {
        const auto row = by_row.find(t.getColumn(0).getInt64());
        if (row == by_row.end()) continue;  // reported above
        (t.getColumn(1).getInt() == 1 ? row->second->topics
                                      : row->second->keywords)
            .insert(t.getColumn(2).getString());
      }
    }
    // complaint_id -> (feedback_id, customer_id, order_id)
    std::map<std::string, std::array<std::string, 3>> complaint_rows;
    {
      Query q(db,
              "SELECT complaint_id, feedback_id, customer_id,"
              " order_id FROM complaints");
      while (q.executeStep()) {
        complaint_rows[q.getColumn(0).getString()] = {
            q.getColumn(1).getString(), q.getColumn(2).getString(),
            q.getColumn(3).getString()};
      }
    }
    // response_id -> survey/customer/order/complaint/branch
    std::map<std::string, std::string> response_rows;
    {
      Query q(db,
              "SELECT response_id, survey_id || '/' || customer_id"
              " || '/' || order_id || '/' || complaint_id || '/' ||"
              " branch_id FROM survey_responses");
      while (q.executeStep()) {
        response_rows[q.getColumn(0).getString()] = q.getColumn(1).getString();
      }
    }
    struct FollowUpRow {
      std::string customer, order, complaint;
      int status = 0, outcome = 0, satisfaction = 0;
      int64_t complete_us = -1;  // -1: NULL
      bool automatic = false;
    };
    std::map<std::string, FollowUpRow> follow_up_rows;
    {
      Query q(db,
              "SELECT follow_up_id, customer_id, order_id,"
              " complaint_id, status, outcome, satisfaction,"
              " COALESCE(complete_time_us, -1), automatic"
              " FROM follow_ups");
      while (q.executeStep()) {
        follow_up_rows[q.getColumn(0).getString()] = FollowUpRow{
            q.getColumn(1).getString(), q.getColumn(2).getString(),
            q.getColumn(3).getString(), q.getColumn(4).getInt(),
            q.getColumn(5).getInt(),    q.getColumn(6).getInt(),
            q.getColumn(7).getInt64(),  q.getColumn(8).getInt() == 1};
      }
    }

    int problems = 0;
    auto report = [&problems](const std::string& what) {
      if (++problems <= 20) ADD_FAILURE() << what;
    };
    for (const Entry& e : entries) {
      const auto [oks, replays] = audit[e.request_id];
      // An acknowledged request ran exactly once; a refused one at most once.
      if (e.acks > 0 ? oks != 1 : oks > 1) {
        report(absl::StrCat(e.request_id, ": executed ", oks, " times"));
      }
      if (e.acks == 0) continue;  // refused for good; reported already
      if (oks + replays < e.acks) {
        report(absl::StrCat(e.request_id, ": ", e.acks, " answers but only ",
                            oks + replays, " committed executions/replays"));
      }
      lost_acks_ += std::max(0, oks + replays - e.acks);
      if (IsFeedback(e.kind)) {
        feedback_retried_ += e.first_ack_attempt > 1 ? 1 : 0;
        feedback_lost_acks_ += std::max(0, oks + replays - e.acks);
      }
      if (e.kind == Kind::kCreate) {
        CreateCustomerResponse ack;
        ack.ParseFromString(e.first_ack);
        const Customer& c = ack.customer();
        const auto row = customers.find(c.customer_id());
        if (c.display_name() != e.create.customer().display_name() ||
            c.phone() != e.create.customer().phone() ||
            c.branch_id() != e.create.customer().branch_id()) {
          report(absl::StrCat(e.request_id, ": acknowledged ",
                              c.ShortDebugString(), " for request ",
                              e.create.ShortDebugString()));
        }
        if (row == customers.end()) {
          report(absl::StrCat(e.request_id, ": acknowledged customer ",
                              c.customer_id(), " is missing"));
          continue;
        }
        const auto balance = balances.find(c.customer_id());
        if (row->second.name != c.display_name() ||
            row->second.phone != c.phone() ||
            row->second.branch != c.branch_id() ||
            row->second.balance !=
                (balance == balances.end() ? 0 : balance->second)) {
          report(absl::StrCat(e.request_id, ": row for ", c.customer_id(),
                              " differs from the acknowledgement"));
        }
      } else if (e.kind == Kind::kCreateOrder) {
        orders::v1::CreateOrderResponse ack;
        ack.ParseFromString(e.first_ack);
        if (ack.order().order_id().empty() ||
            scalar_of("SELECT COUNT(*) FROM orders WHERE order_id = ?1",
                      ack.order().order_id()) != "1") {
          report(absl::StrCat(e.request_id, ": acknowledged order ",
                              ack.order().order_id(), " is missing"));
        }
      } else if (e.kind == Kind::kPay) {
        orders::v1::PayOrderResponse ack;
        ack.ParseFromString(e.first_ack);
        const auto row = payments.find(ack.payment().payment_id());
        const std::string want = absl::StrCat(
            e.pay.order_id(), "/", e.pay.payment().amount().minor_units());
        if (row == payments.end()) {
          report(absl::StrCat(e.request_id, ": acknowledged payment ",
                              ack.payment().payment_id(), " is missing"));
        } else if (row->second != want) {
          report(absl::StrCat(e.request_id, ": stored payment ", row->second,
                              " differs from the acknowledged ", want));
        }
      } else if (e.kind == Kind::kAdjust) {
        AdjustPointsResponse ack;
        ack.ParseFromString(e.first_ack);
        const auto& t = ack.transaction();
        if (t.delta() != e.adjust.delta() ||
            t.customer_id() != e.adjust.customer_id() ||
            ack.customer().points_balance() != t.balance_after()) {
          report(absl::StrCat(e.request_id, ": acknowledged ",
                              t.ShortDebugString(), " for request ",
                              e.adjust.ShortDebugString()));
        }
        const auto row = txns.find(t.transaction_id());
        if (row == txns.end()) {
          report(absl::StrCat(e.request_id,
                              ": acknowledged points transaction ",
                              t.transaction_id(), " is missing"));
        } else if (row->second.customer_id != t.customer_id() ||
                   row->second.delta != t.delta() ||
                   row->second.balance_after != t.balance_after()) {
          report(absl::StrCat(e.request_id, ": stored transaction ",
                              t.transaction_id(),
                              " differs from the acknowledgement"));
        }
      } else if (e.kind == Kind::kCreateSurvey) {
        feedback::v1::CreateSurveyResponse ack;
        ack.ParseFromString(e.first_ack);
        if (scalar("SELECT COUNT(*) FROM surveys WHERE survey_id = '" +
                   ack.survey().survey_id() + "'") != "1") {
          report(absl::StrCat(e.request_id, ": acknowledged survey ",
                              ack.survey().survey_id(), " is missing"));
        }
      } else if (e.kind == Kind::kSubmitFeedback) {
        CheckFeedbackAck(e, feedback_rows, complaint_rows, report);
      } else if (e.kind == Kind::kSubmitSurveyResponse) {
        feedback::v1::SubmitSurveyResponseResponse ack;
        ack.ParseFromString(e.first_ack);
        const feedback::v1::SurveyResponse& r = ack.response();
        const feedback::v1::SurveyResponse& sent = e.submit_response.response();
        const auto row = response_rows.find(r.response_id());
        const std::string want = absl::StrCat(
            sent.survey_id(), "/", sent.customer_id(), "/", sent.order_id(),
            "/", sent.complaint_id(), "/", sent.branch_id());
        if (row == response_rows.end()) {
          report(absl::StrCat(e.request_id, ": acknowledged survey response ",
                              r.response_id(), " is missing"));
        } else if (row->second != want ||
                   r.answers_size() != sent.answers_size()) {
          report(absl::StrCat(e.request_id, ": stored response ", row->second,
                              " differs from the request ", want));
        }
      } else if (e.kind == Kind::kScheduleFollowUp) {
        feedback::v1::ScheduleFollowUpResponse ack;
        ack.ParseFromString(e.first_ack);
        const feedback::v1::FollowUp& f = ack.follow_up();
        const feedback::v1::FollowUp& sent = e.schedule_follow_up.follow_up();
        const auto row = follow_up_rows.find(f.follow_up_id());
        if (row == follow_up_rows.end()) {
          report(absl::StrCat(e.request_id, ": acknowledged follow-up ",
                              f.follow_up_id(), " is missing"));
          continue;
        }
        const FollowUpRow& have = row->second;
        const bool done = follow_ups_completed.count(f.follow_up_id()) > 0;
        if (have.customer != sent.customer_id() ||
            have.order != sent.order_id() ||
            have.complaint != sent.complaint_id() || have.automatic ||
            f.status() != feedback::v1::FOLLOW_UP_STATUS_PENDING ||
            have.status != (done ? 2 : 1)) {
          report(absl::StrCat(
              e.request_id, ": stored follow-up ", f.follow_up_id(),
              " (status ", have.status, ") differs from the acknowledged ",
              f.ShortDebugString(), done ? ", then made" : ", never made"));
        }
      } else if (e.kind == Kind::kCompleteFollowUp) {
        feedback::v1::CompleteFollowUpResponse ack;
        ack.ParseFromString(e.first_ack);
        const feedback::v1::FollowUp& f = ack.follow_up();
        const auto& sent = e.complete_follow_up;
        const auto row = follow_up_rows.find(sent.follow_up_id());
        if (row == follow_up_rows.end()) {
          report(absl::StrCat(e.request_id, ": follow-up ", sent.follow_up_id(),
                              " is missing"));
          continue;
        }
        const FollowUpRow& have = row->second;
        if (f.follow_up_id() != sent.follow_up_id() ||
            f.status() != feedback::v1::FOLLOW_UP_STATUS_DONE ||
            f.outcome() != sent.outcome() || !f.has_complete_time() ||
            have.status != 2 || have.outcome != sent.outcome() ||
            have.satisfaction != sent.satisfaction() ||
            have.complete_us !=
                google::protobuf::util::TimeUtil::TimestampToMicroseconds(
                    f.complete_time())) {
          report(absl::StrCat(e.request_id, ": follow-up ", sent.follow_up_id(),
                              " stored with status ", have.status, ", outcome ",
                              have.outcome, ", made at ", have.complete_us,
                              " us; acknowledged ", f.ShortDebugString()));
        }
      }
    }
    EXPECT_EQ(problems, 0);
  }

  static bool IsFeedback(Kind kind) {
    return kind == Kind::kCreateSurvey || kind == Kind::kSubmitFeedback ||
           kind == Kind::kSubmitSurveyResponse ||
           kind == Kind::kScheduleFollowUp || kind == Kind::kCompleteFollowUp;
  }

  // One acknowledged SubmitFeedback: its row as acknowledged, and what it
  // was meant to do done exactly: a complaint (that points back) for a
  // customer's rating 1 with negative text, a review flag when anonymous,
  // neither otherwise.
  template <typename FeedbackRows, typename ComplaintRows, typename Report>
  static void CheckFeedbackAck(const Entry& e, const FeedbackRows& rows,
                               const ComplaintRows& complaints,
                               Report& report) {
    feedback::v1::SubmitFeedbackResponse ack;
    ack.ParseFromString(e.first_ack);
    const feedback::v1::FeedbackItem& f = ack.feedback();
    const feedback::v1::FeedbackItem& sent = e.submit_feedback.feedback();
    const bool want_complaint = e.feedback_plan == FeedbackPlan::kEscalate;
    const bool want_review =
        e.feedback_plan == FeedbackPlan::kAnonymousNegative;
    const bool want_negative = e.feedback_plan != FeedbackPlan::kPositive;
    if (f.complaint_id().empty() == want_complaint ||
        f.needs_review() != want_review ||
        (f.sentiment().label() == feedback::v1::SENTIMENT_LABEL_NEGATIVE) !=
            want_negative ||
        f.escalation_reason().empty() == (want_complaint || want_review)) {
      report(absl::StrCat(e.request_id, ": acknowledged ", f.ShortDebugString(),
                          " for a plan ", static_cast<int>(e.feedback_plan),
                          " request ", sent.ShortDebugString()));
    }
    const auto row = rows.find(f.feedback_id());
    if (row == rows.end()) {
      report(absl::StrCat(e.request_id, ": acknowledged feedback ",
                          f.feedback_id(), " is missing"));
      return;
    }
    const auto& have = row->second;
    if (have.customer != sent.customer_id() ||
        have.branch != sent.branch_id() || have.order != sent.order_id() ||
        have.rating != sent.rating() || have.complaint != f.complaint_id() ||
        have.needs_review != f.needs_review()) {
      report(absl::StrCat(e.request_id, ": stored feedback ", f.feedback_id(),
                          " differs from the acknowledged ",
                          f.ShortDebugString()));
    }
    // One term row per topic and keyword acknowledged, and no other.
    if (have.topics !=
            std::set<std::string>(f.topics().begin(), f.topics().end()) ||
        have.keywords !=
            std::set<std::string>(f.keywords().begin(), f.keywords().end()) ||
        have.keywords.empty()) {
      report(absl::StrCat(
          e.request_id, ": feedback ", f.feedback_id(), " has ",
          have.topics.size(), " topic and ", have.keywords.size(),
          " keyword rows for the acknowledged ", f.ShortDebugString()));
    }
    if (f.complaint_id().empty()) return;
    const auto complaint = complaints.find(f.complaint_id());
    if (complaint == complaints.end()) {
      report(absl::StrCat(e.request_id, ": complaint ", f.complaint_id(),
                          " opened by feedback ", f.feedback_id(),
                          " is missing"));
    } else if (complaint->second[0] != f.feedback_id() ||
               complaint->second[1] != sent.customer_id() ||
               complaint->second[2] != sent.order_id()) {
      report(absl::StrCat(e.request_id, ": complaint ", f.complaint_id(),
                          " points to feedback '", complaint->second[0],
                          "' of customer '", complaint->second[1], "', not to ",
                          f.feedback_id()));
    }
  }

  // The feedback tables against the requests and against each other: one
  // row per request; each escalation's one complaint; the rollups equal
  // the rows they count, per branch and day.
  void VerifyFeedbackTables(db::Connection& db, size_t surveys,
                            size_t feedback_submits, size_t escalations,
                            size_t response_submits,
                            size_t follow_ups_scheduled,
                            size_t follow_ups_completed) {
    auto count = [&db](const std::string& sql) -> int64_t {
      Query q(db, sql);
      return q.executeStep() ? q.getColumn(0).getInt64() : -1;
    };
    auto n = [](size_t v) { return static_cast<int64_t>(v); };
    EXPECT_EQ(count("SELECT COUNT(*) FROM surveys"), n(surveys));
    feedback_rows_ = count("SELECT COUNT(*) FROM feedback_items");
    EXPECT_EQ(feedback_rows_, n(feedback_submits))
        << "feedback_items rows vs SubmitFeedback requests";
    response_rows_ = count("SELECT COUNT(*) FROM survey_responses");
    EXPECT_EQ(response_rows_, n(response_submits))
        << "survey_responses rows vs SubmitSurveyResponse requests";
    // The scheduler may add its own (a VIP's purchase): those are its.
    follow_up_rows_ =
        count("SELECT COUNT(*) FROM follow_ups WHERE automatic = 0");
    EXPECT_EQ(follow_up_rows_, n(follow_ups_scheduled))
        << "follow_ups rows vs ScheduleFollowUp requests";
    EXPECT_EQ(count("SELECT COUNT(*) FROM follow_ups WHERE automatic = 0"
                    " AND status = 2"),
              n(follow_ups_completed))
        << "follow-ups made vs acknowledged CompleteFollowUp";
    // Made exactly when it has its time and outcome; one event per change.
    EXPECT_EQ(count("SELECT COUNT(*) FROM follow_ups WHERE (status = 2) !="
                    " (complete_time_us IS NOT NULL) OR (status = 2) !="
                    " (outcome != 0) OR revision != status"),
              0)
        << "follow-ups made without their time or outcome, or the reverse";
    EXPECT_EQ(count("SELECT COUNT(*) FROM follow_ups f WHERE"
                    " (SELECT COUNT(*) FROM events e"
                    "  WHERE e.resource_type = 'follow_up'"
                    "    AND e.resource_id = f.follow_up_id) != f.revision"),
              0)
        << "follow-ups whose events do not match their revision";
    EXPECT_EQ(count("SELECT COUNT(*) FROM feedback_items i WHERE"
                    " (SELECT COUNT(*) FROM events e"
                    "  WHERE e.resource_type = 'feedback'"
                    "    AND e.resource_id = i.feedback_id) != 1"),
              0)
        << "feedback items without exactly one event";
    EXPECT_EQ(count("SELECT COUNT(*) FROM survey_responses r WHERE"
                    " (SELECT COUNT(*) FROM events e"
                    "  WHERE e.resource_type = 'survey_response'"
                    "    AND e.resource_id = r.response_id) != 1"),
              0)
        << "survey responses without exactly one event";

    // Escalation: one complaint per escalated item, and it points back;
    // no complaint claims feedback that does not name it.
    escalated_rows_ =
        count("SELECT COUNT(*) FROM feedback_items WHERE complaint_id != ''");
    EXPECT_EQ(escalated_rows_, n(escalations))
        << "feedback items with a complaint vs acknowledged escalations";
    EXPECT_EQ(count("SELECT COUNT(*) FROM complaints WHERE feedback_id != ''"),
              escalated_rows_)
        << "complaints opened by feedback vs feedback items with a complaint";
    EXPECT_EQ(count("SELECT COUNT(*) FROM feedback_items i WHERE"
                    " i.complaint_id != '' AND ((SELECT COUNT(*) FROM"
                    " complaints c WHERE c.feedback_id = i.feedback_id) != 1"
                    " OR NOT EXISTS (SELECT 1 FROM complaints c WHERE"
                    " c.complaint_id = i.complaint_id AND c.feedback_id ="
                    " i.feedback_id AND c.customer_id = i.customer_id))"),
              0)
        << "escalated feedback without exactly one complaint pointing back";
    EXPECT_EQ(count("SELECT COUNT(*) FROM complaints c WHERE c.feedback_id !="
                    " '' AND NOT EXISTS (SELECT 1 FROM feedback_items i WHERE"
                    " i.feedback_id = c.feedback_id AND i.complaint_id ="
                    " c.complaint_id)"),
              0)
        << "complaints naming feedback that does not name them";
    EXPECT_EQ(count("SELECT COUNT(*) FROM feedback_items WHERE"
                    " (escalation_reason != '') != (complaint_id != '' OR"
                    " needs_review = 1) OR (needs_review = 1 AND"
                    " (customer_id != '' OR complaint_id != ''))"),
              0)
        << "escalation reasons, review flags and complaints disagree";
    review_rows_ =
        count("SELECT COUNT(*) FROM feedback_items WHERE needs_review = 1");

    // No response twice per (survey, customer, order, complaint).
    EXPECT_EQ(count("SELECT COUNT(*) FROM (SELECT 1 FROM survey_responses"
                    " GROUP BY survey_id, customer_id, order_id, complaint_id"
                    " HAVING COUNT(*) > 1) AS twice"),
              0)
        << "survey responses given twice";

    // Each record's scores and terms: a rated item one rating; each
    // crash-test response one rating and one NPS score; every term row
    // of a record, and an item's as negative as it is. (That an item's
    // term rows are its acknowledged topics and keywords is checked per
    // request.)
    EXPECT_EQ(count(absl::StrCat(
                  "SELECT COUNT(*) FROM feedback_items i WHERE"
                  " (SELECT COUNT(*) FROM feedback_scores s WHERE"
                  "  s.source = 2 AND s.ref_row = i.id AND s.kind = 1 AND"
                  "  s.value = i.rating AND s.branch_id = i.branch_id AND"
                  "  s.day = i.day) != ",
                  AsInt("i.rating != 0"))),
              0)
        << "feedback items whose score rows do not match their rating";
    EXPECT_EQ(count("SELECT COUNT(*) FROM survey_responses r WHERE"
                    " (SELECT COUNT(*) FROM feedback_scores s WHERE"
                    "  s.source = 1 AND s.ref_row = r.id AND"
                    "  s.branch_id = r.branch_id AND s.day = r.day) != 2"),
              0)
        << "survey responses without their rating and NPS score rows";
    EXPECT_EQ(count("SELECT COUNT(*) FROM feedback_scores s WHERE NOT EXISTS"
                    " (SELECT 1 FROM feedback_items i WHERE s.source = 2 AND"
                    "  i.id = s.ref_row) AND NOT EXISTS (SELECT 1 FROM"
                    "  survey_responses r WHERE s.source = 1 AND"
                    "  r.id = s.ref_row)"),
              0)
        << "score rows of no record";
    EXPECT_EQ(count(absl::StrCat(
                  "SELECT COUNT(*) FROM feedback_terms t WHERE NOT EXISTS"
                  " (SELECT 1 FROM feedback_items i WHERE t.source = 2 AND"
                  "  i.id = t.ref_row AND i.branch_id = t.branch_id AND"
                  "  i.day = t.day AND t.negative = ",
                  AsInt("i.sentiment = 1"),
                  ")"
                  " AND NOT EXISTS (SELECT 1 FROM survey_responses r WHERE"
                  "  t.source = 1 AND r.id = t.ref_row AND"
                  "  r.branch_id = t.branch_id AND r.day = t.day)")),
              0)
        << "term rows of no record, or negative unlike their item";

    // The rollups: every (day, branch) of feedback_daily equals the rows
    // of that day and branch, and no such rows lack their rollup.
    EXPECT_EQ(count("SELECT CAST(COALESCE(SUM(feedback_items), 0) AS BIGINT)"
                    " FROM feedback_daily"),
              feedback_rows_)
        << "SUM(feedback_daily.feedback_items) vs feedback_items rows";
    EXPECT_EQ(count("SELECT CAST(COALESCE(SUM(responses), 0) AS BIGINT)"
                    " FROM feedback_daily"),
              response_rows_)
        << "SUM(feedback_daily.responses) vs survey_responses rows";
    {
      // SUM of a 0/1 CASE is a bigint on PostgreSQL, of a bigint column a
      // numeric (hence the casts).
      Query q(
          db,
          absl::StrCat(
              "WITH s AS (SELECT day, branch_id,"
              "  SUM(",
              AsInt("source = 1 AND kind = 1"),
              ") AS sr,"
              "  SUM(",
              AsInt("source = 1 AND kind = 1 AND value >= 4"),
              ") AS ss,"
              "  CAST(SUM(CASE WHEN source = 1 AND kind = 1 THEN value"
              "   ELSE 0 END) AS BIGINT) AS srs,"
              "  SUM(",
              AsInt("source = 2 AND kind = 1"),
              ") AS fr,"
              "  SUM(",
              AsInt("source = 2 AND kind = 1 AND value >= 4"),
              ") AS fs,"
              "  CAST(SUM(CASE WHEN source = 2 AND kind = 1 THEN value"
              "   ELSE 0 END) AS BIGINT) AS frs,"
              "  SUM(",
              AsInt("kind = 2"),
              ") AS nc,"
              "  SUM(",
              AsInt("kind = 2 AND value >= 9"),
              ") AS np,"
              "  SUM(",
              AsInt("kind = 2 AND value <= 6"),
              ") AS nd"
              "  FROM feedback_scores GROUP BY day, branch_id),"
              " r AS (SELECT day, branch_id, COUNT(*) AS n FROM "
              "survey_responses"
              "  GROUP BY day, branch_id),"
              " f AS (SELECT day, branch_id, COUNT(*) AS n FROM feedback_items"
              "  GROUP BY day, branch_id),"
              " k AS (SELECT day, branch_id FROM s UNION SELECT day, branch_id"
              "  FROM r UNION SELECT day, branch_id FROM f UNION"
              "  SELECT day, branch_id FROM feedback_daily)"
              " SELECT k.day, k.branch_id, d.survey_ratings, "
              "d.survey_satisfied,"
              "  d.survey_rating_sum, d.feedback_ratings, d.feedback_satisfied,"
              "  d.feedback_rating_sum, d.nps_count, d.nps_promoters,"
              "  d.nps_detractors, d.responses, d.feedback_items,"
              "  COALESCE(s.sr, 0), COALESCE(s.ss, 0), COALESCE(s.srs, 0),"
              "  COALESCE(s.fr, 0), COALESCE(s.fs, 0), COALESCE(s.frs, 0),"
              "  COALESCE(s.nc, 0), COALESCE(s.np, 0), COALESCE(s.nd, 0),"
              "  COALESCE(r.n, 0), COALESCE(f.n, 0)"
              " FROM k LEFT JOIN feedback_daily d"
              "  ON d.day = k.day AND d.branch_id = k.branch_id"
              " LEFT JOIN s ON s.day = k.day AND s.branch_id = k.branch_id"
              " LEFT JOIN r ON r.day = k.day AND r.branch_id = k.branch_id"
              " LEFT JOIN f ON f.day = k.day AND f.branch_id = k.branch_id"));
      int bad = 0;
      while (q.executeStep()) {
        ++rollup_days_;
        std::string have, want;
        for (int i = 0; i < 11; ++i) {
          absl::StrAppend(&have, i ? "," : "",
                          q.getColumn(2 + i).isNull()
                              ? std::string("none")
                              : q.getColumn(2 + i).getString());
          absl::StrAppend(&want, i ? "," : "", q.getColumn(13 + i).getString());
        }
        if (have != want && ++bad <= 5) {
          ADD_FAILURE() << "feedback_daily for day "
                        << q.getColumn(0).getInt64() << " branch "
                        << q.getColumn(1).getString() << " is {" << have
                        << "}; its rows count {" << want
                        << "} (survey ratings, satisfied, sum; feedback"
                           " ratings, satisfied, sum; nps, promoters,"
                           " detractors; responses; items)";
        }
      }
      EXPECT_EQ(bad, 0) << "feedback_daily rows that differ from their rows";
    }
    // Negative terms per day: per branch, and chain-wide under branch ''.
    constexpr char kTermCounts[] =
        "SELECT branch_id, day, kind, term, COUNT(*) FROM feedback_terms"
        " WHERE negative = 1 GROUP BY branch_id, day, kind, term"
        " UNION ALL SELECT '', day, kind, term, COUNT(*) FROM feedback_terms"
        " WHERE negative = 1 GROUP BY day, kind, term";
    constexpr char kTermRollup[] =
        "SELECT branch_id, day, kind, term, count FROM feedback_term_daily";
    EXPECT_EQ(count(absl::StrCat("SELECT COUNT(*) FROM (", kTermCounts,
                                 " EXCEPT ", kTermRollup, ") AS missing")),
              0)
        << "negative terms missing from feedback_term_daily, or miscounted";
    EXPECT_EQ(count(absl::StrCat("SELECT COUNT(*) FROM (", kTermRollup,
                                 " EXCEPT SELECT * FROM (", kTermCounts,
                                 ") AS counted) AS extra")),
              0)
        << "feedback_term_daily rows its terms do not add up to";
    term_rollup_rows_ = count("SELECT COUNT(*) FROM feedback_term_daily");
  }

  // ---- the event stream (issue 14) ---------------------------------------

  // A WatchEvents stream read on its own thread from `after` (0: the
  // oldest) until the server dies or Stop().
  class LiveWatch {
   public:
    LiveWatch(const std::string& address, int64_t after)
        : stub_(events::v1::EventService::NewStub(NewChannel(address))) {
      ctx_.AddMetadata("authorization", std::string("Bearer ") + kToken);
      ctx_.set_deadline(std::chrono::system_clock::now() +
                        std::chrono::seconds(120));
      events::v1::WatchEventsRequest req;
      req.set_after_sequence(after);
      thread_ = std::thread([this, req] {
        auto stream = stub_->WatchEvents(&ctx_, req);
        events::v1::WatchEventsResponse msg;
        while (stream->Read(&msg)) {
          std::lock_guard<std::mutex> lock(mu_);
          for (const events::v1::Event& e : msg.events()) events_.push_back(e);
          progress_ = std::max(progress_, msg.progress_sequence());
          msg.Clear();
        }
        stream->Finish().IgnoreError();
      });
    }
    ~LiveWatch() { Stop(); }
    void Stop() {
      if (!thread_.joinable()) return;
      ctx_.TryCancel();
      thread_.join();
    }
    std::vector<events::v1::Event> events() const {
      std::lock_guard<std::mutex> lock(mu_);
      return events_;
    }
    int64_t progress() const {
      std::lock_guard<std::mutex> lock(mu_);
      return progress_;
    }

   private:
    std::unique_ptr<events::v1::EventService::Stub> stub_;
    grpc::ClientContext ctx_;
    mutable std::mutex mu_;
    std::vector<events::v1::Event> events_;
    int64_t progress_ = 0;
    std::thread thread_;
  };

  // After each restart: a ListEvents walk from 0 shows strictly increasing
  // sequences, no change of a resource twice, every acknowledged customer
  // write's event exactly once, and every event the live watcher saw before
  // the kill with the same sequence; a watcher resuming after the live
  // watcher's last progress gets exactly the walk's events after it.
  void VerifyEventsAfterRestart(int round) {
    const absl::Time started = absl::Now();
    SCOPED_TRACE(absl::StrCat("events after restart, round ", round));
    auto stub = events::v1::EventService::NewStub(NewChannel(address_));
    std::vector<events::v1::Event> walk;
    events::v1::ListEventsRequest req;
    req.set_page_size(1000);
    bool reached_head = false;
    for (int page = 0; page < 1000 && !reached_head; ++page) {
      grpc::ClientContext ctx;
      ctx.AddMetadata("authorization", std::string("Bearer ") + kToken);
      ctx.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
      events::v1::ListEventsResponse resp;
      grpc::Status s = stub->ListEvents(&ctx, req, &resp);
      ASSERT_TRUE(s.ok()) << s.error_message();
      for (const events::v1::Event& e : resp.events()) walk.push_back(e);
      reached_head = resp.next_page_token().empty();
      req.set_page_token(resp.next_page_token());
    }
    ASSERT_TRUE(reached_head) << "ListEvents did not reach the head";
    std::map<std::pair<std::string, int64_t>, int> changes;
    std::map<int64_t, const events::v1::Event*> by_seq;
    for (size_t i = 0; i < walk.size(); ++i) {
      if (i > 0) {
        ASSERT_GT(walk[i].sequence(), walk[i - 1].sequence()) << "at " << i;
      }
      by_seq[walk[i].sequence()] = &walk[i];
      // A change of a resource is one event (calendars carry revision 0).
      if (walk[i].revision() > 0) {
        const std::pair<std::string, int64_t> key(walk[i].resource(),
                                                  walk[i].revision());
        EXPECT_EQ(++changes[key], 1)
            << walk[i].resource() << " r" << walk[i].revision()
            << " twice, the second at " << walk[i].sequence();
      }
    }
    // Every acknowledged customer write: its (resource, revision) once.
    size_t checked = 0;
    for (const Entry& e : ledger_->Entries()) {
      if (e.acks == 0) continue;
      Customer c;
      if (e.kind == Kind::kCreate) {
        CreateCustomerResponse ack;
        if (!ack.ParseFromString(e.first_ack)) continue;
        c = ack.customer();
      } else if (e.kind == Kind::kAdjust) {
        AdjustPointsResponse ack;
        if (!ack.ParseFromString(e.first_ack)) continue;
        c = ack.customer();
      } else {
        continue;
      }
      int64_t rev = 0;
      if (c.etag().size() < 2 || !absl::SimpleAtoi(c.etag().substr(1), &rev)) {
        continue;
      }
      ++checked;
      const auto it = changes.find({"customers/" + c.customer_id(), rev});
      EXPECT_TRUE(it != changes.end())
          << e.request_id << ": no event for customers/" << c.customer_id()
          << " r" << rev;
    }
    // What the live watcher saw before the kill is still there, unchanged
    // in number: no sequence was lost or handed out again.
    for (const events::v1::Event& seen : live_events_) {
      const auto it = by_seq.find(seen.sequence());
      ASSERT_TRUE(it != by_seq.end())
          << "sequence " << seen.sequence() << " (" << seen.resource()
          << ") was sent before the kill and is gone after it";
      EXPECT_EQ(it->second->resource(), seen.resource());
      EXPECT_EQ(it->second->revision(), seen.revision());
      EXPECT_EQ(it->second->event_type(), seen.event_type());
    }
    // Resume after the live watcher's last progress: exactly the rest.
    const int64_t head = walk.empty() ? 0 : walk.back().sequence();
    if (live_progress_ > 0) {
      EXPECT_LE(live_progress_, head)
          << "the watcher saw sequences the restarted server does not have";
      LiveWatch resume(address_, live_progress_);
      const absl::Time until = absl::Now() + absl::Seconds(30);
      while (resume.progress() < head && absl::Now() < until) {
        absl::SleepFor(absl::Milliseconds(5));
      }
      resume.Stop();
      ASSERT_GE(resume.progress(), head)
          << "the resumed watcher did not reach " << head;
      std::vector<int64_t> want, got;
      for (const events::v1::Event& e : walk) {
        if (e.sequence() > live_progress_) want.push_back(e.sequence());
      }
      for (const events::v1::Event& e : resume.events()) {
        if (e.sequence() <= head) got.push_back(e.sequence());
      }
      EXPECT_EQ(got, want) << "resumed after " << live_progress_;
      events_resumed_ += got.size();
    }
    ++event_checks_;
    events_walked_ += walk.size();
    event_check_time_ += absl::Now() - started;
    (void)checked;
  }

  std::vector<events::v1::Event> live_events_;
  int64_t live_progress_ = 0;
  int event_checks_ = 0;
  size_t events_walked_ = 0;
  size_t events_resumed_ = 0;
  absl::Duration event_check_time_ = absl::ZeroDuration();

  absl::Time start_;
  uint64_t seed_ = 0;
  std::mt19937_64 rng_;
  std::shared_ptr<Ledger> ledger_;
  std::string dir_, db_dir_, db_path_, log_path_, address_, journal_path_;
  faultfs::Control* control_ = nullptr;  // power loss only
  int power_cuts_ = 0;
  int fsync_errors_ = 0;
  std::unique_ptr<ServerProcess> server_;
  // PostgreSQL: the database's name on its cluster; PgStop's own cluster,
  // its immediate stops, and the longest the server took to serve again
  // after one.
  std::string pg_database_;
  std::unique_ptr<PgCluster> pg_;
  int pg_stops_ = 0;
  absl::Duration max_recover_ = absl::ZeroDuration();
  absl::Duration max_start_ = absl::ZeroDuration();
  absl::Duration last_start_ = absl::ZeroDuration();
  int startup_kills_ = 0;
  std::string port_file_;
  int lost_acks_ = 0;  // committed executions whose answer never arrived
  std::string integrity_;
  size_t customer_rows_ = 0;  // in the database after the last shutdown
  size_t points_rows_ = 0;
  size_t order_rows_ = 0, payment_rows_ = 0, paid_orders_ = 0;
  size_t returns_done_ = 0;
  int reconciled_days_ = 0;
  size_t complaint_rows_ = 0;
  // Feedback rows after the last shutdown, for the summary.
  int64_t feedback_rows_ = 0, escalated_rows_ = 0, review_rows_ = 0;
  int64_t response_rows_ = 0, follow_up_rows_ = 0;
  int64_t rollup_days_ = 0, term_rollup_rows_ = 0;
  // Feedback requests that needed a retry, and of those, answers lost to a
  // kill after their commit (then replayed from the request_id's record).
  int feedback_retried_ = 0, feedback_lost_acks_ = 0;
};

TEST_P(CrashTest, AcknowledgedWritesSurviveAndRetriesNeverDuplicate) {
  for (int round = 1; round <= KillRounds(); ++round) {
    ASSERT_NO_FATAL_FAILURE(KillRound(round));
    if (round == kStartupKillAfterRound) {
      ASSERT_NO_FATAL_FAILURE(StartupKill());
    }
  }
  // Requests whose first answer came before some SIGKILL: the ones a crash
  // could have lost.
  const size_t acked_before_kills = ledger_->Stats().acked;

  // Last lifetime: no new requests; every one still unacknowledged is
  // retried until it is, then every request is sent once more to compare
  // the replayed answer with the first one.
  const int final_round = KillRounds() + 1;
  ASSERT_NO_FATAL_FAILURE(EnsureServing());
  ASSERT_NO_FATAL_FAILURE(VerifyEventsAfterRestart(final_round));
  auto client = NewLoadClient();
  client->Drive(absl::Now() + kDrainBudget, /*allow_new=*/false, final_round);
  ASSERT_TRUE(client->WaitIdle(kRpcTimeout + absl::Seconds(5)));
  // Not fatal: a request refused for good (say NOT_FOUND for a customer
  // whose creation was acknowledged and then lost) is reported below, and
  // the checks that follow then show what else went missing.
  EXPECT_EQ(ledger_->Unacknowledged(), 0u)
      << "requests still unacknowledged after the final retry pass";
  ledger_->QueueAllForReplay();
  client->Drive(absl::Now() + kDrainBudget, /*allow_new=*/false, final_round);
  ASSERT_TRUE(client->WaitIdle(kRpcTimeout + absl::Seconds(5)));
  ASSERT_TRUE(ledger_->Settled());

  // Unexpected answers (anything but OK or what a dead server looks like)
  // and replayed answers that differ from the first.
  const std::vector<std::string> problems = ledger_->Problems();
  for (size_t i = 0; i < problems.size() && i < 20; ++i) {
    ADD_FAILURE() << problems[i];
  }
  EXPECT_EQ(problems.size(), 0u) << "unexpected answers (first 20 above)";

  const std::vector<Entry> entries = ledger_->Entries();
  // customer_id -> sum of its acknowledged deltas
  std::map<std::string, int64_t> balances;
  int max_attempts = 0;
  for (const Entry& e : entries) {
    if (e.kind == Kind::kAdjust && e.acks > 0) {
      balances[e.adjust.customer_id()] += e.adjust.delta();
    }
    // A completed return took back the points it reports.
    if (e.kind == Kind::kCompleteReturn && e.acks > 0) {
      orders::v1::CompleteReturnResponse ack;
      ack.ParseFromString(e.first_ack);
      if (!ack.order().customer_id().empty()) {
        balances[ack.order().customer_id()] -=
            ack.order_return().points_reversed();
      }
    }
    // The tender that made an order paid carries the points it earned.
    if (e.kind == Kind::kPay && e.acks > 0) {
      orders::v1::PayOrderResponse ack;
      ack.ParseFromString(e.first_ack);
      if (ack.has_settlement() && !ack.order().customer_id().empty()) {
        balances[ack.order().customer_id()] += ack.order().points_earned();
      }
    }
    max_attempts = std::max(max_attempts, e.first_ack_attempt);
    EXPECT_LE(e.first_ack_attempt, MaxAttemptsPerRequest())
        << e.request_id << " needed " << e.first_ack_attempt
        << " sends; the last failure was " << e.last_error;
  }
  ASSERT_NO_FATAL_FAILURE(VerifyViaRpc(*client, entries, balances));
  ASSERT_NO_FATAL_FAILURE(VerifyReconciliation());
  ASSERT_NO_FATAL_FAILURE(VerifySatisfactionReport());
  client.reset();

  absl::StatusOr<int> exit_code = server_->Terminate(kShutdownGrace);
  ASSERT_TRUE(exit_code.ok()) << exit_code.status();
  EXPECT_EQ(*exit_code, 0) << "exit code after SIGTERM";

  ASSERT_NO_FATAL_FAILURE(VerifyDatabase(entries, balances));

  const LedgerStats stats = ledger_->Stats();
  std::cout
      << "[crash] summary: seed " << seed_ << "; "
      << (on_postgres() ? "on PostgreSQL; " : "") << KillRounds() - pg_stops_
      << " kills under load + " << startup_kills_ << " during start-up; "
      << (pg_stops_ == 0
              ? ""
              : absl::StrCat(pg_stops_,
                             " immediate stops of PostgreSQL under load, the "
                             "server left running (SERVING again at most ",
                             absl::FormatDuration(absl::Trunc(
                                 max_recover_, absl::Milliseconds(1))),
                             " after PostgreSQL's start); "))
      << power_cuts_ << " power cuts; " << fsync_errors_
      << " fsync errors survived; "
      << stats.creates + stats.adjusts + stats.orders + stats.payments +
             stats.return_steps + stats.complaint_steps + stats.feedback_items +
             stats.feedback_steps
      << " requests (" << stats.creates << " creates, " << stats.adjusts
      << " adjusts, " << stats.orders << " orders, " << stats.payments
      << " payments, " << stats.return_steps << " completion and return steps, "
      << stats.complaint_steps << " complaint steps, " << stats.feedback_items
      << " feedback items, " << stats.feedback_steps
      << " survey, response and follow-up steps), " << stats.sends << " sends; "
      << acked_before_kills << " acknowledged before the last kill; "
      << stats.retried << " needed a retry (" << lost_acks_
      << " answers lost to a kill after commit; of feedback requests "
      << feedback_retried_ << " retried, " << feedback_lost_acks_
      << " answers lost after commit); " << stats.acked_twice
      << " answered twice or more, compared byte for byte; max " << max_attempts
      << " sends for one request; slowest restart "
      << absl::FormatDuration(max_start_) << "; database: " << customer_rows_
      << " customers, " << points_rows_ << " points rows, " << order_rows_
      << " orders (" << paid_orders_ << " paid), " << payment_rows_
      << " payments, " << returns_done_ << " returns completed, "
      << complaint_rows_ << " complaints, " << feedback_rows_
      << " feedback items (" << escalated_rows_ << " escalated to a complaint, "
      << review_rows_ << " flagged for review), " << response_rows_
      << " survey responses, " << follow_up_rows_ << " follow-ups; "
      << rollup_days_ << " feedback branch-days and " << term_rollup_rows_
      << " term rollups recounted; " << reconciled_days_
      << " branch-days reconciled against their slips; event stream "
      << event_checks_ << " restarts checked (" << events_walked_
      << " events walked, " << events_resumed_ << " resumed after a kill) in "
      << absl::FormatDuration(
             absl::Trunc(event_check_time_, absl::Milliseconds(1)))
      << "; " << (on_postgres() ? "amcheck " : "integrity_check ") << integrity_
      << "; "
      << absl::FormatDuration(
             absl::Trunc(absl::Now() - start_, absl::Milliseconds(1)))
      << std::endl;
}

// A plain function: a template's commas would split the macro's arguments.
std::string DiskName(const ::testing::TestParamInfo<Disk>& info) {
  static constexpr const char* kNames[] = {"Kill9", "PowerLoss", "Kill9Pg",
                                           "PgStop"};
  return kNames[static_cast<int>(info.param)];
}

INSTANTIATE_TEST_SUITE_P(Disks, CrashTest,
                         ::testing::Values(Disk::kKill9, Disk::kPowerLoss,
                                           Disk::kKill9Pg, Disk::kPgStop),
                         DiskName);

}  // namespace
}  // namespace retail::crash
