#include "server/health_service.h"

#include <type_traits>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace retail {

using ::grpc::health::v1::HealthCheckRequest;
using ::grpc::health::v1::HealthCheckResponse;

// One Watch stream: sends the status now and whenever it changes, at most one
// write at a time (a change during a write is sent after it, as the latest
// status, not as every step in between). gRPC may run a reaction inline on
// the thread that starts an operation, so no lock is held while starting one.
class HealthService::Watcher final
    : public grpc::ServerWriteReactor<HealthCheckResponse> {
 public:
  Watcher(const HealthService& health, std::string service)
      : health_(health), service_(std::move(service)) {}

  // Holds itself until OnDone; may be called before gRPC binds the stream
  // (gRPC keeps operations started before that).
  void Start(std::shared_ptr<Watcher> self) {
    self_ = std::move(self);
    Notify();
  }

  // Sends the current status if it is not the one last sent.
  void Notify() { Run(Next(nullptr)); }

  // Ends the stream with UNAVAILABLE once the current status is sent.
  void End() {
    Run(Next([this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      if (!ending_) {
        ending_ = true;
        end_status_ =
            grpc::Status(grpc::StatusCode::UNAVAILABLE, "server shutting down");
      }
    }));
  }

  bool done() const { return done_.load(std::memory_order_acquire); }

  void OnWriteDone(bool ok) override {
    Run(Next([this, ok]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      writing_ = false;
      if (!ok) Abandon();
    }));
  }

  void OnCancel() override {
    Run(Next([this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { Abandon(); }));
  }

  void OnDone() override {
    done_.store(true, std::memory_order_release);
    // The last reference may be this one: nothing of *this is used after.
    std::shared_ptr<Watcher> last = std::move(self_);
  }

 private:
  struct Step {
    enum { kNone, kWrite, kFinish } kind = kNone;
    grpc::Status status;  // for kFinish
  };

  // The client is gone: write nothing more, finish.
  void Abandon() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    abandoned_ = true;
    ending_ = true;
    end_status_ = grpc::Status::CANCELLED;
  }

  // Applies `update` and picks the next operation, under the lock.
  template <typename Update>
  Step Next(Update update) {
    absl::MutexLock lock(&mu_);
    if constexpr (!std::is_same_v<Update, std::nullptr_t>) update();
    if (finished_ || writing_) return {};
    if (!abandoned_) {
      const ServingStatus now = health_.StatusOf(service_);
      if (!sent_any_ || now != last_sent_) {
        sent_any_ = true;
        last_sent_ = now;
        response_.set_status(now);
        writing_ = true;
        return {Step::kWrite, grpc::Status::OK};
      }
    }
    if (ending_) {
      finished_ = true;
      return {Step::kFinish, end_status_};
    }
    return {};
  }

  void Run(const Step& step) {
    // response_ is not written again until this write is done.
    if (step.kind == Step::kWrite) StartWrite(&response_);
    if (step.kind == Step::kFinish) Finish(step.status);
  }

  const HealthService& health_;
  const std::string service_;
  std::shared_ptr<Watcher> self_;
  std::atomic<bool> done_{false};

  absl::Mutex mu_;
  HealthCheckResponse response_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool sent_any_ ABSL_GUARDED_BY(mu_) = false;
  ServingStatus last_sent_ ABSL_GUARDED_BY(mu_) = HealthCheckResponse::UNKNOWN;
  bool ending_ ABSL_GUARDED_BY(mu_) = false;
  bool abandoned_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status end_status_ ABSL_GUARDED_BY(mu_);
};

namespace {

// Answers a Watch it will not serve.
class RefusedWatch final
    : public grpc::ServerWriteReactor<HealthCheckResponse> {
 public:
  explicit RefusedWatch(const grpc::Status& status) { Finish(status); }
  void OnDone() override { delete this; }
};

}  // namespace

HealthService::HealthService(const std::vector<std::string>& services)
    : services_([&] {
        absl::flat_hash_set<std::string> names(services.begin(),
                                               services.end());
        names.insert("");
        return names;
      }()) {}

HealthService::~HealthService() = default;

void HealthService::SetServing(bool serving) {
  {
    absl::MutexLock lock(&mu_);
    if (shut_down_) return;
    serving_.store(serving, std::memory_order_release);
  }
  NotifyWatchers(/*end=*/false);
}

void HealthService::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    shut_down_ = true;
    serving_.store(false, std::memory_order_release);
  }
  NotifyWatchers(/*end=*/true);
}

HealthService::ServingStatus HealthService::StatusOf(
    const std::string& service) const {
  if (!services_.contains(service)) return HealthCheckResponse::SERVICE_UNKNOWN;
  return serving_.load(std::memory_order_acquire)
             ? HealthCheckResponse::SERVING
             : HealthCheckResponse::NOT_SERVING;
}

int HealthService::watchers() const {
  absl::MutexLock lock(&mu_);
  int open = 0;
  for (const auto& w : watchers_) open += w->done() ? 0 : 1;
  return open;
}

void HealthService::NotifyWatchers(bool end) {
  std::vector<std::shared_ptr<Watcher>> open;
  {
    absl::MutexLock lock(&mu_);
    std::erase_if(watchers_, [](const auto& w) { return w->done(); });
    open = watchers_;
  }
  for (const auto& w : open) {
    if (end) {
      w->End();
    } else {
      w->Notify();
    }
  }
}

grpc::ServerUnaryReactor* HealthService::Check(
    grpc::CallbackServerContext* ctx, const HealthCheckRequest* request,
    HealthCheckResponse* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  const ServingStatus status = StatusOf(request->service());
  if (status == HealthCheckResponse::SERVICE_UNKNOWN) {
    reactor->Finish(grpc::Status(
        grpc::StatusCode::NOT_FOUND,
        absl::StrCat("no service named '", request->service(), "'")));
  } else {
    response->set_status(status);
    reactor->Finish(grpc::Status::OK);
  }
  return reactor;
}

grpc::ServerWriteReactor<HealthCheckResponse>* HealthService::Watch(
    grpc::CallbackServerContext* ctx, const HealthCheckRequest* request) {
  auto watcher = std::make_shared<Watcher>(*this, request->service());
  {
    absl::MutexLock lock(&mu_);
    if (shut_down_) {
      return new RefusedWatch(
          grpc::Status(grpc::StatusCode::UNAVAILABLE, "server shutting down"));
    }
    std::erase_if(watchers_, [](const auto& w) { return w->done(); });
    if (static_cast<int>(watchers_.size()) >= kMaxWatchers) {
      return new RefusedWatch(grpc::Status(
          grpc::StatusCode::RESOURCE_EXHAUSTED,
          absl::StrCat("more than ", kMaxWatchers, " health watchers")));
    }
    watchers_.push_back(watcher);
  }
  Watcher* reactor = watcher.get();
  reactor->Start(std::move(watcher));
  return reactor;
}

}  // namespace retail
