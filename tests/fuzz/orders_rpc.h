// What the bytes of a fuzz_orders input mean, shared by the fuzz target and
// the seed generator so that the checked-in seeds say what they claim.
#ifndef RETAIL_TESTS_FUZZ_ORDERS_RPC_H_
#define RETAIL_TESTS_FUZZ_ORDERS_RPC_H_

#include <cstdint>

namespace retail::fuzz::orders {

// The RPCs in orders.proto order; byte 0 of an input picks one (mod
// kRpcCount). Append new RPCs at the end so saved inputs keep their meaning.
enum Rpc : uint8_t {
  kCreateOrder,
  kGetOrder,
  kListOrders,
  kCancelOrder,
  kCompleteOrder,
  kPayOrder,
  kGetSettlement,
  kListSettlements,
  kGetDailyReconciliation,
  kRpcCount,
};

inline constexpr const char* kRpcNames[kRpcCount] = {
    "CreateOrder",   "GetOrder",        "ListOrders",
    "CancelOrder",   "CompleteOrder",   "PayOrder",
    "GetSettlement", "ListSettlements", "GetDailyReconciliation",
};

// What the id slot of an input (harness.h, byte 1 bits 4-7) substitutes:
//   CreateOrder, ListOrders       order.customer_id / customer_id, from the
//                                 customer pool (SeededCustomer)
//   GetSettlement by settlement_id  settlement_id, from the settlement pool
//                                 (slot 0: the seeded paid order's slip;
//                                 then those earlier calls produced)
//   every other RPC               order_id, from the order pool
//                                 (SeededOrder)
// ListSettlements and GetDailyReconciliation have no id to substitute.

// Customer-pool slots: the members the target seeds at start-up.
enum SeededCustomer : int {
  kMemberB001 = 0,     // B001, 100000 points
  kMemberB002 = 1,     // B002, no points
  kErasedMember = 2,   // B001, erased
  kFirstCustomer = 3,  // not seeded (nothing in this target creates one)
};

// Order-pool slots of the orders the target seeds at start-up. Their branch
// and state are fixed, so seeds can aim at each state on purpose.
enum SeededOrder : int {
  kPendingWalkInB001 = 0,  // B001, walk-in, store, total 30000
  kPendingMemberB001 = 1,  // B001, member kMemberB001, store, total 30000
  kPendingOnlineB002 = 2,  // B002, member kMemberB002, online, delivery
  kPartlyPaidB001 = 3,     // B001, member kMemberB001, 10000 of 30000 paid
                           // (5000 in points, 5000 by WeChat Pay)
  kPaidB001 = 4,           // B001, walk-in, paid in cash (has a settlement)
  kCompletedB002 = 5,      // B002, walk-in, paid by card and completed
  kCancelledB001 = 6,      // B001, cancelled
  kFirstCreatedOrder = 7,  // the first order an earlier call created
};

// A page_token of exactly this text is replaced by the last next_page_token
// the same RPC returned to the same caller earlier in the same input, so
// inputs can reach second pages (real tokens are HMAC-signed and cannot be
// guessed).
inline constexpr char kLastPageToken[] = "@";

}  // namespace retail::fuzz::orders

#endif  // RETAIL_TESTS_FUZZ_ORDERS_RPC_H_
