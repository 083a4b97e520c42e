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
//     after --request_id_retention_days, and a retry then no longer replays.
#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "retail/customers/v1/customers.grpc.pb.h"
#include "server/customers/customer_directory.h"
#include "tests/integration/test_server.h"

ABSL_DECLARE_FLAG(int64_t, tier_active_days);

namespace retail::testing {
namespace {

using ::retail::customers::v1::CreateCustomerRequest;
using ::retail::customers::v1::CreateCustomerResponse;
using ::retail::customers::v1::CustomerService;
using ::retail::customers::v1::CustomerTier;
using ::retail::customers::v1::GetCustomerRequest;
using ::retail::customers::v1::GetCustomerResponse;
using ::retail::customers::v1::ListCustomersRequest;
using ::retail::customers::v1::ListCustomersResponse;

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
    return std::stoi(
        server_->QueryScalar("SELECT COALESCE(SUM(count), 0) FROM audit_log"
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

}  // namespace
}  // namespace retail::testing
