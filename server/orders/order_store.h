// SQL for orders, tender attempts, refunds and settlement slips. Prepared
// statements only; every query that can return an order or a slip takes the
// caller's branch scope, so a branch principal never reads or changes
// another branch's rows (they are NOT_FOUND).
#ifndef RETAIL_SERVER_ORDERS_ORDER_STORE_H_
#define RETAIL_SERVER_ORDERS_ORDER_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/db/connection.h"
#include "retail/orders/v1/orders.pb.h"

namespace retail::orders {

using ::retail::orders::v1::Order;
using ::retail::orders::v1::Payment;
using ::retail::orders::v1::Refund;
using ::retail::orders::v1::Settlement;

// An orders row: the API resource plus the keys the API does not show.
struct StoredOrder {
  int64_t row = 0;       // INTEGER PRIMARY KEY, the keyset paging key
  int64_t revision = 0;  // bumped on every change (events)
  Order order;           // unmasked, with payments and refunds
};

struct OrderQuery {
  std::string branch_scope;                               // "" = all branches
  std::string branch_id;                                  // filter; "" = any
  std::string customer_id;                                // filter; "" = any
  v1::OrderStatus status = v1::ORDER_STATUS_UNSPECIFIED;  // 0 = any
  int64_t create_start_micros = INT64_MIN;                // inclusive
  int64_t create_end_micros = INT64_MAX;                  // exclusive
  int64_t after_row = 0;
  int limit = 50;
};

struct SettlementQuery {
  std::string branch_id;
  int32_t start_date = 0;  // yyyymmdd, inclusive
  int32_t end_date = 0;    // yyyymmdd, inclusive
  int64_t after_row = 0;
  int limit = 50;
};

using OrderList = google::protobuf::RepeatedPtrField<Order>;
using SettlementList = google::protobuf::RepeatedPtrField<Settlement>;

// Reads. NOT_FOUND if the order does not exist or is outside
// `branch_scope`. The order comes with its payments and refunds.
absl::StatusOr<StoredOrder> GetOrder(db::Connection& conn,
                                     const std::string& order_id,
                                     const std::string& branch_scope);
// The same, decoded straight into `out` (e.g. a response on its arena).
absl::Status GetOrder(db::Connection& conn, const std::string& order_id,
                      const std::string& branch_scope, Order* out);
// Appends the page to `out` and returns the rows' ids (paging keys).
absl::StatusOr<std::vector<int64_t>> ListOrders(db::Connection& conn,
                                                const OrderQuery& q,
                                                OrderList* out);
// Every order of a customer (any branch), oldest first.
absl::StatusOr<std::vector<std::string>> ListCustomerOrderIds(
    db::Connection& conn, const std::string& customer_id);

// The order (id and branch) a succeeded tender of `method` with
// `external_reference` already paid, if any.
struct ReferenceUse {
  std::string order_id;
  std::string branch_id;
};
absl::StatusOr<std::optional<ReferenceUse>> FindSucceededReference(
    db::Connection& conn, v1::PaymentMethod method,
    const std::string& external_reference);

// Writes (writer connection only). InsertOrder sets `o.row`; it writes the
// order's own columns, not its payments or refunds. UpdateOrder writes the
// row where it still has `o.revision - 1`, ABORTED otherwise.
absl::Status InsertOrder(db::Connection& conn, StoredOrder& o);
absl::Status UpdateOrder(db::Connection& conn, const StoredOrder& o);
absl::Status InsertPayment(db::Connection& conn, int64_t order_row,
                           const Payment& p);
absl::Status InsertRefund(db::Connection& conn, int64_t order_row,
                          const Refund& r);
// Empties the delivery details of every order of the customer (erasure).
absl::Status EraseDeliveries(db::Connection& conn,
                             const std::string& customer_id);

// Settlement slips. `business_date` is yyyymmdd.
absl::Status InsertSettlement(db::Connection& conn, int64_t order_row,
                              const Settlement& s);
// By slip id or by order id (exactly one non-empty); NOT_FOUND outside
// `branch_scope`.
absl::Status GetSettlement(db::Connection& conn,
                           const std::string& settlement_id,
                           const std::string& order_id,
                           const std::string& branch_scope, Settlement* out);
absl::StatusOr<std::vector<int64_t>> ListSettlements(db::Connection& conn,
                                                     const SettlementQuery& q,
                                                     SettlementList* out);

// Daily reconciliation: what one branch's business day holds, read in one
// snapshot (a single read transaction), so every figure agrees.
struct DayQuery {
  std::string branch_id;
  int32_t business_date = 0;  // yyyymmdd: selects the day's slips
  int64_t start_micros = 0;   // local midnight, inclusive
  int64_t end_micros = 0;     // next local midnight, exclusive
};
// A tender on one of the day's slips.
struct DaySale {
  std::string order_id;
  v1::PaymentMethod method = v1::PAYMENT_METHOD_UNSPECIFIED;
  int64_t amount_minor = 0;
};
// A slip of the day: its total and its tenders' sum (which must agree).
struct DaySlip {
  std::string order_id;
  int64_t total_minor = 0;
  int64_t tenders_minor = 0;
  bool tenders_overflow = false;
};
// A refund recorded during the day.
struct DayRefund {
  std::string order_id;
  v1::PaymentMethod method = v1::PAYMENT_METHOD_UNSPECIFIED;
  int64_t amount_minor = 0;
};
// An order touched during the day (created, tendered on, refunded or
// settled), with sums recomputed from its payment and refund rows.
struct DayOrder {
  std::string order_id;
  v1::OrderStatus status = v1::ORDER_STATUS_UNSPECIFIED;
  int64_t total_minor = 0;
  int64_t paid_minor = 0;       // the order's own column
  int64_t succeeded_minor = 0;  // sum of its succeeded tenders, ever
  int64_t refunded_minor = 0;   // sum of its refunds, ever
  std::optional<int64_t> slip_total_minor;  // its slip's total, if any
};
// A succeeded tender recorded during the day (any order of the branch).
struct DayTender {
  v1::PaymentMethod method = v1::PAYMENT_METHOD_UNSPECIFIED;
  int64_t amount_minor = 0;
};
struct DayRecords {
  std::vector<DaySale> sales;
  std::vector<DayTender> tenders;
  std::vector<DaySlip> slips;
  std::vector<DayRefund> refunds;
  std::vector<DayOrder> orders;  // oldest first
};
absl::StatusOr<DayRecords> ReadDay(db::Connection& conn, const DayQuery& q);

// Member orders that became paid in [from_us, to_us), by (paid time,
// order row) after the keyset, at most `limit`; each as (order row, order
// id, customer id, branch id, paid time).
struct PaidOrderRow {
  int64_t row = 0;
  std::string order_id;
  std::string customer_id;
  std::string branch_id;
  int64_t paid_us = 0;
};
absl::StatusOr<std::vector<PaidOrderRow>> ListPaidOrders(
    db::Connection& conn, int64_t from_us, int64_t to_us, int64_t after_paid_us,
    int64_t after_row, int limit);

}  // namespace retail::orders

#endif  // RETAIL_SERVER_ORDERS_ORDER_STORE_H_
