// libFuzzer target for the per-call log (server/call_log.h, with the
// escaping of common/logging.h): the input is one call (call_log_input.h:
// a header of flags, code, latency, trace and time, then method, principal,
// reason and request_id split on a separator byte), formatted as text and
// as JSON with slow-call lines on. No server: CallLog is a library class,
// so this target links retail_server_lib only for it (CMakeLists.txt) and
// runs hundreds of thousands of inputs a minute.
//
// Aborts (and libFuzzer keeps the input) on any crash or sanitizer report,
// and when the lines break the contract of call_log.h:
//   - the output is N whole lines, each ending in one '\n', N = 1 plus 1
//     for a slow call (0 or 1 with per-call lines off); no other '\n', no
//     '\r', no byte below 0x20 and no DEL anywhere in a line;
//   - the output is valid UTF-8 and holds none of the characters the log
//     escapes (C1 controls, U+2028/2029, bidi controls) raw;
//   - JSON: each line is exactly one valid JSON object (a strict parser
//     below: no JSON library here) with exactly the documented keys in
//     order, 10 for the call line and 16 for the slow line;
//   - text: the prefix is "<I|W><time> call_log.cc:<line>] ", then "call"
//     or "slow call" and key=value fields, each value bare
//     [A-Za-z0-9._:/@+,-] or one quoted, escaped string; the keys are
//     exactly those the formatter emits for this call, in order and once
//     each, so no value can add a field (" code=OK" in a request_id stays
//     inside its quotes);
//   - every value decodes to what the call holds: method, principal, reason
//     and request_id whole when they fit kMaxLoggedValueBytes, else cut at
//     the last character boundary at or before it (a byte that is not
//     UTF-8 is a character of its own) and followed by "...(N bytes)"
//     (JSON shows bytes that are not UTF-8 as U+FFFD);
//     code, level, msg, stream and batch_ops as given; the times as
//     milliseconds with three decimals, negative ones as 0.000; other_ms
//     the latency less the parts shown (0 when they exceed it); the time
//     stamp RFC 3339 UTC with microseconds;
//   - OnCallDone writes exactly what Format returns (a fresh log admits its
//     first slow line).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "common/call.h"
#include "common/logging.h"
#include "server/call_log.h"
#include "server/call_observer.h"
#include "tests/fuzz/call_log_input.h"

namespace {

using retail::CallLog;
using retail::CallLogOptions;
using retail::CallRecord;
using retail::CallTrace;
using retail::kMaxLoggedValueBytes;
using retail::LogFormat;
using retail::fuzz::CallLogInput;

// Worst case of one logged value: every shown byte escaped as \u00XX (6
// bytes), quotes and the "...(N bytes)" suffix.
constexpr size_t kMaxLineBytes = 4 * (6 * kMaxLoggedValueBytes + 40) + 640;

std::string g_context;  // what the current input is, for failure reports

[[noreturn]] void Fail(const char* what, absl::string_view line) {
  std::fprintf(stderr, "fuzz invariant violated: %s\n  line: \"%s\"\n%s\n",
               what, absl::CHexEscape(line).c_str(), g_context.c_str());
  std::abort();
}

void Require(bool ok, const char* what, absl::string_view line) {
  if (!ok) Fail(what, line);
}

// ---- UTF-8 (strict: no overlongs, surrogates or code points past U+10FFFF)

// The length of the character at s[i] (1 for ASCII) and its code point, or
// 0 when the bytes there are not UTF-8.
size_t Utf8At(absl::string_view s, size_t i, uint32_t* cp) {
  const auto u = [&](size_t k) -> uint32_t {
    return static_cast<unsigned char>(s[k]);
  };
  const uint32_t c = u(i);
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  size_t n;
  uint32_t v, min;
  if ((c & 0xE0) == 0xC0) {
    n = 2, v = c & 0x1F, min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3, v = c & 0x0F, min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4, v = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (s.size() - i < n) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((u(i + k) & 0xC0) != 0x80) return 0;
    v = (v << 6) | (u(i + k) & 0x3F);
  }
  if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
  *cp = v;
  return n;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// What the log must never hold raw (common/logging.h): C1 controls, line
// and paragraph separators, bidi controls (embeddings, overrides,
// isolates, marks).
bool MustBeEscaped(uint32_t cp) {
  return (cp >= 0x80 && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029 ||
         (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) ||
         cp == 0x200E || cp == 0x200F || cp == 0x061C;
}

// b[i]: a character of `s` starts at i (bytes that are not UTF-8 are
// characters of their own); b[s.size()] too.
std::vector<bool> Boundaries(absl::string_view s) {
  std::vector<bool> b(s.size() + 1, false);
  size_t i = 0;
  while (i < s.size()) {
    b[i] = true;
    uint32_t cp;
    const size_t n = Utf8At(s, i, &cp);
    i += n == 0 ? 1 : n;
  }
  b[s.size()] = true;
  return b;
}

// `s` with every byte that is not UTF-8 replaced by U+FFFD, as JSON shows it.
std::string Replaced(absl::string_view s) {
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    uint32_t cp;
    const size_t n = Utf8At(s, i, &cp);
    if (n == 0) {
      out.append("\xEF\xBF\xBD");
      ++i;
    } else {
      out.append(s.data() + i, n);
      i += n;
    }
  }
  return out;
}

// Whether `shown` (the decoded value) is how the log may show `value`.
bool ShowsValue(absl::string_view value, absl::string_view shown, bool json) {
  const auto render = [json](absl::string_view v) {
    return json ? Replaced(v) : std::string(v);
  };
  constexpr size_t kMax = kMaxLoggedValueBytes;
  if (value.size() <= kMax) return shown == render(value);
  // Cut at the last character boundary at or before kMax (a character is
  // at most 4 bytes: no more than 3 bytes short of it).
  const std::vector<bool> b = Boundaries(value);
  size_t n = kMax;
  while (!b[n]) --n;
  return shown == render(value.substr(0, n)) +
                      absl::StrCat("...(", value.size(), " bytes)");
}

// ---- strict JSON ---------------------------------------------------------

struct JsonValue {
  enum Kind { kString, kNumber, kTrue, kFalse, kNull, kObject, kArray };
  Kind kind = kNull;
  std::string text;  // a string decoded, a number as written
};
using JsonMembers = std::vector<std::pair<std::string, JsonValue>>;

// RFC 8259, strictly: no trailing commas, no leading zeros, no raw control
// characters in strings, raw bytes valid UTF-8, \u escapes of surrogates
// only as a high-low pair. Duplicate keys are refused at the top level.
class JsonParser {
 public:
  explicit JsonParser(absl::string_view s) : s_(s) {}

  // Whether the text is exactly one object (whitespace around allowed);
  // its members in order.
  bool ParseObjectText(JsonMembers* members) {
    Ws();
    if (!Object(members, 0)) return false;
    Ws();
    return i_ == s_.size();
  }

 private:
  static constexpr int kMaxDepth = 64;

  bool AtEnd() const { return i_ >= s_.size(); }
  char Peek() const { return AtEnd() ? '\0' : s_[i_]; }
  bool Eat(char c) {
    if (AtEnd() || s_[i_] != c) return false;
    ++i_;
    return true;
  }
  void Ws() {
    while (!AtEnd() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' ||
                        s_[i_] == '\r'))
      ++i_;
  }
  static bool Digit(char c) { return c >= '0' && c <= '9'; }

  bool Object(JsonMembers* members, int depth) {
    if (depth > kMaxDepth || !Eat('{')) return false;
    Ws();
    if (Eat('}')) return true;
    for (;;) {
      Ws();
      std::string key;
      if (!String(&key)) return false;
      Ws();
      if (!Eat(':')) return false;
      Ws();
      JsonValue v;
      if (!Value(&v, depth + 1)) return false;
      if (members != nullptr) {
        for (const auto& m : *members) {
          if (m.first == key) return false;  // duplicate key
        }
        members->emplace_back(std::move(key), std::move(v));
      }
      Ws();
      if (Eat(',')) continue;
      return Eat('}');
    }
  }

  bool Array(int depth) {
    if (depth > kMaxDepth || !Eat('[')) return false;
    Ws();
    if (Eat(']')) return true;
    for (;;) {
      Ws();
      JsonValue v;
      if (!Value(&v, depth + 1)) return false;
      Ws();
      if (Eat(',')) continue;
      return Eat(']');
    }
  }

  bool Value(JsonValue* v, int depth) {
    const char c = Peek();
    if (c == '{') {
      v->kind = JsonValue::kObject;
      return Object(nullptr, depth);
    }
    if (c == '[') {
      v->kind = JsonValue::kArray;
      return Array(depth);
    }
    if (c == '"') {
      v->kind = JsonValue::kString;
      return String(&v->text);
    }
    if (c == 't') {
      v->kind = JsonValue::kTrue;
      return Literal("true");
    }
    if (c == 'f') {
      v->kind = JsonValue::kFalse;
      return Literal("false");
    }
    if (c == 'n') {
      v->kind = JsonValue::kNull;
      return Literal("null");
    }
    v->kind = JsonValue::kNumber;
    return Number(&v->text);
  }

  bool Literal(absl::string_view word) {
    if (!absl::StartsWith(s_.substr(i_), word)) return false;
    i_ += word.size();
    return true;
  }

  bool Number(std::string* out) {
    const size_t start = i_;
    Eat('-');
    if (Eat('0')) {
    } else if (!AtEnd() && s_[i_] >= '1' && s_[i_] <= '9') {
      while (Digit(Peek())) ++i_;
    } else {
      return false;
    }
    if (Eat('.')) {
      if (!Digit(Peek())) return false;
      while (Digit(Peek())) ++i_;
    }
    if (Peek() == 'e' || Peek() == 'E') {
      ++i_;
      if (Peek() == '+' || Peek() == '-') ++i_;
      if (!Digit(Peek())) return false;
      while (Digit(Peek())) ++i_;
    }
    *out = std::string(s_.substr(start, i_ - start));
    return true;
  }

  bool Hex4(uint32_t* v) {
    if (s_.size() - i_ < 4) return false;
    *v = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = s_[i_++];
      uint32_t d;
      if (c >= '0' && c <= '9') {
        d = c - '0';
      } else if (c >= 'a' && c <= 'f') {
        d = c - 'a' + 10;
      } else if (c >= 'A' && c <= 'F') {
        d = c - 'A' + 10;
      } else {
        return false;
      }
      *v = (*v << 4) | d;
    }
    return true;
  }

  bool String(std::string* out) {
    if (!Eat('"')) return false;
    for (;;) {
      if (AtEnd()) return false;
      const unsigned char c = static_cast<unsigned char>(s_[i_]);
      if (c == '"') {
        ++i_;
        return true;
      }
      if (c < 0x20) return false;
      if (c == '\\') {
        ++i_;
        if (AtEnd()) return false;
        const char e = s_[i_++];
        switch (e) {
          case '"':
          case '\\':
          case '/':
            out->push_back(e);
            continue;
          case 'b':
            out->push_back('\b');
            continue;
          case 'f':
            out->push_back('\f');
            continue;
          case 'n':
            out->push_back('\n');
            continue;
          case 'r':
            out->push_back('\r');
            continue;
          case 't':
            out->push_back('\t');
            continue;
          case 'u':
            break;
          default:
            return false;
        }
        uint32_t cp;
        if (!Hex4(&cp)) return false;
        if (cp >= 0xDC00 && cp <= 0xDFFF) return false;  // lone low half
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          uint32_t low;
          if (!Eat('\\') || !Eat('u') || !Hex4(&low) || low < 0xDC00 ||
              low > 0xDFFF) {
            return false;  // a high half without its low half
          }
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        }
        AppendUtf8(cp, out);
        continue;
      }
      uint32_t cp;
      const size_t n = Utf8At(s_, i_, &cp);
      if (n == 0) return false;
      out->append(s_.data() + i_, n);
      i_ += n;
    }
  }

  absl::string_view s_;
  size_t i_ = 0;
};

// ---- what the lines must say ---------------------------------------------

const char* ExpectedCodeName(int code) {
  static const char* const kNames[] = {
      "OK",
      "CANCELLED",
      "UNKNOWN",
      "INVALID_ARGUMENT",
      "DEADLINE_EXCEEDED",
      "NOT_FOUND",
      "ALREADY_EXISTS",
      "PERMISSION_DENIED",
      "RESOURCE_EXHAUSTED",
      "FAILED_PRECONDITION",
      "ABORTED",
      "OUT_OF_RANGE",
      "UNIMPLEMENTED",
      "INTERNAL",
      "UNAVAILABLE",
      "DATA_LOSS",
      "UNAUTHENTICATED",
  };
  return code >= 0 && code <= 16 ? kNames[code] : "UNKNOWN";
}

// Microseconds as milliseconds with three decimals; negative as 0.000.
std::string Ms(__int128 us) {
  if (us < 0) us = 0;
  const int64_t v = static_cast<int64_t>(us);
  return absl::StrFormat("%d.%03d", v / 1000, v % 1000);
}

// RFC 3339 UTC with microseconds for years 0-9999; beyond (never in
// practice) whatever absl::FormatTime makes of it.
std::string ExpectedTime(absl::Time t) {
  const absl::CivilSecond cs = absl::ToCivilSecond(t, absl::UTCTimeZone());
  if (t == absl::InfiniteFuture() || t == absl::InfinitePast() ||
      cs.year() < 0 || cs.year() > 9999) {
    return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", t, absl::UTCTimeZone());
  }
  int64_t us = absl::ToUnixMicros(t) % 1'000'000;
  if (us < 0) us += 1'000'000;
  return absl::StrFormat("%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", cs.year(),
                         cs.month(), cs.day(), cs.hour(), cs.minute(),
                         cs.second(), us);
}

struct Expected {
  const CallRecord* call;
  bool slow_line;  // the line checked is the slow one
  std::string time;
  std::string latency_ms;
  std::string part_ms[4];  // reader_wait, queue, transaction, commit
  std::string batch_ops;
  std::string other_ms;
};

const char* const kPartKeys[4] = {"reader_wait_ms", "queue_ms",
                                  "transaction_ms", "commit_ms"};

Expected MakeExpected(const CallRecord& call, const CallLogInput& in,
                      absl::Time now) {
  Expected e;
  e.call = &call;
  e.slow_line = false;
  e.time = ExpectedTime(now);
  const int64_t latency_us = absl::ToInt64Microseconds(call.latency);
  e.latency_ms = Ms(latency_us);
  // other_ms: what the latency leaves after the parts as shown (negative
  // parts show as 0), never below 0. Exact, in 128 bits.
  __int128 other = latency_us < 0 ? 0 : latency_us;
  for (int k = 0; k < 4; ++k) {
    const int64_t part =
        call.trace == nullptr ? 0 : retail::fuzz::TraceValueOf(in, k);
    e.part_ms[k] = Ms(part);
    if (part > 0) other -= part;
  }
  e.other_ms = Ms(other);
  e.batch_ops = absl::StrCat(call.trace == nullptr ? 0 : in.batch_ops);
  return e;
}

// ---- JSON lines ----------------------------------------------------------

const JsonValue& Member(const JsonMembers& m, size_t k, absl::string_view key,
                        JsonValue::Kind kind, absl::string_view line) {
  Require(k < m.size() && m[k].first == key, "JSON keys not as documented",
          line);
  Require(m[k].second.kind == kind, "JSON value of the wrong type", line);
  return m[k].second;
}

void CheckJsonLine(absl::string_view line, const Expected& e) {
  JsonMembers m;
  Require(JsonParser(line).ParseObjectText(&m),
          "JSON line is not exactly one valid object", line);
  const CallRecord& call = *e.call;
  Require(m.size() == (e.slow_line ? 16u : 10u), "JSON line has extra keys",
          line);
  using K = JsonValue;
  Require(Member(m, 0, "ts", K::kString, line).text == e.time,
          "JSON ts is not the time", line);
  Require(Member(m, 1, "level", K::kString, line).text ==
              (e.slow_line ? "WARNING" : "INFO"),
          "JSON level", line);
  Require(Member(m, 2, "msg", K::kString, line).text ==
              (e.slow_line ? "slow call" : "call"),
          "JSON msg", line);
  Require(ShowsValue(call.method, Member(m, 3, "method", K::kString, line).text,
                     true),
          "JSON method is not the call's (or not cut as documented)", line);
  Require(ShowsValue(call.principal,
                     Member(m, 4, "principal", K::kString, line).text, true),
          "JSON principal is not the call's", line);
  Require(Member(m, 5, "code", K::kString, line).text ==
              ExpectedCodeName(static_cast<int>(call.code)),
          "JSON code", line);
  Require(ShowsValue(call.reason, Member(m, 6, "reason", K::kString, line).text,
                     true),
          "JSON reason is not the call's", line);
  Require(Member(m, 7, "latency_ms", K::kNumber, line).text == e.latency_ms,
          "JSON latency_ms", line);
  Require(ShowsValue(call.request_id,
                     Member(m, 8, "request_id", K::kString, line).text, true),
          "JSON request_id is not the call's", line);
  Member(m, 9, "stream", call.stream ? K::kTrue : K::kFalse, line);
  if (!e.slow_line) return;
  for (int k = 0; k < 4; ++k) {
    Require(
        Member(m, 10 + k, kPartKeys[k], K::kNumber, line).text == e.part_ms[k],
        "JSON slow-line part", line);
  }
  Require(Member(m, 14, "batch_ops", K::kNumber, line).text == e.batch_ops,
          "JSON batch_ops", line);
  Require(Member(m, 15, "other_ms", K::kNumber, line).text == e.other_ms,
          "JSON other_ms is not the latency less the parts", line);
}

// ---- text lines ----------------------------------------------------------

bool IsBare(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' ||
         c == ':' || c == '/' || c == '@' || c == '+' || c == ',';
}

struct TextField {
  std::string key;
  std::string value;  // decoded
  bool quoted = false;
};

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A quoted value at s[*i] == '"': \" \\ \n \r \t \xHH \uHHHH escapes, raw
// UTF-8 otherwise; the decoded bytes into `out`.
bool TextQuoted(absl::string_view s, size_t* i, std::string* out) {
  if (*i >= s.size() || s[*i] != '"') return false;
  ++*i;
  while (*i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[*i]);
    if (c == '"') {
      ++*i;
      return true;
    }
    if (c < 0x20 || c == 0x7F) return false;
    if (c != '\\') {
      uint32_t cp;
      const size_t n = Utf8At(s, *i, &cp);
      if (n == 0) return false;
      out->append(s.data() + *i, n);
      *i += n;
      continue;
    }
    if (++*i >= s.size()) return false;
    const char e = s[(*i)++];
    switch (e) {
      case '"':
      case '\\':
        out->push_back(e);
        continue;
      case 'n':
        out->push_back('\n');
        continue;
      case 'r':
        out->push_back('\r');
        continue;
      case 't':
        out->push_back('\t');
        continue;
      case 'x': {
        if (s.size() - *i < 2) return false;
        const int hi = HexDigit(s[*i]), lo = HexDigit(s[*i + 1]);
        if (hi < 0 || lo < 0) return false;
        out->push_back(static_cast<char>(hi * 16 + lo));
        *i += 2;
        continue;
      }
      case 'u': {
        if (s.size() - *i < 4) return false;
        uint32_t cp = 0;
        for (int k = 0; k < 4; ++k) {
          const int d = HexDigit(s[*i + k]);
          if (d < 0) return false;
          cp = cp * 16 + d;
        }
        if (cp >= 0xD800 && cp <= 0xDFFF) return false;
        AppendUtf8(cp, out);
        *i += 4;
        continue;
      }
      default:
        return false;
    }
  }
  return false;  // no closing quote
}

// "key=value key=value ...": false unless `s` is exactly that.
bool ParseTextFields(absl::string_view s, std::vector<TextField>* fields) {
  size_t i = 0;
  for (;;) {
    size_t j = i;
    while (j < s.size() && ((s[j] >= 'a' && s[j] <= 'z') || s[j] == '_')) ++j;
    if (j == i || j >= s.size() || s[j] != '=') return false;
    TextField f;
    f.key = std::string(s.substr(i, j - i));
    i = j + 1;
    if (i < s.size() && s[i] == '"') {
      f.quoted = true;
      if (!TextQuoted(s, &i, &f.value)) return false;
    } else {
      j = i;
      while (j < s.size() && IsBare(static_cast<unsigned char>(s[j]))) ++j;
      if (j == i) return false;
      f.value = std::string(s.substr(i, j - i));
      i = j;
    }
    fields->push_back(std::move(f));
    if (i == s.size()) return true;
    if (s[i] != ' ') return false;
    ++i;
  }
}

// A caller's value as a text field: bare when it is non-empty, fits, and
// has bare characters only, else quoted; shown as documented either way.
void CheckTextValue(const TextField& f, absl::string_view value,
                    absl::string_view line) {
  bool bare = !value.empty() && value.size() <= kMaxLoggedValueBytes;
  for (size_t i = 0; bare && i < value.size(); ++i) {
    bare = IsBare(static_cast<unsigned char>(value[i]));
  }
  Require(f.quoted != bare, "text value quoted when bare or bare when not",
          line);
  Require(ShowsValue(value, f.value, false),
          "text value is not the call's (or not cut as documented)", line);
}

void CheckTextLine(absl::string_view line, const Expected& e) {
  const CallRecord& call = *e.call;
  Require(!line.empty() && line[0] == (e.slow_line ? 'W' : 'I'),
          "text severity letter", line);
  absl::string_view rest = line.substr(1);
  const size_t sp = rest.find(' ');
  Require(sp != absl::string_view::npos && rest.substr(0, sp) == e.time,
          "text time stamp is not the time", line);
  rest.remove_prefix(sp + 1);
  Require(absl::ConsumePrefix(&rest, "call_log.cc:"), "text file name", line);
  size_t digits = 0;
  while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9') {
    ++digits;
  }
  Require(digits > 0, "text line number", line);
  rest.remove_prefix(digits);
  Require(absl::ConsumePrefix(&rest, "] "), "text prefix end", line);
  Require(absl::ConsumePrefix(&rest, e.slow_line ? "slow call " : "call "),
          "text message", line);

  std::vector<TextField> fields;
  Require(ParseTextFields(rest, &fields),
          "text fields are not key=value separated by one space", line);
  // The keys this call must show, in order, each once.
  std::vector<std::string> keys = {"method", "principal", "code"};
  if (!call.reason.empty()) keys.push_back("reason");
  keys.push_back("latency_ms");
  if (!call.request_id.empty()) keys.push_back("request_id");
  if (call.stream) keys.push_back("stream");
  if (e.slow_line) {
    for (const char* k : kPartKeys) keys.push_back(k);
    keys.push_back("batch_ops");
    keys.push_back("other_ms");
  }
  Require(fields.size() == keys.size(),
          "text line has more or fewer fields than the call (a forged field?)",
          line);
  for (size_t k = 0; k < keys.size(); ++k) {
    Require(fields[k].key == keys[k], "text keys not as documented", line);
  }
  size_t k = 0;
  CheckTextValue(fields[k++], call.method, line);
  CheckTextValue(fields[k++], call.principal, line);
  Require(!fields[k].quoted &&
              fields[k].value == ExpectedCodeName(static_cast<int>(call.code)),
          "text code", line);
  ++k;
  if (!call.reason.empty()) CheckTextValue(fields[k++], call.reason, line);
  Require(!fields[k].quoted && fields[k].value == e.latency_ms,
          "text latency_ms", line);
  ++k;
  if (!call.request_id.empty()) {
    CheckTextValue(fields[k++], call.request_id, line);
  }
  if (call.stream) {
    Require(!fields[k].quoted && fields[k].value == "true", "text stream",
            line);
    ++k;
  }
  if (!e.slow_line) return;
  for (int p = 0; p < 4; ++p) {
    Require(!fields[k].quoted && fields[k].value == e.part_ms[p],
            "text slow-line part", line);
    ++k;
  }
  Require(!fields[k].quoted && fields[k].value == e.batch_ops, "text batch_ops",
          line);
  ++k;
  Require(!fields[k].quoted && fields[k].value == e.other_ms,
          "text other_ms is not the latency less the parts", line);
}

// ---- whole output --------------------------------------------------------

// Every character of a line (its '\n' taken off): UTF-8, no control
// character, nothing the log must escape.
void CheckLineCharacters(absl::string_view line) {
  Require(line.size() <= kMaxLineBytes, "line longer than its bound", line);
  size_t i = 0;
  while (i < line.size()) {
    uint32_t cp;
    const size_t n = Utf8At(line, i, &cp);
    Require(n != 0, "line is not valid UTF-8", line);
    Require(cp >= 0x20 && cp != 0x7F,
            "line holds a raw control character (or breaks early)", line);
    Require(!MustBeEscaped(cp),
            "line holds a raw C1 control, line separator or bidi control",
            line);
    i += n;
  }
}

void CheckOutput(absl::string_view out, LogFormat format, bool call_line,
                 bool slow, Expected e) {
  std::vector<absl::string_view> lines;
  size_t start = 0;
  while (start < out.size()) {
    const size_t nl = out.find('\n', start);
    Require(nl != absl::string_view::npos, "output does not end in '\\n'",
            out.substr(start));
    lines.push_back(out.substr(start, nl - start));
    start = nl + 1;
  }
  const size_t want = (call_line ? 1 : 0) + (slow ? 1 : 0);
  Require(lines.size() == want, "wrong number of lines", out);
  for (size_t k = 0; k < lines.size(); ++k) {
    CheckLineCharacters(lines[k]);
    e.slow_line = !call_line || k == 1;
    if (format == LogFormat::kJson) {
      CheckJsonLine(lines[k], e);
    } else {
      CheckTextLine(lines[k], e);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const CallLogInput in = retail::fuzz::DecodeCallLogInput(
      absl::string_view(reinterpret_cast<const char*>(data), size));
  CallTrace trace;
  trace.reader_wait_us = retail::fuzz::TraceValueOf(in, 0);
  trace.queue_us = retail::fuzz::TraceValueOf(in, 1);
  trace.transaction_us = retail::fuzz::TraceValueOf(in, 2);
  trace.commit_us = retail::fuzz::TraceValueOf(in, 3);
  trace.batch_ops = in.batch_ops;

  CallRecord call;
  call.method = in.fields[0];
  call.principal = in.fields[1];
  call.code = static_cast<absl::StatusCode>(in.code % 20);
  call.reason = in.fields[2];
  call.request_id = in.fields[3];
  call.latency = retail::fuzz::LatencyOf(in);
  call.trace = in.no_trace ? nullptr : &trace;
  call.stream = in.stream;

  const absl::Time now = retail::fuzz::TimeOf(in);
  const absl::Duration threshold = absl::Milliseconds(4 * in.slow_step);
  const bool slow =
      threshold > absl::ZeroDuration() && call.latency > threshold;
  const Expected expected = MakeExpected(call, in, now);

  for (LogFormat format : {LogFormat::kText, LogFormat::kJson}) {
    g_context = absl::StrFormat(
        "  format %s, code %d, latency %s, slow threshold %s, time %s, "
        "trace %s, stream %d, calls %s",
        format == LogFormat::kJson ? "json" : "text", in.code % 20,
        absl::FormatDuration(call.latency), absl::FormatDuration(threshold),
        absl::FormatTime(now), in.no_trace ? "none" : "set", in.stream,
        in.calls_off ? "off" : "on");
    CallLogOptions options;
    options.enabled = !in.calls_off;
    options.format = format;
    options.slow_threshold = threshold;
    options.now = [now] { return now; };
    std::ostringstream written;
    std::string lines;
    {
      CallLog log(options, &written);
      lines = log.Format(call, now);
      log.OnCallDone(call);
    }
    Require(written.str() == lines, "OnCallDone wrote other lines than Format",
            written.str());
    CheckOutput(lines, format, options.enabled, slow, expected);
  }
  return 0;
}

// UBSan findings (an overflow in the formatter's arithmetic) abort, in the
// ctest replays too, not only under scripts/fuzz's UBSAN_OPTIONS.
extern "C" const char* __ubsan_default_options() {
  return "halt_on_error=1:print_stacktrace=1";
}
