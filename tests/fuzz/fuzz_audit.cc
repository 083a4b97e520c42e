// libFuzzer target for retail.audit.v1.AuditService/ListAuditLog.
//
// Each input (layout in harness.h, RPCs in audit_rpc.h) is up to kMaxCalls
// calls against the real in-process server, starting from the seeded
// database (a customer, a replay, a business failure and a reveal in the
// log). Besides ListAuditLog, an input may create and read customers
// as any caller, so the log it lists holds rows of every kind the input
// made. Bytes that do not parse as the request go through the generic stub
// unchanged, to exercise the server's malformed-request path.
//
// Beyond the status invariants of CheckStatus: only admin and auditor are
// ever answered OK; every INVALID_ARGUMENT names a field; a page holds at
// most the page size asked (0: 100, at most 1000), newest first by
// (create_time, audit_id), every entry matches every filter of the request,
// a page reached with a token continues strictly below the page before it,
// and no entry carries the phone number the seeds used unless the input
// wrote it itself (the log holds no personal data, but echoes request_ids,
// resource ids and bad values).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/time_util.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "retail/audit/v1/audit.grpc.pb.h"
#include "retail/customers/v1/customers.grpc.pb.h"
#include "tests/fuzz/audit_rpc.h"
#include "tests/fuzz/harness.h"

namespace retail::fuzz {
namespace {

namespace av1 = ::retail::audit::v1;
namespace cv1 = ::retail::customers::v1;
using ::google::protobuf::util::TimeUtil;

constexpr uint64_t kAliveCheckEvery = 1000;
// The seeded customer's phone: revealed to the agent, never in the log.
constexpr char kSeedPhone[] = "13912345678";

using Key = std::pair<int64_t, int64_t>;  // (create_time_us, audit_id)

struct State {
  FuzzServer& server = FuzzServer::Get();
  std::unique_ptr<av1::AuditService::Stub> audit =
      av1::AuditService::NewStub(server.channel());
  std::unique_ptr<cv1::CustomerService::Stub> customers =
      cv1::CustomerService::NewStub(server.channel());
  IdPool ids;
  // Per caller: the last next_page_token of ListAuditLog, and the key of
  // the last entry of the page that returned it.
  std::string page_token[kCallerCount];
  Key page_end[kCallerCount];
  // Whether the current input's bytes hold kSeedPhone anywhere.
  bool input_has_phone = false;
  uint64_t inputs = 0;

  void StartInput(absl::string_view input) {
    server.RestoreSnapshot();
    input_has_phone = absl::StrContains(input, kSeedPhone);
    ids.ClearRecent();
    for (std::string& t : page_token) t.clear();
  }
};

State* g_state = nullptr;

struct Call {
  AuditRpc rpc;
  const FuzzInput& in;
  State& state;
  std::string method() const { return kRpcNames[rpc]; }
};

bool WorthProbing(const grpc::Status& status) {
  return status.error_code() == grpc::StatusCode::UNAVAILABLE ||
         status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED ||
         status.error_code() == grpc::StatusCode::CANCELLED;
}

Key KeyOf(const av1::AuditEntry& e) {
  return {TimeUtil::TimestampToMicroseconds(e.create_time()), e.audit_id()};
}

// The request's filters as the server reads them (the request succeeded,
// so they are valid).
bool Matches(const av1::ListAuditLogRequest& req, const av1::AuditEntry& e) {
  if (!req.principal().empty() && e.principal() != req.principal())
    return false;
  if (!req.resource().empty() && e.resource() != req.resource()) return false;
  if (!req.method().empty()) {
    absl::string_view m = req.method();
    absl::ConsumePrefix(&m, "/");
    if (absl::StrContains(m, '/')
            ? e.method() != m
            : !absl::StartsWith(e.method(), absl::StrCat(m, "/"))) {
      return false;
    }
  }
  if (req.outcomes_size() > 0 &&
      std::none_of(req.outcomes().begin(), req.outcomes().end(),
                   [&](const std::string& o) {
                     return absl::AsciiStrToUpper(o) == e.outcome();
                   })) {
    return false;
  }
  const int64_t t = TimeUtil::TimestampToMicroseconds(e.create_time());
  if (req.has_start_time() &&
      t < TimeUtil::TimestampToMicroseconds(req.start_time()))
    return false;
  if (req.has_end_time() &&
      t >= TimeUtil::TimestampToMicroseconds(req.end_time()))
    return false;
  return true;
}

void CheckNamesAField(const Call& call, const grpc::Status& status) {
  google::rpc::Status details;
  if (!details.ParseFromString(status.error_details())) {
    Violation(call.method(), "INVALID_ARGUMENT without details");
  }
  for (const auto& any : details.details()) {
    google::rpc::BadRequest bad;
    if (any.UnpackTo(&bad) && bad.field_violations_size() > 0) return;
  }
  Violation(call.method(), absl::StrCat("INVALID_ARGUMENT naming no field: ",
                                        status.error_message()));
}

void Inspect(const Call& call, const av1::ListAuditLogRequest& req,
             const av1::ListAuditLogResponse& resp, bool continued) {
  const std::string method = call.method();
  const Caller caller = call.in.caller;
  if (caller != Caller::kAdmin && caller != Caller::kAuditor) {
    Violation(method, absl::StrCat(CallerName(caller), " read the audit log"));
  }
  const int size = req.page_size() == 0 ? 100 : std::min(req.page_size(), 1000);
  if (resp.entries_size() > size) {
    Violation(method, absl::StrCat(resp.entries_size(),
                                   " entries for page size ", req.page_size()));
  }
  const int c = static_cast<int>(caller);
  Key previous = continued ? call.state.page_end[c] : Key{INT64_MAX, INT64_MAX};
  for (const av1::AuditEntry& e : resp.entries()) {
    const Key key = KeyOf(e);
    if (!(key < previous)) {
      Violation(method, absl::StrCat("entry ", e.audit_id(),
                                     " is not below the one before it"));
    }
    previous = key;
    if (!Matches(req, e)) {
      Violation(method, absl::StrCat("entry ", e.audit_id(),
                                     " does not match the filters: ",
                                     e.ShortDebugString()));
    }
    if (e.count() < 1) Violation(method, "an entry counting less than 1");
    // Rows echo what the caller sent (request_id, a resource id, a bad
    // value in a failure's detail), so only an input that never wrote the
    // phone itself proves the server copied it in.
    if (!call.state.input_has_phone &&
        absl::StrContains(e.ShortDebugString(), kSeedPhone)) {
      Violation(method, "a phone number in the audit log");
    }
  }
  if (!resp.next_page_token().empty()) {
    call.state.page_token[c] = resp.next_page_token();
    if (resp.entries_size() > 0) call.state.page_end[c] = previous;
    // An empty page with a token (the scan budget ran out) says nothing of
    // where it stopped; the next page is checked only for its own order.
    if (resp.entries_size() == 0)
      call.state.page_end[c] = {INT64_MAX, INT64_MAX};
  }
}

grpc::Status RunList(const Call& call, av1::ListAuditLogRequest& req) {
  const int c = static_cast<int>(call.in.caller);
  bool continued = false;
  if (req.page_token() == kLastPageToken) {
    req.set_page_token(call.state.page_token[c]);
    continued = !req.page_token().empty();
  }
  if (call.in.id_slot >= 0) {
    req.set_resource(
        absl::StrCat("customers/", call.state.ids.Pick(call.in.id_slot)));
  }
  av1::ListAuditLogResponse resp;
  const grpc::Status status = call.state.audit->ListAuditLog(
      call.state.server.Context(call.in.caller).get(), req, &resp);
  if (TraceEnabled()) {
    TraceCall(call.method(), call.in.caller, status, resp.ShortDebugString());
  }
  CheckStatus(call.method(), status);
  if (status.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
    CheckNamesAField(call, status);
  }
  if (status.ok()) Inspect(call, req, resp, continued);
  return status;
}

grpc::Status Dispatch(const Call& call) {
  const std::string method = call.method();
  const auto parse = [&](google::protobuf::Message& m) {
    return m.ParseFromArray(call.in.message.data(),
                            static_cast<int>(call.in.message.size()));
  };
  const auto raw = [&] {
    const grpc::Status status = call.state.server.RawCall(
        absl::StrCat("/", method), call.in.message, call.in.caller);
    if (TraceEnabled()) {
      TraceCall(method, call.in.caller, status, "(malformed request)");
    }
    CheckStatus(method, status);
    if (status.error_code() != grpc::StatusCode::INVALID_ARGUMENT &&
        !WorthProbing(status)) {
      Violation(method, absl::StrCat("malformed request bytes answered code ",
                                     status.error_code()));
    }
    return status;
  };
  switch (call.rpc) {
    case kListAuditLog: {
      av1::ListAuditLogRequest req;
      if (!parse(req)) return raw();
      return RunList(call, req);
    }
    case kCreateCustomer: {
      cv1::CreateCustomerRequest req;
      if (!parse(req)) return raw();
      if (call.in.fresh_request_id)
        req.set_request_id(call.state.server.FreshRequestId());
      cv1::CreateCustomerResponse resp;
      const grpc::Status status = call.state.customers->CreateCustomer(
          call.state.server.Context(call.in.caller).get(), req, &resp);
      if (TraceEnabled()) {
        TraceCall(method, call.in.caller, status, resp.ShortDebugString());
      }
      CheckStatus(method, status);
      if (status.ok()) call.state.ids.AddRecent(resp.customer().customer_id());
      return status;
    }
    case kGetCustomer: {
      cv1::GetCustomerRequest req;
      if (!parse(req)) return raw();
      if (call.in.id_slot >= 0)
        req.set_customer_id(call.state.ids.Pick(call.in.id_slot));
      cv1::GetCustomerResponse resp;
      const grpc::Status status = call.state.customers->GetCustomer(
          call.state.server.Context(call.in.caller).get(), req, &resp);
      if (TraceEnabled()) {
        TraceCall(method, call.in.caller, status, resp.ShortDebugString());
      }
      CheckStatus(method, status);
      return status;
    }
    case kRpcCount:
      break;
  }
  std::abort();  // unreachable: rpc is taken mod kRpcCount
}

grpc::Status ProbeRead(State& state) {
  av1::ListAuditLogRequest req;
  req.set_page_size(1);
  av1::ListAuditLogResponse resp;
  return state.audit->ListAuditLog(state.server.Context(Caller::kAuditor).get(),
                                   req, &resp);
}

void MustSucceed(const char* what, const grpc::Status& status) {
  if (!status.ok()) {
    std::fprintf(stderr, "fuzz: seeding failed at %s: %d %s\n", what,
                 status.error_code(), status.error_message().c_str());
    std::abort();
  }
}

// A log with a change, its replay, a business failure and a reveal.
void Seed(State& state) {
  cv1::CreateCustomerRequest create;
  create.set_request_id("fuzz-audit-seed-create");
  create.mutable_customer()->set_branch_id("B001");
  create.mutable_customer()->set_display_name("王小明");
  create.mutable_customer()->set_phone(kSeedPhone);
  cv1::CreateCustomerResponse created;
  MustSucceed("CreateCustomer", state.customers->CreateCustomer(
                                    state.server.Context(Caller::kAdmin).get(),
                                    create, &created));
  state.ids.AddSeeded(created.customer().customer_id());
  MustSucceed(
      "CreateCustomer again",
      state.customers->CreateCustomer(
          state.server.Context(Caller::kAdmin).get(), create, &created));
  // Refused inside the write path, so audited before the answer (failures
  // refused before it are audited after, which a snapshot could miss).
  create.set_request_id("fuzz-audit-seed-taken");
  (void)state.customers->CreateCustomer(
      state.server.Context(Caller::kAdmin).get(), create, &created);
  cv1::GetCustomerRequest get;
  get.set_customer_id(state.ids.seeded().front());
  get.set_reveal_pii(true);
  cv1::GetCustomerResponse got;
  MustSucceed("GetCustomer",
              state.customers->GetCustomer(
                  state.server.Context(Caller::kAgent).get(), get, &got));
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
  state.StartInput(
      absl::string_view(reinterpret_cast<const char*>(data), size));
  for (absl::string_view bytes : SplitCalls(data, size)) {
    FuzzInput in;
    if (!DecodeInput(bytes, &in)) continue;
    const Call call{static_cast<AuditRpc>(in.rpc % kRpcCount), in, state};
    if (WorthProbing(Dispatch(call))) {
      state.server.CheckAlive([&state] { return ProbeRead(state); });
    }
  }
  if (++state.inputs % kAliveCheckEvery == 0) {
    state.server.CheckAlive([&state] { return ProbeRead(state); });
  }
  return 0;
}
