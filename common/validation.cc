#include "common/validation.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "google/protobuf/util/time_util.h"

namespace retail {

namespace {

// Decodes the code point that starts at s[i] into `*cp` and returns its
// length in bytes, or 0 if the bytes there are not valid UTF-8: truncated,
// a stray continuation byte, an overlong form, a surrogate or past U+10FFFF.
int DecodeUtf8(absl::string_view s, size_t i, uint32_t* cp) {
  const unsigned char c = static_cast<unsigned char>(s[i]);
  int len;
  if (c < 0x80) {
    *cp = c;
    return 1;
  } else if ((c & 0xE0) == 0xC0) {
    len = 2;
    *cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3;
    *cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4;
    *cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (int k = 1; k < len; ++k) {
    const unsigned char cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xC0) != 0x80) return 0;
    *cp = (*cp << 6) | (cc & 0x3F);
  }
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (*cp < kMin[len] || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF)) {
    return 0;
  }
  return len;
}

bool IsContinuationByte(char c) {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

bool IsLineBreak(uint32_t cp) {
  return cp == '\n' || cp == '\r' || cp == 0x85 || cp == 0x2028 || cp == 0x2029;
}

// C0 controls but tab, DEL and C1 controls. Line breaks are among them, but
// single-line checks report those with their own rule first.
bool IsControl(uint32_t cp) {
  return (cp < 0x20 && cp != '\t') || (cp >= 0x7F && cp <= 0x9F);
}

// Controls that reorder the text around them (Trojan Source, CVE-2021-42574):
// "\u202Egnp.exe" displays as "exe.png".
bool IsBidiControl(uint32_t cp) {
  return cp == 0x200E || cp == 0x200F || cp == 0x061C ||
         (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

// The combining diacritical mark blocks. Marks of other scripts (Devanagari
// vowel signs, ...) are visible on their own, so they are not listed.
bool IsCombiningMark(uint32_t cp) {
  return (cp >= 0x0300 && cp <= 0x036F) || (cp >= 0x1AB0 && cp <= 0x1AFF) ||
         (cp >= 0x1DC0 && cp <= 0x1DFF) || (cp >= 0x20D0 && cp <= 0x20FF) ||
         (cp >= 0xFE20 && cp <= 0xFE2F);
}

// What TrimUnicodeSpace removes: Unicode White_Space and the zero-width
// format characters editors and web forms leave at the ends of pasted text.
bool IsTrimmable(uint32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 ||
         cp == 0x1680 || cp == 0x180E || (cp >= 0x2000 && cp <= 0x200D) ||
         cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F ||
         cp == 0x2060 || cp == 0x3000 || cp == 0xFEFF;
}

// Characters that draw nothing on their own: everything trimmable, controls,
// bidi controls, combining marks, and the default-ignorable or blank-looking
// characters people use for "empty" names (soft hyphen, Hangul fillers,
// variation selectors, tags, the blank Braille pattern, ...).
bool IsInvisible(uint32_t cp) {
  return IsTrimmable(cp) || IsControl(cp) || IsBidiControl(cp) ||
         IsCombiningMark(cp) || cp == 0xAD || cp == 0x034F || cp == 0x115F ||
         cp == 0x1160 || cp == 0x17B4 || cp == 0x17B5 ||
         (cp >= 0x180B && cp <= 0x180F) || (cp >= 0x2061 && cp <= 0x2064) ||
         (cp >= 0x206A && cp <= 0x206F) || cp == 0x2800 || cp == 0x3164 ||
         (cp >= 0xFE00 && cp <= 0xFE0F) || cp == 0xFFA0 ||
         (cp >= 0xFFF9 && cp <= 0xFFFB) || (cp >= 0x1D173 && cp <= 0x1D17A) ||
         (cp >= 0xE0000 && cp <= 0xE007F) || (cp >= 0xE0100 && cp <= 0xE01EF);
}

// Adds the length rule's violation, if any, for a value of `len` characters.
void CheckLength(ViolationCollector& v, absl::string_view field, size_t len,
                 size_t min_chars, size_t max_chars) {
  if (len < min_chars) {
    v.Add(field, min_chars == 1 ? std::string("is required")
                                : absl::StrCat("must have at least ", min_chars,
                                               " characters"));
  } else if (len > max_chars) {
    v.Add(field, absl::StrCat("must have at most ", max_chars, " characters"));
  }
}

}  // namespace

std::optional<size_t> Utf8Length(absl::string_view s) {
  size_t count = 0;
  size_t i = 0;
  while (i < s.size()) {
    uint32_t cp;
    const int len = DecodeUtf8(s, i, &cp);
    if (len == 0) return std::nullopt;
    i += len;
    ++count;
  }
  return count;
}

void CheckText(ViolationCollector& v, absl::string_view field,
               absl::string_view value, size_t min_chars, size_t max_chars) {
  const std::optional<size_t> len = Utf8Length(value);
  if (!len) {
    v.Add(field, "must be valid UTF-8");
    return;
  }
  // C0 controls (but tab and newline), DEL, and C1 controls U+0080..U+009F,
  // which UTF-8 encodes as 0xC2 0x80..0x9F.
  for (size_t i = 0; i < value.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(value[i]);
    const bool c1 = c == 0xC2 && i + 1 < value.size() &&
                    static_cast<unsigned char>(value[i + 1]) <= 0x9F;
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7F || c1) {
      v.Add(field, "must not contain control characters");
      return;
    }
  }
  CheckLength(v, field, *len, min_chars, max_chars);
}

absl::string_view TrimUnicodeSpace(absl::string_view s) {
  uint32_t cp;
  size_t begin = 0;
  while (begin < s.size()) {
    const int len = DecodeUtf8(s, begin, &cp);
    if (len == 0 || !IsTrimmable(cp)) break;
    begin += len;
  }
  size_t end = s.size();
  while (end > begin) {
    // The last character starts at most 3 continuation bytes back.
    size_t start = end - 1;
    while (start > begin && end - start < 4 && IsContinuationByte(s[start])) {
      --start;
    }
    const int len = DecodeUtf8(s, start, &cp);
    if (len == 0 || start + len != end || !IsTrimmable(cp)) break;
    end = start;
  }
  return s.substr(begin, end - begin);
}

void CheckSingleLineText(ViolationCollector& v, absl::string_view field,
                         absl::string_view value, size_t min_chars,
                         size_t max_chars) {
  // One violation per field, the most specific first: a name with a line
  // break is told about the line break, not about "control characters".
  size_t chars = 0;
  bool line_break = false;
  bool control = false;
  bool bidi = false;
  bool visible = false;
  uint32_t first = 0;
  for (size_t i = 0; i < value.size();) {
    uint32_t cp;
    const int len = DecodeUtf8(value, i, &cp);
    if (len == 0) {
      v.Add(field, "must be valid UTF-8");
      return;
    }
    if (chars == 0) first = cp;
    line_break = line_break || IsLineBreak(cp);
    control = control || IsControl(cp);
    bidi = bidi || IsBidiControl(cp);
    visible = visible || !IsInvisible(cp);
    i += len;
    ++chars;
  }
  if (line_break) {
    v.Add(field, "must not contain line breaks");
  } else if (control) {
    v.Add(field, "must not contain control characters");
  } else if (bidi) {
    v.Add(field, "must not contain bidirectional control characters");
  } else if (chars > 0 && !visible) {
    v.Add(field,
          "must contain a visible character, not only spaces, invisible "
          "characters or combining marks");
  } else if (chars > 0 && IsCombiningMark(first)) {
    v.Add(field, "must not start with a combining mark");
  } else {
    CheckLength(v, field, chars, min_chars, max_chars);
  }
}

absl::string_view TruncateUtf8(absl::string_view s, size_t max_bytes) {
  if (s.size() <= max_bytes) return s;
  if (max_bytes == 0) return s.substr(0, 0);
  // Find the lead byte of the last character kept: at most 3 continuation
  // bytes back. If its sequence needs more bytes than fit, it goes whole.
  size_t lead = max_bytes - 1;
  while (lead > 0 && max_bytes - lead < 4 && IsContinuationByte(s[lead])) {
    --lead;
  }
  const unsigned char c = static_cast<unsigned char>(s[lead]);
  const size_t need = (c & 0xE0) == 0xC0   ? 2
                      : (c & 0xF0) == 0xE0 ? 3
                      : (c & 0xF8) == 0xF0 ? 4
                                           : 1;
  return s.substr(0, lead + need > max_bytes ? lead : max_bytes);
}

void CheckRequestId(ViolationCollector& v, absl::string_view field,
                    absl::string_view value) {
  constexpr absl::string_view kRule =
      "is required: 8 to 64 characters of A-Z a-z 0-9 _ -, e.g. a UUID; "
      "reuse it when retrying";
  if (value.size() < 8 || value.size() > 64) {
    v.Add(field, kRule);
    return;
  }
  for (char c : value) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' &&
        c != '_') {
      v.Add(field, kRule);
      return;
    }
  }
}

void CheckId(ViolationCollector& v, absl::string_view field,
             absl::string_view value) {
  if (value.empty()) {
    v.Add(field, "is required");
    return;
  }
  bool ok = value.size() <= 64;
  for (char c : value) {
    ok = ok && (absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
                c == '-' || c == '_');
  }
  if (!ok) v.Add(field, "must be 1 to 64 characters of A-Z a-z 0-9 _ -");
}

std::optional<std::string> NormalizePhone(absl::string_view raw) {
  std::string digits;
  bool plus = false;
  for (size_t i = 0; i < raw.size(); ++i) {
    const char c = raw[i];
    if (c == ' ' || c == '-') continue;
    if (c == '+' && digits.empty() && !plus) {
      plus = true;
    } else if (c >= '0' && c <= '9') {
      digits += c;
    } else {
      return std::nullopt;
    }
  }
  auto is_cn_mobile = [](absl::string_view d) {
    return d.size() == 11 && d[0] == '1' && d[1] >= '3' && d[1] <= '9';
  };
  if (!plus) {
    if (is_cn_mobile(digits)) return digits;
    return std::nullopt;
  }
  if (digits.size() == 13 && digits.substr(0, 2) == "86") {
    absl::string_view national = absl::string_view(digits).substr(2);
    if (is_cn_mobile(national)) return std::string(national);
    // 11 national digits after +86 must be a mobile; other +86 numbers
    // (landlines such as +86 10 8765 4321) follow the E.164 rule below.
    return std::nullopt;
  }
  if (digits.size() < 8 || digits.size() > 15 || digits[0] == '0') {
    return std::nullopt;
  }
  return "+" + digits;
}

std::optional<std::string> NormalizeEmail(absl::string_view raw) {
  const std::string email =
      absl::AsciiStrToLower(absl::StripAsciiWhitespace(raw));
  if (email.size() > 254) return std::nullopt;
  const size_t at = email.find('@');
  if (at == std::string::npos || at == 0 || at > 64 ||
      email.find('@', at + 1) != std::string::npos) {
    return std::nullopt;
  }
  absl::string_view local = absl::string_view(email).substr(0, at);
  absl::string_view domain = absl::string_view(email).substr(at + 1);
  for (char c : local) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) &&
        absl::string_view("!#$%&'*+/=?^_`{|}~.-").find(c) ==
            absl::string_view::npos) {
      return std::nullopt;
    }
  }
  if (local.front() == '.' || local.back() == '.' ||
      local.find("..") != absl::string_view::npos) {
    return std::nullopt;
  }
  // Domain: dot-separated labels of [a-z0-9-], not starting or ending with
  // '-', at least two labels.
  if (domain.empty() || domain.find('.') == absl::string_view::npos) {
    return std::nullopt;
  }
  size_t label_len = 0;
  char prev = '.';
  for (char c : domain) {
    if (c == '.') {
      if (label_len == 0 || prev == '-') return std::nullopt;
      label_len = 0;
    } else if (absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-') {
      if (label_len == 0 && c == '-') return std::nullopt;
      if (++label_len > 63) return std::nullopt;
    } else {
      return std::nullopt;
    }
    prev = c;
  }
  if (label_len == 0 || prev == '-') return std::nullopt;
  return email;
}

void CheckPastDate(ViolationCollector& v, absl::string_view field,
                   const common::v1::Date& date, int64_t today_micros) {
  const absl::CivilDay day(date.year(), date.month(), date.day());
  if (date.year() < 1900 || date.year() > 9999 || day.year() != date.year() ||
      day.month() != date.month() || day.day() != date.day()) {
    v.Add(field, "must be a real calendar date (year 1900 or later)");
    return;
  }
  const absl::CivilDay today =
      absl::ToCivilDay(absl::FromUnixMicros(today_micros), absl::UTCTimeZone());
  if (day > today) v.Add(field, "must not be in the future");
}

int32_t DateToInt(const common::v1::Date& date) {
  return date.year() * 10000 + date.month() * 100 + date.day();
}

common::v1::Date IntToDate(int32_t yyyymmdd) {
  common::v1::Date date;
  date.set_year(yyyymmdd / 10000);
  date.set_month(yyyymmdd / 100 % 100);
  date.set_day(yyyymmdd % 100);
  return date;
}

std::string MaskPhone(absl::string_view phone) {
  if (phone.empty()) return "";
  const bool plus = phone[0] == '+';
  absl::string_view digits = plus ? phone.substr(1) : phone;
  if (digits.size() <= 7) return std::string(phone.size(), '*');
  return absl::StrCat(plus ? "+" : "", digits.substr(0, 3),
                      std::string(digits.size() - 7, '*'),
                      digits.substr(digits.size() - 4));
}

std::string MaskEmail(absl::string_view email) {
  const size_t at = email.find('@');
  if (at == absl::string_view::npos || at == 0) return "***";
  return absl::StrCat(email.substr(0, 1), "***", email.substr(at));
}

std::string MaskName(absl::string_view name) {
  if (name.empty()) return "";
  uint32_t cp;
  // A byte that is not valid UTF-8 counts as one character (names are
  // validated on the way in; this only must not crash on old data).
  const int first = std::max(1, DecodeUtf8(name, 0, &cp));
  std::string out(name.substr(0, first));
  for (size_t i = first; i < name.size();) {
    i += std::max(1, DecodeUtf8(name, i, &cp));
    out.push_back('*');
  }
  return out;
}

std::string MaskAddress(absl::string_view address) {
  constexpr int kShownChars = 6;
  uint32_t cp;
  size_t end = 0;
  for (int chars = 0; chars < kShownChars && end < address.size(); ++chars) {
    end += std::max(1, DecodeUtf8(address, end, &cp));
  }
  if (end >= address.size()) return std::string(address);  // nothing to hide
  return absl::StrCat(address.substr(0, end), "***");
}

std::optional<int64_t> CheckTimestamp(ViolationCollector& v,
                                      absl::string_view field,
                                      const google::protobuf::Timestamp& t) {
  using ::google::protobuf::util::TimeUtil;
  if (t.seconds() < TimeUtil::kTimestampMinSeconds ||
      t.seconds() > TimeUtil::kTimestampMaxSeconds || t.nanos() < 0 ||
      t.nanos() > 999'999'999) {
    v.Add(field, "must be a valid timestamp (years 1 to 9999)");
    return std::nullopt;
  }
  return TimeUtil::TimestampToMicroseconds(t);
}

std::optional<absl::CivilDay> CheckDate(ViolationCollector& v,
                                        absl::string_view field, bool present,
                                        const common::v1::Date& d) {
  if (!present) {
    v.Add(field, "is required");
    return std::nullopt;
  }
  const absl::CivilDay day(d.year(), d.month(), d.day());
  if (d.year() < 1900 || d.year() > 9999 || day.year() != d.year() ||
      day.month() != d.month() || day.day() != d.day()) {
    v.Add(field, "must be a real calendar date (years 1900 to 9999)");
    return std::nullopt;
  }
  return day;
}

}  // namespace retail
