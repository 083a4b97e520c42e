// The maintenance tasks through BuildServer, run by the real scheduler
// thread (server/maintenance.h) on the TestServer's FakeClock: no test here
// calls RunMaintenance(). A test moves business time and waits for the
// thread to act, which it does within ~20 ms of real time (FakeClock's
// RealMicrosUntil); kPatience only bounds a hang.
//
// Showing that a task has NOT run needs a moment at which the thread has
// certainly looked: SchedulerPass() below makes it finish a whole pass over
// every task at the current clock time, through a task whose effect is
// visible (the per-minute flush of folded failure counts).
//
// What is shown, with the options and flags that change it:
//   - customers.tier_lapse: a VIP with no purchase for --tier_active_days
//     becomes POTENTIAL, once --maintenance_interval_seconds has passed;
//   - core.prune_request_ids: a request_id's stored response is forgotten
//     after --request_id_retention_days, and a retry then no longer replays;
//   - core.month_partitions (PostgreSQL): the coming months' partitions of
//     the partitioned tables are made ahead of time.
// And, with the storage maintenance an erasure runs before it is answered
// (SQLite truncates its WAL, PostgreSQL vacuums), that no old version of
// the person's rows is left in the database's pages.
#include <grpcpp/grpcpp.h>

#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "retail/customers/v1/customers.grpc.pb.h"
#include "server/customers/customer_directory.h"
#include "tests/integration/test_server.h"

ABSL_DECLARE_FLAG(int64_t, tier_active_days);

namespace retail::testing {
namespace {

using ::retail::customers::v1::AdjustPointsRequest;
using ::retail::customers::v1::AdjustPointsResponse;
using ::retail::customers::v1::CreateCustomerRequest;
using ::retail::customers::v1::CreateCustomerResponse;
using ::retail::customers::v1::CustomerService;
using ::retail::customers::v1::CustomerTier;
using ::retail::customers::v1::EraseCustomerRequest;
using ::retail::customers::v1::EraseCustomerResponse;
using ::retail::customers::v1::GetCustomerRequest;
using ::retail::customers::v1::GetCustomerResponse;
using ::retail::customers::v1::ListCustomersRequest;
using ::retail::customers::v1::ListCustomersResponse;
using ::retail::customers::v1::UpdateCustomerRequest;
using ::retail::customers::v1::UpdateCustomerResponse;

constexpr absl::Duration kPatience = absl::Seconds(60);
constexpr int64_t kDay = kMicrosPerDay;
constexpr int64_t kMinute = 60 * kMicrosPerSecond;

template <typename Predicate>
bool WaitFor(Predicate done, absl::Duration timeout = kPatience) {
  const absl::Time end = absl::Now() + timeout;
  while (!done()) {
    if (absl::Now() >= end) return false;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return true;
}

class MaintenanceIntegrationTest : public ::testing::Test {
 protected:
  // A server whose maintenance thread runs every `interval` of clock time
  // and keeps request_ids for `retention`.
  void Start(absl::Duration interval,
             absl::Duration retention = absl::Hours(24 * 30)) {
    server_ = std::make_unique<TestServer>(
        TestServerOptions{.configure = [=](ServerOptions& o) {
          o.maintenance_interval = interval;
          o.request_id_retention = retention;
        }});
    stub_ = CustomerService::NewStub(server_->Channel());
    // The start-up pass (every task is due at start) is over before the
    // test moves time: it must not run late, at a time the test chose.
    ASSERT_NO_FATAL_FAILURE(SchedulerPass());
  }

  // Returns once the scheduler thread has finished a whole pass over its
  // tasks that began at the current clock time or later, so every task due
  // now has run (or been found not due). Two unauthenticated calls leave one
  // failure counted in memory; only core.flush_failure_audit, due when the
  // clock passes the minute, writes it. Seeing that flush twice means the
  // pass of the first one, and every task after it, has finished. Moves the
  // clock two minutes.
  void SchedulerPass() {
    for (int round = 0; round < 2; ++round) {
      const int before = UnauthenticatedCount();
      for (int i = 0; i < 2; ++i) {
        ListCustomersRequest req;
        ListCustomersResponse resp;
        ASSERT_EQ(
            Call(*stub_, &CustomerService::Stub::ListCustomers, "", req, &resp)
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
      }
      server_->clock().Advance(kMinute);
      ASSERT_TRUE(WaitFor([&] { return UnauthenticatedCount() == before + 2; }))
          << "the maintenance thread did not flush the folded failure "
          << "counts (core.flush_failure_audit): " << UnauthenticatedCount()
          << " counted, " << before + 2 << " expected";
    }
  }

  int UnauthenticatedCount() const {
    // PostgreSQL's SUM of a bigint is a numeric: cast back.
    return std::stoi(server_->QueryScalar(
        "SELECT CAST(COALESCE(SUM(count), 0) AS BIGINT) FROM audit_log"
        " WHERE outcome = 'UNAUTHENTICATED'"));
  }

  std::string CreateCustomer(const std::string& phone,
                             const std::string& request_id,
                             grpc::Status* status = nullptr) {
    CreateCustomerRequest req;
    req.set_request_id(request_id);
    req.mutable_customer()->set_display_name(absl::StrCat("维护", phone));
    req.mutable_customer()->set_phone(phone);
    req.mutable_customer()->set_branch_id("B001");
    CreateCustomerResponse resp;
    const grpc::Status s = Call(*stub_, &CustomerService::Stub::CreateCustomer,
                                kAdmin, req, &resp);
    if (status != nullptr) {
      *status = s;
    } else {
      EXPECT_TRUE(s.ok()) << s.error_code() << " " << s.error_message();
    }
    return resp.customer().customer_id();
  }

  // Makes `id` a VIP with five purchases of ¥1,000 now, as the orders
  // module would: through the CustomerDirectory the customers module
  // offers, inside a write transaction of its own.
  void MakeVip(const std::string& id) {
    auto* directory =
        server_->server().registry().Find<customers::CustomerDirectory>();
    ASSERT_NE(directory, nullptr);
    auto principal = std::make_shared<Principal>();
    principal->id = "orders";
    principal->role = Role::kAdmin;
    CallMeta meta;
    meta.principal = principal;
    meta.method = "retail.orders.v1.OrderService/PayOrder";
    meta.resource = "customers/" + id;
    for (int i = 0; i < 5; ++i) {
      const int64_t now = server_->clock().NowMicros();
      const absl::Status s = server_->server().database().writer().RunSync(
          [&](db::Connection& conn) {
            db::MutationContext ctx{conn, now, meta};
            return directory->RecordPurchase(ctx, id, 100'000, now);
          });
      ASSERT_TRUE(s.ok()) << s;
    }
    ASSERT_EQ(Tier(id), customers::v1::CUSTOMER_TIER_VIP);
  }

  CustomerTier Tier(const std::string& id) {
    GetCustomerRequest req;
    req.set_customer_id(id);
    GetCustomerResponse resp;
    const grpc::Status s =
        Call(*stub_, &CustomerService::Stub::GetCustomer, kAdmin, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.customer().tier();
  }

  int StoredRequestIds(const std::string& request_id) const {
    return std::stoi(server_->QueryScalar(absl::StrCat(
        "SELECT COUNT(*) FROM idempotency_keys WHERE request_id = '",
        request_id, "'")));
  }

  std::unique_ptr<TestServer> server_;
  std::unique_ptr<CustomerService::Stub> stub_;
};

// --tier_active_days 30, --maintenance_interval_seconds 45 days: a month
// without purchases makes the VIP lapse by the policy, but the sweep is not
// due yet; once the clock passes the interval the thread demotes them.
TEST_F(MaintenanceIntegrationTest,
       TierLapsesWhenTheThreadSweepsAfterTheInterval) {
  absl::FlagSaver flags;
  absl::SetFlag(&FLAGS_tier_active_days, 30);
  ASSERT_NO_FATAL_FAILURE(Start(/*interval=*/absl::Hours(24 * 45)));
  const std::string id = CreateCustomer("13900000101", "tier-vip-0001");
  ASSERT_FALSE(id.empty());
  ASSERT_NO_FATAL_FAILURE(MakeVip(id));

  server_->clock().Advance(31 * kDay);
  ASSERT_NO_FATAL_FAILURE(SchedulerPass());
  EXPECT_EQ(Tier(id), customers::v1::CUSTOMER_TIER_VIP)
      << "the tier sweep ran before its interval had passed";

  server_->clock().Advance(15 * kDay);  // 46 days since the start-up sweep
  EXPECT_TRUE(WaitFor([&] {
    return Tier(id) == customers::v1::CUSTOMER_TIER_POTENTIAL;
  })) << "no tier sweep "
      << kPatience << " after the interval passed";
  EXPECT_EQ(
      server_->QueryScalar("SELECT principal_id || ' ' || detail FROM audit_log"
                           " WHERE method LIKE '%/SweepLapsedTiers'"),
      "system 1 tier(s) lapsed");
}

// The same history with the default --tier_active_days (365): the sweeps at
// 46 and 92 days leave the VIP alone; one after a year demotes them.
TEST_F(MaintenanceIntegrationTest, TierActiveDaysDecidesWhoLapses) {
  ASSERT_NO_FATAL_FAILURE(Start(/*interval=*/absl::Hours(24 * 45)));
  const std::string id = CreateCustomer("13900000102", "tier-vip-0002");
  ASSERT_FALSE(id.empty());
  ASSERT_NO_FATAL_FAILURE(MakeVip(id));

  for (int sweep = 0; sweep < 2; ++sweep) {
    server_->clock().Advance(46 * kDay);
    ASSERT_NO_FATAL_FAILURE(SchedulerPass());
    EXPECT_EQ(Tier(id), customers::v1::CUSTOMER_TIER_VIP)
        << "lapsed after " << 46 * (sweep + 1) << " days";
  }
  server_->clock().Advance(300 * kDay);  // 392 days without a purchase
  EXPECT_TRUE(WaitFor([&] {
    return Tier(id) == customers::v1::CUSTOMER_TIER_POTENTIAL;
  })) << "still VIP "
      << kPatience << " after a year without purchases";
}

// --request_id_retention_days 2, interval 1 day: a request_id 2.5 days old
// is forgotten by the thread's pruning and one 1.5 days old is kept, in the
// same sweep; a retry of the forgotten one is then a new request.
TEST_F(MaintenanceIntegrationTest, RequestIdsArePrunedAfterTheRetention) {
  ASSERT_NO_FATAL_FAILURE(
      Start(/*interval=*/absl::Hours(24), /*retention=*/absl::Hours(48)));
  const std::string old_id = CreateCustomer("13900000201", "prune-old-0001");
  ASSERT_FALSE(old_id.empty());
  server_->clock().Advance(kDay);
  const std::string young_id =
      CreateCustomer("13900000202", "prune-young-0001");
  ASSERT_EQ(StoredRequestIds("prune-old-0001"), 1);
  ASSERT_EQ(StoredRequestIds("prune-young-0001"), 1);

  server_->clock().Advance(kDay + kDay / 2);
  EXPECT_TRUE(WaitFor([&] { return StoredRequestIds("prune-old-0001") == 0; }))
      << "request_id older than the retention still stored " << kPatience
      << " after the interval passed";
  // One DELETE prunes everything past the cutoff: the young one stays.
  EXPECT_EQ(StoredRequestIds("prune-young-0001"), 1);

  // The young one still replays its first answer; the old one is a new
  // request now, which runs again (and finds the phone taken).
  EXPECT_EQ(CreateCustomer("13900000202", "prune-young-0001"), young_id);
  grpc::Status again;
  CreateCustomer("13900000201", "prune-old-0001", &again);
  EXPECT_EQ(again.error_code(), grpc::StatusCode::ALREADY_EXISTS)
      << again.error_message();
}

// The same history with the default retention (30 days): the sweep after
// 2.5 days prunes nothing, and the retry replays.
TEST_F(MaintenanceIntegrationTest, DefaultRetentionKeepsRequestIds) {
  ASSERT_NO_FATAL_FAILURE(Start(/*interval=*/absl::Hours(24)));
  const std::string old_id = CreateCustomer("13900000301", "keep-old-0001");
  ASSERT_FALSE(old_id.empty());
  server_->clock().Advance(kDay);
  CreateCustomer("13900000302", "keep-young-0001");

  server_->clock().Advance(kDay + kDay / 2);
  ASSERT_NO_FATAL_FAILURE(SchedulerPass());
  EXPECT_EQ(StoredRequestIds("keep-old-0001"), 1);
  EXPECT_EQ(CreateCustomer("13900000301", "keep-old-0001"), old_id);
}

// PostgreSQL (issue 16, "Volume"): core.month_partitions makes the
// partitions of the clock's month and the next two for every partitioned
// table, at start-up and on each interval, so rows never land in a
// DEFAULT partition. (SQLite has no partitions and no such task.)
TEST_F(MaintenanceIntegrationTest, NextMonthsPartitionsAreMadeAhead) {
  ASSERT_NO_FATAL_FAILURE(Start(/*interval=*/absl::Hours(24)));
  if (!server_->on_postgres()) GTEST_SKIP() << "PostgreSQL's partitions";
  const auto partitions = [&](const std::string& month) {
    return std::stoi(server_->QueryScalar(absl::StrCat(
        "SELECT COUNT(*) FROM pg_class WHERE relname IN ('orders_p", month,
        "', 'order_payments_p", month, "', 'events_p", month, "', 'audit_log_p",
        month, "')")));
  };
  // Migration made April to September 2026 (the clock is at June 1), and
  // the start-up pass nothing more.
  EXPECT_EQ(partitions("202609"), 4);
  EXPECT_EQ(partitions("202610"), 0);
  // October 1: October, November and December, each in every table.
  server_->clock().Advance(122 * kDay);
  EXPECT_TRUE(WaitFor([&] {
    return partitions("202610") == 4 && partitions("202611") == 4 &&
           partitions("202612") == 4;
  })) << "no partitions for this month and the next two "
      << kPatience << " after the interval passed";
  EXPECT_EQ(partitions("202701"), 0);
  // A write now lands in October's partitions, not in DEFAULT.
  const std::string id = CreateCustomer("13900000401", "ahead-0001");
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(
      server_->QueryScalar("SELECT (SELECT COUNT(*) FROM audit_log_default)"
                           " + (SELECT COUNT(*) FROM events_default)"),
      "0");
}

// The bytes of a file, or "" if it does not exist.
std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Erasure leaves no old version of the person's rows in the database's
// pages. SQLite (secure_delete, and the WAL truncated after the commit):
// neither the file nor the WAL holds the person's name or phone. PostgreSQL:
// every row version of every table (and TOAST table), live or dead, read
// from the raw pages (pageinspect), holds neither, and the tables that
// held them have no dead row version left (pgstattuple): the writer ran
// VACUUM on the tables the erasure rewrote before answering it. Their
// pages' free space may still hold old bytes until reused: VACUUM does not
// zero it (README, "PostgreSQL").
TEST_F(MaintenanceIntegrationTest, ErasureLeavesNoOldRowVersions) {
  ASSERT_NO_FATAL_FAILURE(Start(/*interval=*/absl::Hours(24)));
  const std::string name = "Quixvacname";
  const std::string phone = "13966602345";
  const std::string id = CreateCustomer(phone, "vacuum-create-0001");
  ASSERT_FALSE(id.empty());
  // A second version of the row, and a ledger reason naming the person.
  UpdateCustomerRequest update;
  update.set_request_id("vacuum-update-0001");
  update.mutable_customer()->set_customer_id(id);
  update.mutable_customer()->set_display_name(name);
  update.mutable_update_mask()->add_paths("display_name");
  UpdateCustomerResponse updated;
  ASSERT_TRUE(Call(*stub_, &CustomerService::Stub::UpdateCustomer, kAdmin,
                   update, &updated)
                  .ok());
  AdjustPointsRequest points;
  points.set_request_id("vacuum-points-0001");
  points.set_customer_id(id);
  points.set_delta(100);
  points.set_reason(absl::StrCat("gift for ", name));
  AdjustPointsResponse adjusted;
  ASSERT_TRUE(Call(*stub_, &CustomerService::Stub::AdjustPoints, kAdmin, points,
                   &adjusted)
                  .ok());
  const std::vector<std::string> markers = {name, phone};

  std::unique_ptr<db::Connection> conn;
  // PostgreSQL: each table (TOAST included) and how many of its row
  // versions hold `marker`.
  std::vector<std::string> relations;
  const auto versions_with = [&](const std::string& relation,
                                 const std::string& marker) {
    db::Stmt q = conn->Prepare(
        "SELECT COUNT(*) FROM generate_series(0, pg_relation_size("
        "CAST(?1 AS regclass)) / current_setting('block_size')::bigint - 1)"
        " AS b, heap_page_items(get_raw_page(?1, b)) AS i"
        " WHERE i.t_data IS NOT NULL"
        " AND position(convert_to(?2, 'UTF8') IN i.t_data) > 0");
    q->Bind(1, relation);
    q->Bind(2, marker);
    EXPECT_TRUE(q->Step());
    return q->Int64(0);
  };
  std::vector<std::string> held;  // relations with a marker before
  if (server_->on_postgres()) {
    conn = server_->OpenDatabase();
    ASSERT_NE(conn, nullptr);
    conn->Exec("CREATE EXTENSION IF NOT EXISTS pageinspect");
    conn->Exec("CREATE EXTENSION IF NOT EXISTS pgstattuple");
    db::Stmt q = conn->Prepare(
        "SELECT CAST(CAST(oid AS regclass) AS text) FROM pg_class"
        " WHERE relnamespace = CAST('public' AS regnamespace)"
        " AND relkind = 'r'"
        " UNION ALL SELECT CAST(CAST(reltoastrelid AS regclass) AS text)"
        " FROM pg_class WHERE relnamespace = CAST('public' AS regnamespace)"
        " AND reltoastrelid <> 0");
    while (q->Step()) relations.push_back(q->String(0));
    ASSERT_GT(relations.size(), 10u);
    for (const std::string& r : relations) {
      for (const std::string& m : markers) {
        if (versions_with(r, m) > 0) {
          held.push_back(r);
          break;
        }
      }
    }
    // Else the checks below prove nothing.
    EXPECT_THAT(held, ::testing::IsSupersetOf({"customers", "idempotency_keys",
                                               "points_transactions"}));
  } else {
    const std::string bytes =
        ReadBytes(server_->db_path()) + ReadBytes(server_->db_path() + "-wal");
    for (const std::string& m : markers) {
      EXPECT_TRUE(absl::StrContains(bytes, m)) << m << " not in the database";
    }
  }

  EraseCustomerRequest erase;
  erase.set_request_id("vacuum-erase-0001");
  erase.set_customer_id(id);
  erase.set_reason("ticket 4711");
  EraseCustomerResponse erased;
  ASSERT_TRUE(Call(*stub_, &CustomerService::Stub::EraseCustomer, kAdmin, erase,
                   &erased)
                  .ok());

  if (server_->on_postgres()) {
    for (const std::string& r : relations) {
      for (const std::string& m : markers) {
        EXPECT_EQ(versions_with(r, m), 0) << m << " in a row version of " << r;
      }
    }
    for (const std::string& r : held) {
      db::Stmt q =
          conn->Prepare("SELECT dead_tuple_count FROM pgstattuple(?1)");
      q->Bind(1, r);
      ASSERT_TRUE(q->Step());
      EXPECT_EQ(q->Int64(0), 0) << "dead row versions left in " << r;
    }
  } else {
    for (const std::string& path :
         {server_->db_path(), server_->db_path() + "-wal"}) {
      const std::string bytes = ReadBytes(path);
      for (const std::string& m : markers) {
        EXPECT_FALSE(absl::StrContains(bytes, m)) << m << " in " << path;
      }
    }
  }
}

}  // namespace
}  // namespace retail::testing
