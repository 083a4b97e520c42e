// What the bytes of a fuzz_complaints input mean, shared by the fuzz target
// and the seed generator so that the checked-in seeds say what they claim.
#ifndef RETAIL_TESTS_FUZZ_COMPLAINTS_RPC_H_
#define RETAIL_TESTS_FUZZ_COMPLAINTS_RPC_H_

#include <cstdint>

namespace retail::fuzz::complaints {

// The RPCs in complaints.proto order; byte 0 of an input picks one (mod
// kRpcCount). Append new RPCs at the end so saved inputs keep their meaning.
enum Rpc : uint8_t {
  kCreateComplaint,
  kGetComplaint,
  kListComplaints,
  kAssignComplaint,
  kRespondToComplaint,
  kRecordCustomerContact,
  kProposeSolution,
  kResolveComplaint,
  kCloseComplaint,
  kReopenComplaint,
  kEscalateComplaint,
  kListComplaintHistory,
  kGetComplaintStats,
  kGetSlaPolicy,
  kUpdateSlaPolicy,
  kGetBranchCalendar,
  kUpdateBranchCalendar,
  kRpcCount,
};

inline constexpr const char* kRpcNames[kRpcCount] = {
    "CreateComplaint",   "GetComplaint",         "ListComplaints",
    "AssignComplaint",   "RespondToComplaint",   "RecordCustomerContact",
    "ProposeSolution",   "ResolveComplaint",     "CloseComplaint",
    "ReopenComplaint",   "EscalateComplaint",    "ListComplaintHistory",
    "GetComplaintStats", "GetSlaPolicy",         "UpdateSlaPolicy",
    "GetBranchCalendar", "UpdateBranchCalendar",
};

// What the id slot of an input (harness.h, byte 1 bits 4-7) substitutes:
//   CreateComplaint               complaint.customer_id, from the customer
//                                 pool (SeededCustomer)
//   ListComplaints                owner_id, from the owner pool (slot 0:
//                                 "agent-7", the seeded complaints' owner)
//   every other complaint RPC     complaint_id, from the complaint pool
//                                 (SeededComplaint)
//   GetComplaintStats, the policy and calendar RPCs have no id to
//   substitute.
//
// Further markers, replaced before the call:
//   etag "@"                      (every change) the complaint's etag as of
//                                 now, read first as admin, so a mutated
//                                 change can get past the etag check
//   policy.etag "@"               (UpdateSlaPolicy) the policy's etag now
//   complaint.order_id "@<n>"     (CreateComplaint) order-pool slot n
//                                 (SeededOrder)
//   solution.return_id "@<n>"     (ProposeSolution) return-pool slot n
//                                 (SeededReturn)
//   page_token "@"                (ListComplaints, ListComplaintHistory) the
//                                 last next_page_token the same RPC returned
//                                 to the same caller in this input

// Customer-pool slots: the members the target seeds at start-up.
enum SeededCustomer : int {
  kMemberB001 = 0,     // B001, 王小明 13912345678
  kMemberB002 = 1,     // B002, 李雷 13800138000
  kErasedMember = 2,   // B001, erased (has kErasedB001)
  kFirstCustomer = 3,  // not seeded (nothing in this target creates one)
};

// Order-pool slots.
enum SeededOrder : int {
  kPaidOrderB001 = 0,    // kMemberB001's, paid and completed; has a return
  kWalkInOrderB001 = 1,  // a walk-in's, pending
  kOtherOrderB001 = 2,   // kMemberB001's, paid and completed; has a return
};

// Return-pool slots.
enum SeededReturn : int {
  kReturnOfPaidOrder = 0,   // of kPaidOrderB001, REQUESTED
  kReturnOfOtherOrder = 1,  // of kOtherOrderB001, REQUESTED
};

// Complaint-pool slots of the complaints the target seeds at start-up,
// one in each state (all by kMemberB001 unless said otherwise, owner
// "agent-7" past NEW).
enum SeededComplaint : int {
  kNewB001 = 0,                 // NEW
  kAcknowledgedB001 = 1,        // ACKNOWLEDGED
  kInProgressB001 = 2,          // IN_PROGRESS, about kPaidOrderB001
  kWaitingB002 = 3,             // WAITING_ON_CUSTOMER, kMemberB002's, in B002
  kProposedB001 = 4,            // SOLUTION_PROPOSED
  kResolvedB001 = 5,            // RESOLVED, 3 failed contact attempts
  kClosedUnsatisfied = 6,       // CLOSED unsatisfied (may be reopened)
  kClosedSatisfiedB002 = 7,     // CLOSED satisfied, kMemberB002's, in B002
  kReopenedB001 = 8,            // REOPENED
  kErasedB001 = 9,              // IN_PROGRESS, kErasedMember's: text erased
  kFirstCreatedComplaint = 10,  // the first one an earlier call created
};

// A page_token (or etag) of exactly this text is replaced as said above.
inline constexpr char kLastPageToken[] = "@";
inline constexpr char kCurrentEtag[] = "@";

}  // namespace retail::fuzz::complaints

#endif  // RETAIL_TESTS_FUZZ_COMPLAINTS_RPC_H_
