// The token bucket and the per-principal limiter (issue 15, "Overload"),
// driven by an injected clock: no sleeps, no timing.
#include "common/rate_limiter.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/test_util.h"

namespace retail {
namespace {

using ::retail::testing::IsOk;
using ::retail::testing::StatusIs;
using ::testing::HasSubstr;

constexpr int64_t kSecond = 1'000'000;

TEST(TokenBucketTest, StartsFullAndRefusesPastTheBurst) {
  TokenBucket bucket(RateLimit{5, 5}, 0);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(bucket.TryTake(0), 0) << i;
  // Empty: the next token comes after 1/5 s.
  EXPECT_EQ(bucket.TryTake(0), kSecond / 5);
  EXPECT_EQ(bucket.TryTake(0), kSecond / 5);  // a refusal takes nothing
}

TEST(TokenBucketTest, RefillsAtTheRateAndSaysWhenTheNextTokenComes) {
  TokenBucket bucket(RateLimit{10, 2}, 0);
  EXPECT_EQ(bucket.TryTake(0), 0);
  EXPECT_EQ(bucket.TryTake(0), 0);
  EXPECT_EQ(bucket.TryTake(0), 100'000);
  EXPECT_EQ(bucket.TryTake(40'000), 60'000);  // 0.4 of a token so far
  EXPECT_EQ(bucket.TryTake(100'000), 0);      // exactly one
  EXPECT_EQ(bucket.TryTake(100'000), 100'000);
  // Idle for a minute: only `burst` tokens are saved up.
  const int64_t later = 60 * kSecond;
  EXPECT_DOUBLE_EQ(bucket.Tokens(later), 2.0);
  EXPECT_EQ(bucket.TryTake(later), 0);
  EXPECT_EQ(bucket.TryTake(later), 0);
  EXPECT_GT(bucket.TryTake(later), 0);
}

TEST(TokenBucketTest, SustainsItsRateOverTime) {
  // 100 calls a second, offered 1000 a second for 10 s: about 100 * 10 plus
  // the burst are admitted, never more.
  TokenBucket bucket(RateLimit{100, 20}, 0);
  int admitted = 0;
  for (int64_t t = 0; t < 10 * kSecond; t += 1000) {
    if (bucket.TryTake(t) == 0) ++admitted;
  }
  EXPECT_GE(admitted, 1000);
  EXPECT_LE(admitted, 1000 + 20);
}

TEST(TokenBucketTest, AClockStepBackGivesNoTokens) {
  TokenBucket bucket(RateLimit{1, 1}, 10 * kSecond);
  EXPECT_EQ(bucket.TryTake(10 * kSecond), 0);
  EXPECT_EQ(bucket.TryTake(5 * kSecond), kSecond);
  EXPECT_EQ(bucket.TryTake(10 * kSecond + kSecond / 2), kSecond / 2);
  EXPECT_EQ(bucket.TryTake(11 * kSecond), 0);
}

TEST(TokenBucketTest, ANewLimitKeepsWhatWasUsedCappedAtTheNewBurst) {
  TokenBucket bucket(RateLimit{10, 10}, 0);
  for (int i = 0; i < 4; ++i) ASSERT_EQ(bucket.TryTake(0), 0);
  bucket.SetLimit(RateLimit{1, 3}, 0);  // 6 left, capped to 3
  EXPECT_DOUBLE_EQ(bucket.Tokens(0), 3.0);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(bucket.TryTake(0), 0);
  EXPECT_EQ(bucket.TryTake(0), kSecond);    // the new rate
  bucket.SetLimit(RateLimit{100, 100}, 0);  // raising it does not refill
  EXPECT_EQ(bucket.TryTake(0), kSecond / 100);
}

TEST(RateLimitTest, ParsesRates) {
  double r = -1;
  EXPECT_THAT(ParseRate("50/s", &r), IsOk());
  EXPECT_DOUBLE_EQ(r, 50);
  EXPECT_THAT(ParseRate("0.5/s", &r), IsOk());
  EXPECT_DOUBLE_EQ(r, 0.5);
  EXPECT_THAT(ParseRate("600/m", &r), IsOk());
  EXPECT_DOUBLE_EQ(r, 10);
  EXPECT_THAT(ParseRate("36/h", &r), IsOk());
  EXPECT_DOUBLE_EQ(r, 0.01);
  EXPECT_THAT(ParseRate("none", &r), IsOk());
  EXPECT_DOUBLE_EQ(r, 0);
  for (const char* bad : {"", "50", "50/", "50/d", "/s", "0/s", "-1/s", "x/s",
                          "nan/s", "inf/s", "1e12/s", "5/s/s"}) {
    EXPECT_THAT(ParseRate(bad, &r),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << bad;
  }
  EXPECT_EQ(RateLimitText(RateLimit{5, 5}), "5/s burst 5");
  EXPECT_EQ(RateLimitText(RateLimit{0.5, 1}), "0.5/s burst 1");
  EXPECT_EQ(RateLimitText(RateLimit{}), "unlimited");
}

TEST(RateLimiterTest, RefusesWithRetryInfoAndNamesTheLimit) {
  FakeClock clock(1'000 * kSecond);
  RateLimiter limiter(&clock);
  const RateLimit limit{5, 5};
  for (int i = 0; i < 5; ++i) {
    EXPECT_THAT(limiter.Admit("pos-1", limit), IsOk()) << i;
  }
  absl::Status refused = limiter.Admit("pos-1", limit);
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(ErrorReason(refused), "RATE_LIMITED");
  EXPECT_THAT(refused.message(), HasSubstr("'pos-1'"));
  EXPECT_THAT(refused.message(), HasSubstr("5/s burst 5"));
  ASSERT_TRUE(RetryDelay(refused).has_value());
  EXPECT_EQ(*RetryDelay(refused), absl::Milliseconds(200));

  // Another principal has its own bucket.
  EXPECT_THAT(limiter.Admit("pos-2", limit), IsOk());
  // Unlimited principals are never refused and hold no bucket.
  for (int i = 0; i < 100; ++i) {
    ASSERT_THAT(limiter.Admit("admin", RateLimit{}), IsOk());
  }
  EXPECT_EQ(limiter.buckets(), 2u);

  clock.Advance(kSecond / 5);
  EXPECT_THAT(limiter.Admit("pos-1", limit), IsOk());
  EXPECT_THAT(limiter.Admit("pos-1", limit),
              StatusIs(absl::StatusCode::kResourceExhausted));
}

TEST(RateLimiterTest, ANewLimitAppliesToTheNextCall) {
  FakeClock clock(0);
  RateLimiter limiter(&clock);
  ASSERT_THAT(limiter.Admit("p", RateLimit{1, 1}), IsOk());
  EXPECT_THAT(limiter.Admit("p", RateLimit{1, 1}),
              StatusIs(absl::StatusCode::kResourceExhausted));
  // A reload lifted the limit, then brought a bigger one: a fresh bucket.
  EXPECT_THAT(limiter.Admit("p", RateLimit{}), IsOk());
  for (int i = 0; i < 10; ++i) {
    EXPECT_THAT(limiter.Admit("p", RateLimit{10, 10}), IsOk()) << i;
  }
  absl::Status refused = limiter.Admit("p", RateLimit{10, 10});
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(*RetryDelay(refused), absl::Milliseconds(100));
}

TEST(RateLimiterTest, DropsIdleBucketsBeyondItsBound) {
  FakeClock clock(0);
  RateLimiter limiter(&clock);
  for (size_t i = 0; i < RateLimiter::kMaxBuckets; ++i) {
    ASSERT_THAT(limiter.Admit(absl::StrCat("p", i), RateLimit{1, 1}), IsOk());
  }
  EXPECT_EQ(limiter.buckets(), RateLimiter::kMaxBuckets);
  clock.Advance(kSecond);  // every bucket is full again
  ASSERT_THAT(limiter.Admit("newcomer", RateLimit{1, 1}), IsOk());
  EXPECT_EQ(limiter.buckets(), 1u);
}

TEST(RetryInfoTest, AttachesAndReadsTheDelay) {
  absl::Status s =
      WithRetryDelay(ErrorWithReason(absl::StatusCode::kUnavailable,
                                     "WRITER_QUEUE_FULL", "full"),
                     absl::Milliseconds(1500));
  EXPECT_EQ(ErrorReason(s), "WRITER_QUEUE_FULL");
  ASSERT_TRUE(RetryDelay(s).has_value());
  EXPECT_EQ(*RetryDelay(s), absl::Milliseconds(1500));
  EXPECT_FALSE(RetryDelay(absl::UnavailableError("x")).has_value());
  EXPECT_TRUE(WithRetryDelay(absl::OkStatus(), absl::Seconds(1)).ok());
}

}  // namespace
}  // namespace retail
