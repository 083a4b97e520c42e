// Domain rules for customer feedback: AnalyzeText (issue 11); surveys and
// their responses, feedback items with their analysis and escalation to a
// complaint, the satisfaction report, and follow-up visits with their
// automatic scheduling (issue 13). No gRPC here: a manager is driven by
// tests directly.
//
// Every method answers through `reply` exactly once. Reads answer on the
// calling thread unless a PII reveal must be audited first; writes answer on
// the writer's ack thread after their commit is durable. Text is analysed
// on the calling thread, never on the writer.
#ifndef RETAIL_SERVER_FEEDBACK_FEEDBACK_MANAGER_H_
#define RETAIL_SERVER_FEEDBACK_FEEDBACK_MANAGER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/call.h"
#include "common/clock.h"
#include "common/db/database.h"
#include "common/pagination.h"
#include "common/reply.h"
#include "common/text/analyzer.h"
#include "retail/feedback/v1/feedback.pb.h"
#include "server/complaints/complaint_intake.h"
#include "server/customers/customer_directory.h"
#include "server/module_registry.h"
#include "server/orders/order_directory.h"

namespace retail::feedback {

// The API form of an analysis.
void ToProto(const text::Analysis& in, v1::TextAnalysis* out);

struct FeedbackOptions {
  // The chain's zone: report days, weeks and birthdays are taken in it.
  absl::TimeZone time_zone = absl::UTCTimeZone();
  // Escalation: a rating of 1..max_rating with negative sentiment, or a
  // listed keyword (normalised like the text) anywhere in the text.
  int escalation_max_rating = 2;
  std::vector<std::string> escalation_keywords;
  // Automatic follow-ups; a zero duration turns that cause off.
  absl::Duration after_complaint = absl::Hours(3 * 24);
  absl::Duration after_vip_purchase = absl::Hours(7 * 24);
  bool vip_birthdays = true;
  // A birthday follow-up is due at this local time of the day.
  int birthday_hour = 10;
  // The scheduler: at most this many causes per transaction, and a slice
  // ends once this much time went by (the writer is shared).
  int schedule_batch = 200;
  absl::Duration schedule_budget = absl::Milliseconds(50);
};

// The default escalation keywords: harm and fraud, which no rating makes
// less serious (食物中毒 food poisoning, 受伤 injured, 过敏 allergy, 欺诈
// fraud, 假货 counterfeit, 报警 called the police, 起诉 suing).
std::vector<std::string> DefaultEscalationKeywords();

class FeedbackManager final : public PersonDataPart {
 public:
  // `customers`, `orders` and `complaints` may be null when their modules
  // are not loaded (then feedback cannot name a customer, an order or a
  // complaint, and escalation flags for review instead).
  FeedbackManager(db::Database& db, const Clock& clock, FeedbackOptions options,
                  const text::Analyzer& analyzer,
                  customers::CustomerDirectory* customers,
                  orders::OrderDirectory* orders,
                  complaints::ComplaintIntake* complaints);

  void AnalyzeText(CallMeta call, const v1::AnalyzeTextRequest& req,
                   Reply<v1::AnalyzeTextResponse> reply);
  void CreateSurvey(CallMeta call, const v1::CreateSurveyRequest& req,
                    Reply<v1::CreateSurveyResponse> reply);
  void GetSurvey(CallMeta call, const v1::GetSurveyRequest& req,
                 Reply<v1::GetSurveyResponse> reply);
  void ListSurveys(CallMeta call, const v1::ListSurveysRequest& req,
                   Reply<v1::ListSurveysResponse> reply);
  void SubmitSurveyResponse(CallMeta call,
                            const v1::SubmitSurveyResponseRequest& req,
                            Reply<v1::SubmitSurveyResponseResponse> reply);
  void SubmitFeedback(CallMeta call, const v1::SubmitFeedbackRequest& req,
                      Reply<v1::SubmitFeedbackResponse> reply);
  void GetFeedback(CallMeta call, const v1::GetFeedbackRequest& req,
                   Reply<v1::GetFeedbackResponse> reply);
  void ListFeedback(CallMeta call, const v1::ListFeedbackRequest& req,
                    Reply<v1::ListFeedbackResponse> reply);
  void GetSatisfactionReport(CallMeta call,
                             const v1::GetSatisfactionReportRequest& req,
                             Reply<v1::GetSatisfactionReportResponse> reply);
  void ScheduleFollowUp(CallMeta call, const v1::ScheduleFollowUpRequest& req,
                        Reply<v1::ScheduleFollowUpResponse> reply);
  void ListFollowUps(CallMeta call, const v1::ListFollowUpsRequest& req,
                     Reply<v1::ListFollowUpsResponse> reply);
  void CompleteFollowUp(CallMeta call, const v1::CompleteFollowUpRequest& req,
                        Reply<v1::CompleteFollowUpResponse> reply);

  // The follow-up scheduler (a maintenance task): schedules the follow-ups
  // that closed complaints, VIP purchases and VIP birthdays call for, each
  // cause once, in transactions of at most schedule_batch causes, for at
  // most schedule_budget. Returns true while more are waiting.
  absl::StatusOr<bool> ScheduleSlice();

  // PersonDataPart: the customer's feedback items, survey responses and
  // follow-ups as Any(FeedbackItem), Any(SurveyResponse), Any(FollowUp);
  // erasure empties their free text (feedback text, free-text answers,
  // follow-up notes) and unlinks them from the customer, keeping ratings,
  // scores, sentiment, topics and keywords in the statistics.
  absl::Status ExportPerson(
      db::Connection& conn, const std::string& customer_id,
      google::protobuf::RepeatedPtrField<google::protobuf::Any>* out) override;
  absl::Status ErasePerson(db::MutationContext& ctx,
                           const std::string& customer_id) override;

 private:
  // The business day (days since 1970-01-01 in the chain's zone) of `us`.
  int64_t DayOf(int64_t us) const;

  db::Database& db_;
  const Clock& clock_;
  const FeedbackOptions options_;
  const text::Analyzer& analyzer_;
  customers::CustomerDirectory* const customers_;
  orders::OrderDirectory* const orders_;
  complaints::ComplaintIntake* const complaints_;
  const PageTokenCodec tokens_;
};

}  // namespace retail::feedback

#endif  // RETAIL_SERVER_FEEDBACK_FEEDBACK_MANAGER_H_
