// The crash test's client-side ledger: every write request it ever made, its
// exact payload, and what the server acknowledged. After the last crash the
// database is checked against this ledger, so it is the test's notion of
// "what the server promised". Thread-safe: gRPC callback threads record
// answers while the test thread picks the next request to send.
#ifndef RETAIL_TESTS_CRASH_LEDGER_H_
#define RETAIL_TESTS_CRASH_LEDGER_H_

#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "retail/complaints/v1/complaints.pb.h"
#include "retail/customers/v1/customers.pb.h"
#include "retail/feedback/v1/feedback.pb.h"
#include "retail/orders/v1/orders.pb.h"

namespace retail::crash {

// Every kind of write the services have: customers (create, points),
// orders (create, pay, complete), returns (request, review, receive,
// complete), complaints (create, assign, respond) and feedback (the one
// survey, feedback items, survey responses, follow-ups scheduled and
// completed). A new service adds its kinds here.
enum class Kind {
  kCreate,
  kAdjust,
  kCreateOrder,
  kPay,
  kCompleteOrder,
  kRequestReturn,
  kReviewReturn,
  kReceiveReturn,
  kCompleteReturn,
  kCreateComplaint,
  kAssignComplaint,
  kRespondToComplaint,
  kCreateSurvey,
  kSubmitFeedback,
  kSubmitSurveyResponse,
  kScheduleFollowUp,
  kCompleteFollowUp,
};

// What a SubmitFeedback is meant to do, decided when it is created and
// checked against its acknowledgement: praise (nothing happens), rating 1
// with negative text from a customer (opens a complaint in the same
// transaction), the same from nobody (flagged for review instead), or
// rating 3 with negative text from a customer (below the rule: nothing).
enum class FeedbackPlan { kPositive, kEscalate, kAnonymousNegative, kMild };

// What becomes of a fully paid order, decided when it is created: nothing,
// or completion and then a return (or an exchange) of some units of its
// first line, step by step, each step sent once the one before it was
// acknowledged.
enum class AfterPaid { kNothing, kReturn, kExchange };

// One logical write: a request_id and the payload sent with it on every
// attempt (a retry must repeat both exactly).
struct Entry {
  Kind kind = Kind::kCreate;
  std::string request_id;
  customers::v1::CreateCustomerRequest create;        // kind == kCreate
  customers::v1::AdjustPointsRequest adjust;          // kind == kAdjust
  orders::v1::CreateOrderRequest create_order;        // kind == kCreateOrder
  orders::v1::PayOrderRequest pay;                    // kind == kPay
  orders::v1::CompleteOrderRequest complete_order;    // kCompleteOrder
  orders::v1::RequestReturnRequest request_return;    // kRequestReturn
  orders::v1::ReviewReturnRequest review_return;      // kReviewReturn
  orders::v1::ReceiveReturnRequest receive_return;    // kReceiveReturn
  orders::v1::CompleteReturnRequest complete_return;  // kCompleteReturn
  complaints::v1::CreateComplaintRequest create_complaint;  // kCreateComplaint
  complaints::v1::AssignComplaintRequest assign_complaint;  // kAssignComplaint
  complaints::v1::RespondToComplaintRequest
      respond_complaint;  // kRespondToComplaint
  // The feedback kinds', by kind: kCreateSurvey, kSubmitFeedback,
  // kSubmitSurveyResponse, kScheduleFollowUp, kCompleteFollowUp.
  feedback::v1::CreateSurveyRequest create_survey;
  feedback::v1::SubmitFeedbackRequest submit_feedback;
  feedback::v1::SubmitSurveyResponseRequest submit_response;
  feedback::v1::ScheduleFollowUpRequest schedule_follow_up;
  feedback::v1::CompleteFollowUpRequest complete_follow_up;
  // kSubmitFeedback: what it should do.
  FeedbackPlan feedback_plan = FeedbackPlan::kPositive;
  // kScheduleFollowUp: whether a CompleteFollowUp follows its
  // acknowledgement (the rest stay pending).
  bool then_complete = false;
  // Every order kind but kCreateOrder: the entry that created the order.
  size_t order_entry = 0;
  // kCreateOrder: what follows once it is paid.
  AfterPaid after_paid = AfterPaid::kNothing;
  // kCreateOrder: the tenders planned for it, which add up to its total
  // exactly, so that every one of them succeeds whatever the commit order.
  std::vector<int64_t> tenders;

  int attempts = 0;  // sends, acknowledged or not
  int acks = 0;      // OK answers received
  int first_ack_round = -1;
  int first_ack_attempt = 0;
  bool in_flight = false;  // never two sends of one id at once
  bool pending = false;    // waiting in the retry queue
  // SerializeAsString of the first OK response; every later OK answer to the
  // same request_id must be byte-identical (AIP-155 replay).
  std::string first_ack;
  // kCreate: the customer's id; kCreateOrder: the order's; kRequestReturn:
  // the return's; kCreateComplaint: the complaint's; kCreateSurvey,
  // kSubmitFeedback, kSubmitSurveyResponse, kScheduleFollowUp: the survey's,
  // feedback item's, response's, follow-up's; assigned by the server, known
  // once acknowledged. (kCompleteFollowUp: the follow-up it completes.)
  std::string customer_id;
  std::string last_error;  // of the latest failed send, for failure reports
};

// Counters for the summary line.
struct LedgerStats {
  int creates = 0;
  int adjusts = 0;
  int orders = 0;
  int payments = 0;
  int return_steps = 0;     // complete-order and the four return steps
  int complaint_steps = 0;  // create, assign, respond
  int feedback_items = 0;   // SubmitFeedback
  int feedback_steps = 0;   // the survey, responses, follow-up steps
  int sends = 0;            // every attempt, answered or not
  int acked = 0;            // entries with at least one OK
  int retried = 0;          // entries needing more than one send for an OK
  int acked_twice = 0;      // entries with two or more OKs compared
};

class Ledger {
 public:
  explicit Ledger(uint64_t seed);

  // Picks the next request to send and marks it in flight: first an
  // unacknowledged request waiting for its retry; otherwise, if
  // `allow_new`, a fresh request: mostly new customers and points
  // adjustments on acknowledged customers, plus a few deliberate re-sends
  // of already acknowledged requests (store software that missed an answer
  // retries it). Returns nullopt if there is nothing to send.
  std::optional<size_t> NextToSend(bool allow_new);

  // Marks every acknowledged, idle entry for one more send, so the final
  // round compares a replayed answer for each of them.
  void QueueAllForReplay();

  // A copy of one entry, taken under the lock: callback threads update
  // entries while the test thread sends them.
  Entry Snapshot(size_t index) const;

  // Records an OK answer; `assigned_id` is the id a create got (customer or
  // order). Returns false (and remembers why) if it differs from an earlier
  // OK answer to the same request_id.
  bool RecordOk(size_t index, const std::string& response_bytes,
                const std::string& assigned_id, int round);

  // Records a failed send. Unavailable/deadline/cancelled are what a killed
  // server looks like, so the request goes back to the retry queue; any
  // other code is a definitive answer the test does not expect and is kept
  // for the failure report.
  void RecordFailure(size_t index, int code, const std::string& message);

  // True when nothing waits for a send or an answer.
  bool Settled() const;
  size_t Unacknowledged() const;

  std::vector<Entry> Entries() const;
  std::vector<std::string> Problems() const;
  LedgerStats Stats() const;

 private:
  size_t AddCreateLocked();
  size_t AddAdjustLocked();
  size_t AddOrderLocked();
  size_t AddPayLocked();
  size_t AddFollowUpLocked();
  size_t AddComplaintLocked();
  size_t AddSurveyLocked();
  // nullopt when nothing is ready for that kind yet.
  std::optional<size_t> AddFeedbackLocked();
  std::optional<size_t> AddSurveyResponseLocked();
  std::optional<size_t> AddScheduleFollowUpLocked();
  // Queues the step after `done` (an acknowledged entry) of its order's
  // return story, if any.
  void QueueNextStepLocked(const Entry& done);

  mutable std::mutex mu_;
  std::mt19937_64 rng_;
  std::deque<Entry> entries_;
  std::deque<size_t> retry_queue_;
  std::vector<size_t> acked_creates_;  // indices of acknowledged creates
  // (acknowledged order's index, tender number) still to be paid
  std::vector<std::pair<size_t, size_t>> payable_;
  // CreateOrder entry -> its tenders acknowledged so far.
  std::vector<int> tenders_acked_;
  // Steps ready to send: for an order's return story (CreateOrder entry,
  // kind, return id), a complaint's (CreateComplaint entry, kind,
  // complaint id), or a follow-up's completion (ScheduleFollowUp entry,
  // kCompleteFollowUp, follow-up id).
  struct FollowUp {
    size_t order_entry;
    Kind kind;
    std::string return_id;
  };
  std::vector<FollowUp> follow_ups_;
  std::vector<size_t> acked_all_;  // indices of acknowledged entries
  // Feedback. The one survey (created by the first fresh send, retried
  // like any other request), its id once acknowledged.
  std::optional<size_t> survey_entry_;
  std::string survey_id_;
  // What a customer's feedback, response or follow-up may be about: the
  // customer alone, one of its orders, or one of its complaints (each
  // acknowledged).
  struct About {
    std::string customer_id, order_id, complaint_id;
  };
  // Every acknowledged one; feedback and follow-ups may repeat them.
  std::vector<About> abouts_;
  // Not answered by a survey response yet: a response is one per customer
  // per survey per order or complaint, so each is taken once.
  std::vector<About> unanswered_;
  std::vector<std::string> problems_;
  int in_flight_ = 0;
};

}  // namespace retail::crash

#endif  // RETAIL_TESTS_CRASH_LEDGER_H_
