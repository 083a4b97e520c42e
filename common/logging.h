// Minimal severity logging to stderr. This Abseil has no absl/log, and the
// server must not depend on gRPC's internal logger outside the adapters.
//
//   RETAIL_LOG(INFO) << "listening on " << addr;
//
// Lines are text by default,
//   I2026-03-05T10:11:12.123456Z main.cc:123] listening on 127.0.0.1:50051
// or, after SetLogFormat(LogFormat::kJson), one JSON object per line,
//   {"ts":"2026-03-05T10:11:12.123456Z","level":"INFO","file":"main.cc",
//    "line":123,"msg":"listening on 127.0.0.1:50051"}
// so that a log shipper parses the server's whole stderr in one format (the
// per-call lines of server/call_log.h follow the same setting).
#ifndef RETAIL_COMMON_LOGGING_H_
#define RETAIL_COMMON_LOGGING_H_

#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace retail {

enum class LogSeverity { kInfo, kWarning, kError };

enum class LogFormat { kText, kJson };

// The format of every line the process logs from now on (LogMessage, the
// call log). Text by default. Set it once at start-up, before anything logs
// (a line being written while it changes may come out in either format).
void SetLogFormat(LogFormat format);
LogFormat GetLogFormat();

// "INFO", "WARNING", "ERROR".
const char* LogSeverityName(LogSeverity severity);

// Appends `t` as RFC 3339 UTC with microseconds: "2026-03-05T10:11:12.123456Z".
void AppendLogTime(absl::Time t, std::string* out);

// Appends the text line prefix "I2026-03-05T10:11:12.123456Z file.cc:123] ";
// `file` may be a path (only its base name is written).
void AppendTextLogPrefix(LogSeverity severity, absl::Time t, const char* file,
                         int line, std::string* out);

// For values callers control (a request_id, anything from a client): at most
// this many bytes of it are logged.
inline constexpr size_t kNoLogLimit = static_cast<size_t>(-1);

// Appends `value` as a JSON string, quotes included. Quotes, backslashes,
// control characters (C0, DEL, C1), line and paragraph separators and bidi
// controls are escaped; bytes that are not UTF-8 become U+FFFD. A value
// longer than `max_bytes` is cut there (at a character boundary) and ends
// in "...(N bytes)" with its full length N. Whatever the input, the output
// is one valid JSON string on one line.
void AppendJsonString(absl::string_view value, std::string* out,
                      size_t max_bytes = kNoLogLimit);

// Appends `value` for a text key=value field: as it is when it consists of
// [A-Za-z0-9._:/@+,-] only, else in double quotes with the same characters
// as AppendJsonString escaped (\", \\, \n, \r, \t, \xHH for other ASCII
// controls and bytes that are not UTF-8, \uHHHH for the rest), cut to
// `max_bytes` the same way. Never a space, '=' or line break unquoted.
void AppendTextValue(absl::string_view value, std::string* out,
                     size_t max_bytes = kNoLogLimit);

// Writes `lines` (whole lines, each ending in '\n') to stderr with one
// write, so concurrent lines never interleave.
void WriteLogLines(absl::string_view lines);

// Collects one log line and writes it atomically to stderr on destruction,
// prefixed with the UTC time and the severity letter, or as one JSON object
// (GetLogFormat()).
class LogMessage {
 public:
  LogMessage(LogSeverity severity, const char* file, int line);
  ~LogMessage();
  LogMessage(const LogMessage&) = delete;
  LogMessage& operator=(const LogMessage&) = delete;
  std::ostream& stream() { return stream_; }

 private:
  const LogFormat format_;
  const LogSeverity severity_;
  const char* const file_;  // base name
  const int line_;
  const absl::Time time_;
  std::ostringstream stream_;  // text: prefix and message; json: message
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

  // Lines suppressed and not yet reported by a later Admit, now counted as
  // reported (to say how many at shutdown).
  int64_t TakeSuppressed();

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
