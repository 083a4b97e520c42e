// Table-driven bad input: what a careless or hostile caller sends. Every case
// must get its fitting code (with the field named where there is one), the
// server must stay up, and no stored data may change.
#include <functional>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "retail/customers/v1/customers.grpc.pb.h"
#include "retail/orders/v1/orders.grpc.pb.h"
#include "tests/integration/raw_h2_call.h"
#include "tests/integration/test_server.h"

namespace retail::testing {
namespace {

namespace v1 = ::retail::customers::v1;
namespace ov1 = ::retail::orders::v1;
using Stub = v1::CustomerService::Stub;
using OrderStub = ov1::OrderService::Stub;

// What a case may call: the typed stubs, the raw channel (for bytes a stub
// cannot encode), the server itself (for calls written by hand on HTTP/2),
// an existing customer's id and an existing (pending, B001) order's id.
struct Target {
  Stub& stub;
  std::shared_ptr<grpc::Channel> channel;
  TestServer& server;
  std::string existing_id;
  OrderStub& orders;
  std::string order_id;
};
using CaseCall = std::function<grpc::Status(Target&)>;

struct BadInputCase {
  std::string name;
  CaseCall call;
  grpc::StatusCode want;
  std::string field;  // expected BadRequest field; "" when none applies
};

v1::CreateCustomerRequest ValidCreate() {
  v1::CreateCustomerRequest req;
  req.set_request_id("bad-input-create-0001");
  req.mutable_customer()->set_display_name("正常");
  req.mutable_customer()->set_phone("13700000001");
  req.mutable_customer()->set_branch_id("B001");
  return req;
}

// Creates with one change applied to an otherwise valid request.
CaseCall CreateWith(std::function<void(v1::CreateCustomerRequest&)> mutate) {
  return [mutate](Target& t) {
    v1::CreateCustomerRequest req = ValidCreate();
    mutate(req);
    v1::CreateCustomerResponse resp;
    return Call(t.stub, &Stub::CreateCustomer, kAdmin, req, &resp);
  };
}

CaseCall AdjustBy(int64_t delta) {
  return [delta](Target& t) {
    v1::AdjustPointsRequest req;
    req.set_customer_id(t.existing_id);
    req.set_delta(delta);
    req.set_reason("bad input");
    req.set_request_id(
        absl::StrCat("bad-adjust-", static_cast<uint64_t>(delta)));
    v1::AdjustPointsResponse resp;
    return Call(t.stub, &Stub::AdjustPoints, kAdmin, req, &resp);
  };
}

CaseCall ListWith(int32_t page_size, std::string filter, std::string token) {
  return [=](Target& t) {
    v1::ListCustomersRequest req;
    req.set_page_size(page_size);
    req.set_filter(filter);
    req.set_page_token(token);
    v1::ListCustomersResponse resp;
    return Call(t.stub, &Stub::ListCustomers, kAdmin, req, &resp);
  };
}

// Calls `path` ("/pkg.Service/Method") as `token` with a deadline that had
// already passed when the call arrived: grpc-timeout 0n, sent by hand since
// the gRPC client library fails such a call itself without sending it (and
// not 1n: see ServerTest.ExpiredDeadlineIsRefusedAtTheGate).
CaseCall ExpiredAt(
    std::string path, std::string token,
    std::function<std::unique_ptr<google::protobuf::Message>(Target&)>
        request) {
  return [=](Target& t) {
    RawH2Request raw;
    raw.path = path;
    raw.message = request(t)->SerializeAsString();
    raw.headers = {{"grpc-timeout", "0n"},
                   {"authorization", "Bearer " + token}};
    RawH2Response r = RawH2Call(t.server.server().port(), raw);
    // gRPC core answers DEADLINE_EXCEEDED on its own timer, without waiting
    // for our handler: let the handler start, then wait until it is done
    // (its slot is freed only once it has answered), so that whatever it
    // did is there to see.
    absl::SleepFor(absl::Milliseconds(50));
    for (int i = 0; i < 500 && t.server.server().calls_in_flight() > 0; ++i) {
      absl::SleepFor(absl::Milliseconds(10));
    }
    if (!r.error.empty() || r.grpc_status < 0) {
      return grpc::Status(grpc::StatusCode::UNKNOWN,
                          "no grpc-status: " + r.error);
    }
    return grpc::Status(static_cast<grpc::StatusCode>(r.grpc_status),
                        r.grpc_message);
  };
}

// ExpiredAt for `method` of CustomerService.
CaseCall Expired(
    std::string method, std::string token,
    std::function<std::unique_ptr<google::protobuf::Message>(Target&)>
        request) {
  return ExpiredAt("/retail.customers.v1.CustomerService/" + method,
                   std::move(token), std::move(request));
}

std::vector<BadInputCase> CustomerCases();

// ---- OrderService ----------------------------------------------------------

ov1::OrderItem Line(std::string sku, int64_t quantity, int64_t price) {
  ov1::OrderItem item;
  item.set_sku(std::move(sku));
  item.set_name("衬衫");
  item.set_quantity(quantity);
  item.mutable_unit_price()->set_minor_units(price);
  return item;
}

// A walk-in store order in B001 of two lines, total 30,000.
ov1::CreateOrderRequest ValidOrder() {
  ov1::CreateOrderRequest req;
  req.set_request_id("bad-input-order-0001");
  ov1::Order* o = req.mutable_order();
  o->set_branch_id("B001");
  o->set_channel(ov1::ORDER_CHANNEL_STORE);
  *o->add_items() = Line("SHIRT-M", 2, 12'900);
  *o->add_items() = Line("SOCKS", 3, 1'400);
  return req;
}

// Creates an order with one change applied to an otherwise valid request.
CaseCall CreateOrderWith(std::function<void(ov1::CreateOrderRequest&)> mutate) {
  return [mutate](Target& t) {
    ov1::CreateOrderRequest req = ValidOrder();
    mutate(req);
    ov1::CreateOrderResponse resp;
    return Call(t.orders, &OrderStub::CreateOrder, kAdmin, req, &resp);
  };
}

// A cash tender paying the existing order in full, with one change.
CaseCall PayWith(std::function<void(ov1::PayOrderRequest&)> mutate) {
  return [mutate](Target& t) {
    ov1::PayOrderRequest req;
    req.set_request_id("bad-input-pay-0001");
    req.set_order_id(t.order_id);
    req.mutable_payment()->set_method(ov1::PAYMENT_METHOD_CASH);
    req.mutable_payment()->mutable_amount()->set_minor_units(30'000);
    req.mutable_payment()->set_outcome(ov1::PAYMENT_OUTCOME_SUCCEEDED);
    mutate(req);
    ov1::PayOrderResponse resp;
    return Call(t.orders, &OrderStub::PayOrder, kAdmin, req, &resp);
  };
}

CaseCall ListOrdersWith(std::function<void(ov1::ListOrdersRequest&)> mutate) {
  return [mutate](Target& t) {
    ov1::ListOrdersRequest req;
    req.set_branch_id("B001");
    mutate(req);
    ov1::ListOrdersResponse resp;
    return Call(t.orders, &OrderStub::ListOrders, kAdmin, req, &resp);
  };
}

CaseCall ListSettlementsWith(
    std::function<void(ov1::ListSettlementsRequest&)> mutate) {
  return [mutate](Target& t) {
    ov1::ListSettlementsRequest req;
    req.set_branch_id("B001");
    req.mutable_start_date()->set_year(2026);
    req.mutable_start_date()->set_month(1);
    req.mutable_start_date()->set_day(1);
    *req.mutable_end_date() = req.start_date();
    mutate(req);
    ov1::ListSettlementsResponse resp;
    return Call(t.orders, &OrderStub::ListSettlements, kAdmin, req, &resp);
  };
}

std::vector<BadInputCase> OrderCases() {
  using grpc::StatusCode;
  return {
      {"order: empty sku", CreateOrderWith([](auto& r) {
         r.mutable_order()->mutable_items(0)->set_sku("");
       }),
       StatusCode::INVALID_ARGUMENT, "order.items[0].sku"},
      {"order: 65-character sku", CreateOrderWith([](auto& r) {
         r.mutable_order()->mutable_items(1)->set_sku(std::string(65, 's'));
       }),
       StatusCode::INVALID_ARGUMENT, "order.items[1].sku"},
      {"order: empty item name", CreateOrderWith([](auto& r) {
         r.mutable_order()->mutable_items(0)->set_name("\u3000");
       }),
       StatusCode::INVALID_ARGUMENT, "order.items[0].name"},
      {"order: 201-character item name", CreateOrderWith([](auto& r) {
         std::string name;
         for (int i = 0; i < 201; ++i) name += "衫";
         r.mutable_order()->mutable_items(0)->set_name(name);
       }),
       StatusCode::INVALID_ARGUMENT, "order.items[0].name"},
      {"order: invalid UTF-8 on the wire",
       [](Target& t) {
         // CreateOrderRequest{order{items{name: 0xC3 0x28}}}: a broken
         // two-byte sequence, sent raw since stubs cannot encode it.
         std::string response;
         return RawCall(t.channel, "/retail.orders.v1.OrderService/CreateOrder",
                        std::string("\x0a\x06\x2a\x04\x12\x02\xc3\x28", 8),
                        kAdmin, &response);
       },
       StatusCode::INVALID_ARGUMENT, "request"},
      {"order: 2001-character delivery address", CreateOrderWith([](auto& r) {
         r.mutable_order()->set_channel(ov1::ORDER_CHANNEL_ONLINE);
         ov1::Delivery* d = r.mutable_order()->mutable_delivery();
         d->set_recipient_name("李雷");
         d->set_phone("13800138000");
         d->set_address(std::string(2001, 'a'));
       }),
       StatusCode::INVALID_ARGUMENT, "order.delivery.address"},
      {"order: delivery on a store order", CreateOrderWith([](auto& r) {
         r.mutable_order()->mutable_delivery()->set_address("上海");
       }),
       StatusCode::INVALID_ARGUMENT, "order.delivery"},
      {"order: quantity x price overflows", CreateOrderWith([](auto& r) {
         *r.mutable_order()->add_items() =
             Line("HUGE", 4'000'000'000'000LL, 4'000'000'000LL);
       }),
       StatusCode::INVALID_ARGUMENT, "order.items[2].quantity"},
      {"order: INT64_MAX quantity x 2", CreateOrderWith([](auto& r) {
         *r.mutable_order()->add_items() = Line("MAX", INT64_MAX, 2);
       }),
       StatusCode::INVALID_ARGUMENT, "order.items[2].quantity"},
      {"order: total of lines overflows", CreateOrderWith([](auto& r) {
         *r.mutable_order()->add_items() = Line("HALF", 1, INT64_MAX / 2 + 1);
         *r.mutable_order()->add_items() = Line("HALF2", 1, INT64_MAX / 2 + 1);
       }),
       StatusCode::INVALID_ARGUMENT, "order.items[3].line_total"},
      {"order: 501 lines", CreateOrderWith([](auto& r) {
         r.mutable_order()->clear_items();
         for (int i = 0; i < 501; ++i)
           *r.mutable_order()->add_items() = Line("SKU", 1, 100);
       }),
       StatusCode::INVALID_ARGUMENT, "order.items"},
      {"order: no lines",
       CreateOrderWith([](auto& r) { r.mutable_order()->clear_items(); }),
       StatusCode::INVALID_ARGUMENT, "order.items"},
      {"order: zero quantity", CreateOrderWith([](auto& r) {
         r.mutable_order()->mutable_items(0)->set_quantity(0);
       }),
       StatusCode::INVALID_ARGUMENT, "order.items[0].quantity"},
      {"order: negative price", CreateOrderWith([](auto& r) {
         r.mutable_order()
             ->mutable_items(1)
             ->mutable_unit_price()
             ->set_minor_units(-1);
       }),
       StatusCode::INVALID_ARGUMENT, "order.items[1].unit_price"},
      {"order: lines adding up to 0", CreateOrderWith([](auto& r) {
         for (auto& item : *r.mutable_order()->mutable_items())
           item.mutable_unit_price()->set_minor_units(0);
       }),
       StatusCode::INVALID_ARGUMENT, "order.items"},
      {"order: foreign currency", CreateOrderWith([](auto& r) {
         r.mutable_order()
             ->mutable_items(0)
             ->mutable_unit_price()
             ->set_currency_code("USD");
       }),
       StatusCode::INVALID_ARGUMENT, "order.items[0].unit_price.currency_code"},
      {"order: unknown channel number", CreateOrderWith([](auto& r) {
         r.mutable_order()->set_channel(static_cast<ov1::OrderChannel>(99));
       }),
       StatusCode::INVALID_ARGUMENT, "order.channel"},
      {"order: negative channel number", CreateOrderWith([](auto& r) {
         r.mutable_order()->set_channel(static_cast<ov1::OrderChannel>(-1));
       }),
       StatusCode::INVALID_ARGUMENT, "order.channel"},
      {"order: expected_total mismatch", CreateOrderWith([](auto& r) {
         r.mutable_expected_total()->set_minor_units(29'999);
       }),
       StatusCode::INVALID_ARGUMENT, "expected_total"},
      {"order: expected_total in a foreign currency",
       CreateOrderWith([](auto& r) {
         r.mutable_expected_total()->set_currency_code("USD");
         r.mutable_expected_total()->set_minor_units(30'000);
       }),
       StatusCode::INVALID_ARGUMENT, "expected_total.currency_code"},
      {"order: SQL in customer id", CreateOrderWith([](auto& r) {
         r.mutable_order()->set_customer_id("x' OR '1'='1");
       }),
       StatusCode::INVALID_ARGUMENT, "order.customer_id"},
      {"order: SQL in branch id", CreateOrderWith([](auto& r) {
         r.mutable_order()->set_branch_id("B1'; DROP TABLE orders");
       }),
       StatusCode::INVALID_ARGUMENT, "order.branch_id"},
      {"order: unknown customer", CreateOrderWith([](auto& r) {
         r.mutable_order()->set_customer_id("cus_nobody");
       }),
       StatusCode::NOT_FOUND, ""},
      {"order: missing request_id",
       CreateOrderWith([](auto& r) { r.clear_request_id(); }),
       StatusCode::INVALID_ARGUMENT, "request_id"},
      {"order: 65-character order id",
       [](Target& t) {
         ov1::GetOrderRequest req;
         req.set_order_id(std::string(65, 'o'));
         ov1::GetOrderResponse resp;
         return Call(t.orders, &OrderStub::GetOrder, kAdmin, req, &resp);
       },
       StatusCode::INVALID_ARGUMENT, "order_id"},
      {"order: order id with SQL",
       [](Target& t) {
         ov1::GetOrderRequest req;
         req.set_order_id("x' OR '1'='1");
         ov1::GetOrderResponse resp;
         return Call(t.orders, &OrderStub::GetOrder, kAdmin, req, &resp);
       },
       StatusCode::INVALID_ARGUMENT, "order_id"},
      {"order: list with unknown status number", ListOrdersWith([](auto& r) {
         r.set_status(static_cast<ov1::OrderStatus>(99));
       }),
       StatusCode::INVALID_ARGUMENT, "status"},
      {"order: list page_size -1",
       ListOrdersWith([](auto& r) { r.set_page_size(-1); }),
       StatusCode::INVALID_ARGUMENT, "page_size"},
      {"order: list page_size INT32_MIN",
       ListOrdersWith([](auto& r) { r.set_page_size(INT32_MIN); }),
       StatusCode::INVALID_ARGUMENT, "page_size"},
      {"order: list with forged page token", ListOrdersWith([](auto& r) {
         r.set_page_token("AQAAAAAAAAAFAAAAAAAAAAAAAAAAAAAAAA");
       }),
       StatusCode::INVALID_ARGUMENT, "page_token"},
      {"order: list with garbage page token",
       ListOrdersWith([](auto& r) { r.set_page_token("!!!not base64!!!"); }),
       StatusCode::INVALID_ARGUMENT, "page_token"},
      {"order: list with SQL in customer id", ListOrdersWith([](auto& r) {
         r.set_customer_id("1; DROP TABLE orders");
       }),
       StatusCode::INVALID_ARGUMENT, "customer_id"},
      {"order: list with a year-10000 start", ListOrdersWith([](auto& r) {
         r.mutable_create_time_start()->set_seconds(253402300800LL);
       }),
       StatusCode::INVALID_ARGUMENT, "create_time_start"},
      {"settlements: page_size INT32_MIN",
       ListSettlementsWith([](auto& r) { r.set_page_size(INT32_MIN); }),
       StatusCode::INVALID_ARGUMENT, "page_size"},
      {"settlements: forged page token", ListSettlementsWith([](auto& r) {
         r.set_page_token("AQAAAAAAAAAFAAAAAAAAAAAAAAAAAAAAAA");
       }),
       StatusCode::INVALID_ARGUMENT, "page_token"},
      {"settlements: month 13", ListSettlementsWith([](auto& r) {
         r.mutable_end_date()->set_month(13);
       }),
       StatusCode::INVALID_ARGUMENT, "end_date"},
      {"settlements: SQL in branch id",
       ListSettlementsWith([](auto& r) { r.set_branch_id("B001' OR '1'='1"); }),
       StatusCode::INVALID_ARGUMENT, "branch_id"},
      {"pay: unknown method number", PayWith([](auto& r) {
         r.mutable_payment()->set_method(static_cast<ov1::PaymentMethod>(99));
       }),
       StatusCode::INVALID_ARGUMENT, "payment.method"},
      {"pay: unknown outcome number", PayWith([](auto& r) {
         r.mutable_payment()->set_outcome(static_cast<ov1::PaymentOutcome>(7));
       }),
       StatusCode::INVALID_ARGUMENT, "payment.outcome"},
      {"pay: unspecified outcome", PayWith([](auto& r) {
         r.mutable_payment()->set_outcome(ov1::PAYMENT_OUTCOME_UNSPECIFIED);
       }),
       StatusCode::INVALID_ARGUMENT, "payment.outcome"},
      {"pay: foreign currency", PayWith([](auto& r) {
         r.mutable_payment()->mutable_amount()->set_currency_code("USD");
       }),
       StatusCode::INVALID_ARGUMENT, "payment.amount.currency_code"},
      {"pay: negative amount", PayWith([](auto& r) {
         r.mutable_payment()->mutable_amount()->set_minor_units(-30'000);
       }),
       StatusCode::INVALID_ARGUMENT, "payment.amount"},
      {"pay: INT64_MAX overpays", PayWith([](auto& r) {
         // Refused inside the write (the order's balance is checked there),
         // so it gets a request_id of its own.
         r.set_request_id("bad-input-pay-overpay");
         r.mutable_payment()->mutable_amount()->set_minor_units(INT64_MAX);
       }),
       StatusCode::INVALID_ARGUMENT, "payment.amount"},
      {"pay: 129-character external reference", PayWith([](auto& r) {
         r.mutable_payment()->set_external_reference(std::string(129, 'r'));
       }),
       StatusCode::INVALID_ARGUMENT, "payment.external_reference"},
      {"pay: card without a reference", PayWith([](auto& r) {
         r.mutable_payment()->set_method(ov1::PAYMENT_METHOD_BANK_CARD);
       }),
       StatusCode::INVALID_ARGUMENT, "payment.external_reference"},
      {"pay: order id with SQL",
       PayWith([](auto& r) { r.set_order_id("ord' OR 1=1 --"); }),
       StatusCode::INVALID_ARGUMENT, "order_id"},
      {"pay: points on a walk-in order", PayWith([](auto& r) {
         r.set_request_id("bad-input-pay-points");
         r.mutable_payment()->set_method(ov1::PAYMENT_METHOD_POINTS);
       }),
       StatusCode::FAILED_PRECONDITION, ""},
      {"deadline already expired: pay order",
       ExpiredAt("/retail.orders.v1.OrderService/PayOrder", kAdmin,
                 [](Target& t) {
                   auto req = std::make_unique<ov1::PayOrderRequest>();
                   req->set_request_id("bad-input-pay-expired");
                   req->set_order_id(t.order_id);
                   req->mutable_payment()->set_method(ov1::PAYMENT_METHOD_CASH);
                   req->mutable_payment()->mutable_amount()->set_minor_units(
                       30'000);
                   req->mutable_payment()->set_outcome(
                       ov1::PAYMENT_OUTCOME_SUCCEEDED);
                   return req;
                 }),
       StatusCode::DEADLINE_EXCEEDED, ""},
  };
}

std::vector<BadInputCase> Cases() {
  std::vector<BadInputCase> cases = CustomerCases();
  for (BadInputCase& c : OrderCases()) cases.push_back(std::move(c));
  return cases;
}

std::vector<BadInputCase> CustomerCases() {
  using grpc::StatusCode;
  return {
      {"empty name",
       CreateWith([](auto& r) { r.mutable_customer()->set_display_name(""); }),
       StatusCode::INVALID_ARGUMENT, "customer.display_name"},
      {"101-character name", CreateWith([](auto& r) {
         r.mutable_customer()->set_display_name(std::string(101, 'a'));
       }),
       StatusCode::INVALID_ARGUMENT, "customer.display_name"},
      {"101 Chinese characters", CreateWith([](auto& r) {
         std::string name;
         for (int i = 0; i < 101; ++i) name += "王";
         r.mutable_customer()->set_display_name(name);
       }),
       StatusCode::INVALID_ARGUMENT, "customer.display_name"},
      {"control characters in name", CreateWith([](auto& r) {
         r.mutable_customer()->set_display_name(
             "a\x01"
             "b");
       }),
       StatusCode::INVALID_ARGUMENT, "customer.display_name"},
      // Issue 8 #10: names nobody can see, or that reorder the text
      // around them, are not names.
      {"ideographic spaces only", CreateWith([](auto& r) {
         r.mutable_customer()->set_display_name("\u3000\u3000");
       }),
       StatusCode::INVALID_ARGUMENT, "customer.display_name"},
      {"zero-width space only", CreateWith([](auto& r) {
         r.mutable_customer()->set_display_name("\u200b");
       }),
       StatusCode::INVALID_ARGUMENT, "customer.display_name"},
      {"byte-order mark only", CreateWith([](auto& r) {
         r.mutable_customer()->set_display_name("\ufeff");
       }),
       StatusCode::INVALID_ARGUMENT, "customer.display_name"},
      {"no-break spaces only", CreateWith([](auto& r) {
         r.mutable_customer()->set_display_name("\u00a0\u00a0");
       }),
       StatusCode::INVALID_ARGUMENT, "customer.display_name"},
      {"bidi override in name", CreateWith([](auto& r) {
         r.mutable_customer()->set_display_name("abc\u202edcba");
       }),
       StatusCode::INVALID_ARGUMENT, "customer.display_name"},
      {"lone combining mark", CreateWith([](auto& r) {
         r.mutable_customer()->set_display_name("\u0301");
       }),
       StatusCode::INVALID_ARGUMENT, "customer.display_name"},
      {"newline in name", CreateWith([](auto& r) {
         r.mutable_customer()->set_display_name("王\n小明");
       }),
       StatusCode::INVALID_ARGUMENT, "customer.display_name"},
      {"10 KB etag",
       [](Target& t) {
         v1::UpdateCustomerRequest req;
         req.set_request_id("bad-input-long-etag");
         req.mutable_customer()->set_customer_id(t.existing_id);
         req.mutable_customer()->set_notes("x");
         req.mutable_customer()->set_etag(std::string(10 * 1024, 'e'));
         req.mutable_update_mask()->add_paths("notes");
         v1::UpdateCustomerResponse resp;
         grpc::Status s =
             Call(t.stub, &Stub::UpdateCustomer, kAdmin, req, &resp);
         // Never echo unbounded input: the answer stays small.
         EXPECT_LT(s.error_message().size(), 300u);
         return s;
       },
       StatusCode::INVALID_ARGUMENT, "customer.etag"},
      {"2001-character notes", CreateWith([](auto& r) {
         r.mutable_customer()->set_notes(std::string(2001, 'n'));
       }),
       StatusCode::INVALID_ARGUMENT, "customer.notes"},
      {"missing request_id", CreateWith([](auto& r) { r.clear_request_id(); }),
       StatusCode::INVALID_ARGUMENT, "request_id"},
      {"request_id with spaces",
       CreateWith([](auto& r) { r.set_request_id("has spaces in it"); }),
       StatusCode::INVALID_ARGUMENT, "request_id"},
      {"unknown gender number", CreateWith([](auto& r) {
         r.mutable_customer()->set_gender(static_cast<v1::Gender>(99));
       }),
       StatusCode::INVALID_ARGUMENT, "customer.gender"},
      {"negative enum number", CreateWith([](auto& r) {
         r.mutable_customer()->set_gender(static_cast<v1::Gender>(-5));
       }),
       StatusCode::INVALID_ARGUMENT, "customer.gender"},
      {"SQL in phone", CreateWith([](auto& r) {
         r.mutable_customer()->set_phone("' OR 1=1 --");
       }),
       StatusCode::INVALID_ARGUMENT, "customer.phone"},
      {"SQL in branch id", CreateWith([](auto& r) {
         r.mutable_customer()->set_branch_id("B1'; DROP TABLE customers");
       }),
       StatusCode::INVALID_ARGUMENT, "customer.branch_id"},
      {"birthday in the future", CreateWith([](auto& r) {
         r.mutable_customer()->mutable_birthday()->set_year(2999);
         r.mutable_customer()->mutable_birthday()->set_month(1);
         r.mutable_customer()->mutable_birthday()->set_day(1);
       }),
       StatusCode::INVALID_ARGUMENT, "customer.birthday"},
      {"birthday month 13", CreateWith([](auto& r) {
         r.mutable_customer()->mutable_birthday()->set_year(1990);
         r.mutable_customer()->mutable_birthday()->set_month(13);
         r.mutable_customer()->mutable_birthday()->set_day(1);
       }),
       StatusCode::INVALID_ARGUMENT, "customer.birthday"},
      {"21 preference tags", CreateWith([](auto& r) {
         for (int i = 0; i < 21; ++i)
           r.mutable_customer()->mutable_preferences()->add_tags("t");
       }),
       StatusCode::INVALID_ARGUMENT, "customer.preferences.tags"},
      {"points delta INT64_MAX", AdjustBy(INT64_MAX),
       StatusCode::INVALID_ARGUMENT, "delta"},
      {"points delta INT64_MIN", AdjustBy(INT64_MIN),
       StatusCode::INVALID_ARGUMENT, "delta"},
      {"points below zero", AdjustBy(-1), StatusCode::FAILED_PRECONDITION, ""},
      {"page_size -1", ListWith(-1, "", ""), StatusCode::INVALID_ARGUMENT,
       "page_size"},
      {"page_size INT32_MIN", ListWith(INT32_MIN, "", ""),
       StatusCode::INVALID_ARGUMENT, "page_size"},
      {"forged page token",
       ListWith(10, "", "AQAAAAAAAAAFAAAAAAAAAAAAAAAAAAAAAA"),
       StatusCode::INVALID_ARGUMENT, "page_token"},
      {"page token of garbage", ListWith(10, "", "!!!not base64!!!"),
       StatusCode::INVALID_ARGUMENT, "page_token"},
      {"SQL in filter",
       ListWith(10, "branch_id = B001; DROP TABLE customers", ""),
       StatusCode::INVALID_ARGUMENT, "filter"},
      {"OR in filter", ListWith(10, "tier = VIP OR 1 = 1", ""),
       StatusCode::INVALID_ARGUMENT, "filter"},
      {"unknown filter field", ListWith(10, "phone = 13700000001", ""),
       StatusCode::INVALID_ARGUMENT, "filter"},
      {"over-long filter", ListWith(10, std::string(2000, 'a'), ""),
       StatusCode::INVALID_ARGUMENT, "filter"},
      {"customer id with SQL",
       [](Target& t) {
         v1::GetCustomerRequest req;
         req.set_customer_id("x' OR '1'='1");
         v1::GetCustomerResponse resp;
         return Call(t.stub, &Stub::GetCustomer, kAdmin, req, &resp);
       },
       StatusCode::INVALID_ARGUMENT, "customer_id"},
      {"empty search",
       [](Target& t) {
         v1::SearchCustomersRequest req;
         v1::SearchCustomersResponse resp;
         return Call(t.stub, &Stub::SearchCustomers, kAdmin, req, &resp);
       },
       StatusCode::INVALID_ARGUMENT, "phone"},
      {"invalid UTF-8 on the wire",
       [](Target& t) {
         // CreateCustomerRequest{customer{display_name: 0xC3 0x28}}: a broken
         // two-byte sequence, sent raw since stubs cannot encode it.
         std::string response;
         return RawCall(
             t.channel, "/retail.customers.v1.CustomerService/CreateCustomer",
             std::string("\x0a\x04\x1a\x02\xc3\x28", 6), kAdmin, &response);
       },
       StatusCode::INVALID_ARGUMENT, "request"},
      {"5 MiB message", CreateWith([](auto& r) {
         r.mutable_customer()->set_notes(std::string(5 << 20, 'x'));
       }),
       StatusCode::RESOURCE_EXHAUSTED, ""},
      {"deadline already expired: create",
       Expired("CreateCustomer", kAdmin,
               [](Target&) {
                 return std::make_unique<v1::CreateCustomerRequest>(
                     ValidCreate());
               }),
       StatusCode::DEADLINE_EXCEEDED, ""},
      // A read whose side effect is its audit row.
      {"deadline already expired: agent reveals",
       Expired("GetCustomer", kAgent,
               [](Target& t) {
                 auto req = std::make_unique<v1::GetCustomerRequest>();
                 req->set_customer_id(t.existing_id);
                 req->set_reveal_pii(true);
                 return req;
               }),
       StatusCode::DEADLINE_EXCEEDED, ""},
  };
}

class BadInputTest : public ::testing::Test {
 protected:
  // Everything a bad request could have touched. A business failure's
  // stored result (idempotency_keys.status, replayed to retries) is the
  // request's answer, not a change; so is the audit row of a failure. An
  // audit row of a success or of a reveal is a change: no bad request may
  // succeed or be shown anything.
  std::string Fingerprint() {
    return server_.QueryScalar(
        "SELECT (SELECT COUNT(*) || '/' || total(revision) || '/' || "
        "total(points_balance)"
        " FROM customers) || '/' || (SELECT COUNT(*) FROM points_transactions) "
        "|| '/' ||"
        " (SELECT COUNT(*) FROM events) || '/' || (SELECT COUNT(*) FROM "
        "idempotency_keys WHERE status IS NULL) || '/' || (SELECT COUNT(*) "
        "FROM audit_log WHERE outcome IN ('OK', 'REPLAYED', 'REVEAL')) || '/' "
        "|| (SELECT COUNT(*) || '/' || total(revision) || '/' || "
        "total(paid_minor) || '/' || total(status) FROM orders) || '/' || "
        "(SELECT COUNT(*) FROM order_payments) || '/' || (SELECT COUNT(*) FROM "
        "order_refunds) || '/' || (SELECT COUNT(*) FROM settlements)");
  }

  TestServer server_;
};

TEST_F(BadInputTest, EveryCaseGetsItsCodeAndChangesNothing) {
  auto stub = v1::CustomerService::NewStub(server_.Channel());
  v1::CreateCustomerRequest seed = ValidCreate();
  seed.set_request_id("bad-input-seed-0001");
  seed.mutable_customer()->set_phone("13700000099");
  v1::CreateCustomerResponse seeded;
  ASSERT_TRUE(Call(*stub, &Stub::CreateCustomer, kAdmin, seed, &seeded).ok());
  const std::string id = seeded.customer().customer_id();
  auto orders = ov1::OrderService::NewStub(server_.Channel());
  ov1::CreateOrderRequest order = ValidOrder();
  order.set_request_id("bad-input-seed-order");
  ov1::CreateOrderResponse ordered;
  ASSERT_TRUE(
      Call(*orders, &OrderStub::CreateOrder, kAdmin, order, &ordered).ok());
  const std::string order_id = ordered.order().order_id();

  for (const BadInputCase& c : Cases()) {
    SCOPED_TRACE(c.name);
    const std::string before = Fingerprint();
    Target target{*stub, server_.Channel(), server_, id, *orders, order_id};
    grpc::Status s = c.call(target);
    EXPECT_EQ(s.error_code(), c.want) << s.error_message();
    EXPECT_NE(s.error_code(), grpc::StatusCode::UNKNOWN);
    EXPECT_NE(s.error_code(), grpc::StatusCode::INTERNAL);
    if (!c.field.empty()) {
      EXPECT_THAT(DetailsOf(s).fields, ::testing::Contains(c.field));
    }
    // No SQL or engine text ever reaches the caller (storage_fault_test
    // makes the storage layer itself fail and checks the same).
    ExpectNoStorageText(s);
    EXPECT_EQ(Fingerprint(), before);
  }

  // SQL metacharacters in free text are just text: stored and searched
  // literally, never executed.
  v1::CreateCustomerRequest sql_name = ValidCreate();
  sql_name.set_request_id("bad-input-sqlname-01");
  sql_name.mutable_customer()->set_display_name(
      "Robert'); DROP TABLE customers;--");
  sql_name.mutable_customer()->set_phone("13700000098");
  v1::CreateCustomerResponse created;
  ASSERT_TRUE(
      Call(*stub, &Stub::CreateCustomer, kAdmin, sql_name, &created).ok());
  v1::SearchCustomersRequest search;
  search.set_name_contains("'); DROP TABLE");
  v1::SearchCustomersResponse found;
  ASSERT_TRUE(Call(*stub, &Stub::SearchCustomers, kAdmin, search, &found).ok());
  ASSERT_EQ(found.customers_size(), 1);
  EXPECT_EQ(found.customers(0).display_name(),
            "Robert'); DROP TABLE customers;--");

  // And the server is still up.
  v1::GetCustomerRequest get;
  get.set_customer_id(id);
  v1::GetCustomerResponse got;
  EXPECT_TRUE(Call(*stub, &Stub::GetCustomer, kAdmin, get, &got).ok());
  ov1::GetOrderRequest get_order;
  get_order.set_order_id(order_id);
  ov1::GetOrderResponse got_order;
  ASSERT_TRUE(
      Call(*orders, &OrderStub::GetOrder, kAdmin, get_order, &got_order).ok());
  // No refused call touched the order.
  EXPECT_EQ(got_order.order().status(), ov1::ORDER_STATUS_PENDING_PAYMENT);
  EXPECT_EQ(got_order.order().payments_size(), 0);
}

}  // namespace
}  // namespace retail::testing
