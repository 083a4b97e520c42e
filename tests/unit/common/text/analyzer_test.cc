// What issue 11 promises of the analyser, sentence by sentence, for both
// segmenters: negation, mixed opinions, traditional = simplified, and the
// input rules (valid UTF-8, at most kMaxTextChars).
#include "common/text/analyzer.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/common/text/test_analyzers.h"

namespace retail::text {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Not;
using testing::TestAnalyzer;

class AnalyzerTest : public ::testing::TestWithParam<SegmenterKind> {
 protected:
  Analysis Analyze(absl::string_view text) {
    absl::StatusOr<Analysis> a = TestAnalyzer(GetParam()).Analyze(text);
    EXPECT_TRUE(a.ok()) << a.status();
    return a.ok() ? *std::move(a) : Analysis();
  }
};

const TopicHit* Find(const Analysis& a, Topic t) {
  for (const TopicHit& h : a.topics) {
    if (h.topic == t) return &h;
  }
  return nullptr;
}

std::vector<Topic> Topics(const Analysis& a) {
  std::vector<Topic> out;
  for (const TopicHit& h : a.topics) out.push_back(h.topic);
  return out;
}

TEST_P(AnalyzerTest, NotQuiteSatisfiedIsNegative) {
  EXPECT_EQ(Analyze("不太满意").overall.label, SentimentLabel::kNegative);
  EXPECT_EQ(Analyze("不满意").overall.label, SentimentLabel::kNegative);
  EXPECT_EQ(Analyze("不是很满意").overall.label, SentimentLabel::kNegative);
  EXPECT_EQ(Analyze("满意").overall.label, SentimentLabel::kPositive);
}

TEST_P(AnalyzerTest, NoProblemIsNotNegative) {
  const Analysis a = Analyze("没有问题");
  EXPECT_NE(a.overall.label, SentimentLabel::kNegative);
  EXPECT_GT(a.overall.score, 0);
  EXPECT_EQ(Analyze("有问题").overall.label, SentimentLabel::kNegative);
}

TEST_P(AnalyzerTest, MixedOpinionIsSplitByTopic) {
  const Analysis a = Analyze("衣服不错但是物流太慢");
  EXPECT_THAT(Topics(a),
              ElementsAre(Topic::kQuality, Topic::kLogisticsDelivery));
  const TopicHit* quality = Find(a, Topic::kQuality);
  const TopicHit* logistics = Find(a, Topic::kLogisticsDelivery);
  ASSERT_NE(quality, nullptr);
  ASSERT_NE(logistics, nullptr);
  EXPECT_EQ(quality->sentiment.label, SentimentLabel::kPositive);
  EXPECT_EQ(logistics->sentiment.label, SentimentLabel::kNegative);
  // The part after 但是 is what the customer stresses.
  EXPECT_EQ(a.overall.label, SentimentLabel::kNegative);
  EXPECT_THAT(logistics->keywords, ElementsAre("物流", "慢"));
  EXPECT_THAT(quality->keywords, ElementsAre("衣服", "不错"));
}

TEST_P(AnalyzerTest, IssueExampleComplaint) {
  const Analysis a = Analyze("退換貨太慢了，客服態度也不好");
  EXPECT_EQ(a.normalized, "退换货太慢了,客服态度也不好");
  EXPECT_THAT(Topics(a),
              ElementsAre(Topic::kReturnsExchanges, Topic::kStaffAttitude));
  for (const TopicHit& h : a.topics) {
    EXPECT_EQ(h.sentiment.label, SentimentLabel::kNegative) << TopicId(h.topic);
  }
  EXPECT_EQ(a.overall.label, SentimentLabel::kNegative);
  EXPECT_THAT(a.keywords, ElementsAre("退换货", "慢", "客服", "态度", "不好"));
}

TEST_P(AnalyzerTest, EnglishNegationAndContractions) {
  EXPECT_EQ(Analyze("The staff were not helpful at all.").overall.label,
            SentimentLabel::kNegative);
  EXPECT_EQ(Analyze("Not bad at all.").overall.label,
            SentimentLabel::kPositive);
  EXPECT_EQ(Analyze("Delivery wasn't slow.").overall.label,
            SentimentLabel::kPositive);
  EXPECT_EQ(Analyze("Delivery wasn’t slow.").overall.label,  // curly apostrophe
            SentimentLabel::kPositive);
  EXPECT_EQ(Analyze("I never got my refund.").overall.label,
            SentimentLabel::kNegative);
  const Analysis a = Analyze("Great quality but the delivery was very slow.");
  EXPECT_EQ(Find(a, Topic::kQuality)->sentiment.label,
            SentimentLabel::kPositive);
  EXPECT_EQ(Find(a, Topic::kLogisticsDelivery)->sentiment.label,
            SentimentLabel::kNegative);
  EXPECT_EQ(a.overall.label, SentimentLabel::kNegative);
  EXPECT_THAT(Analyze("The staff were not helpful.").keywords,
              Contains("not helpful"));
  // A contraction is the customer's own word; its keyword is "not".
  EXPECT_THAT(Analyze("The staff weren't helpful.").keywords,
              ElementsAre("staff", "not helpful"));
}

TEST_P(AnalyzerTest, IntensifiersStrengthen) {
  EXPECT_GT(Analyze("非常满意").overall.score, Analyze("满意").overall.score);
  EXPECT_LT(Analyze("太慢").overall.score, Analyze("慢").overall.score);
  EXPECT_GT(Analyze("very good").overall.score, Analyze("good").overall.score);
  // 太 before a plain word is the complaint itself.
  EXPECT_EQ(Analyze("试衣间太少").overall.label, SentimentLabel::kNegative);
}

TEST_P(AnalyzerTest, WordsInsideOtherWordsAreNotTerms) {
  // 快 (fast, praise) is not read inside 快递 (courier).
  const Analysis a = Analyze("快递到了");
  EXPECT_THAT(a.keywords, Not(Contains("快")));
  EXPECT_EQ(a.overall.label, SentimentLabel::kNeutral);
}

TEST_P(AnalyzerTest, QuestionsAreNeutral) {
  const Analysis a = Analyze("请问会员积分可以抵扣现金吗？");
  EXPECT_EQ(a.overall.label, SentimentLabel::kNeutral);
  EXPECT_THAT(Topics(a), Contains(Topic::kMembershipPoints));
  EXPECT_EQ(Analyze("有没有XL码？").overall.label, SentimentLabel::kNeutral);
}

TEST_P(AnalyzerTest, TraditionalAndSimplifiedAgree) {
  const std::pair<const char*, const char*> pairs[] = {
      {"退換貨太慢了，客服態度也不好", "退换货太慢了，客服态度也不好"},
      {"衣服品質很好，但是價格太貴", "衣服品质很好，但是价格太贵"},
      {"會員點數到期沒有通知", "会员点数到期没有通知"},
      {"結帳排隊排了很久", "结帐排队排了很久"},
      {"店員態度非常親切", "店员态度非常亲切"},
  };
  for (const auto& [trad, simp] : pairs) {
    const Analysis t = Analyze(trad);
    const Analysis s = Analyze(simp);
    EXPECT_EQ(t.normalized, s.normalized) << trad;
    EXPECT_EQ(t.segments, s.segments) << trad;
    EXPECT_EQ(Topics(t), Topics(s)) << trad;
    EXPECT_EQ(t.keywords, s.keywords) << trad;
    EXPECT_EQ(t.overall.label, s.overall.label) << trad;
    EXPECT_DOUBLE_EQ(t.overall.score, s.overall.score) << trad;
  }
}

TEST_P(AnalyzerTest, FullWidthAndCaseFold) {
  const Analysis a = Analyze("ＸＬ碼ＯＫ，Ｖｅｒｙ ＧＯＯＤ！");
  EXPECT_EQ(a.normalized, "xl码ok,very good!");
  EXPECT_EQ(Analyze("VERY GOOD").overall.score,
            Analyze("very good").overall.score);
}

TEST_P(AnalyzerTest, OriginalTextIsNotChanged) {
  const std::string text = "退換貨太慢";
  const std::string copy = text;
  Analyze(text);
  EXPECT_EQ(text, copy);
}

TEST_P(AnalyzerTest, SegmentsHoldNoPunctuationOrSpace) {
  const Analysis a = Analyze("衣服不错， but  slow!!\n质量好");
  for (const std::string& s : a.segments) {
    EXPECT_THAT(s, Not(IsEmpty()));
    EXPECT_EQ(s.find_first_of(" ,!\n"), std::string::npos) << s;
  }
  EXPECT_THAT(a.segments, Contains("but"));
}

TEST_P(AnalyzerTest, KeywordsAreLexiconTermsNotFreeText) {
  // A name, a phone number and an address never become keywords.
  const Analysis a =
      Analyze("我是王小明，电话13912345678，住在南京路100号，快递太慢了");
  EXPECT_THAT(a.keywords, ElementsAre("快递", "慢"));
}

TEST_P(AnalyzerTest, EmptyAndBlankTextIsNeutral) {
  for (const char* text : {"", "   ", "。，！", "\n\t"}) {
    const Analysis a = Analyze(text);
    EXPECT_THAT(a.topics, IsEmpty()) << text;
    EXPECT_THAT(a.keywords, IsEmpty()) << text;
    EXPECT_EQ(a.overall.label, SentimentLabel::kNeutral) << text;
    EXPECT_EQ(a.overall.score, 0) << text;
  }
}

TEST_P(AnalyzerTest, ScoresStayInRange) {
  std::string rant;
  for (int i = 0; i < 200; ++i) rant += "太差了！非常失望，垃圾！";
  const Analysis a = Analyze(rant);
  EXPECT_GE(a.overall.score, -1);
  EXPECT_EQ(a.overall.label, SentimentLabel::kNegative);
}

TEST_P(AnalyzerTest, InvalidUtf8IsInvalidArgumentNamingTheField) {
  const Analyzer& analyzer = TestAnalyzer(GetParam());
  for (const std::string& bad :
       {std::string("\xff"), std::string("好\xe5\xa5"), std::string("\xc0\xaf"),
        std::string("\xed\xa0\x80"), std::string("ok\x80")}) {
    absl::StatusOr<Analysis> a = analyzer.Analyze(bad);
    ASSERT_EQ(a.status().code(), absl::StatusCode::kInvalidArgument);
    const std::vector<FieldViolation> v = FieldViolations(a.status());
    ASSERT_EQ(v.size(), 1u);
    EXPECT_EQ(v[0].field, "text");
    EXPECT_EQ(v[0].description, "must be valid UTF-8");
  }
  absl::StatusOr<Analysis> named =
      analyzer.Analyze("\xff", "complaint.description");
  EXPECT_EQ(FieldViolations(named.status())[0].field, "complaint.description");
}

TEST_P(AnalyzerTest, LongestAllowedTextAndOneOver) {
  const Analyzer& analyzer = TestAnalyzer(GetParam());
  // 5000 code points of three-byte Chinese, a realistic worst case.
  std::string longest;
  const std::string sentence = "退换货太慢了，客服态度也不好。";  // 15 chars
  while (longest.size() / 3 + sentence.size() / 3 <= kMaxTextChars) {
    longest += sentence;
  }
  while (longest.size() / 3 < kMaxTextChars) longest += "好";
  ASSERT_EQ(longest.size() / 3, kMaxTextChars);
  absl::StatusOr<Analysis> a = analyzer.Analyze(longest);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->overall.label, SentimentLabel::kNegative);

  absl::StatusOr<Analysis> over = analyzer.Analyze(longest + "好");
  ASSERT_EQ(over.status().code(), absl::StatusCode::kInvalidArgument);
  const std::vector<FieldViolation> v = FieldViolations(over.status());
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].field, "text");
  EXPECT_EQ(v[0].description,
            absl::StrCat("must have at most ", kMaxTextChars, " characters"));
  // Characters, not bytes: 5000 ASCII letters pass too.
  EXPECT_TRUE(analyzer.Analyze(std::string(kMaxTextChars, 'a')).ok());
}

TEST_P(AnalyzerTest, ControlCharactersAndNulAreHarmless) {
  static constexpr char kText[] = "快递\0太慢\x01\x7f";
  const Analysis a = Analyze(std::string(kText, sizeof(kText) - 1));
  EXPECT_EQ(a.overall.label, SentimentLabel::kNegative);
  EXPECT_THAT(a.keywords, ElementsAre("快递", "慢"));
}

TEST_P(AnalyzerTest, ConcurrentCallsAgree) {
  const Analyzer& analyzer = TestAnalyzer(GetParam());
  const std::vector<std::string> texts = {
      "衣服不错但是物流太慢", "退換貨太慢了，客服態度也不好",
      "The staff were friendly but the queue was long.", "没有问题",
      "会员积分怎么查询？"};
  std::vector<Analysis> expected;
  for (const std::string& t : texts) expected.push_back(*analyzer.Analyze(t));
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  for (int th = 0; th < 8; ++th) {
    threads.emplace_back([&, th] {
      for (int i = 0; i < 300; ++i) {
        const size_t k = (i + th) % texts.size();
        absl::StatusOr<Analysis> a = analyzer.Analyze(texts[k]);
        if (!a.ok() || a->segments != expected[k].segments ||
            a->keywords != expected[k].keywords ||
            a->overall.score != expected[k].overall.score) {
          ++mismatches;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(mismatches.load(), 0);
}

INSTANTIATE_TEST_SUITE_P(
    Segmenters, AnalyzerTest,
    ::testing::Values(SegmenterKind::kDictionary, SegmenterKind::kIcu),
    [](const ::testing::TestParamInfo<SegmenterKind>& info) {
      return info.param == SegmenterKind::kIcu ? std::string("Icu")
                                               : std::string("Dictionary");
    });

TEST(AnalyzerCreate, MissingDataNamesTheFileAndPackage) {
  AnalyzerOptions opencc;
  opencc.opencc_config = "/nonexistent/t2s.json";
  absl::StatusOr<std::unique_ptr<Analyzer>> a = Analyzer::Create(opencc);
  EXPECT_EQ(a.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(a.status().message(),
              ::testing::HasSubstr("/nonexistent/t2s.json"));
  EXPECT_THAT(a.status().message(), ::testing::HasSubstr("libopencc-data"));

  AnalyzerOptions jieba;
  jieba.jieba_dict = "/nonexistent/dict.txt";
  a = Analyzer::Create(jieba);
  EXPECT_EQ(a.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(a.status().message(),
              ::testing::HasSubstr("/nonexistent/dict.txt"));
  EXPECT_THAT(a.status().message(), ::testing::HasSubstr("python3-jieba"));

  // ICU needs no dictionary file, so a bad jieba path does not matter.
  jieba.segmenter = SegmenterKind::kIcu;
  EXPECT_TRUE(Analyzer::Create(jieba).ok());

  AnalyzerOptions lexicon;
  lexicon.lexicon_dir = "/nonexistent";
  a = Analyzer::Create(lexicon);
  EXPECT_EQ(a.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(a.status().message(),
              ::testing::HasSubstr("/nonexistent/topics.tsv"));
}

TEST(AnalyzerCreate, LexiconDirectoryReadsTheSameLexicon) {
  AnalyzerOptions options;
  options.lexicon_dir = std::string(RETAIL_SOURCE_DIR) + "/common/text/lexicon";
  absl::StatusOr<std::unique_ptr<Analyzer>> a = Analyzer::Create(options);
  ASSERT_TRUE(a.ok()) << a.status();
  const std::string text = "衣服不错但是物流太慢";
  EXPECT_EQ((*a)->Analyze(text)->keywords,
            TestAnalyzer().Analyze(text)->keywords);
}

}  // namespace
}  // namespace retail::text
