// FeedbackService feedback items (issue 13) through the real server over
// loopback TCP, on the TestServer's FakeClock (2026-06-01 00:00Z, a Monday,
// 08:00 in Shanghai, the chain's zone).
//
// What is shown: SubmitFeedback in simplified and traditional Chinese and
// in English, with the stored sentiment, topics and keywords (GetFeedback
// returns what SubmitFeedback answered); ListFeedback by every filter (topic,
// keyword in either script, sentiment, rating range, kind, sku, branch, time
// range, review flag) and paging, with a token that changed filters
// rejected; escalation to a complaint linked both ways (category from the
// topic, severity from the rule), the keyword rule whatever the rating, the
// review flag for anonymous feedback, what does not escalate, retries that
// open no second complaint, and the two escalation flags; every bad field
// named; branch isolation and the auditor; export and erasure (no trace of
// the text in any row or stored reply, the statistics kept).
#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "retail/complaints/v1/complaints.grpc.pb.h"
#include "retail/customers/v1/customers.grpc.pb.h"
#include "retail/feedback/v1/feedback.grpc.pb.h"
#include "retail/orders/v1/orders.grpc.pb.h"
#include "tests/integration/stream_call.h"
#include "tests/integration/test_server.h"

ABSL_DECLARE_FLAG(int32_t, feedback_escalation_max_rating);
ABSL_DECLARE_FLAG(std::string, feedback_escalation_keywords);

namespace retail::testing {
namespace {

using ::google::protobuf::util::TimeUtil;
using ::retail::complaints::v1::ComplaintService;
using ::retail::customers::v1::CustomerService;
using ::retail::feedback::v1::FeedbackService;
using ::retail::orders::v1::OrderService;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;
namespace v1 = ::retail::feedback::v1;
namespace cv1 = ::retail::customers::v1;
namespace ov1 = ::retail::orders::v1;
namespace kv1 = ::retail::complaints::v1;
using Stub = FeedbackService::Stub;

constexpr int64_t kMinute = 60 * kMicrosPerSecond;
constexpr int64_t kHour = 60 * kMinute;

// Texts whose analysis the tests rely on (the shared analyser's lexicon).
// Negative: returns (退货, 慢) and staff (客服, 态度, 不好).
constexpr char kReturnsSlow[] = "退货太慢了，客服态度也不好";
// The same complaint with 退换货, simplified and traditional.
constexpr char kExchangeSimplified[] = "退换货太慢了，客服态度也不好";
constexpr char kExchangeTraditional[] = "退換貨太慢了，客服態度也不好";
// Negative, English, with multi-word lexicon terms.
constexpr char kEnglishNegative[] =
    "The customer service was not helpful and the refund took too long";
// Positive: quality (衣服, 质量, 好) and 满意.
constexpr char kPraise[] = "衣服质量很好，非常满意";
// Positive: staff (服务, 好) and 满意.
constexpr char kServicePraise[] = "服务很好，非常满意";
// Neutral, but names a default escalation keyword (食物中毒).
constexpr char kFoodPoisoning[] = "吃了店里买的零食后食物中毒了";
// Neutral, no topic.
constexpr char kSoSo[] = "还行吧";
// Negative: price.
constexpr char kTooExpensive[] = "价格太贵了，不值";

int64_t Us(const google::protobuf::Timestamp& t) {
  return TimeUtil::TimestampToMicroseconds(t);
}
google::protobuf::Timestamp Ts(int64_t us) {
  return TimeUtil::MicrosecondsToTimestamp(us);
}
std::string Describe(const grpc::Status& s) {
  return absl::StrCat(s.error_code(), " ", s.error_message());
}
std::vector<std::string> Strings(
    const google::protobuf::RepeatedPtrField<std::string>& r) {
  return {r.begin(), r.end()};
}

// A feedback item to submit.
v1::FeedbackItem Item(const std::string& branch, int rating,
                      const std::string& text, const std::string& customer = "",
                      v1::FeedbackKind kind = v1::FEEDBACK_KIND_COMMENT,
                      v1::FeedbackChannel channel = v1::FEEDBACK_CHANNEL_APP) {
  v1::FeedbackItem f;
  f.set_kind(kind);
  f.set_channel(channel);
  f.set_branch_id(branch);
  f.set_customer_id(customer);
  f.set_rating(rating);
  f.set_text(text);
  return f;
}

// The answer of one SubmitFeedback.
struct Submitted {
  grpc::Status status;
  v1::FeedbackItem item;
  bool ok() const { return status.ok(); }
};

class FeedbackItemsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<TestServer>();
    t0_ = Now();
    Connect();
  }

  void Connect() {
    stub_ = FeedbackService::NewStub(server_->Channel());
    customers_ = CustomerService::NewStub(server_->Channel());
    orders_ = OrderService::NewStub(server_->Channel());
    complaints_ = ComplaintService::NewStub(server_->Channel());
  }
  // Restarts the server on the same database, reading the flags again.
  void Restart() {
    server_->Restart();
    Connect();
  }

  int64_t Now() const { return server_->clock().NowMicros(); }
  void Advance(int64_t us) { server_->clock().Advance(us); }

  std::string NewRequestId() { return absl::StrCat("fbi-it-", ++counter_); }

  int Count(const std::string& sql) const {
    return std::stoi(server_->QueryScalar(sql));
  }
  int ComplaintCount() const {
    return Count("SELECT COUNT(*) FROM complaints");
  }

  // ---- other services
  // --------------------------------------------------------

  std::string CreateCustomer(const std::string& branch,
                             const std::string& name = "王小明") {
    cv1::CreateCustomerRequest req;
    req.set_request_id(NewRequestId());
    req.mutable_customer()->set_display_name(name);
    req.mutable_customer()->set_phone(absl::StrCat("1390000", 1000 + counter_));
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

  kv1::Complaint GetComplaint(const std::string& id) {
    kv1::GetComplaintRequest req;
    req.set_complaint_id(id);
    kv1::GetComplaintResponse resp;
    grpc::Status s = Call(*complaints_, &ComplaintService::Stub::GetComplaint,
                          kAgent, req, &resp);
    EXPECT_TRUE(s.ok()) << Describe(s);
    return resp.complaint();
  }

  grpc::Status Erase(const std::string& customer) {
    cv1::EraseCustomerRequest req;
    req.set_request_id(NewRequestId());
    req.set_customer_id(customer);
    req.set_reason("客户申请删除 ticket-13");
    cv1::EraseCustomerResponse resp;
    return Call(*customers_, &CustomerService::Stub::EraseCustomer, kAdmin, req,
                &resp);
  }

  cv1::ExportCustomerDataResponse Export(const std::string& customer) {
    cv1::ExportCustomerDataRequest req;
    req.set_customer_id(customer);
    cv1::ExportCustomerDataResponse resp;
    grpc::Status s =
        Call(*customers_, &CustomerService::Stub::ExportCustomerData, kAdmin,
             req, &resp);
    EXPECT_TRUE(s.ok()) << Describe(s);
    return resp;
  }

  // ---- feedback
  // ---------------------------------------------------------------

  Submitted Submit(const v1::FeedbackItem& f, const std::string& token = kAgent,
                   std::string request_id = "") {
    v1::SubmitFeedbackRequest req;
    *req.mutable_feedback() = f;
    req.set_request_id(request_id.empty() ? NewRequestId() : request_id);
    v1::SubmitFeedbackResponse resp;
    Submitted out;
    out.status = Call(*stub_, &Stub::SubmitFeedback, token, req, &resp);
    out.item = resp.feedback();
    return out;
  }
  // Submits and expects success.
  v1::FeedbackItem SubmitOk(const v1::FeedbackItem& f,
                            const std::string& token = kAgent,
                            const std::string& request_id = "") {
    Submitted s = Submit(f, token, request_id);
    EXPECT_TRUE(s.ok()) << Describe(s.status) << " " << f.ShortDebugString();
    return s.item;
  }

  grpc::Status Get(const std::string& id, v1::FeedbackItem* out,
                   const std::string& token = kAgent) {
    v1::GetFeedbackRequest req;
    req.set_feedback_id(id);
    v1::GetFeedbackResponse resp;
    grpc::Status s = Call(*stub_, &Stub::GetFeedback, token, req, &resp);
    *out = resp.feedback();
    return s;
  }
  v1::FeedbackItem GetOk(const std::string& id,
                         const std::string& token = kAgent) {
    v1::FeedbackItem out;
    grpc::Status s = Get(id, &out, token);
    EXPECT_TRUE(s.ok()) << Describe(s);
    return out;
  }

  grpc::Status ListPage(const v1::ListFeedbackRequest& req,
                        v1::ListFeedbackResponse* resp,
                        const std::string& token = kAgent) {
    return Call(*stub_, &Stub::ListFeedback, token, req, resp);
  }
  // Every id the filter lists, following the pages, in the order listed.
  std::vector<std::string> ListIds(v1::ListFeedbackRequest req,
                                   const std::string& token = kAgent) {
    std::vector<std::string> ids;
    for (int page = 0; page < 100; ++page) {
      v1::ListFeedbackResponse resp;
      grpc::Status s = ListPage(req, &resp, token);
      EXPECT_TRUE(s.ok()) << Describe(s);
      if (!s.ok()) break;
      for (const v1::FeedbackItem& f : resp.feedback()) {
        ids.push_back(f.feedback_id());
      }
      if (resp.next_page_token().empty()) break;
      req.set_page_token(resp.next_page_token());
    }
    return ids;
  }

  v1::GetSatisfactionReportResponse Report(const std::string& token = kAdmin) {
    v1::GetSatisfactionReportRequest req;
    req.mutable_start_date()->set_year(2026);
    req.mutable_start_date()->set_month(5);
    req.mutable_start_date()->set_day(1);
    req.mutable_end_date()->set_year(2026);
    req.mutable_end_date()->set_month(7);
    req.mutable_end_date()->set_day(31);
    req.set_top(50);
    v1::GetSatisfactionReportResponse resp;
    grpc::Status s =
        Call(*stub_, &Stub::GetSatisfactionReport, token, req, &resp);
    EXPECT_TRUE(s.ok()) << Describe(s);
    return resp;
  }

  std::unique_ptr<TestServer> server_;
  int64_t t0_ = 0;
  int counter_ = 0;
  std::unique_ptr<Stub> stub_;
  std::unique_ptr<CustomerService::Stub> customers_;
  std::unique_ptr<OrderService::Stub> orders_;
  std::unique_ptr<ComplaintService::Stub> complaints_;
};

// ---- Submit and analysis ---------------------------------------------------

TEST_F(FeedbackItemsTest, SimplifiedChineseIsAnalysedAndStored) {
  const v1::FeedbackItem item =
      SubmitOk(Item("B001", 3, kReturnsSlow, "", v1::FEEDBACK_KIND_COMMENT,
                    v1::FEEDBACK_CHANNEL_WECHAT));
  EXPECT_EQ(item.feedback_id().rfind("fbk_", 0), 0u) << item.feedback_id();
  EXPECT_EQ(item.kind(), v1::FEEDBACK_KIND_COMMENT);
  EXPECT_EQ(item.channel(), v1::FEEDBACK_CHANNEL_WECHAT);
  EXPECT_EQ(item.branch_id(), "B001");
  EXPECT_EQ(item.rating(), 3);
  EXPECT_EQ(item.text(), kReturnsSlow);
  EXPECT_EQ(item.sentiment().label(), v1::SENTIMENT_LABEL_NEGATIVE);
  EXPECT_LT(item.sentiment().score(), -0.25);
  EXPECT_THAT(item.topics(),
              ElementsAre("returns_exchanges", "staff_attitude"));
  EXPECT_THAT(item.keywords(),
              ElementsAre("退货", "慢", "客服", "态度", "不好"));
  EXPECT_EQ(Us(item.create_time()), t0_);
  // Rating 3 is above the default escalation threshold (2).
  EXPECT_EQ(item.complaint_id(), "");
  EXPECT_EQ(item.escalation_reason(), "");
  EXPECT_FALSE(item.needs_review());
  EXPECT_FALSE(item.text_erased());
  // What is read back is what the submit answered.
  EXPECT_EQ(GetOk(item.feedback_id()).DebugString(), item.DebugString());
}

TEST_F(FeedbackItemsTest, TraditionalChineseIsReadAsSimplifiedButKeptAsSent) {
  const v1::FeedbackItem simplified =
      SubmitOk(Item("B001", 3, kExchangeSimplified));
  const v1::FeedbackItem traditional =
      SubmitOk(Item("B001", 3, kExchangeTraditional));
  EXPECT_EQ(traditional.text(), kExchangeTraditional);
  EXPECT_EQ(traditional.sentiment().label(), v1::SENTIMENT_LABEL_NEGATIVE);
  EXPECT_EQ(traditional.sentiment().score(), simplified.sentiment().score());
  EXPECT_THAT(traditional.topics(),
              ElementsAre("returns_exchanges", "staff_attitude"));
  // Keywords are lexicon terms, simplified.
  EXPECT_THAT(traditional.keywords(),
              ElementsAre("退换货", "慢", "客服", "态度", "不好"));
  EXPECT_EQ(Strings(traditional.keywords()), Strings(simplified.keywords()));
  EXPECT_EQ(GetOk(traditional.feedback_id()).DebugString(),
            traditional.DebugString());
}

TEST_F(FeedbackItemsTest, EnglishIsAnalysedAndStored) {
  const v1::FeedbackItem item = SubmitOk(Item("B002", 3, kEnglishNegative, "",
                                              v1::FEEDBACK_KIND_PRODUCT_REVIEW,
                                              v1::FEEDBACK_CHANNEL_EMAIL));
  EXPECT_EQ(item.sentiment().label(), v1::SENTIMENT_LABEL_NEGATIVE);
  EXPECT_THAT(item.topics(),
              ElementsAre("staff_attitude", "returns_exchanges", "size_fit"));
  EXPECT_THAT(item.keywords(), ElementsAre("customer service", "not helpful",
                                           "refund", "too long"));
  EXPECT_EQ(item.text(), kEnglishNegative);
}

// Multi-word lexicon terms ("customer service", "not helpful") are one
// keyword each, read back as they were answered.
TEST_F(FeedbackItemsTest, MultiWordKeywordsReadBackWhole) {
  const v1::FeedbackItem item = SubmitOk(Item("B002", 3, kEnglishNegative));
  const v1::FeedbackItem got = GetOk(item.feedback_id());
  EXPECT_THAT(got.keywords(), ElementsAre("customer service", "not helpful",
                                          "refund", "too long"));
  v1::ListFeedbackRequest req;
  req.set_keyword("Customer Service");
  v1::ListFeedbackResponse listed;
  ASSERT_TRUE(ListPage(req, &listed).ok());
  ASSERT_EQ(listed.feedback_size(), 1);
  EXPECT_THAT(
      listed.feedback(0).keywords(),
      ElementsAre("customer service", "not helpful", "refund", "too long"));
}

TEST_F(FeedbackItemsTest, PraiseIsPositiveAndNeverEscalates) {
  const std::string customer = CreateCustomer("B001");
  const v1::FeedbackItem item =
      SubmitOk(Item("B001", 5, kPraise, customer, v1::FEEDBACK_KIND_PRAISE,
                    v1::FEEDBACK_CHANNEL_IN_STORE));
  EXPECT_EQ(item.sentiment().label(), v1::SENTIMENT_LABEL_POSITIVE);
  EXPECT_GT(item.sentiment().score(), 0.25);
  EXPECT_THAT(item.topics(), ElementsAre("quality"));
  EXPECT_THAT(item.keywords(), ElementsAre("衣服", "质量", "好", "满意"));
  EXPECT_EQ(item.customer_id(), customer);
  EXPECT_EQ(item.complaint_id(), "");
  EXPECT_FALSE(item.needs_review());
  EXPECT_EQ(ComplaintCount(), 0);
}

TEST_F(FeedbackItemsTest, SkuAndOrderAreStored) {
  const std::string customer = CreateCustomer("B001");
  const std::string order = CreateOrder(customer);
  v1::FeedbackItem f =
      Item("B001", 4, kPraise, customer, v1::FEEDBACK_KIND_PRODUCT_REVIEW);
  f.set_sku("  SHIRT-M  ");
  f.set_order_id(order);
  const v1::FeedbackItem item = SubmitOk(f);
  EXPECT_EQ(item.sku(), "SHIRT-M");
  EXPECT_EQ(item.order_id(), order);
  EXPECT_EQ(GetOk(item.feedback_id()).DebugString(), item.DebugString());
}

TEST_F(FeedbackItemsTest, OutputOnlyFieldsAreIgnored) {
  v1::FeedbackItem f = Item("B001", 4, kSoSo);
  f.set_feedback_id("fbk_MINE");
  f.set_complaint_id("cmp_MINE");
  f.set_needs_review(true);
  f.set_text_erased(true);
  f.set_escalation_reason("mine");
  f.add_topics("quality");
  f.add_keywords("差");
  f.mutable_sentiment()->set_label(v1::SENTIMENT_LABEL_NEGATIVE);
  *f.mutable_create_time() = Ts(t0_ - 10 * kHour);
  const v1::FeedbackItem item = SubmitOk(f);
  EXPECT_NE(item.feedback_id(), "fbk_MINE");
  EXPECT_EQ(item.complaint_id(), "");
  EXPECT_FALSE(item.needs_review());
  EXPECT_FALSE(item.text_erased());
  EXPECT_EQ(item.escalation_reason(), "");
  EXPECT_THAT(item.topics(), IsEmpty());
  EXPECT_THAT(item.keywords(), ElementsAre("还行"));
  EXPECT_EQ(item.sentiment().label(), v1::SENTIMENT_LABEL_NEUTRAL);
  EXPECT_EQ(Us(item.create_time()), t0_);
}

// ---- ListFeedback
// ------------------------------------------------------------

TEST_F(FeedbackItemsTest, ListByTopic) {
  const std::string returns =
      SubmitOk(Item("B001", 3, kReturnsSlow)).feedback_id();
  SubmitOk(Item("B001", 4, kPraise));
  const std::string english =
      SubmitOk(Item("B002", 3, kEnglishNegative)).feedback_id();
  SubmitOk(Item("B001", 3, kTooExpensive));
  v1::ListFeedbackRequest req;
  req.set_topic("returns_exchanges");
  EXPECT_THAT(ListIds(req), ElementsAre(returns, english));
  req.set_topic("price_value");
  EXPECT_EQ(ListIds(req).size(), 1u);
  req.set_topic("payment");
  EXPECT_THAT(ListIds(req), IsEmpty());
}

TEST_F(FeedbackItemsTest, ListRejectsAnUnknownTopicOrABadKeyword) {
  v1::ListFeedbackRequest req;
  req.set_topic("returns");
  v1::ListFeedbackResponse resp;
  grpc::Status s = ListPage(req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << Describe(s);
  EXPECT_THAT(DetailsOf(s).fields, ElementsAre("topic"));
  req.clear_topic();
  req.set_keyword(std::string(65, 'k'));
  s = ListPage(req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << Describe(s);
  EXPECT_THAT(DetailsOf(s).fields, ElementsAre("keyword"));
}

TEST_F(FeedbackItemsTest, TraditionalKeywordFindsSimplifiedText) {
  const std::string simplified =
      SubmitOk(Item("B001", 3, kExchangeSimplified)).feedback_id();
  const std::string traditional =
      SubmitOk(Item("B001", 3, kExchangeTraditional)).feedback_id();
  SubmitOk(Item("B001", 3, kReturnsSlow));  // 退货, not 退换货
  v1::ListFeedbackRequest req;
  req.set_keyword("退換貨");
  EXPECT_THAT(ListIds(req), ElementsAre(simplified, traditional));
  req.set_keyword("退换货");
  EXPECT_THAT(ListIds(req), ElementsAre(simplified, traditional));
  // 態度 is in all three.
  req.set_keyword("態度");
  EXPECT_EQ(ListIds(req).size(), 3u);
  // English keywords are matched in lower case.
  const std::string english =
      SubmitOk(Item("B001", 3, kEnglishNegative)).feedback_id();
  req.set_keyword("REFUND");
  EXPECT_THAT(ListIds(req), ElementsAre(english));
  // Not a keyword of anything.
  req.set_keyword("物流");
  EXPECT_THAT(ListIds(req), IsEmpty());
}

TEST_F(FeedbackItemsTest, ListByTopicAndKeywordTogether) {
  const std::string a = SubmitOk(Item("B001", 3, kReturnsSlow)).feedback_id();
  SubmitOk(Item("B001", 5, kServicePraise));  // staff_attitude, not 不好
  SubmitOk(Item("B001", 4, kPraise));         // 好 but quality
  v1::ListFeedbackRequest req;
  req.set_topic("staff_attitude");
  req.set_keyword("客服");
  EXPECT_THAT(ListIds(req), ElementsAre(a));
  req.set_keyword("好");
  req.set_topic("staff_attitude");
  EXPECT_EQ(ListIds(req).size(), 1u);
}

TEST_F(FeedbackItemsTest, ListBySentiment) {
  const std::string negative =
      SubmitOk(Item("B001", 2, kReturnsSlow)).feedback_id();
  const std::string positive = SubmitOk(Item("B001", 5, kPraise)).feedback_id();
  const std::string neutral = SubmitOk(Item("B001", 3, kSoSo)).feedback_id();
  v1::ListFeedbackRequest req;
  req.set_sentiment(v1::SENTIMENT_LABEL_NEGATIVE);
  EXPECT_THAT(ListIds(req), ElementsAre(negative));
  req.set_sentiment(v1::SENTIMENT_LABEL_POSITIVE);
  EXPECT_THAT(ListIds(req), ElementsAre(positive));
  req.set_sentiment(v1::SENTIMENT_LABEL_NEUTRAL);
  EXPECT_THAT(ListIds(req), ElementsAre(neutral));
  req.set_sentiment(v1::SENTIMENT_LABEL_UNSPECIFIED);
  EXPECT_THAT(ListIds(req), ElementsAre(negative, positive, neutral));
}

TEST_F(FeedbackItemsTest, ListByRatingRange) {
  std::vector<std::string> ids;  // rating i at index i (0: unrated)
  for (int rating = 0; rating <= 5; ++rating) {
    ids.push_back(SubmitOk(Item("B001", rating, kSoSo)).feedback_id());
  }
  v1::ListFeedbackRequest req;
  req.set_min_rating(4);
  EXPECT_THAT(ListIds(req), ElementsAre(ids[4], ids[5]));
  req.set_min_rating(0);
  req.set_max_rating(2);
  // "At most 2" means a rating of 1 or 2: unrated items are not rated low.
  EXPECT_THAT(ListIds(req), ElementsAre(ids[1], ids[2]));
  req.set_min_rating(2);
  req.set_max_rating(3);
  EXPECT_THAT(ListIds(req), ElementsAre(ids[2], ids[3]));
  req.set_min_rating(3);
  req.set_max_rating(3);
  EXPECT_THAT(ListIds(req), ElementsAre(ids[3]));
  req.set_min_rating(0);
  req.set_max_rating(0);
  EXPECT_EQ(ListIds(req).size(), 6u);
}

TEST_F(FeedbackItemsTest, ListRejectsABadRatingRange) {
  v1::ListFeedbackResponse resp;
  v1::ListFeedbackRequest req;
  req.set_min_rating(6);
  grpc::Status s = ListPage(req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(DetailsOf(s).fields, ElementsAre("min_rating"));
  req.set_min_rating(4);
  req.set_max_rating(2);
  s = ListPage(req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(DetailsOf(s).fields, ElementsAre("max_rating"));
  req.set_min_rating(0);
  req.set_max_rating(-1);
  s = ListPage(req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(DetailsOf(s).fields, ElementsAre("max_rating"));
}

TEST_F(FeedbackItemsTest, ListByKind) {
  const std::string comment = SubmitOk(Item("B001", 3, kSoSo)).feedback_id();
  const std::string review =
      SubmitOk(Item("B001", 4, kPraise, "", v1::FEEDBACK_KIND_PRODUCT_REVIEW))
          .feedback_id();
  const std::string praise =
      SubmitOk(Item("B001", 5, kServicePraise, "", v1::FEEDBACK_KIND_PRAISE))
          .feedback_id();
  v1::ListFeedbackRequest req;
  req.set_kind(v1::FEEDBACK_KIND_PRODUCT_REVIEW);
  EXPECT_THAT(ListIds(req), ElementsAre(review));
  req.set_kind(v1::FEEDBACK_KIND_PRAISE);
  EXPECT_THAT(ListIds(req), ElementsAre(praise));
  req.set_kind(v1::FEEDBACK_KIND_COMMENT);
  EXPECT_THAT(ListIds(req), ElementsAre(comment));
  req.set_kind(v1::FEEDBACK_KIND_SUGGESTION);
  EXPECT_THAT(ListIds(req), IsEmpty());
}

TEST_F(FeedbackItemsTest, ListBySku) {
  v1::FeedbackItem f =
      Item("B001", 4, kPraise, "", v1::FEEDBACK_KIND_PRODUCT_REVIEW);
  f.set_sku("SHIRT-M");
  const std::string shirt = SubmitOk(f).feedback_id();
  f.set_sku("SHOE-42");
  const std::string shoe = SubmitOk(f).feedback_id();
  SubmitOk(Item("B001", 4, kPraise));
  v1::ListFeedbackRequest req;
  req.set_sku("SHIRT-M");
  EXPECT_THAT(ListIds(req), ElementsAre(shirt));
  req.set_sku("SHOE-42");
  EXPECT_THAT(ListIds(req), ElementsAre(shoe));
  req.set_sku("HAT");
  EXPECT_THAT(ListIds(req), IsEmpty());
}

TEST_F(FeedbackItemsTest, ListByBranch) {
  const std::string b1 = SubmitOk(Item("B001", 4, kPraise)).feedback_id();
  const std::string b2 = SubmitOk(Item("B002", 4, kPraise)).feedback_id();
  const std::string b1b = SubmitOk(Item("B001", 2, kReturnsSlow)).feedback_id();
  v1::ListFeedbackRequest req;
  req.set_branch_id("B001");
  EXPECT_THAT(ListIds(req), ElementsAre(b1, b1b));
  req.set_branch_id("B002");
  EXPECT_THAT(ListIds(req), ElementsAre(b2));
  req.set_branch_id("B003");
  EXPECT_THAT(ListIds(req), IsEmpty());
  req.set_branch_id("");
  EXPECT_THAT(ListIds(req), ElementsAre(b1, b2, b1b));
}

TEST_F(FeedbackItemsTest, ListByTimeRangeStartInclusiveEndExclusive) {
  const std::string first = SubmitOk(Item("B001", 4, kPraise)).feedback_id();
  Advance(kHour);
  const std::string second = SubmitOk(Item("B001", 4, kPraise)).feedback_id();
  Advance(kHour);
  const std::string third = SubmitOk(Item("B001", 4, kPraise)).feedback_id();
  v1::ListFeedbackRequest req;
  *req.mutable_create_time_start() = Ts(t0_ + kHour);
  EXPECT_THAT(ListIds(req), ElementsAre(second, third));
  *req.mutable_create_time_end() = Ts(t0_ + 2 * kHour);
  EXPECT_THAT(ListIds(req), ElementsAre(second));
  req.clear_create_time_start();
  EXPECT_THAT(ListIds(req), ElementsAre(first, second));
  *req.mutable_create_time_start() = Ts(t0_ + 2 * kHour + 1);
  req.clear_create_time_end();
  EXPECT_THAT(ListIds(req), IsEmpty());
}

TEST_F(FeedbackItemsTest, ListNeedsReview) {
  SubmitOk(Item("B001", 4, kPraise));
  const std::string flagged =
      SubmitOk(Item("B001", 1, kReturnsSlow)).feedback_id();  // anonymous
  SubmitOk(Item("B001", 3, kReturnsSlow));
  v1::ListFeedbackRequest req;
  req.set_needs_review(true);
  EXPECT_THAT(ListIds(req), ElementsAre(flagged));
}

TEST_F(FeedbackItemsTest, ListPagesTwoAtATimeOldestFirst) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(SubmitOk(Item("B001", 3, kReturnsSlow)).feedback_id());
    SubmitOk(Item("B002", 3, kReturnsSlow));  // filtered out
    Advance(kMinute);
  }
  v1::ListFeedbackRequest req;
  req.set_branch_id("B001");
  req.set_page_size(2);
  v1::ListFeedbackResponse page;
  ASSERT_TRUE(ListPage(req, &page).ok());
  ASSERT_EQ(page.feedback_size(), 2);
  EXPECT_EQ(page.feedback(0).feedback_id(), ids[0]);
  EXPECT_EQ(page.feedback(1).feedback_id(), ids[1]);
  ASSERT_FALSE(page.next_page_token().empty());
  req.set_page_token(page.next_page_token());
  ASSERT_TRUE(ListPage(req, &page).ok());
  ASSERT_EQ(page.feedback_size(), 2);
  EXPECT_EQ(page.feedback(0).feedback_id(), ids[2]);
  EXPECT_EQ(page.feedback(1).feedback_id(), ids[3]);
  ASSERT_FALSE(page.next_page_token().empty());
  req.set_page_token(page.next_page_token());
  ASSERT_TRUE(ListPage(req, &page).ok());
  ASSERT_EQ(page.feedback_size(), 1);
  EXPECT_EQ(page.feedback(0).feedback_id(), ids[4]);
  EXPECT_EQ(page.next_page_token(), "");
}

TEST_F(FeedbackItemsTest, ListPagesByKeywordTwoAtATime) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(
        SubmitOk(Item("B001", 3, kExchangeTraditional)).feedback_id());
    SubmitOk(Item("B001", 4, kPraise));  // filtered out
  }
  v1::ListFeedbackRequest req;
  req.set_keyword("退换货");
  req.set_page_size(2);
  std::vector<std::string> listed;
  int pages = 0;
  for (; pages < 10; ++pages) {
    v1::ListFeedbackResponse page;
    ASSERT_TRUE(ListPage(req, &page).ok());
    EXPECT_LE(page.feedback_size(), 2);
    for (const auto& f : page.feedback()) listed.push_back(f.feedback_id());
    if (page.next_page_token().empty()) break;
    req.set_page_token(page.next_page_token());
  }
  EXPECT_EQ(pages, 2);
  EXPECT_EQ(listed, ids);
}

TEST_F(FeedbackItemsTest, PageTokenWithChangedFilterIsRejected) {
  for (int i = 0; i < 3; ++i) SubmitOk(Item("B001", 3, kReturnsSlow));
  v1::ListFeedbackRequest req;
  req.set_branch_id("B001");
  req.set_page_size(2);
  v1::ListFeedbackResponse page;
  ASSERT_TRUE(ListPage(req, &page).ok());
  ASSERT_FALSE(page.next_page_token().empty());
  const std::string token = page.next_page_token();
  // Each changed filter makes the token invalid.
  std::vector<std::function<void(v1::ListFeedbackRequest&)>> changes = {
      [](auto& r) { r.set_branch_id("B002"); },
      [](auto& r) { r.set_kind(v1::FEEDBACK_KIND_PRAISE); },
      [](auto& r) { r.set_sku("SHIRT-M"); },
      [](auto& r) { r.set_min_rating(1); },
      [](auto& r) { r.set_max_rating(5); },
      [](auto& r) { r.set_sentiment(v1::SENTIMENT_LABEL_NEGATIVE); },
      [](auto& r) { r.set_topic("returns_exchanges"); },
      [](auto& r) { r.set_keyword("慢"); },
      [](auto& r) { r.set_needs_review(true); },
      [this](auto& r) { *r.mutable_create_time_start() = Ts(t0_); },
      [this](auto& r) { *r.mutable_create_time_end() = Ts(t0_ + kHour); },
  };
  for (size_t i = 0; i < changes.size(); ++i) {
    SCOPED_TRACE(i);
    v1::ListFeedbackRequest changed = req;
    changes[i](changed);
    changed.set_page_token(token);
    grpc::Status s = ListPage(changed, &page);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << Describe(s);
    EXPECT_THAT(DetailsOf(s).fields, ElementsAre("page_token"));
  }
  // A caller of another branch scope cannot use it either.
  req.set_page_token(token);
  grpc::Status s = ListPage(req, &page, kBranch1);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << Describe(s);
  // The same filters (page size aside) keep working.
  req.set_page_size(5);
  s = ListPage(req, &page);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(page.feedback_size(), 1);
}

// ---- Escalation
// ----------------------------------------------------------------

TEST_F(FeedbackItemsTest, LowRatedNegativeFeedbackOpensALinkedComplaint) {
  const std::string customer = CreateCustomer("B001");
  const std::string order = CreateOrder(customer);
  v1::FeedbackItem f =
      Item("B001", 1, kReturnsSlow, customer, v1::FEEDBACK_KIND_COMMENT,
           v1::FEEDBACK_CHANNEL_WECHAT);
  f.set_order_id(order);
  const v1::FeedbackItem item = SubmitOk(f);
  ASSERT_FALSE(item.complaint_id().empty());
  EXPECT_EQ(item.escalation_reason(), "rating 1 with negative sentiment");
  EXPECT_FALSE(item.needs_review());
  EXPECT_EQ(GetOk(item.feedback_id()).complaint_id(), item.complaint_id());
  EXPECT_EQ(ComplaintCount(), 1);

  const kv1::Complaint c = GetComplaint(item.complaint_id());
  EXPECT_EQ(c.feedback_id(), item.feedback_id());
  EXPECT_EQ(c.customer_id(), customer);
  EXPECT_EQ(c.branch_id(), "B001");
  EXPECT_EQ(c.order_id(), order);
  EXPECT_EQ(c.category(), kv1::COMPLAINT_CATEGORY_RETURN_EXCHANGE);
  EXPECT_EQ(c.severity(), kv1::COMPLAINT_SEVERITY_MODERATE);
  EXPECT_EQ(c.channel(), kv1::COMPLAINT_CHANNEL_WECHAT);
  EXPECT_EQ(c.status(), kv1::COMPLAINT_STATUS_NEW);
  EXPECT_EQ(c.description(), kReturnsSlow);
  EXPECT_THAT(c.topics(), ElementsAre("returns_exchanges", "staff_attitude"));
  EXPECT_THAT(c.keywords(),
              UnorderedElementsAre("退货", "慢", "客服", "态度", "不好"));
}

TEST_F(FeedbackItemsTest, RatingAtTheThresholdEscalatesWithTheTopicsCategory) {
  // Rating 2 is the default threshold; price -> PRICING.
  const std::string customer = CreateCustomer("B002");
  const v1::FeedbackItem item =
      SubmitOk(Item("B002", 2, kTooExpensive, customer,
                    v1::FEEDBACK_KIND_COMMENT, v1::FEEDBACK_CHANNEL_PHONE));
  ASSERT_FALSE(item.complaint_id().empty());
  EXPECT_EQ(item.escalation_reason(), "rating 2 with negative sentiment");
  const kv1::Complaint c = GetComplaint(item.complaint_id());
  EXPECT_EQ(c.feedback_id(), item.feedback_id());
  EXPECT_EQ(c.branch_id(), "B002");
  EXPECT_EQ(c.category(), kv1::COMPLAINT_CATEGORY_PRICING);
  EXPECT_EQ(c.severity(), kv1::COMPLAINT_SEVERITY_MODERATE);
  EXPECT_EQ(c.channel(), kv1::COMPLAINT_CHANNEL_PHONE);
}

TEST_F(FeedbackItemsTest,
       EscalationKeywordOpensASevereComplaintWhateverTheRating) {
  const std::string customer = CreateCustomer("B001");
  const v1::FeedbackItem item =
      SubmitOk(Item("B001", 5, kFoodPoisoning, customer));
  // The text itself reads neutral: the keyword alone escalates.
  EXPECT_EQ(item.sentiment().label(), v1::SENTIMENT_LABEL_NEUTRAL);
  ASSERT_FALSE(item.complaint_id().empty());
  EXPECT_EQ(item.escalation_reason(), "keyword 食物中毒");
  const kv1::Complaint c = GetComplaint(item.complaint_id());
  EXPECT_EQ(c.feedback_id(), item.feedback_id());
  EXPECT_EQ(c.severity(), kv1::COMPLAINT_SEVERITY_SEVERE);
  // store_environment maps to OTHER.
  EXPECT_EQ(c.category(), kv1::COMPLAINT_CATEGORY_OTHER);
}

TEST_F(FeedbackItemsTest, EscalationKeywordIsFoundInTraditionalText) {
  const std::string customer = CreateCustomer("B001");
  const v1::FeedbackItem item =
      SubmitOk(Item("B001", 0, "買到假貨了，太差", customer));
  ASSERT_FALSE(item.complaint_id().empty());
  EXPECT_EQ(item.escalation_reason(), "keyword 假货");
  const kv1::Complaint c = GetComplaint(item.complaint_id());
  EXPECT_EQ(c.severity(), kv1::COMPLAINT_SEVERITY_SEVERE);
  EXPECT_EQ(c.category(), kv1::COMPLAINT_CATEGORY_PRODUCT_QUALITY);
}

TEST_F(FeedbackItemsTest, AnonymousNegativeFeedbackIsFlaggedNotEscalated) {
  const v1::FeedbackItem item = SubmitOk(Item("B001", 1, kReturnsSlow));
  EXPECT_TRUE(item.needs_review());
  EXPECT_EQ(item.complaint_id(), "");
  EXPECT_EQ(item.escalation_reason(), "rating 1 with negative sentiment");
  EXPECT_TRUE(GetOk(item.feedback_id()).needs_review());
  EXPECT_EQ(ComplaintCount(), 0);
}

TEST_F(FeedbackItemsTest, AnonymousKeywordFeedbackIsFlaggedNotEscalated) {
  const v1::FeedbackItem item = SubmitOk(Item("B001", 5, kFoodPoisoning));
  EXPECT_TRUE(item.needs_review());
  EXPECT_EQ(item.complaint_id(), "");
  EXPECT_EQ(item.escalation_reason(), "keyword 食物中毒");
  EXPECT_EQ(ComplaintCount(), 0);
}

TEST_F(FeedbackItemsTest, LowRatingWithPositiveTextDoesNotEscalate) {
  const std::string customer = CreateCustomer("B001");
  const v1::FeedbackItem item =
      SubmitOk(Item("B001", 1, kServicePraise, customer));
  EXPECT_EQ(item.sentiment().label(), v1::SENTIMENT_LABEL_POSITIVE);
  EXPECT_EQ(item.complaint_id(), "");
  EXPECT_EQ(item.escalation_reason(), "");
  EXPECT_FALSE(item.needs_review());
  EXPECT_EQ(ComplaintCount(), 0);
}

TEST_F(FeedbackItemsTest,
       NegativeTextAboveTheThresholdOrUnratedDoesNotEscalate) {
  const std::string customer = CreateCustomer("B001");
  for (int rating : {0, 3, 4, 5}) {
    SCOPED_TRACE(rating);
    const v1::FeedbackItem item =
        SubmitOk(Item("B001", rating, kReturnsSlow, customer));
    EXPECT_EQ(item.complaint_id(), "");
    EXPECT_EQ(item.escalation_reason(), "");
    EXPECT_FALSE(item.needs_review());
  }
  EXPECT_EQ(ComplaintCount(), 0);
}

TEST_F(FeedbackItemsTest, RetryReturnsTheSameItemAndOpensNoSecondComplaint) {
  const std::string customer = CreateCustomer("B001");
  const v1::FeedbackItem f = Item("B001", 1, kReturnsSlow, customer);
  const v1::FeedbackItem first = SubmitOk(f, kAgent, "fb-retry-0001");
  ASSERT_FALSE(first.complaint_id().empty());
  Advance(kMinute);
  const v1::FeedbackItem again = SubmitOk(f, kAgent, "fb-retry-0001");
  EXPECT_EQ(again.DebugString(), first.DebugString());
  EXPECT_EQ(ComplaintCount(), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM feedback_items"), 1);
  EXPECT_EQ(
      Count("SELECT CAST(SUM(feedback_items) AS BIGINT) FROM feedback_daily"),
      1);
  // The same id with a different request is refused.
  Submitted changed =
      Submit(Item("B001", 1, kTooExpensive, customer), kAgent, "fb-retry-0001");
  EXPECT_EQ(changed.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << Describe(changed.status);
  EXPECT_EQ(ComplaintCount(), 1);
  // A new request id is a new item (and a new complaint).
  const v1::FeedbackItem other = SubmitOk(f, kAgent, "fb-retry-0002");
  EXPECT_NE(other.feedback_id(), first.feedback_id());
  EXPECT_NE(other.complaint_id(), first.complaint_id());
  EXPECT_EQ(ComplaintCount(), 2);
}

// ---- Escalation flags
// ------------------------------------------------------------

TEST_F(FeedbackItemsTest, MaxRatingFlagMovesTheThreshold) {
  absl::FlagSaver flags;
  absl::SetFlag(&FLAGS_feedback_escalation_max_rating, 3);
  Restart();
  const std::string customer = CreateCustomer("B001");
  const v1::FeedbackItem three =
      SubmitOk(Item("B001", 3, kReturnsSlow, customer));
  EXPECT_FALSE(three.complaint_id().empty());
  EXPECT_EQ(three.escalation_reason(), "rating 3 with negative sentiment");
  const v1::FeedbackItem four =
      SubmitOk(Item("B001", 4, kReturnsSlow, customer));
  EXPECT_EQ(four.complaint_id(), "");
  EXPECT_EQ(four.escalation_reason(), "");
  EXPECT_EQ(ComplaintCount(), 1);
}

TEST_F(FeedbackItemsTest, MaxRatingFlagZeroLeavesOnlyKeywords) {
  absl::FlagSaver flags;
  absl::SetFlag(&FLAGS_feedback_escalation_max_rating, 0);
  Restart();
  const std::string customer = CreateCustomer("B001");
  const v1::FeedbackItem one =
      SubmitOk(Item("B001", 1, kReturnsSlow, customer));
  EXPECT_EQ(one.complaint_id(), "");
  EXPECT_EQ(one.escalation_reason(), "");
  const v1::FeedbackItem keyword =
      SubmitOk(Item("B001", 1, kFoodPoisoning, customer));
  EXPECT_FALSE(keyword.complaint_id().empty());
  EXPECT_EQ(keyword.escalation_reason(), "keyword 食物中毒");
}

TEST_F(FeedbackItemsTest, KeywordsFlagReplacesTheDefaultsInEitherScript) {
  absl::FlagSaver flags;
  absl::SetFlag(&FLAGS_feedback_escalation_keywords,
                std::string("漏水,Broken Glass,爛掉"));
  Restart();
  const std::string customer = CreateCustomer("B001");
  const v1::FeedbackItem leak =
      SubmitOk(Item("B001", 4, "新买的水壶漏水", customer));
  EXPECT_EQ(leak.escalation_reason(), "keyword 漏水");
  EXPECT_FALSE(leak.complaint_id().empty());
  const v1::FeedbackItem glass =
      SubmitOk(Item("B001", 5, "There was BROKEN GLASS in the box", customer));
  EXPECT_EQ(glass.escalation_reason(), "keyword broken glass");
  EXPECT_FALSE(glass.complaint_id().empty());
  // A traditional flag term finds simplified text.
  const v1::FeedbackItem rotten =
      SubmitOk(Item("B001", 5, "水果都烂掉了", customer));
  EXPECT_EQ(rotten.escalation_reason(), "keyword 烂掉");
  EXPECT_EQ(GetComplaint(rotten.complaint_id()).severity(),
            kv1::COMPLAINT_SEVERITY_SEVERE);
  // The defaults no longer apply.
  const v1::FeedbackItem poisoning =
      SubmitOk(Item("B001", 5, kFoodPoisoning, customer));
  EXPECT_EQ(poisoning.escalation_reason(), "");
  EXPECT_EQ(poisoning.complaint_id(), "");
  EXPECT_EQ(ComplaintCount(), 3);
}

TEST_F(FeedbackItemsTest, KeywordsFlagNoneTurnsKeywordsOff) {
  absl::FlagSaver flags;
  absl::SetFlag(&FLAGS_feedback_escalation_keywords, std::string("none"));
  Restart();
  const std::string customer = CreateCustomer("B001");
  const v1::FeedbackItem poisoning =
      SubmitOk(Item("B001", 5, kFoodPoisoning, customer));
  EXPECT_EQ(poisoning.escalation_reason(), "");
  EXPECT_EQ(poisoning.complaint_id(), "");
  // The rating rule still applies.
  const v1::FeedbackItem low =
      SubmitOk(Item("B001", 1, kReturnsSlow, customer));
  EXPECT_FALSE(low.complaint_id().empty());
}

// ---- Bad input
// -------------------------------------------------------------------

TEST_F(FeedbackItemsTest, EachBadFieldIsNamed) {
  struct Case {
    const char* name;
    std::function<void(v1::SubmitFeedbackRequest&)> change;
    const char* field;
  };
  const std::vector<Case> cases = {
      {"no kind",
       [](auto& r) {
         r.mutable_feedback()->set_kind(v1::FEEDBACK_KIND_UNSPECIFIED);
       },
       "feedback.kind"},
      {"unknown kind",
       [](auto& r) {
         r.mutable_feedback()->set_kind(static_cast<v1::FeedbackKind>(9));
       },
       "feedback.kind"},
      {"no channel",
       [](auto& r) {
         r.mutable_feedback()->set_channel(v1::FEEDBACK_CHANNEL_UNSPECIFIED);
       },
       "feedback.channel"},
      {"unknown channel",
       [](auto& r) {
         r.mutable_feedback()->set_channel(
             static_cast<v1::FeedbackChannel>(42));
       },
       "feedback.channel"},
      {"no branch", [](auto& r) { r.mutable_feedback()->set_branch_id(""); },
       "feedback.branch_id"},
      {"bad branch",
       [](auto& r) { r.mutable_feedback()->set_branch_id("B 001"); },
       "feedback.branch_id"},
      {"bad customer id",
       [](auto& r) { r.mutable_feedback()->set_customer_id("cus 1"); },
       "feedback.customer_id"},
      {"rating 6", [](auto& r) { r.mutable_feedback()->set_rating(6); },
       "feedback.rating"},
      {"rating -1", [](auto& r) { r.mutable_feedback()->set_rating(-1); },
       "feedback.rating"},
      {"empty text", [](auto& r) { r.mutable_feedback()->set_text(""); },
       "feedback.text"},
      {"blank text", [](auto& r) { r.mutable_feedback()->set_text(" \t　"); },
       "feedback.text"},
      {"text over 5000",
       [](auto& r) {
         std::string t;
         for (int i = 0; i < 5001; ++i) t += "慢";
         r.mutable_feedback()->set_text(t);
       },
       "feedback.text"},
      {"sku over 64",
       [](auto& r) { r.mutable_feedback()->set_sku(std::string(65, 'S')); },
       "feedback.sku"},
      {"order without customer",
       [](auto& r) { r.mutable_feedback()->set_order_id("ord_01"); },
       "feedback.order_id"},
      {"no request id", [](auto& r) { r.set_request_id(""); }, "request_id"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    v1::SubmitFeedbackRequest req;
    *req.mutable_feedback() = Item("B001", 3, kSoSo);
    req.set_request_id(NewRequestId());
    c.change(req);
    v1::SubmitFeedbackResponse resp;
    grpc::Status s = Call(*stub_, &Stub::SubmitFeedback, kAgent, req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << Describe(s);
    EXPECT_THAT(DetailsOf(s).fields, ElementsAre(c.field));
    ExpectNoStorageText(s);
  }
  EXPECT_EQ(Count("SELECT COUNT(*) FROM feedback_items"), 0);
}

TEST_F(FeedbackItemsTest, EveryBadFieldIsNamedAtOnce) {
  v1::FeedbackItem f;
  f.set_rating(6);
  f.set_order_id("ord_01");
  f.set_sku(std::string(65, 'S'));
  v1::SubmitFeedbackRequest req;
  *req.mutable_feedback() = f;
  v1::SubmitFeedbackResponse resp;
  grpc::Status s = Call(*stub_, &Stub::SubmitFeedback, kAgent, req, &resp);
  ASSERT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << Describe(s);
  EXPECT_THAT(DetailsOf(s).fields,
              UnorderedElementsAre("request_id", "feedback.kind",
                                   "feedback.channel", "feedback.branch_id",
                                   "feedback.sku", "feedback.order_id",
                                   "feedback.rating", "feedback.text"));
}

TEST_F(FeedbackItemsTest, TextOfExactly5000CharactersIsAccepted) {
  std::string t;
  for (int i = 0; i < 5000; ++i) t += "慢";
  const v1::FeedbackItem item = SubmitOk(Item("B001", 3, t));
  EXPECT_EQ(item.text(), t);
}

TEST_F(FeedbackItemsTest, UnknownCustomerIsNotFound) {
  Submitted s = Submit(Item("B001", 3, kSoSo, "cus_NOSUCHCUSTOMER"));
  EXPECT_EQ(s.status.error_code(), grpc::StatusCode::NOT_FOUND)
      << Describe(s.status);
  ExpectNoStorageText(s.status);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM feedback_items"), 0);
}

TEST_F(FeedbackItemsTest, UnknownOrderIsNotFound) {
  const std::string customer = CreateCustomer("B001");
  v1::FeedbackItem f = Item("B001", 3, kSoSo, customer);
  f.set_order_id("ord_NOSUCHORDER");
  Submitted s = Submit(f);
  EXPECT_EQ(s.status.error_code(), grpc::StatusCode::NOT_FOUND)
      << Describe(s.status);
  EXPECT_THAT(s.status.error_message(),
              ::testing::HasSubstr("feedback.order_id"));
}

TEST_F(FeedbackItemsTest, OrderOfAnotherCustomerIsRefused) {
  const std::string alice = CreateCustomer("B001", "张三");
  const std::string bob = CreateCustomer("B001", "李四");
  const std::string order = CreateOrder(alice);
  v1::FeedbackItem f = Item("B001", 1, kReturnsSlow, bob);
  f.set_order_id(order);
  Submitted s = Submit(f);
  EXPECT_EQ(s.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << Describe(s.status);
  EXPECT_EQ(DetailsOf(s.status).reason, "ORDER_OF_ANOTHER_CUSTOMER");
  EXPECT_EQ(DetailsOf(s.status).metadata["field"], "feedback.order_id");
  // Nothing was written, not even the complaint the rating would open.
  EXPECT_EQ(Count("SELECT COUNT(*) FROM feedback_items"), 0);
  EXPECT_EQ(ComplaintCount(), 0);
  // Alice may write about her own order.
  f.set_customer_id(alice);
  EXPECT_TRUE(Submit(f).ok());
}

// ---- Branch isolation and roles
// ------------------------------------------------

TEST_F(FeedbackItemsTest, BranchCannotReadAnotherBranchsFeedback) {
  const v1::FeedbackItem theirs = SubmitOk(Item("B002", 4, kPraise));
  v1::FeedbackItem out;
  grpc::Status s = Get(theirs.feedback_id(), &out, kBranch1);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << Describe(s);
  // Its own branch reads it.
  EXPECT_TRUE(Get(theirs.feedback_id(), &out, kBranch2).ok());
  // Missing and elsewhere look the same.
  grpc::Status missing = Get("fbk_NOSUCHITEM", &out, kBranch1);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(FeedbackItemsTest, BranchListsOnlyItsOwnBranch) {
  const std::string mine = SubmitOk(Item("B001", 4, kPraise)).feedback_id();
  SubmitOk(Item("B002", 4, kPraise));
  v1::ListFeedbackRequest req;
  EXPECT_THAT(ListIds(req, kBranch1), ElementsAre(mine));
  req.set_branch_id("B002");
  EXPECT_THAT(ListIds(req, kBranch1), IsEmpty());
  req.set_branch_id("B001");
  EXPECT_THAT(ListIds(req, kBranch1), ElementsAre(mine));
}

TEST_F(FeedbackItemsTest, BranchRecordsOnlyForItself) {
  Submitted other = Submit(Item("B002", 4, kPraise), kBranch1);
  EXPECT_EQ(other.status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
      << Describe(other.status);
  // No branch given: its own.
  const v1::FeedbackItem own = SubmitOk(Item("", 4, kPraise), kBranch1);
  EXPECT_EQ(own.branch_id(), "B001");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM feedback_items"), 1);
}

TEST_F(FeedbackItemsTest, AuditorReadsButCannotSubmit) {
  Submitted s = Submit(Item("B001", 4, kPraise), kAuditor);
  EXPECT_EQ(s.status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
      << Describe(s.status);
  const v1::FeedbackItem item = SubmitOk(Item("B001", 4, kPraise));
  v1::FeedbackItem out;
  EXPECT_TRUE(Get(item.feedback_id(), &out, kAuditor).ok());
  v1::ListFeedbackRequest req;
  EXPECT_THAT(ListIds(req, kAuditor), ElementsAre(item.feedback_id()));
}

TEST_F(FeedbackItemsTest, ServiceTokenWithoutTheMethodIsDenied) {
  Submitted s = Submit(Item("B001", 4, kPraise), kCrm);
  EXPECT_EQ(s.status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
      << Describe(s.status);
}

// ---- Export and erasure
// ----------------------------------------------------------

TEST_F(FeedbackItemsTest, ExportHoldsTheCustomersFeedback) {
  const std::string customer = CreateCustomer("B001");
  const std::string other = CreateCustomer("B001");
  const v1::FeedbackItem mine = SubmitOk(Item("B001", 4, kPraise, customer));
  SubmitOk(Item("B001", 4, kServicePraise, other));
  SubmitOk(Item("B001", 4, kSoSo));
  const cv1::ExportCustomerDataResponse exported = Export(customer);
  std::vector<v1::FeedbackItem> items;
  for (const google::protobuf::Any& any : exported.records()) {
    v1::FeedbackItem f;
    if (any.Is<v1::FeedbackItem>() && any.UnpackTo(&f)) items.push_back(f);
  }
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].DebugString(), mine.DebugString());
}

TEST_F(FeedbackItemsTest, ErasureEmptiesTheTextAndKeepsTheFacts) {
  const std::string customer = CreateCustomer("B001", "赵六");
  const std::string bystander = CreateCustomer("B001", "钱七");
  constexpr char kMarked[] = "退货太慢了 ERASEMARK，客服态度也不好";
  const v1::FeedbackItem f = Item("B001", 1, kMarked, customer);
  const v1::FeedbackItem before = SubmitOk(f, kAgent, "fb-erase-0001");
  ASSERT_FALSE(before.complaint_id().empty());
  const v1::FeedbackItem kept =
      SubmitOk(Item("B001", 2, "价格太贵了 KEEPMARK", bystander));

  // A survey response with the marker in a free-text answer.
  v1::CreateSurveyRequest create;
  create.set_request_id(NewRequestId());
  create.mutable_survey()->set_title("购物体验");
  v1::Question* q1 = create.mutable_survey()->add_questions();
  q1->set_type(v1::QUESTION_TYPE_RATING);
  q1->set_text("满意吗？");
  v1::Question* q2 = create.mutable_survey()->add_questions();
  q2->set_type(v1::QUESTION_TYPE_FREE_TEXT);
  q2->set_text("说说看");
  v1::CreateSurveyResponse survey;
  ASSERT_TRUE(Call(*stub_, &Stub::CreateSurvey, kAgent, create, &survey).ok());
  v1::SubmitSurveyResponseRequest answer;
  answer.set_request_id("fb-erase-srp-0001");
  v1::SurveyResponse* r = answer.mutable_response();
  r->set_survey_id(survey.survey().survey_id());
  r->set_customer_id(customer);
  r->set_branch_id("B001");
  r->add_answers()->set_question_id("q1");
  r->mutable_answers(0)->set_rating(2);
  r->add_answers()->set_question_id("q2");
  r->mutable_answers(1)->set_text("物流太慢了 ERASEMARK");
  v1::SubmitSurveyResponseResponse answered;
  grpc::Status s =
      Call(*stub_, &Stub::SubmitSurveyResponse, kAgent, answer, &answered);
  ASSERT_TRUE(s.ok()) << Describe(s);

  const bool pg = server_->on_postgres();
  auto stored_with = [&](const std::string& marker) {
    return Count(
        absl::StrCat("SELECT (SELECT COUNT(*) FROM feedback_items WHERE ",
                     HoldsText(pg, "text", marker),
                     ") + (SELECT COUNT(*) FROM survey_responses WHERE ",
                     HoldsBytes(pg, "body", marker),
                     ") + (SELECT COUNT(*) FROM idempotency_keys WHERE ",
                     HoldsBytes(pg, "response", marker), " OR ",
                     HoldsBytes(pg, "status", marker),
                     ") + (SELECT COUNT(*) FROM complaints WHERE ",
                     HoldsText(pg, "description", marker), " OR ",
                     HoldsText(pg, "subject", marker),
                     ") + (SELECT COUNT(*) FROM complaint_history WHERE ",
                     HoldsText(pg, "text", marker),
                     ") + (SELECT COUNT(*) FROM audit_log WHERE ",
                     HoldsText(pg, "detail", marker), ")"));
  };
  // feedback row + its stored reply + complaint + response + its reply.
  EXPECT_GE(stored_with("ERASEMARK"), 5);
  const std::string report_before = Report().SerializeAsString();

  // The export before erasure holds the item and the response, text and all.
  int items = 0, responses = 0;
  const cv1::ExportCustomerDataResponse exported = Export(customer);
  for (const google::protobuf::Any& any : exported.records()) {
    v1::FeedbackItem fi;
    v1::SurveyResponse sr;
    if (any.Is<v1::FeedbackItem>() && any.UnpackTo(&fi)) {
      ++items;
      EXPECT_EQ(fi.text(), kMarked);
    } else if (any.Is<v1::SurveyResponse>() && any.UnpackTo(&sr)) {
      ++responses;
      EXPECT_EQ(sr.answers(1).text(), "物流太慢了 ERASEMARK");
    }
  }
  EXPECT_EQ(items, 1);
  EXPECT_EQ(responses, 1);

  Advance(kHour);
  s = Erase(customer);
  ASSERT_TRUE(s.ok()) << Describe(s);

  const v1::FeedbackItem after = GetOk(before.feedback_id());
  EXPECT_EQ(after.text(), "");
  EXPECT_TRUE(after.text_erased());
  EXPECT_EQ(after.customer_id(), "");
  // The facts stay.
  EXPECT_EQ(Strings(after.topics()), Strings(before.topics()));
  EXPECT_EQ(Strings(after.keywords()), Strings(before.keywords()));
  EXPECT_FALSE(after.keywords().empty());
  EXPECT_EQ(after.rating(), 1);
  EXPECT_EQ(after.sentiment().label(), before.sentiment().label());
  EXPECT_EQ(after.sentiment().score(), before.sentiment().score());
  EXPECT_EQ(after.kind(), before.kind());
  EXPECT_EQ(after.channel(), before.channel());
  EXPECT_EQ(after.branch_id(), "B001");
  EXPECT_EQ(after.complaint_id(), before.complaint_id());
  EXPECT_EQ(after.escalation_reason(), before.escalation_reason());
  EXPECT_EQ(Us(after.create_time()), Us(before.create_time()));

  // A replay of the original submit brings no text back.
  const v1::FeedbackItem replay = SubmitOk(f, kAgent, "fb-erase-0001");
  EXPECT_EQ(replay.feedback_id(), before.feedback_id());
  EXPECT_EQ(replay.text(), "");
  EXPECT_EQ(replay.customer_id(), "");
  EXPECT_TRUE(replay.text_erased());
  v1::SubmitSurveyResponseResponse replayed;
  s = Call(*stub_, &Stub::SubmitSurveyResponse, kAgent, answer, &replayed);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(replayed.response().response_id(),
            answered.response().response_id());
  EXPECT_EQ(replayed.response().customer_id(), "");
  ASSERT_EQ(replayed.response().answers_size(), 2);
  EXPECT_EQ(replayed.response().answers(0).rating(), 2);
  EXPECT_EQ(replayed.response().answers(1).text(), "");
  EXPECT_EQ(Strings(replayed.response().answers(1).topics()),
            Strings(answered.response().answers(1).topics()));

  // No trace of the text in any row or stored reply.
  EXPECT_EQ(stored_with("ERASEMARK"), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM feedback_items WHERE customer_id = '" +
                  customer + "'"),
            0);
  EXPECT_EQ(
      Count("SELECT COUNT(*) FROM survey_responses WHERE customer_id = '" +
            customer + "'"),
      0);
  EXPECT_EQ(Count("SELECT text_erased FROM survey_responses"), 1);
  // The bystander's feedback is untouched.
  EXPECT_EQ(GetOk(kept.feedback_id()).text(), "价格太贵了 KEEPMARK");
  EXPECT_GT(stored_with("KEEPMARK"), 0);
  // Still found by its terms, still counted.
  v1::ListFeedbackRequest by_keyword;
  by_keyword.set_keyword("退货");
  EXPECT_THAT(ListIds(by_keyword), ElementsAre(before.feedback_id()));
  EXPECT_EQ(Report().SerializeAsString(), report_before);
  // An erased customer writes no more feedback.
  Submitted more = Submit(Item("B001", 4, kPraise, customer));
  EXPECT_EQ(more.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << Describe(more.status);
  EXPECT_EQ(DetailsOf(more.status).reason, "CUSTOMER_ERASED");
}

}  // namespace
}  // namespace retail::testing
