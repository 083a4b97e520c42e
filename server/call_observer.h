// What the call path reports about every call when it ends, to the per-call
// log (server/call_log.h) and the metrics (server/metrics/). Registered on
// the CallGate, which every RPC of every module passes, so no call is
// reported by one and missed by the other.
#ifndef RETAIL_SERVER_CALL_OBSERVER_H_
#define RETAIL_SERVER_CALL_OBSERVER_H_

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/call.h"

namespace retail {

// One call from the moment the server took it up to its answer. Everything
// here is safe to log: the principal's id (never its token), the method,
// the code and the request_id; the status message is not (it may quote
// the request), nor is anything of the request or the response.
struct CallRecord {
  absl::string_view method;  // full name, "retail.orders.v1.OrderService/..."
  // Who, once authenticated; empty for a call refused before that.
  absl::string_view principal;
  absl::StatusCode code = absl::StatusCode::kOk;
  // The google.rpc.ErrorInfo reason of an error, e.g. RATE_LIMITED; empty
  // when there is none.
  absl::string_view reason;
  absl::string_view request_id;  // writes only
  absl::Duration latency;        // until the answer (a stream: until it ended)
  const CallTrace* trace = nullptr;  // where the time went; never null
  bool stream = false;
};

class CallObserver {
 public:
  virtual ~CallObserver() = default;
  // On the thread that answered the call: cheap, thread-safe, no blocking.
  virtual void OnCallDone(const CallRecord& call) = 0;
  // A server stream was admitted and stays open until its OnCallDone.
  virtual void OnStreamOpened(absl::string_view method) = 0;
};

// The state one call carries from admission to its answer.
struct CallTiming {
  std::chrono::steady_clock::time_point start =
      std::chrono::steady_clock::now();
  std::shared_ptr<CallTrace> trace = std::make_shared<CallTrace>();
  std::string principal;  // set once authenticated
};

}  // namespace retail

#endif  // RETAIL_SERVER_CALL_OBSERVER_H_
