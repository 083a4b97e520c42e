// retail.audit.v1.AuditService/ListAuditLog through the real server: what
// every kind of call leaves in the log (changes, business failures, replayed
// retries, a reveal, a denial, an unauthenticated call, a bad request), each
// filter against a model of the whole log, paging with no duplicates or
// gaps, page tokens bound to the filters, who may read the log, and the
// bound on rows read per call.
#include <algorithm>
#include <functional>
#include <set>
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
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "retail/audit/v1/audit.grpc.pb.h"
#include "retail/customers/v1/customers.grpc.pb.h"
#include "tests/integration/test_server.h"

ABSL_DECLARE_FLAG(int32_t, audit_retention_days);

namespace retail::testing {
namespace {

namespace av1 = ::retail::audit::v1;
namespace cv1 = ::retail::customers::v1;
using AuditStub = av1::AuditService::Stub;
using CustomerStub = cv1::CustomerService::Stub;
using ::google::protobuf::util::TimeUtil;
using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

constexpr char kCustomerService[] = "retail.customers.v1.CustomerService";
constexpr int64_t kSecond = 1'000'000;

// The fields a filter looks at, and the keys of the order.
struct Row {
  int64_t id = 0;
  int64_t time_us = 0;
  std::string principal, role, staff, method, resource, request_id, outcome,
      detail;
  int64_t count = 0;
  bool operator==(const Row&) const = default;
};

Row RowOf(const av1::AuditEntry& e) {
  return {e.audit_id(),  TimeUtil::TimestampToMicroseconds(e.create_time()),
          e.principal(), e.role(),
          e.staff_id(),  e.method(),
          e.resource(),  e.request_id(),
          e.outcome(),   e.detail(),
          e.count()};
}

std::vector<int64_t> Ids(const std::vector<Row>& rows) {
  std::vector<int64_t> ids;
  for (const Row& r : rows) ids.push_back(r.id);
  return ids;
}

class AuditIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    audit_ = av1::AuditService::NewStub(server_.Channel());
    customers_ = cv1::CustomerService::NewStub(server_.Channel());
  }

  // Every page of `req` as `token`, following next_page_token (at most
  // `max_pages`); `pages` gets the number of calls.
  std::vector<Row> ListAll(av1::ListAuditLogRequest req,
                           const std::string& token = kAuditor,
                           int* pages = nullptr, int max_pages = 1000) {
    std::vector<Row> rows;
    int calls = 0;
    do {
      av1::ListAuditLogResponse resp;
      grpc::Status s =
          Call(*audit_, &AuditStub::ListAuditLog, token, req, &resp);
      EXPECT_TRUE(s.ok()) << s.error_message();
      if (!s.ok()) break;
      ++calls;
      for (const av1::AuditEntry& e : resp.entries()) rows.push_back(RowOf(e));
      req.set_page_token(resp.next_page_token());
    } while (!req.page_token().empty() && calls < max_pages);
    EXPECT_TRUE(req.page_token().empty()) << "more than " << max_pages;
    if (pages != nullptr) *pages = calls;
    return rows;
  }

  // Waits (at most 10 s) until the log holds `n` rows: failures refused
  // before the writer are audited without holding up their answer.
  void WaitForRows(int n) {
    const absl::Time give_up = absl::Now() + absl::Seconds(10);
    while (std::stoi(server_.QueryScalar("SELECT COUNT(*) FROM audit_log")) <
               n &&
           absl::Now() < give_up) {
      absl::SleepFor(absl::Milliseconds(10));
    }
    ASSERT_EQ(server_.QueryScalar("SELECT COUNT(*) FROM audit_log"),
              absl::StrCat(n));
  }

  int RowCount() {
    return std::stoi(server_.QueryScalar("SELECT COUNT(*) FROM audit_log"));
  }

  cv1::CreateCustomerRequest NewCustomer(const std::string& request_id,
                                         const std::string& name,
                                         const std::string& phone) {
    cv1::CreateCustomerRequest req;
    req.set_request_id(request_id);
    req.mutable_customer()->set_display_name(name);
    req.mutable_customer()->set_phone(phone);
    req.mutable_customer()->set_branch_id("B001");
    return req;
  }

  grpc::Status Create(const std::string& token,
                      const cv1::CreateCustomerRequest& req,
                      cv1::CreateCustomerResponse* resp,
                      const std::string& staff = "") {
    auto ctx = ContextFor(token);
    if (!staff.empty()) ctx->AddMetadata("x-staff-id", staff);
    return customers_->CreateCustomer(ctx.get(), req, resp);
  }

  // One call of every kind the log records, one second apart on the fake
  // clock; returns the customer created first.
  std::string MakeEveryKindOfCall() {
    cv1::CreateCustomerResponse created;
    const cv1::CreateCustomerRequest first =
        NewCustomer("audit-create-0001", "王小明", "13900000001");
    EXPECT_TRUE(Create(kAdmin, first, &created).ok());
    const std::string id = created.customer().customer_id();
    server_.clock().Advance(kSecond);
    // The same request again: its stored answer, replayed.
    cv1::CreateCustomerResponse again;
    EXPECT_TRUE(Create(kAdmin, first, &again).ok());
    EXPECT_EQ(again.customer().customer_id(), id);
    server_.clock().Advance(kSecond);
    // A store's cashier at a shared token.
    cv1::CreateCustomerResponse other;
    EXPECT_TRUE(Create(kBranch1,
                       NewCustomer("audit-create-0002", "李四", "13900000002"),
                       &other, "S042")
                    .ok());
    server_.clock().Advance(kSecond);
    // A business failure: the phone is taken.
    cv1::CreateCustomerResponse taken;
    EXPECT_EQ(
        Create(kAdmin, NewCustomer("audit-create-0003", "王二", "13900000001"),
               &taken)
            .error_code(),
        grpc::StatusCode::ALREADY_EXISTS);
    server_.clock().Advance(kSecond);
    // An agent unmasks the first customer's phone.
    cv1::GetCustomerRequest get;
    get.set_customer_id(id);
    get.set_reveal_pii(true);
    cv1::GetCustomerResponse got;
    EXPECT_TRUE(
        Call(*customers_, &CustomerStub::GetCustomer, kAgent, get, &got).ok());
    EXPECT_EQ(got.customer().phone(), "13900000001");
    server_.clock().Advance(kSecond);
    // An auditor may not change anything.
    cv1::CreateCustomerResponse denied;
    EXPECT_EQ(
        Create(kAuditor,
               NewCustomer("audit-create-0004", "赵五", "13900000004"), &denied)
            .error_code(),
        grpc::StatusCode::PERMISSION_DENIED);
    // Refused at the gate: audited just after the answer, at the writer's
    // time, so the clock waits for the row.
    WaitForRows(6);
    server_.clock().Advance(kSecond);
    // A token nobody issued.
    EXPECT_EQ(
        Call(*customers_, &CustomerStub::GetCustomer, "stolen-token", get, &got)
            .error_code(),
        grpc::StatusCode::UNAUTHENTICATED);
    WaitForRows(7);
    server_.clock().Advance(kSecond);
    // A request that breaks a field rule.
    EXPECT_EQ(
        Create(kAdmin, NewCustomer("audit-create-0005", "", "13900000005"),
               &denied)
            .error_code(),
        grpc::StatusCode::INVALID_ARGUMENT);
    WaitForRows(8);
    server_.clock().Advance(kSecond);
    return id;
  }

  TestServer server_;
  std::unique_ptr<AuditStub> audit_;
  std::unique_ptr<CustomerStub> customers_;
};

TEST_F(AuditIntegrationTest, EveryKindOfCallIsListedNewestFirst) {
  const std::string id = MakeEveryKindOfCall();
  WaitForRows(8);
  const std::string resource = "customers/" + id;
  const std::string create = absl::StrCat(kCustomerService, "/CreateCustomer");
  const std::string get = absl::StrCat(kCustomerService, "/GetCustomer");

  const std::vector<Row> rows = ListAll({});
  ASSERT_EQ(rows.size(), 8u);
  // Newest first, one second apart.
  for (size_t i = 0; i + 1 < rows.size(); ++i) {
    EXPECT_EQ(rows[i].time_us, rows[i + 1].time_us + kSecond) << i;
    EXPECT_GT(rows[i].id, rows[i + 1].id) << i;
  }
  const auto who = [](const Row& r) {
    return absl::StrCat(r.principal, " ", r.role, " ", r.staff, " ", r.outcome);
  };
  std::vector<std::string> got;
  for (const Row& r : rows) got.push_back(who(r));
  EXPECT_THAT(
      got,
      ElementsAre("admin admin  INVALID_ARGUMENT",
                  "(unauthenticated) none  UNAUTHENTICATED",
                  "auditor auditor  PERMISSION_DENIED", "agent agent  REVEAL",
                  "admin admin  ALREADY_EXISTS", "b001 branch S042 OK",
                  "admin admin  REPLAYED", "admin admin  OK"));
  EXPECT_EQ(rows[7].method, create);
  EXPECT_EQ(rows[7].resource, resource);
  EXPECT_EQ(rows[7].request_id, "audit-create-0001");
  EXPECT_EQ(rows[6].request_id, "audit-create-0001");
  // A replayed create names the collection: the replay does not run the
  // change that named the new customer.
  EXPECT_EQ(rows[6].resource, "customers");
  EXPECT_EQ(rows[3].method, get);
  EXPECT_EQ(rows[3].resource, resource);
  EXPECT_EQ(rows[1].method, get);
  for (const Row& r : rows) EXPECT_EQ(r.count, 1);

  // Each row as the database holds it.
  EXPECT_EQ(server_.QueryScalar(
                JoinedSql(server_.on_postgres(), "CAST(audit_id AS TEXT)", ",",
                          "audit_log", "create_time_us DESC, audit_id DESC")),
            absl::StrJoin(Ids(rows), ","));
  // Nothing in the log is personal data: the revealed phone is not there.
  for (const Row& r : rows) {
    EXPECT_THAT(r.detail, ::testing::Not(::testing::HasSubstr("13900000001")));
  }
}

TEST_F(AuditIntegrationTest, EachFilterReturnsExactlyItsRows) {
  const std::string id = MakeEveryKindOfCall();
  WaitForRows(8);
  const std::vector<Row> all = ListAll({});
  ASSERT_EQ(all.size(), 8u);
  const std::string resource = "customers/" + id;
  const int64_t t0 = all.back().time_us;  // the first call's time

  struct FilterCase {
    std::string name;
    std::function<void(av1::ListAuditLogRequest&)> set;
    std::function<bool(const Row&)> match;
    size_t want;
  };
  const std::vector<FilterCase> cases = {
      {"principal admin", [](auto& r) { r.set_principal("admin"); },
       [](const Row& r) { return r.principal == "admin"; }, 4},
      {"principal unauthenticated",
       [](auto& r) { r.set_principal("(unauthenticated)"); },
       [](const Row& r) { return r.role == "none"; }, 1},
      {"principal nobody", [](auto& r) { r.set_principal("nobody"); },
       [](const Row&) { return false; }, 0},
      {"full method",
       [](auto& r) {
         r.set_method("retail.customers.v1.CustomerService/GetCustomer");
       },
       [](const Row& r) { return absl::EndsWith(r.method, "/GetCustomer"); },
       2},
      {"full method, gRPC path form",
       [](auto& r) {
         r.set_method("/retail.customers.v1.CustomerService/CreateCustomer");
       },
       [](const Row& r) { return absl::EndsWith(r.method, "/CreateCustomer"); },
       6},
      {"service", [](auto& r) { r.set_method(kCustomerService); },
       [](const Row& r) { return absl::StartsWith(r.method, "retail.cust"); },
       8},
      {"another service",
       [](auto& r) { r.set_method("retail.orders.v1.OrderService"); },
       [](const Row&) { return false; }, 0},
      {"a service's name is not a prefix of another's",
       [](auto& r) { r.set_method("retail.customers.v1.Customer"); },
       [](const Row&) { return false; }, 0},
      {"resource", [&](auto& r) { r.set_resource(resource); },
       [&](const Row& r) { return r.resource == resource; }, 2},
      {"the collection", [](auto& r) { r.set_resource("customers"); },
       [](const Row& r) { return r.resource == "customers"; }, 2},
      {"reveals", [](auto& r) { r.add_outcomes("REVEAL"); },
       [](const Row& r) { return r.outcome == "REVEAL"; }, 1},
      {"denials, any case, repeated",
       [](auto& r) {
         r.add_outcomes("permission_denied");
         r.add_outcomes("UNAUTHENTICATED");
         r.add_outcomes("PERMISSION_DENIED");
       },
       [](const Row& r) {
         return r.outcome == "PERMISSION_DENIED" ||
                r.outcome == "UNAUTHENTICATED";
       },
       2},
      {"OK and replays",
       [](auto& r) {
         r.add_outcomes("OK");
         r.add_outcomes("REPLAYED");
       },
       [](const Row& r) {
         return r.outcome == "OK" || r.outcome == "REPLAYED";
       },
       3},
      {"failures inside and before the writer",
       [](auto& r) {
         r.add_outcomes("ALREADY_EXISTS");
         r.add_outcomes("INVALID_ARGUMENT");
       },
       [](const Row& r) {
         return r.outcome == "ALREADY_EXISTS" ||
                r.outcome == "INVALID_ARGUMENT";
       },
       2},
      {"since the third call",
       [&](auto& r) {
         *r.mutable_start_time() =
             TimeUtil::MicrosecondsToTimestamp(t0 + 2 * kSecond);
       },
       [&](const Row& r) { return r.time_us >= t0 + 2 * kSecond; }, 6},
      {"before the third call",
       [&](auto& r) {
         *r.mutable_end_time() =
             TimeUtil::MicrosecondsToTimestamp(t0 + 2 * kSecond);
       },
       [&](const Row& r) { return r.time_us < t0 + 2 * kSecond; }, 2},
      {"one microsecond",
       [&](auto& r) {
         *r.mutable_start_time() =
             TimeUtil::MicrosecondsToTimestamp(t0 + 4 * kSecond);
         *r.mutable_end_time() =
             TimeUtil::MicrosecondsToTimestamp(t0 + 4 * kSecond + 1);
       },
       [](const Row& r) { return r.outcome == "REVEAL"; }, 1},
      {"admin's customer calls in a range",
       [&](auto& r) {
         r.set_principal("admin");
         r.set_method(kCustomerService);
         *r.mutable_start_time() =
             TimeUtil::MicrosecondsToTimestamp(t0 + kSecond);
         *r.mutable_end_time() =
             TimeUtil::MicrosecondsToTimestamp(t0 + 4 * kSecond);
       },
       [&](const Row& r) {
         return r.principal == "admin" && r.time_us >= t0 + kSecond &&
                r.time_us < t0 + 4 * kSecond;
       },
       2},
      {"every filter at once",
       [&](auto& r) {
         r.set_principal("agent");
         r.set_method("retail.customers.v1.CustomerService/GetCustomer");
         r.set_resource(resource);
         r.add_outcomes("REVEAL");
         *r.mutable_start_time() = TimeUtil::MicrosecondsToTimestamp(t0);
         *r.mutable_end_time() =
             TimeUtil::MicrosecondsToTimestamp(t0 + 60 * kSecond);
       },
       [](const Row& r) { return r.outcome == "REVEAL"; }, 1},
      {"resource and another principal",
       [&](auto& r) {
         r.set_resource(resource);
         r.set_principal("b001");
       },
       [](const Row&) { return false; }, 0},
  };
  for (const FilterCase& c : cases) {
    SCOPED_TRACE(c.name);
    av1::ListAuditLogRequest req;
    c.set(req);
    std::vector<Row> want;
    for (const Row& r : all) {
      if (c.match(r)) want.push_back(r);
    }
    EXPECT_EQ(want.size(), c.want);
    // As admin and as auditor alike, whole and one row per page.
    EXPECT_EQ(Ids(ListAll(req, kAdmin)), Ids(want));
    req.set_page_size(1);
    int pages = 0;
    const std::vector<Row> paged = ListAll(req, kAuditor, &pages);
    EXPECT_EQ(paged, want);
    EXPECT_LE(pages, static_cast<int>(want.size()) + 1);
  }
}

TEST_F(AuditIntegrationTest, PagesHaveNoDuplicatesOrGapsWhileWritesGoOn) {
  cv1::CreateCustomerResponse created;
  ASSERT_TRUE(Create(kAdmin,
                     NewCustomer("audit-page-create", "张三", "13900000009"),
                     &created)
                  .ok());
  const std::string id = created.customer().customer_id();
  // Rows at the same instant (the fake clock stands still) and rows a
  // second apart: ties on time are ordered by audit_id.
  for (int i = 0; i < 60; ++i) {
    cv1::AdjustPointsRequest adjust;
    adjust.set_customer_id(id);
    adjust.set_delta(10);
    adjust.set_reason("paging");
    adjust.set_request_id(absl::StrCat("audit-page-adjust-", i));
    cv1::AdjustPointsResponse adjusted;
    ASSERT_TRUE(Call(*customers_, &CustomerStub::AdjustPoints, kAdmin, adjust,
                     &adjusted)
                    .ok());
    if (i % 7 == 0) server_.clock().Advance(kSecond);
  }
  ASSERT_EQ(ListAll({}).size(), 61u);
  for (const int size : {1, 7, 60, 61, 1000}) {
    SCOPED_TRACE(size);
    const std::vector<Row> all = ListAll({});
    for (size_t i = 0; i + 1 < all.size(); ++i) {
      EXPECT_TRUE(
          all[i].time_us > all[i + 1].time_us ||
          (all[i].time_us == all[i + 1].time_us && all[i].id > all[i + 1].id));
    }
    const int n = static_cast<int>(all.size());
    av1::ListAuditLogRequest req;
    req.set_page_size(size);
    std::vector<Row> seen;
    int pages = 0;
    do {
      av1::ListAuditLogResponse resp;
      ASSERT_TRUE(
          Call(*audit_, &AuditStub::ListAuditLog, kAuditor, req, &resp).ok());
      ++pages;
      EXPECT_LE(resp.entries_size(), size);
      for (const av1::AuditEntry& e : resp.entries()) seen.push_back(RowOf(e));
      req.set_page_token(resp.next_page_token());
      // Newer rows written meanwhile sort before the pages already read,
      // so they neither repeat nor shift what comes next.
      if (pages == 2) {
        cv1::AdjustPointsRequest adjust;
        adjust.set_customer_id(id);
        adjust.set_delta(1);
        adjust.set_reason("meanwhile");
        adjust.set_request_id(absl::StrCat("audit-page-meanwhile-", size));
        cv1::AdjustPointsResponse adjusted;
        ASSERT_TRUE(Call(*customers_, &CustomerStub::AdjustPoints, kAdmin,
                         adjust, &adjusted)
                        .ok());
      }
    } while (!req.page_token().empty() && pages < 100);
    EXPECT_EQ(seen, all);
    // The row after a page is looked ahead for: a full last page has no
    // token, so no empty page follows.
    EXPECT_EQ(pages, (n + size - 1) / size);
  }

  // The default page is 100 rows; more than 1000 is taken as 1000.
  av1::ListAuditLogRequest req;
  av1::ListAuditLogResponse resp;
  ASSERT_TRUE(
      Call(*audit_, &AuditStub::ListAuditLog, kAuditor, req, &resp).ok());
  EXPECT_EQ(resp.entries_size(), RowCount());
  EXPECT_TRUE(resp.next_page_token().empty());
  req.set_page_size(5000);
  ASSERT_TRUE(
      Call(*audit_, &AuditStub::ListAuditLog, kAuditor, req, &resp).ok());
  EXPECT_TRUE(resp.next_page_token().empty());
}

TEST_F(AuditIntegrationTest, PageTokenIsRefusedWhenAFilterChanges) {
  MakeEveryKindOfCall();
  WaitForRows(8);
  av1::ListAuditLogRequest first;
  first.set_method(kCustomerService);
  first.add_outcomes("OK");
  first.add_outcomes("REVEAL");
  first.set_page_size(1);
  av1::ListAuditLogResponse page;
  ASSERT_TRUE(
      Call(*audit_, &AuditStub::ListAuditLog, kAuditor, first, &page).ok());
  ASSERT_FALSE(page.next_page_token().empty());

  const std::vector<
      std::pair<std::string, std::function<void(av1::ListAuditLogRequest&)>>>
      changes = {
          {"principal", [](auto& r) { r.set_principal("admin"); }},
          {"method",
           [](auto& r) {
             r.set_method("retail.customers.v1.CustomerService/GetCustomer");
           }},
          {"method dropped", [](auto& r) { r.clear_method(); }},
          {"resource", [](auto& r) { r.set_resource("customers/x"); }},
          {"an outcome more", [](auto& r) { r.add_outcomes("REPLAYED"); }},
          {"outcomes dropped", [](auto& r) { r.clear_outcomes(); }},
          {"start", [](auto& r) { r.mutable_start_time()->set_seconds(1); }},
          {"end",
           [](auto& r) { r.mutable_end_time()->set_seconds(4'000'000'000LL); }},
      };
  for (const auto& [name, change] : changes) {
    SCOPED_TRACE(name);
    av1::ListAuditLogRequest next = first;
    next.set_page_token(page.next_page_token());
    change(next);
    av1::ListAuditLogResponse resp;
    grpc::Status s =
        Call(*audit_, &AuditStub::ListAuditLog, kAuditor, next, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(DetailsOf(s).fields, ElementsAre("page_token"));
  }
  // The same filters spelled otherwise are the same filters; another page
  // size is no other filter.
  av1::ListAuditLogRequest same;
  same.set_method("/retail.customers.v1.CustomerService");
  same.add_outcomes("reveal");
  same.add_outcomes("OK");
  same.add_outcomes("ok");
  same.set_page_size(50);
  same.set_page_token(page.next_page_token());
  av1::ListAuditLogResponse rest;
  ASSERT_TRUE(
      Call(*audit_, &AuditStub::ListAuditLog, kAdmin, same, &rest).ok());
  EXPECT_EQ(rest.entries_size(), 2);  // the two creates
  EXPECT_TRUE(rest.next_page_token().empty());
}

TEST_F(AuditIntegrationTest, OnlyAuditorsAndAdminsMayReadTheLog) {
  MakeEveryKindOfCall();
  WaitForRows(8);
  av1::ListAuditLogRequest req;
  av1::ListAuditLogResponse resp;
  for (const char* token : {kAdmin, kAuditor}) {
    SCOPED_TRACE(token);
    EXPECT_TRUE(
        Call(*audit_, &AuditStub::ListAuditLog, token, req, &resp).ok());
    EXPECT_EQ(resp.entries_size(), 8);
  }
  for (const char* token : {kAgent, kBranch1, kBranch2, kCrm}) {
    SCOPED_TRACE(token);
    resp.Clear();
    EXPECT_EQ(
        Call(*audit_, &AuditStub::ListAuditLog, token, req, &resp).error_code(),
        grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_EQ(resp.entries_size(), 0);
    server_.clock().Advance(kSecond);
  }
  EXPECT_EQ(
      Call(*audit_, &AuditStub::ListAuditLog, "", req, &resp).error_code(),
      grpc::StatusCode::UNAUTHENTICATED);
  // Trying to read the log is itself in the log.
  WaitForRows(8 + 5);
  av1::ListAuditLogRequest tries;
  tries.set_method("retail.audit.v1.AuditService/ListAuditLog");
  std::vector<std::string> who;
  for (const Row& r : ListAll(tries)) {
    who.push_back(absl::StrCat(r.principal, " ", r.outcome));
  }
  EXPECT_THAT(who, UnorderedElementsAre(
                       "agent PERMISSION_DENIED", "b001 PERMISSION_DENIED",
                       "b002 PERMISSION_DENIED", "crm PERMISSION_DENIED",
                       "(unauthenticated) UNAUTHENTICATED"));
}

TEST_F(AuditIntegrationTest, BadFiltersNameTheirFields) {
  struct BadCase {
    std::string name;
    std::function<void(av1::ListAuditLogRequest&)> set;
    std::vector<std::string> fields;
  };
  const std::vector<BadCase> cases = {
      {"unknown outcome second",
       [](auto& r) {
         r.add_outcomes("REVEAL");
         r.add_outcomes("DENIED");
       },
       {"outcomes[1]"}},
      {"two unknown outcomes",
       [](auto& r) {
         r.add_outcomes("nope");
         r.add_outcomes("OK");
         r.add_outcomes("");
       },
       {"outcomes[0]", "outcomes[2]"}},
      {"end before start",
       [](auto& r) {
         r.mutable_start_time()->set_seconds(2000000000);
         r.mutable_end_time()->set_seconds(1000000000);
       },
       {"end_time"}},
      {"end at start",
       [](auto& r) {
         r.mutable_start_time()->set_seconds(2000000000);
         r.mutable_end_time()->set_seconds(2000000000);
       },
       {"end_time"}},
      {"nanos out of range",
       [](auto& r) { r.mutable_start_time()->set_nanos(1'000'000'000); },
       {"start_time"}},
      {"year 10000",
       [](auto& r) { r.mutable_end_time()->set_seconds(253402300800LL); },
       {"end_time"}},
      {"negative page size",
       [](auto& r) { r.set_page_size(-1); },
       {"page_size"}},
      {"method of spaces",
       [](auto& r) { r.set_method("no such method"); },
       {"method"}},
      {"method with nothing after the slash",
       [](auto& r) { r.set_method("retail.orders.v1.OrderService/"); },
       {"method"}},
      {"method with a control character",
       [](auto& r) { r.set_method("retail.x.v1.S/\x01"); },
       {"method"}},
      {"principal with a control character",
       [](auto& r) { r.set_principal("a\x1b[2J"); },
       {"principal"}},
      {"resource of 257 characters",
       [](auto& r) { r.set_resource(std::string(257, 'r')); },
       {"resource"}},
      {"forged page token",
       [](auto& r) { r.set_page_token("AQAAAAAAAAAFAAAAAAAAAAAAAAAAAAAAAA"); },
       {"page_token"}},
      {"every field at once",
       [](auto& r) {
         r.set_principal(std::string(300, 'p'));
         r.set_method("bad method");
         r.set_resource(std::string(300, 'r'));
         r.add_outcomes("x");
         r.mutable_start_time()->set_nanos(-1);
         r.mutable_end_time()->set_nanos(-1);
         r.set_page_size(-5);
         r.set_page_token("x");
       },
       {"page_size", "principal", "method", "resource", "outcomes[0]",
        "start_time", "end_time", "page_token"}},
  };
  for (const BadCase& c : cases) {
    SCOPED_TRACE(c.name);
    av1::ListAuditLogRequest req;
    c.set(req);
    av1::ListAuditLogResponse resp;
    grpc::Status s =
        Call(*audit_, &AuditStub::ListAuditLog, kAdmin, req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(DetailsOf(s).fields,
                ::testing::UnorderedElementsAreArray(c.fields));
    ExpectNoStorageText(s);
  }
}

// A filter no index serves (the method) reads a bounded number of rows per
// call: on a log of 25,000 rows that match nothing it answers short pages
// with a token, and following them still finds the one match at the bottom.
TEST_F(AuditIntegrationTest, UnindexedFilterReadsABoundedNumberOfRowsPerCall) {
  const int64_t now = server_.clock().NowMicros();
  // One statement on either engine: the rows i = 0..24999, i microseconds
  // after `now` - 100 s, the first one rare.
  server_.ExecSql(absl::StrCat(
      "WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s"
      " WHERE i < 24999)"
      " INSERT INTO audit_log (create_time_us, principal_id, role, method,"
      " resource, request_id, outcome, detail, staff_id, count)"
      " SELECT ",
      now - 100 * kSecond,
      " + i,"
      " CASE WHEN i = 0 THEN 'rare-bot' ELSE 'bulk-bot' END, 'service',"
      " CASE WHEN i = 0 THEN 'retail.rare.v1.RareService/Once'"
      " ELSE 'retail.bulk.v1.BulkService/Often' END, '', '',"
      " CASE WHEN i = 0 THEN 'DATA_LOSS' ELSE 'OK' END, '', '', 1 FROM s"));
  ASSERT_EQ(server_.QueryScalar("SELECT COUNT(*) FROM audit_log WHERE"
                                " principal_id IN ('rare-bot', 'bulk-bot')"),
            "25000");
  av1::ListAuditLogRequest req;
  req.set_method("retail.rare.v1.RareService/Once");
  av1::ListAuditLogResponse resp;
  ASSERT_TRUE(
      Call(*audit_, &AuditStub::ListAuditLog, kAuditor, req, &resp).ok());
  EXPECT_EQ(resp.entries_size(), 0);
  EXPECT_FALSE(resp.next_page_token().empty());
  int pages = 0;
  std::vector<Row> found = ListAll(req, kAuditor, &pages);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].principal, "rare-bot");
  // 10,000 rows per call at most: three calls for 25,000 (more only if a
  // call ran out of its 200 ms first, on a very busy machine).
  EXPECT_GE(pages, 3);

  // Without an index, a principal is the same walk; an outcome (the rare
  // row is the only DATA_LOSS) and a time range each find it in one call.
  av1::ListAuditLogRequest by_principal;
  by_principal.set_principal("rare-bot");
  EXPECT_EQ(ListAll(by_principal, kAuditor, &pages).size(), 1u);
  EXPECT_GE(pages, 3);
  av1::ListAuditLogRequest by_outcome;
  by_outcome.add_outcomes("DATA_LOSS");
  EXPECT_EQ(ListAll(by_outcome, kAuditor, &pages).size(), 1u);
  EXPECT_EQ(pages, 1);
  av1::ListAuditLogRequest by_time;
  *by_time.mutable_start_time() =
      TimeUtil::MicrosecondsToTimestamp(now - 100 * kSecond);
  *by_time.mutable_end_time() =
      TimeUtil::MicrosecondsToTimestamp(now - 100 * kSecond + 1);
  by_time.set_method("retail.rare.v1.RareService");
  EXPECT_EQ(ListAll(by_time, kAuditor, &pages).size(), 1u);
  EXPECT_EQ(pages, 1);
}

// ---- retention (issue 15: "Audit rows are kept at least three years by
// default"; --audit_retention_days, the audit.retention maintenance task) --

constexpr int64_t kDay = 24 * 3600 * kSecond;

class AuditRetentionTest : public ::testing::Test {
 protected:
  // No maintenance thread: the test moves the fake clock and runs the
  // tasks itself with RunMaintenance().
  void StartServer() {
    server_ = std::make_unique<TestServer>(
        TestServerOptions{.configure = [](ServerOptions& o) {
          o.maintenance_interval = absl::ZeroDuration();
        }});
    customers_ = cv1::CustomerService::NewStub(server_->Channel());
    audit_ = av1::AuditService::NewStub(server_->Channel());
  }

  void CreateCustomers(const std::string& tag, int n) {
    for (int i = 0; i < n; ++i) {
      cv1::CreateCustomerRequest req;
      req.set_request_id(absl::StrCat("audit-retention-", tag, "-", i));
      req.mutable_customer()->set_display_name(absl::StrCat("Retained ", i));
      req.mutable_customer()->set_phone(
          absl::StrCat("1370", tag, absl::Dec(i, absl::kZeroPad6)));
      req.mutable_customer()->set_branch_id("B001");
      cv1::CreateCustomerResponse resp;
      grpc::Status s =
          Call(*customers_, &CustomerStub::CreateCustomer, kAdmin, req, &resp);
      ASSERT_TRUE(s.ok()) << s.error_message();
    }
  }

  int64_t Scalar(const std::string& sql) {
    return std::stoll(server_->QueryScalar(sql));
  }

  // Rows created before / at `t` (fake-clock micros).
  int64_t RowsBefore(int64_t t) {
    return Scalar(absl::StrCat(
        "SELECT COUNT(*) FROM audit_log WHERE create_time_us < ", t));
  }
  int64_t RowsAt(int64_t t) {
    return Scalar(absl::StrCat(
        "SELECT COUNT(*) FROM audit_log WHERE create_time_us = ", t));
  }

  // `n` rows written straight into the table, `age` before now (one
  // microsecond apart), in one statement on either engine.
  void InsertOldRows(int n, int64_t age) {
    const int64_t t = server_->clock().NowMicros() - age;
    server_->ExecSql(absl::StrCat(
        "WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s"
        " WHERE i < ",
        n - 1,
        ")"
        " INSERT INTO audit_log (create_time_us, principal_id, role, method,"
        " resource, request_id, outcome, detail)"
        " SELECT ",
        t,
        " + i, 'old-bot', 'service', 'retail.old.v1.OldService/Do', '', '',"
        " 'OK', '' FROM s"));
  }

  // PostgreSQL: the first microsecond of the UTC month of `t`, where
  // retention drops whole months (retail_month_start_us).
  int64_t MonthStart(int64_t t) {
    return Scalar(absl::StrCat("SELECT retail_month_start_us(", t, ")"));
  }
  // PostgreSQL: whether audit_log's partition `name` exists.
  bool PartitionExists(const std::string& name) {
    return Scalar(absl::StrCat(
               "SELECT COUNT(*) FROM pg_class WHERE relname = '", name, "'")) ==
           1;
  }

  absl::FlagSaver flags_;  // first: flags come back after the server is gone
  std::unique_ptr<TestServer> server_;
  std::unique_ptr<CustomerStub> customers_;
  std::unique_ptr<AuditStub> audit_;
};

// The default keeps three years (1096 days): a row is still there after
// 1095 days, gone after 1097, and rows inside the window stay.
TEST_F(AuditRetentionTest, DefaultKeepsRowsThreeYears) {
  EXPECT_EQ(absl::GetFlag(FLAGS_audit_retention_days), 1096);
  StartServer();
  const int64_t t0 = server_->clock().NowMicros();
  CreateCustomers("1", 5);
  const int64_t first_rows = RowsAt(t0);
  ASSERT_GE(first_rows, 5);

  server_->clock().Advance(1095 * kDay);
  server_->server().RunMaintenance();
  EXPECT_EQ(RowsAt(t0), first_rows) << "deleted before three years";

  server_->clock().Advance(kSecond);
  const int64_t t1 = server_->clock().NowMicros();
  CreateCustomers("2", 3);
  const int64_t second_rows = RowsAt(t1);
  ASSERT_GE(second_rows, 3);
  server_->clock().Advance(2 * kDay);  // the first rows are 1097 days old
  server_->server().RunMaintenance();
  if (server_->on_postgres()) {
    // Whole months (issue 16): June 2026 (t0 is its first microsecond) goes
    // once all of it is past retention, when the cutoff reaches July 1,
    // 2026: kept one microsecond before, its partition dropped at it.
    EXPECT_EQ(RowsAt(t0), first_rows) << "a month dropped before its end";
    const int64_t july = MonthStart(t0 + 40 * kDay);
    server_->clock().Advance(july + 1096 * kDay - 1 -
                             server_->clock().NowMicros());
    server_->server().RunMaintenance();
    EXPECT_EQ(RowsAt(t0), first_rows) << "a month dropped before its end";
    EXPECT_TRUE(PartitionExists("audit_log_p202606"));
    server_->clock().Advance(1);
    server_->server().RunMaintenance();
    EXPECT_FALSE(PartitionExists("audit_log_p202606"))
        << "the month was deleted row by row, not dropped";
  }
  EXPECT_EQ(RowsAt(t0), 0) << "kept past three years";
  EXPECT_EQ(RowsAt(t1), second_rows);

  // ListAuditLog shows only what is left.
  av1::ListAuditLogRequest req;
  req.set_page_size(1000);
  av1::ListAuditLogResponse resp;
  ASSERT_TRUE(
      Call(*audit_, &AuditStub::ListAuditLog, kAuditor, req, &resp).ok());
  EXPECT_GE(resp.entries_size(), second_rows);
  for (const av1::AuditEntry& e : resp.entries()) {
    EXPECT_GT(TimeUtil::TimestampToMicroseconds(e.create_time()), t0);
  }
}

// A backlog larger than one slice (5,000 rows per write transaction) is
// deleted in slices by one RunMaintenance(); the newest row is kept even
// past retention, so an audit_id is never handed out twice. (On PostgreSQL
// rows from 2023 are in the DEFAULT partition, no month being made for
// them: retention deletes them row by row, by the month rule.)
TEST_F(AuditRetentionTest, DeletesABacklogInSlicesAndNeverReusesAnId) {
  StartServer();
  InsertOldRows(12'345, 1200 * kDay);
  const int64_t max_id = Scalar("SELECT max(audit_id) FROM audit_log");
  ASSERT_EQ(Scalar("SELECT COUNT(*) FROM audit_log"), 12'345);
  if (server_->on_postgres()) {
    ASSERT_EQ(Scalar("SELECT COUNT(*) FROM audit_log_default"), 12'345);
  }

  server_->server().RunMaintenance();
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM audit_log"), 1);
  EXPECT_EQ(Scalar("SELECT max(audit_id) FROM audit_log"), max_id);

  CreateCustomers("3", 1);
  EXPECT_GT(Scalar("SELECT min(audit_id) FROM audit_log WHERE principal_id"
                   " <> 'old-bot'"),
            max_id);
  // The next run deletes the old newest row now that a newer one exists.
  server_->server().RunMaintenance();
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM audit_log WHERE principal_id ="
                   " 'old-bot'"),
            0);
}

// A shorter retention is allowed (with a warning in the log) and applies.
// On PostgreSQL it drops whole months: a month past retention goes, one
// that straddles the cutoff stays until the cutoff passes its end.
TEST_F(AuditRetentionTest, ShorterRetentionByFlag) {
  absl::SetFlag(&FLAGS_audit_retention_days, 30);
  StartServer();
  const auto old_rows = [&] {
    return Scalar(
        "SELECT COUNT(*) FROM audit_log WHERE principal_id = 'old-bot'");
  };
  // Now is June 1, 2026, 00:00 UTC: April 17, May 1 and May 3.
  InsertOldRows(10, 45 * kDay);
  InsertOldRows(10, 31 * kDay);
  InsertOldRows(10, 29 * kDay);
  CreateCustomers("4", 1);
  server_->server().RunMaintenance();
  const int64_t now = server_->clock().NowMicros();
  if (server_->on_postgres()) {
    EXPECT_EQ(RowsBefore(MonthStart(now - 30 * kDay)), 0);
    EXPECT_FALSE(PartitionExists("audit_log_p202604"));
    // May straddles the cutoff (May 2): all of it stays for now.
    EXPECT_TRUE(PartitionExists("audit_log_p202605"));
    EXPECT_EQ(old_rows(), 20);
  } else {
    EXPECT_EQ(RowsBefore(now - 30 * kDay), 0);
    EXPECT_EQ(old_rows(), 10);
  }
  // A month later the cutoff (June 1) has passed the end of May.
  server_->clock().Advance(30 * kDay);
  server_->server().RunMaintenance();
  EXPECT_EQ(old_rows(), 0);
  if (server_->on_postgres()) {
    EXPECT_FALSE(PartitionExists("audit_log_p202605"));
  }
}

// Zero or a negative number of days is refused at start-up, saying why.
TEST_F(AuditRetentionTest, ZeroOrNegativeRetentionIsRefusedAtStartUp) {
  StartServer();
  server_->Stop();
  for (int32_t days : {0, -1}) {
    absl::SetFlag(&FLAGS_audit_retention_days, days);
    ServerOptions options;
    options.listen = "127.0.0.1:0";
    options.db_path = server_->db_path();
    options.auth_config = server_->auth_path();
    options.clock = &server_->clock();
    options.maintenance_interval = absl::ZeroDuration();
    auto built = BuildServer(options);
    ASSERT_FALSE(built.ok()) << days;
    EXPECT_EQ(built.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(absl::StrContains(built.status().message(),
                                  "--audit_retention_days must be at least 1"))
        << built.status();
  }
  absl::SetFlag(&FLAGS_audit_retention_days, 1);
  server_->Start();  // one day is allowed
}

}  // namespace
}  // namespace retail::testing
