#include "client/output.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <iostream>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "client/display_zone.h"
#include "client/field_format.h"
#include "client/text_table.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace retail::cli {
namespace {

// gRPC and Abseil share the canonical code numbers, so Abseil names them.
std::string CodeName(grpc::StatusCode code) {
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
}

void PrintDetail(const google::protobuf::Any& detail) {
  google::rpc::BadRequest bad_request;
  google::rpc::ErrorInfo error_info;
  if (detail.UnpackTo(&bad_request)) {
    for (const auto& violation : bad_request.field_violations()) {
      std::cerr << "  field " << violation.field() << ": "
                << violation.description() << '\n';
    }
  } else if (detail.UnpackTo(&error_info)) {
    // Map order is unspecified; sort so output is stable for scripts.
    std::vector<std::pair<std::string, std::string>> metadata(
        error_info.metadata().begin(), error_info.metadata().end());
    std::sort(metadata.begin(), metadata.end());
    std::string line = absl::StrCat("  reason ", error_info.reason());
    for (const auto& [key, value] : metadata) {
      absl::StrAppend(&line, " ", key, "=", value);
    }
    std::cerr << line << '\n';
  } else {
    // A detail type this client predates; naming it beats dropping it.
    std::cerr << "  detail " << detail.type_url() << '\n';
  }
}

}  // namespace

void PrintJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions json_options;
  json_options.add_whitespace = true;
  json_options.preserve_proto_field_names = true;
  std::string json;
  const auto status =
      google::protobuf::util::MessageToJsonString(message, &json, json_options);
  if (!status.ok()) {
    // Only possible for malformed Any payloads; show what we can.
    std::cerr << "error: cannot print response as JSON: " << status.ToString()
              << '\n';
    return;
  }
  // add_whitespace already ends the object with a newline.
  std::cout << json;
  if (json.empty() || json.back() != '\n') std::cout << '\n';
}

void PrintResource(const GlobalOptions& options,
                   const google::protobuf::Message& message) {
  std::vector<std::vector<std::string>> rows;
  for (auto& [key, value] :
       FlattenMessage(message, [&] { return DisplayTimeZone(options); })) {
    rows.push_back({std::move(key), std::move(value)});
  }
  WriteAligned(rows, std::cout);
}

void PrintRows(const GlobalOptions& options,
               const std::vector<const google::protobuf::Message*>& rows,
               const std::vector<std::string>& columns,
               const std::string& next_page_token) {
  if (rows.empty()) {
    std::cout << "(no results)\n";
  } else {
    auto zone = [&] { return DisplayTimeZone(options); };
    std::vector<std::vector<std::string>> cells;
    cells.push_back(columns);
    for (const google::protobuf::Message* row : rows) {
      std::vector<std::string> line;
      for (const std::string& column : columns) {
        const auto* field = row->GetDescriptor()->FindFieldByName(column);
        line.push_back(field == nullptr ? "" : FormatField(*row, field, zone));
      }
      cells.push_back(std::move(line));
    }
    WriteAligned(cells, std::cout);
  }
  if (!next_page_token.empty()) {
    std::cout << "\nmore results: repeat with --page-token " << next_page_token
              << '\n';
  }
}

void Emit(const GlobalOptions& options,
          const google::protobuf::Message& response,
          absl::FunctionRef<void()> print_table) {
  if (options.output == OutputFormat::kJson) {
    PrintJson(response);
  } else {
    print_table();
  }
}

void PrintRpcError(const grpc::Status& status) {
  std::cerr << "error: " << CodeName(status.error_code()) << ": "
            << status.error_message() << '\n';
  if (status.error_details().empty()) return;
  google::rpc::Status rich;
  if (!rich.ParseFromString(status.error_details())) {
    std::cerr << "  (undecodable error details)\n";
    return;
  }
  for (const google::protobuf::Any& detail : rich.details()) {
    PrintDetail(detail);
  }
}

}  // namespace retail::cli
