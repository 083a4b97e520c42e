// What every workload needs to issue RPCs: the connections, the stubs, the
// bearer token, the known customers, and generators of unique phones and
// request ids.
#ifndef RETAIL_TESTS_BENCH_ENV_H_
#define RETAIL_TESTS_BENCH_ENV_H_

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "retail/complaints/v1/complaints.grpc.pb.h"
#include "retail/customers/v1/customers.grpc.pb.h"
#include "retail/feedback/v1/feedback.grpc.pb.h"
#include "retail/orders/v1/orders.grpc.pb.h"
#include "tests/bench/dataset.h"
#include "tests/bench/fake_people.h"

namespace retail::bench {

struct EnvOptions {
  std::string addr;
  // A TLS listener of the same server's database (scripts/bench starts a
  // second retail_server with dev certificates on it), verified with
  // `tls_ca_pem`; empty: no TLS channels, and TLS workloads are skipped.
  std::string tls_addr;
  std::string tls_ca_pem;
  std::string token;
  int channels = 4;
  absl::Duration rpc_deadline = absl::Seconds(10);
  // Seeds the run prefix of phones and request ids and every thread's
  // profile generator (retail_bench --seed), so a run can be repeated.
  uint64_t seed = 1;
  // Calls answered UNAVAILABLE are sent again, the same request (so the same
  // request_id), up to this many times, as clients are told to: PostgreSQL
  // answers it when a write's serialization retries ran out, nginx when no
  // replica took the call. 0: an UNAVAILABLE is an error at once.
  int retry_unavailable = 0;
};

class Env {
 public:
  explicit Env(EnvOptions options);

  // Opens `channels` channels and waits until each is connected. Each has a
  // distinct channel argument and a local subchannel pool, so each is its
  // own TCP connection (and its own HTTP/2 stream limit), as from separate
  // store systems.
  absl::Status Connect(absl::Duration timeout);

  int channels() const { return static_cast<int>(channels_.size()); }
  // As many TLS connections as plaintext ones, to tls_addr.
  bool has_tls() const { return !tls_customer_stubs_.empty(); }
  customers::v1::CustomerService::Stub& tls_customers(int ch) {
    return *tls_customer_stubs_[ch];
  }
  customers::v1::CustomerService::Stub& customers(int ch) {
    return *customer_stubs_[ch];
  }
  orders::v1::OrderService::Stub& orders(int ch) { return *order_stubs_[ch]; }
  complaints::v1::ComplaintService::Stub& complaints(int ch) {
    return *complaint_stubs_[ch];
  }
  feedback::v1::FeedbackService::Stub& feedback(int ch) {
    return *feedback_stubs_[ch];
  }
  grpc::GenericStub& generic(int ch) { return *generic_stubs_[ch]; }

  // Sets the RPC deadline and the bearer token on a new call.
  void Prepare(grpc::ClientContext* ctx) const;

  // EnvOptions::retry_unavailable, and how many calls were sent again.
  int retry_unavailable() const { return options_.retry_unavailable; }
  void CountRetry() { retries_.fetch_add(1, std::memory_order_relaxed); }
  uint64_t retries() const { return retries_.load(std::memory_order_relaxed); }

  // A phone number no other call of this run uses: +44, a 5-digit run
  // prefix derived from the seed, and an 8-digit counter (E.164 allows 15
  // digits). Seeded customers have Chinese mobiles, so the two never meet.
  // Another run against the same database needs another seed.
  std::string NextPhone();
  // A request_id unique to this run (AIP-155 keys are per caller).
  std::string NextRequestId();
  // A run-unique number, e.g. to keep generated e-mail addresses distinct.
  uint64_t NextUnique() { return unique_.fetch_add(1); }

  // A profile generator for the calling thread (each thread has its own
  // engine, so no lock is needed on the hot path).
  PeopleGenerator& people();

  const Dataset& data() const { return data_; }
  void set_data(Dataset d) { data_ = std::move(d); }

  // A uniform choice in [0, n) derived from an operation's `seq`: no shared
  // random state between callback threads, and reproducible.
  static uint64_t Pick(uint64_t seq, uint64_t salt, uint64_t n);

 private:
  EnvOptions options_;
  std::string authorization_;
  uint32_t run_prefix_;                  // 10000..99999
  std::atomic<uint64_t> generators_{0};  // profile generators handed out
  std::atomic<uint64_t> phone_counter_{0};
  std::atomic<uint64_t> request_counter_{0};
  std::atomic<uint64_t> unique_{0};
  std::atomic<uint64_t> retries_{0};
  std::vector<std::shared_ptr<grpc::Channel>> channels_;
  std::vector<std::unique_ptr<customers::v1::CustomerService::Stub>>
      customer_stubs_;
  std::vector<std::unique_ptr<orders::v1::OrderService::Stub>> order_stubs_;
  std::vector<std::unique_ptr<complaints::v1::ComplaintService::Stub>>
      complaint_stubs_;
  std::vector<std::unique_ptr<feedback::v1::FeedbackService::Stub>>
      feedback_stubs_;
  std::vector<std::unique_ptr<grpc::GenericStub>> generic_stubs_;
  std::vector<std::shared_ptr<grpc::Channel>> tls_channels_;
  std::vector<std::unique_ptr<customers::v1::CustomerService::Stub>>
      tls_customer_stubs_;
  Dataset data_;
};

}  // namespace retail::bench

#endif  // RETAIL_TESTS_BENCH_ENV_H_
