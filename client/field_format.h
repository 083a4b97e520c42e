#ifndef RETAIL_CLIENT_FIELD_FORMAT_H_
#define RETAIL_CLIENT_FIELD_FORMAT_H_

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/time/time.h"

namespace retail::cli {

// Turns protobuf values into the short strings a person reads in a table.
// Reflection-based so that every area's resources print without per-type
// code: timestamps via FormatTimestamp(), retail.common.v1.Date as
// YYYY-MM-DD, Money as "12.34 CNY", enums without their type prefix ("VIP",
// not "CUSTOMER_TIER_VIP"), repeated scalars joined with ", ".
// (JSON output does not come through here: it stays RFC 3339 UTC.)

// Supplies the zone that timestamps are shown in. Called only when a
// timestamp is about to be formatted, so the caller can look the zone up
// lazily and a result without timestamps never costs a lookup.
using ZoneSource = absl::FunctionRef<absl::TimeZone()>;

// The one format of a timestamp in table output: local time in `zone` with
// its UTC offset, "2026-12-01 15:19:12 +08:00". The offset keeps the value
// unambiguous when the agent is not in the chain's zone, or when the zone
// fell back to UTC.
std::string FormatTimestamp(absl::Time time, absl::TimeZone zone);

// Formats one field of `message`. Unset message fields give "".
std::string FormatField(const google::protobuf::Message& message,
                        const google::protobuf::FieldDescriptor* field,
                        ZoneSource zone);

// Flattens `message` into (key, value) rows in declaration order. Nested
// messages become dotted keys ("preferences.sizes"); unset messages and
// empty repeated fields are left out, scalars are always shown so that a
// zero balance or an empty email is visible.
std::vector<std::pair<std::string, std::string>> FlattenMessage(
    const google::protobuf::Message& message, ZoneSource zone);

}  // namespace retail::cli

#endif  // RETAIL_CLIENT_FIELD_FORMAT_H_
