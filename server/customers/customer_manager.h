// Domain rules for customer profiles: validation, access, masking, tiering,
// points, erasure. No gRPC here: a manager is driven by tests directly.
//
// Every method answers through `reply` exactly once. Reads answer on the
// calling thread unless a PII reveal must be audited first; writes answer on
// the writer's ack thread after their commit is durable.
#ifndef RETAIL_SERVER_CUSTOMERS_CUSTOMER_MANAGER_H_
#define RETAIL_SERVER_CUSTOMERS_CUSTOMER_MANAGER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/auth.h"
#include "common/clock.h"
#include "common/db/database.h"
#include "common/db/mutation.h"
#include "common/pagination.h"
#include "common/reply.h"
#include "retail/customers/v1/customers.pb.h"
#include "server/customers/customer_directory.h"
#include "server/customers/tier_policy.h"
#include "server/module_registry.h"

namespace retail::customers {

using ::retail::Reply;
using PrincipalPtr = std::shared_ptr<const Principal>;

struct CustomerOptions {
  TierThresholds tiers;
  std::string currency_code = "CNY";
};

// Masks a stored profile as GetCustomer without reveal_pii shows it to
// `caller` (the event stream's view of customer states).
void ShowCustomerState(const Principal& caller, v1::Customer* c);

class CustomerManager final : public CustomerDirectory {
 public:
  // `registry`, if given, supplies the other modules' parts of a person's
  // data for ExportCustomerData and EraseCustomer.
  CustomerManager(db::Database& db, const Clock& clock, CustomerOptions options,
                  const ModuleRegistry* registry = nullptr);

  void CreateCustomer(CallMeta call, const v1::CreateCustomerRequest& req,
                      Reply<v1::CreateCustomerResponse> reply);
  void GetCustomer(CallMeta call, const v1::GetCustomerRequest& req,
                   Reply<v1::GetCustomerResponse> reply);
  void UpdateCustomer(CallMeta call, const v1::UpdateCustomerRequest& req,
                      Reply<v1::UpdateCustomerResponse> reply);
  void ListCustomers(CallMeta call, const v1::ListCustomersRequest& req,
                     Reply<v1::ListCustomersResponse> reply);
  void SearchCustomers(CallMeta call, const v1::SearchCustomersRequest& req,
                       Reply<v1::SearchCustomersResponse> reply);
  void AdjustPoints(CallMeta call, const v1::AdjustPointsRequest& req,
                    Reply<v1::AdjustPointsResponse> reply);
  void ListPointsTransactions(CallMeta call,
                              const v1::ListPointsTransactionsRequest& req,
                              Reply<v1::ListPointsTransactionsResponse> reply);
  void ExportCustomerData(CallMeta call,
                          const v1::ExportCustomerDataRequest& req,
                          Reply<v1::ExportCustomerDataResponse> reply);
  void EraseCustomer(CallMeta call, const v1::EraseCustomerRequest& req,
                     Reply<v1::EraseCustomerResponse> reply);

  // Tiers depend on time as well as on writes: a customer with no purchase
  // within `active_days` drops to POTENTIAL. This recomputes up to `limit`
  // lapsed customers in one write transaction (with an event each and one
  // audit row) and returns how many changed. Blocks until durable: call it
  // from a maintenance thread, never from a gRPC handler.
  absl::StatusOr<int> SweepLapsedTiers(int limit = 10'000);

  // Adds one purchase to a customer's aggregates and recomputes the tier,
  // inside the caller's write transaction (the orders service calls this
  // from its own mutation so order and profile commit together).
  absl::Status RecordPurchase(db::MutationContext& ctx,
                              const std::string& customer_id,
                              int64_t amount_minor, int64_t purchase_micros,
                              bool new_order = true) override;
  absl::Status CheckCustomerActive(db::Connection& conn,
                                   const std::string& customer_id) override;
  absl::StatusOr<int64_t> ChangePoints(db::MutationContext& ctx,
                                       const std::string& customer_id,
                                       int64_t delta,
                                       const std::string& reason) override;
  absl::StatusOr<Contact> GetContact(db::Connection& conn,
                                     const std::string& customer_id) override;
  absl::StatusOr<std::vector<VipBirthday>> ListVipBirthdays(
      db::Connection& conn, int64_t after_row, int limit) override;
  absl::Status RecordReturn(db::MutationContext& ctx,
                            const std::string& customer_id,
                            int64_t amount_minor,
                            bool order_fully_returned) override;
  absl::StatusOr<int64_t> TakeBackPoints(db::MutationContext& ctx,
                                         const std::string& customer_id,
                                         int64_t max_points,
                                         const std::string& reason) override;

 private:
  // Replies `status` to a read whose answer is already in `reply.out()`,
  // after auditing the reveal when an agent unmasked PII.
  template <typename Response>
  void FinishRead(const db::CallMeta& meta, bool audited_reveal,
                  absl::Status status, Reply<Response> reply);

  db::Database& db_;
  const Clock& clock_;
  const ModuleRegistry* const registry_;
  const CustomerOptions options_;
  const PageTokenCodec tokens_;
};

}  // namespace retail::customers

#endif  // RETAIL_SERVER_CUSTOMERS_CUSTOMER_MANAGER_H_
