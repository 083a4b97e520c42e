// Customer tiering (客户分级): VIP / regular / potential from spend, order
// count and recency. Thresholds come from the server's flags.
#ifndef RETAIL_SERVER_CUSTOMERS_TIER_POLICY_H_
#define RETAIL_SERVER_CUSTOMERS_TIER_POLICY_H_

#include <cstdint>

#include "retail/customers/v1/customers.pb.h"

namespace retail::customers {

struct TierThresholds {
  // VIP: spent at least this much (minor units; default ¥5,000) ...
  int64_t vip_min_spend_minor = 500'000;
  // ... over at least this many orders ...
  int64_t vip_min_orders = 5;
  // REGULAR: at least this many orders ...
  int64_t regular_min_orders = 1;
  // ... and, for both, a purchase within this many days. Otherwise POTENTIAL.
  int64_t active_days = 365;
};

// The tier of a customer with these aggregates at `now_micros`.
// `last_purchase_micros` is 0 when the customer never bought anything.
v1::CustomerTier ComputeTier(const TierThresholds& t, int64_t total_spend_minor,
                             int64_t order_count, int64_t last_purchase_micros,
                             int64_t now_micros);

// Recomputes c->tier() from c's aggregates.
void RecomputeTier(const TierThresholds& t, int64_t now_micros,
                   v1::Customer* c);

}  // namespace retail::customers

#endif  // RETAIL_SERVER_CUSTOMERS_TIER_POLICY_H_
