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

// Distinct salts keep the workloads' random choices independent.
enum Salt : uint64_t {
  kSaltGet = 1,
  kSaltListBranch,
  kSaltListContinue,
  kSaltSearchPhone,
  kSaltSearchName,
  kSaltCreateBranch,
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

}  // namespace

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
  // Orders, complaints and feedback append theirs here as they land.
  return all;
}

}  // namespace retail::bench
