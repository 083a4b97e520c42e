#include "server/accept_watchdog.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
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

absl::Status ProbeAcceptAnyProtocol(const std::string& target,
                                    absl::Duration timeout) {
  const size_t colon = target.rfind(':');
  if (colon == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("no port in ", target));
  }
  std::string host = target.substr(0, colon);
  const int port = std::atoi(target.c_str() + colon + 1);
  if (host.size() >= 2 && host.front() == '[') {
    host = host.substr(1, host.size() - 2);
  }
  if (host == "localhost") host = "127.0.0.1";
  sockaddr_storage addr{};
  socklen_t len = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    len = sizeof(*v4);
  } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    len = sizeof(*v6);
  } else {
    return absl::InvalidArgumentError(absl::StrCat("not an address: ", host));
  }
  const int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return absl::UnavailableError(absl::StrCat("socket: ", strerror(errno)));
  }
  const absl::Time deadline = absl::Now() + timeout;
  const auto wait = [&](short events) -> int {
    pollfd p{fd, events, 0};
    const int64_t ms = absl::ToInt64Milliseconds(deadline - absl::Now());
    return ms <= 0 ? 0 : poll(&p, 1, static_cast<int>(ms));
  };
  absl::Status result = absl::OkStatus();
  // Blocking connect is fine: the kernel completes it from the backlog even
  // when nobody accepts, which is exactly what the next step tells apart.
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0) {
    result = absl::UnavailableError(
        absl::StrCat("connect to ", target, ": ", strerror(errno)));
  } else {
    // Neither a TLS record nor an HTTP/2 preface: a TLS listener sends an
    // alert and closes, a plaintext one a GOAWAY or a close.
    static constexpr char kJunk[] = "PROBE / HTTP/1.0\r\n\r\n";
    (void)send(fd, kJunk, sizeof(kJunk) - 1, MSG_NOSIGNAL);
    if (wait(POLLIN) <= 0) {
      result = absl::UnavailableError(absl::StrCat(
          "no answer from ", target, " within ", absl::FormatDuration(timeout),
          ": the listener is not accepting"));
    }
    // Readable: bytes, end of stream or a reset. Each means accepted.
  }
  close(fd);
  return result;
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
    const absl::Status probe =
        options_.tls ? ProbeAcceptAnyProtocol(options_.target, options_.timeout)
                     : ProbeAccept(options_.target, options_.timeout);
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
