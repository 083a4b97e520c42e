// libFuzzer target for retail.customers.v1.CustomerService.
//
// Each input (layout in harness.h) is up to kMaxCalls calls, each of one RPC
// as one of several callers, against the real in-process server, starting
// from the seeded database. Bytes that parse as the request go through the
// typed stub, after the harness substitutes known customer ids, fresh
// request_ids and page tokens returned to earlier calls of the input where
// it asks for them; bytes that do not parse go through the generic stub
// unchanged, to exercise the server's malformed-request path.
//
// Beyond the status invariants of CheckStatus, every successful answer must
// keep the access contract of customers.proto: a branch caller only ever
// sees its own branch's customers, masked callers never see a phone or email
// in clear, balances never go negative, a ledger page belongs to the
// customer asked for, and an erased customer holds no personal data.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "retail/customers/v1/customers.grpc.pb.h"
#include "tests/fuzz/customers_rpc.h"
#include "tests/fuzz/harness.h"

namespace retail::fuzz {
namespace {

namespace v1 = ::retail::customers::v1;
using Stub = v1::CustomerService::Stub;

// Checks the liveness of the server every this many inputs, besides after
// every answer that could mean it is stuck or gone.
constexpr uint64_t kAliveCheckEvery = 1000;

// Process-wide state: the server and the seeded customers' ids; the ids and
// page tokens of the current input's calls, forgotten before the next input.
struct State {
  FuzzServer& server = FuzzServer::Get();
  std::unique_ptr<Stub> stub = v1::CustomerService::NewStub(server.channel());
  IdPool customers;
  std::string page_tokens[kRpcCount][kCallerCount];
  uint64_t inputs = 0;

  // Back to the state right after Seed().
  void StartInput() {
    server.RestoreSnapshot();
    customers.ClearRecent();
    for (auto& per_rpc : page_tokens) {
      for (std::string& token : per_rpc) token.clear();
    }
  }
};

State* g_state = nullptr;

// Per-call context handed to the Prepare/Inspect overloads below.
struct Call {
  Rpc rpc;
  const FuzzInput& in;
  State& state;
  std::string method() const {
    return absl::StrCat("retail.customers.v1.CustomerService/", kRpcNames[rpc]);
  }
};

// ---- Invariants on answers -------------------------------------------------

void CheckCustomer(const Call& call, const v1::Customer& c, bool reveal) {
  const std::string method = call.method();
  const absl::string_view branch = CallerBranch(call.in.caller);
  if (!branch.empty() && c.branch_id() != branch) {
    Violation(method, absl::StrCat(CallerName(call.in.caller),
                                   " received customer ", c.customer_id(),
                                   " of branch '", c.branch_id(), "'"));
  }
  if (CallerSeesMaskedPii(call.in.caller, reveal)) {
    if (!c.phone().empty() && !absl::StrContains(c.phone(), "*")) {
      Violation(method, absl::StrCat(CallerName(call.in.caller),
                                     " received an unmasked phone for ",
                                     c.customer_id()));
    }
    if (!c.email().empty() && !absl::StrContains(c.email(), "***")) {
      Violation(method, absl::StrCat(CallerName(call.in.caller),
                                     " received an unmasked email for ",
                                     c.customer_id()));
    }
  }
  if (c.customer_id().empty()) Violation(method, "a customer without an id");
  if (c.points_balance() < 0) {
    Violation(method,
              absl::StrCat("customer ", c.customer_id(),
                           " has a negative balance ", c.points_balance()));
  }
}

void KeepPageToken(const Call& call, const std::string& token) {
  if (!token.empty()) {
    call.state.page_tokens[call.rpc][static_cast<int>(call.in.caller)] = token;
  }
}

void SubstitutePageToken(const Call& call, std::string* token) {
  if (*token == kLastPageToken) {
    *token = call.state.page_tokens[call.rpc][static_cast<int>(call.in.caller)];
  }
}

void SubstituteId(const Call& call, std::string* id) {
  if (call.in.id_slot >= 0) *id = call.state.customers.Pick(call.in.id_slot);
}

void SubstituteRequestId(const Call& call, std::string* request_id) {
  if (call.in.fresh_request_id)
    *request_id = call.state.server.FreshRequestId();
}

// ---- Per-RPC request rewriting (Prepare) and answer checks (Inspect) -------

void Prepare(const Call& call, v1::CreateCustomerRequest& req) {
  SubstituteRequestId(call, req.mutable_request_id());
}
void Inspect(const Call& call, const v1::CreateCustomerRequest&,
             const v1::CreateCustomerResponse& resp) {
  CheckCustomer(call, resp.customer(), false);
  call.state.customers.AddRecent(resp.customer().customer_id());
}

void Prepare(const Call& call, v1::GetCustomerRequest& req) {
  SubstituteId(call, req.mutable_customer_id());
}
void Inspect(const Call& call, const v1::GetCustomerRequest& req,
             const v1::GetCustomerResponse& resp) {
  CheckCustomer(call, resp.customer(), req.reveal_pii());
}

void Prepare(const Call& call, v1::UpdateCustomerRequest& req) {
  SubstituteId(call, req.mutable_customer()->mutable_customer_id());
  SubstituteRequestId(call, req.mutable_request_id());
}
void Inspect(const Call& call, const v1::UpdateCustomerRequest&,
             const v1::UpdateCustomerResponse& resp) {
  CheckCustomer(call, resp.customer(), false);
}

void Prepare(const Call& call, v1::ListCustomersRequest& req) {
  SubstitutePageToken(call, req.mutable_page_token());
}
void Inspect(const Call& call, const v1::ListCustomersRequest& req,
             const v1::ListCustomersResponse& resp) {
  for (const v1::Customer& c : resp.customers()) {
    CheckCustomer(call, c, req.reveal_pii());
  }
  KeepPageToken(call, resp.next_page_token());
}

void Prepare(const Call& call, v1::SearchCustomersRequest& req) {
  SubstitutePageToken(call, req.mutable_page_token());
}
void Inspect(const Call& call, const v1::SearchCustomersRequest& req,
             const v1::SearchCustomersResponse& resp) {
  for (const v1::Customer& c : resp.customers()) {
    CheckCustomer(call, c, req.reveal_pii());
  }
  KeepPageToken(call, resp.next_page_token());
}

void Prepare(const Call& call, v1::AdjustPointsRequest& req) {
  SubstituteId(call, req.mutable_customer_id());
  SubstituteRequestId(call, req.mutable_request_id());
}
void Inspect(const Call& call, const v1::AdjustPointsRequest& req,
             const v1::AdjustPointsResponse& resp) {
  CheckCustomer(call, resp.customer(), false);
  const v1::PointsTransaction& t = resp.transaction();
  if (t.balance_after() != resp.customer().points_balance() ||
      t.customer_id() != req.customer_id() || t.delta() != req.delta()) {
    Violation(
        call.method(),
        absl::StrCat("the ledger entry (customer ", t.customer_id(), ", delta ",
                     t.delta(), ", balance after ", t.balance_after(),
                     ") does not match the request "
                     "or the customer's balance ",
                     resp.customer().points_balance()));
  }
}

void Prepare(const Call& call, v1::ListPointsTransactionsRequest& req) {
  SubstituteId(call, req.mutable_customer_id());
  SubstitutePageToken(call, req.mutable_page_token());
}
void Inspect(const Call& call, const v1::ListPointsTransactionsRequest& req,
             const v1::ListPointsTransactionsResponse& resp) {
  for (const v1::PointsTransaction& t : resp.transactions()) {
    if (t.customer_id() != req.customer_id() || t.balance_after() < 0) {
      Violation(call.method(),
                absl::StrCat("a ledger entry of customer '", t.customer_id(),
                             "' with balance ", t.balance_after(),
                             " in the ledger of '", req.customer_id(), "'"));
    }
  }
  KeepPageToken(call, resp.next_page_token());
}

void Prepare(const Call& call, v1::ExportCustomerDataRequest& req) {
  SubstituteId(call, req.mutable_customer_id());
}
void Inspect(const Call& call, const v1::ExportCustomerDataRequest& req,
             const v1::ExportCustomerDataResponse& resp) {
  // An export is unmasked by contract, so only the branch and id rules apply.
  CheckCustomer(call, resp.customer(), /*reveal=*/true);
  if (resp.customer().customer_id() != req.customer_id()) {
    Violation(call.method(), "exported a different customer");
  }
}

void Prepare(const Call& call, v1::EraseCustomerRequest& req) {
  SubstituteId(call, req.mutable_customer_id());
  SubstituteRequestId(call, req.mutable_request_id());
}
void Inspect(const Call& call, const v1::EraseCustomerRequest&,
             const v1::EraseCustomerResponse& resp) {
  CheckCustomer(call, resp.customer(), false);
  const v1::Customer& c = resp.customer();
  if (!c.has_erase_time() || !c.phone().empty() || !c.email().empty() ||
      c.has_birthday() || !c.notes().empty()) {
    Violation(call.method(), absl::StrCat("customer ", c.customer_id(),
                                          " still holds personal data after "
                                          "erasure"));
  }
}

// ---- Dispatch
// ----------------------------------------------------------------

grpc::Status ProbeRead(State& state) {
  v1::GetCustomerRequest req;
  req.set_customer_id(state.customers.seeded().front());
  v1::GetCustomerResponse resp;
  return state.stub->GetCustomer(state.server.Context(Caller::kAdmin).get(),
                                 req, &resp);
}

// Answers after which the server might be stuck or gone.
bool WorthProbing(const grpc::Status& status) {
  return status.error_code() == grpc::StatusCode::UNAVAILABLE ||
         status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED ||
         status.error_code() == grpc::StatusCode::CANCELLED;
}

// A unary method, or a server-streaming one whose parts make one answer
// (ExportCustomerData), merged as a client would.
template <typename Req, typename Resp>
grpc::Status Invoke(grpc::Status (Stub::*method)(grpc::ClientContext*,
                                                 const Req&, Resp*),
                    Stub* stub, grpc::ClientContext* ctx, const Req& req,
                    Resp* resp) {
  return (stub->*method)(ctx, req, resp);
}
template <typename Req, typename Resp>
grpc::Status Invoke(std::unique_ptr<grpc::ClientReader<Resp>> (Stub::*method)(
                        grpc::ClientContext*, const Req&),
                    Stub* stub, grpc::ClientContext* ctx, const Req& req,
                    Resp* resp) {
  std::unique_ptr<grpc::ClientReader<Resp>> reader = (stub->*method)(ctx, req);
  Resp part;
  while (reader->Read(&part)) {
    resp->MergeFrom(part);
    part.Clear();
  }
  return reader->Finish();
}

template <typename Req, typename Resp, typename Method>
grpc::Status Run(const Call& call, Method method) {
  Req req;
  if (!req.ParseFromArray(call.in.message.data(),
                          static_cast<int>(call.in.message.size()))) {
    // The server must answer bytes that are no valid request with
    // INVALID_ARGUMENT, whoever sends them (the request is parsed before
    // the caller is authenticated).
    const grpc::Status status = call.state.server.RawCall(
        absl::StrCat("/", call.method()), call.in.message, call.in.caller);
    if (TraceEnabled()) {
      TraceCall(call.method(), call.in.caller, status, "(malformed request)");
    }
    CheckStatus(call.method(), status);
    if (status.error_code() != grpc::StatusCode::INVALID_ARGUMENT &&
        !WorthProbing(status)) {
      Violation(call.method(),
                absl::StrCat("malformed request bytes answered code ",
                             status.error_code(), " (", status.error_message(),
                             "), not INVALID_ARGUMENT"));
    }
    return status;
  }
  Prepare(call, req);
  Resp resp;
  const grpc::Status status =
      Invoke(method, call.state.stub.get(),
             call.state.server.Context(call.in.caller).get(), req, &resp);
  if (TraceEnabled()) {
    TraceCall(call.method(), call.in.caller, status, resp.ShortDebugString());
  }
  CheckStatus(call.method(), status);
  if (status.ok()) Inspect(call, req, resp);
  return status;
}

grpc::Status Dispatch(const Call& call) {
  switch (call.rpc) {
    case kCreateCustomer:
      return Run<v1::CreateCustomerRequest, v1::CreateCustomerResponse>(
          call, &Stub::CreateCustomer);
    case kGetCustomer:
      return Run<v1::GetCustomerRequest, v1::GetCustomerResponse>(
          call, &Stub::GetCustomer);
    case kUpdateCustomer:
      return Run<v1::UpdateCustomerRequest, v1::UpdateCustomerResponse>(
          call, &Stub::UpdateCustomer);
    case kListCustomers:
      return Run<v1::ListCustomersRequest, v1::ListCustomersResponse>(
          call, &Stub::ListCustomers);
    case kSearchCustomers:
      return Run<v1::SearchCustomersRequest, v1::SearchCustomersResponse>(
          call, &Stub::SearchCustomers);
    case kAdjustPoints:
      return Run<v1::AdjustPointsRequest, v1::AdjustPointsResponse>(
          call, &Stub::AdjustPoints);
    case kListPointsTransactions:
      return Run<v1::ListPointsTransactionsRequest,
                 v1::ListPointsTransactionsResponse>(
          call, &Stub::ListPointsTransactions);
    case kExportCustomerData:
      return Run<v1::ExportCustomerDataRequest, v1::ExportCustomerDataResponse>(
          call, &Stub::ExportCustomerData);
    case kEraseCustomer:
      return Run<v1::EraseCustomerRequest, v1::EraseCustomerResponse>(
          call, &Stub::EraseCustomer);
    case kRpcCount:
      break;
  }
  std::abort();  // unreachable: rpc is taken mod kRpcCount
}

// ---- Seed data
// -----------------------------------------------------------------

void MustSucceed(const char* what, const grpc::Status& status) {
  if (!status.ok()) {
    std::fprintf(stderr, "fuzz: seeding failed at %s: %d %s\n", what,
                 status.error_code(), status.error_message().c_str());
    std::abort();
  }
}

std::string SeedCustomer(State& state, const char* branch, const char* name,
                         const char* phone, const char* email) {
  v1::CreateCustomerRequest req;
  req.set_request_id(state.server.FreshRequestId());
  v1::Customer* c = req.mutable_customer();
  c->set_branch_id(branch);
  c->set_display_name(name);
  if (*phone != '\0') c->set_phone(phone);
  if (*email != '\0') c->set_email(email);
  c->mutable_birthday()->set_year(1990);
  c->mutable_birthday()->set_month(5);
  c->mutable_birthday()->set_day(17);
  c->mutable_preferences()->add_sizes("M");
  c->mutable_preferences()->add_colors("navy");
  c->set_notes("seeded by the fuzz harness");
  v1::CreateCustomerResponse resp;
  MustSucceed("CreateCustomer",
              state.stub->CreateCustomer(
                  state.server.Context(Caller::kAdmin).get(), req, &resp));
  state.customers.AddSeeded(resp.customer().customer_id());
  return resp.customer().customer_id();
}

void AdjustSeedPoints(State& state, const std::string& id, int64_t delta) {
  v1::AdjustPointsRequest req;
  req.set_request_id(state.server.FreshRequestId());
  req.set_customer_id(id);
  req.set_delta(delta);
  req.set_reason("seed");
  v1::AdjustPointsResponse resp;
  MustSucceed("AdjustPoints",
              state.stub->AdjustPoints(
                  state.server.Context(Caller::kAdmin).get(), req, &resp));
}

// The rows behind the seeded slots of the id pool, which the checked-in seeds
// name (customers_rpc.h): each slot's branch and state is fixed.
void Seed(State& state) {
  const std::string wang =
      SeedCustomer(state, "B001", "王小明", "13912345678", "wang@example.com");
  SeedCustomer(state, "B001", "Alice Smith", "+447700900123",
               "alice@example.co.uk");
  SeedCustomer(state, "B002", "李雷", "13800138000", "lilei@example.cn");
  SeedCustomer(state, "B002", "Bob", "", "");
  const std::string erased =
      SeedCustomer(state, "B001", "Erased Person", "13700000001", "");
  for (int64_t delta : {500, -120, 42, 1000, -1}) {
    AdjustSeedPoints(state, wang, delta);
  }
  v1::EraseCustomerRequest erase;
  erase.set_request_id(state.server.FreshRequestId());
  erase.set_customer_id(erased);
  erase.set_reason("seed");
  v1::EraseCustomerResponse erase_resp;
  MustSucceed("EraseCustomer", state.stub->EraseCustomer(
                                   state.server.Context(Caller::kAdmin).get(),
                                   erase, &erase_resp));
}

}  // namespace
}  // namespace retail::fuzz

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  using retail::fuzz::g_state;
  g_state = new retail::fuzz::State();
  retail::fuzz::Seed(*g_state);
  g_state->server.SaveSnapshot();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace retail::fuzz;
  State& state = *g_state;
  state.StartInput();
  for (absl::string_view bytes : SplitCalls(data, size)) {
    FuzzInput in;
    if (!DecodeInput(bytes, &in)) continue;
    const Call call{static_cast<Rpc>(in.rpc % kRpcCount), in, state};
    if (WorthProbing(Dispatch(call))) {
      state.server.CheckAlive([&state] { return ProbeRead(state); });
    }
  }
  if (++state.inputs % kAliveCheckEvery == 0) {
    state.server.CheckAlive([&state] { return ProbeRead(state); });
  }
  return 0;
}
