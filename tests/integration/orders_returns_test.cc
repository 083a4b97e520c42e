// Returns and exchanges (退换货) through the real server over loopback TCP:
// the whole sale-to-return story with a split tender, partial returns, the
// policy (paid order, window from completion, quantities, the approval
// limit), points given back and taken back (with the shortfall), the three
// kinds of exchange, refund references, illegal steps, request_id retries,
// branch isolation, reconciliation on the day a refund is recorded, and a
// person's returns in export and erasure.
//
// After each test: every customer's points balance equals the sum of their
// ledger; every order's paid amount equals its succeeded tenders minus its
// refunds; no points tender gave back more points than it took; and every
// day's reconciliation of both branches lists no discrepancy.
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "retail/customers/v1/customers.grpc.pb.h"
#include "retail/orders/v1/orders.grpc.pb.h"
#include "tests/integration/stream_call.h"
#include "tests/integration/test_server.h"

ABSL_DECLARE_FLAG(int64_t, points_per_yuan);
ABSL_DECLARE_FLAG(int64_t, return_window_days);

namespace retail::testing {
namespace {

using ::google::protobuf::util::TimeUtil;
using ::retail::customers::v1::CustomerService;
using ::retail::orders::v1::OrderService;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
namespace v1 = ::retail::orders::v1;
namespace cv1 = ::retail::customers::v1;

// A service token that may request and review returns (and nothing else).
constexpr char kReviewService[] = "svc-review-token";

// One tender of PaidOrder().
struct Tender {
  v1::PaymentMethod method;
  int64_t amount;
  std::string reference = "";
};

class ReturnsTest : public ::testing::Test {
 protected:
  // Flags the server reads when it starts; subclasses set theirs here (the
  // FlagSaver member puts them back after the test).
  virtual void SetFlags() {}

  void SetUp() override {
    SetFlags();
    TestServerOptions options;
    options.principals.push_back(
        {kReviewService,
         "reviewer service methods=retail.orders.v1.OrderService/"
         "RequestReturn,retail.orders.v1.OrderService/ReviewReturn"});
    server_ = std::make_unique<TestServer>(std::move(options));
    start_micros_ = server_->clock().NowMicros();
    orders_ = OrderService::NewStub(server_->Channel());
    customers_ = CustomerService::NewStub(server_->Channel());
  }

  void TearDown() override {
    ExpectBalancesMatchLedger();
    ExpectOrdersAddUp();
    ExpectBooksBalanceEveryDay();
  }

  // ---- calls ---------------------------------------------------------------

  template <typename Req, typename Resp>
  grpc::Status Call(grpc::Status (OrderService::Stub::*method)(
                        grpc::ClientContext*, const Req&, Resp*),
                    const std::string& token, const Req& req, Resp* resp) {
    return testing::Call(*orders_, method, token, req, resp);
  }

  std::string NewRequestId() {
    return absl::StrCat("return-request-", ++request_counter_);
  }

  // ---- customers -----------------------------------------------------------

  std::string CreateCustomer(const std::string& branch, int64_t points) {
    cv1::CreateCustomerRequest req;
    req.set_request_id(NewRequestId());
    req.mutable_customer()->set_display_name("王小明");
    req.mutable_customer()->set_phone(
        absl::StrCat("1390000", 1000 + request_counter_));
    req.mutable_customer()->set_branch_id(branch);
    cv1::CreateCustomerResponse resp;
    grpc::Status s =
        testing::Call(*customers_, &CustomerService::Stub::CreateCustomer,
                      kAdmin, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    const std::string id = resp.customer().customer_id();
    if (points > 0) {
      cv1::AdjustPointsRequest adjust;
      adjust.set_request_id(NewRequestId());
      adjust.set_customer_id(id);
      adjust.set_delta(points);
      adjust.set_reason("opening balance");
      cv1::AdjustPointsResponse adjusted;
      s = testing::Call(*customers_, &CustomerService::Stub::AdjustPoints,
                        kAdmin, adjust, &adjusted);
      EXPECT_TRUE(s.ok()) << s.error_message();
    }
    return id;
  }

  cv1::Customer GetCustomer(const std::string& id) {
    cv1::GetCustomerRequest req;
    req.set_customer_id(id);
    cv1::GetCustomerResponse resp;
    grpc::Status s = testing::Call(
        *customers_, &CustomerService::Stub::GetCustomer, kAdmin, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.customer();
  }

  // ---- orders --------------------------------------------------------------

  static v1::OrderItem Item(const std::string& sku, int64_t quantity,
                            int64_t price) {
    v1::OrderItem item;
    item.set_sku(sku);
    item.set_name(absl::StrCat("商品 ", sku));
    item.set_quantity(quantity);
    item.mutable_unit_price()->set_minor_units(price);
    return item;
  }

  // The usual basket: 2 shirts at 12,900 and 3 pairs of socks at 1,400,
  // total 30,000 (¥300.00).
  static std::vector<v1::OrderItem> Basket() {
    return {Item("SHIRT-M", 2, 12'900), Item("SOCKS", 3, 1'400)};
  }

  v1::Order CreateOrder(const std::string& customer_id,
                        const std::string& branch = "B001",
                        std::vector<v1::OrderItem> items = Basket(),
                        bool online = false) {
    v1::CreateOrderRequest req;
    req.set_request_id(NewRequestId());
    v1::Order* o = req.mutable_order();
    o->set_customer_id(customer_id);
    o->set_branch_id(branch);
    o->set_channel(online ? v1::ORDER_CHANNEL_ONLINE : v1::ORDER_CHANNEL_STORE);
    for (v1::OrderItem& item : items) *o->add_items() = std::move(item);
    if (online) {
      v1::Delivery* d = o->mutable_delivery();
      d->set_recipient_name("王小明");
      d->set_phone("13800138000");
      d->set_address("上海市浦东新区世纪大道100号");
    }
    v1::CreateOrderResponse resp;
    grpc::Status s = Call(&OrderService::Stub::CreateOrder, kAdmin, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.order();
  }

  grpc::Status Pay(const std::string& order_id, v1::PaymentMethod method,
                   int64_t amount, const std::string& reference = "",
                   v1::PayOrderResponse* resp = nullptr,
                   const std::string& token = kAdmin) {
    v1::PayOrderRequest req;
    req.set_request_id(NewRequestId());
    req.set_order_id(order_id);
    req.mutable_payment()->set_method(method);
    req.mutable_payment()->mutable_amount()->set_minor_units(amount);
    req.mutable_payment()->set_external_reference(reference);
    req.mutable_payment()->set_outcome(v1::PAYMENT_OUTCOME_SUCCEEDED);
    v1::PayOrderResponse ignored;
    return Call(&OrderService::Stub::PayOrder, token, req,
                resp != nullptr ? resp : &ignored);
  }

  // An order paid by `tenders` in that order (the last one newest).
  v1::Order PaidOrder(const std::string& customer_id,
                      const std::vector<Tender>& tenders,
                      const std::string& branch = "B001",
                      std::vector<v1::OrderItem> items = Basket(),
                      bool online = false) {
    const v1::Order created =
        CreateOrder(customer_id, branch, std::move(items), online);
    v1::PayOrderResponse paid;
    for (const Tender& t : tenders) {
      grpc::Status s =
          Pay(created.order_id(), t.method, t.amount, t.reference, &paid);
      EXPECT_TRUE(s.ok()) << s.error_message();
    }
    EXPECT_EQ(paid.order().status(), v1::ORDER_STATUS_PAID);
    return paid.order();
  }

  v1::Order CompleteOrder(const std::string& order_id) {
    v1::CompleteOrderRequest req;
    req.set_request_id(NewRequestId());
    req.set_order_id(order_id);
    v1::CompleteOrderResponse resp;
    grpc::Status s =
        Call(&OrderService::Stub::CompleteOrder, kAdmin, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.order();
  }

  v1::Order GetOrder(const std::string& order_id) {
    v1::GetOrderRequest req;
    req.set_order_id(order_id);
    v1::GetOrderResponse resp;
    grpc::Status s = Call(&OrderService::Stub::GetOrder, kAdmin, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.order();
  }

  // ---- returns -------------------------------------------------------------

  static v1::ReturnLine Line(const std::string& sku, int64_t quantity,
                             v1::ReturnReason reason = v1::RETURN_REASON_SIZE,
                             const std::string& note = "") {
    v1::ReturnLine l;
    l.set_sku(sku);
    l.set_quantity(quantity);
    l.set_reason(reason);
    l.set_note(note);
    return l;
  }

  // An exchange line: `quantity` of `sku` back, `new_quantity` (0: as many)
  // of `new_sku` at `new_price` out.
  static v1::ReturnLine Swap(const std::string& sku, int64_t quantity,
                             const std::string& new_sku, int64_t new_quantity,
                             int64_t new_price) {
    v1::ReturnLine l = Line(sku, quantity);
    *l.mutable_replacement() = Item(new_sku, new_quantity, new_price);
    return l;
  }

  static v1::RequestReturnRequest ReturnRequest(
      const std::string& order_id, const std::vector<v1::ReturnLine>& lines,
      v1::ReturnType type = v1::RETURN_TYPE_RETURN) {
    v1::RequestReturnRequest req;
    req.set_order_id(order_id);
    req.set_type(type);
    for (const v1::ReturnLine& l : lines) *req.add_lines() = l;
    return req;
  }

  grpc::Status Request(const std::string& token, const std::string& order_id,
                       const std::vector<v1::ReturnLine>& lines,
                       v1::Return* out = nullptr,
                       v1::ReturnType type = v1::RETURN_TYPE_RETURN) {
    v1::RequestReturnRequest req = ReturnRequest(order_id, lines, type);
    req.set_request_id(NewRequestId());
    v1::RequestReturnResponse resp;
    grpc::Status s =
        Call(&OrderService::Stub::RequestReturn, token, req, &resp);
    if (out != nullptr) *out = resp.order_return();
    return s;
  }

  grpc::Status Review(const std::string& token, const std::string& return_id,
                      v1::ReviewDecision decision, const std::string& note = "",
                      v1::Return* out = nullptr) {
    v1::ReviewReturnRequest req;
    req.set_request_id(NewRequestId());
    req.set_return_id(return_id);
    req.set_decision(decision);
    req.set_note(note);
    v1::ReviewReturnResponse resp;
    grpc::Status s = Call(&OrderService::Stub::ReviewReturn, token, req, &resp);
    if (out != nullptr) *out = resp.order_return();
    return s;
  }
  grpc::Status Approve(const std::string& token, const std::string& return_id,
                       v1::Return* out = nullptr) {
    return Review(token, return_id, v1::REVIEW_DECISION_APPROVE, "", out);
  }

  grpc::Status Receive(
      const std::string& token, const std::string& return_id,
      v1::ItemCondition condition = v1::ITEM_CONDITION_RESALABLE,
      const std::string& note = "", v1::Return* out = nullptr) {
    v1::ReceiveReturnRequest req;
    req.set_request_id(NewRequestId());
    req.set_return_id(return_id);
    req.set_condition(condition);
    req.set_note(note);
    v1::ReceiveReturnResponse resp;
    grpc::Status s =
        Call(&OrderService::Stub::ReceiveReturn, token, req, &resp);
    if (out != nullptr) *out = resp.order_return();
    return s;
  }

  // CompleteReturn with refund references (payment_id, external reference).
  grpc::Status Finish(
      const std::string& token, const std::string& return_id,
      v1::CompleteReturnResponse* out = nullptr,
      const std::vector<std::pair<std::string, std::string>>& references = {}) {
    v1::CompleteReturnRequest req;
    req.set_request_id(NewRequestId());
    req.set_return_id(return_id);
    for (const auto& [payment_id, reference] : references) {
      v1::RefundReference* r = req.add_refund_references();
      r->set_payment_id(payment_id);
      r->set_external_reference(reference);
    }
    v1::CompleteReturnResponse ignored;
    return Call(&OrderService::Stub::CompleteReturn, token, req,
                out != nullptr ? out : &ignored);
  }

  grpc::Status GetReturn(const std::string& token, const std::string& return_id,
                         v1::Return* out = nullptr) {
    v1::GetReturnRequest req;
    req.set_return_id(return_id);
    v1::GetReturnResponse resp;
    grpc::Status s = Call(&OrderService::Stub::GetReturn, token, req, &resp);
    if (out != nullptr) *out = resp.order_return();
    return s;
  }

  v1::Return MustGetReturn(const std::string& return_id) {
    v1::Return r;
    grpc::Status s = GetReturn(kAdmin, return_id, &r);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return r;
  }

  // Requested, approved and received as `token`; returns the RECEIVED
  // return.
  v1::Return Received(const std::string& order_id,
                      const std::vector<v1::ReturnLine>& lines,
                      v1::ReturnType type = v1::RETURN_TYPE_RETURN,
                      const std::string& token = kAdmin) {
    v1::Return r;
    grpc::Status s = Request(token, order_id, lines, &r, type);
    EXPECT_TRUE(s.ok()) << s.error_message();
    s = Approve(token, r.return_id());
    EXPECT_TRUE(s.ok()) << s.error_message();
    s = Receive(token, r.return_id(), v1::ITEM_CONDITION_RESALABLE, "", &r);
    EXPECT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(r.status(), v1::RETURN_STATUS_RECEIVED);
    return r;
  }

  // The whole way: requested, approved, received and completed as `token`.
  v1::CompleteReturnResponse Returned(
      const std::string& order_id, const std::vector<v1::ReturnLine>& lines,
      v1::ReturnType type = v1::RETURN_TYPE_RETURN,
      const std::string& token = kAdmin) {
    const v1::Return r = Received(order_id, lines, type, token);
    v1::CompleteReturnResponse resp;
    grpc::Status s = Finish(token, r.return_id(), &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(resp.order_return().status(), v1::RETURN_STATUS_COMPLETED);
    return resp;
  }

  // The id of the order's succeeded tender of `method` (the first).
  static std::string PaymentOf(const v1::Order& o, v1::PaymentMethod method) {
    for (const v1::Payment& p : o.payments()) {
      if (p.method() == method && p.outcome() == v1::PAYMENT_OUTCOME_SUCCEEDED)
        return p.payment_id();
    }
    ADD_FAILURE() << "order " << o.order_id() << " has no tender of "
                  << v1::PaymentMethod_Name(method);
    return "";
  }

  std::string Count(const std::string& sql) {
    return server_->QueryScalar(sql);
  }

  // ---- invariants checked after every test ---------------------------------

  void ExpectBalancesMatchLedger() {
    EXPECT_EQ(
        Count("SELECT COUNT(*) FROM customers c WHERE points_balance != "
              "(SELECT COALESCE(SUM(delta), 0) FROM points_transactions p "
              "WHERE p.customer_row = c.id)"),
        "0");
  }

  // paid = succeeded tenders - refunds (and at most the total), for every
  // order.
  void ExpectOrdersAddUp() {
    EXPECT_EQ(
        Count("SELECT COUNT(*) FROM orders o WHERE o.paid_minor != "
              "(SELECT COALESCE(SUM(amount_minor), 0) FROM order_payments p "
              " WHERE p.order_row = o.id AND p.outcome = 1) - "
              "(SELECT COALESCE(SUM(amount_minor), 0) FROM order_refunds r "
              " WHERE r.order_row = o.id) OR o.paid_minor > o.total_minor"),
        "0");
    // Points follow the money: a points tender refunded (as money, not as
    // exchange credit) for m of its amount a gives back at most
    // ceil(debited x m / a) of the points it debited.
    EXPECT_EQ(Count("SELECT COUNT(*) FROM order_payments p WHERE p.method = 7 "
                    "AND (SELECT COALESCE(SUM(points_restored), 0) FROM "
                    "order_refunds r WHERE r.payment_id = p.payment_id) * "
                    "p.amount_minor > p.points_debited * (SELECT "
                    "COALESCE(SUM(amount_minor), 0) FROM order_refunds r "
                    "WHERE r.payment_id = p.payment_id AND r.method = 7) + "
                    "p.amount_minor - 1"),
              "0")
        << "a points tender gave back more points than the money refunded "
           "from it stands for";
  }

  // Every business day the test touched, both branches: the books balance.
  void ExpectBooksBalanceEveryDay() {
    absl::TimeZone shanghai;
    ASSERT_TRUE(absl::LoadTimeZone("Asia/Shanghai", &shanghai));
    const absl::CivilDay first =
        absl::ToCivilDay(absl::FromUnixMicros(start_micros_), shanghai);
    const absl::CivilDay last = absl::ToCivilDay(
        absl::FromUnixMicros(server_->clock().NowMicros()), shanghai);
    for (absl::CivilDay day = first; day <= last; ++day) {
      for (const char* branch : {"B001", "B002"}) {
        const v1::Reconciliation r = Reconcile(branch, day);
        for (const v1::ReconciliationDiscrepancy& d : r.discrepancies()) {
          ADD_FAILURE() << branch << " " << day << ": order " << d.order_id()
                        << ": " << d.description();
        }
      }
    }
  }

  v1::Reconciliation Reconcile(const std::string& branch, absl::CivilDay day,
                               const std::string& token = kAdmin) {
    v1::GetDailyReconciliationRequest req;
    req.set_branch_id(branch);
    req.mutable_date()->set_year(static_cast<int32_t>(day.year()));
    req.mutable_date()->set_month(day.month());
    req.mutable_date()->set_day(day.day());
    v1::GetDailyReconciliationResponse resp;
    grpc::Status s =
        Call(&OrderService::Stub::GetDailyReconciliation, token, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.reconciliation();
  }

  absl::FlagSaver flags_;  // first: flags come back after the server is gone
  std::unique_ptr<TestServer> server_;
  int64_t start_micros_ = 0;
  std::unique_ptr<OrderService::Stub> orders_;
  std::unique_ptr<CustomerService::Stub> customers_;
  int request_counter_ = 0;
};

// ---- the story
// ---------------------------------------------------------------

TEST_F(ReturnsTest, SplitTenderReturnRefundsNewestFirstAndRestoresPoints) {
  const std::string cus = CreateCustomer("B001", 20'000);
  // ¥120 in points (12,000 points), then ¥180 in cash: 180 points earned.
  const v1::Order o = PaidOrder(cus, {{v1::PAYMENT_METHOD_POINTS, 12'000},
                                      {v1::PAYMENT_METHOD_CASH, 18'000}});
  EXPECT_EQ(o.points_earned(), 180);
  cv1::Customer c = GetCustomer(cus);
  EXPECT_EQ(c.points_balance(), 8'180);
  EXPECT_EQ(c.order_count(), 1);
  EXPECT_EQ(c.total_spend().minor_units(), 30'000);
  EXPECT_EQ(c.tier(), cv1::CUSTOMER_TIER_REGULAR);
  CompleteOrder(o.order_id());

  v1::Return r;
  grpc::Status s =
      Request(kBranch1, o.order_id(),
              {Line("SHIRT-M", 2, v1::RETURN_REASON_SIZE),
               Line("SOCKS", 3, v1::RETURN_REASON_OTHER, "  袜子起球  ")},
              &r);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_THAT(r.return_id(), StartsWith("ret_"));
  EXPECT_EQ(r.status(), v1::RETURN_STATUS_REQUESTED);
  EXPECT_EQ(r.order_id(), o.order_id());
  EXPECT_EQ(r.branch_id(), "B001");
  EXPECT_EQ(r.customer_id(), cus);
  EXPECT_EQ(r.type(), v1::RETURN_TYPE_RETURN);
  EXPECT_EQ(r.refund_total().minor_units(), 30'000);
  EXPECT_EQ(r.refund_total().currency_code(), "CNY");
  ASSERT_EQ(r.lines_size(), 2);
  EXPECT_EQ(r.lines(0).refund_amount().minor_units(), 25'800);
  EXPECT_EQ(r.lines(1).refund_amount().minor_units(), 4'200);
  EXPECT_EQ(r.lines(1).note(), "袜子起球");  // trimmed
  EXPECT_TRUE(r.has_create_time());

  // Reviewed by a named member of staff at the branch's shared token.
  {
    v1::ReviewReturnRequest req;
    req.set_request_id(NewRequestId());
    req.set_return_id(r.return_id());
    req.set_decision(v1::REVIEW_DECISION_APPROVE);
    req.set_note("符合退货政策");
    auto ctx = ContextFor(kBranch1);
    ctx->AddMetadata("x-staff-id", "S1042");
    v1::ReviewReturnResponse resp;
    s = orders_->ReviewReturn(ctx.get(), req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(resp.order_return().status(), v1::RETURN_STATUS_APPROVED);
    EXPECT_EQ(resp.order_return().reviewed_by(), "S1042");
    EXPECT_EQ(resp.order_return().review_note(), "符合退货政策");
    EXPECT_TRUE(resp.order_return().has_review_time());
  }
  s = Receive(kBranch1, r.return_id(), v1::ITEM_CONDITION_OPENED, "吊牌已拆",
              &r);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(r.status(), v1::RETURN_STATUS_RECEIVED);
  EXPECT_EQ(r.condition(), v1::ITEM_CONDITION_OPENED);
  EXPECT_EQ(r.receive_note(), "吊牌已拆");
  EXPECT_TRUE(r.has_receive_time());
  // Nothing moved yet.
  EXPECT_EQ(GetCustomer(cus).points_balance(), 8'180);
  EXPECT_EQ(GetOrder(o.order_id()).paid().minor_units(), 30'000);

  v1::CompleteReturnResponse done;
  s = Finish(kBranch1, r.return_id(), &done);
  ASSERT_TRUE(s.ok()) << s.error_message();
  const v1::Return& ret = done.order_return();
  EXPECT_EQ(ret.status(), v1::RETURN_STATUS_COMPLETED);
  EXPECT_TRUE(ret.has_complete_time());
  // Newest tender first: the cash, then the points.
  ASSERT_EQ(ret.refunds_size(), 2);
  EXPECT_EQ(ret.refunds(0).method(), v1::PAYMENT_METHOD_CASH);
  EXPECT_EQ(ret.refunds(0).payment_id(), PaymentOf(o, v1::PAYMENT_METHOD_CASH));
  EXPECT_EQ(ret.refunds(0).amount().minor_units(), 18'000);
  EXPECT_EQ(ret.refunds(0).points_restored(), 0);
  EXPECT_EQ(ret.refunds(0).return_id(), ret.return_id());
  EXPECT_THAT(ret.refunds(0).refund_id(), StartsWith("ref_"));
  EXPECT_EQ(ret.refunds(1).method(), v1::PAYMENT_METHOD_POINTS);
  EXPECT_EQ(ret.refunds(1).payment_id(),
            PaymentOf(o, v1::PAYMENT_METHOD_POINTS));
  EXPECT_EQ(ret.refunds(1).amount().minor_units(), 12'000);
  EXPECT_EQ(ret.refunds(1).points_restored(), 12'000);
  EXPECT_EQ(ret.points_restored(), 12'000);
  EXPECT_EQ(ret.points_reversed(), 180);
  EXPECT_EQ(ret.points_shortfall(), 0);
  EXPECT_TRUE(ret.exchange_order_id().empty());
  EXPECT_FALSE(done.has_exchange_order());

  const v1::Order& after = done.order();
  EXPECT_EQ(after.status(), v1::ORDER_STATUS_RETURNED);
  EXPECT_EQ(after.paid().minor_units(), 0);
  EXPECT_EQ(after.total().minor_units(), 30'000);
  ASSERT_EQ(after.refunds_size(), 2);
  for (const v1::Refund& f : after.refunds()) {
    EXPECT_EQ(f.return_id(), ret.return_id());
  }
  EXPECT_EQ(GetOrder(o.order_id()).SerializeAsString(),
            after.SerializeAsString());

  // The points came back and the earned ones went; the purchase no longer
  // counts.
  c = GetCustomer(cus);
  EXPECT_EQ(c.points_balance(), 20'000);
  EXPECT_EQ(c.total_spend().minor_units(), 0);
  EXPECT_EQ(c.order_count(), 0);
  EXPECT_EQ(c.tier(), cv1::CUSTOMER_TIER_POTENTIAL);
  EXPECT_EQ(Count(absl::StrCat("SELECT COUNT(*) FROM points_transactions "
                               "WHERE reason LIKE '%",
                               ret.return_id(), "%'")),
            "2");

  v1::Return got;
  ASSERT_TRUE(GetReturn(kAuditor, ret.return_id(), &got).ok());
  EXPECT_EQ(got.SerializeAsString(), ret.SerializeAsString());
  // Nothing is left to return.
  s = Request(kBranch1, o.order_id(), {Line("SOCKS", 1)});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(DetailsOf(s).reason, "RETURN_QUANTITY_EXCEEDED");
}

TEST_F(ReturnsTest, PartialReturnsTakeBackEarnedPointsInProportion) {
  const std::string cus = CreateCustomer("B001", 0);
  // Cash 10,000, then card 20,000: 300 points earned.
  const v1::Order o =
      PaidOrder(cus, {{v1::PAYMENT_METHOD_CASH, 10'000},
                      {v1::PAYMENT_METHOD_BANK_CARD, 20'000, "card-1"}});
  EXPECT_EQ(o.points_earned(), 300);
  EXPECT_EQ(GetCustomer(cus).points_balance(), 300);

  // One shirt: 12,900 off the card (newest); 300 x 12,900 / 30,000 = 129.
  v1::CompleteReturnResponse first =
      Returned(o.order_id(), {Line("SHIRT-M", 1)});
  ASSERT_EQ(first.order_return().refunds_size(), 1);
  EXPECT_EQ(first.order_return().refunds(0).method(),
            v1::PAYMENT_METHOD_BANK_CARD);
  EXPECT_EQ(first.order_return().refunds(0).amount().minor_units(), 12'900);
  EXPECT_EQ(first.order_return().points_reversed(), 129);
  EXPECT_EQ(first.order().status(), v1::ORDER_STATUS_PARTIALLY_RETURNED);
  EXPECT_EQ(first.order().paid().minor_units(), 17'100);
  cv1::Customer c = GetCustomer(cus);
  EXPECT_EQ(c.points_balance(), 171);
  EXPECT_EQ(c.total_spend().minor_units(), 17'100);
  EXPECT_EQ(c.order_count(), 1);  // still a purchase
  EXPECT_EQ(c.tier(), cv1::CUSTOMER_TIER_REGULAR);

  // The other shirt: the card's last 7,100, then 5,800 of the cash.
  v1::CompleteReturnResponse second =
      Returned(o.order_id(), {Line("SHIRT-M", 1)});
  ASSERT_EQ(second.order_return().refunds_size(), 2);
  EXPECT_EQ(second.order_return().refunds(0).method(),
            v1::PAYMENT_METHOD_BANK_CARD);
  EXPECT_EQ(second.order_return().refunds(0).amount().minor_units(), 7'100);
  EXPECT_EQ(second.order_return().refunds(1).method(), v1::PAYMENT_METHOD_CASH);
  EXPECT_EQ(second.order_return().refunds(1).amount().minor_units(), 5'800);
  EXPECT_EQ(second.order_return().points_reversed(), 258 - 129);
  EXPECT_EQ(second.order().status(), v1::ORDER_STATUS_PARTIALLY_RETURNED);
  EXPECT_EQ(second.order().paid().minor_units(), 4'200);

  // The socks: the rest of the cash, and the rest of the earned points.
  v1::CompleteReturnResponse third = Returned(o.order_id(), {Line("SOCKS", 3)});
  ASSERT_EQ(third.order_return().refunds_size(), 1);
  EXPECT_EQ(third.order_return().refunds(0).amount().minor_units(), 4'200);
  EXPECT_EQ(third.order_return().points_reversed(), 300 - 258);
  EXPECT_EQ(third.order().status(), v1::ORDER_STATUS_RETURNED);
  EXPECT_EQ(third.order().paid().minor_units(), 0);
  EXPECT_EQ(third.order().refunds_size(), 4);
  c = GetCustomer(cus);
  EXPECT_EQ(c.points_balance(), 0);
  EXPECT_EQ(c.total_spend().minor_units(), 0);
  EXPECT_EQ(c.order_count(), 0);
  EXPECT_EQ(c.tier(), cv1::CUSTOMER_TIER_POTENTIAL);
}

// 150 points per ¥1: a part of a points tender is rarely a whole number of
// points, so only the last part can make the total exact.
class ReturnsPointsRateTest : public ReturnsTest {
 protected:
  void SetFlags() override { absl::SetFlag(&FLAGS_points_per_yuan, 150); }
};

TEST_F(ReturnsPointsRateTest, LastPartOfAPointsTenderRestoresExactlyTheRest) {
  const std::string cus = CreateCustomer("B001", 100'000);
  // Cash 20,000 (older), then points 10,000 = 15,000 points (newer).
  const v1::Order o = PaidOrder(
      cus,
      {{v1::PAYMENT_METHOD_CASH, 20'000}, {v1::PAYMENT_METHOD_POINTS, 10'000}},
      "B001", {Item("CAP", 1, 3'333), Item("COAT", 1, 26'667)});
  ASSERT_EQ(o.payments_size(), 2);
  EXPECT_EQ(o.payments(1).points_debited(), 15'000);
  EXPECT_EQ(o.points_earned(), 200);
  EXPECT_EQ(GetCustomer(cus).points_balance(), 100'000 - 15'000 + 200);

  // The cap comes off the points tender: 15,000 x 3,333 / 10,000 = 4,999.5,
  // rounded down.
  v1::CompleteReturnResponse cap = Returned(o.order_id(), {Line("CAP", 1)});
  ASSERT_EQ(cap.order_return().refunds_size(), 1);
  EXPECT_EQ(cap.order_return().refunds(0).method(), v1::PAYMENT_METHOD_POINTS);
  EXPECT_EQ(cap.order_return().refunds(0).amount().minor_units(), 3'333);
  EXPECT_EQ(cap.order_return().refunds(0).points_restored(), 4'999);
  EXPECT_EQ(cap.order_return().points_reversed(), 0);  // no money came back
  EXPECT_EQ(cap.order().status(), v1::ORDER_STATUS_PARTIALLY_RETURNED);

  // The coat: the points tender's last 6,667 gives back exactly what is
  // left of its 15,000 points (10,001, not 10,000), then the cash.
  v1::CompleteReturnResponse coat = Returned(o.order_id(), {Line("COAT", 1)});
  ASSERT_EQ(coat.order_return().refunds_size(), 2);
  EXPECT_EQ(coat.order_return().refunds(0).method(), v1::PAYMENT_METHOD_POINTS);
  EXPECT_EQ(coat.order_return().refunds(0).amount().minor_units(), 6'667);
  EXPECT_EQ(coat.order_return().refunds(0).points_restored(), 10'001);
  EXPECT_EQ(coat.order_return().refunds(1).method(), v1::PAYMENT_METHOD_CASH);
  EXPECT_EQ(coat.order_return().refunds(1).amount().minor_units(), 20'000);
  EXPECT_EQ(coat.order_return().points_restored(), 10'001);
  EXPECT_EQ(coat.order_return().points_reversed(), 200);
  EXPECT_EQ(coat.order().status(), v1::ORDER_STATUS_RETURNED);
  EXPECT_EQ(GetCustomer(cus).points_balance(), 100'000);
}

// ---- the policy
// ----------------------------------------------------------------

TEST_F(ReturnsTest, ReturnWindowRunsFromCompletion) {
  const v1::Order o = PaidOrder("", {{v1::PAYMENT_METHOD_CASH, 30'000}});
  CompleteOrder(o.order_id());
  // Exactly 7 days later the window is still open (now <= completion + 7d).
  server_->clock().Advance(7 * kMicrosPerDay);
  v1::Return r;
  grpc::Status s = Request(kBranch1, o.order_id(), {Line("SOCKS", 1)}, &r);
  ASSERT_TRUE(s.ok()) << s.error_message();
  // One microsecond later it is closed, for approval too.
  server_->clock().Advance(1);
  s = Approve(kBranch1, r.return_id());
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  ErrorDetails d = DetailsOf(s);
  EXPECT_EQ(d.reason, "RETURN_WINDOW_CLOSED");
  EXPECT_EQ(d.metadata["window_days"], "7");
  EXPECT_EQ(d.metadata["order_id"], o.order_id());
  EXPECT_THAT(s.error_message(), HasSubstr("7 days after completion"));
  EXPECT_THAT(s.error_message(), HasSubstr("2026-06-08"));  // the deadline
  ExpectNoStorageText(s);
  EXPECT_EQ(MustGetReturn(r.return_id()).status(), v1::RETURN_STATUS_REQUESTED);
  s = Request(kBranch1, o.order_id(), {Line("SOCKS", 1)});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(DetailsOf(s).reason, "RETURN_WINDOW_CLOSED");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM order_returns"), "1");
  // A rejection needs no policy.
  s = Review(kBranch1, r.return_id(), v1::REVIEW_DECISION_REJECT,
             "超过七天退货期");
  EXPECT_TRUE(s.ok()) << s.error_message();

  // A paid order that was never picked up has no window running yet.
  const v1::Order waiting = PaidOrder("", {{v1::PAYMENT_METHOD_CASH, 30'000}});
  server_->clock().Advance(30 * kMicrosPerDay);
  v1::CompleteReturnResponse done =
      Returned(waiting.order_id(), {Line("SHIRT-M", 1)});
  EXPECT_EQ(done.order().status(), v1::ORDER_STATUS_PARTIALLY_RETURNED);
}

class ReturnsWindowFlagTest : public ReturnsTest {
 protected:
  void SetFlags() override { absl::SetFlag(&FLAGS_return_window_days, 30); }
};

TEST_F(ReturnsWindowFlagTest, WindowFollowsTheFlag) {
  const v1::Order o = PaidOrder("", {{v1::PAYMENT_METHOD_CASH, 30'000}});
  CompleteOrder(o.order_id());
  server_->clock().Advance(8 * kMicrosPerDay);  // past the default 7
  v1::Return r;
  grpc::Status s = Request(kBranch1, o.order_id(), {Line("SOCKS", 1)}, &r);
  ASSERT_TRUE(s.ok()) << s.error_message();
  s = Approve(kBranch1, r.return_id());
  EXPECT_TRUE(s.ok()) << s.error_message();
  server_->clock().Advance(22 * kMicrosPerDay + 1);  // 30 days and 1 us
  s = Request(kBranch1, o.order_id(), {Line("SOCKS", 1)});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(DetailsOf(s).reason, "RETURN_WINDOW_CLOSED");
  EXPECT_EQ(DetailsOf(s).metadata["window_days"], "30");
  // An approved return is past the policy: the goods may still come back.
  s = Receive(kBranch1, r.return_id());
  EXPECT_TRUE(s.ok()) << s.error_message();
  s = Finish(kBranch1, r.return_id());
  EXPECT_TRUE(s.ok()) << s.error_message();
}

TEST_F(ReturnsTest, OnlyAPaidOrderCanBeReturned) {
  const std::string cus = CreateCustomer("B001", 1'000);
  const v1::Order pending = CreateOrder(cus);
  grpc::Status s = Request(kBranch1, pending.order_id(), {Line("SOCKS", 1)});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  ErrorDetails d = DetailsOf(s);
  EXPECT_EQ(d.reason, "ORDER_NOT_PAID");
  EXPECT_EQ(d.metadata["status"], "ORDER_STATUS_PENDING_PAYMENT");
  ASSERT_TRUE(Pay(pending.order_id(), v1::PAYMENT_METHOD_POINTS, 1'000).ok());
  s = Request(kBranch1, pending.order_id(), {Line("SOCKS", 1)});  // partly paid
  EXPECT_EQ(DetailsOf(s).reason, "ORDER_NOT_PAID");
  v1::CancelOrderRequest cancel;
  cancel.set_request_id(NewRequestId());
  cancel.set_order_id(pending.order_id());
  cancel.set_reason("顾客不要了");
  v1::CancelOrderResponse cancelled;
  ASSERT_TRUE(
      Call(&OrderService::Stub::CancelOrder, kAdmin, cancel, &cancelled).ok());
  s = Request(kBranch1, pending.order_id(), {Line("SOCKS", 1)});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(DetailsOf(s).reason, "ORDER_NOT_PAID");
  EXPECT_EQ(DetailsOf(s).metadata["status"], "ORDER_STATUS_CANCELLED");
  // A missing order is NOT_FOUND.
  s = Request(kBranch1, "ord_01ARZ3NDEKTSV4RRFFQ69G5FAV", {Line("SOCKS", 1)});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM order_returns"), "0");
  EXPECT_EQ(GetCustomer(cus).points_balance(), 1'000);
}

TEST_F(ReturnsTest, QuantitiesCountTheOrdersOtherReturns) {
  const v1::Order o = PaidOrder("", {{v1::PAYMENT_METHOD_CASH, 30'000}});
  const std::string id = o.order_id();
  grpc::Status s = Request(kBranch1, id, {Line("SHIRT-M", 3)});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  ErrorDetails d = DetailsOf(s);
  EXPECT_EQ(d.reason, "RETURN_QUANTITY_EXCEEDED");
  EXPECT_EQ(d.metadata["field"], "lines[0].quantity");
  EXPECT_EQ(d.metadata["bought"], "2");
  EXPECT_EQ(d.metadata["already_returned"], "0");
  EXPECT_THAT(s.error_message(), HasSubstr("lines[0].quantity"));
  s = Request(kBranch1, id, {Line("SOCKS", 1), Line("SHIRT-M", 3)});
  EXPECT_EQ(DetailsOf(s).metadata["field"], "lines[1].quantity");
  // A sku not on the order, and a sku twice, are bad requests.
  s = Request(kBranch1, id, {Line("SOCKS", 1), Line("HAT", 1)});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(DetailsOf(s).fields, Contains("lines[1].sku"));
  s = Request(kBranch1, id, {Line("SOCKS", 1), Line("SOCKS", 1)});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(DetailsOf(s).fields, Contains("lines[1].sku"));

  // Requests hold nothing: two may ask for the same shirts.
  v1::Return a, b;
  ASSERT_TRUE(Request(kBranch1, id, {Line("SHIRT-M", 2)}, &a).ok());
  ASSERT_TRUE(Request(kBranch1, id, {Line("SHIRT-M", 2)}, &b).ok());
  // The first approval takes them; the second finds none left.
  ASSERT_TRUE(Approve(kBranch1, a.return_id()).ok());
  s = Approve(kBranch1, b.return_id());
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  d = DetailsOf(s);
  EXPECT_EQ(d.reason, "RETURN_QUANTITY_EXCEEDED");
  EXPECT_EQ(d.metadata["already_returned"], "2");
  EXPECT_EQ(MustGetReturn(b.return_id()).status(), v1::RETURN_STATUS_REQUESTED);
  // Nor may a new request ask for them while the approved one holds them.
  s = Request(kBranch1, id, {Line("SHIRT-M", 1)});
  EXPECT_EQ(DetailsOf(s).reason, "RETURN_QUANTITY_EXCEEDED");
  ASSERT_TRUE(
      Review(kBranch1, b.return_id(), v1::REVIEW_DECISION_REJECT, "重复申请")
          .ok());
  // Received and completed, they are still gone.
  ASSERT_TRUE(Receive(kBranch1, a.return_id()).ok());
  ASSERT_TRUE(Finish(kBranch1, a.return_id()).ok());
  s = Request(kBranch1, id, {Line("SHIRT-M", 1)});
  EXPECT_EQ(DetailsOf(s).reason, "RETURN_QUANTITY_EXCEEDED");
  EXPECT_EQ(DetailsOf(s).metadata["already_returned"], "2");
  // A rejected return holds nothing: all three pairs of socks may come back.
  v1::Return socks;
  ASSERT_TRUE(Request(kBranch1, id, {Line("SOCKS", 3)}, &socks).ok());
  v1::Return one_more;
  ASSERT_TRUE(Request(kBranch1, id, {Line("SOCKS", 1)}, &one_more).ok());
  ASSERT_TRUE(Approve(kBranch1, socks.return_id()).ok());
  s = Approve(kBranch1, one_more.return_id());
  EXPECT_EQ(DetailsOf(s).reason, "RETURN_QUANTITY_EXCEEDED");
  EXPECT_EQ(DetailsOf(s).metadata["field"], "lines[0].quantity");
}

TEST_F(ReturnsTest, ConcurrentApprovalsOfTheSameUnitsExactlyOneWins) {
  const v1::Order o = PaidOrder("", {{v1::PAYMENT_METHOD_CASH, 30'000}});
  std::vector<std::string> ids;
  for (int i = 0; i < 6; ++i) {
    v1::Return r;
    ASSERT_TRUE(Request(kAdmin, o.order_id(), {Line("SHIRT-M", 2)}, &r).ok());
    ids.push_back(r.return_id());
  }
  std::vector<v1::ReviewReturnRequest> reqs;
  for (const std::string& id : ids) {
    v1::ReviewReturnRequest req;
    req.set_request_id(NewRequestId());
    req.set_return_id(id);
    req.set_decision(v1::REVIEW_DECISION_APPROVE);
    reqs.push_back(req);
  }
  std::atomic<int> ok{0}, exceeded{0};
  std::vector<std::thread> threads;
  for (size_t i = 0; i < reqs.size(); ++i) {
    threads.emplace_back([&, i] {
      auto stub = OrderService::NewStub(server_->Channel());
      v1::ReviewReturnResponse resp;
      grpc::Status s = testing::Call(*stub, &OrderService::Stub::ReviewReturn,
                                     kAgent, reqs[i], &resp);
      if (s.ok()) {
        ++ok;
      } else if (DetailsOf(s).reason == "RETURN_QUANTITY_EXCEEDED") {
        ++exceeded;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(exceeded.load(), 5);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM order_returns WHERE status = 2"), "1");
}

TEST_F(ReturnsTest, RefundValueTakesUnitsInLineOrder) {
  // The same sku on two lines at two prices, and a third line.
  const v1::Order o = PaidOrder(
      "", {{v1::PAYMENT_METHOD_CASH, 4'500}}, "B001",
      {Item("TEE", 1, 1'000), Item("TEE", 2, 1'500), Item("SOCKS", 1, 500)});
  v1::Return a, b;
  ASSERT_TRUE(Request(kBranch1, o.order_id(), {Line("TEE", 1)}, &a).ok());
  ASSERT_TRUE(Request(kBranch1, o.order_id(), {Line("TEE", 1)}, &b).ok());
  EXPECT_EQ(a.refund_total().minor_units(), 1'000);
  EXPECT_EQ(b.refund_total().minor_units(), 1'000);  // nothing held yet
  ASSERT_TRUE(Approve(kBranch1, a.return_id(), &a).ok());
  EXPECT_EQ(a.refund_total().minor_units(), 1'000);
  // Approved second, b gets the next unit: priced again at 1,500.
  ASSERT_TRUE(Approve(kBranch1, b.return_id(), &b).ok());
  EXPECT_EQ(b.refund_total().minor_units(), 1'500);
  EXPECT_EQ(b.lines(0).refund_amount().minor_units(), 1'500);
  v1::Return c;
  ASSERT_TRUE(
      Request(kBranch1, o.order_id(), {Line("TEE", 1), Line("SOCKS", 1)}, &c)
          .ok());
  EXPECT_EQ(c.refund_total().minor_units(), 2'000);
  int64_t refunded = 0;
  for (const v1::Return* r : {&a, &b}) {
    ASSERT_TRUE(Receive(kBranch1, r->return_id()).ok());
    v1::CompleteReturnResponse done;
    ASSERT_TRUE(Finish(kBranch1, r->return_id(), &done).ok());
    for (const v1::Refund& f : done.order_return().refunds())
      refunded += f.amount().minor_units();
  }
  ASSERT_TRUE(Approve(kBranch1, c.return_id()).ok());
  ASSERT_TRUE(Receive(kBranch1, c.return_id()).ok());
  v1::CompleteReturnResponse last;
  ASSERT_TRUE(Finish(kBranch1, c.return_id(), &last).ok());
  for (const v1::Refund& f : last.order_return().refunds())
    refunded += f.amount().minor_units();
  EXPECT_EQ(refunded, 4'500);
  EXPECT_EQ(last.order().status(), v1::ORDER_STATUS_RETURNED);
  EXPECT_EQ(last.order().paid().minor_units(), 0);
}

TEST_F(ReturnsTest, ApprovalAboveTheLimitIsForAdminAndAgentOnly) {
  // Two coats at ¥300: 60,000, above the default limit of 50,000.
  const v1::Order o = PaidOrder("", {{v1::PAYMENT_METHOD_CASH, 60'000}}, "B001",
                                {Item("COAT", 2, 30'000)});
  v1::Return r;
  ASSERT_TRUE(Request(kBranch1, o.order_id(), {Line("COAT", 2)}, &r).ok());
  EXPECT_EQ(r.refund_total().minor_units(), 60'000);
  grpc::Status s = Approve(kBranch1, r.return_id());
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  ErrorDetails d = DetailsOf(s);
  EXPECT_EQ(d.reason, "APPROVAL_LIMIT");
  EXPECT_EQ(d.metadata["approval_limit"], "50000");
  EXPECT_EQ(d.metadata["return_id"], r.return_id());
  EXPECT_THAT(s.error_message(), HasSubstr("60000"));
  s = Approve(kReviewService, r.return_id());
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(DetailsOf(s).reason, "APPROVAL_LIMIT");
  s = Approve(kAuditor, r.return_id());  // may not review at all
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(DetailsOf(s).reason, "APPROVAL_LIMIT");
  EXPECT_EQ(MustGetReturn(r.return_id()).status(), v1::RETURN_STATUS_REQUESTED);
  s = Approve(kAgent, r.return_id(), &r);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(r.status(), v1::RETURN_STATUS_APPROVED);
  // Once approved, the branch finishes it.
  ASSERT_TRUE(Receive(kBranch1, r.return_id()).ok());
  ASSERT_TRUE(Finish(kBranch1, r.return_id()).ok());

  // At the limit exactly, a branch and a service may approve.
  const v1::Order at = PaidOrder("", {{v1::PAYMENT_METHOD_CASH, 100'000}},
                                 "B001", {Item("COAT", 2, 50'000)});
  v1::Return one, two;
  ASSERT_TRUE(Request(kBranch1, at.order_id(), {Line("COAT", 1)}, &one).ok());
  EXPECT_EQ(one.refund_total().minor_units(), 50'000);
  s = Approve(kBranch1, one.return_id());
  EXPECT_TRUE(s.ok()) << s.error_message();
  ASSERT_TRUE(
      Request(kReviewService, at.order_id(), {Line("COAT", 1)}, &two).ok());
  s = Approve(kReviewService, two.return_id());
  EXPECT_TRUE(s.ok()) << s.error_message();
  // Rejecting is not limited.
  const v1::Order big = PaidOrder("", {{v1::PAYMENT_METHOD_CASH, 60'000}},
                                  "B001", {Item("COAT", 2, 30'000)});
  v1::Return no;
  ASSERT_TRUE(Request(kBranch1, big.order_id(), {Line("COAT", 2)}, &no).ok());
  s = Review(kBranch1, no.return_id(), v1::REVIEW_DECISION_REJECT, "已使用");
  EXPECT_TRUE(s.ok()) << s.error_message();
}

TEST_F(ReturnsTest, EarnedPointsAlreadySpentAreAShortfall) {
  const std::string cus = CreateCustomer("B001", 0);
  const v1::Order o = PaidOrder(cus, {{v1::PAYMENT_METHOD_CASH, 30'000}});
  EXPECT_EQ(GetCustomer(cus).points_balance(), 300);
  // The customer spends 200 of the 300 earned points on a mug.
  PaidOrder(cus, {{v1::PAYMENT_METHOD_POINTS, 200}}, "B001",
            {Item("MUG", 1, 200)});
  EXPECT_EQ(GetCustomer(cus).points_balance(), 100);

  v1::CompleteReturnResponse done =
      Returned(o.order_id(), {Line("SHIRT-M", 2), Line("SOCKS", 3)});
  // 300 are due back; the balance holds 100; it never goes below zero.
  EXPECT_EQ(done.order_return().points_reversed(), 100);
  EXPECT_EQ(done.order_return().points_shortfall(), 200);
  EXPECT_EQ(GetCustomer(cus).points_balance(), 0);
  v1::Return shown;
  ASSERT_TRUE(GetReturn(kAgent, done.order_return().return_id(), &shown).ok());
  EXPECT_EQ(shown.points_shortfall(), 200);
  // The shortfall is never debited later by itself.
  PaidOrder(cus, {{v1::PAYMENT_METHOD_CASH, 10'000}}, "B001",
            {Item("TEE", 1, 10'000)});
  EXPECT_EQ(GetCustomer(cus).points_balance(), 100);
}

// ---- exchanges
// ------------------------------------------------------------------

TEST_F(ReturnsTest, ExchangeCoveredExactlyByTheCreditIsPaidAtOnce) {
  const std::string cus = CreateCustomer("B001", 0);
  const v1::Order o = PaidOrder(cus, {{v1::PAYMENT_METHOD_CASH, 30'000}});
  CompleteOrder(o.order_id());
  const std::string cash = PaymentOf(o, v1::PAYMENT_METHOD_CASH);

  // One M shirt for one L shirt at the same price (quantity 0: as many).
  v1::Return r;
  ASSERT_TRUE(Request(kBranch1, o.order_id(),
                      {Swap("SHIRT-M", 1, "SHIRT-L", 0, 12'900)}, &r,
                      v1::RETURN_TYPE_EXCHANGE)
                  .ok());
  EXPECT_EQ(r.type(), v1::RETURN_TYPE_EXCHANGE);
  EXPECT_EQ(r.lines(0).replacement().quantity(), 1);
  EXPECT_EQ(r.lines(0).replacement().line_total().minor_units(), 12'900);
  EXPECT_EQ(r.refund_total().minor_units(), 12'900);
  ASSERT_TRUE(Approve(kBranch1, r.return_id()).ok());
  ASSERT_TRUE(Receive(kBranch1, r.return_id()).ok());
  v1::CompleteReturnResponse done;
  grpc::Status s = Finish(kBranch1, r.return_id(), &done);
  ASSERT_TRUE(s.ok()) << s.error_message();

  const v1::Return& ret = done.order_return();
  EXPECT_EQ(ret.exchange_credit().minor_units(), 12'900);
  ASSERT_EQ(ret.refunds_size(), 1);
  EXPECT_EQ(ret.refunds(0).method(), v1::PAYMENT_METHOD_EXCHANGE_CREDIT);
  EXPECT_EQ(ret.refunds(0).payment_id(), cash);
  EXPECT_EQ(ret.refunds(0).amount().minor_units(), 12'900);
  EXPECT_EQ(ret.points_restored(), 0);
  EXPECT_EQ(ret.points_reversed(), 0);  // the value moved, no money came back
  EXPECT_EQ(done.order().status(), v1::ORDER_STATUS_PARTIALLY_RETURNED);
  EXPECT_EQ(done.order().paid().minor_units(), 17'100);

  const v1::Order& n = done.exchange_order();
  EXPECT_FALSE(n.order_id().empty());
  EXPECT_EQ(n.order_id(), ret.exchange_order_id());
  EXPECT_EQ(n.exchange_return_id(), ret.return_id());
  EXPECT_EQ(n.customer_id(), cus);
  EXPECT_EQ(n.branch_id(), "B001");
  EXPECT_EQ(n.status(), v1::ORDER_STATUS_PAID);
  EXPECT_EQ(n.total().minor_units(), 12'900);
  EXPECT_EQ(n.paid().minor_units(), 12'900);
  EXPECT_EQ(n.points_earned(), 0);  // credit earns nothing
  EXPECT_TRUE(n.has_paid_time());
  ASSERT_EQ(n.items_size(), 1);
  EXPECT_EQ(n.items(0).sku(), "SHIRT-L");
  EXPECT_EQ(n.items(0).quantity(), 1);
  ASSERT_EQ(n.payments_size(), 1);
  EXPECT_EQ(n.payments(0).method(), v1::PAYMENT_METHOD_EXCHANGE_CREDIT);
  EXPECT_EQ(n.payments(0).amount().minor_units(), 12'900);
  EXPECT_EQ(n.payments(0).external_reference(), ret.return_id());
  EXPECT_EQ(n.payments(0).outcome(), v1::PAYMENT_OUTCOME_SUCCEEDED);
  EXPECT_EQ(GetOrder(n.order_id()).SerializeAsString(), n.SerializeAsString());

  // Its slip shows the credit.
  v1::GetSettlementRequest slip_req;
  slip_req.set_order_id(n.order_id());
  v1::GetSettlementResponse slip;
  ASSERT_TRUE(
      Call(&OrderService::Stub::GetSettlement, kBranch1, slip_req, &slip).ok());
  ASSERT_EQ(slip.settlement().tenders_size(), 1);
  EXPECT_EQ(slip.settlement().tenders(0).method(),
            v1::PAYMENT_METHOD_EXCHANGE_CREDIT);
  EXPECT_EQ(slip.settlement().total().minor_units(), 12'900);
  // Paid already: nothing more can be paid.
  s = Pay(n.order_id(), v1::PAYMENT_METHOD_CASH, 1);
  EXPECT_EQ(DetailsOf(s).reason, "ORDER_PAID");

  // The customer spent the same; points untouched. The exchange order
  // continues the original purchase: the order count stays 1.
  const cv1::Customer c = GetCustomer(cus);
  EXPECT_EQ(c.total_spend().minor_units(), 30'000);
  EXPECT_EQ(c.points_balance(), 300);
  EXPECT_EQ(c.order_count(), 1);
}

TEST_F(ReturnsTest, ExchangeWorthMoreIsToppedUpWithPayOrder) {
  const std::string cus = CreateCustomer("B001", 0);
  const v1::Order o = PaidOrder(cus, {{v1::PAYMENT_METHOD_CASH, 30'000}});
  // Three pairs of socks (4,200) for a pair of shoes at 9,900.
  v1::CompleteReturnResponse done =
      Returned(o.order_id(), {Swap("SOCKS", 3, "SHOES", 1, 9'900)},
               v1::RETURN_TYPE_EXCHANGE, kBranch1);
  const v1::Return& ret = done.order_return();
  EXPECT_EQ(ret.exchange_credit().minor_units(), 4'200);
  ASSERT_EQ(ret.refunds_size(), 1);
  EXPECT_EQ(ret.refunds(0).method(), v1::PAYMENT_METHOD_EXCHANGE_CREDIT);
  EXPECT_EQ(done.order().paid().minor_units(), 25'800);
  const v1::Order& n = done.exchange_order();
  EXPECT_EQ(n.status(), v1::ORDER_STATUS_PENDING_PAYMENT);
  EXPECT_EQ(n.total().minor_units(), 9'900);
  EXPECT_EQ(n.paid().minor_units(), 4'200);
  EXPECT_FALSE(n.has_paid_time());
  v1::GetSettlementRequest slip_req;
  slip_req.set_order_id(n.order_id());
  v1::GetSettlementResponse slip;
  EXPECT_EQ(Call(&OrderService::Stub::GetSettlement, kAdmin, slip_req, &slip)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);

  // Nobody may pay with exchange credit by hand.
  grpc::Status s =
      Pay(n.order_id(), v1::PAYMENT_METHOD_EXCHANGE_CREDIT, 5'700, "x");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(DetailsOf(s).fields, Contains("payment.method"));
  // The difference, in cash, at the branch.
  v1::PayOrderResponse paid;
  s = Pay(n.order_id(), v1::PAYMENT_METHOD_CASH, 5'700, "", &paid, kBranch1);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(paid.order().status(), v1::ORDER_STATUS_PAID);
  EXPECT_EQ(paid.order().points_earned(), 57);  // on the money only
  ASSERT_EQ(paid.settlement().tenders_size(), 2);
  EXPECT_EQ(paid.settlement().tenders(0).method(),
            v1::PAYMENT_METHOD_EXCHANGE_CREDIT);
  EXPECT_EQ(paid.settlement().tenders(0).amount().minor_units(), 4'200);
  EXPECT_EQ(paid.settlement().tenders(0).external_reference(), ret.return_id());
  EXPECT_EQ(paid.settlement().tenders(1).method(), v1::PAYMENT_METHOD_CASH);
  EXPECT_EQ(paid.settlement().tenders(1).amount().minor_units(), 5'700);
  cv1::Customer c = GetCustomer(cus);
  EXPECT_EQ(c.points_balance(), 300 + 57);
  EXPECT_EQ(c.total_spend().minor_units(), 30'000 - 4'200 + 9'900);

  // Another exchange whose new order is cancelled unpaid: its credit is
  // paid out in cash.
  v1::CompleteReturnResponse again =
      Returned(o.order_id(), {Swap("SHIRT-M", 1, "JACKET", 1, 20'000)},
               v1::RETURN_TYPE_EXCHANGE, kBranch1);
  const v1::Order& jacket = again.exchange_order();
  EXPECT_EQ(jacket.status(), v1::ORDER_STATUS_PENDING_PAYMENT);
  EXPECT_EQ(jacket.paid().minor_units(), 12'900);
  v1::CancelOrderRequest cancel;
  cancel.set_request_id(NewRequestId());
  cancel.set_order_id(jacket.order_id());
  cancel.set_reason("顾客改主意了");
  v1::CancelOrderResponse cancelled;
  s = Call(&OrderService::Stub::CancelOrder, kBranch1, cancel, &cancelled);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(cancelled.order().status(), v1::ORDER_STATUS_CANCELLED);
  EXPECT_EQ(cancelled.order().paid().minor_units(), 0);
  ASSERT_EQ(cancelled.order().refunds_size(), 1);
  EXPECT_EQ(cancelled.order().refunds(0).method(), v1::PAYMENT_METHOD_CASH);
  EXPECT_EQ(cancelled.order().refunds(0).amount().minor_units(), 12'900);
  EXPECT_THAT(cancelled.order().refunds(0).reason(),
              HasSubstr("exchange credit"));
  c = GetCustomer(cus);
  EXPECT_EQ(c.total_spend().minor_units(), 35'700 - 12'900);
  EXPECT_EQ(GetOrder(o.order_id()).paid().minor_units(), 12'900);
}

TEST_F(ReturnsTest, ExchangeWorthLessGivesTheDifferenceBackAsMoney) {
  const std::string cus = CreateCustomer("B001", 10'000);
  // Points 10,000 (older), then card 20,000 (newer): 200 points earned.
  const v1::Order o =
      PaidOrder(cus, {{v1::PAYMENT_METHOD_POINTS, 10'000},
                      {v1::PAYMENT_METHOD_BANK_CARD, 20'000, "card-7"}});
  const std::string points = PaymentOf(o, v1::PAYMENT_METHOD_POINTS);
  const std::string card = PaymentOf(o, v1::PAYMENT_METHOD_BANK_CARD);
  EXPECT_EQ(GetCustomer(cus).points_balance(), 200);

  // Two M shirts (25,800) for two S shirts on sale at 9,900 (19,800):
  // 6,000 comes back as money, 19,800 pays the new order.
  const v1::Return r =
      Received(o.order_id(), {Swap("SHIRT-M", 2, "SHIRT-S", 0, 9'900)},
               v1::RETURN_TYPE_EXCHANGE, kBranch1);
  v1::CompleteReturnResponse done;
  grpc::Status s =
      Finish(kBranch1, r.return_id(), &done, {{card, "card-refund-1"}});
  ASSERT_TRUE(s.ok()) << s.error_message();
  const v1::Return& ret = done.order_return();
  EXPECT_EQ(ret.exchange_credit().minor_units(), 19'800);
  // Money first, newest tender first; then the credit, newest first.
  ASSERT_EQ(ret.refunds_size(), 3);
  EXPECT_EQ(ret.refunds(0).method(), v1::PAYMENT_METHOD_BANK_CARD);
  EXPECT_EQ(ret.refunds(0).payment_id(), card);
  EXPECT_EQ(ret.refunds(0).amount().minor_units(), 6'000);
  EXPECT_EQ(ret.refunds(0).external_reference(), "card-refund-1");
  EXPECT_EQ(ret.refunds(1).method(), v1::PAYMENT_METHOD_EXCHANGE_CREDIT);
  EXPECT_EQ(ret.refunds(1).payment_id(), card);
  EXPECT_EQ(ret.refunds(1).amount().minor_units(), 14'000);
  EXPECT_EQ(ret.refunds(1).external_reference(), "");
  EXPECT_EQ(ret.refunds(2).method(), v1::PAYMENT_METHOD_EXCHANGE_CREDIT);
  EXPECT_EQ(ret.refunds(2).payment_id(), points);
  EXPECT_EQ(ret.refunds(2).amount().minor_units(), 5'800);
  EXPECT_EQ(ret.refunds(2).points_restored(), 0);  // its value moved on
  EXPECT_EQ(ret.points_restored(), 0);
  // 200 x 6,000 / 20,000 of the earned points go with the money.
  EXPECT_EQ(ret.points_reversed(), 60);
  EXPECT_EQ(done.exchange_order().status(), v1::ORDER_STATUS_PAID);
  EXPECT_EQ(done.exchange_order().total().minor_units(), 19'800);
  EXPECT_EQ(done.exchange_order().items(0).quantity(), 2);
  EXPECT_EQ(done.order().status(), v1::ORDER_STATUS_PARTIALLY_RETURNED);
  EXPECT_EQ(done.order().paid().minor_units(), 4'200);
  EXPECT_EQ(GetCustomer(cus).points_balance(), 140);

  // The socks come back for money: the last 4,200 of the points tender,
  // whose other 5,800 went to the new order as credit. 4,200 points come
  // back, not the tender's whole 10,000.
  v1::CompleteReturnResponse socks = Returned(o.order_id(), {Line("SOCKS", 3)},
                                              v1::RETURN_TYPE_RETURN, kBranch1);
  ASSERT_EQ(socks.order_return().refunds_size(), 1);
  EXPECT_EQ(socks.order_return().refunds(0).payment_id(), points);
  EXPECT_EQ(socks.order_return().refunds(0).amount().minor_units(), 4'200);
  EXPECT_EQ(socks.order_return().refunds(0).points_restored(), 4'200);
  EXPECT_EQ(socks.order_return().points_restored(), 4'200);
  EXPECT_EQ(socks.order().status(), v1::ORDER_STATUS_RETURNED);
  EXPECT_EQ(GetCustomer(cus).points_balance(), 140 + 4'200);
}

// Exchange credit carries the value of goods paid with money, on which the
// original order earned points. When that credit is later paid out in cash
// (the exchange order cancelled unpaid, or returned), the money has gone
// back to the customer just as a refund would have sent it, so the points
// earned on it must go too.
TEST_F(ReturnsTest, CreditPaidOutInCashTakesBackThePointsItEarned) {
  const std::string cus = CreateCustomer("B001", 0);
  const v1::Order o = PaidOrder(cus, {{v1::PAYMENT_METHOD_CASH, 30'000}});
  EXPECT_EQ(GetCustomer(cus).points_balance(), 300);

  // A shirt for another at the same price: the new order is paid by credit.
  v1::CompleteReturnResponse swapped =
      Returned(o.order_id(), {Swap("SHIRT-M", 1, "SHIRT-L", 1, 12'900)},
               v1::RETURN_TYPE_EXCHANGE);
  EXPECT_EQ(swapped.order_return().points_reversed(), 0);  // value moved on
  const v1::Order& n = swapped.exchange_order();
  ASSERT_EQ(n.status(), v1::ORDER_STATUS_PAID);
  EXPECT_EQ(GetCustomer(cus).points_balance(), 300);

  // Then the new shirt comes back too: its credit tender is paid out in
  // cash. 12,900 of the original 30,000 has now gone back as money, so
  // 300 x 12,900 / 30,000 = 129 of the points earned on it go back as well.
  v1::CompleteReturnResponse back =
      Returned(n.order_id(), {Line("SHIRT-L", 1)});
  ASSERT_EQ(back.order_return().refunds_size(), 1);
  EXPECT_EQ(back.order_return().refunds(0).method(), v1::PAYMENT_METHOD_CASH);
  EXPECT_EQ(back.order_return().refunds(0).amount().minor_units(), 12'900);
  EXPECT_THAT(back.order_return().refunds(0).reason(),
              HasSubstr("exchange credit paid out in cash"));
  EXPECT_EQ(back.order().status(), v1::ORDER_STATUS_RETURNED);
  EXPECT_EQ(back.order_return().points_reversed(), 129);
  cv1::Customer c = GetCustomer(cus);
  EXPECT_EQ(c.points_balance(), 300 - 129);
  EXPECT_EQ(c.total_spend().minor_units(), 17'100);

  // The socks for a hat at 9,900: the new order waits for 5,700 more, and
  // is cancelled instead. The 4,200 of credit comes back in cash: with the
  // shirt that is 17,100 of 30,000 back as money, 171 points in all.
  v1::CompleteReturnResponse hat =
      Returned(o.order_id(), {Swap("SOCKS", 3, "HAT", 1, 9'900)},
               v1::RETURN_TYPE_EXCHANGE);
  ASSERT_EQ(hat.exchange_order().status(), v1::ORDER_STATUS_PENDING_PAYMENT);
  v1::CancelOrderRequest cancel;
  cancel.set_request_id(NewRequestId());
  cancel.set_order_id(hat.exchange_order().order_id());
  cancel.set_reason("不要帽子了");
  v1::CancelOrderResponse cancelled;
  grpc::Status s =
      Call(&OrderService::Stub::CancelOrder, kAdmin, cancel, &cancelled);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(cancelled.order().refunds_size(), 1);
  EXPECT_EQ(cancelled.order().refunds(0).method(), v1::PAYMENT_METHOD_CASH);
  EXPECT_EQ(cancelled.order().refunds(0).amount().minor_units(), 4'200);
  c = GetCustomer(cus);
  EXPECT_EQ(c.points_balance(), 300 - 171);
  EXPECT_EQ(c.total_spend().minor_units(), 12'900);
}

TEST_F(ReturnsTest, CompletionShowsDeliveryDetailsAsTheCallerMaySee) {
  const std::string cus = CreateCustomer("B001", 0);
  const v1::Order o = PaidOrder(cus, {{v1::PAYMENT_METHOD_CASH, 30'000}},
                                "B001", Basket(), /*online=*/true);
  // An agent completes an exchange: both orders' delivery details masked.
  const v1::Return r =
      Received(o.order_id(), {Swap("SOCKS", 3, "SOCKS-B", 0, 1'400)},
               v1::RETURN_TYPE_EXCHANGE, kAgent);
  v1::CompleteReturnResponse done;
  grpc::Status s = Finish(kAgent, r.return_id(), &done);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(done.order().delivery().phone(), "138****8000");
  EXPECT_EQ(done.exchange_order().delivery().phone(), "138****8000");
  EXPECT_EQ(done.exchange_order().channel(), v1::ORDER_CHANNEL_ONLINE);
  // The new order goes to the same address; its branch sees it whole.
  v1::GetOrderRequest get;
  get.set_order_id(done.exchange_order().order_id());
  v1::GetOrderResponse got;
  ASSERT_TRUE(Call(&OrderService::Stub::GetOrder, kBranch1, get, &got).ok());
  EXPECT_EQ(got.order().delivery().phone(), "13800138000");
  EXPECT_EQ(got.order().delivery().address(), "上海市浦东新区世纪大道100号");
  // A branch completing sees them whole.
  const v1::Return other = Received(o.order_id(), {Line("SHIRT-M", 1)},
                                    v1::RETURN_TYPE_RETURN, kBranch1);
  ASSERT_TRUE(Finish(kBranch1, other.return_id(), &done).ok());
  EXPECT_EQ(done.order().delivery().phone(), "13800138000");
}

TEST_F(ReturnsTest, AReturnCanCostTheVipTier) {
  const std::string cus = CreateCustomer("B001", 0);
  // Five purchases, 500,000 in all: VIP (defaults: 500,000 and 5 orders).
  for (int i = 0; i < 4; ++i) {
    PaidOrder(cus, {{v1::PAYMENT_METHOD_CASH, 10'000}}, "B001",
              {Item("TEE", 1, 10'000)});
  }
  const v1::Order big = PaidOrder(cus, {{v1::PAYMENT_METHOD_CASH, 460'000}},
                                  "B001", {Item("WATCH", 2, 230'000)});
  cv1::Customer c = GetCustomer(cus);
  EXPECT_EQ(c.total_spend().minor_units(), 500'000);
  EXPECT_EQ(c.order_count(), 5);
  EXPECT_EQ(c.tier(), cv1::CUSTOMER_TIER_VIP);
  // One watch back: 270,000 spent over 5 orders is REGULAR.
  Returned(big.order_id(), {Line("WATCH", 1)});
  c = GetCustomer(cus);
  EXPECT_EQ(c.total_spend().minor_units(), 270'000);
  EXPECT_EQ(c.order_count(), 5);
  EXPECT_EQ(c.tier(), cv1::CUSTOMER_TIER_REGULAR);
  EXPECT_EQ(c.points_balance(), 5'000 - 2'300);
}

// ---- refund references, steps, retries
// ------------------------------------------

TEST_F(ReturnsTest, RefundReferencesNameTendersRefundedHere) {
  const v1::Order o =
      PaidOrder("", {{v1::PAYMENT_METHOD_WECHAT_PAY, 10'000, "wx-1"},
                     {v1::PAYMENT_METHOD_ALIPAY, 20'000, "ali-1"}});
  const std::string wechat = PaymentOf(o, v1::PAYMENT_METHOD_WECHAT_PAY);
  const std::string alipay = PaymentOf(o, v1::PAYMENT_METHOD_ALIPAY);
  const v1::Return r = Received(o.order_id(), {Line("SHIRT-M", 1)},
                                v1::RETURN_TYPE_RETURN, kBranch1);
  const std::string before = Count(
      "SELECT COUNT(*) || '/' || COALESCE(SUM(revision), 0) FROM "
      "order_returns");

  // 12,900 comes off the Alipay tender only.
  grpc::Status s = Finish(kBranch1, r.return_id(), nullptr, {{wechat, "wx-r"}});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(DetailsOf(s).fields, Contains("refund_references[0].payment_id"));
  EXPECT_THAT(s.error_message(), HasSubstr(wechat));
  s = Finish(kBranch1, r.return_id(), nullptr,
             {{alipay, "ali-r"}, {"pay_01ARZ3NDEKTSV4RRFFQ69G5FAV", "x"}});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(DetailsOf(s).fields, Contains("refund_references[1].payment_id"));
  s = Finish(kBranch1, r.return_id(), nullptr, {{alipay, "a"}, {alipay, "b"}});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(DetailsOf(s).fields, Contains("refund_references[1].payment_id"));
  s = Finish(kBranch1, r.return_id(), nullptr, {{alipay, ""}});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(DetailsOf(s).fields,
              Contains("refund_references[0].external_reference"));
  // None of them changed anything.
  EXPECT_EQ(Count("SELECT COUNT(*) FROM order_refunds"), "0");
  EXPECT_EQ(Count("SELECT COUNT(*) || '/' || COALESCE(SUM(revision), 0) FROM "
                  "order_returns"),
            before);
  EXPECT_EQ(MustGetReturn(r.return_id()).status(), v1::RETURN_STATUS_RECEIVED);

  v1::CompleteReturnResponse done;
  s = Finish(kBranch1, r.return_id(), &done, {{alipay, "ali-refund-77"}});
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(done.order_return().refunds_size(), 1);
  EXPECT_EQ(done.order_return().refunds(0).payment_id(), alipay);
  EXPECT_EQ(done.order_return().refunds(0).external_reference(),
            "ali-refund-77");
  const v1::Order stored = GetOrder(o.order_id());
  ASSERT_EQ(stored.refunds_size(), 1);
  EXPECT_EQ(stored.refunds(0).external_reference(), "ali-refund-77");

  // Next: Alipay's last 7,100 and WeChat's 10,000; a reference for WeChat
  // only leaves Alipay's refund without one.
  const v1::Return rest =
      Received(o.order_id(), {Line("SHIRT-M", 1), Line("SOCKS", 3)},
               v1::RETURN_TYPE_RETURN, kBranch1);
  s = Finish(kBranch1, rest.return_id(), &done, {{wechat, "wx-refund-9"}});
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(done.order_return().refunds_size(), 2);
  EXPECT_EQ(done.order_return().refunds(0).payment_id(), alipay);
  EXPECT_EQ(done.order_return().refunds(0).amount().minor_units(), 7'100);
  EXPECT_EQ(done.order_return().refunds(0).external_reference(), "");
  EXPECT_EQ(done.order_return().refunds(1).payment_id(), wechat);
  EXPECT_EQ(done.order_return().refunds(1).external_reference(), "wx-refund-9");
  EXPECT_EQ(done.order().status(), v1::ORDER_STATUS_RETURNED);
}

TEST_F(ReturnsTest, CreditOnlyTenderTakesNoRefundReference) {
  const v1::Order o = PaidOrder("", {{v1::PAYMENT_METHOD_CASH, 30'000}});
  const v1::Return r =
      Received(o.order_id(), {Swap("SOCKS", 1, "SOCKS-B", 1, 1'400)},
               v1::RETURN_TYPE_EXCHANGE);
  // The cash tender gets credit only, no money: no refund id to report.
  grpc::Status s = Finish(kAdmin, r.return_id(), nullptr,
                          {{PaymentOf(o, v1::PAYMENT_METHOD_CASH), "till-1"}});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(DetailsOf(s).fields, Contains("refund_references[0].payment_id"));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM orders"), "1");  // no new order
  s = Finish(kAdmin, r.return_id());
  EXPECT_TRUE(s.ok()) << s.error_message();
}

TEST_F(ReturnsTest, IllegalStepsNameBothStates) {
  const v1::Order o = PaidOrder("", {{v1::PAYMENT_METHOD_CASH, 30'000}});
  v1::Return r;
  ASSERT_TRUE(Request(kBranch1, o.order_id(), {Line("SOCKS", 1)}, &r).ok());
  const std::string id = r.return_id();
  auto expect_state = [&](const grpc::Status& s, const std::string& current,
                          const std::string& requested) {
    EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
        << s.error_message();
    ErrorDetails d = DetailsOf(s);
    EXPECT_EQ(d.reason, "RETURN_STATE");
    EXPECT_EQ(d.metadata["return_id"], id);
    EXPECT_EQ(d.metadata["current_status"],
              absl::StrCat("RETURN_STATUS_", current));
    EXPECT_EQ(d.metadata["requested_status"],
              absl::StrCat("RETURN_STATUS_", requested));
    EXPECT_THAT(s.error_message(), HasSubstr(absl::StrCat("is ", current)));
    EXPECT_THAT(s.error_message(), HasSubstr(requested));
    ExpectNoStorageText(s);
  };
  // REQUESTED: neither received nor completed.
  v1::ReceiveReturnRequest early;
  early.set_request_id(NewRequestId());
  early.set_return_id(id);
  early.set_condition(v1::ITEM_CONDITION_RESALABLE);
  v1::ReceiveReturnResponse early_resp;
  grpc::Status s =
      Call(&OrderService::Stub::ReceiveReturn, kBranch1, early, &early_resp);
  expect_state(s, "REQUESTED", "RECEIVED");
  expect_state(Finish(kBranch1, id), "REQUESTED", "COMPLETED");
  // APPROVED: not approved or rejected again, not completed before it is
  // received.
  ASSERT_TRUE(Approve(kBranch1, id).ok());
  expect_state(Approve(kBranch1, id), "APPROVED", "APPROVED");
  expect_state(Review(kBranch1, id, v1::REVIEW_DECISION_REJECT, "不行"),
               "APPROVED", "REJECTED");
  expect_state(Finish(kBranch1, id), "APPROVED", "COMPLETED");
  // A step refused for its state is that request's answer: the same
  // request_id gets it again even now that the step would be legal.
  s = Call(&OrderService::Stub::ReceiveReturn, kBranch1, early, &early_resp);
  expect_state(s, "REQUESTED", "RECEIVED");
  ASSERT_TRUE(Receive(kBranch1, id).ok());
  expect_state(Receive(kBranch1, id), "RECEIVED", "RECEIVED");
  expect_state(Approve(kBranch1, id), "RECEIVED", "APPROVED");
  ASSERT_TRUE(Finish(kBranch1, id).ok());
  // COMPLETED and REJECTED are final.
  expect_state(Finish(kBranch1, id), "COMPLETED", "COMPLETED");
  expect_state(Receive(kBranch1, id), "COMPLETED", "RECEIVED");
  expect_state(Review(kBranch1, id, v1::REVIEW_DECISION_REJECT, "迟了"),
               "COMPLETED", "REJECTED");
  v1::Return no;
  ASSERT_TRUE(Request(kBranch1, o.order_id(), {Line("SOCKS", 1)}, &no).ok());
  ASSERT_TRUE(
      Review(kBranch1, no.return_id(), v1::REVIEW_DECISION_REJECT, "已穿过")
          .ok());
  s = Approve(kBranch1, no.return_id());
  EXPECT_EQ(DetailsOf(s).reason, "RETURN_STATE");
  EXPECT_EQ(DetailsOf(s).metadata["current_status"], "RETURN_STATUS_REJECTED");
  s = Receive(kBranch1, no.return_id());
  EXPECT_EQ(DetailsOf(s).metadata["current_status"], "RETURN_STATUS_REJECTED");
  // One refund, from the one completion.
  EXPECT_EQ(Count("SELECT COUNT(*) FROM order_refunds"), "1");
}

TEST_F(ReturnsTest, RetriesWithTheSameRequestIdAnswerTheSameAndRefundOnce) {
  const std::string cus = CreateCustomer("B001", 12'000);
  const v1::Order o = PaidOrder(cus, {{v1::PAYMENT_METHOD_POINTS, 12'000},
                                      {v1::PAYMENT_METHOD_CASH, 18'000}});
  EXPECT_EQ(GetCustomer(cus).points_balance(), 180);

  v1::RequestReturnRequest request =
      ReturnRequest(o.order_id(), {Line("SHIRT-M", 2), Line("SOCKS", 3)});
  request.set_request_id("till-7-return-0001");
  v1::RequestReturnResponse first, second;
  ASSERT_TRUE(
      Call(&OrderService::Stub::RequestReturn, kBranch1, request, &first).ok());
  server_->clock().Advance(kMicrosPerSecond);
  ASSERT_TRUE(
      Call(&OrderService::Stub::RequestReturn, kBranch1, request, &second)
          .ok());
  EXPECT_EQ(first.SerializeAsString(), second.SerializeAsString());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM order_returns"), "1");
  // The same id with another request is refused.
  v1::RequestReturnRequest other = request;
  other.mutable_lines(1)->set_quantity(1);
  grpc::Status s =
      Call(&OrderService::Stub::RequestReturn, kBranch1, other, &second);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(DetailsOf(s).fields, Contains("request_id"));
  const std::string id = first.order_return().return_id();

  v1::ReviewReturnRequest review;
  review.set_request_id("till-7-review-0001");
  review.set_return_id(id);
  review.set_decision(v1::REVIEW_DECISION_APPROVE);
  v1::ReviewReturnResponse reviewed, reviewed_again;
  ASSERT_TRUE(
      Call(&OrderService::Stub::ReviewReturn, kBranch1, review, &reviewed)
          .ok());
  ASSERT_TRUE(Call(&OrderService::Stub::ReviewReturn, kBranch1, review,
                   &reviewed_again)
                  .ok());  // not RETURN_STATE: the first answer again
  EXPECT_EQ(reviewed.SerializeAsString(), reviewed_again.SerializeAsString());

  v1::ReceiveReturnRequest receive;
  receive.set_request_id("till-7-receive-0001");
  receive.set_return_id(id);
  receive.set_condition(v1::ITEM_CONDITION_RESALABLE);
  v1::ReceiveReturnResponse received, received_again;
  ASSERT_TRUE(
      Call(&OrderService::Stub::ReceiveReturn, kBranch1, receive, &received)
          .ok());
  ASSERT_TRUE(Call(&OrderService::Stub::ReceiveReturn, kBranch1, receive,
                   &received_again)
                  .ok());
  EXPECT_EQ(received.SerializeAsString(), received_again.SerializeAsString());

  // Four tills retry the completion at once: one completes, all get its
  // answer, and the money and points move once.
  v1::CompleteReturnRequest complete;
  complete.set_request_id("till-7-complete-0001");
  complete.set_return_id(id);
  std::vector<v1::CompleteReturnResponse> answers(4);
  std::vector<grpc::Status> statuses(4);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      auto stub = OrderService::NewStub(server_->Channel());
      statuses[i] = testing::Call(*stub, &OrderService::Stub::CompleteReturn,
                                  kBranch1, complete, &answers[i]);
    });
  }
  for (std::thread& t : threads) t.join();
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(statuses[i].ok()) << statuses[i].error_message();
    EXPECT_EQ(answers[i].SerializeAsString(), answers[0].SerializeAsString());
  }
  server_->clock().Advance(kMicrosPerSecond);
  v1::CompleteReturnResponse late;
  ASSERT_TRUE(
      Call(&OrderService::Stub::CompleteReturn, kBranch1, complete, &late)
          .ok());
  EXPECT_EQ(late.SerializeAsString(), answers[0].SerializeAsString());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM order_refunds"), "2");
  EXPECT_EQ(Count(absl::StrCat("SELECT COUNT(*) FROM points_transactions "
                               "WHERE reason LIKE '%",
                               id, "%'")),
            "2");
  const cv1::Customer c = GetCustomer(cus);
  EXPECT_EQ(c.points_balance(), 12'000);
  EXPECT_EQ(c.order_count(), 0);
  EXPECT_EQ(c.total_spend().minor_units(), 0);
  EXPECT_EQ(GetOrder(o.order_id()).paid().minor_units(), 0);
}

// ---- branches
// -----------------------------------------------------------------------

TEST_F(ReturnsTest, AnotherBranchsReturnsAreNotFoundEverywhere) {
  // A B002 member buying at B001: the order and its returns are B001's.
  const std::string member = CreateCustomer("B002", 0);
  const v1::Order mine =
      PaidOrder(member, {{v1::PAYMENT_METHOD_CASH, 30'000}}, "B001");
  v1::Return own;
  ASSERT_TRUE(
      Request(kBranch1, mine.order_id(), {Line("SOCKS", 1)}, &own).ok());
  EXPECT_EQ(own.branch_id(), "B001");
  EXPECT_EQ(own.customer_id(), member);

  // B002's order and a return of it in each state.
  const v1::Order theirs =
      PaidOrder("", {{v1::PAYMENT_METHOD_WECHAT_PAY, 30'000, "wx-b2"}}, "B002");
  const std::string their_pay =
      PaymentOf(theirs, v1::PAYMENT_METHOD_WECHAT_PAY);
  v1::Return requested, approved;
  ASSERT_TRUE(
      Request(kBranch2, theirs.order_id(), {Line("SOCKS", 1)}, &requested)
          .ok());
  ASSERT_TRUE(
      Request(kBranch2, theirs.order_id(), {Line("SOCKS", 1)}, &approved).ok());
  ASSERT_TRUE(Approve(kBranch2, approved.return_id()).ok());
  const v1::Return received = Received(theirs.order_id(), {Line("SHIRT-M", 1)},
                                       v1::RETURN_TYPE_RETURN, kBranch2);
  const std::string fingerprint = Count(
      "SELECT COUNT(*) || '/' || COALESCE(SUM(revision), 0) || '/' || "
      "COALESCE(SUM(status), 0) FROM "
      "order_returns");

  auto expect_not_found = [&](const grpc::Status& s) {
    EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << s.error_message();
    EXPECT_THAT(s.error_message(), Not(HasSubstr("B002")));
    EXPECT_EQ(DetailsOf(s).reason, "");
    ExpectNoStorageText(s);
  };
  // Every return RPC, on the happy path and on paths that would fail for
  // another reason: B001 learns nothing, not even the state.
  expect_not_found(GetReturn(kBranch1, requested.return_id()));
  expect_not_found(GetReturn(kBranch1, received.return_id()));
  expect_not_found(Request(kBranch1, theirs.order_id(), {Line("SOCKS", 1)}));
  expect_not_found(Request(kBranch1, theirs.order_id(), {Line("SOCKS", 9)}));
  expect_not_found(Request(kBranch1, theirs.order_id(), {Line("HAT", 1)}));
  expect_not_found(Request(kBranch1, theirs.order_id(),
                           {Swap("SOCKS", 1, "SOCKS-B", 1, 1'400)}, nullptr,
                           v1::RETURN_TYPE_EXCHANGE));
  expect_not_found(Approve(kBranch1, requested.return_id()));
  expect_not_found(Review(kBranch1, requested.return_id(),
                          v1::REVIEW_DECISION_REJECT, "no"));
  expect_not_found(Approve(kBranch1, approved.return_id()));  // wrong state
  expect_not_found(Receive(kBranch1, approved.return_id()));
  expect_not_found(Receive(kBranch1, requested.return_id()));  // wrong state
  expect_not_found(Finish(kBranch1, received.return_id()));
  expect_not_found(Finish(kBranch1, received.return_id(), nullptr,
                          {{their_pay, "wx-refund"}}));
  expect_not_found(Finish(kBranch1, received.return_id(), nullptr,
                          {{"pay_01ARZ3NDEKTSV4RRFFQ69G5FAV", "x"}}));
  expect_not_found(Finish(kBranch1, requested.return_id()));  // wrong state
  // Lists name nothing of theirs, whatever the filter.
  auto list = [&](const std::string& token, v1::ListReturnsRequest req) {
    v1::ListReturnsResponse resp;
    grpc::Status s = Call(&OrderService::Stub::ListReturns, token, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    std::vector<std::string> ids;
    for (const v1::Return& r : resp.order_returns()) {
      EXPECT_EQ(r.branch_id(), token == kBranch1 ? "B001" : r.branch_id());
      ids.push_back(r.return_id());
    }
    return ids;
  };
  v1::ListReturnsRequest by_order;
  by_order.set_order_id(theirs.order_id());
  EXPECT_TRUE(list(kBranch1, by_order).empty());
  v1::ListReturnsRequest by_branch;
  by_branch.set_branch_id("B002");
  EXPECT_TRUE(list(kBranch1, by_branch).empty());
  by_branch.set_status(v1::RETURN_STATUS_RECEIVED);
  EXPECT_TRUE(list(kBranch1, by_branch).empty());
  EXPECT_THAT(list(kBranch1, v1::ListReturnsRequest()),
              ::testing::ElementsAre(own.return_id()));
  // Nothing of theirs changed.
  EXPECT_EQ(
      Count("SELECT COUNT(*) || '/' || COALESCE(SUM(revision), 0) || '/' || "
            "COALESCE(SUM(status), 0) FROM order_returns"),
      fingerprint);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM order_refunds"), "0");

  // B002 sees and finishes its own; staff see all.
  EXPECT_TRUE(GetReturn(kBranch2, received.return_id()).ok());
  EXPECT_TRUE(Finish(kBranch2, received.return_id()).ok());
  EXPECT_EQ(list(kBranch2, by_order).size(), 3u);
  EXPECT_EQ(list(kAuditor, v1::ListReturnsRequest()).size(), 4u);
  v1::ListReturnsRequest by_status;
  by_status.set_status(v1::RETURN_STATUS_COMPLETED);
  EXPECT_THAT(list(kAgent, by_status),
              ::testing::ElementsAre(received.return_id()));
}

TEST_F(ReturnsTest, ListReturnsPagesOldestFirst) {
  const v1::Order o = PaidOrder("", {{v1::PAYMENT_METHOD_CASH, 30'000}});
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    v1::Return r;
    ASSERT_TRUE(Request(kBranch1, o.order_id(), {Line("SOCKS", 1)}, &r).ok());
    ids.push_back(r.return_id());
    server_->clock().Advance(kMicrosPerSecond);
  }
  v1::ListReturnsRequest req;
  req.set_order_id(o.order_id());
  req.set_page_size(2);
  std::vector<std::string> seen;
  for (int page = 0; page < 5; ++page) {
    v1::ListReturnsResponse resp;
    grpc::Status s =
        Call(&OrderService::Stub::ListReturns, kBranch1, req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_LE(resp.order_returns_size(), 2);
    for (const v1::Return& r : resp.order_returns())
      seen.push_back(r.return_id());
    if (resp.next_page_token().empty()) break;
    req.set_page_token(resp.next_page_token());
  }
  EXPECT_EQ(seen, ids);
  // A token is bound to its filters and its caller.
  req.set_status(v1::RETURN_STATUS_REQUESTED);
  v1::ListReturnsResponse resp;
  grpc::Status s = Call(&OrderService::Stub::ListReturns, kBranch1, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(DetailsOf(s).fields, Contains("page_token"));
}

// ---- books
// ------------------------------------------------------------------------

TEST_F(ReturnsTest, ReconciliationCountsReturnRefundsOnTheDayRecorded) {
  absl::TimeZone shanghai;
  ASSERT_TRUE(absl::LoadTimeZone("Asia/Shanghai", &shanghai));
  // 2026-06-01 23:00 in Shanghai; midnight is 16:00 UTC.
  const int64_t midnight = absl::ToUnixMicros(
      absl::FromCivil(absl::CivilSecond(2026, 6, 2, 0, 0, 0), shanghai));
  server_->clock().Set(midnight - 3600 * kMicrosPerSecond);
  const absl::CivilDay day(2026, 6, 1);

  const std::string cus = CreateCustomer("B001", 12'000);
  const v1::Order a = PaidOrder(cus, {{v1::PAYMENT_METHOD_POINTS, 12'000},
                                      {v1::PAYMENT_METHOD_CASH, 18'000}});
  const v1::Order b =
      PaidOrder("", {{v1::PAYMENT_METHOD_BANK_CARD, 30'000, "card-9"}});
  const v1::Order c =
      PaidOrder("", {{v1::PAYMENT_METHOD_CASH, 30'000}}, "B002");

  // Day 1: all of a (cash and points back); one shirt of b, a microsecond
  // before midnight.
  Returned(a.order_id(), {Line("SHIRT-M", 2), Line("SOCKS", 3)});
  const v1::Return late = Received(b.order_id(), {Line("SHIRT-M", 1)});
  server_->clock().Set(midnight - 1);
  ASSERT_TRUE(Finish(kBranch1, late.return_id()).ok());
  // Day 2, from midnight: b's socks exchanged like for like; c (B002)
  // returned in full.
  server_->clock().Set(midnight);
  v1::CompleteReturnResponse swapped =
      Returned(b.order_id(), {Swap("SOCKS", 3, "SOCKS-B", 0, 1'400)},
               v1::RETURN_TYPE_EXCHANGE);
  EXPECT_EQ(swapped.exchange_order().status(), v1::ORDER_STATUS_PAID);
  Returned(c.order_id(), {Line("SHIRT-M", 2), Line("SOCKS", 3)},
           v1::RETURN_TYPE_RETURN, kBranch2);

  auto row = [](const v1::Reconciliation& r, v1::PaymentMethod m) {
    for (const v1::ReconciliationMethodRow& row : r.methods()) {
      if (row.method() == m) return row;
    }
    return v1::ReconciliationMethodRow();
  };
  const v1::Reconciliation first = Reconcile("B001", day, kBranch1);
  ASSERT_EQ(first.methods_size(), 3) << first.ShortDebugString();
  v1::ReconciliationMethodRow m = row(first, v1::PAYMENT_METHOD_CASH);
  EXPECT_EQ(m.sales().minor_units(), 18'000);
  EXPECT_EQ(m.refunds().minor_units(), 18'000);
  EXPECT_EQ(m.refund_count(), 1);
  EXPECT_EQ(m.net().minor_units(), 0);
  m = row(first, v1::PAYMENT_METHOD_POINTS);
  EXPECT_EQ(m.sales().minor_units(), 12'000);
  EXPECT_EQ(m.refunds().minor_units(), 12'000);
  EXPECT_EQ(m.refund_count(), 1);
  m = row(first, v1::PAYMENT_METHOD_BANK_CARD);
  EXPECT_EQ(m.sales().minor_units(), 30'000);
  EXPECT_EQ(m.refunds().minor_units(), 12'900);
  EXPECT_EQ(m.refund_count(), 1);
  EXPECT_EQ(m.net().minor_units(), 17'100);
  EXPECT_EQ(first.totals().sales().minor_units(), 60'000);
  EXPECT_EQ(first.totals().refunds().minor_units(), 42'900);
  EXPECT_EQ(first.totals().refund_count(), 3);
  EXPECT_EQ(first.totals().net().minor_units(), 17'100);
  EXPECT_EQ(first.totals().settled_order_count(), 2);
  EXPECT_EQ(first.totals().refunded_order_count(), 2);
  EXPECT_EQ(first.discrepancies_size(), 0);

  const v1::Reconciliation second = Reconcile("B001", day + 1, kBranch1);
  ASSERT_EQ(second.methods_size(), 1) << second.ShortDebugString();
  m = second.methods(0);
  EXPECT_EQ(m.method(), v1::PAYMENT_METHOD_EXCHANGE_CREDIT);
  EXPECT_EQ(m.sales().minor_units(), 4'200);  // the new order's slip
  EXPECT_EQ(m.sales_count(), 1);
  EXPECT_EQ(m.refunds().minor_units(), 4'200);  // the credit off b
  EXPECT_EQ(m.refund_count(), 1);
  EXPECT_EQ(m.net().minor_units(), 0);
  EXPECT_EQ(second.totals().settled_order_count(), 1);
  EXPECT_EQ(second.totals().refunded_order_count(), 1);
  EXPECT_EQ(second.discrepancies_size(), 0);

  const v1::Reconciliation other = Reconcile("B002", day + 1, kBranch2);
  ASSERT_EQ(other.methods_size(), 1);
  EXPECT_EQ(other.methods(0).method(), v1::PAYMENT_METHOD_CASH);
  EXPECT_EQ(other.methods(0).sales().minor_units(), 0);
  EXPECT_EQ(other.methods(0).refunds().minor_units(), 30'000);
  EXPECT_EQ(other.methods(0).net().minor_units(), -30'000);
}

// ---- personal data
// ------------------------------------------------------------------

TEST_F(ReturnsTest, ExportHasTheReturnsAndErasureClearsTheirNotesOnly) {
  const std::string cus = CreateCustomer("B001", 0);
  const std::string other = CreateCustomer("B001", 0);
  const v1::Order o =
      PaidOrder(cus, {{v1::PAYMENT_METHOD_CASH, 30'000}}, "B001", Basket(),
                /*online=*/true);
  CompleteOrder(o.order_id());
  v1::Return kept;
  v1::Return done_ret;
  {
    v1::Return r;
    ASSERT_TRUE(Request(kBranch1, o.order_id(),
                        {Line("SHIRT-M", 1, v1::RETURN_REASON_OTHER,
                              "领口有污渍，请回电13912345678")},
                        &r)
                    .ok());
    ASSERT_TRUE(Review(kBranch1, r.return_id(), v1::REVIEW_DECISION_APPROVE,
                       "同意退货，王小明")
                    .ok());
    ASSERT_TRUE(Receive(kBranch1, r.return_id(), v1::ITEM_CONDITION_DAMAGED,
                        "顾客本人送回")
                    .ok());
    v1::CompleteReturnResponse done;
    ASSERT_TRUE(Finish(kBranch1, r.return_id(), &done).ok());
    done_ret = done.order_return();
  }
  v1::Return rejected;
  ASSERT_TRUE(
      Request(kBranch1, o.order_id(),
              {Line("SOCKS", 1, v1::RETURN_REASON_CHANGED_MIND, "不喜欢颜色")},
              &rejected)
          .ok());
  ASSERT_TRUE(Review(kBranch1, rejected.return_id(), v1::REVIEW_DECISION_REJECT,
                     "袜子已穿过")
                  .ok());
  // Someone else's return keeps its notes.
  const v1::Order theirs =
      PaidOrder(other, {{v1::PAYMENT_METHOD_CASH, 30'000}});
  ASSERT_TRUE(Request(kBranch1, theirs.order_id(),
                      {Line("SOCKS", 1, v1::RETURN_REASON_OTHER, "别人的备注")},
                      &kept)
                  .ok());

  cv1::ExportCustomerDataRequest ex;
  ex.set_customer_id(cus);
  cv1::ExportCustomerDataResponse exported;
  grpc::Status s =
      testing::Call(*customers_, &CustomerService::Stub::ExportCustomerData,
                    kAdmin, ex, &exported);
  ASSERT_TRUE(s.ok()) << s.error_message();
  std::vector<v1::Return> returns;
  int orders = 0;
  for (const google::protobuf::Any& any : exported.records()) {
    v1::Return r;
    v1::Order order;
    if (any.Is<v1::Return>() && any.UnpackTo(&r)) {
      returns.push_back(r);
    } else if (any.Is<v1::Order>() && any.UnpackTo(&order)) {
      ++orders;
    }
  }
  EXPECT_EQ(orders, 1);
  ASSERT_EQ(returns.size(), 2u);
  EXPECT_EQ(returns[0].return_id(), done_ret.return_id());
  EXPECT_EQ(returns[0].lines(0).note(), "领口有污渍，请回电13912345678");
  EXPECT_EQ(returns[0].review_note(), "同意退货，王小明");
  EXPECT_EQ(returns[0].receive_note(), "顾客本人送回");
  ASSERT_EQ(returns[0].refunds_size(), 1);
  EXPECT_EQ(returns[1].return_id(), rejected.return_id());
  EXPECT_EQ(returns[1].review_note(), "袜子已穿过");

  cv1::EraseCustomerRequest erase;
  erase.set_customer_id(cus);
  erase.set_reason("ticket PIPL-12");
  erase.set_request_id(NewRequestId());
  cv1::EraseCustomerResponse erased;
  s = testing::Call(*customers_, &CustomerService::Stub::EraseCustomer, kAdmin,
                    erase, &erased);
  ASSERT_TRUE(s.ok()) << s.error_message();

  // The notes are gone; the amounts, quantities, states and refunds stay.
  const v1::Return after = MustGetReturn(done_ret.return_id());
  EXPECT_EQ(after.lines(0).note(), "");
  EXPECT_EQ(after.review_note(), "");
  EXPECT_EQ(after.receive_note(), "");
  EXPECT_EQ(after.status(), v1::RETURN_STATUS_COMPLETED);
  EXPECT_EQ(after.condition(), v1::ITEM_CONDITION_DAMAGED);
  EXPECT_EQ(after.lines(0).reason(), v1::RETURN_REASON_OTHER);
  EXPECT_EQ(after.lines(0).quantity(), 1);
  EXPECT_EQ(after.refund_total().minor_units(), 12'900);
  ASSERT_EQ(after.refunds_size(), 1);
  EXPECT_EQ(after.refunds(0).amount().minor_units(), 12'900);
  const v1::Return after_rejected = MustGetReturn(rejected.return_id());
  EXPECT_EQ(after_rejected.lines(0).note(), "");
  EXPECT_EQ(after_rejected.review_note(), "");
  EXPECT_EQ(after_rejected.status(), v1::RETURN_STATUS_REJECTED);
  EXPECT_EQ(MustGetReturn(kept.return_id()).lines(0).note(), "别人的备注");
  const v1::Order order_after = GetOrder(o.order_id());
  EXPECT_EQ(order_after.paid().minor_units(), 17'100);
  EXPECT_EQ(order_after.refunds_size(), 1);
  EXPECT_EQ(order_after.delivery().phone(), "");
  EXPECT_EQ(Count(absl::StrCat("SELECT COUNT(*) FROM events WHERE "
                               "event_type = 'NOTES_ERASED'")),
            "2");
  // Nowhere in the stored rows or in the answers a retry would replay.
  for (const char* trace :
       {"领口有污渍", "同意退货", "顾客本人送回", "不喜欢颜色", "袜子已穿过",
        "13800138000", "世纪大道"}) {
    EXPECT_EQ(Count(absl::StrCat(
                  "SELECT COUNT(*) FROM idempotency_keys WHERE ",
                  HoldsBytes(server_->on_postgres(), "response", trace))),
              "0")
        << trace << " is still in a stored response";
    EXPECT_EQ(
        Count(absl::StrCat("SELECT COUNT(*) FROM order_returns WHERE ",
                           HoldsBytes(server_->on_postgres(), "body", trace))),
        "0")
        << trace << " is still in a stored return";
  }
  EXPECT_EQ(Count(absl::StrCat(
                "SELECT COUNT(*) FROM idempotency_keys WHERE ",
                HoldsBytes(server_->on_postgres(), "response", "别人的备注"))),
            "1");
}

}  // namespace
}  // namespace retail::testing
