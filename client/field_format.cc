#include "client/field_format.h"

#include <cctype>
#include <cstdint>
#include <cstdlib>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace retail::cli {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumValueDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// "CustomerTier" -> "CUSTOMER_TIER_", the prefix AIP-126 puts on values.
std::string EnumValuePrefix(absl::string_view type_name) {
  std::string prefix;
  for (size_t i = 0; i < type_name.size(); ++i) {
    const char c = type_name[i];
    if (i > 0 && std::isupper(static_cast<unsigned char>(c)) &&
        !std::isupper(static_cast<unsigned char>(type_name[i - 1]))) {
      prefix.push_back('_');
    }
    prefix.push_back(
        static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  prefix.push_back('_');
  return prefix;
}

std::string FormatEnum(const EnumValueDescriptor* value) {
  absl::string_view name = value->name();
  const std::string prefix = EnumValuePrefix(value->type()->name());
  if (absl::StartsWith(name, prefix) && name.size() > prefix.size()) {
    name.remove_prefix(prefix.size());
  }
  return std::string(name);
}

// Currencies whose minor unit is the major unit (ISO 4217 exponent 0); all
// others we deal in have two decimals.
int CurrencyExponent(absl::string_view code) {
  return (code == "JPY" || code == "KRW") ? 0 : 2;
}

bool IsWellKnownValue(const Descriptor* type) {
  const std::string& name = type->full_name();
  return name == "google.protobuf.Timestamp" ||
         name == "retail.common.v1.Date" || name == "retail.common.v1.Money";
}

// Formats a message that reads as one value (see IsWellKnownValue); other
// messages fall back to their compact text form.
std::string FormatValueMessage(const Message& message, ZoneSource zone) {
  const Descriptor* type = message.GetDescriptor();
  const Reflection* reflection = message.GetReflection();
  auto int_field = [&](const char* name) -> int64_t {
    const FieldDescriptor* field = type->FindFieldByName(name);
    if (field == nullptr) return 0;
    return field->cpp_type() == FieldDescriptor::CPPTYPE_INT64
               ? reflection->GetInt64(message, field)
               : reflection->GetInt32(message, field);
  };
  const std::string& name = type->full_name();
  if (name == "google.protobuf.Timestamp") {
    const absl::Time time = absl::FromUnixSeconds(int_field("seconds")) +
                            absl::Nanoseconds(int_field("nanos"));
    return FormatTimestamp(time, zone());
  }
  if (name == "retail.common.v1.Date") {
    return absl::StrFormat("%04d-%02d-%02d", int_field("year"),
                           int_field("month"), int_field("day"));
  }
  if (name == "retail.common.v1.Money") {
    const std::string code =
        reflection->GetString(message, type->FindFieldByName("currency_code"));
    const int64_t minor = int_field("minor_units");
    const int exponent = CurrencyExponent(code);
    if (exponent == 0) return absl::StrCat(minor, " ", code);
    const uint64_t magnitude =
        minor < 0 ? 0 - static_cast<uint64_t>(minor) : minor;
    return absl::StrFormat("%s%d.%02d %s", minor < 0 ? "-" : "",
                           magnitude / 100, magnitude % 100, code);
  }
  return message.ShortDebugString();
}

std::string FormatSingular(const Message& message, const FieldDescriptor* field,
                           ZoneSource zone) {
  const Reflection* r = message.GetReflection();
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      return absl::StrCat(r->GetInt32(message, field));
    case FieldDescriptor::CPPTYPE_INT64:
      return absl::StrCat(r->GetInt64(message, field));
    case FieldDescriptor::CPPTYPE_UINT32:
      return absl::StrCat(r->GetUInt32(message, field));
    case FieldDescriptor::CPPTYPE_UINT64:
      return absl::StrCat(r->GetUInt64(message, field));
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return absl::StrCat(r->GetDouble(message, field));
    case FieldDescriptor::CPPTYPE_FLOAT:
      return absl::StrCat(r->GetFloat(message, field));
    case FieldDescriptor::CPPTYPE_BOOL:
      return r->GetBool(message, field) ? "true" : "false";
    case FieldDescriptor::CPPTYPE_ENUM:
      return FormatEnum(r->GetEnum(message, field));
    case FieldDescriptor::CPPTYPE_STRING:
      if (field->type() == FieldDescriptor::TYPE_BYTES) {
        return absl::StrCat("<", r->GetString(message, field).size(),
                            " bytes>");
      }
      return r->GetString(message, field);
    case FieldDescriptor::CPPTYPE_MESSAGE:
      if (!r->HasField(message, field)) return "";
      return FormatValueMessage(r->GetMessage(message, field), zone);
  }
  return "";
}

std::string FormatRepeatedElement(const Message& message,
                                  const FieldDescriptor* field, int index,
                                  ZoneSource zone) {
  const Reflection* r = message.GetReflection();
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      return absl::StrCat(r->GetRepeatedInt32(message, field, index));
    case FieldDescriptor::CPPTYPE_INT64:
      return absl::StrCat(r->GetRepeatedInt64(message, field, index));
    case FieldDescriptor::CPPTYPE_UINT32:
      return absl::StrCat(r->GetRepeatedUInt32(message, field, index));
    case FieldDescriptor::CPPTYPE_UINT64:
      return absl::StrCat(r->GetRepeatedUInt64(message, field, index));
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return absl::StrCat(r->GetRepeatedDouble(message, field, index));
    case FieldDescriptor::CPPTYPE_FLOAT:
      return absl::StrCat(r->GetRepeatedFloat(message, field, index));
    case FieldDescriptor::CPPTYPE_BOOL:
      return r->GetRepeatedBool(message, field, index) ? "true" : "false";
    case FieldDescriptor::CPPTYPE_ENUM:
      return FormatEnum(r->GetRepeatedEnum(message, field, index));
    case FieldDescriptor::CPPTYPE_STRING:
      return r->GetRepeatedString(message, field, index);
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return FormatValueMessage(r->GetRepeatedMessage(message, field, index),
                                zone);
  }
  return "";
}

void Flatten(const Message& message, const std::string& prefix, ZoneSource zone,
             std::vector<std::pair<std::string, std::string>>* rows) {
  const Descriptor* type = message.GetDescriptor();
  const Reflection* r = message.GetReflection();
  for (int i = 0; i < type->field_count(); ++i) {
    const FieldDescriptor* field = type->field(i);
    const std::string key = prefix + field->name();
    const bool nested = field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
                        !IsWellKnownValue(field->message_type());
    if (field->is_repeated()) {
      const int size = r->FieldSize(message, field);
      if (size == 0) continue;
      if (!nested) {
        rows->emplace_back(key, FormatField(message, field, zone));
        continue;
      }
      for (int j = 0; j < size; ++j) {
        Flatten(r->GetRepeatedMessage(message, field, j),
                absl::StrCat(key, "[", j, "]."), zone, rows);
      }
    } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (!r->HasField(message, field)) continue;
      if (nested) {
        Flatten(r->GetMessage(message, field), key + ".", zone, rows);
      } else {
        rows->emplace_back(key, FormatSingular(message, field, zone));
      }
    } else {
      rows->emplace_back(key, FormatSingular(message, field, zone));
    }
  }
}

}  // namespace

std::string FormatTimestamp(absl::Time time, absl::TimeZone zone) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%S %Ez", time, zone);
}

std::string FormatField(const Message& message, const FieldDescriptor* field,
                        ZoneSource zone) {
  if (!field->is_repeated()) return FormatSingular(message, field, zone);
  std::vector<std::string> parts;
  const int size = message.GetReflection()->FieldSize(message, field);
  for (int i = 0; i < size; ++i) {
    parts.push_back(FormatRepeatedElement(message, field, i, zone));
  }
  return absl::StrJoin(parts, ", ");
}

std::vector<std::pair<std::string, std::string>> FlattenMessage(
    const Message& message, ZoneSource zone) {
  std::vector<std::pair<std::string, std::string>> rows;
  Flatten(message, "", zone, &rows);
  return rows;
}

}  // namespace retail::cli
