// What the orders module offers other modules (through ModuleRegistry):
// checks on orders and returns that another module's record refers to,
// read on the caller's connection (inside its transaction when it writes).
#ifndef RETAIL_SERVER_ORDERS_ORDER_DIRECTORY_H_
#define RETAIL_SERVER_ORDERS_ORDER_DIRECTORY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/db/connection.h"

namespace retail::orders {

class OrderDirectory {
 public:
  virtual ~OrderDirectory() = default;

  // The branch of order `order_id` if it exists in `branch_scope` (the
  // caller's BranchScope; "" = any branch) and was bought by `customer_id`.
  // NOT_FOUND naming `field` if it does not exist there (a branch learns
  // nothing of another branch's orders); FAILED_PRECONDITION
  // (ORDER_OF_ANOTHER_CUSTOMER) if it is another customer's (or a
  // walk-in's).
  virtual absl::StatusOr<std::string> CheckOrderOfCustomer(
      db::Connection& conn, const std::string& order_id,
      const std::string& customer_id, const std::string& field,
      const std::string& branch_scope) = 0;

  // Member orders (customer_id set) that became paid in [from_us, to_us),
  // by paid time then row, after the keyset (after_paid_us, after_row), at
  // most `limit`. For time-driven follow-ups ("7 days after a VIP
  // purchase").
  struct PaidOrder {
    int64_t row = 0;
    std::string order_id;
    std::string customer_id;
    std::string branch_id;
    int64_t paid_us = 0;
  };
  virtual absl::StatusOr<std::vector<PaidOrder>> ListPaidOrders(
      db::Connection& conn, int64_t from_us, int64_t to_us,
      int64_t after_paid_us, int64_t after_row, int limit) = 0;

  // OK if return `return_id` exists and belongs to order `order_id`;
  // NOT_FOUND naming `field` otherwise.
  virtual absl::Status CheckReturnOfOrder(db::Connection& conn,
                                          const std::string& return_id,
                                          const std::string& order_id,
                                          const std::string& field) = 0;
};

}  // namespace retail::orders

#endif  // RETAIL_SERVER_ORDERS_ORDER_DIRECTORY_H_
