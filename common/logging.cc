#include "common/logging.h"

#include <cstdio>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "google/protobuf/stubs/logging.h"

namespace retail {
namespace {

LogRateLimiter& ProtobufLogLimiter() {
  // Never destroyed: protobuf may still log from other threads during exit.
  static LogRateLimiter* const limiter =
      new LogRateLimiter(10, absl::Seconds(10));
  return *limiter;
}

void HandleProtobufLog(google::protobuf::LogLevel level, const char* filename,
                       int line, const std::string& message) {
  using google::protobuf::LogLevel;
  LogSeverity severity = LogSeverity::kError;
  if (level == LogLevel::LOGLEVEL_INFO) severity = LogSeverity::kInfo;
  if (level == LogLevel::LOGLEVEL_WARNING) severity = LogSeverity::kWarning;
  if (level == LogLevel::LOGLEVEL_FATAL) {
    // Protobuf aborts right after this: the one line that says why.
    LogMessage(severity, filename, line).stream() << "libprotobuf: " << message;
    return;
  }
  const LogRateLimiter::Decision decision =
      ProtobufLogLimiter().Admit(absl::Now());
  if (decision.suppressed_before > 0) {
    LogMessage(LogSeverity::kWarning, __FILE__, __LINE__).stream()
        << "suppressed " << decision.suppressed_before
        << (decision.suppressed_before == 1 ? " protobuf log line"
                                            : " protobuf log lines")
        << " over the rate limit";
  }
  if (!decision.log) return;
  LogMessage entry(severity, filename, line);
  entry.stream() << "libprotobuf: "
                 << absl::StripTrailingAsciiWhitespace(message);
  if (decision.last_in_window) {
    entry.stream() << " [protobuf log limit reached: further lines are "
                      "counted, not logged, for the rest of this window]";
  }
}

}  // namespace

LogMessage::LogMessage(LogSeverity severity, const char* file, int line) {
  const char letter = severity == LogSeverity::kInfo      ? 'I'
                      : severity == LogSeverity::kWarning ? 'W'
                                                          : 'E';
  const char* base = std::strrchr(file, '/');
  stream_ << letter
          << absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ ", absl::Now(),
                              absl::UTCTimeZone())
          << (base ? base + 1 : file) << ':' << line << "] ";
}

LogMessage::~LogMessage() {
  stream_ << '\n';
  const std::string line = stream_.str();
  // One fwrite per line keeps lines from concurrent threads whole.
  std::fwrite(line.data(), 1, line.size(), stderr);
}

LogRateLimiter::LogRateLimiter(int max_lines, absl::Duration window)
    : max_lines_(max_lines), window_(window) {}

LogRateLimiter::Decision LogRateLimiter::Admit(absl::Time now) {
  absl::MutexLock lock(&mu_);
  Decision decision;
  if (now - window_start_ >= window_) {
    window_start_ = now;
    logged_in_window_ = 0;
    decision.suppressed_before = suppressed_;
    suppressed_ = 0;
  }
  if (logged_in_window_ >= max_lines_) {
    ++suppressed_;
    return decision;
  }
  decision.log = true;
  decision.last_in_window = ++logged_in_window_ == max_lines_;
  return decision;
}

void LogRateLimiter::Reset(int max_lines, absl::Duration window) {
  absl::MutexLock lock(&mu_);
  max_lines_ = max_lines;
  window_ = window;
  window_start_ = absl::InfinitePast();
  logged_in_window_ = 0;
}

void InstallProtobufLogLimiter(int max_lines, absl::Duration window) {
  ProtobufLogLimiter().Reset(max_lines, window);
  google::protobuf::SetLogHandler(&HandleProtobufLog);
}

}  // namespace retail
