// The workload table. A workload is one kind of operation a client does over
// and over: a name, whether it reads or durably writes, which of issue 3's
// targets it is held to, and a function that starts one operation and calls
// `done` when it ends.
//
// Adding a service's workloads (orders, complaints, feedback) is a new
// XxxWorkloads() function appended in AllWorkloads(); an operation made of
// several RPCs (CreateOrder then PayOrder) chains them inside `issue` and
// calls `done` after the last.
#ifndef RETAIL_TESTS_BENCH_WORKLOADS_H_
#define RETAIL_TESTS_BENCH_WORKLOADS_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "google/protobuf/arena.h"
#include "retail/complaints/v1/complaints.pb.h"
#include "retail/customers/v1/customers.pb.h"
#include "retail/orders/v1/orders.pb.h"
#include "tests/bench/env.h"
#include "tests/bench/load_driver.h"

namespace retail::bench {

enum class Kind { kBaseline, kRead, kWrite };

// Which targets (issue 3, part 2) a workload is held to.
enum class Category {
  kBaseline,        // the reference every ratio divides by
  kPointRead,       // >= 0.7 x baseline; p99 <= 2 ms at half of max
  kListPage,        // >= 0.3 x baseline; p99 <= 2 ms; at 1M rows p99 <= 10 ms
  kLookup,          // other indexed reads: p99 <= 2 ms at half of max
  kDurableCreate,   // >= 0.3 x baseline and >= 3 x one-commit-per-fsync;
                    // p99 <= fsync p99 + 3 ms at half of max
  kDurableTwoStep,  // two durable writes in a row (CreateOrder then
                    // PayOrder): >= 0.15 x baseline and >= 1.5 x
                    // one-commit-per-fsync; p99 <= 2 x fsync p99 + 3 ms at
                    // half of max (the create targets, for two commits)
  kReportOnly,      // measured and shown, no target (a full-table scan)
};

// A later issue's target for one workload, checked on top of its
// category's (issue 3's), e.g. issue 10's for orders.
struct Target {
  enum class Kind {
    kMinRatio,        // closed loop: req/s >= limit x baseline
    kMinTimesFsync,   // closed loop: req/s >= limit x one commit per fsync
    kMaxOpenP99Ms,    // open loop: p99 <= limit ms
    kMaxClosedP99Ms,  // closed loop: p99 <= limit ms
  };
  Kind kind = Kind::kMinRatio;
  double limit = 0;
  const char* issue = "";  // shown with the check, e.g. "#10"
};

// The table whose size a workload's at-scale targets (1M rows) count.
enum class Table { kCustomers, kOrders, kComplaints, kFeedback };

struct Workload {
  std::string key;   // the name --workloads takes, e.g. "get"
  std::string name;  // the table's label, e.g. "GetCustomer"
  Kind kind = Kind::kRead;
  Category category = Category::kReportOnly;
  // Needs seeded data (e.g. a VIP filter: API-created customers are all
  // POTENTIAL, so its pages would be empty and its numbers meaningless).
  bool needs_seeded_data = false;
  // Reads the orders of the data set (Dataset::orders), so needs some.
  bool needs_orders = false;
  // Closed loop: operations in flight, if not --in_flight. A full-table
  // scan is what a few service agents do at once, not 64 store systems;
  // 64 of them would only queue for the 4 reader connections.
  int in_flight = 0;
  // Open loop: this fixed rate (req/s) instead of --open_loop_fraction of
  // the closed-loop max, for work that is never done at saturation (a
  // branch's end-of-day reconciliation), but never more than that fraction
  // when the closed loop ran; --open_loop_rate overrides it.
  double open_loop_rate = 0;
  Table table = Table::kCustomers;
  std::vector<Target> targets;  // a later issue's, beyond the category's
  std::function<void(Env& env, int channel, uint64_t seq, Done done)> issue;
  // Reads the seeded reconciliation day (Dataset::recon), so needs one.
  bool needs_recon_day = false;
  // Reads the seeded complaints (Dataset::complaints), so needs some.
  bool needs_complaints = false;
  // Reads the seeded feedback (Dataset::feedback), so needs some.
  bool needs_feedback = false;
  // Runs over the TLS connections (Env::has_tls), so needs --tls_addr.
  bool needs_tls = false;
  // Few, slow calls (hundreds of ms each): measured over
  // --long_window_seconds when that is longer than --duration_seconds, so
  // its percentiles rest on more than a handful of calls.
  bool long_window = false;
  // Optional, run before each measured run, outside the timed window: makes
  // what the run's calls of `issue` will consume (e.g. PayOrder's unpaid
  // orders) for `seconds` of warm-up and window at `rate` operations per
  // second (0: closed loop, rate unknown).
  std::function<absl::Status(Env& env, double seconds, double rate)> prepare;
};

// grpc.health.v1.Health/Check with an empty request: the server's cheapest
// callback-API RPC, the baseline.
Workload BaselineWorkload();

// Every workload of every service, in the order they run (reads before
// writes, so reads see the data set as seeded).
std::vector<Workload> AllWorkloads();

// A new customer with a unique phone and a realistic profile in `branch`.
customers::v1::CreateCustomerRequest NewCustomerRequest(
    Env& env, const std::string& branch);

// The total of every order NewOrderRequest makes, in minor units (¥388.00).
inline constexpr int64_t kOrderTotal = 38'800;

// A store order of three lines (total kOrderTotal) in `branch`, for member
// `customer_id` or walk-in when it is empty; `variant` picks the SKUs.
orders::v1::CreateOrderRequest NewOrderRequest(Env& env,
                                               const std::string& branch,
                                               const std::string& customer_id,
                                               uint64_t variant);

// A succeeded cash tender of `amount` for `order_id`.
orders::v1::PayOrderRequest CashPaymentRequest(Env& env,
                                               const std::string& order_id,
                                               int64_t amount);

// `done` for operations whose answer is checked: the answer's check writes
// to `*problem` what is wrong with it, and such a call is reported as an
// error (INTERNAL: that text), never counted as throughput.
Done CheckedDone(Done done, std::shared_ptr<std::string> problem);

// Starts `start(ctx, &req, resp, callback)` with a fresh context and calls
// `done(status, items(*resp))` when it completes. The call's memory lives
// until then. Responses are parsed into an arena: decoding a page of 50
// customers would otherwise be hundreds of small allocations, and this
// client's CPU is CPU the server it shares the machine with does not get.
// An UNAVAILABLE answer is sent again, the same request in a new call, while
// env.retry_unavailable() allows: the operation's latency then includes
// every attempt.
template <typename Request, typename Response, typename Start, typename Items>
void StartUnary(Env& env, Request request, Start start, Items items, Done done,
                int attempt = 0) {
  struct Call {
    google::protobuf::Arena arena;
    grpc::ClientContext ctx;
    Request req;
    Response* resp = google::protobuf::Arena::CreateMessage<Response>(&arena);
  };
  auto* call = new Call();
  call->req = std::move(request);
  env.Prepare(&call->ctx);
  start(&call->ctx, &call->req, call->resp,
        [&env, call, start, items, attempt,
         done = std::move(done)](grpc::Status status) mutable {
          if (status.error_code() == grpc::StatusCode::UNAVAILABLE &&
              attempt < env.retry_unavailable()) {
            env.CountRetry();
            Request again = std::move(call->req);
            delete call;
            StartUnary<Request, Response>(env, std::move(again), start, items,
                                          std::move(done), attempt + 1);
            return;
          }
          const int n = status.ok() ? items(*call->resp) : 0;
          delete call;
          done(status, n);
        });
}

// The same for messages without arena support (grpc::ByteBuffer).
template <typename Request, typename Response, typename Start, typename Items>
void StartUnaryPlain(Env& env, Request request, Start start, Items items,
                     Done done) {
  struct Call {
    grpc::ClientContext ctx;
    Request req;
    Response resp;
  };
  auto* call = new Call();
  call->req = std::move(request);
  env.Prepare(&call->ctx);
  start(&call->ctx, &call->req, &call->resp,
        [call, items, done = std::move(done)](grpc::Status status) {
          const int n = status.ok() ? items(call->resp) : 0;
          delete call;
          done(status, n);
        });
}

}  // namespace retail::bench

#endif  // RETAIL_TESTS_BENCH_WORKLOADS_H_
