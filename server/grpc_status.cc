#include "server/grpc_status.h"

#include "common/logging.h"
#include "google/rpc/status.pb.h"

namespace retail {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  const auto code = static_cast<grpc::StatusCode>(status.code());
  if (status.code() == absl::StatusCode::kInternal ||
      status.code() == absl::StatusCode::kUnknown ||
      status.code() == absl::StatusCode::kDataLoss) {
    RETAIL_LOG(ERROR) << "internal error answered generically: " << status;
    return grpc::Status(grpc::StatusCode::INTERNAL,
                        "internal error; it has been logged");
  }
  google::rpc::Status rpc;
  rpc.set_code(static_cast<int>(status.code()));
  rpc.set_message(std::string(status.message()));
  // Every google.rpc detail attached in common/status.cc travels as it is:
  // BadRequest, ErrorInfo and RetryInfo (RATE_LIMITED, WRITER_QUEUE_FULL),
  // which gRPC clients and retry policies read to know when to try again.
  status.ForEachPayload(
      [&rpc](absl::string_view type_url, const absl::Cord& value) {
        auto* any = rpc.add_details();
        any->set_type_url(std::string(type_url));
        any->set_value(std::string(value));
      });
  return grpc::Status(code, std::string(status.message()),
                      rpc.SerializeAsString());
}

}  // namespace retail
