// libFuzzer target for retail.orders.v1.OrderService.
//
// Each input (layout in harness.h) is up to kMaxCalls calls, each of one RPC
// as one of several callers, against the real in-process server, starting
// from the seeded database (a few members and one order in every state).
// Bytes that parse as the request go through the typed stub, after the
// harness substitutes known order, customer and settlement ids, fresh
// request_ids and page tokens returned to earlier calls of the input where it
// asks for them (orders_rpc.h); bytes that do not parse go through the
// generic stub unchanged, to exercise the server's malformed-request path.
//
// Beyond the status invariants of CheckStatus, every successful answer must
// keep the contract of orders.proto: a branch caller only ever sees its own
// branch's orders and settlement slips, masked callers never see a delivery
// phone in clear, amounts add up (line = quantity x unit price, total = sum
// of lines, 0 <= paid <= total, a paid or completed order is paid in full, a
// cancelled one holds nothing), a slip's tenders add up to its total, and a
// PayOrder answer records the tender it was given.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "retail/customers/v1/customers.grpc.pb.h"
#include "retail/orders/v1/orders.grpc.pb.h"
#include "tests/fuzz/harness.h"
#include "tests/fuzz/orders_rpc.h"

namespace retail::fuzz::orders {
namespace {

namespace v1 = ::retail::orders::v1;
namespace cv1 = ::retail::customers::v1;
using Stub = v1::OrderService::Stub;

// Checks the liveness of the server every this many inputs, besides after
// every answer that could mean it is stuck or gone.
constexpr uint64_t kAliveCheckEvery = 1000;

// Process-wide state: the server and the seeded ids; the ids and page tokens
// of the current input's calls, forgotten before the next input.
struct State {
  FuzzServer& server = FuzzServer::Get();
  std::unique_ptr<Stub> stub = v1::OrderService::NewStub(server.channel());
  std::unique_ptr<cv1::CustomerService::Stub> customer_stub =
      cv1::CustomerService::NewStub(server.channel());
  IdPool orders;
  IdPool customers;
  IdPool settlements;
  std::string page_tokens[kRpcCount][kCallerCount];
  uint64_t inputs = 0;

  // Back to the state right after Seed().
  void StartInput() {
    server.RestoreSnapshot();
    orders.ClearRecent();
    customers.ClearRecent();
    settlements.ClearRecent();
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
    return absl::StrCat("retail.orders.v1.OrderService/", kRpcNames[rpc]);
  }
};

// ---- Invariants on answers -------------------------------------------------

void CheckBranch(const Call& call, absl::string_view what, absl::string_view id,
                 absl::string_view branch_id) {
  const absl::string_view branch = CallerBranch(call.in.caller);
  if (!branch.empty() && branch_id != branch) {
    Violation(call.method(),
              absl::StrCat(CallerName(call.in.caller), " received ", what, " ",
                           id, " of branch '", branch_id, "'"));
  }
}

void CheckOrder(const Call& call, const v1::Order& o, bool reveal) {
  const std::string method = call.method();
  const std::string& id = o.order_id();
  if (id.empty()) Violation(method, "an order without an id");
  CheckBranch(call, "order", id, o.branch_id());
  if (CallerSeesMaskedPii(call.in.caller, reveal) && o.has_delivery() &&
      !o.delivery().phone().empty() &&
      !absl::StrContains(o.delivery().phone(), "*")) {
    Violation(method, absl::StrCat(CallerName(call.in.caller),
                                   " received an unmasked delivery phone "
                                   "for order ",
                                   id));
  }
  if (!v1::OrderStatus_IsValid(o.status()) ||
      o.status() == v1::ORDER_STATUS_UNSPECIFIED) {
    Violation(method, absl::StrCat("order ", id, " has status ",
                                   static_cast<int>(o.status())));
  }
  if (o.items_size() < 1) {
    Violation(method, absl::StrCat("order ", id, " has no lines"));
  }
  __int128 sum = 0;
  for (const v1::OrderItem& item : o.items()) {
    const __int128 line = static_cast<__int128>(item.quantity()) *
                          item.unit_price().minor_units();
    if (item.quantity() < 1 || item.unit_price().minor_units() < 0 ||
        line != item.line_total().minor_units()) {
      Violation(method,
                absl::StrCat("order ", id, " has a line of ", item.quantity(),
                             " x ", item.unit_price().minor_units(),
                             " totalling ", item.line_total().minor_units()));
    }
    sum += line;
  }
  const int64_t total = o.total().minor_units();
  const int64_t paid = o.paid().minor_units();
  if (sum != total || total <= 0) {
    Violation(method, absl::StrCat("order ", id, " has total ", total,
                                   " but its lines add up to another "
                                   "amount"));
  }
  if (paid < 0 || paid > total) {
    Violation(method, absl::StrCat("order ", id, " has paid ", paid,
                                   " of a total of ", total));
  }
  if ((o.status() == v1::ORDER_STATUS_PAID ||
       o.status() == v1::ORDER_STATUS_COMPLETED) &&
      paid != total) {
    Violation(
        method,
        absl::StrCat("order ", id, " is ", v1::OrderStatus_Name(o.status()),
                     " with only ", paid, " of ", total, " paid"));
  }
  if (o.status() == v1::ORDER_STATUS_CANCELLED && paid != 0) {
    Violation(method, absl::StrCat("cancelled order ", id, " still holds ",
                                   paid, " paid"));
  }
  int64_t succeeded = 0;
  for (const v1::Payment& p : o.payments()) {
    if (p.outcome() == v1::PAYMENT_OUTCOME_SUCCEEDED) {
      succeeded += p.amount().minor_units();
    }
  }
  if (o.status() != v1::ORDER_STATUS_CANCELLED && succeeded != paid) {
    Violation(method,
              absl::StrCat("order ", id, " has paid ", paid,
                           " but its succeeded tenders add up to ", succeeded));
  }
}

void CheckSettlement(const Call& call, const v1::Settlement& s) {
  CheckBranch(call, "settlement", s.settlement_id(), s.branch_id());
  if (s.settlement_id().empty() || s.order_id().empty()) {
    Violation(call.method(), "a settlement without an id or order id");
  }
  int64_t sum = 0;
  for (const v1::SettlementTender& t : s.tenders()) {
    if (t.amount().minor_units() <= 0) {
      Violation(call.method(),
                absl::StrCat("settlement ", s.settlement_id(),
                             " has a tender of ", t.amount().minor_units()));
    }
    sum += t.amount().minor_units();
  }
  if (sum != s.total().minor_units() || s.total().minor_units() <= 0) {
    Violation(call.method(),
              absl::StrCat("settlement ", s.settlement_id(), " has total ",
                           s.total().minor_units(), " but tenders of ", sum));
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

void SubstituteOrderId(const Call& call, std::string* id) {
  if (call.in.id_slot >= 0) *id = call.state.orders.Pick(call.in.id_slot);
}

void SubstituteCustomerId(const Call& call, std::string* id) {
  if (call.in.id_slot >= 0) *id = call.state.customers.Pick(call.in.id_slot);
}

void SubstituteRequestId(const Call& call, std::string* request_id) {
  if (call.in.fresh_request_id) {
    *request_id = call.state.server.FreshRequestId();
  }
}

// ---- Per-RPC request rewriting (Prepare) and answer checks (Inspect) -------

void Prepare(const Call& call, v1::CreateOrderRequest& req) {
  SubstituteCustomerId(call, req.mutable_order()->mutable_customer_id());
  SubstituteRequestId(call, req.mutable_request_id());
}
void Inspect(const Call& call, const v1::CreateOrderRequest& req,
             const v1::CreateOrderResponse& resp) {
  const v1::Order& o = resp.order();
  CheckOrder(call, o, false);
  if (o.status() != v1::ORDER_STATUS_PENDING_PAYMENT ||
      o.paid().minor_units() != 0) {
    Violation(call.method(), "a new order that is not pending payment");
  }
  if (req.has_expected_total() &&
      req.expected_total().minor_units() != o.total().minor_units()) {
    Violation(call.method(), "an order accepted despite expected_total");
  }
  call.state.orders.AddRecent(o.order_id());
}

void Prepare(const Call& call, v1::GetOrderRequest& req) {
  SubstituteOrderId(call, req.mutable_order_id());
}
void Inspect(const Call& call, const v1::GetOrderRequest& req,
             const v1::GetOrderResponse& resp) {
  CheckOrder(call, resp.order(), req.reveal_pii());
  if (resp.order().order_id() != req.order_id()) {
    Violation(call.method(), "answered a different order");
  }
}

void Prepare(const Call& call, v1::ListOrdersRequest& req) {
  SubstituteCustomerId(call, req.mutable_customer_id());
  SubstitutePageToken(call, req.mutable_page_token());
}
void Inspect(const Call& call, const v1::ListOrdersRequest& req,
             const v1::ListOrdersResponse& resp) {
  for (const v1::Order& o : resp.orders()) {
    CheckOrder(call, o, req.reveal_pii());
    if ((!req.customer_id().empty() && o.customer_id() != req.customer_id()) ||
        (!req.branch_id().empty() && o.branch_id() != req.branch_id()) ||
        (req.status() != v1::ORDER_STATUS_UNSPECIFIED &&
         o.status() != req.status())) {
      Violation(call.method(), absl::StrCat("order ", o.order_id(),
                                            " does not match the filter"));
    }
  }
  KeepPageToken(call, resp.next_page_token());
}

void Prepare(const Call& call, v1::CancelOrderRequest& req) {
  SubstituteOrderId(call, req.mutable_order_id());
  SubstituteRequestId(call, req.mutable_request_id());
}
void Inspect(const Call& call, const v1::CancelOrderRequest&,
             const v1::CancelOrderResponse& resp) {
  CheckOrder(call, resp.order(), false);
  if (resp.order().status() != v1::ORDER_STATUS_CANCELLED) {
    Violation(call.method(), "a cancelled order that is not CANCELLED");
  }
}

void Prepare(const Call& call, v1::CompleteOrderRequest& req) {
  SubstituteOrderId(call, req.mutable_order_id());
  SubstituteRequestId(call, req.mutable_request_id());
}
void Inspect(const Call& call, const v1::CompleteOrderRequest&,
             const v1::CompleteOrderResponse& resp) {
  CheckOrder(call, resp.order(), false);
  if (resp.order().status() != v1::ORDER_STATUS_COMPLETED) {
    Violation(call.method(), "a completed order that is not COMPLETED");
  }
}

void Prepare(const Call& call, v1::PayOrderRequest& req) {
  SubstituteOrderId(call, req.mutable_order_id());
  SubstituteRequestId(call, req.mutable_request_id());
}
void Inspect(const Call& call, const v1::PayOrderRequest& req,
             const v1::PayOrderResponse& resp) {
  CheckOrder(call, resp.order(), false);
  const v1::Payment& p = resp.payment();
  if (p.payment_id().empty() || p.method() != req.payment().method() ||
      p.outcome() != req.payment().outcome() ||
      p.amount().minor_units() != req.payment().amount().minor_units() ||
      p.amount().minor_units() <= 0) {
    Violation(call.method(),
              absl::StrCat("the recorded tender (", p.ShortDebugString(),
                           ") is not the one sent"));
  }
  if (resp.has_settlement()) {
    CheckSettlement(call, resp.settlement());
    if (resp.settlement().total().minor_units() !=
            resp.order().total().minor_units() ||
        resp.order().status() != v1::ORDER_STATUS_PAID) {
      Violation(call.method(), "a settlement for an order not paid in full");
    }
    call.state.settlements.AddRecent(resp.settlement().settlement_id());
  }
}

void Prepare(const Call& call, v1::GetSettlementRequest& req) {
  if (call.in.id_slot < 0) return;
  if (req.key_case() == v1::GetSettlementRequest::kSettlementId) {
    req.set_settlement_id(call.state.settlements.Pick(call.in.id_slot));
  } else {
    req.set_order_id(call.state.orders.Pick(call.in.id_slot));
  }
}
void Inspect(const Call& call, const v1::GetSettlementRequest& req,
             const v1::GetSettlementResponse& resp) {
  CheckSettlement(call, resp.settlement());
  if (req.key_case() == v1::GetSettlementRequest::kOrderId &&
      resp.settlement().order_id() != req.order_id()) {
    Violation(call.method(), "answered the slip of a different order");
  }
}

void Prepare(const Call& call, v1::ListSettlementsRequest& req) {
  SubstitutePageToken(call, req.mutable_page_token());
}
void Inspect(const Call& call, const v1::ListSettlementsRequest& req,
             const v1::ListSettlementsResponse& resp) {
  for (const v1::Settlement& s : resp.settlements()) {
    CheckSettlement(call, s);
    if (s.branch_id() != req.branch_id()) {
      Violation(call.method(), "a slip of another branch in the list");
    }
  }
  KeepPageToken(call, resp.next_page_token());
}

void Prepare(const Call&, v1::GetDailyReconciliationRequest&) {}
void Inspect(const Call& call, const v1::GetDailyReconciliationRequest& req,
             const v1::GetDailyReconciliationResponse& resp) {
  const v1::Reconciliation& r = resp.reconciliation();
  CheckBranch(call, "the reconciliation of", r.date().ShortDebugString(),
              r.branch_id());
  if (r.branch_id() != req.branch_id()) {
    Violation(call.method(), "reconciled a branch that was not asked for");
  }
  for (const v1::ReconciliationMethodRow& m : r.methods()) {
    if (m.sales().minor_units() < 0 || m.refunds().minor_units() < 0 ||
        m.net().minor_units() !=
            m.sales().minor_units() - m.refunds().minor_units()) {
      Violation(call.method(), absl::StrCat("a reconciliation row that does "
                                            "not add up: ",
                                            m.ShortDebugString()));
    }
  }
  const v1::ReconciliationTotals& t = r.totals();
  if (t.net().minor_units() !=
      t.sales().minor_units() - t.refunds().minor_units()) {
    Violation(call.method(), absl::StrCat("reconciliation totals that do not "
                                          "add up: ",
                                          t.ShortDebugString()));
  }
}

// ---- Dispatch ---------------------------------------------------------------

grpc::Status ProbeRead(State& state) {
  v1::GetOrderRequest req;
  req.set_order_id(state.orders.seeded().front());
  v1::GetOrderResponse resp;
  return state.stub->GetOrder(state.server.Context(Caller::kAdmin).get(), req,
                              &resp);
}

// Answers after which the server might be stuck or gone.
bool WorthProbing(const grpc::Status& status) {
  return status.error_code() == grpc::StatusCode::UNAVAILABLE ||
         status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED ||
         status.error_code() == grpc::StatusCode::CANCELLED;
}

template <typename Req, typename Resp>
grpc::Status Run(const Call& call,
                 grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&,
                                              Resp*)) {
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
  const grpc::Status status = (call.state.stub.get()->*method)(
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
    case kCreateOrder:
      return Run(call, &Stub::CreateOrder);
    case kGetOrder:
      return Run(call, &Stub::GetOrder);
    case kListOrders:
      return Run(call, &Stub::ListOrders);
    case kCancelOrder:
      return Run(call, &Stub::CancelOrder);
    case kCompleteOrder:
      return Run(call, &Stub::CompleteOrder);
    case kPayOrder:
      return Run(call, &Stub::PayOrder);
    case kGetSettlement:
      return Run(call, &Stub::GetSettlement);
    case kListSettlements:
      return Run(call, &Stub::ListSettlements);
    case kGetDailyReconciliation:
      return Run(call, &Stub::GetDailyReconciliation);
    case kRpcCount:
      break;
  }
  std::abort();  // unreachable: rpc is taken mod kRpcCount
}

// ---- Seed data --------------------------------------------------------------

void MustSucceed(const char* what, const grpc::Status& status) {
  if (!status.ok()) {
    std::fprintf(stderr, "fuzz: seeding failed at %s: %d %s\n", what,
                 status.error_code(), status.error_message().c_str());
    std::abort();
  }
}

std::string SeedCustomer(State& state, const char* branch, const char* name,
                         const char* phone, int64_t points) {
  cv1::CreateCustomerRequest req;
  req.set_request_id(state.server.FreshRequestId());
  req.mutable_customer()->set_branch_id(branch);
  req.mutable_customer()->set_display_name(name);
  req.mutable_customer()->set_phone(phone);
  cv1::CreateCustomerResponse resp;
  MustSucceed("CreateCustomer",
              state.customer_stub->CreateCustomer(
                  state.server.Context(Caller::kAdmin).get(), req, &resp));
  const std::string id = resp.customer().customer_id();
  if (points > 0) {
    cv1::AdjustPointsRequest adjust;
    adjust.set_request_id(state.server.FreshRequestId());
    adjust.set_customer_id(id);
    adjust.set_delta(points);
    adjust.set_reason("seed");
    cv1::AdjustPointsResponse adjusted;
    MustSucceed("AdjustPoints", state.customer_stub->AdjustPoints(
                                    state.server.Context(Caller::kAdmin).get(),
                                    adjust, &adjusted));
  }
  state.customers.AddSeeded(id);
  return id;
}

std::string SeedOrder(State& state, const char* branch,
                      const std::string& customer_id,
                      v1::OrderChannel channel) {
  v1::CreateOrderRequest req;
  req.set_request_id(state.server.FreshRequestId());
  v1::Order* o = req.mutable_order();
  o->set_branch_id(branch);
  o->set_customer_id(customer_id);
  o->set_channel(channel);
  v1::OrderItem* shirt = o->add_items();
  shirt->set_sku("SHIRT-M");
  shirt->set_name("衬衫 M");
  shirt->set_quantity(2);
  shirt->mutable_unit_price()->set_minor_units(12'900);
  v1::OrderItem* socks = o->add_items();
  socks->set_sku("SOCKS");
  socks->set_name("袜子");
  socks->set_quantity(3);
  socks->mutable_unit_price()->set_minor_units(1'400);
  if (channel != v1::ORDER_CHANNEL_STORE) {
    o->mutable_delivery()->set_recipient_name("李雷");
    o->mutable_delivery()->set_phone("13800138000");
    o->mutable_delivery()->set_address("上海市浦东新区世纪大道100号");
  }
  v1::CreateOrderResponse resp;
  MustSucceed("CreateOrder",
              state.stub->CreateOrder(
                  state.server.Context(Caller::kAdmin).get(), req, &resp));
  state.orders.AddSeeded(resp.order().order_id());
  return resp.order().order_id();
}

v1::PayOrderResponse SeedPay(State& state, const std::string& order_id,
                             v1::PaymentMethod method, int64_t amount,
                             const char* reference) {
  v1::PayOrderRequest req;
  req.set_request_id(state.server.FreshRequestId());
  req.set_order_id(order_id);
  req.mutable_payment()->set_method(method);
  req.mutable_payment()->mutable_amount()->set_minor_units(amount);
  req.mutable_payment()->set_external_reference(reference);
  req.mutable_payment()->set_outcome(v1::PAYMENT_OUTCOME_SUCCEEDED);
  v1::PayOrderResponse resp;
  MustSucceed("PayOrder",
              state.stub->PayOrder(state.server.Context(Caller::kAdmin).get(),
                                   req, &resp));
  return resp;
}

// The rows behind the seeded slots of the id pools, which the checked-in
// seeds name (orders_rpc.h): each slot's branch and state is fixed.
void Seed(State& state) {
  const std::string member1 =
      SeedCustomer(state, "B001", "王小明", "13912345678", 100'000);
  const std::string member2 =
      SeedCustomer(state, "B002", "李雷", "13800138000", 0);
  const std::string erased =
      SeedCustomer(state, "B001", "Erased Person", "13700000001", 0);

  SeedOrder(state, "B001", "", v1::ORDER_CHANNEL_STORE);
  SeedOrder(state, "B001", member1, v1::ORDER_CHANNEL_STORE);
  SeedOrder(state, "B002", member2, v1::ORDER_CHANNEL_ONLINE);
  const std::string partly =
      SeedOrder(state, "B001", member1, v1::ORDER_CHANNEL_STORE);
  SeedPay(state, partly, v1::PAYMENT_METHOD_POINTS, 5'000, "");
  SeedPay(state, partly, v1::PAYMENT_METHOD_WECHAT_PAY, 5'000, "wx-seed-0001");
  const std::string paid =
      SeedOrder(state, "B001", "", v1::ORDER_CHANNEL_STORE);
  const v1::PayOrderResponse slip =
      SeedPay(state, paid, v1::PAYMENT_METHOD_CASH, 30'000, "");
  state.settlements.AddSeeded(slip.settlement().settlement_id());
  const std::string completed =
      SeedOrder(state, "B002", "", v1::ORDER_CHANNEL_STORE);
  const v1::PayOrderResponse card_slip = SeedPay(
      state, completed, v1::PAYMENT_METHOD_BANK_CARD, 30'000, "card-seed-0001");
  state.settlements.AddSeeded(card_slip.settlement().settlement_id());
  v1::CompleteOrderRequest complete;
  complete.set_request_id(state.server.FreshRequestId());
  complete.set_order_id(completed);
  v1::CompleteOrderResponse completed_resp;
  MustSucceed("CompleteOrder", state.stub->CompleteOrder(
                                   state.server.Context(Caller::kAdmin).get(),
                                   complete, &completed_resp));
  const std::string cancelled =
      SeedOrder(state, "B001", "", v1::ORDER_CHANNEL_STORE);
  v1::CancelOrderRequest cancel;
  cancel.set_request_id(state.server.FreshRequestId());
  cancel.set_order_id(cancelled);
  cancel.set_reason("seed");
  v1::CancelOrderResponse cancel_resp;
  MustSucceed("CancelOrder", state.stub->CancelOrder(
                                 state.server.Context(Caller::kAdmin).get(),
                                 cancel, &cancel_resp));

  cv1::EraseCustomerRequest erase;
  erase.set_request_id(state.server.FreshRequestId());
  erase.set_customer_id(erased);
  erase.set_reason("seed");
  cv1::EraseCustomerResponse erase_resp;
  MustSucceed("EraseCustomer", state.customer_stub->EraseCustomer(
                                   state.server.Context(Caller::kAdmin).get(),
                                   erase, &erase_resp));
}

}  // namespace
}  // namespace retail::fuzz::orders

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  using retail::fuzz::orders::g_state;
  g_state = new retail::fuzz::orders::State();
  retail::fuzz::orders::Seed(*g_state);
  g_state->server.SaveSnapshot();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace retail::fuzz;
  using namespace retail::fuzz::orders;
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
