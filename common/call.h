// Who is calling what, and until when: built once per call by the server's
// call path (server/unary_service.h) after authentication and authorization,
// then handed to the manager, which adds the request_id and resource. It is
// the identity written to audit rows, events and request_id keys.
#ifndef RETAIL_COMMON_CALL_H_
#define RETAIL_COMMON_CALL_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/auth.h"

namespace retail {

// Where one call's time went, filled along its path and read when it ends
// (the per-call log and its slow-call line, server/call_log.h). Atomic
// because the writer and ack threads fill it while the call's thread may
// still be reading; microseconds, 0 when the call never waited there.
struct CallTrace {
  std::atomic<int64_t> reader_wait_us{0};  // for a reader connection
  std::atomic<int64_t> queue_us{0};        // queued for the writer
  // From its batch's BEGIN to its COMMIT: its own statements and those of
  // the ops batched with it, which its acknowledgement also waits for.
  std::atomic<int64_t> transaction_us{0};
  // COMMIT with its fsyncs, and a checkpoint the commit asked for.
  std::atomic<int64_t> commit_us{0};
  std::atomic<int> batch_ops{0};  // ops in its batch
  // Set by CallMeta::With before the write is submitted; read after the
  // reply, which the writer's queue and the ack thread order after it.
  std::string request_id;
};

// How long a call may wait for a shared resource (the writer queue, a reader
// connection). gRPC deadlines are real time, so this is absl::Now()-based and
// never the injected business Clock. It travels with the call to everything
// it may wait for, so it also carries where those waits are recorded.
struct WaitLimit {
  absl::Time until = absl::InfiniteFuture();
  // True when `until` is the client's deadline (expiry: DEADLINE_EXCEEDED);
  // false when it is the server's own bound for calls without a deadline
  // (expiry: UNAVAILABLE, the server was too busy).
  bool client_deadline = false;
  // The call's trace, which the reader pool and the writer fill in; null
  // for the server's own work.
  std::shared_ptr<CallTrace> trace;

  static WaitLimit None() { return WaitLimit{}; }
  // The server's own bound for its own reads (UNAVAILABLE when it passes).
  static WaitLimit Within(absl::Duration d) {
    WaitLimit limit;
    limit.until = absl::Now() + d;
    return limit;
  }
  bool Expired(absl::Time now = absl::Now()) const { return now >= until; }
  absl::Status ExpiredStatus(absl::string_view waiting_for) const {
    if (client_deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "the call's deadline passed while waiting for ", waiting_for));
    }
    return absl::UnavailableError(
        absl::StrCat("the server is busy: timed out waiting for ", waiting_for,
                     "; retry with the same request_id"));
  }
};

// Set by the write path when it audited the call's failure inside its own
// transaction (common/db/mutation.cc), so that the call path does not audit
// it a second time (server/failure_audit.h).
struct FailureAuditMark {
  std::atomic<int> audited_code{-1};
};

struct CallMeta {
  std::shared_ptr<const Principal> principal;
  std::string method;    // full name, "retail.customers.v1.CustomerService/..."
  std::string staff_id;  // x-staff-id: the person acting, or ""
  std::string request_id;  // empty for reads
  std::string resource;    // e.g. "customers/cus_...", refined by apply
  WaitLimit wait;
  // Null for reads, which the write path never audits.
  std::shared_ptr<FailureAuditMark> failure_audit;

  // A copy naming the request and the resource it acts on.
  CallMeta With(std::string request_id_, std::string resource_) const {
    CallMeta meta = *this;
    meta.request_id = std::move(request_id_);
    if (wait.trace != nullptr && !meta.request_id.empty()) {
      wait.trace->request_id = meta.request_id;
    }
    meta.resource = std::move(resource_);
    return meta;
  }
};

}  // namespace retail

#endif  // RETAIL_COMMON_CALL_H_
