// Writes the seed corpus of fuzz_audit: each ListAuditLog filter, paging,
// every kind of bad filter, the callers it refuses, and sequences that make
// audit rows of each kind and then list them, encoded as fuzz inputs
// (harness.h, audit_rpc.h). The output is checked in under
// tests/fuzz/corpus/audit/; regenerate it after changing audit.proto or the
// input layout:
//
//   build-fuzz/bin/fuzz_audit_seeds tests/fuzz/corpus/audit
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "retail/audit/v1/audit.pb.h"
#include "retail/customers/v1/customers.pb.h"
#include "tests/fuzz/audit_rpc.h"
#include "tests/fuzz/harness.h"

namespace retail::fuzz {
namespace {

namespace av1 = ::retail::audit::v1;
namespace cv1 = ::retail::customers::v1;

constexpr int kNoSlot = -1;
constexpr bool kFresh = true;
constexpr bool kFixed = false;

struct Seed {
  std::string name;
  std::string bytes;
};

std::string Call(AuditRpc rpc, Caller caller, bool fresh, int slot,
                 const google::protobuf::Message& request) {
  return EncodeInput(rpc, caller, fresh, slot, request.SerializeAsString());
}

std::vector<Seed> AuditSeeds() {
  std::vector<Seed> seeds;
  const auto list = [&](std::string name, Caller caller, int slot,
                        const av1::ListAuditLogRequest& req) {
    seeds.push_back(
        {std::move(name), Call(kListAuditLog, caller, kFixed, slot, req)});
  };

  // Filters, one at a time and together.
  list("list_all_auditor", Caller::kAuditor, kNoSlot, {});
  list("list_all_admin", Caller::kAdmin, kNoSlot, {});
  av1::ListAuditLogRequest r;
  r.set_principal("admin");
  list("list_principal", Caller::kAuditor, kNoSlot, r);
  r.Clear();
  r.set_method("retail.customers.v1.CustomerService");
  list("list_service", Caller::kAuditor, kNoSlot, r);
  r.set_method("/retail.customers.v1.CustomerService/CreateCustomer");
  list("list_method", Caller::kAuditor, kNoSlot, r);
  r.Clear();
  list("list_resource", Caller::kAuditor, kSeededCustomer, r);
  r.add_outcomes("REVEAL");
  list("list_reveals", Caller::kAuditor, kNoSlot, r);
  r.Clear();
  r.add_outcomes("permission_denied");
  r.add_outcomes("UNAUTHENTICATED");
  r.add_outcomes("ALREADY_EXISTS");
  list("list_failures", Caller::kAdmin, kNoSlot, r);
  // The fuzz server's day (harness.cc: its clock starts at 2026-01-15
  // 09:00 UTC), so the range holds the seeded rows and the input's own.
  r.Clear();
  r.mutable_start_time()->set_seconds(1768435200);  // 2026-01-15 00:00 UTC
  r.mutable_end_time()->set_seconds(1768521600);    // 2026-01-16 00:00 UTC
  list("list_range", Caller::kAuditor, kNoSlot, r);
  // Up to the seeded rows' second, which it leaves out.
  r.mutable_end_time()->set_seconds(1768467600);
  list("list_range_before", Caller::kAuditor, kNoSlot, r);
  r.mutable_end_time()->set_seconds(1768521600);
  r.set_principal("agent");
  r.set_method("retail.customers.v1.CustomerService/GetCustomer");
  r.add_outcomes("REVEAL");
  list("list_every_filter", Caller::kAuditor, kSeededCustomer, r);

  // Paging: two pages of one entry, the second from the first's token.
  av1::ListAuditLogRequest page;
  page.set_page_size(1);
  av1::ListAuditLogRequest next = page;
  next.set_page_token(kLastPageToken);
  seeds.push_back(
      {"seq_pages",
       JoinCalls(
           {Call(kListAuditLog, Caller::kAuditor, kFixed, kNoSlot, page),
            Call(kListAuditLog, Caller::kAuditor, kFixed, kNoSlot, next),
            Call(kListAuditLog, Caller::kAuditor, kFixed, kNoSlot, next)})});
  // The token with a filter changed.
  av1::ListAuditLogRequest changed = next;
  changed.set_principal("admin");
  seeds.push_back(
      {"seq_token_filter_changed",
       JoinCalls(
           {Call(kListAuditLog, Caller::kAdmin, kFixed, kNoSlot, page),
            Call(kListAuditLog, Caller::kAdmin, kFixed, kNoSlot, changed)})});

  // Bad filters.
  r.Clear();
  r.add_outcomes("REVEAL");
  r.add_outcomes("DENIED");
  list("bad_outcome", Caller::kAuditor, kNoSlot, r);
  r.Clear();
  r.mutable_start_time()->set_seconds(1768521600);
  r.mutable_end_time()->set_seconds(1768435200);
  list("bad_range", Caller::kAuditor, kNoSlot, r);
  r.Clear();
  r.mutable_start_time()->set_nanos(-1);
  list("bad_timestamp", Caller::kAuditor, kNoSlot, r);
  r.Clear();
  r.set_method("retail.orders.v1.OrderService/");
  list("bad_method", Caller::kAuditor, kNoSlot, r);
  r.Clear();
  r.set_page_size(-3);
  r.set_page_token("AQAAAAAAAAAFAAAAAAAAAAAAAAAAAAAAAA");
  list("bad_page", Caller::kAuditor, kNoSlot, r);

  // Callers the log refuses.
  list("denied_agent", Caller::kAgent, kNoSlot, {});
  list("denied_branch", Caller::kBranchB001, kNoSlot, {});
  list("denied_service", Caller::kService, kNoSlot, {});
  list("unknown_token", Caller::kUnknownToken, kNoSlot, {});
  list("no_token", Caller::kNoToken, kNoSlot, {});

  // Rows of each kind made in the input, then listed.
  cv1::CreateCustomerRequest create;
  create.set_request_id("fuzz-audit-create-0001");
  create.mutable_customer()->set_branch_id("B002");
  create.mutable_customer()->set_display_name("李雷");
  create.mutable_customer()->set_phone("13800138000");
  cv1::GetCustomerRequest reveal;
  reveal.set_customer_id("cus_placeholder");
  reveal.set_reveal_pii(true);
  av1::ListAuditLogRequest newest;
  newest.set_page_size(5);
  seeds.push_back(
      {"seq_create_replay_reveal_list",
       JoinCalls(
           {Call(kCreateCustomer, Caller::kBranchB002, kFixed, kNoSlot, create),
            Call(kCreateCustomer, Caller::kBranchB002, kFixed, kNoSlot, create),
            Call(kGetCustomer, Caller::kAgent, kFixed, 1, reveal),
            Call(kCreateCustomer, Caller::kAuditor, kFresh, kNoSlot, create),
            Call(kListAuditLog, Caller::kAuditor, kFixed, kNoSlot, newest)})});

  // Bytes that are no valid request.
  seeds.push_back({"malformed_utf8",
                   EncodeInput(kListAuditLog, Caller::kAuditor, kFixed, kNoSlot,
                               std::string("\x0a\x02\xff\xfe", 4))});
  seeds.push_back({"malformed_truncated",
                   EncodeInput(kListAuditLog, Caller::kAdmin, kFixed, kNoSlot,
                               std::string("\x22\x10\x4f", 3))});
  return seeds;
}

}  // namespace
}  // namespace retail::fuzz

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <output dir>\n", argv[0]);
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  std::filesystem::create_directories(dir);
  const auto seeds = retail::fuzz::AuditSeeds();
  for (const auto& seed : seeds) {
    std::ofstream(dir / seed.name, std::ios::binary) << seed.bytes;
  }
  std::printf("wrote %zu seeds to %s\n", seeds.size(), dir.c_str());
  return 0;
}
