#include "tests/bench/workloads.h"

#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/slice.h>

#include <memory>
#include <mutex>
#include <utility>

#include "absl/strings/str_cat.h"

namespace retail::bench {
namespace {

namespace v1 = ::retail::customers::v1;
namespace ov1 = ::retail::orders::v1;

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

std::vector<Workload> OrderWorkloads() {
  std::vector<Workload> out;

  Workload get;
  get.key = "order_get";
  get.name = "GetOrder";
  get.kind = Kind::kRead;
  get.category = Category::kPointRead;
  get.needs_orders = true;
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

  out.push_back(CreateOrderWorkload(false));
  out.push_back(CreateOrderWorkload(true));
  out.push_back(CreateAndPayWorkload());
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

std::vector<Workload> AllWorkloads() {
  std::vector<Workload> all = CustomerWorkloads();
  for (Workload& w : OrderWorkloads()) all.push_back(std::move(w));
  // Complaints and feedback append theirs here as they land.
  return all;
}

}  // namespace retail::bench
