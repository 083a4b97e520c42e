// The per-call log (server/call_log.h): one line per call in text or JSON,
// the slow-call line with where the time went, its rate limit, and values a
// client chooses (request_id) that must not break or forge a line.
#include "server/call_log.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <limits>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace retail {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kCreate[] = "retail.customers.v1.CustomerService/CreateCustomer";
constexpr char kWatch[] = "retail.events.v1.EventService/WatchEvents";
// 2026-03-05T10:11:12.123456Z
const absl::Time kT0 = absl::FromUnixMicros(1'772'705'472'123'456);

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  EXPECT_TRUE(text.empty() || text.back() == '\n') << text;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    lines.emplace_back(line);
  }
  return lines;
}

// What follows "] " in a text line.
std::string Message(const std::string& line) {
  const size_t at = line.find("] ");
  EXPECT_NE(at, std::string::npos) << line;
  return at == std::string::npos ? "" : line.substr(at + 2);
}

google::protobuf::Struct ParseJson(const std::string& line) {
  google::protobuf::Struct s;
  const auto status = google::protobuf::util::JsonStringToMessage(line, &s);
  EXPECT_TRUE(status.ok()) << status << "\n" << line;
  return s;
}

std::string Str(const google::protobuf::Struct& s, const std::string& key) {
  auto it = s.fields().find(key);
  return it == s.fields().end() ? "<absent>" : it->second.string_value();
}
double Num(const google::protobuf::Struct& s, const std::string& key) {
  auto it = s.fields().find(key);
  EXPECT_NE(it, s.fields().end()) << key;
  return it == s.fields().end() ? -1 : it->second.number_value();
}

class CallLogTest : public ::testing::Test {
 protected:
  CallLog& Log(LogFormat format, bool enabled = true,
               absl::Duration slow = absl::Milliseconds(500)) {
    CallLogOptions options;
    options.format = format;
    options.enabled = enabled;
    options.slow_threshold = slow;
    options.max_slow_lines = 3;
    options.slow_lines_window = absl::Seconds(1);
    options.now = [this] { return now_; };
    log_ = std::make_unique<CallLog>(options, &out_);
    return *log_;
  }

  CallRecord Call(absl::string_view method = kCreate,
                  absl::string_view principal = "e2e-admin") {
    CallRecord call;
    call.method = method;
    call.principal = principal;
    call.latency = absl::Microseconds(1234);
    call.trace = &trace_;
    return call;
  }

  std::string Take() {
    std::string s = out_.str();
    out_.str("");
    return s;
  }

  absl::Time now_ = kT0;
  CallTrace trace_;
  std::ostringstream out_;
  std::unique_ptr<CallLog> log_;
};

TEST(ParseLogFormatTest, TextOrJson) {
  EXPECT_EQ(*ParseLogFormat("text"), LogFormat::kText);
  EXPECT_EQ(*ParseLogFormat("json"), LogFormat::kJson);
  const auto bad = ParseLogFormat("xml");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("text or json"));
}

TEST_F(CallLogTest, TextOkCall) {
  CallLog& log = Log(LogFormat::kText);
  CallRecord call = Call();
  call.request_id = "e2e-create-wang-0001";
  log.OnCallDone(call);
  const std::vector<std::string> lines = Lines(Take());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_THAT(lines[0],
              StartsWith("I2026-03-05T10:11:12.123456Z call_log.cc:"));
  EXPECT_EQ(Message(lines[0]),
            "call method=retail.customers.v1.CustomerService/CreateCustomer "
            "principal=e2e-admin code=OK latency_ms=1.234 "
            "request_id=e2e-create-wang-0001");
}

TEST_F(CallLogTest, JsonOkCall) {
  CallLog& log = Log(LogFormat::kJson);
  CallRecord call = Call();
  call.request_id = "e2e-create-wang-0001";
  log.OnCallDone(call);
  EXPECT_EQ(Take(),
            "{\"ts\":\"2026-03-05T10:11:12.123456Z\",\"level\":\"INFO\","
            "\"msg\":\"call\",\"method\":\"retail.customers.v1.CustomerService/"
            "CreateCustomer\",\"principal\":\"e2e-admin\",\"code\":\"OK\","
            "\"reason\":\"\",\"latency_ms\":1.234,"
            "\"request_id\":\"e2e-create-wang-0001\",\"stream\":false}\n");
}

TEST_F(CallLogTest, ErrorWithReason) {
  CallRecord call = Call();
  call.code = absl::StatusCode::kResourceExhausted;
  call.reason = "RATE_LIMITED";
  call.latency = absl::Microseconds(42);

  Log(LogFormat::kText).OnCallDone(call);
  EXPECT_EQ(Message(Lines(Take()).at(0)),
            "call method=retail.customers.v1.CustomerService/CreateCustomer "
            "principal=e2e-admin code=RESOURCE_EXHAUSTED reason=RATE_LIMITED "
            "latency_ms=0.042");

  Log(LogFormat::kJson).OnCallDone(call);
  const auto json = ParseJson(Lines(Take()).at(0));
  EXPECT_EQ(Str(json, "code"), "RESOURCE_EXHAUSTED");
  EXPECT_EQ(Str(json, "reason"), "RATE_LIMITED");
  EXPECT_DOUBLE_EQ(Num(json, "latency_ms"), 0.042);
  EXPECT_EQ(Str(json, "request_id"), "");
}

TEST_F(CallLogTest, RefusedBeforeAuthenticationHasAnEmptyPrincipal) {
  CallRecord call = Call(kCreate, "");
  call.code = absl::StatusCode::kUnauthenticated;

  Log(LogFormat::kText).OnCallDone(call);
  EXPECT_THAT(Message(Lines(Take()).at(0)),
              HasSubstr(" principal=\"\" code=UNAUTHENTICATED latency_ms="));

  Log(LogFormat::kJson).OnCallDone(call);
  const std::string line = Lines(Take()).at(0);
  EXPECT_THAT(line,
              HasSubstr("\"principal\":\"\",\"code\":\"UNAUTHENTICATED\""));
  EXPECT_EQ(Str(ParseJson(line), "principal"), "");
}

TEST_F(CallLogTest, Stream) {
  CallRecord call = Call(kWatch, "e2e-agent");
  call.stream = true;
  call.code = absl::StatusCode::kCancelled;
  call.latency = absl::Seconds(3);
  // Streams are long by nature: only the threshold decides, as for any call.
  Log(LogFormat::kText, true, absl::ZeroDuration()).OnCallDone(call);
  EXPECT_EQ(Message(Lines(Take()).at(0)),
            "call method=retail.events.v1.EventService/WatchEvents "
            "principal=e2e-agent code=CANCELLED latency_ms=3000.000 "
            "stream=true");

  Log(LogFormat::kJson, true, absl::ZeroDuration()).OnCallDone(call);
  const auto json = ParseJson(Lines(Take()).at(0));
  EXPECT_TRUE(json.fields().at("stream").bool_value());
  EXPECT_EQ(Str(json, "method"), kWatch);
}

// A request_id is text the client chose. Whatever it holds, the call stays
// one line, JSON stays valid with exactly its keys, and the value is bounded.
TEST_F(CallLogTest, HostileRequestIdCannotBreakOrForgeALine) {
  const std::string hostile = absl::StrCat(
      "r1\n{\"ts\":\"x\",\"msg\":\"forged\"}\r\nI2026 x.cc:1] forged code=OK",
      " \"q\" b\\s \x01\x1b[31m\x7f \xc2\x85 \xe2\x80\xa8 \xe2\x80\xae",
      " \xff\xfe \xe4\xb8\xad", std::string(5000, 'A'));
  CallRecord call = Call();
  call.request_id = hostile;
  call.latency = absl::Seconds(1);  // slow too: both lines must hold

  for (LogFormat format : {LogFormat::kText, LogFormat::kJson}) {
    SCOPED_TRACE(format == LogFormat::kJson ? "json" : "text");
    Log(format).OnCallDone(call);
    const std::string out = Take();
    const std::vector<std::string> lines = Lines(out);
    ASSERT_EQ(lines.size(), 2u) << out;  // the call line and the slow line
    for (const std::string& line : lines) {
      EXPECT_LT(line.size(), 1000u);
      for (char c : line) {
        const unsigned char u = static_cast<unsigned char>(c);
        EXPECT_FALSE(u < 0x20 || u == 0x7f) << "raw control byte in " << line;
      }
      EXPECT_THAT(line, Not(HasSubstr("\xc2\x85")));
      EXPECT_THAT(line, Not(HasSubstr("\xe2\x80\xa8")));
      EXPECT_THAT(line, Not(HasSubstr("\xe2\x80\xae")));
      EXPECT_THAT(line, HasSubstr("...(5092 bytes)"));
      if (format == LogFormat::kJson) {
        const auto json = ParseJson(line);
        EXPECT_EQ(Str(json, "code"), "OK");
        EXPECT_EQ(Str(json, "principal"), "e2e-admin");
        const std::string rid = Str(json, "request_id");
        EXPECT_THAT(rid, StartsWith("r1\n{\"ts\":"));  // the value, decoded
        EXPECT_LT(rid.size(), 200u);
        const size_t keys = json.fields().size();
        EXPECT_TRUE(keys == 10u || keys == 16u) << line;
      } else {
        // The value is quoted and its quotes escaped: no field forged.
        EXPECT_THAT(
            line,
            HasSubstr(" request_id=\"r1\\n{\\\"ts\\\":\\\"x\\\","
                      "\\\"msg\\\":\\\"forged\\\"}\\r\\nI2026 x.cc:1] "
                      "forged code=OK \\\"q\\\" b\\\\s \\x01\\x1b[31m\\x7f "
                      "\\u0085 \\u2028 \\u202e \\xff\\xfe \xe4\xb8\xad"));
        const bool slow = line.find("] slow call ") != std::string::npos;
        if (slow) {
          EXPECT_THAT(line, HasSubstr("bytes)\" reader_wait_ms="));
        } else {
          EXPECT_THAT(line, ::testing::EndsWith("bytes)\""));
        }
      }
    }
  }
}

TEST_F(CallLogTest, ValuesAreCutAtACharacterBoundary) {
  CallRecord call = Call();
  std::string rid = "x";
  for (int i = 0; i < 100; ++i) rid += "\xe4\xb8\xad";  // 中, 3 bytes each
  call.request_id = rid;
  Log(LogFormat::kJson).OnCallDone(call);
  const std::string got = Str(ParseJson(Lines(Take()).at(0)), "request_id");
  std::string want = "x";
  for (int i = 0; i < 42; ++i) want += "\xe4\xb8\xad";  // 127 bytes
  EXPECT_EQ(got, want + "...(301 bytes)");
}

// Found by fuzz_call_log (tests/fuzz/regressions/call_log/): the cut backed
// off over every continuation byte before it, up to 3, so a stray one (not
// UTF-8, a character of its own) right after a whole character took that
// character apart. Only a character that straddles the cut moves it.
TEST_F(CallLogTest, StrayContinuationBytesDoNotMoveTheCut) {
  CallRecord call = Call();
  // 124 bytes, U+200E (3 bytes, escaped as a bidi control), then stray
  // continuation bytes from byte 127 on.
  const std::string rid =
      std::string(124, 'a') + "\xe2\x80\x8e" + std::string(10, '\x80');
  call.request_id = rid;
  Log(LogFormat::kText).OnCallDone(call);
  EXPECT_THAT(Take(), HasSubstr(" request_id=\"" + std::string(124, 'a') +
                                "\\u200e\\x80...(137 bytes)\"\n"));
  Log(LogFormat::kJson).OnCallDone(call);
  EXPECT_EQ(Str(ParseJson(Lines(Take()).at(0)), "request_id"),
            std::string(124, 'a') + "\xe2\x80\x8e\xef\xbf\xbd...(137 bytes)");
}

TEST_F(CallLogTest, SlowCallSaysWhereTheTimeWent) {
  trace_.queue_us = 300'000;
  trace_.transaction_us = 100'000;
  trace_.commit_us = 250'000;
  trace_.batch_ops = 7;
  CallRecord call = Call();
  call.request_id = "req-slow-1";
  call.latency = absl::Microseconds(800'500);

  Log(LogFormat::kText).OnCallDone(call);
  std::vector<std::string> lines = Lines(Take());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_THAT(lines[0], StartsWith("I"));
  EXPECT_THAT(lines[1],
              StartsWith("W2026-03-05T10:11:12.123456Z call_log.cc:"));
  EXPECT_EQ(Message(lines[1]),
            "slow call method=retail.customers.v1.CustomerService/"
            "CreateCustomer principal=e2e-admin code=OK latency_ms=800.500 "
            "request_id=req-slow-1 reader_wait_ms=0.000 queue_ms=300.000 "
            "transaction_ms=100.000 commit_ms=250.000 batch_ops=7 "
            "other_ms=150.500");

  Log(LogFormat::kJson).OnCallDone(call);
  lines = Lines(Take());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(Str(ParseJson(lines[0]), "msg"), "call");
  const auto json = ParseJson(lines[1]);
  EXPECT_EQ(Str(json, "msg"), "slow call");
  EXPECT_EQ(Str(json, "level"), "WARNING");
  EXPECT_EQ(Str(json, "request_id"), "req-slow-1");
  EXPECT_DOUBLE_EQ(Num(json, "latency_ms"), 800.5);
  EXPECT_DOUBLE_EQ(Num(json, "reader_wait_ms"), 0);
  EXPECT_DOUBLE_EQ(Num(json, "queue_ms"), 300);
  EXPECT_DOUBLE_EQ(Num(json, "transaction_ms"), 100);
  EXPECT_DOUBLE_EQ(Num(json, "commit_ms"), 250);
  EXPECT_DOUBLE_EQ(Num(json, "batch_ops"), 7);
  EXPECT_DOUBLE_EQ(Num(json, "other_ms"), 150.5);
}

TEST_F(CallLogTest, ReadWaitsShowAndOtherNeverGoesNegative) {
  trace_.reader_wait_us = 700'000;
  CallRecord call = Call();
  call.latency = absl::Microseconds(600'000);  // less than its parts
  Log(LogFormat::kText).OnCallDone(call);
  const std::string slow = Message(Lines(Take()).at(1));
  EXPECT_THAT(slow, HasSubstr(" reader_wait_ms=700.000 "));
  EXPECT_THAT(slow, HasSubstr(" batch_ops=0 other_ms=0.000"));
}

// Found by fuzz_call_log (tests/fuzz/regressions/call_log/): a negative part
// (clock skew), shown as 0.000, still made other_ms larger than the latency
// less the parts shown; and parts at the ends of int64 overflowed the
// subtraction (undefined behaviour). other_ms is the latency less the parts
// as shown, never below 0, whatever the values.
TEST_F(CallLogTest, OtherIsTheLatencyLessThePartsShownWhateverTheirValues) {
  CallLog& log = Log(LogFormat::kText);
  CallRecord call = Call();
  trace_.reader_wait_us = -7'000;
  trace_.queue_us = 500'000;
  call.latency = absl::Seconds(2);
  std::string slow = Message(Lines(log.Format(call, kT0)).at(1));
  EXPECT_THAT(slow, HasSubstr(" reader_wait_ms=0.000 queue_ms=500.000 "));
  EXPECT_THAT(slow, HasSubstr(" other_ms=1500.000"));

  trace_.reader_wait_us = std::numeric_limits<int64_t>::min();
  trace_.queue_us = std::numeric_limits<int64_t>::max();
  trace_.transaction_us = std::numeric_limits<int64_t>::max();
  call.latency = absl::Microseconds(std::numeric_limits<int64_t>::max());
  slow = Message(Lines(log.Format(call, kT0)).at(1));
  EXPECT_THAT(slow, HasSubstr(" latency_ms=9223372036854775.807 "));
  EXPECT_THAT(slow, HasSubstr(" other_ms=0.000"));

  trace_.reader_wait_us = 0;
  trace_.queue_us = 0;
  trace_.transaction_us = 0;
  trace_.commit_us = 1;
  call.latency = absl::InfiniteDuration();
  slow = Message(Lines(log.Format(call, kT0)).at(1));
  EXPECT_THAT(slow, HasSubstr(" other_ms=9223372036854775.806"));
}

TEST_F(CallLogTest, AtTheThresholdIsNotSlow) {
  CallRecord call = Call();
  call.latency = absl::Milliseconds(500);
  Log(LogFormat::kText).OnCallDone(call);
  EXPECT_EQ(Lines(Take()).size(), 1u);
}

TEST_F(CallLogTest, DisabledStillLogsSlowCalls) {
  CallLog& log = Log(LogFormat::kJson, /*enabled=*/false);
  CallRecord fast = Call();
  log.OnCallDone(fast);
  EXPECT_EQ(Take(), "");
  CallRecord slow = Call();
  slow.latency = absl::Seconds(2);
  log.OnCallDone(slow);
  const std::vector<std::string> lines = Lines(Take());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(Str(ParseJson(lines[0]), "msg"), "slow call");
}

TEST_F(CallLogTest, ZeroThresholdMeansNoSlowLines) {
  CallLog& log = Log(LogFormat::kText, /*enabled=*/false, absl::ZeroDuration());
  CallRecord call = Call();
  call.latency = absl::Hours(1);
  log.OnCallDone(call);
  EXPECT_EQ(Take(), "");
}

// A storm of slow calls writes at most max_slow_lines per window; the next
// window's first slow line is preceded by the count of those held back, and
// what is still held back at the end is reported when the log goes away.
TEST_F(CallLogTest, SlowLinesAreRateLimited) {
  CallLog& log = Log(LogFormat::kText, /*enabled=*/false);
  CallRecord call = Call();
  call.latency = absl::Seconds(1);
  for (int i = 0; i < 10; ++i) log.OnCallDone(call);
  std::vector<std::string> lines = Lines(Take());
  ASSERT_EQ(lines.size(), 3u);
  for (const std::string& line : lines) {
    EXPECT_THAT(Message(line), StartsWith("slow call "));
  }

  now_ += absl::Seconds(1);
  for (int i = 0; i < 5; ++i) log.OnCallDone(call);
  lines = Lines(Take());
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_THAT(lines[0], StartsWith("W"));
  EXPECT_EQ(Message(lines[0]),
            "slow call lines suppressed count=7 max_lines=3 window_ms=1000");
  EXPECT_THAT(Message(lines[1]), StartsWith("slow call method="));

  log_.reset();  // 2 still held back
  lines = Lines(Take());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(Message(lines[0]),
            "slow call lines suppressed count=2 max_lines=3 window_ms=1000");
}

TEST_F(CallLogTest, SuppressedLineInJson) {
  CallLog& log = Log(LogFormat::kJson, /*enabled=*/true);
  CallRecord call = Call();
  call.latency = absl::Seconds(1);
  for (int i = 0; i < 4; ++i) log.OnCallDone(call);
  EXPECT_EQ(Lines(Take()).size(), 4u + 3u);  // every call line, 3 slow lines
  now_ += absl::Seconds(2);
  log.OnCallDone(call);
  const std::vector<std::string> lines = Lines(Take());
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(Str(ParseJson(lines[0]), "msg"), "call");
  const auto suppressed = ParseJson(lines[1]);
  EXPECT_EQ(Str(suppressed, "msg"), "slow call lines suppressed");
  EXPECT_EQ(Str(suppressed, "level"), "WARNING");
  EXPECT_DOUBLE_EQ(Num(suppressed, "count"), 1);
  EXPECT_EQ(Str(ParseJson(lines[2]), "msg"), "slow call");
}

TEST_F(CallLogTest, DefaultsToStderrOneWritePerCall) {
  CallLogOptions options;
  options.format = LogFormat::kJson;
  CallLog log(options);
  CallRecord call = Call();
  call.request_id = "req-stderr";
  ::testing::internal::CaptureStderr();
  log.OnCallDone(call);
  const std::string err = ::testing::internal::GetCapturedStderr();
  const std::vector<std::string> lines = Lines(err);
  ASSERT_EQ(lines.size(), 1u) << err;
  EXPECT_EQ(Str(ParseJson(lines[0]), "request_id"), "req-stderr");
}

TEST_F(CallLogTest, ConcurrentCallsKeepTheirLinesWhole) {
  CallLog& log = Log(LogFormat::kJson);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      const std::string rid = absl::StrCat("req-thread-", t);
      for (int i = 0; i < 500; ++i) {
        CallRecord call = Call();
        call.request_id = rid;
        log.OnCallDone(call);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  const std::vector<std::string> lines = Lines(Take());
  ASSERT_EQ(lines.size(), 2000u);
  for (const std::string& line : lines) {
    ASSERT_THAT(Str(ParseJson(line), "request_id"), StartsWith("req-thread-"));
  }
}

// Not a timing assertion (shared machines): prints what formatting costs.
TEST_F(CallLogTest, FormattingIsCheap) {
  for (LogFormat format : {LogFormat::kText, LogFormat::kJson}) {
    CallLog& log = Log(format);
    CallRecord call = Call();
    call.request_id = "2f1c9a4e-8b7d-4c3e-9f0a-1b2c3d4e5f60";
    constexpr int kN = 100'000;
    size_t bytes = 0;
    const absl::Time start = absl::Now();
    for (int i = 0; i < kN; ++i) bytes += log.Format(call, kT0).size();
    const absl::Duration took = absl::Now() - start;
    std::printf("%s: %.0f ns per call line (%zu bytes)\n",
                format == LogFormat::kJson ? "json" : "text",
                absl::ToDoubleNanoseconds(took) / kN, bytes / kN);
    EXPECT_GT(bytes, 0u);
  }
  // The whole of OnCallDone to stderr, which gtest sends to a file here as
  // a server's log shipper would: one formatted string, one write(2).
  CallLogOptions options;
  options.format = LogFormat::kText;
  CallLog log(options);
  CallRecord call = Call();
  call.request_id = "2f1c9a4e-8b7d-4c3e-9f0a-1b2c3d4e5f60";
  constexpr int kN = 20'000;
  ::testing::internal::CaptureStderr();
  const absl::Time start = absl::Now();
  for (int i = 0; i < kN; ++i) log.OnCallDone(call);
  const absl::Duration took = absl::Now() - start;
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), kN);
  std::printf("text to a file: %.0f ns per call\n",
              absl::ToDoubleNanoseconds(took) / kN);
}

}  // namespace
}  // namespace retail
