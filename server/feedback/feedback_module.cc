#include "server/feedback/feedback_module.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/method.h"
#include "common/text/shared_analyzer.h"
#include "retail/feedback/v1/feedback.pb.h"
#include "server/complaints/complaint_intake.h"
#include "server/customers/customer_directory.h"
#include "server/feedback/feedback_manager.h"
#include "server/feedback/feedback_schema.h"
#include "server/orders/order_directory.h"
#include "server/unary_service.h"

ABSL_FLAG(int32_t, feedback_escalation_max_rating, 2,
          "Feedback rated 1 to this (0: never by rating) with negative "
          "sentiment opens a complaint (anonymous feedback: flagged for "
          "review)");
ABSL_FLAG(std::string, feedback_escalation_keywords, "",
          "Comma-separated terms that escalate feedback whatever its rating, "
          "matched in the normalised text (traditional Chinese is read as "
          "simplified); empty: 食物中毒,受伤,过敏,欺诈,假货,报警,起诉; "
          "'none': no keyword escalates");
ABSL_FLAG(int32_t, followup_after_complaint_days, 3,
          "Schedule a follow-up visit this many days after a complaint "
          "closes; 0 turns it off");
ABSL_FLAG(int32_t, followup_after_vip_purchase_days, 7,
          "Schedule a follow-up visit this many days after a VIP's purchase; "
          "0 turns it off");
ABSL_FLAG(bool, followup_vip_birthdays, true,
          "Schedule a follow-up visit on each VIP's birthday");
ABSL_FLAG(int64_t, followup_schedule_interval_seconds, 300,
          "How often the follow-up scheduler looks for closed complaints, "
          "VIP purchases and birthdays; 0 disables it");

namespace retail::feedback {
namespace {

class FeedbackModule final : public Module {
 public:
  FeedbackModule(ModuleEnv& env, FeedbackOptions options,
                 const text::Analyzer& analyzer, absl::Duration interval)
      : manager_(env.db, env.clock, std::move(options), analyzer,
                 env.registry.Find<customers::CustomerDirectory>(),
                 env.registry.Find<orders::OrderDirectory>(),
                 env.registry.Find<complaints::ComplaintIntake>()),
        service_(*MethodOf<v1::AnalyzeTextRequest>().service(), manager_,
                 env.gate),
        interval_(interval) {
    service_.Handle(&FeedbackManager::AnalyzeText)
        .Handle(&FeedbackManager::CreateSurvey)
        .Handle(&FeedbackManager::GetSurvey)
        .Handle(&FeedbackManager::ListSurveys)
        .Handle(&FeedbackManager::SubmitSurveyResponse)
        .Handle(&FeedbackManager::SubmitFeedback)
        .Handle(&FeedbackManager::GetFeedback)
        .Handle(&FeedbackManager::ListFeedback)
        .Handle(&FeedbackManager::GetSatisfactionReport)
        .Handle(&FeedbackManager::ScheduleFollowUp)
        .Handle(&FeedbackManager::ListFollowUps)
        .Handle(&FeedbackManager::CompleteFollowUp);
    env.registry.AddPersonDataPart(&manager_);
    // Stored states hold no contact (a follow-up's name and phone are read
    // live, masked per caller); text and answers are what every reader of
    // the record sees.
    env.registry.AddUnmaskedState<v1::Survey>();
    env.registry.AddUnmaskedState<v1::SurveyResponse>();
    env.registry.AddUnmaskedState<v1::FeedbackItem>();
    env.registry.AddUnmaskedState<v1::FollowUp>();
  }

  std::vector<ModuleService*> services() override { return {&service_}; }

  std::vector<MaintenanceTask> maintenance_tasks() override {
    if (interval_ <= absl::ZeroDuration()) return {};
    return {{"feedback.follow_up_scheduler", interval_,
             [this] { return manager_.ScheduleSlice(); }}};
  }

 private:
  FeedbackManager manager_;
  UnaryService<FeedbackManager> service_;
  const absl::Duration interval_;
};

absl::StatusOr<FeedbackOptions> OptionsFromFlags(
    const ChainSettings& chain, const text::Analyzer& analyzer) {
  FeedbackOptions o;
  if (!absl::LoadTimeZone(chain.time_zone, &o.time_zone)) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown time zone '", chain.time_zone, "'"));
  }
  o.escalation_max_rating = absl::GetFlag(FLAGS_feedback_escalation_max_rating);
  if (o.escalation_max_rating < 0 || o.escalation_max_rating > 5) {
    return absl::InvalidArgumentError(
        "--feedback_escalation_max_rating must be 0 to 5");
  }
  const std::string keywords =
      absl::GetFlag(FLAGS_feedback_escalation_keywords);
  std::vector<std::string> raw;
  if (keywords.empty()) {
    raw = DefaultEscalationKeywords();
  } else if (keywords != "none") {
    raw = absl::StrSplit(keywords, ',', absl::SkipWhitespace());
  }
  for (const std::string& k : raw) {
    // Matched against normalised text, so normalised the same way.
    absl::StatusOr<text::Analysis> a =
        analyzer.Analyze(k, "--feedback_escalation_keywords");
    if (!a.ok()) return a.status();
    if (!a->normalized.empty()) o.escalation_keywords.push_back(a->normalized);
  }
  const int32_t complaint_days =
      absl::GetFlag(FLAGS_followup_after_complaint_days);
  const int32_t purchase_days =
      absl::GetFlag(FLAGS_followup_after_vip_purchase_days);
  if (complaint_days < 0 || complaint_days > 365 || purchase_days < 0 ||
      purchase_days > 365) {
    return absl::InvalidArgumentError(
        "--followup_after_complaint_days and "
        "--followup_after_vip_purchase_days must be 0 to 365");
  }
  o.after_complaint = absl::Hours(24) * complaint_days;
  o.after_vip_purchase = absl::Hours(24) * purchase_days;
  o.vip_birthdays = absl::GetFlag(FLAGS_followup_vip_birthdays);
  return o;
}

}  // namespace

AccessTable FeedbackAccess() {
  // Staff roles (admin, agent) work across branches; a branch on its own
  // branch's feedback, responses and follow-ups (stores scope every
  // query); a service token only on the methods its methods= list names;
  // an auditor only reads. Surveys are the chain's: admin and agent write
  // them. Analysing a text reads and stores nothing: every role may.
  const RoleSet read = RoleSet::All();
  const RoleSet write = {Role::kAdmin, Role::kAgent, Role::kBranch,
                         Role::kService};
  AccessTable t;
  t.Allow<v1::AnalyzeTextRequest>(Act::kRead, read)
      .Allow<v1::CreateSurveyRequest>(Act::kWrite, {Role::kAdmin, Role::kAgent})
      .Allow<v1::GetSurveyRequest>(Act::kRead, read)
      .Allow<v1::ListSurveysRequest>(Act::kRead, read)
      .Allow<v1::SubmitSurveyResponseRequest>(Act::kWrite, write)
      .Allow<v1::SubmitFeedbackRequest>(Act::kWrite, write)
      .Allow<v1::GetFeedbackRequest>(Act::kRead, read)
      .Allow<v1::ListFeedbackRequest>(Act::kRead, read)
      .Allow<v1::GetSatisfactionReportRequest>(Act::kRead, read)
      .Allow<v1::ScheduleFollowUpRequest>(Act::kWrite, write)
      .Allow<v1::ListFollowUpsRequest>(Act::kRead, read)
      .Allow<v1::CompleteFollowUpRequest>(Act::kWrite, write);
  return t;
}

ModuleSpec FeedbackModuleSpec() {
  return ModuleSpec{
      "feedback", [] { return &FeedbackSchema(); }, &FeedbackAccess,
      [](ModuleEnv& env) -> absl::StatusOr<std::unique_ptr<Module>> {
        absl::StatusOr<const text::Analyzer*> analyzer = text::SharedAnalyzer();
        if (!analyzer.ok()) return analyzer.status();
        absl::StatusOr<FeedbackOptions> options =
            OptionsFromFlags(env.chain, **analyzer);
        if (!options.ok()) return options.status();
        const int64_t seconds =
            absl::GetFlag(FLAGS_followup_schedule_interval_seconds);
        if (seconds < 0) {
          return absl::InvalidArgumentError(
              "--followup_schedule_interval_seconds must not be negative");
        }
        return std::make_unique<FeedbackModule>(
            env, *std::move(options), **analyzer, absl::Seconds(seconds));
      }};
}

}  // namespace retail::feedback
