#include "common/validation.h"

#include <optional>
#include <string>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/test_util.h"

namespace retail {
namespace {

using ::retail::testing::IsInvalidField;
using ::retail::testing::IsOk;
using ::testing::Eq;
using ::testing::Optional;

// Runs one collector-style check and returns what it collected.
template <typename Check>
absl::Status Collect(Check check) {
  ViolationCollector v;
  check(v);
  return v.ToStatus();
}

// --- Utf8Length -------------------------------------------------------------

TEST(Utf8LengthTest, CountsCodePointsNotBytes) {
  EXPECT_THAT(Utf8Length(""), Optional(0u));
  EXPECT_THAT(Utf8Length("Zhang"), Optional(5u));
  EXPECT_THAT(Utf8Length("张三"), Optional(2u));  // 3 bytes each
  EXPECT_THAT(Utf8Length("Zoë 张"), Optional(5u));
  EXPECT_THAT(Utf8Length("\xF0\x9F\x98\x80"),
              Optional(1u));  // U+1F600, 4 bytes
}

TEST(Utf8LengthTest, RejectsInvalidUtf8) {
  EXPECT_EQ(Utf8Length("\xFF"), std::nullopt);              // never valid
  EXPECT_EQ(Utf8Length("\x80"), std::nullopt);              // lone continuation
  EXPECT_EQ(Utf8Length("\xE5\xBC"), std::nullopt);          // truncated 张
  EXPECT_EQ(Utf8Length("\xE5\x41\x89"), std::nullopt);      // bad continuation
  EXPECT_EQ(Utf8Length("\xC0\xAF"), std::nullopt);          // overlong '/'
  EXPECT_EQ(Utf8Length("\xE0\x80\xAF"), std::nullopt);      // overlong '/'
  EXPECT_EQ(Utf8Length("\xF0\x82\x82\xAC"), std::nullopt);  // overlong €
  EXPECT_EQ(Utf8Length("\xED\xA0\x80"), std::nullopt);      // surrogate U+D800
  EXPECT_EQ(Utf8Length("\xED\xBF\xBF"), std::nullopt);      // surrogate U+DFFF
  EXPECT_EQ(Utf8Length("\xF4\x90\x80\x80"), std::nullopt);  // above U+10FFFF
}

// --- CheckText --------------------------------------------------------------

absl::Status Text(absl::string_view value, size_t min_chars = 1,
                  size_t max_chars = 5) {
  return Collect([&](ViolationCollector& v) {
    CheckText(v, "customer.display_name", value, min_chars, max_chars);
  });
}

TEST(CheckTextTest, AcceptsTextWithinLimits) {
  EXPECT_THAT(Text("a"), IsOk());
  EXPECT_THAT(Text("张三李四王"), IsOk());  // 5 characters, 15 bytes
  EXPECT_THAT(Text("two\nlines\tok", 0, 100), IsOk());
  EXPECT_THAT(Text("", 0, 5), IsOk());
}

TEST(CheckTextTest, EnforcesCharacterLimits) {
  EXPECT_THAT(Text(""), IsInvalidField("customer.display_name"));
  EXPECT_THAT(Text("abcdef"), IsInvalidField("customer.display_name"));
  EXPECT_THAT(Text("张三李四王五"), IsInvalidField("customer.display_name"));
  EXPECT_THAT(Text("ab", 3, 5), IsInvalidField("customer.display_name"));
}

TEST(CheckTextTest, RejectsControlCharactersAndBadUtf8) {
  EXPECT_THAT(Text("a\x01"
                   "b"),
              IsInvalidField("customer.display_name"));
  EXPECT_THAT(Text("a\rb"), IsInvalidField("customer.display_name"));
  EXPECT_THAT(Text(std::string("a\0b", 3)),
              IsInvalidField("customer.display_name"));
  EXPECT_THAT(Text("\xC0\xAF"), IsInvalidField("customer.display_name"));
}

// Regression: DEL (U+007F) and the C1 controls (U+0080..U+009F, e.g. U+009B,
// a terminal CSI) used to pass the "no control characters" rule.
TEST(CheckTextTest, RejectsDelAndC1ControlCharacters) {
  EXPECT_THAT(Text("a\x7F"
                   "b"),
              IsInvalidField("customer.display_name"));
  EXPECT_THAT(Text("a\xC2\x9B"
                   "b"),
              IsInvalidField("customer.display_name"));
}

// --- CheckRequestId / CheckId -----------------------------------------------

absl::Status RequestId(absl::string_view value) {
  return Collect(
      [&](ViolationCollector& v) { CheckRequestId(v, "request_id", value); });
}

TEST(CheckRequestIdTest, AcceptsEightToSixtyFourSafeCharacters) {
  EXPECT_THAT(RequestId("abcd1234"), IsOk());
  EXPECT_THAT(RequestId("6f1c2b7e-3a4d-4f5e-9b8a-0c1d2e3f4a5b"), IsOk());
  EXPECT_THAT(RequestId("req_2024-06-01"), IsOk());
  EXPECT_THAT(RequestId(std::string(64, 'x')), IsOk());
}

TEST(CheckRequestIdTest, RejectsMissingShortLongOrUnsafe) {
  EXPECT_THAT(RequestId(""), IsInvalidField("request_id"));
  EXPECT_THAT(RequestId("abc1234"), IsInvalidField("request_id"));
  EXPECT_THAT(RequestId(std::string(65, 'x')), IsInvalidField("request_id"));
  EXPECT_THAT(RequestId("abcd 1234"), IsInvalidField("request_id"));
  EXPECT_THAT(RequestId("abcd/1234"), IsInvalidField("request_id"));
  EXPECT_THAT(RequestId("请求编号请求编号"), IsInvalidField("request_id"));
}

absl::Status Id(absl::string_view value) {
  return Collect(
      [&](ViolationCollector& v) { CheckId(v, "customer_id", value); });
}

TEST(CheckIdTest, AcceptsSafeIdsUpToSixtyFour) {
  EXPECT_THAT(Id("B001"), IsOk());
  EXPECT_THAT(Id("cus_01J0ABCDEF-x"), IsOk());
  EXPECT_THAT(Id(std::string(64, 'a')), IsOk());
}

TEST(CheckIdTest, RejectsEmptyLongOrUnsafe) {
  EXPECT_THAT(Id(""), IsInvalidField("customer_id"));
  EXPECT_THAT(Id(std::string(65, 'a')), IsInvalidField("customer_id"));
  EXPECT_THAT(Id("customers/cus_1"), IsInvalidField("customer_id"));
  EXPECT_THAT(Id("B001' OR 1=1"), IsInvalidField("customer_id"));
}

// --- NormalizePhone
// -----------------------------------------------------------

TEST(NormalizePhoneTest, ChineseMobilesBecomeElevenDigits) {
  EXPECT_THAT(NormalizePhone("13912345678"), Optional(Eq("13912345678")));
  EXPECT_THAT(NormalizePhone("+8613912345678"), Optional(Eq("13912345678")));
  EXPECT_THAT(NormalizePhone("139 1234 5678"), Optional(Eq("13912345678")));
  EXPECT_THAT(NormalizePhone("+86 139-1234-5678"), Optional(Eq("13912345678")));
  EXPECT_THAT(NormalizePhone("19912345678"), Optional(Eq("19912345678")));
}

TEST(NormalizePhoneTest, OtherNumbersKeepE164Form) {
  EXPECT_THAT(NormalizePhone("+447911123456"), Optional(Eq("+447911123456")));
  EXPECT_THAT(NormalizePhone("+44 7911 123456"), Optional(Eq("+447911123456")));
  EXPECT_THAT(NormalizePhone("+12025550123"), Optional(Eq("+12025550123")));
}

TEST(NormalizePhoneTest, RejectsMalformedNumbers) {
  EXPECT_EQ(NormalizePhone(""), std::nullopt);
  EXPECT_EQ(NormalizePhone("12345"), std::nullopt);
  EXPECT_EQ(NormalizePhone("23912345678"), std::nullopt);     // must start 1
  EXPECT_EQ(NormalizePhone("12912345678"), std::nullopt);     // 1[3-9] only
  EXPECT_EQ(NormalizePhone("1391234567"), std::nullopt);      // 10 digits
  EXPECT_EQ(NormalizePhone("+8623912345678"), std::nullopt);  // +86 non-mobile
  EXPECT_EQ(NormalizePhone("+8612912345678"), std::nullopt);  // +86 non-mobile
  EXPECT_EQ(NormalizePhone("139abcd5678"), std::nullopt);
  EXPECT_EQ(NormalizePhone("tel:13912345678"), std::nullopt);
  EXPECT_EQ(NormalizePhone("+"), std::nullopt);
  EXPECT_EQ(NormalizePhone("++8613912345678"), std::nullopt);
  EXPECT_EQ(NormalizePhone("139+12345678"), std::nullopt);
  EXPECT_EQ(NormalizePhone("+1234567"), std::nullopt);           // 7 digits
  EXPECT_EQ(NormalizePhone("+1234567890123456"), std::nullopt);  // 16 digits
  EXPECT_EQ(NormalizePhone("+0447911123456"), std::nullopt);     // no country 0
}

// --- NormalizeEmail
// -----------------------------------------------------------

TEST(NormalizeEmailTest, LowerCasesValidAddresses) {
  EXPECT_THAT(NormalizeEmail("Zhang.San@Example.COM"),
              Optional(Eq("zhang.san@example.com")));
  EXPECT_THAT(NormalizeEmail("first.last+tag@mail.example.com.cn"),
              Optional(Eq("first.last+tag@mail.example.com.cn")));
  EXPECT_THAT(NormalizeEmail("  li@example.com "),
              Optional(Eq("li@example.com")));
}

TEST(NormalizeEmailTest, RejectsMalformedAddresses) {
  EXPECT_EQ(NormalizeEmail(""), std::nullopt);
  EXPECT_EQ(NormalizeEmail("a@b"), std::nullopt);          // one-label domain
  EXPECT_EQ(NormalizeEmail("example.com"), std::nullopt);  // no @
  EXPECT_EQ(NormalizeEmail("@example.com"), std::nullopt);
  EXPECT_EQ(NormalizeEmail("a@b@example.com"), std::nullopt);
  EXPECT_EQ(NormalizeEmail("zhang san@example.com"), std::nullopt);
  EXPECT_EQ(NormalizeEmail("zhang@exa mple.com"), std::nullopt);
  EXPECT_EQ(NormalizeEmail(".zhang@example.com"), std::nullopt);
  EXPECT_EQ(NormalizeEmail("zhang.@example.com"), std::nullopt);
  EXPECT_EQ(NormalizeEmail("zh..ang@example.com"), std::nullopt);
  EXPECT_EQ(NormalizeEmail("zhang@-example.com"), std::nullopt);
  EXPECT_EQ(NormalizeEmail("zhang@example-.com"), std::nullopt);
  EXPECT_EQ(NormalizeEmail("zhang@example..com"), std::nullopt);
  EXPECT_EQ(NormalizeEmail("zhang@example.com."), std::nullopt);
  EXPECT_EQ(NormalizeEmail("张@example.com"), std::nullopt);
  EXPECT_EQ(NormalizeEmail(std::string(65, 'a') + "@example.com"),
            std::nullopt);
  EXPECT_EQ(NormalizeEmail("a@" + std::string(250, 'b') + ".com"),
            std::nullopt);
}

// --- Dates
// --------------------------------------------------------------------

common::v1::Date MakeDate(int year, int month, int day) {
  common::v1::Date date;
  date.set_year(year);
  date.set_month(month);
  date.set_day(day);
  return date;
}

class CheckPastDateTest : public ::testing::Test {
 protected:
  // "Today" is 2024-06-01, 10:00 UTC.
  static int64_t Today() {
    return absl::ToUnixMicros(absl::FromCivil(
        absl::CivilSecond(2024, 6, 1, 10, 0, 0), absl::UTCTimeZone()));
  }
  static absl::Status Check(int year, int month, int day) {
    return Collect([&](ViolationCollector& v) {
      CheckPastDate(v, "customer.birthday", MakeDate(year, month, day),
                    Today());
    });
  }
};

TEST_F(CheckPastDateTest, AcceptsRealPastDatesAndToday) {
  EXPECT_THAT(Check(1990, 5, 20), IsOk());
  EXPECT_THAT(Check(2024, 2, 29), IsOk());  // leap year
  EXPECT_THAT(Check(2000, 2, 29), IsOk());  // divisible by 400
  EXPECT_THAT(Check(1900, 1, 1), IsOk());
  EXPECT_THAT(Check(2024, 6, 1), IsOk());
}

TEST_F(CheckPastDateTest, RejectsImpossibleDates) {
  EXPECT_THAT(Check(2023, 2, 29), IsInvalidField("customer.birthday"));
  EXPECT_THAT(Check(1900, 2, 29), IsInvalidField("customer.birthday"));
  EXPECT_THAT(Check(2023, 4, 31), IsInvalidField("customer.birthday"));
  EXPECT_THAT(Check(2023, 13, 1), IsInvalidField("customer.birthday"));
  EXPECT_THAT(Check(2023, 0, 10), IsInvalidField("customer.birthday"));
  EXPECT_THAT(Check(2023, 1, 0), IsInvalidField("customer.birthday"));
  EXPECT_THAT(Check(0, 0, 0), IsInvalidField("customer.birthday"));
}

TEST_F(CheckPastDateTest, RejectsBefore1900AndFuture) {
  EXPECT_THAT(Check(1899, 12, 31), IsInvalidField("customer.birthday"));
  EXPECT_THAT(Check(2024, 6, 2), IsInvalidField("customer.birthday"));
  EXPECT_THAT(Check(2030, 1, 1), IsInvalidField("customer.birthday"));
}

TEST(DateIntTest, RoundTripsThroughStoredForm) {
  EXPECT_EQ(DateToInt(MakeDate(1990, 5, 20)), 19900520);
  common::v1::Date date = IntToDate(20240229);
  EXPECT_EQ(date.year(), 2024);
  EXPECT_EQ(date.month(), 2);
  EXPECT_EQ(date.day(), 29);
}

// --- Masks
// --------------------------------------------------------------------

TEST(MaskTest, MasksPhoneKeepingPrefixAndLastFour) {
  EXPECT_EQ(MaskPhone("13812345678"), "138****5678");
  EXPECT_EQ(MaskPhone("+447911123456"), "+447*****3456");
  EXPECT_EQ(MaskPhone("1234567"), "*******");  // too short to keep anything
  EXPECT_EQ(MaskPhone(""), "");
}

TEST(MaskTest, MasksEmailKeepingFirstLetterAndDomain) {
  EXPECT_EQ(MaskEmail("zhang@example.com"), "z***@example.com");
  EXPECT_EQ(MaskEmail("z@example.com"), "z***@example.com");
  EXPECT_EQ(MaskEmail("not-an-email"), "***");
}

}  // namespace
}  // namespace retail
