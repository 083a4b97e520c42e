// What the customers module offers other modules (through ModuleRegistry):
// changes to a customer made inside the caller's own write transaction, so
// that, e.g., an order and the customer's purchase totals commit together.
#ifndef RETAIL_SERVER_CUSTOMERS_CUSTOMER_DIRECTORY_H_
#define RETAIL_SERVER_CUSTOMERS_CUSTOMER_DIRECTORY_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "common/db/mutation.h"

namespace retail::customers {

class CustomerDirectory {
 public:
  virtual ~CustomerDirectory() = default;

  // Adds one purchase to a customer's aggregates and recomputes the tier,
  // inside the caller's write transaction (ctx.conn). NOT_FOUND if the
  // customer does not exist or is outside the caller's branch scope;
  // FAILED_PRECONDITION (CUSTOMER_ERASED) if erased.
  virtual absl::Status RecordPurchase(db::MutationContext& ctx,
                                      const std::string& customer_id,
                                      int64_t amount_minor,
                                      int64_t purchase_micros) = 0;
};

}  // namespace retail::customers

#endif  // RETAIL_SERVER_CUSTOMERS_CUSTOMER_DIRECTORY_H_
