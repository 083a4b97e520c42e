#include "common/ids.h"

#include <set>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace retail {
namespace {

using ::testing::MatchesRegex;

// 2024-06-01T00:00:00Z.
constexpr int64_t kJune2024Micros = int64_t{1717200000} * 1'000'000;

TEST(NewIdTest, IsPrefixAndTwentySixCrockfordCharacters) {
  const std::string id = NewId("cus", kJune2024Micros);
  EXPECT_EQ(id.size(), 4u + 26u);
  // Crockford base32 leaves out I, L, O and U, so ids are easy to read out.
  EXPECT_THAT(id, MatchesRegex("cus_[0-9A-HJKMNP-TV-Z]{26}"));
}

TEST(NewIdTest, FirstTenCharactersEncodeTheMillisecond) {
  // ULID layout: 48 bits of milliseconds, most significant first.
  EXPECT_TRUE(absl::StartsWith(NewId("x", 0), "x_0000000000"));
  EXPECT_TRUE(absl::StartsWith(NewId("x", 1000), "x_0000000001"));
  EXPECT_TRUE(absl::StartsWith(NewId("x", 31'000), "x_000000000Z"));
  EXPECT_TRUE(absl::StartsWith(NewId("x", 32'000), "x_0000000010"));
  // Sub-millisecond differences do not change the time part.
  EXPECT_EQ(NewId("x", kJune2024Micros).substr(0, 12),
            NewId("x", kJune2024Micros + 999).substr(0, 12));
}

TEST(NewIdTest, UniqueWithinOneMillisecond) {
  std::set<std::string> ids;
  for (int i = 0; i < 10000; ++i) ids.insert(NewId("cus", kJune2024Micros));
  EXPECT_EQ(ids.size(), 10000u);
}

TEST(NewIdTest, SortsByCreationTime) {
  std::string previous = NewId("cus", kJune2024Micros);
  for (int64_t ms : {int64_t{1}, int64_t{2}, int64_t{1000}, int64_t{60'000},
                     int64_t{86'400'000} * 3650}) {
    const std::string next = NewId("cus", kJune2024Micros + ms * 1000);
    EXPECT_LT(previous, next) << "after +" << ms << " ms";
    previous = next;
  }
}

TEST(HashTest, Sha256MatchesKnownVectors) {
  EXPECT_EQ(Sha256Hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256("abc"), absl::HexStringToBytes(Sha256Hex("abc")));
  EXPECT_EQ(Sha256("abc").size(), 32u);
}

TEST(HashTest, HmacSha256MatchesRfc4231) {
  // RFC 4231, test case 2.
  EXPECT_EQ(absl::BytesToHexString(
                HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(RandomBytesTest, ReturnsRequestedLengthAndDiffers) {
  EXPECT_EQ(RandomBytes(0).size(), 0u);
  EXPECT_EQ(RandomBytes(32).size(), 32u);
  EXPECT_NE(RandomBytes(32), RandomBytes(32));
}

}  // namespace
}  // namespace retail
