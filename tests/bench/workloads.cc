#include "tests/bench/workloads.h"

#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/slice.h>

#include <array>
#include <cmath>
#include <memory>
#include <mutex>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/time_util.h"
#include "retail/feedback/v1/feedback.pb.h"
#include "tests/bench/complaint_seed.h"
#include "tests/bench/feedback_seed.h"
#include "tests/bench/fixture.h"

namespace retail::bench {
namespace {

namespace v1 = ::retail::customers::v1;
namespace ov1 = ::retail::orders::v1;
namespace cv1 = ::retail::complaints::v1;

// Distinct salts keep the workloads' random choices independent.
enum Salt : uint64_t {
  kSaltGet = 1,
  kSaltListBranch,
  kSaltListContinue,
  kSaltSearchPhone,
  kSaltSearchName,
  kSaltCreateBranch,
  kSaltOrderGet,
  kSaltOrderListBranch,
  kSaltOrderBranch,
  kSaltOrderMember,
  kSaltOrderRange,
  kSaltOrderRangeStart,
  kSaltComplaintText,
  kSaltComplaintCustomer,
  kSaltComplaintBranch,
  kSaltComplaintChannel,
  kSaltComplaintSeverity,
  kSaltFeedbackDraw,
  kSaltFeedbackBranch,
};

const CustomerRef& PickCustomer(Env& env, uint64_t seq, uint64_t salt) {
  const auto& cs = env.data().customers;
  return cs[Env::Pick(seq, salt, cs.size())];
}

std::string PickBranch(Env& env, uint64_t seq, uint64_t salt) {
  const auto& bs = env.data().branches;
  return bs.empty() ? "B001" : bs[Env::Pick(seq, salt, bs.size())];
}

// List traffic is a mix of first pages and follow-on pages: a person (or a
// store's sync job) pages on about half the time. Follow-on pages exercise
// the page-token check and reach past the first, cache-hot rows. Tokens of
// pages still to read wait here; the pool is bounded.
class PageWalks {
 public:
  // A (filter, page_token) to continue, if the draw says so and one waits.
  bool TakeContinuation(uint64_t seq, std::string* filter, std::string* token) {
    if (Env::Pick(seq, kSaltListContinue, 2) != 0) return false;
    std::lock_guard<std::mutex> lock(mu_);
    if (pending_.empty()) return false;
    *filter = std::move(pending_.back().first);
    *token = std::move(pending_.back().second);
    pending_.pop_back();
    return true;
  }
  void Offer(const std::string& filter, const std::string& token) {
    if (token.empty()) return;
    std::lock_guard<std::mutex> lock(mu_);
    if (pending_.size() < kMaxPending) pending_.emplace_back(filter, token);
  }

 private:
  static constexpr size_t kMaxPending = 4096;
  std::mutex mu_;
  std::vector<std::pair<std::string, std::string>> pending_;
};

// ListCustomers, page of 50, with the filter `make_filter(env, seq)`.
Workload ListWorkload(std::string key, std::string name, bool needs_seeded,
                      std::function<std::string(Env&, uint64_t)> make_filter) {
  Workload w;
  w.key = std::move(key);
  w.name = std::move(name);
  w.kind = Kind::kRead;
  w.category = Category::kListPage;
  w.needs_seeded_data = needs_seeded;
  auto walks = std::make_shared<PageWalks>();
  w.issue = [walks, make_filter](Env& env, int ch, uint64_t seq, Done done) {
    v1::ListCustomersRequest req;
    req.set_page_size(50);
    std::string filter, token;
    if (!walks->TakeContinuation(seq, &filter, &token)) {
      filter = make_filter(env, seq);
    }
    req.set_filter(filter);
    req.set_page_token(token);
    auto* stub = &env.customers(ch);
    StartUnary<v1::ListCustomersRequest, v1::ListCustomersResponse>(
        env, std::move(req),
        [stub](auto* ctx, auto* q, auto* r, auto cb) {
          stub->async()->ListCustomers(ctx, q, r, std::move(cb));
        },
        [walks, filter](const v1::ListCustomersResponse& r) {
          walks->Offer(filter, r.next_page_token());
          return r.customers_size();
        },
        std::move(done));
  };
  return w;
}

// SearchCustomers with `fill(env, seq, &req)` choosing the query.
Workload SearchWorkload(
    std::string key, std::string name, Category category,
    std::function<void(Env&, uint64_t, v1::SearchCustomersRequest*)> fill) {
  Workload w;
  w.key = std::move(key);
  w.name = std::move(name);
  w.kind = Kind::kRead;
  w.category = category;
  w.issue = [fill](Env& env, int ch, uint64_t seq, Done done) {
    v1::SearchCustomersRequest req;
    fill(env, seq, &req);
    auto* stub = &env.customers(ch);
    StartUnary<v1::SearchCustomersRequest, v1::SearchCustomersResponse>(
        env, std::move(req),
        [stub](auto* ctx, auto* q, auto* r, auto cb) {
          stub->async()->SearchCustomers(ctx, q, r, std::move(cb));
        },
        [](const v1::SearchCustomersResponse& r) { return r.customers_size(); },
        std::move(done));
  };
  return w;
}

std::vector<Workload> CustomerWorkloads() {
  std::vector<Workload> out;

  Workload get;
  get.key = "get";
  get.name = "GetCustomer";
  get.kind = Kind::kRead;
  get.category = Category::kPointRead;
  get.issue = [](Env& env, int ch, uint64_t seq, Done done) {
    v1::GetCustomerRequest req;
    req.set_customer_id(PickCustomer(env, seq, kSaltGet).id);
    auto* stub = &env.customers(ch);
    StartUnary<v1::GetCustomerRequest, v1::GetCustomerResponse>(
        env, std::move(req),
        [stub](auto* ctx, auto* q, auto* r, auto cb) {
          stub->async()->GetCustomer(ctx, q, r, std::move(cb));
        },
        [](const v1::GetCustomerResponse& r) {
          return r.has_customer() ? 1 : 0;
        },
        std::move(done));
  };
  out.push_back(std::move(get));

  // The same calls over TLS to the same database (issue 14): what
  // encryption costs a point read, next to "get" in the same run.
  Workload get_tls;
  get_tls.key = "get_tls";
  get_tls.name = "GetCustomer over TLS";
  get_tls.kind = Kind::kRead;
  get_tls.category = Category::kReportOnly;
  get_tls.needs_tls = true;
  get_tls.issue = [](Env& env, int ch, uint64_t seq, Done done) {
    v1::GetCustomerRequest req;
    req.set_customer_id(PickCustomer(env, seq, kSaltGet).id);
    auto* stub = &env.tls_customers(ch);
    StartUnary<v1::GetCustomerRequest, v1::GetCustomerResponse>(
        env, std::move(req),
        [stub](auto* ctx, auto* q, auto* r, auto cb) {
          stub->async()->GetCustomer(ctx, q, r, std::move(cb));
        },
        [](const v1::GetCustomerResponse& r) {
          return r.has_customer() ? 1 : 0;
        },
        std::move(done));
  };
  out.push_back(std::move(get_tls));

  out.push_back(ListWorkload(
      "list", "ListCustomers branch", false, [](Env& env, uint64_t seq) {
        return absl::StrCat("branch_id = \"",
                            PickBranch(env, seq, kSaltListBranch), "\"");
      }));
  out.push_back(
      ListWorkload("list_vip", "ListCustomers VIP", true,
                   [](Env&, uint64_t) { return std::string("tier = VIP"); }));
  out.push_back(ListWorkload("list_branch_vip", "ListCustomers branch+VIP",
                             true, [](Env& env, uint64_t seq) {
                               return absl::StrCat(
                                   "branch_id = \"",
                                   PickBranch(env, seq, kSaltListBranch),
                                   "\" AND tier = VIP");
                             }));

  out.push_back(SearchWorkload(
      "search_phone", "SearchCustomers phone", Category::kLookup,
      [](Env& env, uint64_t seq, v1::SearchCustomersRequest* req) {
        req->set_phone(PickCustomer(env, seq, kSaltSearchPhone).phone);
      }));
  // A real person's full name: with realistic name diversity only a few
  // rows match, so the substring scan (instr, no index) reads the table.
  Workload search_name = SearchWorkload(
      "search_name", "SearchCustomers name", Category::kReportOnly,
      [](Env& env, uint64_t seq, v1::SearchCustomersRequest* req) {
        req->set_name_contains(PickCustomer(env, seq, kSaltSearchName).name);
      });
  search_name.in_flight = 4;
  out.push_back(std::move(search_name));

  Workload create;
  create.key = "create";
  create.name = "CreateCustomer";
  create.kind = Kind::kWrite;
  create.category = Category::kDurableCreate;
  create.issue = [](Env& env, int ch, uint64_t seq, Done done) {
    auto* stub = &env.customers(ch);
    StartUnary<v1::CreateCustomerRequest, v1::CreateCustomerResponse>(
        env, NewCustomerRequest(env, PickBranch(env, seq, kSaltCreateBranch)),
        [stub](auto* ctx, auto* q, auto* r, auto cb) {
          stub->async()->CreateCustomer(ctx, q, r, std::move(cb));
        },
        [](const v1::CreateCustomerResponse& r) {
          return r.has_customer() ? 1 : 0;
        },
        std::move(done));
  };
  out.push_back(std::move(create));
  return out;
}

// ---- OrderService -----------------------------------------------------------

// CreateOrder, walk-in or for a member (a customer of the data set, who
// buys in a random branch: members buy in any branch).
Workload CreateOrderWorkload(bool member) {
  Workload w;
  w.key = member ? "order_create_member" : "order_create";
  w.name = member ? "CreateOrder member" : "CreateOrder walk-in";
  w.kind = Kind::kWrite;
  w.category = Category::kDurableCreate;
  w.table = Table::kOrders;
  w.issue = [member](Env& env, int ch, uint64_t seq, Done done) {
    const std::string customer =
        member ? PickCustomer(env, seq, kSaltOrderMember).id : "";
    auto* stub = &env.orders(ch);
    StartUnary<ov1::CreateOrderRequest, ov1::CreateOrderResponse>(
        env,
        NewOrderRequest(env, PickBranch(env, seq, kSaltOrderBranch), customer,
                        seq),
        [stub](auto* ctx, auto* q, auto* r, auto cb) {
          stub->async()->CreateOrder(ctx, q, r, std::move(cb));
        },
        [](const ov1::CreateOrderResponse& r) { return r.has_order() ? 1 : 0; },
        std::move(done));
  };
  return w;
}

// A walk-in order paid in full in cash, which makes it PAID and writes its
// settlement slip: CreateOrder, then PayOrder; the operation ends when the
// payment is durable.
Workload CreateAndPayWorkload() {
  Workload w;
  w.key = "order_pay";
  w.name = "CreateOrder+PayOrder cash";
  w.kind = Kind::kWrite;
  w.category = Category::kDurableTwoStep;
  w.table = Table::kOrders;
  w.issue = [](Env& env, int ch, uint64_t seq, Done done) {
    auto* stub = &env.orders(ch);
    auto created = std::make_shared<std::string>();
    StartUnary<ov1::CreateOrderRequest, ov1::CreateOrderResponse>(
        env,
        NewOrderRequest(env, PickBranch(env, seq, kSaltOrderBranch), "", seq),
        [stub](auto* ctx, auto* q, auto* r, auto cb) {
          stub->async()->CreateOrder(ctx, q, r, std::move(cb));
        },
        [created](const ov1::CreateOrderResponse& r) {
          *created = r.order().order_id();
          return 1;
        },
        [&env, stub, created, done = std::move(done)](
            const grpc::Status& status, int) mutable {
          if (!status.ok()) return done(status, 0);
          StartUnary<ov1::PayOrderRequest, ov1::PayOrderResponse>(
              env, CashPaymentRequest(env, *created, kOrderTotal),
              [stub](auto* ctx, auto* q, auto* r, auto cb) {
                stub->async()->PayOrder(ctx, q, r, std::move(cb));
              },
              [](const ov1::PayOrderResponse& r) {
                // Paid in full: the slip is in the answer.
                return r.order().status() == ov1::ORDER_STATUS_PAID &&
                               r.has_settlement()
                           ? 1
                           : 0;
              },
              std::move(done));
        });
  };
  return w;
}

// ListOrders by branch, status and a 30-day creation-time range, page of
// 50: "this month's completed orders of my store". Each new walk starts
// from a known order: its branch, its status, and a window that holds its
// creation time, so no filter is empty by construction; about half the
// calls continue an earlier walk.
Workload ListRangeWorkload() {
  Workload w;
  w.key = "order_list_range";
  w.name = "ListOrders branch+status+range";
  w.kind = Kind::kRead;
  w.category = Category::kListPage;
  w.needs_orders = true;
  w.table = Table::kOrders;
  auto walks = std::make_shared<PageWalks>();
  w.issue = [walks](Env& env, int ch, uint64_t seq, Done done) {
    constexpr int64_t kWindowUs = int64_t{30} * 24 * 3600 * 1'000'000;
    std::string filter, token;
    if (!walks->TakeContinuation(seq, &filter, &token)) {
      const auto& os = env.data().orders;
      const OrderRef& o = os[Env::Pick(seq, kSaltOrderRange, os.size())];
      const int status =
          o.status != 0 ? o.status : ov1::ORDER_STATUS_PENDING_PAYMENT;
      // Minutes before the order at which the window starts.
      const int64_t before_us = static_cast<int64_t>(Env::Pick(
                                    seq, kSaltOrderRangeStart, 30 * 24 * 60)) *
                                60'000'000;
      const int64_t start = o.create_us - before_us;
      filter = absl::StrCat(o.branch, "|", status, "|", start, "|",
                            start + kWindowUs);
    }
    const std::vector<std::string> f = absl::StrSplit(filter, '|');
    int status = 0;
    int64_t start = 0, end = 0;
    if (f.size() != 4 || !absl::SimpleAtoi(f[1], &status) ||
        !absl::SimpleAtoi(f[2], &start) || !absl::SimpleAtoi(f[3], &end)) {
      return done(grpc::Status(grpc::StatusCode::INTERNAL,
                               "bench: bad range walk " + filter),
                  0);
    }
    ov1::ListOrdersRequest req;
    req.set_page_size(50);
    req.set_branch_id(f[0]);
    req.set_status(static_cast<ov1::OrderStatus>(status));
    using ::google::protobuf::util::TimeUtil;
    *req.mutable_create_time_start() = TimeUtil::MicrosecondsToTimestamp(start);
    *req.mutable_create_time_end() = TimeUtil::MicrosecondsToTimestamp(end);
    req.set_page_token(token);
    auto* stub = &env.orders(ch);
    auto problem = std::make_shared<std::string>();
    StartUnary<ov1::ListOrdersRequest, ov1::ListOrdersResponse>(
        env, std::move(req),
        [stub](auto* ctx, auto* q, auto* r, auto cb) {
          stub->async()->ListOrders(ctx, q, r, std::move(cb));
        },
        [walks, filter, problem, status, start,
         end](const ov1::ListOrdersResponse& r) {
          for (const ov1::Order& o : r.orders()) {
            const int64_t t =
                TimeUtil::TimestampToMicroseconds(o.create_time());
            if (o.status() != status || t < start || t >= end) {
              *problem = absl::StrCat("ListOrders returned order ",
                                      o.order_id(), " outside the filter");
            }
          }
          walks->Offer(filter, r.next_page_token());
          return r.orders_size();
        },
        CheckedDone(std::move(done), problem));
  };
  return w;
}

// GetDailyReconciliation of the seeded day (order_seed.h): one branch's
// business day of 10,000 paid orders (scripts/bench's default) with split
// tenders, failed attempts, returns and cancellations refunded that day.
// Every answer is checked against the figures the seeder wrote: the sales
// and refund totals and counts, the settled and refunded order counts,
// and no discrepancy. It is an end-of-day job for a cashier or the back
// office, a few at a time, not 64 store systems at once: the closed loop
// runs 4 in flight (the most the server does at once on its 4 readers),
// and the open loop, which the p99 target is held to, 10 a second. That
// is 36,000 an hour (a chain of 500 branches needs 500 a day) and a fifth
// of one core, a rate the machine sustains; half of the closed-loop
// maximum would be a saturation test of the 2 cores instead.
Workload ReconciliationWorkload() {
  Workload w;
  w.key = "order_reconcile";
  w.name = "GetDailyReconciliation";
  w.kind = Kind::kRead;
  w.category = Category::kReportOnly;
  w.needs_recon_day = true;
  w.table = Table::kOrders;
  w.in_flight = 4;
  w.open_loop_rate = 10;
  w.targets = {{Target::Kind::kMaxOpenP99Ms, 50, "#10"}};
  w.issue = [](Env& env, int ch, uint64_t, Done done) {
    const ReconDay& day = env.data().recon;
    ov1::GetDailyReconciliationRequest req;
    req.set_branch_id(day.branch);
    req.mutable_date()->set_year(day.date / 10000);
    req.mutable_date()->set_month(day.date / 100 % 100);
    req.mutable_date()->set_day(day.date % 100);
    auto* stub = &env.orders(ch);
    auto problem = std::make_shared<std::string>();
    StartUnary<ov1::GetDailyReconciliationRequest,
               ov1::GetDailyReconciliationResponse>(
        env, std::move(req),
        [stub](auto* ctx, auto* q, auto* r, auto cb) {
          stub->async()->GetDailyReconciliation(ctx, q, r, std::move(cb));
        },
        [&day, problem](const ov1::GetDailyReconciliationResponse& r) {
          const ov1::Reconciliation& rec = r.reconciliation();
          const ov1::ReconciliationTotals& t = rec.totals();
          const std::pair<int64_t, int64_t> figures[] = {
              {t.settled_order_count(), day.slips},
              {t.sales_count(), day.sales_count},
              {t.sales().minor_units(), day.sales_minor},
              {t.refund_count(), day.refund_count},
              {t.refunds().minor_units(), day.refund_minor},
              {t.refunded_order_count(), day.refunded_orders},
              {t.net().minor_units(), day.sales_minor - day.refund_minor},
          };
          static constexpr const char* kNames[] = {
              "settled orders", "sales count",     "sales", "refund count",
              "refunds",        "refunded orders", "net"};
          for (size_t i = 0; i < std::size(figures); ++i) {
            if (figures[i].first != figures[i].second && problem->empty()) {
              *problem = absl::StrCat(
                  "reconciliation of the seeded day: ", kNames[i], " ",
                  figures[i].first, ", seeded ", figures[i].second);
            }
          }
          if (rec.discrepancies_size() > 0 && problem->empty()) {
            *problem = absl::StrCat(
                "reconciliation of the seeded day reports ",
                rec.discrepancies_size(),
                " discrepancies, first: ", rec.discrepancies(0).order_id(),
                ": ", rec.discrepancies(0).description());
          }
          return static_cast<int>(t.settled_order_count());
        },
        CheckedDone(std::move(done), problem));
  };
  return w;
}

// An order that becomes PAID with one PayOrder: a member's unpaid store
// order (three lines, ¥388.00) paid in full in cash or, every other call,
// with WeChat Pay and a fresh transaction reference (so the reference
// check runs). In that one transaction the server records the tender,
// earns the member points, updates their spend, order count and tier, and
// writes the slip. The unpaid orders are created before each run, outside
// its window (prepare), so every timed call is one PayOrder.
Workload PayOrderWorkload() {
  struct Pool {
    std::mutex mu;
    std::vector<std::string> ids;
  };
  auto pool = std::make_shared<Pool>();
  Workload w;
  w.key = "order_pay_member";
  w.name = "PayOrder member, completes";
  w.kind = Kind::kWrite;
  w.category = Category::kReportOnly;
  w.table = Table::kOrders;
  w.targets = {{Target::Kind::kMinTimesFsync, 3, "#10"}};
  w.prepare = [pool](Env& env, double seconds, double rate) -> absl::Status {
    constexpr int kInFlight = 64;
    auto add = [&](int64_t n) -> absl::Status {
      absl::StatusOr<std::vector<std::string>> ids =
          CreateUnpaidMemberOrders(env, n, kInFlight);
      if (!ids.ok()) return ids.status();
      std::lock_guard<std::mutex> lock(pool->mu);
      pool->ids.insert(pool->ids.end(), ids->begin(), ids->end());
      return absl::OkStatus();
    };
    auto have = [&] {
      std::lock_guard<std::mutex> lock(pool->mu);
      return static_cast<int64_t>(pool->ids.size());
    };
    int64_t need = 0;
    if (rate > 0) {
      need = static_cast<int64_t>(rate * seconds * 1.25) + 2 * kInFlight;
    } else {
      // Closed loop: the rate is what is being measured. A PayOrder does
      // more than a CreateOrder, so half again the creation rate (timed
      // on a first batch) bounds it.
      const int64_t first = 1000;
      const int64_t start = MonotonicNanos();
      if (absl::Status s = add(first); !s.ok()) return s;
      const double create_rate = first * 1e9 / (MonotonicNanos() - start);
      need = static_cast<int64_t>(create_rate * 1.5 * seconds) + 4 * kInFlight;
    }
    const int64_t missing = need - have();
    return missing > 0 ? add(missing) : absl::OkStatus();
  };
  w.issue = [pool](Env& env, int ch, uint64_t seq, Done done) {
    std::string id;
    {
      std::lock_guard<std::mutex> lock(pool->mu);
      if (!pool->ids.empty()) {
        id = std::move(pool->ids.back());
        pool->ids.pop_back();
      }
    }
    if (id.empty()) {
      return done(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                               "bench: no unpaid order left in the pool "
                               "made before the run"),
                  0);
    }
    ov1::PayOrderRequest req = CashPaymentRequest(env, id, kOrderTotal);
    if (seq % 2 == 1) {
      req.mutable_payment()->set_method(ov1::PAYMENT_METHOD_WECHAT_PAY);
      req.mutable_payment()->set_external_reference(
          absl::StrCat("wx-", env.NextRequestId()));
    }
    auto* stub = &env.orders(ch);
    auto problem = std::make_shared<std::string>();
    StartUnary<ov1::PayOrderRequest, ov1::PayOrderResponse>(
        env, std::move(req),
        [stub](auto* ctx, auto* q, auto* r, auto cb) {
          stub->async()->PayOrder(ctx, q, r, std::move(cb));
        },
        [problem](const ov1::PayOrderResponse& r) {
          if (r.order().status() != ov1::ORDER_STATUS_PAID ||
              !r.has_settlement() || r.order().points_earned() <= 0) {
            *problem = absl::StrCat(
                "PayOrder of ", r.order().order_id(),
                " did not complete it (status ",
                ov1::OrderStatus_Name(r.order().status()), ", slip ",
                r.has_settlement() ? "yes" : "no", ", points earned ",
                r.order().points_earned(), ")");
          }
          return 1;
        },
        CheckedDone(std::move(done), problem));
  };
  return w;
}

std::vector<Workload> OrderWorkloads() {
  std::vector<Workload> out;

  Workload get;
  get.key = "order_get";
  get.name = "GetOrder";
  get.kind = Kind::kRead;
  get.category = Category::kPointRead;
  get.needs_orders = true;
  get.table = Table::kOrders;
  get.targets = {{Target::Kind::kMinRatio, 0.5, "#10"}};
  get.issue = [](Env& env, int ch, uint64_t seq, Done done) {
    const auto& os = env.data().orders;
    ov1::GetOrderRequest req;
    req.set_order_id(os[Env::Pick(seq, kSaltOrderGet, os.size())].id);
    auto* stub = &env.orders(ch);
    StartUnary<ov1::GetOrderRequest, ov1::GetOrderResponse>(
        env, std::move(req),
        [stub](auto* ctx, auto* q, auto* r, auto cb) {
          stub->async()->GetOrder(ctx, q, r, std::move(cb));
        },
        [](const ov1::GetOrderResponse& r) { return r.has_order() ? 1 : 0; },
        std::move(done));
  };
  out.push_back(std::move(get));

  // ListOrders by branch, page of 50; about half the calls continue an
  // earlier walk (the page token is bound to the branch filter).
  Workload list;
  list.key = "order_list";
  list.name = "ListOrders branch";
  list.kind = Kind::kRead;
  list.category = Category::kListPage;
  list.needs_orders = true;
  list.table = Table::kOrders;
  auto walks = std::make_shared<PageWalks>();
  list.issue = [walks](Env& env, int ch, uint64_t seq, Done done) {
    ov1::ListOrdersRequest req;
    req.set_page_size(50);
    std::string branch, token;
    if (!walks->TakeContinuation(seq, &branch, &token)) {
      branch = PickBranch(env, seq, kSaltOrderListBranch);
    }
    req.set_branch_id(branch);
    req.set_page_token(token);
    auto* stub = &env.orders(ch);
    StartUnary<ov1::ListOrdersRequest, ov1::ListOrdersResponse>(
        env, std::move(req),
        [stub](auto* ctx, auto* q, auto* r, auto cb) {
          stub->async()->ListOrders(ctx, q, r, std::move(cb));
        },
        [walks, branch](const ov1::ListOrdersResponse& r) {
          walks->Offer(branch, r.next_page_token());
          return r.orders_size();
        },
        std::move(done));
  };
  out.push_back(std::move(list));
  out.push_back(ListRangeWorkload());
  out.push_back(ReconciliationWorkload());

  out.push_back(CreateOrderWorkload(false));
  out.push_back(CreateOrderWorkload(true));
  out.push_back(CreateAndPayWorkload());
  out.push_back(PayOrderWorkload());
  return out;
}

// ---- ComplaintService -------------------------------------------------------

// CreateComplaint (issue 12: at least 3x one commit per fsync at 64 in
// flight): a customer of the data set complains in a random branch (a
// customer may complain in any branch), with a template text in Chinese
// (simplified or traditional) or English that the server analyses at
// intake (topics and keywords, on the calling thread, before the writer).
// The answer must be the new complaint in NEW with its three clocks.
Workload CreateComplaintWorkload() {
  Workload w;
  w.key = "complaint_create";
  w.name = "CreateComplaint";
  w.kind = Kind::kWrite;
  w.category = Category::kDurableCreate;
  w.table = Table::kComplaints;
  w.issue = [](Env& env, int ch, uint64_t seq, Done done) {
    const std::vector<ComplaintText>& texts = ComplaintTemplates();
    const ComplaintText& t =
        texts[Env::Pick(seq, kSaltComplaintText, texts.size())];
    cv1::CreateComplaintRequest req;
    req.set_request_id(env.NextRequestId());
    cv1::Complaint* c = req.mutable_complaint();
    c->set_customer_id(PickCustomer(env, seq, kSaltComplaintCustomer).id);
    c->set_branch_id(PickBranch(env, seq, kSaltComplaintBranch));
    c->set_channel(static_cast<cv1::ComplaintChannel>(
        1 + Env::Pick(seq, kSaltComplaintChannel, 7)));
    c->set_category(t.category);
    c->set_severity(static_cast<cv1::ComplaintSeverity>(
        1 + Env::Pick(seq, kSaltComplaintSeverity, 3)));
    c->set_subject(t.subject);
    c->set_description(t.description);
    auto* stub = &env.complaints(ch);
    auto problem = std::make_shared<std::string>();
    StartUnary<cv1::CreateComplaintRequest, cv1::CreateComplaintResponse>(
        env, std::move(req),
        [stub](auto* ctx, auto* q, auto* r, auto cb) {
          stub->async()->CreateComplaint(ctx, q, r, std::move(cb));
        },
        [problem](const cv1::CreateComplaintResponse& r) {
          const cv1::Complaint& c = r.complaint();
          if (c.complaint_id().empty() ||
              c.status() != cv1::COMPLAINT_STATUS_NEW || c.clocks_size() != 3) {
            *problem =
                absl::StrCat("CreateComplaint answered '", c.complaint_id(),
                             "' in ", cv1::ComplaintStatus_Name(c.status()),
                             " with ", c.clocks_size(), " clocks");
          }
          return 1;
        },
        CheckedDone(std::move(done), problem));
  };
  return w;
}

// ListComplaints "what burns next": breached complaints, earliest next due
// time first, page of 50, over all branches (a service desk's queue).
// About half the calls continue an earlier walk. Every complaint on a page
// must be breached and the page ordered by next due time.
Workload ListBreachedWorkload() {
  Workload w;
  w.key = "complaint_list_breached";
  w.name = "ListComplaints breached, by due";
  w.kind = Kind::kRead;
  w.category = Category::kListPage;
  w.needs_complaints = true;
  w.table = Table::kComplaints;
  auto walks = std::make_shared<PageWalks>();
  w.issue = [walks](Env& env, int ch, uint64_t seq, Done done) {
    static const std::string kFilter = "breached";
    std::string filter, token;
    walks->TakeContinuation(seq, &filter, &token);
    cv1::ListComplaintsRequest req;
    req.set_breached(true);
    req.set_order_by(cv1::COMPLAINT_ORDER_NEXT_DUE);
    req.set_page_size(50);
    req.set_page_token(token);
    auto* stub = &env.complaints(ch);
    auto problem = std::make_shared<std::string>();
    StartUnary<cv1::ListComplaintsRequest, cv1::ListComplaintsResponse>(
        env, std::move(req),
        [stub](auto* ctx, auto* q, auto* r, auto cb) {
          stub->async()->ListComplaints(ctx, q, r, std::move(cb));
        },
        [walks, problem](const cv1::ListComplaintsResponse& r) {
          using ::google::protobuf::util::TimeUtil;
          int64_t previous = INT64_MIN;
          for (const cv1::Complaint& c : r.complaints()) {
            const int64_t due =
                c.has_next_due_time()
                    ? TimeUtil::TimestampToMicroseconds(c.next_due_time())
                    : INT64_MIN;
            if (!c.breached() || due == INT64_MIN || due < previous) {
              *problem = absl::StrCat(
                  "ListComplaints breached by due returned ", c.complaint_id(),
                  c.breached() ? "" : " (not breached)",
                  due == INT64_MIN ? " (no next due time)" : "",
                  due < previous ? " (out of due order)" : "");
              break;
            }
            previous = due;
          }
          walks->Offer(kFilter, r.next_page_token());
          return r.complaints_size();
        },
        CheckedDone(std::move(done), problem));
  };
  return w;
}

// GetComplaintStats over the seeded stats window (the 30 days before the
// seeding instant, every branch): counts by category, severity, channel
// and status, the three clocks' met/breached/running and median/p90, the
// reopen rate, satisfaction and the top recurring problems. Every answer is
// checked against the seeder's figures: the total, the count of each status
// and category, the satisfaction count and the reopen rate (complaints
// created later, by CreateComplaint, fall outside the window). It is a
// manager's report, not a store system's call: the closed loop runs one at
// a time (the latency of a call alone), and the open loop, which the issue
// 12 target (p99 <= 300 ms) is held to, 2 a second, or half of the
// closed-loop max if that is less (the driver's floor is 1 a second).
Workload ComplaintStatsWorkload() {
  Workload w;
  w.key = "complaint_stats";
  w.name = "GetComplaintStats 30 days";
  w.kind = Kind::kRead;
  w.category = Category::kReportOnly;
  w.needs_complaints = true;
  w.table = Table::kComplaints;
  w.in_flight = 1;
  w.open_loop_rate = 2;
  w.long_window = true;
  w.targets = {{Target::Kind::kMaxOpenP99Ms, 300, "#12"}};
  w.issue = [](Env& env, int ch, uint64_t, Done done) {
    using ::google::protobuf::util::TimeUtil;
    const ComplaintFacts& f = env.data().complaints;
    cv1::GetComplaintStatsRequest req;
    *req.mutable_start_time() =
        TimeUtil::MicrosecondsToTimestamp(f.stats_start_us);
    *req.mutable_end_time() = TimeUtil::MicrosecondsToTimestamp(f.stats_end_us);
    req.set_top_problems(10);
    auto* stub = &env.complaints(ch);
    auto problem = std::make_shared<std::string>();
    StartUnary<cv1::GetComplaintStatsRequest, cv1::GetComplaintStatsResponse>(
        env, std::move(req),
        [stub](auto* ctx, auto* q, auto* r, auto cb) {
          stub->async()->GetComplaintStats(ctx, q, r, std::move(cb));
        },
        [&f, problem](const cv1::GetComplaintStatsResponse& r) {
          const cv1::ComplaintStats& s = r.stats();
          auto differs = [&](const std::string& what, int64_t got,
                             int64_t want) {
            if (got != want && problem->empty()) {
              *problem =
                  absl::StrCat("GetComplaintStats of the seeded window: ", what,
                               " ", got, ", seeded ", want);
            }
          };
          differs("total", s.total(), f.total);
          differs("satisfaction count", s.satisfaction_count(), f.scored);
          std::array<int64_t, 9> by_status{};
          for (const cv1::LabelCount& c : s.by_status()) {
            cv1::ComplaintStatus v;
            if (cv1::ComplaintStatus_Parse(c.label(), &v)) {
              by_status[v] = c.count();
            }
          }
          for (size_t i = 1; i < by_status.size(); ++i) {
            differs(
                cv1::ComplaintStatus_Name(static_cast<cv1::ComplaintStatus>(i)),
                by_status[i], f.by_status[i]);
          }
          std::array<int64_t, 8> by_category{};
          for (const cv1::LabelCount& c : s.by_category()) {
            cv1::ComplaintCategory v;
            if (cv1::ComplaintCategory_Parse(c.label(), &v)) {
              by_category[v] = c.count();
            }
          }
          for (size_t i = 1; i < by_category.size(); ++i) {
            differs(cv1::ComplaintCategory_Name(
                        static_cast<cv1::ComplaintCategory>(i)),
                    by_category[i], f.by_category[i]);
          }
          const double rate =
              f.closed_ever == 0
                  ? 0
                  : static_cast<double>(f.reopened) / f.closed_ever;
          if (std::abs(s.reopen_rate() - rate) > 1e-9 && problem->empty()) {
            *problem = absl::StrCat(
                "GetComplaintStats of the seeded window: reopen rate ",
                s.reopen_rate(), ", seeded ", rate);
          }
          if (s.clocks_size() != 3 && problem->empty()) {
            *problem = "GetComplaintStats answered without three clocks";
          }
          return static_cast<int>(s.total());
        },
        CheckedDone(std::move(done), problem));
  };
  return w;
}

std::vector<Workload> ComplaintWorkloads() {
  std::vector<Workload> out;
  out.push_back(ListBreachedWorkload());
  out.push_back(ComplaintStatsWorkload());
  out.push_back(CreateComplaintWorkload());
  return out;
}

// ---- FeedbackService --------------------------------------------------------

namespace fv1 = ::retail::feedback::v1;

// SubmitFeedback (issue 13: at least 3x one commit per fsync at 64 in
// flight): the mix of DrawFeedback (feedback_seed.h), as the seeder writes
// it: template texts of 20-120 characters in simplified and traditional
// Chinese and English, praise, suggestions, mixed and negative reviews,
// ratings 0-5 that fit them, 30% anonymous, the rest from a customer of
// the data set (fixture or seeded), in a random branch. The server
// analyses each text at intake; about 5% (negative and rated 1-2, or
// naming a counterfeit, with a customer) open a complaint in the same
// transaction, and anonymous ones that would are flagged for review.
// Every answer is checked against the client's own analysis of the
// template (the shared analyser, run once before the run): an id, the
// sentiment, the topics, the escalation reason, and the complaint or the
// review flag exactly when the server's default rule says so. Its items
// column is the share of calls that opened a complaint.
Workload SubmitFeedbackWorkload() {
  struct State {
    std::mutex mu;
    std::vector<FeedbackAnalysis> analysed;  // per template, once prepared
  };
  auto state = std::make_shared<State>();
  Workload w;
  w.key = "feedback_submit";
  w.name = "SubmitFeedback";
  w.kind = Kind::kWrite;
  w.category = Category::kDurableCreate;
  w.table = Table::kFeedback;
  w.prepare = [state](Env&, double, double) -> absl::Status {
    std::lock_guard<std::mutex> lock(state->mu);
    if (!state->analysed.empty()) return absl::OkStatus();
    absl::StatusOr<std::vector<FeedbackAnalysis>> a =
        AnalyseFeedbackTemplates();
    if (!a.ok()) return a.status();
    state->analysed = *std::move(a);
    return absl::OkStatus();
  };
  w.issue = [state](Env& env, int ch, uint64_t seq, Done done) {
    const FeedbackDraw d =
        DrawFeedback(Env::Pick(seq, kSaltFeedbackDraw, UINT64_MAX));
    const FeedbackText& t = FeedbackTemplates()[d.text];
    // Read-only once prepared (before any call starts).
    const FeedbackAnalysis& a = state->analysed[d.text];
    const size_t text = d.text;
    fv1::SubmitFeedbackRequest req;
    req.set_request_id(env.NextRequestId());
    fv1::FeedbackItem* f = req.mutable_feedback();
    f->set_kind(t.kind);
    f->set_channel(d.channel);
    f->set_branch_id(PickBranch(env, seq, kSaltFeedbackBranch));
    if (!d.anonymous) {
      const auto& cs = env.data().customers;
      f->set_customer_id(cs[d.pick % cs.size()].id);
    }
    if (d.sku >= 0) f->set_sku(FeedbackSku(d.sku));
    f->set_rating(d.rating);
    f->set_text(t.text);
    const std::string reason = EscalationReason(a, d.rating);
    auto* stub = &env.feedback(ch);
    auto problem = std::make_shared<std::string>();
    StartUnary<fv1::SubmitFeedbackRequest, fv1::SubmitFeedbackResponse>(
        env, std::move(req),
        [stub](auto* ctx, auto* q, auto* r, auto cb) {
          stub->async()->SubmitFeedback(ctx, q, r, std::move(cb));
        },
        [state, text, reason, anonymous = d.anonymous,
         problem](const fv1::SubmitFeedbackResponse& r) {
          const FeedbackAnalysis& a = state->analysed[text];
          const fv1::FeedbackItem& f = r.feedback();
          const bool complaint = !f.complaint_id().empty();
          const bool escalate = !reason.empty();
          const char* wrong =
              !absl::StartsWith(f.feedback_id(), "fbk_") ? "no feedback id"
              : !f.has_sentiment() ||
                      f.sentiment().label() == fv1::SENTIMENT_LABEL_UNSPECIFIED
                  ? "no sentiment"
              : f.sentiment().label() != a.label ? "another sentiment"
              : f.topics_size() != static_cast<int>(a.topics.size())
                  ? "other topics"
              : f.escalation_reason() != reason ? "another escalation reason"
              : complaint != (escalate && !anonymous)
                  ? (complaint ? "a complaint it should not open"
                               : "no complaint")
              : f.needs_review() != (escalate && anonymous)
                  ? "a wrong review flag"
                  : nullptr;
          if (wrong != nullptr) {
            *problem = absl::StrCat(
                "SubmitFeedback answered '", f.feedback_id(), "' with ", wrong,
                " (sentiment ", fv1::SentimentLabel_Name(f.sentiment().label()),
                ", reason '", f.escalation_reason(), "', expected '", reason,
                "', complaint '", f.complaint_id(), "', review ",
                f.needs_review(), ")");
          }
          return complaint ? 1 : 0;
        },
        CheckedDone(std::move(done), problem));
  };
  return w;
}

common::v1::Date DateOf(int32_t yyyymmdd) {
  common::v1::Date d;
  d.set_year(yyyymmdd / 10000);
  d.set_month(yyyymmdd / 100 % 100);
  d.set_day(yyyymmdd % 100);
  return d;
}

// GetSatisfactionReport over the seeded days (90 by default, every
// branch): CSAT by source, NPS, the weekly trend, the top negative topics
// and keywords, and all 500 branches, summed from the daily rollups. Every
// answer is checked against the seeder's figures (ratings and satisfied,
// survey and feedback ratings, NPS count, promoters and detractors,
// response and feedback counts, the number of branches) and for its own
// sums (weeks and branches add up to the total). Items created by
// SubmitFeedback fall on the seeding day or later, outside the window. A
// manager's report, as GetComplaintStats: one call at a time in closed
// loop, the open loop at 2 a second (or half the closed-loop max if less);
// issue 13's target (<= 300 ms) is held to the p99 of both.
Workload SatisfactionReportWorkload() {
  Workload w;
  w.key = "feedback_report";
  w.name = "GetSatisfactionReport 90 days";
  w.kind = Kind::kRead;
  w.category = Category::kReportOnly;
  w.needs_feedback = true;
  w.table = Table::kFeedback;
  w.in_flight = 1;
  w.open_loop_rate = 2;
  w.long_window = true;
  w.targets = {{Target::Kind::kMaxClosedP99Ms, 300, "#13"},
               {Target::Kind::kMaxOpenP99Ms, 300, "#13"}};
  w.issue = [](Env& env, int ch, uint64_t, Done done) {
    const FeedbackFacts& f = env.data().feedback;
    fv1::GetSatisfactionReportRequest req;
    *req.mutable_start_date() = DateOf(f.start_date);
    *req.mutable_end_date() = DateOf(f.end_date);
    req.set_top(10);
    auto* stub = &env.feedback(ch);
    auto problem = std::make_shared<std::string>();
    StartUnary<fv1::GetSatisfactionReportRequest,
               fv1::GetSatisfactionReportResponse>(
        env, std::move(req),
        [stub](auto* ctx, auto* q, auto* r, auto cb) {
          stub->async()->GetSatisfactionReport(ctx, q, r, std::move(cb));
        },
        [&f, problem](const fv1::GetSatisfactionReportResponse& r) {
          const fv1::SatisfactionReport& s = r.report();
          auto differs = [&](const char* what, int64_t got, int64_t want) {
            if (got != want && problem->empty()) {
              *problem = absl::StrCat(
                  "GetSatisfactionReport of the seeded days: ", what, " ", got,
                  ", seeded ", want);
            }
          };
          differs("ratings", s.ratings().count(), f.ratings);
          differs("satisfied", s.ratings().satisfied(), f.satisfied);
          differs("survey ratings", s.survey_ratings().count(),
                  f.survey_ratings);
          differs("feedback ratings", s.feedback_ratings().count(),
                  f.feedback_ratings);
          differs("NPS count", s.nps().count(), f.nps_count);
          differs("promoters", s.nps().promoters(), f.nps_promoters);
          differs("detractors", s.nps().detractors(), f.nps_detractors);
          differs("response count", s.response_count(), f.response_count);
          differs("feedback count", s.feedback_count(), f.feedback_count);
          differs("branches", s.branches_size(), f.branches);
          int64_t weekly = 0, by_branch = 0;
          for (const fv1::WeekFigures& wk : s.weekly()) {
            weekly += wk.ratings().count();
          }
          for (const fv1::BranchFigures& b : s.branches()) {
            by_branch += b.ratings().count();
          }
          differs("the weeks' ratings", weekly, f.ratings);
          differs("the branches' ratings", by_branch, f.ratings);
          if (f.feedback_count > 0 && s.top_negative_topics_size() == 0 &&
              problem->empty()) {
            *problem = "GetSatisfactionReport: no top negative topics";
          }
          return s.branches_size();
        },
        CheckedDone(std::move(done), problem));
  };
  return w;
}

std::vector<Workload> FeedbackWorkloads() {
  std::vector<Workload> out;
  out.push_back(SatisfactionReportWorkload());
  out.push_back(SubmitFeedbackWorkload());
  return out;
}

}  // namespace

ov1::CreateOrderRequest NewOrderRequest(Env& env, const std::string& branch,
                                        const std::string& customer_id,
                                        uint64_t variant) {
  ov1::CreateOrderRequest req;
  req.set_request_id(env.NextRequestId());
  ov1::Order* o = req.mutable_order();
  o->set_branch_id(branch);
  o->set_customer_id(customer_id);
  o->set_channel(ov1::ORDER_CHANNEL_STORE);
  // Three lines, 2 x 129.00 + 3 x 14.00 + 1 x 88.00 = 388.00 (kOrderTotal),
  // SKUs from a catalogue of 100 per line.
  struct Line {
    const char* sku;
    const char* name;
    int64_t quantity;
    int64_t price;
  };
  static constexpr Line kLines[] = {{"SHIRT", "衬衫", 2, 12'900},
                                    {"SOCKS", "袜子", 3, 1'400},
                                    {"BELT", "皮带", 1, 8'800}};
  for (const Line& l : kLines) {
    ov1::OrderItem* item = o->add_items();
    item->set_sku(absl::StrCat(l.sku, "-", variant % 100));
    item->set_name(l.name);
    item->set_quantity(l.quantity);
    item->mutable_unit_price()->set_minor_units(l.price);
  }
  req.mutable_expected_total()->set_minor_units(kOrderTotal);
  return req;
}

ov1::PayOrderRequest CashPaymentRequest(Env& env, const std::string& order_id,
                                        int64_t amount) {
  ov1::PayOrderRequest req;
  req.set_request_id(env.NextRequestId());
  req.set_order_id(order_id);
  ov1::Payment* p = req.mutable_payment();
  p->set_method(ov1::PAYMENT_METHOD_CASH);
  p->mutable_amount()->set_minor_units(amount);
  p->set_outcome(ov1::PAYMENT_OUTCOME_SUCCEEDED);
  return req;
}

Done CheckedDone(Done done, std::shared_ptr<std::string> problem) {
  return [done = std::move(done), problem = std::move(problem)](
             const grpc::Status& status, int items) {
    if (status.ok() && !problem->empty()) {
      return done(grpc::Status(grpc::StatusCode::INTERNAL, *problem), 0);
    }
    done(status, items);
  };
}

v1::CreateCustomerRequest NewCustomerRequest(Env& env,
                                             const std::string& branch) {
  v1::CreateCustomerRequest req;
  req.set_request_id(env.NextRequestId());
  v1::Customer* c = req.mutable_customer();
  env.people().FillProfile(env.NextUnique(), c);
  c->set_branch_id(branch);
  c->set_phone(env.NextPhone());
  return req;
}

Workload BaselineWorkload() {
  Workload w;
  w.key = "baseline";
  w.name = "Health/Check (baseline)";
  w.kind = Kind::kBaseline;
  w.category = Category::kBaseline;
  w.issue = [](Env& env, int ch, uint64_t, Done done) {
    static const std::string kMethod = "/grpc.health.v1.Health/Check";
    // An empty HealthCheckRequest serialises to zero bytes. gRPC rejects an
    // uninitialised ByteBuffer, so it is built from one empty slice.
    grpc::Slice empty;
    auto* stub = &env.generic(ch);
    StartUnaryPlain<grpc::ByteBuffer, grpc::ByteBuffer>(
        env, grpc::ByteBuffer(&empty, 1),
        [stub](auto* ctx, auto* q, auto* r, auto cb) {
          stub->UnaryCall(ctx, kMethod, grpc::StubOptions(), q, r,
                          std::move(cb));
        },
        [](const grpc::ByteBuffer& r) { return r.Length() > 0 ? 1 : 0; },
        std::move(done));
  };
  return w;
}

// FeedbackService.AnalyzeText on a 60-character review (issue 11: at least
// 0.3x the baseline). Through the generic stub, with the request serialised
// once: what is measured is the server's analysis, not the client's
// protobuf work.
Workload AnalyzeTextWorkload() {
  Workload w;
  w.key = "analyze";
  w.name = "AnalyzeText 60-char review";
  w.kind = Kind::kRead;
  w.category = Category::kReportOnly;
  w.targets = {{Target::Kind::kMinRatio, 0.3, "#11"}};
  w.issue = [](Env& env, int ch, uint64_t, Done done) {
    static const std::string kMethod =
        "/retail.feedback.v1.FeedbackService/AnalyzeText";
    // 60 characters: a mixed opinion with a negation, in traditional
    // Chinese, as a customer might leave it.
    static const std::string* const kRequest = [] {
      feedback::v1::AnalyzeTextRequest req;
      req.set_text(
          "衣服質量還不錯，版型也合身，但是物流實在太慢了，等了整整一個星期"
          "才到，客服態度也不太好，不會再買了。希望改進一下發貨速度");
      return new std::string(req.SerializeAsString());
    }();
    grpc::Slice slice(kRequest->data(), kRequest->size());
    auto* stub = &env.generic(ch);
    StartUnaryPlain<grpc::ByteBuffer, grpc::ByteBuffer>(
        env, grpc::ByteBuffer(&slice, 1),
        [stub](auto* ctx, auto* q, auto* r, auto cb) {
          stub->UnaryCall(ctx, kMethod, grpc::StubOptions(), q, r,
                          std::move(cb));
        },
        // An analysis of this text has topics: a few dozen bytes at least.
        [](const grpc::ByteBuffer& r) { return r.Length() > 32 ? 1 : 0; },
        std::move(done));
  };
  return w;
}

std::vector<Workload> AllWorkloads() {
  std::vector<Workload> all = CustomerWorkloads();
  for (Workload& w : OrderWorkloads()) all.push_back(std::move(w));
  all.push_back(AnalyzeTextWorkload());
  for (Workload& w : ComplaintWorkloads()) all.push_back(std::move(w));
  for (Workload& w : FeedbackWorkloads()) all.push_back(std::move(w));
  return all;
}

}  // namespace retail::bench
