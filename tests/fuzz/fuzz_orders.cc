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
// branch's orders, settlement slips and returns, masked callers never see a
// delivery phone in clear, amounts add up (line = quantity x unit price,
// total = sum of lines, 0 <= paid <= total, paid = succeeded tenders minus
// refunds, a paid or completed order is paid in full, a cancelled one holds
// nothing, a returned one was paid in full and holds nothing), no tender is
// refunded more than it paid and no points tender gives back more points
// than the money refunded from it stands for, a slip's tenders add up to its
// total, a PayOrder answer records the tender it was given, and a return's
// lines add up to its value, which a completed return refunds exactly (money
// plus exchange credit), to the order's own tenders, with the references it
// was given; an exchange's new order sells the replacements at full price,
// paid by the credit.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/container/flat_hash_map.h"
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
  IdPool returns;
  IdPool payments;
  std::string page_tokens[kRpcCount][kCallerCount];
  uint64_t inputs = 0;

  // Back to the state right after Seed().
  void StartInput() {
    server.RestoreSnapshot();
    orders.ClearRecent();
    customers.ClearRecent();
    settlements.ClearRecent();
    returns.ClearRecent();
    payments.ClearRecent();
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
  absl::flat_hash_map<std::string, const v1::Payment*> tenders;
  for (const v1::Payment& p : o.payments()) {
    if (p.outcome() == v1::PAYMENT_OUTCOME_SUCCEEDED) {
      succeeded += p.amount().minor_units();
      tenders[p.payment_id()] = &p;
    }
  }
  // Per succeeded tender: money (and credit) refunded, money refunded as
  // points, points restored.
  struct Back {
    int64_t all = 0, points_money = 0, points = 0;
  };
  absl::flat_hash_map<std::string, Back> back;
  int64_t refunded = 0;
  for (const v1::Refund& f : o.refunds()) {
    refunded += f.amount().minor_units();
    const auto t = tenders.find(f.payment_id());
    if (t == tenders.end() || f.amount().minor_units() <= 0 ||
        f.points_restored() < 0) {
      Violation(method, absl::StrCat("order ", id, " has a refund (",
                                     f.ShortDebugString(),
                                     ") of no succeeded tender of its own"));
      continue;
    }
    Back& b = back[f.payment_id()];
    b.all += f.amount().minor_units();
    b.points += f.points_restored();
    if (f.method() == v1::PAYMENT_METHOD_POINTS) {
      b.points_money += f.amount().minor_units();
    }
    const v1::PaymentMethod paid_by = t->second->method();
    const bool method_ok = f.method() == v1::PAYMENT_METHOD_EXCHANGE_CREDIT ||
                           f.method() == paid_by ||
                           (paid_by == v1::PAYMENT_METHOD_EXCHANGE_CREDIT &&
                            f.method() == v1::PAYMENT_METHOD_CASH);
    if (!method_ok ||
        (f.points_restored() > 0 && f.method() != v1::PAYMENT_METHOD_POINTS)) {
      Violation(method, absl::StrCat("order ", id, " refunds a ",
                                     v1::PaymentMethod_Name(paid_by),
                                     " tender as ", f.ShortDebugString()));
    }
  }
  for (const auto& [payment_id, b] : back) {
    const v1::Payment& p = *tenders.at(payment_id);
    if (b.all > p.amount().minor_units()) {
      Violation(method,
                absl::StrCat("order ", id, " refunds ", b.all, " of tender ",
                             payment_id, " of ", p.amount().minor_units()));
    }
    // Points follow the money: at most ceil(debited x money back / amount).
    const __int128 may =
        static_cast<__int128>(p.points_debited()) * b.points_money +
        p.amount().minor_units() - 1;
    if (static_cast<__int128>(b.points) * p.amount().minor_units() > may) {
      Violation(
          method,
          absl::StrCat("order ", id, " gives back ", b.points, " points for ",
                       b.points_money, " of the ", p.amount().minor_units(),
                       " paid by tender ", payment_id, ", which debited ",
                       p.points_debited(), " points"));
    }
  }
  if (succeeded - refunded != paid) {
    Violation(method, absl::StrCat("order ", id, " has paid ", paid,
                                   " but its succeeded tenders (", succeeded,
                                   ") minus its refunds (", refunded,
                                   ") come to another amount"));
  }
  if ((o.status() == v1::ORDER_STATUS_PARTIALLY_RETURNED ||
       o.status() == v1::ORDER_STATUS_RETURNED) &&
      (succeeded != total ||
       (o.status() == v1::ORDER_STATUS_RETURNED && paid != 0))) {
    Violation(method, absl::StrCat("order ", id, " is ",
                                   v1::OrderStatus_Name(o.status()),
                                   " with tenders of ", succeeded, " and paid ",
                                   paid, " of ", total));
  }
}

// What every answer's return must keep.
void CheckReturn(const Call& call, const v1::Return& r) {
  const std::string method = call.method();
  const std::string& id = r.return_id();
  if (id.empty() || r.order_id().empty()) {
    Violation(method, "a return without an id or an order id");
  }
  CheckBranch(call, "return", id, r.branch_id());
  if (!v1::ReturnStatus_IsValid(r.status()) ||
      r.status() == v1::RETURN_STATUS_UNSPECIFIED ||
      !v1::ReturnType_IsValid(r.type()) ||
      r.type() == v1::RETURN_TYPE_UNSPECIFIED) {
    Violation(method, absl::StrCat("return ", id, " has status ",
                                   static_cast<int>(r.status()), " and type ",
                                   static_cast<int>(r.type())));
  }
  const bool exchange = r.type() == v1::RETURN_TYPE_EXCHANGE;
  if (r.lines_size() < 1 || r.lines_size() > 500) {
    Violation(method,
              absl::StrCat("return ", id, " has ", r.lines_size(), " lines"));
  }
  int64_t value = 0;
  for (const v1::ReturnLine& l : r.lines()) {
    const int64_t amount = l.refund_amount().minor_units();
    if (l.quantity() < 1 || amount < 0 || exchange != l.has_replacement()) {
      Violation(method, absl::StrCat("return ", id, " has a line ",
                                     l.ShortDebugString()));
    }
    if (exchange) {
      const v1::OrderItem& rep = l.replacement();
      if (rep.quantity() < 1 || static_cast<__int128>(rep.quantity()) *
                                        rep.unit_price().minor_units() !=
                                    rep.line_total().minor_units()) {
        Violation(method, absl::StrCat("return ", id, " has a replacement ",
                                       rep.ShortDebugString()));
      }
    }
    value += amount;
  }
  if (value != r.refund_total().minor_units()) {
    Violation(method, absl::StrCat("return ", id, " is worth ",
                                   r.refund_total().minor_units(),
                                   " but its lines add up to ", value));
  }
  int64_t refunded = 0, credit = 0, restored = 0;
  for (const v1::Refund& f : r.refunds()) {
    if (f.amount().minor_units() <= 0 || f.return_id() != id) {
      Violation(method, absl::StrCat("return ", id, " has a refund ",
                                     f.ShortDebugString()));
    }
    refunded += f.amount().minor_units();
    restored += f.points_restored();
    if (f.method() == v1::PAYMENT_METHOD_EXCHANGE_CREDIT) {
      credit += f.amount().minor_units();
    }
  }
  if (r.status() == v1::RETURN_STATUS_COMPLETED) {
    if (refunded != value || restored != r.points_restored() ||
        r.points_reversed() < 0 || r.points_shortfall() < 0 ||
        credit != r.exchange_credit().minor_units() ||
        exchange == r.exchange_order_id().empty() ||
        (!exchange && credit != 0) || credit > value) {
      Violation(method, absl::StrCat("completed return ", id, " worth ", value,
                                     " refunds ", refunded, " (", credit,
                                     " as credit): ", r.ShortDebugString()));
    }
  } else if (r.refunds_size() > 0 || !r.exchange_order_id().empty() ||
             r.points_restored() != 0 || r.points_reversed() != 0) {
    Violation(method, absl::StrCat("return ", id, " is ",
                                   v1::ReturnStatus_Name(r.status()),
                                   " but has refunds or a new order"));
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

void SubstituteReturnId(const Call& call, std::string* id) {
  if (call.in.id_slot >= 0) *id = call.state.returns.Pick(call.in.id_slot);
}

// "@<n>" names payment-pool slot n.
void SubstitutePaymentId(const Call& call, std::string* id) {
  if (id->size() < 2 || (*id)[0] != '@') return;
  int slot = 0;
  for (size_t i = 1; i < id->size(); ++i) {
    const char c = (*id)[i];
    if (c < '0' || c > '9' || slot > 1000) return;
    slot = slot * 10 + (c - '0');
  }
  *id = call.state.payments.Pick(slot);
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
  call.state.payments.AddRecent(p.payment_id());
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

void Prepare(const Call& call, v1::RequestReturnRequest& req) {
  SubstituteOrderId(call, req.mutable_order_id());
  SubstituteRequestId(call, req.mutable_request_id());
}
void Inspect(const Call& call, const v1::RequestReturnRequest& req,
             const v1::RequestReturnResponse& resp) {
  const v1::Return& r = resp.order_return();
  CheckReturn(call, r);
  bool same = r.status() == v1::RETURN_STATUS_REQUESTED &&
              r.order_id() == req.order_id() && r.type() == req.type() &&
              r.lines_size() == req.lines_size();
  for (int i = 0; same && i < r.lines_size(); ++i) {
    same = r.lines(i).sku() == req.lines(i).sku() &&
           r.lines(i).quantity() == req.lines(i).quantity() &&
           r.lines(i).reason() == req.lines(i).reason();
  }
  if (!same) {
    Violation(call.method(),
              absl::StrCat("the return recorded (", r.ShortDebugString(),
                           ") is not the one asked for"));
  }
  call.state.returns.AddRecent(r.return_id());
}

void Prepare(const Call& call, v1::ReviewReturnRequest& req) {
  SubstituteReturnId(call, req.mutable_return_id());
  SubstituteRequestId(call, req.mutable_request_id());
}
void Inspect(const Call& call, const v1::ReviewReturnRequest& req,
             const v1::ReviewReturnResponse& resp) {
  const v1::Return& r = resp.order_return();
  CheckReturn(call, r);
  const v1::ReturnStatus want = req.decision() == v1::REVIEW_DECISION_APPROVE
                                    ? v1::RETURN_STATUS_APPROVED
                                    : v1::RETURN_STATUS_REJECTED;
  if (r.return_id() != req.return_id() || r.status() != want) {
    Violation(call.method(),
              absl::StrCat("reviewed into ", r.ShortDebugString()));
  }
}

void Prepare(const Call& call, v1::ReceiveReturnRequest& req) {
  SubstituteReturnId(call, req.mutable_return_id());
  SubstituteRequestId(call, req.mutable_request_id());
}
void Inspect(const Call& call, const v1::ReceiveReturnRequest& req,
             const v1::ReceiveReturnResponse& resp) {
  const v1::Return& r = resp.order_return();
  CheckReturn(call, r);
  if (r.return_id() != req.return_id() ||
      r.status() != v1::RETURN_STATUS_RECEIVED ||
      r.condition() != req.condition()) {
    Violation(call.method(),
              absl::StrCat("received into ", r.ShortDebugString()));
  }
}

void Prepare(const Call& call, v1::CompleteReturnRequest& req) {
  SubstituteReturnId(call, req.mutable_return_id());
  SubstituteRequestId(call, req.mutable_request_id());
  for (v1::RefundReference& ref : *req.mutable_refund_references()) {
    SubstitutePaymentId(call, ref.mutable_payment_id());
  }
}
void Inspect(const Call& call, const v1::CompleteReturnRequest& req,
             const v1::CompleteReturnResponse& resp) {
  const std::string method = call.method();
  const v1::Return& r = resp.order_return();
  const v1::Order& o = resp.order();
  CheckReturn(call, r);
  CheckOrder(call, o, false);
  if (r.return_id() != req.return_id() ||
      r.status() != v1::RETURN_STATUS_COMPLETED ||
      o.order_id() != r.order_id() ||
      (o.status() != v1::ORDER_STATUS_PARTIALLY_RETURNED &&
       o.status() != v1::ORDER_STATUS_RETURNED)) {
    Violation(method,
              absl::StrCat("completed into ", r.ShortDebugString(),
                           " of an order ", v1::OrderStatus_Name(o.status())));
  }
  // The return's refunds are the order's, and carry the references given.
  absl::flat_hash_map<std::string, const v1::Refund*> on_order;
  for (const v1::Refund& f : o.refunds()) on_order[f.refund_id()] = &f;
  for (const v1::Refund& f : r.refunds()) {
    const auto it = on_order.find(f.refund_id());
    if (it == on_order.end() ||
        it->second->amount().minor_units() != f.amount().minor_units()) {
      Violation(method, absl::StrCat("refund ", f.refund_id(),
                                     " of the return is not on its order"));
    }
  }
  for (const v1::RefundReference& ref : req.refund_references()) {
    bool found = false;
    for (const v1::Refund& f : r.refunds()) {
      if (f.payment_id() != ref.payment_id() ||
          f.method() == v1::PAYMENT_METHOD_EXCHANGE_CREDIT)
        continue;
      found = true;
      if (f.external_reference() != ref.external_reference()) {
        Violation(method, absl::StrCat("refund ", f.refund_id(),
                                       " lost its reference"));
      }
    }
    if (!found) {
      Violation(method, absl::StrCat("reference for ", ref.payment_id(),
                                     " accepted but no money went back to "
                                     "it"));
    }
  }
  const bool exchange = r.type() == v1::RETURN_TYPE_EXCHANGE;
  if (exchange != resp.has_exchange_order()) {
    Violation(method, "an exchange without its new order, or the reverse");
  }
  if (!resp.has_exchange_order()) return;
  const v1::Order& n = resp.exchange_order();
  CheckOrder(call, n, false);
  int64_t replacements = 0;
  for (const v1::ReturnLine& l : r.lines())
    replacements += l.replacement().line_total().minor_units();
  const int64_t credit = r.exchange_credit().minor_units();
  const bool settled = credit == n.total().minor_units();
  if (n.order_id() != r.exchange_order_id() ||
      n.exchange_return_id() != r.return_id() ||
      n.total().minor_units() != replacements ||
      credit != std::min(r.refund_total().minor_units(), replacements) ||
      n.paid().minor_units() != credit || n.branch_id() != o.branch_id() ||
      n.customer_id() != o.customer_id() ||
      n.status() != (settled ? v1::ORDER_STATUS_PAID
                             : v1::ORDER_STATUS_PENDING_PAYMENT) ||
      n.points_earned() != 0 ||
      (credit > 0 &&
       (n.payments_size() != 1 ||
        n.payments(0).method() != v1::PAYMENT_METHOD_EXCHANGE_CREDIT ||
        n.payments(0).external_reference() != r.return_id()))) {
    Violation(method,
              absl::StrCat("exchange ", r.return_id(), " worth ",
                           r.refund_total().minor_units(),
                           " made the new order ", n.ShortDebugString()));
  }
  call.state.orders.AddRecent(n.order_id());
  for (const v1::Payment& p : n.payments()) {
    call.state.payments.AddRecent(p.payment_id());
  }
}

void Prepare(const Call& call, v1::GetReturnRequest& req) {
  SubstituteReturnId(call, req.mutable_return_id());
}
void Inspect(const Call& call, const v1::GetReturnRequest& req,
             const v1::GetReturnResponse& resp) {
  CheckReturn(call, resp.order_return());
  if (resp.order_return().return_id() != req.return_id()) {
    Violation(call.method(), "answered a different return");
  }
}

void Prepare(const Call& call, v1::ListReturnsRequest& req) {
  SubstituteOrderId(call, req.mutable_order_id());
  SubstitutePageToken(call, req.mutable_page_token());
}
void Inspect(const Call& call, const v1::ListReturnsRequest& req,
             const v1::ListReturnsResponse& resp) {
  for (const v1::Return& r : resp.order_returns()) {
    CheckReturn(call, r);
    if ((!req.order_id().empty() && r.order_id() != req.order_id()) ||
        (!req.branch_id().empty() && r.branch_id() != req.branch_id()) ||
        (req.status() != v1::RETURN_STATUS_UNSPECIFIED &&
         r.status() != req.status())) {
      Violation(call.method(), absl::StrCat("return ", r.return_id(),
                                            " does not match the filter"));
    }
  }
  KeepPageToken(call, resp.next_page_token());
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
    case kRequestReturn:
      return Run(call, &Stub::RequestReturn);
    case kReviewReturn:
      return Run(call, &Stub::ReviewReturn);
    case kReceiveReturn:
      return Run(call, &Stub::ReceiveReturn);
    case kCompleteReturn:
      return Run(call, &Stub::CompleteReturn);
    case kGetReturn:
      return Run(call, &Stub::GetReturn);
    case kListReturns:
      return Run(call, &Stub::ListReturns);
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

v1::Return SeedRequestReturn(State& state, const std::string& order_id,
                             v1::ReturnType type, const char* sku,
                             int64_t quantity, const char* replacement_sku,
                             int64_t replacement_price) {
  v1::RequestReturnRequest req;
  req.set_request_id(state.server.FreshRequestId());
  req.set_order_id(order_id);
  req.set_type(type);
  v1::ReturnLine* l = req.add_lines();
  l->set_sku(sku);
  l->set_quantity(quantity);
  l->set_reason(v1::RETURN_REASON_SIZE);
  if (type == v1::RETURN_TYPE_EXCHANGE) {
    v1::OrderItem* rep = l->mutable_replacement();
    rep->set_sku(replacement_sku);
    rep->set_name("衬衫");
    rep->mutable_unit_price()->set_minor_units(replacement_price);
  }
  v1::RequestReturnResponse resp;
  MustSucceed("RequestReturn",
              state.stub->RequestReturn(
                  state.server.Context(Caller::kAdmin).get(), req, &resp));
  return resp.order_return();
}

void SeedReview(State& state, const std::string& return_id, bool approve) {
  v1::ReviewReturnRequest req;
  req.set_request_id(state.server.FreshRequestId());
  req.set_return_id(return_id);
  req.set_decision(approve ? v1::REVIEW_DECISION_APPROVE
                           : v1::REVIEW_DECISION_REJECT);
  req.set_note(approve ? "" : "seed");
  v1::ReviewReturnResponse resp;
  MustSucceed("ReviewReturn",
              state.stub->ReviewReturn(
                  state.server.Context(Caller::kAdmin).get(), req, &resp));
}

void SeedReceive(State& state, const std::string& return_id) {
  v1::ReceiveReturnRequest req;
  req.set_request_id(state.server.FreshRequestId());
  req.set_return_id(return_id);
  req.set_condition(v1::ITEM_CONDITION_RESALABLE);
  v1::ReceiveReturnResponse resp;
  MustSucceed("ReceiveReturn",
              state.stub->ReceiveReturn(
                  state.server.Context(Caller::kAdmin).get(), req, &resp));
}

v1::CompleteReturnResponse SeedCompleteReturn(State& state,
                                              const std::string& return_id) {
  v1::CompleteReturnRequest req;
  req.set_request_id(state.server.FreshRequestId());
  req.set_return_id(return_id);
  v1::CompleteReturnResponse resp;
  MustSucceed("CompleteReturn",
              state.stub->CompleteReturn(
                  state.server.Context(Caller::kAdmin).get(), req, &resp));
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

  // kReturnsB001: points, then cash; completed; both shirts exchanged for
  // two L shirts (credit: all the cash, then 5800 of the points); its socks
  // in a return of each state.
  const std::string returns =
      SeedOrder(state, "B001", member1, v1::ORDER_CHANNEL_STORE);
  const v1::PayOrderResponse points_paid =
      SeedPay(state, returns, v1::PAYMENT_METHOD_POINTS, 10'000, "");
  const v1::PayOrderResponse cash_paid =
      SeedPay(state, returns, v1::PAYMENT_METHOD_CASH, 20'000, "");
  v1::CompleteOrderRequest complete_returns;
  complete_returns.set_request_id(state.server.FreshRequestId());
  complete_returns.set_order_id(returns);
  MustSucceed("CompleteOrder", state.stub->CompleteOrder(
                                   state.server.Context(Caller::kAdmin).get(),
                                   complete_returns, &completed_resp));
  const v1::Return swapped =
      SeedRequestReturn(state, returns, v1::RETURN_TYPE_EXCHANGE, "SHIRT-M", 2,
                        "SHIRT-L", 12'900);
  SeedReview(state, swapped.return_id(), true);
  SeedReceive(state, swapped.return_id());
  const v1::CompleteReturnResponse swapped_done =
      SeedCompleteReturn(state, swapped.return_id());
  const v1::Return rejected = SeedRequestReturn(
      state, returns, v1::RETURN_TYPE_RETURN, "SOCKS", 3, "", 0);
  SeedReview(state, rejected.return_id(), false);
  const v1::Return received = SeedRequestReturn(
      state, returns, v1::RETURN_TYPE_RETURN, "SOCKS", 1, "", 0);
  SeedReview(state, received.return_id(), true);
  SeedReceive(state, received.return_id());
  const v1::Return approved = SeedRequestReturn(
      state, returns, v1::RETURN_TYPE_RETURN, "SOCKS", 1, "", 0);
  SeedReview(state, approved.return_id(), true);
  const v1::Return requested = SeedRequestReturn(
      state, returns, v1::RETURN_TYPE_RETURN, "SOCKS", 1, "", 0);

  // kExchangeB002: WeChat Pay; both shirts to come back for two S shirts.
  const std::string exchange_b002 =
      SeedOrder(state, "B002", member2, v1::ORDER_CHANNEL_ONLINE);
  const v1::PayOrderResponse wechat_paid =
      SeedPay(state, exchange_b002, v1::PAYMENT_METHOD_WECHAT_PAY, 30'000,
              "wx-seed-0002");
  const v1::Return to_swap =
      SeedRequestReturn(state, exchange_b002, v1::RETURN_TYPE_EXCHANGE,
                        "SHIRT-M", 2, "SHIRT-S", 9'900);
  SeedReview(state, to_swap.return_id(), true);
  SeedReceive(state, to_swap.return_id());

  // kExchangeOrderB001, then the return and payment pools in slot order.
  const v1::Order& new_order = swapped_done.exchange_order();
  state.orders.AddSeeded(new_order.order_id());
  for (const v1::Return* r :
       {&requested, &approved, &received, &swapped_done.order_return(),
        &rejected, &to_swap}) {
    state.returns.AddSeeded(r->return_id());
  }
  state.payments.AddSeeded(points_paid.payment().payment_id());
  state.payments.AddSeeded(cash_paid.payment().payment_id());
  state.payments.AddSeeded(wechat_paid.payment().payment_id());
  state.payments.AddSeeded(new_order.payments(0).payment_id());

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
