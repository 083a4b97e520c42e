#include "server/call_gate.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/status.h"
#include "server/tls.h"

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

// Gives its slot back when gRPC has sent the response (or dropped the call)
// and freed the call's messages.
class CallGate::SlotReactor final : public grpc::ServerUnaryReactor {
 public:
  explicit SlotReactor(std::atomic<int>& in_flight) : in_flight_(in_flight) {}

  void OnDone() override {
    in_flight_.fetch_sub(1, std::memory_order_relaxed);
    delete this;
  }

 private:
  std::atomic<int>& in_flight_;
};

absl::StatusOr<std::shared_ptr<const Principal>> CallGate::Authenticate(
    grpc::CallbackServerContext* ctx) const {
  const absl::string_view authorization = Metadata(ctx, "authorization");
  if (!authorization.empty() || !client_certs_verified_) {
    return auth_.Authenticate(authorization);
  }
  std::shared_ptr<const grpc::AuthContext> context = ctx->auth_context();
  std::vector<CertificateName> names;
  if (context != nullptr) names = VerifiedPeerNames(*context, true);
  if (names.empty()) {
    // In-process calls and plaintext have no certificate: say what is
    // missing as a token-only server would.
    return auth_.Authenticate(authorization);
  }
  return auth_.AuthenticateCertificate(names);
}

void CallGate::Report(const CallTiming& timing, absl::string_view method,
                      const absl::Status& status, bool stream) const {
  if (observers_.empty()) return;
  CallRecord record;
  record.method = method;
  record.principal = timing.principal;
  record.code = status.code();
  // Parsed only for errors: an OK call has no ErrorInfo.
  std::string reason;
  if (!status.ok()) reason = ErrorReason(status);
  record.reason = reason;
  record.request_id = timing.trace->request_id;
  record.latency =
      absl::FromChrono(std::chrono::steady_clock::now() - timing.start);
  record.trace = timing.trace.get();
  record.stream = stream;
  for (CallObserver* o : observers_) o->OnCallDone(record);
}

absl::StatusOr<CallMeta> CallGate::Admit(grpc::CallbackServerContext* ctx,
                                         const AccessRule& rule,
                                         CallTiming* timing) const {
  const auto deadline = ctx->deadline();
  const absl::Time now = absl::Now();
  WaitLimit wait;
  if (deadline == std::chrono::system_clock::time_point::max()) {
    wait.until = now + max_wait_;
  } else {
    wait.until = absl::FromChrono(deadline);
    wait.client_deadline = true;
    if (wait.Expired(now)) {
      absl::Status expired =
          absl::DeadlineExceededError("the call's deadline had already passed");
      RecordFailure(nullptr, rule.method_name, expired);
      return expired;
    }
  }
  absl::StatusOr<std::shared_ptr<const Principal>> principal =
      Authenticate(ctx);
  if (!principal.ok()) {
    RecordFailure(nullptr, rule.method_name, principal.status());
    return principal.status();
  }
  timing->principal = (*principal)->id;
  wait.trace = timing->trace;
  absl::StatusOr<CallMeta> meta =
      AuthorizeCall(*principal, rule, Metadata(ctx, "x-staff-id"), wait);
  if (!meta.ok()) {
    CallMeta who;
    who.principal = std::move(*principal);
    RecordFailure(&who, rule.method_name, meta.status());
    return meta;
  }
  // After authorization, so a denied call costs its principal nothing (it
  // is refused anyway, and audited folded); before the manager, so a
  // refused call costs the server no more than this.
  if (absl::Status limited =
          limiter_.Admit(meta->principal->id, meta->principal->rate_limit);
      !limited.ok()) {
    RecordFailure(&*meta, rule.method_name, limited);
    return limited;
  }
  return meta;
}

CallGate::Entry CallGate::Enter(grpc::CallbackServerContext* ctx,
                                const AccessRule& rule,
                                CallTiming* timing) const {
  if (max_calls_in_flight_ <= 0) {
    return {ctx->DefaultReactor(), Admit(ctx, rule, timing)};
  }
  // Checked before the token: a full server answers at once, and a flood
  // costs no hashing.
  if (in_flight_.fetch_add(1, std::memory_order_relaxed) >=
      max_calls_in_flight_) {
    in_flight_.fetch_sub(1, std::memory_order_relaxed);
    absl::Status overloaded = ErrorWithReason(
        absl::StatusCode::kResourceExhausted, "SERVER_OVERLOADED",
        absl::StrCat("the server has ", max_calls_in_flight_,
                     " calls in flight, its limit; retry with backoff"),
        {{"max_calls_in_flight", absl::StrCat(max_calls_in_flight_)}});
    RecordFailure(nullptr, rule.method_name, overloaded);
    return {ctx->DefaultReactor(), std::move(overloaded)};
  }
  return {new SlotReactor(in_flight_), Admit(ctx, rule, timing)};
}

}  // namespace retail
