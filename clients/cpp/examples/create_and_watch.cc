// Another team's program: create a customer and an order, then follow the
// event stream until both CREATED events have arrived.
//
//   create_and_watch --addr 127.0.0.1:50051 --token "$TOKEN"
//                    [--after-sequence N] [--timeout 30] [--branch B001]
//
// Without --after-sequence the watch starts at the stream's present (taken
// before the writes); with it, it resumes after the sequence a previous run
// printed, so it sees every event since, and none twice. The last line is the
// sequence to pass back next time. Exit 0 when both events were seen, 1 on a
// timeout or an error, 2 on a bad command line.
//
// Built against the installed package: find_package(RetailClient) and
// RetailClient::protos (see CMakeLists.txt here).

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <random>
#include <set>
#include <string>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "retail/customers/v1/customers.grpc.pb.h"
#include "retail/events/v1/events.grpc.pb.h"
#include "retail/orders/v1/orders.grpc.pb.h"
#include "retail/server/v1/server_info.grpc.pb.h"

namespace {

using Clock = std::chrono::system_clock;

struct Options {
  std::string addr = "127.0.0.1:50051";
  std::string token;
  std::string branch = "B001";
  bool resume = false;
  int64_t after_sequence = 0;
  int timeout_seconds = 30;
};

// $RETAIL_TOKEN, else ~/.config/retailctl/token (where retailctl looks).
std::string DefaultToken() {
  if (const char* env = std::getenv("RETAIL_TOKEN"); env != nullptr && *env)
    return env;
  std::string config;
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME");
      xdg != nullptr && *xdg) {
    config = xdg;
  } else if (const char* home = std::getenv("HOME"); home != nullptr) {
    config = std::string(home) + "/.config";
  }
  std::string token;
  std::ifstream(config + "/retailctl/token") >> token;
  return token;
}

bool Parse(int argc, char** argv, Options& o) {
  if (const char* env = std::getenv("RETAIL_ADDR"); env != nullptr && *env)
    o.addr = env;
  o.token = DefaultToken();
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) return false;
    const std::string value = argv[++i];
    try {
      if (flag == "--addr")
        o.addr = value;
      else if (flag == "--token")
        o.token = value;
      else if (flag == "--branch")
        o.branch = value;
      else if (flag == "--after-sequence")
        o.resume = true, o.after_sequence = std::stoll(value);
      else if (flag == "--timeout")
        o.timeout_seconds = std::stoi(value);
      else
        return false;
    } catch (const std::exception&) {
      return false;
    }
  }
  return true;
}

// A fresh idempotency key (8..64 of [A-Za-z0-9_-]). Keep it to retry a write.
std::string NewRequestId() {
  static std::mt19937_64 random{std::random_device{}()};
  static const char kHex[] = "0123456789abcdef";
  std::string id;
  for (int i = 0; i < 32; ++i) id += kHex[random() % 16];
  return id;
}

// Every call carries the token (and the deadline of the whole run). Over a
// plaintext loopback channel gRPC sends no call credentials, so the metadata
// is set on each call's context.
void Prepare(grpc::ClientContext& ctx, const Options& o,
             Clock::time_point deadline) {
  ctx.AddMetadata("authorization", "Bearer " + o.token);
  ctx.set_deadline(deadline);
}

const char* CodeName(grpc::StatusCode code) {
  static const char* const kNames[] = {"OK",
                                       "CANCELLED",
                                       "UNKNOWN",
                                       "INVALID_ARGUMENT",
                                       "DEADLINE_EXCEEDED",
                                       "NOT_FOUND",
                                       "ALREADY_EXISTS",
                                       "PERMISSION_DENIED",
                                       "RESOURCE_EXHAUSTED",
                                       "FAILED_PRECONDITION",
                                       "ABORTED",
                                       "OUT_OF_RANGE",
                                       "UNIMPLEMENTED",
                                       "INTERNAL",
                                       "UNAVAILABLE",
                                       "DATA_LOSS",
                                       "UNAUTHENTICATED"};
  const int i = static_cast<int>(code);
  return i >= 0 && i < 17 ? kNames[i] : "UNKNOWN";
}

// The code, the message and the google.rpc details (bad fields, reason).
int Fail(const std::string& what, const grpc::Status& status) {
  std::cerr << "error: " << what << ": " << CodeName(status.error_code())
            << ": " << status.error_message() << "\n";
  google::rpc::Status details;
  if (!status.error_details().empty() &&
      details.ParseFromString(status.error_details())) {
    for (const auto& any : details.details()) {
      google::rpc::BadRequest bad;
      google::rpc::ErrorInfo info;
      if (any.UnpackTo(&bad)) {
        for (const auto& v : bad.field_violations()) {
          std::cerr << "  field " << v.field() << ": " << v.description()
                    << "\n";
        }
      } else if (any.UnpackTo(&info)) {
        std::cerr << "  reason " << info.reason() << "\n";
      }
    }
  }
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!Parse(argc, argv, o)) {
    std::cerr << "usage: " << argv[0]
              << " [--addr HOST:PORT] [--token TOKEN] [--branch ID]"
                 " [--after-sequence N] [--timeout SECONDS]\n";
    return 2;
  }
  const Clock::time_point deadline =
      Clock::now() + std::chrono::seconds(o.timeout_seconds);

  // One channel for every service. Plaintext: the server allows it on
  // loopback only; use grpc::SslCredentials(...) for a remote server.
  auto channel =
      grpc::CreateChannel(o.addr, grpc::InsecureChannelCredentials());
  auto info_stub = retail::server::v1::ServerInfoService::NewStub(channel);
  auto customers = retail::customers::v1::CustomerService::NewStub(channel);
  auto orders = retail::orders::v1::OrderService::NewStub(channel);
  auto events = retail::events::v1::EventService::NewStub(channel);

  // Authenticate: any valid token may ask what the server is.
  retail::server::v1::GetServerInfoResponse info;
  {
    grpc::ClientContext ctx;
    Prepare(ctx, o, deadline);
    grpc::Status s = info_stub->GetServerInfo(&ctx, {}, &info);
    if (!s.ok()) return Fail("GetServerInfo", s);
  }
  std::cout << "connected: retail_server " << info.version() << ", currency "
            << info.currency_code() << "\n";

  // Watch first, so the writes below are certain to be in the stream.
  retail::events::v1::WatchEventsRequest watch;
  watch.add_resource_types("customer");
  watch.add_resource_types("order");
  if (o.resume) {
    watch.set_after_sequence(o.after_sequence);
    std::cout << "watching customer and order events after sequence "
              << o.after_sequence << "\n";
  } else {
    watch.set_start(retail::events::v1::START_POSITION_NOW);
    std::cout << "watching customer and order events from now\n";
  }
  grpc::ClientContext watch_ctx;
  Prepare(watch_ctx, o, deadline);
  std::unique_ptr<grpc::ClientReader<retail::events::v1::WatchEventsResponse>>
      stream = events->WatchEvents(&watch_ctx, watch);

  int64_t last_sequence = o.after_sequence;
  std::set<std::string> created;  // resources whose CREATED event arrived
  auto take = [&](const retail::events::v1::WatchEventsResponse& message) {
    for (const auto& e : message.events()) {
      last_sequence = std::max(last_sequence, e.sequence());
      if (e.event_type() == "CREATED") created.insert(e.resource());
      std::cout << "event " << e.sequence() << ": " << e.resource_type() << " "
                << e.event_type() << " " << e.resource() << " revision "
                << e.revision() << " by " << e.principal() << "\n";
    }
    last_sequence = std::max(last_sequence, message.progress_sequence());
  };
  auto stream_failed = [&](const char* what) {
    grpc::Status s = stream->Finish();
    if (s.ok())
      s = grpc::Status(grpc::StatusCode::UNAVAILABLE,
                       "the server ended the event stream");
    Fail(what, s);
    if (last_sequence > o.after_sequence) {
      std::cerr << "last sequence: " << last_sequence
                << " (resume with --after-sequence " << last_sequence << ")\n";
    }
    return 1;
  };

  retail::events::v1::WatchEventsResponse message;
  if (!stream->Read(&message)) return stream_failed("WatchEvents");
  take(message);  // sent at once: the stream is live
  std::cout << "stream live at sequence " << last_sequence << "\n";

  retail::customers::v1::CreateCustomerResponse customer;
  {
    retail::customers::v1::CreateCustomerRequest req;
    req.mutable_customer()->set_display_name("Example Customer");
    req.mutable_customer()->set_branch_id(o.branch);
    req.set_request_id(NewRequestId());
    grpc::ClientContext ctx;
    Prepare(ctx, o, deadline);
    grpc::Status s = customers->CreateCustomer(&ctx, req, &customer);
    if (!s.ok()) return Fail("CreateCustomer", s);
  }
  const std::string customer_id = customer.customer().customer_id();
  std::cout << "created customers/" << customer_id << "\n";

  retail::orders::v1::CreateOrderResponse order;
  {
    retail::orders::v1::CreateOrderRequest req;
    auto* ord = req.mutable_order();
    ord->set_customer_id(customer_id);
    ord->set_branch_id(o.branch);
    ord->set_channel(retail::orders::v1::ORDER_CHANNEL_STORE);
    auto* item = ord->add_items();
    item->set_sku("A1001");
    item->set_name("T-shirt");
    item->set_quantity(2);
    item->mutable_unit_price()->set_currency_code(info.currency_code());
    item->mutable_unit_price()->set_minor_units(9900);
    req.set_request_id(NewRequestId());
    grpc::ClientContext ctx;
    Prepare(ctx, o, deadline);
    grpc::Status s = orders->CreateOrder(&ctx, req, &order);
    if (!s.ok()) return Fail("CreateOrder", s);
  }
  const std::string order_id = order.order().order_id();
  std::cout << "created orders/" << order_id << " total "
            << order.order().total().minor_units() << " "
            << order.order().total().currency_code() << " minor units\n";

  const std::string want_customer = "customers/" + customer_id;
  const std::string want_order = "orders/" + order_id;
  while (!created.count(want_customer) || !created.count(want_order)) {
    if (!stream->Read(&message))
      return stream_failed("WatchEvents");  // e.g. the deadline
    take(message);
  }
  watch_ctx.TryCancel();
  (void)stream->Finish();  // CANCELLED: we ended it

  std::cout << "saw both CREATED events: " << want_customer << ", "
            << want_order << "\n";
  std::cout << "last sequence: " << last_sequence
            << " (resume with --after-sequence " << last_sequence << ")\n";
  return 0;
}
