// Every store's SQL on PostgreSQL (issue 16): each store's functions are
// called directly on a PgConnection of a fresh database migrated with the
// server's schemas (AllSchemas()), writes inside BEGIN ISOLATION LEVEL
// SERIALIZABLE ... COMMIT as the writer runs them, and the same calls on a
// SQLite database migrated the same way. Each scenario writes what it saw
// into a transcript; the two engines' transcripts must be equal, and no call
// may fail on either. Between them the scenarios prepare and run every
// statement of every store (and of common/db/mutation.cc) at least once.
//
// The test is value-parameterised by nothing: each test runs its scenario on
// both engines itself, since the point is the comparison.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/auth.h"
#include "common/call.h"
#include "common/db/connection.h"
#include "common/db/migrations.h"
#include "common/db/mutation.h"
#include "common/db/pg_connection.h"
#include "common/db/sqlite_connection.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "server/audit/audit_store.h"
#include "server/complaints/complaint_store.h"
#include "server/customers/customer_store.h"
#include "server/events/event_store.h"
#include "server/feedback/feedback_store.h"
#include "server/module.h"
#include "server/orders/order_store.h"
#include "server/orders/return_store.h"
#include "tests/pg/pg_test_db.h"
#include "tests/unit/test_util.h"

namespace retail {
namespace {

using ::google::protobuf::util::TimeUtil;

// 2024-06-15T00:00:00Z: migration makes April..September 2024 partitions.
constexpr int64_t kNow = 1'718'409'600'000'000;
constexpr int64_t kHour = 3'600'000'000;

google::protobuf::Timestamp Ts(int64_t us) {
  return TimeUtil::MicrosecondsToTimestamp(us);
}

// What a scenario saw, line by line, and the calls that failed.
class Transcript {
 public:
  // Records a call's status; a failure is also counted.
  void Check(const absl::Status& status, absl::string_view what) {
    if (!status.ok()) {
      failures_.push_back(absl::StrCat(what, ": ", status.ToString()));
      lines_.push_back(absl::StrCat(what, ": FAILED"));
    }
  }
  template <typename T>
  bool Check(const absl::StatusOr<T>& v, absl::string_view what) {
    Check(v.status(), what);
    return v.ok();
  }
  template <typename... Args>
  void Line(const Args&... args) {
    lines_.push_back(absl::StrCat(args...));
  }
  const std::vector<std::string>& lines() const { return lines_; }
  const std::vector<std::string>& failures() const { return failures_; }

 private:
  std::vector<std::string> lines_;
  std::vector<std::string> failures_;
};

// Runs `body` as a write transaction, as each engine's writer runs one.
void InTransaction(db::Connection& conn, Transcript& t, absl::string_view what,
                   const std::function<void()>& body) {
  try {
    conn.Exec(conn.engine() == db::Engine::kPostgres
                  ? "BEGIN ISOLATION LEVEL SERIALIZABLE"
                  : "BEGIN IMMEDIATE");
    body();
    conn.Exec("COMMIT");
  } catch (const std::exception& e) {
    t.Check(absl::InternalError(e.what()), what);
    try {
      conn.Exec("ROLLBACK");
    } catch (const std::exception&) {
    }
  }
}

// On PostgreSQL the sequencer numbers committed events (pg_writer); here
// the test does its job: event_id = head + 1, ... in pending_id order.
void NumberEvents(db::Connection& conn) {
  if (conn.engine() != db::Engine::kPostgres) return;
  conn.Exec(
      "BEGIN;"
      " WITH n AS (SELECT pending_id, row_number() OVER (ORDER BY pending_id)"
      "  AS k FROM events WHERE event_id IS NULL)"
      " UPDATE events e SET event_id = (SELECT head FROM event_sequencer) + n.k"
      " FROM n WHERE e.pending_id = n.pending_id;"
      " UPDATE event_sequencer SET head ="
      "  (SELECT COALESCE(max(event_id), 0) FROM events);"
      " COMMIT");
}

using Scenario = std::function<void(db::Connection&, Transcript&)>;

class PgStoresTest : public ::testing::Test {
 protected:
  // Runs `scenario` on a fresh SQLite and a fresh PostgreSQL database and
  // compares what they saw.
  void RunOnBoth(const Scenario& scenario) {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = absl::StrCat("pgst_", info->name());
    for (char& c : name) {
      c = absl::ascii_isalnum(c) ? absl::ascii_tolower(c) : '_';
    }
    name = name.substr(0, 63);

    testing::ScopedTempDir dir;
    auto sqlite = db::SqliteConnection::Open(
        dir.File("retail.db"), db::SqliteConnection::Mode::kReadWrite);
    ASSERT_THAT(sqlite, testing::IsOk());
    const std::vector<db::ModuleSchema> schemas = AllSchemas();
    ASSERT_THAT(db::Migrate(**sqlite, schemas, kNow), testing::IsOk());

    auto url = testing::FreshPgDatabase(name);
    ASSERT_THAT(url, testing::IsOk());
    auto pg = db::PgConnection::Open(*url);
    ASSERT_THAT(pg, testing::IsOk());
    ASSERT_THAT(db::Migrate(**pg, schemas, kNow), testing::IsOk());

    Transcript on_sqlite, on_pg;
    scenario(**sqlite, on_sqlite);
    scenario(**pg, on_pg);
    EXPECT_EQ(on_sqlite.failures(), std::vector<std::string>{})
        << "SQLite failed";
    EXPECT_EQ(on_pg.failures(), std::vector<std::string>{})
        << "PostgreSQL failed";
    EXPECT_EQ(on_sqlite.lines(), on_pg.lines());
    if (std::getenv("RETAIL_PG_STORE_TRANSCRIPT") != nullptr) {
      for (const std::string& line : on_pg.lines()) {
        std::cerr << "  " << line << "\n";
      }
    }
    EXPECT_GT(on_pg.lines().size(), 5u);
  }
};

// ---- Customers -------------------------------------------------------------

customers::StoredCustomer NewCustomer(int i, const std::string& branch,
                                      const std::string& name, int tier) {
  customers::StoredCustomer c;
  c.revision = 1;
  c.customer.set_customer_id(absl::StrCat("cus-", i));
  c.customer.set_branch_id(branch);
  c.customer.set_display_name(name);
  c.customer.set_phone(absl::StrCat("+86138000000", i));
  if (i % 2 == 0) c.customer.set_email(absl::StrCat("c", i, "@example.com"));
  c.customer.set_tier(static_cast<customers::CustomerTier>(tier));
  c.customer.set_points_balance(10 * i);
  c.customer.mutable_total_spend()->set_currency_code("CNY");
  c.customer.mutable_total_spend()->set_minor_units(100 * i);
  c.customer.set_marketing_consent(i % 3 == 0);
  if (i % 2 == 1) {
    *c.customer.mutable_last_purchase_time() = Ts(kNow - i * 24 * kHour);
  }
  *c.customer.mutable_create_time() = Ts(kNow + i);
  *c.customer.mutable_update_time() = Ts(kNow + i);
  return c;
}

std::string Ids(const customers::CustomerList& list) {
  std::vector<std::string> ids;
  for (const auto& c : list) ids.push_back(c.customer_id());
  return absl::StrJoin(ids, ",");
}

void CustomerScenario(db::Connection& conn, Transcript& t) {
  const char* names[] = {"王小明", "王大明", "李明", "Alice Wang", "Bob"};
  InTransaction(conn, t, "insert customers", [&] {
    for (int i = 1; i <= 5; ++i) {
      customers::StoredCustomer c =
          NewCustomer(i, i <= 3 ? "b1" : "b2", names[i - 1], 1 + i % 3);
      t.Check(customers::InsertCustomer(conn, c), "InsertCustomer");
      t.Line("row ", c.row);
      customers::PointsTransaction p;
      p.set_transaction_id(absl::StrCat("pt-", i));
      p.set_customer_id(c.customer.customer_id());
      p.set_delta(i);
      p.set_balance_after(10 * i);
      p.set_reason("welcome");
      p.set_actor("test");
      *p.mutable_create_time() = Ts(kNow + i);
      t.Check(customers::InsertPointsTransaction(conn, c.row, p),
              "InsertPointsTransaction");
    }
  });
  InTransaction(conn, t, "update customer", [&] {
    auto c = customers::GetCustomer(conn, "cus-1", "");
    if (!t.Check(c, "GetCustomer")) return;
    c->revision += 1;
    c->customer.set_display_name("王小红");  // re-indexes the name
    c->customer.set_marketing_consent(true);
    t.Check(customers::UpdateCustomer(conn, *c), "UpdateCustomer");
    t.Check(customers::ErasePointsReasons(conn, c->row), "ErasePointsReasons");
  });
  {
    customers::Customer out;
    t.Check(customers::GetCustomer(conn, "cus-1", "b1", &out), "GetCustomer");
    t.Line("get ", out.ShortDebugString());
    t.Line("other branch: ",
           customers::GetCustomer(conn, "cus-1", "b2").status().code());
  }
  for (const std::string& branch : {"", "b1"}) {
    for (int tier : {0, 2}) {
      for (int consent : {-1, 0, 1}) {
        customers::ListQuery q;
        q.branch_id = branch;
        q.tier = static_cast<customers::CustomerTier>(tier);
        if (consent >= 0) q.marketing_consent = consent == 1;
        q.limit = 2;
        customers::CustomerList page1, page2;
        auto rows = customers::ListCustomers(conn, q, &page1);
        if (!t.Check(rows, "ListCustomers")) continue;
        if (!rows->empty()) q.after_row = rows->back();
        t.Check(customers::ListCustomers(conn, q, &page2), "ListCustomers");
        t.Line("list ", branch, "/", tier, "/", consent, ": ", Ids(page1),
               " | ", Ids(page2));
      }
    }
  }
  using By = customers::SearchQuery::By;
  const std::vector<std::pair<By, std::string>> searches = {
      {By::kPhone, "+861380000002"},
      {By::kEmail, "c4@example.com"},
      {By::kName, "明"},
      {By::kName, "王小"},
      {By::kName, "大明"},
      {By::kName, "Wang"},
      {By::kName, "zz"}};
  for (const auto& [by, value] : searches) {
    for (const std::string& scope : {"", "b1"}) {
      customers::SearchQuery q;
      q.by = by;
      q.value = value;
      q.branch_scope = scope;
      q.limit = 1;
      customers::CustomerList page1, page2;
      auto rows = customers::SearchCustomers(conn, q, &page1);
      if (!t.Check(rows, "SearchCustomers")) continue;
      if (!rows->empty()) q.after_row = rows->back();
      t.Check(customers::SearchCustomers(conn, q, &page2), "SearchCustomers");
      t.Line("search ", value, "/", scope, ": ", Ids(page1), " | ", Ids(page2));
    }
  }
  auto by_phone = customers::FindCustomerIdByPhone(conn, "+861380000003");
  if (t.Check(by_phone, "FindCustomerIdByPhone")) {
    t.Line("by phone: ", by_phone->value_or("-"));
  }
  auto lapsed = customers::ListLapsedTierCustomers(conn, kNow - 36 * kHour, 10);
  if (t.Check(lapsed, "ListLapsedTierCustomers")) {
    std::vector<std::string> ids;
    for (const auto& c : *lapsed) ids.push_back(c.customer.customer_id());
    std::sort(ids.begin(), ids.end());  // no ORDER BY: any order
    t.Line("lapsed: ", absl::StrJoin(ids, ","));
  }
  for (int64_t after : {0, 1}) {
    auto points = customers::ListPointsTransactions(conn, 1, after, 5);
    if (!t.Check(points, "ListPointsTransactions")) continue;
    for (const auto& [row, p] : *points) {
      t.Line("points ", row, " ", p.ShortDebugString());
    }
  }
}

TEST_F(PgStoresTest, Customers) { RunOnBoth(CustomerScenario); }

// ---- Orders, settlements, returns
// ---------------------------------------------

orders::StoredOrder NewOrder(int i, const std::string& branch,
                             const std::string& customer, int64_t created) {
  orders::StoredOrder o;
  o.revision = 1;
  o.order.set_order_id(absl::StrCat("ord-", i));
  o.order.set_customer_id(customer);
  o.order.set_branch_id(branch);
  o.order.set_channel(static_cast<orders::v1::OrderChannel>(1));
  o.order.set_status(i % 2 ? orders::v1::ORDER_STATUS_PAID
                           : orders::v1::ORDER_STATUS_PENDING_PAYMENT);
  o.order.add_items()->set_sku(absl::StrCat("sku-", i));
  if (i == 2) {
    o.order.mutable_delivery()->set_recipient_name("Zhang");
    o.order.mutable_delivery()->set_phone("+8613900000000");
    o.order.mutable_delivery()->set_address("Road 1");
  }
  o.order.mutable_total()->set_currency_code("CNY");
  o.order.mutable_total()->set_minor_units(1000 * i);
  o.order.mutable_paid()->set_minor_units(i % 2 ? 1000 * i : 0);
  *o.order.mutable_create_time() = Ts(created);
  *o.order.mutable_update_time() = Ts(created);
  if (i % 2) *o.order.mutable_paid_time() = Ts(created + 1);
  return o;
}

std::string OrderIds(const orders::OrderList& list) {
  std::vector<std::string> ids;
  for (const auto& o : list) {
    ids.push_back(absl::StrCat(o.order_id(), "(", o.payments_size(), "p",
                               o.refunds_size(), "r)"));
  }
  return absl::StrJoin(ids, ",");
}

void OrderScenario(db::Connection& conn, Transcript& t) {
  // Business day 2024-06-15 runs [kNow, kNow + 24h).
  InTransaction(conn, t, "insert orders", [&] {
    for (int i = 1; i <= 5; ++i) {
      const int64_t created = kNow + (i == 5 ? -30 * kHour : i * kHour);
      orders::StoredOrder o =
          NewOrder(i, i <= 3 ? "b1" : "b2",
                   i == 4 ? "" : absl::StrCat("cus-", i % 2), created);
      t.Check(orders::InsertOrder(conn, o), "InsertOrder");
      t.Line("order row ", o.row);
      for (int k = 0; k < (i % 2 ? 2 : 1); ++k) {
        orders::Payment p;
        p.set_payment_id(absl::StrCat("pay-", i, "-", k));
        p.set_method(orders::v1::PAYMENT_METHOD_CASH);
        p.mutable_amount()->set_minor_units(k == 0 ? 1000 * i : 5);
        p.set_external_reference(absl::StrCat("ref-", i, "-", k));
        p.set_outcome(k == 0 ? orders::v1::PAYMENT_OUTCOME_SUCCEEDED
                             : orders::v1::PAYMENT_OUTCOME_FAILED);
        *p.mutable_create_time() = Ts(kNow + i * kHour + k);
        t.Check(orders::InsertPayment(conn, o.row, p), "InsertPayment");
      }
      if (i % 2) {
        orders::Refund r;
        r.set_refund_id(absl::StrCat("ref-", i));
        r.set_payment_id(absl::StrCat("pay-", i, "-0"));
        r.set_method(orders::v1::PAYMENT_METHOD_CASH);
        r.mutable_amount()->set_minor_units(100);
        r.set_reason("damaged");
        *r.mutable_create_time() = Ts(kNow + i * kHour + 10);
        t.Check(orders::InsertRefund(conn, o.row, r), "InsertRefund");
        orders::Settlement s;
        s.set_settlement_id(absl::StrCat("set-", i));
        s.set_order_id(o.order.order_id());
        s.set_branch_id(o.order.branch_id());
        orders::v1::SettlementTender* tender = s.add_tenders();
        tender->set_method(orders::v1::PAYMENT_METHOD_CASH);
        tender->mutable_amount()->set_minor_units(1000 * i);
        s.mutable_total()->set_currency_code("CNY");
        s.mutable_total()->set_minor_units(1000 * i);
        *s.mutable_paid_time() = Ts(created + 1);
        s.mutable_business_date()->set_year(2024);
        s.mutable_business_date()->set_month(6);
        s.mutable_business_date()->set_day(i == 5 ? 14 : 15);
        t.Check(orders::InsertSettlement(conn, o.row, s), "InsertSettlement");
      }
    }
    orders::StoredReturn r;
    r.revision = 1;
    r.order_row = 1;
    r.ret.set_return_id("ret-1");
    r.ret.set_order_id("ord-1");
    r.ret.set_branch_id("b1");
    r.ret.set_customer_id("cus-1");
    r.ret.set_status(orders::v1::RETURN_STATUS_REQUESTED);
    *r.ret.mutable_create_time() = Ts(kNow);
    t.Check(orders::InsertReturn(conn, r), "InsertReturn");
    t.Line("return row ", r.row);
  });
  InTransaction(conn, t, "update order", [&] {
    auto o = orders::GetOrder(conn, "ord-2", "");
    if (!t.Check(o, "GetOrder")) return;
    o->revision += 1;
    o->order.set_status(orders::v1::ORDER_STATUS_CANCELLED);
    t.Check(orders::UpdateOrder(conn, *o), "UpdateOrder");
    t.Check(orders::EraseDeliveries(conn, "cus-0"), "EraseDeliveries");
    auto r = orders::GetReturn(conn, "ret-1", "b1");
    if (!t.Check(r, "GetReturn")) return;
    r->revision += 1;
    r->ret.set_status(orders::v1::RETURN_STATUS_APPROVED);
    t.Check(orders::UpdateReturn(conn, *r), "UpdateReturn");
  });
  {
    orders::Order out;
    t.Check(orders::GetOrder(conn, "ord-2", "b1", &out), "GetOrder");
    t.Line("get ", out.ShortDebugString());
    auto o1 = orders::GetOrder(conn, "ord-1", "");
    if (t.Check(o1, "GetOrder")) t.Line("get ", o1->order.ShortDebugString());
    t.Line("scoped: ", orders::GetOrder(conn, "ord-1", "b2").status().code());
  }
  for (const std::string& branch : {"", "b1"}) {
    for (const std::string& customer : {"", "cus-1"}) {
      for (int status : {0, 2}) {
        for (bool ranged : {false, true}) {
          orders::OrderQuery q;
          q.branch_id = branch;
          q.customer_id = customer;
          q.status = static_cast<orders::v1::OrderStatus>(status);
          if (ranged) {
            q.create_start_micros = kNow;
            q.create_end_micros = kNow + 3 * kHour + 1;
          }
          q.limit = 2;
          orders::OrderList page1, page2;
          auto rows = orders::ListOrders(conn, q, &page1);
          if (!t.Check(rows, "ListOrders")) continue;
          if (!rows->empty()) q.after_row = rows->back();
          t.Check(orders::ListOrders(conn, q, &page2), "ListOrders");
          t.Line("list ", branch, "/", customer, "/", status, "/", ranged, ": ",
                 OrderIds(page1), " | ", OrderIds(page2));
        }
      }
    }
  }
  auto ids = orders::ListCustomerOrderIds(conn, "cus-1");
  if (t.Check(ids, "ListCustomerOrderIds")) {
    t.Line("customer orders: ", absl::StrJoin(*ids, ","));
  }
  for (const char* ref : {"ref-3-0", "ref-3-1", "nope"}) {
    auto use = orders::FindSucceededReference(
        conn, orders::v1::PAYMENT_METHOD_CASH, ref);
    if (t.Check(use, "FindSucceededReference")) {
      t.Line(
          "reference ", ref, ": ",
          *use ? absl::StrCat((*use)->order_id, "@", (*use)->branch_id) : "-");
    }
  }
  for (const auto& [sid, oid] :
       std::vector<std::pair<std::string, std::string>>{
           {"set-1", ""}, {"", "ord-3"}, {"", "ord-2"}}) {
    orders::Settlement s;
    const absl::Status status = orders::GetSettlement(conn, sid, oid, "", &s);
    t.Line("settlement ", sid, oid, ": ", status.code(), " ",
           s.ShortDebugString());
  }
  {
    orders::SettlementQuery q;
    q.branch_id = "b1";
    q.start_date = 20240601;
    q.end_date = 20240630;
    q.limit = 1;
    orders::SettlementList page1, page2;
    auto rows = orders::ListSettlements(conn, q, &page1);
    if (t.Check(rows, "ListSettlements")) {
      if (!rows->empty()) q.after_row = rows->back();
      t.Check(orders::ListSettlements(conn, q, &page2), "ListSettlements");
      t.Line("settlements: ", page1.size(), " ", page2.size());
      for (const auto& s : page1) t.Line(" ", s.ShortDebugString());
    }
  }
  {
    orders::DayQuery q;
    q.branch_id = "b1";
    q.business_date = 20240615;
    q.start_micros = kNow;
    q.end_micros = kNow + 24 * kHour;
    auto day = orders::ReadDay(conn, q);
    if (t.Check(day, "ReadDay")) {
      for (const auto& s : day->sales) {
        t.Line("sale ", s.order_id, " ", s.method, " ", s.amount_minor);
      }
      for (const auto& s : day->tenders) {
        t.Line("tender ", s.method, " ", s.amount_minor);
      }
      for (const auto& s : day->slips) {
        t.Line("slip ", s.order_id, " ", s.total_minor, " ", s.tenders_minor);
      }
      for (const auto& s : day->refunds) {
        t.Line("refund ", s.order_id, " ", s.method, " ", s.amount_minor);
      }
      for (const auto& o : day->orders) {
        t.Line("day order ", o.order_id, " ", o.status, " ", o.total_minor, " ",
               o.paid_minor, " ", o.succeeded_minor, " ", o.refunded_minor, " ",
               o.slip_total_minor.value_or(-1));
      }
    }
  }
  for (int64_t after_paid : {int64_t{0}, kNow + kHour + 1}) {
    auto paid = orders::ListPaidOrders(conn, kNow - 48 * kHour,
                                       kNow + 48 * kHour, after_paid, 1, 10);
    if (!t.Check(paid, "ListPaidOrders")) continue;
    for (const auto& p : *paid) {
      t.Line("paid ", p.row, " ", p.order_id, " ", p.customer_id, " ",
             p.branch_id, " ", p.paid_us);
    }
  }
  // Returns.
  for (const auto& [branch, order_row, status] :
       std::vector<std::tuple<std::string, int64_t, int>>{
           {"", 0, 0}, {"b1", 1, 2}, {"b2", 0, 0}, {"", 0, 1}}) {
    orders::ReturnQuery q;
    q.branch_id = branch;
    q.order_row = order_row;
    q.status = static_cast<orders::v1::ReturnStatus>(status);
    google::protobuf::RepeatedPtrField<orders::v1::Return> out;
    auto rows = orders::ListReturns(conn, q, &out);
    if (t.Check(rows, "ListReturns")) {
      t.Line("returns ", branch, "/", order_row, "/", status, ": ", out.size());
    }
  }
  auto by_order = orders::ListOrderReturns(conn, 1);
  if (t.Check(by_order, "ListOrderReturns")) {
    for (const auto& r : *by_order)
      t.Line("order return ", r.ShortDebugString());
  }
  auto by_customer = orders::ListCustomerReturns(conn, "cus-1");
  if (t.Check(by_customer, "ListCustomerReturns")) {
    t.Line("customer returns ", by_customer->size());
  }
}

TEST_F(PgStoresTest, Orders) { RunOnBoth(OrderScenario); }

// ---- Complaints ------------------------------------------------------------

complaints::StoredComplaint NewComplaint(int i, const std::string& branch) {
  complaints::StoredComplaint sc;
  sc.revision = 1;
  sc.c.set_complaint_id(absl::StrCat("cmp-", i));
  sc.c.set_customer_id(absl::StrCat("cus-", i % 2));
  sc.c.set_branch_id(branch);
  sc.c.set_channel(static_cast<complaints::v1::ComplaintChannel>(1));
  sc.c.set_category(static_cast<complaints::v1::ComplaintCategory>(1 + i % 2));
  sc.c.set_severity(static_cast<complaints::v1::ComplaintSeverity>(1 + i % 3));
  sc.c.set_subject("late delivery");
  sc.c.set_description("it came late");
  sc.c.set_status(static_cast<complaints::v1::ComplaintStatus>(1));
  sc.c.set_owner_id(i % 2 ? "staff-1" : "");
  sc.c.set_escalation_level(i % 3);
  *sc.c.mutable_create_time() = Ts(kNow + i * kHour);
  *sc.c.mutable_update_time() = Ts(kNow + i * kHour);
  for (int k = 0; k < 3; ++k) {
    complaints::ClockRow& clock = sc.clocks[k];
    clock.kind = static_cast<complaints::v1::ClockKind>(k + 1);
    clock.business_hours = k == 1;
    clock.target_us = (k + 1) * kHour;
    clock.run_start_us = kNow + i * kHour;
    clock.segment_start_us = kNow + i * kHour;
    clock.due_us = kNow + i * kHour + (k + 1) * kHour;
    if (k == 2) clock.stop_us = kNow + i * kHour + 5;
    clock.near_breach = k == 0 && i == 2;
  }
  sc.next_due_us = kNow + i * kHour + kHour;
  sc.next_sweep_us = kNow + i * kHour + kHour;
  sc.breached = i == 3;
  return sc;
}

void ComplaintScenario(db::Connection& conn, Transcript& t) {
  InTransaction(conn, t, "insert complaints", [&] {
    for (int i = 1; i <= 4; ++i) {
      complaints::StoredComplaint sc = NewComplaint(i, i <= 2 ? "b1" : "b2");
      t.Check(complaints::InsertComplaint(conn, sc), "InsertComplaint");
      t.Line("complaint row ", sc.row);
      t.Check(complaints::InsertKeywords(conn, sc,
                                         {{"late", "delivery"},
                                          {"rude", "service"},
                                          {"late", "delivery"}}),
              "InsertKeywords");
      complaints::v1::HistoryEntry e;
      e.set_entry_id(absl::StrCat("h-", i));
      e.set_actor("staff-1");
      e.set_text("called the customer");
      *e.mutable_time() = Ts(kNow + i);
      t.Check(complaints::InsertHistory(conn, sc.row, e), "InsertHistory");
      e.set_entry_id(absl::StrCat("h-", i, "b"));
      t.Check(complaints::InsertHistory(conn, sc.row, e), "InsertHistory");
    }
    complaints::v1::SlaPolicy policy;
    policy.set_version(1);
    t.Check(complaints::InsertPolicy(conn, policy, kNow), "InsertPolicy");
    policy.set_version(2);
    t.Check(complaints::InsertPolicy(conn, policy, kNow), "InsertPolicy");
    complaints::v1::BranchCalendar calendar;
    calendar.set_branch_id("b1");
    for (int k = 0; k < 2; ++k) {
      auto revision = complaints::UpsertCalendar(conn, calendar, kNow + k);
      if (t.Check(revision, "UpsertCalendar")) t.Line("calendar ", *revision);
    }
  });
  InTransaction(conn, t, "update complaint", [&] {
    auto sc = complaints::GetComplaint(conn, "cmp-2", "");
    if (!t.Check(sc, "GetComplaint")) return;
    sc->revision += 1;
    sc->c.set_status(static_cast<complaints::v1::ComplaintStatus>(7));
    *sc->c.mutable_close_time() = Ts(kNow + 10 * kHour);
    sc->closed_ever = true;
    sc->clocks[0].stop_us = kNow + 10 * kHour;
    sc->clocks[0].breach_marked = true;
    sc->next_due_us.reset();
    t.Check(complaints::UpdateComplaint(conn, *sc), "UpdateComplaint");
    sc->next_sweep_us.reset();
    t.Check(complaints::RescheduleSweep(conn, *sc), "RescheduleSweep");
    t.Check(complaints::EraseHistoryText(conn, sc->row), "EraseHistoryText");
  });
  auto Show = [](const complaints::StoredComplaint& sc) {
    std::string clocks;
    for (const auto& c : sc.clocks) {
      absl::StrAppend(&clocks, " [", c.kind, " ", c.business_hours, " ",
                      c.due_us, " ", c.stop_us.value_or(-1), " ", c.near_breach,
                      c.breach_marked, "]");
    }
    return absl::StrCat(sc.row, " r", sc.revision, " ", sc.c.ShortDebugString(),
                        clocks, " due ", sc.next_due_us.value_or(-1), " sweep ",
                        sc.next_sweep_us.value_or(-1), " breached ",
                        sc.breached, " closed ", sc.closed_ever);
  };
  for (const char* id : {"cmp-1", "cmp-2"}) {
    auto sc = complaints::GetComplaint(conn, id, "b1");
    if (t.Check(sc, "GetComplaint")) t.Line("get ", Show(*sc));
  }
  for (bool by_due : {false, true}) {
    for (int breached : {-1, 0, 1}) {
      for (int variant = 0; variant < 3; ++variant) {
        complaints::ComplaintQuery q;
        q.by_due = by_due;
        if (breached >= 0) q.breached = breached == 1;
        q.now_us = kNow + 2 * kHour + kHour / 2;
        if (variant == 1) {
          q.branch_id = "b1";
          q.owner_id = "staff-1";
          q.category = static_cast<complaints::v1::ComplaintCategory>(2);
        } else if (variant == 2) {
          q.status = static_cast<complaints::v1::ComplaintStatus>(1);
          q.severity = static_cast<complaints::v1::ComplaintSeverity>(2);
          q.min_escalation_level = 1;
          q.due_before_us = kNow + 4 * kHour;
        }
        q.limit = 2;
        auto page1 = complaints::ListComplaints(conn, q);
        if (!t.Check(page1, "ListComplaints")) continue;
        std::vector<std::string> ids;
        for (const auto& sc : *page1) ids.push_back(sc.c.complaint_id());
        if (!page1->empty()) {
          q.after_id = page1->back().row;
          q.after_due_us = page1->back().next_due_us.value_or(0);
          auto page2 = complaints::ListComplaints(conn, q);
          if (t.Check(page2, "ListComplaints")) {
            ids.push_back("|");
            for (const auto& sc : *page2) ids.push_back(sc.c.complaint_id());
          }
        }
        t.Line("list ", by_due, "/", breached, "/", variant, ": ",
               absl::StrJoin(ids, ","));
      }
    }
  }
  auto by_customer = complaints::ListCustomerComplaintIds(conn, "cus-1");
  if (t.Check(by_customer, "ListCustomerComplaintIds")) {
    t.Line("customer: ", absl::StrJoin(*by_customer, ","));
  }
  auto due = complaints::DueForSweep(conn, kNow + 4 * kHour, 10);
  if (t.Check(due, "DueForSweep")) t.Line("due: ", absl::StrJoin(*due, ","));
  auto closed = complaints::ListClosed(conn, kNow, kNow + 24 * kHour, 0, 0, 10);
  if (t.Check(closed, "ListClosed")) {
    for (const auto& c : *closed) {
      t.Line("closed ", c.row, " ", c.complaint_id, " ", c.customer_id, " ",
             c.branch_id, " ", c.close_us);
    }
  }
  for (int64_t after : {0, 3}) {
    google::protobuf::RepeatedPtrField<complaints::v1::HistoryEntry> out;
    auto rows = complaints::ListHistory(conn, 2, after, 5, &out);
    if (!t.Check(rows, "ListHistory")) continue;
    for (const auto& e : out) t.Line("history ", e.ShortDebugString());
  }
  for (int64_t version : {0, 1, 9}) {
    auto p = complaints::GetPolicy(conn, version);
    t.Line("policy ", version, ": ", p.status().code(), " ",
           p.ok() ? p->version() : -1);
  }
  for (const char* branch : {"b1", "b9"}) {
    auto c = complaints::GetCalendar(conn, branch);
    if (t.Check(c, "GetCalendar"))
      t.Line("calendar ", branch, ": ", c->has_value());
  }
  for (const char* branch : {"", "b1"}) {
    complaints::StatsQuery q;
    q.branch_id = branch;
    q.start_us = kNow;
    q.end_us = kNow + 24 * kHour;
    auto stats = complaints::ReadStats(conn, q);
    if (!t.Check(stats, "ReadStats")) continue;
    t.Line("stats ", branch, ": ", stats->total, " ", stats->reopened, " ",
           stats->closed_ever, " ", stats->scored, " ", stats->score_sum, " ",
           stats->clocks.size(), " ", absl::StrJoin(stats->branches, ","));
    for (const auto& p : stats->problems) {
      t.Line(" problem ", p.category, " ", p.keyword, " ", p.topic, " ",
             p.count);
    }
  }
}

TEST_F(PgStoresTest, Complaints) { RunOnBoth(ComplaintScenario); }

// ---- Feedback --------------------------------------------------------------

void FeedbackScenario(db::Connection& conn, Transcript& t) {
  namespace fb = feedback;
  const int64_t day = 20240615;
  InTransaction(conn, t, "insert feedback", [&] {
    for (int i = 1; i <= 2; ++i) {
      fb::v1::Survey survey;
      survey.set_survey_id(absl::StrCat("srv-", i));
      survey.set_title("How was it?");
      t.Check(fb::InsertSurvey(conn, survey, kNow), "InsertSurvey");
    }
    fb::StoredResponse sr;
    sr.r.set_response_id("rsp-1");
    sr.r.set_survey_id("srv-1");
    sr.r.set_customer_id("cus-1");
    sr.day = day;
    *sr.r.mutable_create_time() = Ts(kNow);
    t.Check(fb::InsertResponse(conn, sr), "InsertResponse");
    t.Line("response row ", sr.row);
    auto exists = fb::ResponseExists(conn, sr.r);
    if (t.Check(exists, "ResponseExists")) t.Line("exists ", *exists);
    t.Check(fb::EraseResponse(conn, sr), "EraseResponse");
    for (int i = 1; i <= 4; ++i) {
      fb::StoredItem si;
      si.item.set_feedback_id(absl::StrCat("fb-", i));
      si.item.set_kind(static_cast<fb::v1::FeedbackKind>(1 + i % 2));
      si.item.set_channel(static_cast<fb::v1::FeedbackChannel>(1));
      si.item.mutable_sentiment()->set_label(
          static_cast<fb::v1::SentimentLabel>(1 + i % 3));
      si.item.mutable_sentiment()->set_score(0.25 * i);
      si.item.set_branch_id(i <= 2 ? "b1" : "b2");
      si.item.set_customer_id(absl::StrCat("cus-", i % 2));
      si.item.set_sku(i % 2 ? "sku-1" : "sku-2");
      si.item.set_rating(i);
      si.item.set_text("too salty");
      si.item.set_needs_review(i == 3);
      si.day = day;
      *si.item.mutable_create_time() = Ts(kNow + i * kHour);
      t.Check(fb::InsertItem(conn, si), "InsertItem");
      t.Line("item row ", si.row);
      t.Check(fb::InsertTerms(conn, fb::Source::kFeedbackItem, si.row,
                              si.item.branch_id(), day, /*negative=*/i <= 3,
                              {"taste", "taste"}, {"salty", "cold"}),
              "InsertTerms");
      fb::DailyFigures daily;
      t.Check(fb::InsertScore(conn, fb::Source::kFeedbackItem,
                              fb::ScoreKind::kRating, i, si.row,
                              si.item.branch_id(), day, daily),
              "InsertScore");
      daily.feedback_items = 1;
      t.Check(fb::AddDaily(conn, si.item.branch_id(), day, daily), "AddDaily");
      t.Check(fb::AddDaily(conn, "", day, daily), "AddDaily");
    }
    for (int i = 1; i <= 3; ++i) {
      fb::StoredFollowUp sf;
      sf.revision = 1;
      sf.f.set_follow_up_id(absl::StrCat("fu-", i));
      sf.f.set_customer_id(absl::StrCat("cus-", i % 2));
      sf.f.set_branch_id(i <= 2 ? "b1" : "b2");
      sf.f.set_reason(static_cast<fb::v1::FollowUpReason>(i == 3 ? 2 : 1));
      *sf.f.mutable_due_time() = Ts(kNow + i * kHour);
      sf.f.set_complaint_id(i == 3 ? "cmp-1" : "");
      sf.f.set_owner_id("staff-1");
      sf.f.set_status(static_cast<fb::v1::FollowUpStatus>(1));
      if (i == 1) sf.cause = "order:ord-1";
      t.Check(fb::InsertFollowUp(conn, sf), "InsertFollowUp");
      t.Line("follow-up row ", sf.row);
    }
    t.Check(fb::PutScan(conn, "orders", kNow, 3), "PutScan");
    t.Check(fb::PutScan(conn, "orders", kNow + 1, 4), "PutScan");
  });
  InTransaction(conn, t, "update feedback", [&] {
    auto sf = fb::GetFollowUp(conn, "fu-1", "");
    if (!t.Check(sf, "GetFollowUp")) return;
    sf->revision += 1;
    sf->f.set_status(static_cast<fb::v1::FollowUpStatus>(2));
    sf->f.set_notes("done");
    t.Check(fb::UpdateFollowUp(conn, *sf), "UpdateFollowUp");
    auto item = fb::GetItem(conn, "fb-4", "");
    if (t.Check(item, "GetItem"))
      t.Check(fb::EraseItem(conn, item->row), "EraseItem");
  });
  auto survey = fb::GetSurvey(conn, "srv-1");
  if (t.Check(survey, "GetSurvey"))
    t.Line("survey ", survey->ShortDebugString());
  for (int64_t after : {0, 1}) {
    auto surveys = fb::ListSurveys(conn, after, 1);
    if (!t.Check(surveys, "ListSurveys")) continue;
    for (const auto& [row, s] : *surveys)
      t.Line("surveys ", row, " ", s.survey_id());
  }
  auto responses = fb::ListCustomerResponses(conn, "cus-1");
  if (t.Check(responses, "ListCustomerResponses")) {
    t.Line("responses ", responses->size());
  }
  {
    auto item = fb::GetItem(conn, "fb-1", "b1");
    if (t.Check(item, "GetItem")) {
      t.Line("item ", item->row, " ", item->day, " ",
             item->item.ShortDebugString());
    }
  }
  for (int variant = 0; variant < 5; ++variant) {
    fb::ItemQuery q;
    switch (variant) {
      case 1:
        q.branch_id = "b1";
        q.kind = static_cast<fb::v1::FeedbackKind>(2);
        q.sku = "sku-1";
        q.min_rating = 1;
        q.max_rating = 3;
        break;
      case 2:
        q.needs_review = true;
        q.from_us = kNow;
        q.to_us = kNow + 10 * kHour;
        break;
      case 3:
        q.topic = "taste";
        break;
      case 4:
        q.keyword = "salty";
        q.topic = "taste";
        break;
    }
    q.limit = 2;
    auto page1 = fb::ListItems(conn, q);
    if (!t.Check(page1, "ListItems")) continue;
    std::vector<std::string> ids;
    for (const auto& si : *page1) ids.push_back(si.item.feedback_id());
    if (!page1->empty()) {
      q.after_row = page1->back().row;
      auto page2 = fb::ListItems(conn, q);
      if (t.Check(page2, "ListItems")) {
        ids.push_back("|");
        for (const auto& si : *page2) ids.push_back(si.item.feedback_id());
      }
    }
    t.Line("items ", variant, ": ", absl::StrJoin(ids, ","));
  }
  auto customer_items = fb::ListCustomerItems(conn, "cus-1");
  if (t.Check(customer_items, "ListCustomerItems")) {
    t.Line("customer items ", customer_items->size());
  }
  for (const char* branch : {"", "b1"}) {
    auto daily = fb::ReadDaily(conn, branch, day - 1, day + 1);
    if (!t.Check(daily, "ReadDaily")) continue;
    for (const auto& r : *daily) {
      t.Line("daily ", r.day, " '", r.branch_id, "' ", r.f.feedback_ratings,
             " ", r.f.feedback_satisfied, " ", r.f.feedback_rating_sum, " ",
             r.f.feedback_items);
    }
  }
  for (auto kind : {fb::TermKind::kTopic, fb::TermKind::kKeyword}) {
    auto top = fb::TopNegativeTerms(conn, "b1", day, day, kind, 5);
    if (!t.Check(top, "TopNegativeTerms")) continue;
    for (const auto& [term, n] : *top) t.Line("top ", term, " ", n);
  }
  for (int variant = 0; variant < 2; ++variant) {
    fb::FollowUpQuery q;
    if (variant == 1) {
      q.branch_id = "b1";
      q.status = static_cast<fb::v1::FollowUpStatus>(1);
      q.owner_id = "staff-1";
      q.due_from_us = kNow;
      q.due_to_us = kNow + 10 * kHour;
    }
    q.limit = 1;
    auto page1 = fb::ListFollowUps(conn, q);
    if (!t.Check(page1, "ListFollowUps")) continue;
    std::vector<std::string> ids;
    for (const auto& sf : *page1) ids.push_back(sf.f.follow_up_id());
    if (!page1->empty()) {
      q.after_row = page1->back().row;
      q.after_due_us =
          TimeUtil::TimestampToMicroseconds(page1->back().f.due_time());
      auto page2 = fb::ListFollowUps(conn, q);
      if (t.Check(page2, "ListFollowUps")) {
        ids.push_back("|");
        for (const auto& sf : *page2) ids.push_back(sf.f.follow_up_id());
      }
    }
    t.Line("follow-ups ", variant, ": ", absl::StrJoin(ids, ","));
  }
  auto customer_fus = fb::ListCustomerFollowUps(conn, "cus-1");
  if (t.Check(customer_fus, "ListCustomerFollowUps")) {
    for (const auto& sf : *customer_fus) {
      t.Line("customer follow-up ", sf.row, " r", sf.revision, " ",
             sf.cause.value_or("-"), " ", sf.f.ShortDebugString());
    }
  }
  for (const char* cause : {"order:ord-1", "order:ord-2"}) {
    auto taken = fb::CauseTaken(conn, cause);
    if (t.Check(taken, "CauseTaken")) t.Line("cause ", cause, " ", *taken);
  }
  for (const char* complaint : {"cmp-1", "cmp-2"}) {
    auto exists = fb::ComplaintFollowUpExists(conn, complaint);
    if (t.Check(exists, "ComplaintFollowUpExists")) {
      t.Line("complaint follow-up ", complaint, " ", *exists);
    }
  }
  for (const char* name : {"orders", "none"}) {
    auto scan = fb::GetScan(conn, name);
    if (t.Check(scan, "GetScan")) {
      t.Line("scan ", name, " ",
             *scan ? absl::StrCat((*scan)->first, "/", (*scan)->second) : "-");
    }
  }
}

TEST_F(PgStoresTest, Feedback) { RunOnBoth(FeedbackScenario); }

// ---- Audit, events, stored responses
// -------------------------------------------

void AuditScenario(db::Connection& conn, Transcript& t) {
  const char* outcomes[] = {"OK", "NOT_FOUND", "OK", "PERMISSION_DENIED",
                            "OK", "REVEAL"};
  InTransaction(conn, t, "append audit", [&] {
    for (int i = 0; i < 12; ++i) {
      db::AuditRecord r;
      r.principal_id = i % 2 ? "alice" : "bob";
      r.role = "admin";
      r.method = i % 3 ? "retail.customers.v1.CustomerService/GetCustomer"
                       : "retail.orders.v1.OrderService/CreateOrder";
      r.resource = i % 4 ? absl::StrCat("customers/cus-", i % 3) : "";
      r.request_id = absl::StrCat("req-", i);
      r.outcome = outcomes[i % 6];
      r.detail = "detail";
      t.Check(db::AppendAudit(conn, r, kNow + (i / 2) * kHour), "AppendAudit");
    }
  });
  auto Page = [&](const audit::AuditQuery& q, absl::string_view what) {
    std::optional<audit::AuditKey> after;
    std::vector<std::string> seen;
    for (int pages = 0; pages < 10; ++pages) {
      audit::AuditQuery page_q = q;
      page_q.after = after;
      google::protobuf::RepeatedPtrField<audit::v1::AuditEntry> out;
      auto page = audit::ListAuditLog(conn, page_q, &out);
      if (!t.Check(page, "ListAuditLog")) return;
      for (const auto& e : out) {
        seen.push_back(absl::StrCat(e.request_id(), "/", e.outcome()));
      }
      seen.push_back("|");
      if (!page->next) break;
      after = page->next;
    }
    t.Line("audit ", what, ": ", absl::StrJoin(seen, ","));
  };
  audit::AuditQuery q;
  q.page_size = 4;
  Page(q, "all");
  q.start_us = kNow + kHour;
  q.end_us = kNow + 4 * kHour;
  q.principal = "alice";
  Page(q, "time range");
  audit::AuditQuery by_resource;
  by_resource.resource = "customers/cus-1";
  by_resource.page_size = 2;
  Page(by_resource, "resource");
  audit::AuditQuery by_outcome;
  by_outcome.outcomes = {"NOT_FOUND", "PERMISSION_DENIED", "REVEAL"};
  by_outcome.page_size = 2;
  Page(by_outcome, "outcomes");
  by_outcome.outcomes = {"REVEAL"};
  by_outcome.method = "retail.customers";
  by_outcome.method_is_prefix = true;
  Page(by_outcome, "one outcome");
  InTransaction(conn, t, "prune audit", [&] {
    auto pruned = audit::PruneAuditLog(conn, kNow + 2 * kHour, 3);
    if (t.Check(pruned, "PruneAuditLog")) t.Line("pruned ", *pruned);
  });
  Page(q, "after prune");
}

TEST_F(PgStoresTest, Audit) { RunOnBoth(AuditScenario); }

void EventScenario(db::Connection& conn, Transcript& t) {
  auto principal = std::make_shared<Principal>();
  principal->id = "alice";
  CallMeta meta;
  meta.principal = principal;
  meta.method = "retail.customers.v1.CustomerService/CreateCustomer";
  customers::v1::CreateCustomerResponse response;
  response.mutable_customer()->set_customer_id("cus-1");
  response.mutable_customer()->set_display_name("Wang");
  response.mutable_customer()->set_phone("+8613800000001");
  InTransaction(conn, t, "append events", [&] {
    for (int i = 1; i <= 5; ++i) {
      customers::v1::Customer state = response.customer();
      state.set_points_balance(i);
      const std::string id = absl::StrCat("cus-", 1 + i % 2);
      const std::string resource = absl::StrCat("customers/", id);
      db::EventRecord e;
      e.resource_type = "customer";
      e.resource_id = id;
      e.resource = resource;
      e.event_type = i == 1 ? "CREATED" : "UPDATED";
      e.revision = i;
      e.branch_id = i % 2 ? "b1" : "b2";
      e.state = i == 4 ? nullptr : &state;
      t.Check(db::AppendEvent(conn, e, meta, kNow + i * kHour), "AppendEvent");
    }
    // A stored response of the customer, as a mutation leaves one.
    const std::string bytes = response.SerializeAsString();
    db::Stmt s = conn.Prepare(
        "INSERT INTO idempotency_keys (principal_id, method, request_id,"
        " request_hash, response, resource, create_time_us, status)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL)");
    for (int i = 0; i < 2; ++i) {
      s->Bind(1, "alice");
      s->Bind(2, meta.method);
      s->Bind(3, absl::StrCat("req-", i));
      s->Bind(4, "hash", 4);
      s->Bind(5, bytes.data(), static_cast<int>(bytes.size()));
      s->Bind(6, "customers/cus-2");
      s->Bind(7, kNow + i * 48 * kHour);
      s->Exec();
      s->Reset();
    }
  });
  // Scrubs the phone from cus-2's stored responses and event states, before
  // the events are numbered (on PostgreSQL they may still be unnumbered).
  InTransaction(conn, t, "rewrite", [&] {
    t.Check(db::RewriteStoredResponses(
                conn, "customers/cus-2",
                [](google::protobuf::Message* m) {
                  if (auto* c = dynamic_cast<customers::v1::Customer*>(m)) {
                    c->clear_phone();
                  } else if (auto* r = dynamic_cast<
                                 customers::v1::CreateCustomerResponse*>(m)) {
                    r->mutable_customer()->clear_phone();
                  }
                }),
            "RewriteStoredResponses");
  });
  NumberEvents(conn);
  auto head = events::HeadSequence(conn);
  if (t.Check(head, "HeadSequence")) t.Line("head ", *head);
  auto Read = [&](int64_t after, const std::string& scope) {
    auto events = events::ReadEvents(conn, after, 3, scope);
    if (!t.Check(events, "ReadEvents")) return;
    for (const auto& e : *events) {
      t.Line("event ", e->ShortDebugString());
    }
  };
  Read(0, "");
  Read(3, "");
  Read(0, "b1");
  {
    db::Stmt s = conn.Prepare(
        "SELECT response FROM idempotency_keys ORDER BY request_id");
    while (s->Step()) {
      customers::v1::CreateCustomerResponse r;
      r.ParseFromString(std::string(s->Blob(0)));
      t.Line("stored ", r.ShortDebugString());
    }
  }
  InTransaction(conn, t, "prune", [&] {
    auto pruned = db::PruneStoredResponses(conn, kNow + kHour, 10);
    if (t.Check(pruned, "PruneStoredResponses")) t.Line("pruned ", *pruned);
    auto events = events::PruneEvents(conn, kNow + 3 * kHour, 10);
    if (t.Check(events, "PruneEvents")) t.Line("pruned events ", *events);
  });
  auto through = events::PrunedThrough(conn);
  if (t.Check(through, "PrunedThrough")) t.Line("pruned through ", *through);
  head = events::HeadSequence(conn);
  if (t.Check(head, "HeadSequence")) t.Line("head ", *head);
  Read(0, "");
  if (conn.engine() != db::Engine::kPostgres) return;
  // PostgreSQL only: an event the sequencer has not numbered yet is not in
  // the stream: no read returns it and retention leaves it alone.
  InTransaction(conn, t, "append unnumbered", [&] {
    db::EventRecord e;
    e.resource_type = "customer";
    e.resource_id = "cus-9";
    e.resource = "customers/cus-9";
    e.event_type = "CREATED";
    e.revision = 1;
    e.branch_id = "b1";
    t.Check(db::AppendEvent(conn, e, meta, kNow), "AppendEvent");
  });
  auto all = events::ReadEvents(conn, 0, 100, "");
  auto branch = events::ReadEvents(conn, 0, 100, "b1");
  if (t.Check(all, "ReadEvents") && t.Check(branch, "ReadEvents")) {
    EXPECT_EQ(all->size(), 3u);
    EXPECT_EQ(branch->size(), 2u);
  }
  InTransaction(conn, t, "prune all", [&] {
    auto pruned = events::PruneEvents(conn, kNow + 1000 * kHour, 100);
    if (t.Check(pruned, "PruneEvents")) EXPECT_EQ(*pruned, 3);
  });
  db::Stmt left =
      conn.Prepare("SELECT count(*) FROM events WHERE event_id IS NULL");
  ASSERT_TRUE(left->Step());
  EXPECT_EQ(left->Int64(0), 1);
}

TEST_F(PgStoresTest, Events) { RunOnBoth(EventScenario); }

}  // namespace
}  // namespace retail
