#ifndef RETAIL_CLIENT_OUTPUT_H_
#define RETAIL_CLIENT_OUTPUT_H_

#include <google/protobuf/message.h>
#include <google/protobuf/repeated_ptr_field.h>
#include <grpcpp/support/status.h>

#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "client/global_options.h"

namespace retail::cli {

// Writes `message` to stdout as protobuf JSON with proto field names
// ("customer_id", not "customerId") so scripts can use the names in the
// .proto files. int64 values are JSON strings, as proto3 JSON requires.
void PrintJson(const google::protobuf::Message& message);

// Writes one resource to stdout as "key  value" rows; see FlattenMessage().
// Timestamps show in DisplayTimeZone(options), looked up only if `message`
// has one.
void PrintResource(const GlobalOptions& options,
                   const google::protobuf::Message& message);

// Writes `rows` to stdout as a table with the given columns (field names of
// the row message), then, if `next_page_token` is not empty, a line telling
// the agent how to fetch the next page. Timestamps as in PrintResource().
void PrintRows(const GlobalOptions& options,
               const std::vector<const google::protobuf::Message*>& rows,
               const std::vector<std::string>& columns,
               const std::string& next_page_token);

// Convenience for PrintRows() over a repeated field of a response.
template <typename T>
std::vector<const google::protobuf::Message*> AsRows(
    const google::protobuf::RepeatedPtrField<T>& items) {
  std::vector<const google::protobuf::Message*> rows;
  rows.reserve(items.size());
  for (const T& item : items) rows.push_back(&item);
  return rows;
}

// JSON mode prints the whole `response`; table mode calls `print_table`,
// which picks the part of the response a person wants to see.
void Emit(const GlobalOptions& options,
          const google::protobuf::Message& response,
          absl::FunctionRef<void()> print_table);

// Writes a failed call to stderr:
//   error: <CODE_NAME>: <message>
// followed by the google.rpc.Status details the server attached:
//   field <field>: <description>       (google.rpc.BadRequest)
//   reason <REASON> [key=value ...]    (google.rpc.ErrorInfo)
void PrintRpcError(const grpc::Status& status);

}  // namespace retail::cli

#endif  // RETAIL_CLIENT_OUTPUT_H_
