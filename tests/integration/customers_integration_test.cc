// CustomerService through the real server over loopback TCP: every RPC's
// success and error paths, branch isolation, masking and reveal audit,
// idempotent retries and durability across a restart.
#include <fstream>
#include <iterator>
#include <set>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "retail/customers/v1/customers.grpc.pb.h"
#include "tests/integration/stream_call.h"
#include "tests/integration/test_server.h"

namespace retail::testing {
namespace {

using ::retail::customers::v1::AdjustPointsRequest;
using ::retail::customers::v1::AdjustPointsResponse;
using ::retail::customers::v1::CreateCustomerRequest;
using ::retail::customers::v1::CreateCustomerResponse;
using ::retail::customers::v1::Customer;
using ::retail::customers::v1::CustomerService;
using ::testing::Contains;
using ::testing::ElementsAre;

class CustomersIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override { Connect(); }
  void Connect() { stub_ = CustomerService::NewStub(server_.Channel()); }

  // Calls `method` on the stub as `token`.
  template <typename Req, typename Resp>
  grpc::Status Call(grpc::Status (CustomerService::Stub::*method)(
                        grpc::ClientContext*, const Req&, Resp*),
                    const std::string& token, const Req& req, Resp* resp) {
    return testing::Call(*stub_, method, token, req, resp);
  }
  // A server-streaming method whose parts make one answer (the export).
  template <typename Req, typename Resp>
  grpc::Status Call(std::unique_ptr<grpc::ClientReader<Resp>> (
                        CustomerService::Stub::*method)(grpc::ClientContext*,
                                                        const Req&),
                    const std::string& token, const Req& req, Resp* resp) {
    return testing::Call(*stub_, method, token, req, resp);
  }

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

  Customer Create(const std::string& name, const std::string& phone,
                  const std::string& branch = "B001") {
    CreateCustomerResponse resp;
    grpc::Status s = Call(&CustomerService::Stub::CreateCustomer, kAdmin,
                          NewCustomer(name, phone, branch), &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.customer();
  }

  customers::v1::GetCustomerResponse Get(const std::string& token,
                                         const std::string& id,
                                         grpc::Status* status,
                                         bool reveal = false) {
    customers::v1::GetCustomerRequest req;
    req.set_customer_id(id);
    req.set_reveal_pii(reveal);
    customers::v1::GetCustomerResponse resp;
    *status = Call(&CustomerService::Stub::GetCustomer, token, req, &resp);
    return resp;
  }

  TestServer server_;
  std::unique_ptr<CustomerService::Stub> stub_;
  int request_counter_ = 0;
};

TEST_F(CustomersIntegrationTest, CreateGetRoundTripWithChineseName) {
  Customer c = Create("王小明", "+86 139-1234-5678");
  EXPECT_THAT(c.customer_id(), ::testing::StartsWith("cus_"));
  EXPECT_EQ(c.phone(), "13912345678");  // normalised
  EXPECT_EQ(c.tier(), customers::v1::CUSTOMER_TIER_POTENTIAL);
  EXPECT_EQ(c.total_spend().currency_code(), "CNY");
  EXPECT_FALSE(c.etag().empty());
  grpc::Status s;
  auto got = Get(kAdmin, c.customer_id(), &s);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(got.customer().display_name(), "王小明");
  EXPECT_EQ(got.customer().SerializeAsString(), c.SerializeAsString());
}

TEST_F(CustomersIntegrationTest, RetriedCreateReturnsIdenticalResponse) {
  CreateCustomerRequest req = NewCustomer("李雷", "13800000001");
  CreateCustomerResponse first, second;
  ASSERT_TRUE(
      Call(&CustomerService::Stub::CreateCustomer, kAdmin, req, &first).ok());
  server_.clock().Advance(kMicrosPerSecond);
  ASSERT_TRUE(
      Call(&CustomerService::Stub::CreateCustomer, kAdmin, req, &second).ok());
  EXPECT_EQ(first.SerializeAsString(), second.SerializeAsString());
  EXPECT_EQ(server_.QueryScalar("SELECT COUNT(*) FROM customers"), "1");

  // The same request_id with a different payload is a client bug.
  req.mutable_customer()->set_display_name("韩梅梅");
  grpc::Status s =
      Call(&CustomerService::Stub::CreateCustomer, kAdmin, req, &second);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(DetailsOf(s).fields, ElementsAre("request_id"));
}

TEST_F(CustomersIntegrationTest, BadInputNamesEveryField) {
  CreateCustomerRequest req;
  req.set_request_id("short");
  req.mutable_customer()->set_display_name("");
  req.mutable_customer()->set_phone("12345");
  req.mutable_customer()->set_email("not-an-email");
  req.mutable_customer()->mutable_birthday()->set_year(2023);
  req.mutable_customer()->mutable_birthday()->set_month(2);
  req.mutable_customer()->mutable_birthday()->set_day(29);
  req.mutable_customer()->set_branch_id("B001");
  CreateCustomerResponse resp;
  grpc::Status s =
      Call(&CustomerService::Stub::CreateCustomer, kAdmin, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  std::vector<std::string> fields = DetailsOf(s).fields;
  for (const char* f : {"request_id", "customer.display_name", "customer.phone",
                        "customer.email", "customer.birthday"}) {
    EXPECT_THAT(fields, Contains(f));
  }
  EXPECT_EQ(server_.QueryScalar("SELECT COUNT(*) FROM customers"), "0");
}

TEST_F(CustomersIntegrationTest, DuplicatePhoneNamesExistingCustomer) {
  Customer first = Create("张三", "13900000002");
  CreateCustomerResponse resp;
  grpc::Status s = Call(&CustomerService::Stub::CreateCustomer, kAdmin,
                        NewCustomer("张三丰", "+8613900000002", "B002"), &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  ErrorDetails d = DetailsOf(s);
  EXPECT_EQ(d.reason, "PHONE_ALREADY_REGISTERED");
  EXPECT_EQ(d.metadata["customer_id"], first.customer_id());
}

TEST_F(CustomersIntegrationTest, BranchSeesOnlyItsOwnCustomers) {
  Customer mine = Create("门店顾客", "13900000003", "B001");
  grpc::Status s;
  Get(kBranch1, mine.customer_id(), &s);
  EXPECT_TRUE(s.ok());
  Get(kBranch2, mine.customer_id(), &s);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);  // same as missing
  Get(kBranch2, "cus_DOESNOTEXIST", &s);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);

  customers::v1::ListCustomersRequest list;
  list.set_filter(
      "branch_id = \"B001\"");  // asking for it explicitly still fails
  customers::v1::ListCustomersResponse page;
  ASSERT_TRUE(
      Call(&CustomerService::Stub::ListCustomers, kBranch2, list, &page).ok());
  EXPECT_EQ(page.customers_size(), 0);

  // A store cannot create for, move to, or change another branch's customer.
  CreateCustomerResponse created;
  s = Call(&CustomerService::Stub::CreateCustomer, kBranch2,
           NewCustomer("越权", "13900000004", "B001"), &created);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  AdjustPointsRequest adjust;
  adjust.set_customer_id(mine.customer_id());
  adjust.set_delta(10);
  adjust.set_reason("test");
  adjust.set_request_id("adjust-from-b002");
  AdjustPointsResponse adjusted;
  s = Call(&CustomerService::Stub::AdjustPoints, kBranch2, adjust, &adjusted);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);

  // Without branch_id, a branch caller's customer lands in its own branch.
  CreateCustomerRequest own = NewCustomer("本店", "13900000005", "");
  ASSERT_TRUE(
      Call(&CustomerService::Stub::CreateCustomer, kBranch2, own, &created)
          .ok());
  EXPECT_EQ(created.customer().branch_id(), "B002");
}

TEST_F(CustomersIntegrationTest, AgentSeesMaskedPiiUnlessRevealedAndAudited) {
  CreateCustomerRequest req = NewCustomer("赵六", "13812345678");
  req.mutable_customer()->set_email("zhao@example.com");
  CreateCustomerResponse created;
  ASSERT_TRUE(
      Call(&CustomerService::Stub::CreateCustomer, kAdmin, req, &created).ok());
  const std::string id = created.customer().customer_id();

  grpc::Status s;
  auto masked = Get(kAgent, id, &s);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(masked.customer().phone(), "138****5678");
  EXPECT_EQ(masked.customer().email(), "z***@example.com");
  EXPECT_EQ(server_.QueryScalar(
                "SELECT COUNT(*) FROM audit_log WHERE outcome = 'REVEAL'"),
            "0");

  auto revealed = Get(kAgent, id, &s, /*reveal=*/true);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(revealed.customer().phone(), "13812345678");
  EXPECT_EQ(server_.QueryScalar("SELECT principal_id || ' ' || resource FROM "
                                "audit_log WHERE outcome = 'REVEAL'"),
            "agent customers/" + id);

  // Roles that never see personal data may not ask for it.
  Get(kAuditor, id, &s, /*reveal=*/true);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  auto crm = Get(kCrm, id, &s);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(crm.customer().phone(), "138****5678");
}

TEST_F(CustomersIntegrationTest, RolesAreEnforced) {
  CreateCustomerResponse created;
  grpc::Status s = Call(&CustomerService::Stub::CreateCustomer, kAuditor,
                        NewCustomer("审计", "13900000006"), &created);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  s = Call(&CustomerService::Stub::CreateCustomer, kCrm,
           NewCustomer("CRM", "13900000007"), &created);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);

  Customer c = Create("王五", "13900000008");
  customers::v1::EraseCustomerRequest erase;
  erase.set_customer_id(c.customer_id());
  erase.set_reason("customer asked");
  erase.set_request_id("erase-by-branch");
  customers::v1::EraseCustomerResponse erased;
  s = Call(&CustomerService::Stub::EraseCustomer, kBranch1, erase, &erased);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(CustomersIntegrationTest, UpdateWithMaskAndEtag) {
  Customer c = Create("孙七", "13900000009");
  customers::v1::UpdateCustomerRequest req;
  req.set_request_id("update-1");
  req.mutable_customer()->set_customer_id(c.customer_id());
  req.mutable_customer()->set_etag(c.etag());
  req.mutable_customer()->set_email("Sun@Example.com");
  req.mutable_customer()->set_display_name("ignored: not in the mask");
  req.mutable_update_mask()->add_paths("email");
  customers::v1::UpdateCustomerResponse resp;
  grpc::Status s =
      Call(&CustomerService::Stub::UpdateCustomer, kAdmin, req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.customer().email(), "sun@example.com");
  EXPECT_EQ(resp.customer().display_name(), "孙七");
  EXPECT_NE(resp.customer().etag(), c.etag());

  // The old etag is now stale.
  req.set_request_id("update-2");
  req.mutable_customer()->set_email("other@example.com");
  s = Call(&CustomerService::Stub::UpdateCustomer, kAdmin, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(DetailsOf(s).reason, "ETAG_MISMATCH");

  // Output-only and unknown paths are rejected by name.
  req.set_request_id("update-3");
  req.mutable_customer()->clear_etag();
  req.mutable_update_mask()->add_paths("points_balance");
  s = Call(&CustomerService::Stub::UpdateCustomer, kAdmin, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(DetailsOf(s).fields, ElementsAre("update_mask"));

  // Taking another customer's phone is ALREADY_EXISTS.
  Customer other = Create("周八", "13900000010");
  req.set_request_id("update-4");
  req.mutable_update_mask()->Clear();
  req.mutable_update_mask()->add_paths("phone");
  req.mutable_customer()->set_phone(other.phone());
  s = Call(&CustomerService::Stub::UpdateCustomer, kAdmin, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS);

  req.mutable_customer()->set_customer_id("cus_MISSING");
  req.set_request_id("update-5");
  s = Call(&CustomerService::Stub::UpdateCustomer, kAdmin, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(CustomersIntegrationTest, ListPagesWithSignedTokens) {
  for (int i = 0; i < 7; ++i)
    Create(absl::StrCat("顾客", i), absl::StrCat("1390000010", i));
  Create("别店", "13900000200", "B002");
  customers::v1::ListCustomersRequest req;
  req.set_page_size(3);
  req.set_filter("branch_id = B001");
  std::set<std::string> seen;
  int pages = 0;
  for (;;) {
    customers::v1::ListCustomersResponse page;
    grpc::Status s =
        Call(&CustomerService::Stub::ListCustomers, kAdmin, req, &page);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ++pages;
    for (const auto& c : page.customers()) {
      EXPECT_EQ(c.branch_id(), "B001");
      EXPECT_TRUE(seen.insert(c.customer_id()).second);
    }
    if (page.next_page_token().empty()) break;
    req.set_page_token(page.next_page_token());
  }
  EXPECT_EQ(seen.size(), 7u);
  EXPECT_EQ(pages, 3);

  customers::v1::ListCustomersResponse page;
  req.set_page_token("forged-token");
  grpc::Status s =
      Call(&CustomerService::Stub::ListCustomers, kAdmin, req, &page);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(DetailsOf(s).fields, ElementsAre("page_token"));

  req.set_page_token("");
  req.set_filter("tier = GOLD");
  s = Call(&CustomerService::Stub::ListCustomers, kAdmin, req, &page);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(DetailsOf(s).fields, ElementsAre("filter"));

  req.set_filter("' OR 1=1 --");
  s = Call(&CustomerService::Stub::ListCustomers, kAdmin, req, &page);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  req.set_filter("tier = POTENTIAL AND marketing_consent = false");
  req.set_page_size(-1);
  s = Call(&CustomerService::Stub::ListCustomers, kAdmin, req, &page);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  req.set_page_size(1'000'000);  // coerced to the maximum
  s = Call(&CustomerService::Stub::ListCustomers, kAdmin, req, &page);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(page.customers_size(), 8);
}

TEST_F(CustomersIntegrationTest, SearchByPhoneEmailAndName) {
  CreateCustomerRequest req = NewCustomer("欧阳娜娜", "13900000301");
  req.mutable_customer()->set_email("nana@example.com");
  CreateCustomerResponse created;
  ASSERT_TRUE(
      Call(&CustomerService::Stub::CreateCustomer, kAdmin, req, &created).ok());
  Create("Nana Smith", "+447911123456");

  auto search = [&](auto set) {
    customers::v1::SearchCustomersRequest s;
    set(s);
    customers::v1::SearchCustomersResponse r;
    EXPECT_TRUE(
        Call(&CustomerService::Stub::SearchCustomers, kAdmin, s, &r).ok());
    return r.customers_size();
  };
  EXPECT_EQ(search([](auto& s) { s.set_phone("+8613900000301"); }), 1);
  EXPECT_EQ(search([](auto& s) { s.set_email("NANA@example.com"); }), 1);
  EXPECT_EQ(search([](auto& s) { s.set_name_contains("娜娜"); }), 1);
  EXPECT_EQ(search([](auto& s) { s.set_name_contains("Nana"); }), 1);
  EXPECT_EQ(search([](auto& s) { s.set_name_contains("%"); }),
            0);  // literal, not a wildcard

  customers::v1::SearchCustomersRequest both;
  both.set_phone("13900000301");
  both.set_email("nana@example.com");
  customers::v1::SearchCustomersResponse r;
  grpc::Status s =
      Call(&CustomerService::Stub::SearchCustomers, kAdmin, both, &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(CustomersIntegrationTest, PointsLedgerNeverGoesNegative) {
  Customer c = Create("积分", "13900000401");
  auto adjust = [&](int64_t delta, const std::string& id,
                    AdjustPointsResponse* resp) {
    AdjustPointsRequest req;
    req.set_customer_id(c.customer_id());
    req.set_delta(delta);
    req.set_reason("purchase bonus");
    req.set_request_id(id);
    return Call(&CustomerService::Stub::AdjustPoints, kBranch1, req, resp);
  };
  AdjustPointsResponse resp;
  ASSERT_TRUE(adjust(100, "pts-0001", &resp).ok());
  ASSERT_TRUE(adjust(100, "pts-0001", &resp).ok());  // retry: no second credit
  EXPECT_EQ(resp.customer().points_balance(), 100);
  ASSERT_TRUE(adjust(-30, "pts-0002", &resp).ok());
  EXPECT_EQ(resp.transaction().balance_after(), 70);
  grpc::Status s = adjust(-71, "pts-0003", &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(DetailsOf(s).reason, "INSUFFICIENT_POINTS");
  s = adjust(0, "pts-0004", &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  s = adjust(INT64_MIN, "pts-0005", &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  customers::v1::ListPointsTransactionsRequest list;
  list.set_customer_id(c.customer_id());
  customers::v1::ListPointsTransactionsResponse ledger;
  ASSERT_TRUE(Call(&CustomerService::Stub::ListPointsTransactions, kBranch1,
                   list, &ledger)
                  .ok());
  ASSERT_EQ(ledger.transactions_size(), 2);
  EXPECT_EQ(ledger.transactions(0).delta(), 100);
  EXPECT_EQ(ledger.transactions(1).delta(), -30);
  EXPECT_EQ(ledger.transactions(1).actor(), "b001");
  s = Call(&CustomerService::Stub::ListPointsTransactions, kBranch2, list,
           &ledger);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(CustomersIntegrationTest, ExportAndEraseKeepAggregatesAndScrubReplays) {
  CreateCustomerRequest create = NewCustomer("钱九", "13900000501");
  create.mutable_customer()->set_email("qian@example.com");
  CreateCustomerResponse created;
  ASSERT_TRUE(
      Call(&CustomerService::Stub::CreateCustomer, kAdmin, create, &created)
          .ok());
  const std::string id = created.customer().customer_id();
  AdjustPointsRequest adjust;
  adjust.set_customer_id(id);
  adjust.set_delta(50);
  adjust.set_reason("welcome");
  adjust.set_request_id("welcome-points");
  AdjustPointsResponse adjusted;
  ASSERT_TRUE(
      Call(&CustomerService::Stub::AdjustPoints, kAdmin, adjust, &adjusted)
          .ok());

  customers::v1::ExportCustomerDataRequest export_req;
  export_req.set_customer_id(id);
  customers::v1::ExportCustomerDataResponse exported;
  ASSERT_TRUE(Call(&CustomerService::Stub::ExportCustomerData, kAgent,
                   export_req, &exported)
                  .ok());
  EXPECT_EQ(exported.customer().phone(), "13900000501");  // unmasked, audited
  EXPECT_EQ(exported.points_transactions_size(), 1);
  EXPECT_EQ(
      server_.QueryScalar("SELECT COUNT(*) FROM audit_log WHERE method LIKE "
                          "'%ExportCustomerData' AND outcome = 'REVEAL'"),
      "1");

  customers::v1::EraseCustomerRequest erase;
  erase.set_customer_id(id);
  erase.set_reason("PIPL request #42");
  erase.set_request_id("erase-0001");
  customers::v1::EraseCustomerResponse erased;
  ASSERT_TRUE(
      Call(&CustomerService::Stub::EraseCustomer, kAgent, erase, &erased).ok());
  EXPECT_EQ(erased.customer().customer_id(), id);
  EXPECT_EQ(erased.customer().phone(), "");
  EXPECT_EQ(erased.customer().email(), "");
  EXPECT_EQ(erased.customer().points_balance(), 50);
  EXPECT_TRUE(erased.customer().has_erase_time());

  // A replay of the original create must not bring the personal data back.
  CreateCustomerResponse replay;
  ASSERT_TRUE(
      Call(&CustomerService::Stub::CreateCustomer, kAdmin, create, &replay)
          .ok());
  EXPECT_EQ(replay.customer().customer_id(), id);
  EXPECT_EQ(replay.customer().phone(), "");
  EXPECT_EQ(server_.QueryScalar(
                "SELECT COUNT(*) FROM customers WHERE phone IS NOT NULL"),
            "0");

  // Erased customers cannot change; the phone is free for a new profile.
  erase.set_request_id("erase-0002");
  grpc::Status s =
      Call(&CustomerService::Stub::EraseCustomer, kAgent, erase, &erased);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(DetailsOf(s).reason, "CUSTOMER_ERASED");
  Create("新客", "13900000501");
}

TEST_F(CustomersIntegrationTest, DataSurvivesRestart) {
  Customer c = Create("持久", "13900000601");
  server_.Restart();
  Connect();
  grpc::Status s;
  auto got = Get(kAdmin, c.customer_id(), &s);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(got.customer().SerializeAsString(), c.SerializeAsString());

  // Page tokens stay valid across restarts (the signing key is stored).
  Create("持久2", "13900000602");
  customers::v1::ListCustomersRequest req;
  req.set_page_size(1);
  customers::v1::ListCustomersResponse page;
  ASSERT_TRUE(
      Call(&CustomerService::Stub::ListCustomers, kAdmin, req, &page).ok());
  server_.Restart();
  Connect();
  req.set_page_token(page.next_page_token());
  ASSERT_TRUE(
      Call(&CustomerService::Stub::ListCustomers, kAdmin, req, &page).ok());
  EXPECT_EQ(page.customers(0).display_name(), "持久2");
}

// Issue 8 #6: erasure scrubs only the personal fields of stored replays.
// B001 creates, an admin moves the customer to B002, B002 adds points; after
// erasure B001's retry of its own create still gets its first answer (its
// branch, balance 0), with the personal data gone.
TEST_F(CustomersIntegrationTest, ErasureKeepsEveryReplayAsFirstAnswered) {
  CreateCustomerRequest create = NewCustomer("周十", "13900000901", "B001");
  create.mutable_customer()->set_notes("prefers mornings");
  CreateCustomerResponse first;
  ASSERT_TRUE(
      Call(&CustomerService::Stub::CreateCustomer, kBranch1, create, &first)
          .ok());
  const std::string id = first.customer().customer_id();
  customers::v1::UpdateCustomerRequest move;
  move.set_request_id("move-to-b002");
  move.mutable_customer()->set_customer_id(id);
  move.mutable_customer()->set_branch_id("B002");
  move.mutable_update_mask()->add_paths("branch_id");
  customers::v1::UpdateCustomerResponse moved;
  ASSERT_TRUE(
      Call(&CustomerService::Stub::UpdateCustomer, kAdmin, move, &moved).ok());
  AdjustPointsRequest adjust;
  adjust.set_customer_id(id);
  adjust.set_delta(70);
  adjust.set_reason("transfer bonus");
  adjust.set_request_id("b002-bonus");
  AdjustPointsResponse adjusted;
  ASSERT_TRUE(
      Call(&CustomerService::Stub::AdjustPoints, kBranch2, adjust, &adjusted)
          .ok());
  customers::v1::EraseCustomerRequest erase;
  erase.set_customer_id(id);
  erase.set_reason("ticket 77");
  erase.set_request_id("erase-zhou");
  customers::v1::EraseCustomerResponse erased;
  ASSERT_TRUE(
      Call(&CustomerService::Stub::EraseCustomer, kAdmin, erase, &erased).ok());

  CreateCustomerResponse replay;
  ASSERT_TRUE(
      Call(&CustomerService::Stub::CreateCustomer, kBranch1, create, &replay)
          .ok());
  EXPECT_EQ(replay.customer().customer_id(), id);
  EXPECT_EQ(replay.customer().branch_id(), "B001");
  EXPECT_EQ(replay.customer().points_balance(), 0);
  EXPECT_EQ(replay.customer().etag(), first.customer().etag());
  EXPECT_EQ(replay.customer().phone(), "");
  EXPECT_EQ(replay.customer().notes(), "");
  EXPECT_NE(replay.customer().display_name(), "周十");
  AdjustPointsResponse adjust_replay;
  ASSERT_TRUE(Call(&CustomerService::Stub::AdjustPoints, kBranch2, adjust,
                   &adjust_replay)
                  .ok());
  EXPECT_EQ(adjust_replay.customer().points_balance(), 70);
  EXPECT_EQ(adjust_replay.transaction().balance_after(), 70);
  EXPECT_EQ(adjust_replay.customer().branch_id(), "B002");
}

// Issue 8 #4: free text about the person (a ledger reason) is erased from
// the ledger, the export and the stored AdjustPoints replay.
TEST_F(CustomersIntegrationTest, ErasureEmptiesFreeTextAboutThePerson) {
  const Customer c = Create("张秘密", "13900000902");
  AdjustPointsRequest adjust;
  adjust.set_customer_id(c.customer_id());
  adjust.set_delta(10);
  adjust.set_reason("birthday gift for 张秘密 13912345678");
  adjust.set_request_id("gift-secret");
  AdjustPointsResponse adjusted;
  ASSERT_TRUE(
      Call(&CustomerService::Stub::AdjustPoints, kAdmin, adjust, &adjusted)
          .ok());
  customers::v1::EraseCustomerRequest erase;
  erase.set_customer_id(c.customer_id());
  erase.set_reason("ticket 78");
  erase.set_request_id("erase-secret");
  customers::v1::EraseCustomerResponse erased;
  ASSERT_TRUE(
      Call(&CustomerService::Stub::EraseCustomer, kAdmin, erase, &erased).ok());

  customers::v1::ListPointsTransactionsRequest list;
  list.set_customer_id(c.customer_id());
  customers::v1::ListPointsTransactionsResponse ledger;
  ASSERT_TRUE(Call(&CustomerService::Stub::ListPointsTransactions, kAuditor,
                   list, &ledger)
                  .ok());
  ASSERT_EQ(ledger.transactions_size(), 1);
  EXPECT_EQ(ledger.transactions(0).delta(), 10);
  EXPECT_EQ(ledger.transactions(0).reason(), "");
  customers::v1::ExportCustomerDataRequest export_req;
  export_req.set_customer_id(c.customer_id());
  customers::v1::ExportCustomerDataResponse exported;
  ASSERT_TRUE(Call(&CustomerService::Stub::ExportCustomerData, kAdmin,
                   export_req, &exported)
                  .ok());
  EXPECT_EQ(exported.points_transactions(0).reason(), "");
  AdjustPointsResponse replay;
  ASSERT_TRUE(
      Call(&CustomerService::Stub::AdjustPoints, kAdmin, adjust, &replay).ok());
  EXPECT_EQ(replay.transaction().reason(), "");
  EXPECT_EQ(replay.transaction().balance_after(), 10);
  // The stored responses (bytes) hold neither the name nor the phone.
  EXPECT_EQ(server_.QueryScalar(
                server_.on_postgres()
                    ? "SELECT COUNT(*) FROM idempotency_keys WHERE"
                      " position(convert_to('张秘密', 'UTF8') in response) > 0"
                      " OR position(convert_to('13912345678', 'UTF8') in"
                      " response) > 0"
                    : "SELECT COUNT(*) FROM idempotency_keys WHERE "
                      "instr(response, '张秘密') > 0 OR "
                      "instr(response, '13912345678') > 0"),
            "0");
}

// Issue 8 #5: when EraseCustomer returns, the erased bytes are gone from the
// database file and from the WAL (secure_delete + a checkpoint before the
// reply), while the server keeps running.
TEST_F(CustomersIntegrationTest, ErasedBytesAreGoneFromTheFilesOnReturn) {
  CreateCustomerRequest create = NewCustomer("Ursula Zyx", "13900000903");
  create.mutable_customer()->set_email("ursula.first@example.com");
  create.mutable_customer()->set_notes("secret-note-QX7");
  CreateCustomerResponse created;
  ASSERT_TRUE(
      Call(&CustomerService::Stub::CreateCustomer, kAdmin, create, &created)
          .ok());
  const std::string id = created.customer().customer_id();
  // An older email lives on in old page images unless something wipes them.
  customers::v1::UpdateCustomerRequest update;
  update.set_request_id("new-email");
  update.mutable_customer()->set_customer_id(id);
  update.mutable_customer()->set_email("ursula.second@example.com");
  update.mutable_update_mask()->add_paths("email");
  customers::v1::UpdateCustomerResponse updated;
  ASSERT_TRUE(
      Call(&CustomerService::Stub::UpdateCustomer, kAdmin, update, &updated)
          .ok());
  // Padding rows so the customer's page is rewritten, not just appended.
  for (int i = 0; i < 20; ++i)
    Create("填充", absl::StrCat("1390001", 1000 + i));
  customers::v1::EraseCustomerRequest erase;
  erase.set_customer_id(id);
  erase.set_reason("ticket 79");
  erase.set_request_id("erase-ursula");
  customers::v1::EraseCustomerResponse erased;
  ASSERT_TRUE(
      Call(&CustomerService::Stub::EraseCustomer, kAdmin, erase, &erased).ok());

  auto file_holds = [](const std::string& path, const std::string& needle) {
    std::ifstream in(path, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)),
                      std::istreambuf_iterator<char>());
    return bytes.find(needle) != std::string::npos;
  };
  for (const std::string& file :
       {server_.db_path(), server_.db_path() + "-wal"}) {
    for (const char* needle :
         {"ursula.first@example.com", "ursula.second@example.com",
          "secret-note-QX7", "Ursula Zyx", "13900000903"}) {
      EXPECT_FALSE(file_holds(file, needle))
          << file << " still holds " << needle;
    }
  }
}

// Issue 8 #3: a store that creates (or updates to) a phone registered in
// another branch learns that the number is taken, never by whom or where.
TEST_F(CustomersIntegrationTest, PhoneConflictNamesNoOtherBranchsCustomer) {
  const Customer other = Create("外店", "13900000950", "B002");
  const Customer own = Create("本店", "13900000951", "B001");
  auto expect_anonymous = [&](const grpc::Status& s) {
    EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS);
    const ErrorDetails d = DetailsOf(s);
    EXPECT_EQ(d.reason, "PHONE_ALREADY_REGISTERED");
    EXPECT_EQ(d.metadata.count("customer_id"), 0u);
    EXPECT_EQ(s.error_message().find(other.customer_id()), std::string::npos);
    EXPECT_EQ(s.error_message().find("B002"), std::string::npos);
    EXPECT_NE(s.error_message().find("service desk"), std::string::npos);
  };
  CreateCustomerResponse created;
  expect_anonymous(Call(&CustomerService::Stub::CreateCustomer, kBranch1,
                        NewCustomer("探测", "13900000950", "B001"), &created));
  customers::v1::UpdateCustomerRequest update;
  update.set_request_id("probe-by-update");
  update.mutable_customer()->set_customer_id(own.customer_id());
  update.mutable_customer()->set_phone("13900000950");
  update.mutable_update_mask()->add_paths("phone");
  customers::v1::UpdateCustomerResponse updated;
  expect_anonymous(
      Call(&CustomerService::Stub::UpdateCustomer, kBranch1, update, &updated));

  // Its own customer, and chain-wide roles, get the id: they can read it.
  grpc::Status s = Call(&CustomerService::Stub::CreateCustomer, kBranch1,
                        NewCustomer("重复", "13900000951", "B001"), &created);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(DetailsOf(s).metadata["customer_id"], own.customer_id());
  s = Call(&CustomerService::Stub::CreateCustomer, kAgent,
           NewCustomer("客服", "13900000950", "B001"), &created);
  EXPECT_EQ(DetailsOf(s).metadata["customer_id"], other.customer_id());
}

// Issue 8 #8: the audit row of a reveal names every customer shown, and the
// erasure's reason is kept in its audit row.
TEST_F(CustomersIntegrationTest,
       AuditNamesEveryRevealedCustomerAndEraseReason) {
  const Customer a = Create("甲", "13900000961");
  const Customer b = Create("乙", "13900000962");
  customers::v1::ListCustomersRequest list;
  list.set_reveal_pii(true);
  customers::v1::ListCustomersResponse page;
  ASSERT_TRUE(
      Call(&CustomerService::Stub::ListCustomers, kAgent, list, &page).ok());
  const std::string detail = server_.QueryScalar(
      "SELECT detail FROM audit_log WHERE outcome = 'REVEAL' AND method LIKE "
      "'%/ListCustomers'");
  EXPECT_NE(detail.find("customers/" + a.customer_id()), std::string::npos);
  EXPECT_NE(detail.find("customers/" + b.customer_id()), std::string::npos);

  customers::v1::EraseCustomerRequest erase;
  erase.set_customer_id(a.customer_id());
  erase.set_reason("PIPL ticket 4711");
  erase.set_request_id("erase-with-reason");
  customers::v1::EraseCustomerResponse erased;
  ASSERT_TRUE(
      Call(&CustomerService::Stub::EraseCustomer, kAgent, erase, &erased).ok());
  EXPECT_EQ(server_.QueryScalar("SELECT detail FROM audit_log WHERE method "
                                "LIKE '%/EraseCustomer' AND outcome = 'OK'"),
            "reason: PIPL ticket 4711");
}

}  // namespace
}  // namespace retail::testing
