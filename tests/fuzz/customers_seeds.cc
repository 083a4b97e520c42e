// Writes the seed corpus of fuzz_customers: one valid (or deliberately
// near-valid) request per interesting path of each RPC, encoded as fuzz
// inputs (harness.h). The output is checked in under
// tests/fuzz/corpus/customers/; regenerate it after changing customers.proto
// or the input layout:
//
//   build-fuzz/bin/fuzz_customers_seeds tests/fuzz/corpus/customers
//
// Seeds give the fuzzer a head start: without them it would spend most of a
// short CI run discovering that a request needs a valid request_id and an
// existing customer before it reaches any storage code.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "retail/customers/v1/customers.pb.h"
#include "tests/fuzz/customers_rpc.h"
#include "tests/fuzz/harness.h"

namespace retail::fuzz {
namespace {

namespace v1 = ::retail::customers::v1;

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

v1::Customer FullCustomer(const char* branch, const char* phone) {
  v1::Customer c;
  if (*branch != '\0') c.set_branch_id(branch);
  c.set_display_name("张伟 Zhang Wei");
  c.set_phone(phone);
  c.set_email("Zhang.Wei@Example.com");
  c.mutable_birthday()->set_year(1985);
  c.mutable_birthday()->set_month(2);
  c.mutable_birthday()->set_day(28);
  c.set_gender(v1::GENDER_MALE);
  c.mutable_preferences()->add_sizes("L");
  c.mutable_preferences()->add_styles("casual");
  c.mutable_preferences()->add_brands("Acme");
  c.mutable_preferences()->add_tags("vip-event");
  c.set_marketing_consent(true);
  c.set_notes("prefers weekend calls");
  return c;
}

std::vector<Seed> CustomerSeeds() {
  Seeds s;

  // CreateCustomer: each role, normalisation, replay, refusals.
  {
    v1::CreateCustomerRequest r;
    r.set_request_id("seed-create-0001");
    *r.mutable_customer() = FullCustomer("B001", "136 0000 0000");
    s.Add("create_admin_fresh", kCreateCustomer, Caller::kAdmin, kFresh,
          kNoSlot, r);
    // The same request_id twice: the second answer is the stored first one.
    s.AddSequence("create_admin_replay",
                  {Call(kCreateCustomer, Caller::kAdmin, kFixed, kNoSlot, r),
                   Call(kCreateCustomer, Caller::kAdmin, kFixed, kNoSlot, r)});
    *r.mutable_customer() = FullCustomer("", "+86 135-0000-0001");
    s.Add("create_branch_fresh", kCreateCustomer, Caller::kBranchB001, kFresh,
          kNoSlot, r);
    r.mutable_customer()->set_branch_id("B002");
    s.Add("create_branch_other_branch", kCreateCustomer, Caller::kBranchB001,
          kFresh, kNoSlot, r);
    *r.mutable_customer() = FullCustomer("B003", "+4915112345678");
    s.Add("create_agent_e164", kCreateCustomer, Caller::kAgent, kFresh, kNoSlot,
          r);
    *r.mutable_customer() = FullCustomer("B001", "13912345678");
    s.Add("create_phone_taken", kCreateCustomer, Caller::kAdmin, kFresh,
          kNoSlot, r);
    r.mutable_customer()->set_phone("12345");
    r.mutable_customer()->set_email("not an email");
    r.mutable_customer()->mutable_birthday()->set_month(13);
    r.mutable_customer()->set_display_name("");
    s.Add("create_invalid_fields", kCreateCustomer, Caller::kAdmin, kFresh,
          kNoSlot, r);
    s.Add("create_auditor_denied", kCreateCustomer, Caller::kAuditor, kFresh,
          kNoSlot, r);
  }

  // GetCustomer: own branch, other branch, masking, reveal, service, auth.
  {
    v1::GetCustomerRequest r;
    r.set_customer_id("cus_placeholder");
    s.Add("get_admin", kGetCustomer, Caller::kAdmin, kFixed, kWangB001, r);
    s.Add("get_branch_other", kGetCustomer, Caller::kBranchB002, kFixed,
          kWangB001, r);
    s.Add("get_service", kGetCustomer, Caller::kService, kFixed, kAliceB001, r);
    s.Add("get_missing_no_token", kGetCustomer, Caller::kNoToken, kFixed,
          kNoSlot, r);
    r.set_reveal_pii(true);
    s.Add("get_agent_reveal", kGetCustomer, Caller::kAgent, kFixed, kLiLeiB002,
          r);
    s.Add("get_auditor_reveal", kGetCustomer, Caller::kAuditor, kFixed,
          kWangB001, r);
  }

  // UpdateCustomer: masks, etags, phone clash, branch moves, erased rows.
  {
    v1::UpdateCustomerRequest r;
    r.set_request_id("seed-update-0001");
    r.mutable_customer()->set_customer_id("cus_placeholder");
    r.mutable_customer()->set_email("new.mail@example.org");
    r.mutable_customer()->set_notes("called back");
    r.mutable_update_mask()->add_paths("email");
    r.mutable_update_mask()->add_paths("notes");
    s.Add("update_admin", kUpdateCustomer, Caller::kAdmin, kFresh, kAliceB001,
          r);
    r.mutable_customer()->set_etag("r1");
    s.Add("update_stale_etag", kUpdateCustomer, Caller::kBranchB001, kFresh,
          kWangB001, r);
    s.Add("update_erased", kUpdateCustomer, Caller::kAgent, kFresh, kErasedB001,
          r);
    r.mutable_customer()->clear_etag();
    r.mutable_update_mask()->Clear();
    r.mutable_update_mask()->add_paths("phone");
    r.mutable_customer()->set_phone("13800138000");
    s.Add("update_phone_taken", kUpdateCustomer, Caller::kAdmin, kFresh,
          kAliceB001, r);
    r.mutable_update_mask()->Clear();
    r.mutable_update_mask()->add_paths("branch_id");
    r.mutable_customer()->set_branch_id("B002");
    s.Add("update_move_branch", kUpdateCustomer, Caller::kAgent, kFresh,
          kAliceB001, r);
    r.mutable_update_mask()->add_paths("customer_id");
    s.Add("update_bad_mask", kUpdateCustomer, Caller::kAdmin, kFresh,
          kAliceB001, r);
  }

  // ListCustomers: filters, page sizes, second pages.
  {
    v1::ListCustomersRequest r;
    r.set_page_size(2);
    s.Add("list_admin_page", kListCustomers, Caller::kAdmin, kFixed, kNoSlot,
          r);
    v1::ListCustomersRequest next = r;
    next.set_page_token(kLastPageToken);
    s.AddSequence(
        "list_admin_next_page",
        {Call(kListCustomers, Caller::kAdmin, kFixed, kNoSlot, r),
         Call(kListCustomers, Caller::kAdmin, kFixed, kNoSlot, next)});
    r.set_filter("branch_id = \"B001\" AND tier = POTENTIAL");
    r.set_reveal_pii(true);
    s.Add("list_agent_filter_reveal", kListCustomers, Caller::kAgent, kFixed,
          kNoSlot, r);
    r.set_reveal_pii(false);
    r.set_filter("marketing_consent = true");
    s.Add("list_branch_consent", kListCustomers, Caller::kBranchB001, kFixed,
          kNoSlot, r);
    r.set_filter("tier = VIP AND branch_id = B002");
    s.Add("list_auditor_tier", kListCustomers, Caller::kAuditor, kFixed,
          kNoSlot, r);
    r.set_filter("name = x OR 1=1");
    r.set_page_size(-1);
    s.Add("list_bad_filter", kListCustomers, Caller::kAdmin, kFixed, kNoSlot,
          r);
  }

  // SearchCustomers: by phone, email, name; paging.
  {
    v1::SearchCustomersRequest r;
    r.set_phone("+86 139 1234 5678");
    s.Add("search_phone", kSearchCustomers, Caller::kAdmin, kFixed, kNoSlot, r);
    r.clear_phone();
    r.set_email("WANG@example.com");
    r.set_reveal_pii(true);
    s.Add("search_email_agent_reveal", kSearchCustomers, Caller::kAgent, kFixed,
          kNoSlot, r);
    r.clear_email();
    r.set_reveal_pii(false);
    r.set_name_contains("小明");
    s.Add("search_name_branch", kSearchCustomers, Caller::kBranchB001, kFixed,
          kNoSlot, r);
    r.set_name_contains("e");
    r.set_page_size(1);
    s.Add("search_name_page", kSearchCustomers, Caller::kAuditor, kFixed,
          kNoSlot, r);
    v1::SearchCustomersRequest next = r;
    next.set_page_token(kLastPageToken);
    s.AddSequence(
        "search_name_next_page",
        {Call(kSearchCustomers, Caller::kAuditor, kFixed, kNoSlot, r),
         Call(kSearchCustomers, Caller::kAuditor, kFixed, kNoSlot, next)});
  }

  // AdjustPoints: credit, debit past zero, other branch, erased, replay.
  {
    v1::AdjustPointsRequest r;
    r.set_request_id("seed-points-0001");
    r.set_customer_id("cus_placeholder");
    r.set_delta(100);
    r.set_reason("birthday gift");
    s.Add("adjust_admin", kAdjustPoints, Caller::kAdmin, kFresh, kWangB001, r);
    s.AddSequence("adjust_admin_replay",
                  {Call(kAdjustPoints, Caller::kAdmin, kFixed, kWangB001, r),
                   Call(kAdjustPoints, Caller::kAdmin, kFixed, kWangB001, r)});
    s.Add("adjust_branch_other", kAdjustPoints, Caller::kBranchB001, kFresh,
          kLiLeiB002, r);
    s.Add("adjust_erased", kAdjustPoints, Caller::kAgent, kFresh, kErasedB001,
          r);
    r.set_delta(-100000);
    s.Add("adjust_insufficient", kAdjustPoints, Caller::kBranchB001, kFresh,
          kAliceB001, r);
  }

  // ListPointsTransactions and ExportCustomerData.
  {
    v1::ListPointsTransactionsRequest r;
    r.set_customer_id("cus_placeholder");
    r.set_page_size(2);
    s.Add("points_list", kListPointsTransactions, Caller::kAgent, kFixed,
          kWangB001, r);
    v1::ListPointsTransactionsRequest next = r;
    next.set_page_token(kLastPageToken);
    s.AddSequence(
        "points_list_next_page",
        {Call(kListPointsTransactions, Caller::kAgent, kFixed, kWangB001, r),
         Call(kListPointsTransactions, Caller::kAgent, kFixed, kWangB001,
              next)});

    v1::ExportCustomerDataRequest e;
    e.set_customer_id("cus_placeholder");
    s.Add("export_branch", kExportCustomerData, Caller::kBranchB001, kFixed,
          kWangB001, e);
    s.Add("export_auditor_denied", kExportCustomerData, Caller::kAuditor,
          kFixed, kWangB001, e);
  }

  // EraseCustomer.
  {
    v1::EraseCustomerRequest r;
    r.set_request_id("seed-erase-0001");
    r.set_customer_id("cus_placeholder");
    r.set_reason("customer request #42");
    s.Add("erase_agent", kEraseCustomer, Caller::kAgent, kFresh, kBobB002, r);
    s.Add("erase_again", kEraseCustomer, Caller::kAdmin, kFresh, kErasedB001,
          r);
    s.Add("erase_branch_denied", kEraseCustomer, Caller::kBranchB001, kFresh,
          kAliceB001, r);
  }

  // Sequences on a customer the input itself creates (kFirstCreated).
  {
    v1::CreateCustomerRequest create;
    create.set_request_id("seed-create-0002");
    *create.mutable_customer() = FullCustomer("B002", "13600000002");
    v1::UpdateCustomerRequest update;
    update.set_request_id("seed-update-0002");
    update.mutable_customer()->set_customer_id("cus_placeholder");
    update.mutable_customer()->set_display_name("Zhang Wei");
    update.mutable_update_mask()->add_paths("display_name");
    v1::AdjustPointsRequest adjust;
    adjust.set_request_id("seed-points-0002");
    adjust.set_customer_id("cus_placeholder");
    adjust.set_delta(250);
    adjust.set_reason("welcome bonus");
    v1::ListPointsTransactionsRequest points;
    points.set_customer_id("cus_placeholder");
    v1::EraseCustomerRequest erase;
    erase.set_request_id("seed-erase-0002");
    erase.set_customer_id("cus_placeholder");
    erase.set_reason("customer request #43");
    v1::GetCustomerRequest get;
    get.set_customer_id("cus_placeholder");
    get.set_reveal_pii(true);

    const std::string created =
        Call(kCreateCustomer, Caller::kBranchB002, kFresh, kNoSlot, create);
    s.AddSequence(
        "seq_create_update_get",
        {created,
         Call(kUpdateCustomer, Caller::kBranchB002, kFresh, kFirstCreated,
              update),
         Call(kGetCustomer, Caller::kAgent, kFixed, kFirstCreated, get)});
    s.AddSequence(
        "seq_create_adjust_points",
        {created,
         Call(kAdjustPoints, Caller::kAgent, kFresh, kFirstCreated, adjust),
         Call(kListPointsTransactions, Caller::kBranchB002, kFixed,
              kFirstCreated, points)});
    s.AddSequence(
        "seq_create_erase_export",
        {created,
         Call(kEraseCustomer, Caller::kAdmin, kFresh, kFirstCreated, erase),
         Call(kAdjustPoints, Caller::kAdmin, kFresh, kFirstCreated, adjust),
         Call(kExportCustomerData, Caller::kAdmin, kFixed, kFirstCreated,
              v1::ExportCustomerDataRequest())});
  }

  // Bytes that are no valid request: a string field holding invalid UTF-8,
  // and a truncated length-delimited field.
  s.AddRaw("malformed_utf8", kGetCustomer, Caller::kAdmin,
           std::string("\x0a\x02\xff\xfe", 4));
  s.AddRaw("malformed_truncated", kCreateCustomer, Caller::kAgent,
           std::string("\x0a\x10\x12\x04", 4));
  return s.all();
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
  for (const auto& seed : retail::fuzz::CustomerSeeds()) {
    std::ofstream(dir / seed.name, std::ios::binary) << seed.bytes;
  }
  std::printf("wrote %zu seeds to %s\n", retail::fuzz::CustomerSeeds().size(),
              dir.c_str());
  return 0;
}
