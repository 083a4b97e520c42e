// A method's full name comes from the generated descriptors, never from a
// second string literal: the audit row, the request_id key, the access table
// and the gRPC route all derive from the same MethodDescriptor, so a typo
// cannot silently split them.
#ifndef RETAIL_COMMON_METHOD_H_
#define RETAIL_COMMON_METHOD_H_

#include <string>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"

namespace retail {

// "pkg.Service/Method", the form used in audit rows, request_id keys, the
// auth config's methods= lists and error messages.
inline std::string FullMethodName(const google::protobuf::MethodDescriptor& m) {
  return absl::StrCat(m.service()->full_name(), "/", m.name());
}

// The RPC whose request message is `Req` (AIP-136: every RPC has its own
// request message), found in Req's own .proto file. Aborts at first use if
// there is none, which a unit test would hit at once.
template <typename Req>
const google::protobuf::MethodDescriptor& MethodOf() {
  static const google::protobuf::MethodDescriptor* const method = [] {
    const google::protobuf::Descriptor* input = Req::descriptor();
    const google::protobuf::FileDescriptor* file = input->file();
    for (int s = 0; s < file->service_count(); ++s) {
      const google::protobuf::ServiceDescriptor* service = file->service(s);
      for (int m = 0; m < service->method_count(); ++m) {
        if (service->method(m)->input_type() == input)
          return service->method(m);
      }
    }
    return static_cast<const google::protobuf::MethodDescriptor*>(nullptr);
  }();
  if (method == nullptr) {
    // A programming error: Req is not an RPC request of its file.
    std::abort();
  }
  return *method;
}

// FullMethodName(MethodOf<Req>()), computed once.
template <typename Req>
const std::string& MethodNameOf() {
  static const std::string* const name =
      new std::string(FullMethodName(MethodOf<Req>()));
  return *name;
}

}  // namespace retail

#endif  // RETAIL_COMMON_METHOD_H_
