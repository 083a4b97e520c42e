#include "server/call_log.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace retail {
namespace {

// The canonical name of a gRPC/absl code, without allocating.
const char* CodeName(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return "OK";
    case absl::StatusCode::kCancelled:
      return "CANCELLED";
    case absl::StatusCode::kUnknown:
      return "UNKNOWN";
    case absl::StatusCode::kInvalidArgument:
      return "INVALID_ARGUMENT";
    case absl::StatusCode::kDeadlineExceeded:
      return "DEADLINE_EXCEEDED";
    case absl::StatusCode::kNotFound:
      return "NOT_FOUND";
    case absl::StatusCode::kAlreadyExists:
      return "ALREADY_EXISTS";
    case absl::StatusCode::kPermissionDenied:
      return "PERMISSION_DENIED";
    case absl::StatusCode::kResourceExhausted:
      return "RESOURCE_EXHAUSTED";
    case absl::StatusCode::kFailedPrecondition:
      return "FAILED_PRECONDITION";
    case absl::StatusCode::kAborted:
      return "ABORTED";
    case absl::StatusCode::kOutOfRange:
      return "OUT_OF_RANGE";
    case absl::StatusCode::kUnimplemented:
      return "UNIMPLEMENTED";
    case absl::StatusCode::kInternal:
      return "INTERNAL";
    case absl::StatusCode::kUnavailable:
      return "UNAVAILABLE";
    case absl::StatusCode::kDataLoss:
      return "DATA_LOSS";
    case absl::StatusCode::kUnauthenticated:
      return "UNAUTHENTICATED";
    default:
      return "UNKNOWN";
  }
}

// Microseconds as milliseconds with three decimals, "12.345"; negative
// values (clock skew between the trace's parts) as 0.000.
void AppendMs(int64_t us, std::string* out) {
  us = std::max<int64_t>(us, 0);
  const int64_t frac = us % 1000;
  absl::StrAppend(out, us / 1000, ".");
  out->push_back(static_cast<char>('0' + frac / 100));
  out->push_back(static_cast<char>('0' + frac / 10 % 10));
  out->push_back(static_cast<char>('0' + frac % 10));
}

struct Breakdown {
  int64_t reader_wait_us, queue_us, transaction_us, commit_us, other_us;
  int batch_ops;
};

// The parts as shown: a negative one (clock skew) counts as 0, and other_us
// is what the latency leaves after them, never below 0, so that the line's
// parts and other_ms add up to latency_ms. Computed without overflow,
// whatever the values (an infinite latency is INT64_MAX microseconds).
Breakdown BreakdownOf(const CallRecord& call) {
  Breakdown b{};
  if (call.trace != nullptr) {
    const CallTrace& t = *call.trace;
    const auto part = [](const std::atomic<int64_t>& us) {
      return std::max<int64_t>(us.load(std::memory_order_relaxed), 0);
    };
    b.reader_wait_us = part(t.reader_wait_us);
    b.queue_us = part(t.queue_us);
    b.transaction_us = part(t.transaction_us);
    b.commit_us = part(t.commit_us);
    b.batch_ops = t.batch_ops.load(std::memory_order_relaxed);
  }
  int64_t other_us =
      std::max<int64_t>(absl::ToInt64Microseconds(call.latency), 0);
  for (const int64_t part_us :
       {b.reader_wait_us, b.queue_us, b.transaction_us, b.commit_us}) {
    other_us = part_us >= other_us ? 0 : other_us - part_us;
  }
  b.other_us = other_us;
  return b;
}

}  // namespace

absl::StatusOr<LogFormat> ParseLogFormat(absl::string_view name) {
  if (name == "text") return LogFormat::kText;
  if (name == "json") return LogFormat::kJson;
  return absl::InvalidArgumentError(
      absl::StrCat("--log_format must be text or json, not '", name, "'"));
}

CallLog::CallLog(CallLogOptions options, std::ostream* out)
    : options_(std::move(options)),
      out_(out),
      slow_limiter_(options_.max_slow_lines, options_.slow_lines_window) {}

CallLog::~CallLog() {
  const int64_t suppressed = slow_limiter_.TakeSuppressed();
  if (suppressed > 0) {
    std::string line;
    AppendSuppressedLine(suppressed, Now(), &line);
    Write(line);
  }
}

absl::Time CallLog::Now() const {
  return options_.now ? options_.now() : absl::Now();
}

void CallLog::OnCallDone(const CallRecord& call) {
  const bool slow = options_.slow_threshold > absl::ZeroDuration() &&
                    call.latency > options_.slow_threshold;
  if (!options_.enabled && !slow) return;
  const absl::Time now = Now();
  std::string lines;
  lines.reserve(slow ? 768 : 320);
  if (options_.enabled) AppendCallLine(call, now, /*slow=*/false, &lines);
  if (slow) {
    const LogRateLimiter::Decision decision = slow_limiter_.Admit(now);
    if (decision.suppressed_before > 0) {
      AppendSuppressedLine(decision.suppressed_before, now, &lines);
    }
    if (decision.log) AppendCallLine(call, now, /*slow=*/true, &lines);
  }
  if (!lines.empty()) Write(lines);
}

std::string CallLog::Format(const CallRecord& call, absl::Time now) const {
  std::string lines;
  lines.reserve(768);
  if (options_.enabled) AppendCallLine(call, now, /*slow=*/false, &lines);
  if (options_.slow_threshold > absl::ZeroDuration() &&
      call.latency > options_.slow_threshold) {
    AppendCallLine(call, now, /*slow=*/true, &lines);
  }
  return lines;
}

void CallLog::Write(const std::string& lines) {
  if (out_ == nullptr) {
    WriteLogLines(lines);
    return;
  }
  absl::MutexLock lock(&out_mu_);
  out_->write(lines.data(), static_cast<std::streamsize>(lines.size()));
}

void CallLog::AppendCallLine(const CallRecord& call, absl::Time now, bool slow,
                             std::string* out) const {
  const LogSeverity severity =
      slow ? LogSeverity::kWarning : LogSeverity::kInfo;
  const int64_t latency_us = absl::ToInt64Microseconds(call.latency);
  constexpr size_t kMax = kMaxLoggedValueBytes;
  if (options_.format == LogFormat::kJson) {
    out->append("{\"ts\":\"");
    AppendLogTime(now, out);
    absl::StrAppend(out, "\",\"level\":\"", LogSeverityName(severity),
                    slow ? "\",\"msg\":\"slow call\",\"method\":"
                         : "\",\"msg\":\"call\",\"method\":");
    AppendJsonString(call.method, out, kMax);
    out->append(",\"principal\":");
    AppendJsonString(call.principal, out, kMax);
    absl::StrAppend(out, ",\"code\":\"", CodeName(call.code), "\",\"reason\":");
    AppendJsonString(call.reason, out, kMax);
    out->append(",\"latency_ms\":");
    AppendMs(latency_us, out);
    out->append(",\"request_id\":");
    AppendJsonString(call.request_id, out, kMax);
    out->append(call.stream ? ",\"stream\":true" : ",\"stream\":false");
    if (slow) {
      const Breakdown b = BreakdownOf(call);
      out->append(",\"reader_wait_ms\":");
      AppendMs(b.reader_wait_us, out);
      out->append(",\"queue_ms\":");
      AppendMs(b.queue_us, out);
      out->append(",\"transaction_ms\":");
      AppendMs(b.transaction_us, out);
      out->append(",\"commit_ms\":");
      AppendMs(b.commit_us, out);
      absl::StrAppend(out, ",\"batch_ops\":", b.batch_ops, ",\"other_ms\":");
      AppendMs(b.other_us, out);
    }
    out->append("}\n");
    return;
  }
  AppendTextLogPrefix(severity, now, __FILE__, __LINE__, out);
  out->append(slow ? "slow call method=" : "call method=");
  AppendTextValue(call.method, out, kMax);
  out->append(" principal=");
  AppendTextValue(call.principal, out, kMax);
  absl::StrAppend(out, " code=", CodeName(call.code));
  if (!call.reason.empty()) {
    out->append(" reason=");
    AppendTextValue(call.reason, out, kMax);
  }
  out->append(" latency_ms=");
  AppendMs(latency_us, out);
  if (!call.request_id.empty()) {
    out->append(" request_id=");
    AppendTextValue(call.request_id, out, kMax);
  }
  if (call.stream) out->append(" stream=true");
  if (slow) {
    const Breakdown b = BreakdownOf(call);
    out->append(" reader_wait_ms=");
    AppendMs(b.reader_wait_us, out);
    out->append(" queue_ms=");
    AppendMs(b.queue_us, out);
    out->append(" transaction_ms=");
    AppendMs(b.transaction_us, out);
    out->append(" commit_ms=");
    AppendMs(b.commit_us, out);
    absl::StrAppend(out, " batch_ops=", b.batch_ops, " other_ms=");
    AppendMs(b.other_us, out);
  }
  out->push_back('\n');
}

void CallLog::AppendSuppressedLine(int64_t count, absl::Time now,
                                   std::string* out) const {
  if (options_.format == LogFormat::kJson) {
    out->append("{\"ts\":\"");
    AppendLogTime(now, out);
    absl::StrAppend(
        out,
        "\",\"level\":\"WARNING\",\"msg\":\"slow call lines "
        "suppressed\",\"count\":",
        count, ",\"max_lines\":", options_.max_slow_lines, ",\"window_ms\":",
        absl::ToInt64Milliseconds(options_.slow_lines_window), "}\n");
    return;
  }
  AppendTextLogPrefix(LogSeverity::kWarning, now, __FILE__, __LINE__, out);
  absl::StrAppend(out, "slow call lines suppressed count=", count,
                  " max_lines=", options_.max_slow_lines, " window_ms=",
                  absl::ToInt64Milliseconds(options_.slow_lines_window), "\n");
}

}  // namespace retail
