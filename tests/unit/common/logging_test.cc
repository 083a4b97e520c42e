#include "common/logging.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"

namespace retail {
namespace {

using ::testing::HasSubstr;

const absl::Time kT0 = absl::FromUnixSeconds(1'700'000'000);

// --- LogRateLimiter ---------------------------------------------------------

TEST(LogRateLimiterTest, LogsUpToTheLimitThenCounts) {
  LogRateLimiter limiter(3, absl::Seconds(10));
  for (int i = 0; i < 3; ++i) {
    const LogRateLimiter::Decision d = limiter.Admit(kT0 + absl::Seconds(i));
    EXPECT_TRUE(d.log) << i;
    EXPECT_EQ(d.last_in_window, i == 2) << i;
    EXPECT_EQ(d.suppressed_before, 0) << i;
  }
  for (int i = 0; i < 5; ++i) {
    const LogRateLimiter::Decision d = limiter.Admit(kT0 + absl::Seconds(9));
    EXPECT_FALSE(d.log);
    EXPECT_EQ(d.suppressed_before, 0);
  }
  // The next window reports what the last one held back, once.
  LogRateLimiter::Decision d = limiter.Admit(kT0 + absl::Seconds(10));
  EXPECT_TRUE(d.log);
  EXPECT_EQ(d.suppressed_before, 5);
  d = limiter.Admit(kT0 + absl::Seconds(11));
  EXPECT_TRUE(d.log);
  EXPECT_EQ(d.suppressed_before, 0);
}

TEST(LogRateLimiterTest, QuietWindowsReportNothing) {
  LogRateLimiter limiter(2, absl::Seconds(10));
  for (int i = 0; i < 5; ++i) {
    const LogRateLimiter::Decision d = limiter.Admit(kT0 + absl::Minutes(i));
    EXPECT_TRUE(d.log);
    EXPECT_FALSE(d.last_in_window);
    EXPECT_EQ(d.suppressed_before, 0);
  }
}

TEST(LogRateLimiterTest, HoldsTheLimitUnderConcurrentCallers) {
  LogRateLimiter limiter(10, absl::Seconds(10));
  std::atomic<int> logged{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        if (limiter.Admit(kT0).log) ++logged;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(logged.load(), 10);
  EXPECT_EQ(limiter.Admit(kT0 + absl::Seconds(10)).suppressed_before, 3990);
}

// --- InstallProtobufLogLimiter ----------------------------------------------

int CountLines(const std::string& text, absl::string_view needle) {
  int n = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (absl::StrContains(line, needle)) ++n;
  }
  return n;
}

// Regression: a client without a token could get one log line written per
// request by sending strings that are not UTF-8.
TEST(ProtobufLogLimiterTest, CapsProtobufLogLinesAndReportsTheRest) {
  const absl::Duration window = absl::Milliseconds(500);
  InstallProtobufLogLimiter(3, window);

  google::rpc::Status status;
  status.set_message("\xFF\xFE not UTF-8");
  std::string wire;
  {
    // Serialising complains too; keep it out of the count below.
    ::testing::internal::CaptureStderr();
    status.SerializePartialToString(&wire);
    ::testing::internal::GetCapturedStderr();
  }
  absl::SleepFor(window);

  ::testing::internal::CaptureStderr();
  const absl::Time start = absl::Now();
  for (int i = 0; i < 50; ++i) {
    google::rpc::Status parsed;
    EXPECT_FALSE(parsed.ParseFromString(wire));
  }
  const bool one_window = absl::Now() - start < window;
  std::string log = ::testing::internal::GetCapturedStderr();
  if (one_window) {
    EXPECT_EQ(CountLines(log, "libprotobuf: "), 3) << log;
    EXPECT_THAT(log, HasSubstr("protobuf log limit reached"));
    EXPECT_THAT(log, HasSubstr("invalid UTF-8"));
    EXPECT_EQ(CountLines(log, "suppressed "), 0) << log;
  }

  absl::SleepFor(window);
  ::testing::internal::CaptureStderr();
  {
    google::rpc::Status parsed;
    EXPECT_FALSE(parsed.ParseFromString(wire));
  }
  log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(CountLines(log, "libprotobuf: "), 1) << log;
  if (one_window) {
    EXPECT_THAT(log, HasSubstr("suppressed 47 protobuf log lines"));
  } else {
    EXPECT_THAT(log, HasSubstr("suppressed "));
  }

  InstallProtobufLogLimiter();  // the defaults, for whatever runs next
}

}  // namespace
}  // namespace retail
