#ifndef RETAIL_CLIENT_FIELD_FORMAT_H_
#define RETAIL_CLIENT_FIELD_FORMAT_H_

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <string>
#include <utility>
#include <vector>

namespace retail::cli {

// Turns protobuf values into the short strings a person reads in a table.
// Reflection-based so that every area's resources print without per-type
// code: timestamps as RFC 3339 UTC, retail.common.v1.Date as YYYY-MM-DD,
// Money as "12.34 CNY", enums without their type prefix ("VIP", not
// "CUSTOMER_TIER_VIP"), repeated scalars joined with ", ".

// Formats one field of `message`. Unset message fields give "".
std::string FormatField(const google::protobuf::Message& message,
                        const google::protobuf::FieldDescriptor* field);

// Flattens `message` into (key, value) rows in declaration order. Nested
// messages become dotted keys ("preferences.sizes"); unset messages and
// empty repeated fields are left out, scalars are always shown so that a
// zero balance or an empty email is visible.
std::vector<std::pair<std::string, std::string>> FlattenMessage(
    const google::protobuf::Message& message);

}  // namespace retail::cli

#endif  // RETAIL_CLIENT_FIELD_FORMAT_H_
