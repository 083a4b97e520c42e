// The server as a whole, whatever services it hosts: authentication, health,
// malformed bytes, deadlines, oversize messages, x-staff-id, ServerInfo, and
// the access policy of every RPC of every registered service for every role.
#include <fcntl.h>
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/access.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "retail/customers/v1/customers.grpc.pb.h"
#include "retail/server/v1/server_info.grpc.pb.h"
#include "server/module.h"
#include "tests/integration/raw_h2_call.h"
#include "tests/integration/test_server.h"

namespace retail::testing {
namespace {

using ::retail::customers::v1::CreateCustomerRequest;
using ::retail::customers::v1::CreateCustomerResponse;
using ::retail::customers::v1::Customer;
using ::retail::customers::v1::CustomerService;
using ::testing::ElementsAre;

constexpr char kAllMethodsService[] = "svc-all-token";
constexpr char kNoMethodsService[] = "svc-none-token";

// Every method of every module's access table (so of every registered
// service: start-up fails if a method has no rule), for a service token that
// lists them all. A new module's RPCs join the policy walk by themselves.
std::string AllMethods() {
  std::string all;
  for (const ModuleSpec& spec : Modules()) {
    const AccessTable table = spec.access();
    for (const AccessRule& rule : table.rules()) {
      absl::StrAppend(&all, all.empty() ? "" : ",", rule.method_name);
    }
  }
  return all;
}

TestServerOptions Options() {
  TestServerOptions options;
  options.principals.push_back(
      {kAllMethodsService, "svc-all service methods=" + AllMethods()});
  options.principals.push_back(
      {kNoMethodsService, "svc-none service methods=other.v1.Other/Nothing"});
  return options;
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override { stub_ = CustomerService::NewStub(server_.Channel()); }

  CreateCustomerRequest NewCustomer(const std::string& name,
                                    const std::string& phone,
                                    const std::string& branch = "B001") {
    CreateCustomerRequest req;
    req.set_request_id(absl::StrCat("create-request-", ++request_counter_));
    req.mutable_customer()->set_display_name(name);
    req.mutable_customer()->set_phone(phone);
    req.mutable_customer()->set_branch_id(branch);
    return req;
  }

  template <typename Req, typename Resp>
  grpc::Status Call(grpc::Status (CustomerService::Stub::*method)(
                        grpc::ClientContext*, const Req&, Resp*),
                    const std::string& token, const Req& req, Resp* resp) {
    return testing::Call(*stub_, method, token, req, resp);
  }

  Customer Create(const std::string& name, const std::string& phone) {
    CreateCustomerResponse resp;
    grpc::Status s = Call(&CustomerService::Stub::CreateCustomer, kAdmin,
                          NewCustomer(name, phone), &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.customer();
  }

  customers::v1::GetCustomerResponse Get(const std::string& token,
                                         const std::string& id,
                                         grpc::Status* status) {
    customers::v1::GetCustomerRequest req;
    req.set_customer_id(id);
    customers::v1::GetCustomerResponse resp;
    *status = Call(&CustomerService::Stub::GetCustomer, token, req, &resp);
    return resp;
  }

  TestServer server_{Options()};
  std::unique_ptr<CustomerService::Stub> stub_;
  int request_counter_ = 0;
};

TEST_F(ServerTest, MissingOrUnknownTokenIsUnauthenticated) {
  grpc::Status s;
  Get("", "cus_x", &s);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  Get("not-a-token", "cus_x", &s);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(ServerTest, HealthNeedsNoToken) {
  std::string response;
  // An empty HealthCheckRequest asks about the server as a whole.
  grpc::Status s = RawCall(server_.Channel(), "/grpc.health.v1.Health/Check",
                           "", "", &response);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(response, std::string("\x08\x01", 2));  // status: SERVING
}

TEST_F(ServerTest, MalformedBytesAreInvalidArgument) {
  const std::string method =
      "/retail.customers.v1.CustomerService/CreateCustomer";
  std::string response;
  // customer { display_name: <0xFF 0xFE> }: invalid UTF-8 in a proto3 string.
  const std::string bad_utf8("\x0a\x04\x1a\x02\xff\xfe", 6);
  grpc::Status s =
      RawCall(server_.Channel(), method, bad_utf8, kAdmin, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << s.error_message();
  EXPECT_THAT(DetailsOf(s).fields, ElementsAre("request"));
  // Truncated wire data.
  s = RawCall(server_.Channel(), method, std::string("\x0a\x7f\x01", 3), kAdmin,
              &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(server_.QueryScalar("SELECT COUNT(*) FROM customers"), "0");
  // A method that really does not exist is still UNIMPLEMENTED.
  s = RawCall(server_.Channel(), "/retail.customers.v1.CustomerService/Nope",
              "", kAdmin, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNIMPLEMENTED);
}

// A call whose deadline had already passed when it arrived. The gRPC client
// library fails such a call itself without sending it, so it is written by
// hand (raw_h2_call.h) with grpc-timeout 0n. Not 1n: gRPC core keeps
// deadlines to the millisecond, rounding a timeout up, so 1n leaves the
// server a millisecond in which the call usually runs, and is applied, while
// core answers the client DEADLINE_EXCEEDED on its own timer. A zero timeout
// has passed once the headers are read, yet core still hands the call to our
// handler (it cancels on its own only calls whose deadline passes before
// their request is in), so CallGate::Admit is what must refuse it: before
// the token is checked, and before anything is read, revealed or written.
TEST_F(ServerTest, ExpiredDeadlineIsRefusedAtTheGate) {
  const Customer existing = Create("到期", "13900000703");
  auto expired_call = [&](const std::string& method,
                          const google::protobuf::Message& request,
                          const std::string& token) {
    RawH2Request raw;
    raw.path = "/retail.customers.v1.CustomerService/" + method;
    raw.message = request.SerializeAsString();
    raw.headers = {{"grpc-timeout", "0n"},
                   {"authorization", "Bearer " + token}};
    return RawH2Call(server_.server().port(), raw);
  };
  constexpr int kCalls = 5;
  for (int i = 0; i < kCalls; ++i) {
    CreateCustomerRequest create = NewCustomer("过期", "13900000704");
    create.set_request_id(absl::StrCat("expired-create-", i));
    RawH2Response r = expired_call("CreateCustomer", create, kAdmin);
    ASSERT_EQ(r.error, "");
    EXPECT_EQ(r.grpc_status,
              static_cast<int>(grpc::StatusCode::DEADLINE_EXCEEDED))
        << r.grpc_message;
    // An agent's reveal: an audited read, whose audit row would be its
    // side effect.
    customers::v1::GetCustomerRequest get;
    get.set_customer_id(existing.customer_id());
    get.set_reveal_pii(true);
    r = expired_call("GetCustomer", get, kAgent);
    ASSERT_EQ(r.error, "");
    EXPECT_EQ(r.grpc_status,
              static_cast<int>(grpc::StatusCode::DEADLINE_EXCEEDED))
        << r.grpc_message;
  }
  // gRPC core answers such a call on its own timer, without waiting for our
  // handler; a clean stop waits for every handler and the writer's queue,
  // and writes the folded audit counts still in memory.
  server_.Restart();
  // Nothing was created, stored for replay, succeeded or revealed.
  EXPECT_EQ(server_.QueryScalar("SELECT COUNT(*) FROM customers"), "1");
  EXPECT_EQ(server_.QueryScalar("SELECT COUNT(*) FROM idempotency_keys WHERE "
                                "request_id LIKE 'expired-create-%'"),
            "0");
  EXPECT_EQ(server_.QueryScalar("SELECT COUNT(*) FROM audit_log WHERE "
                                "request_id LIKE 'expired-create-%' AND "
                                "outcome = 'OK'"),
            "0");
  EXPECT_EQ(server_.QueryScalar(
                "SELECT COUNT(*) FROM audit_log WHERE outcome = 'REVEAL'"),
            "0");
  // Every call was refused at the gate, before its token was checked:
  // audited with no principal. None got past it (a call refused later, by
  // the writer or a reader, is audited under its principal). RawH2Call sends
  // each request in one write; sent in pieces, a request may be cancelled by
  // gRPC core's own deadline timer before our handler gets it.
  auto refused_at_gate = [&](const char* method) {
    return std::stoi(server_.QueryScalar(absl::StrCat(
        "SELECT CAST(COALESCE(SUM(count), 0) AS BIGINT) FROM audit_log WHERE "
        "principal_id = '(unauthenticated)' AND outcome = "
        "'DEADLINE_EXCEEDED' AND method = "
        "'retail.customers.v1.CustomerService/",
        method, "'")));
  };
  EXPECT_EQ(refused_at_gate("CreateCustomer"), kCalls);
  EXPECT_EQ(refused_at_gate("GetCustomer"), kCalls);
  EXPECT_EQ(server_.QueryScalar("SELECT COUNT(*) FROM audit_log WHERE "
                                "outcome = 'DEADLINE_EXCEEDED' AND "
                                "principal_id != '(unauthenticated)'"),
            "0");
}

TEST_F(ServerTest, OversizedMessageIsResourceExhausted) {
  CreateCustomerRequest big = NewCustomer("大", "13900000701");
  big.mutable_customer()->set_notes(std::string(5 * 1024 * 1024, 'x'));
  CreateCustomerResponse created;
  grpc::Status s =
      Call(&CustomerService::Stub::CreateCustomer, kAdmin, big, &created);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  // The server is still up.
  Create("之后", "13900000702");
}

// Runs scripts/add-token (the real one) for the server's auth config and
// returns the token it printed; "" if it failed (the test fails too).
std::string AddToken(const std::string& auth_path, const std::string& args) {
  const std::string log = auth_path + ".add-token.log";
  const std::string command =
      absl::StrCat(RETAIL_ADD_TOKEN_SCRIPT, " ", args, " --auth-config '",
                   auth_path, "' 2>'", log, "'");
  FILE* out = popen(command.c_str(), "r");
  if (out == nullptr) {
    ADD_FAILURE() << "cannot run " << command;
    return "";
  }
  std::string token;
  char buffer[256];
  while (fgets(buffer, sizeof(buffer), out) != nullptr) token += buffer;
  const int status = pclose(out);
  std::ifstream stderr_text(log);
  std::string diagnostics((std::istreambuf_iterator<char>(stderr_text)),
                          std::istreambuf_iterator<char>());
  EXPECT_EQ(status, 0) << command << ":\n" << diagnostics;
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) {
    token.pop_back();
  }
  EXPECT_THAT(token, ::testing::MatchesRegex("[0-9a-f]{64}")) << diagnostics;
  return status == 0 ? token : "";
}

int64_t MtimeNs(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return -1;
  return int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec;
}

// File systems with coarse timestamps may give two edits a few
// milliseconds apart the same mtime, and the server reloads on a changed
// mtime: an operator's edits are seconds apart, a test's are not.
void EnsureMtimeChanged(const std::string& path, int64_t before) {
  if (MtimeNs(path) != before) return;
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  struct timespec times[2] = {st.st_atim, st.st_mtim};
  times[1].tv_sec += 1;
  ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
}

// scripts/add-token with the server running: the new token works without a
// restart (the server re-reads its auth config), with the role it was
// given; removing its line revokes it, again without a restart.
TEST_F(ServerTest, AddTokenTakesEffectWithoutRestartAndRemovalRevokes) {
  const Customer c = Create("新令牌", "13900000901");
  auto get_as = [&](const std::string& token, grpc::Status* status) {
    return Get(token, c.customer_id(), status);
  };
  const std::string auth_path = server_.auth_path();
  const int64_t mtime_before = MtimeNs(auth_path);

  const std::string token = AddToken(auth_path, "agent desk-7");
  ASSERT_FALSE(token.empty());
  EnsureMtimeChanged(auth_path, mtime_before);
  // The server looks at the file at most once a second (of its clock).
  server_.clock().Advance(2 * kMicrosPerSecond);
  grpc::Status s;
  customers::v1::GetCustomerResponse got = get_as(token, &s);
  ASSERT_TRUE(s.ok()) << s.error_code() << " " << s.error_message();
  EXPECT_EQ(got.customer().display_name(), "新令牌");
  EXPECT_EQ(got.customer().phone(), "139****0901");  // an agent's view
  // What it writes is recorded under the new principal and its role.
  CreateCustomerResponse created;
  ASSERT_TRUE(Call(&CustomerService::Stub::CreateCustomer, token,
                   NewCustomer("代理", "13900000902"), &created)
                  .ok());
  EXPECT_EQ(server_.QueryScalar(
                "SELECT principal_id || '/' || role FROM audit_log WHERE "
                "resource = 'customers/" +
                created.customer().customer_id() + "' AND outcome = 'OK'"),
            "desk-7/agent");
  // The tokens that were there keep working.
  get_as(kAdmin, &s);
  EXPECT_TRUE(s.ok()) << s.error_message();

  // Removing the principal's line revokes the token.
  std::string kept;
  {
    std::ifstream in(auth_path);
    std::string line;
    while (std::getline(in, line)) {
      if (line.find(" desk-7 ") == std::string::npos) kept += line + "\n";
    }
  }
  const int64_t mtime_added = MtimeNs(auth_path);
  {
    std::ofstream out(auth_path, std::ios::trunc);
    out << kept;
  }
  EnsureMtimeChanged(auth_path, mtime_added);
  server_.clock().Advance(2 * kMicrosPerSecond);
  get_as(token, &s);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED)
      << s.error_message();
  get_as(kAdmin, &s);
  EXPECT_TRUE(s.ok()) << s.error_message();
}

// Every RPC of every registered service, called by every role with an empty
// request: PERMISSION_DENIED exactly where the module's access table says
// the role may not call it. Allowed calls fail validation (an empty
// request), which changes nothing.
TEST_F(ServerTest, AccessPolicyOfEveryRpcMatchesTheTable) {
  struct Caller {
    const char* token;
    Principal principal;
  };
  auto principal = [](Role role, std::string methods = "") {
    Principal p;
    p.role = role;
    if (role == Role::kBranch) p.branch_id = "B001";
    for (absl::string_view m : absl::StrSplit(methods, ',', absl::SkipEmpty()))
      p.methods.insert(std::string(m));
    return p;
  };
  const std::vector<Caller> callers = {
      {kAdmin, principal(Role::kAdmin)},
      {kAgent, principal(Role::kAgent)},
      {kBranch1, principal(Role::kBranch)},
      {kAuditor, principal(Role::kAuditor)},
      {kAllMethodsService, principal(Role::kService, AllMethods())},
      {kNoMethodsService, principal(Role::kService, "other.v1.Other/Nothing")},
  };
  const AccessTable& table = server_.server().access();
  int checked = 0;
  for (const ModuleService* service : server_.server().services()) {
    const auto& descriptor = service->descriptor();
    for (int i = 0; i < descriptor.method_count(); ++i) {
      const std::string name = FullMethodName(*descriptor.method(i));
      const AccessRule* rule = table.Find(name);
      ASSERT_NE(rule, nullptr) << name << " has no access rule";
      for (const Caller& caller : callers) {
        const bool allowed = Authorize(caller.principal, *rule).ok();
        std::string response;
        grpc::Status s =
            RawCall(server_.Channel(), "/" + name, "", caller.token, &response);
        SCOPED_TRACE(absl::StrCat(name, " as ", caller.token, ": ",
                                  s.error_code(), " ", s.error_message()));
        EXPECT_NE(s.error_code(), grpc::StatusCode::UNIMPLEMENTED);
        EXPECT_NE(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
        EXPECT_EQ(s.error_code() == grpc::StatusCode::PERMISSION_DENIED,
                  !allowed);
        ++checked;
      }
    }
  }
  // The table itself, spelled out for the customers module: a change to who
  // may do what must change this test too.
  auto roles_of = [&](const char* method) {
    std::set<std::string> roles;
    const AccessRule* rule = table.Find(
        absl::StrCat("retail.customers.v1.CustomerService/", method));
    for (Role r : kAllRoles)
      if (rule != nullptr && rule->roles.contains(r))
        roles.insert(std::string(RoleName(r)));
    return roles;
  };
  const std::set<std::string> all = {"admin", "agent", "branch", "service",
                                     "auditor"};
  const std::set<std::string> writers = {"admin", "agent", "branch", "service"};
  EXPECT_EQ(roles_of("GetCustomer"), all);
  EXPECT_EQ(roles_of("ListCustomers"), all);
  EXPECT_EQ(roles_of("SearchCustomers"), all);
  EXPECT_EQ(roles_of("ListPointsTransactions"), all);
  EXPECT_EQ(roles_of("CreateCustomer"), writers);
  EXPECT_EQ(roles_of("UpdateCustomer"), writers);
  EXPECT_EQ(roles_of("AdjustPoints"), writers);
  EXPECT_EQ(roles_of("ExportCustomerData"),
            (std::set<std::string>{"admin", "agent", "branch"}));
  EXPECT_EQ(roles_of("EraseCustomer"),
            (std::set<std::string>{"admin", "agent", "service"}));
  // And for the orders module.
  auto order_roles_of = [&](const char* method) {
    std::set<std::string> roles;
    const AccessRule* rule =
        table.Find(absl::StrCat("retail.orders.v1.OrderService/", method));
    for (Role r : kAllRoles)
      if (rule != nullptr && rule->roles.contains(r))
        roles.insert(std::string(RoleName(r)));
    return roles;
  };
  for (const char* read : {"GetOrder", "ListOrders", "GetSettlement",
                           "ListSettlements", "GetDailyReconciliation"}) {
    EXPECT_EQ(order_roles_of(read), all) << read;
  }
  for (const char* write :
       {"CreateOrder", "PayOrder", "CancelOrder", "CompleteOrder"}) {
    EXPECT_EQ(order_roles_of(write), writers) << write;
  }
  EXPECT_GE(checked, 19 * 6);
}

// Every method of every registered service is served, each on its own
// per-call arena (the allocator is installed where the handler is made).
TEST_F(ServerTest, EveryMethodIsServedOnAnArena) {
  std::set<std::string> services;
  for (const ModuleService* service : server_.server().services()) {
    services.insert(service->descriptor().full_name());
    EXPECT_THAT(service->Complete(), ::testing::Eq(absl::OkStatus()));
    ASSERT_EQ(static_cast<int>(service->served().size()),
              service->descriptor().method_count());
    for (const ServedMethod& m : service->served()) {
      // Stream messages outlive any one call's arena.
      if (m.method->server_streaming()) continue;
      EXPECT_TRUE(m.arena_allocated) << m.method->full_name();
    }
  }
  EXPECT_THAT(services,
              ::testing::IsSupersetOf({"retail.customers.v1.CustomerService",
                                       "retail.server.v1.ServerInfoService"}));
}

TEST_F(ServerTest, ServerInfoAnswersAnyAuthenticatedCaller) {
  auto stub = server::v1::ServerInfoService::NewStub(server_.Channel());
  for (const char* token :
       {kAdmin, kAuditor, kBranch1, kCrm, kNoMethodsService}) {
    server::v1::GetServerInfoResponse info;
    grpc::Status s = testing::Call(
        *stub, &server::v1::ServerInfoService::Stub::GetServerInfo, token,
        server::v1::GetServerInfoRequest(), &info);
    ASSERT_TRUE(s.ok()) << token << ": " << s.error_message();
    EXPECT_EQ(info.time_zone(), "Asia/Shanghai");
    EXPECT_EQ(info.currency_code(), "CNY");
    EXPECT_FALSE(info.version().empty());
    EXPECT_THAT(info.modules(), ::testing::Contains("customers"));
    EXPECT_THAT(info.services(),
                ::testing::Contains("retail.customers.v1.CustomerService"));
  }
  server::v1::GetServerInfoResponse info;
  EXPECT_EQ(
      testing::Call(*stub, &server::v1::ServerInfoService::Stub::GetServerInfo,
                    "", server::v1::GetServerInfoRequest(), &info)
          .error_code(),
      grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(ServerTest, StaffIdIsRecordedNextToThePrincipal) {
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", std::string("Bearer ") + kBranch1);
  ctx.AddMetadata("x-staff-id", "cashier-07");
  CreateCustomerResponse created;
  ASSERT_TRUE(
      stub_->CreateCustomer(&ctx, NewCustomer("收银", "13900000801"), &created)
          .ok());
  const std::string id = created.customer().customer_id();
  EXPECT_EQ(server_.QueryScalar(
                "SELECT principal_id || '/' || staff_id FROM audit_log WHERE "
                "resource = 'customers/" +
                id + "' AND outcome = 'OK'"),
            "b001/cashier-07");
  EXPECT_EQ(server_.QueryScalar("SELECT principal_id || '/' || staff_id FROM "
                                "events WHERE resource_id = '" +
                                id + "'"),
            "b001/cashier-07");

  grpc::ClientContext bad;
  bad.AddMetadata("authorization", std::string("Bearer ") + kBranch1);
  bad.AddMetadata("x-staff-id", "not an id; drop table");
  grpc::Status s =
      stub_->CreateCustomer(&bad, NewCustomer("坏", "13900000802"), &created);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(DetailsOf(s).fields, ElementsAre("x-staff-id"));
}

// Issue 8 #7: failures refused before the writer are audited too, and a
// flood of identical ones is folded into one row per minute with a count.
TEST_F(ServerTest, FailuresBeforeTheWriterAreAuditedAndFolded) {
  CreateCustomerResponse created;
  for (int i = 0; i < 50; ++i) {
    grpc::Status s = Call(&CustomerService::Stub::CreateCustomer, kAuditor,
                          NewCustomer("否", "13900000990"), &created);
    ASSERT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  }
  CreateCustomerRequest invalid = NewCustomer("无", "13900000991");
  invalid.clear_request_id();
  EXPECT_EQ(
      Call(&CustomerService::Stub::CreateCustomer, kAdmin, invalid, &created)
          .error_code(),
      grpc::StatusCode::INVALID_ARGUMENT);
  grpc::Status s;
  Get("no-such-token", "cus_x", &s);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  // A failure the write path audits in its own transaction is not counted
  // twice.
  CreateCustomerResponse first;
  ASSERT_TRUE(Call(&CustomerService::Stub::CreateCustomer, kAdmin,
                   NewCustomer("一", "13900000992"), &first)
                  .ok());
  EXPECT_EQ(Call(&CustomerService::Stub::CreateCustomer, kAdmin,
                 NewCustomer("二", "13900000992"), &created)
                .error_code(),
            grpc::StatusCode::ALREADY_EXISTS);

  server_.Restart();  // shutdown writes the counts still in memory
  EXPECT_EQ(server_.QueryScalar(
                "SELECT COUNT(*) || '/' || SUM(count) FROM audit_log WHERE "
                "principal_id = 'auditor' AND outcome = 'PERMISSION_DENIED'"),
            "2/50");
  EXPECT_EQ(server_.QueryScalar(
                "SELECT COUNT(*) FROM audit_log WHERE principal_id = 'admin' "
                "AND outcome = 'INVALID_ARGUMENT' AND detail LIKE "
                "'%request_id%'"),
            "1");
  EXPECT_EQ(server_.QueryScalar("SELECT COUNT(*) FROM audit_log WHERE "
                                "principal_id = '(unauthenticated)'"),
            "1");
  EXPECT_EQ(server_.QueryScalar("SELECT COUNT(*) FROM audit_log WHERE "
                                "outcome = 'ALREADY_EXISTS'"),
            "1");
}

}  // namespace
}  // namespace retail::testing
