// The crash test's client side: a channel per server lifetime, the health
// probe, and a load driver that keeps a fixed number of ledger requests in
// flight through the callback API (as store software with many tills does).
#ifndef RETAIL_TESTS_CRASH_LOAD_CLIENT_H_
#define RETAIL_TESTS_CRASH_LOAD_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "retail/complaints/v1/complaints.grpc.pb.h"
#include "retail/customers/v1/customers.grpc.pb.h"
#include "retail/feedback/v1/feedback.grpc.pb.h"
#include "retail/orders/v1/orders.grpc.pb.h"
#include "tests/crash/ledger.h"

namespace retail::crash {

// A channel with its own connection (no subchannel shared with a channel to
// an earlier, killed server) and a short reconnect backoff.
std::shared_ptr<grpc::Channel> NewChannel(const std::string& address);

// One grpc.health.v1 check of the whole server. OK only if it answers
// SERVING within `timeout`.
absl::Status CheckServing(const std::shared_ptr<grpc::Channel>& channel,
                          absl::Duration timeout);

// A counting semaphore that also knows when nothing is in flight.
class InFlightLimit {
 public:
  explicit InFlightLimit(int max) : max_(max) {}
  // Takes a slot; false if none freed up before `deadline`.
  bool AcquireUntil(absl::Time deadline);
  void Release();
  // Waits until every slot is free; false on timeout.
  bool WaitIdle(absl::Duration timeout);

 private:
  const int max_;
  std::mutex mu_;
  std::condition_variable cv_;
  int used_ = 0;
};

// Drives one server lifetime. Callbacks hold the ledger and the limit by
// shared_ptr, so an answer arriving late can never touch freed memory.
class LoadClient {
 public:
  LoadClient(std::shared_ptr<Ledger> ledger,
             std::shared_ptr<grpc::Channel> channel, std::string token,
             int max_in_flight);
  ~LoadClient();

  // Sends ledger requests, keeping up to max_in_flight outstanding, until
  // `until`, or until `keep_going` (if given) says false: a dead server is
  // not worth more attempts. With `allow_new` false only queued retries are
  // sent, and it returns as soon as every one of them has been acknowledged.
  void Drive(absl::Time until, bool allow_new, int round,
             const std::function<bool()>& keep_going = nullptr);

  // Waits until every request sent has its answer (OK or not).
  bool WaitIdle(absl::Duration timeout) { return limit_->WaitIdle(timeout); }

  customers::v1::CustomerService::Stub& stub() { return *stub_; }
  orders::v1::OrderService::Stub& orders_stub() { return *orders_stub_; }
  const std::string& token() const { return token_; }

 private:
  void Send(size_t index, int round);

  std::shared_ptr<Ledger> ledger_;
  std::shared_ptr<InFlightLimit> limit_;
  std::unique_ptr<customers::v1::CustomerService::Stub> stub_;
  std::unique_ptr<orders::v1::OrderService::Stub> orders_stub_;
  std::unique_ptr<complaints::v1::ComplaintService::Stub> complaints_stub_;
  std::unique_ptr<feedback::v1::FeedbackService::Stub> feedback_stub_;
  const std::string token_;
};

// Deadline of every write RPC. A killed server fails its calls at once (the
// kernel resets the connections); this only bounds a hung one.
inline constexpr absl::Duration kRpcTimeout = absl::Seconds(5);

}  // namespace retail::crash

#endif  // RETAIL_TESTS_CRASH_LOAD_CLIENT_H_
