// The lexicon files: the built-in one parses, terms are normalised, and a
// bad row is reported with its file and line.
#include "common/text/lexicon.h"

#include "common/text/analyzer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace retail::text::internal {
namespace {

using ::testing::HasSubstr;

const Normalizer& N() {
  static const std::unique_ptr<Normalizer> n =
      *Normalizer::Create(std::string(DefaultOpenccConfig()));
  return *n;
}

absl::Status ParseError(absl::string_view topics, absl::string_view sentiment,
                        absl::string_view modifiers) {
  return Lexicon::Parse({topics, sentiment, modifiers}, N()).status();
}

TEST(Lexicon, BuiltinCoversEveryTopicInBothLanguages) {
  absl::StatusOr<Lexicon> lex = Lexicon::Builtin(N());
  ASSERT_TRUE(lex.ok()) << lex.status();
  EXPECT_GT(lex->size(), 500u);
  const std::pair<const char*, const char*> samples[] = {
      {"尺码", "size"},     {"质量", "quality"},        {"退货", "refund"},
      {"物流", "delivery"}, {"店员", "staff"},          {"价格", "price"},
      {"排队", "queue"},    {"试衣间", "fitting room"}, {"付款", "payment"},
      {"积分", "points"}};
  for (int t = 0; t < kTopicCount; ++t) {
    for (const char* term : {samples[t].first, samples[t].second}) {
      const LexEntry* e = lex->Find(term);
      ASSERT_NE(e, nullptr) << term;
      EXPECT_TRUE(e->topics >> t & 1) << term << " " << kTopicIds[t];
    }
  }
}

TEST(Lexicon, TermsAreNormalised) {
  absl::StatusOr<Lexicon> lex = Lexicon::Parse(
      {"logistics_delivery\t物流資訊\nsize_fit\tTRUE   TO Size\n", "", ""},
      N());
  ASSERT_TRUE(lex.ok()) << lex.status();
  EXPECT_NE(lex->Find("物流资讯"), nullptr);
  EXPECT_NE(lex->Find("true to size"), nullptr);
}

TEST(Lexicon, BadRowsNameFileAndLine) {
  EXPECT_THAT(ParseError("# c\nsize_fit\t尺码\nsizes\t码\n", "", "").message(),
              HasSubstr("topics.tsv line 3: unknown topic 'sizes'"));
  EXPECT_THAT(ParseError("size_fit\t尺码\tstrong\n", "", "").message(),
              HasSubstr("topics.tsv line 1"));
  EXPECT_THAT(ParseError("size_fit\t尺码\nsize_fit\t尺碼\n", "", "").message(),
              HasSubstr("topics.tsv line 2: term given twice"));
  EXPECT_THAT(ParseError("", "好\tgood\n", "").message(),
              HasSubstr("sentiment.tsv line 1"));
  EXPECT_THAT(ParseError("", "好\t0\n", "").message(),
              HasSubstr("sentiment.tsv line 1"));
  EXPECT_THAT(ParseError("", "", "很\tbooster\t2\n").message(),
              HasSubstr("modifiers.tsv line 1: unknown kind 'booster'"));
  EXPECT_THAT(ParseError("", "", "很\tintensifier\t-1\n").message(),
              HasSubstr("modifiers.tsv line 1"));
  EXPECT_THAT(ParseError("", "好\t1\n", "好\tintensifier\t2\n").message(),
              HasSubstr("both in sentiment.tsv and in modifiers.tsv"));
  EXPECT_THAT(ParseError("", "\xff\t1\n", "").message(),
              HasSubstr("not valid UTF-8"));
}

}  // namespace
}  // namespace retail::text::internal
