#include "tests/bench/fixture.h"

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "tests/bench/fake_people.h"
#include "tests/bench/workloads.h"

namespace retail::bench {

absl::StatusOr<Dataset> CreateFixture(Env& env, int count, int branches,
                                      int in_flight) {
  namespace v1 = ::retail::customers::v1;
  struct Shared {
    std::mutex mu;
    std::condition_variable cv;
    int outstanding = 0;
    Dataset data;
    std::string first_error;
  };
  auto shared = std::make_shared<Shared>();
  for (int i = 0; i < count; ++i) {
    {
      std::unique_lock<std::mutex> lock(shared->mu);
      shared->cv.wait(lock, [&] { return shared->outstanding < in_flight; });
      if (!shared->first_error.empty()) break;
      ++shared->outstanding;
    }
    const int ch = i % env.channels();
    auto* stub = &env.customers(ch);
    StartUnary<v1::CreateCustomerRequest, v1::CreateCustomerResponse>(
        env, NewCustomerRequest(env, BranchId(1 + i % std::max(1, branches))),
        [stub](auto* ctx, auto* q, auto* r, auto cb) {
          stub->async()->CreateCustomer(ctx, q, r, std::move(cb));
        },
        [shared](const v1::CreateCustomerResponse& r) {
          const v1::Customer& c = r.customer();
          std::lock_guard<std::mutex> lock(shared->mu);
          shared->data.customers.push_back(CustomerRef{
              c.customer_id(), c.phone(), c.branch_id(), c.display_name()});
          return 1;
        },
        [shared](const grpc::Status& status, int) {
          std::lock_guard<std::mutex> lock(shared->mu);
          if (!status.ok() && shared->first_error.empty()) {
            shared->first_error = absl::StrCat("CreateCustomer failed (code ",
                                               status.error_code(),
                                               "): ", status.error_message());
          }
          --shared->outstanding;
          shared->cv.notify_all();
        });
  }
  std::unique_lock<std::mutex> lock(shared->mu);
  // Every call has a deadline, so this wait is bounded.
  shared->cv.wait(lock, [&] { return shared->outstanding == 0; });
  if (!shared->first_error.empty()) {
    return absl::UnavailableError(shared->first_error);
  }
  Dataset d = std::move(shared->data);
  d.rows = static_cast<int64_t>(d.customers.size());
  CollectBranches(d);
  return d;
}

}  // namespace retail::bench
