// Domain rules for complaints: intake with text analysis, the lifecycle
// (one RPC per transition, each checked against the etag), the three SLA
// clocks and their pauses, escalation (by hand and by the sweep), history,
// statistics, the SLA policy and branch calendars, masking, export and
// erasure. No gRPC here: a manager is driven by tests directly.
//
// Every method answers through `reply` exactly once. Reads answer on the
// calling thread unless a PII reveal must be audited first; writes answer on
// the writer's ack thread after their commit is durable.
#ifndef RETAIL_SERVER_COMPLAINTS_COMPLAINT_MANAGER_H_
#define RETAIL_SERVER_COMPLAINTS_COMPLAINT_MANAGER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/auth.h"
#include "common/clock.h"
#include "common/db/database.h"
#include "common/db/mutation.h"
#include "common/pagination.h"
#include "common/reply.h"
#include "common/text/analyzer.h"
#include "retail/complaints/v1/complaints.pb.h"
#include "server/complaints/business_calendar.h"
#include "server/complaints/complaint_intake.h"
#include "server/complaints/complaint_store.h"
#include "server/customers/customer_directory.h"
#include "server/module_registry.h"
#include "server/orders/order_directory.h"

namespace retail::complaints {

using ::retail::Reply;

struct ComplaintOptions {
  // The chain's zone: the default calendar's, and a calendar's without one.
  absl::TimeZone time_zone = absl::UTCTimeZone();
  // The escalation sweep: at most this many complaints per transaction, and
  // it ends a slice once this much time went by (the writer is shared).
  int sweep_batch = 100;
  absl::Duration sweep_budget = absl::Milliseconds(50);
};

// The policy in force when none was ever stored: 24 h / 3 days / 7 days of
// wall-clock time for every severity, near breach at 80%, unreachable after
// 3 failed attempts (the source documents' targets).
v1::SlaPolicy DefaultSlaPolicy();

class ComplaintManager final : public PersonDataPart, public ComplaintIntake {
 public:
  // `customers` and `orders` may be null when their modules are not loaded
  // (then complaints cannot name a customer, or an order).
  ComplaintManager(db::Database& db, const Clock& clock,
                   ComplaintOptions options,
                   customers::CustomerDirectory* customers,
                   orders::OrderDirectory* orders,
                   const text::Analyzer& analyzer);

  void CreateComplaint(CallMeta call, const v1::CreateComplaintRequest& req,
                       Reply<v1::CreateComplaintResponse> reply);
  void GetComplaint(CallMeta call, const v1::GetComplaintRequest& req,
                    Reply<v1::GetComplaintResponse> reply);
  void ListComplaints(CallMeta call, const v1::ListComplaintsRequest& req,
                      Reply<v1::ListComplaintsResponse> reply);
  void AssignComplaint(CallMeta call, const v1::AssignComplaintRequest& req,
                       Reply<v1::AssignComplaintResponse> reply);
  void RespondToComplaint(CallMeta call,
                          const v1::RespondToComplaintRequest& req,
                          Reply<v1::RespondToComplaintResponse> reply);
  void RecordCustomerContact(CallMeta call,
                             const v1::RecordCustomerContactRequest& req,
                             Reply<v1::RecordCustomerContactResponse> reply);
  void ProposeSolution(CallMeta call, const v1::ProposeSolutionRequest& req,
                       Reply<v1::ProposeSolutionResponse> reply);
  void ResolveComplaint(CallMeta call, const v1::ResolveComplaintRequest& req,
                        Reply<v1::ResolveComplaintResponse> reply);
  void CloseComplaint(CallMeta call, const v1::CloseComplaintRequest& req,
                      Reply<v1::CloseComplaintResponse> reply);
  void ReopenComplaint(CallMeta call, const v1::ReopenComplaintRequest& req,
                       Reply<v1::ReopenComplaintResponse> reply);
  void EscalateComplaint(CallMeta call, const v1::EscalateComplaintRequest& req,
                         Reply<v1::EscalateComplaintResponse> reply);
  void ListComplaintHistory(CallMeta call,
                            const v1::ListComplaintHistoryRequest& req,
                            Reply<v1::ListComplaintHistoryResponse> reply);
  void GetComplaintStats(CallMeta call, const v1::GetComplaintStatsRequest& req,
                         Reply<v1::GetComplaintStatsResponse> reply);
  void GetSlaPolicy(CallMeta call, const v1::GetSlaPolicyRequest& req,
                    Reply<v1::GetSlaPolicyResponse> reply);
  void UpdateSlaPolicy(CallMeta call, const v1::UpdateSlaPolicyRequest& req,
                       Reply<v1::UpdateSlaPolicyResponse> reply);
  void GetBranchCalendar(CallMeta call, const v1::GetBranchCalendarRequest& req,
                         Reply<v1::GetBranchCalendarResponse> reply);
  void UpdateBranchCalendar(CallMeta call,
                            const v1::UpdateBranchCalendarRequest& req,
                            Reply<v1::UpdateBranchCalendarResponse> reply);

  // The escalation sweep (a maintenance task): marks near-breaches and
  // breaches that are due, in transactions of at most sweep_batch
  // complaints, for at most sweep_budget. Returns true while more are due.
  absl::StatusOr<bool> SweepSlice();

  // PersonDataPart: the customer's complaints and their history as
  // Any(Complaint) and Any(HistoryEntry); erasure empties their free text
  // (subject, description, messages, notes, the solution's description) and
  // keeps category, severity, times, clocks, topics and keywords.
  absl::Status ExportPerson(
      db::Connection& conn, const std::string& customer_id,
      google::protobuf::RepeatedPtrField<google::protobuf::Any>* out) override;
  absl::Status ErasePerson(db::MutationContext& ctx,
                           const std::string& customer_id) override;

  // ComplaintIntake.
  absl::StatusOr<std::string> OpenComplaint(db::MutationContext& ctx,
                                            const Opening& opening) override;
  absl::StatusOr<std::string> CheckComplaintOfCustomer(
      db::Connection& conn, const std::string& complaint_id,
      const std::string& customer_id, const std::string& field,
      const std::string& branch_scope) override;
  absl::StatusOr<std::vector<Closed>> ListClosed(db::Connection& conn,
                                                 int64_t from_us, int64_t to_us,
                                                 int64_t after_close_us,
                                                 int64_t after_row,
                                                 int limit) override;

 private:
  // Inserts a new complaint (customer and order checked, policy version and
  // clocks started, keywords, history, event) in `ctx`'s transaction;
  // returns its branch's calendar.
  absl::StatusOr<BusinessCalendar> InsertNew(
      db::MutationContext& ctx, StoredComplaint& sc,
      const std::vector<KeywordRow>& keyword_rows);

  // One transition: loads the complaint in the caller's scope, checks the
  // etag, lets `step` change it (returning the event's name), saves it with
  // its event and history, and answers with it.
  template <typename Response, typename Step>
  void Transition(CallMeta call, const google::protobuf::Message& req,
                  const std::string& complaint_id, const std::string& etag,
                  const std::string& request_id, Step step,
                  Reply<Response> reply);

  db::Database& db_;
  const Clock& clock_;
  const ComplaintOptions options_;
  customers::CustomerDirectory* const customers_;
  orders::OrderDirectory* const orders_;
  const text::Analyzer& analyzer_;
  const PageTokenCodec tokens_;
};

}  // namespace retail::complaints

#endif  // RETAIL_SERVER_COMPLAINTS_COMPLAINT_MANAGER_H_
