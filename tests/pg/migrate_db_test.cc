// Moving a chain from SQLite to PostgreSQL (issue 16): `retailctl admin
// migrate-db` copies a database that the real server filled under load
// (every service: the crash test's ledger drives it), verifies every table,
// and a server on the target then serves the same data and carries on
// numbering ids and events where the source stopped. The copy resumes after
// `kill -9`, and refuses a target that holds data or a source that changed.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/db/copy_to_postgres.h"
#include "common/db/pg_connection.h"
#include "common/db/sqlite_connection.h"
#include "gtest/gtest.h"
#include "retail/customers/v1/customers.grpc.pb.h"
#include "retail/events/v1/events.grpc.pb.h"
#include "server/module.h"
#include "tests/crash/ledger.h"
#include "tests/crash/load_client.h"
#include "tests/integration/test_server.h"
#include "tests/pg/pg_test_db.h"

namespace retail::testing {
namespace {

namespace cv1 = ::retail::customers::v1;
namespace ev1 = ::retail::events::v1;

// A SQLite database the real server filled: a few seconds of the crash
// test's mixed load (customers, points, orders, payments, returns,
// complaints, feedback, surveys, follow-ups), every request acknowledged.
// Made once for the whole suite.
class MigrateDbTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    source_ = new TestServer();
    auto ledger = std::make_shared<crash::Ledger>(/*seed=*/1);
    crash::LoadClient client(ledger, source_->Channel(), kAdmin,
                             /*max_in_flight=*/16);
    client.Drive(absl::Now() + absl::Seconds(3), /*allow_new=*/true, 0);
    client.Drive(absl::Now() + absl::Seconds(20), /*allow_new=*/false, 0);
    client.WaitIdle(absl::Seconds(10));
    acked_ = ledger->Stats().acked;
    source_->Stop();
  }
  static void TearDownTestSuite() {
    delete source_;
    source_ = nullptr;
  }

  static std::string SourceScalar(const std::string& sql) {
    return source_->QueryScalar(sql);
  }

  static std::string Fresh(const std::string& name) {
    absl::StatusOr<std::string> url = FreshPgDatabase(name);
    EXPECT_TRUE(url.ok()) << url.status();
    return url.ok() ? *url : "";
  }

  // retailctl, built beside this test (bin/).
  static std::string RetailctlPath() {
    return (std::filesystem::read_symlink("/proc/self/exe").parent_path() /
            "retailctl")
        .string();
  }

  // Runs retailctl with `args`; returns its exit code, its output in `out`.
  static int Retailctl(const std::string& args, std::string* out) {
    FILE* p =
        popen(absl::StrCat(RetailctlPath(), " ", args, " 2>&1").c_str(), "r");
    std::string text;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) text.append(buf, n);
    const int status = pclose(p);
    if (out != nullptr) *out = text;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  static TestServer* source_;
  static int acked_;
};

TestServer* MigrateDbTest::source_ = nullptr;
int MigrateDbTest::acked_ = 0;

TEST_F(MigrateDbTest, CopiesEveryTableVerifiedAndTheServerCarriesOn) {
  ASSERT_GT(acked_, 200) << "the load made too little to test a copy with";
  const std::string url = Fresh("migrate_copy");
  std::string out;
  ASSERT_EQ(Retailctl(absl::StrCat("admin migrate-db --from ",
                                   source_->db_path(), " --to '", url, "'"),
                      &out),
            0)
      << out;
  std::cout << out;  // the per-table report, for the log
  EXPECT_TRUE(absl::StrContains(out, "verified: ")) << out;
  EXPECT_FALSE(absl::StrContains(out, "MISMATCH")) << out;
  // Every table with rows was copied: the load reached each service.
  for (const char* table :
       {"customers", "points_transactions", "orders", "order_payments",
        "complaints", "feedback_items", "events", "audit_log",
        "idempotency_keys", "server_meta"}) {
    EXPECT_TRUE(absl::StrContains(out, absl::StrCat("\n", table, " ")))
        << table << " missing from the report:\n"
        << out;
  }

  // A server on the target serves what the source held...
  TestServerOptions options;
  options.db_path = url;
  TestServer target(options);
  auto customers = cv1::CustomerService::NewStub(target.Channel());
  const std::string some_customer = SourceScalar(
      "SELECT customer_id FROM customers ORDER BY customer_id LIMIT 1");
  cv1::GetCustomerRequest get;
  get.set_customer_id(some_customer);
  cv1::GetCustomerResponse got;
  ASSERT_TRUE(Call(*customers, &cv1::CustomerService::Stub::GetCustomer, kAdmin,
                   get, &got)
                  .ok());
  EXPECT_EQ(got.customer().customer_id(), some_customer);
  EXPECT_EQ(target.QueryScalar("SELECT COUNT(*) FROM customers"),
            SourceScalar("SELECT COUNT(*) FROM customers"));

  // ...and numbers new ids and events after the source's last ones.
  const std::string source_head =
      SourceScalar("SELECT MAX(event_id) FROM events");
  cv1::CreateCustomerRequest create;
  create.set_request_id("after-the-move");
  create.mutable_customer()->set_display_name("搬迁之后");
  create.mutable_customer()->set_phone("13700000001");
  create.mutable_customer()->set_branch_id("B001");
  cv1::CreateCustomerResponse created;
  ASSERT_TRUE(Call(*customers, &cv1::CustomerService::Stub::CreateCustomer,
                   kAdmin, create, &created)
                  .ok());
  EXPECT_EQ(target.QueryScalar("SELECT MAX(event_id) FROM events"),
            absl::StrCat(std::stoll(source_head) + 1));
  EXPECT_EQ(target.QueryScalar(absl::StrCat(
                "SELECT COUNT(*) FROM events WHERE event_id <= ", source_head)),
            SourceScalar("SELECT COUNT(*) FROM events"));

  // A watcher resuming from the source's head misses nothing: the next
  // event it lists is the first one made on PostgreSQL.
  auto events = ev1::EventService::NewStub(target.Channel());
  ev1::ListEventsRequest list;
  list.set_after_sequence(std::stoll(source_head));
  ev1::ListEventsResponse listed;
  ASSERT_TRUE(
      Call(*events, &ev1::EventService::Stub::ListEvents, kAdmin, list, &listed)
          .ok());
  ASSERT_EQ(listed.events_size(), 1);
  EXPECT_EQ(listed.events(0).sequence(), std::stoll(source_head) + 1);
  target.Stop();
  DropPgDatabase("migrate_copy").IgnoreError();
}

TEST_F(MigrateDbTest, AKilledCopyResumesAndAChangedSourceIsRefused) {
  const std::string url = Fresh("migrate_resume");
  // One row per transaction, so the copy is still running when killed.
  const std::string cmd = absl::StrCat(
      "exec ", RetailctlPath(), " admin migrate-db --from ", source_->db_path(),
      " --to '", url, "' --rows-per-transaction 1 2>&1");
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  // Wait for the first committed step, then kill -9 mid-copy.
  char line[1024];
  bool stepped = false;
  while (fgets(line, sizeof line, p) != nullptr) {
    if (absl::StrContains(line, " rows")) {
      stepped = true;
      break;
    }
  }
  ASSERT_TRUE(stepped);
  // popen ran it through /bin/sh -c "exec ...": the shell is the command.
  system(absl::StrCat("pkill -9 -f -- '--rows-per-transaction 1'").c_str());
  pclose(p);

  {
    auto pg = db::PgConnection::Open(url);
    ASSERT_TRUE(pg.ok()) << pg.status();
    db::Stmt q = (*pg)->Prepare(
        "SELECT COUNT(*) FROM retail_copy_progress WHERE NOT done");
    ASSERT_TRUE(q->Step());
    EXPECT_GT(q->Int64(0), 0) << "the copy finished before it was killed";
  }

  std::string out;
  ASSERT_EQ(Retailctl(absl::StrCat("admin migrate-db --from ",
                                   source_->db_path(), " --to '", url, "'"),
                      &out),
            0)
      << out;
  EXPECT_TRUE(absl::StrContains(out, "(resumed an earlier run)")) << out;
  EXPECT_FALSE(absl::StrContains(out, "MISMATCH")) << out;

  // The verification reads every value back: one changed byte on the
  // target is a MISMATCH on its table, and the command fails.
  {
    auto pg = db::PgConnection::Open(url);
    ASSERT_TRUE(pg.ok()) << pg.status();
    (*pg)->Exec(
        "UPDATE customers SET display_name = display_name || 'x' WHERE"
        " customer_id = (SELECT MIN(customer_id) FROM customers)");
  }
  EXPECT_EQ(Retailctl(absl::StrCat("admin migrate-db --from ",
                                   source_->db_path(), " --to '", url, "'"),
                      &out),
            1);
  EXPECT_TRUE(absl::StrContains(out, "MISMATCH")) << out;
  int mismatched = 0;
  for (absl::string_view line : absl::StrSplit(out, '\n')) {
    if (absl::EndsWith(line, "  MISMATCH")) {
      ++mismatched;
      EXPECT_TRUE(absl::StartsWith(line, "customers ")) << line;
    }
  }
  EXPECT_EQ(mismatched, 1) << out;

  // A source that changed since the copy began is refused, not mixed in.
  const std::string changed = source_->db_path() + ".changed";
  ASSERT_EQ(
      system(absl::StrCat("cp ", source_->db_path(), " ", changed).c_str()), 0);
  {
    auto sqlite = db::SqliteConnection::Open(
        changed, db::SqliteConnection::Mode::kReadWrite);
    ASSERT_TRUE(sqlite.ok());
    (*sqlite)->Exec(
        "DELETE FROM points_transactions WHERE rowid IN"
        " (SELECT rowid FROM points_transactions LIMIT 1)");
  }
  EXPECT_EQ(Retailctl(absl::StrCat("admin migrate-db --from ", changed,
                                   " --to '", url, "'"),
                      &out),
            1);
  EXPECT_TRUE(absl::StrContains(out, "the source changed")) << out;
  DropPgDatabase("migrate_resume").IgnoreError();
}

TEST_F(MigrateDbTest, ATargetWithDataIsRefused) {
  const std::string url = Fresh("migrate_nonempty");
  {
    // A server started on it once: it wrote its secret.
    TestServerOptions options;
    options.db_path = url;
    TestServer started(options);
  }
  std::string out;
  EXPECT_EQ(Retailctl(absl::StrCat("admin migrate-db --from ",
                                   source_->db_path(), " --to '", url, "'"),
                      &out),
            1);
  EXPECT_TRUE(absl::StrContains(out, "already holds rows")) << out;
  EXPECT_TRUE(absl::StrContains(out, "server_meta")) << out;
  DropPgDatabase("migrate_nonempty").IgnoreError();
}

TEST_F(MigrateDbTest, BadArgumentsAreNamed) {
  std::string out;
  EXPECT_NE(Retailctl("admin migrate-db --from /nonexistent.db --to "
                      "postgresql://127.0.0.1:1/x",
                      &out),
            0);
  EXPECT_TRUE(absl::StrContains(out, "--from")) << out;
  EXPECT_NE(Retailctl(absl::StrCat("admin migrate-db --from ",
                                   source_->db_path(), " --to /tmp/x.db"),
                      &out),
            0);
  EXPECT_TRUE(absl::StrContains(out, "--to")) << out;
}

}  // namespace
}  // namespace retail::testing
