// A table's columns, listed once.
//
// Each store lists its table as an array of Column entries: the column's
// name, how to bind it from the domain object, how to read it back. The
// SELECT list, the INSERT statement and the UPDATE assignments are generated
// from that array, and rows are bound and decoded by walking it, so a column
// cannot be added in one place and forgotten, or shifted by one, in another.
//
//   struct NewFoo { int64_t revision; const Foo& foo; };  // what is written
//   struct FooOut { int64_t row; Foo* foo; };             // where it is read
//   constexpr db::Column<NewFoo, FooOut> kFooColumns[] = {
//       {"id", nullptr, [](const db::Field& f, FooOut& o) { o.row = ... }},
//       {"name", [](db::Param p, const NewFoo& n) { p.Text(n.foo.name()); },
//        [](const db::Field& f, FooOut& o) { ... f.Text() ... }},
//   };
//   using FooColumns = db::ColumnSet<kFooColumns>;
//
//   "SELECT " + FooColumns::SelectList() + " FROM foos WHERE ..."
//   FooColumns::InsertInto("foos")   INSERT INTO foos (name) VALUES (?1)
//   FooColumns::Assignments()        name = ?1
//   FooColumns::Bind(stmt, new_foo);  FooColumns::Read(stmt, out);
//
// The SQL text is built from the names alone, never from input; stores build
// each statement once and keep it, because Connection::Prepare caches
// statements by their text.
//
// Bind and Read visit the columns in a loop unrolled at compile time: each
// column's function is called directly, and inlined, as hand-written code
// would be. Row decoding is a large share of a list's cost, so there is no
// indirect call or std::function per column.
//
// The column functions see only Field and Param, never an engine's types:
// both engines run the same column tables (statement.h).
#ifndef RETAIL_COMMON_DB_COLUMNS_H_
#define RETAIL_COMMON_DB_COLUMNS_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/db/connection.h"
#include "common/db/statement.h"

namespace retail::db {

// One value of the current result row.
class Field {
 public:
  Field(const Statement& statement, int index)
      : statement_(statement), index_(index) {}

  bool IsNull() const { return statement_.IsNull(index_); }
  int32_t Int() const { return statement_.Int(index_); }
  int64_t Int64() const { return statement_.Int64(index_); }
  double Double() const { return statement_.Double(index_); }
  bool Bool() const { return statement_.Bool(index_); }
  // The text, valid until the statement steps or resets. Hand it to a
  // (data, size) setter: decoding a page of customers spent ~6% of the
  // server's time building and copying temporary std::strings.
  absl::string_view Text() const { return statement_.Text(index_); }
  // The bytes of a BLOB, with the same lifetime as Text().
  absl::string_view Blob() const { return statement_.Blob(index_); }

 private:
  const Statement& statement_;
  int index_;
};

// One parameter of a statement. Values are copied into the statement, so
// a temporary (a serialised message) may be bound.
class Param {
 public:
  Param(Statement& statement, int index)
      : statement_(&statement), index_(index) {}

  void Null() { statement_->BindNull(index_); }
  void Int(int32_t value) { statement_->BindInt64(index_, value); }
  void Int64(int64_t value) { statement_->BindInt64(index_, value); }
  void Double(double value) { statement_->BindDouble(index_, value); }
  void Bool(bool value) { statement_->BindInt64(index_, value ? 1 : 0); }
  void Text(absl::string_view value) { statement_->BindText(index_, value); }
  void Blob(absl::string_view bytes) { statement_->BindBlob(index_, bytes); }

 private:
  Statement* statement_;
  int index_;
};

// One column of a table. `In` is what a write binds from, `Out` what a read
// decodes into; they differ when a read fills a message the caller owns
// (a response's arena) plus keys the message does not carry.
template <typename In, typename Out>
struct Column {
  using Source = In;
  using Sink = Out;

  // The column's name: the INSERT/UPDATE target and, unless `select` is
  // set, the SELECT expression.
  const char* name;
  // Binds the value from `In`; nullptr if the column is never written (a
  // key the engine assigns, or a value read from another table).
  void (*bind)(Param, const In&) = nullptr;
  // Decodes the value into `Out`; nullptr if it is never read back.
  void (*read)(const Field&, Out&) = nullptr;
  // What SELECT reads instead of `name`, e.g. "c.customer_id" from a join.
  const char* select = nullptr;
};

namespace internal {

// What the statement builders need to know of a column.
struct ColumnSql {
  const char* name;
  const char* select;
  bool bound;
  bool read;
};

std::string SelectList(std::span<const ColumnSql> columns,
                       absl::string_view qualifier);
std::string InsertInto(std::span<const ColumnSql> columns,
                       absl::string_view table);
std::string Assignments(std::span<const ColumnSql> columns);

}  // namespace internal

// The statements and row codecs of one column table, `kColumns`: a
// constexpr array of Column<In, Out> with static storage.
//
// Bind sets ?1..?kParams from the written columns in table order; Read
// decodes result columns 0..kResults-1 from the read ones, so a SELECT must
// start with SelectList() and may add its own columns after it.
template <const auto& kColumns>
class ColumnSet {
  using ColumnType = std::remove_cvref_t<decltype(kColumns[0])>;
  static constexpr size_t kSize = std::size(kColumns);

 public:
  using In = typename ColumnType::Source;
  using Out = typename ColumnType::Sink;

  static constexpr int kParams = [] {
    int n = 0;
    for (const ColumnType& c : kColumns) n += c.bind != nullptr;
    return n;
  }();
  static constexpr int kResults = [] {
    int n = 0;
    for (const ColumnType& c : kColumns) n += c.read != nullptr;
    return n;
  }();

  // The ?N that Bind sets for column `name`, for a statement's own clauses
  // (an UPDATE's revision check). Evaluated while compiling: a name that is
  // not a written column fails the build.
  static consteval int ParamOf(absl::string_view name) {
    for (size_t i = 0; i < kSize; ++i) {
      if (kColumns[i].bind != nullptr &&
          absl::string_view(kColumns[i].name) == name) {
        return ParamIndex(i);
      }
    }
    throw "ParamOf: no written column of that name";
  }

  // "a, b, c": the read columns, each prefixed by `qualifier` and a dot if
  // given (a table alias in a join) unless it has its own `select`.
  static std::string SelectList(absl::string_view qualifier = "") {
    return internal::SelectList(kSql, qualifier);
  }
  // "INSERT INTO table (a, b) VALUES (?1, ?2)" for the written columns.
  static std::string InsertInto(absl::string_view table) {
    return internal::InsertInto(kSql, table);
  }
  // "a = ?1, b = ?2" for the written columns: an UPDATE's SET list. The
  // statement's own parameters start at ?kParams+1.
  static std::string Assignments() { return internal::Assignments(kSql); }

  static void Bind(Stmt& s, const In& in) {
    BindAll(*s, in, std::make_index_sequence<kSize>());
  }
  static void Read(Stmt& s, Out& out) {
    ReadAll(*s, out, std::make_index_sequence<kSize>());
  }

 private:
  static constexpr std::array<internal::ColumnSql, kSize> kSql = [] {
    std::array<internal::ColumnSql, kSize> sql{};
    for (size_t i = 0; i < kSize; ++i) {
      sql[i] = {kColumns[i].name, kColumns[i].select,
                kColumns[i].bind != nullptr, kColumns[i].read != nullptr};
    }
    return sql;
  }();

  static constexpr int ParamIndex(size_t i) {
    int n = 1;
    for (size_t k = 0; k < i; ++k) n += kColumns[k].bind != nullptr;
    return n;
  }
  static constexpr int ResultIndex(size_t i) {
    int n = 0;
    for (size_t k = 0; k < i; ++k) n += kColumns[k].read != nullptr;
    return n;
  }

  template <size_t... I>
  static void BindAll(Statement& s, const In& in, std::index_sequence<I...>) {
    (BindOne<I>(s, in), ...);
  }
  template <size_t I>
  static void BindOne(Statement& s, const In& in) {
    constexpr auto bind = kColumns[I].bind;
    if constexpr (bind != nullptr) bind(Param(s, ParamIndex(I)), in);
  }

  template <size_t... I>
  static void ReadAll(const Statement& s, Out& out, std::index_sequence<I...>) {
    (ReadOne<I>(s, out), ...);
  }
  template <size_t I>
  static void ReadOne(const Statement& s, Out& out) {
    constexpr auto read = kColumns[I].read;
    if constexpr (read != nullptr) read(Field(s, ResultIndex(I)), out);
  }
};

}  // namespace retail::db

#endif  // RETAIL_COMMON_DB_COLUMNS_H_
