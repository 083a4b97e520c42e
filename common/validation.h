// Field rules shared by every service, so the same rule has the same wording
// everywhere. Each check appends to a ViolationCollector under the request
// path of the field (e.g. "customer.phone") instead of returning early, so
// one answer names every bad field.
#ifndef RETAIL_COMMON_VALIDATION_H_
#define RETAIL_COMMON_VALIDATION_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "common/status.h"
#include "google/protobuf/timestamp.pb.h"
#include "retail/common/v1/common.pb.h"

namespace retail {

// Number of Unicode code points in `s`, or nullopt if `s` is not valid UTF-8.
std::optional<size_t> Utf8Length(absl::string_view s);

// Text: valid UTF-8, no control characters, min..max code points.
void CheckText(ViolationCollector& v, absl::string_view field,
               absl::string_view value, size_t min_chars, size_t max_chars);

// `s` without leading and trailing Unicode whitespace (ASCII whitespace,
// U+0085, NBSP, U+1680, U+2000..U+200A, U+2028, U+2029, U+202F, U+205F,
// U+3000) and invisible format characters (U+180E, U+200B..U+200D, U+2060,
// U+FEFF). absl::StripAsciiWhitespace leaves these, so a name pasted with an
// ideographic space or a zero-width space would otherwise keep them. Stops at
// the first byte that is not valid UTF-8 from either end.
absl::string_view TrimUnicodeSpace(absl::string_view s);

// A one-line label that people read, such as a display name: what CheckText
// checks, and also none of
//   - line breaks (LF, CR, U+0085, U+2028, U+2029),
//   - bidirectional controls (U+200E, U+200F, U+061C, U+202A..U+202E,
//     U+2066..U+2069), which can make a name display as some other text,
//   - a leading combining mark (it would attach to whatever precedes the
//     name on screen),
// and, unless empty, at least one visible character: a value of only
// whitespace, invisible format characters and combining marks is rejected.
// Empty passes when `min_chars` is 0. Trim with TrimUnicodeSpace first.
void CheckSingleLineText(ViolationCollector& v, absl::string_view field,
                         absl::string_view value, size_t min_chars,
                         size_t max_chars);

// The longest prefix of `s` of at most `max_bytes` bytes that does not end
// inside a UTF-8 sequence, e.g. for bounding text copied into logs or
// fixed-size columns. Bytes that are not valid UTF-8 are treated as single
// characters.
absl::string_view TruncateUtf8(absl::string_view s, size_t max_bytes);

// request_id (AIP-155): 8..64 characters of [A-Za-z0-9_-]; required.
void CheckRequestId(ViolationCollector& v, absl::string_view field,
                    absl::string_view value);

// An id chosen by people or systems (branch ids, resource ids): 1..64
// characters of [A-Za-z0-9_-]. Required.
void CheckId(ViolationCollector& v, absl::string_view field,
             absl::string_view value);

// A phone number: a Chinese mobile number (11 digits starting 1[3-9], with
// or without +86) or E.164 (+ and 8..15 digits). Spaces and dashes are
// ignored. Returns the canonical form: Chinese mobiles as their 11 digits,
// others as +<digits>. Empty input is an error; callers decide optionality.
std::optional<std::string> NormalizePhone(absl::string_view raw);
inline constexpr absl::string_view kPhoneRule =
    "must be a Chinese mobile number (11 digits starting with 1) or E.164 "
    "(+ and 8 to 15 digits)";

// A timestamp a caller sent, as UTC microseconds; adds a violation (and
// returns nullopt) unless it is a valid google.protobuf.Timestamp (years 1
// to 9999, nanos 0..999,999,999), so converting it cannot overflow.
std::optional<int64_t> CheckTimestamp(ViolationCollector& v,
                                      absl::string_view field,
                                      const google::protobuf::Timestamp& t);

// A calendar date a caller sent (`present`: whether the field was set);
// adds a violation unless it is set and a real date in years 1900..9999.
std::optional<absl::CivilDay> CheckDate(ViolationCollector& v,
                                        absl::string_view field, bool present,
                                        const common::v1::Date& d);

// An email address, lower-cased; nullopt if malformed.
std::optional<std::string> NormalizeEmail(absl::string_view raw);
inline constexpr absl::string_view kEmailRule =
    "must be a well-formed address like name@example.com (at most 254 "
    "characters)";

// A real calendar date from 1900-01-01 up to `today_micros` (UTC).
void CheckPastDate(ViolationCollector& v, absl::string_view field,
                   const common::v1::Date& date, int64_t today_micros);

// Dates as yyyymmdd integers, the stored form.
int32_t DateToInt(const common::v1::Date& date);
common::v1::Date IntToDate(int32_t yyyymmdd);

// Masks for roles that may not see personal data: 138****5678,
// z***@example.com, and 张** (a name's first character, then one '*' per
// further character: enough to greet or recognise, not to identify).
std::string MaskPhone(absl::string_view phone);
std::string MaskEmail(absl::string_view email);
std::string MaskName(absl::string_view name);
// An address's first 6 characters (the city or district), then "***":
// enough to route a question, not to find the door.
std::string MaskAddress(absl::string_view address);

}  // namespace retail

#endif  // RETAIL_COMMON_VALIDATION_H_
