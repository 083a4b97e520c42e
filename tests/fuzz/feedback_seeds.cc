// Writes the seed corpus of fuzz_feedback: one valid (or deliberately
// near-valid) request per interesting path of each RPC, encoded as fuzz
// inputs (harness.h), aimed at the seeded rows by their pool slots
// (feedback_rpc.h). The output is checked in under
// tests/fuzz/corpus/feedback/; regenerate it after changing feedback.proto
// or the input layout:
//
//   build-fuzz/bin/fuzz_feedback_seeds tests/fuzz/corpus/feedback
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "retail/feedback/v1/feedback.pb.h"
#include "tests/fuzz/feedback_rpc.h"
#include "tests/fuzz/harness.h"

namespace retail::fuzz::feedback {
namespace {

namespace v1 = ::retail::feedback::v1;

constexpr int kNoSlot = -1;
constexpr bool kFresh = true;
constexpr bool kFixed = false;

struct Seed {
  std::string name;
  std::string bytes;
};

class Seeds {
 public:
  void Add(std::string name, Rpc rpc, Caller caller, bool fresh, int slot,
           const google::protobuf::Message& request) {
    seeds_.push_back(
        {std::move(name),
         EncodeInput(rpc, caller, fresh, slot, request.SerializeAsString())});
  }
  void AddRaw(std::string name, Rpc rpc, Caller caller, std::string message) {
    seeds_.push_back(
        {std::move(name), EncodeInput(rpc, caller, kFixed, kNoSlot, message)});
  }
  void AddSequence(std::string name, const std::vector<std::string>& calls) {
    seeds_.push_back({std::move(name), JoinCalls(calls)});
  }
  const std::vector<Seed>& all() const { return seeds_; }

 private:
  std::vector<Seed> seeds_;
};

std::string Call(Rpc rpc, Caller caller, bool fresh, int slot,
                 const google::protobuf::Message& request) {
  return EncodeInput(rpc, caller, fresh, slot, request.SerializeAsString());
}

v1::Question Question(v1::QuestionType type, const char* text,
                      std::initializer_list<const char*> choices,
                      bool required) {
  v1::Question q;
  q.set_type(type);
  q.set_text(text);
  for (const char* c : choices) q.add_choices(c);
  q.set_required(required);
  return q;
}

v1::CreateSurveyRequest NewSurvey() {
  v1::CreateSurveyRequest req;
  req.set_request_id("fuzz-seed-survey");
  v1::Survey* s = req.mutable_survey();
  s->set_title("售后回访问卷");
  s->set_description("请花一分钟告诉我们您的感受");
  *s->add_questions() =
      Question(v1::QUESTION_TYPE_RATING, "您对售后服务满意吗？", {}, true);
  *s->add_questions() =
      Question(v1::QUESTION_TYPE_NPS, "您会推荐我们吗？", {}, true);
  *s->add_questions() =
      Question(v1::QUESTION_TYPE_SINGLE_CHOICE, "您是怎么联系我们的？",
               {"电话", "微信"}, false);
  *s->add_questions() =
      Question(v1::QUESTION_TYPE_MULTIPLE_CHOICE, "哪些方面需要改进？",
               {"退款速度", "客服态度", "物流"}, false);
  *s->add_questions() =
      Question(v1::QUESTION_TYPE_FREE_TEXT, "其他建议", {}, false);
  return req;
}

// Answers to every question of the seeded every-type survey (its slot is
// the id slot of the call).
v1::SubmitSurveyResponseRequest Respond(const char* customer,
                                        const char* branch) {
  v1::SubmitSurveyResponseRequest req;
  req.set_request_id("fuzz-seed-response");
  v1::SurveyResponse* r = req.mutable_response();
  r->set_customer_id(customer);
  r->set_branch_id(branch);
  v1::Answer* a = r->add_answers();
  a->set_question_id("q1");
  a->set_rating(2);
  a = r->add_answers();
  a->set_question_id("q2");
  a->set_score(0);
  a->set_has_score(true);
  a = r->add_answers();
  a->set_question_id("q3");
  a->add_choices("网店");
  a = r->add_answers();
  a->set_question_id("q4");
  a->add_choices("质量");
  a->add_choices("物流");
  a = r->add_answers();
  a->set_question_id("q5");
  a->set_text("快递太慢了，衣服质量也不太好，不满意");
  return req;
}

v1::SubmitFeedbackRequest Feedback(v1::FeedbackKind kind, const char* branch,
                                   int rating, const char* text) {
  v1::SubmitFeedbackRequest req;
  req.set_request_id("fuzz-seed-feedback");
  v1::FeedbackItem* f = req.mutable_feedback();
  f->set_kind(kind);
  f->set_channel(v1::FEEDBACK_CHANNEL_WECHAT);
  f->set_branch_id(branch);
  if (kind == v1::FEEDBACK_KIND_PRODUCT_REVIEW) f->set_sku("SHIRT-M");
  f->set_rating(rating);
  f->set_text(text);
  return req;
}

// 2026-01-01 to 2026-01-31: the target's clock starts on 2026-01-15.
v1::GetSatisfactionReportRequest Report(const char* branch, int top) {
  v1::GetSatisfactionReportRequest req;
  req.set_branch_id(branch);
  req.mutable_start_date()->set_year(2026);
  req.mutable_start_date()->set_month(1);
  req.mutable_start_date()->set_day(1);
  req.mutable_end_date()->set_year(2026);
  req.mutable_end_date()->set_month(1);
  req.mutable_end_date()->set_day(31);
  req.set_top(top);
  return req;
}

v1::ScheduleFollowUpRequest Schedule(v1::FollowUpReason reason,
                                     const char* order, const char* complaint,
                                     const char* owner) {
  v1::ScheduleFollowUpRequest req;
  req.set_request_id("fuzz-seed-follow-up");
  v1::FollowUp* f = req.mutable_follow_up();
  f->set_reason(reason);
  f->mutable_due_time()->set_seconds(1769500000);  // 2026-01-27
  f->set_order_id(order);
  f->set_complaint_id(complaint);
  f->set_owner_id(owner);
  return req;
}

v1::CompleteFollowUpRequest Complete(v1::FollowUpOutcome outcome,
                                     int satisfaction,
                                     v1::RepurchaseIntent intent) {
  v1::CompleteFollowUpRequest req;
  req.set_request_id("fuzz-seed-complete");
  req.set_outcome(outcome);
  req.set_satisfaction(satisfaction);
  req.set_repurchase_intent(intent);
  req.set_notes("已回访，客户表示满意");
  return req;
}

std::vector<Seed> FeedbackSeeds() {
  Seeds s;
  // AnalyzeText.
  {
    v1::AnalyzeTextRequest req;
    req.set_text("退換貨太慢了，客服態度也不好");
    s.Add("analyze_traditional", kAnalyzeText, Caller::kAuditor, kFixed,
          kNoSlot, req);
    req.set_text("The delivery was not slow, staff were friendly");
    s.Add("analyze_english", kAnalyzeText, Caller::kBranchB002, kFixed, kNoSlot,
          req);
  }
  // CreateSurvey, GetSurvey, ListSurveys.
  s.Add("survey_create_admin", kCreateSurvey, Caller::kAdmin, kFresh, kNoSlot,
        NewSurvey());
  s.Add("survey_create_branch", kCreateSurvey, Caller::kBranchB001, kFresh,
        kNoSlot, NewSurvey());
  {
    v1::CreateSurveyRequest bad = NewSurvey();
    bad.mutable_survey()->set_title("");
    bad.mutable_survey()->mutable_questions(0)->add_choices("好");
    bad.mutable_survey()->mutable_questions(3)->set_choices(1, "退款速度");
    s.Add("survey_create_invalid", kCreateSurvey, Caller::kAgent, kFresh,
          kNoSlot, bad);
  }
  s.Add("survey_get_every_type", kGetSurvey, Caller::kBranchB002, kFixed,
        kEveryTypeSurvey, v1::GetSurveyRequest());
  {
    v1::ListSurveysRequest list;
    list.set_page_size(1);
    v1::ListSurveysRequest next = list;
    next.set_page_token("@");
    s.AddSequence(
        "survey_list_pages",
        {Call(kListSurveys, Caller::kAuditor, kFixed, kNoSlot, list),
         Call(kListSurveys, Caller::kAuditor, kFixed, kNoSlot, next),
         Call(kListSurveys, Caller::kAuditor, kFixed, kNoSlot, next)});
  }
  // SubmitSurveyResponse.
  s.Add("response_every_type", kSubmitSurveyResponse, Caller::kAgent, kFresh,
        kEveryTypeSurvey, Respond("@1", "B002"));
  s.Add("response_branch_own", kSubmitSurveyResponse, Caller::kBranchB001,
        kFresh, kEveryTypeSurvey, [] {
          v1::SubmitSurveyResponseRequest r = Respond("@1", "");
          r.mutable_response()->set_order_id("@2");
          return r;
        }());
  s.Add("response_duplicate", kSubmitSurveyResponse, Caller::kAdmin, kFresh,
        kEveryTypeSurvey, Respond("@0", "B001"));
  s.Add("response_erased_member", kSubmitSurveyResponse, Caller::kAdmin, kFresh,
        kEveryTypeSurvey, Respond("@2", "B001"));
  s.Add("response_about_complaint", kSubmitSurveyResponse, Caller::kAgent,
        kFresh, kEveryTypeSurvey, [] {
          v1::SubmitSurveyResponseRequest r = Respond("@0", "B001");
          r.mutable_response()->set_complaint_id("@2");
          return r;
        }());
  s.Add("response_others_order", kSubmitSurveyResponse, Caller::kAgent, kFresh,
        kEveryTypeSurvey, [] {
          v1::SubmitSurveyResponseRequest r = Respond("@0", "B001");
          r.mutable_response()->set_order_id("@2");
          return r;
        }());
  {
    v1::SubmitSurveyResponseRequest nps;
    nps.set_request_id("fuzz-seed-nps");
    nps.mutable_response()->set_customer_id("@0");
    nps.mutable_response()->set_branch_id("B001");
    v1::Answer* a = nps.mutable_response()->add_answers();
    a->set_question_id("q1");
    a->set_score(10);
    a->set_has_score(true);
    a = nps.mutable_response()->add_answers();
    a->set_question_id("q2");
    a->set_text("店员很热情，推荐");
    s.Add("response_nps_survey", kSubmitSurveyResponse, Caller::kAdmin, kFresh,
          kNpsSurvey, nps);
  }
  {
    v1::SubmitSurveyResponseRequest bad = Respond("@0", "B001");
    v1::SurveyResponse* r = bad.mutable_response();
    r->mutable_answers(0)->set_rating(6);
    r->mutable_answers(1)->set_has_score(false);
    r->mutable_answers(2)->add_choices("门店");
    r->mutable_answers(3)->set_choices(1, "质量");
    r->mutable_answers(4)->set_rating(3);
    *r->add_answers() = r->answers(0);
    s.Add("response_invalid_answers", kSubmitSurveyResponse, Caller::kAgent,
          kFresh, kEveryTypeSurvey, bad);
  }
  // SubmitFeedback, GetFeedback, ListFeedback.
  s.Add(
      "feedback_praise_member", kSubmitFeedback, Caller::kAgent, kFresh,
      kMemberB001,
      Feedback(v1::FEEDBACK_KIND_PRAISE, "B001", 5, "店员很热情，服务很专业"));
  s.Add("feedback_escalates_member", kSubmitFeedback, Caller::kBranchB002,
        kFresh, kMemberB002,
        Feedback(v1::FEEDBACK_KIND_COMMENT, "", 1,
                 "物流太慢了，客服态度很差，非常不满意"));
  s.Add("feedback_keyword_anonymous", kSubmitFeedback, Caller::kAdmin, kFresh,
        kNoSlot,
        Feedback(v1::FEEDBACK_KIND_PRODUCT_REVIEW, "B001", 4,
                 "吃了以后食物中毒，还有过敏"));
  {
    // Every topic, rated 3: not escalated (escalated, the complaint's
    // subject would list every topic; see regressions/feedback/).
    v1::SubmitFeedbackRequest every_topic =
        Feedback(v1::FEEDBACK_KIND_PRODUCT_REVIEW, "B001", 3,
                 "尺码偏小，质量很差，退货太慢，物流太慢，店员态度差，"
                 "价格太贵，排队太久，店里很脏，付款失败，积分没到账");
    every_topic.mutable_feedback()->set_order_id("@0");
    s.Add("feedback_every_topic_member", kSubmitFeedback, Caller::kAdmin,
          kFresh, kMemberB001, every_topic);
  }
  s.Add("feedback_erased_member", kSubmitFeedback, Caller::kAdmin, kFresh,
        kErasedMember,
        Feedback(v1::FEEDBACK_KIND_COMMENT, "B001", 2, "太差了"));
  {
    v1::SubmitFeedbackRequest walk_in =
        Feedback(v1::FEEDBACK_KIND_COMMENT, "B001", 3, "一般");
    walk_in.mutable_feedback()->set_order_id("@1");
    s.Add("feedback_walk_in_order", kSubmitFeedback, Caller::kAgent, kFresh,
          kMemberB001, walk_in);
  }
  s.Add("feedback_auditor", kSubmitFeedback, Caller::kAuditor, kFresh,
        kMemberB001, Feedback(v1::FEEDBACK_KIND_COMMENT, "B001", 3, "一般"));
  {
    v1::SubmitFeedbackRequest bad =
        Feedback(v1::FEEDBACK_KIND_UNSPECIFIED, "B1 x", 9, "");
    bad.mutable_feedback()->set_sku(std::string(70, 's'));
    s.Add("feedback_invalid_fields", kSubmitFeedback, Caller::kAdmin, kFresh,
          kNoSlot, bad);
  }
  s.Add("feedback_get_escalated", kGetFeedback, Caller::kAgent, kFixed,
        kEscalatedB001, v1::GetFeedbackRequest());
  s.Add("feedback_get_branch_other", kGetFeedback, Caller::kBranchB001, kFixed,
        kAnonymousB002, v1::GetFeedbackRequest());
  s.Add("feedback_get_erased", kGetFeedback, Caller::kAuditor, kFixed,
        kErasedB001, v1::GetFeedbackRequest());
  {
    v1::ListFeedbackRequest list;
    list.set_page_size(2);
    v1::ListFeedbackRequest next = list;
    next.set_page_token("@");
    s.AddSequence("feedback_list_pages",
                  {Call(kListFeedback, Caller::kAdmin, kFixed, kNoSlot, list),
                   Call(kListFeedback, Caller::kAdmin, kFixed, kNoSlot, next)});
    v1::ListFeedbackRequest filtered;
    filtered.set_kind(v1::FEEDBACK_KIND_COMMENT);
    filtered.set_min_rating(1);
    filtered.set_max_rating(2);
    filtered.set_sentiment(v1::SENTIMENT_LABEL_NEGATIVE);
    filtered.set_topic("quality");
    filtered.set_keyword("質量");
    filtered.mutable_create_time_start()->set_seconds(1767225600);
    filtered.mutable_create_time_end()->set_seconds(1782864000);
    s.Add("feedback_list_filtered", kListFeedback, Caller::kAgent, kFixed,
          kNoSlot, filtered);
    v1::ListFeedbackRequest review;
    review.set_needs_review(true);
    review.set_branch_id("B002");
    s.Add("feedback_list_review_branch", kListFeedback, Caller::kBranchB002,
          kFixed, kNoSlot, review);
    v1::ListFeedbackRequest sku;
    sku.set_sku("SHIRT-M");
    s.Add("feedback_list_sku", kListFeedback, Caller::kBranchB001, kFixed,
          kNoSlot, sku);
  }
  // GetSatisfactionReport.
  s.Add("report_all", kGetSatisfactionReport, Caller::kAgent, kFixed, kNoSlot,
        Report("", 5));
  s.Add("report_branch_own", kGetSatisfactionReport, Caller::kBranchB001,
        kFixed, kNoSlot, Report("", 0));
  s.Add("report_branch_other", kGetSatisfactionReport, Caller::kBranchB001,
        kFixed, kNoSlot, Report("B002", 3));
  {
    v1::GetSatisfactionReportRequest year = Report("B001", 50);
    year.mutable_start_date()->set_year(2025);
    year.mutable_start_date()->set_month(1);
    year.mutable_start_date()->set_day(16);
    year.mutable_end_date()->set_day(16);
    s.Add("report_whole_year", kGetSatisfactionReport, Caller::kAuditor, kFixed,
          kNoSlot, year);
  }
  // ScheduleFollowUp, ListFollowUps, CompleteFollowUp.
  s.Add("follow_up_after_order", kScheduleFollowUp, Caller::kAgent, kFresh,
        kMemberB001,
        Schedule(v1::FOLLOW_UP_REASON_AFTER_PURCHASE, "@0", "", "agent-9"));
  s.Add("follow_up_after_complaint_branch", kScheduleFollowUp,
        Caller::kBranchB002, kFresh, kMemberB002,
        Schedule(v1::FOLLOW_UP_REASON_AFTER_COMPLAINT, "", "@1", ""));
  s.Add("follow_up_other_branch", kScheduleFollowUp, Caller::kBranchB001,
        kFresh, kMemberB002,
        Schedule(v1::FOLLOW_UP_REASON_VIP_CARE, "", "", "S1001"));
  s.Add("follow_up_erased", kScheduleFollowUp, Caller::kAdmin, kFresh,
        kErasedMember,
        Schedule(v1::FOLLOW_UP_REASON_BIRTHDAY, "", "", "agent-7"));
  s.Add("follow_up_others_complaint", kScheduleFollowUp, Caller::kAdmin, kFresh,
        kMemberB001,
        Schedule(v1::FOLLOW_UP_REASON_AFTER_COMPLAINT, "", "@1", ""));
  {
    v1::ListFollowUpsRequest list;
    list.set_page_size(1);
    list.set_status(v1::FOLLOW_UP_STATUS_PENDING);
    v1::ListFollowUpsRequest next = list;
    next.set_page_token("@");
    s.AddSequence(
        "follow_up_list_pages",
        {Call(kListFollowUps, Caller::kAdmin, kFixed, kNoSlot, list),
         Call(kListFollowUps, Caller::kAdmin, kFixed, kNoSlot, next),
         Call(kListFollowUps, Caller::kAdmin, kFixed, kNoSlot, next)});
    v1::ListFollowUpsRequest reveal;
    reveal.set_reveal_pii(true);
    reveal.mutable_due_start()->set_seconds(1768000000);
    reveal.mutable_due_end()->set_seconds(1770000000);
    s.Add("follow_up_list_agent_reveal", kListFollowUps, Caller::kAgent, kFixed,
          0, reveal);
    s.Add("follow_up_list_auditor", kListFollowUps, Caller::kAuditor, kFixed,
          kNoSlot, v1::ListFollowUpsRequest());
    s.Add("follow_up_list_branch", kListFollowUps, Caller::kBranchB002, kFixed,
          kNoSlot, v1::ListFollowUpsRequest());
  }
  s.Add(
      "follow_up_complete_reached", kCompleteFollowUp, Caller::kAgent, kFresh,
      kPendingB001,
      Complete(v1::FOLLOW_UP_OUTCOME_REACHED, 4, v1::REPURCHASE_INTENT_MAYBE));
  s.Add("follow_up_complete_unreachable", kCompleteFollowUp,
        Caller::kBranchB002, kFresh, kPendingB002, [] {
          v1::CompleteFollowUpRequest r =
              Complete(v1::FOLLOW_UP_OUTCOME_UNREACHABLE, 0,
                       v1::REPURCHASE_INTENT_UNSPECIFIED);
          r.set_notes("无人接听");
          return r;
        }());
  s.Add("follow_up_complete_done", kCompleteFollowUp, Caller::kAdmin, kFresh,
        kDoneB001,
        Complete(v1::FOLLOW_UP_OUTCOME_REACHED, 5, v1::REPURCHASE_INTENT_YES));
  s.Add("follow_up_complete_other_branch", kCompleteFollowUp,
        Caller::kBranchB001, kFresh, kPendingB002,
        Complete(v1::FOLLOW_UP_OUTCOME_REACHED, 3, v1::REPURCHASE_INTENT_NO));

  // Sequences: a survey created and answered, then reported; feedback
  // submitted, listed by its keyword and reported; a follow-up scheduled,
  // made, made again and listed.
  s.AddSequence(
      "seq_survey_answered_reported",
      {Call(kCreateSurvey, Caller::kAgent, kFresh, kNoSlot, NewSurvey()),
       Call(kSubmitSurveyResponse, Caller::kBranchB001, kFresh,
            kFirstCreatedSurvey,
            [] {
              v1::SubmitSurveyResponseRequest r = Respond("@0", "");
              r.mutable_response()->mutable_answers()->DeleteSubrange(2, 2);
              return r;
            }()),
       Call(kGetSurvey, Caller::kAuditor, kFixed, kFirstCreatedSurvey,
            v1::GetSurveyRequest()),
       Call(kGetSatisfactionReport, Caller::kBranchB001, kFixed, kNoSlot,
            Report("", 10))});
  {
    v1::ListFeedbackRequest by_keyword;
    by_keyword.set_keyword("too small");
    s.AddSequence(
        "seq_feedback_keyword_listed",
        {Call(kSubmitFeedback, Caller::kAdmin, kFresh, kMemberB001,
              Feedback(v1::FEEDBACK_KIND_PRODUCT_REVIEW, "B001", 3,
                       "The shirt runs small, too small for me, bad")),
         Call(kListFeedback, Caller::kAdmin, kFixed, kNoSlot, by_keyword),
         Call(kGetFeedback, Caller::kAdmin, kFixed, kFirstCreatedFeedback,
              v1::GetFeedbackRequest()),
         Call(kGetSatisfactionReport, Caller::kAdmin, kFixed, kNoSlot,
              Report("B001", 3))});
  }
  s.AddSequence(
      "seq_follow_up_lifecycle",
      {Call(kScheduleFollowUp, Caller::kBranchB001, kFresh, kMemberB001,
            Schedule(v1::FOLLOW_UP_REASON_AFTER_PURCHASE, "@0", "", "S1001")),
       Call(kCompleteFollowUp, Caller::kBranchB001, kFresh,
            kFirstCreatedFollowUp,
            Complete(v1::FOLLOW_UP_OUTCOME_REACHED, 2,
                     v1::REPURCHASE_INTENT_NO)),
       Call(kCompleteFollowUp, Caller::kBranchB001, kFresh,
            kFirstCreatedFollowUp,
            Complete(v1::FOLLOW_UP_OUTCOME_UNREACHABLE, 0,
                     v1::REPURCHASE_INTENT_UNSPECIFIED)),
       Call(kListFollowUps, Caller::kBranchB001, kFixed, 2,
            v1::ListFollowUpsRequest())});

  // Bytes that are no valid request: a string field holding invalid UTF-8,
  // and a truncated length-delimited field.
  s.AddRaw("malformed_utf8", kSubmitFeedback, Caller::kAdmin,
           std::string("\x0a\x04\x4a\x02\xc3\x28", 6));
  s.AddRaw("malformed_truncated", kCreateSurvey, Caller::kAgent,
           std::string("\x0a\x10\x22\x04", 4));
  return s.all();
}

}  // namespace
}  // namespace retail::fuzz::feedback

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <output dir>\n", argv[0]);
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  std::filesystem::create_directories(dir);
  const auto seeds = retail::fuzz::feedback::FeedbackSeeds();
  for (const auto& seed : seeds) {
    std::ofstream(dir / seed.name, std::ios::binary) << seed.bytes;
  }
  std::printf("wrote %zu seeds to %s\n", seeds.size(), dir.c_str());
  return 0;
}
