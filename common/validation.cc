#include "common/validation.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace retail {

std::optional<size_t> Utf8Length(absl::string_view s) {
  size_t count = 0;
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    int len;
    uint32_t cp;
    if (c < 0x80) {
      len = 1;
      cp = c;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return std::nullopt;
    }
    if (i + len > s.size()) return std::nullopt;
    for (int k = 1; k < len; ++k) {
      const unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return std::nullopt;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Reject overlong forms, surrogates and values past U+10FFFF.
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return std::nullopt;
    }
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
  if (*len < min_chars) {
    v.Add(field, min_chars == 1 ? std::string("is required")
                                : absl::StrCat("must have at least ", min_chars,
                                               " characters"));
  } else if (*len > max_chars) {
    v.Add(field, absl::StrCat("must have at most ", max_chars, " characters"));
  }
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

}  // namespace retail
