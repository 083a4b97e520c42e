// What the bytes of a fuzz_feedback input mean, shared by the fuzz target
// and the seed generator so that the checked-in seeds say what they claim.
#ifndef RETAIL_TESTS_FUZZ_FEEDBACK_RPC_H_
#define RETAIL_TESTS_FUZZ_FEEDBACK_RPC_H_

#include <cstdint>

namespace retail::fuzz::feedback {

// The RPCs in feedback.proto order; byte 0 of an input picks one (mod
// kRpcCount). Append new RPCs at the end so saved inputs keep their meaning.
enum Rpc : uint8_t {
  kAnalyzeText,
  kCreateSurvey,
  kGetSurvey,
  kListSurveys,
  kSubmitSurveyResponse,
  kSubmitFeedback,
  kGetFeedback,
  kListFeedback,
  kGetSatisfactionReport,
  kScheduleFollowUp,
  kListFollowUps,
  kCompleteFollowUp,
  kRpcCount,
};

inline constexpr const char* kRpcNames[kRpcCount] = {
    "AnalyzeText",      "CreateSurvey",         "GetSurvey",
    "ListSurveys",      "SubmitSurveyResponse", "SubmitFeedback",
    "GetFeedback",      "ListFeedback",         "GetSatisfactionReport",
    "ScheduleFollowUp", "ListFollowUps",        "CompleteFollowUp",
};

// What the id slot of an input (harness.h, byte 1 bits 4-7) substitutes:
//   GetSurvey                    survey_id, from the survey pool
//                                (SeededSurvey)
//   SubmitSurveyResponse         response.survey_id, from the survey pool
//   SubmitFeedback               feedback.customer_id, from the customer
//                                pool (SeededCustomer)
//   GetFeedback                  feedback_id, from the feedback pool
//                                (SeededFeedback)
//   ScheduleFollowUp             follow_up.customer_id, from the customer
//                                pool
//   ListFollowUps                owner_id, from the owner list (slot 0:
//                                "agent-7", the seeded follow-ups' owner)
//   CompleteFollowUp             follow_up_id, from the follow-up pool
//                                (SeededFollowUp)
//   AnalyzeText, CreateSurvey, ListSurveys, ListFeedback and
//   GetSatisfactionReport have no id to substitute.
//
// Further markers, replaced before the call:
//   "@<n>" in response.customer_id, feedback.customer_id and
//          follow_up.customer_id: customer-pool slot n
//   "@<n>" in response.order_id, feedback.order_id and follow_up.order_id:
//          order-pool slot n (SeededOrder)
//   "@<n>" in response.complaint_id and follow_up.complaint_id:
//          complaint-pool slot n (SeededComplaint)
//   page_token "@" (ListSurveys, ListFeedback, ListFollowUps): the last
//          next_page_token the same RPC returned to the same caller in
//          this input

// Customer-pool slots: the members the target seeds at start-up.
enum SeededCustomer : int {
  kMemberB001 = 0,     // B001, 王小明 13912345678
  kMemberB002 = 1,     // B002, 李雷 13800138000
  kErasedMember = 2,   // B001, erased (had feedback, a response and a visit)
  kFirstCustomer = 3,  // not seeded (nothing in this target creates one)
};

// Order-pool slots.
enum SeededOrder : int {
  kPaidOrderB001 = 0,    // kMemberB001's, paid, in B001
  kWalkInOrderB001 = 1,  // a walk-in's, pending, in B001
  kPaidOrderB002 = 2,    // kMemberB002's, paid, in B002
};

// Complaint-pool slots: complaints the target seeds, and the one its
// escalated feedback opened.
enum SeededComplaint : int {
  kComplaintB001 = 0,       // kMemberB001's, NEW, in B001
  kComplaintB002 = 1,       // kMemberB002's, NEW, in B002
  kEscalatedComplaint = 2,  // opened by kEscalatedB001 (kMemberB001's)
};

// Survey-pool slots.
enum SeededSurvey : int {
  // q1 RATING (required), q2 NPS, q3 SINGLE_CHOICE of 门店/网店/小程序,
  // q4 MULTIPLE_CHOICE of 价格/质量/服务/物流, q5 FREE_TEXT; kMemberB001
  // answered it once (about nothing).
  kEveryTypeSurvey = 0,
  // q1 NPS (required), q2 FREE_TEXT (required).
  kNpsSurvey = 1,
  kFirstCreatedSurvey = 2,  // the first one an earlier call created
};

// Feedback-pool slots.
enum SeededFeedback : int {
  kPraiseB001 = 0,     // kMemberB001's product review, rated 5, positive
  kAnonymousB002 = 1,  // anonymous, rated 1, negative: needs review
  kEscalatedB001 = 2,  // kMemberB001's, rated 1, negative: a complaint
  kErasedB001 = 3,     // kErasedMember's: text erased
  kFirstCreatedFeedback = 4,
};

// Follow-up-pool slots (owner "agent-7" unless said otherwise).
enum SeededFollowUp : int {
  kPendingB001 = 0,  // kMemberB001's, after kPaidOrderB001, PENDING
  kDoneB001 = 1,     // kMemberB001's VIP care, DONE (reached, 5, YES)
  kPendingB002 = 2,  // kMemberB002's, after kComplaintB002, PENDING
  kErasedVisit = 3,  // kErasedMember's: closed by the erasure, no owner
  kFirstCreatedFollowUp = 4,
};

// A page_token of exactly this text is replaced as said above.
inline constexpr char kLastPageToken[] = "@";

}  // namespace retail::fuzz::feedback

#endif  // RETAIL_TESTS_FUZZ_FEEDBACK_RPC_H_
