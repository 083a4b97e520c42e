// The normaliser: OpenCC t2s, NFKC case folding, and the clean-up of
// controls and apostrophes.
#include "common/text/normalizer.h"

#include "common/text/analyzer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace retail::text::internal {
namespace {

const Normalizer& N() {
  static const std::unique_ptr<Normalizer> n =
      *Normalizer::Create(std::string(DefaultOpenccConfig()));
  return *n;
}

std::string Norm(absl::string_view s) { return *N().Normalize(s); }

TEST(Normalizer, TraditionalToSimplified) {
  EXPECT_EQ(Norm("退換貨慢"), "退换货慢");
  EXPECT_EQ(Norm("客服態度很差"), "客服态度很差");
  EXPECT_EQ(Norm("會員點數"), "会员点数");
  EXPECT_EQ(Norm("退换货慢"), "退换货慢");  // simplified stays
}

TEST(Normalizer, FullWidthAndCase) {
  EXPECT_EQ(Norm("ＸＬ"), "xl");
  EXPECT_EQ(Norm("ＡＢＣ１２３！？"), "abc123!?");
  EXPECT_EQ(Norm("Very GOOD"), "very good");
  EXPECT_EQ(Norm("好　好"), "好 好");  // ideographic space
  EXPECT_EQ(Norm("Straße"), "strasse");
}

TEST(Normalizer, ControlsApostrophesAndInvisibles) {
  EXPECT_EQ(Norm(std::string("a\0b", 3)), "a b");
  EXPECT_EQ(Norm("a\r\nb"), "a\n\nb");
  EXPECT_EQ(Norm("don’t"), "don't");
  EXPECT_EQ(Norm("好\u200b评"), "好评");    // zero-width space
  EXPECT_EQ(Norm("\xef\xbb\xbf好"), "好");  // BOM
}

TEST(Normalizer, MissingConfigNamesThePath) {
  absl::StatusOr<std::unique_ptr<Normalizer>> n =
      Normalizer::Create("/nonexistent/t2s.json");
  EXPECT_EQ(n.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(n.status().message(),
              ::testing::HasSubstr("/nonexistent/t2s.json"));
}

}  // namespace
}  // namespace retail::text::internal
