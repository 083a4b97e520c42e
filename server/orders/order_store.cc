#include "server/orders/order_store.h"

#include <tuple>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/db/columns.h"
#include "common/status.h"
#include "google/protobuf/util/time_util.h"

namespace retail::orders {
namespace {

using ::google::protobuf::util::TimeUtil;
using ::retail::db::Field;
using ::retail::db::Param;

google::protobuf::Timestamp Timestamp(int64_t micros) {
  return TimeUtil::MicrosecondsToTimestamp(micros);
}
int64_t Micros(const google::protobuf::Timestamp& t) {
  return TimeUtil::TimestampToMicroseconds(t);
}

// Binds an optional time column: NULL when the timestamp is not set.
void BindTime(Param p, bool has, const google::protobuf::Timestamp& t) {
  if (has) {
    p.Int64(Micros(t));
  } else {
    p.Null();
  }
}

// Where an orders row is decoded: its keys, and the resource, which may
// live on a response's arena.
struct DecodedOrder {
  int64_t row = 0;
  int64_t revision = 0;
  Order* order = nullptr;
};

// The orders table (schema versions 1 and 3), listed once.
constexpr db::Column<StoredOrder, DecodedOrder> kOrderColumns[] = {
    {"id", nullptr, [](const Field& f, DecodedOrder& o) { o.row = f.Int64(); }},
    {"order_id",
     [](Param p, const StoredOrder& s) { p.Text(s.order.order_id()); },
     [](const Field& f, DecodedOrder& o) {
       const absl::string_view t = f.Text();
       o.order->set_order_id(t.data(), t.size());
     }},
    {"revision", [](Param p, const StoredOrder& s) { p.Int64(s.revision); },
     [](const Field& f, DecodedOrder& o) { o.revision = f.Int64(); }},
    {"customer_id",
     [](Param p, const StoredOrder& s) { p.Text(s.order.customer_id()); },
     [](const Field& f, DecodedOrder& o) {
       const absl::string_view t = f.Text();
       o.order->set_customer_id(t.data(), t.size());
     }},
    {"branch_id",
     [](Param p, const StoredOrder& s) { p.Text(s.order.branch_id()); },
     [](const Field& f, DecodedOrder& o) {
       const absl::string_view t = f.Text();
       o.order->set_branch_id(t.data(), t.size());
     }},
    {"channel",
     [](Param p, const StoredOrder& s) {
       p.Int(static_cast<int>(s.order.channel()));
     },
     [](const Field& f, DecodedOrder& o) {
       o.order->set_channel(static_cast<v1::OrderChannel>(f.Int()));
     }},
    {"status",
     [](Param p, const StoredOrder& s) {
       p.Int(static_cast<int>(s.order.status()));
     },
     [](const Field& f, DecodedOrder& o) {
       o.order->set_status(static_cast<v1::OrderStatus>(f.Int()));
     }},
    {"items",
     [](Param p, const StoredOrder& s) {
       Order only_items;
       *only_items.mutable_items() = s.order.items();
       p.Blob(only_items.SerializeAsString());
     },
     [](const Field& f, DecodedOrder& o) {
       // The blob holds field `items` only: merging appends the lines.
       o.order->MergeFromString(std::string(f.Blob()));
     }},
    {"has_delivery",
     [](Param p, const StoredOrder& s) { p.Bool(s.order.has_delivery()); },
     [](const Field& f, DecodedOrder& o) {
       if (f.Bool()) o.order->mutable_delivery();
     }},
    {"delivery_recipient",
     [](Param p, const StoredOrder& s) {
       p.Text(s.order.delivery().recipient_name());
     },
     [](const Field& f, DecodedOrder& o) {
       const absl::string_view t = f.Text();
       if (!t.empty())
         o.order->mutable_delivery()->set_recipient_name(t.data(), t.size());
     }},
    {"delivery_phone",
     [](Param p, const StoredOrder& s) { p.Text(s.order.delivery().phone()); },
     [](const Field& f, DecodedOrder& o) {
       const absl::string_view t = f.Text();
       if (!t.empty())
         o.order->mutable_delivery()->set_phone(t.data(), t.size());
     }},
    {"delivery_address",
     [](Param p, const StoredOrder& s) {
       p.Text(s.order.delivery().address());
     },
     [](const Field& f, DecodedOrder& o) {
       const absl::string_view t = f.Text();
       if (!t.empty())
         o.order->mutable_delivery()->set_address(t.data(), t.size());
     }},
    {"currency_code",
     [](Param p, const StoredOrder& s) {
       p.Text(s.order.total().currency_code());
     },
     [](const Field& f, DecodedOrder& o) {
       const absl::string_view t = f.Text();
       o.order->mutable_total()->set_currency_code(t.data(), t.size());
       o.order->mutable_paid()->set_currency_code(t.data(), t.size());
     }},
    {"total_minor",
     [](Param p, const StoredOrder& s) {
       p.Int64(s.order.total().minor_units());
     },
     [](const Field& f, DecodedOrder& o) {
       o.order->mutable_total()->set_minor_units(f.Int64());
     }},
    {"paid_minor",
     [](Param p, const StoredOrder& s) {
       p.Int64(s.order.paid().minor_units());
     },
     [](const Field& f, DecodedOrder& o) {
       o.order->mutable_paid()->set_minor_units(f.Int64());
     }},
    {"points_earned",
     [](Param p, const StoredOrder& s) { p.Int64(s.order.points_earned()); },
     [](const Field& f, DecodedOrder& o) {
       o.order->set_points_earned(f.Int64());
     }},
    {"cancel_reason",
     [](Param p, const StoredOrder& s) { p.Text(s.order.cancel_reason()); },
     [](const Field& f, DecodedOrder& o) {
       const absl::string_view t = f.Text();
       o.order->set_cancel_reason(t.data(), t.size());
     }},
    {"create_time_us",
     [](Param p, const StoredOrder& s) {
       p.Int64(Micros(s.order.create_time()));
     },
     [](const Field& f, DecodedOrder& o) {
       *o.order->mutable_create_time() = Timestamp(f.Int64());
     }},
    {"update_time_us",
     [](Param p, const StoredOrder& s) {
       p.Int64(Micros(s.order.update_time()));
     },
     [](const Field& f, DecodedOrder& o) {
       *o.order->mutable_update_time() = Timestamp(f.Int64());
     }},
    {"paid_time_us",
     [](Param p, const StoredOrder& s) {
       BindTime(p, s.order.has_paid_time(), s.order.paid_time());
     },
     [](const Field& f, DecodedOrder& o) {
       if (!f.IsNull()) *o.order->mutable_paid_time() = Timestamp(f.Int64());
     }},
    {"complete_time_us",
     [](Param p, const StoredOrder& s) {
       BindTime(p, s.order.has_complete_time(), s.order.complete_time());
     },
     [](const Field& f, DecodedOrder& o) {
       if (!f.IsNull())
         *o.order->mutable_complete_time() = Timestamp(f.Int64());
     }},
    {"cancel_time_us",
     [](Param p, const StoredOrder& s) {
       BindTime(p, s.order.has_cancel_time(), s.order.cancel_time());
     },
     [](const Field& f, DecodedOrder& o) {
       if (!f.IsNull()) *o.order->mutable_cancel_time() = Timestamp(f.Int64());
     }},
    {"exchange_return_id",
     [](Param p, const StoredOrder& s) {
       p.Text(s.order.exchange_return_id());
     },
     [](const Field& f, DecodedOrder& o) {
       const absl::string_view t = f.Text();
       o.order->set_exchange_return_id(t.data(), t.size());
     }},
};
using OrderColumns = db::ColumnSet<kOrderColumns>;

struct NewPayment {
  int64_t order_row;
  const Payment& p;
};

// The order_payments table. The amount's currency is the order's.
constexpr db::Column<NewPayment, Payment> kPaymentColumns[] = {
    {"payment_id",
     [](Param p, const NewPayment& n) { p.Text(n.p.payment_id()); },
     [](const Field& f, Payment& o) {
       const absl::string_view t = f.Text();
       o.set_payment_id(t.data(), t.size());
     }},
    {"order_row", [](Param p, const NewPayment& n) { p.Int64(n.order_row); }},
    {"method",
     [](Param p, const NewPayment& n) {
       p.Int(static_cast<int>(n.p.method()));
     },
     [](const Field& f, Payment& o) {
       o.set_method(static_cast<v1::PaymentMethod>(f.Int()));
     }},
    {"amount_minor",
     [](Param p, const NewPayment& n) { p.Int64(n.p.amount().minor_units()); },
     [](const Field& f, Payment& o) {
       o.mutable_amount()->set_minor_units(f.Int64());
     }},
    {"external_reference",
     [](Param p, const NewPayment& n) { p.Text(n.p.external_reference()); },
     [](const Field& f, Payment& o) {
       const absl::string_view t = f.Text();
       o.set_external_reference(t.data(), t.size());
     }},
    {"outcome",
     [](Param p, const NewPayment& n) {
       p.Int(static_cast<int>(n.p.outcome()));
     },
     [](const Field& f, Payment& o) {
       o.set_outcome(static_cast<v1::PaymentOutcome>(f.Int()));
     }},
    {"failure_reason",
     [](Param p, const NewPayment& n) { p.Text(n.p.failure_reason()); },
     [](const Field& f, Payment& o) {
       const absl::string_view t = f.Text();
       o.set_failure_reason(t.data(), t.size());
     }},
    {"points_debited",
     [](Param p, const NewPayment& n) { p.Int64(n.p.points_debited()); },
     [](const Field& f, Payment& o) { o.set_points_debited(f.Int64()); }},
    {"staff_id", [](Param p, const NewPayment& n) { p.Text(n.p.staff_id()); },
     [](const Field& f, Payment& o) {
       const absl::string_view t = f.Text();
       o.set_staff_id(t.data(), t.size());
     }},
    {"create_time_us",
     [](Param p, const NewPayment& n) { p.Int64(Micros(n.p.create_time())); },
     [](const Field& f, Payment& o) {
       *o.mutable_create_time() = Timestamp(f.Int64());
     }},
};
using PaymentColumns = db::ColumnSet<kPaymentColumns>;

struct NewRefund {
  int64_t order_row;
  const Refund& r;
};

// The order_refunds table. The amount's currency is the order's.
constexpr db::Column<NewRefund, Refund> kRefundColumns[] = {
    {"refund_id", [](Param p, const NewRefund& n) { p.Text(n.r.refund_id()); },
     [](const Field& f, Refund& o) {
       const absl::string_view t = f.Text();
       o.set_refund_id(t.data(), t.size());
     }},
    {"order_row", [](Param p, const NewRefund& n) { p.Int64(n.order_row); }},
    {"payment_id",
     [](Param p, const NewRefund& n) { p.Text(n.r.payment_id()); },
     [](const Field& f, Refund& o) {
       const absl::string_view t = f.Text();
       o.set_payment_id(t.data(), t.size());
     }},
    {"method",
     [](Param p, const NewRefund& n) { p.Int(static_cast<int>(n.r.method())); },
     [](const Field& f, Refund& o) {
       o.set_method(static_cast<v1::PaymentMethod>(f.Int()));
     }},
    {"amount_minor",
     [](Param p, const NewRefund& n) { p.Int64(n.r.amount().minor_units()); },
     [](const Field& f, Refund& o) {
       o.mutable_amount()->set_minor_units(f.Int64());
     }},
    {"points_restored",
     [](Param p, const NewRefund& n) { p.Int64(n.r.points_restored()); },
     [](const Field& f, Refund& o) { o.set_points_restored(f.Int64()); }},
    {"external_reference",
     [](Param p, const NewRefund& n) { p.Text(n.r.external_reference()); },
     [](const Field& f, Refund& o) {
       const absl::string_view t = f.Text();
       o.set_external_reference(t.data(), t.size());
     }},
    {"reason", [](Param p, const NewRefund& n) { p.Text(n.r.reason()); },
     [](const Field& f, Refund& o) {
       const absl::string_view t = f.Text();
       o.set_reason(t.data(), t.size());
     }},
    {"create_time_us",
     [](Param p, const NewRefund& n) { p.Int64(Micros(n.r.create_time())); },
     [](const Field& f, Refund& o) {
       *o.mutable_create_time() = Timestamp(f.Int64());
     }},
    {"return_id", [](Param p, const NewRefund& n) { p.Text(n.r.return_id()); },
     [](const Field& f, Refund& o) {
       const absl::string_view t = f.Text();
       o.set_return_id(t.data(), t.size());
     }},
};
using RefundColumns = db::ColumnSet<kRefundColumns>;

struct NewSettlement {
  int64_t order_row;
  const Settlement& s;
};
struct DecodedSettlement {
  int64_t row = 0;
  Settlement* s = nullptr;
};

// The settlements table.
constexpr db::Column<NewSettlement, DecodedSettlement> kSettlementColumns[] = {
    {"id", nullptr,
     [](const Field& f, DecodedSettlement& o) { o.row = f.Int64(); }},
    {"settlement_id",
     [](Param p, const NewSettlement& n) { p.Text(n.s.settlement_id()); },
     [](const Field& f, DecodedSettlement& o) {
       const absl::string_view t = f.Text();
       o.s->set_settlement_id(t.data(), t.size());
     }},
    {"order_row",
     [](Param p, const NewSettlement& n) { p.Int64(n.order_row); }},
    {"order_id",
     [](Param p, const NewSettlement& n) { p.Text(n.s.order_id()); },
     [](const Field& f, DecodedSettlement& o) {
       const absl::string_view t = f.Text();
       o.s->set_order_id(t.data(), t.size());
     }},
    {"branch_id",
     [](Param p, const NewSettlement& n) { p.Text(n.s.branch_id()); },
     [](const Field& f, DecodedSettlement& o) {
       const absl::string_view t = f.Text();
       o.s->set_branch_id(t.data(), t.size());
     }},
    {"tenders",
     [](Param p, const NewSettlement& n) {
       Settlement only_tenders;
       *only_tenders.mutable_tenders() = n.s.tenders();
       p.Blob(only_tenders.SerializeAsString());
     },
     [](const Field& f, DecodedSettlement& o) {
       // The blob holds field `tenders` only: merging appends them.
       o.s->MergeFromString(std::string(f.Blob()));
     }},
    {"currency_code",
     [](Param p, const NewSettlement& n) {
       p.Text(n.s.total().currency_code());
     },
     [](const Field& f, DecodedSettlement& o) {
       const absl::string_view t = f.Text();
       o.s->mutable_total()->set_currency_code(t.data(), t.size());
     }},
    {"total_minor",
     [](Param p, const NewSettlement& n) {
       p.Int64(n.s.total().minor_units());
     },
     [](const Field& f, DecodedSettlement& o) {
       o.s->mutable_total()->set_minor_units(f.Int64());
     }},
    {"paid_time_us",
     [](Param p, const NewSettlement& n) { p.Int64(Micros(n.s.paid_time())); },
     [](const Field& f, DecodedSettlement& o) {
       *o.s->mutable_paid_time() = Timestamp(f.Int64());
     }},
    {"business_date",
     [](Param p, const NewSettlement& n) {
       const common::v1::Date& d = n.s.business_date();
       p.Int(d.year() * 10000 + d.month() * 100 + d.day());
     },
     [](const Field& f, DecodedSettlement& o) {
       const int32_t v = f.Int();
       common::v1::Date* d = o.s->mutable_business_date();
       d->set_year(v / 10000);
       d->set_month(v / 100 % 100);
       d->set_day(v % 100);
     }},
};
using SettlementColumns = db::ColumnSet<kSettlementColumns>;

struct Statements {
  std::string get;
  // ListOrders: [branch set][customer set][status set], each served by an
  // index in page order: a customer's orders by orders_by_customer or
  // orders_by_branch_customer (few rows, whatever the status); a branch's
  // orders of one status by orders_by_branch_status (schema version 4);
  // otherwise by branch or row id. A status is a plain equality, never
  // "?4 = 0 OR", so the planner can use it; with a customer it is written
  // "+status" so the planner does not use it (it would otherwise walk a
  // branch's orders of that status instead of the customer's few). All
  // number their parameters up to ?7.
  std::string list[2][2][2];
  std::string customer_orders;
  std::string payments;
  std::string refunds;
  // The same for a page of orders: ?1 is a JSON array of order rows.
  std::string page_payments;
  std::string page_refunds;
  std::string by_reference;
  std::string insert;
  std::string update;
  std::string insert_payment;
  std::string insert_refund;
  std::string erase_deliveries;
  std::string insert_settlement;
  std::string settlement_by_id;
  std::string settlement_by_order;
  std::string list_settlements;
  std::string day_slips;
  std::string day_refunds;
  std::string day_tenders;
  std::string day_orders;
  std::string paid_orders;
};

// `engine` changes only what the dialects spell differently: SQLite's
// CROSS JOIN (which fixes the join order there) is a plain JOIN on
// PostgreSQL, and a JSON array of rows is read by json_each there and
// jsonb_array_elements_text here.
Statements BuildStatements(db::Engine engine) {
  const bool pg = engine == db::Engine::kPostgres;
  const absl::string_view cross_join = pg ? " JOIN " : " CROSS JOIN ";
  const absl::string_view page_rows =
      pg ? " (SELECT CAST(value AS BIGINT)"
           " FROM jsonb_array_elements_text(CAST(?1 AS jsonb)))"
         : " (SELECT value FROM json_each(?1))";
  const std::string columns = OrderColumns::SelectList();
  const auto list = [&](absl::string_view where, absl::string_view status) {
    return absl::StrCat(
        "SELECT ", columns, " FROM orders WHERE ", where, status,
        " id > ?3 AND create_time_us >= ?5 AND create_time_us < ?6"
        " ORDER BY id LIMIT ?7");
  };
  Statements s;
  s.get = absl::StrCat("SELECT ", columns,
                       " FROM orders WHERE order_id = ?1"
                       " AND (?2 = '' OR branch_id = ?2)");
  for (const bool status : {false, true}) {
    const absl::string_view by_status = status ? " status = ?4 AND" : "";
    const absl::string_view then_status = status ? " +status = ?4 AND" : "";
    s.list[0][0][status] = list("", by_status);
    s.list[0][1][status] = list("customer_id = ?2 AND", then_status);
    s.list[1][0][status] = list("branch_id = ?1 AND", by_status);
    s.list[1][1][status] =
        list("branch_id = ?1 AND customer_id = ?2 AND", then_status);
  }
  s.customer_orders =
      "SELECT order_id FROM orders WHERE customer_id = ?1 ORDER BY id";
  s.payments = absl::StrCat("SELECT ", PaymentColumns::SelectList(),
                            " FROM order_payments WHERE order_row = ?1"
                            " ORDER BY id");
  s.refunds = absl::StrCat("SELECT ", RefundColumns::SelectList(),
                           " FROM order_refunds WHERE order_row = ?1"
                           " ORDER BY id");
  // One statement for a whole page instead of two per order: each row of
  // the array is one probe of the (order_row, id) index.
  s.page_payments =
      absl::StrCat("SELECT ", PaymentColumns::SelectList(),
                   ", order_row FROM order_payments WHERE order_row IN",
                   page_rows, " ORDER BY id");
  s.page_refunds =
      absl::StrCat("SELECT ", RefundColumns::SelectList(),
                   ", order_row FROM order_refunds WHERE order_row IN",
                   page_rows, " ORDER BY id");
  // Served by the partial index order_payments_by_reference.
  s.by_reference = absl::StrCat(
      "SELECT o.order_id, o.branch_id FROM order_payments p"
      " JOIN orders o ON o.id = p.order_row"
      " WHERE p.method = ?1 AND p.external_reference = ?2 AND p.outcome = ",
      static_cast<int>(v1::PAYMENT_OUTCOME_SUCCEEDED),
      " AND p.external_reference != '' LIMIT 1");
  s.insert = OrderColumns::InsertInto("orders");
  s.update = absl::StrCat("UPDATE orders SET ", OrderColumns::Assignments(),
                          " WHERE id = ?", OrderColumns::kParams + 1,
                          " AND revision = ?",
                          OrderColumns::ParamOf("revision"), " - 1");
  s.insert_payment = PaymentColumns::InsertInto("order_payments");
  s.insert_refund = RefundColumns::InsertInto("order_refunds");
  s.erase_deliveries =
      "UPDATE orders SET delivery_recipient = '', delivery_phone = '',"
      " delivery_address = '' WHERE customer_id = ?1";
  s.insert_settlement = SettlementColumns::InsertInto("settlements");
  const std::string settlement_columns = SettlementColumns::SelectList();
  s.settlement_by_id = absl::StrCat("SELECT ", settlement_columns,
                                    " FROM settlements WHERE settlement_id = ?1"
                                    " AND (?2 = '' OR branch_id = ?2)");
  s.settlement_by_order = absl::StrCat("SELECT ", settlement_columns,
                                       " FROM settlements WHERE order_id = ?1"
                                       " AND (?2 = '' OR branch_id = ?2)");
  s.list_settlements = absl::StrCat(
      "SELECT ", settlement_columns,
      " FROM settlements WHERE branch_id = ?1 AND business_date >= ?2"
      " AND business_date <= ?3 AND id > ?4 ORDER BY id LIMIT ?5");
  // Reconciliation. Slips by settlements_by_branch_day; refunds by
  // order_refunds_by_time, joined to their order for the branch. CROSS JOIN
  // fixes the join order: the day's rows first, never every order the
  // branch ever had.
  s.day_slips =
      "SELECT order_id, total_minor, tenders FROM settlements"
      " WHERE branch_id = ?1 AND business_date = ?2 ORDER BY id";
  // The till's side: every succeeded tender recorded during the day, by
  // order_payments_by_time, joined to its order for the branch.
  s.day_tenders = absl::StrCat(
      "SELECT p.method, p.amount_minor FROM order_payments p", cross_join,
      "orders o ON o.id = p.order_row"
      " WHERE p.create_time_us >= ?1 AND p.create_time_us < ?2"
      " AND o.branch_id = ?3 AND p.outcome = ",
      static_cast<int>(v1::PAYMENT_OUTCOME_SUCCEEDED), " ORDER BY p.id");
  s.day_refunds =
      "SELECT o.order_id, r.method, r.amount_minor FROM order_refunds r"
      " JOIN orders o ON o.id = r.order_row"
      " WHERE r.create_time_us >= ?1 AND r.create_time_us < ?2"
      " AND o.branch_id = ?3 ORDER BY r.id";
  // The branch's orders touched during the day (created, tendered on,
  // refunded or settled), with their tenders and refunds summed. Each arm
  // is served by an index of schema version 2 (or the slips' index). The
  // tenders arm leaves out orders created during the day (the first arm
  // has them), and the outer query walks the arms' set (a temporary
  // B-tree in row order) by IN, so no second B-tree sorts the result: at
  // 10,000 orders a day this statement is most of GetDailyReconciliation's
  // time, and the two cut it by about a fifth.
  s.day_orders = absl::StrCat(
      "SELECT o.order_id, o.status, o.total_minor, o.paid_minor,"
      " (SELECT COALESCE(CAST(SUM(p.amount_minor) AS BIGINT), 0)"
      "  FROM order_payments p"
      "  WHERE p.order_row = o.id AND p.outcome = ",
      static_cast<int>(v1::PAYMENT_OUTCOME_SUCCEEDED),
      "),"
      " (SELECT COALESCE(CAST(SUM(r.amount_minor) AS BIGINT), 0)"
      "  FROM order_refunds r"
      "  WHERE r.order_row = o.id),"
      " s.total_minor"
      " FROM orders o LEFT JOIN settlements s ON s.order_row = o.id"
      " WHERE o.id IN ("
      " SELECT id FROM orders WHERE branch_id = ?3"
      " AND create_time_us >= ?1 AND create_time_us < ?2"
      " UNION SELECT p.order_row FROM order_payments p",
      cross_join,
      "orders o ON o.id = p.order_row"
      " WHERE p.create_time_us >= ?1 AND p.create_time_us < ?2"
      " AND o.branch_id = ?3"
      " AND NOT (o.create_time_us >= ?1 AND o.create_time_us < ?2)"
      " UNION SELECT r.order_row FROM order_refunds r",
      cross_join,
      "orders o ON o.id = r.order_row"
      " WHERE r.create_time_us >= ?1 AND r.create_time_us < ?2"
      " AND o.branch_id = ?3"
      " UNION SELECT order_row FROM settlements"
      " WHERE branch_id = ?3 AND business_date = ?4)"
      " ORDER BY o.id");
  s.paid_orders = absl::StrCat(
      "SELECT o.id, o.order_id, o.customer_id, o.branch_id,"
      " s.paid_time_us FROM settlements s",
      cross_join,
      "orders o"
      " ON o.id = s.order_row WHERE s.paid_time_us >= ?1"
      " AND s.paid_time_us < ?2 AND (s.paid_time_us > ?3 OR"
      " (s.paid_time_us = ?3 AND s.order_row > ?4))"
      " AND o.customer_id != ''"
      " ORDER BY s.paid_time_us, s.order_row LIMIT ?5");
  return s;
}

const Statements& Sql(db::Engine engine) {
  static const Statements* const sqlite =
      new Statements(BuildStatements(db::Engine::kSqlite));
  static const Statements* const postgres =
      new Statements(BuildStatements(db::Engine::kPostgres));
  return engine == db::Engine::kPostgres ? *postgres : *sqlite;
}

// Decodes the current orders row into `o` and then reads its payments and
// refunds. Returns the row id and revision.
std::pair<int64_t, int64_t> ReadOrder(db::Connection& conn, db::Stmt& s,
                                      Order& o) {
  DecodedOrder decoded{.order = &o};
  OrderColumns::Read(s, decoded);
  const std::string& currency = o.total().currency_code();
  {
    db::Stmt p = conn.Prepare(Sql(conn.engine()).payments);
    p->Bind(1, static_cast<int64_t>(decoded.row));
    while (p->Step()) {
      Payment* added = o.add_payments();
      PaymentColumns::Read(p, *added);
      added->mutable_amount()->set_currency_code(currency);
    }
  }
  {
    db::Stmt r = conn.Prepare(Sql(conn.engine()).refunds);
    r->Bind(1, static_cast<int64_t>(decoded.row));
    while (r->Step()) {
      Refund* added = o.add_refunds();
      RefundColumns::Read(r, *added);
      added->mutable_amount()->set_currency_code(currency);
    }
  }
  return {decoded.row, decoded.revision};
}

absl::Status FindOrder(db::Stmt& s, const std::string& order_id,
                       const std::string& branch_scope) {
  s->Bind(1, order_id);
  s->Bind(2, branch_scope);
  if (!s->Step()) {
    // Same answer for "missing" and "another branch's".
    return absl::NotFoundError(
        absl::StrCat("order '", order_id, "' not found"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<StoredOrder> GetOrder(db::Connection& conn,
                                     const std::string& order_id,
                                     const std::string& branch_scope) {
  return db::Guard("get order", [&]() -> absl::StatusOr<StoredOrder> {
    db::Stmt s = conn.Prepare(Sql(conn.engine()).get);
    RETURN_IF_ERROR(FindOrder(s, order_id, branch_scope));
    StoredOrder out;
    std::tie(out.row, out.revision) = ReadOrder(conn, s, out.order);
    return out;
  });
}

absl::Status GetOrder(db::Connection& conn, const std::string& order_id,
                      const std::string& branch_scope, Order* out) {
  return db::Guard("get order", [&]() -> absl::Status {
    db::Stmt s = conn.Prepare(Sql(conn.engine()).get);
    RETURN_IF_ERROR(FindOrder(s, order_id, branch_scope));
    ReadOrder(conn, s, *out);
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<int64_t>> ListOrders(db::Connection& conn,
                                                const OrderQuery& q,
                                                OrderList* out) {
  return db::Guard(
      "list orders", [&]() -> absl::StatusOr<std::vector<int64_t>> {
        std::string branch = q.branch_id;
        if (!q.branch_scope.empty()) {
          if (!branch.empty() && branch != q.branch_scope) {
            return std::vector<int64_t>{};
          }
          branch = q.branch_scope;
        }
        db::Stmt s =
            conn.Prepare(Sql(conn.engine())
                             .list[!branch.empty()][!q.customer_id.empty()]
                                  [q.status != v1::ORDER_STATUS_UNSPECIFIED]);
        s->Bind(1, branch);
        s->Bind(2, q.customer_id);
        s->Bind(3, static_cast<int64_t>(q.after_row));
        s->Bind(4, static_cast<int>(q.status));
        s->Bind(5, static_cast<int64_t>(q.create_start_micros));
        s->Bind(6, static_cast<int64_t>(q.create_end_micros));
        s->Bind(7, q.limit);
        std::vector<int64_t> rows;
        absl::flat_hash_map<int64_t, Order*> by_row;
        while (s->Step()) {
          Order* o = out->Add();
          DecodedOrder decoded{.order = o};
          OrderColumns::Read(s, decoded);
          rows.push_back(decoded.row);
          by_row[decoded.row] = o;
        }
        if (rows.empty()) return rows;
        const std::string page =
            absl::StrCat("[", absl::StrJoin(rows, ","), "]");
        {
          db::Stmt p = conn.Prepare(Sql(conn.engine()).page_payments);
          p->Bind(1, page);
          while (p->Step()) {
            Order* o = by_row.at(p->Int64(PaymentColumns::kResults));
            Payment* added = o->add_payments();
            PaymentColumns::Read(p, *added);
            added->mutable_amount()->set_currency_code(
                o->total().currency_code());
          }
        }
        {
          db::Stmt r = conn.Prepare(Sql(conn.engine()).page_refunds);
          r->Bind(1, page);
          while (r->Step()) {
            Order* o = by_row.at(r->Int64(RefundColumns::kResults));
            Refund* added = o->add_refunds();
            RefundColumns::Read(r, *added);
            added->mutable_amount()->set_currency_code(
                o->total().currency_code());
          }
        }
        return rows;
      });
}

absl::StatusOr<std::vector<std::string>> ListCustomerOrderIds(
    db::Connection& conn, const std::string& customer_id) {
  return db::Guard(
      "customer orders", [&]() -> absl::StatusOr<std::vector<std::string>> {
        db::Stmt s = conn.Prepare(Sql(conn.engine()).customer_orders);
        s->Bind(1, customer_id);
        std::vector<std::string> ids;
        while (s->Step()) ids.push_back(s->String(0));
        return ids;
      });
}

absl::StatusOr<std::optional<ReferenceUse>> FindSucceededReference(
    db::Connection& conn, v1::PaymentMethod method,
    const std::string& external_reference) {
  return db::Guard("find reference",
                   [&]() -> absl::StatusOr<std::optional<ReferenceUse>> {
                     db::Stmt s = conn.Prepare(Sql(conn.engine()).by_reference);
                     s->Bind(1, static_cast<int>(method));
                     s->Bind(2, external_reference);
                     if (!s->Step()) return std::optional<ReferenceUse>();
                     return std::optional<ReferenceUse>(
                         ReferenceUse{s->String(0), s->String(1)});
                   });
}

absl::Status InsertOrder(db::Connection& conn, StoredOrder& o) {
  return db::Guard("insert order", [&] {
    db::Stmt s = conn.PrepareInsert(Sql(conn.engine()).insert);
    OrderColumns::Bind(s, o);
    o.row = conn.ExecInsert(s);
    return absl::OkStatus();
  });
}

absl::Status UpdateOrder(db::Connection& conn, const StoredOrder& o) {
  return db::Guard("update order", [&] {
    db::Stmt s = conn.Prepare(Sql(conn.engine()).update);
    OrderColumns::Bind(s, o);
    s->Bind(OrderColumns::kParams + 1, static_cast<int64_t>(o.row));
    if (s->Exec() != 1) {
      // Only the writer thread writes, so this means a bug, not a race.
      return absl::AbortedError("order changed concurrently");
    }
    return absl::OkStatus();
  });
}

absl::Status InsertPayment(db::Connection& conn, int64_t order_row,
                           const Payment& p) {
  return db::Guard("insert payment", [&] {
    db::Stmt s = conn.Prepare(Sql(conn.engine()).insert_payment);
    PaymentColumns::Bind(s, NewPayment{order_row, p});
    s->Exec();
    return absl::OkStatus();
  });
}

absl::Status InsertRefund(db::Connection& conn, int64_t order_row,
                          const Refund& r) {
  return db::Guard("insert refund", [&] {
    db::Stmt s = conn.Prepare(Sql(conn.engine()).insert_refund);
    RefundColumns::Bind(s, NewRefund{order_row, r});
    s->Exec();
    return absl::OkStatus();
  });
}

absl::Status EraseDeliveries(db::Connection& conn,
                             const std::string& customer_id) {
  return db::Guard("erase deliveries", [&] {
    db::Stmt s = conn.Prepare(Sql(conn.engine()).erase_deliveries);
    s->Bind(1, customer_id);
    s->Exec();
    return absl::OkStatus();
  });
}

absl::Status InsertSettlement(db::Connection& conn, int64_t order_row,
                              const Settlement& st) {
  return db::Guard("insert settlement", [&] {
    db::Stmt s = conn.Prepare(Sql(conn.engine()).insert_settlement);
    SettlementColumns::Bind(s, NewSettlement{order_row, st});
    s->Exec();
    return absl::OkStatus();
  });
}

absl::Status GetSettlement(db::Connection& conn,
                           const std::string& settlement_id,
                           const std::string& order_id,
                           const std::string& branch_scope, Settlement* out) {
  return db::Guard("get settlement", [&]() -> absl::Status {
    const bool by_id = !settlement_id.empty();
    db::Stmt s = conn.Prepare(by_id ? Sql(conn.engine()).settlement_by_id
                                    : Sql(conn.engine()).settlement_by_order);
    s->Bind(1, by_id ? settlement_id : order_id);
    s->Bind(2, branch_scope);
    if (!s->Step()) {
      return absl::NotFoundError(
          by_id ? absl::StrCat("settlement '", settlement_id, "' not found")
                : absl::StrCat("no settlement for order '", order_id,
                               "' (not found, or not paid)"));
    }
    DecodedSettlement decoded{.s = out};
    SettlementColumns::Read(s, decoded);
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<int64_t>> ListSettlements(db::Connection& conn,
                                                     const SettlementQuery& q,
                                                     SettlementList* out) {
  return db::Guard(
      "list settlements", [&]() -> absl::StatusOr<std::vector<int64_t>> {
        db::Stmt s = conn.Prepare(Sql(conn.engine()).list_settlements);
        s->Bind(1, q.branch_id);
        s->Bind(2, q.start_date);
        s->Bind(3, q.end_date);
        s->Bind(4, static_cast<int64_t>(q.after_row));
        s->Bind(5, q.limit);
        std::vector<int64_t> rows;
        while (s->Step()) {
          DecodedSettlement decoded{.s = out->Add()};
          SettlementColumns::Read(s, decoded);
          rows.push_back(decoded.row);
        }
        return rows;
      });
}

absl::StatusOr<DayRecords> ReadDay(db::Connection& conn, const DayQuery& q) {
  return db::Guard("read day", [&]() -> absl::StatusOr<DayRecords> {
    // One snapshot for every figure: a payment or refund committed between
    // two of these queries must not appear in one and not the other.
    struct ReadTransaction {
      db::Connection& conn;
      // PostgreSQL reads already run in one REPEATABLE READ transaction
      // (Database::Read); SQLite's run statement by statement.
      explicit ReadTransaction(db::Connection& c)
          : conn(c), own(c.engine() == db::Engine::kSqlite) {
        if (own) conn.Exec("BEGIN");
      }
      bool own;
      ~ReadTransaction() {
        if (!own) return;
        try {
          conn.Exec("COMMIT");
        } catch (const std::exception&) {
          try {
            conn.Exec("ROLLBACK");
          } catch (const std::exception&) {
          }
        }
      }
    } transaction(conn);
    DayRecords out;
    {
      db::Stmt s = conn.Prepare(Sql(conn.engine()).day_slips);
      s->Bind(1, q.branch_id);
      s->Bind(2, q.business_date);
      while (s->Step()) {
        DaySlip slip;
        slip.order_id = s->String(0);
        slip.total_minor = s->Int64(1);
        Settlement tenders;
        const absl::string_view blob = s->Blob(2);
        if (!tenders.ParseFromArray(blob.data(),
                                    static_cast<int>(blob.size()))) {
          return absl::InternalError(
              absl::StrCat("the tenders of the slip of order '", slip.order_id,
                           "' cannot be read"));
        }
        for (const v1::SettlementTender& t : tenders.tenders()) {
          out.sales.push_back(
              {slip.order_id, t.method(), t.amount().minor_units()});
          if (__builtin_add_overflow(slip.tenders_minor,
                                     t.amount().minor_units(),
                                     &slip.tenders_minor)) {
            slip.tenders_overflow = true;
          }
        }
        out.slips.push_back(std::move(slip));
      }
    }
    {
      db::Stmt s = conn.Prepare(Sql(conn.engine()).day_tenders);
      s->Bind(1, static_cast<int64_t>(q.start_micros));
      s->Bind(2, static_cast<int64_t>(q.end_micros));
      s->Bind(3, q.branch_id);
      while (s->Step()) {
        out.tenders.push_back(
            {static_cast<v1::PaymentMethod>(s->Int(0)), s->Int64(1)});
      }
    }
    {
      db::Stmt s = conn.Prepare(Sql(conn.engine()).day_refunds);
      s->Bind(1, static_cast<int64_t>(q.start_micros));
      s->Bind(2, static_cast<int64_t>(q.end_micros));
      s->Bind(3, q.branch_id);
      while (s->Step()) {
        out.refunds.push_back({s->String(0),
                               static_cast<v1::PaymentMethod>(s->Int(1)),
                               s->Int64(2)});
      }
    }
    {
      db::Stmt s = conn.Prepare(Sql(conn.engine()).day_orders);
      s->Bind(1, static_cast<int64_t>(q.start_micros));
      s->Bind(2, static_cast<int64_t>(q.end_micros));
      s->Bind(3, q.branch_id);
      s->Bind(4, q.business_date);
      while (s->Step()) {
        DayOrder o;
        o.order_id = s->String(0);
        o.status = static_cast<v1::OrderStatus>(s->Int(1));
        o.total_minor = s->Int64(2);
        o.paid_minor = s->Int64(3);
        o.succeeded_minor = s->Int64(4);
        o.refunded_minor = s->Int64(5);
        if (!s->IsNull(6)) o.slip_total_minor = s->Int64(6);
        out.orders.push_back(std::move(o));
      }
    }
    return out;
  });
}

absl::StatusOr<std::vector<PaidOrderRow>> ListPaidOrders(
    db::Connection& conn, int64_t from_us, int64_t to_us, int64_t after_paid_us,
    int64_t after_row, int limit) {
  return db::Guard("paid orders",
                   [&]() -> absl::StatusOr<std::vector<PaidOrderRow>> {
                     // Served by settlements_by_paid_time (schema version 5); a
                     // slip is written exactly when its order becomes paid.
                     db::Stmt s = conn.Prepare(Sql(conn.engine()).paid_orders);
                     s->Bind(1, static_cast<int64_t>(from_us));
                     s->Bind(2, static_cast<int64_t>(to_us));
                     s->Bind(3, static_cast<int64_t>(after_paid_us));
                     s->Bind(4, static_cast<int64_t>(after_row));
                     s->Bind(5, limit);
                     std::vector<PaidOrderRow> out;
                     while (s->Step()) {
                       out.push_back({s->Int64(0), s->String(1), s->String(2),
                                      s->String(3), s->Int64(4)});
                     }
                     return out;
                   });
}

}  // namespace retail::orders
