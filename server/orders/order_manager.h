// Domain rules for orders, payments and settlement slips: validation,
// totals (with overflow checks), payment and points rules, masking of
// delivery details, cancellation refunds. No gRPC here: a manager is driven
// by tests directly.
//
// Every method answers through `reply` exactly once. Reads answer on the
// calling thread unless a PII reveal must be audited first; writes answer on
// the writer's ack thread after their commit is durable.
#ifndef RETAIL_SERVER_ORDERS_ORDER_MANAGER_H_
#define RETAIL_SERVER_ORDERS_ORDER_MANAGER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/auth.h"
#include "common/clock.h"
#include "common/db/database.h"
#include "common/db/mutation.h"
#include "common/pagination.h"
#include "common/reply.h"
#include "common/status.h"
#include "retail/orders/v1/orders.pb.h"
#include "server/customers/customer_directory.h"
#include "server/module_registry.h"
#include "server/orders/order_directory.h"

namespace retail::orders {

using ::retail::Reply;
using PrincipalPtr = std::shared_ptr<const Principal>;

inline constexpr int kMaxOrderLines = 500;

struct OrderOptions {
  std::string currency_code = "CNY";
  // The chain's time zone: a slip's business day is paid_time's day here.
  absl::TimeZone time_zone = absl::UTCTimeZone();
  // Points debited per 100 minor units (¥1) paid with points.
  int64_t points_per_yuan = 100;
  // Points earned per 100 minor units (¥1) paid with other tenders.
  int64_t points_earned_per_yuan = 1;
  // Returns are approved within this many days of completion.
  int64_t return_window_days = 7;
  // Approving a return worth more than this (minor units) is for admin and
  // agent only; a branch or service caller above it is PERMISSION_DENIED.
  int64_t return_approval_limit_minor = 50'000;
};

// The rules, as plain functions (the manager applies them; tests call them).
//
// Validates `in` (CreateOrderRequest.order) and fills `out` with the
// normalised order: lines with line totals and the order total, all in
// `currency`. Every bad field is added to `v` under its request path
// ("order.items[3].quantity").
void PriceOrder(ViolationCollector& v, const v1::Order& in,
                const std::string& currency, v1::Order* out);
// Points debited for a points tender of `amount_minor`: amount × rate / 100.
// INVALID_ARGUMENT on payment.amount if that is not a whole number.
absl::StatusOr<int64_t> PointsForAmount(int64_t amount_minor,
                                        int64_t points_per_yuan);
// Points earned on `paid_minor` of non-points tenders, rounded down.
int64_t PointsEarned(int64_t paid_minor, int64_t points_earned_per_yuan);

// The business day `day` in `zone`: [local midnight, next local midnight)
// as UTC micros.
std::pair<int64_t, int64_t> BusinessDayMicros(absl::CivilDay day,
                                              absl::TimeZone zone);

class OrderManager final : public PersonDataPart, public OrderDirectory {
 public:
  // `customers` (may be null when the customers module is not loaded: then
  // orders name no customer and points cannot be used).
  OrderManager(db::Database& db, const Clock& clock, OrderOptions options,
               customers::CustomerDirectory* customers);

  void CreateOrder(CallMeta call, const v1::CreateOrderRequest& req,
                   Reply<v1::CreateOrderResponse> reply);
  void GetOrder(CallMeta call, const v1::GetOrderRequest& req,
                Reply<v1::GetOrderResponse> reply);
  void ListOrders(CallMeta call, const v1::ListOrdersRequest& req,
                  Reply<v1::ListOrdersResponse> reply);
  void CancelOrder(CallMeta call, const v1::CancelOrderRequest& req,
                   Reply<v1::CancelOrderResponse> reply);
  void CompleteOrder(CallMeta call, const v1::CompleteOrderRequest& req,
                     Reply<v1::CompleteOrderResponse> reply);
  void PayOrder(CallMeta call, const v1::PayOrderRequest& req,
                Reply<v1::PayOrderResponse> reply);
  void GetSettlement(CallMeta call, const v1::GetSettlementRequest& req,
                     Reply<v1::GetSettlementResponse> reply);
  void ListSettlements(CallMeta call, const v1::ListSettlementsRequest& req,
                       Reply<v1::ListSettlementsResponse> reply);
  void GetDailyReconciliation(CallMeta call,
                              const v1::GetDailyReconciliationRequest& req,
                              Reply<v1::GetDailyReconciliationResponse> reply);

  // Returns and exchanges: order_returns.cc.
  void RequestReturn(CallMeta call, const v1::RequestReturnRequest& req,
                     Reply<v1::RequestReturnResponse> reply);
  void ReviewReturn(CallMeta call, const v1::ReviewReturnRequest& req,
                    Reply<v1::ReviewReturnResponse> reply);
  void ReceiveReturn(CallMeta call, const v1::ReceiveReturnRequest& req,
                     Reply<v1::ReceiveReturnResponse> reply);
  void CompleteReturn(CallMeta call, const v1::CompleteReturnRequest& req,
                      Reply<v1::CompleteReturnResponse> reply);
  void GetReturn(CallMeta call, const v1::GetReturnRequest& req,
                 Reply<v1::GetReturnResponse> reply);
  void ListReturns(CallMeta call, const v1::ListReturnsRequest& req,
                   Reply<v1::ListReturnsResponse> reply);

  // PersonDataPart: the customer's orders (with payments and refunds) and
  // returns as Any(Order) and Any(Return); erasure empties the orders'
  // delivery details and the returns' free-text notes (amounts, items,
  // slips and refunds are financial records and stay).
  absl::Status ExportPerson(
      db::Connection& conn, const std::string& customer_id,
      google::protobuf::RepeatedPtrField<google::protobuf::Any>* out) override;
  absl::Status ErasePerson(db::MutationContext& ctx,
                           const std::string& customer_id) override;

  // OrderDirectory.
  absl::StatusOr<std::string> CheckOrderOfCustomer(
      db::Connection& conn, const std::string& order_id,
      const std::string& customer_id, const std::string& field,
      const std::string& branch_scope) override;
  absl::Status CheckReturnOfOrder(db::Connection& conn,
                                  const std::string& return_id,
                                  const std::string& order_id,
                                  const std::string& field) override;
  absl::StatusOr<std::vector<PaidOrder>> ListPaidOrders(
      db::Connection& conn, int64_t from_us, int64_t to_us,
      int64_t after_paid_us, int64_t after_row, int limit) override;

 private:
  template <typename Response>
  void FinishRead(const db::CallMeta& meta, bool audited_reveal,
                  absl::Status status, Reply<Response> reply);
  // Adds `field`.currency_code to `v` unless `m` is in the server's
  // currency (or names none).
  void CheckCurrency(ViolationCollector& v, const std::string& field,
                     const common::v1::Money& m) const;
  // A return's step after RequestReturn (order_returns.cc): loads the
  // return in the caller's scope, checks it is in `from` (else
  // FAILED_PRECONDITION naming `from` and `to`), lets `step` change it,
  // saves it with an event named for its new status and answers with it.
  template <typename Response, typename Step>
  void AdvanceReturn(CallMeta call, const google::protobuf::Message& req,
                     const std::string& return_id,
                     const std::string& request_id, v1::ReturnStatus from,
                     v1::ReturnStatus to, Step step, Reply<Response> reply);
  // Erasure of the customer's returns (order_returns.cc).
  absl::Status EraseReturnNotes(db::MutationContext& ctx,
                                const std::string& customer_id);
  absl::Status ExportReturns(
      db::Connection& conn, const std::string& customer_id,
      google::protobuf::RepeatedPtrField<google::protobuf::Any>* out);

  db::Database& db_;
  const Clock& clock_;
  const OrderOptions options_;
  customers::CustomerDirectory* const customers_;
  const PageTokenCodec tokens_;
};

}  // namespace retail::orders

#endif  // RETAIL_SERVER_ORDERS_ORDER_MANAGER_H_
