#include "common/db/columns.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "common/db/connection.h"
#include "common/db/sqlite_connection.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/test_util.h"

namespace retail::db {
namespace {

using ::retail::testing::IsOk;

struct Item {
  int64_t row = 0;
  std::string name;
  std::string owner;  // written, never read back
  std::optional<int64_t> size;
  std::string data;
  bool flag = false;
  int64_t name_length = 0;  // read from an expression, never written
};

// Exercises every kind of entry: read-only key, written-only column,
// nullable value, blob, and a SELECT expression of its own.
constexpr Column<Item, Item> kItemColumns[] = {
    {"id", nullptr, [](const Field& f, Item& o) { o.row = f.Int64(); }},
    {"name", [](Param p, const Item& i) { p.Text(i.name); },
     [](const Field& f, Item& o) { o.name = std::string(f.Text()); }},
    {"owner", [](Param p, const Item& i) { p.Text(i.owner); }},
    {"size",
     [](Param p, const Item& i) {
       if (i.size.has_value()) {
         p.Int64(*i.size);
       } else {
         p.Null();
       }
     },
     [](const Field& f, Item& o) {
       if (!f.IsNull()) o.size = f.Int64();
     }},
    {"data", [](Param p, const Item& i) { p.Blob(i.data); },
     [](const Field& f, Item& o) { o.data = std::string(f.Blob()); }},
    {"flag", [](Param p, const Item& i) { p.Bool(i.flag); },
     [](const Field& f, Item& o) { o.flag = f.Bool(); }},
    {"name_length", nullptr,
     [](const Field& f, Item& o) { o.name_length = f.Int64(); },
     /*select=*/"length(name)"},
};
using ItemColumns = ColumnSet<kItemColumns>;

static_assert(ItemColumns::kParams == 5);
static_assert(ItemColumns::kResults == 6);
static_assert(ItemColumns::ParamOf("name") == 1);
static_assert(ItemColumns::ParamOf("size") == 3);  // after owner, not id

TEST(ColumnsTest, StatementTextFollowsTheTable) {
  EXPECT_EQ(ItemColumns::SelectList(),
            "id, name, size, data, flag, length(name)");
  EXPECT_EQ(ItemColumns::SelectList("i"),
            "i.id, i.name, i.size, i.data, i.flag, length(name)");
  EXPECT_EQ(ItemColumns::InsertInto("items"),
            "INSERT INTO items (name, owner, size, data, flag)"
            " VALUES (?1, ?2, ?3, ?4, ?5)");
  EXPECT_EQ(ItemColumns::Assignments(),
            "name = ?1, owner = ?2, size = ?3, data = ?4, flag = ?5");
}

class ColumnsDbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<SqliteConnection>> conn =
        SqliteConnection::Open(":memory:", SqliteConnection::Mode::kReadWrite);
    ASSERT_THAT(conn, IsOk());
    conn_ = std::move(*conn);
    conn_->Exec(
        "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL,"
        " owner TEXT NOT NULL, size INTEGER, data BLOB NOT NULL,"
        " flag INTEGER NOT NULL CHECK (flag IN (0, 1))) STRICT");
  }

  int64_t Insert(const Item& item) {
    Stmt s = conn_->Prepare(ItemColumns::InsertInto("items"));
    ItemColumns::Bind(s, item);
    s->Exec();
    return conn_->raw().getLastInsertRowid();
  }

  std::vector<Item> ReadAll() {
    Stmt s = conn_->Prepare(absl::StrCat("SELECT ", ItemColumns::SelectList(),
                                         " FROM items ORDER BY id"));
    std::vector<Item> out;
    while (s->Step()) ItemColumns::Read(s, out.emplace_back());
    return out;
  }

  std::unique_ptr<SqliteConnection> conn_;
};

TEST_F(ColumnsDbTest, RowsRoundTrip) {
  Item full;
  full.name = std::string("caf\xC3\xA9\0x", 7);  // UTF-8 and an embedded NUL
  full.owner = "o1";
  full.size = -42;
  full.data = std::string("\0\1\2\xFF", 4);
  full.flag = true;
  Item sparse;  // NULL size, empty text and blob
  sparse.owner = "o2";
  const int64_t full_row = Insert(full);
  const int64_t sparse_row = Insert(sparse);

  const std::vector<Item> rows = ReadAll();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].row, full_row);
  EXPECT_EQ(rows[0].name, full.name);
  EXPECT_EQ(rows[0].size, full.size);
  EXPECT_EQ(rows[0].data, full.data);
  EXPECT_TRUE(rows[0].flag);
  EXPECT_EQ(rows[0].name_length, 4);  // characters before the NUL
  EXPECT_EQ(rows[0].owner, "");       // not a read column
  EXPECT_EQ(rows[1].row, sparse_row);
  EXPECT_EQ(rows[1].name, "");
  EXPECT_EQ(rows[1].size, std::nullopt);
  EXPECT_EQ(rows[1].data, "");
  EXPECT_FALSE(rows[1].flag);

  Stmt owners = conn_->Prepare("SELECT owner FROM items ORDER BY id");
  ASSERT_TRUE(owners->Step());
  EXPECT_EQ(owners->String(0), "o1");
  ASSERT_TRUE(owners->Step());
  EXPECT_EQ(owners->String(0), "o2");
}

TEST_F(ColumnsDbTest, UpdateWritesEveryColumnAfterTheSetList) {
  Item item;
  item.name = "before";
  item.owner = "o";
  item.size = 1;
  const int64_t row = Insert(item);

  item.name = "after";
  item.size.reset();
  item.data = "d";
  item.flag = true;
  // The statement's own parameters follow the table's.
  Stmt s = conn_->Prepare(
      absl::StrCat("UPDATE items SET ", ItemColumns::Assignments(),
                   " WHERE id = ?", ItemColumns::kParams + 1));
  ItemColumns::Bind(s, item);
  s->Bind(ItemColumns::kParams + 1, static_cast<int64_t>(row));
  EXPECT_EQ(s->Exec(), 1);

  const std::vector<Item> rows = ReadAll();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].name, "after");
  EXPECT_EQ(rows[0].size, std::nullopt);
  EXPECT_EQ(rows[0].data, "d");
  EXPECT_TRUE(rows[0].flag);
}

TEST_F(ColumnsDbTest, ReadIgnoresColumnsAfterTheList) {
  Item item;
  item.name = "n";
  item.owner = "o";
  Insert(item);
  Stmt s = conn_->Prepare(absl::StrCat("SELECT ", ItemColumns::SelectList(),
                                       ", 'extra' FROM items"));
  ASSERT_TRUE(s->Step());
  Item out;
  ItemColumns::Read(s, out);
  EXPECT_EQ(out.name, "n");
  EXPECT_EQ(s->String(ItemColumns::kResults), "extra");
}

}  // namespace
}  // namespace retail::db
