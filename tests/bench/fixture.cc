#include "tests/bench/fixture.h"

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
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

namespace retail::bench {

absl::Status CreateOrderFixture(Env& env, int count, int in_flight,
                                Dataset& d) {
  namespace v1 = ::retail::orders::v1;
  if (count <= 0) return absl::OkStatus();
  struct Shared {
    std::mutex mu;
    std::condition_variable cv;
    int outstanding = 0;
    std::vector<OrderRef> orders;
    std::string first_error;
  };
  auto shared = std::make_shared<Shared>();
  auto fail = [shared](const char* what, const grpc::Status& status) {
    std::lock_guard<std::mutex> lock(shared->mu);
    if (shared->first_error.empty()) {
      shared->first_error =
          absl::StrCat(what, " failed (code ", status.error_code(),
                       "): ", status.error_message());
    }
  };
  auto finish = [shared] {
    std::lock_guard<std::mutex> lock(shared->mu);
    --shared->outstanding;
    shared->cv.notify_all();
  };
  for (int i = 0; i < count; ++i) {
    {
      std::unique_lock<std::mutex> lock(shared->mu);
      shared->cv.wait(lock, [&] { return shared->outstanding < in_flight; });
      if (!shared->first_error.empty()) break;
      ++shared->outstanding;
    }
    const int ch = i % env.channels();
    const std::string branch =
        d.branches.empty() ? "B001" : d.branches[i % d.branches.size()];
    const std::string member =
        i % 2 == 1 && !d.customers.empty()
            ? d.customers[(i / 2) % d.customers.size()].id
            : "";
    const bool pay = (i / 2) % 2 == 0;
    auto* stub = &env.orders(ch);
    auto created = std::make_shared<std::string>();
    StartUnary<v1::CreateOrderRequest, v1::CreateOrderResponse>(
        env, NewOrderRequest(env, branch, member, i),
        [stub](auto* ctx, auto* q, auto* r, auto cb) {
          stub->async()->CreateOrder(ctx, q, r, std::move(cb));
        },
        [shared, created, branch, pay](const v1::CreateOrderResponse& r) {
          *created = r.order().order_id();
          std::lock_guard<std::mutex> lock(shared->mu);
          shared->orders.push_back(OrderRef{
              r.order().order_id(), branch,
              pay ? v1::ORDER_STATUS_PAID : v1::ORDER_STATUS_PENDING_PAYMENT,
              google::protobuf::util::TimeUtil::TimestampToMicroseconds(
                  r.order().create_time())});
          return 1;
        },
        [&env, stub, shared, created, pay, fail, finish](
            const grpc::Status& status, int) {
          if (!status.ok()) {
            fail("CreateOrder", status);
            return finish();
          }
          if (!pay) return finish();
          StartUnary<v1::PayOrderRequest, v1::PayOrderResponse>(
              env, CashPaymentRequest(env, *created, kOrderTotal),
              [stub](auto* ctx, auto* q, auto* r, auto cb) {
                stub->async()->PayOrder(ctx, q, r, std::move(cb));
              },
              [](const v1::PayOrderResponse& r) {
                return r.has_order() ? 1 : 0;
              },
              [fail, finish](const grpc::Status& paid, int) {
                if (!paid.ok()) fail("PayOrder", paid);
                finish();
              });
        });
  }
  std::unique_lock<std::mutex> lock(shared->mu);
  // Every call has a deadline, so this wait is bounded.
  shared->cv.wait(lock, [&] { return shared->outstanding == 0; });
  if (!shared->first_error.empty()) {
    return absl::UnavailableError(shared->first_error);
  }
  for (OrderRef& o : shared->orders) d.orders.push_back(std::move(o));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> CreateUnpaidMemberOrders(
    Env& env, int64_t count, int in_flight) {
  namespace v1 = ::retail::orders::v1;
  struct Shared {
    std::mutex mu;
    std::condition_variable cv;
    int outstanding = 0;
    std::vector<std::string> ids;
    std::string first_error;
  };
  auto shared = std::make_shared<Shared>();
  const Dataset& d = env.data();
  if (d.customers.empty()) {
    return absl::FailedPreconditionError("no customers to create orders for");
  }
  for (int64_t i = 0; i < count; ++i) {
    {
      std::unique_lock<std::mutex> lock(shared->mu);
      shared->cv.wait(lock, [&] { return shared->outstanding < in_flight; });
      if (!shared->first_error.empty()) break;
      ++shared->outstanding;
    }
    const uint64_t unique = env.NextUnique();
    const std::string branch =
        d.branches.empty()
            ? "B001"
            : d.branches[Env::Pick(unique, 0x9001, d.branches.size())];
    const std::string& member =
        d.customers[Env::Pick(unique, 0x9002, d.customers.size())].id;
    auto* stub = &env.orders(static_cast<int>(i % env.channels()));
    StartUnary<v1::CreateOrderRequest, v1::CreateOrderResponse>(
        env, NewOrderRequest(env, branch, member, unique),
        [stub](auto* ctx, auto* q, auto* r, auto cb) {
          stub->async()->CreateOrder(ctx, q, r, std::move(cb));
        },
        [shared](const v1::CreateOrderResponse& r) {
          std::lock_guard<std::mutex> lock(shared->mu);
          shared->ids.push_back(r.order().order_id());
          return 1;
        },
        [shared](const grpc::Status& status, int) {
          std::lock_guard<std::mutex> lock(shared->mu);
          if (!status.ok() && shared->first_error.empty()) {
            shared->first_error =
                absl::StrCat("CreateOrder failed (code ", status.error_code(),
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
  return std::move(shared->ids);
}

}  // namespace retail::bench
