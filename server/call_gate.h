// What every call passes before its manager runs: the bound on calls in
// flight, the deadline check, authentication (a bearer token, else the
// verified client certificate of an mTLS connection), the x-staff-id
// metadata, authorization against the method's access rule, the principal's
// rate limit (auth.conf, common/rate_limiter.h), and the bound on how long it
// may wait for the writer or a reader connection. One place, so every RPC of
// every module (unary and streams) is admitted the same way. Health checks
// are served by server/health_service.* and never pass here.
#ifndef RETAIL_SERVER_CALL_GATE_H_
#define RETAIL_SERVER_CALL_GATE_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/access.h"
#include "common/auth.h"
#include "common/call.h"
#include "common/clock.h"
#include "common/rate_limiter.h"
#include "server/call_observer.h"
#include "server/failure_audit.h"

namespace retail {

class CallGate {
 public:
  // `max_wait`: how long a call without a deadline may wait for the writer
  // or a reader before it is answered UNAVAILABLE. `max_calls_in_flight`:
  // calls admitted at once, 0 for no limit. `rate_limit_clock` paces the
  // per-principal token buckets (null: the steady clock; tests inject one).
  CallGate(Authenticator& auth, absl::Duration max_wait,
           int max_calls_in_flight = 0, const Clock* rate_limit_clock = nullptr)
      : auth_(auth),
        max_wait_(max_wait),
        max_calls_in_flight_(max_calls_in_flight),
        limiter_(rate_limit_clock) {}

  // Whether the server requires and verifies client certificates (mTLS,
  // --tls_client_ca_file): only then may a call without a bearer token be
  // authenticated by its certificate's names (auth.conf "san:" lines).
  void set_client_certs_verified(bool verified) {
    client_certs_verified_ = verified;
  }

  // Where failures before the writer are audited; null: not audited (unit
  // tests of the gate alone).
  void set_failure_audit(FailureAudit* audit) { failure_audit_ = audit; }
  // Audits a failed call unless the write path already did (meta's mark).
  // `meta` is null when the caller is not authenticated.
  void RecordFailure(const CallMeta* meta, absl::string_view method,
                     const absl::Status& status) const {
    if (failure_audit_ == nullptr || status.ok()) return;
    if (meta != nullptr && meta->failure_audit != nullptr &&
        meta->failure_audit->audited_code.load() ==
            static_cast<int>(status.code())) {
      return;
    }
    failure_audit_->Record(meta, method, status);
  }

  // Told of every call when it ends (the call log, the metrics). Add them
  // before serving; they must outlive the gate.
  void AddObserver(CallObserver* observer) { observers_.push_back(observer); }
  // Reports the end of the call `timing` followed to every observer.
  void Report(const CallTiming& timing, absl::string_view method,
              const absl::Status& status, bool stream) const;
  // A stream was admitted (reported again by Report when it ends).
  void ReportStreamOpened(absl::string_view method) const {
    for (CallObserver* o : observers_) o->OnStreamOpened(method);
  }

  // The merged access table of every module (filled while modules build).
  AccessTable& access() { return access_; }
  const AccessTable& access() const { return access_; }

  // The call's identity, or the status to answer it with. An authorized
  // call then takes a token from its principal's bucket: none left is
  // RESOURCE_EXHAUSTED (reason RATE_LIMITED) with a RetryInfo, audited like
  // every refusal before the writer (FailureAudit folds a flood per minute).
  // `timing` (never null) learns the principal, and the call's WaitLimit
  // carries its trace.
  absl::StatusOr<CallMeta> Admit(grpc::CallbackServerContext* ctx,
                                 const AccessRule& rule,
                                 CallTiming* timing) const;

  struct Entry {
    // Finish it exactly once, with the manager's answer or `meta`'s error.
    grpc::ServerUnaryReactor* reactor;
    absl::StatusOr<CallMeta> meta;
  };
  // Admit() for a unary call, plus the bound on calls in flight: when every
  // slot is taken, `meta` is RESOURCE_EXHAUSTED. An admitted call keeps its
  // slot until gRPC is done with it (the reactor's OnDone), not merely until
  // it is answered: a response the client does not read stays in memory
  // until then, and those responses are what the bound is for.
  Entry Enter(grpc::CallbackServerContext* ctx, const AccessRule& rule,
              CallTiming* timing) const;

  // Calls holding a slot now (0 when there is no limit).
  int calls_in_flight() const {
    return in_flight_.load(std::memory_order_relaxed);
  }

 private:
  class SlotReactor;

  // The bearer token when there is one (behind a proxy the connection's
  // certificate is the proxy's, and the token names the caller), else the
  // verified client certificate.
  absl::StatusOr<std::shared_ptr<const Principal>> Authenticate(
      grpc::CallbackServerContext* ctx) const;

  Authenticator& auth_;
  bool client_certs_verified_ = false;
  FailureAudit* failure_audit_ = nullptr;
  const absl::Duration max_wait_;
  const int max_calls_in_flight_;
  mutable std::atomic<int> in_flight_{0};
  // Per-principal token buckets; the limits come with each call's
  // Principal, so an auth.conf reload applies to the next call.
  mutable RateLimiter limiter_;
  AccessTable access_;
  std::vector<CallObserver*> observers_;
};

}  // namespace retail

#endif  // RETAIL_SERVER_CALL_GATE_H_
