#include "server/call_gate.h"

#include <chrono>

#include "absl/strings/string_view.h"

namespace retail {
namespace {

absl::string_view Metadata(grpc::CallbackServerContext* ctx,
                           absl::string_view key) {
  const auto& metadata = ctx->client_metadata();
  auto it = metadata.find(grpc::string_ref(key.data(), key.size()));
  if (it == metadata.end()) return "";
  return absl::string_view(it->second.data(), it->second.size());
}

}  // namespace

absl::StatusOr<CallMeta> CallGate::Admit(grpc::CallbackServerContext* ctx,
                                         const AccessRule& rule) const {
  const auto deadline = ctx->deadline();
  const absl::Time now = absl::Now();
  WaitLimit wait;
  if (deadline == std::chrono::system_clock::time_point::max()) {
    wait = WaitLimit{now + max_wait_, /*client_deadline=*/false};
  } else {
    wait = WaitLimit{absl::FromChrono(deadline), /*client_deadline=*/true};
    if (wait.Expired(now)) {
      return absl::DeadlineExceededError(
          "the call's deadline had already passed");
    }
  }
  absl::StatusOr<std::shared_ptr<const Principal>> principal =
      auth_.Authenticate(Metadata(ctx, "authorization"));
  if (!principal.ok()) return principal.status();
  return AuthorizeCall(std::move(*principal), rule,
                       Metadata(ctx, "x-staff-id"), wait);
}

}  // namespace retail
