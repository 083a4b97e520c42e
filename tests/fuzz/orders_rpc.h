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
  kRequestReturn,
  kReviewReturn,
  kReceiveReturn,
  kCompleteReturn,
  kGetReturn,
  kListReturns,
  kRpcCount,
};

inline constexpr const char* kRpcNames[kRpcCount] = {
    "CreateOrder",    "GetOrder",        "ListOrders",
    "CancelOrder",    "CompleteOrder",   "PayOrder",
    "GetSettlement",  "ListSettlements", "GetDailyReconciliation",
    "RequestReturn",  "ReviewReturn",    "ReceiveReturn",
    "CompleteReturn", "GetReturn",       "ListReturns",
};

// What the id slot of an input (harness.h, byte 1 bits 4-7) substitutes:
//   CreateOrder, ListOrders       order.customer_id / customer_id, from the
//                                 customer pool (SeededCustomer)
//   GetSettlement by settlement_id  settlement_id, from the settlement pool
//                                 (slot 0: the seeded paid order's slip;
//                                 then those earlier calls produced)
//   ReviewReturn, ReceiveReturn,  return_id, from the return pool
//   CompleteReturn, GetReturn     (SeededReturn)
//   every other RPC               order_id, from the order pool
//   (RequestReturn, ListReturns   (SeededOrder); for ListReturns slot 0
//   too)                          keeps the fuzzed filter
// ListSettlements and GetDailyReconciliation have no id to substitute.
//
// CompleteReturn's refund_references[i].payment_id of the form "@<n>" is
// replaced by the payment-pool slot n (SeededPayment).

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
  kPendingWalkInB001 = 0,   // B001, walk-in, store, total 30000
  kPendingMemberB001 = 1,   // B001, member kMemberB001, store, total 30000
  kPendingOnlineB002 = 2,   // B002, member kMemberB002, online, delivery
  kPartlyPaidB001 = 3,      // B001, member kMemberB001, 10000 of 30000 paid
                            // (5000 in points, 5000 by WeChat Pay)
  kPaidB001 = 4,            // B001, walk-in, paid in cash (has a settlement)
  kCompletedB002 = 5,       // B002, walk-in, paid by card and completed
  kCancelledB001 = 6,       // B001, cancelled
  kReturnsB001 = 7,         // B001, member kMemberB001, store, completed;
                            // 10000 in points (older), then 20000 in cash;
                            // PARTIALLY_RETURNED: both shirts exchanged
                            // (credit 25800: all the cash and 5800 of the
                            // points tender); its socks are in the seeded
                            // returns below
  kExchangeB002 = 8,        // B002, member kMemberB002, online, delivery;
                            // 30000 by WeChat Pay; a RECEIVED exchange
  kExchangeOrderB001 = 9,   // B001: kReturnsB001's exchange's new order, two
                            // SHIRT-L at 12900, PAID by exchange credit
  kFirstCreatedOrder = 10,  // the first order an earlier call created
};

// Return-pool slots of the returns the target seeds at start-up.
enum SeededReturn : int {
  kRequestedB001 = 0,          // kReturnsB001, 1 SOCKS, REQUESTED
  kApprovedB001 = 1,           // kReturnsB001, 1 SOCKS, APPROVED
  kReceivedB001 = 2,           // kReturnsB001, 1 SOCKS, RECEIVED
  kCompletedExchangeB001 = 3,  // kReturnsB001, 2 SHIRT-M for 2 SHIRT-L at
                               // 12900 (the new order kExchangeOrderB001)
  kRejectedB001 = 4,           // kReturnsB001, 3 SOCKS, REJECTED
  kReceivedExchangeB002 = 5,   // kExchangeB002, 2 SHIRT-M for 2 SHIRT-S at
                               // 9900: 6000 back as money, 19800 of credit
  kFirstCreatedReturn = 6,     // the first return an earlier call created
};

// Payment-pool slots (CompleteReturn's refund references, "@<n>").
enum SeededPayment : int {
  kPointsTenderB001 = 0,      // kReturnsB001's points tender
  kCashTenderB001 = 1,        // kReturnsB001's cash tender (all credit)
  kWeChatTenderB002 = 2,      // kExchangeB002's WeChat Pay tender
  kCreditTenderB001 = 3,      // kExchangeOrderB001's exchange credit
  kFirstRecordedPayment = 4,  // the first tender an earlier call recorded
};

// A page_token of exactly this text is replaced by the last next_page_token
// the same RPC returned to the same caller earlier in the same input, so
// inputs can reach second pages (real tokens are HMAC-signed and cannot be
// guessed).
inline constexpr char kLastPageToken[] = "@";

}  // namespace retail::fuzz::orders

#endif  // RETAIL_TESTS_FUZZ_ORDERS_RPC_H_
