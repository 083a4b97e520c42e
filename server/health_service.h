// grpc.health.v1.Health, served from the generated descriptor instead of
// gRPC's built-in health service: the built-in one is built on upb, so
// reflection clients (buf curl, grpcurl) cannot describe it, and it only
// knows the names someone registers by hand.
//
// Every name it is built with (the server as a whole, "", and each service
// the server registers) shares one status: SERVING while the server takes
// calls, NOT_SERVING from Drain() on, so load balancers move traffic before
// calls are refused. Other names answer NOT_FOUND (Check) or SERVICE_UNKNOWN
// (Watch), as the protocol says. Needs no token: a load balancer has none.
#ifndef RETAIL_SERVER_HEALTH_SERVICE_H_
#define RETAIL_SERVER_HEALTH_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace retail {

class HealthService final : public grpc::health::v1::Health::CallbackService {
 public:
  using ServingStatus = grpc::health::v1::HealthCheckResponse::ServingStatus;

  // More Watch streams than this are refused with RESOURCE_EXHAUSTED: each
  // one is held until the client or the server ends it.
  static constexpr int kMaxWatchers = 1000;

  // Starts NOT_SERVING for `services` and "".
  explicit HealthService(const std::vector<std::string>& services);
  ~HealthService() override;

  // SERVING or NOT_SERVING for every known name; Watch streams see the
  // change. No effect after Shutdown().
  void SetServing(bool serving);

  // NOT_SERVING for good; every Watch stream is sent that and then ended
  // with UNAVAILABLE, so it does not hold up the server's shutdown.
  void Shutdown();

  // The status of `service`, SERVICE_UNKNOWN if it is not known.
  ServingStatus StatusOf(const std::string& service) const;

  // Open Watch streams.
  int watchers() const;

  grpc::ServerUnaryReactor* Check(
      grpc::CallbackServerContext* ctx,
      const grpc::health::v1::HealthCheckRequest* request,
      grpc::health::v1::HealthCheckResponse* response) override;
  grpc::ServerWriteReactor<grpc::health::v1::HealthCheckResponse>* Watch(
      grpc::CallbackServerContext* ctx,
      const grpc::health::v1::HealthCheckRequest* request) override;

 private:
  class Watcher;

  // Tells every open Watch stream to look at the status again (and to end,
  // if `end`). Called without mu_ held: a stream may finish inline.
  void NotifyWatchers(bool end);

  const absl::flat_hash_set<std::string> services_;
  // Written under mu_, read without it: streams read it while they hold
  // their own lock.
  std::atomic<bool> serving_{false};
  mutable absl::Mutex mu_;
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
  // Ended streams are dropped lazily (their OnDone may not take mu_: it can
  // run inline under a notification).
  std::vector<std::shared_ptr<Watcher>> watchers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace retail

#endif  // RETAIL_SERVER_HEALTH_SERVICE_H_
