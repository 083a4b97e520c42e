// Serving one unary RPC with the callback API: authenticate, refuse calls
// whose deadline already passed, hand the request to a manager, and finish
// the reactor when the manager replies (possibly later, from the writer's
// ack thread). Every service's handlers are one line on top of this.
#ifndef RETAIL_SERVER_UNARY_CALL_H_
#define RETAIL_SERVER_UNARY_CALL_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <utility>

#include "absl/status/statusor.h"
#include "common/auth.h"
#include "common/reply.h"
#include "server/grpc_status.h"

namespace retail {

// Reads "authorization" metadata and maps it to a principal.
absl::StatusOr<std::shared_ptr<const Principal>> AuthenticateCall(
    grpc::CallbackServerContext* ctx, Authenticator& auth);

// `invoke(principal, reply)` must fill `reply.out()` and call `reply(status)`
// exactly once.
template <typename Response, typename Invoke>
grpc::ServerUnaryReactor* ServeUnary(grpc::CallbackServerContext* ctx,
                                     Authenticator& auth, Response* response,
                                     Invoke&& invoke) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  if (ctx->deadline() <= std::chrono::system_clock::now()) {
    reactor->Finish(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                                 "the call's deadline had already passed"));
    return reactor;
  }
  absl::StatusOr<std::shared_ptr<const Principal>> principal =
      AuthenticateCall(ctx, auth);
  if (!principal.ok()) {
    reactor->Finish(ToGrpcStatus(principal.status()));
    return reactor;
  }
  // The manager writes its answer straight into `response` (on the call's
  // arena, see arena_allocator.h) and then reports the status.
  invoke(std::move(*principal),
         Reply<Response>(response, [reactor](absl::Status status) {
           reactor->Finish(ToGrpcStatus(status));
         }));
  return reactor;
}

}  // namespace retail

#endif  // RETAIL_SERVER_UNARY_CALL_H_
