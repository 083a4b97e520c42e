// SQL for customer profiles and the points ledger. Prepared statements only;
// every query that can return a customer takes the caller's branch scope, so
// a branch principal cannot read or change another branch's rows.
#ifndef RETAIL_SERVER_CUSTOMERS_CUSTOMER_STORE_H_
#define RETAIL_SERVER_CUSTOMERS_CUSTOMER_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/db/connection.h"
#include "retail/customers/v1/customers.pb.h"

namespace retail::customers {

using ::retail::customers::v1::Customer;
using ::retail::customers::v1::CustomerTier;
using ::retail::customers::v1::PointsTransaction;

// A customer row: the API resource plus the keys the API does not show.
struct StoredCustomer {
  int64_t row = 0;       // INTEGER PRIMARY KEY, the keyset paging key
  int64_t revision = 0;  // bumped on every change; the etag derives from it
  Customer customer;     // unmasked
};

struct ListQuery {
  std::string branch_scope;                           // "" = all branches
  std::string branch_id;                              // filter; "" = any
  CustomerTier tier = v1::CUSTOMER_TIER_UNSPECIFIED;  // filter; 0 = any
  std::optional<bool> marketing_consent;              // filter
  int64_t after_row = 0;
  int limit = 50;
};

struct SearchQuery {
  enum class By { kPhone, kEmail, kName };
  By by = By::kPhone;
  std::string value;  // normalised phone / lower-cased email / name fragment
  std::string branch_scope;
  int64_t after_row = 0;
  int limit = 50;
};

using CustomerList = google::protobuf::RepeatedPtrField<Customer>;

// Reads. NOT_FOUND if the id does not exist or is outside `branch_scope`.
absl::StatusOr<StoredCustomer> GetCustomer(db::Connection& conn,
                                           const std::string& customer_id,
                                           const std::string& branch_scope);
// The same, decoded straight into `out` (e.g. a response on its arena).
absl::Status GetCustomer(db::Connection& conn, const std::string& customer_id,
                         const std::string& branch_scope, Customer* out);
// List and Search append the rows to `out` (a response's repeated field) and
// return their row ids, the keys for the next page token.
absl::StatusOr<std::vector<int64_t>> ListCustomers(db::Connection& conn,
                                                   const ListQuery& q,
                                                   CustomerList* out);
absl::StatusOr<std::vector<int64_t>> SearchCustomers(db::Connection& conn,
                                                     const SearchQuery& q,
                                                     CustomerList* out);
// The id of the customer holding `phone`, if any.
absl::StatusOr<std::optional<std::string>> FindCustomerIdByPhone(
    db::Connection& conn, const std::string& phone);

// Customers holding an active tier (REGULAR or VIP) whose last purchase is
// older than `cutoff_micros` (or who never bought), at most `limit`.
absl::StatusOr<std::vector<StoredCustomer>> ListLapsedTierCustomers(
    db::Connection& conn, int64_t cutoff_micros, int limit);

// Writes (writer connection only). InsertCustomer sets `c.row`.
// UpdateCustomer writes every column of `c` where the row still has
// `c.revision - 1`, and fails with ABORTED otherwise.
absl::Status InsertCustomer(db::Connection& conn, StoredCustomer& c);
absl::Status UpdateCustomer(db::Connection& conn, const StoredCustomer& c);

// The points ledger.
absl::Status InsertPointsTransaction(db::Connection& conn, int64_t customer_row,
                                     const PointsTransaction& t);
// Empties the free-text reason of every ledger entry of a customer (erasure).
absl::Status ErasePointsReasons(db::Connection& conn, int64_t customer_row);
absl::StatusOr<std::vector<std::pair<int64_t, PointsTransaction>>>
ListPointsTransactions(db::Connection& conn, int64_t customer_row,
                       int64_t after_row, int limit);

}  // namespace retail::customers

#endif  // RETAIL_SERVER_CUSTOMERS_CUSTOMER_STORE_H_
