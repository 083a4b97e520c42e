// SQL for returns and exchanges (order_returns). A return is stored whole as
// a serialised Return; its id, order, branch, customer and status are also
// columns for the queries. Every query that can return a return takes the
// caller's branch scope: another branch's return is NOT_FOUND.
#ifndef RETAIL_SERVER_ORDERS_RETURN_STORE_H_
#define RETAIL_SERVER_ORDERS_RETURN_STORE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/db/connection.h"
#include "retail/orders/v1/orders.pb.h"

namespace retail::orders {

struct StoredReturn {
  int64_t row = 0;        // INTEGER PRIMARY KEY, the keyset paging key
  int64_t revision = 0;   // bumped on every change (events)
  int64_t order_row = 0;  // the order's row
  v1::Return ret;
};

struct ReturnQuery {
  std::string branch_scope;                                 // "" = all branches
  std::string branch_id;                                    // filter; "" = any
  int64_t order_row = 0;                                    // filter; 0 = any
  v1::ReturnStatus status = v1::RETURN_STATUS_UNSPECIFIED;  // 0 = any
  int64_t after_row = 0;
  int limit = 50;
};

// NOT_FOUND if the return does not exist or is outside `branch_scope`.
absl::StatusOr<StoredReturn> GetReturn(db::Connection& conn,
                                       const std::string& return_id,
                                       const std::string& branch_scope);
// Appends the page to `out` and returns the rows' ids (paging keys).
absl::StatusOr<std::vector<int64_t>> ListReturns(
    db::Connection& conn, const ReturnQuery& q,
    google::protobuf::RepeatedPtrField<v1::Return>* out);
// Every return of one order, oldest first (the policy counts them).
absl::StatusOr<std::vector<v1::Return>> ListOrderReturns(db::Connection& conn,
                                                         int64_t order_row);
// Every return of a customer's orders, oldest first (export, erasure).
absl::StatusOr<std::vector<StoredReturn>> ListCustomerReturns(
    db::Connection& conn, const std::string& customer_id);

// Writes (writer connection only). InsertReturn sets `r.row`. UpdateReturn
// writes the row where it still has `r.revision - 1`, ABORTED otherwise.
absl::Status InsertReturn(db::Connection& conn, StoredReturn& r);
absl::Status UpdateReturn(db::Connection& conn, const StoredReturn& r);

}  // namespace retail::orders

#endif  // RETAIL_SERVER_ORDERS_RETURN_STORE_H_
