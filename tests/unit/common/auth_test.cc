#include "common/auth.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/test_util.h"

namespace retail {
namespace {

using ::retail::testing::IsOk;
using ::retail::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

constexpr char kGetCustomer[] =
    "retail.customers.v1.CustomerService/GetCustomer";
constexpr char kListCustomers[] =
    "retail.customers.v1.CustomerService/ListCustomers";

// One auth config line for `token`.
std::string Line(absl::string_view token, absl::string_view rest) {
  return absl::StrCat("sha256:", Sha256Hex(token), " ", rest, "\n");
}

// --- AuthConfig::Parse
// --------------------------------------------------------

TEST(AuthConfigTest, ParsesEveryRoleIgnoringCommentsAndBlankLines) {
  const std::string text = absl::StrCat(
      "# retail auth config\n\n", Line("t-admin", "alice admin"),
      "   # indented comment\n", Line("t-agent", "bob\tagent"),
      Line("t-branch", "store1 branch branch=B001"),
      Line("t-service", absl::StrCat("orders service methods=", kGetCustomer,
                                     ",", kListCustomers)),
      Line("t-auditor", "carol auditor"));
  absl::StatusOr<AuthConfig> config = AuthConfig::Parse(text);
  ASSERT_THAT(config, IsOk());
  EXPECT_EQ(config->size(), 5u);

  auto admin = config->Find(Sha256Hex("t-admin"));
  ASSERT_NE(admin, nullptr);
  EXPECT_EQ(admin->id, "alice");
  EXPECT_EQ(admin->role, Role::kAdmin);

  auto branch = config->Find(Sha256Hex("t-branch"));
  ASSERT_NE(branch, nullptr);
  EXPECT_EQ(branch->role, Role::kBranch);
  EXPECT_EQ(branch->branch_id, "B001");

  auto service = config->Find(Sha256Hex("t-service"));
  ASSERT_NE(service, nullptr);
  EXPECT_EQ(service->role, Role::kService);
  EXPECT_THAT(service->methods,
              UnorderedElementsAre(kGetCustomer, kListCustomers));

  EXPECT_EQ(config->Find(Sha256Hex("t-agent"))->role, Role::kAgent);
  EXPECT_EQ(config->Find(Sha256Hex("t-auditor"))->role, Role::kAuditor);
  EXPECT_EQ(config->Find(Sha256Hex("unknown")), nullptr);
}

TEST(AuthConfigTest, EmptyConfigHasNoPrincipals) {
  absl::StatusOr<AuthConfig> config = AuthConfig::Parse("# nobody yet\n");
  ASSERT_THAT(config, IsOk());
  EXPECT_EQ(config->size(), 0u);
}

TEST(AuthConfigTest, RejectsInvalidLines) {
  const std::string upper_hash = absl::AsciiStrToUpper(Sha256Hex("t"));
  for (const std::string& bad : {
           Line("t", "store1 branch"),            // branch needs branch=
           Line("t", "store1 branch branch="),    // empty branch
           Line("t", "alice admin branch=B001"),  // only branch takes it
           Line("t", "orders service"),           // service needs methods=
           Line("t", "alice superuser"),          // unknown role
           Line("t", "alice admin colour=red"),   // unknown option
           Line("t", "alice"),                    // too few words
           absl::StrCat("sha256:", upper_hash,
                        " alice admin\n"),                  // not lower hex
           absl::StrCat("sha256:abc123 alice admin\n"),     // short hash
           absl::StrCat(Sha256Hex("t"), " alice admin\n"),  // no sha256: prefix
           Line("t1", "alice admin") +
               Line("t2", "alice agent"),  // duplicate id
           Line("t", "alice admin") +
               Line("t", "bob agent"),  // duplicate token
       }) {
    EXPECT_THAT(AuthConfig::Parse(bad),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << bad;
  }
}

// --- Certificate-bound principals (san:) ------------------------------------

CertificateName Dns(absl::string_view name) {
  return {CertificateName::Type::kDns, std::string(name)};
}
CertificateName Uri(absl::string_view uri) {
  return {CertificateName::Type::kUri, std::string(uri)};
}

TEST(AuthConfigTest, ParsesCertificateBoundPrincipals) {
  const std::string text = absl::StrCat(
      Line("t-admin", "alice admin"),
      "san:dns:Store-B001.retail.internal store-b001 branch branch=B001\n",
      "san:uri:spiffe://retail/svc/crm crm service methods=", kGetCustomer,
      "\n", "  san:dns:audit-box  audit-box\tauditor  \n");
  absl::StatusOr<AuthConfig> config = AuthConfig::Parse(text);
  ASSERT_THAT(config, IsOk());
  EXPECT_EQ(config->size(), 4u);

  // DNS names match without regard to case.
  auto store = config->FindCertificate(Dns("store-b001.retail.internal"));
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->id, "store-b001");
  EXPECT_EQ(store->role, Role::kBranch);
  EXPECT_EQ(store->branch_id, "B001");

  auto crm = config->FindCertificate(Uri("spiffe://retail/svc/crm"));
  ASSERT_NE(crm, nullptr);
  EXPECT_EQ(crm->role, Role::kService);
  EXPECT_THAT(crm->methods, UnorderedElementsAre(kGetCustomer));
  EXPECT_EQ(config->FindCertificate(Dns("audit-box"))->role, Role::kAuditor);

  // A name is bound with its type: a URI never passes for a DNS name.
  EXPECT_EQ(config->FindCertificate(Dns("spiffe://retail/svc/crm")), nullptr);
  EXPECT_EQ(config->FindCertificate(Uri("audit-box")), nullptr);
  // URIs match exactly.
  EXPECT_EQ(config->FindCertificate(Uri("SPIFFE://retail/svc/crm")), nullptr);
  EXPECT_EQ(config->FindCertificate(Dns("other.retail.internal")), nullptr);
  // Tokens are unaffected, and a name is not a token.
  EXPECT_EQ(config->Find(Sha256Hex("t-admin"))->id, "alice");
  EXPECT_EQ(config->Find(Sha256Hex("san:dns:audit-box")), nullptr);
}

TEST(AuthConfigTest, RejectsInvalidCertificateLines) {
  for (const std::string& bad : std::vector<std::string>{
           "san:dns: store1 branch branch=B001\n",      // empty name
           "san:dns:*.retail.internal store1 admin\n",  // wildcard
           "san:dns:store_1 store1 admin\n",            // not a DNS name
           "san:uri:no-scheme store1 admin\n",          // not a URI
           "san:uri:spiffe: store1 admin\n",            // nothing after it
           "san:uri:1x://a store1 admin\n",             // bad scheme
           "san:ip:10.0.0.1 store1 admin\n",            // unknown type
           "san:store1 store1 admin\n",                 // no type
           "san:dns:box store1 branch\n",               // branch needs branch=
           "san:uri:spiffe://x svc service\n",          // service needs methods
           "san:dns:box store1\n",                      // too few words
           "san:dns:box a admin\nsan:dns:BOX b admin\n",  // name bound twice
           "san:uri:x:y a admin\nsan:uri:x:y b admin\n",  // URI bound twice
           Line("t", "alice admin") + "san:dns:box alice admin\n",  // dup id
       }) {
    EXPECT_THAT(AuthConfig::Parse(bad),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << bad;
  }
  absl::StatusOr<AuthConfig> wildcard =
      AuthConfig::Parse("san:dns:*.x store1 admin\n");
  EXPECT_THAT(wildcard.status().message(), HasSubstr("wildcards"));
  EXPECT_THAT(wildcard.status().message(), HasSubstr("line 1"));
}

// --- PiiVisible (Authorize is in access_test.cc)
// ---------------------------------------------------

Principal MakePrincipal(Role role) {
  Principal p;
  p.id = std::string(RoleName(role));
  p.role = role;
  if (role == Role::kBranch) p.branch_id = "B001";
  if (role == Role::kService) p.methods = {kGetCustomer};
  return p;
}

TEST(PiiVisibleTest, FollowsRoleRules) {
  auto visible = [](Role role, bool reveal) {
    return PiiVisible(MakePrincipal(role), reveal);
  };
  EXPECT_EQ(*visible(Role::kAdmin, false), true);
  EXPECT_EQ(*visible(Role::kBranch, false), true);
  EXPECT_EQ(*visible(Role::kAgent, false), false);
  EXPECT_EQ(*visible(Role::kAgent, true), true);
  EXPECT_EQ(*visible(Role::kService, false), false);
  EXPECT_EQ(*visible(Role::kAuditor, false), false);
  EXPECT_THAT(visible(Role::kService, true),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(visible(Role::kAuditor, true),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST(BranchScopeTest, OnlyBranchPrincipalsAreConfined) {
  EXPECT_EQ(BranchScope(MakePrincipal(Role::kBranch)), "B001");
  EXPECT_EQ(BranchScope(MakePrincipal(Role::kAdmin)), "");
  EXPECT_EQ(BranchScope(MakePrincipal(Role::kAgent)), "");
}

// --- Authenticator
// ------------------------------------------------------------

class AuthenticatorTest : public ::testing::Test {
 protected:
  // Writes the file with mode 0600 whatever the umask: the authenticator
  // refuses a config that group or others may write.
  void WriteConfig(const std::string& text) {
    {
      std::ofstream out(path_, std::ios::trunc);
      out << text;
    }
    ASSERT_EQ(chmod(path_.c_str(), 0600), 0);
  }
  // Gives the file an mtime `seconds` past its current one, so the change
  // is seen even on file systems with coarse timestamps.
  void BumpMtime(int seconds) {
    struct stat st;
    ASSERT_EQ(stat(path_.c_str(), &st), 0);
    struct timespec times[2] = {st.st_atim, st.st_mtim};
    times[1].tv_sec += seconds;
    ASSERT_EQ(utimensat(AT_FDCWD, path_.c_str(), times, 0), 0);
  }
  std::unique_ptr<Authenticator> Create() {
    absl::StatusOr<std::unique_ptr<Authenticator>> auth =
        Authenticator::Create(path_, &clock_);
    EXPECT_THAT(auth, IsOk());
    return auth.ok() ? std::move(*auth) : nullptr;
  }
  // The authenticator re-checks its file at most once per second of the
  // injected clock.
  void WaitForReloadCheck() { clock_.Advance(1'100'000); }

  FakeClock clock_{1'780'272'000'000'000};

  testing::ScopedTempDir dir_;
  const std::string path_ = dir_.File("auth.conf");
};

TEST_F(AuthenticatorTest, CreateFailsForMissingOrInvalidFile) {
  EXPECT_FALSE(Authenticator::Create(path_).ok());
  WriteConfig("sha256:nothex alice admin\n");
  EXPECT_FALSE(Authenticator::Create(path_).ok());
}

TEST_F(AuthenticatorTest, AuthenticatesBearerTokens) {
  WriteConfig(Line("s3cret-admin", "alice admin") +
              Line("s3cret-store", "store1 branch branch=B001"));
  auto auth = Create();
  ASSERT_NE(auth, nullptr);

  absl::StatusOr<std::shared_ptr<const Principal>> admin =
      auth->Authenticate("Bearer s3cret-admin");
  ASSERT_THAT(admin, IsOk());
  EXPECT_EQ((*admin)->id, "alice");
  absl::StatusOr<std::shared_ptr<const Principal>> store =
      auth->Authenticate("Bearer s3cret-store");
  ASSERT_THAT(store, IsOk());
  EXPECT_EQ((*store)->branch_id, "B001");

  for (absl::string_view bad : {"", "Bearer ", "Bearer unknown", "s3cret-admin",
                                "Basic s3cret-admin", "Bearer s3cret-admin "}) {
    EXPECT_THAT(auth->Authenticate(bad),
                StatusIs(absl::StatusCode::kUnauthenticated))
        << "authorization: '" << bad << "'";
  }
}

TEST_F(AuthenticatorTest, ReloadsChangedFileAndKeepsLastGoodConfig) {
  WriteConfig(Line("old-token", "alice admin"));
  auto auth = Create();
  ASSERT_NE(auth, nullptr);
  ASSERT_THAT(auth->Authenticate("Bearer old-token"), IsOk());

  // A new token is added and the old one revoked, without a restart.
  WriteConfig(Line("new-token", "alice admin") +
              Line("unused-token", "bob agent"));
  BumpMtime(10);
  WaitForReloadCheck();
  EXPECT_THAT(auth->Authenticate("Bearer new-token"), IsOk());
  EXPECT_THAT(auth->Authenticate("Bearer old-token"),
              StatusIs(absl::StatusCode::kUnauthenticated));

  // A broken edit must not lock everybody out: the last good config stays
  // in force. Shown with a token not used before: the cache of verified
  // tokens cannot answer for it, only the config can.
  WriteConfig("this is not a valid line\n");
  BumpMtime(20);
  WaitForReloadCheck();
  absl::StatusOr<std::shared_ptr<const Principal>> bob =
      auth->Authenticate("Bearer unused-token");  // runs the reload check
  ASSERT_THAT(bob, IsOk());
  EXPECT_EQ((*bob)->id, "bob");
  EXPECT_EQ((*bob)->role, Role::kAgent);
  EXPECT_THAT(auth->Authenticate("Bearer new-token"), IsOk());
  EXPECT_THAT(auth->Authenticate("Bearer old-token"),
              StatusIs(absl::StatusCode::kUnauthenticated));

  // The next good edit is taken again.
  WriteConfig(Line("newest-token", "alice admin"));
  BumpMtime(30);
  WaitForReloadCheck();
  EXPECT_THAT(auth->Authenticate("Bearer newest-token"), IsOk());
  EXPECT_THAT(auth->Authenticate("Bearer new-token"),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(AuthenticatorTest, AuthenticatesCertificateNames) {
  WriteConfig(Line("s3cret-admin", "alice admin") +
              "san:dns:store-b001 store1 branch branch=B001\n"
              "san:uri:spiffe://retail/svc/crm crm service methods=" +
              kGetCustomer + "\n");
  auto auth = Create();
  ASSERT_NE(auth, nullptr);

  absl::StatusOr<std::shared_ptr<const Principal>> store =
      auth->AuthenticateCertificate({Dns("STORE-B001")});
  ASSERT_THAT(store, IsOk());
  EXPECT_EQ((*store)->id, "store1");
  EXPECT_EQ((*store)->branch_id, "B001");
  // Any one bound name of the certificate identifies it.
  absl::StatusOr<std::shared_ptr<const Principal>> crm =
      auth->AuthenticateCertificate(
          {Dns("crm.retail.internal"), Uri("spiffe://retail/svc/crm")});
  ASSERT_THAT(crm, IsOk());
  EXPECT_EQ((*crm)->id, "crm");

  EXPECT_THAT(auth->AuthenticateCertificate({}),
              StatusIs(absl::StatusCode::kUnauthenticated));
  absl::StatusOr<std::shared_ptr<const Principal>> unknown =
      auth->AuthenticateCertificate({Dns("stranger"), Uri("urn:x")});
  EXPECT_THAT(unknown, StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(unknown.status().message(), HasSubstr("san:dns:stranger"));
  EXPECT_THAT(unknown.status().message(), HasSubstr("san:uri:urn:x"));
  // Names bound to two principals: which one acts would be a guess.
  EXPECT_THAT(auth->AuthenticateCertificate(
                  {Dns("store-b001"), Uri("spiffe://retail/svc/crm")}),
              StatusIs(absl::StatusCode::kUnauthenticated));
  // A token's hash is no certificate name, and a name no token.
  EXPECT_THAT(auth->Authenticate("Bearer store-b001"),
              StatusIs(absl::StatusCode::kUnauthenticated));

  // Unbinding a name takes effect on the next reload, like revoking a token.
  WriteConfig(Line("s3cret-admin", "alice admin"));
  BumpMtime(10);
  WaitForReloadCheck();
  EXPECT_THAT(auth->AuthenticateCertificate({Dns("store-b001")}),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

// --- Authenticator: who may change the file --------------------------------
// Whoever can write the auth config can make themselves admin, so the server
// refuses one that anybody but its own user (or root) could change.

TEST_F(AuthenticatorTest, RefusesFileWritableByGroupOrOthers) {
  WriteConfig(Line("t", "alice admin"));
  for (mode_t mode : {0666, 0646, 0622, 0660, 0620}) {
    ASSERT_EQ(chmod(path_.c_str(), mode), 0);
    absl::StatusOr<std::unique_ptr<Authenticator>> auth =
        Authenticator::Create(path_);
    EXPECT_THAT(auth, StatusIs(absl::StatusCode::kFailedPrecondition))
        << std::oct << mode;
    EXPECT_THAT(auth.status().message(), HasSubstr("writable by"));
    EXPECT_THAT(auth.status().message(), HasSubstr("chmod 600 " + path_));
  }
}

TEST_F(AuthenticatorTest, AcceptsFileOnlyItsOwnerCanWrite) {
  WriteConfig(Line("t", "alice admin"));
  for (mode_t mode : {0600, 0644, 0640, 0400}) {
    ASSERT_EQ(chmod(path_.c_str(), mode), 0);
    EXPECT_THAT(Authenticator::Create(path_), IsOk()) << std::oct << mode;
  }
}

TEST_F(AuthenticatorTest, RefusesDirectoryWritableByOthersWithoutStickyBit) {
  WriteConfig(Line("t", "alice admin"));
  ASSERT_EQ(chmod(dir_.path().c_str(), 0777), 0);
  absl::StatusOr<std::unique_ptr<Authenticator>> auth =
      Authenticator::Create(path_);
  EXPECT_THAT(auth, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(auth.status().message(), HasSubstr("chmod o-w"));

  // Sticky, like /tmp: others may add files but not replace this one.
  ASSERT_EQ(chmod(dir_.path().c_str(), 01777), 0);
  EXPECT_THAT(Authenticator::Create(path_), IsOk());
  ASSERT_EQ(chmod(dir_.path().c_str(), 0700), 0);
  EXPECT_THAT(Authenticator::Create(path_), IsOk());
}

TEST_F(AuthenticatorTest, ChecksTheDirectoryASymlinkPointsInto) {
  const std::string shared = dir_.File("shared");
  ASSERT_EQ(mkdir(shared.c_str(), 0700), 0);
  {
    std::ofstream out(shared + "/auth.conf");
    out << Line("t", "alice admin");
  }
  ASSERT_EQ(chmod((shared + "/auth.conf").c_str(), 0600), 0);
  ASSERT_EQ(symlink("shared/auth.conf", path_.c_str()), 0);
  EXPECT_THAT(Authenticator::Create(path_), IsOk());

  ASSERT_EQ(chmod(shared.c_str(), 0777), 0);
  EXPECT_THAT(Authenticator::Create(path_),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(AuthenticatorTest, RefusesFileOwnedByAnotherUser) {
  if (geteuid() != 0) GTEST_SKIP() << "giving a file away needs root";
  WriteConfig(Line("t", "alice admin"));
  constexpr uid_t kSomeoneElse = 4242;
  ASSERT_EQ(chown(path_.c_str(), kSomeoneElse, static_cast<gid_t>(-1)), 0);
  absl::StatusOr<std::unique_ptr<Authenticator>> auth =
      Authenticator::Create(path_);
  EXPECT_THAT(auth, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(auth.status().message(), HasSubstr("uid 4242"));
  EXPECT_THAT(auth.status().message(), HasSubstr("chown"));
}

TEST_F(AuthenticatorTest, RefusesFileThatIsNotRegular) {
  ASSERT_EQ(mkfifo(path_.c_str(), 0600), 0);
  // Must fail rather than block waiting for a writer.
  EXPECT_THAT(Authenticator::Create(path_),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(AuthenticatorTest, ReloadKeepsConfigWhileFileIsWritableByOthers) {
  WriteConfig(Line("old-token", "alice admin"));
  auto auth = Create();
  ASSERT_NE(auth, nullptr);

  // Someone who could write the file adds themselves: not taken.
  WriteConfig(Line("mallory-token", "mallory admin"));
  ASSERT_EQ(chmod(path_.c_str(), 0666), 0);
  BumpMtime(10);
  WaitForReloadCheck();
  EXPECT_THAT(auth->Authenticate("Bearer old-token"), IsOk());
  EXPECT_THAT(auth->Authenticate("Bearer mallory-token"),
              StatusIs(absl::StatusCode::kUnauthenticated));

  // Once the owner has checked the file and fixed its mode, it loads.
  ASSERT_EQ(chmod(path_.c_str(), 0600), 0);
  WaitForReloadCheck();
  EXPECT_THAT(auth->Authenticate("Bearer mallory-token"), IsOk());
  EXPECT_THAT(auth->Authenticate("Bearer old-token"),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

}  // namespace
}  // namespace retail
