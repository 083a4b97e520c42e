// Minimal severity logging to stderr. This Abseil has no absl/log, and the
// server must not depend on gRPC's internal logger outside the adapters.
//
//   RETAIL_LOG(INFO) << "listening on " << addr;
#ifndef RETAIL_COMMON_LOGGING_H_
#define RETAIL_COMMON_LOGGING_H_

#include <sstream>

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

}  // namespace retail

#define RETAIL_LOG_SEVERITY_INFO ::retail::LogSeverity::kInfo
#define RETAIL_LOG_SEVERITY_WARNING ::retail::LogSeverity::kWarning
#define RETAIL_LOG_SEVERITY_ERROR ::retail::LogSeverity::kError
#define RETAIL_LOG(sev) \
  ::retail::LogMessage(RETAIL_LOG_SEVERITY_##sev, __FILE__, __LINE__).stream()

#endif  // RETAIL_COMMON_LOGGING_H_
