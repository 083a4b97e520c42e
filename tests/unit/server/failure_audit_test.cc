// Failures before the writer are audited, and a flood of identical ones is
// folded into one row per principal, method, outcome and minute.
#include "server/failure_audit.h"

#include <memory>
#include <string>

#include "SQLiteCpp/Statement.h"
#include "common/db/database.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/test_util.h"

namespace retail {
namespace {

using ::retail::testing::IsOk;

constexpr int64_t kStart = 1'780'272'000'000'000;  // a minute boundary
constexpr char kMethod[] = "retail.customers.v1.CustomerService/EraseCustomer";

class FailureAuditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db::DatabaseOptions options;
    options.path = dir_.File("audit.db");
    options.reader_connections = 1;
    auto db = db::Database::Open(options);
    ASSERT_THAT(db, IsOk());
    db_ = std::move(*db);
    audit_ = std::make_unique<FailureAudit>(db_->writer(), clock_);
  }
  CallMeta As(const std::string& id, Role role) {
    auto p = std::make_shared<Principal>();
    p->id = id;
    p->role = role;
    CallMeta meta;
    meta.principal = p;
    meta.method = kMethod;
    return meta;
  }
  // (principal, outcome, count) of every row, oldest first; waits for the
  // asynchronous first rows by flushing the writer queue.
  std::vector<std::string> Rows() {
    EXPECT_THAT(
        db_->writer().RunSync([](db::Connection&) { return absl::OkStatus(); }),
        IsOk());
    return db_->Read([](db::Connection& c) {
      std::vector<std::string> rows;
      SQLite::Statement q(db::AsSqlite(c).raw(),
                          "SELECT principal_id || ' ' || outcome || ' x' || "
                          "count FROM audit_log ORDER BY audit_id");
      while (q.executeStep()) rows.push_back(q.getColumn(0).getString());
      return rows;
    });
  }

  FakeClock clock_{kStart};
  testing::ScopedTempDir dir_;
  std::unique_ptr<db::Database> db_;
  std::unique_ptr<FailureAudit> audit_;
};

TEST_F(FailureAuditTest, FloodOfDenialsIsFoldedPerMinute) {
  const CallMeta branch = As("store-1", Role::kBranch);
  const absl::Status denied = absl::PermissionDeniedError("no");
  for (int i = 0; i < 1000; ++i) audit_->Record(&branch, kMethod, denied);
  audit_->Record(nullptr, kMethod, absl::UnauthenticatedError("no token"));
  EXPECT_EQ(audit_->kinds(), 2u);
  // The first of each kind is written at once.
  EXPECT_THAT(Rows(), ::testing::ElementsAre("store-1 PERMISSION_DENIED x1",
                                             "(unauthenticated) "
                                             "UNAUTHENTICATED x1"));
  // The minute is not over: nothing more yet.
  ASSERT_THAT(audit_->Flush(/*all=*/false), IsOk());
  EXPECT_EQ(Rows().size(), 2u);
  clock_.Advance(60 * kMicrosPerSecond);
  ASSERT_THAT(audit_->Flush(/*all=*/false), IsOk());
  EXPECT_THAT(Rows(),
              ::testing::ElementsAre("store-1 PERMISSION_DENIED x1",
                                     "(unauthenticated) UNAUTHENTICATED x1",
                                     "store-1 PERMISSION_DENIED x999"));
  EXPECT_EQ(audit_->kinds(), 0u);
  // A new minute starts a new row.
  audit_->Record(&branch, kMethod, denied);
  EXPECT_EQ(Rows().size(), 4u);
}

TEST_F(FailureAuditTest, DistinctKindsAreBoundedInMemory) {
  const absl::Status denied = absl::PermissionDeniedError("no");
  for (int i = 0; i < 12'000; ++i) {
    const CallMeta caller = As("p" + std::to_string(i), Role::kAgent);
    audit_->Record(&caller, kMethod, denied);
  }
  EXPECT_LE(audit_->kinds(), 10'001u);
  ASSERT_THAT(audit_->Flush(/*all=*/true), IsOk());
  const std::vector<std::string> rows = Rows();
  EXPECT_EQ(rows.back(), "(other) (other) x2000");
}

}  // namespace
}  // namespace retail
