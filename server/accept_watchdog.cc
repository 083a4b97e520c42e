#include "server/accept_watchdog.h"

#include <grpcpp/grpcpp.h>

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/logging.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace retail {

std::string WatchdogTarget(const std::string& listen, int port) {
  if (absl::StartsWith(listen, "unix:")) return listen;
  absl::string_view host = listen;
  const size_t colon = host.rfind(':');
  if (colon != absl::string_view::npos) host = host.substr(0, colon);
  // IPv4 loopback also for "[::]": gRPC listens there dual-stack, or falls
  // back to IPv4 alone where IPv6 is off (often in containers), where [::1]
  // would fail and the watchdog would stop a healthy server.
  if (host.empty() || host == "0.0.0.0" || host == "*" || host == "[::]") {
    host = "127.0.0.1";
  }
  return absl::StrCat(host, ":", port);
}

absl::Status ProbeAccept(const std::string& target, absl::Duration timeout) {
  grpc::ChannelArguments args;
  // Otherwise the channel may reuse a connection another channel to the same
  // target already has, which proves nothing about accepting new ones.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  auto channel = grpc::CreateCustomChannel(
      target, grpc::InsecureChannelCredentials(), args);
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  // Keep trying to connect until the deadline rather than failing on the
  // first refused attempt.
  ctx.set_wait_for_ready(true);
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  const grpc::Status s = stub->Check(&ctx, request, &response);
  if (s.ok()) return absl::OkStatus();
  return absl::UnavailableError(
      absl::StrCat("health Check on a new connection to ", target, ": ",
                   s.error_code(), " ", s.error_message()));
}

AcceptWatchdog::AcceptWatchdog(
    AcceptWatchdogOptions options,
    std::function<void(int, const absl::Status&)> on_dead)
    : options_(std::move(options)), on_dead_(std::move(on_dead)) {
  thread_ = std::thread([this] { Run(); });
}

AcceptWatchdog::~AcceptWatchdog() { Stop(); }

void AcceptWatchdog::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void AcceptWatchdog::Run() {
  int failures = 0;
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(&stop_), options_.interval);
      if (stop_) return;
    }
    const absl::Status probe = ProbeAccept(options_.target, options_.timeout);
    if (probe.ok()) {
      if (failures > 0) {
        RETAIL_LOG(INFO) << "accept watchdog: " << options_.target
                         << " answers again after " << failures
                         << " failed probe(s)";
      }
      failures = 0;
      continue;
    }
    ++failures;
    RETAIL_LOG(WARNING) << "accept watchdog: probe " << failures << " of "
                        << options_.max_failures << " failed: " << probe;
    if (failures >= options_.max_failures) {
      on_dead_(failures, probe);
      return;
    }
  }
}

}  // namespace retail
