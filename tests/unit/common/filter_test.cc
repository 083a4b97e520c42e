#include "common/filter.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/test_util.h"

namespace retail {
namespace {

using ::retail::testing::IsInvalidField;
using ::retail::testing::IsOk;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

MATCHER_P2(Term, field, value, "") {
  *result_listener << "term " << arg.field << " = '" << arg.value << "'";
  return arg.field == field && arg.value == value;
}

// Parses `filter`, failing the test if it does not parse.
std::vector<FilterTerm> Parse(absl::string_view filter) {
  absl::StatusOr<std::vector<FilterTerm>> terms = ParseFilter(filter);
  EXPECT_THAT(terms, IsOk()) << "filter: " << filter;
  return terms.ok() ? *terms : std::vector<FilterTerm>{};
}

TEST(ParseFilterTest, EmptyFilterHasNoTerms) {
  EXPECT_THAT(Parse(""), IsEmpty());
  EXPECT_THAT(Parse("   "), IsEmpty());
}

TEST(ParseFilterTest, ParsesQuotedAndBareValuesJoinedByAnd) {
  EXPECT_THAT(Parse(R"(branch_id = "B001" AND tier = VIP)"),
              ElementsAre(Term("branch_id", "B001"), Term("tier", "VIP")));
  EXPECT_THAT(Parse(R"(branch_id="B001" and tier=VIP)"),
              ElementsAre(Term("branch_id", "B001"), Term("tier", "VIP")));
  EXPECT_THAT(Parse("marketing_consent = true"),
              ElementsAre(Term("marketing_consent", "true")));
  EXPECT_THAT(Parse("  a = x-1.2_3   AnD   b = y  "),
              ElementsAre(Term("a", "x-1.2_3"), Term("b", "y")));
}

TEST(ParseFilterTest, QuotedValuesKeepSpacesAndUnescape) {
  EXPECT_THAT(Parse(R"(name = "Zhang San")"),
              ElementsAre(Term("name", "Zhang San")));
  EXPECT_THAT(Parse(R"(name = "say \"hi\" \\ bye")"),
              ElementsAre(Term("name", R"(say "hi" \ bye)")));
  EXPECT_THAT(Parse(R"(name = "张三")"), ElementsAre(Term("name", "张三")));
  EXPECT_THAT(Parse(R"(name = "")"), ElementsAre(Term("name", "")));
}

TEST(ParseFilterTest, SyntaxErrorsNameTheFilterField) {
  for (absl::string_view bad : {
           "tier =",                         // missing value
           "tier VIP",                       // missing '='
           "= VIP",                          // missing field
           "tier = VIP OR tier = REGULAR",   // only AND
           "tier = VIP AND",                 // dangling AND
           "tier = VIP branch_id = B001",    // missing AND
           R"(name = "unterminated)",        // open quote
           R"(name = "ends in backslash\)",  // escaped closing quote
           "tier = VIP;",                    // stray character
       }) {
    EXPECT_THAT(ParseFilter(bad), IsInvalidField("filter"))
        << "filter: " << bad;
  }
}

TEST(ParseFilterTest, RejectsFieldNamedTwice) {
  EXPECT_THAT(ParseFilter("tier = VIP AND tier = REGULAR"),
              IsInvalidField("filter"));
}

TEST(ParseFilterTest, RejectsMoreThan1024Characters) {
  const std::string at_limit = "name = \"" + std::string(1024 - 9, 'x') + "\"";
  ASSERT_EQ(at_limit.size(), 1024u);
  EXPECT_THAT(ParseFilter(at_limit), IsOk());
  EXPECT_THAT(ParseFilter(at_limit + " "), IsInvalidField("filter"));
}

TEST(ParseFilterTest, ErrorsUseTheGivenFieldName) {
  EXPECT_THAT(ParseFilter("tier =", "query"), IsInvalidField("query"));
}

}  // namespace
}  // namespace retail
