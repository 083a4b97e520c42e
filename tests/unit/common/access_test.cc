// The access table mechanism (common/access.h): typed rules, role sets, the
// service method list, coverage of a service, and AuthorizeCall's identity.
#include "common/access.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "retail/customers/v1/customers.pb.h"
#include "tests/unit/test_util.h"

namespace retail {
namespace {

using ::retail::testing::IsInvalidField;
using ::retail::testing::IsOk;
using ::retail::testing::StatusIs;
namespace v1 = ::retail::customers::v1;

constexpr char kGetCustomer[] =
    "retail.customers.v1.CustomerService/GetCustomer";

std::shared_ptr<const Principal> MakePrincipal(Role role) {
  auto p = std::make_shared<Principal>();
  p->id = std::string(RoleName(role));
  p->role = role;
  if (role == Role::kBranch) p->branch_id = "B001";
  if (role == Role::kService) p->methods = {kGetCustomer};
  return p;
}

// A table shaped like a module's: reads for everyone, writes for staff,
// branches and listed services, erase for staff only.
AccessTable ScratchTable() {
  AccessTable t;
  t.Allow<v1::GetCustomerRequest>(Act::kRead, RoleSet::All())
      .Allow<v1::ListCustomersRequest>(Act::kRead, RoleSet::All())
      .Allow<v1::CreateCustomerRequest>(
          Act::kWrite,
          {Role::kAdmin, Role::kAgent, Role::kBranch, Role::kService})
      .Allow<v1::EraseCustomerRequest>(Act::kErase,
                                       {Role::kAdmin, Role::kAgent});
  return t;
}

TEST(AccessTableTest, MethodNamesComeFromTheDescriptors) {
  const AccessTable t = ScratchTable();
  const AccessRule* rule = t.Find(kGetCustomer);
  ASSERT_NE(rule, nullptr);
  EXPECT_EQ(rule->method->name(), "GetCustomer");
  EXPECT_EQ(rule->act, Act::kRead);
  EXPECT_EQ(MethodNameOf<v1::EraseCustomerRequest>(),
            "retail.customers.v1.CustomerService/EraseCustomer");
  EXPECT_EQ(t.Find("retail.customers.v1.CustomerService/getcustomer"), nullptr);
}

TEST(AccessTableTest, CheckCoversNamesEveryMethodWithoutARule) {
  const AccessTable t = ScratchTable();
  absl::Status s = t.CheckCovers(*MethodOf<v1::GetCustomerRequest>().service());
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(s.message()),
              ::testing::HasSubstr("CustomerService/UpdateCustomer"));
  EXPECT_THAT(std::string(s.message()),
              ::testing::Not(::testing::HasSubstr("/GetCustomer,")));
}

struct AuthorizeCase {
  Role role;
  const char* method;
  bool allowed;
};

class AuthorizeTest : public ::testing::TestWithParam<AuthorizeCase> {};

TEST_P(AuthorizeTest, FollowsTheTable) {
  const AuthorizeCase& c = GetParam();
  const AccessTable t = ScratchTable();
  const AccessRule* rule = t.Find(c.method);
  ASSERT_NE(rule, nullptr);
  absl::Status status = Authorize(*MakePrincipal(c.role), *rule);
  if (c.allowed) {
    EXPECT_THAT(status, IsOk());
  } else {
    EXPECT_THAT(status, StatusIs(absl::StatusCode::kPermissionDenied));
  }
}

constexpr char kList[] = "retail.customers.v1.CustomerService/ListCustomers";
constexpr char kCreate[] = "retail.customers.v1.CustomerService/CreateCustomer";
constexpr char kErase[] = "retail.customers.v1.CustomerService/EraseCustomer";

INSTANTIATE_TEST_SUITE_P(
    RoleTable, AuthorizeTest,
    ::testing::Values(AuthorizeCase{Role::kAdmin, kList, true},
                      AuthorizeCase{Role::kAdmin, kErase, true},
                      AuthorizeCase{Role::kAgent, kCreate, true},
                      AuthorizeCase{Role::kBranch, kCreate, true},
                      AuthorizeCase{Role::kBranch, kErase, false},
                      AuthorizeCase{Role::kAuditor, kList, true},
                      AuthorizeCase{Role::kAuditor, kCreate, false},
                      // The service principal lists only GetCustomer.
                      AuthorizeCase{Role::kService, kGetCustomer, true},
                      AuthorizeCase{Role::kService, kList, false},
                      AuthorizeCase{Role::kService, kCreate, false},
                      AuthorizeCase{Role::kService, kErase, false}));

TEST(AuthorizeTest, AnyAuthenticatedIgnoresRoleAndMethodList) {
  AccessTable t;
  t.AllowAnyAuthenticated<v1::GetCustomerRequest>(Act::kRead);
  auto service = std::make_shared<Principal>();
  service->role = Role::kService;
  service->methods = {"other.Service/Method"};
  EXPECT_THAT(Authorize(*service, *t.Find(kGetCustomer)), IsOk());
}

TEST(AuthorizeCallTest, CarriesIdentityStaffAndWait) {
  const AccessTable t = ScratchTable();
  WaitLimit wait{absl::Now() + absl::Seconds(3), /*client_deadline=*/true,
                 nullptr};
  absl::StatusOr<CallMeta> meta = AuthorizeCall(
      MakePrincipal(Role::kBranch), *t.Find(kCreate), "cashier-07", wait);
  ASSERT_THAT(meta, IsOk());
  EXPECT_EQ(meta->method, kCreate);
  EXPECT_EQ(meta->staff_id, "cashier-07");
  EXPECT_EQ(meta->principal->branch_id, "B001");
  EXPECT_EQ(meta->wait.until, wait.until);

  EXPECT_THAT(AuthorizeCall(MakePrincipal(Role::kBranch), *t.Find(kCreate),
                            "bad staff id!", wait),
              IsInvalidField("x-staff-id"));
  EXPECT_THAT(
      AuthorizeCall(MakePrincipal(Role::kBranch), *t.Find(kErase), "", wait),
      StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST(WaitLimitTest, ClientDeadlineAndServerBoundAnswerDifferently) {
  WaitLimit client{absl::Now() - absl::Seconds(1), true, nullptr};
  WaitLimit server{absl::Now() - absl::Seconds(1), false, nullptr};
  EXPECT_TRUE(client.Expired());
  EXPECT_THAT(client.ExpiredStatus("the writer"),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_THAT(server.ExpiredStatus("the writer"),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_FALSE(WaitLimit::None().Expired());
}

}  // namespace
}  // namespace retail
