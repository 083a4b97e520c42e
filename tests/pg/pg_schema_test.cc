// The PostgreSQL schema (issue 16) and the migration runner's PostgreSQL
// path (common/db/migrations.*): every module's pg_migrations, as the
// server assembles them (AllSchemas()), on a fresh database of the test
// cluster.
//
// - Migrating is done once, under the advisory lock, also by two replicas
//   starting together; a database newer than the build is refused.
// - Every SQLite table, column and index exists on PostgreSQL with a
//   compatible type, so the two lists cannot drift apart silently.
// - The partitioned tables keep their chain-wide keys unique (23505), a
//   month's date range reads only that month's partition (EXPLAIN), and
//   retail_ensure_month_partitions / retail_drop_partitions_before do what
//   they say.
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/db/connection.h"
#include "common/db/migrations.h"
#include "common/db/pg_connection.h"
#include "common/db/sqlite_connection.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/module.h"
#include "tests/pg/pg_test_db.h"
#include "tests/unit/test_util.h"

namespace retail::db {
namespace {

using ::retail::testing::IsOk;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// 2024-06-15T00:00:00Z: migration makes April..September 2024.
constexpr int64_t kNow = 1'718'409'600'000'000;
// The first microsecond of some months (UTC).
constexpr int64_t kApr2024 = 1'711'929'600'000'000;
constexpr int64_t kMay2024 = 1'714'521'600'000'000;
constexpr int64_t kJun2024 = 1'717'200'000'000'000;
constexpr int64_t kJul2024 = 1'719'792'000'000'000;
constexpr int64_t kJan2025 = 1'735'689'600'000'000;
constexpr int64_t kFeb2025 = 1'738'368'000'000'000;
constexpr int64_t kMar2025 = 1'740'787'200'000'000;

// One database per test, so ctest may run them in parallel on one cluster.
std::string TestDatabaseName(absl::string_view suffix = "") {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = absl::StrCat("ps_", info->name(), suffix);
  for (char& c : name) {
    c = absl::ascii_isalnum(c) ? absl::ascii_tolower(c) : '_';
  }
  return name.substr(0, 63);
}

std::unique_ptr<PgConnection> ConnectOrDie(const std::string& url) {
  auto conn = PgConnection::Open(url);
  EXPECT_THAT(conn, IsOk());
  return conn.ok() ? std::move(*conn) : nullptr;
}

// Total migrations of the PostgreSQL lists, core first as Migrate runs them.
int PgMigrationCount(const std::vector<ModuleSchema>& modules) {
  int n = static_cast<int>(CoreSchema().pg_migrations.size());
  for (const ModuleSchema& m : modules) {
    n += static_cast<int>(m.pg_migrations.size());
  }
  return n;
}

int64_t Int(Connection& c, const std::string& sql) {
  Stmt q = c.Prepare(sql);
  EXPECT_TRUE(q->Step()) << sql;
  return q->Int64(0);
}

// Column 0 of every row, as text.
std::vector<std::string> Texts(Connection& c, const std::string& sql) {
  std::vector<std::string> out;
  Stmt q = c.Prepare(sql);
  while (q->Step()) out.push_back(q->String(0));
  return out;
}

// The partitions of `table`, by name.
std::vector<std::string> Partitions(Connection& c, const std::string& table) {
  Stmt q = c.Prepare(
      "SELECT c.relname::text FROM pg_inherits i"
      " JOIN pg_class c ON c.oid = i.inhrelid"
      " WHERE i.inhparent = to_regclass(?) ORDER BY 1");
  q->Bind(1, table);
  std::vector<std::string> out;
  while (q->Step()) out.push_back(q->String(0));
  return out;
}

// Inserts an order row with the columns the store's INSERT writes.
void InsertOrder(Connection& c, const std::string& order_id,
                 int64_t create_time_us) {
  Stmt s = c.Prepare(
      "INSERT INTO orders (order_id, revision, customer_id, branch_id,"
      " channel, status, items, has_delivery, delivery_recipient,"
      " delivery_phone, delivery_address, currency_code, total_minor,"
      " paid_minor, points_earned, cancel_reason, create_time_us,"
      " update_time_us, paid_time_us, complete_time_us, cancel_time_us,"
      " exchange_return_id) VALUES (?1, 1, 'cus-1', 'b1', 1, 1, ?2, 0, '',"
      " '', '', 'CNY', 100, 0, 0, '', ?3, ?3, NULL, NULL, NULL, '')"
      " RETURNING id");
  s->Bind(1, order_id);
  s->Bind(2, "\x0a\x00", 2);
  s->Bind(3, create_time_us);
  ASSERT_TRUE(s->Step());
  EXPECT_GT(s->Int64(0), 0);
}

void InsertPayment(Connection& c, const std::string& payment_id,
                   const std::string& reference, int outcome,
                   int64_t create_time_us) {
  Stmt s = c.Prepare(
      "INSERT INTO order_payments (payment_id, order_row, method,"
      " amount_minor, external_reference, outcome, failure_reason,"
      " points_debited, staff_id, create_time_us)"
      " VALUES (?1, 1, 2, 100, ?2, ?3, '', 0, '', ?4)");
  s->Bind(1, payment_id);
  s->Bind(2, reference);
  s->Bind(3, outcome);
  s->Bind(4, create_time_us);
  s->Exec();
}

// What `fn` threw: a StorageError's kind and SQLSTATE.
struct Thrown {
  bool thrown = false;
  StorageErrorKind kind = StorageErrorKind::kInternal;
  std::string code;
};
template <typename Fn>
Thrown Catch(Fn&& fn) {
  try {
    fn();
  } catch (const StorageError& e) {
    return {true, e.kind(), e.engine_code()};
  }
  return {};
}

// SQLite's declared type (as the schema writes it) and PostgreSQL's
// information_schema data_type that may stand for it.
bool CompatibleTypes(const std::string& sqlite, const std::string& pg) {
  if (sqlite == "INTEGER") {
    return pg == "bigint" || pg == "integer" || pg == "smallint";
  }
  if (sqlite == "TEXT") return pg == "text";
  if (sqlite == "BLOB") return pg == "bytea";
  if (sqlite == "REAL") return pg == "double precision" || pg == "real";
  return false;
}

class PgSchemaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto url = retail::testing::FreshPgDatabase(TestDatabaseName());
    ASSERT_THAT(url, IsOk());
    url_ = *url;
    conn_ = ConnectOrDie(url_);
    ASSERT_NE(conn_, nullptr);
  }
  void MigrateOrDie() { ASSERT_THAT(Migrate(*conn_, modules_, kNow), IsOk()); }

  const std::vector<ModuleSchema> modules_ = AllSchemas();
  std::string url_;
  std::unique_ptr<PgConnection> conn_;
};

TEST_F(PgSchemaTest, EveryModuleHasAPostgresSchema) {
  EXPECT_FALSE(CoreSchema().pg_migrations.empty());
  for (const ModuleSchema& m : modules_) {
    EXPECT_FALSE(m.pg_migrations.empty()) << m.module;
    for (size_t i = 0; i < m.pg_migrations.size(); ++i) {
      EXPECT_EQ(m.pg_migrations[i].version, static_cast<int>(i + 1))
          << m.module;
    }
  }
}

// (a) A fresh database is migrated, once; again is a no-op.
TEST_F(PgSchemaTest, MigratesFreshDatabaseOnceAndAgainIsANoOp) {
  MigrateOrDie();
  const int expected = PgMigrationCount(modules_);
  EXPECT_EQ(Int(*conn_, "SELECT count(*) FROM schema_migrations"), expected);
  EXPECT_EQ(Int(*conn_, "SELECT max(applied_time_us) FROM schema_migrations"),
            kNow);
  // The advisory lock is released.
  EXPECT_EQ(Int(*conn_,
                "SELECT count(*) FROM pg_locks"
                " WHERE locktype = 'advisory' AND database ="
                " (SELECT oid FROM pg_database"
                "  WHERE datname = current_database())"),
            0);

  ASSERT_THAT(Migrate(*conn_, modules_, kNow + 1), IsOk());
  EXPECT_EQ(Int(*conn_, "SELECT count(*) FROM schema_migrations"), expected);
  EXPECT_EQ(Int(*conn_, "SELECT max(applied_time_us) FROM schema_migrations"),
            kNow);
  // A fresh connection (a restarted server) finds nothing to do either.
  auto again = ConnectOrDie(url_);
  ASSERT_NE(again, nullptr);
  ASSERT_THAT(Migrate(*again, modules_, kNow + 2), IsOk());
  EXPECT_EQ(Int(*again, "SELECT count(*) FROM schema_migrations"), expected);

  // The event sequencer starts at 0, and an event written by the core's
  // INSERT (common/db/mutation.cc) waits for it, unnumbered.
  EXPECT_EQ(Int(*conn_, "SELECT head FROM event_sequencer"), 0);
  {
    Stmt s = conn_->Prepare(
        "INSERT INTO events (resource_type, resource_id, event_type, revision,"
        " principal_id, create_time_us, staff_id, resource, branch_id, state)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    s->Bind(1, "customer");
    s->Bind(2, "cus-1");
    s->Bind(3, "CREATED");
    s->Bind(4, int64_t{1});
    s->Bind(5, "admin");
    s->Bind(6, kNow);
    s->Bind(7, "");
    s->Bind(8, "customers/cus-1");
    s->Bind(9, "b1");
    s->Bind(10);
    s->Exec();
  }
  EXPECT_EQ(Int(*conn_,
                "SELECT count(*) FROM events WHERE event_id IS NULL"
                " AND pending_id > 0"),
            1);
  EXPECT_THAT(Texts(*conn_, "SELECT tableoid::regclass::text FROM events"),
              ElementsAre("events_p202406"));
  // audit_log takes the core's INSERT as it is, its id from the identity.
  {
    Stmt s = conn_->Prepare(
        "INSERT INTO audit_log (create_time_us, principal_id, role, method,"
        " resource, request_id, outcome, detail, staff_id, count)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    s->Bind(1, kNow);
    for (int i = 2; i <= 9; ++i) s->Bind(i, "x");
    s->Bind(10, 1);
    s->Exec();
  }
  EXPECT_EQ(Int(*conn_, "SELECT audit_id FROM audit_log"), 1);
  // The event sequencer has one row only.
  EXPECT_TRUE(Catch([&] {
                conn_->Exec("INSERT INTO event_sequencer (head) VALUES (0)");
              }).thrown);
}

// A database migrated by a newer build is refused, with SQLite's message,
// and the lock is released all the same.
TEST_F(PgSchemaTest, RefusesANewerDatabaseAndReleasesTheLock) {
  MigrateOrDie();
  conn_->Exec(
      "INSERT INTO schema_migrations VALUES ('orders', 99, 'future',"
      " 0)");
  const absl::Status status = Migrate(*conn_, modules_, kNow);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(),
              HasSubstr("database schema of module 'orders' is at version 99,"
                        " newer than this build (1)"));
  auto other = ConnectOrDie(url_);
  ASSERT_NE(other, nullptr);
  Stmt q = other->Prepare("SELECT pg_try_advisory_lock(?)");
  q->Bind(1, kPgMigrationLockKey);
  ASSERT_TRUE(q->Step());
  EXPECT_TRUE(q->Bool(0));
}

TEST_F(PgSchemaTest, RefusesAModuleWithoutPostgresMigrations) {
  ModuleSchema sqlite_only{
      "scratch", {{1, "items", "CREATE TABLE items (name TEXT) STRICT"}}, {}};
  const absl::Status status = Migrate(*conn_, {sqlite_only}, kNow);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), HasSubstr("'scratch' has no PostgreSQL"));
}

// A migration that fails leaves the previous version and no lock behind.
TEST_F(PgSchemaTest, AFailedMigrationRollsBack) {
  ModuleSchema broken{"scratch",
                      {},
                      {{1, "items", "CREATE TABLE items (name TEXT)"},
                       {2, "broken",
                        "CREATE TABLE items2 (x TEXT);"
                        " SELECT no_such_function()"}}};
  EXPECT_FALSE(Migrate(*conn_, {broken}, kNow).ok());
  EXPECT_EQ(Int(*conn_,
                "SELECT max(version) FROM schema_migrations"
                " WHERE module = 'scratch'"),
            1);
  EXPECT_THAT(Texts(*conn_, "SELECT to_regclass('items2')::text"),
              ElementsAre(""));
  EXPECT_EQ(Int(*conn_,
                "SELECT count(*) FROM pg_locks"
                " WHERE locktype = 'advisory' AND database ="
                " (SELECT oid FROM pg_database"
                "  WHERE datname = current_database())"),
            0);
}

// (b) Two replicas starting together: both succeed, each migration is
// applied and recorded once.
TEST_F(PgSchemaTest, ConcurrentMigrationsMigrateOnce) {
  auto second = ConnectOrDie(url_);
  ASSERT_NE(second, nullptr);
  absl::Status a, b;
  std::thread ta([&] { a = Migrate(*conn_, modules_, kNow); });
  std::thread tb([&] { b = Migrate(*second, modules_, kNow); });
  ta.join();
  tb.join();
  EXPECT_THAT(a, IsOk());
  EXPECT_THAT(b, IsOk());
  EXPECT_EQ(Int(*conn_, "SELECT count(*) FROM schema_migrations"),
            PgMigrationCount(modules_));
  EXPECT_EQ(Int(*conn_,
                "SELECT count(*) FROM (SELECT module, version FROM"
                " schema_migrations GROUP BY 1, 2"
                " HAVING count(*) > 1) AS twice"),
            0);
  // Made once: one sequencer row, one DEFAULT partition of orders.
  EXPECT_EQ(Int(*conn_, "SELECT count(*) FROM event_sequencer"), 1);
  EXPECT_EQ(Int(*conn_, "SELECT count(*) FROM retail_partitioned_tables"), 4);
}

// (c) Every table, column and index of the SQLite schema exists on
// PostgreSQL, with a compatible type, and NOT NULL where SQLite has it.
TEST_F(PgSchemaTest, HasEverySqliteTableColumnAndIndex) {
  MigrateOrDie();
  retail::testing::ScopedTempDir dir;
  auto sqlite = SqliteConnection::Open(dir.File("retail.db"),
                                       SqliteConnection::Mode::kReadWrite);
  ASSERT_THAT(sqlite, IsOk());
  ASSERT_THAT(Migrate(**sqlite, modules_, kNow), IsOk());

  struct PgColumn {
    std::string type;
    bool not_null;
  };
  absl::flat_hash_map<std::string, PgColumn> pg_columns;  // "table.column"
  {
    Stmt q = conn_->Prepare(
        "SELECT table_name::text, column_name::text, data_type::text,"
        " is_nullable::text FROM information_schema.columns"
        " WHERE table_schema = current_schema()");
    while (q->Step()) {
      pg_columns[absl::StrCat(q->Text(0), ".", q->Text(1))] =
          PgColumn{q->String(2), q->Text(3) == "NO"};
    }
  }
  absl::flat_hash_set<std::string> pg_indexes;  // "table.index"
  {
    Stmt q = conn_->Prepare(
        "SELECT tablename::text, indexname::text FROM pg_indexes"
        " WHERE schemaname = current_schema()");
    while (q->Step()) {
      pg_indexes.insert(absl::StrCat(q->Text(0), ".", q->Text(1)));
    }
  }

  int tables = 0, columns = 0, indexes = 0;
  {
    Stmt q = (*sqlite)->Prepare(
        "SELECT m.name, p.name, p.type, p.\"notnull\" FROM sqlite_master m,"
        " pragma_table_info(m.name) p WHERE m.type = 'table'"
        " AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, p.cid");
    std::string last_table;
    while (q->Step()) {
      const std::string table = q->String(0);
      const std::string column = q->String(1);
      const std::string type = q->String(2);
      const bool not_null = q->Int64(3) != 0;
      if (table != last_table) ++tables;
      last_table = table;
      ++columns;
      const auto it = pg_columns.find(absl::StrCat(table, ".", column));
      if (it == pg_columns.end()) {
        ADD_FAILURE() << table << "." << column
                      << " is in the SQLite schema, not in PostgreSQL's";
        continue;
      }
      EXPECT_TRUE(CompatibleTypes(type, it->second.type))
          << table << "." << column << ": SQLite " << type << ", PostgreSQL "
          << it->second.type;
      if (not_null) {
        EXPECT_TRUE(it->second.not_null)
            << table << "." << column << " is NOT NULL on SQLite only";
      }
    }
  }
  {
    // Named indexes (not the automatic ones of UNIQUE and PRIMARY KEY).
    Stmt q = (*sqlite)->Prepare(
        "SELECT tbl_name, name FROM sqlite_master WHERE type = 'index'"
        " AND sql IS NOT NULL ORDER BY 1, 2");
    while (q->Step()) {
      ++indexes;
      const std::string key = absl::StrCat(q->Text(0), ".", q->Text(1));
      EXPECT_TRUE(pg_indexes.contains(key))
          << "index " << key << " is in the SQLite schema, not in PostgreSQL's";
    }
  }
  // The comparison saw the whole schema, not an empty one.
  EXPECT_GE(tables, 25);
  EXPECT_GE(columns, 250);
  EXPECT_GE(indexes, 50);
}

// (d) Keys unique across the chain stay unique on partitioned tables.
TEST_F(PgSchemaTest, DuplicateChainWideKeysFailAsOnSqlite) {
  MigrateOrDie();
  InsertOrder(*conn_, "ord-1", kJun2024 + 5);
  // The same order_id in another month, so another partition: refused.
  const Thrown dup = Catch([&] { InsertOrder(*conn_, "ord-1", kMay2024); });
  EXPECT_TRUE(dup.thrown);
  EXPECT_EQ(dup.kind, StorageErrorKind::kUniqueViolation);
  EXPECT_EQ(dup.code, "23505");
  // ... and in a month no partition covers (the DEFAULT partition).
  EXPECT_EQ(Catch([&] { InsertOrder(*conn_, "ord-1", kJan2025); }).kind,
            StorageErrorKind::kUniqueViolation);
  EXPECT_EQ(Int(*conn_, "SELECT count(*) FROM orders"), 1);
  EXPECT_EQ(Int(*conn_, "SELECT count(*) FROM order_keys"), 1);

  // An order_id changed by UPDATE moves its key; the old one is free again.
  conn_->Exec("UPDATE orders SET order_id = 'ord-2' WHERE order_id = 'ord-1'");
  EXPECT_EQ(Catch([&] { InsertOrder(*conn_, "ord-2", kApr2024); }).kind,
            StorageErrorKind::kUniqueViolation);
  InsertOrder(*conn_, "ord-1", kApr2024);
  // The store's UpdateOrder writes every column, keys unchanged: no churn.
  conn_->Exec(
      "UPDATE orders SET revision = revision + 1,"
      " order_id = order_id, create_time_us = create_time_us");
  EXPECT_THAT(Texts(*conn_, "SELECT order_id FROM order_keys ORDER BY 1"),
              ElementsAre("ord-1", "ord-2"));
  // A row moved to another month keeps its key.
  conn_->Exec(
      "UPDATE orders SET create_time_us = create_time_us"
      " + 2678400000000 WHERE order_id = 'ord-1'");  // 31 days
  EXPECT_THAT(Texts(*conn_,
                    "SELECT tableoid::regclass::text FROM orders"
                    " WHERE order_id = 'ord-1'"),
              ElementsAre("orders_p202405"));
  EXPECT_EQ(Catch([&] { InsertOrder(*conn_, "ord-1", kJul2024); }).kind,
            StorageErrorKind::kUniqueViolation);
  // Deleted orders free their keys.
  conn_->Exec("DELETE FROM orders WHERE order_id = 'ord-2'");
  InsertOrder(*conn_, "ord-2", kJul2024);

  // Payments: payment_id, and a succeeded tender's external reference.
  InsertPayment(*conn_, "pay-1", "ref-1", 1, kJun2024);
  EXPECT_EQ(
      Catch([&] { InsertPayment(*conn_, "pay-1", "", 2, kApr2024); }).code,
      "23505");
  EXPECT_EQ(
      Catch([&] { InsertPayment(*conn_, "pay-2", "ref-1", 1, kMay2024); }).code,
      "23505");
  // A failed attempt may name a used reference; an empty one is no key.
  InsertPayment(*conn_, "pay-3", "ref-1", 2, kMay2024);
  InsertPayment(*conn_, "pay-4", "", 1, kMay2024);
  InsertPayment(*conn_, "pay-5", "", 1, kJul2024);
  EXPECT_EQ(Int(*conn_, "SELECT count(*) FROM order_payments"), 4);

  // Unpartitioned tables keep SQLite's UNIQUE as it is.
  conn_->Exec(
      "INSERT INTO settlements (settlement_id, order_row, order_id,"
      " branch_id, tenders, currency_code, total_minor, paid_time_us,"
      " business_date) VALUES ('set-1', 1, 'ord-1', 'b1', '', 'CNY',"
      " 1, 1, 20240615)");
  EXPECT_EQ(Catch([&] {
              conn_->Exec(
                  "INSERT INTO settlements (settlement_id, order_row, order_id,"
                  " branch_id, tenders, currency_code, total_minor,"
                  " paid_time_us, business_date) VALUES ('set-2', 2, 'ord-1',"
                  " 'b1', '', 'CNY', 1, 1, 20240615)");
            }).kind,
            StorageErrorKind::kUniqueViolation);
}

// (e) A list by date range reads only the partitions of its months.
TEST_F(PgSchemaTest, DateRangeTouchesOnlyItsMonthsPartitions) {
  MigrateOrDie();
  const auto plan = [&](int64_t from, int64_t to) {
    const std::string text = absl::StrJoin(
        Texts(*conn_, absl::StrCat("EXPLAIN SELECT id, order_id FROM orders"
                                   " WHERE create_time_us >= ",
                                   from, " AND create_time_us < ", to,
                                   " ORDER BY id LIMIT 50")),
        "\n");
    std::vector<std::string> touched;
    for (const std::string& p : Partitions(*conn_, "orders")) {
      if (absl::StrContains(text, p)) touched.push_back(p);
    }
    return touched;
  };
  EXPECT_THAT(plan(kJun2024, kJul2024), ElementsAre("orders_p202406"));
  EXPECT_THAT(plan(kMay2024 + 86'400'000'000, kJun2024 + 86'400'000'000),
              ElementsAre("orders_p202405", "orders_p202406"));
  // Outside every month made: the DEFAULT partition alone.
  EXPECT_THAT(plan(kJan2025, kFeb2025), ElementsAre("orders_default"));
  // The same for the other partitioned tables.
  for (const char* table : {"order_payments", "events", "audit_log"}) {
    const std::string text = absl::StrJoin(
        Texts(*conn_, absl::StrCat("EXPLAIN SELECT * FROM ", table,
                                   " WHERE create_time_us >= ", kJun2024,
                                   " AND create_time_us < ", kJul2024)),
        "\n");
    for (const std::string& p : Partitions(*conn_, table)) {
      EXPECT_EQ(absl::StrContains(text, p),
                p == absl::StrCat(table, "_p202406"))
          << p << " in:\n"
          << text;
    }
  }
}

// (f) The maintenance functions: months made ahead (moving rows already in
// DEFAULT into them) and months dropped with their keys.
TEST_F(PgSchemaTest, EnsureAndDropMonthPartitions) {
  MigrateOrDie();
  EXPECT_THAT(Partitions(*conn_, "orders"),
              ElementsAre("orders_default", "orders_p202404", "orders_p202405",
                          "orders_p202406", "orders_p202407", "orders_p202408",
                          "orders_p202409"));
  // Written before its month had a partition: kept in DEFAULT.
  InsertOrder(*conn_, "ord-feb", kFeb2025 + 7);
  InsertOrder(*conn_, "ord-jun", kJun2024 + 7);
  InsertPayment(*conn_, "pay-feb", "ref-feb", 1, kFeb2025 + 7);
  EXPECT_THAT(Texts(*conn_,
                    "SELECT tableoid::regclass::text FROM orders"
                    " WHERE order_id = 'ord-feb'"),
              ElementsAre("orders_default"));

  const auto ensure = [&](const char* table, int64_t from, int64_t to) {
    Stmt q =
        conn_->Prepare("SELECT * FROM retail_ensure_month_partitions(?, ?, ?)");
    q->Bind(1, table);
    q->Bind(2, from);
    q->Bind(3, to);
    std::vector<std::string> made;
    while (q->Step()) made.push_back(q->String(0));
    return made;
  };
  // Every month overlapping [mid-January, mid-February).
  EXPECT_THAT(ensure("orders", kJan2025 + 5, kFeb2025 + 5),
              ElementsAre("orders_p202501", "orders_p202502"));
  EXPECT_THAT(ensure("order_payments", kJan2025, kMar2025),
              ElementsAre("order_payments_p202501", "order_payments_p202502"));
  EXPECT_THAT(ensure("orders", kJan2025, kMar2025), IsEmpty());
  // The rows moved out of DEFAULT, their ids and keys kept.
  EXPECT_THAT(Texts(*conn_,
                    "SELECT tableoid::regclass::text FROM orders"
                    " WHERE order_id = 'ord-feb' AND id = 1"),
              ElementsAre("orders_p202502"));
  EXPECT_THAT(Texts(*conn_,
                    "SELECT tableoid::regclass::text FROM"
                    " order_payments WHERE payment_id = 'pay-feb'"),
              ElementsAre("order_payments_p202502"));
  EXPECT_EQ(Int(*conn_, "SELECT count(*) FROM orders_default"), 0);
  EXPECT_EQ(Catch([&] { InsertOrder(*conn_, "ord-feb", kJun2024); }).kind,
            StorageErrorKind::kUniqueViolation);
  EXPECT_EQ(Catch([&] {
              InsertPayment(*conn_, "pay-x", "ref-feb", 1, kJun2024);
            }).kind,
            StorageErrorKind::kUniqueViolation);
  // New rows of the month go to its partition.
  InsertOrder(*conn_, "ord-feb-2", kFeb2025 + 9);
  EXPECT_THAT(Texts(*conn_,
                    "SELECT tableoid::regclass::text FROM orders"
                    " WHERE order_id = 'ord-feb-2'"),
              ElementsAre("orders_p202502"));

  // Dropping the months that end by July 2024: April, May, June.
  {
    Stmt q =
        conn_->Prepare("SELECT * FROM retail_drop_partitions_before(?, ?)");
    q->Bind(1, "orders");
    q->Bind(2, kJul2024);
    std::vector<std::string> dropped;
    while (q->Step()) dropped.push_back(q->String(0));
    EXPECT_THAT(dropped, ElementsAre("orders_p202404", "orders_p202405",
                                     "orders_p202406"));
  }
  EXPECT_THAT(
      Partitions(*conn_, "orders"),
      ElementsAre("orders_default", "orders_p202407", "orders_p202408",
                  "orders_p202409", "orders_p202501", "orders_p202502"));
  // June's order went with its key: its order_id may be used again.
  EXPECT_THAT(Texts(*conn_, "SELECT order_id FROM order_keys ORDER BY 1"),
              ElementsAre("ord-feb", "ord-feb-2"));
  InsertOrder(*conn_, "ord-jun", kJul2024);
  // Only tables made partitioned by the schema are accepted.
  EXPECT_TRUE(Catch([&] {
                Stmt q = conn_->Prepare(
                    "SELECT * FROM retail_drop_partitions_before(?, ?)");
                q->Bind(1, "customers");
                q->Bind(2, kJul2024);
                q->Step();
              }).thrown);
}

}  // namespace
}  // namespace retail::db
