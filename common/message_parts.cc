#include "common/message_parts.h"

#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/coded_stream.h"

namespace retail {
namespace {

using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::Message;
using ::google::protobuf::Reflection;

// Bytes a length-delimited element of `payload` bytes takes on the wire.
size_t DelimitedSize(const FieldDescriptor* f, size_t payload) {
  const size_t tag = google::protobuf::io::CodedOutputStream::VarintSize32(
      static_cast<uint32_t>(f->number()) << 3);
  return tag + google::protobuf::io::CodedOutputStream::VarintSize64(payload) +
         payload;
}

}  // namespace

std::vector<std::unique_ptr<Message>> SplitIntoParts(const Message& whole,
                                                     size_t max_bytes) {
  const Reflection* r = whole.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(whole, &fields);  // set fields, in field-number order
  std::vector<std::unique_ptr<Message>> parts;
  // The first part: `whole` without the repeated fields that are split.
  parts.emplace_back(whole.New());
  Message* current = parts.back().get();
  current->CopyFrom(whole);
  const auto splittable = [](const FieldDescriptor* f) {
    return f->is_repeated() && !f->is_map() &&
           (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE ||
            f->cpp_type() == FieldDescriptor::CPPTYPE_STRING);
  };
  for (const FieldDescriptor* f : fields) {
    if (splittable(f)) current->GetReflection()->ClearField(current, f);
  }
  // Packed scalars and maps stay whole in the first part: they are small in
  // the messages we split.
  size_t size = current->ByteSizeLong();
  for (const FieldDescriptor* f : fields) {
    if (!splittable(f)) continue;
    const int n = r->FieldSize(whole, f);
    for (int i = 0; i < n; ++i) {
      const bool is_message = f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE;
      std::string scratch;
      const size_t bytes = DelimitedSize(
          f, is_message
                 ? r->GetRepeatedMessage(whole, f, i).ByteSizeLong()
                 : r->GetRepeatedStringReference(whole, f, i, &scratch).size());
      if (size > 0 && size + bytes > max_bytes) {
        parts.emplace_back(whole.New());
        current = parts.back().get();
        size = 0;
      }
      const Reflection* cr = current->GetReflection();
      if (is_message) {
        cr->AddMessage(current, f)
            ->CopyFrom(r->GetRepeatedMessage(whole, f, i));
      } else {
        cr->AddString(current, f, r->GetRepeatedString(whole, f, i));
      }
      size += bytes;
    }
  }
  return parts;
}

}  // namespace retail
