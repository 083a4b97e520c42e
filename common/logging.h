// Minimal severity logging to stderr. This Abseil has no absl/log, and the
// server must not depend on gRPC's internal logger outside the adapters.
//
//   RETAIL_LOG(INFO) << "listening on " << addr;
#ifndef RETAIL_COMMON_LOGGING_H_
#define RETAIL_COMMON_LOGGING_H_

#include <cstdint>
#include <sstream>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace retail {

enum class LogSeverity { kInfo, kWarning, kError };

// Collects one log line and writes it atomically to stderr on destruction,
// prefixed with the UTC time and the severity letter.
class LogMessage {
 public:
  LogMessage(LogSeverity severity, const char* file, int line);
  ~LogMessage();
  LogMessage(const LogMessage&) = delete;
  LogMessage& operator=(const LogMessage&) = delete;
  std::ostream& stream() { return stream_; }

 private:
  std::ostringstream stream_;
};

// Lets through at most `max_lines` log lines per `window` and counts the
// rest, for log lines that callers can cause at will. Windows are fixed: the
// first line after one ends starts the next. Thread-safe.
class LogRateLimiter {
 public:
  LogRateLimiter(int max_lines, absl::Duration window);

  struct Decision {
    bool log = false;  // write this line
    // This line uses up the window's budget: later ones are suppressed
    // until the window ends.
    bool last_in_window = false;
    // Lines suppressed since the last one written: report before this one.
    int64_t suppressed_before = 0;
  };
  Decision Admit(absl::Time now);

  // New limits; the current window starts over.
  void Reset(int max_lines, absl::Duration window);

 private:
  absl::Mutex mu_;
  int max_lines_ ABSL_GUARDED_BY(mu_);
  absl::Duration window_ ABSL_GUARDED_BY(mu_);
  absl::Time window_start_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  int logged_in_window_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t suppressed_ ABSL_GUARDED_BY(mu_) = 0;
};

// Sends protobuf's own log lines through LogMessage, at most `max_lines` per
// `window` for the whole process, then one line "suppressed N protobuf log
// lines" when the next window starts. Protobuf logs an ERROR for every
// request whose string fields are not valid UTF-8, and it parses requests
// before anyone is authenticated, so without a limit any client could fill
// the disk. FATAL lines are always written. Call at start-up before serving
// (protobuf's SetLogHandler is not thread-safe); calling again sets new
// limits.
void InstallProtobufLogLimiter(int max_lines = 10,
                               absl::Duration window = absl::Seconds(10));

}  // namespace retail

#define RETAIL_LOG_SEVERITY_INFO ::retail::LogSeverity::kInfo
#define RETAIL_LOG_SEVERITY_WARNING ::retail::LogSeverity::kWarning
#define RETAIL_LOG_SEVERITY_ERROR ::retail::LogSeverity::kError
#define RETAIL_LOG(sev) \
  ::retail::LogMessage(RETAIL_LOG_SEVERITY_##sev, __FILE__, __LINE__).stream()

#endif  // RETAIL_COMMON_LOGGING_H_
