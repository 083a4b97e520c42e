// Both segmenters: the dictionary one cuts Han text exactly as jieba does
// (jieba.cut(s, HMM=False) gave the expected lists below), everything that
// is not Han is split by the same shared rules, and bad dictionaries fail
// with the path in the message.
#include "common/text/segmenter.h"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "common/text/analyzer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace retail::text::internal {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

std::vector<std::string> Words(const Segmenter& s, absl::string_view text) {
  std::vector<Token> tokens;
  s.Segment(text, tokens);
  std::vector<std::string> out;
  for (const Token& t : tokens) out.emplace_back(t.text);
  return out;
}

const Segmenter& Dict() {
  static const std::unique_ptr<Segmenter> s =
      *NewDictSegmenter(std::string(DefaultJiebaDict()));
  return *s;
}

const Segmenter& Icu() {
  static const std::unique_ptr<Segmenter> s = *NewIcuSegmenter();
  return *s;
}

TEST(DictSegmenter, AgreesWithJieba) {
  const std::pair<const char*, std::vector<std::string>> cases[] = {
      {"衣服不错但是物流太慢", {"衣服", "不错", "但是", "物流", "太慢"}},
      {"退换货太慢了客服态度也不好",
       {"退换货", "太慢", "了", "客服", "态度", "也", "不好"}},
      // jieba's well-known 没收 (confiscate): the lexicon still finds
      // 没收到 across the two words.
      {"会员生日礼券一直没收到",
       {"会员", "生日", "礼券", "一直", "没收", "到"}},
      {"我们在商场里找不到你们的店",
       {"我们", "在", "商场", "里", "找", "不到", "你们", "的", "店"}},
      {"这件羽绒服的质量非常好",
       {"这件", "羽绒服", "的", "质量", "非常", "好"}},
      {"南京市长江大桥", {"南京市", "长江大桥"}},
      {"结婚的和尚未结婚的", {"结婚", "的", "和", "尚未", "结婚", "的"}},
  };
  for (const auto& [text, words] : cases) {
    EXPECT_THAT(Words(Dict(), text), ElementsAreArray(words)) << text;
  }
}

TEST(IcuSegmenter, FindsChineseWords) {
  EXPECT_THAT(Words(Icu(), "衣服不错但是物流太慢"),
              ::testing::IsSupersetOf({"衣服", "不错", "但是", "物流"}));
}

TEST(Segmenters, SplitWhatIsNotHanTheSameWay) {
  for (const Segmenter* s : {&Dict(), &Icu()}) {
    EXPECT_THAT(Words(*s, "don't stop, it's 3.5 stars!"),
                ElementsAre("don't", "stop", ",", "it's", "3.5", "stars", "!"));
    EXPECT_THAT(Words(*s, "t-shirt 👍👍"),
                ElementsAre("t", "-", "shirt", "👍", "👍"));
    // A line break ends a clause, so it is kept as punctuation.
    std::vector<Token> tokens;
    s->Segment("好\n差", tokens);
    ASSERT_EQ(tokens.size(), 3u);
    EXPECT_TRUE(tokens[1].punct);
    EXPECT_EQ(tokens[1].text, "\n");
  }
}

TEST(Segmenters, MarkWhitespaceBetweenTokens) {
  for (const Segmenter* s : {&Dict(), &Icu()}) {
    std::vector<Token> tokens;
    s->Segment("customer  service物流", tokens);
    ASSERT_EQ(tokens.size(), 3u);
    EXPECT_FALSE(tokens[0].space_before);
    EXPECT_TRUE(tokens[1].space_before);
    EXPECT_FALSE(tokens[2].space_before);
  }
}

TEST(Segmenters, CoverEveryByteOnce) {
  const std::string text = "退换货  太慢了!!ok 👍 ﹏ 〇〇 x";
  for (const Segmenter* s : {&Dict(), &Icu()}) {
    std::vector<Token> tokens;
    s->Segment(text, tokens);
    size_t pos = 0;
    for (const Token& t : tokens) {
      const size_t at = static_cast<size_t>(t.text.data() - text.data());
      ASSERT_GE(at, pos);
      for (size_t i = pos; i < at; ++i) EXPECT_EQ(text[i], ' ') << i;
      pos = at + t.text.size();
    }
    EXPECT_EQ(pos, text.size());
  }
}

class BadDictionary : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = std::filesystem::temp_directory_path() /
            ("text_dict_" + std::to_string(::getpid()) + ".txt");
  }
  void TearDown() override { std::filesystem::remove(path_); }
  std::filesystem::path path_;
};

TEST_F(BadDictionary, MissingFileNamesThePathAndPackage) {
  absl::StatusOr<std::unique_ptr<Segmenter>> s = NewDictSegmenter(path_);
  EXPECT_EQ(s.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.status().message(), HasSubstr(path_.string()));
  EXPECT_THAT(s.status().message(), HasSubstr("python3-jieba"));
}

TEST_F(BadDictionary, MalformedLineIsNamed) {
  std::ofstream(path_) << "衣服 100 n\n物流 lots n\n";
  absl::StatusOr<std::unique_ptr<Segmenter>> s = NewDictSegmenter(path_);
  EXPECT_EQ(s.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.status().message(), HasSubstr("line 2"));
}

TEST_F(BadDictionary, TooSmallIsNotJieba) {
  std::ofstream(path_) << "衣服 100 n\n物流 20 n\n";
  absl::StatusOr<std::unique_ptr<Segmenter>> s = NewDictSegmenter(path_);
  EXPECT_EQ(s.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.status().message(), HasSubstr("expected jieba's word list"));
}

}  // namespace
}  // namespace retail::text::internal
