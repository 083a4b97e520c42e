// Notices a server that no longer accepts connections, so the process can
// exit and its supervisor restart it.
//
// gRPC 1.51's listener stops for good after one failed accept4() (e.g.
// EMFILE when the process runs out of file descriptors): it logs "Failed
// accept4: Too many open files" once and never re-arms. The process stays up,
// every call already connected keeps working, and nothing new gets in, health
// checks included. Nothing in gRPC reports it, so the watchdog looks from
// outside: every `interval` it opens a fresh connection to the server's own
// port and makes a health Check (grpc.health.v1; any answer, NOT_SERVING
// included, means the listener works). After `max_failures` probes in a row
// fail it calls `on_dead`, which in retail_server logs and exits non-zero.
#ifndef RETAIL_SERVER_ACCEPT_WATCHDOG_H_
#define RETAIL_SERVER_ACCEPT_WATCHDOG_H_

#include <functional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace retail {

struct AcceptWatchdogOptions {
  // What to connect to, e.g. "127.0.0.1:50051" (see WatchdogTarget).
  std::string target;
  absl::Duration interval = absl::Seconds(10);
  // Per probe: connecting, the HTTP/2 handshake and the Check together.
  absl::Duration timeout = absl::Seconds(5);
  int max_failures = 6;
  // The listener speaks TLS: probe with ProbeAcceptAnyProtocol, since a
  // plaintext Check cannot get through and the watchdog holds no client
  // certificate for an mTLS listener.
  bool tls = false;
};

// The address the server can reach itself on: the listen address with the
// bound port, a wildcard host (0.0.0.0, [::], none) replaced by 127.0.0.1.
std::string WatchdogTarget(const std::string& listen, int port);

// One probe: a new connection (not shared with any other channel) and a
// health Check within `timeout`.
absl::Status ProbeAccept(const std::string& target, absl::Duration timeout);

// A probe that needs no credentials: a new TCP connection that sends bytes
// no protocol accepts and waits for the server to answer or close it. A
// listener that has stopped accepting leaves the connection in the kernel's
// backlog, where nothing ever answers; any reply, end of stream or reset
// within `timeout` proves a thread accepted it. TCP targets only.
absl::Status ProbeAcceptAnyProtocol(const std::string& target,
                                    absl::Duration timeout);

class AcceptWatchdog {
 public:
  // Starts probing after the first `interval`. `on_dead` runs on the
  // watchdog's thread with the failure count and the last probe's error;
  // if it returns, probing stops.
  AcceptWatchdog(AcceptWatchdogOptions options,
                 std::function<void(int, const absl::Status&)> on_dead);
  ~AcceptWatchdog();
  AcceptWatchdog(const AcceptWatchdog&) = delete;
  AcceptWatchdog& operator=(const AcceptWatchdog&) = delete;

  // Stops probing; waits for a probe in progress (at most `timeout`).
  void Stop();

 private:
  void Run();

  const AcceptWatchdogOptions options_;
  const std::function<void(int, const absl::Status&)> on_dead_;
  absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace retail

#endif  // RETAIL_SERVER_ACCEPT_WATCHDOG_H_
