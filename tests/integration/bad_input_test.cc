// Table-driven bad input: what a careless or hostile caller sends. Every case
// must get its fitting code (with the field named where there is one), the
// server must stay up, and no stored data may change.
#include <functional>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "retail/admin/v1/admin.grpc.pb.h"
#include "retail/audit/v1/audit.grpc.pb.h"
#include "retail/complaints/v1/complaints.grpc.pb.h"
#include "retail/customers/v1/customers.grpc.pb.h"
#include "retail/events/v1/events.grpc.pb.h"
#include "retail/feedback/v1/feedback.grpc.pb.h"
#include "retail/orders/v1/orders.grpc.pb.h"
#include "tests/integration/raw_h2_call.h"
#include "tests/integration/test_server.h"

namespace retail::testing {
namespace {

namespace v1 = ::retail::customers::v1;
namespace ov1 = ::retail::orders::v1;
using Stub = v1::CustomerService::Stub;
using OrderStub = ov1::OrderService::Stub;
namespace cmv1 = ::retail::complaints::v1;
using ComplaintStub = cmv1::ComplaintService::Stub;
namespace fbv1 = ::retail::feedback::v1;
using FeedbackStub = fbv1::FeedbackService::Stub;

// What a case may call: the typed stubs, the raw channel (for bytes a stub
// cannot encode), the server itself (for calls written by hand on HTTP/2),
// an existing customer's id, an existing (pending, B001) order's id, a paid
// B001 walk-in order (the usual two lines, cash) and a RECEIVED return of
// one pair of its socks, which a valid CompleteReturn would complete.
struct Target {
  Stub& stub;
  std::shared_ptr<grpc::Channel> channel;
  TestServer& server;
  std::string existing_id;
  OrderStub& orders;
  std::string order_id;
  std::string paid_order_id;
  std::string return_id;
  // A NEW B001 complaint of the existing customer, and its etag.
  std::string complaint_id = {};
  std::string complaint_etag = {};
  // FeedbackService (FeedbackCases): a survey with one question of each
  // type, a B001 feedback item of the existing customer, its pending and
  // its completed follow-up, and a ListFeedback next_page_token (page_size
  // 1, no filter).
  std::string survey_id = {};
  std::string feedback_id = {};
  std::string follow_up_id = {};
  std::string done_follow_up_id = {};
  std::string feedback_page_token = {};
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

// ---- OrderService: returns and exchanges ------------------------------------

// A return of one pair of socks of the paid order, with one change applied.
// Every case must break it: unchanged it would be accepted.
CaseCall RequestReturnWith(
    std::function<void(ov1::RequestReturnRequest&)> mutate,
    std::string token = kAdmin) {
  return [mutate, token](Target& t) {
    ov1::RequestReturnRequest req;
    req.set_request_id("bad-input-return-0001");
    req.set_order_id(t.paid_order_id);
    req.set_type(ov1::RETURN_TYPE_RETURN);
    ov1::ReturnLine* l = req.add_lines();
    l->set_sku("SOCKS");
    l->set_quantity(1);
    l->set_reason(ov1::RETURN_REASON_SIZE);
    mutate(req);
    ov1::RequestReturnResponse resp;
    return Call(t.orders, &OrderStub::RequestReturn, token, req, &resp);
  };
}

// An exchange of one pair of socks for another at the same price, with one
// change applied.
CaseCall ExchangeWith(std::function<void(ov1::RequestReturnRequest&)> mutate) {
  return RequestReturnWith([mutate](ov1::RequestReturnRequest& r) {
    r.set_request_id("bad-input-exchange-0001");
    r.set_type(ov1::RETURN_TYPE_EXCHANGE);
    *r.mutable_lines(0)->mutable_replacement() = Line("SOCKS-B", 1, 1'400);
    mutate(r);
  });
}

CaseCall ReviewWith(std::function<void(ov1::ReviewReturnRequest&)> mutate) {
  return [mutate](Target& t) {
    ov1::ReviewReturnRequest req;
    req.set_request_id("bad-input-review-0001");
    req.set_return_id(t.return_id);
    req.set_decision(ov1::REVIEW_DECISION_APPROVE);
    mutate(req);
    ov1::ReviewReturnResponse resp;
    return Call(t.orders, &OrderStub::ReviewReturn, kAdmin, req, &resp);
  };
}

CaseCall ReceiveWith(std::function<void(ov1::ReceiveReturnRequest&)> mutate) {
  return [mutate](Target& t) {
    ov1::ReceiveReturnRequest req;
    req.set_request_id("bad-input-receive-0001");
    req.set_return_id(t.return_id);
    req.set_condition(ov1::ITEM_CONDITION_RESALABLE);
    mutate(req);
    ov1::ReceiveReturnResponse resp;
    return Call(t.orders, &OrderStub::ReceiveReturn, kAdmin, req, &resp);
  };
}

// Completes the RECEIVED return, with one change applied. Unchanged it
// would complete it: every case must break it.
CaseCall CompleteReturnWith(
    std::function<void(ov1::CompleteReturnRequest&)> mutate) {
  return [mutate](Target& t) {
    ov1::CompleteReturnRequest req;
    req.set_request_id("bad-input-complete-0001");
    req.set_return_id(t.return_id);
    mutate(req);
    ov1::CompleteReturnResponse resp;
    return Call(t.orders, &OrderStub::CompleteReturn, kAdmin, req, &resp);
  };
}

void AddReference(ov1::CompleteReturnRequest& r, std::string payment_id,
                  std::string reference) {
  ov1::RefundReference* ref = r.add_refund_references();
  ref->set_payment_id(std::move(payment_id));
  ref->set_external_reference(std::move(reference));
}

CaseCall GetReturnWith(std::string return_id) {
  return [return_id](Target& t) {
    ov1::GetReturnRequest req;
    req.set_return_id(return_id);
    ov1::GetReturnResponse resp;
    return Call(t.orders, &OrderStub::GetReturn, kAdmin, req, &resp);
  };
}

CaseCall ListReturnsWith(std::function<void(ov1::ListReturnsRequest&)> mutate) {
  return [mutate](Target& t) {
    ov1::ListReturnsRequest req;
    mutate(req);
    ov1::ListReturnsResponse resp;
    return Call(t.orders, &OrderStub::ListReturns, kAdmin, req, &resp);
  };
}

std::vector<BadInputCase> ReturnCases() {
  using grpc::StatusCode;
  constexpr char kMissingPayment[] = "pay_01ARZ3NDEKTSV4RRFFQ69G5FAV";
  return {
      // RequestReturn.
      {"return: missing request_id",
       RequestReturnWith([](auto& r) { r.clear_request_id(); }),
       StatusCode::INVALID_ARGUMENT, "request_id"},
      {"return: order id with SQL",
       RequestReturnWith([](auto& r) { r.set_order_id("ord' OR 1=1 --"); }),
       StatusCode::INVALID_ARGUMENT, "order_id"},
      {"return: no type", RequestReturnWith([](auto& r) {
         r.set_type(ov1::RETURN_TYPE_UNSPECIFIED);
       }),
       StatusCode::INVALID_ARGUMENT, "type"},
      {"return: unknown type number", RequestReturnWith([](auto& r) {
         r.set_type(static_cast<ov1::ReturnType>(99));
       }),
       StatusCode::INVALID_ARGUMENT, "type"},
      {"return: no lines", RequestReturnWith([](auto& r) { r.clear_lines(); }),
       StatusCode::INVALID_ARGUMENT, "lines"},
      {"return: 501 lines", RequestReturnWith([](auto& r) {
         for (int i = 1; i <= 500; ++i) {
           *r.add_lines() = r.lines(0);
           r.mutable_lines(i)->set_sku(absl::StrCat("SKU-", i));
         }
       }),
       StatusCode::INVALID_ARGUMENT, "lines"},
      {"return: 100 lines without a reason",
       [](Target& t) {
         // Each line is named, so the answer carries 100 violations; it
         // must still reach the caller as INVALID_ARGUMENT, not as an error
         // too large for the client's metadata limit. On a channel of its
         // own: such an answer was seen to fail the next call on the same
         // connection too.
         auto own = ov1::OrderService::NewStub(t.channel);
         ov1::RequestReturnRequest req;
         req.set_request_id("bad-input-return-100-lines");
         req.set_order_id(t.paid_order_id);
         req.set_type(ov1::RETURN_TYPE_RETURN);
         for (int i = 0; i < 100; ++i) {
           ov1::ReturnLine* l = req.add_lines();
           l->set_sku(absl::StrCat("SKU-", i));
           l->set_quantity(1);
         }
         ov1::RequestReturnResponse resp;
         return Call(*own, &OrderStub::RequestReturn, kAdmin, req, &resp);
       },
       StatusCode::INVALID_ARGUMENT, "lines[0].reason"},
      {"return: empty sku",
       RequestReturnWith([](auto& r) { r.mutable_lines(0)->set_sku(""); }),
       StatusCode::INVALID_ARGUMENT, "lines[0].sku"},
      {"return: 65-character sku", RequestReturnWith([](auto& r) {
         r.mutable_lines(0)->set_sku(std::string(65, 's'));
       }),
       StatusCode::INVALID_ARGUMENT, "lines[0].sku"},
      {"return: the same sku on two lines",
       RequestReturnWith([](auto& r) { *r.add_lines() = r.lines(0); }),
       StatusCode::INVALID_ARGUMENT, "lines[1].sku"},
      {"return: zero quantity",
       RequestReturnWith([](auto& r) { r.mutable_lines(0)->set_quantity(0); }),
       StatusCode::INVALID_ARGUMENT, "lines[0].quantity"},
      {"return: INT64_MIN quantity", RequestReturnWith([](auto& r) {
         r.mutable_lines(0)->set_quantity(INT64_MIN);
       }),
       StatusCode::INVALID_ARGUMENT, "lines[0].quantity"},
      {"return: no reason", RequestReturnWith([](auto& r) {
         r.mutable_lines(0)->set_reason(ov1::RETURN_REASON_UNSPECIFIED);
       }),
       StatusCode::INVALID_ARGUMENT, "lines[0].reason"},
      {"return: unknown reason number", RequestReturnWith([](auto& r) {
         r.mutable_lines(0)->set_reason(static_cast<ov1::ReturnReason>(99));
       }),
       StatusCode::INVALID_ARGUMENT, "lines[0].reason"},
      {"return: reason OTHER with a blank note", RequestReturnWith([](auto& r) {
         r.mutable_lines(0)->set_reason(ov1::RETURN_REASON_OTHER);
         r.mutable_lines(0)->set_note("\u3000 ");
       }),
       StatusCode::INVALID_ARGUMENT, "lines[0].note"},
      {"return: 501-character note", RequestReturnWith([](auto& r) {
         std::string note;
         for (int i = 0; i < 501; ++i) note += "坏";
         r.mutable_lines(0)->set_note(note);
       }),
       StatusCode::INVALID_ARGUMENT, "lines[0].note"},
      {"return: a return line naming a replacement",
       RequestReturnWith([](auto& r) {
         *r.mutable_lines(0)->mutable_replacement() = Line("SOCKS-B", 1, 1);
       }),
       StatusCode::INVALID_ARGUMENT, "lines[0].replacement"},
      {"return: sku not on the order", RequestReturnWith([](auto& r) {
         // Found inside the write (the order's lines are read there), so a
         // request_id of its own.
         r.set_request_id("bad-input-return-sku");
         r.mutable_lines(0)->set_sku("HAT");
       }),
       StatusCode::INVALID_ARGUMENT, "lines[0].sku"},
      {"return: more than was bought", RequestReturnWith([](auto& r) {
         r.set_request_id("bad-input-return-too-many");
         r.mutable_lines(0)->set_quantity(4);
       }),
       StatusCode::FAILED_PRECONDITION, ""},
      {"return: an unpaid order",
       [](Target& t) {
         return RequestReturnWith([&t](auto& r) {
           r.set_request_id("bad-input-return-unpaid");
           r.set_order_id(t.order_id);
         })(t);
       },
       StatusCode::FAILED_PRECONDITION, ""},
      {"return: unknown order", RequestReturnWith([](auto& r) {
         r.set_request_id("bad-input-return-missing");
         r.set_order_id("ord_01ARZ3NDEKTSV4RRFFQ69G5FAV");
       }),
       StatusCode::NOT_FOUND, ""},
      {"return: another branch's order",
       RequestReturnWith(
           [](auto& r) { r.set_request_id("bad-input-return-b002"); },
           kBranch2),
       StatusCode::NOT_FOUND, ""},
      {"return: an auditor asking", RequestReturnWith([](auto&) {}, kAuditor),
       StatusCode::PERMISSION_DENIED, ""},
      // RequestReturn of an exchange.
      {"exchange: a line without a replacement",
       ExchangeWith([](auto& r) { r.mutable_lines(0)->clear_replacement(); }),
       StatusCode::INVALID_ARGUMENT, "lines[0].replacement"},
      {"exchange: negative replacement quantity", ExchangeWith([](auto& r) {
         r.mutable_lines(0)->mutable_replacement()->set_quantity(-1);
       }),
       StatusCode::INVALID_ARGUMENT, "lines[0].replacement.quantity"},
      {"exchange: 65-character replacement sku", ExchangeWith([](auto& r) {
         r.mutable_lines(0)->mutable_replacement()->set_sku(
             std::string(65, 'x'));
       }),
       StatusCode::INVALID_ARGUMENT, "lines[0].replacement.sku"},
      {"exchange: blank replacement name", ExchangeWith([](auto& r) {
         r.mutable_lines(0)->mutable_replacement()->set_name("\u3000");
       }),
       StatusCode::INVALID_ARGUMENT, "lines[0].replacement.name"},
      {"exchange: negative replacement price", ExchangeWith([](auto& r) {
         r.mutable_lines(0)
             ->mutable_replacement()
             ->mutable_unit_price()
             ->set_minor_units(-1);
       }),
       StatusCode::INVALID_ARGUMENT, "lines[0].replacement.unit_price"},
      {"exchange: replacement in a foreign currency", ExchangeWith([](auto& r) {
         r.mutable_lines(0)
             ->mutable_replacement()
             ->mutable_unit_price()
             ->set_currency_code("USD");
       }),
       StatusCode::INVALID_ARGUMENT,
       "lines[0].replacement.unit_price.currency_code"},
      {"exchange: replacement quantity x price overflows",
       ExchangeWith([](auto& r) {
         *r.mutable_lines(0)->mutable_replacement() =
             Line("SOCKS-B", INT64_MAX, 2);
       }),
       StatusCode::INVALID_ARGUMENT, "lines[0].replacement.quantity"},
      {"exchange: replacements' total overflows", ExchangeWith([](auto& r) {
         *r.mutable_lines(0)->mutable_replacement() =
             Line("SOCKS-B", 1, INT64_MAX / 2 + 1);
         ov1::ReturnLine* shirt = r.add_lines();
         shirt->set_sku("SHIRT-M");
         shirt->set_quantity(1);
         shirt->set_reason(ov1::RETURN_REASON_SIZE);
         *shirt->mutable_replacement() = Line("SHIRT-L", 1, INT64_MAX / 2 + 1);
       }),
       StatusCode::INVALID_ARGUMENT, "lines[1].replacement"},
      {"exchange: replacements adding up to 0", ExchangeWith([](auto& r) {
         r.mutable_lines(0)
             ->mutable_replacement()
             ->mutable_unit_price()
             ->set_minor_units(0);
       }),
       StatusCode::INVALID_ARGUMENT, "lines"},
      // ReviewReturn.
      {"review: missing request_id",
       ReviewWith([](auto& r) { r.clear_request_id(); }),
       StatusCode::INVALID_ARGUMENT, "request_id"},
      {"review: return id with SQL",
       ReviewWith([](auto& r) { r.set_return_id("ret' OR '1'='1"); }),
       StatusCode::INVALID_ARGUMENT, "return_id"},
      {"review: no decision", ReviewWith([](auto& r) {
         r.set_decision(ov1::REVIEW_DECISION_UNSPECIFIED);
       }),
       StatusCode::INVALID_ARGUMENT, "decision"},
      {"review: unknown decision number", ReviewWith([](auto& r) {
         r.set_decision(static_cast<ov1::ReviewDecision>(-3));
       }),
       StatusCode::INVALID_ARGUMENT, "decision"},
      {"review: rejection without a note",
       ReviewWith([](auto& r) { r.set_decision(ov1::REVIEW_DECISION_REJECT); }),
       StatusCode::INVALID_ARGUMENT, "note"},
      {"review: 501-character note",
       ReviewWith([](auto& r) { r.set_note(std::string(501, 'n')); }),
       StatusCode::INVALID_ARGUMENT, "note"},
      {"review: unknown return", ReviewWith([](auto& r) {
         r.set_request_id("bad-input-review-missing");
         r.set_return_id("ret_01ARZ3NDEKTSV4RRFFQ69G5FAV");
       }),
       StatusCode::NOT_FOUND, ""},
      {"review: a return already received",
       ReviewWith([](auto& r) { r.set_request_id("bad-input-review-state"); }),
       StatusCode::FAILED_PRECONDITION, ""},
      // ReceiveReturn.
      {"receive: missing request_id",
       ReceiveWith([](auto& r) { r.clear_request_id(); }),
       StatusCode::INVALID_ARGUMENT, "request_id"},
      {"receive: no return id",
       ReceiveWith([](auto& r) { r.clear_return_id(); }),
       StatusCode::INVALID_ARGUMENT, "return_id"},
      {"receive: no condition", ReceiveWith([](auto& r) {
         r.set_condition(ov1::ITEM_CONDITION_UNSPECIFIED);
       }),
       StatusCode::INVALID_ARGUMENT, "condition"},
      {"receive: unknown condition number", ReceiveWith([](auto& r) {
         r.set_condition(static_cast<ov1::ItemCondition>(99));
       }),
       StatusCode::INVALID_ARGUMENT, "condition"},
      {"receive: 501-character note",
       ReceiveWith([](auto& r) { r.set_note(std::string(501, 'n')); }),
       StatusCode::INVALID_ARGUMENT, "note"},
      // CompleteReturn.
      {"complete return: missing request_id",
       CompleteReturnWith([](auto& r) { r.clear_request_id(); }),
       StatusCode::INVALID_ARGUMENT, "request_id"},
      {"complete return: 65-character return id",
       CompleteReturnWith(
           [](auto& r) { r.set_return_id(std::string(65, 'r')); }),
       StatusCode::INVALID_ARGUMENT, "return_id"},
      {"complete return: 101 refund references",
       CompleteReturnWith([](auto& r) {
         for (int i = 0; i < 101; ++i)
           AddReference(r, absl::StrCat("pay_", i), "ref");
       }),
       StatusCode::INVALID_ARGUMENT, "refund_references"},
      {"complete return: payment id with SQL", CompleteReturnWith([](auto& r) {
         AddReference(r, "pay' OR 1=1 --", "ref-1");
       }),
       StatusCode::INVALID_ARGUMENT, "refund_references[0].payment_id"},
      {"complete return: empty external reference",
       CompleteReturnWith(
           [=](auto& r) { AddReference(r, kMissingPayment, ""); }),
       StatusCode::INVALID_ARGUMENT, "refund_references[0].external_reference"},
      {"complete return: 129-character external reference",
       CompleteReturnWith([=](auto& r) {
         AddReference(r, kMissingPayment, std::string(129, 'x'));
       }),
       StatusCode::INVALID_ARGUMENT, "refund_references[0].external_reference"},
      {"complete return: the same tender twice",
       CompleteReturnWith([=](auto& r) {
         AddReference(r, kMissingPayment, "ref-1");
         AddReference(r, kMissingPayment, "ref-2");
       }),
       StatusCode::INVALID_ARGUMENT, "refund_references[1].payment_id"},
      {"complete return: a tender that gets nothing back",
       CompleteReturnWith([=](auto& r) {
         // Found inside the write, which is rolled back whole.
         r.set_request_id("bad-input-complete-reference");
         AddReference(r, kMissingPayment, "ref-1");
       }),
       StatusCode::INVALID_ARGUMENT, "refund_references[0].payment_id"},
      {"deadline already expired: complete return",
       ExpiredAt("/retail.orders.v1.OrderService/CompleteReturn", kAdmin,
                 [](Target& t) {
                   auto req = std::make_unique<ov1::CompleteReturnRequest>();
                   req->set_request_id("bad-input-complete-expired");
                   req->set_return_id(t.return_id);
                   return req;
                 }),
       StatusCode::DEADLINE_EXCEEDED, ""},
      // GetReturn, ListReturns.
      {"get return: no id", GetReturnWith(""), StatusCode::INVALID_ARGUMENT,
       "return_id"},
      {"get return: id with SQL", GetReturnWith("ret' OR '1'='1"),
       StatusCode::INVALID_ARGUMENT, "return_id"},
      {"get return: unknown", GetReturnWith("ret_01ARZ3NDEKTSV4RRFFQ69G5FAV"),
       StatusCode::NOT_FOUND, ""},
      {"list returns: page_size -1",
       ListReturnsWith([](auto& r) { r.set_page_size(-1); }),
       StatusCode::INVALID_ARGUMENT, "page_size"},
      {"list returns: forged page token", ListReturnsWith([](auto& r) {
         r.set_page_token("AQAAAAAAAAAFAAAAAAAAAAAAAAAAAAAAAA");
       }),
       StatusCode::INVALID_ARGUMENT, "page_token"},
      {"list returns: unknown status number", ListReturnsWith([](auto& r) {
         r.set_status(static_cast<ov1::ReturnStatus>(99));
       }),
       StatusCode::INVALID_ARGUMENT, "status"},
      {"list returns: order id with SQL", ListReturnsWith([](auto& r) {
         r.set_order_id("1; DROP TABLE order_returns");
       }),
       StatusCode::INVALID_ARGUMENT, "order_id"},
      {"list returns: branch id with SQL",
       ListReturnsWith([](auto& r) { r.set_branch_id("B001' OR '1'='1"); }),
       StatusCode::INVALID_ARGUMENT, "branch_id"},
      // Exchange credit is applied by CompleteReturn only.
      {"pay: exchange credit by hand", PayWith([](auto& r) {
         r.mutable_payment()->set_method(ov1::PAYMENT_METHOD_EXCHANGE_CREDIT);
         r.mutable_payment()->set_external_reference("ret_forged");
       }),
       StatusCode::INVALID_ARGUMENT, "payment.method"},
  };
}

// ---- ComplaintService ------------------------------------------------------

// The target complaint is a NEW B001 complaint of the existing customer
// (Target::complaint_id, its etag Target::complaint_etag). Each builder
// makes a request that, unchanged, would be accepted or is refused only
// inside the write (those rows say so and take a request_id of their own,
// since such refusals are stored and replayed per request_id).
template <typename Req, typename Resp>
grpc::Status CallComplaints(Target& t,
                            grpc::Status (ComplaintStub::*method)(
                                grpc::ClientContext*, const Req&, Resp*),
                            const std::string& token, const Req& req) {
  auto stub = cmv1::ComplaintService::NewStub(t.channel);
  Resp resp;
  return Call(*stub, method, token, req, &resp);
}

cmv1::CreateComplaintRequest ValidComplaint(const Target& t) {
  cmv1::CreateComplaintRequest req;
  req.set_request_id("bad-input-cmp-create");
  cmv1::Complaint* c = req.mutable_complaint();
  c->set_customer_id(t.existing_id);
  c->set_branch_id("B001");
  c->set_channel(cmv1::COMPLAINT_CHANNEL_PHONE);
  c->set_category(cmv1::COMPLAINT_CATEGORY_LOGISTICS);
  c->set_severity(cmv1::COMPLAINT_SEVERITY_MINOR);
  c->set_subject("快递太慢");
  c->set_description("三天还没到");
  return req;
}

CaseCall CreateComplaintWith(
    std::function<void(cmv1::CreateComplaintRequest&)> mutate,
    std::string token = kAdmin) {
  return [mutate, token](Target& t) {
    cmv1::CreateComplaintRequest req = ValidComplaint(t);
    mutate(req);
    return CallComplaints(t, &ComplaintStub::CreateComplaint, token, req);
  };
}

CaseCall GetComplaintWith(
    std::function<void(cmv1::GetComplaintRequest&)> mutate,
    std::string token = kAdmin) {
  return [mutate, token](Target& t) {
    cmv1::GetComplaintRequest req;
    req.set_complaint_id(t.complaint_id);
    mutate(req);
    return CallComplaints(t, &ComplaintStub::GetComplaint, token, req);
  };
}

CaseCall ListComplaintsWith(
    std::function<void(cmv1::ListComplaintsRequest&)> mutate,
    std::string token = kAdmin) {
  return [mutate, token](Target& t) {
    cmv1::ListComplaintsRequest req;
    mutate(req);
    return CallComplaints(t, &ComplaintStub::ListComplaints, token, req);
  };
}

// Sets the request_id, complaint_id and etag every change carries.
template <typename Req>
void Aim(Req& req, const Target& t, const char* request_id) {
  req.set_request_id(request_id);
  req.set_complaint_id(t.complaint_id);
  req.set_etag(t.complaint_etag);
}

CaseCall AssignWith(std::function<void(cmv1::AssignComplaintRequest&)> mutate,
                    std::string token = kAdmin) {
  return [mutate, token](Target& t) {
    cmv1::AssignComplaintRequest req;
    Aim(req, t, "bad-input-cmp-assign");
    req.set_owner_id("agent-7");
    req.set_team("售后一组");
    mutate(req);
    return CallComplaints(t, &ComplaintStub::AssignComplaint, token, req);
  };
}

// An internal note (accepted on a NEW complaint).
CaseCall RespondWith(
    std::function<void(cmv1::RespondToComplaintRequest&)> mutate,
    std::string token = kAdmin) {
  return [mutate, token](Target& t) {
    cmv1::RespondToComplaintRequest req;
    Aim(req, t, "bad-input-cmp-respond");
    req.set_message("内部备注");
    req.set_visibility(cmv1::MESSAGE_VISIBILITY_INTERNAL);
    mutate(req);
    return CallComplaints(t, &ComplaintStub::RespondToComplaint, token, req);
  };
}

CaseCall ContactWith(
    std::function<void(cmv1::RecordCustomerContactRequest&)> mutate) {
  return [mutate](Target& t) {
    cmv1::RecordCustomerContactRequest req;
    Aim(req, t, "bad-input-cmp-contact");
    req.set_outcome(cmv1::CONTACT_OUTCOME_FAILED);
    req.set_note("无人接听");
    mutate(req);
    return CallComplaints(t, &ComplaintStub::RecordCustomerContact, kAdmin,
                          req);
  };
}

// Refused inside the write on a NEW complaint (ILLEGAL_TRANSITION).
CaseCall ProposeWith(
    std::function<void(cmv1::ProposeSolutionRequest&)> mutate) {
  return [mutate](Target& t) {
    cmv1::ProposeSolutionRequest req;
    Aim(req, t, "bad-input-cmp-propose");
    req.mutable_solution()->set_remedy(cmv1::REMEDY_APOLOGY);
    req.mutable_solution()->set_description("致歉");
    mutate(req);
    return CallComplaints(t, &ComplaintStub::ProposeSolution, kAdmin, req);
  };
}

CaseCall ResolveWith(
    std::function<void(cmv1::ResolveComplaintRequest&)> mutate) {
  return [mutate](Target& t) {
    cmv1::ResolveComplaintRequest req;
    Aim(req, t, "bad-input-cmp-resolve");
    mutate(req);
    return CallComplaints(t, &ComplaintStub::ResolveComplaint, kAdmin, req);
  };
}

CaseCall CloseWith(std::function<void(cmv1::CloseComplaintRequest&)> mutate) {
  return [mutate](Target& t) {
    cmv1::CloseComplaintRequest req;
    Aim(req, t, "bad-input-cmp-close");
    req.set_confirmation(cmv1::CONFIRMATION_SATISFIED);
    req.set_satisfaction_score(5);
    mutate(req);
    return CallComplaints(t, &ComplaintStub::CloseComplaint, kAdmin, req);
  };
}

CaseCall ReopenWith(std::function<void(cmv1::ReopenComplaintRequest&)> mutate) {
  return [mutate](Target& t) {
    cmv1::ReopenComplaintRequest req;
    Aim(req, t, "bad-input-cmp-reopen");
    req.set_reason("客户不满意");
    mutate(req);
    return CallComplaints(t, &ComplaintStub::ReopenComplaint, kAdmin, req);
  };
}

CaseCall EscalateWith(
    std::function<void(cmv1::EscalateComplaintRequest&)> mutate,
    std::string token = kAdmin) {
  return [mutate, token](Target& t) {
    cmv1::EscalateComplaintRequest req;
    Aim(req, t, "bad-input-cmp-escalate");
    req.set_reason("客户要求主管处理");
    mutate(req);
    return CallComplaints(t, &ComplaintStub::EscalateComplaint, token, req);
  };
}

CaseCall HistoryWith(
    std::function<void(cmv1::ListComplaintHistoryRequest&)> mutate,
    std::string token = kAdmin) {
  return [mutate, token](Target& t) {
    cmv1::ListComplaintHistoryRequest req;
    req.set_complaint_id(t.complaint_id);
    mutate(req);
    return CallComplaints(t, &ComplaintStub::ListComplaintHistory, token, req);
  };
}

// 2026-06-01 to 2026-06-08.
CaseCall StatsWith(std::function<void(cmv1::GetComplaintStatsRequest&)> mutate,
                   std::string token = kAdmin) {
  return [mutate, token](Target& t) {
    cmv1::GetComplaintStatsRequest req;
    req.mutable_start_time()->set_seconds(1780272000);
    req.mutable_end_time()->set_seconds(1780272000 + 7 * 86400);
    mutate(req);
    return CallComplaints(t, &ComplaintStub::GetComplaintStats, token, req);
  };
}

// The default policy (version 1, etag "v1") sent back whole: accepted
// unchanged.
CaseCall UpdatePolicyWith(
    std::function<void(cmv1::UpdateSlaPolicyRequest&)> mutate,
    std::string token = kAdmin) {
  return [mutate, token](Target& t) {
    cmv1::UpdateSlaPolicyRequest req;
    req.set_request_id("bad-input-cmp-policy");
    cmv1::SlaPolicy* p = req.mutable_policy();
    p->set_etag("v1");
    p->set_near_breach_percent(80);
    p->set_unreachable_attempts(3);
    for (cmv1::ComplaintSeverity s :
         {cmv1::COMPLAINT_SEVERITY_MINOR, cmv1::COMPLAINT_SEVERITY_MODERATE,
          cmv1::COMPLAINT_SEVERITY_SEVERE}) {
      cmv1::SeverityTargets* targets = p->add_targets();
      targets->set_severity(s);
      targets->mutable_first_response()->mutable_duration()->set_seconds(86400);
      targets->mutable_solution()->mutable_duration()->set_seconds(3 * 86400);
      targets->mutable_closure()->mutable_duration()->set_seconds(7 * 86400);
    }
    mutate(req);
    return CallComplaints(t, &ComplaintStub::UpdateSlaPolicy, token, req);
  };
}

// Monday to Friday 09:00-18:00 for B001: accepted unchanged.
CaseCall CalendarWith(
    std::function<void(cmv1::UpdateBranchCalendarRequest&)> mutate,
    std::string token = kAdmin) {
  return [mutate, token](Target& t) {
    cmv1::UpdateBranchCalendarRequest req;
    req.set_request_id("bad-input-cmp-calendar");
    cmv1::BranchCalendar* c = req.mutable_calendar();
    c->set_branch_id("B001");
    c->set_time_zone("Asia/Shanghai");
    for (int day = 1; day <= 5; ++day) {
      cmv1::OpeningHours* h = c->add_weekly_hours();
      h->set_day_of_week(day);
      h->set_open_minute(540);
      h->set_close_minute(1080);
    }
    mutate(req);
    return CallComplaints(t, &ComplaintStub::UpdateBranchCalendar, token, req);
  };
}

std::vector<BadInputCase> ComplaintCases() {
  using grpc::StatusCode;
  constexpr char kMissing[] = "cmp_01ARZ3NDEKTSV4RRFFQ69G5FAV";
  constexpr char kSql[] = "x' OR '1'='1";
  const std::string k201(201, 's');
  const std::string k2001(2001, 'n');
  const std::string k5001(5001, 'd');
  return {
      // CreateComplaint.
      {"complaint: missing request_id",
       CreateComplaintWith([](auto& r) { r.clear_request_id(); }),
       StatusCode::INVALID_ARGUMENT, "request_id"},
      {"complaint: request_id with spaces", CreateComplaintWith([](auto& r) {
         r.set_request_id("has spaces in it");
       }),
       StatusCode::INVALID_ARGUMENT, "request_id"},
      {"complaint: no customer", CreateComplaintWith([](auto& r) {
         r.mutable_complaint()->clear_customer_id();
       }),
       StatusCode::INVALID_ARGUMENT, "complaint.customer_id"},
      {"complaint: SQL in customer id", CreateComplaintWith([=](auto& r) {
         r.mutable_complaint()->set_customer_id(kSql);
       }),
       StatusCode::INVALID_ARGUMENT, "complaint.customer_id"},
      {"complaint: no branch", CreateComplaintWith([](auto& r) {
         r.mutable_complaint()->clear_branch_id();
       }),
       StatusCode::INVALID_ARGUMENT, "complaint.branch_id"},
      {"complaint: SQL in branch id", CreateComplaintWith([](auto& r) {
         r.mutable_complaint()->set_branch_id("B1'; DROP TABLE complaints");
       }),
       StatusCode::INVALID_ARGUMENT, "complaint.branch_id"},
      {"complaint: SQL in order id", CreateComplaintWith([=](auto& r) {
         r.mutable_complaint()->set_order_id(kSql);
       }),
       StatusCode::INVALID_ARGUMENT, "complaint.order_id"},
      {"complaint: unspecified channel", CreateComplaintWith([](auto& r) {
         r.mutable_complaint()->set_channel(
             cmv1::COMPLAINT_CHANNEL_UNSPECIFIED);
       }),
       StatusCode::INVALID_ARGUMENT, "complaint.channel"},
      {"complaint: channel 99", CreateComplaintWith([](auto& r) {
         r.mutable_complaint()->set_channel(
             static_cast<cmv1::ComplaintChannel>(99));
       }),
       StatusCode::INVALID_ARGUMENT, "complaint.channel"},
      {"complaint: unspecified category", CreateComplaintWith([](auto& r) {
         r.mutable_complaint()->set_category(
             cmv1::COMPLAINT_CATEGORY_UNSPECIFIED);
       }),
       StatusCode::INVALID_ARGUMENT, "complaint.category"},
      {"complaint: category -1", CreateComplaintWith([](auto& r) {
         r.mutable_complaint()->set_category(
             static_cast<cmv1::ComplaintCategory>(-1));
       }),
       StatusCode::INVALID_ARGUMENT, "complaint.category"},
      {"complaint: unspecified severity", CreateComplaintWith([](auto& r) {
         r.mutable_complaint()->set_severity(
             cmv1::COMPLAINT_SEVERITY_UNSPECIFIED);
       }),
       StatusCode::INVALID_ARGUMENT, "complaint.severity"},
      {"complaint: severity 4", CreateComplaintWith([](auto& r) {
         r.mutable_complaint()->set_severity(
             static_cast<cmv1::ComplaintSeverity>(4));
       }),
       StatusCode::INVALID_ARGUMENT, "complaint.severity"},
      {"complaint: empty subject", CreateComplaintWith([](auto& r) {
         r.mutable_complaint()->set_subject("");
       }),
       StatusCode::INVALID_ARGUMENT, "complaint.subject"},
      {"complaint: blank subject", CreateComplaintWith([](auto& r) {
         r.mutable_complaint()->set_subject("\u3000 \u00a0");
       }),
       StatusCode::INVALID_ARGUMENT, "complaint.subject"},
      {"complaint: 201-character subject", CreateComplaintWith([=](auto& r) {
         r.mutable_complaint()->set_subject(k201);
       }),
       StatusCode::INVALID_ARGUMENT, "complaint.subject"},
      {"complaint: 201 Chinese characters of subject",
       CreateComplaintWith([](auto& r) {
         std::string subject;
         for (int i = 0; i < 201; ++i) subject += "慢";
         r.mutable_complaint()->set_subject(subject);
       }),
       StatusCode::INVALID_ARGUMENT, "complaint.subject"},
      {"complaint: two-line subject", CreateComplaintWith([](auto& r) {
         r.mutable_complaint()->set_subject("快递\n太慢");
       }),
       StatusCode::INVALID_ARGUMENT, "complaint.subject"},
      {"complaint: empty description", CreateComplaintWith([](auto& r) {
         r.mutable_complaint()->set_description(" ");
       }),
       StatusCode::INVALID_ARGUMENT, "complaint.description"},
      {"complaint: 5001-character description",
       CreateComplaintWith(
           [=](auto& r) { r.mutable_complaint()->set_description(k5001); }),
       StatusCode::INVALID_ARGUMENT, "complaint.description"},
      {"complaint: every bad field named",
       [](Target& t) {
         cmv1::CreateComplaintRequest req = ValidComplaint(t);
         req.mutable_complaint()->clear_customer_id();
         req.mutable_complaint()->set_channel(
             cmv1::COMPLAINT_CHANNEL_UNSPECIFIED);
         req.mutable_complaint()->set_severity(
             static_cast<cmv1::ComplaintSeverity>(9));
         req.mutable_complaint()->set_subject("");
         req.mutable_complaint()->set_description("");
         grpc::Status s =
             CallComplaints(t, &ComplaintStub::CreateComplaint, kAdmin, req);
         EXPECT_THAT(DetailsOf(s).fields,
                     ::testing::IsSupersetOf(
                         {"complaint.customer_id", "complaint.channel",
                          "complaint.severity", "complaint.subject",
                          "complaint.description"}));
         return s;
       },
       StatusCode::INVALID_ARGUMENT, "complaint.channel"},
      {"complaint: invalid UTF-8 on the wire",
       [](Target& t) {
         // CreateComplaintRequest{complaint{subject: 0xC3 0x28}}, sent raw
         // since stubs cannot encode it.
         std::string response;
         return RawCall(
             t.channel,
             "/retail.complaints.v1.ComplaintService/CreateComplaint",
             std::string("\x0a\x04\x42\x02\xc3\x28", 6), kAdmin, &response);
       },
       StatusCode::INVALID_ARGUMENT, "request"},
      {"complaint: unknown customer", CreateComplaintWith([](auto& r) {
         // Found inside the write: a request_id of its own.
         r.set_request_id("bad-input-cmp-create-nobody");
         r.mutable_complaint()->set_customer_id(
             "cus_01ARZ3NDEKTSV4RRFFQ69G5FAV");
       }),
       StatusCode::NOT_FOUND, ""},
      {"complaint: unknown order", CreateComplaintWith([](auto& r) {
         r.set_request_id("bad-input-cmp-create-noorder");
         r.mutable_complaint()->set_order_id("ord_01ARZ3NDEKTSV4RRFFQ69G5FAV");
       }),
       StatusCode::NOT_FOUND, ""},
      {"complaint: walk-in order is not the customer's",
       [](Target& t) {
         return CreateComplaintWith([&t](auto& r) {
           r.set_request_id("bad-input-cmp-create-walkin");
           r.mutable_complaint()->set_order_id(t.order_id);
         })(t);
       },
       StatusCode::FAILED_PRECONDITION, ""},
      {"complaint: branch B001 recording for B002",
       CreateComplaintWith(
           [](auto& r) { r.mutable_complaint()->set_branch_id("B002"); },
           kBranch1),
       StatusCode::PERMISSION_DENIED, ""},
      {"complaint: auditor may not record",
       CreateComplaintWith([](auto&) {}, kAuditor),
       StatusCode::PERMISSION_DENIED, ""},
      {"complaint: no token", CreateComplaintWith([](auto&) {}, ""),
       StatusCode::UNAUTHENTICATED, ""},
      {"deadline already expired: create complaint",
       ExpiredAt("/retail.complaints.v1.ComplaintService/CreateComplaint",
                 kAdmin,
                 [](Target& t) {
                   auto req = std::make_unique<cmv1::CreateComplaintRequest>(
                       ValidComplaint(t));
                   req->set_request_id("bad-input-cmp-create-expired");
                   return req;
                 }),
       StatusCode::DEADLINE_EXCEEDED, ""},
      // GetComplaint.
      {"get complaint: empty id",
       GetComplaintWith([](auto& r) { r.clear_complaint_id(); }),
       StatusCode::INVALID_ARGUMENT, "complaint_id"},
      {"get complaint: 65-character id", GetComplaintWith([](auto& r) {
         r.set_complaint_id(std::string(65, 'c'));
       }),
       StatusCode::INVALID_ARGUMENT, "complaint_id"},
      {"get complaint: SQL in id",
       GetComplaintWith([=](auto& r) { r.set_complaint_id(kSql); }),
       StatusCode::INVALID_ARGUMENT, "complaint_id"},
      {"get complaint: missing",
       GetComplaintWith([=](auto& r) { r.set_complaint_id(kMissing); }),
       StatusCode::NOT_FOUND, ""},
      {"get complaint: another branch's",
       GetComplaintWith([](auto&) {}, kBranch2), StatusCode::NOT_FOUND, ""},
      {"get complaint: auditor asks to reveal",
       GetComplaintWith([](auto& r) { r.set_reveal_pii(true); }, kAuditor),
       StatusCode::PERMISSION_DENIED, ""},
      {"get complaint: service token", GetComplaintWith([](auto&) {}, kCrm),
       StatusCode::PERMISSION_DENIED, ""},
      // ListComplaints.
      {"list complaints: page_size -1",
       ListComplaintsWith([](auto& r) { r.set_page_size(-1); }),
       StatusCode::INVALID_ARGUMENT, "page_size"},
      {"list complaints: page_size INT32_MIN",
       ListComplaintsWith([](auto& r) { r.set_page_size(INT32_MIN); }),
       StatusCode::INVALID_ARGUMENT, "page_size"},
      {"list complaints: forged page token", ListComplaintsWith([](auto& r) {
         r.set_page_token("AQAAAAAAAAAFAAAAAAAAAAAAAAAAAAAAAA");
       }),
       StatusCode::INVALID_ARGUMENT, "page_token"},
      {"list complaints: forged page token by due",
       ListComplaintsWith([](auto& r) {
         r.set_order_by(cmv1::COMPLAINT_ORDER_NEXT_DUE);
         r.set_page_token("AQAAAAAAAAAFAAAAAAAAAAAAAAAAAAAAAA");
       }),
       StatusCode::INVALID_ARGUMENT, "page_token"},
      {"list complaints: status 99", ListComplaintsWith([](auto& r) {
         r.set_status(static_cast<cmv1::ComplaintStatus>(99));
       }),
       StatusCode::INVALID_ARGUMENT, "status"},
      {"list complaints: category 99", ListComplaintsWith([](auto& r) {
         r.set_category(static_cast<cmv1::ComplaintCategory>(99));
       }),
       StatusCode::INVALID_ARGUMENT, "category"},
      {"list complaints: severity -2", ListComplaintsWith([](auto& r) {
         r.set_severity(static_cast<cmv1::ComplaintSeverity>(-2));
       }),
       StatusCode::INVALID_ARGUMENT, "severity"},
      {"list complaints: order_by 7", ListComplaintsWith([](auto& r) {
         r.set_order_by(static_cast<cmv1::ComplaintOrder>(7));
       }),
       StatusCode::INVALID_ARGUMENT, "order_by"},
      {"list complaints: negative escalation level",
       ListComplaintsWith([](auto& r) { r.set_min_escalation_level(-1); }),
       StatusCode::INVALID_ARGUMENT, "min_escalation_level"},
      {"list complaints: due before year 10000",
       ListComplaintsWith([](auto& r) {
         r.mutable_due_before()->set_seconds(253402300800LL);
       }),
       StatusCode::INVALID_ARGUMENT, "due_before"},
      {"list complaints: due before with negative nanos",
       ListComplaintsWith(
           [](auto& r) { r.mutable_due_before()->set_nanos(-1); }),
       StatusCode::INVALID_ARGUMENT, "due_before"},
      {"list complaints: SQL in branch id",
       ListComplaintsWith([](auto& r) { r.set_branch_id("B001' OR '1'='1"); }),
       StatusCode::INVALID_ARGUMENT, "branch_id"},
      {"list complaints: SQL in owner id",
       ListComplaintsWith([](auto& r) { r.set_owner_id("a; DROP TABLE x"); }),
       StatusCode::INVALID_ARGUMENT, "owner_id"},
      {"list complaints: auditor asks to reveal",
       ListComplaintsWith([](auto& r) { r.set_reveal_pii(true); }, kAuditor),
       StatusCode::PERMISSION_DENIED, ""},
      // AssignComplaint.
      {"assign: missing request_id",
       AssignWith([](auto& r) { r.clear_request_id(); }),
       StatusCode::INVALID_ARGUMENT, "request_id"},
      {"assign: SQL in complaint id",
       AssignWith([=](auto& r) { r.set_complaint_id(kSql); }),
       StatusCode::INVALID_ARGUMENT, "complaint_id"},
      {"assign: no etag", AssignWith([](auto& r) { r.clear_etag(); }),
       StatusCode::INVALID_ARGUMENT, "etag"},
      {"assign: 10 KiB etag",
       [](Target& t) {
         grpc::Status s = AssignWith(
             [](auto& r) { r.set_etag(std::string(10 * 1024, 'e')); })(t);
         // Never echo unbounded input.
         EXPECT_LT(s.error_message().size(), 300u);
         return s;
       },
       StatusCode::INVALID_ARGUMENT, "etag"},
      {"assign: SQL in owner id",
       AssignWith([=](auto& r) { r.set_owner_id(kSql); }),
       StatusCode::INVALID_ARGUMENT, "owner_id"},
      {"assign: no owner", AssignWith([](auto& r) { r.clear_owner_id(); }),
       StatusCode::INVALID_ARGUMENT, "owner_id"},
      {"assign: blank team", AssignWith([](auto& r) { r.set_team("\u3000"); }),
       StatusCode::INVALID_ARGUMENT, "team"},
      {"assign: 65-character team",
       AssignWith([](auto& r) { r.set_team(std::string(65, 't')); }),
       StatusCode::INVALID_ARGUMENT, "team"},
      {"assign: 501-character note",
       AssignWith([](auto& r) { r.set_note(std::string(501, 'n')); }),
       StatusCode::INVALID_ARGUMENT, "note"},
      {"assign: stale etag", AssignWith([](auto& r) {
         r.set_request_id("bad-input-cmp-assign-stale");
         r.set_etag("r999");
       }),
       StatusCode::FAILED_PRECONDITION, ""},
      {"assign: missing complaint", AssignWith([=](auto& r) {
         r.set_request_id("bad-input-cmp-assign-missing");
         r.set_complaint_id(kMissing);
       }),
       StatusCode::NOT_FOUND, ""},
      {"assign: another branch's complaint",
       AssignWith(
           [](auto& r) { r.set_request_id("bad-input-cmp-assign-b002"); },
           kBranch2),
       StatusCode::NOT_FOUND, ""},
      {"assign: auditor", AssignWith([](auto&) {}, kAuditor),
       StatusCode::PERMISSION_DENIED, ""},
      // RespondToComplaint.
      {"respond: empty message",
       RespondWith([](auto& r) { r.set_message(""); }),
       StatusCode::INVALID_ARGUMENT, "message"},
      {"respond: 5001-character message",
       RespondWith([=](auto& r) { r.set_message(k5001); }),
       StatusCode::INVALID_ARGUMENT, "message"},
      {"respond: unspecified visibility", RespondWith([](auto& r) {
         r.set_visibility(cmv1::MESSAGE_VISIBILITY_UNSPECIFIED);
       }),
       StatusCode::INVALID_ARGUMENT, "visibility"},
      {"respond: visibility 9", RespondWith([](auto& r) {
         r.set_visibility(static_cast<cmv1::MessageVisibility>(9));
       }),
       StatusCode::INVALID_ARGUMENT, "visibility"},
      {"respond: a note cannot wait for the customer",
       RespondWith([](auto& r) { r.set_wait_for_customer(true); }),
       StatusCode::INVALID_ARGUMENT, "wait_for_customer"},
      {"respond: no etag", RespondWith([](auto& r) { r.clear_etag(); }),
       StatusCode::INVALID_ARGUMENT, "etag"},
      {"respond: to the customer before anyone owns it",
       RespondWith([](auto& r) {
         r.set_request_id("bad-input-cmp-respond-new");
         r.set_visibility(cmv1::MESSAGE_VISIBILITY_CUSTOMER);
       }),
       StatusCode::FAILED_PRECONDITION, ""},
      // RecordCustomerContact.
      {"contact: unspecified outcome", ContactWith([](auto& r) {
         r.set_outcome(cmv1::CONTACT_OUTCOME_UNSPECIFIED);
       }),
       StatusCode::INVALID_ARGUMENT, "outcome"},
      {"contact: outcome 7", ContactWith([](auto& r) {
         r.set_outcome(static_cast<cmv1::ContactOutcome>(7));
       }),
       StatusCode::INVALID_ARGUMENT, "outcome"},
      {"contact: 5001-character note",
       ContactWith([=](auto& r) { r.set_note(k5001); }),
       StatusCode::INVALID_ARGUMENT, "note"},
      {"contact: missing request_id",
       ContactWith([](auto& r) { r.clear_request_id(); }),
       StatusCode::INVALID_ARGUMENT, "request_id"},
      // ProposeSolution.
      {"propose: unspecified remedy", ProposeWith([](auto& r) {
         r.mutable_solution()->set_remedy(cmv1::REMEDY_UNSPECIFIED);
       }),
       StatusCode::INVALID_ARGUMENT, "solution.remedy"},
      {"propose: remedy 99", ProposeWith([](auto& r) {
         r.mutable_solution()->set_remedy(static_cast<cmv1::Remedy>(99));
       }),
       StatusCode::INVALID_ARGUMENT, "solution.remedy"},
      {"propose: empty description",
       ProposeWith([](auto& r) { r.mutable_solution()->set_description(""); }),
       StatusCode::INVALID_ARGUMENT, "solution.description"},
      {"propose: 2001-character description", ProposeWith([=](auto& r) {
         r.mutable_solution()->set_description(k2001);
       }),
       StatusCode::INVALID_ARGUMENT, "solution.description"},
      {"propose: SQL in return id",
       ProposeWith([=](auto& r) { r.mutable_solution()->set_return_id(kSql); }),
       StatusCode::INVALID_ARGUMENT, "solution.return_id"},
      {"propose: on a NEW complaint", ProposeWith([](auto& r) {
         r.set_request_id("bad-input-cmp-propose-new");
       }),
       StatusCode::FAILED_PRECONDITION, ""},
      // ResolveComplaint.
      {"resolve: 2001-character note",
       ResolveWith([=](auto& r) { r.set_note(k2001); }),
       StatusCode::INVALID_ARGUMENT, "note"},
      {"resolve: no etag", ResolveWith([](auto& r) { r.clear_etag(); }),
       StatusCode::INVALID_ARGUMENT, "etag"},
      {"resolve: empty complaint id",
       ResolveWith([](auto& r) { r.clear_complaint_id(); }),
       StatusCode::INVALID_ARGUMENT, "complaint_id"},
      {"resolve: a NEW complaint", ResolveWith([](auto& r) {
         r.set_request_id("bad-input-cmp-resolve-new");
       }),
       StatusCode::FAILED_PRECONDITION, ""},
      // CloseComplaint.
      {"close: unspecified confirmation", CloseWith([](auto& r) {
         r.set_confirmation(cmv1::CONFIRMATION_UNSPECIFIED);
       }),
       StatusCode::INVALID_ARGUMENT, "confirmation"},
      {"close: confirmation 9", CloseWith([](auto& r) {
         r.set_confirmation(static_cast<cmv1::Confirmation>(9));
       }),
       StatusCode::INVALID_ARGUMENT, "confirmation"},
      {"close: score 6",
       CloseWith([](auto& r) { r.set_satisfaction_score(6); }),
       StatusCode::INVALID_ARGUMENT, "satisfaction_score"},
      {"close: score -1",
       CloseWith([](auto& r) { r.set_satisfaction_score(-1); }),
       StatusCode::INVALID_ARGUMENT, "satisfaction_score"},
      {"close: a score from an unreachable customer", CloseWith([](auto& r) {
         r.set_confirmation(cmv1::CONFIRMATION_UNREACHABLE);
       }),
       StatusCode::INVALID_ARGUMENT, "satisfaction_score"},
      {"close: 2001-character note",
       CloseWith([=](auto& r) { r.set_note(k2001); }),
       StatusCode::INVALID_ARGUMENT, "note"},
      {"close: a NEW complaint",
       CloseWith([](auto& r) { r.set_request_id("bad-input-cmp-close-new"); }),
       StatusCode::FAILED_PRECONDITION, ""},
      // ReopenComplaint.
      {"reopen: no reason", ReopenWith([](auto& r) { r.set_reason(""); }),
       StatusCode::INVALID_ARGUMENT, "reason"},
      {"reopen: 2001-character reason",
       ReopenWith([=](auto& r) { r.set_reason(k2001); }),
       StatusCode::INVALID_ARGUMENT, "reason"},
      {"reopen: a NEW complaint", ReopenWith([](auto& r) {
         r.set_request_id("bad-input-cmp-reopen-new");
       }),
       StatusCode::FAILED_PRECONDITION, ""},
      // EscalateComplaint.
      {"escalate: no reason", EscalateWith([](auto& r) { r.set_reason(" "); }),
       StatusCode::INVALID_ARGUMENT, "reason"},
      {"escalate: 2001-character reason",
       EscalateWith([=](auto& r) { r.set_reason(k2001); }),
       StatusCode::INVALID_ARGUMENT, "reason"},
      {"escalate: stale etag", EscalateWith([](auto& r) {
         r.set_request_id("bad-input-cmp-escalate-stale");
         r.set_etag("r0");
       }),
       StatusCode::FAILED_PRECONDITION, ""},
      {"escalate: another branch's complaint",
       EscalateWith(
           [](auto& r) { r.set_request_id("bad-input-cmp-escalate-b002"); },
           kBranch2),
       StatusCode::NOT_FOUND, ""},
      {"escalate: auditor", EscalateWith([](auto&) {}, kAuditor),
       StatusCode::PERMISSION_DENIED, ""},
      // ListComplaintHistory.
      {"history: empty complaint id",
       HistoryWith([](auto& r) { r.clear_complaint_id(); }),
       StatusCode::INVALID_ARGUMENT, "complaint_id"},
      {"history: page_size -1",
       HistoryWith([](auto& r) { r.set_page_size(-1); }),
       StatusCode::INVALID_ARGUMENT, "page_size"},
      {"history: forged page token", HistoryWith([](auto& r) {
         r.set_page_token("AQAAAAAAAAAFAAAAAAAAAAAAAAAAAAAAAA");
       }),
       StatusCode::INVALID_ARGUMENT, "page_token"},
      {"history: missing complaint",
       HistoryWith([=](auto& r) { r.set_complaint_id(kMissing); }),
       StatusCode::NOT_FOUND, ""},
      {"history: another branch's complaint",
       HistoryWith([](auto&) {}, kBranch2), StatusCode::NOT_FOUND, ""},
      // GetComplaintStats.
      {"stats: no start", StatsWith([](auto& r) { r.clear_start_time(); }),
       StatusCode::INVALID_ARGUMENT, "start_time"},
      {"stats: no end", StatsWith([](auto& r) { r.clear_end_time(); }),
       StatusCode::INVALID_ARGUMENT, "end_time"},
      {"stats: end before start", StatsWith([](auto& r) {
         r.mutable_end_time()->set_seconds(r.start_time().seconds() - 1);
       }),
       StatusCode::INVALID_ARGUMENT, "end_time"},
      {"stats: 367 days", StatsWith([](auto& r) {
         r.mutable_end_time()->set_seconds(r.start_time().seconds() +
                                           367 * 86400);
       }),
       StatusCode::INVALID_ARGUMENT, "end_time"},
      {"stats: start in year 10000", StatsWith([](auto& r) {
         r.mutable_start_time()->set_seconds(253402300800LL);
       }),
       StatusCode::INVALID_ARGUMENT, "start_time"},
      {"stats: top_problems 51",
       StatsWith([](auto& r) { r.set_top_problems(51); }),
       StatusCode::INVALID_ARGUMENT, "top_problems"},
      {"stats: top_problems -1",
       StatsWith([](auto& r) { r.set_top_problems(-1); }),
       StatusCode::INVALID_ARGUMENT, "top_problems"},
      {"stats: SQL in branch id",
       StatsWith([](auto& r) { r.set_branch_id("B001' OR '1'='1"); }),
       StatusCode::INVALID_ARGUMENT, "branch_id"},
      {"stats: a branch asking for another",
       StatsWith([](auto& r) { r.set_branch_id("B002"); }, kBranch1),
       StatusCode::PERMISSION_DENIED, ""},
      // GetSlaPolicy.
      {"policy: service token",
       [](Target& t) {
         return CallComplaints(t, &ComplaintStub::GetSlaPolicy, kCrm,
                               cmv1::GetSlaPolicyRequest());
       },
       StatusCode::PERMISSION_DENIED, ""},
      {"policy: no token",
       [](Target& t) {
         return CallComplaints(t, &ComplaintStub::GetSlaPolicy, "",
                               cmv1::GetSlaPolicyRequest());
       },
       StatusCode::UNAUTHENTICATED, ""},
      // UpdateSlaPolicy.
      {"update policy: missing request_id",
       UpdatePolicyWith([](auto& r) { r.clear_request_id(); }),
       StatusCode::INVALID_ARGUMENT, "request_id"},
      {"update policy: no etag",
       UpdatePolicyWith([](auto& r) { r.mutable_policy()->clear_etag(); }),
       StatusCode::INVALID_ARGUMENT, "policy.etag"},
      {"update policy: a severity missing", UpdatePolicyWith([](auto& r) {
         r.mutable_policy()->mutable_targets()->RemoveLast();
       }),
       StatusCode::INVALID_ARGUMENT, "policy.targets"},
      {"update policy: a severity twice", UpdatePolicyWith([](auto& r) {
         r.mutable_policy()->mutable_targets(1)->set_severity(
             cmv1::COMPLAINT_SEVERITY_MINOR);
       }),
       StatusCode::INVALID_ARGUMENT, "policy.targets[1].severity"},
      {"update policy: unspecified severity", UpdatePolicyWith([](auto& r) {
         r.mutable_policy()->mutable_targets(0)->set_severity(
             cmv1::COMPLAINT_SEVERITY_UNSPECIFIED);
       }),
       StatusCode::INVALID_ARGUMENT, "policy.targets[0].severity"},
      {"update policy: zero target", UpdatePolicyWith([](auto& r) {
         r.mutable_policy()
             ->mutable_targets(0)
             ->mutable_first_response()
             ->clear_duration();
       }),
       StatusCode::INVALID_ARGUMENT,
       "policy.targets[0].first_response.duration"},
      {"update policy: 91-day target", UpdatePolicyWith([](auto& r) {
         r.mutable_policy()
             ->mutable_targets(2)
             ->mutable_closure()
             ->mutable_duration()
             ->set_seconds(91 * 86400);
       }),
       StatusCode::INVALID_ARGUMENT, "policy.targets[2].closure.duration"},
      {"update policy: negative target", UpdatePolicyWith([](auto& r) {
         r.mutable_policy()
             ->mutable_targets(1)
             ->mutable_solution()
             ->mutable_duration()
             ->set_seconds(-3600);
       }),
       StatusCode::INVALID_ARGUMENT, "policy.targets[1].solution.duration"},
      {"update policy: INT64_MAX seconds", UpdatePolicyWith([](auto& r) {
         r.mutable_policy()
             ->mutable_targets(1)
             ->mutable_solution()
             ->mutable_duration()
             ->set_seconds(INT64_MAX);
       }),
       StatusCode::INVALID_ARGUMENT, "policy.targets[1].solution.duration"},
      {"update policy: near breach at 0%", UpdatePolicyWith([](auto& r) {
         r.mutable_policy()->set_near_breach_percent(0);
       }),
       StatusCode::INVALID_ARGUMENT, "policy.near_breach_percent"},
      {"update policy: near breach at 100%", UpdatePolicyWith([](auto& r) {
         r.mutable_policy()->set_near_breach_percent(100);
       }),
       StatusCode::INVALID_ARGUMENT, "policy.near_breach_percent"},
      {"update policy: 21 attempts", UpdatePolicyWith([](auto& r) {
         r.mutable_policy()->set_unreachable_attempts(21);
       }),
       StatusCode::INVALID_ARGUMENT, "policy.unreachable_attempts"},
      {"update policy: stale etag", UpdatePolicyWith([](auto& r) {
         r.set_request_id("bad-input-cmp-policy-stale");
         r.mutable_policy()->set_etag("v9");
       }),
       StatusCode::FAILED_PRECONDITION, ""},
      {"update policy: agent", UpdatePolicyWith([](auto&) {}, kAgent),
       StatusCode::PERMISSION_DENIED, ""},
      {"update policy: branch", UpdatePolicyWith([](auto&) {}, kBranch1),
       StatusCode::PERMISSION_DENIED, ""},
      // GetBranchCalendar.
      {"calendar: empty branch",
       [](Target& t) {
         return CallComplaints(t, &ComplaintStub::GetBranchCalendar, kAdmin,
                               cmv1::GetBranchCalendarRequest());
       },
       StatusCode::INVALID_ARGUMENT, "branch_id"},
      {"calendar: SQL in branch",
       [](Target& t) {
         cmv1::GetBranchCalendarRequest req;
         req.set_branch_id("B001'; DROP TABLE branch_calendars");
         return CallComplaints(t, &ComplaintStub::GetBranchCalendar, kAdmin,
                               req);
       },
       StatusCode::INVALID_ARGUMENT, "branch_id"},
      // UpdateBranchCalendar.
      {"set calendar: missing request_id",
       CalendarWith([](auto& r) { r.clear_request_id(); }),
       StatusCode::INVALID_ARGUMENT, "request_id"},
      {"set calendar: SQL in branch", CalendarWith([](auto& r) {
         r.mutable_calendar()->set_branch_id("B1' OR 1=1 --");
       }),
       StatusCode::INVALID_ARGUMENT, "calendar.branch_id"},
      {"set calendar: unknown time zone", CalendarWith([](auto& r) {
         r.mutable_calendar()->set_time_zone("Mars/Olympus_Mons");
       }),
       StatusCode::INVALID_ARGUMENT, "calendar.time_zone"},
      {"set calendar: day 8", CalendarWith([](auto& r) {
         r.mutable_calendar()->mutable_weekly_hours(0)->set_day_of_week(8);
       }),
       StatusCode::INVALID_ARGUMENT, "calendar.weekly_hours[0].day_of_week"},
      {"set calendar: a day twice", CalendarWith([](auto& r) {
         r.mutable_calendar()->mutable_weekly_hours(4)->set_day_of_week(1);
       }),
       StatusCode::INVALID_ARGUMENT, "calendar.weekly_hours[4].day_of_week"},
      {"set calendar: closing before opening", CalendarWith([](auto& r) {
         r.mutable_calendar()->mutable_weekly_hours(2)->set_close_minute(60);
       }),
       StatusCode::INVALID_ARGUMENT, "calendar.weekly_hours[2].close_minute"},
      {"set calendar: never open", CalendarWith([](auto& r) {
         r.mutable_calendar()->clear_weekly_hours();
       }),
       StatusCode::INVALID_ARGUMENT, "calendar.weekly_hours"},
      {"set calendar: 30 February", CalendarWith([](auto& r) {
         auto* d = r.mutable_calendar()->add_closed_dates();
         d->set_year(2026);
         d->set_month(2);
         d->set_day(30);
       }),
       StatusCode::INVALID_ARGUMENT, "calendar.closed_dates[0]"},
      {"set calendar: B001 setting B002's",
       CalendarWith(
           [](auto& r) { r.mutable_calendar()->set_branch_id("B002"); },
           kBranch1),
       StatusCode::PERMISSION_DENIED, ""},
      {"set calendar: agent", CalendarWith([](auto&) {}, kAgent),
       StatusCode::PERMISSION_DENIED, ""},
  };
}

// ---- FeedbackService -------------------------------------------------------

// The targets are the seeded survey (Target::survey_id: q1 a required
// RATING, q2 NPS, q3 SINGLE_CHOICE of 门店/网店, q4 MULTIPLE_CHOICE of
// 价格/质量/服务, q5 FREE_TEXT), a B001 feedback item of the existing
// customer (Target::feedback_id), a PENDING B001 follow-up of the existing
// customer (Target::follow_up_id) and a DONE one (Target::done_follow_up_id).
// Each builder makes a request that, unchanged, would be accepted; a row
// refused only inside the write says so and takes a request_id of its own.
template <typename Req, typename Resp>
grpc::Status CallFeedback(Target& t,
                          grpc::Status (FeedbackStub::*method)(
                              grpc::ClientContext*, const Req&, Resp*),
                          const std::string& token, const Req& req) {
  auto stub = fbv1::FeedbackService::NewStub(t.channel);
  Resp resp;
  return Call(*stub, method, token, req, &resp);
}

fbv1::Question SurveyQuestion(fbv1::QuestionType type, const char* text,
                              std::vector<std::string> choices, bool required) {
  fbv1::Question q;
  q.set_type(type);
  q.set_text(text);
  for (std::string& c : choices) q.add_choices(std::move(c));
  q.set_required(required);
  return q;
}

fbv1::CreateSurveyRequest ValidSurvey() {
  fbv1::CreateSurveyRequest req;
  req.set_request_id("bad-input-fb-survey");
  fbv1::Survey* s = req.mutable_survey();
  s->set_title("门店满意度调查");
  s->set_description("请为本次购物打分");
  *s->add_questions() = SurveyQuestion(fbv1::QUESTION_TYPE_RATING,
                                       "您对本次购物满意吗？", {}, true);
  *s->add_questions() = SurveyQuestion(fbv1::QUESTION_TYPE_NPS,
                                       "您会向朋友推荐我们吗？", {}, false);
  *s->add_questions() =
      SurveyQuestion(fbv1::QUESTION_TYPE_SINGLE_CHOICE, "您在哪里购物？",
                     {"门店", "网店"}, false);
  *s->add_questions() =
      SurveyQuestion(fbv1::QUESTION_TYPE_MULTIPLE_CHOICE, "您看重什么？",
                     {"价格", "质量", "服务"}, false);
  *s->add_questions() = SurveyQuestion(fbv1::QUESTION_TYPE_FREE_TEXT,
                                       "还有什么想说的？", {}, false);
  return req;
}

CaseCall CreateSurveyWith(
    std::function<void(fbv1::CreateSurveyRequest&)> mutate,
    std::string token = kAdmin) {
  return [mutate, token](Target& t) {
    fbv1::CreateSurveyRequest req = ValidSurvey();
    mutate(req);
    return CallFeedback(t, &FeedbackStub::CreateSurvey, token, req);
  };
}

CaseCall GetSurveyWith(std::function<void(fbv1::GetSurveyRequest&)> mutate,
                       std::string token = kAdmin) {
  return [mutate, token](Target& t) {
    fbv1::GetSurveyRequest req;
    req.set_survey_id(t.survey_id);
    mutate(req);
    return CallFeedback(t, &FeedbackStub::GetSurvey, token, req);
  };
}

CaseCall ListSurveysWith(
    std::function<void(fbv1::ListSurveysRequest&)> mutate) {
  return [mutate](Target& t) {
    fbv1::ListSurveysRequest req;
    mutate(req);
    return CallFeedback(t, &FeedbackStub::ListSurveys, kAdmin, req);
  };
}

// The existing customer answers every question of the seeded survey, for
// B001.
CaseCall RespondToSurveyWith(
    std::function<void(fbv1::SubmitSurveyResponseRequest&)> mutate,
    std::string token = kAdmin) {
  return [mutate, token](Target& t) {
    fbv1::SubmitSurveyResponseRequest req;
    req.set_request_id("bad-input-fb-response");
    fbv1::SurveyResponse* r = req.mutable_response();
    r->set_survey_id(t.survey_id);
    r->set_customer_id(t.existing_id);
    r->set_branch_id("B001");
    fbv1::Answer* a = r->add_answers();
    a->set_question_id("q1");
    a->set_rating(5);
    a = r->add_answers();
    a->set_question_id("q2");
    a->set_score(9);
    a->set_has_score(true);
    a = r->add_answers();
    a->set_question_id("q3");
    a->add_choices("门店");
    a = r->add_answers();
    a->set_question_id("q4");
    a->add_choices("价格");
    a->add_choices("质量");
    a = r->add_answers();
    a->set_question_id("q5");
    a->set_text("店员很热情，下次还来");
    mutate(req);
    return CallFeedback(t, &FeedbackStub::SubmitSurveyResponse, token, req);
  };
}

// Positive, rated feedback of the existing customer in B001: accepted
// unchanged, and escalates nothing.
CaseCall SubmitFeedbackWith(
    std::function<void(fbv1::SubmitFeedbackRequest&)> mutate,
    std::string token = kAdmin) {
  return [mutate, token](Target& t) {
    fbv1::SubmitFeedbackRequest req;
    req.set_request_id("bad-input-fb-submit");
    fbv1::FeedbackItem* f = req.mutable_feedback();
    f->set_kind(fbv1::FEEDBACK_KIND_PRODUCT_REVIEW);
    f->set_channel(fbv1::FEEDBACK_CHANNEL_IN_STORE);
    f->set_branch_id("B001");
    f->set_customer_id(t.existing_id);
    f->set_sku("SHIRT-M");
    f->set_rating(4);
    f->set_text("衬衫质量不错，很合身");
    mutate(req);
    return CallFeedback(t, &FeedbackStub::SubmitFeedback, token, req);
  };
}

CaseCall GetFeedbackWith(std::function<void(fbv1::GetFeedbackRequest&)> mutate,
                         std::string token = kAdmin) {
  return [mutate, token](Target& t) {
    fbv1::GetFeedbackRequest req;
    req.set_feedback_id(t.feedback_id);
    mutate(req);
    return CallFeedback(t, &FeedbackStub::GetFeedback, token, req);
  };
}

CaseCall ListFeedbackWith(
    std::function<void(fbv1::ListFeedbackRequest&)> mutate) {
  return [mutate](Target& t) {
    fbv1::ListFeedbackRequest req;
    mutate(req);
    return CallFeedback(t, &FeedbackStub::ListFeedback, kAdmin, req);
  };
}

// 2026-01-01 to 2026-01-31, every branch.
CaseCall ReportWith(
    std::function<void(fbv1::GetSatisfactionReportRequest&)> mutate,
    std::string token = kAdmin) {
  return [mutate, token](Target& t) {
    fbv1::GetSatisfactionReportRequest req;
    req.mutable_start_date()->set_year(2026);
    req.mutable_start_date()->set_month(1);
    req.mutable_start_date()->set_day(1);
    req.mutable_end_date()->set_year(2026);
    req.mutable_end_date()->set_month(1);
    req.mutable_end_date()->set_day(31);
    mutate(req);
    return CallFeedback(t, &FeedbackStub::GetSatisfactionReport, token, req);
  };
}

// A visit to the existing customer (home branch B001) after a purchase,
// due 2026-06-01, owned by agent-7.
CaseCall ScheduleWith(
    std::function<void(fbv1::ScheduleFollowUpRequest&)> mutate,
    std::string token = kAdmin) {
  return [mutate, token](Target& t) {
    fbv1::ScheduleFollowUpRequest req;
    req.set_request_id("bad-input-fb-schedule");
    fbv1::FollowUp* f = req.mutable_follow_up();
    f->set_customer_id(t.existing_id);
    f->set_reason(fbv1::FOLLOW_UP_REASON_AFTER_PURCHASE);
    f->mutable_due_time()->set_seconds(1780272000);
    f->set_owner_id("agent-7");
    mutate(req);
    return CallFeedback(t, &FeedbackStub::ScheduleFollowUp, token, req);
  };
}

CaseCall ListFollowUpsWith(
    std::function<void(fbv1::ListFollowUpsRequest&)> mutate,
    std::string token = kAdmin) {
  return [mutate, token](Target& t) {
    fbv1::ListFollowUpsRequest req;
    mutate(req);
    return CallFeedback(t, &FeedbackStub::ListFollowUps, token, req);
  };
}

// The pending follow-up made: reached, satisfied, will buy again.
CaseCall CompleteFollowUpWith(
    std::function<void(fbv1::CompleteFollowUpRequest&)> mutate,
    std::string token = kAdmin) {
  return [mutate, token](Target& t) {
    fbv1::CompleteFollowUpRequest req;
    req.set_request_id("bad-input-fb-complete");
    req.set_follow_up_id(t.follow_up_id);
    req.set_outcome(fbv1::FOLLOW_UP_OUTCOME_REACHED);
    req.set_satisfaction(5);
    req.set_repurchase_intent(fbv1::REPURCHASE_INTENT_YES);
    req.set_notes("客户很满意");
    mutate(req);
    return CallFeedback(t, &FeedbackStub::CompleteFollowUp, token, req);
  };
}

// Sends `bytes` to FeedbackService/`method` as they are: the typed stubs
// cannot encode invalid UTF-8.
CaseCall RawFeedback(std::string method, std::string bytes) {
  return [method, bytes](Target& t) {
    std::string response;
    return RawCall(t.channel, "/retail.feedback.v1.FeedbackService/" + method,
                   bytes, kAdmin, &response);
  };
}

std::string Repeat(absl::string_view s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out.append(s.data(), s.size());
  return out;
}

std::vector<BadInputCase> FeedbackCases() {
  using grpc::StatusCode;
  constexpr char kSql[] = "x' OR '1'='1";
  constexpr char kForged[] = "AQAAAAAAAAAFAAAAAAAAAAAAAAAAAAAAAA";
  constexpr char kMissingCustomer[] = "cus_01ARZ3NDEKTSV4RRFFQ69G5FAV";
  constexpr char kMissingOrder[] = "ord_01ARZ3NDEKTSV4RRFFQ69G5FAV";
  constexpr char kMissingComplaint[] = "cmp_01ARZ3NDEKTSV4RRFFQ69G5FAV";
  const std::string k65(65, 'i');
  const std::string k201(201, 't');
  const std::string k2001(2001, 'n');
  const std::string k5001(5001, 'x');
  const std::string k5001zh = Repeat("好", 5001);
  // A valid timestamp is years 1 to 9999.
  constexpr int64_t kYear10000 = 253402300800LL;
  return {
      // AnalyzeText (issue 11): its two rules, through the server.
      {"analyze: 5001 characters",
       [=](Target& t) {
         fbv1::AnalyzeTextRequest req;
         req.set_text(k5001zh);
         return CallFeedback(t, &FeedbackStub::AnalyzeText, kAdmin, req);
       },
       StatusCode::INVALID_ARGUMENT, "text"},
      {"analyze: invalid UTF-8 on the wire",
       RawFeedback("AnalyzeText", std::string("\x0a\x02\xff\xfe", 4)),
       StatusCode::INVALID_ARGUMENT, "request"},

      // CreateSurvey.
      {"survey: missing request_id",
       CreateSurveyWith([](auto& r) { r.clear_request_id(); }),
       StatusCode::INVALID_ARGUMENT, "request_id"},
      {"survey: request_id with spaces",
       CreateSurveyWith([](auto& r) { r.set_request_id("has spaces in it"); }),
       StatusCode::INVALID_ARGUMENT, "request_id"},
      {"survey: the seeded survey's request_id for another survey",
       CreateSurveyWith([](auto& r) {
         r.set_request_id("bad-input-seed-survey");
         r.mutable_survey()->set_title("另一份调查");
       }),
       StatusCode::INVALID_ARGUMENT, "request_id"},
      {"survey: no title",
       CreateSurveyWith([](auto& r) { r.mutable_survey()->clear_title(); }),
       StatusCode::INVALID_ARGUMENT, "survey.title"},
      {"survey: blank title", CreateSurveyWith([](auto& r) {
         r.mutable_survey()->set_title("\u3000 \u200b");
       }),
       StatusCode::INVALID_ARGUMENT, "survey.title"},
      {"survey: 201-character title",
       CreateSurveyWith([=](auto& r) { r.mutable_survey()->set_title(k201); }),
       StatusCode::INVALID_ARGUMENT, "survey.title"},
      {"survey: 201 Chinese characters of title", CreateSurveyWith([](auto& r) {
         r.mutable_survey()->set_title(Repeat("调", 201));
       }),
       StatusCode::INVALID_ARGUMENT, "survey.title"},
      {"survey: two-line title", CreateSurveyWith([](auto& r) {
         r.mutable_survey()->set_title("满意度\n调查");
       }),
       StatusCode::INVALID_ARGUMENT, "survey.title"},
      {"survey: control character in title", CreateSurveyWith([](auto& r) {
         r.mutable_survey()->set_title(std::string("满意度\x01调查", 16));
       }),
       StatusCode::INVALID_ARGUMENT, "survey.title"},
      {"survey: bidi override in title", CreateSurveyWith([](auto& r) {
         r.mutable_survey()->set_title("\u202e查调度意满");
       }),
       StatusCode::INVALID_ARGUMENT, "survey.title"},
      {"survey: 2001-character description", CreateSurveyWith([=](auto& r) {
         r.mutable_survey()->set_description(k2001);
       }),
       StatusCode::INVALID_ARGUMENT, "survey.description"},
      {"survey: escape sequence in description", CreateSurveyWith([](auto& r) {
         r.mutable_survey()->set_description("\x1b[31m红色\x1b[0m");
       }),
       StatusCode::INVALID_ARGUMENT, "survey.description"},
      {"survey: no questions",
       CreateSurveyWith([](auto& r) { r.mutable_survey()->clear_questions(); }),
       StatusCode::INVALID_ARGUMENT, "survey.questions"},
      {"survey: 51 questions", CreateSurveyWith([](auto& r) {
         while (r.survey().questions_size() < 51) {
           *r.mutable_survey()->add_questions() = r.survey().questions(0);
         }
       }),
       StatusCode::INVALID_ARGUMENT, "survey.questions"},
      {"survey: unspecified question type", CreateSurveyWith([](auto& r) {
         r.mutable_survey()->mutable_questions(0)->set_type(
             fbv1::QUESTION_TYPE_UNSPECIFIED);
       }),
       StatusCode::INVALID_ARGUMENT, "survey.questions[0].type"},
      {"survey: question type 99", CreateSurveyWith([](auto& r) {
         r.mutable_survey()->mutable_questions(1)->set_type(
             static_cast<fbv1::QuestionType>(99));
       }),
       StatusCode::INVALID_ARGUMENT, "survey.questions[1].type"},
      {"survey: question type -1", CreateSurveyWith([](auto& r) {
         r.mutable_survey()->mutable_questions(4)->set_type(
             static_cast<fbv1::QuestionType>(-1));
       }),
       StatusCode::INVALID_ARGUMENT, "survey.questions[4].type"},
      {"survey: empty question text", CreateSurveyWith([](auto& r) {
         r.mutable_survey()->mutable_questions(1)->set_text("");
       }),
       StatusCode::INVALID_ARGUMENT, "survey.questions[1].text"},
      {"survey: 501-character question text", CreateSurveyWith([](auto& r) {
         r.mutable_survey()->mutable_questions(1)->set_text(Repeat("问", 501));
       }),
       StatusCode::INVALID_ARGUMENT, "survey.questions[1].text"},
      {"survey: two-line question text", CreateSurveyWith([](auto& r) {
         r.mutable_survey()->mutable_questions(2)->set_text(
             "您在哪里\r\n购物？");
       }),
       StatusCode::INVALID_ARGUMENT, "survey.questions[2].text"},
      {"survey: a choice question with one choice",
       CreateSurveyWith([](auto& r) {
         r.mutable_survey()
             ->mutable_questions(2)
             ->mutable_choices()
             ->RemoveLast();
       }),
       StatusCode::INVALID_ARGUMENT, "survey.questions[2].choices"},
      {"survey: a choice question with no choices",
       CreateSurveyWith([](auto& r) {
         r.mutable_survey()->mutable_questions(3)->clear_choices();
       }),
       StatusCode::INVALID_ARGUMENT, "survey.questions[3].choices"},
      {"survey: 21 choices", CreateSurveyWith([](auto& r) {
         fbv1::Question* q = r.mutable_survey()->mutable_questions(3);
         q->clear_choices();
         for (int i = 0; i < 21; ++i) q->add_choices(absl::StrCat("选项", i));
       }),
       StatusCode::INVALID_ARGUMENT, "survey.questions[3].choices"},
      {"survey: choices on a rating question", CreateSurveyWith([](auto& r) {
         r.mutable_survey()->mutable_questions(0)->add_choices("好");
         r.mutable_survey()->mutable_questions(0)->add_choices("坏");
       }),
       StatusCode::INVALID_ARGUMENT, "survey.questions[0].choices"},
      {"survey: choices on a free-text question", CreateSurveyWith([](auto& r) {
         r.mutable_survey()->mutable_questions(4)->add_choices("无");
       }),
       StatusCode::INVALID_ARGUMENT, "survey.questions[4].choices"},
      {"survey: empty choice", CreateSurveyWith([](auto& r) {
         r.mutable_survey()->mutable_questions(2)->set_choices(1, "");
       }),
       StatusCode::INVALID_ARGUMENT, "survey.questions[2].choices[1]"},
      {"survey: blank choice", CreateSurveyWith([](auto& r) {
         r.mutable_survey()->mutable_questions(3)->set_choices(0, "\u3000");
       }),
       StatusCode::INVALID_ARGUMENT, "survey.questions[3].choices[0]"},
      {"survey: 101-character choice", CreateSurveyWith([](auto& r) {
         r.mutable_survey()->mutable_questions(3)->set_choices(
             2, Repeat("选", 101));
       }),
       StatusCode::INVALID_ARGUMENT, "survey.questions[3].choices[2]"},
      {"survey: two-line choice", CreateSurveyWith([](auto& r) {
         r.mutable_survey()->mutable_questions(2)->set_choices(0, "门\n店");
       }),
       StatusCode::INVALID_ARGUMENT, "survey.questions[2].choices[0]"},
      {"survey: a choice twice", CreateSurveyWith([](auto& r) {
         r.mutable_survey()->mutable_questions(3)->set_choices(2, "价格");
       }),
       StatusCode::INVALID_ARGUMENT, "survey.questions[3].choices[2]"},
      {"survey: a choice twice once trimmed", CreateSurveyWith([](auto& r) {
         r.mutable_survey()->mutable_questions(2)->set_choices(1,
                                                               " 门店\u3000");
       }),
       StatusCode::INVALID_ARGUMENT, "survey.questions[2].choices[1]"},
      {"survey: every bad field named",
       [](Target& t) {
         fbv1::CreateSurveyRequest req = ValidSurvey();
         fbv1::Survey* s = req.mutable_survey();
         s->set_title("");
         s->mutable_questions(0)->set_type(fbv1::QUESTION_TYPE_UNSPECIFIED);
         s->mutable_questions(1)->set_text("");
         s->mutable_questions(2)->mutable_choices()->RemoveLast();
         s->mutable_questions(3)->set_choices(1, "价格");
         grpc::Status st =
             CallFeedback(t, &FeedbackStub::CreateSurvey, kAdmin, req);
         EXPECT_THAT(
             DetailsOf(st).fields,
             ::testing::IsSupersetOf(
                 {"survey.title", "survey.questions[0].type",
                  "survey.questions[1].text", "survey.questions[2].choices",
                  "survey.questions[3].choices[1]"}));
         return st;
       },
       StatusCode::INVALID_ARGUMENT, "survey.title"},
      {"survey: invalid UTF-8 on the wire",
       // CreateSurveyRequest{survey{title: 0xC3 0x28}}.
       RawFeedback("CreateSurvey", std::string("\x0a\x04\x12\x02\xc3\x28", 6)),
       StatusCode::INVALID_ARGUMENT, "request"},
      {"survey: a branch may not create one",
       CreateSurveyWith([](auto&) {}, kBranch1), StatusCode::PERMISSION_DENIED,
       ""},
      {"survey: an auditor may not create one",
       CreateSurveyWith([](auto&) {}, kAuditor), StatusCode::PERMISSION_DENIED,
       ""},
      {"survey: no token", CreateSurveyWith([](auto&) {}, ""),
       StatusCode::UNAUTHENTICATED, ""},

      // GetSurvey.
      {"get survey: empty id",
       GetSurveyWith([](auto& r) { r.clear_survey_id(); }),
       StatusCode::INVALID_ARGUMENT, "survey_id"},
      {"get survey: 65-character id",
       GetSurveyWith([=](auto& r) { r.set_survey_id(k65); }),
       StatusCode::INVALID_ARGUMENT, "survey_id"},
      {"get survey: SQL in id",
       GetSurveyWith([=](auto& r) { r.set_survey_id(kSql); }),
       StatusCode::INVALID_ARGUMENT, "survey_id"},
      {"get survey: path in id",
       GetSurveyWith([](auto& r) { r.set_survey_id("srv/../surveys"); }),
       StatusCode::INVALID_ARGUMENT, "survey_id"},
      {"get survey: non-ASCII id",
       GetSurveyWith([](auto& r) { r.set_survey_id("srv_调查"); }),
       StatusCode::INVALID_ARGUMENT, "survey_id"},
      {"get survey: invalid UTF-8 on the wire",
       RawFeedback("GetSurvey", std::string("\x0a\x02\xc3\x28", 4)),
       StatusCode::INVALID_ARGUMENT, "request"},
      {"get survey: missing", GetSurveyWith([](auto& r) {
         r.set_survey_id("srv_01ARZ3NDEKTSV4RRFFQ69G5FAV");
       }),
       StatusCode::NOT_FOUND, ""},
      {"get survey: service token", GetSurveyWith([](auto&) {}, kCrm),
       StatusCode::PERMISSION_DENIED, ""},

      // ListSurveys.
      {"list surveys: page_size -1",
       ListSurveysWith([](auto& r) { r.set_page_size(-1); }),
       StatusCode::INVALID_ARGUMENT, "page_size"},
      {"list surveys: page_size INT32_MIN",
       ListSurveysWith([](auto& r) { r.set_page_size(INT32_MIN); }),
       StatusCode::INVALID_ARGUMENT, "page_size"},
      {"list surveys: forged page token",
       ListSurveysWith([=](auto& r) { r.set_page_token(kForged); }),
       StatusCode::INVALID_ARGUMENT, "page_token"},
      {"list surveys: garbage page token",
       ListSurveysWith([](auto& r) { r.set_page_token("!!!not base64!!!"); }),
       StatusCode::INVALID_ARGUMENT, "page_token"},
      {"list surveys: ListFeedback's page token",
       [](Target& t) {
         return ListSurveysWith(
             [&t](auto& r) { r.set_page_token(t.feedback_page_token); })(t);
       },
       StatusCode::INVALID_ARGUMENT, "page_token"},

      // SubmitSurveyResponse.
      {"response: missing request_id",
       RespondToSurveyWith([](auto& r) { r.clear_request_id(); }),
       StatusCode::INVALID_ARGUMENT, "request_id"},
      {"response: no survey", RespondToSurveyWith([](auto& r) {
         r.mutable_response()->clear_survey_id();
       }),
       StatusCode::INVALID_ARGUMENT, "response.survey_id"},
      {"response: SQL in survey id", RespondToSurveyWith([=](auto& r) {
         r.mutable_response()->set_survey_id(kSql);
       }),
       StatusCode::INVALID_ARGUMENT, "response.survey_id"},
      {"response: no customer", RespondToSurveyWith([](auto& r) {
         r.mutable_response()->clear_customer_id();
       }),
       StatusCode::INVALID_ARGUMENT, "response.customer_id"},
      {"response: 65-character customer id", RespondToSurveyWith([=](auto& r) {
         r.mutable_response()->set_customer_id(k65);
       }),
       StatusCode::INVALID_ARGUMENT, "response.customer_id"},
      {"response: no branch", RespondToSurveyWith([](auto& r) {
         r.mutable_response()->clear_branch_id();
       }),
       StatusCode::INVALID_ARGUMENT, "response.branch_id"},
      {"response: SQL in branch id", RespondToSurveyWith([](auto& r) {
         r.mutable_response()->set_branch_id("B1'; DROP TABLE surveys");
       }),
       StatusCode::INVALID_ARGUMENT, "response.branch_id"},
      {"response: SQL in order id", RespondToSurveyWith([=](auto& r) {
         r.mutable_response()->set_order_id(kSql);
       }),
       StatusCode::INVALID_ARGUMENT, "response.order_id"},
      {"response: tab in complaint id", RespondToSurveyWith([](auto& r) {
         r.mutable_response()->set_complaint_id("cmp_\t1");
       }),
       StatusCode::INVALID_ARGUMENT, "response.complaint_id"},
      {"response: about an order and a complaint",
       [](Target& t) {
         return RespondToSurveyWith([&t](auto& r) {
           r.mutable_response()->set_order_id(t.paid_order_id);
           r.mutable_response()->set_complaint_id(t.complaint_id);
         })(t);
       },
       StatusCode::INVALID_ARGUMENT, "response.complaint_id"},
      {"response: no answers", RespondToSurveyWith([](auto& r) {
         r.mutable_response()->clear_answers();
       }),
       StatusCode::INVALID_ARGUMENT, "response.answers"},
      {"response: 51 answers", RespondToSurveyWith([](auto& r) {
         while (r.response().answers_size() < 51) {
           *r.mutable_response()->add_answers() = r.response().answers(0);
         }
       }),
       StatusCode::INVALID_ARGUMENT, "response.answers"},
      {"response: a question the survey does not have",
       RespondToSurveyWith([](auto& r) {
         r.mutable_response()->mutable_answers(4)->set_question_id("q6");
       }),
       StatusCode::INVALID_ARGUMENT, "response.answers[4].question_id"},
      {"response: an answer naming no question",
       RespondToSurveyWith([](auto& r) {
         r.mutable_response()->mutable_answers(1)->clear_question_id();
       }),
       StatusCode::INVALID_ARGUMENT, "response.answers[1].question_id"},
      {"response: 10 KiB question id",
       [](Target& t) {
         grpc::Status s = RespondToSurveyWith([](auto& r) {
           r.mutable_response()->mutable_answers(2)->set_question_id(
               std::string(10 * 1024, 'q'));
         })(t);
         // Never echo unbounded input.
         EXPECT_LT(s.error_message().size(), 300u);
         return s;
       },
       StatusCode::INVALID_ARGUMENT, "response.answers[2].question_id"},
      {"response: a question answered twice", RespondToSurveyWith([](auto& r) {
         *r.mutable_response()->add_answers() = r.response().answers(0);
       }),
       StatusCode::INVALID_ARGUMENT, "response.answers[5].question_id"},
      {"response: a required question unanswered",
       RespondToSurveyWith([](auto& r) {
         r.mutable_response()->mutable_answers()->erase(
             r.mutable_response()->mutable_answers()->begin());
       }),
       StatusCode::INVALID_ARGUMENT, "response.answers"},
      {"response: rating 0", RespondToSurveyWith([](auto& r) {
         r.mutable_response()->mutable_answers(0)->set_rating(0);
       }),
       StatusCode::INVALID_ARGUMENT, "response.answers[0].rating"},
      {"response: rating 6", RespondToSurveyWith([](auto& r) {
         r.mutable_response()->mutable_answers(0)->set_rating(6);
       }),
       StatusCode::INVALID_ARGUMENT, "response.answers[0].rating"},
      {"response: rating INT32_MIN", RespondToSurveyWith([](auto& r) {
         r.mutable_response()->mutable_answers(0)->set_rating(INT32_MIN);
       }),
       StatusCode::INVALID_ARGUMENT, "response.answers[0].rating"},
      {"response: a score on a rating question",
       RespondToSurveyWith([](auto& r) {
         r.mutable_response()->mutable_answers(0)->set_score(5);
       }),
       StatusCode::INVALID_ARGUMENT, "response.answers[0].score"},
      {"response: has_score on a rating question",
       RespondToSurveyWith([](auto& r) {
         r.mutable_response()->mutable_answers(0)->set_has_score(true);
       }),
       StatusCode::INVALID_ARGUMENT, "response.answers[0].score"},
      {"response: text on a rating question", RespondToSurveyWith([](auto& r) {
         r.mutable_response()->mutable_answers(0)->set_text("很好");
       }),
       StatusCode::INVALID_ARGUMENT, "response.answers[0].text"},
      {"response: NPS without has_score", RespondToSurveyWith([](auto& r) {
         r.mutable_response()->mutable_answers(1)->set_has_score(false);
       }),
       StatusCode::INVALID_ARGUMENT, "response.answers[1].has_score"},
      {"response: NPS 11", RespondToSurveyWith([](auto& r) {
         r.mutable_response()->mutable_answers(1)->set_score(11);
       }),
       StatusCode::INVALID_ARGUMENT, "response.answers[1].score"},
      {"response: NPS -1", RespondToSurveyWith([](auto& r) {
         r.mutable_response()->mutable_answers(1)->set_score(-1);
       }),
       StatusCode::INVALID_ARGUMENT, "response.answers[1].score"},
      {"response: NPS INT32_MAX", RespondToSurveyWith([](auto& r) {
         r.mutable_response()->mutable_answers(1)->set_score(INT32_MAX);
       }),
       StatusCode::INVALID_ARGUMENT, "response.answers[1].score"},
      {"response: a rating on an NPS question",
       RespondToSurveyWith([](auto& r) {
         r.mutable_response()->mutable_answers(1)->set_rating(5);
       }),
       StatusCode::INVALID_ARGUMENT, "response.answers[1].rating"},
      {"response: a choice on an NPS question",
       RespondToSurveyWith([](auto& r) {
         r.mutable_response()->mutable_answers(1)->add_choices("门店");
       }),
       StatusCode::INVALID_ARGUMENT, "response.answers[1].choices"},
      {"response: two choices of a single choice",
       RespondToSurveyWith([](auto& r) {
         r.mutable_response()->mutable_answers(2)->add_choices("网店");
       }),
       StatusCode::INVALID_ARGUMENT, "response.answers[2].choices"},
      {"response: no choice of a single choice",
       RespondToSurveyWith([](auto& r) {
         r.mutable_response()->mutable_answers(2)->clear_choices();
       }),
       StatusCode::INVALID_ARGUMENT, "response.answers[2].choices"},
      {"response: a choice the question does not offer",
       RespondToSurveyWith([](auto& r) {
         r.mutable_response()->mutable_answers(2)->set_choices(0, "电话");
       }),
       StatusCode::INVALID_ARGUMENT, "response.answers[2].choices[0]"},
      {"response: SQL as a choice", RespondToSurveyWith([=](auto& r) {
         r.mutable_response()->mutable_answers(2)->set_choices(0, kSql);
       }),
       StatusCode::INVALID_ARGUMENT, "response.answers[2].choices[0]"},
      {"response: no choice of a multiple choice",
       RespondToSurveyWith([](auto& r) {
         r.mutable_response()->mutable_answers(3)->clear_choices();
       }),
       StatusCode::INVALID_ARGUMENT, "response.answers[3].choices"},
      {"response: a choice picked twice", RespondToSurveyWith([](auto& r) {
         r.mutable_response()->mutable_answers(3)->set_choices(1, "价格");
       }),
       StatusCode::INVALID_ARGUMENT, "response.answers[3].choices[1]"},
      {"response: an unknown choice among several",
       RespondToSurveyWith([](auto& r) {
         r.mutable_response()->mutable_answers(3)->add_choices("包装");
       }),
       StatusCode::INVALID_ARGUMENT, "response.answers[3].choices[2]"},
      {"response: 30 picks of a multiple choice",
       RespondToSurveyWith([](auto& r) {
         fbv1::Answer* a = r.mutable_response()->mutable_answers(3);
         while (a->choices_size() < 30) a->add_choices("服务");
       }),
       StatusCode::INVALID_ARGUMENT, "response.answers[3].choices[3]"},
      {"response: a rating on a choice question",
       RespondToSurveyWith([](auto& r) {
         r.mutable_response()->mutable_answers(3)->set_rating(3);
       }),
       StatusCode::INVALID_ARGUMENT, "response.answers[3].rating"},
      {"response: empty free text", RespondToSurveyWith([](auto& r) {
         r.mutable_response()->mutable_answers(4)->clear_text();
       }),
       StatusCode::INVALID_ARGUMENT, "response.answers[4].text"},
      {"response: blank free text", RespondToSurveyWith([](auto& r) {
         r.mutable_response()->mutable_answers(4)->set_text(" \u3000\n");
       }),
       StatusCode::INVALID_ARGUMENT, "response.answers[4].text"},
      {"response: 5001 characters of free text",
       RespondToSurveyWith([=](auto& r) {
         r.mutable_response()->mutable_answers(4)->set_text(k5001zh);
       }),
       StatusCode::INVALID_ARGUMENT, "response.answers[4].text"},
      {"response: a NUL in free text", RespondToSurveyWith([](auto& r) {
         r.mutable_response()->mutable_answers(4)->set_text(
             std::string("很好\0很好", 13));
       }),
       StatusCode::INVALID_ARGUMENT, "response.answers[4].text"},
      {"response: a C1 control in free text", RespondToSurveyWith([](auto& r) {
         r.mutable_response()->mutable_answers(4)->set_text("很好\xc2\x85很好");
       }),
       StatusCode::INVALID_ARGUMENT, "response.answers[4].text"},
      {"response: a score on a free-text question",
       RespondToSurveyWith([](auto& r) {
         r.mutable_response()->mutable_answers(4)->set_has_score(true);
         r.mutable_response()->mutable_answers(4)->set_score(10);
       }),
       StatusCode::INVALID_ARGUMENT, "response.answers[4].score"},
      {"response: every bad answer named",
       [](Target& t) {
         grpc::Status s = RespondToSurveyWith([](auto& r) {
           fbv1::SurveyResponse* resp = r.mutable_response();
           resp->mutable_answers(0)->set_rating(9);
           resp->mutable_answers(1)->set_score(12);
           resp->mutable_answers(2)->set_choices(0, "电话");
           resp->mutable_answers(3)->clear_choices();
           resp->mutable_answers(4)->clear_text();
         })(t);
         EXPECT_THAT(
             DetailsOf(s).fields,
             ::testing::IsSupersetOf(
                 {"response.answers[0].rating", "response.answers[1].score",
                  "response.answers[2].choices[0]",
                  "response.answers[3].choices", "response.answers[4].text"}));
         return s;
       },
       StatusCode::INVALID_ARGUMENT, "response.answers[0].rating"},
      {"response: invalid UTF-8 on the wire",
       // SubmitSurveyResponseRequest{response{answers{text: 0xC3 0x28}}}.
       RawFeedback("SubmitSurveyResponse",
                   std::string("\x0a\x06\x3a\x04\x32\x02\xc3\x28", 8)),
       StatusCode::INVALID_ARGUMENT, "request"},
      {"response: unknown survey", RespondToSurveyWith([](auto& r) {
         r.mutable_response()->set_survey_id("srv_01ARZ3NDEKTSV4RRFFQ69G5FAV");
       }),
       StatusCode::NOT_FOUND, ""},
      {"response: unknown customer", RespondToSurveyWith([=](auto& r) {
         // Found inside the write: a request_id of its own.
         r.set_request_id("bad-input-fb-response-nobody");
         r.mutable_response()->set_customer_id(kMissingCustomer);
       }),
       StatusCode::NOT_FOUND, ""},
      {"response: unknown order", RespondToSurveyWith([=](auto& r) {
         r.set_request_id("bad-input-fb-response-noorder");
         r.mutable_response()->set_order_id(kMissingOrder);
       }),
       StatusCode::NOT_FOUND, ""},
      {"response: unknown complaint", RespondToSurveyWith([=](auto& r) {
         r.set_request_id("bad-input-fb-response-nocmp");
         r.mutable_response()->set_complaint_id(kMissingComplaint);
       }),
       StatusCode::NOT_FOUND, ""},
      {"response: a walk-in order is not the customer's",
       [](Target& t) {
         return RespondToSurveyWith([&t](auto& r) {
           r.set_request_id("bad-input-fb-response-walkin");
           r.mutable_response()->set_order_id(t.order_id);
         })(t);
       },
       StatusCode::FAILED_PRECONDITION, ""},
      {"response: branch B001 recording for B002",
       RespondToSurveyWith(
           [](auto& r) { r.mutable_response()->set_branch_id("B002"); },
           kBranch1),
       StatusCode::PERMISSION_DENIED, ""},
      {"response: an auditor may not record",
       RespondToSurveyWith([](auto&) {}, kAuditor),
       StatusCode::PERMISSION_DENIED, ""},

      // SubmitFeedback.
      {"feedback: missing request_id",
       SubmitFeedbackWith([](auto& r) { r.clear_request_id(); }),
       StatusCode::INVALID_ARGUMENT, "request_id"},
      {"feedback: a seeded item's request_id for other feedback",
       SubmitFeedbackWith(
           [](auto& r) { r.set_request_id("bad-input-seed-fb-1"); }),
       StatusCode::INVALID_ARGUMENT, "request_id"},
      {"feedback: unspecified kind", SubmitFeedbackWith([](auto& r) {
         r.mutable_feedback()->set_kind(fbv1::FEEDBACK_KIND_UNSPECIFIED);
       }),
       StatusCode::INVALID_ARGUMENT, "feedback.kind"},
      {"feedback: kind 99", SubmitFeedbackWith([](auto& r) {
         r.mutable_feedback()->set_kind(static_cast<fbv1::FeedbackKind>(99));
       }),
       StatusCode::INVALID_ARGUMENT, "feedback.kind"},
      {"feedback: unspecified channel", SubmitFeedbackWith([](auto& r) {
         r.mutable_feedback()->set_channel(fbv1::FEEDBACK_CHANNEL_UNSPECIFIED);
       }),
       StatusCode::INVALID_ARGUMENT, "feedback.channel"},
      {"feedback: channel -1", SubmitFeedbackWith([](auto& r) {
         r.mutable_feedback()->set_channel(
             static_cast<fbv1::FeedbackChannel>(-1));
       }),
       StatusCode::INVALID_ARGUMENT, "feedback.channel"},
      {"feedback: channel 8", SubmitFeedbackWith([](auto& r) {
         r.mutable_feedback()->set_channel(
             static_cast<fbv1::FeedbackChannel>(8));
       }),
       StatusCode::INVALID_ARGUMENT, "feedback.channel"},
      {"feedback: no branch", SubmitFeedbackWith([](auto& r) {
         r.mutable_feedback()->clear_branch_id();
       }),
       StatusCode::INVALID_ARGUMENT, "feedback.branch_id"},
      {"feedback: SQL in branch id", SubmitFeedbackWith([](auto& r) {
         r.mutable_feedback()->set_branch_id("B1'; DROP TABLE feedback_items");
       }),
       StatusCode::INVALID_ARGUMENT, "feedback.branch_id"},
      {"feedback: SQL in customer id", SubmitFeedbackWith([=](auto& r) {
         r.mutable_feedback()->set_customer_id(kSql);
       }),
       StatusCode::INVALID_ARGUMENT, "feedback.customer_id"},
      {"feedback: 65-character customer id", SubmitFeedbackWith([=](auto& r) {
         r.mutable_feedback()->set_customer_id(k65);
       }),
       StatusCode::INVALID_ARGUMENT, "feedback.customer_id"},
      {"feedback: 65-character sku", SubmitFeedbackWith([](auto& r) {
         r.mutable_feedback()->set_sku(std::string(65, 's'));
       }),
       StatusCode::INVALID_ARGUMENT, "feedback.sku"},
      {"feedback: blank sku", SubmitFeedbackWith([](auto& r) {
         r.mutable_feedback()->set_sku("\u3000");
       }),
       StatusCode::INVALID_ARGUMENT, "feedback.sku"},
      {"feedback: two-line sku", SubmitFeedbackWith([](auto& r) {
         r.mutable_feedback()->set_sku("SHIRT\nM");
       }),
       StatusCode::INVALID_ARGUMENT, "feedback.sku"},
      {"feedback: SQL in order id", SubmitFeedbackWith([=](auto& r) {
         r.mutable_feedback()->set_order_id(kSql);
       }),
       StatusCode::INVALID_ARGUMENT, "feedback.order_id"},
      {"feedback: an order without a customer",
       [](Target& t) {
         return SubmitFeedbackWith([&t](auto& r) {
           r.mutable_feedback()->clear_customer_id();
           r.mutable_feedback()->set_order_id(t.paid_order_id);
         })(t);
       },
       StatusCode::INVALID_ARGUMENT, "feedback.order_id"},
      {"feedback: rating 6",
       SubmitFeedbackWith([](auto& r) { r.mutable_feedback()->set_rating(6); }),
       StatusCode::INVALID_ARGUMENT, "feedback.rating"},
      {"feedback: rating -1", SubmitFeedbackWith([](auto& r) {
         r.mutable_feedback()->set_rating(-1);
       }),
       StatusCode::INVALID_ARGUMENT, "feedback.rating"},
      {"feedback: rating INT32_MAX", SubmitFeedbackWith([](auto& r) {
         r.mutable_feedback()->set_rating(INT32_MAX);
       }),
       StatusCode::INVALID_ARGUMENT, "feedback.rating"},
      {"feedback: no text",
       SubmitFeedbackWith([](auto& r) { r.mutable_feedback()->clear_text(); }),
       StatusCode::INVALID_ARGUMENT, "feedback.text"},
      {"feedback: blank text", SubmitFeedbackWith([](auto& r) {
         r.mutable_feedback()->set_text("\u3000\u200b \t");
       }),
       StatusCode::INVALID_ARGUMENT, "feedback.text"},
      {"feedback: 5001-character text", SubmitFeedbackWith([=](auto& r) {
         r.mutable_feedback()->set_text(k5001);
       }),
       StatusCode::INVALID_ARGUMENT, "feedback.text"},
      {"feedback: 5001 Chinese characters of text",
       SubmitFeedbackWith(
           [=](auto& r) { r.mutable_feedback()->set_text(k5001zh); }),
       StatusCode::INVALID_ARGUMENT, "feedback.text"},
      {"feedback: escape sequence in text", SubmitFeedbackWith([](auto& r) {
         r.mutable_feedback()->set_text("质量\x1b[2J很差");
       }),
       StatusCode::INVALID_ARGUMENT, "feedback.text"},
      {"feedback: DEL in text", SubmitFeedbackWith([](auto& r) {
         r.mutable_feedback()->set_text("质量\x7f很差");
       }),
       StatusCode::INVALID_ARGUMENT, "feedback.text"},
      {"feedback: every bad field named",
       [](Target& t) {
         grpc::Status s = SubmitFeedbackWith([](auto& r) {
           fbv1::FeedbackItem* f = r.mutable_feedback();
           f->set_kind(static_cast<fbv1::FeedbackKind>(9));
           f->set_channel(fbv1::FEEDBACK_CHANNEL_UNSPECIFIED);
           f->set_sku(std::string(65, 's'));
           f->set_rating(7);
           f->set_text("");
         })(t);
         EXPECT_THAT(DetailsOf(s).fields,
                     ::testing::IsSupersetOf(
                         {"feedback.kind", "feedback.channel", "feedback.sku",
                          "feedback.rating", "feedback.text"}));
         return s;
       },
       StatusCode::INVALID_ARGUMENT, "feedback.kind"},
      {"feedback: invalid UTF-8 on the wire",
       // SubmitFeedbackRequest{feedback{text: 0xC3 0x28}}.
       RawFeedback("SubmitFeedback",
                   std::string("\x0a\x04\x4a\x02\xc3\x28", 6)),
       StatusCode::INVALID_ARGUMENT, "request"},
      {"feedback: unknown customer", SubmitFeedbackWith([=](auto& r) {
         r.set_request_id("bad-input-fb-submit-nobody");
         r.mutable_feedback()->set_customer_id(kMissingCustomer);
       }),
       StatusCode::NOT_FOUND, ""},
      {"feedback: unknown order", SubmitFeedbackWith([=](auto& r) {
         r.set_request_id("bad-input-fb-submit-noorder");
         r.mutable_feedback()->set_order_id(kMissingOrder);
       }),
       StatusCode::NOT_FOUND, ""},
      {"feedback: a walk-in order is not the customer's",
       [](Target& t) {
         return SubmitFeedbackWith([&t](auto& r) {
           r.set_request_id("bad-input-fb-submit-walkin");
           r.mutable_feedback()->set_order_id(t.order_id);
         })(t);
       },
       StatusCode::FAILED_PRECONDITION, ""},
      {"feedback: branch B001 recording for B002",
       SubmitFeedbackWith(
           [](auto& r) { r.mutable_feedback()->set_branch_id("B002"); },
           kBranch1),
       StatusCode::PERMISSION_DENIED, ""},
      {"feedback: an auditor may not record",
       SubmitFeedbackWith([](auto&) {}, kAuditor),
       StatusCode::PERMISSION_DENIED, ""},
      {"feedback: no token", SubmitFeedbackWith([](auto&) {}, ""),
       StatusCode::UNAUTHENTICATED, ""},
      {"deadline already expired: submit feedback",
       ExpiredAt("/retail.feedback.v1.FeedbackService/SubmitFeedback", kAdmin,
                 [](Target& t) {
                   auto req = std::make_unique<fbv1::SubmitFeedbackRequest>();
                   req->set_request_id("bad-input-fb-submit-expired");
                   fbv1::FeedbackItem* f = req->mutable_feedback();
                   f->set_kind(fbv1::FEEDBACK_KIND_COMMENT);
                   f->set_channel(fbv1::FEEDBACK_CHANNEL_APP);
                   f->set_branch_id("B001");
                   f->set_customer_id(t.existing_id);
                   f->set_rating(5);
                   f->set_text("很好");
                   return req;
                 }),
       StatusCode::DEADLINE_EXCEEDED, ""},

      // GetFeedback.
      {"get feedback: empty id",
       GetFeedbackWith([](auto& r) { r.clear_feedback_id(); }),
       StatusCode::INVALID_ARGUMENT, "feedback_id"},
      {"get feedback: 65-character id",
       GetFeedbackWith([=](auto& r) { r.set_feedback_id(k65); }),
       StatusCode::INVALID_ARGUMENT, "feedback_id"},
      {"get feedback: SQL in id",
       GetFeedbackWith([=](auto& r) { r.set_feedback_id(kSql); }),
       StatusCode::INVALID_ARGUMENT, "feedback_id"},
      {"get feedback: percent wildcard in id",
       GetFeedbackWith([](auto& r) { r.set_feedback_id("fbk_%"); }),
       StatusCode::INVALID_ARGUMENT, "feedback_id"},
      {"get feedback: missing", GetFeedbackWith([](auto& r) {
         r.set_feedback_id("fbk_01ARZ3NDEKTSV4RRFFQ69G5FAV");
       }),
       StatusCode::NOT_FOUND, ""},
      {"get feedback: another branch's",
       GetFeedbackWith([](auto&) {}, kBranch2), StatusCode::NOT_FOUND, ""},
      {"get feedback: service token", GetFeedbackWith([](auto&) {}, kCrm),
       StatusCode::PERMISSION_DENIED, ""},

      // ListFeedback.
      {"list feedback: page_size -1",
       ListFeedbackWith([](auto& r) { r.set_page_size(-1); }),
       StatusCode::INVALID_ARGUMENT, "page_size"},
      {"list feedback: page_size INT32_MIN",
       ListFeedbackWith([](auto& r) { r.set_page_size(INT32_MIN); }),
       StatusCode::INVALID_ARGUMENT, "page_size"},
      {"list feedback: forged page token",
       ListFeedbackWith([=](auto& r) { r.set_page_token(kForged); }),
       StatusCode::INVALID_ARGUMENT, "page_token"},
      {"list feedback: a page token under another filter",
       [](Target& t) {
         return ListFeedbackWith([&t](auto& r) {
           r.set_page_size(1);
           r.set_kind(fbv1::FEEDBACK_KIND_COMMENT);
           r.set_page_token(t.feedback_page_token);
         })(t);
       },
       StatusCode::INVALID_ARGUMENT, "page_token"},
      {"list feedback: SQL in branch id",
       ListFeedbackWith([](auto& r) { r.set_branch_id("B001' OR '1'='1"); }),
       StatusCode::INVALID_ARGUMENT, "branch_id"},
      {"list feedback: kind 99", ListFeedbackWith([](auto& r) {
         r.set_kind(static_cast<fbv1::FeedbackKind>(99));
       }),
       StatusCode::INVALID_ARGUMENT, "kind"},
      {"list feedback: 65-character sku",
       ListFeedbackWith([](auto& r) { r.set_sku(std::string(65, 's')); }),
       StatusCode::INVALID_ARGUMENT, "sku"},
      {"list feedback: min_rating 6",
       ListFeedbackWith([](auto& r) { r.set_min_rating(6); }),
       StatusCode::INVALID_ARGUMENT, "min_rating"},
      {"list feedback: min_rating -1",
       ListFeedbackWith([](auto& r) { r.set_min_rating(-1); }),
       StatusCode::INVALID_ARGUMENT, "min_rating"},
      {"list feedback: max_rating INT32_MAX",
       ListFeedbackWith([](auto& r) { r.set_max_rating(INT32_MAX); }),
       StatusCode::INVALID_ARGUMENT, "max_rating"},
      {"list feedback: max_rating below min_rating",
       ListFeedbackWith([](auto& r) {
         r.set_min_rating(4);
         r.set_max_rating(2);
       }),
       StatusCode::INVALID_ARGUMENT, "max_rating"},
      {"list feedback: sentiment 4", ListFeedbackWith([](auto& r) {
         r.set_sentiment(static_cast<fbv1::SentimentLabel>(4));
       }),
       StatusCode::INVALID_ARGUMENT, "sentiment"},
      {"list feedback: sentiment -1", ListFeedbackWith([](auto& r) {
         r.set_sentiment(static_cast<fbv1::SentimentLabel>(-1));
       }),
       StatusCode::INVALID_ARGUMENT, "sentiment"},
      {"list feedback: unknown topic",
       ListFeedbackWith([](auto& r) { r.set_topic("weather"); }),
       StatusCode::INVALID_ARGUMENT, "topic"},
      {"list feedback: SQL as topic",
       ListFeedbackWith([=](auto& r) { r.set_topic(kSql); }),
       StatusCode::INVALID_ARGUMENT, "topic"},
      {"list feedback: 65-character keyword",
       ListFeedbackWith([](auto& r) { r.set_keyword(Repeat("慢", 65)); }),
       StatusCode::INVALID_ARGUMENT, "keyword"},
      {"list feedback: two-line keyword",
       ListFeedbackWith([](auto& r) { r.set_keyword("太\n慢"); }),
       StatusCode::INVALID_ARGUMENT, "keyword"},
      {"list feedback: control character in keyword",
       ListFeedbackWith([](auto& r) { r.set_keyword("太\x02慢"); }),
       StatusCode::INVALID_ARGUMENT, "keyword"},
      {"list feedback: invalid UTF-8 keyword on the wire",
       // ListFeedbackRequest{keyword: 0xC3 0x28}.
       RawFeedback("ListFeedback", std::string("\x42\x02\xc3\x28", 4)),
       StatusCode::INVALID_ARGUMENT, "request"},
      {"list feedback: created from year 10000", ListFeedbackWith([](auto& r) {
         r.mutable_create_time_start()->set_seconds(kYear10000);
       }),
       StatusCode::INVALID_ARGUMENT, "create_time_start"},
      {"list feedback: created before negative nanos",
       ListFeedbackWith(
           [](auto& r) { r.mutable_create_time_end()->set_nanos(-1); }),
       StatusCode::INVALID_ARGUMENT, "create_time_end"},
      {"list feedback: created before INT64_MIN seconds",
       ListFeedbackWith([](auto& r) {
         r.mutable_create_time_end()->set_seconds(INT64_MIN);
       }),
       StatusCode::INVALID_ARGUMENT, "create_time_end"},

      // GetSatisfactionReport.
      {"report: no start date",
       ReportWith([](auto& r) { r.clear_start_date(); }),
       StatusCode::INVALID_ARGUMENT, "start_date"},
      {"report: no end date", ReportWith([](auto& r) { r.clear_end_date(); }),
       StatusCode::INVALID_ARGUMENT, "end_date"},
      {"report: month 13",
       ReportWith([](auto& r) { r.mutable_start_date()->set_month(13); }),
       StatusCode::INVALID_ARGUMENT, "start_date"},
      {"report: month 0",
       ReportWith([](auto& r) { r.mutable_end_date()->set_month(0); }),
       StatusCode::INVALID_ARGUMENT, "end_date"},
      {"report: day 0",
       ReportWith([](auto& r) { r.mutable_start_date()->set_day(0); }),
       StatusCode::INVALID_ARGUMENT, "start_date"},
      {"report: 30 February", ReportWith([](auto& r) {
         r.mutable_end_date()->set_month(2);
         r.mutable_end_date()->set_day(30);
       }),
       StatusCode::INVALID_ARGUMENT, "end_date"},
      {"report: 29 February 2026", ReportWith([](auto& r) {
         r.mutable_end_date()->set_month(2);
         r.mutable_end_date()->set_day(29);
       }),
       StatusCode::INVALID_ARGUMENT, "end_date"},
      {"report: day INT32_MAX",
       ReportWith([](auto& r) { r.mutable_end_date()->set_day(INT32_MAX); }),
       StatusCode::INVALID_ARGUMENT, "end_date"},
      {"report: month INT32_MIN", ReportWith([](auto& r) {
         r.mutable_start_date()->set_month(INT32_MIN);
       }),
       StatusCode::INVALID_ARGUMENT, "start_date"},
      {"report: year 0",
       ReportWith([](auto& r) { r.mutable_start_date()->set_year(0); }),
       StatusCode::INVALID_ARGUMENT, "start_date"},
      {"report: year 10000", ReportWith([](auto& r) {
         r.mutable_start_date()->set_year(10000);
         r.mutable_end_date()->set_year(10000);
       }),
       StatusCode::INVALID_ARGUMENT, "end_date"},
      {"report: end before start",
       ReportWith([](auto& r) { r.mutable_end_date()->set_year(2025); }),
       StatusCode::INVALID_ARGUMENT, "end_date"},
      {"report: 367 days", ReportWith([](auto& r) {
         // 2026-01-01 to 2027-01-03.
         r.mutable_end_date()->set_year(2027);
         r.mutable_end_date()->set_month(1);
         r.mutable_end_date()->set_day(3);
       }),
       StatusCode::INVALID_ARGUMENT, "end_date"},
      {"report: top 51", ReportWith([](auto& r) { r.set_top(51); }),
       StatusCode::INVALID_ARGUMENT, "top"},
      {"report: top -1", ReportWith([](auto& r) { r.set_top(-1); }),
       StatusCode::INVALID_ARGUMENT, "top"},
      {"report: SQL in branch id",
       ReportWith([](auto& r) { r.set_branch_id("B001' OR '1'='1"); }),
       StatusCode::INVALID_ARGUMENT, "branch_id"},
      {"report: a branch asking for another",
       ReportWith([](auto& r) { r.set_branch_id("B002"); }, kBranch1),
       StatusCode::PERMISSION_DENIED, ""},

      // ScheduleFollowUp.
      {"schedule: missing request_id",
       ScheduleWith([](auto& r) { r.clear_request_id(); }),
       StatusCode::INVALID_ARGUMENT, "request_id"},
      {"schedule: a seeded visit's request_id for another visit",
       ScheduleWith(
           [](auto& r) { r.set_request_id("bad-input-seed-follow-up-0"); }),
       StatusCode::INVALID_ARGUMENT, "request_id"},
      {"schedule: no customer", ScheduleWith([](auto& r) {
         r.mutable_follow_up()->clear_customer_id();
       }),
       StatusCode::INVALID_ARGUMENT, "follow_up.customer_id"},
      {"schedule: SQL in customer id", ScheduleWith([=](auto& r) {
         r.mutable_follow_up()->set_customer_id(kSql);
       }),
       StatusCode::INVALID_ARGUMENT, "follow_up.customer_id"},
      {"schedule: unspecified reason", ScheduleWith([](auto& r) {
         r.mutable_follow_up()->set_reason(fbv1::FOLLOW_UP_REASON_UNSPECIFIED);
       }),
       StatusCode::INVALID_ARGUMENT, "follow_up.reason"},
      {"schedule: reason 5", ScheduleWith([](auto& r) {
         r.mutable_follow_up()->set_reason(
             static_cast<fbv1::FollowUpReason>(5));
       }),
       StatusCode::INVALID_ARGUMENT, "follow_up.reason"},
      {"schedule: no due time",
       ScheduleWith([](auto& r) { r.mutable_follow_up()->clear_due_time(); }),
       StatusCode::INVALID_ARGUMENT, "follow_up.due_time"},
      {"schedule: due in year 10000", ScheduleWith([](auto& r) {
         r.mutable_follow_up()->mutable_due_time()->set_seconds(kYear10000);
       }),
       StatusCode::INVALID_ARGUMENT, "follow_up.due_time"},
      {"schedule: due at INT64_MIN seconds", ScheduleWith([](auto& r) {
         r.mutable_follow_up()->mutable_due_time()->set_seconds(INT64_MIN);
       }),
       StatusCode::INVALID_ARGUMENT, "follow_up.due_time"},
      {"schedule: due with negative nanos", ScheduleWith([](auto& r) {
         r.mutable_follow_up()->mutable_due_time()->set_nanos(-1);
       }),
       StatusCode::INVALID_ARGUMENT, "follow_up.due_time"},
      {"schedule: due with a billion nanos", ScheduleWith([](auto& r) {
         r.mutable_follow_up()->mutable_due_time()->set_nanos(1'000'000'000);
       }),
       StatusCode::INVALID_ARGUMENT, "follow_up.due_time"},
      {"schedule: SQL in order id", ScheduleWith([=](auto& r) {
         r.mutable_follow_up()->set_order_id(kSql);
       }),
       StatusCode::INVALID_ARGUMENT, "follow_up.order_id"},
      {"schedule: 65-character complaint id", ScheduleWith([=](auto& r) {
         r.mutable_follow_up()->set_complaint_id(k65);
       }),
       StatusCode::INVALID_ARGUMENT, "follow_up.complaint_id"},
      {"schedule: an order and a complaint",
       [](Target& t) {
         return ScheduleWith([&t](auto& r) {
           r.mutable_follow_up()->set_order_id(t.paid_order_id);
           r.mutable_follow_up()->set_complaint_id(t.complaint_id);
         })(t);
       },
       StatusCode::INVALID_ARGUMENT, "follow_up.complaint_id"},
      {"schedule: owner with a space", ScheduleWith([](auto& r) {
         r.mutable_follow_up()->set_owner_id("agent 7");
       }),
       StatusCode::INVALID_ARGUMENT, "follow_up.owner_id"},
      {"schedule: 65-character owner",
       ScheduleWith([=](auto& r) { r.mutable_follow_up()->set_owner_id(k65); }),
       StatusCode::INVALID_ARGUMENT, "follow_up.owner_id"},
      {"schedule: non-ASCII owner", ScheduleWith([](auto& r) {
         r.mutable_follow_up()->set_owner_id("店长");
       }),
       StatusCode::INVALID_ARGUMENT, "follow_up.owner_id"},
      {"schedule: every bad field named",
       [](Target& t) {
         grpc::Status s = ScheduleWith([](auto& r) {
           fbv1::FollowUp* f = r.mutable_follow_up();
           f->clear_customer_id();
           f->set_reason(static_cast<fbv1::FollowUpReason>(-3));
           f->mutable_due_time()->set_nanos(-5);
           f->set_owner_id("a/b");
         })(t);
         EXPECT_THAT(DetailsOf(s).fields,
                     ::testing::IsSupersetOf(
                         {"follow_up.customer_id", "follow_up.reason",
                          "follow_up.due_time", "follow_up.owner_id"}));
         return s;
       },
       StatusCode::INVALID_ARGUMENT, "follow_up.customer_id"},
      {"schedule: unknown customer", ScheduleWith([=](auto& r) {
         r.set_request_id("bad-input-fb-schedule-nobody");
         r.mutable_follow_up()->set_customer_id(kMissingCustomer);
       }),
       StatusCode::NOT_FOUND, ""},
      {"schedule: unknown order", ScheduleWith([=](auto& r) {
         r.set_request_id("bad-input-fb-schedule-noorder");
         r.mutable_follow_up()->set_order_id(kMissingOrder);
       }),
       StatusCode::NOT_FOUND, ""},
      {"schedule: unknown complaint", ScheduleWith([=](auto& r) {
         r.set_request_id("bad-input-fb-schedule-nocmp");
         r.mutable_follow_up()->set_complaint_id(kMissingComplaint);
       }),
       StatusCode::NOT_FOUND, ""},
      {"schedule: a B001 customer by branch B002",
       ScheduleWith(
           [](auto& r) { r.set_request_id("bad-input-fb-schedule-b002"); },
           kBranch2),
       StatusCode::NOT_FOUND, ""},
      {"schedule: branch B002 naming a B001 order not the customer's",
       [](Target& t) {
         // A branch learns nothing of another branch's records: the walk-in
         // order is B001's, so for B002 it does not exist (not "is not the
         // customer's", which says it does).
         return ScheduleWith(
             [&t](auto& r) {
               r.set_request_id("bad-input-fb-schedule-b002-order");
               r.mutable_follow_up()->set_order_id(t.order_id);
             },
             kBranch2)(t);
       },
       StatusCode::NOT_FOUND, ""},
      {"schedule: an auditor may not", ScheduleWith([](auto&) {}, kAuditor),
       StatusCode::PERMISSION_DENIED, ""},

      // ListFollowUps.
      {"list follow-ups: page_size -1",
       ListFollowUpsWith([](auto& r) { r.set_page_size(-1); }),
       StatusCode::INVALID_ARGUMENT, "page_size"},
      {"list follow-ups: forged page token",
       ListFollowUpsWith([=](auto& r) { r.set_page_token(kForged); }),
       StatusCode::INVALID_ARGUMENT, "page_token"},
      {"list follow-ups: ListFeedback's page token",
       [](Target& t) {
         return ListFollowUpsWith(
             [&t](auto& r) { r.set_page_token(t.feedback_page_token); })(t);
       },
       StatusCode::INVALID_ARGUMENT, "page_token"},
      {"list follow-ups: 10 KiB page token",
       [](Target& t) {
         grpc::Status s = ListFollowUpsWith(
             [](auto& r) { r.set_page_token(std::string(10 * 1024, 'A')); })(t);
         EXPECT_LT(s.error_message().size(), 300u);
         return s;
       },
       StatusCode::INVALID_ARGUMENT, "page_token"},
      {"list follow-ups: status 3", ListFollowUpsWith([](auto& r) {
         r.set_status(static_cast<fbv1::FollowUpStatus>(3));
       }),
       StatusCode::INVALID_ARGUMENT, "status"},
      {"list follow-ups: SQL in branch id",
       ListFollowUpsWith([](auto& r) { r.set_branch_id("B1' OR 1=1 --"); }),
       StatusCode::INVALID_ARGUMENT, "branch_id"},
      {"list follow-ups: SQL in owner id",
       ListFollowUpsWith([=](auto& r) { r.set_owner_id(kSql); }),
       StatusCode::INVALID_ARGUMENT, "owner_id"},
      {"list follow-ups: due from year 10000", ListFollowUpsWith([](auto& r) {
         r.mutable_due_start()->set_seconds(kYear10000);
       }),
       StatusCode::INVALID_ARGUMENT, "due_start"},
      {"list follow-ups: due before negative nanos",
       ListFollowUpsWith([](auto& r) { r.mutable_due_end()->set_nanos(-1); }),
       StatusCode::INVALID_ARGUMENT, "due_end"},
      {"list follow-ups: auditor asks to reveal",
       ListFollowUpsWith([](auto& r) { r.set_reveal_pii(true); }, kAuditor),
       StatusCode::PERMISSION_DENIED, ""},
      {"list follow-ups: service token", ListFollowUpsWith([](auto&) {}, kCrm),
       StatusCode::PERMISSION_DENIED, ""},

      // CompleteFollowUp.
      {"complete: missing request_id",
       CompleteFollowUpWith([](auto& r) { r.clear_request_id(); }),
       StatusCode::INVALID_ARGUMENT, "request_id"},
      {"complete: the seeded completion's request_id for another visit",
       CompleteFollowUpWith(
           [](auto& r) { r.set_request_id("bad-input-seed-follow-up-made"); }),
       StatusCode::INVALID_ARGUMENT, "request_id"},
      {"complete: empty follow-up id",
       CompleteFollowUpWith([](auto& r) { r.clear_follow_up_id(); }),
       StatusCode::INVALID_ARGUMENT, "follow_up_id"},
      {"complete: SQL in follow-up id",
       CompleteFollowUpWith([=](auto& r) { r.set_follow_up_id(kSql); }),
       StatusCode::INVALID_ARGUMENT, "follow_up_id"},
      {"complete: 65-character follow-up id",
       CompleteFollowUpWith([=](auto& r) { r.set_follow_up_id(k65); }),
       StatusCode::INVALID_ARGUMENT, "follow_up_id"},
      {"complete: unspecified outcome", CompleteFollowUpWith([](auto& r) {
         r.set_outcome(fbv1::FOLLOW_UP_OUTCOME_UNSPECIFIED);
       }),
       StatusCode::INVALID_ARGUMENT, "outcome"},
      {"complete: outcome 7", CompleteFollowUpWith([](auto& r) {
         r.set_outcome(static_cast<fbv1::FollowUpOutcome>(7));
       }),
       StatusCode::INVALID_ARGUMENT, "outcome"},
      {"complete: satisfaction 6",
       CompleteFollowUpWith([](auto& r) { r.set_satisfaction(6); }),
       StatusCode::INVALID_ARGUMENT, "satisfaction"},
      {"complete: satisfaction -1",
       CompleteFollowUpWith([](auto& r) { r.set_satisfaction(-1); }),
       StatusCode::INVALID_ARGUMENT, "satisfaction"},
      {"complete: satisfaction from an unreachable customer",
       CompleteFollowUpWith([](auto& r) {
         r.set_outcome(fbv1::FOLLOW_UP_OUTCOME_UNREACHABLE);
         r.clear_repurchase_intent();
       }),
       StatusCode::INVALID_ARGUMENT, "satisfaction"},
      {"complete: repurchase intent 4", CompleteFollowUpWith([](auto& r) {
         r.set_repurchase_intent(static_cast<fbv1::RepurchaseIntent>(4));
       }),
       StatusCode::INVALID_ARGUMENT, "repurchase_intent"},
      {"complete: repurchase intent from an unreachable customer",
       CompleteFollowUpWith([](auto& r) {
         r.set_outcome(fbv1::FOLLOW_UP_OUTCOME_UNREACHABLE);
         r.clear_satisfaction();
       }),
       StatusCode::INVALID_ARGUMENT, "repurchase_intent"},
      {"complete: 2001-character notes",
       CompleteFollowUpWith([=](auto& r) { r.set_notes(k2001); }),
       StatusCode::INVALID_ARGUMENT, "notes"},
      {"complete: 2001 Chinese characters of notes",
       CompleteFollowUpWith([](auto& r) { r.set_notes(Repeat("记", 2001)); }),
       StatusCode::INVALID_ARGUMENT, "notes"},
      {"complete: a bell in the notes",
       CompleteFollowUpWith([](auto& r) { r.set_notes("客户\a满意"); }),
       StatusCode::INVALID_ARGUMENT, "notes"},
      {"complete: invalid UTF-8 on the wire",
       // CompleteFollowUpRequest{notes: 0xC3 0x28}.
       RawFeedback("CompleteFollowUp", std::string("\x2a\x02\xc3\x28", 4)),
       StatusCode::INVALID_ARGUMENT, "request"},
      {"complete: missing follow-up", CompleteFollowUpWith([](auto& r) {
         r.set_request_id("bad-input-fb-complete-missing");
         r.set_follow_up_id("fup_01ARZ3NDEKTSV4RRFFQ69G5FAV");
       }),
       StatusCode::NOT_FOUND, ""},
      {"complete: another branch's follow-up",
       CompleteFollowUpWith(
           [](auto& r) { r.set_request_id("bad-input-fb-complete-b002"); },
           kBranch2),
       StatusCode::NOT_FOUND, ""},
      {"complete: a follow-up already made",
       [](Target& t) {
         return CompleteFollowUpWith([&t](auto& r) {
           r.set_request_id("bad-input-fb-complete-done");
           r.set_follow_up_id(t.done_follow_up_id);
         })(t);
       },
       StatusCode::FAILED_PRECONDITION, ""},
      {"complete: an auditor may not",
       CompleteFollowUpWith([](auto&) {}, kAuditor),
       StatusCode::PERMISSION_DENIED, ""},
  };
}

// ---- AuditService ----------------------------------------------------------

namespace av1 = ::retail::audit::v1;
using AuditStub = av1::AuditService::Stub;

// ListAuditLog as `token` with one change applied to an empty (valid)
// request.
CaseCall ListAuditWith(std::function<void(av1::ListAuditLogRequest&)> mutate,
                       std::string token = kAuditor) {
  return [mutate, token](Target& t) {
    av1::ListAuditLogRequest req;
    mutate(req);
    auto stub = av1::AuditService::NewStub(t.channel);
    av1::ListAuditLogResponse resp;
    return Call(*stub, &AuditStub::ListAuditLog, token, req, &resp);
  };
}

// A real next_page_token of ListAuditLog (principal admin, page size 1: the
// seed calls leave several such rows), replayed with `change` applied.
CaseCall AuditTokenReplayedWith(
    std::function<void(av1::ListAuditLogRequest&)> change) {
  return [change](Target& t) {
    auto stub = av1::AuditService::NewStub(t.channel);
    av1::ListAuditLogRequest req;
    req.set_principal("admin");
    req.set_page_size(1);
    av1::ListAuditLogResponse first;
    grpc::Status s =
        Call(*stub, &AuditStub::ListAuditLog, kAuditor, req, &first);
    if (!s.ok()) return s;
    if (first.next_page_token().empty()) {
      return grpc::Status(grpc::StatusCode::UNKNOWN, "no next page to replay");
    }
    req.set_page_token(first.next_page_token());
    change(req);
    av1::ListAuditLogResponse resp;
    return Call(*stub, &AuditStub::ListAuditLog, kAuditor, req, &resp);
  };
}

std::vector<BadInputCase> AuditCases() {
  using grpc::StatusCode;
  constexpr char kForged[] = "AQAAAAAAAAAFAAAAAAAAAAAAAAAAAAAAAA";
  constexpr int64_t kYear10000 = 253402300800LL;
  return {
      {"audit: unknown outcome (the second)", ListAuditWith([](auto& r) {
         r.add_outcomes("REVEAL");
         r.add_outcomes("DENIED");
       }),
       StatusCode::INVALID_ARGUMENT, "outcomes[1]"},
      {"audit: empty outcome",
       ListAuditWith([](auto& r) { r.add_outcomes(""); }),
       StatusCode::INVALID_ARGUMENT, "outcomes[0]"},
      {"audit: SQL as an outcome",
       ListAuditWith([](auto& r) { r.add_outcomes("OK' OR '1'='1"); }),
       StatusCode::INVALID_ARGUMENT, "outcomes[0]"},
      {"audit: 33 outcomes", ListAuditWith([](auto& r) {
         for (int i = 0; i < 33; ++i) r.add_outcomes("OK");
       }),
       StatusCode::INVALID_ARGUMENT, "outcomes"},
      {"audit: end before start", ListAuditWith([](auto& r) {
         r.mutable_start_time()->set_seconds(1780272000);
         r.mutable_end_time()->set_seconds(1780271999);
       }),
       StatusCode::INVALID_ARGUMENT, "end_time"},
      {"audit: empty range", ListAuditWith([](auto& r) {
         r.mutable_start_time()->set_seconds(1780272000);
         r.mutable_end_time()->set_seconds(1780272000);
       }),
       StatusCode::INVALID_ARGUMENT, "end_time"},
      {"audit: start nanos out of range",
       ListAuditWith([](auto& r) { r.mutable_start_time()->set_nanos(-1); }),
       StatusCode::INVALID_ARGUMENT, "start_time"},
      {"audit: end in year 10000", ListAuditWith([=](auto& r) {
         r.mutable_end_time()->set_seconds(kYear10000);
       }),
       StatusCode::INVALID_ARGUMENT, "end_time"},
      {"audit: start before year 1", ListAuditWith([](auto& r) {
         r.mutable_start_time()->set_seconds(-62135596801LL);
       }),
       StatusCode::INVALID_ARGUMENT, "start_time"},
      {"audit: negative page size",
       ListAuditWith([](auto& r) { r.set_page_size(-1); }),
       StatusCode::INVALID_ARGUMENT, "page_size"},
      {"audit: method with spaces",
       ListAuditWith([](auto& r) { r.set_method("Pay Order"); }),
       StatusCode::INVALID_ARGUMENT, "method"},
      {"audit: method with nothing after '/'", ListAuditWith([](auto& r) {
         r.set_method("retail.orders.v1.OrderService/");
       }),
       StatusCode::INVALID_ARGUMENT, "method"},
      {"audit: method of 257 characters", ListAuditWith([](auto& r) {
         r.set_method("retail.orders.v1.OrderService/" + std::string(227, 'P'));
       }),
       StatusCode::INVALID_ARGUMENT, "method"},
      {"audit: principal with an escape sequence",
       ListAuditWith([](auto& r) { r.set_principal("admin\x1b[2J"); }),
       StatusCode::INVALID_ARGUMENT, "principal"},
      {"audit: resource of 257 characters", ListAuditWith([](auto& r) {
         r.set_resource("customers/" + std::string(247, 'c'));
       }),
       StatusCode::INVALID_ARGUMENT, "resource"},
      {"audit: forged page token",
       ListAuditWith([=](auto& r) { r.set_page_token(kForged); }),
       StatusCode::INVALID_ARGUMENT, "page_token"},
      {"audit: a one-key token where two are kept", ListAuditWith([](auto& r) {
         r.set_page_token("AQAAAAAAAAABqqqqqqqqqqqqqqqqqqqqqq");
       }),
       StatusCode::INVALID_ARGUMENT, "page_token"},
      {"audit: ListFeedback's page token",
       [](Target& t) {
         av1::ListAuditLogRequest req;
         req.set_page_token(t.feedback_page_token);
         auto stub = av1::AuditService::NewStub(t.channel);
         av1::ListAuditLogResponse resp;
         return Call(*stub, &AuditStub::ListAuditLog, kAuditor, req, &resp);
       },
       StatusCode::INVALID_ARGUMENT, "page_token"},
      {"audit: page token with the principal changed",
       AuditTokenReplayedWith([](auto& r) { r.set_principal("agent"); }),
       StatusCode::INVALID_ARGUMENT, "page_token"},
      {"audit: page token with an outcome added",
       AuditTokenReplayedWith([](auto& r) { r.add_outcomes("OK"); }),
       StatusCode::INVALID_ARGUMENT, "page_token"},
      {"audit: page token with a time range added",
       AuditTokenReplayedWith(
           [](auto& r) { r.mutable_start_time()->set_seconds(1); }),
       StatusCode::INVALID_ARGUMENT, "page_token"},
      {"audit: invalid UTF-8 principal on the wire",
       [](Target& t) {
         std::string response;
         return RawCall(t.channel, "/retail.audit.v1.AuditService/ListAuditLog",
                        std::string("\x0a\x02\xff\xfe", 4), kAuditor,
                        &response);
       },
       StatusCode::INVALID_ARGUMENT, "request"},
      {"audit: an agent may not read the log",
       ListAuditWith([](auto&) {}, kAgent), StatusCode::PERMISSION_DENIED, ""},
      {"audit: a store may not read the log",
       ListAuditWith([](auto&) {}, kBranch1), StatusCode::PERMISSION_DENIED,
       ""},
      {"audit: a service may not read the log",
       ListAuditWith([](auto&) {}, kCrm), StatusCode::PERMISSION_DENIED, ""},
      {"audit: no token", ListAuditWith([](auto&) {}, ""),
       StatusCode::UNAUTHENTICATED, ""},
      {"audit: deadline already expired",
       ExpiredAt("/retail.audit.v1.AuditService/ListAuditLog", kAuditor,
                 [](Target&) {
                   return std::make_unique<av1::ListAuditLogRequest>();
                 }),
       StatusCode::DEADLINE_EXCEEDED, ""},
  };
}

// ---- EventService ----------------------------------------------------------

namespace ev1 = ::retail::events::v1;
using EventStub = ev1::EventService::Stub;

// WatchEvents as `token` with one change applied to an empty (valid: from
// the oldest) request. A server stream's status comes with its end: OK once
// a first message came (the stream is then cancelled), else the status it
// ended with.
CaseCall WatchEventsWith(std::function<void(ev1::WatchEventsRequest&)> mutate,
                         std::string token = kAdmin) {
  return [mutate, token](Target& t) {
    ev1::WatchEventsRequest req;
    mutate(req);
    auto stub = ev1::EventService::NewStub(t.channel);
    auto ctx = ContextFor(token);
    auto stream = stub->WatchEvents(ctx.get(), req);
    ev1::WatchEventsResponse first;
    if (stream->Read(&first)) {
      ctx->TryCancel();
      stream->Finish().IgnoreError();
      return grpc::Status::OK;
    }
    return stream->Finish();
  };
}

CaseCall ListEventsWith(std::function<void(ev1::ListEventsRequest&)> mutate,
                        std::string token = kAdmin) {
  return [mutate, token](Target& t) {
    ev1::ListEventsRequest req;
    mutate(req);
    auto stub = ev1::EventService::NewStub(t.channel);
    ev1::ListEventsResponse resp;
    return Call(*stub, &EventStub::ListEvents, token, req, &resp);
  };
}

// A real next_page_token of ListEvents (admin, page size 1, no filter),
// replayed with `change` applied.
CaseCall EventsTokenReplayedWith(
    std::function<void(ev1::ListEventsRequest&)> change,
    std::string token = kAdmin) {
  return [change, token](Target& t) {
    auto stub = ev1::EventService::NewStub(t.channel);
    ev1::ListEventsRequest req;
    req.set_page_size(1);
    ev1::ListEventsResponse first;
    grpc::Status s = Call(*stub, &EventStub::ListEvents, kAdmin, req, &first);
    if (!s.ok()) return s;
    if (first.next_page_token().empty()) {
      return grpc::Status(grpc::StatusCode::UNKNOWN, "no next_page_token");
    }
    req.set_page_token(first.next_page_token());
    change(req);
    ev1::ListEventsResponse resp;
    return Call(*stub, &EventStub::ListEvents, token, req, &resp);
  };
}

std::vector<BadInputCase> EventCases() {
  using grpc::StatusCode;
  constexpr char kForged[] = "AQAAAAAAAAAFAAAAAAAAAAAAAAAAAAAAAA";
  return {
      {"watch: negative after_sequence",
       WatchEventsWith([](auto& r) { r.set_after_sequence(-1); }),
       StatusCode::INVALID_ARGUMENT, "after_sequence"},
      {"watch: INT64_MIN after_sequence",
       WatchEventsWith([](auto& r) { r.set_after_sequence(INT64_MIN); }),
       StatusCode::INVALID_ARGUMENT, "after_sequence"},
      {"watch: after_sequence with start OLDEST", WatchEventsWith([](auto& r) {
         r.set_after_sequence(1);
         r.set_start(ev1::START_POSITION_OLDEST);
       }),
       StatusCode::INVALID_ARGUMENT, "start"},
      {"watch: after_sequence with start NOW", WatchEventsWith([](auto& r) {
         r.set_after_sequence(1);
         r.set_start(ev1::START_POSITION_NOW);
       }),
       StatusCode::INVALID_ARGUMENT, "start"},
      {"watch: unknown start 99", WatchEventsWith([](auto& r) {
         r.set_start(static_cast<ev1::StartPosition>(99));
       }),
       StatusCode::INVALID_ARGUMENT, "start"},
      {"watch: negative start", WatchEventsWith([](auto& r) {
         r.set_start(static_cast<ev1::StartPosition>(-1));
       }),
       StatusCode::INVALID_ARGUMENT, "start"},
      {"watch: unknown resource type (the second)",
       WatchEventsWith([](auto& r) {
         r.add_resource_types("customer");
         r.add_resource_types("shoe");
       }),
       StatusCode::INVALID_ARGUMENT, "resource_types[1]"},
      {"watch: resource type in capitals",
       WatchEventsWith([](auto& r) { r.add_resource_types("CUSTOMER"); }),
       StatusCode::INVALID_ARGUMENT, "resource_types[0]"},
      {"watch: SQL as a resource type", WatchEventsWith([](auto& r) {
         r.add_resource_types("customer' OR '1'='1");
       }),
       StatusCode::INVALID_ARGUMENT, "resource_types[0]"},
      {"watch: empty resource type",
       WatchEventsWith([](auto& r) { r.add_resource_types(""); }),
       StatusCode::INVALID_ARGUMENT, "resource_types[0]"},
      {"watch: 21 resource types", WatchEventsWith([](auto& r) {
         for (int i = 0; i < 21; ++i) r.add_resource_types("customer");
       }),
       StatusCode::INVALID_ARGUMENT, "resource_types"},
      {"watch: lower-case event type",
       WatchEventsWith([](auto& r) { r.add_event_types("created"); }),
       StatusCode::INVALID_ARGUMENT, "event_types[0]"},
      {"watch: empty event type (the second)", WatchEventsWith([](auto& r) {
         r.add_event_types("CREATED");
         r.add_event_types("");
       }),
       StatusCode::INVALID_ARGUMENT, "event_types[1]"},
      {"watch: 65-character event type", WatchEventsWith([](auto& r) {
         r.add_event_types(std::string(65, 'A'));
       }),
       StatusCode::INVALID_ARGUMENT, "event_types[0]"},
      {"watch: SQL as an event type", WatchEventsWith([](auto& r) {
         r.add_event_types("CREATED' OR 1=1 --");
       }),
       StatusCode::INVALID_ARGUMENT, "event_types[0]"},
      {"watch: 21 event types", WatchEventsWith([](auto& r) {
         for (int i = 0; i < 21; ++i) r.add_event_types("CREATED");
       }),
       StatusCode::INVALID_ARGUMENT, "event_types"},
      {"watch: after_sequence beyond the newest",
       WatchEventsWith([](auto& r) { r.set_after_sequence(1'000'000'000); }),
       StatusCode::OUT_OF_RANGE, ""},
      {"list events: invalid UTF-8 resource type",
       [](Target& t) {
         std::string response;
         // ListEventsRequest{resource_types: 0xff 0xfe}.
         return RawCall(t.channel, "/retail.events.v1.EventService/ListEvents",
                        std::string("\x12\x02\xff\xfe", 4), kAdmin, &response);
       },
       StatusCode::INVALID_ARGUMENT, "request"},
      {"watch: a service without the method",
       WatchEventsWith([](auto&) {}, kCrm), StatusCode::PERMISSION_DENIED, ""},
      {"watch: no token", WatchEventsWith([](auto&) {}, ""),
       StatusCode::UNAUTHENTICATED, ""},
      {"watch: unknown token", WatchEventsWith([](auto&) {}, "nobody-token"),
       StatusCode::UNAUTHENTICATED, ""},
      {"list events: negative after_sequence",
       ListEventsWith([](auto& r) { r.set_after_sequence(-5); }),
       StatusCode::INVALID_ARGUMENT, "after_sequence"},
      {"list events: after_sequence beyond the newest",
       ListEventsWith([](auto& r) { r.set_after_sequence(INT64_MAX); }),
       StatusCode::OUT_OF_RANGE, ""},
      {"list events: unknown resource type",
       ListEventsWith([](auto& r) { r.add_resource_types("orders"); }),
       StatusCode::INVALID_ARGUMENT, "resource_types[0]"},
      {"list events: bad event type (the third)", ListEventsWith([](auto& r) {
         r.add_event_types("CREATED");
         r.add_event_types("PAID");
         r.add_event_types("paid");
       }),
       StatusCode::INVALID_ARGUMENT, "event_types[2]"},
      {"list events: negative page size",
       ListEventsWith([](auto& r) { r.set_page_size(-1); }),
       StatusCode::INVALID_ARGUMENT, "page_size"},
      // page_size above 1000 is coerced to 1000 (AIP-158, as every List).
      {"list events: page size INT32_MIN",
       ListEventsWith([](auto& r) { r.set_page_size(INT32_MIN); }),
       StatusCode::INVALID_ARGUMENT, "page_size"},
      {"list events: forged page token",
       ListEventsWith([=](auto& r) { r.set_page_token(kForged); }),
       StatusCode::INVALID_ARGUMENT, "page_token"},
      {"list events: page token of garbage",
       ListEventsWith([](auto& r) { r.set_page_token("!!!not base64!!!"); }),
       StatusCode::INVALID_ARGUMENT, "page_token"},
      {"list events: ListFeedback's page token",
       [](Target& t) {
         ev1::ListEventsRequest req;
         req.set_page_token(t.feedback_page_token);
         auto stub = ev1::EventService::NewStub(t.channel);
         ev1::ListEventsResponse resp;
         return Call(*stub, &EventStub::ListEvents, kAdmin, req, &resp);
       },
       StatusCode::INVALID_ARGUMENT, "page_token"},
      {"list events: token replayed with a resource type",
       EventsTokenReplayedWith(
           [](auto& r) { r.add_resource_types("customer"); }),
       StatusCode::INVALID_ARGUMENT, "page_token"},
      {"list events: token replayed with an event type",
       EventsTokenReplayedWith([](auto& r) { r.add_event_types("CREATED"); }),
       StatusCode::INVALID_ARGUMENT, "page_token"},
      {"list events: token replayed with after_sequence",
       EventsTokenReplayedWith([](auto& r) { r.set_after_sequence(1); }),
       StatusCode::INVALID_ARGUMENT, "page_token"},
      {"list events: admin's token replayed by a branch",
       EventsTokenReplayedWith([](auto&) {}, kBranch1),
       StatusCode::INVALID_ARGUMENT, "page_token"},
      {"list events: invalid UTF-8 event type",
       [](Target& t) {
         std::string response;
         // ListEventsRequest{event_types: 0xff 0xfe}.
         return RawCall(t.channel, "/retail.events.v1.EventService/ListEvents",
                        std::string("\x1a\x02\xff\xfe", 4), kAdmin, &response);
       },
       StatusCode::INVALID_ARGUMENT, "request"},
      {"list events: a service without the method",
       ListEventsWith([](auto&) {}, kCrm), StatusCode::PERMISSION_DENIED, ""},
      {"list events: no token", ListEventsWith([](auto&) {}, ""),
       StatusCode::UNAUTHENTICATED, ""},
      {"list events: deadline already passed",
       ExpiredAt(
           "/retail.events.v1.EventService/ListEvents", kAdmin,
           [](Target&) { return std::make_unique<ev1::ListEventsRequest>(); }),
       StatusCode::DEADLINE_EXCEEDED, ""},
  };
}

// ---- AdminService ----------------------------------------------------------

namespace adv1 = ::retail::admin::v1;

// BackupDatabase as `token`. Its request is empty, so what a caller can get
// wrong is who it is, the bytes on the wire and the deadline. OK once a
// first chunk came (the stream is then cancelled; its temporary file goes).
CaseCall BackupAs(std::string token) {
  return [token](Target& t) {
    auto stub = adv1::AdminService::NewStub(t.channel);
    auto ctx = ContextFor(token);
    auto stream =
        stub->BackupDatabase(ctx.get(), adv1::BackupDatabaseRequest());
    adv1::BackupDatabaseResponse first;
    if (stream->Read(&first)) {
      ctx->TryCancel();
      stream->Finish().IgnoreError();
      return grpc::Status::OK;
    }
    return stream->Finish();
  };
}

std::vector<BadInputCase> AdminCases() {
  using grpc::StatusCode;
  constexpr char kBackup[] = "/retail.admin.v1.AdminService/BackupDatabase";
  return {
      {"backup: an agent may not back up", BackupAs(kAgent),
       StatusCode::PERMISSION_DENIED, ""},
      {"backup: an auditor may not back up", BackupAs(kAuditor),
       StatusCode::PERMISSION_DENIED, ""},
      {"backup: a store may not back up", BackupAs(kBranch1),
       StatusCode::PERMISSION_DENIED, ""},
      {"backup: a service may not back up", BackupAs(kCrm),
       StatusCode::PERMISSION_DENIED, ""},
      {"backup: no token", BackupAs(""), StatusCode::UNAUTHENTICATED, ""},
      {"backup: a stolen token", BackupAs("stolen-token"),
       StatusCode::UNAUTHENTICATED, ""},
      {"backup: garbage bytes for the empty request",
       [=](Target& t) {
         std::string response;
         return RawCall(t.channel, kBackup, std::string("\xff\xff\xff", 3),
                        kAdmin, &response);
       },
       StatusCode::INVALID_ARGUMENT, "request"},
      {"backup: deadline already expired",
       ExpiredAt(kBackup, kAdmin,
                 [](Target&) {
                   return std::make_unique<adv1::BackupDatabaseRequest>();
                 }),
       StatusCode::DEADLINE_EXCEEDED, ""},
  };
}

std::vector<BadInputCase> Cases() {
  std::vector<BadInputCase> cases = CustomerCases();
  for (BadInputCase& c : OrderCases()) cases.push_back(std::move(c));
  for (BadInputCase& c : ReturnCases()) cases.push_back(std::move(c));
  for (BadInputCase& c : ComplaintCases()) cases.push_back(std::move(c));
  for (BadInputCase& c : FeedbackCases()) cases.push_back(std::move(c));
  for (BadInputCase& c : AuditCases()) cases.push_back(std::move(c));
  for (BadInputCase& c : EventCases()) cases.push_back(std::move(c));
  for (BadInputCase& c : AdminCases()) cases.push_back(std::move(c));
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
  // SUM, not SQLite's total(): the same text on both engines.
  std::string Fingerprint() {
    return server_.QueryScalar(
        "SELECT (SELECT COUNT(*) || '/' || COALESCE(SUM(revision), 0) || '/' "
        "|| "
        "COALESCE(SUM(points_balance), 0)"
        " FROM customers) || '/' || (SELECT COUNT(*) FROM points_transactions) "
        "|| '/' ||"
        " (SELECT COUNT(*) FROM events) || '/' || (SELECT COUNT(*) FROM "
        "idempotency_keys WHERE status IS NULL) || '/' || (SELECT COUNT(*) "
        "FROM audit_log WHERE outcome IN ('OK', 'REPLAYED', 'REVEAL')) || '/' "
        "|| (SELECT COUNT(*) || '/' || COALESCE(SUM(revision), 0) || '/' || "
        "COALESCE(SUM(paid_minor), 0) || '/' || COALESCE(SUM(status), 0) FROM "
        "orders) || '/' || "
        "(SELECT COUNT(*) FROM order_payments) || '/' || (SELECT COUNT(*) FROM "
        "order_refunds) || '/' || (SELECT COUNT(*) FROM settlements) || '/' "
        "|| (SELECT COUNT(*) || '/' || COALESCE(SUM(revision), 0) || '/' || "
        "COALESCE(SUM(status), 0)"
        " FROM order_returns) || '/' || (SELECT COUNT(*) || '/' || "
        "COALESCE(SUM(revision), 0) || '/' || COALESCE(SUM(status), 0) || '/' "
        "|| "
        "COALESCE(SUM(escalation_level), 0) FROM complaints) || '/' || (SELECT "
        "COUNT(*) "
        "FROM complaint_history) || '/' || (SELECT COUNT(*) FROM "
        "complaint_keywords) || '/' || (SELECT COUNT(*) FROM "
        "complaint_sla_policies) || '/' || (SELECT COUNT(*) FROM "
        "branch_calendars) || '/' || (SELECT COUNT(*) FROM surveys) || '/' "
        "|| (SELECT COUNT(*) FROM survey_responses) || '/' || (SELECT "
        "COUNT(*) || '/' || COALESCE(SUM(needs_review), 0) FROM "
        "feedback_items) || '/' "
        "|| (SELECT COUNT(*) FROM feedback_terms) || '/' || (SELECT COUNT(*) "
        "FROM feedback_scores) || '/' || (SELECT COALESCE(SUM(responses), 0) "
        "|| '/' || "
        "COALESCE(SUM(feedback_items), 0) || '/' || "
        "COALESCE(SUM(survey_ratings), 0) || '/' || "
        "COALESCE(SUM(feedback_ratings), 0) || '/' || COALESCE(SUM(nps_count), "
        "0) FROM "
        "feedback_daily) || '/' || (SELECT COALESCE(SUM(count), 0) FROM "
        "feedback_term_daily) || '/' || (SELECT COUNT(*) || '/' || "
        "COALESCE(SUM(revision), 0) || '/' || COALESCE(SUM(status), 0) FROM "
        "follow_ups)");
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
  // A paid order and a RECEIVED return of one pair of its socks.
  order.set_request_id("bad-input-seed-paid-order");
  ASSERT_TRUE(
      Call(*orders, &OrderStub::CreateOrder, kAdmin, order, &ordered).ok());
  const std::string paid_order_id = ordered.order().order_id();
  ov1::PayOrderRequest pay;
  pay.set_request_id("bad-input-seed-pay");
  pay.set_order_id(paid_order_id);
  pay.mutable_payment()->set_method(ov1::PAYMENT_METHOD_CASH);
  pay.mutable_payment()->mutable_amount()->set_minor_units(30'000);
  pay.mutable_payment()->set_outcome(ov1::PAYMENT_OUTCOME_SUCCEEDED);
  ov1::PayOrderResponse paid;
  ASSERT_TRUE(Call(*orders, &OrderStub::PayOrder, kAdmin, pay, &paid).ok());
  ov1::RequestReturnRequest ask;
  ask.set_request_id("bad-input-seed-return");
  ask.set_order_id(paid_order_id);
  ask.set_type(ov1::RETURN_TYPE_RETURN);
  ov1::ReturnLine* socks = ask.add_lines();
  socks->set_sku("SOCKS");
  socks->set_quantity(1);
  socks->set_reason(ov1::RETURN_REASON_QUALITY_DEFECT);
  ov1::RequestReturnResponse asked;
  ASSERT_TRUE(
      Call(*orders, &OrderStub::RequestReturn, kAdmin, ask, &asked).ok());
  const std::string return_id = asked.order_return().return_id();
  ov1::ReviewReturnRequest approve;
  approve.set_request_id("bad-input-seed-approve");
  approve.set_return_id(return_id);
  approve.set_decision(ov1::REVIEW_DECISION_APPROVE);
  ov1::ReviewReturnResponse approved;
  ASSERT_TRUE(
      Call(*orders, &OrderStub::ReviewReturn, kAdmin, approve, &approved).ok());
  ov1::ReceiveReturnRequest receive;
  receive.set_request_id("bad-input-seed-receive");
  receive.set_return_id(return_id);
  receive.set_condition(ov1::ITEM_CONDITION_DEFECTIVE);
  ov1::ReceiveReturnResponse received;
  ASSERT_TRUE(
      Call(*orders, &OrderStub::ReceiveReturn, kAdmin, receive, &received)
          .ok());

  // A NEW complaint of the customer in B001.
  auto complaints = cmv1::ComplaintService::NewStub(server_.Channel());
  cmv1::CreateComplaintRequest complain;
  complain.set_request_id("bad-input-seed-complaint");
  cmv1::Complaint* complaint = complain.mutable_complaint();
  complaint->set_customer_id(id);
  complaint->set_branch_id("B001");
  complaint->set_channel(cmv1::COMPLAINT_CHANNEL_WECHAT);
  complaint->set_category(cmv1::COMPLAINT_CATEGORY_SERVICE_ATTITUDE);
  complaint->set_severity(cmv1::COMPLAINT_SEVERITY_SEVERE);
  complaint->set_subject("店员态度差");
  complaint->set_description("店员不理人");
  cmv1::CreateComplaintResponse complained;
  ASSERT_TRUE(Call(*complaints, &ComplaintStub::CreateComplaint, kAdmin,
                   complain, &complained)
                  .ok());

  // FeedbackService: a survey, two B001 feedback items (one the existing
  // customer's) and a next_page_token of their list, and two follow-ups of
  // the existing customer, the second one made.
  auto feedback = fbv1::FeedbackService::NewStub(server_.Channel());
  fbv1::CreateSurveyRequest survey = ValidSurvey();
  survey.set_request_id("bad-input-seed-survey");
  fbv1::CreateSurveyResponse surveyed;
  ASSERT_TRUE(
      Call(*feedback, &FeedbackStub::CreateSurvey, kAdmin, survey, &surveyed)
          .ok());
  std::string feedback_id;
  for (const char* text : {"衬衫质量很好", "店员很热情"}) {
    fbv1::SubmitFeedbackRequest submit;
    submit.set_request_id(
        absl::StrCat("bad-input-seed-fb-", feedback_id.empty() ? 1 : 2));
    fbv1::FeedbackItem* f = submit.mutable_feedback();
    f->set_kind(fbv1::FEEDBACK_KIND_COMMENT);
    f->set_channel(fbv1::FEEDBACK_CHANNEL_IN_STORE);
    f->set_branch_id("B001");
    if (feedback_id.empty()) f->set_customer_id(id);
    f->set_rating(5);
    f->set_text(text);
    fbv1::SubmitFeedbackResponse submitted;
    ASSERT_TRUE(Call(*feedback, &FeedbackStub::SubmitFeedback, kAdmin, submit,
                     &submitted)
                    .ok());
    ASSERT_TRUE(submitted.feedback().complaint_id().empty());
    if (feedback_id.empty()) feedback_id = submitted.feedback().feedback_id();
  }
  fbv1::ListFeedbackRequest list_feedback;
  list_feedback.set_page_size(1);
  fbv1::ListFeedbackResponse listed_feedback;
  ASSERT_TRUE(Call(*feedback, &FeedbackStub::ListFeedback, kAdmin,
                   list_feedback, &listed_feedback)
                  .ok());
  ASSERT_FALSE(listed_feedback.next_page_token().empty());
  std::string follow_up_ids[2];
  for (int i = 0; i < 2; ++i) {
    fbv1::ScheduleFollowUpRequest schedule;
    schedule.set_request_id(absl::StrCat("bad-input-seed-follow-up-", i));
    schedule.mutable_follow_up()->set_customer_id(id);
    schedule.mutable_follow_up()->set_reason(fbv1::FOLLOW_UP_REASON_VIP_CARE);
    schedule.mutable_follow_up()->mutable_due_time()->set_seconds(1780272000 +
                                                                  i);
    fbv1::ScheduleFollowUpResponse scheduled;
    ASSERT_TRUE(Call(*feedback, &FeedbackStub::ScheduleFollowUp, kAdmin,
                     schedule, &scheduled)
                    .ok());
    follow_up_ids[i] = scheduled.follow_up().follow_up_id();
  }
  fbv1::CompleteFollowUpRequest made;
  made.set_request_id("bad-input-seed-follow-up-made");
  made.set_follow_up_id(follow_up_ids[1]);
  made.set_outcome(fbv1::FOLLOW_UP_OUTCOME_UNREACHABLE);
  fbv1::CompleteFollowUpResponse completed;
  ASSERT_TRUE(
      Call(*feedback, &FeedbackStub::CompleteFollowUp, kAdmin, made, &completed)
          .ok());

  for (const BadInputCase& c : Cases()) {
    SCOPED_TRACE(c.name);
    const std::string before = Fingerprint();
    Target target{*stub,   server_.Channel(), server_,       id,
                  *orders, order_id,          paid_order_id, return_id};
    target.complaint_id = complained.complaint().complaint_id();
    target.complaint_etag = complained.complaint().etag();
    target.survey_id = surveyed.survey().survey_id();
    target.feedback_id = feedback_id;
    target.follow_up_id = follow_up_ids[0];
    target.done_follow_up_id = follow_up_ids[1];
    target.feedback_page_token = listed_feedback.next_page_token();
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
  // Nor the return, nor the paid order it came from.
  ov1::GetReturnRequest get_return;
  get_return.set_return_id(return_id);
  ov1::GetReturnResponse got_return;
  ASSERT_TRUE(
      Call(*orders, &OrderStub::GetReturn, kAdmin, get_return, &got_return)
          .ok());
  EXPECT_EQ(got_return.order_return().status(), ov1::RETURN_STATUS_RECEIVED);
  EXPECT_EQ(got_return.order_return().refunds_size(), 0);
  get_order.set_order_id(paid_order_id);
  ASSERT_TRUE(
      Call(*orders, &OrderStub::GetOrder, kAdmin, get_order, &got_order).ok());
  EXPECT_EQ(got_order.order().status(), ov1::ORDER_STATUS_PAID);
  EXPECT_EQ(got_order.order().paid().minor_units(), 30'000);
  EXPECT_EQ(got_order.order().refunds_size(), 0);
  // Nor the complaint.
  cmv1::GetComplaintRequest get_complaint;
  get_complaint.set_complaint_id(complained.complaint().complaint_id());
  cmv1::GetComplaintResponse got_complaint;
  ASSERT_TRUE(Call(*complaints, &ComplaintStub::GetComplaint, kAdmin,
                   get_complaint, &got_complaint)
                  .ok());
  EXPECT_EQ(got_complaint.complaint().etag(), complained.complaint().etag());
  EXPECT_EQ(got_complaint.complaint().status(), cmv1::COMPLAINT_STATUS_NEW);
  EXPECT_EQ(got_complaint.complaint().subject(), "店员态度差");
  // Nor the feedback: one survey, the two items, the follow-up still due.
  fbv1::ListSurveysResponse surveys;
  ASSERT_TRUE(Call(*feedback, &FeedbackStub::ListSurveys, kAdmin,
                   fbv1::ListSurveysRequest(), &surveys)
                  .ok());
  EXPECT_EQ(surveys.surveys_size(), 1);
  fbv1::ListFeedbackResponse items;
  ASSERT_TRUE(Call(*feedback, &FeedbackStub::ListFeedback, kAdmin,
                   fbv1::ListFeedbackRequest(), &items)
                  .ok());
  EXPECT_EQ(items.feedback_size(), 2);
  fbv1::ListFollowUpsRequest pending;
  pending.set_status(fbv1::FOLLOW_UP_STATUS_PENDING);
  fbv1::ListFollowUpsResponse due;
  ASSERT_TRUE(
      Call(*feedback, &FeedbackStub::ListFollowUps, kAdmin, pending, &due)
          .ok());
  ASSERT_EQ(due.follow_ups_size(), 1);
  EXPECT_EQ(due.follow_ups(0).follow_up_id(), follow_up_ids[0]);
}

}  // namespace
}  // namespace retail::testing
