// GetDailyReconciliation through the real server over loopback TCP: a
// seeded data set of orders paid with several tenders, some cancelled with
// refunds, across the day boundary in Asia/Shanghai (local midnight is
// 16:00 UTC), compared figure by figure with sums the test computes itself
// from the slips and refunds the server handed back. Then branch isolation,
// bad input naming the field, and an order whose books were broken behind
// the server's back showing up as a discrepancy.
#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "retail/customers/v1/customers.grpc.pb.h"
#include "retail/orders/v1/orders.grpc.pb.h"
#include "tests/integration/test_server.h"

namespace retail::testing {
namespace {

using ::google::protobuf::util::TimeUtil;
using ::retail::customers::v1::CustomerService;
using ::retail::orders::v1::OrderService;
using ::testing::Contains;
using ::testing::HasSubstr;
namespace v1 = ::retail::orders::v1;

// 2026-12-01 16:00:00 UTC: midnight between 1 and 2 December in Shanghai.
const int64_t kMidnight = absl::ToUnixMicros(absl::FromCivil(
    absl::CivilSecond(2026, 12, 1, 16, 0, 0), absl::UTCTimeZone()));

struct Figures {
  int64_t sales = 0, sales_count = 0, refunds = 0, refund_count = 0;
  int64_t tendered = 0, tendered_count = 0;  // the till's side
};
// What the test expects of one (branch, day), computed from responses.
struct DayBook {
  std::map<v1::PaymentMethod, Figures> methods;
  std::set<std::string> settled_orders;
  std::set<std::string> refunded_orders;
};

class OrdersReconciliationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    orders_ = OrderService::NewStub(server_.Channel());
    customers_ = CustomerService::NewStub(server_.Channel());
    ASSERT_TRUE(absl::LoadTimeZone("Asia/Shanghai", &shanghai_));
    server_.clock().Set(kMidnight - 3600 * kMicrosPerSecond);
  }

  std::string NewRequestId() {
    return absl::StrCat("recon-request-", ++counter_);
  }

  std::string CreateMember(int64_t points) {
    customers::v1::CreateCustomerRequest req;
    req.set_request_id(NewRequestId());
    req.mutable_customer()->set_display_name("李四");
    req.mutable_customer()->set_phone(absl::StrCat("1370000", 1000 + counter_));
    req.mutable_customer()->set_branch_id("B001");
    customers::v1::CreateCustomerResponse resp;
    grpc::Status s = Call(*customers_, &CustomerService::Stub::CreateCustomer,
                          kAdmin, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    customers::v1::AdjustPointsRequest adjust;
    adjust.set_request_id(NewRequestId());
    adjust.set_customer_id(resp.customer().customer_id());
    adjust.set_delta(points);
    adjust.set_reason("opening balance");
    customers::v1::AdjustPointsResponse adjusted;
    s = Call(*customers_, &CustomerService::Stub::AdjustPoints, kAdmin, adjust,
             &adjusted);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.customer().customer_id();
  }

  v1::Order CreateOrder(const std::string& branch, const std::string& customer,
                        int64_t unit_price, int64_t quantity) {
    v1::CreateOrderRequest req;
    req.set_request_id(NewRequestId());
    v1::Order* o = req.mutable_order();
    o->set_branch_id(branch);
    o->set_customer_id(customer);
    o->set_channel(v1::ORDER_CHANNEL_STORE);
    v1::OrderItem* item = o->add_items();
    item->set_sku("TEE-L");
    item->set_name("T恤");
    item->set_quantity(quantity);
    item->mutable_unit_price()->set_minor_units(unit_price);
    v1::CreateOrderResponse resp;
    grpc::Status s =
        Call(*orders_, &OrderService::Stub::CreateOrder, kAdmin, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.order();
  }

  // One tender attempt; a settlement in the response is booked.
  v1::PayOrderResponse Pay(const std::string& order_id,
                           v1::PaymentMethod method, int64_t amount,
                           bool succeed = true) {
    v1::PayOrderRequest req;
    req.set_request_id(NewRequestId());
    req.set_order_id(order_id);
    v1::Payment* p = req.mutable_payment();
    p->set_method(method);
    p->mutable_amount()->set_minor_units(amount);
    if (method != v1::PAYMENT_METHOD_CASH &&
        method != v1::PAYMENT_METHOD_POINTS) {
      p->set_external_reference(absl::StrCat("POS-", counter_));
    }
    if (succeed) {
      p->set_outcome(v1::PAYMENT_OUTCOME_SUCCEEDED);
    } else {
      p->set_outcome(v1::PAYMENT_OUTCOME_FAILED);
      p->set_failure_reason("card declined");
    }
    v1::PayOrderResponse resp;
    grpc::Status s =
        Call(*orders_, &OrderService::Stub::PayOrder, kAdmin, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    if (resp.has_settlement()) slips_.push_back(resp.settlement());
    if (resp.payment().outcome() == v1::PAYMENT_OUTCOME_SUCCEEDED) {
      tenders_.push_back({resp.order().branch_id(), resp.payment()});
    }
    return resp;
  }

  v1::Order Cancel(const std::string& order_id) {
    v1::CancelOrderRequest req;
    req.set_request_id(NewRequestId());
    req.set_order_id(order_id);
    req.set_reason("顾客改变主意");
    v1::CancelOrderResponse resp;
    grpc::Status s =
        Call(*orders_, &OrderService::Stub::CancelOrder, kAdmin, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    for (const v1::Refund& r : resp.order().refunds()) {
      refunds_.push_back(
          {resp.order().order_id(), resp.order().branch_id(), r});
    }
    return resp.order();
  }

  grpc::Status Reconcile(const std::string& token, const std::string& branch,
                         absl::CivilDay day, v1::Reconciliation* out) {
    v1::GetDailyReconciliationRequest req;
    req.set_branch_id(branch);
    req.mutable_date()->set_year(static_cast<int32_t>(day.year()));
    req.mutable_date()->set_month(day.month());
    req.mutable_date()->set_day(day.day());
    v1::GetDailyReconciliationResponse resp;
    grpc::Status s = Call(*orders_, &OrderService::Stub::GetDailyReconciliation,
                          token, req, &resp);
    if (out != nullptr) *out = resp.reconciliation();
    return s;
  }

  // The expected books, from the slips and refunds received, bucketed in
  // the test's own way: slips by their business date, refunds by their
  // create time converted to a Shanghai day here.
  std::map<std::pair<std::string, absl::CivilDay>, DayBook> ExpectedBooks() {
    std::map<std::pair<std::string, absl::CivilDay>, DayBook> books;
    for (const v1::Settlement& st : slips_) {
      const absl::CivilDay day(st.business_date().year(),
                               st.business_date().month(),
                               st.business_date().day());
      // The slip's day is paid_time's day in Shanghai.
      EXPECT_EQ(day, absl::ToCivilDay(
                         absl::FromUnixMicros(
                             TimeUtil::TimestampToMicroseconds(st.paid_time())),
                         shanghai_));
      DayBook& book = books[{st.branch_id(), day}];
      book.settled_orders.insert(st.order_id());
      int64_t tenders = 0;
      for (const v1::SettlementTender& t : st.tenders()) {
        Figures& f = book.methods[t.method()];
        f.sales += t.amount().minor_units();
        f.sales_count += 1;
        tenders += t.amount().minor_units();
      }
      EXPECT_EQ(tenders, st.total().minor_units()) << st.order_id();
    }
    for (const RefundSeen& seen : refunds_) {
      const absl::CivilDay day = absl::ToCivilDay(
          absl::FromUnixMicros(
              TimeUtil::TimestampToMicroseconds(seen.refund.create_time())),
          shanghai_);
      DayBook& book = books[{seen.branch, day}];
      book.refunded_orders.insert(seen.order_id);
      Figures& f = book.methods[seen.refund.method()];
      f.refunds += seen.refund.amount().minor_units();
      f.refund_count += 1;
    }
    // The till's side: every succeeded tender by the Shanghai day it was
    // recorded, settled or not.
    for (const TenderSeen& seen : tenders_) {
      const absl::CivilDay day = absl::ToCivilDay(
          absl::FromUnixMicros(
              TimeUtil::TimestampToMicroseconds(seen.payment.create_time())),
          shanghai_);
      Figures& f = books[{seen.branch, day}].methods[seen.payment.method()];
      f.tendered += seen.payment.amount().minor_units();
      f.tendered_count += 1;
    }
    return books;
  }

  void ExpectMatches(const v1::Reconciliation& r, const DayBook& book) {
    SCOPED_TRACE(absl::StrCat(r.branch_id(), " ", r.date().year(), "-",
                              r.date().month(), "-", r.date().day()));
    EXPECT_EQ(r.time_zone(), "Asia/Shanghai");
    ASSERT_EQ(r.methods_size(), static_cast<int>(book.methods.size()));
    Figures all;
    int i = 0;
    for (const auto& [method, f] : book.methods) {
      const v1::ReconciliationMethodRow& row = r.methods(i++);
      SCOPED_TRACE(v1::PaymentMethod_Name(method));
      EXPECT_EQ(row.method(), method);
      EXPECT_EQ(row.sales().minor_units(), f.sales);
      EXPECT_EQ(row.sales().currency_code(), "CNY");
      EXPECT_EQ(row.sales_count(), f.sales_count);
      EXPECT_EQ(row.refunds().minor_units(), f.refunds);
      EXPECT_EQ(row.refund_count(), f.refund_count);
      EXPECT_EQ(row.net().minor_units(), f.sales - f.refunds);
      EXPECT_EQ(row.tendered().minor_units(), f.tendered);
      EXPECT_EQ(row.tendered_count(), f.tendered_count);
      EXPECT_EQ(row.drawer().minor_units(), f.tendered - f.refunds);
      all.tendered += f.tendered;
      all.tendered_count += f.tendered_count;
      all.sales += f.sales;
      all.sales_count += f.sales_count;
      all.refunds += f.refunds;
      all.refund_count += f.refund_count;
    }
    EXPECT_EQ(r.totals().sales().minor_units(), all.sales);
    EXPECT_EQ(r.totals().sales_count(), all.sales_count);
    EXPECT_EQ(r.totals().refunds().minor_units(), all.refunds);
    EXPECT_EQ(r.totals().refund_count(), all.refund_count);
    EXPECT_EQ(r.totals().net().minor_units(), all.sales - all.refunds);
    EXPECT_EQ(r.totals().tendered().minor_units(), all.tendered);
    EXPECT_EQ(r.totals().tendered_count(), all.tendered_count);
    EXPECT_EQ(r.totals().drawer().minor_units(), all.tendered - all.refunds);
    EXPECT_EQ(r.totals().settled_order_count(),
              static_cast<int64_t>(book.settled_orders.size()));
    EXPECT_EQ(r.totals().refunded_order_count(),
              static_cast<int64_t>(book.refunded_orders.size()));
    for (const v1::ReconciliationDiscrepancy& d : r.discrepancies()) {
      ADD_FAILURE() << "unexpected discrepancy: " << d.description();
    }
  }

  struct RefundSeen {
    std::string order_id;
    std::string branch;
    v1::Refund refund;
  };

  TestServer server_;
  absl::TimeZone shanghai_;
  std::unique_ptr<OrderService::Stub> orders_;
  std::unique_ptr<CustomerService::Stub> customers_;
  std::vector<v1::Settlement> slips_;
  std::vector<RefundSeen> refunds_;
  struct TenderSeen {
    std::string branch;
    v1::Payment payment;
  };
  std::vector<TenderSeen> tenders_;
  int counter_ = 0;
};

constexpr v1::PaymentMethod kMethods[] = {
    v1::PAYMENT_METHOD_CASH,      v1::PAYMENT_METHOD_WECHAT_PAY,
    v1::PAYMENT_METHOD_ALIPAY,    v1::PAYMENT_METHOD_UNIONPAY,
    v1::PAYMENT_METHOD_BANK_CARD, v1::PAYMENT_METHOD_BANK_TRANSFER,
    v1::PAYMENT_METHOD_POINTS,
};

TEST_F(OrdersReconciliationTest, SeededDaysAcrossShanghaiMidnightAddUp) {
  const std::string member = CreateMember(50'000'000);
  std::mt19937 rng(20261201);  // fixed seed: the same data set every run
  auto uniform = [&rng](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  const absl::CivilDay dec1(2026, 12, 1), dec2(2026, 12, 2);

  // Orders whose first tender is before midnight, at times that run up to
  // the last microsecond of 1 December (local), then past it.
  struct Pending {
    std::string id;
    int64_t left;
  };
  std::vector<Pending> carried;  // partly paid on 1 December
  // The very edges: a slip at the last microsecond of 1 December and one
  // at the first of 2 December (the clock only moves forward).
  const v1::Order edge_before = CreateOrder("B001", "", 1'234, 1);
  const v1::Order edge_after = CreateOrder("B001", "", 5'678, 1);
  const int kOrders = 40;
  for (int i = 0; i < kOrders; ++i) {
    if (i == kOrders / 2) {
      server_.clock().Set(kMidnight - 1);
      EXPECT_EQ(Pay(edge_before.order_id(), v1::PAYMENT_METHOD_CASH, 1'234)
                    .settlement()
                    .business_date()
                    .day(),
                1);
      server_.clock().Set(kMidnight);
      EXPECT_EQ(Pay(edge_after.order_id(), v1::PAYMENT_METHOD_CASH, 5'678)
                    .settlement()
                    .business_date()
                    .day(),
                2);
    }
    // Before midnight for the first half, after it for the second.
    const int64_t t =
        i < kOrders / 2 ? kMidnight - (kOrders / 2 - i) * 60 * kMicrosPerSecond
                        : kMidnight + (i - kOrders / 2) * 60 * kMicrosPerSecond;
    server_.clock().Set(t);
    const std::string branch = uniform(0, 3) == 0 ? "B002" : "B001";
    const v1::Order o = CreateOrder(branch, uniform(0, 1) ? member : "",
                                    uniform(100, 20'000), uniform(1, 3));
    int64_t left = o.total().minor_units();
    const int tenders = static_cast<int>(uniform(1, 3));
    const int kind = static_cast<int>(uniform(0, 9));  // 0-1 cancel, 2 carry
    for (int k = 0; k < tenders && left > 0; ++k) {
      v1::PaymentMethod m = kMethods[uniform(0, 6)];
      if (m == v1::PAYMENT_METHOD_POINTS && o.customer_id().empty())
        m = v1::PAYMENT_METHOD_CASH;
      if (uniform(0, 4) == 0) Pay(o.order_id(), m, left, /*succeed=*/false);
      // The last tender pays the rest, unless the order is to stay open.
      const bool last = k == tenders - 1;
      int64_t amount = last ? left : uniform(1, left);
      if (kind <= 2 && amount == left) amount = left > 1 ? left - 1 : 0;
      if (amount <= 0) break;
      Pay(o.order_id(), m, amount);
      left -= amount;
    }
    if (kind <= 1) {
      // Cancelled the same minute: its tenders are refunded.
      Cancel(o.order_id());
    } else if (kind == 2 && left > 0) {
      carried.push_back({o.order_id(), left});
    }
  }
  // Orders partly paid on 1 December: finished or cancelled on the 2nd, so
  // their slips and refunds land on 2 December.
  server_.clock().Set(kMidnight + 3 * 3600 * kMicrosPerSecond);
  for (size_t i = 0; i < carried.size(); ++i) {
    if (i % 2 == 0) {
      Pay(carried[i].id, v1::PAYMENT_METHOD_ALIPAY, carried[i].left);
    } else {
      Cancel(carried[i].id);
    }
  }
  ASSERT_GT(slips_.size(), 10u);
  ASSERT_GT(refunds_.size(), 2u);
  EXPECT_GE(carried.size(), 2u) << "orders tendered on both days";

  const auto books = ExpectedBooks();
  std::set<absl::CivilDay> days_with_refunds;
  for (const auto& [key, book] : books) {
    for (const auto& [m, f] : book.methods)
      if (f.refund_count > 0) days_with_refunds.insert(key.second);
  }
  EXPECT_EQ(days_with_refunds.size(), 2u) << "refunds on both days";
  for (const absl::CivilDay day : {dec1, dec2}) {
    auto it = books.find({"B001", day});
    ASSERT_NE(it, books.end());
    EXPECT_GE(it->second.methods.size(), 3u) << "several methods each day";
    EXPECT_GE(it->second.settled_orders.size(), 5u);
  }
  int64_t reported_sales = 0, received_sales = 0;
  for (const v1::Settlement& st : slips_)
    received_sales += st.total().minor_units();
  for (const std::string branch : {"B001", "B002"}) {
    for (const absl::CivilDay day : {dec1 - 1, dec1, dec2, dec2 + 1}) {
      v1::Reconciliation r;
      grpc::Status s = Reconcile(kAgent, branch, day, &r);
      ASSERT_TRUE(s.ok()) << s.error_message();
      EXPECT_EQ(r.branch_id(), branch);
      EXPECT_EQ(r.date().day(), day.day());
      EXPECT_EQ(TimeUtil::TimestampToMicroseconds(r.start_time()),
                absl::ToUnixMicros(absl::FromCivil(day, shanghai_)));
      EXPECT_EQ(TimeUtil::TimestampToMicroseconds(r.end_time()) -
                    TimeUtil::TimestampToMicroseconds(r.start_time()),
                kMicrosPerDay);
      auto it = books.find({branch, day});
      ExpectMatches(r, it == books.end() ? DayBook{} : it->second);
      reported_sales += r.totals().sales().minor_units();
    }
  }
  // Every slip is counted on exactly one day.
  EXPECT_EQ(reported_sales, received_sales);
  // A branch reads its own books and gets the same figures as an agent.
  v1::Reconciliation as_agent, as_branch;
  ASSERT_TRUE(Reconcile(kAgent, "B001", dec1, &as_agent).ok());
  ASSERT_TRUE(Reconcile(kBranch1, "B001", dec1, &as_branch).ok());
  EXPECT_EQ(as_agent.SerializeAsString(), as_branch.SerializeAsString());
  ASSERT_TRUE(Reconcile(kAuditor, "B002", dec2, nullptr).ok());
}

TEST_F(OrdersReconciliationTest, BranchesSeeOnlyTheirOwnBooks) {
  const v1::Order mine = CreateOrder("B001", "", 10'000, 1);
  const v1::Order theirs = CreateOrder("B002", "", 7'000, 1);
  Pay(mine.order_id(), v1::PAYMENT_METHOD_CASH, 10'000);
  Pay(theirs.order_id(), v1::PAYMENT_METHOD_CASH, 7'000);
  const absl::CivilDay day(2026, 12, 1);
  v1::Reconciliation r;
  ASSERT_TRUE(Reconcile(kBranch1, "B001", day, &r).ok());
  EXPECT_EQ(r.totals().sales().minor_units(), 10'000);
  ASSERT_TRUE(Reconcile(kBranch2, "B002", day, &r).ok());
  EXPECT_EQ(r.totals().sales().minor_units(), 7'000);
  grpc::Status s = Reconcile(kBranch1, "B002", day, &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(s.error_message(), HasSubstr("branch_id"));
  ExpectNoStorageText(s);
}

TEST_F(OrdersReconciliationTest, BadInputNamesTheField) {
  grpc::Status s = Reconcile(kAdmin, "", absl::CivilDay(2026, 12, 1), nullptr);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(DetailsOf(s).fields, Contains("branch_id"));

  v1::GetDailyReconciliationRequest req;
  req.set_branch_id("B001");
  v1::GetDailyReconciliationResponse resp;
  s = Call(*orders_, &OrderService::Stub::GetDailyReconciliation, kAdmin, req,
           &resp);  // no date
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(DetailsOf(s).fields, Contains("date"));

  req.mutable_date()->set_year(2026);
  req.mutable_date()->set_month(2);
  req.mutable_date()->set_day(30);  // no such day
  s = Call(*orders_, &OrderService::Stub::GetDailyReconciliation, kAdmin, req,
           &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(DetailsOf(s).fields, Contains("date"));
  ExpectNoStorageText(s);

  req.set_branch_id("B 001!");
  req.mutable_date()->set_month(13);
  s = Call(*orders_, &OrderService::Stub::GetDailyReconciliation, kAdmin, req,
           &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(DetailsOf(s).fields, Contains("branch_id"));
  EXPECT_THAT(DetailsOf(s).fields, Contains("date"));
}

// Books broken behind the server's back (an order marked PAID whose tenders
// fall short) are listed, with the order's figures and a sentence.
TEST_F(OrdersReconciliationTest, OrdersThatDoNotAddUpAreListed) {
  const v1::Order good = CreateOrder("B001", "", 10'000, 1);
  Pay(good.order_id(), v1::PAYMENT_METHOD_CASH, 10'000);
  const v1::Order short_paid = CreateOrder("B001", "", 8'000, 1);
  Pay(short_paid.order_id(), v1::PAYMENT_METHOD_WECHAT_PAY, 3'000);
  const absl::CivilDay day(2026, 12, 1);
  v1::Reconciliation r;
  ASSERT_TRUE(Reconcile(kAdmin, "B001", day, &r).ok());
  EXPECT_EQ(r.discrepancies_size(), 0);
  server_.ExecSql(
      absl::StrCat("UPDATE orders SET status = 2 WHERE order_id = '",
                   short_paid.order_id(), "'"));
  ASSERT_TRUE(Reconcile(kAdmin, "B001", day, &r).ok());
  ASSERT_EQ(r.discrepancies_size(), 1);
  const v1::ReconciliationDiscrepancy& d = r.discrepancies(0);
  EXPECT_EQ(d.order_id(), short_paid.order_id());
  EXPECT_EQ(d.status(), v1::ORDER_STATUS_PAID);
  EXPECT_EQ(d.total().minor_units(), 8'000);
  EXPECT_EQ(d.paid().minor_units(), 3'000);
  EXPECT_THAT(d.description(), HasSubstr("PAID"));
  EXPECT_THAT(d.description(), HasSubstr("no settlement slip"));
  // The figures themselves still come from the slips only.
  EXPECT_EQ(r.totals().sales().minor_units(), 10'000);
}

}  // namespace
}  // namespace retail::testing
