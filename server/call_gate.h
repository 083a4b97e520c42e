// What every call passes before its manager runs: the deadline check,
// authentication (bearer token), the x-staff-id metadata, authorization
// against the method's access rule, and the bound on how long it may wait
// for the writer or a reader. One place, so every RPC of every module is
// admitted the same way.
#ifndef RETAIL_SERVER_CALL_GATE_H_
#define RETAIL_SERVER_CALL_GATE_H_

#include <grpcpp/grpcpp.h>

#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/access.h"
#include "common/auth.h"
#include "common/call.h"

namespace retail {

class CallGate {
 public:
  // `max_wait`: how long a call without a deadline may wait for the writer
  // or a reader before it is answered UNAVAILABLE.
  CallGate(Authenticator& auth, absl::Duration max_wait)
      : auth_(auth), max_wait_(max_wait) {}

  // The merged access table of every module (filled while modules build).
  AccessTable& access() { return access_; }
  const AccessTable& access() const { return access_; }

  // The call's identity, or the status to answer it with.
  absl::StatusOr<CallMeta> Admit(grpc::CallbackServerContext* ctx,
                                 const AccessRule& rule) const;

 private:
  Authenticator& auth_;
  const absl::Duration max_wait_;
  AccessTable access_;
};

}  // namespace retail

#endif  // RETAIL_SERVER_CALL_GATE_H_
