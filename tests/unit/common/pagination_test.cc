#include "common/pagination.h"

#include <cstdint>
#include <limits>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/test_util.h"

namespace retail {
namespace {

using ::retail::testing::IsInvalidField;
using ::retail::testing::IsOk;

TEST(ResolvePageSizeTest, DefaultsCoercesAndRejectsNegative) {
  EXPECT_EQ(*ResolvePageSize(0), kDefaultPageSize);
  EXPECT_EQ(*ResolvePageSize(0), 50);
  EXPECT_EQ(*ResolvePageSize(1), 1);
  EXPECT_EQ(*ResolvePageSize(1000), 1000);
  EXPECT_EQ(*ResolvePageSize(1001), kMaxPageSize);
  EXPECT_EQ(*ResolvePageSize(5000), 1000);
  EXPECT_THAT(ResolvePageSize(-1), IsInvalidField("page_size"));
  EXPECT_THAT(ResolvePageSize(-1, "transactions.page_size"),
              IsInvalidField("transactions.page_size"));
}

class PageTokenCodecTest : public ::testing::Test {
 protected:
  static constexpr absl::string_view kScope =
      "retail.customers.v1.CustomerService/ListCustomers\n\ntier=VIP";
  PageTokenCodec codec_{std::string(32, 's')};
};

TEST_F(PageTokenCodecTest, RoundTripsKeys) {
  for (int64_t key : {int64_t{1}, int64_t{50}, int64_t{1} << 40,
                      std::numeric_limits<int64_t>::max()}) {
    const std::string token = codec_.Encode(kScope, key);
    EXPECT_LE(token.size(), 64u);
    absl::StatusOr<int64_t> decoded = codec_.Decode(token, kScope);
    ASSERT_THAT(decoded, IsOk());
    EXPECT_EQ(*decoded, key);
  }
}

TEST_F(PageTokenCodecTest, EmptyTokenIsFirstPage) {
  absl::StatusOr<int64_t> decoded = codec_.Decode("", kScope);
  ASSERT_THAT(decoded, IsOk());
  EXPECT_EQ(*decoded, 0);
}

TEST_F(PageTokenCodecTest, RejectsTokenFromAnotherScope) {
  // E.g. a token of a filtered list replayed without the filter, or by a
  // caller confined to another branch.
  const std::string token = codec_.Encode(kScope, 42);
  EXPECT_THAT(codec_.Decode(token,
                            "retail.customers.v1.CustomerService/"
                            "ListCustomers\n\n"),
              IsInvalidField("page_token"));
  EXPECT_THAT(codec_.Decode(token,
                            "retail.customers.v1.CustomerService/"
                            "ListCustomers\nB002\ntier=VIP"),
              IsInvalidField("page_token"));
}

TEST_F(PageTokenCodecTest, RejectsTokenSignedWithAnotherSecret) {
  PageTokenCodec other(std::string(32, 't'));
  EXPECT_THAT(codec_.Decode(other.Encode(kScope, 42), kScope),
              IsInvalidField("page_token"));
}

TEST_F(PageTokenCodecTest, RejectsTamperedTokens) {
  const std::string token = codec_.Encode(kScope, 42);
  // Change one character inside the key bytes (characters 2..11 carry the
  // version and key), so a forged "skip ahead" cannot pass.
  for (size_t i : {0u, 3u, 8u, 20u}) {
    std::string tampered = token;
    tampered[i] = tampered[i] == 'A' ? 'B' : 'A';
    EXPECT_THAT(codec_.Decode(tampered, kScope), IsInvalidField("page_token"))
        << "tampered at " << i;
  }
  EXPECT_THAT(codec_.Decode(token.substr(0, token.size() - 4), kScope),
              IsInvalidField("page_token"));
  EXPECT_THAT(codec_.Decode(token + "AAAA", kScope),
              IsInvalidField("page_token"));
}

TEST_F(PageTokenCodecTest, RejectsGarbage) {
  EXPECT_THAT(codec_.Decode("not a token!", kScope),
              IsInvalidField("page_token"));
  EXPECT_THAT(codec_.Decode("42", kScope), IsInvalidField("page_token"));
  EXPECT_THAT(codec_.Decode(std::string(1000, 'A'), kScope),
              IsInvalidField("page_token"));
  EXPECT_THAT(codec_.Decode("x", kScope, "transactions_page_token"),
              IsInvalidField("transactions_page_token"));
}

TEST_F(PageTokenCodecTest, TokensDependOnKeyAndScope) {
  EXPECT_NE(codec_.Encode(kScope, 42), codec_.Encode(kScope, 43));
  EXPECT_NE(codec_.Encode(kScope, 42), codec_.Encode("other scope", 42));
}

}  // namespace
}  // namespace retail
