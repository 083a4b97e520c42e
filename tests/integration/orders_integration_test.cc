// OrderService through the real server over loopback TCP: orders, split
// tenders with points, failed and retried payments, request_id replays,
// concurrent overpayment, reused references, cancellation refunds, branch
// isolation, masking of delivery details, and a person's data (export and
// erasure through CustomerService). After each path every customer's
// points balance equals the sum of their ledger.
#include <atomic>
#include <functional>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "retail/customers/v1/customers.grpc.pb.h"
#include "retail/orders/v1/orders.grpc.pb.h"
#include "tests/integration/stream_call.h"
#include "tests/integration/test_server.h"

namespace retail::testing {
namespace {

using ::retail::customers::v1::CustomerService;
using ::retail::orders::v1::CreateOrderRequest;
using ::retail::orders::v1::CreateOrderResponse;
using ::retail::orders::v1::Order;
using ::retail::orders::v1::OrderService;
using ::retail::orders::v1::PayOrderRequest;
using ::retail::orders::v1::PayOrderResponse;
using ::testing::Contains;
using ::testing::HasSubstr;
namespace v1 = ::retail::orders::v1;

class OrdersIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    orders_ = OrderService::NewStub(server_.Channel());
    customers_ = CustomerService::NewStub(server_.Channel());
  }
  void TearDown() override { ExpectBalancesMatchLedger(); }

  template <typename Req, typename Resp>
  grpc::Status Call(grpc::Status (OrderService::Stub::*method)(
                        grpc::ClientContext*, const Req&, Resp*),
                    const std::string& token, const Req& req, Resp* resp) {
    return testing::Call(*orders_, method, token, req, resp);
  }

  std::string NewRequestId() {
    return absl::StrCat("order-request-", ++request_counter_);
  }

  std::string CreateCustomer(const std::string& branch, int64_t points) {
    customers::v1::CreateCustomerRequest req;
    req.set_request_id(NewRequestId());
    req.mutable_customer()->set_display_name("张三");
    req.mutable_customer()->set_phone(
        absl::StrCat("1390000", 1000 + request_counter_));
    req.mutable_customer()->set_branch_id(branch);
    customers::v1::CreateCustomerResponse resp;
    grpc::Status s =
        testing::Call(*customers_, &CustomerService::Stub::CreateCustomer,
                      kAdmin, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    const std::string id = resp.customer().customer_id();
    if (points > 0) {
      customers::v1::AdjustPointsRequest adjust;
      adjust.set_request_id(NewRequestId());
      adjust.set_customer_id(id);
      adjust.set_delta(points);
      adjust.set_reason("welcome gift");
      customers::v1::AdjustPointsResponse adjusted;
      s = testing::Call(*customers_, &CustomerService::Stub::AdjustPoints,
                        kAdmin, adjust, &adjusted);
      EXPECT_TRUE(s.ok()) << s.error_message();
    }
    return id;
  }

  customers::v1::Customer GetCustomer(const std::string& id) {
    customers::v1::GetCustomerRequest req;
    req.set_customer_id(id);
    customers::v1::GetCustomerResponse resp;
    grpc::Status s = testing::Call(
        *customers_, &CustomerService::Stub::GetCustomer, kAdmin, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.customer();
  }

  static v1::OrderItem Item(const std::string& sku, int64_t quantity,
                            int64_t price) {
    v1::OrderItem item;
    item.set_sku(sku);
    item.set_name(absl::StrCat("衬衫 ", sku));
    item.set_quantity(quantity);
    item.mutable_unit_price()->set_minor_units(price);
    return item;
  }

  CreateOrderRequest NewOrder(const std::string& customer_id,
                              const std::string& branch = "B001") {
    CreateOrderRequest req;
    req.set_request_id(NewRequestId());
    Order* o = req.mutable_order();
    o->set_customer_id(customer_id);
    o->set_branch_id(branch);
    o->set_channel(v1::ORDER_CHANNEL_STORE);
    *o->add_items() = Item("SHIRT-M", 2, 12'900);
    *o->add_items() = Item("SOCKS", 3, 1'400);
    return req;  // total 30,000 (¥300.00)
  }

  Order Create(const std::string& customer_id,
               const std::string& branch = "B001",
               const std::string& token = kAdmin) {
    CreateOrderResponse resp;
    grpc::Status s = Call(&OrderService::Stub::CreateOrder, token,
                          NewOrder(customer_id, branch), &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.order();
  }

  PayOrderRequest NewPayment(const std::string& order_id,
                             v1::PaymentMethod method, int64_t amount,
                             const std::string& reference = "") {
    PayOrderRequest req;
    req.set_request_id(NewRequestId());
    req.set_order_id(order_id);
    req.mutable_payment()->set_method(method);
    req.mutable_payment()->mutable_amount()->set_minor_units(amount);
    req.mutable_payment()->set_external_reference(reference);
    req.mutable_payment()->set_outcome(v1::PAYMENT_OUTCOME_SUCCEEDED);
    return req;
  }

  grpc::Status Pay(const std::string& order_id, v1::PaymentMethod method,
                   int64_t amount, const std::string& reference = "",
                   const std::string& token = kAdmin,
                   PayOrderResponse* resp = nullptr) {
    PayOrderResponse ignored;
    return Call(&OrderService::Stub::PayOrder, token,
                NewPayment(order_id, method, amount, reference),
                resp ? resp : &ignored);
  }

  grpc::Status Get(const std::string& token, const std::string& id,
                   Order* out = nullptr, bool reveal = false) {
    v1::GetOrderRequest req;
    req.set_order_id(id);
    req.set_reveal_pii(reveal);
    v1::GetOrderResponse resp;
    grpc::Status s = Call(&OrderService::Stub::GetOrder, token, req, &resp);
    if (out != nullptr) *out = resp.order();
    return s;
  }

  void ExpectBalancesMatchLedger() {
    EXPECT_EQ(server_.QueryScalar(
                  "SELECT COUNT(*) FROM customers c WHERE points_balance != "
                  "(SELECT COALESCE(SUM(delta), 0) FROM points_transactions p "
                  "WHERE p.customer_row = c.id)"),
              "0");
  }

  TestServer server_;
  std::unique_ptr<OrderService::Stub> orders_;
  std::unique_ptr<CustomerService::Stub> customers_;
  int request_counter_ = 0;
};

TEST_F(OrdersIntegrationTest, CreateGetAndListWithFiltersAndPaging) {
  const std::string cus = CreateCustomer("B002", 0);  // buys in B001 too
  std::vector<std::string> mine;
  for (int i = 0; i < 5; ++i) {
    mine.push_back(Create(cus, "", kBranch1).order_id());
    server_.clock().Advance(kMicrosPerSecond);
  }
  const Order walk_in = Create("", "B001");
  const Order other = Create("", "B002");

  Order got;
  ASSERT_TRUE(Get(kBranch1, mine[0], &got).ok());
  EXPECT_EQ(got.branch_id(), "B001");
  EXPECT_EQ(got.customer_id(), cus);
  EXPECT_EQ(got.total().minor_units(), 30'000);
  EXPECT_EQ(got.total().currency_code(), "CNY");
  EXPECT_EQ(got.items(0).line_total().minor_units(), 25'800);
  EXPECT_EQ(got.status(), v1::ORDER_STATUS_PENDING_PAYMENT);

  v1::ListOrdersRequest req;
  req.set_customer_id(cus);
  req.set_page_size(2);
  std::vector<std::string> seen;
  for (int page = 0; page < 5; ++page) {
    v1::ListOrdersResponse resp;
    grpc::Status s = Call(&OrderService::Stub::ListOrders, kAgent, req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    for (const Order& o : resp.orders()) seen.push_back(o.order_id());
    if (resp.next_page_token().empty()) break;
    req.set_page_token(resp.next_page_token());
  }
  EXPECT_EQ(seen, mine);

  // A token is bound to its filters.
  req.set_status(v1::ORDER_STATUS_PAID);
  v1::ListOrdersResponse resp;
  grpc::Status s = Call(&OrderService::Stub::ListOrders, kAgent, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(DetailsOf(s).fields, Contains("page_token"));

  // Status, branch and creation time filters.
  ASSERT_TRUE(Pay(walk_in.order_id(), v1::PAYMENT_METHOD_CASH, 30'000).ok());
  v1::ListOrdersRequest paid;
  paid.set_status(v1::ORDER_STATUS_PAID);
  ASSERT_TRUE(Call(&OrderService::Stub::ListOrders, kAdmin, paid, &resp).ok());
  ASSERT_EQ(resp.orders_size(), 1);
  EXPECT_EQ(resp.orders(0).order_id(), walk_in.order_id());
  v1::ListOrdersRequest window;
  *window.mutable_create_time_start() = got.create_time();
  window.mutable_create_time_end()->set_seconds(got.create_time().seconds() +
                                                2);
  window.set_branch_id("B001");
  ASSERT_TRUE(
      Call(&OrderService::Stub::ListOrders, kAdmin, window, &resp).ok());
  EXPECT_EQ(resp.orders_size(), 2);
  v1::ListOrdersRequest all;
  ASSERT_TRUE(Call(&OrderService::Stub::ListOrders, kBranch2, all, &resp).ok());
  ASSERT_EQ(resp.orders_size(), 1);
  EXPECT_EQ(resp.orders(0).order_id(), other.order_id());
}

TEST_F(OrdersIntegrationTest, TotalsAndTheirErrors) {
  CreateOrderResponse resp;
  CreateOrderRequest req = NewOrder("");
  *req.mutable_order()->add_items() =
      Item("BIG", 4'611'686'018'427'387'904, 2);  // 2^62 x 2 overflows
  grpc::Status s = Call(&OrderService::Stub::CreateOrder, kAdmin, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(DetailsOf(s).fields, Contains("order.items[2].quantity"));

  req = NewOrder("");
  *req.mutable_order()->mutable_items(0) =
      Item("MAX", 1, std::numeric_limits<int64_t>::max());
  s = Call(&OrderService::Stub::CreateOrder, kAdmin, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(DetailsOf(s).fields, Contains("order.items[1].line_total"));

  req = NewOrder("");
  req.mutable_order()->clear_items();
  for (int i = 0; i < 501; ++i)
    *req.mutable_order()->add_items() = Item("A", 1, 1);
  s = Call(&OrderService::Stub::CreateOrder, kAdmin, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(DetailsOf(s).fields, Contains("order.items"));
  req.mutable_order()->mutable_items()->RemoveLast();
  s = Call(&OrderService::Stub::CreateOrder, kAdmin, req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.order().items_size(), 500);
  EXPECT_EQ(resp.order().total().minor_units(), 500);

  // Free lines only: nothing could ever pay it, so it is refused.
  req = NewOrder("");
  req.mutable_order()->clear_items();
  *req.mutable_order()->add_items() = Item("GIFT", 1, 0);
  s = Call(&OrderService::Stub::CreateOrder, kAdmin, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(DetailsOf(s).fields, Contains("order.items"));

  req = NewOrder("");
  req.mutable_order()->mutable_items(1)->mutable_unit_price()->set_minor_units(
      -1);
  s = Call(&OrderService::Stub::CreateOrder, kAdmin, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(DetailsOf(s).fields, Contains("order.items[1].unit_price"));

  req = NewOrder("");
  req.mutable_expected_total()->set_currency_code("CNY");
  req.mutable_expected_total()->set_minor_units(29'900);
  s = Call(&OrderService::Stub::CreateOrder, kAdmin, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(DetailsOf(s).fields, Contains("expected_total"));
  EXPECT_THAT(s.error_message(), HasSubstr("29900"));
  EXPECT_THAT(s.error_message(), HasSubstr("30000"));
  req.mutable_expected_total()->set_minor_units(30'000);
  s = Call(&OrderService::Stub::CreateOrder, kAdmin, req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();

  req = NewOrder("");
  req.mutable_expected_total()->set_currency_code("USD");
  s = Call(&OrderService::Stub::CreateOrder, kAdmin, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(DetailsOf(s).fields, Contains("expected_total.currency_code"));
  ExpectNoStorageText(s);
  EXPECT_EQ(server_.QueryScalar("SELECT COUNT(*) FROM orders"), "2");
}

TEST_F(OrdersIntegrationTest, SplitTenderPointsPlusCashSettles) {
  const std::string cus = CreateCustomer("B002", 20'000);
  const Order o = Create(cus, "B001");
  // ¥120 in points (12,000 points), then ¥180 in cash.
  PayOrderResponse first, second;
  grpc::Status s = Pay(o.order_id(), v1::PAYMENT_METHOD_POINTS, 12'000, "",
                       kBranch1, &first);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(first.payment().points_debited(), 12'000);
  EXPECT_EQ(first.order().status(), v1::ORDER_STATUS_PENDING_PAYMENT);
  EXPECT_EQ(GetCustomer(cus).points_balance(), 8'000);
  s = Pay(o.order_id(), v1::PAYMENT_METHOD_CASH, 18'000, "", kBranch1, &second);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(second.order().status(), v1::ORDER_STATUS_PAID);
  EXPECT_EQ(second.order().points_earned(), 180);

  const customers::v1::Customer c = GetCustomer(cus);
  EXPECT_EQ(c.points_balance(), 8'180);
  EXPECT_EQ(c.order_count(), 1);
  EXPECT_EQ(c.total_spend().minor_units(), 30'000);
  EXPECT_EQ(server_.QueryScalar(absl::StrCat(
                "SELECT COUNT(*) FROM points_transactions WHERE reason LIKE "
                "'%",
                o.order_id(), "%'")),
            "2");

  const v1::Settlement& st = second.settlement();
  EXPECT_THAT(st.settlement_id(), ::testing::StartsWith("stl_"));
  EXPECT_EQ(st.order_id(), o.order_id());
  EXPECT_EQ(st.branch_id(), "B001");
  EXPECT_EQ(st.total().minor_units(), 30'000);
  ASSERT_EQ(st.tenders_size(), 2);
  EXPECT_EQ(st.tenders(0).method(), v1::PAYMENT_METHOD_POINTS);
  EXPECT_EQ(st.tenders(0).amount().minor_units(), 12'000);
  EXPECT_EQ(st.tenders(1).method(), v1::PAYMENT_METHOD_CASH);
  EXPECT_EQ(st.paid_time().seconds(), second.order().paid_time().seconds());

  v1::GetSettlementRequest by_id;
  by_id.set_settlement_id(st.settlement_id());
  v1::GetSettlementResponse got;
  ASSERT_TRUE(
      Call(&OrderService::Stub::GetSettlement, kAuditor, by_id, &got).ok());
  EXPECT_EQ(got.settlement().SerializeAsString(), st.SerializeAsString());

  v1::ListSettlementsRequest list;
  list.set_branch_id("B001");
  *list.mutable_start_date() = st.business_date();
  *list.mutable_end_date() = st.business_date();
  v1::ListSettlementsResponse slips;
  s = Call(&OrderService::Stub::ListSettlements, kBranch1, list, &slips);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(slips.settlements_size(), 1);
  EXPECT_EQ(slips.settlements(0).order_id(), o.order_id());
  list.mutable_end_date()->set_year(st.business_date().year() + 2);
  s = Call(&OrderService::Stub::ListSettlements, kBranch1, list, &slips);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(DetailsOf(s).fields, Contains("end_date"));

  // Paid: completing is allowed once; paying again is not.
  v1::CompleteOrderRequest complete;
  complete.set_order_id(o.order_id());
  complete.set_request_id(NewRequestId());
  v1::CompleteOrderResponse completed;
  s = Call(&OrderService::Stub::CompleteOrder, kBranch1, complete, &completed);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(completed.order().status(), v1::ORDER_STATUS_COMPLETED);
  s = Pay(o.order_id(), v1::PAYMENT_METHOD_CASH, 1);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(DetailsOf(s).reason, "ORDER_PAID");
}

TEST_F(OrdersIntegrationTest, TooFewPointsChangesNothing) {
  const std::string cus = CreateCustomer("B001", 100);
  const Order o = Create(cus);
  grpc::Status s = Pay(o.order_id(), v1::PAYMENT_METHOD_POINTS, 200);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(DetailsOf(s).reason, "INSUFFICIENT_POINTS");
  EXPECT_EQ(GetCustomer(cus).points_balance(), 100);
  EXPECT_EQ(server_.QueryScalar("SELECT COUNT(*) FROM order_payments"), "0");
  const Order walk_in = Create("");
  s = Pay(walk_in.order_id(), v1::PAYMENT_METHOD_POINTS, 100);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(OrdersIntegrationTest, FailedPaymentThenRetriedOne) {
  const Order o = Create("");
  PayOrderRequest failed =
      NewPayment(o.order_id(), v1::PAYMENT_METHOD_WECHAT_PAY, 30'000, "wx-1");
  failed.mutable_payment()->set_outcome(v1::PAYMENT_OUTCOME_FAILED);
  failed.mutable_payment()->set_failure_reason("余额不足 (insufficient funds)");
  PayOrderResponse resp;
  grpc::Status s = Call(&OrderService::Stub::PayOrder, kBranch1, failed, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.order().status(), v1::ORDER_STATUS_PENDING_PAYMENT);
  EXPECT_EQ(resp.order().paid().minor_units(), 0);
  // The retry is a new attempt (new request_id) and succeeds.
  s = Pay(o.order_id(), v1::PAYMENT_METHOD_WECHAT_PAY, 30'000, "wx-2", kBranch1,
          &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.order().status(), v1::ORDER_STATUS_PAID);
  ASSERT_EQ(resp.order().payments_size(), 2);
  EXPECT_EQ(resp.order().payments(0).outcome(), v1::PAYMENT_OUTCOME_FAILED);
  EXPECT_EQ(resp.order().payments(0).failure_reason(),
            "余额不足 (insufficient funds)");
  EXPECT_EQ(resp.order().payments(1).outcome(), v1::PAYMENT_OUTCOME_SUCCEEDED);
  EXPECT_EQ(resp.settlement().tenders_size(), 1);
}

TEST_F(OrdersIntegrationTest, DuplicateRequestIdReplaysWithoutChargingTwice) {
  const std::string cus = CreateCustomer("B001", 10'000);
  const Order o = Create(cus);
  const PayOrderRequest req =
      NewPayment(o.order_id(), v1::PAYMENT_METHOD_POINTS, 10'000);
  PayOrderResponse first, second;
  ASSERT_TRUE(Call(&OrderService::Stub::PayOrder, kAdmin, req, &first).ok());
  server_.clock().Advance(kMicrosPerSecond);
  ASSERT_TRUE(Call(&OrderService::Stub::PayOrder, kAdmin, req, &second).ok());
  EXPECT_EQ(first.SerializeAsString(), second.SerializeAsString());
  EXPECT_EQ(server_.QueryScalar("SELECT COUNT(*) FROM order_payments"), "1");
  EXPECT_EQ(GetCustomer(cus).points_balance(), 0);
  EXPECT_EQ(server_.QueryScalar("SELECT paid_minor FROM orders"), "10000");
}

TEST_F(OrdersIntegrationTest, ConcurrentOverpayExactlyOneWins) {
  const Order o = Create("");
  std::vector<PayOrderRequest> reqs;
  for (int i = 0; i < 8; ++i) {
    reqs.push_back(NewPayment(o.order_id(), v1::PAYMENT_METHOD_CASH, 30'000));
  }
  std::atomic<int> ok{0}, overpaid{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      auto stub = OrderService::NewStub(server_.Channel());
      PayOrderResponse resp;
      grpc::Status s = testing::Call(*stub, &OrderService::Stub::PayOrder,
                                     kAdmin, reqs[i], &resp);
      if (s.ok()) {
        ++ok;
      } else if (s.error_code() == grpc::StatusCode::INVALID_ARGUMENT ||
                 s.error_code() == grpc::StatusCode::FAILED_PRECONDITION) {
        ++overpaid;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(overpaid.load(), 7);
  EXPECT_EQ(server_.QueryScalar("SELECT COUNT(*) FROM order_payments"), "1");
  EXPECT_EQ(server_.QueryScalar("SELECT COUNT(*) FROM settlements"), "1");
  EXPECT_EQ(server_.QueryScalar("SELECT paid_minor FROM orders"), "30000");
}

TEST_F(OrdersIntegrationTest, ReusedExternalReferenceIsRefused) {
  const Order theirs = Create("", "B002");
  ASSERT_TRUE(
      Pay(theirs.order_id(), v1::PAYMENT_METHOD_ALIPAY, 30'000, "ali-777")
          .ok());
  const Order mine = Create("", "B001");
  grpc::Status s = Pay(mine.order_id(), v1::PAYMENT_METHOD_ALIPAY, 30'000,
                       "ali-777", kBranch1);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  ErrorDetails d = DetailsOf(s);
  EXPECT_EQ(d.reason, "EXTERNAL_REFERENCE_USED");
  EXPECT_EQ(d.metadata.count("order_id"), 0u);
  EXPECT_THAT(s.error_message(), ::testing::Not(HasSubstr(theirs.order_id())));
  EXPECT_THAT(s.error_message(), ::testing::Not(HasSubstr("B002")));
  // Staff may see the other order: it is named.
  s = Pay(mine.order_id(), v1::PAYMENT_METHOD_ALIPAY, 30'000, "ali-777");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(DetailsOf(s).metadata["order_id"], theirs.order_id());
  // The same reference under another method is another transaction.
  s = Pay(mine.order_id(), v1::PAYMENT_METHOD_WECHAT_PAY, 30'000, "ali-777",
          kBranch1);
  EXPECT_TRUE(s.ok()) << s.error_message();
}

TEST_F(OrdersIntegrationTest, CancelPartlyPaidRefundsInReverseOrder) {
  const std::string cus = CreateCustomer("B001", 5'000);
  const Order o = Create(cus);
  ASSERT_TRUE(Pay(o.order_id(), v1::PAYMENT_METHOD_POINTS, 5'000).ok());
  ASSERT_TRUE(
      Pay(o.order_id(), v1::PAYMENT_METHOD_UNIONPAY, 10'000, "up-1").ok());
  EXPECT_EQ(GetCustomer(cus).points_balance(), 0);
  v1::CancelOrderRequest req;
  req.set_order_id(o.order_id());
  req.set_request_id(NewRequestId());
  v1::CancelOrderResponse resp;
  grpc::Status s = Call(&OrderService::Stub::CancelOrder, kBranch1, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);  // no reason
  req.set_reason("顾客不要了");
  s = Call(&OrderService::Stub::CancelOrder, kBranch1, req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  const Order& c = resp.order();
  EXPECT_EQ(c.status(), v1::ORDER_STATUS_CANCELLED);
  EXPECT_EQ(c.paid().minor_units(), 0);
  ASSERT_EQ(c.refunds_size(), 2);
  EXPECT_EQ(c.refunds(0).method(), v1::PAYMENT_METHOD_UNIONPAY);
  EXPECT_EQ(c.refunds(0).amount().minor_units(), 10'000);
  EXPECT_EQ(c.refunds(1).method(), v1::PAYMENT_METHOD_POINTS);
  EXPECT_EQ(c.refunds(1).points_restored(), 5'000);
  EXPECT_EQ(GetCustomer(cus).points_balance(), 5'000);
  req.set_request_id(NewRequestId());
  s = Call(&OrderService::Stub::CancelOrder, kBranch1, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(DetailsOf(s).reason, "ORDER_CANCELLED");
}

TEST_F(OrdersIntegrationTest, AnotherBranchsOrderIsNotFoundEverywhere) {
  const Order o = Create("", "B002");
  PayOrderResponse paid;
  ASSERT_TRUE(
      Pay(o.order_id(), v1::PAYMENT_METHOD_CASH, 30'000, "", kBranch2, &paid)
          .ok());
  const Order pending = Create("", "B002");
  EXPECT_EQ(Get(kBranch1, o.order_id()).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Pay(pending.order_id(), v1::PAYMENT_METHOD_CASH, 1, "", kBranch1)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
  v1::CancelOrderRequest cancel;
  cancel.set_order_id(pending.order_id());
  cancel.set_reason("test");
  cancel.set_request_id(NewRequestId());
  v1::CancelOrderResponse cancelled;
  EXPECT_EQ(Call(&OrderService::Stub::CancelOrder, kBranch1, cancel, &cancelled)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
  v1::CompleteOrderRequest complete;
  complete.set_order_id(o.order_id());
  complete.set_request_id(NewRequestId());
  v1::CompleteOrderResponse completed;
  EXPECT_EQ(
      Call(&OrderService::Stub::CompleteOrder, kBranch1, complete, &completed)
          .error_code(),
      grpc::StatusCode::NOT_FOUND);
  v1::GetSettlementRequest slip;
  slip.set_order_id(o.order_id());
  v1::GetSettlementResponse got;
  EXPECT_EQ(Call(&OrderService::Stub::GetSettlement, kBranch1, slip, &got)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
  slip.set_settlement_id(paid.settlement().settlement_id());
  EXPECT_EQ(Call(&OrderService::Stub::GetSettlement, kBranch1, slip, &got)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
  v1::ListOrdersRequest list;
  list.set_branch_id("B002");
  v1::ListOrdersResponse page;
  ASSERT_TRUE(
      Call(&OrderService::Stub::ListOrders, kBranch1, list, &page).ok());
  EXPECT_EQ(page.orders_size(), 0);
  v1::ListSettlementsRequest slips;
  slips.set_branch_id("B002");
  *slips.mutable_start_date() = paid.settlement().business_date();
  *slips.mutable_end_date() = paid.settlement().business_date();
  v1::ListSettlementsResponse listed;
  EXPECT_EQ(Call(&OrderService::Stub::ListSettlements, kBranch1, slips, &listed)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // B002 itself sees all of it.
  EXPECT_TRUE(Get(kBranch2, o.order_id()).ok());
  EXPECT_TRUE(
      Call(&OrderService::Stub::ListSettlements, kBranch2, slips, &listed)
          .ok());
  EXPECT_EQ(listed.settlements_size(), 1);
  // And B001 cannot place an order for B002.
  CreateOrderResponse created;
  EXPECT_EQ(Call(&OrderService::Stub::CreateOrder, kBranch1,
                 NewOrder("", "B002"), &created)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

CreateOrderRequest WithDelivery(CreateOrderRequest req) {
  req.mutable_order()->set_channel(v1::ORDER_CHANNEL_ONLINE);
  v1::Delivery* d = req.mutable_order()->mutable_delivery();
  d->set_recipient_name("王小明");
  d->set_phone("+86 139-1234-5678");
  d->set_address("上海市浦东新区世纪大道100号");
  return req;
}

TEST_F(OrdersIntegrationTest, DeliveryIsMaskedUnlessRevealed) {
  CreateOrderResponse created;
  ASSERT_TRUE(Call(&OrderService::Stub::CreateOrder, kAdmin,
                   WithDelivery(NewOrder("")), &created)
                  .ok());
  const std::string id = created.order().order_id();
  EXPECT_EQ(created.order().delivery().phone(), "13912345678");
  Order o;
  ASSERT_TRUE(Get(kAgent, id, &o).ok());
  EXPECT_EQ(o.delivery().recipient_name(), "王**");
  EXPECT_EQ(o.delivery().phone(), "139****5678");
  EXPECT_THAT(o.delivery().address(), ::testing::EndsWith("***"));
  ASSERT_TRUE(Get(kAuditor, id, &o).ok());
  EXPECT_EQ(o.delivery().phone(), "139****5678");
  EXPECT_EQ(Get(kAuditor, id, &o, /*reveal=*/true).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(Get(kAgent, id, &o, /*reveal=*/true).ok());
  EXPECT_EQ(o.delivery().phone(), "13912345678");
  EXPECT_EQ(o.delivery().address(), "上海市浦东新区世纪大道100号");
  EXPECT_EQ(server_.QueryScalar(absl::StrCat(
                "SELECT COUNT(*) FROM audit_log WHERE outcome = 'REVEAL' AND "
                "resource = 'orders/",
                id, "'")),
            "1");
  ASSERT_TRUE(Get(kBranch1, id, &o).ok());  // its own branch: in full
  EXPECT_EQ(o.delivery().phone(), "13912345678");
  CreateOrderResponse store;
  CreateOrderRequest bad = WithDelivery(NewOrder(""));
  bad.mutable_order()->set_channel(v1::ORDER_CHANNEL_STORE);
  grpc::Status s = Call(&OrderService::Stub::CreateOrder, kAdmin, bad, &store);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(DetailsOf(s).fields, Contains("order.delivery"));
}

TEST_F(OrdersIntegrationTest, ExportIncludesOrdersAndEraseScrubsDelivery) {
  const std::string cus = CreateCustomer("B001", 1'000);
  CreateOrderResponse created;
  ASSERT_TRUE(Call(&OrderService::Stub::CreateOrder, kAdmin,
                   WithDelivery(NewOrder(cus, "B002")), &created)
                  .ok());
  const std::string id = created.order().order_id();
  ASSERT_TRUE(Pay(id, v1::PAYMENT_METHOD_POINTS, 1'000).ok());

  customers::v1::ExportCustomerDataRequest ex;
  ex.set_customer_id(cus);
  customers::v1::ExportCustomerDataResponse exported;
  grpc::Status s =
      testing::Call(*customers_, &CustomerService::Stub::ExportCustomerData,
                    kAdmin, ex, &exported);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(exported.records_size(), 1);
  Order record;
  ASSERT_TRUE(exported.records(0).UnpackTo(&record));
  EXPECT_EQ(record.order_id(), id);
  EXPECT_EQ(record.delivery().phone(), "13912345678");
  ASSERT_EQ(record.payments_size(), 1);
  EXPECT_EQ(record.payments(0).points_debited(), 1'000);

  customers::v1::EraseCustomerRequest erase;
  erase.set_customer_id(cus);
  erase.set_reason("ticket PIPL-9");
  erase.set_request_id(NewRequestId());
  customers::v1::EraseCustomerResponse erased;
  s = testing::Call(*customers_, &CustomerService::Stub::EraseCustomer, kAdmin,
                    erase, &erased);
  ASSERT_TRUE(s.ok()) << s.error_message();
  Order after;
  ASSERT_TRUE(Get(kAdmin, id, &after).ok());
  EXPECT_EQ(after.delivery().recipient_name(), "");
  EXPECT_EQ(after.delivery().phone(), "");
  EXPECT_EQ(after.delivery().address(), "");
  EXPECT_EQ(after.total().minor_units(), 30'000);
  EXPECT_EQ(after.items_size(), 2);
  EXPECT_EQ(after.payments_size(), 1);
  EXPECT_EQ(server_.QueryScalar(
                "SELECT COUNT(*) FROM orders WHERE delivery_phone != ''"),
            "0");
  // Nor in the stored answers a retry would replay (the create's and the
  // payment's both carried the delivery details).
  for (const char* trace : {"13912345678", "世纪大道", "王小明"}) {
    EXPECT_EQ(server_.QueryScalar(absl::StrCat(
                  "SELECT COUNT(*) FROM idempotency_keys WHERE ",
                  HoldsBytes(server_.on_postgres(), "response", trace))),
              "0")
        << trace << " is still in a stored response";
  }
  // An erased customer's pending order can still be paid.
  s = Pay(id, v1::PAYMENT_METHOD_CASH, 29'000);
  EXPECT_TRUE(s.ok()) << s.error_message();
}

// Careless or hostile input: each case gets INVALID_ARGUMENT naming its
// field, no engine text, and nothing stored changes.
TEST_F(OrdersIntegrationTest, BadInputNamesTheFieldAndChangesNothing) {
  const Order o = Create("");
  const std::string before = server_.QueryScalar(
      "SELECT COUNT(*) || '/' || SUM(revision) FROM orders");
  struct Case {
    std::string name;
    std::function<grpc::Status()> call;
    std::string field;
  };
  auto pay_with = [&](std::function<void(PayOrderRequest&)> mutate) {
    return [this, &o, mutate] {
      PayOrderRequest req =
          NewPayment(o.order_id(), v1::PAYMENT_METHOD_CASH, 100);
      mutate(req);
      PayOrderResponse resp;
      return Call(&OrderService::Stub::PayOrder, kAdmin, req, &resp);
    };
  };
  auto list_with = [&](std::function<void(v1::ListOrdersRequest&)> mutate) {
    return [this, mutate] {
      v1::ListOrdersRequest req;
      mutate(req);
      v1::ListOrdersResponse resp;
      return Call(&OrderService::Stub::ListOrders, kAdmin, req, &resp);
    };
  };
  auto slips_with =
      [&](std::function<void(v1::ListSettlementsRequest&)> mutate) {
        return [this, mutate] {
          v1::ListSettlementsRequest req;
          req.set_branch_id("B001");
          req.mutable_start_date()->set_year(2024);
          req.mutable_start_date()->set_month(1);
          req.mutable_start_date()->set_day(1);
          *req.mutable_end_date() = req.start_date();
          mutate(req);
          v1::ListSettlementsResponse resp;
          return Call(&OrderService::Stub::ListSettlements, kAdmin, req, &resp);
        };
      };
  const std::vector<Case> cases = {
      {"unknown method", pay_with([](PayOrderRequest& r) {
         r.mutable_payment()->set_method(static_cast<v1::PaymentMethod>(99));
       }),
       "payment.method"},
      {"no outcome", pay_with([](PayOrderRequest& r) {
         r.mutable_payment()->set_outcome(v1::PAYMENT_OUTCOME_UNSPECIFIED);
       }),
       "payment.outcome"},
      {"negative amount", pay_with([](PayOrderRequest& r) {
         r.mutable_payment()->mutable_amount()->set_minor_units(-100);
       }),
       "payment.amount"},
      {"foreign currency", pay_with([](PayOrderRequest& r) {
         r.mutable_payment()->mutable_amount()->set_currency_code("USD");
       }),
       "payment.amount.currency_code"},
      {"failed without a reason", pay_with([](PayOrderRequest& r) {
         r.mutable_payment()->set_outcome(v1::PAYMENT_OUTCOME_FAILED);
       }),
       "payment.failure_reason"},
      {"order id with SQL",
       pay_with([](PayOrderRequest& r) { r.set_order_id("x' OR 1=1 --"); }),
       "order_id"},
      {"reference too long", pay_with([](PayOrderRequest& r) {
         r.mutable_payment()->set_external_reference(std::string(129, 'r'));
       }),
       "payment.external_reference"},
      {"unknown status filter", list_with([](v1::ListOrdersRequest& r) {
         r.set_status(static_cast<v1::OrderStatus>(99));
       }),
       "status"},
      {"negative page size",
       list_with([](v1::ListOrdersRequest& r) { r.set_page_size(-1); }),
       "page_size"},
      {"forged page token",
       list_with([](v1::ListOrdersRequest& r) { r.set_page_token("abc"); }),
       "page_token"},
      {"bad timestamp", list_with([](v1::ListOrdersRequest& r) {
         r.mutable_create_time_start()->set_nanos(-1);
       }),
       "create_time_start"},
      {"empty time window", list_with([](v1::ListOrdersRequest& r) {
         r.mutable_create_time_start()->set_seconds(100);
         r.mutable_create_time_end()->set_seconds(100);
       }),
       "create_time_end"},
      {"no dates",
       slips_with([](v1::ListSettlementsRequest& r) { r.clear_start_date(); }),
       "start_date"},
      {"30 February", slips_with([](v1::ListSettlementsRequest& r) {
         r.mutable_end_date()->set_month(2);
         r.mutable_end_date()->set_day(30);
       }),
       "end_date"},
      {"end before start", slips_with([](v1::ListSettlementsRequest& r) {
         r.mutable_end_date()->set_year(2023);
       }),
       "end_date"},
      {"no branch",
       slips_with([](v1::ListSettlementsRequest& r) { r.clear_branch_id(); }),
       "branch_id"},
      {"settlement without a key",
       [this] {
         v1::GetSettlementRequest req;
         v1::GetSettlementResponse resp;
         return Call(&OrderService::Stub::GetSettlement, kAdmin, req, &resp);
       },
       "settlement_id"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const grpc::Status s = c.call();
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << s.error_message();
    EXPECT_THAT(DetailsOf(s).fields, Contains(c.field));
    ExpectNoStorageText(s);
  }
  EXPECT_EQ(server_.QueryScalar(
                "SELECT COUNT(*) || '/' || SUM(revision) FROM orders"),
            before);
  EXPECT_EQ(server_.QueryScalar("SELECT COUNT(*) FROM order_payments"), "0");
}

// Issue 14: a person with 100,000 ledger entries and 10,000 orders is
// exported through a client with the default 4 MiB receive limit, in parts
// that merge back into everything. The rows are copied in SQL from ones made
// through the API (10,000 CreateOrder calls would dominate the suite).
TEST_F(OrdersIntegrationTest, LargeExportStreamsWithinTheDefaultMessageLimit) {
  const std::string customer = CreateCustomer("B001", 100);
  CreateOrderResponse created;
  ASSERT_TRUE(testing::Call(*orders_, &OrderService::Stub::CreateOrder, kAdmin,
                            NewOrder(customer), &created)
                  .ok());
  server_.Stop();
  // The orders table's other columns, as each engine's catalog lists them
  // (on PostgreSQL the partitioned parent's; its key table follows by
  // trigger).
  const std::string list = server_.QueryScalar(
      server_.on_postgres()
          ? "SELECT string_agg(column_name, ', ' ORDER BY ordinal_position)"
            " FROM information_schema.columns WHERE table_schema ="
            " current_schema() AND table_name = 'orders' AND column_name"
            " NOT IN ('id', 'order_id')"
          : "SELECT group_concat(name, ', ') FROM pragma_table_info('orders')"
            " WHERE name NOT IN ('id', 'order_id')");
  ASSERT_FALSE(list.empty());
  server_.ExecSql(absl::StrCat(
      "BEGIN;"
      " WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n"
      " WHERE i < 99999)"
      " INSERT INTO points_transactions (transaction_id, customer_row,"
      " delta, balance_after, reason, actor, create_time_us)"
      " SELECT 'pts_bulk_' || i, customer_row, 0, balance_after,"
      " 'bulk adjustment ' || i, actor, create_time_us + i"
      " FROM points_transactions, n;"
      " WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n"
      " WHERE i < 9999)"
      " INSERT INTO orders (order_id, ",
      list, ") SELECT 'ord_bulk_' || i, ", list,
      " FROM orders, n WHERE order_id = '", created.order().order_id(),
      "';"
      " COMMIT;"));
  server_.Start();
  customers_ = CustomerService::NewStub(server_.Channel());
  customers::v1::ExportCustomerDataRequest req;
  req.set_customer_id(customer);
  customers::v1::ExportCustomerDataResponse exported;
  int parts = 0;
  // A default channel: 4 MiB receive limit (the test server's channel is
  // a plain grpc::CreateChannel too; checked here, not assumed).
  auto channel = grpc::CreateChannel(server_.address(),
                                     grpc::InsecureChannelCredentials());
  auto stub = CustomerService::NewStub(channel);
  grpc::Status s =
      testing::Call(*stub, &CustomerService::Stub::ExportCustomerData, kAdmin,
                    req, &exported, &parts);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(exported.customer().customer_id(), customer);
  EXPECT_EQ(exported.points_transactions_size(), 100'000);
  int orders = 0;
  for (const google::protobuf::Any& any : exported.records()) {
    if (any.Is<Order>()) ++orders;
  }
  EXPECT_EQ(orders, 10'000);
  EXPECT_GT(parts, 4);  // well over 4 MiB in all
  // Oldest first across parts.
  EXPECT_EQ(exported.points_transactions(99'999).transaction_id(),
            "pts_bulk_99999");
}

}  // namespace
}  // namespace retail::testing
