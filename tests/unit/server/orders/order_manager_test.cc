// OrderManager driven directly, with no gRPC, together with the real
// CustomerManager as its CustomerDirectory: each test opens its own
// temp-file database and uses a FakeClock.
#include "server/orders/order_manager.h"

#include <future>
#include <memory>
#include <string>
#include <vector>

#include "SQLiteCpp/Database.h"
#include "SQLiteCpp/Statement.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/access.h"
#include "common/db/database.h"
#include "common/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/customers/customer_manager.h"
#include "server/customers/customer_module.h"
#include "server/customers/customer_schema.h"
#include "server/module_registry.h"
#include "server/orders/order_module.h"
#include "server/orders/order_schema.h"
#include "tests/unit/test_util.h"

namespace retail::orders {
namespace {

using ::retail::testing::FutureReply;
using ::retail::testing::IsInvalidField;
using ::retail::testing::IsOk;
using ::retail::testing::StatusIs;
using ::retail::testing::StatusWithReason;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

int64_t Micros(int year, int month, int day, int hour = 0) {
  return absl::ToUnixMicros(absl::FromCivil(
      absl::CivilHour(year, month, day, hour), absl::UTCTimeZone()));
}

PrincipalPtr MakePrincipal(std::string id, Role role, std::string branch = "") {
  auto p = std::make_shared<Principal>();
  p->id = std::move(id);
  p->role = role;
  p->branch_id = std::move(branch);
  return p;
}

v1::OrderItem Item(const std::string& sku, int64_t quantity, int64_t price) {
  v1::OrderItem item;
  item.set_sku(sku);
  item.set_name(absl::StrCat("商品 ", sku));
  item.set_quantity(quantity);
  item.mutable_unit_price()->set_minor_units(price);
  return item;
}

// --- The pure rules
// ------------------------------------------------------------

TEST(PriceOrderTest, ComputesLineTotalsAndTotal) {
  v1::Order in;
  *in.add_items() = Item("A", 3, 1250);
  *in.add_items() = Item("B", 1, 0);
  ViolationCollector v;
  v1::Order out;
  PriceOrder(v, in, "CNY", &out);
  ASSERT_TRUE(v.empty()) << v.ToStatus();
  EXPECT_EQ(out.items(0).line_total().minor_units(), 3750);
  EXPECT_EQ(out.items(0).line_total().currency_code(), "CNY");
  EXPECT_EQ(out.items(1).line_total().minor_units(), 0);
  EXPECT_EQ(out.total().minor_units(), 3750);
  EXPECT_EQ(out.total().currency_code(), "CNY");
}

absl::Status Price(const v1::Order& in) {
  ViolationCollector v;
  v1::Order out;
  PriceOrder(v, in, "CNY", &out);
  return v.ToStatus();
}

TEST(PriceOrderTest, RejectsBadLinesNamingTheField) {
  v1::Order in;
  *in.add_items() = Item("A", 1, 100);
  *in.add_items() = Item("B", 0, 100);
  *in.add_items() = Item("C", 1, -5);
  *in.add_items() = Item("D", 4'000'000'000'000'000'000 / 1000, 1'000'000);
  in.mutable_items(0)->mutable_unit_price()->set_currency_code("USD");
  const absl::Status s = Price(in);
  EXPECT_THAT(s, IsInvalidField("order.items[0].unit_price.currency_code"));
  EXPECT_THAT(s, IsInvalidField("order.items[1].quantity"));
  EXPECT_THAT(s, IsInvalidField("order.items[2].unit_price"));
  EXPECT_THAT(s, IsInvalidField("order.items[3].quantity"));
}

TEST(PriceOrderTest, SumOverflowNamesTheLine) {
  v1::Order in;
  *in.add_items() = Item("A", 1, std::numeric_limits<int64_t>::max() - 10);
  *in.add_items() = Item("B", 1, 5);
  *in.add_items() = Item("C", 1, 6);
  EXPECT_THAT(Price(in), IsInvalidField("order.items[2].line_total"));
}

TEST(PriceOrderTest, OneToFiveHundredLines) {
  v1::Order in;
  EXPECT_THAT(Price(in), IsInvalidField("order.items"));
  for (int i = 0; i < kMaxOrderLines; ++i) *in.add_items() = Item("A", 1, 1);
  EXPECT_THAT(Price(in), IsOk());
  *in.add_items() = Item("A", 1, 1);
  EXPECT_THAT(Price(in), IsInvalidField("order.items"));
}

TEST(PointsRulesTest, PointsForAmountAndEarned) {
  EXPECT_EQ(*PointsForAmount(250, 100), 250);  // ¥2.50 = 250 points
  EXPECT_EQ(*PointsForAmount(300, 50), 150);
  EXPECT_THAT(PointsForAmount(3, 50), IsInvalidField("payment.amount"));
  EXPECT_EQ(PointsEarned(12'345, 1), 123);  // ¥123.45 -> 123 points
  EXPECT_EQ(PointsEarned(99, 1), 0);
  EXPECT_EQ(PointsEarned(0, 1), 0);
}

// --- The manager
// ---------------------------------------------------------------

class OrderManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db::DatabaseOptions options;
    options.path = path_;
    options.reader_connections = 2;
    options.now_micros = clock_.NowMicros();
    options.schemas = {customers::CustomerSchema(), OrderSchema()};
    absl::StatusOr<std::unique_ptr<db::Database>> db =
        db::Database::Open(options);
    ASSERT_THAT(db, IsOk());
    db_ = std::move(*db);
    customers_ = std::make_unique<customers::CustomerManager>(
        *db_, clock_, customers::CustomerOptions{}, &registry_);
    OrderOptions order_options;
    ASSERT_TRUE(absl::LoadTimeZone("Asia/Shanghai", &order_options.time_zone));
    orders_ = std::make_unique<OrderManager>(*db_, clock_, order_options,
                                             customers_.get());
    registry_.AddPersonDataPart(orders_.get());
    SetReplyMisuseHookForTesting([](absl::string_view what) {
      ADD_FAILURE() << "reply misuse: " << what;
    });
  }
  void TearDown() override { SetReplyMisuseHookForTesting(nullptr); }

  template <class M, class R, class Req>
  absl::StatusOr<R> Call(M* manager,
                         void (M::*method)(CallMeta, const Req&, Reply<R>),
                         const PrincipalPtr& p, const Req& req) {
    static const AccessTable* const table = [] {
      auto* t = new AccessTable(customers::CustomerAccess());
      t->Merge(OrderAccess());
      return t;
    }();
    auto [reply, future] = FutureReply<R>();
    absl::StatusOr<CallMeta> meta = AuthorizeCall(
        p, *table->Find(MethodNameOf<Req>()), "", WaitLimit::None());
    if (!meta.ok()) {
      reply(meta.status());
    } else {
      (manager->*method)(std::move(*meta), req, std::move(reply));
    }
    return future.get();
  }
  template <class R, class Req>
  absl::StatusOr<R> Call(void (OrderManager::*method)(CallMeta, const Req&,
                                                      Reply<R>),
                         const PrincipalPtr& p, const Req& req) {
    return Call(orders_.get(), method, p, req);
  }

  std::string NewRequestId() {
    return absl::StrCat("request-", ++request_counter_);
  }

  std::string CreateCustomer(const std::string& branch = "B001",
                             int64_t points = 0) {
    customers::v1::CreateCustomerRequest req;
    req.set_request_id(NewRequestId());
    req.mutable_customer()->set_display_name("张三");
    req.mutable_customer()->set_phone(
        absl::StrCat("139000000", 10 + request_counter_));
    req.mutable_customer()->set_branch_id(branch);
    auto r = Call(customers_.get(), &customers::CustomerManager::CreateCustomer,
                  admin_, req);
    EXPECT_THAT(r, IsOk());
    const std::string id = r.ok() ? r->customer().customer_id() : "";
    if (points > 0) {
      customers::v1::AdjustPointsRequest adjust;
      adjust.set_request_id(NewRequestId());
      adjust.set_customer_id(id);
      adjust.set_delta(points);
      adjust.set_reason("welcome gift");
      EXPECT_THAT(
          Call(customers_.get(), &customers::CustomerManager::AdjustPoints,
               admin_, adjust),
          IsOk());
    }
    return id;
  }

  customers::v1::Customer GetCustomer(const std::string& id) {
    customers::v1::GetCustomerRequest req;
    req.set_customer_id(id);
    auto r = Call(customers_.get(), &customers::CustomerManager::GetCustomer,
                  admin_, req);
    EXPECT_THAT(r, IsOk());
    return r.ok() ? r->customer() : customers::v1::Customer();
  }

  v1::CreateOrderRequest NewOrder(const std::string& customer_id,
                                  const std::string& branch = "B001") {
    v1::CreateOrderRequest req;
    req.set_request_id(NewRequestId());
    v1::Order* o = req.mutable_order();
    o->set_customer_id(customer_id);
    o->set_branch_id(branch);
    o->set_channel(v1::ORDER_CHANNEL_STORE);
    *o->add_items() = Item("SKU-1", 2, 5'000);  // ¥100.00 in all
    return req;
  }

  v1::Order Create(const std::string& customer_id,
                   const std::string& branch = "B001") {
    auto r =
        Call(&OrderManager::CreateOrder, admin_, NewOrder(customer_id, branch));
    EXPECT_THAT(r, IsOk());
    return r.ok() ? r->order() : v1::Order();
  }

  v1::PayOrderRequest NewPayment(const std::string& order_id,
                                 v1::PaymentMethod method, int64_t amount,
                                 const std::string& reference = "") {
    v1::PayOrderRequest req;
    req.set_request_id(NewRequestId());
    req.set_order_id(order_id);
    req.mutable_payment()->set_method(method);
    req.mutable_payment()->mutable_amount()->set_minor_units(amount);
    req.mutable_payment()->set_external_reference(reference);
    req.mutable_payment()->set_outcome(v1::PAYMENT_OUTCOME_SUCCEEDED);
    return req;
  }

  absl::StatusOr<v1::PayOrderResponse> Pay(const std::string& order_id,
                                           v1::PaymentMethod method,
                                           int64_t amount,
                                           const std::string& reference = "",
                                           const PrincipalPtr& p = nullptr) {
    return Call(&OrderManager::PayOrder, p ? p : admin_,
                NewPayment(order_id, method, amount, reference));
  }

  absl::StatusOr<v1::Order> Get(const PrincipalPtr& p, const std::string& id,
                                bool reveal = false) {
    v1::GetOrderRequest req;
    req.set_order_id(id);
    req.set_reveal_pii(reveal);
    auto r = Call(&OrderManager::GetOrder, p, req);
    if (!r.ok()) return r.status();
    return r->order();
  }

  absl::StatusOr<v1::CancelOrderResponse> Cancel(const std::string& id) {
    v1::CancelOrderRequest req;
    req.set_request_id(NewRequestId());
    req.set_order_id(id);
    req.set_reason("customer changed their mind");
    return Call(&OrderManager::CancelOrder, admin_, req);
  }

  // Runs one query on a separate read-only connection; first column of the
  // first row as text.
  std::string Query(const std::string& sql) {
    SQLite::Database ro(path_, SQLite::OPEN_READONLY);
    SQLite::Statement q(ro, sql);
    return q.executeStep() ? q.getColumn(0).getString() : "";
  }
  // Every customer's balance equals the sum of their ledger.
  void ExpectBalancesMatchLedger() {
    EXPECT_EQ(Query("SELECT COUNT(*) FROM customers c WHERE points_balance != "
                    "(SELECT COALESCE(SUM(delta), 0) FROM points_transactions "
                    "p WHERE p.customer_row = c.id)"),
              "0");
  }

  FakeClock clock_{Micros(2024, 6, 1, 20)};  // 04:00 on 2 June in Shanghai
  testing::ScopedTempDir dir_;
  const std::string path_ = dir_.File("orders.db");
  const PrincipalPtr admin_ = MakePrincipal("alice", Role::kAdmin);
  const PrincipalPtr agent_ = MakePrincipal("desk-7", Role::kAgent);
  const PrincipalPtr b001_ = MakePrincipal("store-1", Role::kBranch, "B001");
  const PrincipalPtr b002_ = MakePrincipal("store-2", Role::kBranch, "B002");
  const PrincipalPtr auditor_ = MakePrincipal("carol", Role::kAuditor);
  int request_counter_ = 0;
  std::unique_ptr<db::Database> db_;
  ModuleRegistry registry_;
  std::unique_ptr<customers::CustomerManager> customers_;
  std::unique_ptr<OrderManager> orders_;
};

TEST_F(OrderManagerTest, CreateComputesTotalsAndGetReadsItBack) {
  const std::string cus = CreateCustomer("B002");  // a member of another branch
  auto created = Call(&OrderManager::CreateOrder, b001_, NewOrder(cus, ""));
  ASSERT_THAT(created, IsOk());
  const v1::Order& o = created->order();
  EXPECT_THAT(o.order_id(), ::testing::StartsWith("ord_"));
  EXPECT_EQ(o.branch_id(), "B001");  // a branch's own, when empty
  EXPECT_EQ(o.status(), v1::ORDER_STATUS_PENDING_PAYMENT);
  EXPECT_EQ(o.total().minor_units(), 10'000);
  EXPECT_EQ(o.paid().minor_units(), 0);
  absl::StatusOr<v1::Order> got = Get(b001_, o.order_id());
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->SerializeAsString(), o.SerializeAsString());
  EXPECT_THAT(Get(b002_, o.order_id()), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(OrderManagerTest, CreateRejectsBadRequests) {
  v1::CreateOrderRequest req = NewOrder("");
  req.mutable_expected_total()->set_minor_units(9'999);
  auto r = Call(&OrderManager::CreateOrder, admin_, req);
  EXPECT_THAT(r, IsInvalidField("expected_total"));
  EXPECT_THAT(r.status().message(), HasSubstr("9999"));
  EXPECT_THAT(r.status().message(), HasSubstr("10000"));

  req = NewOrder("");
  req.mutable_order()->mutable_delivery()->set_recipient_name("李四");
  EXPECT_THAT(Call(&OrderManager::CreateOrder, admin_, req),
              IsInvalidField("order.delivery"));

  req = NewOrder("", "B002");
  EXPECT_THAT(Call(&OrderManager::CreateOrder, b001_, req),
              StatusIs(absl::StatusCode::kPermissionDenied));

  req = NewOrder("cus_00000000000000000000000000");
  EXPECT_THAT(Call(&OrderManager::CreateOrder, admin_, req),
              StatusIs(absl::StatusCode::kNotFound));

  req = NewOrder("");
  req.mutable_order()->set_channel(v1::ORDER_CHANNEL_UNSPECIFIED);
  req.mutable_order()
      ->mutable_items(0)
      ->mutable_unit_price()
      ->set_currency_code("USD");
  r = Call(&OrderManager::CreateOrder, admin_, req);
  EXPECT_THAT(r, IsInvalidField("order.channel"));
  EXPECT_THAT(r, IsInvalidField("order.items[0].unit_price.currency_code"));
}

TEST_F(OrderManagerTest, SplitTenderPaysEarnsAndSettles) {
  const std::string cus = CreateCustomer("B002", 5'000);
  const v1::Order o = Create(cus);
  // ¥30 in points (3,000 points), then ¥70 by WeChat Pay.
  auto first = Pay(o.order_id(), v1::PAYMENT_METHOD_POINTS, 3'000);
  ASSERT_THAT(first, IsOk());
  EXPECT_EQ(first->payment().points_debited(), 3'000);
  EXPECT_EQ(first->order().status(), v1::ORDER_STATUS_PENDING_PAYMENT);
  EXPECT_FALSE(first->has_settlement());
  EXPECT_EQ(GetCustomer(cus).points_balance(), 2'000);

  auto second =
      Pay(o.order_id(), v1::PAYMENT_METHOD_WECHAT_PAY, 7'000, "wx-0001", b001_);
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(second->order().status(), v1::ORDER_STATUS_PAID);
  EXPECT_EQ(second->order().paid().minor_units(), 10'000);
  EXPECT_EQ(second->order().points_earned(), 70);  // ¥70 non-points
  EXPECT_TRUE(second->order().has_paid_time());
  const v1::Settlement& st = second->settlement();
  EXPECT_EQ(st.order_id(), o.order_id());
  EXPECT_EQ(st.branch_id(), "B001");
  EXPECT_EQ(st.total().minor_units(), 10'000);
  ASSERT_EQ(st.tenders_size(), 2);
  EXPECT_EQ(st.tenders(0).method(), v1::PAYMENT_METHOD_POINTS);
  EXPECT_EQ(st.tenders(1).external_reference(), "wx-0001");
  // 20:00 UTC on 1 June is 2 June in Shanghai.
  EXPECT_EQ(st.business_date().day(), 2);

  const customers::v1::Customer c = GetCustomer(cus);
  EXPECT_EQ(c.points_balance(), 2'070);
  EXPECT_EQ(c.order_count(), 1);
  EXPECT_EQ(c.total_spend().minor_units(), 10'000);
  ExpectBalancesMatchLedger();

  v1::GetSettlementRequest by_order;
  by_order.set_order_id(o.order_id());
  auto slip = Call(&OrderManager::GetSettlement, auditor_, by_order);
  ASSERT_THAT(slip, IsOk());
  EXPECT_EQ(slip->settlement().SerializeAsString(), st.SerializeAsString());
  EXPECT_THAT(Call(&OrderManager::GetSettlement, b002_, by_order),
              StatusIs(absl::StatusCode::kNotFound));

  // Paid: nothing more to pay, and cancel is refused.
  EXPECT_THAT(
      Pay(o.order_id(), v1::PAYMENT_METHOD_CASH, 1),
      StatusWithReason(absl::StatusCode::kFailedPrecondition, "ORDER_PAID"));
  EXPECT_THAT(
      Cancel(o.order_id()),
      StatusWithReason(absl::StatusCode::kFailedPrecondition, "ORDER_PAID"));
}

TEST_F(OrderManagerTest, PaymentRules) {
  const std::string cus = CreateCustomer("B001", 100);
  const v1::Order o = Create(cus);
  const v1::Order walk_in = Create("");
  EXPECT_THAT(Pay(o.order_id(), v1::PAYMENT_METHOD_CASH, 10'001),
              IsInvalidField("payment.amount"));
  EXPECT_THAT(Pay(o.order_id(), v1::PAYMENT_METHOD_ALIPAY, 100),
              IsInvalidField("payment.external_reference"));
  EXPECT_THAT(Pay(o.order_id(), v1::PAYMENT_METHOD_CASH, 0),
              IsInvalidField("payment.amount"));
  EXPECT_THAT(Pay(o.order_id(), v1::PAYMENT_METHOD_POINTS, 200),
              StatusWithReason(absl::StatusCode::kFailedPrecondition,
                               "INSUFFICIENT_POINTS"));
  EXPECT_THAT(Pay(walk_in.order_id(), v1::PAYMENT_METHOD_POINTS, 100),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  v1::PayOrderRequest failed =
      NewPayment(o.order_id(), v1::PAYMENT_METHOD_BANK_CARD, 10'000, "");
  failed.mutable_payment()->set_outcome(v1::PAYMENT_OUTCOME_FAILED);
  EXPECT_THAT(Call(&OrderManager::PayOrder, admin_, failed),
              IsInvalidField("payment.failure_reason"));
  failed.mutable_payment()->set_failure_reason("card declined");
  auto r = Call(&OrderManager::PayOrder, admin_, failed);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->order().status(), v1::ORDER_STATUS_PENDING_PAYMENT);
  EXPECT_EQ(r->order().paid().minor_units(), 0);
  ASSERT_EQ(r->order().payments_size(), 1);
  EXPECT_EQ(r->order().payments(0).failure_reason(), "card declined");
  EXPECT_EQ(GetCustomer(cus).points_balance(), 100);
  ExpectBalancesMatchLedger();
}

TEST_F(OrderManagerTest, CancelRefundsInReverseAndRestoresPoints) {
  const std::string cus = CreateCustomer("B001", 1'000);
  const v1::Order o = Create(cus);
  ASSERT_THAT(Pay(o.order_id(), v1::PAYMENT_METHOD_POINTS, 1'000), IsOk());
  ASSERT_THAT(Pay(o.order_id(), v1::PAYMENT_METHOD_CASH, 2'000), IsOk());
  EXPECT_EQ(GetCustomer(cus).points_balance(), 0);
  auto cancelled = Cancel(o.order_id());
  ASSERT_THAT(cancelled, IsOk());
  const v1::Order& c = cancelled->order();
  EXPECT_EQ(c.status(), v1::ORDER_STATUS_CANCELLED);
  EXPECT_EQ(c.paid().minor_units(), 0);
  EXPECT_EQ(c.cancel_reason(), "customer changed their mind");
  ASSERT_EQ(c.refunds_size(), 2);
  EXPECT_EQ(c.refunds(0).method(), v1::PAYMENT_METHOD_CASH);
  EXPECT_EQ(c.refunds(0).payment_id(), c.payments(1).payment_id());
  EXPECT_EQ(c.refunds(1).method(), v1::PAYMENT_METHOD_POINTS);
  EXPECT_EQ(c.refunds(1).points_restored(), 1'000);
  EXPECT_EQ(GetCustomer(cus).points_balance(), 1'000);
  ExpectBalancesMatchLedger();
  EXPECT_THAT(Cancel(o.order_id()),
              StatusWithReason(absl::StatusCode::kFailedPrecondition,
                               "ORDER_CANCELLED"));
  EXPECT_THAT(Pay(o.order_id(), v1::PAYMENT_METHOD_CASH, 1),
              StatusWithReason(absl::StatusCode::kFailedPrecondition,
                               "ORDER_CANCELLED"));
}

TEST_F(OrderManagerTest, CompleteOnlyAPaidOrder) {
  const v1::Order o = Create("");
  v1::CompleteOrderRequest req;
  req.set_order_id(o.order_id());
  req.set_request_id(NewRequestId());
  EXPECT_THAT(Call(&OrderManager::CompleteOrder, admin_, req),
              StatusWithReason(absl::StatusCode::kFailedPrecondition,
                               "ORDER_NOT_PAID"));
  ASSERT_THAT(Pay(o.order_id(), v1::PAYMENT_METHOD_CASH, 10'000), IsOk());
  req.set_request_id(NewRequestId());
  auto done = Call(&OrderManager::CompleteOrder, admin_, req);
  ASSERT_THAT(done, IsOk());
  EXPECT_EQ(done->order().status(), v1::ORDER_STATUS_COMPLETED);
  EXPECT_TRUE(done->order().has_complete_time());
}

TEST_F(OrderManagerTest, DeliveryIsMaskedUnlessRevealed) {
  v1::CreateOrderRequest req = NewOrder("");
  req.mutable_order()->set_channel(v1::ORDER_CHANNEL_ONLINE);
  v1::Delivery* d = req.mutable_order()->mutable_delivery();
  d->set_recipient_name("王小明");
  d->set_phone("13912345678");
  d->set_address("上海市浦东新区世纪大道100号");
  auto created = Call(&OrderManager::CreateOrder, admin_, req);
  ASSERT_THAT(created, IsOk());
  const std::string id = created->order().order_id();
  absl::StatusOr<v1::Order> masked = Get(agent_, id);
  ASSERT_THAT(masked, IsOk());
  EXPECT_EQ(masked->delivery().recipient_name(), "王**");
  EXPECT_EQ(masked->delivery().phone(), "139****5678");
  EXPECT_EQ(masked->delivery().address(), "上海市浦东新***");
  absl::StatusOr<v1::Order> revealed = Get(agent_, id, /*reveal=*/true);
  ASSERT_THAT(revealed, IsOk());
  EXPECT_EQ(revealed->delivery().phone(), "13912345678");
  EXPECT_THAT(Get(auditor_, id, /*reveal=*/true),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(Query("SELECT COUNT(*) FROM audit_log WHERE outcome = 'REVEAL'"),
            "1");
}

TEST_F(OrderManagerTest, ListFiltersAndPages) {
  const std::string cus = CreateCustomer();
  std::vector<std::string> mine;
  for (int i = 0; i < 5; ++i) {
    mine.push_back(Create(cus).order_id());
    clock_.Advance(kMicrosPerSecond);
  }
  Create("", "B002");
  v1::ListOrdersRequest req;
  req.set_customer_id(cus);
  req.set_page_size(2);
  std::vector<std::string> seen;
  for (int page = 0; page < 5; ++page) {
    auto r = Call(&OrderManager::ListOrders, b001_, req);
    ASSERT_THAT(r, IsOk());
    for (const v1::Order& o : r->orders()) seen.push_back(o.order_id());
    if (r->next_page_token().empty()) break;
    req.set_page_token(r->next_page_token());
  }
  EXPECT_EQ(seen, mine);
  // A token is bound to its filter.
  req.set_customer_id("");
  EXPECT_THAT(Call(&OrderManager::ListOrders, b001_, req),
              IsInvalidField("page_token"));
  v1::ListOrdersRequest other;
  other.set_branch_id("B002");
  auto none = Call(&OrderManager::ListOrders, b001_, other);
  ASSERT_THAT(none, IsOk());
  EXPECT_EQ(none->orders_size(), 0);
  auto theirs = Call(&OrderManager::ListOrders, admin_, other);
  ASSERT_THAT(theirs, IsOk());
  EXPECT_EQ(theirs->orders_size(), 1);
}

TEST_F(OrderManagerTest, ExportAndEraseThroughTheCustomersModule) {
  const std::string cus = CreateCustomer();
  v1::CreateOrderRequest req = NewOrder(cus);
  req.mutable_order()->set_channel(v1::ORDER_CHANNEL_APP);
  req.mutable_order()->mutable_delivery()->set_recipient_name("张三");
  req.mutable_order()->mutable_delivery()->set_phone("13912345678");
  req.mutable_order()->mutable_delivery()->set_address("北京市朝阳区1号");
  auto created = Call(&OrderManager::CreateOrder, admin_, req);
  ASSERT_THAT(created, IsOk());
  const std::string id = created->order().order_id();

  customers::v1::ExportCustomerDataRequest ex;
  ex.set_customer_id(cus);
  auto exported =
      Call(customers_.get(), &customers::CustomerManager::ExportCustomerData,
           admin_, ex);
  ASSERT_THAT(exported, IsOk());
  ASSERT_EQ(exported->records_size(), 1);
  v1::Order record;
  ASSERT_TRUE(exported->records(0).UnpackTo(&record));
  EXPECT_EQ(record.order_id(), id);
  EXPECT_EQ(record.delivery().phone(), "13912345678");

  customers::v1::EraseCustomerRequest erase;
  erase.set_customer_id(cus);
  erase.set_reason("ticket PIPL-7");
  erase.set_request_id(NewRequestId());
  ASSERT_THAT(Call(customers_.get(), &customers::CustomerManager::EraseCustomer,
                   admin_, erase),
              IsOk());
  absl::StatusOr<v1::Order> after = Get(admin_, id);
  ASSERT_THAT(after, IsOk());
  EXPECT_EQ(after->delivery().recipient_name(), "");
  EXPECT_EQ(after->delivery().phone(), "");
  EXPECT_EQ(after->delivery().address(), "");
  EXPECT_EQ(after->total().minor_units(), 10'000);
  EXPECT_EQ(after->items_size(), 1);
  // The stored replay copy is scrubbed too.
  auto replay = Call(&OrderManager::CreateOrder, admin_, req);
  ASSERT_THAT(replay, IsOk());
  EXPECT_EQ(replay->order().order_id(), id);
  EXPECT_EQ(replay->order().delivery().phone(), "");
}

}  // namespace
}  // namespace retail::orders
