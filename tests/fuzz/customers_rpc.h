// What the bytes of a fuzz_customers input mean, shared by the fuzz target
// and the seed generator so that the checked-in seeds say what they claim.
#ifndef RETAIL_TESTS_FUZZ_CUSTOMERS_RPC_H_
#define RETAIL_TESTS_FUZZ_CUSTOMERS_RPC_H_

#include <cstdint>

namespace retail::fuzz {

// The RPCs in customers.proto order; byte 0 of an input picks one (mod
// kRpcCount). Append new RPCs at the end so saved inputs keep their meaning.
enum Rpc : uint8_t {
  kCreateCustomer,
  kGetCustomer,
  kUpdateCustomer,
  kListCustomers,
  kSearchCustomers,
  kAdjustPoints,
  kListPointsTransactions,
  kExportCustomerData,
  kEraseCustomer,
  kRpcCount,
};

inline constexpr const char* kRpcNames[kRpcCount] = {
    "CreateCustomer",         "GetCustomer",        "UpdateCustomer",
    "ListCustomers",          "SearchCustomers",    "AdjustPoints",
    "ListPointsTransactions", "ExportCustomerData", "EraseCustomer",
};

// Id-pool slots of the customers the target seeds at start-up. Their branch
// and state are fixed, so seeds can aim at "own branch", "other branch" and
// "erased" on purpose.
enum SeededCustomer : int {
  kWangB001 = 0,    // B001, phone 13912345678, a ledger of several entries
  kAliceB001 = 1,   // B001, E.164 phone +447700900123
  kLiLeiB002 = 2,   // B002, phone 13800138000
  kBobB002 = 3,     // B002, no phone or email
  kErasedB001 = 4,  // B001, erased
  // Not seeded: the first customer an earlier call of the same input
  // created (the next slots hold the later ones).
  kFirstCreated = 5,
};

// A page_token of exactly this text is replaced by the last next_page_token
// the same RPC returned to the same caller earlier in the same input, so
// inputs can reach second pages (real tokens are HMAC-signed and cannot be
// guessed).
inline constexpr char kLastPageToken[] = "@";

}  // namespace retail::fuzz

#endif  // RETAIL_TESTS_FUZZ_CUSTOMERS_RPC_H_
