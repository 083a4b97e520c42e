#include "client/returns_commands.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <cstdint>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "client/connection.h"
#include "client/display_zone.h"
#include "client/field_format.h"
#include "client/flags.h"
#include "client/orders_commands.h"
#include "client/output.h"
#include "client/request_id.h"
#include "client/rpc.h"
#include "client/text_table.h"
#include "retail/orders/v1/orders.grpc.pb.h"

namespace retail::cli {
namespace {

namespace v1 = ::retail::orders::v1;
using Stub = v1::OrderService::Stub;
using google::protobuf::Struct;
using google::protobuf::Value;

// What an agent scans a list for; the rest is one `get` away.
const std::vector<std::string> kReturnColumns = {
    "return_id", "order_id", "branch_id",    "customer_id",
    "type",      "status",   "refund_total", "create_time"};

std::unique_ptr<Stub> NewStub(const GlobalOptions& options) {
  return v1::OrderService::NewStub(MakeChannel(options));
}

// Flag spellings of the enums, as for the orders commands.
const std::map<std::string, v1::ReturnType>& Types() {
  static const auto* types = new std::map<std::string, v1::ReturnType>{
      {"return", v1::RETURN_TYPE_RETURN},
      {"exchange", v1::RETURN_TYPE_EXCHANGE}};
  return *types;
}
const std::map<std::string, v1::ReturnReason>& Reasons() {
  static const auto* reasons = new std::map<std::string, v1::ReturnReason>{
      {"size", v1::RETURN_REASON_SIZE},
      {"quality-defect", v1::RETURN_REASON_QUALITY_DEFECT},
      {"not-as-described", v1::RETURN_REASON_NOT_AS_DESCRIBED},
      {"changed-mind", v1::RETURN_REASON_CHANGED_MIND},
      {"damaged-in-delivery", v1::RETURN_REASON_DAMAGED_IN_DELIVERY},
      {"other", v1::RETURN_REASON_OTHER}};
  return *reasons;
}
const std::map<std::string, v1::ItemCondition>& Conditions() {
  static const auto* conditions = new std::map<std::string, v1::ItemCondition>{
      {"resalable", v1::ITEM_CONDITION_RESALABLE},
      {"opened", v1::ITEM_CONDITION_OPENED},
      {"damaged", v1::ITEM_CONDITION_DAMAGED},
      {"defective", v1::ITEM_CONDITION_DEFECTIVE}};
  return *conditions;
}
const std::map<std::string, v1::ReturnStatus>& Statuses() {
  static const auto* statuses = new std::map<std::string, v1::ReturnStatus>{
      {"requested", v1::RETURN_STATUS_REQUESTED},
      {"approved", v1::RETURN_STATUS_APPROVED},
      {"rejected", v1::RETURN_STATUS_REJECTED},
      {"received", v1::RETURN_STATUS_RECEIVED},
      {"completed", v1::RETURN_STATUS_COMPLETED}};
  return *statuses;
}

template <typename T>
std::vector<std::string> Keys(const std::map<std::string, T>& map) {
  std::vector<std::string> keys;
  for (const auto& [key, value] : map) keys.push_back(key);
  return keys;
}

// The flag spelling of a reason ("changed-mind"), or the enum name.
std::string ReasonText(v1::ReturnReason reason) {
  for (const auto& [name, value] : Reasons()) {
    if (value == reason) return name;
  }
  return v1::ReturnReason_Name(reason);
}

// ---- Parsing ---------------------------------------------------------------

// "--line SKU:QTY:REASON[:NOTE]"; the note is the rest and may hold ':'.
CLI::Validator LineValidator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        std::vector<std::string> parts =
            absl::StrSplit(text, absl::MaxSplits(':', 3));
        int64_t quantity = 0;
        if (parts.size() < 3 || parts[0].empty() ||
            !absl::SimpleAtoi(parts[1], &quantity)) {
          return "'" + text + "' is not SKU:QTY:REASON[:NOTE]";
        }
        if (Reasons().count(parts[2]) == 0) {
          return "'" + parts[2] + "' is not a reason; use one of " +
                 absl::StrJoin(Keys(Reasons()), ", ");
        }
        return "";
      },
      "SKU:QTY:REASON[:NOTE]");
}

v1::ReturnLine ParseLine(const std::string& text) {
  std::vector<std::string> parts =
      absl::StrSplit(text, absl::MaxSplits(':', 3));
  v1::ReturnLine line;
  int64_t quantity = 0;
  (void)absl::SimpleAtoi(parts[1], &quantity);  // checked by LineValidator()
  line.set_sku(parts[0]);
  line.set_quantity(quantity);
  line.set_reason(Reasons().at(parts[2]));
  if (parts.size() == 4) line.set_note(parts[3]);
  return line;
}

// "--replace SKU=NEWSKU:PRICE:NAME": the line of SKU goes out as NEWSKU at
// PRICE, as many as come back; the name is the rest and may hold ':'.
CLI::Validator ReplaceValidator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        const std::vector<std::string> sides =
            absl::StrSplit(text, absl::MaxSplits('=', 1));
        if (sides.size() == 2 && !sides[0].empty()) {
          std::vector<std::string> parts =
              absl::StrSplit(sides[1], absl::MaxSplits(':', 2));
          if (parts.size() == 3 && !parts[0].empty() && !parts[2].empty()) {
            return MoneyValidator()(parts[1]);
          }
        }
        return "'" + text + "' is not SKU=NEWSKU:PRICE:NAME";
      },
      "SKU=NEWSKU:PRICE:NAME");
}

// Returns the returned sku and sets `item` to the replacement.
std::string ParseReplace(const std::string& text, v1::OrderItem* item) {
  const std::vector<std::string> sides =
      absl::StrSplit(text, absl::MaxSplits('=', 1));
  std::vector<std::string> parts =
      absl::StrSplit(sides[1], absl::MaxSplits(':', 2));
  item->set_sku(parts[0]);
  *item->mutable_unit_price() = ParseMoney(parts[1]);
  item->set_name(parts[2]);
  return sides[0];  // quantity 0: as many as come back
}

// "--refund-ref PAYMENT_ID=REF".
CLI::Validator RefundRefValidator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        const std::vector<std::string> sides =
            absl::StrSplit(text, absl::MaxSplits('=', 1));
        if (sides.size() != 2 || sides[1].empty() || !IsValidId(sides[0])) {
          return "'" + text +
                 "' is not PAYMENT_ID=REFERENCE (the tender's pay_... id, "
                 "as `orders get` shows it)";
        }
        return "";
      },
      "PAYMENT_ID=REF");
}

[[noreturn]] void LinesFileError(const std::string& path,
                                 const std::string& what) {
  throw CLI::ValidationError("--lines-file", path + ": " + what);
}

// One line object of --lines-file, rewritten into proto JSON: a reason may
// be spelled as on --line ("changed-mind"), and a replacement's unit_price
// may be an amount string ("109.00") as well as {"minor_units": 10900}.
void NormaliseLine(const std::string& path, int index, Value* line) {
  const std::string where = absl::StrCat("lines[", index, "]");
  if (line->kind_case() != Value::kStructValue) {
    LinesFileError(path, where + " is not an object");
  }
  auto& fields = *line->mutable_struct_value()->mutable_fields();
  if (auto it = fields.find("reason");
      it != fields.end() && it->second.kind_case() == Value::kStringValue) {
    const auto reason = Reasons().find(it->second.string_value());
    if (reason != Reasons().end()) {
      it->second.set_string_value(v1::ReturnReason_Name(reason->second));
    }
  }
  auto it = fields.find("replacement");
  if (it == fields.end() || it->second.kind_case() != Value::kStructValue) {
    return;
  }
  auto& replacement = *it->second.mutable_struct_value()->mutable_fields();
  auto price = replacement.find("unit_price");
  if (price == replacement.end() ||
      price->second.kind_case() != Value::kStringValue) {
    return;
  }
  std::string text = price->second.string_value();
  const std::string error = MoneyValidator()(text);
  if (!error.empty()) {
    LinesFileError(path, where + ".replacement.unit_price: " + error);
  }
  Struct money;
  (*money.mutable_fields())["minor_units"].set_string_value(
      absl::StrCat(ParseMoney(text).minor_units()));
  *price->second.mutable_struct_value() = std::move(money);
}

// Lines from a JSON file: a list of ReturnLine objects, or {"lines": [...]},
// e.g. [{"sku": "A1001", "quantity": 1, "reason": "size",
//        "replacement": {"sku": "A1002", "name": "T恤 L码",
//                        "unit_price": "109.00"}}].
void ReadLinesFile(const std::string& path, v1::RequestReturnRequest* out) {
  std::ifstream in(path);
  if (!in) throw CLI::ValidationError("--lines-file", "cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();
  Value root;
  auto status = google::protobuf::util::JsonStringToMessage(
      std::string(absl::StripAsciiWhitespace(text.str())), &root);
  if (!status.ok()) {
    LinesFileError(path, "not JSON: " + std::string(status.message()));
  }
  Value* list = &root;
  if (root.kind_case() == Value::kStructValue) {
    auto& fields = *root.mutable_struct_value()->mutable_fields();
    auto it = fields.find("lines");
    if (it != fields.end()) list = &it->second;
  }
  if (list->kind_case() != Value::kListValue) {
    LinesFileError(path, "not a list of lines (or {\"lines\": [...]})");
  }
  auto* values = list->mutable_list_value()->mutable_values();
  for (int i = 0; i < values->size(); ++i) {
    NormaliseLine(path, i, values->Mutable(i));
  }
  Struct wrapper;
  *(*wrapper.mutable_fields())["lines"].mutable_list_value() =
      list->list_value();
  std::string json;
  status = google::protobuf::util::MessageToJsonString(wrapper, &json);
  v1::RequestReturnRequest parsed;
  if (status.ok()) {
    status = google::protobuf::util::JsonStringToMessage(json, &parsed);
  }
  if (!status.ok()) {
    LinesFileError(path,
                   "not a list of lines: " + std::string(status.message()));
  }
  for (v1::ReturnLine& line : *parsed.mutable_lines()) {
    *out->add_lines() = std::move(line);
  }
}

// ---- Printing --------------------------------------------------------------

// Money as every table shows it ("99.00 CNY"): through FormatField, so the
// currency's decimals are those of the orders commands.
std::string MoneyText(const retail::common::v1::Money& money) {
  v1::Refund holder;
  *holder.mutable_amount() = money;
  return FormatField(holder,
                     v1::Refund::descriptor()->FindFieldByName("amount"),
                     [] { return absl::UTCTimeZone(); });
}

std::string StatusText(v1::OrderStatus status) {
  absl::string_view name = v1::OrderStatus_Name(status);
  absl::ConsumePrefix(&name, "ORDER_STATUS_");
  return std::string(name);
}

// Prints one return: its fields as "key  value" rows (as `get` prints any
// resource, leaving out what is not set yet), then its lines and refunds as
// tables, then the points shortfall if there is one.
void PrintReturn(const GlobalOptions& options, const v1::Return& r) {
  const bool completed = r.status() == v1::RETURN_STATUS_COMPLETED;
  v1::Return fields = r;
  fields.clear_lines();
  fields.clear_refunds();
  std::vector<std::vector<std::string>> rows;
  for (auto& [key, value] :
       FlattenMessage(fields, [&] { return DisplayTimeZone(options); })) {
    if (value.empty() || value == "UNSPECIFIED") continue;
    // Said in words below the tables once the return is completed.
    if (absl::StartsWith(key, "points_")) continue;
    rows.push_back({std::move(key), std::move(value)});
  }
  WriteAligned(rows, std::cout);

  const bool exchange = r.type() == v1::RETURN_TYPE_EXCHANGE;
  bool notes = false;
  for (const v1::ReturnLine& l : r.lines()) notes = notes || !l.note().empty();
  std::cout << "\nLines 退货明细:\n";
  std::vector<std::vector<std::string>> lines = {
      {"SKU", "Qty 数量", "Reason 原因", "Refund 退款额"}};
  if (exchange) lines[0].push_back("Replacement 换货");
  if (notes) lines[0].push_back("Note 备注");
  for (const v1::ReturnLine& l : r.lines()) {
    std::vector<std::string> row = {l.sku(), absl::StrCat(l.quantity()),
                                    ReasonText(l.reason()),
                                    MoneyText(l.refund_amount())};
    if (exchange) {
      const v1::OrderItem& rep = l.replacement();
      row.push_back(absl::StrCat(rep.sku(), " ", rep.name(), ", ",
                                 rep.quantity(), " × ",
                                 MoneyText(rep.unit_price())));
    }
    if (notes) row.push_back(l.note());
    lines.push_back(std::move(row));
  }
  WriteAligned(lines, std::cout);

  if (!r.refunds().empty()) {
    std::cout << "\nRefunds 退款 (newest tender first):\n";
    std::vector<std::vector<std::string>> refunds = {
        {"Method 方式", "Amount 金额", "Points restored 退还积分",
         "Reference 退款单号", "Tender 原付款"}};
    for (const v1::Refund& f : r.refunds()) {
      refunds.push_back(
          {MethodLabel(f.method()), MoneyText(f.amount()),
           absl::StrCat(f.points_restored()),
           f.external_reference().empty() ? "-" : f.external_reference(),
           f.payment_id()});
    }
    WriteAligned(refunds, std::cout);
  }
  if (completed) {
    // Shown even when 0, so that "no shortfall" is something an agent
    // reads rather than infers.
    std::cout << "\nPoints 积分: " << r.points_restored()
              << " restored to the customer (points tenders refunded), "
              << r.points_reversed() << " earned points taken back, shortfall "
              << r.points_shortfall() << "\n";
  }
  if (r.points_shortfall() > 0) {
    std::cout << "Points shortfall 积分不足: " << r.points_shortfall()
              << " points earned on order " << r.order_id()
              << " could not be taken back: the customer's balance would "
                 "have gone below zero. Recorded on this return; nothing "
                 "debits them later by itself.\n";
  }
}

// The result of CompleteReturn: the return, then what became of the order
// and, for an exchange, the new order and what remains to pay on it.
void PrintCompleted(const GlobalOptions& options,
                    const v1::CompleteReturnResponse& response) {
  PrintReturn(options, response.order_return());
  const v1::Order& o = response.order();
  std::cout << "\nOrder 原订单 " << o.order_id() << ": now "
            << StatusText(o.status()) << ", total " << MoneyText(o.total())
            << ", paid after refunds " << MoneyText(o.paid()) << "\n";
  if (!response.has_exchange_order()) return;
  const v1::Order& n = response.exchange_order();
  const int64_t due = n.total().minor_units() - n.paid().minor_units();
  retail::common::v1::Money rest = n.total();
  rest.set_minor_units(due);
  std::cout << "\nExchange order 换货新单 " << n.order_id() << ": "
            << StatusText(n.status()) << "\n";
  std::vector<std::vector<std::string>> rows = {
      {"  total 新单金额", MoneyText(n.total())},
      {"  exchange credit 换货抵扣",
       MoneyText(response.order_return().exchange_credit())},
      {"  to pay 应补差价", MoneyText(rest)}};
  // Returned goods worth more than the replacements: the rest went back as
  // money, in the refunds above.
  retail::common::v1::Money back = response.order_return().refund_total();
  back.set_minor_units(back.minor_units() -
                       response.order_return().exchange_credit().minor_units());
  if (back.minor_units() > 0) {
    rows.push_back({"  refunded 退差价 (see Refunds)", MoneyText(back)});
  }
  WriteAligned(rows, std::cout);
  if (due > 0) {
    std::cout << "The customer pays the difference like any payment, e.g.\n"
              << "  retailctl orders pay " << n.order_id()
              << " --method cash --amount " << FormatAmount(due) << "\n";
  }
}

// ---- Commands --------------------------------------------------------------

void AddRequest(CLI::App& returns, const GlobalOptions& options) {
  struct Flags {
    std::string order_id, type;
    std::vector<std::string> lines, replaces;
    std::string lines_file, request_id;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = returns.add_subcommand(
      "request",
      "Ask to return or exchange some of a paid order's items (退换货申请). "
      "The return starts REQUESTED; the policy (paid order, return window "
      "from completion, quantities) is checked now and again on approval. "
      "Prints the return with what each line is worth.");
  cmd->add_option("--order", flags->order_id, "The paid order")
      ->check(IdValidator())
      ->required();
  cmd->add_option("--type", flags->type,
                  "return: the money goes back; exchange: replacements go "
                  "out on a new order paid by the returned items' value")
      ->check(CLI::IsMember(Keys(Types())))
      ->required();
  CLI::Option_group* lines =
      cmd->add_option_group("lines", "At least one of these is required");
  lines
      ->add_option("--line", flags->lines,
                   "One sku coming back, e.g. A1001:1:size or "
                   "A1001:1:other:stain on the sleeve (repeat for more "
                   "skus). Reasons: " +
                       absl::StrJoin(Keys(Reasons()), ", ") +
                       "; a note is required for other")
      ->check(LineValidator());
  lines->add_option(
      "--lines-file", flags->lines_file,
      "JSON file with the lines, e.g. [{\"sku\": \"A1001\", \"quantity\": 1, "
      "\"reason\": \"size\", \"note\": \"too small\", \"replacement\": "
      "{\"sku\": \"A1002\", \"name\": \"T恤 L码\", \"unit_price\": "
      "\"109.00\", \"quantity\": 1}}]; replacement only for an exchange, "
      "its quantity 0 or absent means the returned quantity, unit_price "
      "also as {\"minor_units\": 10900}");
  lines->require_option(1, 2);
  cmd->add_option("--replace", flags->replaces,
                  "Exchange only, one per --line: what goes out instead of "
                  "SKU, as many as come back, at its full price, e.g. "
                  "A1001=A1002:109.00:T恤 L码 (NEWSKU:PRICE:NAME as in "
                  "--item without the quantity; for another quantity use "
                  "--lines-file)")
      ->check(ReplaceValidator());
  AddRequestIdOption(cmd, &flags->request_id);
  cmd->callback([&options, flags] {
    v1::RequestReturnRequest request;
    request.set_order_id(flags->order_id);
    const v1::ReturnType type = Types().at(flags->type);
    request.set_type(type);
    std::map<std::string, v1::OrderItem> replacements;
    for (const std::string& text : flags->replaces) {
      if (type != v1::RETURN_TYPE_EXCHANGE) {
        throw CLI::ValidationError("--replace",
                                   "only an exchange (--type exchange) "
                                   "names replacements");
      }
      v1::OrderItem item;
      const std::string sku = ParseReplace(text, &item);
      if (!replacements.emplace(sku, std::move(item)).second) {
        throw CLI::ValidationError("--replace",
                                   "sku '" + sku + "' is replaced twice");
      }
    }
    std::set<std::string> skus;
    for (const std::string& text : flags->lines) {
      v1::ReturnLine line = ParseLine(text);
      skus.insert(line.sku());
      if (type == v1::RETURN_TYPE_EXCHANGE) {
        auto it = replacements.find(line.sku());
        if (it == replacements.end()) {
          throw CLI::ValidationError(
              "--replace", "--line " + line.sku() +
                               " of an exchange needs --replace " + line.sku() +
                               "=NEWSKU:PRICE:NAME");
        }
        *line.mutable_replacement() = it->second;
      }
      *request.add_lines() = std::move(line);
    }
    for (const auto& [sku, item] : replacements) {
      if (skus.count(sku) == 0) {
        throw CLI::ValidationError("--replace",
                                   "sku '" + sku + "' is not on a --line");
      }
    }
    if (!flags->lines_file.empty()) ReadLinesFile(flags->lines_file, &request);
    request.set_request_id(ChooseRequestId(flags->request_id));
    const auto response =
        Call(options, *NewStub(options), &Stub::RequestReturn, request);
    Emit(options, response,
         [&] { PrintReturn(options, response.order_return()); });
  });
}

void AddReview(CLI::App& returns, const GlobalOptions& options) {
  struct Flags {
    std::string return_id, note, request_id;
    bool approve = false, reject = false;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = returns.add_subcommand(
      "review",
      "Approve or reject a requested return (审核). Approval checks the "
      "policy again; above the server's approval limit only admin and "
      "agent may approve.");
  AddIdArgument(cmd, "RETURN_ID", &flags->return_id);
  CLI::Option_group* decision =
      cmd->add_option_group("decision", "Exactly one of these is required");
  decision->add_flag("--approve", flags->approve, "Approve the return");
  decision->add_flag("--reject", flags->reject,
                     "Reject it (final); --note is required then");
  decision->require_option(1);
  cmd->add_option("--note", flags->note,
                  "Why, at most 500 characters; told to the customer on "
                  "rejection");
  AddRequestIdOption(cmd, &flags->request_id);
  cmd->callback([&options, flags] {
    v1::ReviewReturnRequest request;
    request.set_return_id(flags->return_id);
    request.set_decision(flags->approve ? v1::REVIEW_DECISION_APPROVE
                                        : v1::REVIEW_DECISION_REJECT);
    request.set_note(flags->note);
    request.set_request_id(ChooseRequestId(flags->request_id));
    const auto response =
        Call(options, *NewStub(options), &Stub::ReviewReturn, request);
    Emit(options, response,
         [&] { PrintReturn(options, response.order_return()); });
  });
}

void AddReceive(CLI::App& returns, const GlobalOptions& options) {
  struct Flags {
    std::string return_id, condition, note, request_id;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = returns.add_subcommand(
      "receive",
      "Record that the goods of an approved return are back (收货), and "
      "their condition.");
  AddIdArgument(cmd, "RETURN_ID", &flags->return_id);
  cmd->add_option("--condition", flags->condition,
                  "The goods' condition when they came back")
      ->check(CLI::IsMember(Keys(Conditions())))
      ->required();
  cmd->add_option("--note", flags->note, "Details, at most 500 characters");
  AddRequestIdOption(cmd, &flags->request_id);
  cmd->callback([&options, flags] {
    v1::ReceiveReturnRequest request;
    request.set_return_id(flags->return_id);
    request.set_condition(Conditions().at(flags->condition));
    request.set_note(flags->note);
    request.set_request_id(ChooseRequestId(flags->request_id));
    const auto response =
        Call(options, *NewStub(options), &Stub::ReceiveReturn, request);
    Emit(options, response,
         [&] { PrintReturn(options, response.order_return()); });
  });
}

void AddComplete(CLI::App& returns, const GlobalOptions& options) {
  struct Flags {
    std::string return_id;
    std::vector<std::string> refund_refs;
    std::string request_id;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = returns.add_subcommand(
      "complete",
      "Complete a received return (退款): refunds go to the original "
      "tenders newest first, points spent are restored, points earned are "
      "taken back as far as the balance allows (the rest is the shortfall), "
      "and the order becomes PARTIALLY_RETURNED or RETURNED. An exchange "
      "creates the new order, paid by an exchange credit; the customer pays "
      "any difference with `orders pay`.");
  AddIdArgument(cmd, "RETURN_ID", &flags->return_id);
  cmd->add_option("--refund-ref", flags->refund_refs,
                  "The till's or gateway's refund id for one tender, e.g. "
                  "pay_01J...=WXR-1001 (the tender's payment_id as `orders "
                  "get` shows it; repeat per tender)")
      ->check(RefundRefValidator());
  AddRequestIdOption(cmd, &flags->request_id);
  cmd->callback([&options, flags] {
    v1::CompleteReturnRequest request;
    request.set_return_id(flags->return_id);
    for (const std::string& text : flags->refund_refs) {
      const std::vector<std::string> sides =
          absl::StrSplit(text, absl::MaxSplits('=', 1));
      v1::RefundReference* ref = request.add_refund_references();
      ref->set_payment_id(sides[0]);
      ref->set_external_reference(sides[1]);
    }
    request.set_request_id(ChooseRequestId(flags->request_id));
    const auto response =
        Call(options, *NewStub(options), &Stub::CompleteReturn, request);
    Emit(options, response, [&] { PrintCompleted(options, response); });
  });
}

void AddGet(CLI::App& returns, const GlobalOptions& options) {
  struct Flags {
    std::string return_id;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = returns.add_subcommand(
      "get", "Show one return with its lines, refunds and points.");
  AddIdArgument(cmd, "RETURN_ID", &flags->return_id);
  cmd->callback([&options, flags] {
    v1::GetReturnRequest request;
    request.set_return_id(flags->return_id);
    const auto response =
        Call(options, *NewStub(options), &Stub::GetReturn, request);
    Emit(options, response,
         [&] { PrintReturn(options, response.order_return()); });
  });
}

void AddList(CLI::App& returns, const GlobalOptions& options) {
  struct Flags {
    std::string order_id, status, branch_id;
    int page_size = 0;
    std::string page_token;
    bool all = false;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = returns.add_subcommand("list", "List returns, oldest first.");
  cmd->add_option("--order", flags->order_id, "Only this order's")
      ->check(IdValidator());
  cmd->add_option("--status", flags->status, "Only returns in this status")
      ->check(CLI::IsMember(Keys(Statuses())));
  cmd->add_option("--branch", flags->branch_id, "Only this branch's");
  AddPagingOptions(cmd, &flags->page_size, &flags->page_token);
  cmd->add_flag("--all", flags->all,
                "Follow next_page_token until the last page")
      ->excludes("--page-token");
  cmd->callback([&options, flags] {
    v1::ListReturnsRequest request;
    request.set_order_id(flags->order_id);
    if (!flags->status.empty()) {
      request.set_status(Statuses().at(flags->status));
    }
    request.set_branch_id(flags->branch_id);
    request.set_page_size(flags->page_size);
    request.set_page_token(flags->page_token);
    auto stub = NewStub(options);
    v1::ListReturnsResponse result;
    do {
      const auto page = Call(options, *stub, &Stub::ListReturns, request);
      result.mutable_order_returns()->MergeFrom(page.order_returns());
      result.set_next_page_token(page.next_page_token());
      request.set_page_token(page.next_page_token());
    } while (flags->all && !request.page_token().empty());
    Emit(options, result, [&] {
      PrintRows(options, AsRows(result.order_returns()), kReturnColumns,
                result.next_page_token());
    });
  });
}

}  // namespace

void AddReturnsCommands(CLI::App& app, const GlobalOptions& options) {
  CLI::App* returns = app.add_subcommand(
      "returns",
      "Returns and exchanges (退换货): request, review, receive, complete.");
  returns->require_subcommand(1);
  AddRequest(*returns, options);
  AddReview(*returns, options);
  AddReceive(*returns, options);
  AddComplete(*returns, options);
  AddGet(*returns, options);
  AddList(*returns, options);
}

}  // namespace retail::cli
