// One structured line per call (issue 15, "Logs"): time, method, principal,
// code, latency and request_id, as text or JSON (--log_format), and a
// slow-call line with where the time went (reader wait, writer queue,
// transaction, commit) for calls over --slow_call_ms. Never a token and
// never personal data: only what CallRecord carries, which has neither.
//
// Text (the server's log style, common/logging.h):
//   I2026-03-05T10:11:12.123456Z call_log.cc:NN] call
//     method=retail.customers.v1.CustomerService/CreateCustomer
//     principal=e2e-admin code=OK latency_ms=1.234 request_id=r-0001
//   (one line; reason=RATE_LIMITED after the code when there is one,
//   stream=true for a server stream; values outside [A-Za-z0-9._:/@+,-] are
//   quoted and escaped, principal="" before authentication.)
// JSON, one object per line, always these keys:
//   {"ts":"2026-03-05T10:11:12.123456Z","level":"INFO","msg":"call",
//    "method":"...","principal":"e2e-admin","code":"OK","reason":"",
//    "latency_ms":1.234,"request_id":"r-0001","stream":false}
// A slow call adds a WARNING line "slow call" with the same fields and
// reader_wait_ms, queue_ms, transaction_ms, commit_ms, batch_ops and
// other_ms (the rest: handler, serialization, sending). At most
// `max_slow_lines` of those per `slow_lines_window`; the next one written
// is preceded by a line "slow call lines suppressed" with their count.
//
// Client-chosen strings (request_id above all) are escaped so that no value
// can end the line or forge a field, and cut to kMaxLoggedValueBytes.
#ifndef RETAIL_SERVER_CALL_LOG_H_
#define RETAIL_SERVER_CALL_LOG_H_

#include <cstddef>
#include <functional>
#include <ostream>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/logging.h"
#include "server/call_observer.h"

namespace retail {

// LogFormat (text, json) is common/logging.h's: the process-wide format.

// "text" or "json"; anything else is INVALID_ARGUMENT naming the choices.
absl::StatusOr<LogFormat> ParseLogFormat(absl::string_view name);

struct CallLogOptions {
  bool enabled = true;  // false: no per-call lines (slow calls still logged)
  LogFormat format = LogFormat::kText;
  // Calls slower than this are logged as slow, with where the time went.
  // Zero: no slow-call lines.
  absl::Duration slow_threshold = absl::Milliseconds(500);
  // Slow-call lines written per window at most; the rest are counted.
  int max_slow_lines = 10;
  absl::Duration slow_lines_window = absl::Seconds(1);
  // The time a line is stamped with and the limiter counts by; null:
  // absl::Now (tests inject one).
  std::function<absl::Time()> now;
};

// Bytes of one logged value (method, principal, reason, request_id) at most.
inline constexpr size_t kMaxLoggedValueBytes = 128;

class CallLog final : public CallObserver {
 public:
  // `out` null: stderr, where the server's other log lines go.
  explicit CallLog(CallLogOptions options, std::ostream* out = nullptr);
  // Reports slow-call lines still suppressed.
  ~CallLog() override;

  void OnCallDone(const CallRecord& call) override;
  void OnStreamOpened(absl::string_view) override {}

  // The lines OnCallDone would write for `call` at `now` (each ending in
  // '\n'), ignoring the slow-line limit; for tests and benchmarks.
  std::string Format(const CallRecord& call, absl::Time now) const;

 private:
  void AppendCallLine(const CallRecord& call, absl::Time now, bool slow,
                      std::string* out) const;
  void AppendSuppressedLine(int64_t count, absl::Time now,
                            std::string* out) const;
  absl::Time Now() const;
  void Write(const std::string& lines);

  const CallLogOptions options_;
  std::ostream* const out_;  // null: stderr
  absl::Mutex out_mu_;       // orders writes to out_
  LogRateLimiter slow_limiter_;
};

}  // namespace retail

#endif  // RETAIL_SERVER_CALL_LOG_H_
