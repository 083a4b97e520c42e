// What the bytes of a fuzz_audit input mean, shared by the fuzz target and
// the seed generator so that the checked-in seeds say what they claim.
#ifndef RETAIL_TESTS_FUZZ_AUDIT_RPC_H_
#define RETAIL_TESTS_FUZZ_AUDIT_RPC_H_

#include <cstdint>

namespace retail::fuzz {

// Byte 0 of a call picks one (mod kRpcCount). ListAuditLog is the RPC under
// test; the CustomerService calls make audit rows of every kind (changes,
// replays, failures, reveals, denials) within the input, by any caller.
// Append new entries at the end so saved inputs keep their meaning.
enum AuditRpc : uint8_t {
  kListAuditLog,
  kCreateCustomer,  // a change, or with a reused request_id a replay
  kGetCustomer,     // with reveal_pii by the agent: a REVEAL row
  kRpcCount,
};

inline constexpr const char* kRpcNames[kRpcCount] = {
    "retail.audit.v1.AuditService/ListAuditLog",
    "retail.customers.v1.CustomerService/CreateCustomer",
    "retail.customers.v1.CustomerService/GetCustomer",
};

// Id-pool slot of the customer the target seeds at start-up (GetCustomer's
// customer_id, ListAuditLog's resource as "customers/<id>").
inline constexpr int kSeededCustomer = 0;

// A ListAuditLog page_token of exactly this text is replaced by the last
// next_page_token the same caller got earlier in the same input.
inline constexpr char kLastPageToken[] = "@";

}  // namespace retail::fuzz

#endif  // RETAIL_TESTS_FUZZ_AUDIT_RPC_H_
