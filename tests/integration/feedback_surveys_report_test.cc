// FeedbackService surveys, survey responses and GetSatisfactionReport
// (issue 13) through the real server over loopback TCP, on the TestServer's
// FakeClock (2026-06-01 00:00Z, a Monday, 08:00 in Shanghai, the chain's
// zone).
//
// Surveys: every CreateSurvey validation error named by its field, the
// question ids, Get and List with paging, who may create and read them.
// Responses: every answer-type validation error named (response.answers[i]
// and the field), many at once, the checks against other records
// (survey, customer, order, complaint), one response per customer, survey
// and order, retries, the analysis of free-text answers, branch rules.
//
// The report runs on a seeded set: feedback items and survey responses in
// three branches over eight instants from 2026-06-01 to 2026-06-30 in
// Shanghai, chosen around the report's edges: a day before the range, a
// Sunday 23:30 and the Monday 00:30 after it (still Sunday in UTC: a new
// week only in Shanghai), an empty week, the last day at 23:00 and the next
// day at 00:30 (still the last day in UTC). Every figure is computed here
// from what the test sent (ratings, NPS scores, and the sentiment, topics
// and keywords of the few texts used, written out below and checked
// against what the server answered), never from the server's answers, and
// compared exactly. Last, the daily rollups are recounted with SQL from the
// rows they count.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "retail/complaints/v1/complaints.grpc.pb.h"
#include "retail/customers/v1/customers.grpc.pb.h"
#include "retail/feedback/v1/feedback.grpc.pb.h"
#include "retail/orders/v1/orders.grpc.pb.h"
#include "tests/integration/test_server.h"

namespace retail::testing {
namespace {

using ::google::protobuf::util::MessageDifferencer;
using ::google::protobuf::util::TimeUtil;
using ::retail::complaints::v1::ComplaintService;
using ::retail::customers::v1::CustomerService;
using ::retail::feedback::v1::FeedbackService;
using ::retail::orders::v1::OrderService;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;
using ::testing::UnorderedElementsAreArray;
namespace v1 = ::retail::feedback::v1;
namespace cv1 = ::retail::customers::v1;
namespace ov1 = ::retail::orders::v1;
namespace kv1 = ::retail::complaints::v1;
using Stub = FeedbackService::Stub;

constexpr int64_t kMinute = 60 * kMicrosPerSecond;

const absl::CivilDay kEpoch(1970, 1, 1);

absl::TimeZone Shanghai() {
  absl::TimeZone z;
  EXPECT_TRUE(absl::LoadTimeZone("Asia/Shanghai", &z));
  return z;
}
// An instant given in Shanghai local time, as micros.
int64_t Local(int y, int mo, int d, int h, int mi = 0) {
  return absl::ToUnixMicros(
      absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, 0), Shanghai()));
}
std::string Describe(const grpc::Status& s) {
  return absl::StrCat(s.error_code(), " ", s.error_message());
}
common::v1::Date Date(absl::CivilDay d) {
  common::v1::Date out;
  out.set_year(static_cast<int32_t>(d.year()));
  out.set_month(d.month());
  out.set_day(d.day());
  return out;
}
std::vector<std::string> Strings(
    const google::protobuf::RepeatedPtrField<std::string>& r) {
  return {r.begin(), r.end()};
}

// ---- The texts of the seed and what the analyser finds in them ------------

struct TextFacts {
  const char* text;
  bool negative;  // the overall sentiment is negative
  std::vector<std::string> topics;
  std::vector<std::string> keywords;
};
const TextFacts kP1 = {"衣服质量很好，非常满意",
                       false,
                       {"quality"},
                       {"衣服", "质量", "好", "满意"}};
const TextFacts kP2 = {"门店很干净，店员很热情",
                       false,
                       {"store_environment", "staff_attitude"},
                       {"门店", "干净", "店员", "热情"}};
const TextFacts kU1 = {"还行吧", false, {}, {"还行"}};
// A negative payment topic in a text that is neutral overall: its terms
// are not negative terms.
const TextFacts kU2 = {
    "付款失败但是钱被扣了", false, {"payment"}, {"付款", "失败"}};
const TextFacts kN1 = {"退货太慢了，客服态度也不好",
                       true,
                       {"returns_exchanges", "staff_attitude"},
                       {"退货", "慢", "客服", "态度", "不好"}};
const TextFacts kN2 = {"物流太慢了，等了一个星期",
                       true,
                       {"logistics_delivery", "queueing_waiting"},
                       {"物流", "慢", "等了"}};
const TextFacts kN3 = {
    "价格太贵了，不值", true, {"price_value"}, {"价格", "贵", "不值"}};
const TextFacts kN4 = {"衣服质量太差了，穿一次就破了",
                       true,
                       {"quality"},
                       {"衣服", "质量", "差", "破"}};
const TextFacts kN5 = {"排队等了很久，收银太慢",
                       true,
                       {"queueing_waiting", "payment"},
                       {"排队", "等了", "久", "收银", "慢"}};

// One record of the seed: a feedback item (`texts` holds its text) or a
// survey response (a rating, maybe an NPS score, free-text answers).
struct Record {
  int y, mo, d, h, mi;  // Shanghai local time
  const char* branch;
  bool response;
  int rating;  // 0: none (feedback items only)
  int nps;     // -1: none
  std::vector<const TextFacts*> texts;
  bool with_customer = false;  // feedback items: name a customer
};

// The seed. The report's range is 2026-06-02 .. 2026-06-29.
const std::vector<Record>& Seed() {
  static const auto* const kSeed = new std::vector<Record>{
      // Mon 06-01 09:00: the day before the range.
      {2026, 6, 1, 9, 0, "B001", false, 5, -1, {&kP1}},
      {2026, 6, 1, 9, 0, "B001", true, 1, 0, {&kN1}},
      // Tue 06-02 10:00: the first day.
      {2026, 6, 2, 10, 0, "B001", false, 5, -1, {&kP1}},
      {2026, 6, 2, 10, 0, "B001", false, 4, -1, {&kP2}},
      {2026, 6, 2, 10, 0, "B002", false, 2, -1, {&kN3}},  // flagged
      {2026, 6, 2, 10, 0, "B001", true, 4, 9, {&kN2}},
      {2026, 6, 2, 10, 0, "B002", true, 5, 10, {}},
      // Sun 06-07 23:30 (15:30Z).
      {2026, 6, 7, 23, 30, "B002", false, 3, -1, {&kN5}},
      {2026, 6, 7, 23, 30, "B003", false, 0, -1, {&kU1}},
      // A negative answer and a positive one sharing terms (衣服, 质量).
      {2026, 6, 7, 23, 30, "B003", true, 5, 6, {&kN4, &kP1}},
      {2026, 6, 7, 23, 30, "B001", false, 1, -1, {&kN1}, true},  // complaint
      // Mon 06-08 00:30 (still Sunday 16:30Z): the second week.
      {2026, 6, 8, 0, 30, "B001", false, 4, -1, {&kU2}},
      // Two negative answers sharing 慢: one count for the response.
      {2026, 6, 8, 0, 30, "B001", true, 3, 7, {&kN1, &kN2}},
      {2026, 6, 8, 0, 30, "B002", true, 5, 8, {}},
      // Fri 06-12 14:00.
      {2026, 6, 12, 14, 0, "B003", false, 5, -1, {&kP2}},
      {2026, 6, 12, 14, 0, "B002", false, 4, -1, {&kP1}},
      {2026, 6, 12, 14, 0, "B003", true, 4, -1, {&kP1}},
      // Wed 06-17 11:00: the third week. (The fourth is empty.)
      {2026, 6, 17, 11, 0, "B001", false, 2, -1, {&kN4}},  // flagged
      {2026, 6, 17, 11, 0, "B002", true, 1, 0, {&kN3}},
      // Mon 06-29 23:00 (15:00Z): the last day, the fifth week.
      {2026, 6, 29, 23, 0, "B002", false, 5, -1, {&kP1}},
      {2026, 6, 29, 23, 0, "B001", true, 5, 10, {}},
      {2026, 6, 29, 23, 0, "B003", false, 0, -1, {&kN2}},
      // Tue 06-30 00:30 (still 06-29 16:30Z): the day after the range.
      {2026, 6, 30, 0, 30, "B001", false, 1, -1, {&kN5}},
      {2026, 6, 30, 0, 30, "B003", true, 5, 9, {}},
  };
  return *kSeed;
}
const absl::CivilDay kRangeStart(2026, 6, 2);
const absl::CivilDay kRangeEnd(2026, 6, 29);

// ---- The figures, computed from the seed ---------------------------------

struct Tally {
  int64_t survey_count = 0, survey_satisfied = 0, survey_sum = 0;
  int64_t feedback_count = 0, feedback_satisfied = 0, feedback_sum = 0;
  int64_t nps_count = 0, promoters = 0, detractors = 0;
  int64_t responses = 0, items = 0;

  void Add(const Record& r) {
    if (r.response) {
      ++responses;
      ++survey_count;
      survey_satisfied += r.rating >= 4;
      survey_sum += r.rating;
      if (r.nps >= 0) {
        ++nps_count;
        promoters += r.nps >= 9;
        detractors += r.nps <= 6;
      }
    } else {
      ++items;
      if (r.rating > 0) {
        ++feedback_count;
        feedback_satisfied += r.rating >= 4;
        feedback_sum += r.rating;
      }
    }
  }
};

void SetRatings(int64_t count, int64_t satisfied, int64_t sum,
                v1::RatingFigures* out) {
  out->set_count(count);
  out->set_satisfied(satisfied);
  out->set_csat(count == 0 ? 0.0 : static_cast<double>(satisfied) / count);
  out->set_average(count == 0 ? 0.0 : static_cast<double>(sum) / count);
}
void AllRatings(const Tally& t, v1::RatingFigures* out) {
  SetRatings(t.survey_count + t.feedback_count,
             t.survey_satisfied + t.feedback_satisfied,
             t.survey_sum + t.feedback_sum, out);
}
void SetNps(const Tally& t, v1::NpsFigures* out) {
  out->set_count(t.nps_count);
  out->set_promoters(t.promoters);
  out->set_detractors(t.detractors);
  out->set_nps(t.nps_count == 0 ? 0.0
                                : 100.0 * (t.promoters - t.detractors) /
                                      static_cast<double>(t.nps_count));
}

absl::CivilDay DayOf(const Record& r) { return absl::CivilDay(r.y, r.mo, r.d); }
absl::CivilDay MondayOf(absl::CivilDay d) {
  while (absl::GetWeekday(d) != absl::Weekday::monday) --d;
  return d;
}

// The negative terms of a record, each once: a feedback item's when its
// text is negative; a response's from its negative free-text answers.
void NegativeTerms(const Record& r, std::set<std::string>* topics,
                   std::set<std::string>* keywords) {
  for (const TextFacts* t : r.texts) {
    if (!t->negative) continue;
    topics->insert(t->topics.begin(), t->topics.end());
    keywords->insert(t->keywords.begin(), t->keywords.end());
  }
}

void AddTop(const std::map<std::string, int64_t>& counts, int top,
            google::protobuf::RepeatedPtrField<v1::TermCount>* out) {
  std::vector<std::pair<std::string, int64_t>> v(counts.begin(), counts.end());
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  for (int i = 0; i < static_cast<int>(v.size()) && i < top; ++i) {
    v1::TermCount* t = out->Add();
    t->set_term(v[i].first);
    t->set_count(v[i].second);
  }
}

// The report `records` should give for `branch` ("" for all) over
// [start, end], with `top` terms.
v1::SatisfactionReport Expected(const std::vector<Record>& records,
                                const std::string& branch, absl::CivilDay start,
                                absl::CivilDay end, int top) {
  Tally total;
  std::map<std::string, Tally> by_branch;
  std::map<absl::CivilDay, Tally> by_week;
  for (absl::CivilDay m = MondayOf(start); m <= end; m += 7) by_week[m];
  std::map<std::string, int64_t> topics, keywords;
  for (const Record& r : records) {
    const absl::CivilDay day = DayOf(r);
    if (day < start || day > end) continue;
    if (!branch.empty() && r.branch != branch) continue;
    total.Add(r);
    by_branch[r.branch].Add(r);
    by_week[MondayOf(day)].Add(r);
    std::set<std::string> t, k;
    NegativeTerms(r, &t, &k);
    for (const std::string& s : t) ++topics[s];
    for (const std::string& s : k) ++keywords[s];
  }
  v1::SatisfactionReport out;
  out.set_branch_id(branch);
  *out.mutable_start_date() = Date(start);
  *out.mutable_end_date() = Date(end);
  out.set_time_zone("Asia/Shanghai");
  AllRatings(total, out.mutable_ratings());
  SetRatings(total.survey_count, total.survey_satisfied, total.survey_sum,
             out.mutable_survey_ratings());
  SetRatings(total.feedback_count, total.feedback_satisfied, total.feedback_sum,
             out.mutable_feedback_ratings());
  SetNps(total, out.mutable_nps());
  out.set_response_count(total.responses);
  out.set_feedback_count(total.items);
  out.set_target(0.85);
  out.set_target_met(out.ratings().count() > 0 && out.ratings().csat() >= 0.85);
  for (const auto& [monday, t] : by_week) {
    v1::WeekFigures* w = out.add_weekly();
    *w->mutable_week_start() = Date(monday);
    AllRatings(t, w->mutable_ratings());
  }
  AddTop(topics, top, out.mutable_top_negative_topics());
  AddTop(keywords, top, out.mutable_top_negative_keywords());
  for (const auto& [id, t] : by_branch) {
    v1::BranchFigures* b = out.add_branches();
    b->set_branch_id(id);
    AllRatings(t, b->mutable_ratings());
    SetNps(t, b->mutable_nps());
    b->set_target_met(b->ratings().count() > 0 && b->ratings().csat() >= 0.85);
  }
  return out;
}

void ExpectSameReport(const v1::SatisfactionReport& actual,
                      const v1::SatisfactionReport& expected) {
  MessageDifferencer d;
  d.set_float_comparison(MessageDifferencer::APPROXIMATE);
  std::string diff;
  d.ReportDifferencesToString(&diff);
  EXPECT_TRUE(d.Compare(expected, actual))
      << diff << "\nexpected: " << expected.DebugString()
      << "\nactual: " << actual.DebugString();
}

// ---- The fixture ---------------------------------------------------------

class FeedbackSurveysTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<TestServer>();
    stub_ = FeedbackService::NewStub(server_->Channel());
    customers_ = CustomerService::NewStub(server_->Channel());
    orders_ = OrderService::NewStub(server_->Channel());
    complaints_ = ComplaintService::NewStub(server_->Channel());
  }

  int64_t Now() const { return server_->clock().NowMicros(); }
  void AdvanceTo(int64_t at) {
    ASSERT_GE(at, Now());
    server_->clock().Advance(at - Now());
  }
  std::string NewRequestId() { return absl::StrCat("fbs-it-", ++counter_); }
  std::string Scalar(const std::string& sql) const {
    return server_->QueryScalar(sql);
  }
  int Count(const std::string& sql) const { return std::stoi(Scalar(sql)); }

  std::string CreateCustomer(const std::string& branch) {
    cv1::CreateCustomerRequest req;
    req.set_request_id(NewRequestId());
    req.mutable_customer()->set_display_name("李华");
    req.mutable_customer()->set_phone(absl::StrCat("1380000", 1000 + counter_));
    req.mutable_customer()->set_branch_id(branch);
    cv1::CreateCustomerResponse resp;
    grpc::Status s = Call(*customers_, &CustomerService::Stub::CreateCustomer,
                          kAdmin, req, &resp);
    EXPECT_TRUE(s.ok()) << Describe(s);
    return resp.customer().customer_id();
  }

  std::string CreateOrder(const std::string& customer,
                          const std::string& branch = "B001") {
    ov1::CreateOrderRequest req;
    req.set_request_id(NewRequestId());
    ov1::Order* o = req.mutable_order();
    o->set_customer_id(customer);
    o->set_branch_id(branch);
    o->set_channel(ov1::ORDER_CHANNEL_STORE);
    ov1::OrderItem* item = o->add_items();
    item->set_sku("SHIRT-M");
    item->set_name("衬衫");
    item->set_quantity(1);
    item->mutable_unit_price()->set_minor_units(12'900);
    ov1::CreateOrderResponse resp;
    grpc::Status s =
        Call(*orders_, &OrderService::Stub::CreateOrder, kAdmin, req, &resp);
    EXPECT_TRUE(s.ok()) << Describe(s);
    return resp.order().order_id();
  }

  std::string CreateComplaint(const std::string& customer) {
    kv1::CreateComplaintRequest req;
    req.set_request_id(NewRequestId());
    kv1::Complaint* c = req.mutable_complaint();
    c->set_customer_id(customer);
    c->set_branch_id("B001");
    c->set_channel(kv1::COMPLAINT_CHANNEL_PHONE);
    c->set_category(kv1::COMPLAINT_CATEGORY_LOGISTICS);
    c->set_severity(kv1::COMPLAINT_SEVERITY_MODERATE);
    c->set_subject("物流太慢");
    c->set_description("快递三天还没到，物流太慢了");
    kv1::CreateComplaintResponse resp;
    grpc::Status s =
        Call(*complaints_, &ComplaintService::Stub::CreateComplaint, kAgent,
             req, &resp);
    EXPECT_TRUE(s.ok()) << Describe(s);
    return resp.complaint().complaint_id();
  }

  // ---- surveys
  // ---------------------------------------------------------------

  static v1::Question Q(v1::QuestionType type, const std::string& text,
                        std::vector<std::string> choices = {},
                        bool required = false) {
    v1::Question q;
    q.set_type(type);
    q.set_text(text);
    for (const std::string& c : choices) q.add_choices(c);
    q.set_required(required);
    return q;
  }

  // A survey of every question type: q1 rating (required), q2 NPS, q3
  // single choice, q4 multiple choice, q5 free text.
  static v1::Survey EveryType() {
    v1::Survey s;
    s.set_title("门店满意度调查");
    s.set_description("请花一分钟告诉我们您的感受");
    *s.add_questions() =
        Q(v1::QUESTION_TYPE_RATING, "您对本次购物满意吗？", {}, true);
    *s.add_questions() = Q(v1::QUESTION_TYPE_NPS, "您会向朋友推荐我们吗？");
    *s.add_questions() = Q(v1::QUESTION_TYPE_SINGLE_CHOICE, "您在哪里购买？",
                           {"门店", "线上", "电话"});
    *s.add_questions() = Q(v1::QUESTION_TYPE_MULTIPLE_CHOICE, "您最看重什么？",
                           {"价格", "质量", "服务"});
    *s.add_questions() = Q(v1::QUESTION_TYPE_FREE_TEXT, "还有什么想说的？");
    return s;
  }

  grpc::Status CreateSurvey(const v1::Survey& survey, v1::Survey* out,
                            const std::string& token = kAgent,
                            std::string request_id = "") {
    v1::CreateSurveyRequest req;
    *req.mutable_survey() = survey;
    req.set_request_id(request_id.empty() ? NewRequestId() : request_id);
    v1::CreateSurveyResponse resp;
    grpc::Status s = Call(*stub_, &Stub::CreateSurvey, token, req, &resp);
    if (out != nullptr) *out = resp.survey();
    return s;
  }
  v1::Survey CreateSurveyOk(const v1::Survey& survey) {
    v1::Survey out;
    grpc::Status s = CreateSurvey(survey, &out);
    EXPECT_TRUE(s.ok()) << Describe(s);
    return out;
  }
  // The fields CreateSurvey names for `survey`, expecting INVALID_ARGUMENT.
  std::vector<std::string> SurveyViolations(const v1::Survey& survey) {
    grpc::Status s = CreateSurvey(survey, nullptr);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << Describe(s);
    ExpectNoStorageText(s);
    return DetailsOf(s).fields;
  }

  // ---- responses
  // ---------------------------------------------------------------

  static v1::Answer Rating(const std::string& q, int rating) {
    v1::Answer a;
    a.set_question_id(q);
    a.set_rating(rating);
    return a;
  }
  static v1::Answer Nps(const std::string& q, int score,
                        bool has_score = true) {
    v1::Answer a;
    a.set_question_id(q);
    a.set_score(score);
    a.set_has_score(has_score);
    return a;
  }
  static v1::Answer Choices(const std::string& q,
                            std::vector<std::string> choices) {
    v1::Answer a;
    a.set_question_id(q);
    for (const std::string& c : choices) a.add_choices(c);
    return a;
  }
  static v1::Answer FreeText(const std::string& q, const std::string& text) {
    v1::Answer a;
    a.set_question_id(q);
    a.set_text(text);
    return a;
  }

  v1::SurveyResponse Response(const std::string& survey,
                              const std::string& customer,
                              const std::string& branch,
                              std::vector<v1::Answer> answers) {
    v1::SurveyResponse r;
    r.set_survey_id(survey);
    r.set_customer_id(customer);
    r.set_branch_id(branch);
    for (v1::Answer& a : answers) *r.add_answers() = std::move(a);
    return r;
  }

  grpc::Status Respond(const v1::SurveyResponse& r, v1::SurveyResponse* out,
                       const std::string& token = kAgent,
                       std::string request_id = "") {
    v1::SubmitSurveyResponseRequest req;
    *req.mutable_response() = r;
    req.set_request_id(request_id.empty() ? NewRequestId() : request_id);
    v1::SubmitSurveyResponseResponse resp;
    grpc::Status s =
        Call(*stub_, &Stub::SubmitSurveyResponse, token, req, &resp);
    if (out != nullptr) *out = resp.response();
    return s;
  }
  v1::SurveyResponse RespondOk(const v1::SurveyResponse& r,
                               const std::string& token = kAgent,
                               const std::string& request_id = "") {
    v1::SurveyResponse out;
    grpc::Status s = Respond(r, &out, token, request_id);
    EXPECT_TRUE(s.ok()) << Describe(s) << " " << r.ShortDebugString();
    return out;
  }
  // The fields SubmitSurveyResponse names for these answers to the
  // EveryType survey, expecting INVALID_ARGUMENT.
  std::vector<std::string> AnswerViolations(std::vector<v1::Answer> answers) {
    v1::SurveyResponse out;
    grpc::Status s = Respond(
        Response(survey_id_, customer_, "B001", std::move(answers)), &out);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << Describe(s);
    ExpectNoStorageText(s);
    return DetailsOf(s).fields;
  }
  // Creates the EveryType survey and a customer of B001 for answers.
  void PrepareAnswers() {
    survey_id_ = CreateSurveyOk(EveryType()).survey_id();
    customer_ = CreateCustomer("B001");
  }

  // ---- the report
  // --------------------------------------------------------------

  grpc::Status Report(const v1::GetSatisfactionReportRequest& req,
                      v1::SatisfactionReport* out,
                      const std::string& token = kAdmin) {
    v1::GetSatisfactionReportResponse resp;
    grpc::Status s =
        Call(*stub_, &Stub::GetSatisfactionReport, token, req, &resp);
    *out = resp.report();
    return s;
  }
  static v1::GetSatisfactionReportRequest ReportRequest(
      absl::CivilDay start, absl::CivilDay end, const std::string& branch = "",
      int top = 0) {
    v1::GetSatisfactionReportRequest req;
    *req.mutable_start_date() = Date(start);
    *req.mutable_end_date() = Date(end);
    req.set_branch_id(branch);
    req.set_top(top);
    return req;
  }
  v1::SatisfactionReport ReportOk(const v1::GetSatisfactionReportRequest& req,
                                  const std::string& token = kAdmin) {
    v1::SatisfactionReport out;
    grpc::Status s = Report(req, &out, token);
    EXPECT_TRUE(s.ok()) << Describe(s);
    return out;
  }
  std::vector<std::string> ReportViolations(
      const v1::GetSatisfactionReportRequest& req) {
    v1::SatisfactionReport out;
    grpc::Status s = Report(req, &out);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << Describe(s);
    return DetailsOf(s).fields;
  }

  // Submits the seed, in time order, checking the analysis of each text.
  // Survey answers: q1 rating, q2 NPS, q3 and q4 free text.
  void SubmitSeed() {
    v1::Survey survey;
    survey.set_title("月度满意度");
    *survey.add_questions() =
        Q(v1::QUESTION_TYPE_RATING, "总体满意度", {}, true);
    *survey.add_questions() = Q(v1::QUESTION_TYPE_NPS, "推荐意愿");
    *survey.add_questions() = Q(v1::QUESTION_TYPE_FREE_TEXT, "哪里做得不好？");
    *survey.add_questions() = Q(v1::QUESTION_TYPE_FREE_TEXT, "还有呢？");
    const std::string survey_id = CreateSurveyOk(survey).survey_id();
    // One customer per response (and one for the named feedback item),
    // created before the seed's first instant.
    std::vector<std::string> customers;
    for (const Record& r : Seed()) {
      customers.push_back(r.response || r.with_customer
                              ? CreateCustomer(r.branch)
                              : std::string());
    }
    for (size_t i = 0; i < Seed().size(); ++i) {
      const Record& r = Seed()[i];
      SCOPED_TRACE(absl::StrCat("seed record ", i));
      const int64_t at = Local(r.y, r.mo, r.d, r.h, r.mi);
      // Records of one instant a minute apart, in order.
      if (at > Now()) {
        AdvanceTo(at);
      } else {
        server_->clock().Advance(kMinute);
      }
      ASSERT_EQ(absl::ToCivilDay(absl::FromUnixMicros(Now()), Shanghai()),
                DayOf(r));
      if (r.response) {
        std::vector<v1::Answer> answers = {Rating("q1", r.rating)};
        if (r.nps >= 0) answers.push_back(Nps("q2", r.nps));
        for (size_t t = 0; t < r.texts.size(); ++t) {
          answers.push_back(
              FreeText(absl::StrCat("q", 3 + t), r.texts[t]->text));
        }
        const v1::SurveyResponse out = RespondOk(
            Response(survey_id, customers[i], r.branch, std::move(answers)));
        ASSERT_EQ(out.answers_size(),
                  static_cast<int>(1 + (r.nps >= 0) + r.texts.size()));
        for (size_t t = 0; t < r.texts.size(); ++t) {
          const v1::Answer& a = out.answers(1 + (r.nps >= 0) + t);
          ExpectFacts(*r.texts[t], a.sentiment().label(), a.topics(),
                      a.keywords());
        }
      } else {
        v1::SubmitFeedbackRequest req;
        req.set_request_id(NewRequestId());
        v1::FeedbackItem* f = req.mutable_feedback();
        f->set_kind(v1::FEEDBACK_KIND_COMMENT);
        f->set_channel(v1::FEEDBACK_CHANNEL_APP);
        f->set_branch_id(r.branch);
        f->set_customer_id(customers[i]);
        f->set_rating(r.rating);
        f->set_text(r.texts.at(0)->text);
        v1::SubmitFeedbackResponse resp;
        grpc::Status s =
            Call(*stub_, &Stub::SubmitFeedback, kAgent, req, &resp);
        ASSERT_TRUE(s.ok()) << Describe(s);
        ExpectFacts(*r.texts[0], resp.feedback().sentiment().label(),
                    resp.feedback().topics(), resp.feedback().keywords());
        if (r.with_customer) {
          EXPECT_FALSE(resp.feedback().complaint_id().empty());
        }
        feedback_ids_.push_back(resp.feedback().feedback_id());
      }
    }
  }

  static void ExpectFacts(
      const TextFacts& facts, v1::SentimentLabel label,
      const google::protobuf::RepeatedPtrField<std::string>& topics,
      const google::protobuf::RepeatedPtrField<std::string>& keywords) {
    SCOPED_TRACE(facts.text);
    EXPECT_EQ(label == v1::SENTIMENT_LABEL_NEGATIVE, facts.negative);
    EXPECT_EQ(Strings(topics), facts.topics);
    EXPECT_THAT(Strings(keywords), UnorderedElementsAreArray(facts.keywords));
  }

  std::unique_ptr<TestServer> server_;
  int counter_ = 0;
  std::unique_ptr<Stub> stub_;
  std::unique_ptr<CustomerService::Stub> customers_;
  std::unique_ptr<OrderService::Stub> orders_;
  std::unique_ptr<ComplaintService::Stub> complaints_;
  std::string survey_id_;
  std::string customer_;
  std::vector<std::string> feedback_ids_;
};

// ---- CreateSurvey
// ------------------------------------------------------------

TEST_F(FeedbackSurveysTest,
       QuestionsGetIdsInOrderAndOutputOnlyFieldsAreIgnored) {
  v1::Survey in = EveryType();
  in.set_survey_id("srv_MINE");
  in.mutable_questions(0)->set_question_id("mine");
  in.mutable_questions(3)->set_question_id("q1");
  const v1::Survey s = CreateSurveyOk(in);
  EXPECT_EQ(s.survey_id().rfind("srv_", 0), 0u) << s.survey_id();
  EXPECT_NE(s.survey_id(), "srv_MINE");
  ASSERT_EQ(s.questions_size(), 5);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(s.questions(i).question_id(), absl::StrCat("q", i + 1));
    EXPECT_EQ(s.questions(i).type(), in.questions(i).type());
    EXPECT_EQ(s.questions(i).text(), in.questions(i).text());
    EXPECT_EQ(Strings(s.questions(i).choices()),
              Strings(in.questions(i).choices()));
    EXPECT_EQ(s.questions(i).required(), in.questions(i).required());
  }
  EXPECT_EQ(s.title(), in.title());
  EXPECT_EQ(s.description(), in.description());
  EXPECT_EQ(TimeUtil::TimestampToMicroseconds(s.create_time()), Now());
}

TEST_F(FeedbackSurveysTest, CreateSurveyRetryReturnsTheSameSurvey) {
  v1::Survey first, again;
  ASSERT_TRUE(CreateSurvey(EveryType(), &first, kAgent, "srv-retry-1").ok());
  ASSERT_TRUE(CreateSurvey(EveryType(), &again, kAgent, "srv-retry-1").ok());
  EXPECT_EQ(again.DebugString(), first.DebugString());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM surveys"), 1);
}

TEST_F(FeedbackSurveysTest, SurveyWithoutQuestionsNamesQuestions) {
  v1::Survey s = EveryType();
  s.clear_questions();
  EXPECT_THAT(SurveyViolations(s), ElementsAre("survey.questions"));
}

TEST_F(FeedbackSurveysTest, SurveyWithMoreThan50QuestionsNamesQuestions) {
  v1::Survey s = EveryType();
  s.clear_questions();
  for (int i = 0; i < 51; ++i) {
    *s.add_questions() = Q(v1::QUESTION_TYPE_RATING, absl::StrCat("问题", i));
  }
  EXPECT_THAT(SurveyViolations(s), ElementsAre("survey.questions"));
  s.mutable_questions()->RemoveLast();
  EXPECT_EQ(CreateSurveyOk(s).questions(49).question_id(), "q50");
}

TEST_F(FeedbackSurveysTest, SurveyTitleIsRequiredAndBounded) {
  v1::Survey s = EveryType();
  s.set_title("");
  EXPECT_THAT(SurveyViolations(s), ElementsAre("survey.title"));
  s.set_title("   ");
  EXPECT_THAT(SurveyViolations(s), ElementsAre("survey.title"));
  s.set_title(std::string(201, 'T'));
  EXPECT_THAT(SurveyViolations(s), ElementsAre("survey.title"));
  s.set_title("两行\n标题");
  EXPECT_THAT(SurveyViolations(s), ElementsAre("survey.title"));
  s.set_title(std::string(200, 'T'));
  CreateSurveyOk(s);
}

TEST_F(FeedbackSurveysTest, SurveyDescriptionOver2000NamesDescription) {
  v1::Survey s = EveryType();
  s.set_description(std::string(2001, 'd'));
  EXPECT_THAT(SurveyViolations(s), ElementsAre("survey.description"));
}

TEST_F(FeedbackSurveysTest, QuestionWithoutTypeNamesItsType) {
  v1::Survey s = EveryType();
  s.mutable_questions(1)->set_type(v1::QUESTION_TYPE_UNSPECIFIED);
  EXPECT_THAT(SurveyViolations(s), ElementsAre("survey.questions[1].type"));
  s.mutable_questions(1)->set_type(static_cast<v1::QuestionType>(17));
  EXPECT_THAT(SurveyViolations(s), ElementsAre("survey.questions[1].type"));
}

TEST_F(FeedbackSurveysTest, QuestionTextIsRequiredAndBounded) {
  v1::Survey s = EveryType();
  s.mutable_questions(4)->set_text("");
  EXPECT_THAT(SurveyViolations(s), ElementsAre("survey.questions[4].text"));
  s.mutable_questions(4)->set_text(std::string(501, 'x'));
  EXPECT_THAT(SurveyViolations(s), ElementsAre("survey.questions[4].text"));
}

TEST_F(FeedbackSurveysTest, ChoiceQuestionWithOneChoiceNamesChoices) {
  v1::Survey s = EveryType();
  s.mutable_questions(2)->clear_choices();
  s.mutable_questions(2)->add_choices("门店");
  EXPECT_THAT(SurveyViolations(s), ElementsAre("survey.questions[2].choices"));
  s.mutable_questions(2)->clear_choices();
  EXPECT_THAT(SurveyViolations(s), ElementsAre("survey.questions[2].choices"));
}

TEST_F(FeedbackSurveysTest, ChoiceQuestionWithMoreThan20ChoicesNamesChoices) {
  v1::Survey s = EveryType();
  s.mutable_questions(3)->clear_choices();
  for (int i = 0; i < 21; ++i) {
    s.mutable_questions(3)->add_choices(absl::StrCat("选项", i));
  }
  EXPECT_THAT(SurveyViolations(s), ElementsAre("survey.questions[3].choices"));
}

TEST_F(FeedbackSurveysTest, DuplicateChoiceNamesTheRepeat) {
  v1::Survey s = EveryType();
  s.mutable_questions(2)->clear_choices();
  for (const char* c : {"门店", "线上", "门店"}) {
    s.mutable_questions(2)->add_choices(c);
  }
  EXPECT_THAT(SurveyViolations(s),
              ElementsAre("survey.questions[2].choices[2]"));
}

TEST_F(FeedbackSurveysTest, EmptyOrTooLongChoiceNamesIt) {
  v1::Survey s = EveryType();
  s.mutable_questions(3)->set_choices(0, "");
  s.mutable_questions(3)->set_choices(2, std::string(101, 'c'));
  EXPECT_THAT(SurveyViolations(s),
              UnorderedElementsAre("survey.questions[3].choices[0]",
                                   "survey.questions[3].choices[2]"));
}

TEST_F(FeedbackSurveysTest, ChoicesOnARatingQuestionNameChoices) {
  v1::Survey s = EveryType();
  s.mutable_questions(0)->add_choices("好");
  s.mutable_questions(0)->add_choices("不好");
  EXPECT_THAT(SurveyViolations(s), ElementsAre("survey.questions[0].choices"));
  s = EveryType();
  s.mutable_questions(4)->add_choices("好");
  EXPECT_THAT(SurveyViolations(s), ElementsAre("survey.questions[4].choices"));
}

TEST_F(FeedbackSurveysTest, EveryBadSurveyFieldIsNamedAtOnce) {
  v1::Survey s = EveryType();
  s.set_title("");
  s.mutable_questions(0)->set_type(v1::QUESTION_TYPE_UNSPECIFIED);
  s.mutable_questions(1)->add_choices("x");
  s.mutable_questions(2)->clear_choices();
  s.mutable_questions(2)->add_choices("only");
  s.mutable_questions(3)->set_choices(1, "价格");
  s.mutable_questions(4)->set_text("");
  v1::CreateSurveyRequest req;
  *req.mutable_survey() = s;
  v1::CreateSurveyResponse resp;
  grpc::Status st = Call(*stub_, &Stub::CreateSurvey, kAgent, req, &resp);
  ASSERT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(
      DetailsOf(st).fields,
      UnorderedElementsAre(
          "request_id", "survey.title", "survey.questions[0].type",
          "survey.questions[1].choices", "survey.questions[2].choices",
          "survey.questions[3].choices[1]", "survey.questions[4].text"));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM surveys"), 0);
}

TEST_F(FeedbackSurveysTest, OnlyAdminAndAgentCreateSurveys) {
  for (const char* token : {kBranch1, kAuditor, kCrm}) {
    SCOPED_TRACE(token);
    grpc::Status s = CreateSurvey(EveryType(), nullptr, token);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED)
        << Describe(s);
  }
  v1::Survey out;
  EXPECT_TRUE(CreateSurvey(EveryType(), &out, kAdmin).ok());
  EXPECT_TRUE(CreateSurvey(EveryType(), &out, kAgent).ok());
}

TEST_F(FeedbackSurveysTest, EveryRoleGetsASurvey) {
  const v1::Survey created = CreateSurveyOk(EveryType());
  for (const char* token : {kAdmin, kAgent, kBranch1, kBranch2, kAuditor}) {
    SCOPED_TRACE(token);
    v1::GetSurveyRequest req;
    req.set_survey_id(created.survey_id());
    v1::GetSurveyResponse resp;
    grpc::Status s = Call(*stub_, &Stub::GetSurvey, token, req, &resp);
    ASSERT_TRUE(s.ok()) << Describe(s);
    EXPECT_EQ(resp.survey().DebugString(), created.DebugString());
  }
}

TEST_F(FeedbackSurveysTest, GetSurveyNamesAMissingOrBadId) {
  v1::GetSurveyRequest req;
  req.set_survey_id("srv_NOSUCHSURVEY");
  v1::GetSurveyResponse resp;
  grpc::Status s = Call(*stub_, &Stub::GetSurvey, kAgent, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << Describe(s);
  req.set_survey_id("");
  s = Call(*stub_, &Stub::GetSurvey, kAgent, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(DetailsOf(s).fields, ElementsAre("survey_id"));
}

TEST_F(FeedbackSurveysTest, ListSurveysPagesOldestFirst) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    v1::Survey s = EveryType();
    s.set_title(absl::StrCat("调查 ", i));
    ids.push_back(CreateSurveyOk(s).survey_id());
    server_->clock().Advance(kMinute);
  }
  v1::ListSurveysRequest req;
  req.set_page_size(2);
  std::vector<std::string> listed;
  std::vector<int> sizes;
  for (int page = 0; page < 10; ++page) {
    v1::ListSurveysResponse resp;
    grpc::Status s = Call(*stub_, &Stub::ListSurveys, kBranch2, req, &resp);
    ASSERT_TRUE(s.ok()) << Describe(s);
    sizes.push_back(resp.surveys_size());
    for (const v1::Survey& sv : resp.surveys()) {
      listed.push_back(sv.survey_id());
      EXPECT_EQ(sv.questions_size(), 5);
    }
    if (resp.next_page_token().empty()) break;
    req.set_page_token(resp.next_page_token());
  }
  EXPECT_THAT(sizes, ElementsAre(2, 2, 1));
  EXPECT_EQ(listed, ids);
  // A bad token is named.
  req.set_page_token("not-a-token");
  v1::ListSurveysResponse resp;
  grpc::Status s = Call(*stub_, &Stub::ListSurveys, kBranch2, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(DetailsOf(s).fields, ElementsAre("page_token"));
  req.clear_page_token();
  req.set_page_size(-1);
  s = Call(*stub_, &Stub::ListSurveys, kBranch2, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(DetailsOf(s).fields, ElementsAre("page_size"));
  // Above the maximum is read as the maximum.
  req.set_page_size(1001);
  s = Call(*stub_, &Stub::ListSurveys, kBranch2, req, &resp);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(resp.surveys_size(), 5);
}

// ---- SubmitSurveyResponse: answers ------------------------------------------

TEST_F(FeedbackSurveysTest, ValidAnswersOfEveryTypeAreStored) {
  PrepareAnswers();
  const v1::SurveyResponse r = RespondOk(
      Response(survey_id_, customer_, "B001",
               {Rating("q1", 4), Nps("q2", 0), Choices("q3", {"线上"}),
                Choices("q4", {"服务", "价格"}), FreeText("q5", "  很好  ")}));
  EXPECT_EQ(r.response_id().rfind("srp_", 0), 0u) << r.response_id();
  EXPECT_EQ(r.survey_id(), survey_id_);
  EXPECT_EQ(r.customer_id(), customer_);
  EXPECT_EQ(r.branch_id(), "B001");
  ASSERT_EQ(r.answers_size(), 5);
  EXPECT_EQ(r.answers(0).rating(), 4);
  EXPECT_TRUE(r.answers(1).has_score());
  EXPECT_EQ(r.answers(1).score(), 0);
  EXPECT_THAT(r.answers(2).choices(), ElementsAre("线上"));
  EXPECT_THAT(r.answers(3).choices(), ElementsAre("服务", "价格"));
  EXPECT_EQ(r.answers(4).text(), "很好");
  // An NPS of 0 is a score (a detractor).
  EXPECT_EQ(Scalar("SELECT value FROM feedback_scores WHERE kind = 2"), "0");
  EXPECT_EQ(Count("SELECT nps_detractors FROM feedback_daily"), 1);
}

TEST_F(FeedbackSurveysTest, FreeTextAnswerIsAnalysed) {
  PrepareAnswers();
  const v1::SurveyResponse r = RespondOk(Response(
      survey_id_, customer_, "B001",
      {Rating("q1", 2), FreeText("q5", "退換貨太慢了，客服態度也不好")}));
  ASSERT_EQ(r.answers_size(), 2);
  const v1::Answer& text = r.answers(1);
  EXPECT_EQ(text.text(), "退換貨太慢了，客服態度也不好");
  EXPECT_EQ(text.sentiment().label(), v1::SENTIMENT_LABEL_NEGATIVE);
  EXPECT_LT(text.sentiment().score(), -0.25);
  EXPECT_THAT(text.topics(),
              ElementsAre("returns_exchanges", "staff_attitude"));
  EXPECT_THAT(text.keywords(),
              ElementsAre("退换货", "慢", "客服", "态度", "不好"));
  // Other answers carry no analysis.
  EXPECT_FALSE(r.answers(0).has_sentiment());
  EXPECT_THAT(r.answers(0).topics(), IsEmpty());
  // Its terms are stored as negative terms of the response.
  EXPECT_EQ(Count("SELECT COUNT(*) FROM feedback_terms WHERE source = 1 AND "
                  "negative = 1 AND kind = 1"),
            2);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM feedback_terms WHERE source = 1 AND "
                  "negative = 1 AND kind = 2"),
            5);
}

TEST_F(FeedbackSurveysTest, RatingOutOfRangeNamesRating) {
  PrepareAnswers();
  EXPECT_THAT(AnswerViolations({Rating("q1", 0)}),
              ElementsAre("response.answers[0].rating"));
  EXPECT_THAT(AnswerViolations({Rating("q1", 6)}),
              ElementsAre("response.answers[0].rating"));
  EXPECT_THAT(AnswerViolations({Rating("q1", -1)}),
              ElementsAre("response.answers[0].rating"));
}

TEST_F(FeedbackSurveysTest, NpsWithoutHasScoreNamesHasScore) {
  PrepareAnswers();
  EXPECT_THAT(AnswerViolations({Rating("q1", 4), Nps("q2", 7, false)}),
              ElementsAre("response.answers[1].has_score"));
  EXPECT_THAT(AnswerViolations({Rating("q1", 4), Nps("q2", 0, false)}),
              ElementsAre("response.answers[1].has_score"));
}

TEST_F(FeedbackSurveysTest, NpsOutOfRangeNamesScore) {
  PrepareAnswers();
  EXPECT_THAT(AnswerViolations({Rating("q1", 4), Nps("q2", 11)}),
              ElementsAre("response.answers[1].score"));
  EXPECT_THAT(AnswerViolations({Rating("q1", 4), Nps("q2", -1)}),
              ElementsAre("response.answers[1].score"));
}

TEST_F(FeedbackSurveysTest, SingleChoiceWithTwoChoicesNamesChoices) {
  PrepareAnswers();
  EXPECT_THAT(
      AnswerViolations({Rating("q1", 4), Choices("q3", {"门店", "线上"})}),
      ElementsAre("response.answers[1].choices"));
  EXPECT_THAT(AnswerViolations({Rating("q1", 4), Choices("q3", {})}),
              ElementsAre("response.answers[1].choices"));
}

TEST_F(FeedbackSurveysTest, UnknownChoiceNamesTheChoice) {
  PrepareAnswers();
  EXPECT_THAT(AnswerViolations({Rating("q1", 4), Choices("q3", {"邮购"})}),
              ElementsAre("response.answers[1].choices[0]"));
  EXPECT_THAT(
      AnswerViolations({Rating("q1", 4), Choices("q4", {"价格", "颜色"})}),
      ElementsAre("response.answers[1].choices[1]"));
}

TEST_F(FeedbackSurveysTest, MultipleChoiceWithADuplicateNamesTheRepeat) {
  PrepareAnswers();
  EXPECT_THAT(AnswerViolations(
                  {Rating("q1", 4), Choices("q4", {"价格", "质量", "价格"})}),
              ElementsAre("response.answers[1].choices[2]"));
}

TEST_F(FeedbackSurveysTest, MultipleChoiceWithNoChoiceNamesChoices) {
  PrepareAnswers();
  EXPECT_THAT(AnswerViolations({Rating("q1", 4), Choices("q4", {})}),
              ElementsAre("response.answers[1].choices"));
}

TEST_F(FeedbackSurveysTest, EmptyOrTooLongFreeTextNamesText) {
  PrepareAnswers();
  EXPECT_THAT(AnswerViolations({Rating("q1", 4), FreeText("q5", "")}),
              ElementsAre("response.answers[1].text"));
  EXPECT_THAT(AnswerViolations({Rating("q1", 4), FreeText("q5", "  \n ")}),
              ElementsAre("response.answers[1].text"));
  std::string t;
  for (int i = 0; i < 5001; ++i) t += "好";
  EXPECT_THAT(AnswerViolations({Rating("q1", 4), FreeText("q5", t)}),
              ElementsAre("response.answers[1].text"));
}

TEST_F(FeedbackSurveysTest, FieldOfAnotherTypeNamesThatField) {
  PrepareAnswers();
  // A rating on a free-text question.
  v1::Answer text = FreeText("q5", "很好");
  text.set_rating(3);
  EXPECT_THAT(AnswerViolations({Rating("q1", 4), text}),
              ElementsAre("response.answers[1].rating"));
  // Text on a rating question.
  v1::Answer rating = Rating("q1", 4);
  rating.set_text("很好");
  EXPECT_THAT(AnswerViolations({rating}),
              ElementsAre("response.answers[0].text"));
  // A score on a rating question.
  rating = Rating("q1", 4);
  rating.set_score(9);
  rating.set_has_score(true);
  EXPECT_THAT(AnswerViolations({rating}),
              ElementsAre("response.answers[0].score"));
  // Choices on an NPS question.
  v1::Answer nps = Nps("q2", 9);
  nps.add_choices("门店");
  EXPECT_THAT(AnswerViolations({Rating("q1", 4), nps}),
              ElementsAre("response.answers[1].choices"));
  // A rating on a choice question.
  v1::Answer choice = Choices("q3", {"门店"});
  choice.set_rating(5);
  EXPECT_THAT(AnswerViolations({Rating("q1", 4), choice}),
              ElementsAre("response.answers[1].rating"));
}

TEST_F(FeedbackSurveysTest, UnknownQuestionNamesQuestionId) {
  PrepareAnswers();
  EXPECT_THAT(AnswerViolations({Rating("q1", 4), Rating("q9", 4)}),
              ElementsAre("response.answers[1].question_id"));
  EXPECT_THAT(AnswerViolations({Rating("q1", 4), Rating("", 4)}),
              ElementsAre("response.answers[1].question_id"));
}

TEST_F(FeedbackSurveysTest, QuestionAnsweredTwiceNamesTheSecond) {
  PrepareAnswers();
  EXPECT_THAT(
      AnswerViolations({Rating("q1", 4), Nps("q2", 9), Rating("q1", 5)}),
      ElementsAre("response.answers[2].question_id"));
}

TEST_F(FeedbackSurveysTest, MissingRequiredQuestionNamesAnswers) {
  PrepareAnswers();
  EXPECT_THAT(AnswerViolations({Nps("q2", 9)}),
              ElementsAre("response.answers"));
}

TEST_F(FeedbackSurveysTest, NoAnswersNamesAnswers) {
  PrepareAnswers();
  EXPECT_THAT(AnswerViolations({}), ElementsAre("response.answers"));
}

TEST_F(FeedbackSurveysTest, EveryBadAnswerIsNamedAtOnce) {
  PrepareAnswers();
  v1::Answer text_with_rating = FreeText("q5", "很好");
  text_with_rating.set_rating(5);
  const std::vector<std::string> fields = AnswerViolations({
      Nps("q2", 11),                            // 0
      Choices("q3", {"门店", "线上"}),          // 1
      Choices("q4", {"价格", "价格", "颜色"}),  // 2
      text_with_rating,                         // 3
      Rating("q9", 3),                          // 4
      Nps("q2", 5),                             // 5: q2 again
  });
  EXPECT_THAT(
      fields,
      UnorderedElementsAre(
          "response.answers[0].score", "response.answers[1].choices",
          "response.answers[2].choices[1]", "response.answers[2].choices[2]",
          "response.answers[3].rating", "response.answers[4].question_id",
          "response.answers[5].question_id",
          "response.answers"));  // q1 is required
  // And another set: rating 0, NPS without a score, empty text.
  const std::vector<std::string> more =
      AnswerViolations({Rating("q1", 0), Nps("q2", 0, false),
                        FreeText("q5", ""), Choices("q4", {})});
  EXPECT_THAT(more, UnorderedElementsAre("response.answers[0].rating",
                                         "response.answers[1].has_score",
                                         "response.answers[2].text",
                                         "response.answers[3].choices"));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM survey_responses"), 0);
}

TEST_F(FeedbackSurveysTest, ResponseFieldsAreNamed) {
  PrepareAnswers();
  v1::SurveyResponse r = Response("", "", "", {Rating("q1", 4)});
  r.set_order_id("ord 1");
  v1::SubmitSurveyResponseRequest req;
  *req.mutable_response() = r;
  v1::SubmitSurveyResponseResponse resp;
  grpc::Status s =
      Call(*stub_, &Stub::SubmitSurveyResponse, kAgent, req, &resp);
  ASSERT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(DetailsOf(s).fields,
              UnorderedElementsAre("request_id", "response.survey_id",
                                   "response.customer_id", "response.branch_id",
                                   "response.order_id"));
  // An order and a complaint at once.
  r = Response(survey_id_, customer_, "B001", {Rating("q1", 4)});
  r.set_order_id("ord_1");
  r.set_complaint_id("cmp_1");
  v1::SurveyResponse out;
  s = Respond(r, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(DetailsOf(s).fields, ElementsAre("response.complaint_id"));
}

// ---- SubmitSurveyResponse: other records
// -------------------------------------

TEST_F(FeedbackSurveysTest, UnknownSurveyOrCustomerIsNotFound) {
  PrepareAnswers();
  v1::SurveyResponse out;
  grpc::Status s = Respond(
      Response("srv_NOSUCHSURVEY", customer_, "B001", {Rating("q1", 4)}), &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << Describe(s);
  EXPECT_THAT(s.error_message(), HasSubstr("response.survey_id"));
  s = Respond(
      Response(survey_id_, "cus_NOSUCHCUSTOMER", "B001", {Rating("q1", 4)}),
      &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << Describe(s);
  ExpectNoStorageText(s);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM survey_responses"), 0);
}

TEST_F(FeedbackSurveysTest, ErasedCustomerCannotRespond) {
  PrepareAnswers();
  cv1::EraseCustomerRequest erase;
  erase.set_request_id(NewRequestId());
  erase.set_customer_id(customer_);
  erase.set_reason("客户申请删除");
  cv1::EraseCustomerResponse erased;
  grpc::Status s = Call(*customers_, &CustomerService::Stub::EraseCustomer,
                        kAdmin, erase, &erased);
  ASSERT_TRUE(s.ok()) << Describe(s);
  v1::SurveyResponse out;
  s = Respond(Response(survey_id_, customer_, "B001", {Rating("q1", 4)}), &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << Describe(s);
  EXPECT_EQ(DetailsOf(s).reason, "CUSTOMER_ERASED");
}

TEST_F(FeedbackSurveysTest, OrderMustExistAndBeTheCustomers) {
  PrepareAnswers();
  const std::string other = CreateCustomer("B001");
  const std::string theirs = CreateOrder(other);
  v1::SurveyResponse r =
      Response(survey_id_, customer_, "B001", {Rating("q1", 4)});
  r.set_order_id("ord_NOSUCHORDER");
  v1::SurveyResponse out;
  grpc::Status s = Respond(r, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << Describe(s);
  r.set_order_id(theirs);
  s = Respond(r, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << Describe(s);
  EXPECT_EQ(DetailsOf(s).reason, "ORDER_OF_ANOTHER_CUSTOMER");
  EXPECT_EQ(DetailsOf(s).metadata["field"], "response.order_id");
}

TEST_F(FeedbackSurveysTest, ComplaintMustExistAndBeTheCustomers) {
  PrepareAnswers();
  const std::string other = CreateCustomer("B001");
  const std::string theirs = CreateComplaint(other);
  const std::string mine = CreateComplaint(customer_);
  v1::SurveyResponse r =
      Response(survey_id_, customer_, "B001", {Rating("q1", 4)});
  r.set_complaint_id("cmp_NOSUCHCOMPLAINT");
  v1::SurveyResponse out;
  grpc::Status s = Respond(r, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << Describe(s);
  r.set_complaint_id(theirs);
  s = Respond(r, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << Describe(s);
  EXPECT_EQ(DetailsOf(s).reason, "COMPLAINT_OF_ANOTHER_CUSTOMER");
  r.set_complaint_id(mine);
  out = RespondOk(r);
  EXPECT_EQ(out.complaint_id(), mine);
}

TEST_F(FeedbackSurveysTest, SecondResponseToTheSameSurveyAndOrderIsRefused) {
  PrepareAnswers();
  const std::string order_a = CreateOrder(customer_);
  const std::string order_b = CreateOrder(customer_);
  v1::SurveyResponse r =
      Response(survey_id_, customer_, "B001", {Rating("q1", 4)});
  const v1::SurveyResponse plain = RespondOk(r);
  v1::SurveyResponse out;
  grpc::Status s = Respond(r, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS) << Describe(s);
  EXPECT_EQ(DetailsOf(s).reason, "RESPONSE_EXISTS");
  EXPECT_EQ(DetailsOf(s).metadata["survey_id"], survey_id_);
  // About an order: once per order.
  r.set_order_id(order_a);
  const v1::SurveyResponse about_a = RespondOk(r);
  EXPECT_EQ(about_a.order_id(), order_a);
  s = Respond(r, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS) << Describe(s);
  EXPECT_EQ(DetailsOf(s).reason, "RESPONSE_EXISTS");
  r.set_order_id(order_b);
  RespondOk(r);
  // Another customer answers the same survey.
  const std::string other = CreateCustomer("B001");
  RespondOk(Response(survey_id_, other, "B001", {Rating("q1", 5)}));
  // Another survey, same customer.
  const std::string second = CreateSurveyOk(EveryType()).survey_id();
  RespondOk(Response(second, customer_, "B001", {Rating("q1", 5)}));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM survey_responses"), 5);
  // Refusals count nowhere.
  EXPECT_EQ(Count("SELECT CAST(SUM(responses) AS BIGINT) FROM feedback_daily"),
            5);
  EXPECT_EQ(
      Count("SELECT CAST(SUM(survey_ratings) AS BIGINT) FROM feedback_daily"),
      5);
}

TEST_F(FeedbackSurveysTest, ResponseRetryReturnsTheSameResponse) {
  PrepareAnswers();
  const v1::SurveyResponse r =
      Response(survey_id_, customer_, "B001", {Rating("q1", 4), Nps("q2", 9)});
  const v1::SurveyResponse first = RespondOk(r, kAgent, "srp-retry-1");
  server_->clock().Advance(kMinute);
  const v1::SurveyResponse again = RespondOk(r, kAgent, "srp-retry-1");
  EXPECT_EQ(again.DebugString(), first.DebugString());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM survey_responses"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM feedback_scores"), 2);
  EXPECT_EQ(Count("SELECT CAST(SUM(nps_count) AS BIGINT) FROM feedback_daily"),
            1);
}

TEST_F(FeedbackSurveysTest, BranchRecordsResponsesOnlyForItself) {
  PrepareAnswers();
  v1::SurveyResponse out;
  grpc::Status s =
      Respond(Response(survey_id_, customer_, "B002", {Rating("q1", 4)}), &out,
              kBranch1);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(s);
  out = RespondOk(Response(survey_id_, customer_, "", {Rating("q1", 4)}),
                  kBranch1);
  EXPECT_EQ(out.branch_id(), "B001");
  s = Respond(Response(survey_id_, customer_, "B001", {Rating("q1", 4)}), &out,
              kAuditor);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(s);
}

// ---- GetSatisfactionReport: validation and access ---------------------------

TEST_F(FeedbackSurveysTest, ReportNeedsBothDates) {
  v1::GetSatisfactionReportRequest req;
  EXPECT_THAT(ReportViolations(req),
              UnorderedElementsAre("start_date", "end_date"));
  *req.mutable_start_date() = Date(kRangeStart);
  EXPECT_THAT(ReportViolations(req), ElementsAre("end_date"));
  req.clear_start_date();
  *req.mutable_end_date() = Date(kRangeEnd);
  EXPECT_THAT(ReportViolations(req), ElementsAre("start_date"));
}

TEST_F(FeedbackSurveysTest, ReportRejectsADateThatDoesNotExist) {
  v1::GetSatisfactionReportRequest req = ReportRequest(kRangeStart, kRangeEnd);
  req.mutable_start_date()->set_month(2);
  req.mutable_start_date()->set_day(30);
  EXPECT_THAT(ReportViolations(req), ElementsAre("start_date"));
}

TEST_F(FeedbackSurveysTest, ReportEndBeforeStartNamesEndDate) {
  EXPECT_THAT(ReportViolations(ReportRequest(absl::CivilDay(2026, 6, 10),
                                             absl::CivilDay(2026, 6, 9))),
              ElementsAre("end_date"));
  // One day is a range.
  ReportOk(
      ReportRequest(absl::CivilDay(2026, 6, 10), absl::CivilDay(2026, 6, 10)));
}

TEST_F(FeedbackSurveysTest, ReportRangeOfMoreThan366DaysNamesEndDate) {
  const absl::CivilDay start(2025, 6, 1);
  EXPECT_THAT(ReportViolations(ReportRequest(start, start + 367)),
              ElementsAre("end_date"));
  EXPECT_THAT(ReportViolations(ReportRequest(start, start + 400)),
              ElementsAre("end_date"));
}

// "end_date: at most 366 days after start_date" (feedback.proto).
TEST_F(FeedbackSurveysTest, ReportRangeOfExactly366DaysIsAccepted) {
  const absl::CivilDay start(2025, 6, 1);
  ReportOk(ReportRequest(start, start + 365));
  const v1::SatisfactionReport r = ReportOk(ReportRequest(start, start + 366));
  EXPECT_EQ(r.end_date().year(), 2026);
  EXPECT_EQ(r.end_date().month(), 6);
  EXPECT_EQ(r.end_date().day(), 2);
}

TEST_F(FeedbackSurveysTest, ReportTopMustBe1To50) {
  EXPECT_THAT(ReportViolations(ReportRequest(kRangeStart, kRangeEnd, "", 51)),
              ElementsAre("top"));
  EXPECT_THAT(ReportViolations(ReportRequest(kRangeStart, kRangeEnd, "", -1)),
              ElementsAre("top"));
  ReportOk(ReportRequest(kRangeStart, kRangeEnd, "", 50));
  ReportOk(ReportRequest(kRangeStart, kRangeEnd, "", 1));
}

TEST_F(FeedbackSurveysTest, ReportNamesABadBranchId) {
  EXPECT_THAT(ReportViolations(ReportRequest(kRangeStart, kRangeEnd, "B 001")),
              ElementsAre("branch_id"));
}

TEST_F(FeedbackSurveysTest, ReportOfNothingIsZerosWithEveryWeek) {
  const v1::SatisfactionReport r =
      ReportOk(ReportRequest(kRangeStart, kRangeEnd));
  ExpectSameReport(r, Expected({}, "", kRangeStart, kRangeEnd, 10));
  EXPECT_EQ(r.ratings().count(), 0);
  EXPECT_EQ(r.ratings().csat(), 0);
  EXPECT_FALSE(r.target_met());
  EXPECT_EQ(r.weekly_size(), 5);
  EXPECT_THAT(r.branches(), IsEmpty());
}

TEST_F(FeedbackSurveysTest, BranchReportsOnlyOnItself) {
  v1::SatisfactionReport out;
  grpc::Status s =
      Report(ReportRequest(kRangeStart, kRangeEnd, "B002"), &out, kBranch1);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(s);
  EXPECT_THAT(s.error_message(), HasSubstr("branch_id"));
  EXPECT_THAT(s.error_message(), HasSubstr("B001"));
  EXPECT_TRUE(
      Report(ReportRequest(kRangeStart, kRangeEnd, "B001"), &out, kBranch1)
          .ok());
  EXPECT_EQ(out.branch_id(), "B001");
  EXPECT_TRUE(
      Report(ReportRequest(kRangeStart, kRangeEnd), &out, kBranch1).ok());
  EXPECT_EQ(out.branch_id(), "B001");
  EXPECT_TRUE(
      Report(ReportRequest(kRangeStart, kRangeEnd), &out, kAuditor).ok());
  EXPECT_EQ(out.branch_id(), "");
}

// ---- GetSatisfactionReport on the seed --------------------------------------

class SatisfactionReportTest : public FeedbackSurveysTest {
 protected:
  void SetUp() override {
    FeedbackSurveysTest::SetUp();
    SubmitSeed();
  }
};

TEST_F(SatisfactionReportTest, ChainReportMatchesTheSeed) {
  const v1::SatisfactionReport r =
      ReportOk(ReportRequest(kRangeStart, kRangeEnd, "", 50));
  ExpectSameReport(r, Expected(Seed(), "", kRangeStart, kRangeEnd, 50));
  // A few figures worked out by hand, should the model be wrong too.
  EXPECT_EQ(r.feedback_count(), 12);
  EXPECT_EQ(r.response_count(), 8);
  EXPECT_EQ(r.feedback_ratings().count(), 10);
  EXPECT_EQ(r.feedback_ratings().satisfied(), 6);
  EXPECT_DOUBLE_EQ(r.feedback_ratings().average(), 3.5);
  EXPECT_EQ(r.survey_ratings().count(), 8);
  EXPECT_EQ(r.survey_ratings().satisfied(), 6);
  EXPECT_DOUBLE_EQ(r.survey_ratings().average(), 4.0);
  EXPECT_EQ(r.ratings().count(), 18);
  EXPECT_EQ(r.ratings().satisfied(), 12);
  EXPECT_DOUBLE_EQ(r.ratings().csat(), 12.0 / 18.0);
  EXPECT_DOUBLE_EQ(r.ratings().average(), 67.0 / 18.0);
  EXPECT_FALSE(r.target_met());
  EXPECT_DOUBLE_EQ(r.target(), 0.85);
  EXPECT_EQ(r.nps().count(), 7);
  EXPECT_EQ(r.nps().promoters(), 3);
  EXPECT_EQ(r.nps().detractors(), 2);
  EXPECT_DOUBLE_EQ(r.nps().nps(), 100.0 / 7.0);
  EXPECT_EQ(r.time_zone(), "Asia/Shanghai");
  ASSERT_EQ(r.weekly_size(), 5);
  const int week_counts[] = {8, 6, 2, 0, 2};
  const int week_days[] = {1, 8, 15, 22, 29};
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(r.weekly(i).week_start().day(), week_days[i]);
    EXPECT_EQ(r.weekly(i).ratings().count(), week_counts[i]) << i;
  }
  ASSERT_GE(r.top_negative_topics_size(), 2);
  EXPECT_EQ(r.top_negative_topics(0).term(), "queueing_waiting");
  EXPECT_EQ(r.top_negative_topics(0).count(), 4);
  EXPECT_EQ(r.top_negative_topics(1).term(), "logistics_delivery");
  EXPECT_EQ(r.top_negative_topics(1).count(), 3);
  ASSERT_GE(r.top_negative_keywords_size(), 1);
  EXPECT_EQ(r.top_negative_keywords(0).term(), "慢");
  EXPECT_EQ(r.top_negative_keywords(0).count(), 5);
  ASSERT_EQ(r.branches_size(), 3);
  EXPECT_EQ(r.branches(2).branch_id(), "B003");
  EXPECT_TRUE(r.branches(2).target_met());
  EXPECT_DOUBLE_EQ(r.branches(2).nps().nps(), -100.0);
}

TEST_F(SatisfactionReportTest, TopCutsTheTermListsAndDefaultsTo10) {
  ExpectSameReport(ReportOk(ReportRequest(kRangeStart, kRangeEnd, "", 3)),
                   Expected(Seed(), "", kRangeStart, kRangeEnd, 3));
  const v1::SatisfactionReport r =
      ReportOk(ReportRequest(kRangeStart, kRangeEnd, "", 0));
  ExpectSameReport(r, Expected(Seed(), "", kRangeStart, kRangeEnd, 10));
  EXPECT_EQ(r.top_negative_keywords_size(), 10);
}

TEST_F(SatisfactionReportTest, BranchFilterKeepsOnlyThatBranch) {
  for (const char* branch : {"B001", "B002", "B003"}) {
    SCOPED_TRACE(branch);
    const v1::SatisfactionReport r =
        ReportOk(ReportRequest(kRangeStart, kRangeEnd, branch, 50));
    ExpectSameReport(r, Expected(Seed(), branch, kRangeStart, kRangeEnd, 50));
    ASSERT_EQ(r.branches_size(), 1);
    EXPECT_EQ(r.branches(0).branch_id(), branch);
  }
  ExpectSameReport(ReportOk(ReportRequest(kRangeStart, kRangeEnd, "B009", 50)),
                   Expected(Seed(), "B009", kRangeStart, kRangeEnd, 50));
}

TEST_F(SatisfactionReportTest, BranchCallerGetsItsOwnFigures) {
  ExpectSameReport(
      ReportOk(ReportRequest(kRangeStart, kRangeEnd, "", 50), kBranch2),
      Expected(Seed(), "B002", kRangeStart, kRangeEnd, 50));
  v1::SatisfactionReport out;
  grpc::Status s =
      Report(ReportRequest(kRangeStart, kRangeEnd, "B003"), &out, kBranch2);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(s);
}

TEST_F(SatisfactionReportTest, DaysAndWeeksAreShanghais) {
  // Only the Sunday: 23:30 there.
  ExpectSameReport(ReportOk(ReportRequest(absl::CivilDay(2026, 6, 7),
                                          absl::CivilDay(2026, 6, 7), "", 50)),
                   Expected(Seed(), "", absl::CivilDay(2026, 6, 7),
                            absl::CivilDay(2026, 6, 7), 50));
  // Only the Monday after: 00:30 there, Sunday in UTC.
  const v1::SatisfactionReport monday = ReportOk(ReportRequest(
      absl::CivilDay(2026, 6, 8), absl::CivilDay(2026, 6, 8), "", 50));
  ExpectSameReport(monday, Expected(Seed(), "", absl::CivilDay(2026, 6, 8),
                                    absl::CivilDay(2026, 6, 8), 50));
  EXPECT_EQ(monday.response_count(), 2);
  EXPECT_EQ(monday.feedback_count(), 1);
  ASSERT_EQ(monday.weekly_size(), 1);
  EXPECT_EQ(monday.weekly(0).week_start().day(), 8);
  // The day after the range, 00:30 there.
  const v1::SatisfactionReport after = ReportOk(ReportRequest(
      absl::CivilDay(2026, 6, 30), absl::CivilDay(2026, 6, 30), "", 50));
  EXPECT_EQ(after.feedback_count(), 1);
  EXPECT_EQ(after.response_count(), 1);
  // The whole seed, in weeks from the Monday before.
  ExpectSameReport(ReportOk(ReportRequest(absl::CivilDay(2026, 5, 25),
                                          absl::CivilDay(2026, 7, 5), "", 50)),
                   Expected(Seed(), "", absl::CivilDay(2026, 5, 25),
                            absl::CivilDay(2026, 7, 5), 50));
  // The rows' days, as stored.
  EXPECT_EQ(
      Scalar(JoinedSql(server_->on_postgres(), "CAST(day AS TEXT)", ",",
                       "(SELECT DISTINCT day FROM feedback_daily) AS d",
                       "day")),
      absl::StrJoin(std::vector<int64_t>{absl::CivilDay(2026, 6, 1) - kEpoch,
                                         absl::CivilDay(2026, 6, 2) - kEpoch,
                                         absl::CivilDay(2026, 6, 7) - kEpoch,
                                         absl::CivilDay(2026, 6, 8) - kEpoch,
                                         absl::CivilDay(2026, 6, 12) - kEpoch,
                                         absl::CivilDay(2026, 6, 17) - kEpoch,
                                         absl::CivilDay(2026, 6, 29) - kEpoch,
                                         absl::CivilDay(2026, 6, 30) - kEpoch},
                    ","));
}

TEST_F(SatisfactionReportTest, RollupsEqualTheRowsTheyCount) {
  // feedback_daily, recounted from feedback_scores, survey_responses and
  // feedback_items, every (day, branch) of any of them.
  const bool pg = server_->on_postgres();
  const std::string rollup = Scalar(JoinedSql(
      pg,
      "day || ',' || branch_id || ',' || survey_ratings || ',' ||"
      " survey_satisfied || ',' || survey_rating_sum || ',' ||"
      " feedback_ratings || ',' || feedback_satisfied || ',' ||"
      " feedback_rating_sum || ',' || nps_count || ',' || nps_promoters ||"
      " ',' || nps_detractors || ',' || responses || ',' || feedback_items",
      ";", "feedback_daily", "day, branch_id"));
  auto scores = [](const std::string& where, const std::string& what) {
    return absl::StrCat("(SELECT ", what,
                        " FROM feedback_scores s WHERE s.day = k.day AND"
                        " s.branch_id = k.branch_id AND ",
                        where, ")");
  };
  const std::string recount = Scalar(JoinedSql(
      pg,
      absl::StrCat("k.day || ',' || k.branch_id || ',' || ",
                   scores("source = 1 AND kind = 1", "COUNT(*)"), " || ',' || ",
                   scores("source = 1 AND kind = 1 AND value >= 4", "COUNT(*)"),
                   " || ',' || ",
                   scores("source = 1 AND kind = 1", "COALESCE(SUM(value), 0)"),
                   " || ',' || ", scores("source = 2 AND kind = 1", "COUNT(*)"),
                   " || ',' || ",
                   scores("source = 2 AND kind = 1 AND value >= 4", "COUNT(*)"),
                   " || ',' || ",
                   scores("source = 2 AND kind = 1", "COALESCE(SUM(value), 0)"),
                   " || ',' || ", scores("kind = 2", "COUNT(*)"), " || ',' || ",
                   scores("kind = 2 AND value >= 9", "COUNT(*)"), " || ',' || ",
                   scores("kind = 2 AND value <= 6", "COUNT(*)"),
                   " || ',' || (SELECT COUNT(*) FROM survey_responses r WHERE",
                   " r.day = k.day AND r.branch_id = k.branch_id)",
                   " || ',' || (SELECT COUNT(*) FROM feedback_items f WHERE",
                   " f.day = k.day AND f.branch_id = k.branch_id)"),
      ";",
      "(SELECT day, branch_id FROM feedback_scores UNION SELECT day,"
      " branch_id FROM survey_responses UNION SELECT day, branch_id FROM"
      " feedback_items) AS k",
      "k.day, k.branch_id"));
  EXPECT_FALSE(rollup.empty());
  EXPECT_EQ(rollup, recount);

  // feedback_term_daily, recounted from the negative rows of
  // feedback_terms: per branch, and for the chain (branch '').
  const std::string term_rollup = Scalar(JoinedSql(
      pg,
      "branch_id || ',' || day || ',' || kind || ',' || term || ',' || count",
      ";", "feedback_term_daily", "branch_id, day, kind, term"));
  const std::string term_recount = Scalar(JoinedSql(
      pg, "b || ',' || day || ',' || kind || ',' || term || ',' || n", ";",
      "(SELECT branch_id AS b, day, kind, term, COUNT(*) AS n FROM"
      " feedback_terms WHERE negative = 1 GROUP BY branch_id, day, kind, term"
      " UNION ALL SELECT '' AS b, day, kind, term, COUNT(*) AS n FROM"
      " feedback_terms WHERE negative = 1 GROUP BY day, kind, term) AS t",
      "b, day, kind, term"));
  EXPECT_FALSE(term_rollup.empty());
  EXPECT_EQ(term_rollup, term_recount);

  // And both agree with what the test sent, over the whole seed.
  const absl::CivilDay first(2026, 6, 1), last(2026, 6, 30);
  const v1::SatisfactionReport all = Expected(Seed(), "", first, last, 50);
  EXPECT_EQ(
      Scalar(
          "SELECT CAST(SUM(survey_ratings + feedback_ratings) AS BIGINT) FROM "
          "feedback_daily"),
      absl::StrCat(all.ratings().count()));
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM feedback_scores WHERE kind = 1"),
            absl::StrCat(all.ratings().count()));
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM feedback_scores WHERE kind = 2"),
            absl::StrCat(all.nps().count()));
  EXPECT_EQ(Scalar("SELECT CAST(SUM(responses) AS BIGINT) FROM feedback_daily"),
            absl::StrCat(all.response_count()));
  EXPECT_EQ(
      Scalar("SELECT CAST(SUM(feedback_items) AS BIGINT) FROM feedback_daily"),
      absl::StrCat(all.feedback_count()));
  int64_t negative_topics = 0, negative_keywords = 0;
  for (const v1::TermCount& t : all.top_negative_topics()) {
    negative_topics += t.count();
  }
  for (const v1::TermCount& t : all.top_negative_keywords()) {
    negative_keywords += t.count();
  }
  EXPECT_EQ(Scalar("SELECT CAST(SUM(count) AS BIGINT) FROM feedback_term_daily "
                   "WHERE "
                   "branch_id = '' AND kind = 1"),
            absl::StrCat(negative_topics));
  EXPECT_EQ(Scalar("SELECT CAST(SUM(count) AS BIGINT) FROM feedback_term_daily "
                   "WHERE "
                   "branch_id = '' AND kind = 2"),
            absl::StrCat(negative_keywords));
  EXPECT_EQ(Scalar("SELECT CAST(SUM(count) AS BIGINT) FROM feedback_term_daily "
                   "WHERE "
                   "branch_id <> '' AND kind = 2"),
            absl::StrCat(negative_keywords));
}

}  // namespace
}  // namespace retail::testing
