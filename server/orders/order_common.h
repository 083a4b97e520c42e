// What the order handlers (order_manager.cc: orders, payments, slips) and
// the return handlers (order_returns.cc) share: resource names, the masking
// of delivery details, the order's save-with-event, pricing one line, and
// settling an order that became paid. Internal to server/orders/.
#ifndef RETAIL_SERVER_ORDERS_ORDER_COMMON_H_
#define RETAIL_SERVER_ORDERS_ORDER_COMMON_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/auth.h"
#include "common/db/mutation.h"
#include "common/status.h"
#include "retail/orders/v1/orders.pb.h"
#include "server/customers/customer_directory.h"
#include "server/orders/order_manager.h"
#include "server/orders/order_store.h"

namespace retail::orders {

// "orders/<id>" and "returns/<id>": the resource of audit rows, events and
// stored replies.
std::string ResourceName(absl::string_view order_id);
std::string ReturnResourceName(absl::string_view return_id);
std::string MethodName(v1::PaymentMethod m);

// What a caller sees of an order's delivery details (personal data):
// admin, a branch (its own orders) and an agent that set reveal_pii
// (audited) see them whole; everyone else masked.
enum class PiiView { kFull, kMasked };
absl::StatusOr<PiiView> ViewFor(const Principal& p, bool reveal);
PiiView DefaultViewFor(const Principal& p);
void ApplyPiiPolicy(PiiView view, v1::Order* o);

absl::Status OrderPaidError(absl::string_view order_id, absl::string_view what);
absl::Status OrderCancelledError(absl::string_view order_id);
// PAID, COMPLETED, PARTIALLY_RETURNED or RETURNED.
bool IsPaidOrLater(v1::OrderStatus s);

// How a refund of a tender paid by `method` is given back: the same way,
// except exchange credit, which is paid out in cash (there is nothing else
// to give it back to).
v1::PaymentMethod RefundMethodFor(v1::PaymentMethod method);

// The event of an order's or a return's change at `revision`, carrying its
// state as stored (the event stream masks it per watcher).
absl::Status AppendOrderEvent(db::MutationContext& ctx, const v1::Order& o,
                              absl::string_view event_type, int64_t revision);
absl::Status AppendReturnEvent(db::MutationContext& ctx, const v1::Return& r,
                               absl::string_view event_type, int64_t revision);

// Bumps revision and update time, writes the row and its event.
absl::Status SaveOrder(db::MutationContext& ctx, StoredOrder& so,
                       absl::string_view event_type);

// Empties the delivery details of customer `id`'s orders in `m` (a stored
// response), wherever they appear.
void ScrubDelivery(google::protobuf::Message* m, const std::string& id);

// Validates one order line `in` at request path `field` ("order.items[3]")
// with `quantity` units, and appends it priced to `out`. Returns the line
// total, or nullopt when a violation was added (or it overflows).
std::optional<int64_t> PriceItem(ViolationCollector& v,
                                 const std::string& field,
                                 const v1::OrderItem& in, int64_t quantity,
                                 const std::string& currency,
                                 v1::OrderItem* out);

// Marks `so` PAID now and, in the caller's transaction: earns points on its
// money tenders (not points, not exchange credit), records the customer's
// purchase, and writes the settlement slip, which it returns. The caller
// saves the order (event "PAID").
absl::StatusOr<v1::Settlement> SettleOrder(
    db::MutationContext& ctx, const OrderOptions& options,
    customers::CustomerDirectory* customers, StoredOrder& so);

// Exchange credit paid out in cash from an exchange's new order
// (`exchange_order`, which names its return): that value first earned
// points on the original order, so its share of those points is taken
// back, as far as the balance allows. Returns the points taken and the
// shortfall; {0, 0} when nothing was earned or there is no customer.
struct PointsTaken {
  int64_t taken = 0;
  int64_t shortfall = 0;
};
absl::StatusOr<PointsTaken> TakeBackCreditPoints(
    db::MutationContext& ctx, customers::CustomerDirectory* customers,
    const v1::Order& exchange_order, int64_t payout_minor);

}  // namespace retail::orders

#endif  // RETAIL_SERVER_ORDERS_ORDER_COMMON_H_
