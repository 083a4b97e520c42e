#include "common/logging.h"

#include <atomic>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
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

namespace {

std::atomic<LogFormat> g_log_format{LogFormat::kText};

const char* BaseName(const char* file) {
  const char* base = std::strrchr(file, '/');
  return base != nullptr ? base + 1 : file;
}

// Two decimal digits of 0..99.
void AppendTwo(int v, char* p) {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
}

constexpr char kHex[] = "0123456789abcdef";

// The length of the UTF-8 character at s[i] if it is a valid one of two
// or more bytes, else 0. `cp` gets its code point.
size_t Utf8Char(absl::string_view s, size_t i, uint32_t* cp) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  const size_t left = s.size() - i;
  const auto cont = [&](size_t k) { return (b(i + k) & 0xC0) == 0x80; };
  if (c >= 0xC2 && c <= 0xDF) {
    if (left < 2 || !cont(1)) return 0;
    *cp = ((c & 0x1Fu) << 6) | (b(i + 1) & 0x3Fu);
    return 2;
  }
  if (c >= 0xE0 && c <= 0xEF) {
    if (left < 3 || !cont(1) || !cont(2)) return 0;
    if (c == 0xE0 && b(i + 1) < 0xA0) return 0;  // overlong
    if (c == 0xED && b(i + 1) > 0x9F) return 0;  // surrogate
    *cp = ((c & 0x0Fu) << 12) | ((b(i + 1) & 0x3Fu) << 6) | (b(i + 2) & 0x3Fu);
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (left < 4 || !cont(1) || !cont(2) || !cont(3)) return 0;
    if (c == 0xF0 && b(i + 1) < 0x90) return 0;  // overlong
    if (c == 0xF4 && b(i + 1) > 0x8F) return 0;  // above U+10FFFF
    *cp = ((c & 0x07u) << 18) | ((b(i + 1) & 0x3Fu) << 12) |
          ((b(i + 2) & 0x3Fu) << 6) | (b(i + 3) & 0x3Fu);
    return 4;
  }
  return 0;
}

// Code points a terminal or log viewer may render as a line break or use to
// reorder text: C1 controls, line/paragraph separators, bidi controls.
bool EscapeCodePoint(uint32_t cp) {
  return (cp >= 0x80 && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029 ||
         (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) ||
         cp == 0x200E || cp == 0x200F || cp == 0x061C;
}

void AppendU(uint32_t cp, std::string* out) {
  const char u[6] = {'\\',
                     'u',
                     kHex[(cp >> 12) & 0xF],
                     kHex[(cp >> 8) & 0xF],
                     kHex[(cp >> 4) & 0xF],
                     kHex[cp & 0xF]};
  out->append(u, 6);
}

enum class Quoting { kJson, kText };

// The escaped body of a quoted value (quotes not included).
void AppendEscaped(absl::string_view value, Quoting quoting, std::string* out) {
  size_t i = 0;
  while (i < value.size()) {
    // Runs of plain printable ASCII are copied at once.
    size_t j = i;
    while (j < value.size()) {
      const unsigned char c = static_cast<unsigned char>(value[j]);
      if (c < 0x20 || c >= 0x7F || c == '"' || c == '\\') break;
      ++j;
    }
    out->append(value.data() + i, j - i);
    i = j;
    if (i == value.size()) break;
    const unsigned char c = static_cast<unsigned char>(value[i]);
    switch (c) {
      case '"':
        out->append("\\\"");
        ++i;
        continue;
      case '\\':
        out->append("\\\\");
        ++i;
        continue;
      case '\n':
        out->append("\\n");
        ++i;
        continue;
      case '\r':
        out->append("\\r");
        ++i;
        continue;
      case '\t':
        out->append("\\t");
        ++i;
        continue;
      default:
        break;
    }
    if (c < 0x80) {  // other C0 controls and DEL
      if (quoting == Quoting::kJson) {
        AppendU(c, out);
      } else {
        const char x[4] = {'\\', 'x', kHex[c >> 4], kHex[c & 0xF]};
        out->append(x, 4);
      }
      ++i;
      continue;
    }
    uint32_t cp = 0;
    const size_t n = Utf8Char(value, i, &cp);
    if (n == 0) {  // not UTF-8
      if (quoting == Quoting::kJson) {
        out->append("\\ufffd");
      } else {
        const char x[4] = {'\\', 'x', kHex[c >> 4], kHex[c & 0xF]};
        out->append(x, 4);
      }
      ++i;
      continue;
    }
    if (EscapeCodePoint(cp)) {
      AppendU(cp, out);
    } else {
      out->append(value.data() + i, n);
    }
    i += n;
  }
}

// `value` cut to at most `max_bytes` at a character boundary; `cut` tells
// whether anything was left out.
absl::string_view Bounded(absl::string_view value, size_t max_bytes,
                          bool* cut) {
  *cut = value.size() > max_bytes;
  if (!*cut) return value;
  // Only a valid multi-byte character can straddle the cut, and it starts
  // at most 3 bytes before it: then cut before that character. Bytes that
  // are not UTF-8 are characters of their own (escaped one by one), so a
  // run of stray continuation bytes is cut right at max_bytes, and one
  // right after a whole character never takes that character apart.
  for (size_t back = 1; back <= 3 && back <= max_bytes; ++back) {
    const size_t start = max_bytes - back;
    const unsigned char c = static_cast<unsigned char>(value[start]);
    if ((c & 0xC0) == 0x80) continue;  // a continuation byte: look further
    uint32_t cp = 0;
    if (c >= 0x80 && Utf8Char(value, start, &cp) > back) {
      return value.substr(0, start);
    }
    break;  // ASCII, or a character that ends before the cut, or not UTF-8
  }
  return value.substr(0, max_bytes);
}

void AppendQuoted(absl::string_view value, Quoting quoting, size_t max_bytes,
                  std::string* out) {
  bool cut = false;
  const absl::string_view shown = Bounded(value, max_bytes, &cut);
  out->push_back('"');
  AppendEscaped(shown, quoting, out);
  if (cut) absl::StrAppend(out, "...(", value.size(), " bytes)");
  out->push_back('"');
}

bool IsBareTextChar(unsigned char c) {
  return absl::ascii_isalnum(c) || c == '.' || c == '_' || c == '-' ||
         c == ':' || c == '/' || c == '@' || c == '+' || c == ',';
}

}  // namespace

void SetLogFormat(LogFormat format) {
  g_log_format.store(format, std::memory_order_relaxed);
}

LogFormat GetLogFormat() {
  return g_log_format.load(std::memory_order_relaxed);
}

const char* LogSeverityName(LogSeverity severity) {
  switch (severity) {
    case LogSeverity::kInfo:
      return "INFO";
    case LogSeverity::kWarning:
      return "WARNING";
    case LogSeverity::kError:
      return "ERROR";
  }
  return "ERROR";
}

void AppendLogTime(absl::Time t, std::string* out) {
  const int64_t unix_us = absl::ToUnixMicros(t);
  int64_t sec = unix_us / 1'000'000;
  int64_t us = unix_us % 1'000'000;
  if (us < 0) {
    us += 1'000'000;
    --sec;
  }
  // Lines come many per second: the date and time of day are worked out
  // once a second per thread.
  thread_local int64_t cached_sec = INT64_MIN;
  thread_local char cached[19];
  if (sec != cached_sec) {
    const absl::CivilSecond cs =
        absl::ToCivilSecond(absl::FromUnixSeconds(sec), absl::UTCTimeZone());
    if (cs.year() < 0 || cs.year() > 9999) {  // never in practice
      out->append(
          absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", t, absl::UTCTimeZone()));
      return;
    }
    const int year = static_cast<int>(cs.year());
    AppendTwo(year / 100, cached);
    AppendTwo(year % 100, cached + 2);
    cached[4] = '-';
    AppendTwo(cs.month(), cached + 5);
    cached[7] = '-';
    AppendTwo(cs.day(), cached + 8);
    cached[10] = 'T';
    AppendTwo(cs.hour(), cached + 11);
    cached[13] = ':';
    AppendTwo(cs.minute(), cached + 14);
    cached[16] = ':';
    AppendTwo(cs.second(), cached + 17);
    cached_sec = sec;
  }
  char frac[8];
  frac[0] = '.';
  AppendTwo(static_cast<int>(us / 10000), frac + 1);
  AppendTwo(static_cast<int>(us / 100 % 100), frac + 3);
  AppendTwo(static_cast<int>(us % 100), frac + 5);
  frac[7] = 'Z';
  out->append(cached, sizeof(cached));
  out->append(frac, sizeof(frac));
}

void AppendTextLogPrefix(LogSeverity severity, absl::Time t, const char* file,
                         int line, std::string* out) {
  out->push_back(LogSeverityName(severity)[0]);
  AppendLogTime(t, out);
  absl::StrAppend(out, " ", BaseName(file), ":", line, "] ");
}

void AppendJsonString(absl::string_view value, std::string* out,
                      size_t max_bytes) {
  AppendQuoted(value, Quoting::kJson, max_bytes, out);
}

void AppendTextValue(absl::string_view value, std::string* out,
                     size_t max_bytes) {
  bool bare = !value.empty() && value.size() <= max_bytes;
  for (size_t i = 0; bare && i < value.size(); ++i) {
    bare = IsBareTextChar(static_cast<unsigned char>(value[i]));
  }
  if (bare) {
    out->append(value.data(), value.size());
    return;
  }
  AppendQuoted(value, Quoting::kText, max_bytes, out);
}

void WriteLogLines(absl::string_view lines) {
  // stderr is unbuffered: one fwrite is one write(2) (glibc loops only on a
  // short write), under stdio's lock, so lines from concurrent threads stay
  // whole.
  std::fwrite(lines.data(), 1, lines.size(), stderr);
}

LogMessage::LogMessage(LogSeverity severity, const char* file, int line)
    : format_(GetLogFormat()),
      severity_(severity),
      file_(BaseName(file)),
      line_(line),
      time_(absl::Now()) {
  if (format_ == LogFormat::kText) {
    std::string prefix;
    AppendTextLogPrefix(severity_, time_, file_, line_, &prefix);
    stream_ << prefix;
  }
}

LogMessage::~LogMessage() {
  if (format_ == LogFormat::kText) {
    stream_ << '\n';
    // One write per line keeps lines from concurrent threads whole.
    WriteLogLines(stream_.str());
    return;
  }
  const std::string message = stream_.str();
  std::string line;
  line.reserve(message.size() + 96);
  line.append("{\"ts\":\"");
  AppendLogTime(time_, &line);
  absl::StrAppend(&line, "\",\"level\":\"", LogSeverityName(severity_),
                  "\",\"file\":");
  AppendJsonString(file_, &line);
  absl::StrAppend(&line, ",\"line\":", line_, ",\"msg\":");
  AppendJsonString(message, &line);
  line.append("}\n");
  WriteLogLines(line);
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

int64_t LogRateLimiter::TakeSuppressed() {
  absl::MutexLock lock(&mu_);
  const int64_t n = suppressed_;
  suppressed_ = 0;
  return n;
}

void InstallProtobufLogLimiter(int max_lines, absl::Duration window) {
  ProtobufLogLimiter().Reset(max_lines, window);
  google::protobuf::SetLogHandler(&HandleProtobufLog);
}

}  // namespace retail
