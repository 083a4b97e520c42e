// Writes the seed corpus of fuzz_orders: one valid (or deliberately
// near-valid) request per interesting path of each RPC, encoded as fuzz
// inputs (harness.h). The output is checked in under tests/fuzz/corpus/orders/;
// regenerate it after changing orders.proto or the input layout:
//
//   build-fuzz/bin/fuzz_orders_seeds tests/fuzz/corpus/orders
//
// Seeds give the fuzzer a head start: without them it would spend most of a
// short CI run discovering that an order needs priced lines, a channel and a
// valid request_id, or that a tender needs an existing order, before it
// reaches any storage code.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "retail/orders/v1/orders.pb.h"
#include "tests/fuzz/harness.h"
#include "tests/fuzz/orders_rpc.h"

namespace retail::fuzz::orders {
namespace {

namespace v1 = ::retail::orders::v1;

constexpr int kNoSlot = -1;
constexpr bool kFresh = true;
constexpr bool kFixed = false;

struct Seed {
  std::string name;
  std::string bytes;
};

class Seeds {
 public:
  void Add(std::string name, Rpc rpc, Caller caller, bool fresh, int slot,
           const google::protobuf::Message& request) {
    seeds_.push_back(
        {std::move(name),
         EncodeInput(rpc, caller, fresh, slot, request.SerializeAsString())});
  }
  void AddRaw(std::string name, Rpc rpc, Caller caller, std::string message) {
    seeds_.push_back(
        {std::move(name), EncodeInput(rpc, caller, kFixed, kNoSlot, message)});
  }
  // Several calls in one input, made with Call() below.
  void AddSequence(std::string name, const std::vector<std::string>& calls) {
    seeds_.push_back({std::move(name), JoinCalls(calls)});
  }
  const std::vector<Seed>& all() const { return seeds_; }

 private:
  std::vector<Seed> seeds_;
};

// One call of a sequence.
std::string Call(Rpc rpc, Caller caller, bool fresh, int slot,
                 const google::protobuf::Message& request) {
  return EncodeInput(rpc, caller, fresh, slot, request.SerializeAsString());
}

v1::OrderItem Item(const char* sku, int64_t quantity, int64_t price) {
  v1::OrderItem item;
  item.set_sku(sku);
  item.set_name(std::string("衬衫 ") + sku);
  item.set_quantity(quantity);
  item.mutable_unit_price()->set_minor_units(price);
  return item;
}

// A store order of two lines, total 30000.
v1::CreateOrderRequest StoreOrder(const char* branch) {
  v1::CreateOrderRequest req;
  req.set_request_id("fuzz-seed-order");
  v1::Order* o = req.mutable_order();
  if (*branch != '\0') o->set_branch_id(branch);
  o->set_channel(v1::ORDER_CHANNEL_STORE);
  *o->add_items() = Item("SHIRT-M", 2, 12'900);
  *o->add_items() = Item("SOCKS", 3, 1'400);
  return req;
}

v1::PayOrderRequest Tender(v1::PaymentMethod method, int64_t amount,
                           const char* reference) {
  v1::PayOrderRequest req;
  req.set_request_id("fuzz-seed-pay");
  req.set_order_id("ord_placeholder");
  req.mutable_payment()->set_method(method);
  req.mutable_payment()->mutable_amount()->set_minor_units(amount);
  req.mutable_payment()->set_external_reference(reference);
  req.mutable_payment()->set_outcome(v1::PAYMENT_OUTCOME_SUCCEEDED);
  return req;
}

// One line of a return.
v1::ReturnLine Back(const char* sku, int64_t quantity,
                    v1::ReturnReason reason = v1::RETURN_REASON_SIZE,
                    const char* note = "") {
  v1::ReturnLine l;
  l.set_sku(sku);
  l.set_quantity(quantity);
  l.set_reason(reason);
  l.set_note(note);
  return l;
}

// One line of an exchange: `new_quantity` (0: as many) of `new_sku` out.
v1::ReturnLine Swap(const char* sku, int64_t quantity, const char* new_sku,
                    int64_t new_quantity, int64_t new_price) {
  v1::ReturnLine l = Back(sku, quantity);
  *l.mutable_replacement() = Item(new_sku, new_quantity, new_price);
  return l;
}

v1::RequestReturnRequest ReturnOf(const std::vector<v1::ReturnLine>& lines) {
  v1::RequestReturnRequest req;
  req.set_request_id("fuzz-seed-return");
  req.set_order_id("ord_placeholder");
  req.set_type(v1::RETURN_TYPE_RETURN);
  for (const v1::ReturnLine& l : lines) *req.add_lines() = l;
  return req;
}

v1::RequestReturnRequest ExchangeOf(const std::vector<v1::ReturnLine>& lines) {
  v1::RequestReturnRequest req = ReturnOf(lines);
  req.set_type(v1::RETURN_TYPE_EXCHANGE);
  return req;
}

v1::ReviewReturnRequest Decide(v1::ReviewDecision decision, const char* note) {
  v1::ReviewReturnRequest req;
  req.set_request_id("fuzz-seed-review");
  req.set_return_id("ret_placeholder");
  req.set_decision(decision);
  req.set_note(note);
  return req;
}

v1::ReceiveReturnRequest Condition(v1::ItemCondition condition,
                                   const char* note) {
  v1::ReceiveReturnRequest req;
  req.set_request_id("fuzz-seed-receive");
  req.set_return_id("ret_placeholder");
  req.set_condition(condition);
  req.set_note(note);
  return req;
}

// CompleteReturn with refund references: payment id ("@<n>": payment-pool
// slot n, orders_rpc.h) and the till's refund id.
v1::CompleteReturnRequest Finish(
    const std::vector<std::pair<std::string, std::string>>& references) {
  v1::CompleteReturnRequest req;
  req.set_request_id("fuzz-seed-complete-return");
  req.set_return_id("ret_placeholder");
  for (const auto& [payment_id, reference] : references) {
    v1::RefundReference* r = req.add_refund_references();
    r->set_payment_id(payment_id);
    r->set_external_reference(reference);
  }
  return req;
}

std::vector<Seed> OrderSeeds() {
  Seeds s;

  // CreateOrder: walk-in, member (slot = customer), online with delivery,
  // expected_total, branch rules, bad lines.
  s.Add("create_walk_in_admin", kCreateOrder, Caller::kAdmin, kFresh, kNoSlot,
        StoreOrder("B001"));
  s.Add("create_member_branch", kCreateOrder, Caller::kBranchB001, kFresh,
        kMemberB002, StoreOrder(""));
  s.Add("create_erased_member", kCreateOrder, Caller::kAgent, kFresh,
        kErasedMember, StoreOrder("B001"));
  s.Add("create_branch_other", kCreateOrder, Caller::kBranchB002, kFresh,
        kNoSlot, StoreOrder("B001"));
  s.Add("create_auditor_denied", kCreateOrder, Caller::kAuditor, kFresh,
        kNoSlot, StoreOrder("B001"));
  s.Add("create_replay", kCreateOrder, Caller::kAdmin, kFixed, kNoSlot,
        StoreOrder("B001"));
  {
    v1::CreateOrderRequest req = StoreOrder("B002");
    req.mutable_order()->set_channel(v1::ORDER_CHANNEL_ONLINE);
    v1::Delivery* d = req.mutable_order()->mutable_delivery();
    d->set_recipient_name("韩梅梅");
    d->set_phone("+86 139 1234 5678");
    d->set_address("北京市海淀区中关村大街1号");
    req.mutable_expected_total()->set_currency_code("CNY");
    req.mutable_expected_total()->set_minor_units(30'000);
    s.Add("create_online_delivery", kCreateOrder, Caller::kAgent, kFresh,
          kMemberB002, req);
    req.mutable_expected_total()->set_minor_units(29'999);
    s.Add("create_expected_total_mismatch", kCreateOrder, Caller::kAdmin,
          kFresh, kNoSlot, req);
  }
  {
    v1::CreateOrderRequest req = StoreOrder("B001");
    *req.mutable_order()->add_items() =
        Item("HUGE", 4'000'000'000'000LL, 4'000'000'000LL);
    s.Add("create_line_overflow", kCreateOrder, Caller::kAdmin, kFresh, kNoSlot,
          req);
    req = StoreOrder("B001");
    req.mutable_order()
        ->mutable_items(0)
        ->mutable_unit_price()
        ->set_minor_units(-1);
    req.mutable_order()
        ->mutable_items(1)
        ->mutable_unit_price()
        ->set_currency_code("USD");
    req.mutable_order()->set_channel(static_cast<v1::OrderChannel>(77));
    s.Add("create_bad_lines", kCreateOrder, Caller::kAdmin, kFresh, kNoSlot,
          req);
  }

  // GetOrder: each seeded state, other branch, reveal, unknown id.
  {
    v1::GetOrderRequest req;
    req.set_order_id("ord_placeholder");
    s.Add("get_admin", kGetOrder, Caller::kAdmin, kFixed, kPaidB001, req);
    s.Add("get_branch_other", kGetOrder, Caller::kBranchB002, kFixed,
          kPendingMemberB001, req);
    s.Add("get_auditor_online", kGetOrder, Caller::kAuditor, kFixed,
          kPendingOnlineB002, req);
    s.Add("get_service", kGetOrder, Caller::kService, kFixed, kPaidB001, req);
    req.set_reveal_pii(true);
    s.Add("get_agent_reveal", kGetOrder, Caller::kAgent, kFixed,
          kPendingOnlineB002, req);
    s.Add("get_auditor_reveal", kGetOrder, Caller::kAuditor, kFixed,
          kPendingOnlineB002, req);
    req.set_order_id("ord_missing");
    req.set_reveal_pii(false);
    s.Add("get_missing_no_token", kGetOrder, Caller::kNoToken, kFixed, kNoSlot,
          req);
  }

  // ListOrders: filters, paging, reveal.
  {
    v1::ListOrdersRequest req;
    req.set_page_size(2);
    s.Add("list_admin_page", kListOrders, Caller::kAdmin, kFixed, kNoSlot, req);
    req.set_page_token(kLastPageToken);
    s.AddSequence("list_admin_next_page",
                  {Call(kListOrders, Caller::kAdmin, kFixed, kNoSlot,
                        [] {
                          v1::ListOrdersRequest first;
                          first.set_page_size(2);
                          return first;
                        }()),
                   Call(kListOrders, Caller::kAdmin, kFixed, kNoSlot, req)});
    v1::ListOrdersRequest by_branch;
    by_branch.set_branch_id("B001");
    by_branch.set_status(v1::ORDER_STATUS_PENDING_PAYMENT);
    s.Add("list_branch_status", kListOrders, Caller::kBranchB001, kFixed,
          kNoSlot, by_branch);
    v1::ListOrdersRequest by_customer;
    by_customer.set_reveal_pii(true);
    by_customer.set_page_size(1000);
    s.Add("list_agent_customer_reveal", kListOrders, Caller::kAgent, kFixed,
          kMemberB002, by_customer);
    v1::ListOrdersRequest by_time;
    by_time.mutable_create_time_start()->set_seconds(1);
    by_time.mutable_create_time_end()->set_seconds(253402300799LL);
    by_time.set_status(static_cast<v1::OrderStatus>(99));
    s.Add("list_auditor_time_bad_status", kListOrders, Caller::kAuditor, kFixed,
          kNoSlot, by_time);
  }

  // CancelOrder, CompleteOrder on each state.
  {
    v1::CancelOrderRequest req;
    req.set_request_id("fuzz-seed-cancel");
    req.set_order_id("ord_placeholder");
    req.set_reason("customer changed their mind");
    s.Add("cancel_pending", kCancelOrder, Caller::kAdmin, kFresh,
          kPendingWalkInB001, req);
    s.Add("cancel_partly_paid_refunds", kCancelOrder, Caller::kBranchB001,
          kFresh, kPartlyPaidB001, req);
    s.Add("cancel_paid", kCancelOrder, Caller::kAgent, kFresh, kPaidB001, req);
    s.Add("cancel_other_branch", kCancelOrder, Caller::kBranchB002, kFresh,
          kPendingMemberB001, req);
    v1::CompleteOrderRequest complete;
    complete.set_request_id("fuzz-seed-complete");
    complete.set_order_id("ord_placeholder");
    s.Add("complete_paid", kCompleteOrder, Caller::kBranchB001, kFresh,
          kPaidB001, complete);
    s.Add("complete_pending", kCompleteOrder, Caller::kAdmin, kFresh,
          kPendingWalkInB001, complete);
    s.Add("complete_completed", kCompleteOrder, Caller::kAdmin, kFresh,
          kCompletedB002, complete);
  }

  // PayOrder: every method, split tenders, overpay, failed tender, points.
  {
    s.Add("pay_cash_full", kPayOrder, Caller::kBranchB001, kFresh,
          kPendingWalkInB001, Tender(v1::PAYMENT_METHOD_CASH, 30'000, ""));
    s.Add("pay_cash_part", kPayOrder, Caller::kAdmin, kFresh,
          kPendingMemberB001, Tender(v1::PAYMENT_METHOD_CASH, 1'000, ""));
    s.Add("pay_points_member", kPayOrder, Caller::kAgent, kFresh,
          kPendingMemberB001, Tender(v1::PAYMENT_METHOD_POINTS, 10'000, ""));
    s.Add("pay_points_walk_in", kPayOrder, Caller::kAdmin, kFresh,
          kPendingWalkInB001, Tender(v1::PAYMENT_METHOD_POINTS, 100, ""));
    s.Add("pay_alipay_rest", kPayOrder, Caller::kBranchB001, kFresh,
          kPartlyPaidB001,
          Tender(v1::PAYMENT_METHOD_ALIPAY, 20'000, "ali-0001"));
    s.Add("pay_reused_reference", kPayOrder, Caller::kAdmin, kFresh,
          kPendingMemberB001,
          Tender(v1::PAYMENT_METHOD_WECHAT_PAY, 1'000, "wx-seed-0001"));
    s.Add("pay_overpay", kPayOrder, Caller::kAdmin, kFresh, kPendingOnlineB002,
          Tender(v1::PAYMENT_METHOD_UNIONPAY, 30'001, "up-0001"));
    s.Add("pay_paid", kPayOrder, Caller::kAdmin, kFresh, kPaidB001,
          Tender(v1::PAYMENT_METHOD_CASH, 1, ""));
    s.Add("pay_cancelled", kPayOrder, Caller::kAdmin, kFresh, kCancelledB001,
          Tender(v1::PAYMENT_METHOD_CASH, 1, ""));
    s.Add("pay_other_branch", kPayOrder, Caller::kBranchB002, kFresh,
          kPendingWalkInB001, Tender(v1::PAYMENT_METHOD_CASH, 30'000, ""));
    v1::PayOrderRequest failed =
        Tender(v1::PAYMENT_METHOD_BANK_CARD, 30'000, "card-declined-1");
    failed.mutable_payment()->set_outcome(v1::PAYMENT_OUTCOME_FAILED);
    failed.mutable_payment()->set_failure_reason("card declined");
    s.Add("pay_failed", kPayOrder, Caller::kBranchB002, kFresh,
          kPendingOnlineB002, failed);
    v1::PayOrderRequest bad = Tender(static_cast<v1::PaymentMethod>(42), 0, "");
    bad.mutable_payment()->set_outcome(static_cast<v1::PaymentOutcome>(9));
    bad.mutable_payment()->mutable_amount()->set_currency_code("USD");
    s.Add("pay_bad_fields", kPayOrder, Caller::kAdmin, kFresh,
          kPendingWalkInB001, bad);
    s.Add("pay_replay", kPayOrder, Caller::kAdmin, kFixed, kPendingWalkInB001,
          Tender(v1::PAYMENT_METHOD_CASH, 100, ""));
  }

  // GetSettlement, ListSettlements.
  {
    v1::GetSettlementRequest by_id;
    by_id.set_settlement_id("stl_placeholder");
    s.Add("settlement_by_id", kGetSettlement, Caller::kAdmin, kFixed, 0, by_id);
    s.Add("settlement_by_id_other_branch", kGetSettlement, Caller::kBranchB002,
          kFixed, 0, by_id);
    v1::GetSettlementRequest by_order;
    by_order.set_order_id("ord_placeholder");
    s.Add("settlement_by_order", kGetSettlement, Caller::kAuditor, kFixed,
          kPaidB001, by_order);
    s.Add("settlement_unpaid_order", kGetSettlement, Caller::kBranchB001,
          kFixed, kPendingWalkInB001, by_order);
    s.Add("settlement_no_key", kGetSettlement, Caller::kAdmin, kFixed, kNoSlot,
          v1::GetSettlementRequest());
    v1::ListSettlementsRequest list;
    list.set_branch_id("B001");
    // The fuzz server's clock stands at 2026-01-15 (harness.cc).
    list.mutable_start_date()->set_year(2026);
    list.mutable_start_date()->set_month(1);
    list.mutable_start_date()->set_day(1);
    list.mutable_end_date()->set_year(2026);
    list.mutable_end_date()->set_month(12);
    list.mutable_end_date()->set_day(31);
    list.set_page_size(1);
    s.Add("settlements_b001", kListSettlements, Caller::kBranchB001, kFixed,
          kNoSlot, list);
    list.set_branch_id("B002");
    s.Add("settlements_b002_by_b001", kListSettlements, Caller::kBranchB001,
          kFixed, kNoSlot, list);
    list.mutable_end_date()->set_year(2030);
    s.Add("settlements_range_too_long", kListSettlements, Caller::kAdmin,
          kFixed, kNoSlot, list);
  }

  // GetDailyReconciliation: the seeded day (2026-01-15, harness.cc), own
  // and other branch, a bad date.
  {
    v1::GetDailyReconciliationRequest req;
    req.set_branch_id("B001");
    req.mutable_date()->set_year(2026);
    req.mutable_date()->set_month(1);
    req.mutable_date()->set_day(15);
    s.Add("reconcile_b001", kGetDailyReconciliation, Caller::kBranchB001,
          kFixed, kNoSlot, req);
    s.Add("reconcile_auditor", kGetDailyReconciliation, Caller::kAuditor,
          kFixed, kNoSlot, req);
    req.set_branch_id("B002");
    s.Add("reconcile_b002_by_b001", kGetDailyReconciliation,
          Caller::kBranchB001, kFixed, kNoSlot, req);
    req.mutable_date()->set_month(2);
    req.mutable_date()->set_day(30);
    s.Add("reconcile_bad_date", kGetDailyReconciliation, Caller::kAdmin, kFixed,
          kNoSlot, req);
    s.AddSequence(
        "seq_pay_then_reconcile",
        {Call(kPayOrder, Caller::kBranchB001, kFresh, kPendingWalkInB001,
              Tender(v1::PAYMENT_METHOD_CASH, 30'000, "")),
         Call(kCancelOrder, Caller::kBranchB001, kFresh, kPartlyPaidB001,
              [] {
                v1::CancelOrderRequest cancel;
                cancel.set_request_id("fuzz-seed-cancel");
                cancel.set_order_id("ord_placeholder");
                cancel.set_reason("changed mind");
                return cancel;
              }()),
         Call(kGetDailyReconciliation, Caller::kBranchB001, kFixed, kNoSlot,
              [] {
                v1::GetDailyReconciliationRequest r;
                r.set_branch_id("B001");
                r.mutable_date()->set_year(2026);
                r.mutable_date()->set_month(1);
                r.mutable_date()->set_day(15);
                return r;
              }())});
  }

  // Sequences: create then pay in full then complete; create, part-pay with
  // points, cancel; pay, then read the slip by order.
  {
    v1::CreateOrderRequest create = StoreOrder("B001");
    const std::string created =
        Call(kCreateOrder, Caller::kBranchB001, kFresh, kMemberB001, create);
    v1::CompleteOrderRequest complete;
    complete.set_request_id("fuzz-seed-complete");
    complete.set_order_id("ord_placeholder");
    v1::GetSettlementRequest slip;
    slip.set_order_id("ord_placeholder");
    v1::CancelOrderRequest cancel;
    cancel.set_request_id("fuzz-seed-cancel");
    cancel.set_order_id("ord_placeholder");
    cancel.set_reason("changed mind");
    v1::GetOrderRequest get;
    get.set_order_id("ord_placeholder");
    s.AddSequence(
        "seq_create_pay_complete",
        {created,
         Call(kPayOrder, Caller::kBranchB001, kFresh, kFirstCreatedOrder,
              Tender(v1::PAYMENT_METHOD_WECHAT_PAY, 20'000, "wx-seq-1")),
         Call(kPayOrder, Caller::kBranchB001, kFresh, kFirstCreatedOrder,
              Tender(v1::PAYMENT_METHOD_CASH, 10'000, "")),
         Call(kCompleteOrder, Caller::kBranchB001, kFresh, kFirstCreatedOrder,
              complete),
         Call(kGetSettlement, Caller::kBranchB001, kFixed, kFirstCreatedOrder,
              slip)});
    s.AddSequence(
        "seq_create_points_cancel",
        {created,
         Call(kPayOrder, Caller::kAgent, kFresh, kFirstCreatedOrder,
              Tender(v1::PAYMENT_METHOD_POINTS, 12'300, "")),
         Call(kCancelOrder, Caller::kAgent, kFresh, kFirstCreatedOrder, cancel),
         Call(kGetOrder, Caller::kAdmin, kFixed, kFirstCreatedOrder, get)});
  }

  // RequestReturn: each state of order, each branch rule, returns and
  // exchanges (credit covering, short, or more than the new order), bad
  // lines.
  {
    s.Add("return_socks_branch", kRequestReturn, Caller::kBranchB001, kFresh,
          kReturnsB001, ReturnOf({Back("SOCKS", 1)}));
    s.Add("return_paid_walk_in", kRequestReturn, Caller::kAdmin, kFresh,
          kPaidB001,
          ReturnOf({Back("SHIRT-M", 1, v1::RETURN_REASON_CHANGED_MIND)}));
    s.Add("return_completed_b002_all", kRequestReturn, Caller::kBranchB002,
          kFresh, kCompletedB002,
          ReturnOf({Back("SHIRT-M", 2),
                    Back("SOCKS", 3, v1::RETURN_REASON_OTHER, "起球了")}));
    s.Add("return_exchange_order", kRequestReturn, Caller::kAgent, kFresh,
          kExchangeOrderB001, ReturnOf({Back("SHIRT-L", 1)}));
    s.Add("exchange_same_price", kRequestReturn, Caller::kBranchB002, kFresh,
          kCompletedB002,
          ExchangeOf({Swap("SHIRT-M", 1, "SHIRT-L", 0, 12'900)}));
    s.Add("exchange_pay_more", kRequestReturn, Caller::kAdmin, kFresh,
          kPaidB001, ExchangeOf({Swap("SOCKS", 3, "SHOES", 1, 9'900)}));
    s.Add("exchange_money_back", kRequestReturn, Caller::kBranchB001, kFresh,
          kPaidB001, ExchangeOf({Swap("SHIRT-M", 2, "SHIRT-S", 0, 9'900)}));
    s.Add("return_pending", kRequestReturn, Caller::kAdmin, kFresh,
          kPendingWalkInB001, ReturnOf({Back("SOCKS", 1)}));
    s.Add("return_cancelled", kRequestReturn, Caller::kBranchB001, kFresh,
          kCancelledB001, ReturnOf({Back("SOCKS", 1)}));
    s.Add("return_other_branch", kRequestReturn, Caller::kBranchB002, kFresh,
          kPaidB001, ReturnOf({Back("SOCKS", 1)}));
    s.Add("return_too_many", kRequestReturn, Caller::kAdmin, kFresh,
          kReturnsB001, ReturnOf({Back("SOCKS", 2)}));
    s.Add("return_unknown_sku", kRequestReturn, Caller::kAdmin, kFresh,
          kPaidB001, ReturnOf({Back("SOCKS", 1), Back("HAT", 1)}));
    s.Add("return_auditor_denied", kRequestReturn, Caller::kAuditor, kFresh,
          kPaidB001, ReturnOf({Back("SOCKS", 1)}));
    s.Add("return_replay", kRequestReturn, Caller::kAdmin, kFixed, kPaidB001,
          ReturnOf({Back("SOCKS", 1)}));
    v1::RequestReturnRequest bad =
        ReturnOf({Back("SOCKS", 0, static_cast<v1::ReturnReason>(42)),
                  Back("SOCKS", 1, v1::RETURN_REASON_OTHER),
                  Swap("SHIRT-M", 1, "", -1, -5)});
    bad.set_type(static_cast<v1::ReturnType>(7));
    s.Add("return_bad_lines", kRequestReturn, Caller::kAdmin, kFresh, kPaidB001,
          bad);
    v1::RequestReturnRequest no_replacement = ExchangeOf({Back("SOCKS", 1)});
    s.Add("exchange_without_replacement", kRequestReturn, Caller::kAdmin,
          kFresh, kPaidB001, no_replacement);
  }

  // ReviewReturn, ReceiveReturn, CompleteReturn on each seeded state.
  {
    s.Add("approve_requested", kReviewReturn, Caller::kBranchB001, kFresh,
          kRequestedB001, Decide(v1::REVIEW_DECISION_APPROVE, ""));
    s.Add("reject_requested", kReviewReturn, Caller::kAgent, kFresh,
          kRequestedB001, Decide(v1::REVIEW_DECISION_REJECT, "已穿过"));
    s.Add("approve_approved", kReviewReturn, Caller::kAdmin, kFresh,
          kApprovedB001, Decide(v1::REVIEW_DECISION_APPROVE, ""));
    s.Add("approve_rejected", kReviewReturn, Caller::kAdmin, kFresh,
          kRejectedB001, Decide(v1::REVIEW_DECISION_APPROVE, ""));
    s.Add("approve_other_branch", kReviewReturn, Caller::kBranchB002, kFresh,
          kRequestedB001, Decide(v1::REVIEW_DECISION_APPROVE, ""));
    s.Add("approve_service_denied", kReviewReturn, Caller::kService, kFresh,
          kRequestedB001, Decide(v1::REVIEW_DECISION_APPROVE, ""));
    s.Add("review_bad_decision", kReviewReturn, Caller::kAdmin, kFresh,
          kRequestedB001, Decide(static_cast<v1::ReviewDecision>(5), ""));
    s.Add("reject_without_note", kReviewReturn, Caller::kAdmin, kFresh,
          kRequestedB001, Decide(v1::REVIEW_DECISION_REJECT, ""));
    s.Add("receive_approved", kReceiveReturn, Caller::kBranchB001, kFresh,
          kApprovedB001, Condition(v1::ITEM_CONDITION_OPENED, "吊牌已拆"));
    s.Add("receive_requested", kReceiveReturn, Caller::kAdmin, kFresh,
          kRequestedB001, Condition(v1::ITEM_CONDITION_RESALABLE, ""));
    s.Add("receive_bad_condition", kReceiveReturn, Caller::kAdmin, kFresh,
          kApprovedB001, Condition(static_cast<v1::ItemCondition>(9), ""));
    s.Add("receive_other_branch", kReceiveReturn, Caller::kBranchB001, kFresh,
          kReceivedExchangeB002, Condition(v1::ITEM_CONDITION_DAMAGED, ""));
    s.Add("complete_received", kCompleteReturn, Caller::kBranchB001, kFresh,
          kReceivedB001, Finish({{"@0", "pos-refund-1"}}));
    s.Add("complete_received_wrong_tender", kCompleteReturn,
          Caller::kBranchB001, kFresh, kReceivedB001,
          Finish({{"@1", "pos-refund-2"}}));
    s.Add("complete_exchange_money_back", kCompleteReturn, Caller::kBranchB002,
          kFresh, kReceivedExchangeB002, Finish({{"@2", "wx-refund-1"}}));
    s.Add("complete_exchange_agent", kCompleteReturn, Caller::kAgent, kFresh,
          kReceivedExchangeB002, Finish({}));
    s.Add("complete_return_completed", kCompleteReturn, Caller::kAdmin, kFresh,
          kCompletedExchangeB001, Finish({}));
    s.Add("complete_approved", kCompleteReturn, Caller::kAdmin, kFresh,
          kApprovedB001, Finish({}));
    s.Add("complete_other_branch", kCompleteReturn, Caller::kBranchB001, kFresh,
          kReceivedExchangeB002, Finish({}));
    s.Add("complete_bad_references", kCompleteReturn, Caller::kAdmin, kFresh,
          kReceivedB001,
          Finish({{"@0", ""}, {"@0", "dup"}, {"pay' OR 1=1 --", "x"}}));
  }

  // GetReturn, ListReturns.
  {
    v1::GetReturnRequest get;
    get.set_return_id("ret_placeholder");
    s.Add("get_return_admin", kGetReturn, Caller::kAdmin, kFixed,
          kCompletedExchangeB001, get);
    s.Add("get_return_other_branch", kGetReturn, Caller::kBranchB002, kFixed,
          kRequestedB001, get);
    s.Add("get_return_auditor", kGetReturn, Caller::kAuditor, kFixed,
          kReceivedExchangeB002, get);
    get.set_return_id("ret_missing");
    s.Add("get_return_missing", kGetReturn, Caller::kBranchB001, kFixed,
          kNoSlot, get);
    v1::ListReturnsRequest by_order;
    by_order.set_order_id("ord_placeholder");
    s.Add("list_returns_order", kListReturns, Caller::kBranchB001, kFixed,
          kReturnsB001, by_order);
    s.Add("list_returns_order_other_branch", kListReturns, Caller::kBranchB002,
          kFixed, kReturnsB001, by_order);
    v1::ListReturnsRequest by_branch;
    by_branch.set_branch_id("B002");
    by_branch.set_status(v1::RETURN_STATUS_RECEIVED);
    s.Add("list_returns_branch_status", kListReturns, Caller::kBranchB001,
          kFixed, kNoSlot, by_branch);
    v1::ListReturnsRequest page;
    page.set_page_size(2);
    v1::ListReturnsRequest next = page;
    next.set_page_token(kLastPageToken);
    s.AddSequence("list_returns_next_page",
                  {Call(kListReturns, Caller::kAgent, kFixed, kNoSlot, page),
                   Call(kListReturns, Caller::kAgent, kFixed, kNoSlot, next)});
    v1::ListReturnsRequest bad;
    bad.set_status(static_cast<v1::ReturnStatus>(77));
    bad.set_page_size(-1);
    s.Add("list_returns_bad", kListReturns, Caller::kAdmin, kFixed, kNoSlot,
          bad);
  }

  // Sequences: the whole way for money, an exchange topped up with
  // PayOrder, an exchange whose new order is cancelled, the seeded returns
  // finished (refunds reaching the points tender), two approvals of the
  // same units.
  {
    const auto full = [](Caller caller, int order_slot,
                         const v1::RequestReturnRequest& request,
                         std::vector<std::string> after) {
      std::vector<std::string> calls = {
          Call(kRequestReturn, caller, kFresh, order_slot, request),
          Call(kReviewReturn, caller, kFresh, kFirstCreatedReturn,
               Decide(v1::REVIEW_DECISION_APPROVE, "")),
          Call(kReceiveReturn, caller, kFresh, kFirstCreatedReturn,
               Condition(v1::ITEM_CONDITION_RESALABLE, "")),
          Call(kCompleteReturn, caller, kFresh, kFirstCreatedReturn,
               Finish({}))};
      for (std::string& c : after) calls.push_back(std::move(c));
      return calls;
    };
    v1::GetOrderRequest get;
    get.set_order_id("ord_placeholder");
    s.AddSequence(
        "seq_return_for_money",
        full(Caller::kBranchB001, kPaidB001,
             ReturnOf({Back("SHIRT-M", 1), Back("SOCKS", 3)}),
             {Call(kGetOrder, Caller::kBranchB001, kFixed, kPaidB001, get)}));
    s.AddSequence(
        "seq_return_points_order",
        full(Caller::kAdmin, kReturnsB001, ReturnOf({Back("SOCKS", 1)}),
             {Call(kGetOrder, Caller::kAdmin, kFixed, kReturnsB001, get)}));
    v1::GetSettlementRequest slip;
    slip.set_order_id("ord_placeholder");
    s.AddSequence(
        "seq_exchange_then_pay",
        full(Caller::kAdmin, kPaidB001,
             ExchangeOf({Swap("SOCKS", 3, "SHOES", 1, 9'900)}),
             {Call(kPayOrder, Caller::kBranchB001, kFresh, kFirstCreatedOrder,
                   Tender(v1::PAYMENT_METHOD_CASH, 5'700, "")),
              Call(kGetSettlement, Caller::kBranchB001, kFixed,
                   kFirstCreatedOrder, slip)}));
    v1::CancelOrderRequest cancel;
    cancel.set_request_id("fuzz-seed-cancel");
    cancel.set_order_id("ord_placeholder");
    cancel.set_reason("changed mind");
    s.AddSequence("seq_exchange_then_cancel",
                  full(Caller::kBranchB002, kCompletedB002,
                       ExchangeOf({Swap("SHIRT-M", 1, "JACKET", 1, 20'000)}),
                       {Call(kCancelOrder, Caller::kBranchB002, kFresh,
                             kFirstCreatedOrder, cancel)}));
    s.AddSequence(
        "seq_finish_seeded_returns",
        {Call(kCompleteReturn, Caller::kBranchB001, kFresh, kReceivedB001,
              Finish({{"@0", "pos-refund-3"}})),
         Call(kReceiveReturn, Caller::kBranchB001, kFresh, kApprovedB001,
              Condition(v1::ITEM_CONDITION_RESALABLE, "")),
         Call(kCompleteReturn, Caller::kBranchB001, kFresh, kApprovedB001,
              Finish({})),
         Call(kGetOrder, Caller::kBranchB001, kFixed, kReturnsB001, get)});
    s.AddSequence(
        "seq_two_approvals_same_units",
        {Call(kRequestReturn, Caller::kAdmin, kFresh, kPaidB001,
              ReturnOf({Back("SHIRT-M", 2)})),
         Call(kRequestReturn, Caller::kAdmin, kFresh, kPaidB001,
              ReturnOf({Back("SHIRT-M", 2)})),
         Call(kReviewReturn, Caller::kAdmin, kFresh, kFirstCreatedReturn,
              Decide(v1::REVIEW_DECISION_APPROVE, "")),
         Call(kReviewReturn, Caller::kAdmin, kFresh, kFirstCreatedReturn + 1,
              Decide(v1::REVIEW_DECISION_APPROVE, ""))});
    // A return of more than the approval limit: a branch is refused, an
    // agent is not.
    v1::CreateOrderRequest dear = StoreOrder("B001");
    dear.mutable_order()->clear_items();
    *dear.mutable_order()->add_items() = Item("COAT", 2, 30'000);
    s.AddSequence(
        "seq_approval_limit",
        {Call(kCreateOrder, Caller::kBranchB001, kFresh, kNoSlot, dear),
         Call(kPayOrder, Caller::kBranchB001, kFresh, kFirstCreatedOrder,
              Tender(v1::PAYMENT_METHOD_CASH, 60'000, "")),
         Call(kRequestReturn, Caller::kBranchB001, kFresh, kFirstCreatedOrder,
              ReturnOf({Back("COAT", 2)})),
         Call(kReviewReturn, Caller::kBranchB001, kFresh, kFirstCreatedReturn,
              Decide(v1::REVIEW_DECISION_APPROVE, "")),
         Call(kReviewReturn, Caller::kAgent, kFresh, kFirstCreatedReturn,
              Decide(v1::REVIEW_DECISION_APPROVE, ""))});
  }

  // Bytes that are no valid request: a string field holding invalid UTF-8,
  // and a truncated length-delimited field.
  s.AddRaw("malformed_utf8", kGetOrder, Caller::kAdmin,
           std::string("\x0a\x02\xff\xfe", 4));
  s.AddRaw("malformed_truncated", kCreateOrder, Caller::kAgent,
           std::string("\x0a\x10\x2a\x04", 4));
  return s.all();
}

}  // namespace
}  // namespace retail::fuzz::orders

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <output dir>\n", argv[0]);
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  std::filesystem::create_directories(dir);
  const auto seeds = retail::fuzz::orders::OrderSeeds();
  for (const auto& seed : seeds) {
    std::ofstream(dir / seed.name, std::ios::binary) << seed.bytes;
  }
  std::printf("wrote %zu seeds to %s\n", seeds.size(), dir.c_str());
  return 0;
}
