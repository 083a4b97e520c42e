#include "server/customers/tier_policy.h"

#include "common/clock.h"
#include "google/protobuf/util/time_util.h"

namespace retail::customers {

v1::CustomerTier ComputeTier(const TierThresholds& t, int64_t total_spend_minor,
                             int64_t order_count, int64_t last_purchase_micros,
                             int64_t now_micros) {
  const bool active =
      last_purchase_micros > 0 &&
      now_micros - last_purchase_micros <= t.active_days * kMicrosPerDay;
  if (active && total_spend_minor >= t.vip_min_spend_minor &&
      order_count >= t.vip_min_orders) {
    return v1::CUSTOMER_TIER_VIP;
  }
  if (active && order_count >= t.regular_min_orders) {
    return v1::CUSTOMER_TIER_REGULAR;
  }
  return v1::CUSTOMER_TIER_POTENTIAL;
}

void RecomputeTier(const TierThresholds& t, int64_t now_micros,
                   v1::Customer* c) {
  const int64_t last =
      c->has_last_purchase_time()
          ? google::protobuf::util::TimeUtil::TimestampToMicroseconds(
                c->last_purchase_time())
          : 0;
  c->set_tier(ComputeTier(t, c->total_spend().minor_units(), c->order_count(),
                          last, now_micros));
}

}  // namespace retail::customers
