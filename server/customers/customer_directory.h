// What the customers module offers other modules (through ModuleRegistry):
// changes to a customer made inside the caller's own write transaction, so
// that, e.g., an order and the customer's purchase totals commit together.
#ifndef RETAIL_SERVER_CUSTOMERS_CUSTOMER_DIRECTORY_H_
#define RETAIL_SERVER_CUSTOMERS_CUSTOMER_DIRECTORY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/db/connection.h"
#include "common/db/mutation.h"

namespace retail::customers {

class CustomerDirectory {
 public:
  virtual ~CustomerDirectory() = default;

  // Adds a purchase of `amount_minor` to a customer's aggregates (and one
  // to the order count when `new_order`: an exchange's new order continues
  // the purchase it came from and does not count again) and recomputes the
  // tier, inside the caller's write transaction (ctx.conn). It runs on the
  // order's authority: the caller's branch scope does not apply (a member
  // buys in any branch), and an erased customer's anonymised aggregates are
  // updated too. NOT_FOUND if the customer does not exist.
  virtual absl::Status RecordPurchase(db::MutationContext& ctx,
                                      const std::string& customer_id,
                                      int64_t amount_minor,
                                      int64_t purchase_micros,
                                      bool new_order = true) = 0;

  // The counterpart of RecordPurchase when goods come back: takes
  // `amount_minor` off the customer's total spend (never below zero), and
  // one off the order count when `order_fully_returned` (the purchase no
  // longer counts; not when the last goods went out as an exchange, whose
  // new order continues it), then recomputes the tier. Same authority and
  // transaction rules as RecordPurchase.
  virtual absl::Status RecordReturn(db::MutationContext& ctx,
                                    const std::string& customer_id,
                                    int64_t amount_minor,
                                    bool order_fully_returned) = 0;

  // A customer's name and phone as stored (unmasked; the caller masks per
  // its own policy), read on `conn`, any branch. Empty after erasure.
  // NOT_FOUND if the customer does not exist.
  struct Contact {
    std::string display_name;
    std::string phone;
    std::string branch_id;  // the customer's home branch
    bool vip = false;       // tier VIP now
    int birth_month = 0;    // 0 when unknown (or erased)
    int birth_day = 0;
    bool erased = false;
  };
  virtual absl::StatusOr<Contact> GetContact(
      db::Connection& conn, const std::string& customer_id) = 0;

  // VIPs (any branch, not erased) with a known birthday, in row order after
  // row `after_row`, at most `limit`: (row, customer id, birth month, birth
  // day). For time-driven care such as birthday follow-ups.
  struct VipBirthday {
    int64_t row = 0;
    std::string customer_id;
    int month = 0;
    int day = 0;
  };
  virtual absl::StatusOr<std::vector<VipBirthday>> ListVipBirthdays(
      db::Connection& conn, int64_t after_row, int limit) = 0;

  // OK if the customer exists in any branch (a member buys anywhere) and is
  // not erased, read on `conn`; NOT_FOUND or FAILED_PRECONDITION
  // (CUSTOMER_ERASED) otherwise.
  virtual absl::Status CheckCustomerActive(db::Connection& conn,
                                           const std::string& customer_id) = 0;

  // Adds `delta` points (negative: a debit) to the customer's balance with a
  // ledger row giving `reason` (which names the order), inside the caller's
  // write transaction, on the order's authority (no branch scope; erased
  // customers' balances too). Returns the new balance. NOT_FOUND if the
  // customer does not exist; FAILED_PRECONDITION (INSUFFICIENT_POINTS) if
  // the balance would go below zero, and then nothing is written.
  virtual absl::StatusOr<int64_t> ChangePoints(db::MutationContext& ctx,
                                               const std::string& customer_id,
                                               int64_t delta,
                                               const std::string& reason) = 0;

  // Debits up to `max_points` (> 0), as far as the balance allows (it never
  // goes below zero), with a ledger row giving `reason`, on the order's
  // authority. Returns the points actually debited (0 writes nothing).
  // Used to take back points earned on goods that came back.
  virtual absl::StatusOr<int64_t> TakeBackPoints(db::MutationContext& ctx,
                                                 const std::string& customer_id,
                                                 int64_t max_points,
                                                 const std::string& reason) = 0;
};

}  // namespace retail::customers

#endif  // RETAIL_SERVER_CUSTOMERS_CUSTOMER_DIRECTORY_H_
