// The input layout of fuzz_call_log (fuzz_call_log.cc), shared with
// call_log_seeds.cc, which writes the checked-in seeds. One input is one
// call to log (server/call_log.h):
//
//   byte 0       flags: bit 0 a server stream; bit 1 per-call lines off
//                (only a slow line); bit 2 no trace; bit 3 small trace
//                values; bits 4-5 the latency's kind, bits 6-7 the time's
//                kind (below)
//   byte 1       status code, value % 20 (17-19: no code, logged UNKNOWN)
//   byte 2       slow threshold in 4 ms steps (0: no slow-call lines)
//   bytes 3-10   latency (int64, little endian)
//   bytes 11-42  reader_wait_us, queue_us, transaction_us, commit_us (int64)
//   bytes 43-46  batch_ops (int32)
//   bytes 47-54  the time the line is stamped with (int64)
//   byte 55      the separator
//   the rest     method, principal, reason and request_id, split on the
//                separator (further separators belong to request_id)
//
// Missing bytes read as 0, so every input is one call. The raw numbers go
// in as they are (huge, negative) unless a kind says otherwise.
#ifndef RETAIL_TESTS_FUZZ_CALL_LOG_INPUT_H_
#define RETAIL_TESTS_FUZZ_CALL_LOG_INPUT_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace retail::fuzz {

enum LatencyKind : uint8_t {
  kLatencyRaw = 0,    // the int64 in microseconds
  kLatencySmall = 1,  // its low 20 bits in microseconds (0 to 1.05 s)
  kLatencyInfinite = 2,
  kLatencyMinusInfinite = 3,
};

enum TimeKind : uint8_t {
  kTimeNearT0 = 0,     // kT0Micros plus the int64 % one day, in microseconds
  kTimeRaw = 1,        // the int64 as Unix microseconds (years +-292277)
  kTimeCenturies = 2,  // the int64 % 8000 years as Unix microseconds
  kTimeInfinite = 3,   // the int64 < 0: InfinitePast, else InfiniteFuture
};

// 2026-03-05T10:11:12.123456Z
inline constexpr int64_t kT0Micros = 1'772'705'472'123'456;
inline constexpr size_t kCallLogHeaderBytes = 56;

struct CallLogInput {
  bool stream = false;
  bool calls_off = false;
  bool no_trace = false;
  bool small_trace = false;
  uint8_t latency_kind = kLatencySmall;
  uint8_t time_kind = kTimeNearT0;
  uint8_t code = 0;
  uint8_t slow_step = 125;  // 500 ms, the server's default
  int64_t latency = 1234;
  int64_t trace[4] = {0, 0, 0, 0};  // reader wait, queue, transaction, commit
  int32_t batch_ops = 0;
  int64_t time = 0;
  char separator = '|';
  // method, principal, reason, request_id
  std::string fields[4];
};

namespace call_log_input_internal {

inline uint64_t ReadLe(absl::string_view in, size_t at, size_t bytes) {
  uint64_t v = 0;
  for (size_t k = 0; k < bytes; ++k) {
    const uint64_t b =
        at + k < in.size() ? static_cast<unsigned char>(in[at + k]) : 0;
    v |= b << (8 * k);
  }
  return v;
}

inline void WriteLe(uint64_t v, size_t bytes, std::string* out) {
  for (size_t k = 0; k < bytes; ++k) {
    out->push_back(static_cast<char>((v >> (8 * k)) & 0xFF));
  }
}

}  // namespace call_log_input_internal

inline CallLogInput DecodeCallLogInput(absl::string_view in) {
  using call_log_input_internal::ReadLe;
  CallLogInput c;
  const uint8_t flags = static_cast<uint8_t>(ReadLe(in, 0, 1));
  c.stream = flags & 1;
  c.calls_off = flags & 2;
  c.no_trace = flags & 4;
  c.small_trace = flags & 8;
  c.latency_kind = (flags >> 4) & 3;
  c.time_kind = (flags >> 6) & 3;
  c.code = static_cast<uint8_t>(ReadLe(in, 1, 1));
  c.slow_step = static_cast<uint8_t>(ReadLe(in, 2, 1));
  c.latency = static_cast<int64_t>(ReadLe(in, 3, 8));
  for (int k = 0; k < 4; ++k) {
    c.trace[k] = static_cast<int64_t>(ReadLe(in, 11 + 8 * k, 8));
  }
  c.batch_ops = static_cast<int32_t>(static_cast<uint32_t>(ReadLe(in, 43, 4)));
  c.time = static_cast<int64_t>(ReadLe(in, 47, 8));
  c.separator = static_cast<char>(ReadLe(in, 55, 1));
  absl::string_view rest =
      in.size() > kCallLogHeaderBytes ? in.substr(kCallLogHeaderBytes) : "";
  for (int k = 0; k < 3; ++k) {
    const size_t at = rest.find(c.separator);
    if (at == absl::string_view::npos) {
      c.fields[k] = std::string(rest);
      rest = "";
      break;
    }
    c.fields[k] = std::string(rest.substr(0, at));
    rest.remove_prefix(at + 1);
  }
  c.fields[3] = std::string(rest);
  return c;
}

// The bytes DecodeCallLogInput reads back as `c` (fields 0-2 must not hold
// the separator).
inline std::string EncodeCallLogInput(const CallLogInput& c) {
  using call_log_input_internal::WriteLe;
  std::string out;
  const uint8_t flags = static_cast<uint8_t>(
      (c.stream ? 1 : 0) | (c.calls_off ? 2 : 0) | (c.no_trace ? 4 : 0) |
      (c.small_trace ? 8 : 0) | ((c.latency_kind & 3) << 4) |
      ((c.time_kind & 3) << 6));
  out.push_back(static_cast<char>(flags));
  out.push_back(static_cast<char>(c.code));
  out.push_back(static_cast<char>(c.slow_step));
  WriteLe(static_cast<uint64_t>(c.latency), 8, &out);
  for (int64_t t : c.trace) WriteLe(static_cast<uint64_t>(t), 8, &out);
  WriteLe(static_cast<uint32_t>(c.batch_ops), 4, &out);
  WriteLe(static_cast<uint64_t>(c.time), 8, &out);
  out.push_back(c.separator);
  for (int k = 0; k < 4; ++k) {
    if (k > 0) out.push_back(c.separator);
    out += c.fields[k];
  }
  return out;
}

inline absl::Duration LatencyOf(const CallLogInput& c) {
  switch (c.latency_kind) {
    case kLatencySmall:
      return absl::Microseconds(c.latency & 0xFFFFF);
    case kLatencyInfinite:
      return absl::InfiniteDuration();
    case kLatencyMinusInfinite:
      return -absl::InfiniteDuration();
    default:
      return absl::Microseconds(c.latency);
  }
}

inline absl::Time TimeOf(const CallLogInput& c) {
  constexpr int64_t kDayMicros = int64_t{86'400} * 1'000'000;
  constexpr int64_t k8000YearsMicros = int64_t{8000} * 31'556'952 * 1'000'000;
  switch (c.time_kind) {
    case kTimeRaw:
      return absl::FromUnixMicros(c.time);
    case kTimeCenturies:
      return absl::FromUnixMicros(c.time % k8000YearsMicros);
    case kTimeInfinite:
      return c.time < 0 ? absl::InfinitePast() : absl::InfiniteFuture();
    default:
      return absl::FromUnixMicros(kT0Micros + c.time % kDayMicros);
  }
}

inline int64_t TraceValueOf(const CallLogInput& c, int k) {
  return c.small_trace ? (c.trace[k] & 0xFFFFF) : c.trace[k];
}

}  // namespace retail::fuzz

#endif  // RETAIL_TESTS_FUZZ_CALL_LOG_INPUT_H_
