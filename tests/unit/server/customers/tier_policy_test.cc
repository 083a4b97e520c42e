#include "server/customers/tier_policy.h"

#include "common/clock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"

namespace retail::customers {
namespace {

using ::google::protobuf::util::TimeUtil;

constexpr int64_t kNow = 1'717'200'000'000'000;  // 2024-06-01
constexpr int64_t kYesterday = kNow - kMicrosPerDay;

class TierPolicyTest : public ::testing::Test {
 protected:
  v1::CustomerTier Tier(int64_t spend, int64_t orders,
                        int64_t last_purchase) const {
    return ComputeTier(thresholds_, spend, orders, last_purchase, kNow);
  }
  const TierThresholds thresholds_;  // defaults: ¥5,000, 5 orders, 365 days
};

TEST_F(TierPolicyTest, VipNeedsBothSpendAndOrders) {
  EXPECT_EQ(Tier(500'000, 5, kYesterday), v1::CUSTOMER_TIER_VIP);
  EXPECT_EQ(Tier(10'000'000, 50, kYesterday), v1::CUSTOMER_TIER_VIP);
  EXPECT_EQ(Tier(499'999, 5, kYesterday), v1::CUSTOMER_TIER_REGULAR);
  EXPECT_EQ(Tier(10'000'000, 4, kYesterday), v1::CUSTOMER_TIER_REGULAR);
}

TEST_F(TierPolicyTest, RegularNeedsOneRecentOrder) {
  EXPECT_EQ(Tier(100, 1, kYesterday), v1::CUSTOMER_TIER_REGULAR);
  EXPECT_EQ(Tier(0, 0, kYesterday), v1::CUSTOMER_TIER_POTENTIAL);
  EXPECT_EQ(Tier(0, 0, 0), v1::CUSTOMER_TIER_POTENTIAL);
}

TEST_F(TierPolicyTest, NeverBoughtIsPotentialWhateverTheAggregates) {
  EXPECT_EQ(Tier(10'000'000, 50, /*last_purchase=*/0),
            v1::CUSTOMER_TIER_POTENTIAL);
}

TEST_F(TierPolicyTest, TiersExpireAfterActiveDays) {
  const int64_t window = thresholds_.active_days * kMicrosPerDay;
  EXPECT_EQ(Tier(500'000, 5, kNow - window),
            v1::CUSTOMER_TIER_VIP);  // inclusive
  EXPECT_EQ(Tier(500'000, 5, kNow - window - 1), v1::CUSTOMER_TIER_POTENTIAL);
  EXPECT_EQ(Tier(100, 1, kNow - window), v1::CUSTOMER_TIER_REGULAR);
  EXPECT_EQ(Tier(100, 1, kNow - window - 1), v1::CUSTOMER_TIER_POTENTIAL);
}

TEST_F(TierPolicyTest, HonoursConfiguredThresholds) {
  TierThresholds t;
  t.vip_min_spend_minor = 100;
  t.vip_min_orders = 2;
  t.regular_min_orders = 3;  // stricter than VIP's order count
  t.active_days = 30;
  EXPECT_EQ(ComputeTier(t, 100, 2, kYesterday, kNow), v1::CUSTOMER_TIER_VIP);
  EXPECT_EQ(ComputeTier(t, 99, 2, kYesterday, kNow),
            v1::CUSTOMER_TIER_POTENTIAL);
  EXPECT_EQ(ComputeTier(t, 99, 3, kYesterday, kNow), v1::CUSTOMER_TIER_REGULAR);
  EXPECT_EQ(ComputeTier(t, 100, 2, kNow - 31 * kMicrosPerDay, kNow),
            v1::CUSTOMER_TIER_POTENTIAL);
}

TEST_F(TierPolicyTest, RecomputeTierReadsTheCustomersAggregates) {
  v1::Customer c;
  c.mutable_total_spend()->set_minor_units(600'000);
  c.set_order_count(6);
  RecomputeTier(thresholds_, kNow, &c);
  EXPECT_EQ(c.tier(), v1::CUSTOMER_TIER_POTENTIAL);  // no purchase time yet

  *c.mutable_last_purchase_time() =
      TimeUtil::MicrosecondsToTimestamp(kYesterday);
  RecomputeTier(thresholds_, kNow, &c);
  EXPECT_EQ(c.tier(), v1::CUSTOMER_TIER_VIP);

  RecomputeTier(thresholds_, kNow + 400 * kMicrosPerDay, &c);
  EXPECT_EQ(c.tier(), v1::CUSTOMER_TIER_POTENTIAL);
}

}  // namespace
}  // namespace retail::customers
