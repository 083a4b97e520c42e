// Writes the seed corpus of fuzz_call_log: ordinary calls (ok, an error
// with its reason, refused before authentication, a stream, slow calls with
// and without a trace), hostile values (line breaks, forged fields and JSON,
// quotes and backslashes, controls, C1, line separators and bidi controls,
// bytes that are not UTF-8, values over the length bound cut in the middle
// of multi-byte characters) and edge numbers (infinite and huge latencies,
// huge and negative trace parts, times before 1970, past year 9999,
// infinite), encoded as fuzz inputs (call_log_input.h). The output is
// checked in under tests/fuzz/corpus/call_log/; regenerate it after
// changing the input layout:
//
//   build-fuzz/bin/fuzz_call_log_seeds tests/fuzz/corpus/call_log
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "tests/fuzz/call_log_input.h"

namespace retail::fuzz {
namespace {

using namespace std::string_literals;

constexpr char kCreate[] = "retail.customers.v1.CustomerService/CreateCustomer";
constexpr char kWatch[] = "retail.events.v1.EventService/WatchEvents";
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

struct Seed {
  std::string name;
  std::string bytes;
};

CallLogInput Call(std::string request_id = "r-0001") {
  CallLogInput c;
  c.fields[0] = kCreate;
  c.fields[1] = "e2e-admin";
  c.fields[3] = std::move(request_id);
  return c;
}

std::string Repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

std::vector<Seed> CallLogSeeds() {
  std::vector<Seed> seeds;
  const auto add = [&](std::string name, const CallLogInput& c) {
    seeds.push_back({std::move(name), EncodeCallLogInput(c)});
  };

  // Ordinary calls.
  add("ok", Call());
  CallLogInput c = Call();
  c.code = 8;  // RESOURCE_EXHAUSTED
  c.fields[2] = "RATE_LIMITED";
  add("error_with_reason", c);
  c = Call("");
  c.fields[1] = "";
  c.code = 16;  // UNAUTHENTICATED
  add("refused_before_authentication", c);
  c = Call("");
  c.fields[0] = kWatch;
  c.stream = true;
  c.code = 1;
  add("stream", c);
  c = Call("req-slow-1");
  c.latency = 800'500;
  c.small_trace = true;
  c.trace[1] = 300'000;
  c.trace[2] = 100'000;
  c.trace[3] = 250'000;
  c.batch_ops = 7;
  add("slow_with_breakdown", c);
  c = Call();
  c.latency = 600'000;
  c.small_trace = true;
  c.trace[0] = 700'000;
  add("slow_parts_exceed_latency", c);
  c = Call();
  c.latency = 900'000;
  c.no_trace = true;
  c.calls_off = true;
  add("slow_no_trace_calls_off", c);
  c = Call();
  c.code = 19;  // not a code: UNKNOWN
  c.slow_step = 0;
  c.latency = 1'000'000;
  add("unknown_code_no_slow_lines", c);

  // Hostile values.
  add("newline_forged_line_and_field",
      Call("r1\n{\"ts\":\"x\",\"msg\":\"forged\"}\r\nI2026 x.cc:1] forged "
           "code=OK"));
  c = Call(" code=OK request_id=x");
  c.fields[1] = "admin principal=root";
  c.fields[2] = "R\" code=\"OK";
  add("forged_fields_every_value", c);
  add("quotes_backslashes_controls",
      Call(" \"q\" b\\s \\u0041 \x01\x1b[31m\x7f\t\x00 end"s));
  add("c1_separators_bidi",
      Call("\xc2\x85 \xe2\x80\xa8 \xe2\x80\xa9 \xe2\x80\xae \xe2\x81\xa6 "
           "\xe2\x80\x8f \xd8\x9c \xef\xbb\xbf"));
  add("not_utf8",
      Call("\xff\xfe \xc0\xaf \xed\xa0\x80 \xf4\x90\x80\x80 \xe4\xb8 \x80"));
  add("long_ascii_request_id", Call(std::string(5000, 'A')));
  add("long_cjk_cut_mid_character", Call("x" + Repeat("\xe4\xb8\xad", 100)));
  add("long_emoji_cut_mid_character",
      Call("ab" + Repeat("\xf0\x9f\x98\x80", 40)));
  c = Call(Repeat("\x80", 200));
  c.fields[0] = Repeat("\"\\", 100);
  c.fields[2] = Repeat("\xe2\x80\xa8", 60);
  add("long_escapes_every_value", c);

  // Edge numbers and times.
  c = Call();
  c.latency_kind = kLatencyInfinite;
  add("latency_infinite", c);
  c = Call();
  c.latency_kind = kLatencyMinusInfinite;
  add("latency_minus_infinite", c);
  c = Call();
  c.latency_kind = kLatencyRaw;
  c.latency = kMax;
  c.trace[0] = 5;
  c.trace[1] = 1'000;
  add("latency_int64_max", c);
  c = Call();
  c.latency_kind = kLatencyRaw;
  c.latency = 2'000'000;
  c.trace[0] = -7'000;  // clock skew
  c.trace[1] = 500'000;
  c.batch_ops = -1;
  add("negative_trace_part", c);
  c = Call();
  c.time_kind = kTimeCenturies;
  c.time = -1'500'000;  // 1969-12-31T23:59:58.500000Z
  add("time_before_1970", c);
  c = Call();
  c.time_kind = kTimeRaw;
  c.time = int64_t{300'000'000'000} * 1'000'000;  // year 11476
  add("time_after_9999", c);
  c = Call();
  c.time_kind = kTimeInfinite;
  c.time = kMin;
  add("time_infinite_past", c);
  // Two numbers as far apart as they go; safe once the formatter does its
  // arithmetic without overflowing.
  c = Call();
  c.latency_kind = kLatencyRaw;
  c.latency = kMax;
  c.trace[0] = kMin;
  c.trace[1] = kMax;
  c.trace[2] = kMax;
  c.batch_ops = std::numeric_limits<int32_t>::min();
  add("trace_extremes", c);
  return seeds;
}

}  // namespace
}  // namespace retail::fuzz

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <output dir>\n", argv[0]);
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  std::filesystem::create_directories(dir);
  const auto seeds = retail::fuzz::CallLogSeeds();
  for (const auto& seed : seeds) {
    std::ofstream(dir / seed.name, std::ios::binary) << seed.bytes;
  }
  std::printf("wrote %zu seeds to %s\n", seeds.size(), dir.c_str());
  return 0;
}
