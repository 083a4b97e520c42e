#include "common/logging.h"

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"

namespace retail {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

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

TEST(LogRateLimiterTest, TakeSuppressedReportsWhatNoLaterLineDid) {
  LogRateLimiter limiter(1, absl::Seconds(10));
  EXPECT_TRUE(limiter.Admit(kT0).log);
  for (int i = 0; i < 4; ++i) EXPECT_FALSE(limiter.Admit(kT0).log);
  EXPECT_EQ(limiter.TakeSuppressed(), 4);
  EXPECT_EQ(limiter.TakeSuppressed(), 0);
  EXPECT_EQ(limiter.Admit(kT0 + absl::Seconds(10)).suppressed_before, 0);
}

// --- Line formats ---------------------------------------------------------

TEST(LogTimeTest, Rfc3339UtcWithMicroseconds) {
  std::string out;
  AppendLogTime(absl::FromUnixMicros(1'772'705'472'000'007), &out);
  EXPECT_EQ(out, "2026-03-05T10:11:12.000007Z");
  out.clear();
  AppendLogTime(absl::UnixEpoch(), &out);
  EXPECT_EQ(out, "1970-01-01T00:00:00.000000Z");
  out.clear();
  AppendLogTime(absl::FromUnixMicros(951'782'399'999'999), &out);  // leap day
  EXPECT_EQ(out, "2000-02-28T23:59:59.999999Z");
  out.clear();
  // The next second.
  AppendLogTime(absl::FromUnixMicros(951'782'400'000'001), &out);
  EXPECT_EQ(out, "2000-02-29T00:00:00.000001Z");
  out.clear();
  AppendLogTime(absl::FromUnixMicros(-1), &out);
  EXPECT_EQ(out, "1969-12-31T23:59:59.999999Z");
}

std::string Json(absl::string_view value, size_t max = kNoLogLimit) {
  std::string out;
  AppendJsonString(value, &out, max);
  return out;
}
std::string Text(absl::string_view value, size_t max = kNoLogLimit) {
  std::string out;
  AppendTextValue(value, &out, max);
  return out;
}

TEST(AppendJsonStringTest, EscapesWhatCouldBreakALine) {
  EXPECT_EQ(Json("plain-id_1"), "\"plain-id_1\"");
  EXPECT_EQ(Json(""), "\"\"");
  EXPECT_EQ(Json("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(Json("l1\nl2\r\t"), "\"l1\\nl2\\r\\t\"");
  EXPECT_EQ(Json(absl::string_view("\0\x01\x1b\x7f", 4)),
            "\"\\u0000\\u0001\\u001b\\u007f\"");
  // C1 NEL, line separator, right-to-left override.
  EXPECT_EQ(Json("\xc2\x85|\xe2\x80\xa8|\xe2\x80\xae"),
            "\"\\u0085|\\u2028|\\u202e\"");
  // Not UTF-8: each bad byte is U+FFFD; valid characters stay as they are.
  EXPECT_EQ(Json("\xff\xc3(\xe4\xb8\xad\xed\xa0\x80"),
            "\"\\ufffd\\ufffd(\xe4\xb8\xad\\ufffd\\ufffd\\ufffd\"");
  EXPECT_EQ(Json("\xf0\x9f\x98\x80"), "\"\xf0\x9f\x98\x80\"");
}

TEST(AppendJsonStringTest, CutsLongValuesAndSaysHowLong) {
  EXPECT_EQ(Json("abcdef", 6), "\"abcdef\"");
  EXPECT_EQ(Json("abcdefg", 6), "\"abcdef...(7 bytes)\"");
  // Never inside a character: 中 is 3 bytes.
  EXPECT_EQ(Json("a\xe4\xb8\xad\xe4\xb8\xad", 5),
            "\"a\xe4\xb8\xad...(7 bytes)\"");
}

TEST(AppendTextValueTest, BareWhenSafeElseQuotedAndEscaped) {
  EXPECT_EQ(Text("retail.orders.v1.OrderService/PayOrder"),
            "retail.orders.v1.OrderService/PayOrder");
  EXPECT_EQ(Text("e2e-admin"), "e2e-admin");
  EXPECT_EQ(Text(""), "\"\"");
  EXPECT_EQ(Text("a b"), "\"a b\"");
  EXPECT_EQ(Text("k=v"), "\"k=v\"");
  EXPECT_EQ(Text("x\n y=\"1\"\x01\\"), "\"x\\n y=\\\"1\\\"\\x01\\\\\"");
  EXPECT_EQ(Text("\xff\xe2\x80\xa8\xe4\xb8\xad"),
            "\"\\xff\\u2028\xe4\xb8\xad\"");
  EXPECT_EQ(Text("abcdefg", 6), "\"abcdef...(7 bytes)\"");
}

TEST(LogMessageTest, TextLine) {
  ASSERT_EQ(GetLogFormat(), LogFormat::kText);
  ::testing::internal::CaptureStderr();
  RETAIL_LOG(INFO) << "hello " << 42;
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_THAT(log,
              MatchesRegex("I[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:"
                           "[0-9]{2}\\.[0-9]{6}Z logging_test\\.cc:[0-9]+\\] "
                           "hello 42\n"));
}

TEST(LogMessageTest, JsonLineWhenTheProcessLogsJson) {
  SetLogFormat(LogFormat::kJson);
  ::testing::internal::CaptureStderr();
  const int line = __LINE__ + 1;
  RETAIL_LOG(WARNING) << "cannot open \"x\"\nsecond line\x01";
  const std::string log = ::testing::internal::GetCapturedStderr();
  SetLogFormat(LogFormat::kText);

  ASSERT_EQ(std::count(log.begin(), log.end(), '\n'), 1) << log;
  ASSERT_EQ(log.back(), '\n');
  EXPECT_THAT(log,
              MatchesRegex("\\{\"ts\":\"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}"
                           "\\.[0-9]{6}Z\",\"level\":\"WARNING\",.*\n"));
  google::protobuf::Struct json;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(log, &json).ok())
      << log;
  EXPECT_EQ(json.fields().at("level").string_value(), "WARNING");
  EXPECT_EQ(json.fields().at("file").string_value(), "logging_test.cc");
  EXPECT_EQ(json.fields().at("line").number_value(), line);
  EXPECT_EQ(json.fields().at("msg").string_value(),
            "cannot open \"x\"\nsecond line\x01");
  EXPECT_EQ(json.fields().size(), 5u);
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
