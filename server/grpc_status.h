// The one place absl::Status becomes grpc::Status (AIP-193).
#ifndef RETAIL_SERVER_GRPC_STATUS_H_
#define RETAIL_SERVER_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace retail {

// Copies the code and message and packs every google.rpc detail attached by
// common/status.h into grpc-status-details-bin. INTERNAL, UNKNOWN and
// DATA_LOSS are logged in full and answered with a generic message, so no
// SQL or exception text reaches a client.
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace retail

#endif  // RETAIL_SERVER_GRPC_STATUS_H_
