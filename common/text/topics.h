// The retail topics the analyser recognises. Their ids are stable strings
// (they go into stored analyses and the API); the lexicon names them in
// common/text/lexicon/topics.tsv.
#ifndef RETAIL_COMMON_TEXT_TOPICS_H_
#define RETAIL_COMMON_TEXT_TOPICS_H_

#include <array>
#include <optional>

#include "absl/strings/string_view.h"

namespace retail::text {

enum class Topic {
  kSizeFit,            // size_fit: sizes, fit, cut, lengths, size charts
  kQuality,            // quality: material, workmanship, defects, the goods
  kReturnsExchanges,   // returns_exchanges: returns, exchanges, refunds
  kLogisticsDelivery,  // logistics_delivery: shipping, couriers, packaging
  kStaffAttitude,      // staff_attitude: staff and customer service
  kPriceValue,         // price_value: prices, value, discounts
  kQueueingWaiting,    // queueing_waiting: queues and waiting for service
  kStoreEnvironment,   // store_environment: the shop itself
  kPayment,            // payment: paying, charges, receipts, invoices
  kMembershipPoints,   // membership_points: membership, points, coupons
};
inline constexpr int kTopicCount = 10;

inline constexpr std::array<absl::string_view, kTopicCount> kTopicIds = {
    "size_fit",           "quality",           "returns_exchanges",
    "logistics_delivery", "staff_attitude",    "price_value",
    "queueing_waiting",   "store_environment", "payment",
    "membership_points"};

inline absl::string_view TopicId(Topic t) {
  return kTopicIds[static_cast<int>(t)];
}

inline std::optional<Topic> TopicFromId(absl::string_view id) {
  for (int i = 0; i < kTopicCount; ++i) {
    if (kTopicIds[i] == id) return static_cast<Topic>(i);
  }
  return std::nullopt;
}

}  // namespace retail::text

#endif  // RETAIL_COMMON_TEXT_TOPICS_H_
