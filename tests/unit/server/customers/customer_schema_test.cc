// The customers module's migrations: a database written before migrations
// were kept per module (tests/data/schema3_customers.db, schema 3) upgrades
// in place with nothing lost, and later migrations backfill what earlier
// rows need.
#include "server/customers/customer_schema.h"

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "SQLiteCpp/Database.h"
#include "SQLiteCpp/Statement.h"
#include "common/access.h"
#include "common/db/database.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/customers/customer_manager.h"
#include "server/customers/customer_module.h"
#include "tests/unit/test_util.h"

namespace retail::customers {
namespace {

using ::retail::testing::FutureReply;
using ::retail::testing::IsOk;
using ::testing::UnorderedElementsAre;

constexpr int64_t kNow = 1'796'200'000'000'000;  // 2026-12-02

class CustomerSchemaTest : public ::testing::Test {
 protected:
  db::DatabaseOptions Options() const {
    db::DatabaseOptions options;
    options.path = path_;
    options.reader_connections = 1;
    options.now_micros = kNow;
    options.schemas = {CustomerSchema()};
    return options;
  }
  std::unique_ptr<db::Database> OpenOrDie() {
    absl::StatusOr<std::unique_ptr<db::Database>> db =
        db::Database::Open(Options());
    EXPECT_THAT(db, IsOk());
    return db.ok() ? std::move(*db) : nullptr;
  }
  std::string Scalar(db::Database& db, const std::string& sql) {
    return db.Read([&](db::Connection& c) {
      SQLite::Statement q(db::AsSqlite(c).raw(), sql);
      return q.executeStep() ? q.getColumn(0).getString() : std::string();
    });
  }

  testing::ScopedTempDir dir_;
  const std::string path_ = dir_.File("retail.db");
};

TEST_F(CustomerSchemaTest, SchemaThreeDatabaseUpgradesInPlace) {
  std::filesystem::copy_file(
      std::string(RETAIL_TEST_DATA_DIR) + "/schema3_customers.db", path_);
  std::filesystem::permissions(path_, std::filesystem::perms::owner_read |
                                          std::filesystem::perms::owner_write);
  auto db = OpenOrDie();
  ASSERT_NE(db, nullptr);
  // Versions re-keyed by module, with their original times; newer ones ran.
  EXPECT_EQ(Scalar(*db,
                   "SELECT group_concat(module || version, ',') FROM (SELECT "
                   "* FROM schema_migrations ORDER BY module, version)"),
            "core1,core2,core3,core4,customers1,customers2,customers3,"
            "customers4");
  EXPECT_EQ(Scalar(*db,
                   "SELECT COUNT(*) FROM schema_migrations WHERE "
                   "applied_time_us = " +
                       std::to_string(kNow)),
            "4");
  // Every row is still there.
  EXPECT_EQ(Scalar(*db, "SELECT COUNT(*) FROM customers"), "3");
  EXPECT_EQ(Scalar(*db, "SELECT COUNT(*) FROM points_transactions"), "2");
  EXPECT_EQ(Scalar(*db, "SELECT COUNT(*) FROM idempotency_keys"), "6");
  EXPECT_EQ(Scalar(*db, "SELECT COUNT(*) FROM audit_log"), "6");
  EXPECT_EQ(Scalar(*db, "SELECT COUNT(*) FROM events"), "6");

  // And it serves as before: reads, name search, and a retry of a request
  // made by the old build gets that build's answer back.
  CustomerManager manager(*db, *SystemClock::Get(), CustomerOptions{});
  auto admin = std::make_shared<Principal>();
  admin->id = "admin";
  admin->role = Role::kAdmin;
  const AccessTable access = CustomerAccess();
  auto meta_for = [&](const std::string& method) {
    absl::StatusOr<CallMeta> meta =
        AuthorizeCall(admin, *access.Find(method), "", WaitLimit::None());
    EXPECT_THAT(meta, IsOk());
    return *meta;
  };
  v1::GetCustomerRequest get;
  get.set_customer_id("cus_01M8R7HSSBF75J2SWWNTPT8ZFD");
  auto [get_reply, got] = FutureReply<v1::GetCustomerResponse>();
  manager.GetCustomer(meta_for(MethodNameOf<v1::GetCustomerRequest>()), get,
                      std::move(get_reply));
  absl::StatusOr<v1::GetCustomerResponse> customer = got.get();
  ASSERT_THAT(customer, IsOk());
  EXPECT_EQ(customer->customer().display_name(), "李华");
  EXPECT_EQ(customer->customer().points_balance(), 200);

  v1::SearchCustomersRequest search;
  search.set_name_contains("小明");
  auto [search_reply, found] = FutureReply<v1::SearchCustomersResponse>();
  manager.SearchCustomers(meta_for(MethodNameOf<v1::SearchCustomersRequest>()),
                          search, std::move(search_reply));
  absl::StatusOr<v1::SearchCustomersResponse> hits = found.get();
  ASSERT_THAT(hits, IsOk());
  ASSERT_EQ(hits->customers_size(), 1);
  EXPECT_EQ(hits->customers(0).customer_id(), "cus_01M8R7HJWFD9P52AP1F4MAPS9B");

  v1::AdjustPointsRequest retry;
  retry.set_customer_id("cus_01M8R7HSSBF75J2SWWNTPT8ZFD");
  retry.set_delta(300);
  retry.set_reason("welcome gift");
  retry.set_request_id("fixture-points-1");
  auto [adjust_reply, adjusted] = FutureReply<v1::AdjustPointsResponse>();
  manager.AdjustPoints(meta_for(MethodNameOf<v1::AdjustPointsRequest>()), retry,
                       std::move(adjust_reply));
  absl::StatusOr<v1::AdjustPointsResponse> replayed = adjusted.get();
  ASSERT_THAT(replayed, IsOk());
  EXPECT_EQ(replayed->transaction().balance_after(), 300);  // first answer
  EXPECT_EQ(Scalar(*db, "SELECT COUNT(*) FROM points_transactions"), "2");
}

// A database from before migration 2 gets the name postings of the
// customers it already holds.
TEST_F(CustomerSchemaTest, NameSearchMigrationIndexesExistingCustomers) {
  ASSERT_NE(OpenOrDie(), nullptr);
  // Roll the file back to customers schema 1 with one customer in it.
  {
    SQLite::Database raw(path_, SQLite::OPEN_READWRITE);
    raw.exec(
        "DROP TABLE customer_name_grams; DROP INDEX customers_by_branch_tier;"
        "ALTER TABLE points_transactions DROP COLUMN staff_id;"
        "DELETE FROM schema_migrations WHERE module = 'customers' AND "
        "version >= 2;"
        "INSERT INTO customers (customer_id, branch_id, display_name, gender,"
        " preferences, tier, points_balance, total_spend_minor, currency_code,"
        " order_count, marketing_consent, notes, create_time_us,"
        " update_time_us, revision) VALUES ('cus_1', 'B001', '欧阳娜娜', 0,"
        " x'', 1, 0, 0, 'CNY', 0, 0, '', 0, 0, 1)");
  }
  auto db = OpenOrDie();
  ASSERT_NE(db, nullptr);
  std::vector<std::string> grams = db->Read([](db::Connection& c) {
    std::vector<std::string> out;
    db::Stmt q = c.Prepare(
        "SELECT gram FROM customer_name_grams ORDER BY gram COLLATE BINARY");
    while (q->Step()) out.push_back(q->String(0));
    return out;
  });
  EXPECT_THAT(grams, ::testing::UnorderedElementsAre("欧阳", "阳娜", "娜娜"));
}

}  // namespace
}  // namespace retail::customers
