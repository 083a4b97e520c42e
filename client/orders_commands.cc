#include "client/orders_commands.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "client/connection.h"
#include "client/flags.h"
#include "client/output.h"
#include "client/request_id.h"
#include "client/rpc.h"
#include "client/text_table.h"
#include "retail/orders/v1/orders.grpc.pb.h"

namespace retail::cli {
namespace {

namespace v1 = ::retail::orders::v1;
using Stub = v1::OrderService::Stub;

// What a cashier or agent scans a list for; the rest is one `get` away.
const std::vector<std::string> kOrderColumns = {
    "order_id", "branch_id", "customer_id", "channel",
    "status",   "total",     "paid",        "create_time"};
const std::vector<std::string> kSettlementColumns = {
    "settlement_id", "order_id", "branch_id",
    "business_date", "total",    "paid_time"};

std::unique_ptr<Stub> NewStub(const GlobalOptions& options) {
  return v1::OrderService::NewStub(MakeChannel(options));
}

// Flag spellings of the enums: what a cashier would type.
const std::map<std::string, v1::OrderChannel>& Channels() {
  static const auto* channels = new std::map<std::string, v1::OrderChannel>{
      {"store", v1::ORDER_CHANNEL_STORE},
      {"online", v1::ORDER_CHANNEL_ONLINE},
      {"app", v1::ORDER_CHANNEL_APP},
      {"phone", v1::ORDER_CHANNEL_PHONE}};
  return *channels;
}
const std::map<std::string, v1::OrderStatus>& Statuses() {
  static const auto* statuses = new std::map<std::string, v1::OrderStatus>{
      {"pending-payment", v1::ORDER_STATUS_PENDING_PAYMENT},
      {"paid", v1::ORDER_STATUS_PAID},
      {"completed", v1::ORDER_STATUS_COMPLETED},
      {"cancelled", v1::ORDER_STATUS_CANCELLED},
      {"partially-returned", v1::ORDER_STATUS_PARTIALLY_RETURNED},
      {"returned", v1::ORDER_STATUS_RETURNED}};
  return *statuses;
}
const std::map<std::string, v1::PaymentMethod>& Methods() {
  static const auto* methods = new std::map<std::string, v1::PaymentMethod>{
      {"cash", v1::PAYMENT_METHOD_CASH},
      {"wechat", v1::PAYMENT_METHOD_WECHAT_PAY},
      {"alipay", v1::PAYMENT_METHOD_ALIPAY},
      {"unionpay", v1::PAYMENT_METHOD_UNIONPAY},
      {"card", v1::PAYMENT_METHOD_BANK_CARD},
      {"transfer", v1::PAYMENT_METHOD_BANK_TRANSFER},
      {"points", v1::PAYMENT_METHOD_POINTS}};
  return *methods;
}

template <typename T>
std::vector<std::string> Keys(const std::map<std::string, T>& map) {
  std::vector<std::string> keys;
  for (const auto& [key, value] : map) keys.push_back(key);
  return keys;
}

// "--item SKU:QUANTITY:PRICE:NAME"; the name is the rest and may hold ':'.
CLI::Validator ItemValidator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        std::vector<std::string> parts =
            absl::StrSplit(text, absl::MaxSplits(':', 3));
        int64_t quantity = 0;
        if (parts.size() != 4 || parts[0].empty() || parts[3].empty() ||
            !absl::SimpleAtoi(parts[1], &quantity)) {
          return "'" + text + "' is not SKU:QUANTITY:PRICE:NAME";
        }
        std::string price = parts[2];
        return MoneyValidator()(price);
      },
      "SKU:QTY:PRICE:NAME");
}

v1::OrderItem ParseItem(const std::string& text) {
  std::vector<std::string> parts =
      absl::StrSplit(text, absl::MaxSplits(':', 3));
  v1::OrderItem item;
  int64_t quantity = 0;
  (void)absl::SimpleAtoi(parts[1], &quantity);  // checked by ItemValidator()
  item.set_sku(parts[0]);
  item.set_quantity(quantity);
  *item.mutable_unit_price() = ParseMoney(parts[2]);
  item.set_name(parts[3]);
  return item;
}

// Items from a JSON file: a list of OrderItem objects in proto JSON, e.g.
// [{"sku": "A1", "name": "T恤", "quantity": 2,
//   "unit_price": {"minor_units": 9900}}], or {"items": [...]}.
void ReadItemsFile(const std::string& path, v1::Order* order) {
  std::ifstream in(path);
  if (!in) throw CLI::ValidationError("--items-file", "cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();
  std::string json(absl::StripAsciiWhitespace(text.str()));
  if (!json.empty() && json.front() == '[') json = "{\"items\": " + json + "}";
  v1::Order parsed;
  const auto status =
      google::protobuf::util::JsonStringToMessage(json, &parsed);
  if (!status.ok()) {
    throw CLI::ValidationError(
        "--items-file",
        path + ": not a list of items: " + std::string(status.message()));
  }
  for (v1::OrderItem& item : *parsed.mutable_items()) {
    *order->add_items() = std::move(item);
  }
}

// "2026-12-01T10:00:00+08:00" -> Timestamp.
CLI::Validator TimeValidator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        absl::Time t;
        std::string error;
        if (absl::ParseTime(absl::RFC3339_full, text, &t, &error)) return "";
        return "'" + text + "' is not an RFC 3339 time, e.g. " +
               "2026-12-01T00:00:00+08:00";
      },
      "TIME");
}

void SetTimestamp(const std::string& text, google::protobuf::Timestamp* ts) {
  absl::Time t;
  std::string error;
  absl::ParseTime(absl::RFC3339_full, text, &t, &error);  // checked
  const int64_t nanos = absl::ToUnixNanos(t);
  ts->set_seconds(nanos / 1'000'000'000);
  ts->set_nanos(static_cast<int32_t>(nanos % 1'000'000'000));
}

void AddRevealPiiFlag(CLI::App* cmd, bool* reveal_pii) {
  cmd->add_flag("--reveal-pii", *reveal_pii,
                "Show delivery details unmasked (agents; every reveal is "
                "audited)");
}

void AddCreate(CLI::App& orders, const GlobalOptions& options) {
  struct Flags {
    std::string branch_id, customer_id, channel = "store";
    std::vector<std::string> items;
    std::string items_file, expected_total;
    std::string recipient, delivery_phone, address;
    std::string request_id;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = orders.add_subcommand(
      "create",
      "Create an order awaiting payment. The server computes the totals; "
      "prints the order as stored.");
  cmd->add_option("--branch", flags->branch_id,
                  "The store's branch, or the fulfilling branch of an "
                  "online, app or phone order (a branch token uses its own)");
  cmd->add_option("--customer", flags->customer_id,
                  "The member buying; omit for a walk-in customer")
      ->check(IdValidator());
  cmd->add_option("--channel", flags->channel, "Where the order was placed")
      ->check(CLI::IsMember(Keys(Channels())));
  CLI::Option_group* lines =
      cmd->add_option_group("items", "At least one of these is required");
  lines
      ->add_option("--item", flags->items,
                   "One line, e.g. A1001:2:99.00:T恤 (repeat for more lines)")
      ->check(ItemValidator());
  lines->add_option("--items-file", flags->items_file,
                    "JSON file with the lines, e.g. [{\"sku\": \"A1001\", "
                    "\"name\": \"T恤\", \"quantity\": 2, \"unit_price\": "
                    "{\"minor_units\": 9900}}]");
  lines->require_option(1, 2);
  cmd->add_option("--expected-total", flags->expected_total,
                  "The total the customer confirmed, e.g. 198.00; the order "
                  "is refused if the computed total differs")
      ->check(MoneyValidator());
  cmd->add_option("--recipient", flags->recipient, "Delivery: recipient name");
  cmd->add_option("--delivery-phone", flags->delivery_phone,
                  "Delivery: recipient phone");
  cmd->add_option("--address", flags->address, "Delivery: full address");
  AddRequestIdOption(cmd, &flags->request_id);
  cmd->callback([&options, flags] {
    v1::CreateOrderRequest request;
    v1::Order* order = request.mutable_order();
    order->set_branch_id(flags->branch_id);
    order->set_customer_id(flags->customer_id);
    order->set_channel(Channels().at(flags->channel));
    for (const std::string& item : flags->items) {
      *order->add_items() = ParseItem(item);
    }
    if (!flags->items_file.empty()) ReadItemsFile(flags->items_file, order);
    if (!flags->recipient.empty() || !flags->delivery_phone.empty() ||
        !flags->address.empty()) {
      v1::Delivery* delivery = order->mutable_delivery();
      delivery->set_recipient_name(flags->recipient);
      delivery->set_phone(flags->delivery_phone);
      delivery->set_address(flags->address);
    }
    if (!flags->expected_total.empty()) {
      *request.mutable_expected_total() = ParseMoney(flags->expected_total);
    }
    request.set_request_id(ChooseRequestId(flags->request_id));
    const auto response =
        Call(options, *NewStub(options), &Stub::CreateOrder, request);
    Emit(options, response, [&] { PrintResource(options, response.order()); });
  });
}

void AddGet(CLI::App& orders, const GlobalOptions& options) {
  struct Flags {
    std::string order_id;
    bool reveal_pii = false;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = orders.add_subcommand(
      "get", "Show one order with every payment attempt and refund.");
  AddIdArgument(cmd, "ORDER_ID", &flags->order_id);
  AddRevealPiiFlag(cmd, &flags->reveal_pii);
  cmd->callback([&options, flags] {
    v1::GetOrderRequest request;
    request.set_order_id(flags->order_id);
    request.set_reveal_pii(flags->reveal_pii);
    const auto response =
        Call(options, *NewStub(options), &Stub::GetOrder, request);
    Emit(options, response, [&] { PrintResource(options, response.order()); });
  });
}

void AddList(CLI::App& orders, const GlobalOptions& options) {
  struct Flags {
    std::string customer_id, branch_id, status, after, before;
    int page_size = 0;
    std::string page_token;
    bool reveal_pii = false;
    bool all = false;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = orders.add_subcommand("list", "List orders, oldest first.");
  cmd->add_option("--customer", flags->customer_id, "Only this customer's")
      ->check(IdValidator());
  cmd->add_option("--branch", flags->branch_id, "Only this branch's");
  cmd->add_option("--status", flags->status, "Only orders in this status")
      ->check(CLI::IsMember(Keys(Statuses())));
  cmd->add_option("--created-after", flags->after,
                  "Only orders created at or after this time (RFC 3339)")
      ->check(TimeValidator());
  cmd->add_option("--created-before", flags->before,
                  "Only orders created before this time (RFC 3339)")
      ->check(TimeValidator());
  AddPagingOptions(cmd, &flags->page_size, &flags->page_token);
  AddRevealPiiFlag(cmd, &flags->reveal_pii);
  cmd->add_flag("--all", flags->all,
                "Follow next_page_token until the last page");
  cmd->callback([&options, flags] {
    v1::ListOrdersRequest request;
    request.set_customer_id(flags->customer_id);
    request.set_branch_id(flags->branch_id);
    if (!flags->status.empty()) {
      request.set_status(Statuses().at(flags->status));
    }
    if (!flags->after.empty()) {
      SetTimestamp(flags->after, request.mutable_create_time_start());
    }
    if (!flags->before.empty()) {
      SetTimestamp(flags->before, request.mutable_create_time_end());
    }
    request.set_page_size(flags->page_size);
    request.set_page_token(flags->page_token);
    request.set_reveal_pii(flags->reveal_pii);
    auto stub = NewStub(options);
    v1::ListOrdersResponse result;
    do {
      const auto page = Call(options, *stub, &Stub::ListOrders, request);
      result.mutable_orders()->MergeFrom(page.orders());
      result.set_next_page_token(page.next_page_token());
      request.set_page_token(page.next_page_token());
    } while (flags->all && !request.page_token().empty());
    Emit(options, result, [&] {
      PrintRows(options, AsRows(result.orders()), kOrderColumns,
                result.next_page_token());
    });
  });
}

void AddPay(CLI::App& orders, const GlobalOptions& options) {
  struct Flags {
    std::string order_id, method, amount, reference, failed;
    std::string request_id;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = orders.add_subcommand(
      "pay",
      "Record one tender attempt as the till or gateway reported it. The "
      "order is paid when its succeeded tenders reach the total; a failed "
      "attempt (--failed) is kept and the order stays payable.");
  AddIdArgument(cmd, "ORDER_ID", &flags->order_id);
  cmd->add_option("--method", flags->method, "How it was paid")
      ->check(CLI::IsMember(Keys(Methods())))
      ->required();
  cmd->add_option("--amount", flags->amount,
                  "Money paid, e.g. 50.00 (for points: the money they pay)")
      ->check(MoneyValidator())
      ->required();
  cmd->add_option("--reference", flags->reference,
                  "The till's or gateway's transaction id (required for a "
                  "succeeded non-cash tender)");
  cmd->add_option("--failed", flags->failed,
                  "The attempt failed, for this reason (e.g. \"card "
                  "declined\")");
  AddRequestIdOption(cmd, &flags->request_id);
  cmd->callback([&options, flags] {
    v1::PayOrderRequest request;
    request.set_order_id(flags->order_id);
    v1::Payment* payment = request.mutable_payment();
    payment->set_method(Methods().at(flags->method));
    *payment->mutable_amount() = ParseMoney(flags->amount);
    payment->set_external_reference(flags->reference);
    payment->set_outcome(flags->failed.empty() ? v1::PAYMENT_OUTCOME_SUCCEEDED
                                               : v1::PAYMENT_OUTCOME_FAILED);
    payment->set_failure_reason(flags->failed);
    request.set_request_id(ChooseRequestId(flags->request_id));
    const auto response =
        Call(options, *NewStub(options), &Stub::PayOrder, request);
    Emit(options, response, [&] {
      PrintResource(options, response.payment());
      std::cout << "\n";
      PrintResource(options, response.order());
      if (response.has_settlement()) {
        std::cout << "\n";
        PrintResource(options, response.settlement());
      }
    });
  });
}

void AddCancel(CLI::App& orders, const GlobalOptions& options) {
  struct Flags {
    std::string order_id, reason, request_id;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = orders.add_subcommand(
      "cancel",
      "Cancel an order that is not fully paid; its succeeded tenders are "
      "refunded (points back to the ledger).");
  AddIdArgument(cmd, "ORDER_ID", &flags->order_id);
  cmd->add_option("--reason", flags->reason, "Why, 1..500 characters")
      ->required();
  AddRequestIdOption(cmd, &flags->request_id);
  cmd->callback([&options, flags] {
    v1::CancelOrderRequest request;
    request.set_order_id(flags->order_id);
    request.set_reason(flags->reason);
    request.set_request_id(ChooseRequestId(flags->request_id));
    const auto response =
        Call(options, *NewStub(options), &Stub::CancelOrder, request);
    Emit(options, response, [&] { PrintResource(options, response.order()); });
  });
}

void AddComplete(CLI::App& orders, const GlobalOptions& options) {
  struct Flags {
    std::string order_id, request_id;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = orders.add_subcommand(
      "complete",
      "Mark a paid order picked up or delivered; the return window starts.");
  AddIdArgument(cmd, "ORDER_ID", &flags->order_id);
  AddRequestIdOption(cmd, &flags->request_id);
  cmd->callback([&options, flags] {
    v1::CompleteOrderRequest request;
    request.set_order_id(flags->order_id);
    request.set_request_id(ChooseRequestId(flags->request_id));
    const auto response =
        Call(options, *NewStub(options), &Stub::CompleteOrder, request);
    Emit(options, response, [&] { PrintResource(options, response.order()); });
  });
}

void AddSettlementGet(CLI::App& settlements, const GlobalOptions& options) {
  struct Flags {
    std::string settlement_id, order_id;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = settlements.add_subcommand(
      "get", "Show the settlement slip (结算单) of a paid order.");
  CLI::Option_group* by =
      cmd->add_option_group("slip", "Exactly one of these is required");
  by->add_option("--id", flags->settlement_id, "The slip's id");
  by->add_option("--order", flags->order_id, "The paid order's id");
  by->require_option(1);
  cmd->callback([&options, flags] {
    v1::GetSettlementRequest request;
    if (!flags->settlement_id.empty()) {
      request.set_settlement_id(flags->settlement_id);
    } else {
      request.set_order_id(flags->order_id);
    }
    const auto response =
        Call(options, *NewStub(options), &Stub::GetSettlement, request);
    Emit(options, response,
         [&] { PrintResource(options, response.settlement()); });
  });
}

void AddSettlementList(CLI::App& settlements, const GlobalOptions& options) {
  struct Flags {
    std::string branch_id, from, to;
    int page_size = 0;
    std::string page_token;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = settlements.add_subcommand(
      "list",
      "List one branch's settlement slips by business day (in the chain's "
      "time zone), oldest first.");
  cmd->add_option("--branch", flags->branch_id, "The branch")->required();
  cmd->add_option("--from", flags->from, "First business day")
      ->check(DateValidator())
      ->required();
  cmd->add_option("--to", flags->to, "Last business day (default --from)")
      ->check(DateValidator());
  AddPagingOptions(cmd, &flags->page_size, &flags->page_token);
  cmd->callback([&options, flags] {
    v1::ListSettlementsRequest request;
    request.set_branch_id(flags->branch_id);
    *request.mutable_start_date() = ParseDate(flags->from);
    *request.mutable_end_date() =
        ParseDate(flags->to.empty() ? flags->from : flags->to);
    request.set_page_size(flags->page_size);
    request.set_page_token(flags->page_token);
    const auto response =
        Call(options, *NewStub(options), &Stub::ListSettlements, request);
    Emit(options, response, [&] {
      PrintRows(options, AsRows(response.settlements()), kSettlementColumns,
                response.next_page_token());
    });
  });
}

// Minor units as "1234.50" (two decimals, as on the slip).
std::string Amount(const retail::common::v1::Money& m) {
  return FormatAmount(m.minor_units());
}

std::string Day(const retail::common::v1::Date& d) {
  return absl::StrFormat("%04d-%02d-%02d", d.year(), d.month(), d.day());
}

// Prints the reconciliation as a cashier's day sheet: one row per method,
// a total row, then the orders that do not add up.
void PrintReconciliation(const v1::Reconciliation& r) {
  const std::string currency = r.totals().sales().currency_code();
  std::cout << "Daily reconciliation 日结对账  branch " << r.branch_id()
            << "  business day " << Day(r.date()) << " (" << r.time_zone()
            << ")  amounts in " << currency << "\n\n";
  std::vector<std::vector<std::string>> rows = {
      {"Method 支付方式", "Sales 销售", "Count 笔数", "Refunds 退款",
       "Count 笔数", "Net 净额", "Taken 收款", "Count 笔数", "Drawer 应有"}};
  for (const v1::ReconciliationMethodRow& m : r.methods()) {
    rows.push_back({MethodLabel(m.method()), Amount(m.sales()),
                    absl::StrCat(m.sales_count()), Amount(m.refunds()),
                    absl::StrCat(m.refund_count()), Amount(m.net()),
                    Amount(m.tendered()), absl::StrCat(m.tendered_count()),
                    Amount(m.drawer())});
  }
  const v1::ReconciliationTotals& t = r.totals();
  rows.push_back({"Total 合计", Amount(t.sales()),
                  absl::StrCat(t.sales_count()), Amount(t.refunds()),
                  absl::StrCat(t.refund_count()), Amount(t.net()),
                  Amount(t.tendered()), absl::StrCat(t.tendered_count()),
                  Amount(t.drawer())});
  // Figures right-aligned (they are ASCII, so bytes are cells).
  for (size_t col = 1; col < rows[0].size(); ++col) {
    size_t width = 0;
    for (size_t i = 1; i < rows.size(); ++i)
      width = std::max(width, rows[i][col].size());
    for (size_t i = 1; i < rows.size(); ++i)
      rows[i][col].insert(0, width - rows[i][col].size(), ' ');
  }
  WriteAligned(rows, std::cout);
  std::cout << "\nOrders settled 结算单: " << t.settled_order_count()
            << "   orders refunded 退款订单: " << t.refunded_order_count()
            << "\n";
  std::cout << "Sales are the day's settlement slips (revenue); Taken is "
               "what the till and terminals took during the day on any "
               "order, and Drawer = Taken - Refunds is what each should "
               "hold. They differ when an order was paid across midnight "
               "or cancelled after part payment. Exchange credit is not "
               "money: its row nets to zero.\n";
  if (r.discrepancies().empty()) {
    std::cout << "\nNo discrepancies 账目相符.\n";
    return;
  }
  std::cout << "\nDiscrepancies 账目不符 (" << r.discrepancies_size() << "):\n";
  std::vector<std::vector<std::string>> bad = {
      {"order_id", "status", "total", "paid", "problem"}};
  for (const v1::ReconciliationDiscrepancy& d : r.discrepancies()) {
    const std::string& name = v1::OrderStatus_Name(d.status());
    absl::string_view status = name;
    absl::ConsumePrefix(&status, "ORDER_STATUS_");
    bad.push_back({d.order_id(), std::string(status), Amount(d.total()),
                   Amount(d.paid()), d.description()});
  }
  WriteAligned(bad, std::cout);
}

void AddSettlementReconcile(CLI::App& settlements,
                            const GlobalOptions& options) {
  struct Flags {
    std::string branch_id, date;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = settlements.add_subcommand(
      "reconcile",
      "Reconcile one branch's business day (核对账目, in the chain's time "
      "zone): sales, refunds and net per tender method, and the orders "
      "whose payments do not add up.");
  cmd->add_option("--branch", flags->branch_id, "The branch")->required();
  cmd->add_option("--date", flags->date, "The business day, YYYY-MM-DD")
      ->check(DateValidator())
      ->required();
  cmd->callback([&options, flags] {
    v1::GetDailyReconciliationRequest request;
    request.set_branch_id(flags->branch_id);
    *request.mutable_date() = ParseDate(flags->date);
    const auto response = Call(options, *NewStub(options),
                               &Stub::GetDailyReconciliation, request);
    Emit(options, response,
         [&] { PrintReconciliation(response.reconciliation()); });
  });
}

}  // namespace

void AddOrdersCommands(CLI::App& app, const GlobalOptions& options) {
  CLI::App* orders = app.add_subcommand(
      "orders",
      "Orders: create, take payment by any tender, cancel, complete.");
  orders->require_subcommand(1);
  AddCreate(*orders, options);
  AddGet(*orders, options);
  AddList(*orders, options);
  AddPay(*orders, options);
  AddCancel(*orders, options);
  AddComplete(*orders, options);

  CLI::App* settlements = app.add_subcommand(
      "settlements",
      "Settlement slips (结算单) of paid orders, and daily reconciliation.");
  settlements->require_subcommand(1);
  AddSettlementGet(*settlements, options);
  AddSettlementList(*settlements, options);
  AddSettlementReconcile(*settlements, options);
}

// A method as a cashier names it: English, then Chinese.
std::string MethodLabel(orders::v1::PaymentMethod method) {
  switch (method) {
    case orders::v1::PAYMENT_METHOD_CASH:
      return "Cash 现金";
    case orders::v1::PAYMENT_METHOD_WECHAT_PAY:
      return "WeChat Pay 微信支付";
    case orders::v1::PAYMENT_METHOD_ALIPAY:
      return "Alipay 支付宝";
    case orders::v1::PAYMENT_METHOD_UNIONPAY:
      return "UnionPay 云闪付";
    case orders::v1::PAYMENT_METHOD_BANK_CARD:
      return "Bank card 银行卡";
    case orders::v1::PAYMENT_METHOD_BANK_TRANSFER:
      return "Bank transfer 银行转账";
    case orders::v1::PAYMENT_METHOD_POINTS:
      return "Points 积分抵扣";
    case orders::v1::PAYMENT_METHOD_EXCHANGE_CREDIT:
      return "Exchange credit 换货抵扣";
    default:
      return orders::v1::PaymentMethod_Name(method);
  }
}

}  // namespace retail::cli
