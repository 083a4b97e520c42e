#include "common/validation.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
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

// --- TrimUnicodeSpace ------------------------------------------------------

TEST(TrimUnicodeSpaceTest, TrimsUnicodeSpacesAndInvisibleFormatCharacters) {
  EXPECT_EQ(TrimUnicodeSpace("  Bob\t"), "Bob");
  EXPECT_EQ(TrimUnicodeSpace("\xE3\x80\x80张三\xE3\x80\x80"),
            "张三");  // U+3000
  EXPECT_EQ(TrimUnicodeSpace("\xC2\xA0"
                             "Bob\xC2\xA0"),
            "Bob");  // NBSP
  EXPECT_EQ(TrimUnicodeSpace("\xE2\x80\x8B"
                             "Bob\xEF\xBB\xBF"),
            "Bob");  // U+200B, U+FEFF
  EXPECT_EQ(TrimUnicodeSpace("\xE2\x80\x83\xE2\x80\xAF\xE2\x81\x9F\xE1\x9A\x80"
                             "Bob\xE2\x81\xA0\xE1\xA0\x8E\xE2\x80\x8D"),
            "Bob");  // U+2003 U+202F U+205F U+1680 / U+2060 U+180E U+200D
  EXPECT_EQ(TrimUnicodeSpace("\xE2\x80\xA8"
                             "Bob\xE2\x80\xA9\n"),
            "Bob");  // U+2028, U+2029
}

TEST(TrimUnicodeSpaceTest, KeepsInnerSpacesAndEverythingElse) {
  EXPECT_EQ(TrimUnicodeSpace("Zhang\xE3\x80\x80San"), "Zhang\xE3\x80\x80San");
  EXPECT_EQ(TrimUnicodeSpace("\xE3\x80\x80\xE2\x80\x8B \xC2\xA0"), "");
  EXPECT_EQ(TrimUnicodeSpace(""), "");
  EXPECT_EQ(TrimUnicodeSpace("é"), "é");
  EXPECT_EQ(TrimUnicodeSpace("\xF0\x9F\x98\x80"), "\xF0\x9F\x98\x80");
  // A bidi control is not trimmed away: CheckSingleLineText rejects it.
  EXPECT_EQ(TrimUnicodeSpace("\xE2\x80\xAE"
                             "Bob"),
            "\xE2\x80\xAE"
            "Bob");
}

TEST(TrimUnicodeSpaceTest, StopsAtInvalidUtf8) {
  EXPECT_EQ(TrimUnicodeSpace(" \xFF "), "\xFF");
  EXPECT_EQ(TrimUnicodeSpace(" \x80\x80 "), "\x80\x80");
  // Half of U+3000 is not U+3000.
  EXPECT_EQ(TrimUnicodeSpace("a\x80\x80"), "a\x80\x80");
}

// --- CheckSingleLineText ---------------------------------------------------

// The description CheckSingleLineText gives `value`, or "" if it passes.
std::string SingleLine(absl::string_view value, size_t min_chars = 1,
                       size_t max_chars = 20) {
  const absl::Status status = Collect([&](ViolationCollector& v) {
    CheckSingleLineText(v, "customer.display_name", value, min_chars,
                        max_chars);
  });
  if (status.ok()) return "";
  std::vector<FieldViolation> violations = FieldViolations(status);
  EXPECT_EQ(violations.size(), 1u) << status;
  if (violations.empty()) return "(no field violation)";
  EXPECT_EQ(violations[0].field, "customer.display_name");
  return violations[0].description;
}

constexpr char kNoVisible[] =
    "must contain a visible character, not only spaces, invisible characters "
    "or combining marks";

TEST(CheckSingleLineTextTest, AcceptsOrdinaryNames) {
  EXPECT_EQ(SingleLine("Bob"), "");
  EXPECT_EQ(SingleLine("王小明"), "");
  EXPECT_EQ(SingleLine("Zoë Zhang-Smith"), "");
  EXPECT_EQ(SingleLine("Zhang\xE3\x80\x80San"), "");  // inner U+3000
  EXPECT_EQ(SingleLine("e\xCC\x81"), "");             // e + combining acute
  EXPECT_EQ(SingleLine("\xF0\x9F\x98\x80"), "");      // an emoji is visible
  EXPECT_EQ(SingleLine("", 0, 20), "");               // optional and unset
}

// Regression: CheckText after absl::StripAsciiWhitespace accepted every one
// of these as a display name, which then showed as blank.
TEST(CheckSingleLineTextTest, RejectsNamesWithNothingVisible) {
  for (absl::string_view blank : {
           "\xE3\x80\x80",                      // U+3000 ideographic space
           "\xE2\x80\x8B",                      // U+200B zero width space
           "\xEF\xBB\xBF",                      // U+FEFF BOM
           "\xC2\xA0\xC2\xA0",                  // NBSP
           "\xE2\x80\x83\xE2\x80\x8D",          // em space, ZWJ
           "\xE3\x85\xA4",                      // U+3164 Hangul filler
           "\xC2\xAD",                          // soft hyphen
           "\xE2\xA0\x80",                      // U+2800 blank Braille
           "\xCC\x81",                          // a lone combining mark
           "\xCC\x81\xCC\x82\xE2\x83\x90",      // only combining marks
           "\xEF\xB8\x8F",                      // U+FE0F variation selector
           "\xF3\xA0\x80\x81\xF3\xA0\x81\xA1",  // tag characters
           "  \t ",
       }) {
    EXPECT_EQ(SingleLine(blank), kNoVisible) << absl::CEscape(blank);
  }
}

TEST(CheckSingleLineTextTest, RejectsLineBreaks) {
  constexpr char kRule[] = "must not contain line breaks";
  EXPECT_EQ(SingleLine("Bob\nAlice"), kRule);
  EXPECT_EQ(SingleLine("\n"), kRule);
  EXPECT_EQ(SingleLine("Bob\r"), kRule);
  EXPECT_EQ(SingleLine("Bob\xC2\x85"), kRule);  // U+0085 NEL
  EXPECT_EQ(SingleLine("Bob\xE2\x80\xA8"
                       "Alice"),
            kRule);                                 // U+2028
  EXPECT_EQ(SingleLine("Bob\xE2\x80\xA9"), kRule);  // U+2029
}

TEST(CheckSingleLineTextTest, RejectsBidiControls) {
  constexpr char kRule[] = "must not contain bidirectional control characters";
  // LRM, RLM, ALM; LRE, RLE, PDF, LRO, RLO; LRI, RLI, FSI, PDI.
  for (absl::string_view bidi :
       {"\xE2\x80\x8E", "\xE2\x80\x8F", "\xD8\x9C", "\xE2\x80\xAA",
        "\xE2\x80\xAB", "\xE2\x80\xAC", "\xE2\x80\xAD", "\xE2\x80\xAE",
        "\xE2\x81\xA6", "\xE2\x81\xA7", "\xE2\x81\xA8", "\xE2\x81\xA9"}) {
    EXPECT_EQ(SingleLine(absl::StrCat("Bob", bidi, "gnp.exe")), kRule)
        << absl::CEscape(bidi);
    EXPECT_EQ(SingleLine(bidi), kRule) << absl::CEscape(bidi);
  }
}

TEST(CheckSingleLineTextTest, RejectsLeadingCombiningMark) {
  constexpr char kRule[] = "must not start with a combining mark";
  EXPECT_EQ(SingleLine("\xCC\x81"
                       "Bob"),
            kRule);  // U+0301
  EXPECT_EQ(SingleLine("\xE1\xAA\xB0"
                       "Bob"),
            kRule);  // U+1AB0
  EXPECT_EQ(SingleLine("\xE1\xB7\x80"
                       "Bob"),
            kRule);  // U+1DC0
  EXPECT_EQ(SingleLine("\xE2\x83\x90"
                       "Bob"),
            kRule);  // U+20D0
  EXPECT_EQ(SingleLine("\xEF\xB8\xA0"
                       "Bob"),
            kRule);  // U+FE20
}

TEST(CheckSingleLineTextTest, KeepsTheRulesOfCheckText) {
  EXPECT_EQ(SingleLine("a\x01"
                       "b"),
            "must not contain control characters");
  EXPECT_EQ(SingleLine("a\x7F"
                       "b"),
            "must not contain control characters");
  EXPECT_EQ(SingleLine("a\xC2\x9B"
                       "b"),
            "must not contain control characters");
  EXPECT_EQ(SingleLine(std::string("a\0b", 3)),
            "must not contain control characters");
  EXPECT_EQ(SingleLine("\xC0\xAF"), "must be valid UTF-8");
  EXPECT_EQ(SingleLine("Bob\xE2\x80"), "must be valid UTF-8");
  EXPECT_EQ(SingleLine(""), "is required");
  EXPECT_EQ(SingleLine("ab", 3, 5), "must have at least 3 characters");
  EXPECT_EQ(SingleLine("abcdef", 1, 5), "must have at most 5 characters");
  EXPECT_EQ(SingleLine("张三李四王", 1, 5), "");  // characters, not bytes
  EXPECT_EQ(SingleLine("张三李四王五", 1, 5), "must have at most 5 characters");
}

// --- TruncateUtf8 -----------------------------------------------------------

std::string Repeat(absl::string_view s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) absl::StrAppend(&out, s);
  return out;
}

TEST(TruncateUtf8Test, CutsOnCharacterBoundaries) {
  const std::string e150 = Repeat("é", 150);  // 300 bytes
  EXPECT_EQ(TruncateUtf8(e150, 200), Repeat("é", 100));
  EXPECT_EQ(TruncateUtf8(e150, 199), Repeat("é", 99));
  EXPECT_EQ(TruncateUtf8(e150, 1), "");
  EXPECT_EQ(TruncateUtf8(e150, 0), "");
  EXPECT_EQ(TruncateUtf8(e150, 300), e150);
  EXPECT_EQ(TruncateUtf8(e150, 1000), e150);

  const std::string mixed =
      "a张\xF0\x9F\x98\x80"
      "b";  // 1 + 3 + 4 + 1 bytes
  EXPECT_EQ(TruncateUtf8(mixed, 1), "a");
  EXPECT_EQ(TruncateUtf8(mixed, 2), "a");
  EXPECT_EQ(TruncateUtf8(mixed, 3), "a");
  EXPECT_EQ(TruncateUtf8(mixed, 4), "a张");
  for (size_t n = 4; n < 8; ++n) EXPECT_EQ(TruncateUtf8(mixed, n), "a张") << n;
  EXPECT_EQ(TruncateUtf8(mixed, 8), "a张\xF0\x9F\x98\x80");
  EXPECT_EQ(TruncateUtf8("abcdef", 3), "abc");
}

TEST(TruncateUtf8Test, NeverEndsInsideASequence) {
  const std::string text = "Zoë 张三 \xF0\x9F\x98\x80 Ω ok";
  for (size_t n = 0; n <= text.size(); ++n) {
    const absl::string_view cut = TruncateUtf8(text, n);
    EXPECT_LE(cut.size(), n);
    EXPECT_TRUE(Utf8Length(cut).has_value()) << "cut at " << n;
    EXPECT_EQ(text.substr(0, cut.size()), cut);
    // Nothing more could have been kept.
    EXPECT_GT(cut.size() + 4, n);
  }
}

TEST(TruncateUtf8Test, CutsInvalidBytesAtTheLimit) {
  EXPECT_EQ(TruncateUtf8("\xFF\xFF\xFF", 2), "\xFF\xFF");
  EXPECT_EQ(TruncateUtf8("a\x80\x80\x80\x80\x80", 5), "a\x80\x80\x80\x80");
  // A lead byte whose sequence would not fit goes.
  EXPECT_EQ(TruncateUtf8("ab\xE5\xBC", 3), "ab");
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
  EXPECT_EQ(MaskName("张三丰"), "张**");
  EXPECT_EQ(MaskName("Wang"), "W***");
  EXPECT_EQ(MaskName(""), "");
  EXPECT_EQ(MaskName(std::string("\xff\xfe", 2)), "\xff*");
}

}  // namespace
}  // namespace retail
