// FeedbackService through the real server over loopback TCP. Today:
// AnalyzeText (issue 11), the shared text analyser behind an RPC; the
// analyser's own behaviour (normalisation, segmentation, topics, sentiment,
// the held-out evaluation) is tested in tests/unit/common/text.
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "retail/feedback/v1/feedback.grpc.pb.h"
#include "tests/integration/test_server.h"

namespace retail::testing {
namespace {

namespace v1 = ::retail::feedback::v1;
using ::retail::feedback::v1::FeedbackService;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class FeedbackIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override { stub_ = FeedbackService::NewStub(server_.Channel()); }

  grpc::Status Analyze(const std::string& text, v1::AnalyzeTextResponse* resp,
                       const std::string& token = kAgent) {
    v1::AnalyzeTextRequest req;
    req.set_text(text);
    return Call(*stub_, &FeedbackService::Stub::AnalyzeText, token, req, resp);
  }

  TestServer server_;
  std::unique_ptr<FeedbackService::Stub> stub_;
};

TEST_F(FeedbackIntegrationTest,
       TraditionalComplaintIsNegativeAboutReturnsAndStaff) {
  v1::AnalyzeTextResponse resp;
  const grpc::Status s = Analyze("退換貨太慢了，客服態度也不好", &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  const v1::TextAnalysis& a = resp.analysis();
  EXPECT_EQ(a.normalized_text(), "退换货太慢了,客服态度也不好");
  EXPECT_EQ(a.sentiment().label(), v1::SENTIMENT_LABEL_NEGATIVE);
  ASSERT_EQ(a.topics_size(), 2);
  EXPECT_EQ(a.topics(0).topic(), "returns_exchanges");
  EXPECT_EQ(a.topics(0).sentiment().label(), v1::SENTIMENT_LABEL_NEGATIVE);
  EXPECT_EQ(a.topics(1).topic(), "staff_attitude");
  EXPECT_EQ(a.topics(1).sentiment().label(), v1::SENTIMENT_LABEL_NEGATIVE);
  EXPECT_THAT(a.segments(), ::testing::Contains("退换货"));
}

TEST_F(FeedbackIntegrationTest, SimplifiedAndTraditionalGiveTheSameAnalysis) {
  v1::AnalyzeTextResponse simplified, traditional;
  ASSERT_TRUE(Analyze("退换货太慢了，客服态度也不好", &simplified).ok());
  ASSERT_TRUE(Analyze("退換貨太慢了，客服態度也不好", &traditional).ok());
  EXPECT_EQ(simplified.SerializeAsString(), traditional.SerializeAsString());
}

TEST_F(FeedbackIntegrationTest, MixedOpinionHasASentimentPerTopic) {
  v1::AnalyzeTextResponse resp;
  ASSERT_TRUE(Analyze("衣服不错但是物流太慢", &resp).ok());
  const v1::TextAnalysis& a = resp.analysis();
  EXPECT_EQ(a.sentiment().label(), v1::SENTIMENT_LABEL_NEGATIVE);
  ASSERT_EQ(a.topics_size(), 2);
  EXPECT_EQ(a.topics(0).topic(), "quality");
  EXPECT_EQ(a.topics(0).sentiment().label(), v1::SENTIMENT_LABEL_POSITIVE);
  EXPECT_EQ(a.topics(1).topic(), "logistics_delivery");
  EXPECT_EQ(a.topics(1).sentiment().label(), v1::SENTIMENT_LABEL_NEGATIVE);
}

TEST_F(FeedbackIntegrationTest, NegationsAreRead) {
  v1::AnalyzeTextResponse resp;
  ASSERT_TRUE(Analyze("不太满意", &resp).ok());
  EXPECT_EQ(resp.analysis().sentiment().label(), v1::SENTIMENT_LABEL_NEGATIVE);
  EXPECT_THAT(resp.analysis().keywords(), ElementsAre("不太满意"));
  ASSERT_TRUE(Analyze("没有问题", &resp).ok());
  EXPECT_NE(resp.analysis().sentiment().label(), v1::SENTIMENT_LABEL_NEGATIVE);
}

TEST_F(FeedbackIntegrationTest, TooLongTextNamesTheFieldAndTheRule) {
  v1::AnalyzeTextResponse resp;
  std::string longest;
  for (int i = 0; i < 5000; ++i) longest += "慢";
  ASSERT_TRUE(Analyze(longest, &resp).ok()) << "5000 characters are allowed";
  const grpc::Status s = Analyze(longest + "慢", &resp);
  ASSERT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("5000"));
  EXPECT_THAT(DetailsOf(s).fields, ElementsAre("text"));
}

TEST_F(FeedbackIntegrationTest, InvalidUtf8IsInvalidArgumentNeverACrash) {
  // Raw bytes: field 1 (text), length 3, bytes that are not UTF-8.
  const std::string request("\x0a\x03\xff\xfe\xc3", 5);
  std::string response;
  const grpc::Status s = RawCall(
      server_.Channel(), "/retail.feedback.v1.FeedbackService/AnalyzeText",
      request, kAgent, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << s.error_message();
  // The server still answers.
  v1::AnalyzeTextResponse ok;
  EXPECT_TRUE(Analyze("很满意", &ok).ok());
}

TEST_F(FeedbackIntegrationTest, EveryRoleMayAnalyseButACallerMustAuthenticate) {
  v1::AnalyzeTextResponse resp;
  for (const char* token : {kAdmin, kAgent, kBranch1, kAuditor}) {
    EXPECT_TRUE(Analyze("服务很好", &resp, token).ok()) << token;
  }
  EXPECT_EQ(Analyze("服务很好", &resp, "no-such-token").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

}  // namespace
}  // namespace retail::testing
