#include "server/unary_call.h"

namespace retail {

absl::StatusOr<std::shared_ptr<const Principal>> AuthenticateCall(
    grpc::CallbackServerContext* ctx, Authenticator& auth) {
  const auto& metadata = ctx->client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) return auth.Authenticate("");
  return auth.Authenticate(
      absl::string_view(it->second.data(), it->second.size()));
}

}  // namespace retail
