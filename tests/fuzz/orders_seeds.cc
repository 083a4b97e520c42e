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
