// The rate-limit syntax of auth.conf (issue 15, "Overload"): a principal's
// own rate=/burst= options, a role's `limit` line, which wins, the errors,
// and a reload that changes a limit.
#include <fcntl.h>
#include <sys/stat.h>

#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/auth.h"
#include "common/ids.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/test_util.h"

namespace retail {
namespace {

using ::retail::testing::IsOk;
using ::retail::testing::StatusIs;
using ::testing::HasSubstr;

std::string Line(absl::string_view token, absl::string_view rest) {
  return absl::StrCat("sha256:", Sha256Hex(token), " ", rest, "\n");
}

RateLimit LimitOf(const AuthConfig& config, absl::string_view token) {
  auto principal = config.Find(Sha256Hex(token));
  EXPECT_NE(principal, nullptr) << token;
  return principal == nullptr ? RateLimit{} : principal->rate_limit;
}

TEST(AuthLimitsTest, PrincipalOptionsRoleDefaultsAndPrecedence) {
  const std::string text = absl::StrCat(
      Line("t-admin", "alice admin"), Line("t-pos1", "pos1 branch branch=B001"),
      Line("t-pos2", "pos2 branch branch=B002 rate=100/s burst=150"),
      Line("t-pos3", "pos3 branch rate=none branch=B003"),
      Line("t-crm", "crm service methods=a.B/C rate=50/s burst=100"),
      Line("t-agent", "bob agent rate=600/m"),
      Line("t-slow", "slow auditor rate=0.5/s"),
      // A role's default may come after the principals it applies to.
      "limit role=branch rate=20/s burst=40\n",
      "limit   role=auditor\trate=2/s\n",
      "san:dns:store-b009 store9 branch branch=B009\n");
  absl::StatusOr<AuthConfig> config = AuthConfig::Parse(text);
  ASSERT_THAT(config, IsOk());
  EXPECT_EQ(config->size(), 8u);

  EXPECT_FALSE(LimitOf(*config, "t-admin").limited());  // no admin default
  EXPECT_EQ(LimitOf(*config, "t-pos1"), (RateLimit{20, 40}));    // role's
  EXPECT_EQ(LimitOf(*config, "t-pos2"), (RateLimit{100, 150}));  // own wins
  EXPECT_FALSE(LimitOf(*config, "t-pos3").limited());  // rate=none wins
  EXPECT_EQ(LimitOf(*config, "t-crm"), (RateLimit{50, 100}));
  // burst defaults to one second's worth, at least one call.
  EXPECT_EQ(LimitOf(*config, "t-agent"), (RateLimit{10, 10}));
  EXPECT_EQ(LimitOf(*config, "t-slow"), (RateLimit{0.5, 1}));
  // Certificate-bound principals take their role's default too.
  auto store9 = config->FindCertificate(
      CertificateName{CertificateName::Type::kDns, "store-b009"});
  ASSERT_NE(store9, nullptr);
  EXPECT_EQ(store9->rate_limit, (RateLimit{20, 40}));

  EXPECT_EQ(config->RoleLimit(Role::kBranch), (RateLimit{20, 40}));
  EXPECT_EQ(config->RoleLimit(Role::kAuditor), (RateLimit{2, 2}));
  EXPECT_FALSE(config->RoleLimit(Role::kService).limited());
}

TEST(AuthLimitsTest, RejectsMalformedLimitsNamingTheLine) {
  const struct {
    std::string text;
    std::string says;
  } kBad[] = {
      {Line("t", "a admin rate=5"), "rate=5"},
      {Line("t", "a admin rate=0/s"), "rate=0/s"},
      {Line("t", "a admin rate=-3/s"), "rate=-3/s"},
      {Line("t", "a admin rate=5/day"), "rate=5/day"},
      {Line("t", "a admin burst=5"), "burst= needs rate="},
      {Line("t", "a admin rate=5/s burst=0"), "burst=0"},
      {Line("t", "a admin rate=5/s burst=x"), "burst=x"},
      {Line("t", "a admin rate=none burst=5"), "rate=none takes no burst="},
      {Line("t", "a admin rate=5/s rate=6/s"), "duplicate rate="},
      {Line("t", "a admin rate=5/s burst=5 burst=6"), "duplicate burst="},
      {"limit rate=5/s\n", "limit role=<role>"},
      {"limit role=branch\n", "limit role=<role>"},
      {"limit role=owner rate=5/s\n", "unknown role 'owner'"},
      {"limit role=branch rate=5/s branch=B001\n", "unknown option"},
      {"limit role=branch rate=5/s\nlimit role=branch rate=6/s\n",
       "duplicate limit for role 'branch'"},
      {"limit role=agent rate=none burst=3\n", "rate=none takes no burst="},
  };
  for (const auto& bad : kBad) {
    absl::StatusOr<AuthConfig> config = AuthConfig::Parse(bad.text);
    EXPECT_THAT(config, StatusIs(absl::StatusCode::kInvalidArgument))
        << bad.text;
    EXPECT_THAT(config.status().message(), HasSubstr("auth config line "))
        << bad.text;
    EXPECT_THAT(config.status().message(), HasSubstr(bad.says)) << bad.text;
  }
  // A role's limit line of rate=none is allowed (documents "unlimited").
  EXPECT_THAT(AuthConfig::Parse("limit role=admin rate=none\n"), IsOk());
}

TEST(AuthLimitsTest, AReloadChangesTheLimitsOfTheNextCall) {
  testing::ScopedTempDir dir;
  const std::string path = dir.File("auth.conf");
  auto write = [&](const std::string& text, int bump_seconds) {
    {
      std::ofstream out(path, std::ios::trunc);
      out << text;
    }
    ASSERT_EQ(chmod(path.c_str(), 0600), 0);
    struct stat st;
    ASSERT_EQ(stat(path.c_str(), &st), 0);
    struct timespec times[2] = {st.st_atim, st.st_mtim};
    times[1].tv_sec += bump_seconds;
    ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
  };
  FakeClock clock(1'780'272'000'000'000);
  write(Line("pos", "pos1 branch branch=B001") +
            "limit role=branch rate=5/s burst=5\n",
        0);
  absl::StatusOr<std::unique_ptr<Authenticator>> auth =
      Authenticator::Create(path, &clock);
  ASSERT_THAT(auth, IsOk());
  auto before = (*auth)->Authenticate("Bearer pos");
  ASSERT_THAT(before, IsOk());
  EXPECT_EQ((*before)->rate_limit, (RateLimit{5, 5}));

  write(Line("pos", "pos1 branch branch=B001 rate=50/s burst=80") +
            "limit role=branch rate=5/s burst=5\n",
        10);
  clock.Advance(1'100'000);  // the next re-check of the file
  auto after = (*auth)->Authenticate("Bearer pos");
  ASSERT_THAT(after, IsOk());
  EXPECT_EQ((*after)->rate_limit, (RateLimit{50, 80}));
}

}  // namespace
}  // namespace retail
