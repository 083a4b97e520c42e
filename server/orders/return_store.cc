#include "server/orders/return_store.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/db/columns.h"
#include "common/status.h"
#include "google/protobuf/util/time_util.h"

namespace retail::orders {
namespace {

using ::google::protobuf::util::TimeUtil;
using ::retail::db::Field;
using ::retail::db::Param;

// The order_returns table (schema version 3), listed once.
constexpr db::Column<StoredReturn, StoredReturn> kReturnColumns[] = {
    {"id", nullptr, [](const Field& f, StoredReturn& r) { r.row = f.Int64(); }},
    {"return_id",
     [](Param p, const StoredReturn& r) { p.Text(r.ret.return_id()); }},
    {"revision", [](Param p, const StoredReturn& r) { p.Int64(r.revision); },
     [](const Field& f, StoredReturn& r) { r.revision = f.Int64(); }},
    {"order_row", [](Param p, const StoredReturn& r) { p.Int64(r.order_row); },
     [](const Field& f, StoredReturn& r) { r.order_row = f.Int64(); }},
    {"branch_id",
     [](Param p, const StoredReturn& r) { p.Text(r.ret.branch_id()); }},
    {"customer_id",
     [](Param p, const StoredReturn& r) { p.Text(r.ret.customer_id()); }},
    {"status",
     [](Param p, const StoredReturn& r) {
       p.Int(static_cast<int>(r.ret.status()));
     }},
    {"body",
     [](Param p, const StoredReturn& r) { p.Blob(r.ret.SerializeAsString()); },
     [](const Field& f, StoredReturn& r) {
       const absl::string_view b = f.Blob();
       // A body that does not parse is caught by the caller's check of
       // return_id (empty) rather than served half-read.
       if (!r.ret.ParseFromArray(b.data(), static_cast<int>(b.size())))
         r.ret.Clear();
     }},
    {"create_time_us",
     [](Param p, const StoredReturn& r) {
       p.Int64(TimeUtil::TimestampToMicroseconds(r.ret.create_time()));
     }},
};
using ReturnColumns = db::ColumnSet<kReturnColumns>;

struct Statements {
  std::string get;
  std::string list;
  std::string by_order;
  std::string by_customer;
  std::string insert;
  std::string update;
};

Statements BuildStatements() {
  const std::string columns = ReturnColumns::SelectList();
  Statements s;
  s.get = absl::StrCat("SELECT ", columns,
                       " FROM order_returns WHERE return_id = ?1"
                       " AND (?2 = '' OR branch_id = ?2)");
  // One statement for every filter: with an order given, SQLite takes
  // order_returns_by_order; with a branch, order_returns_by_branch.
  s.list =
      absl::StrCat("SELECT ", columns,
                   " FROM order_returns WHERE (?1 = '' OR branch_id = ?1)"
                   " AND (?2 = 0 OR order_row = ?2) AND (?3 = 0 OR status = ?3)"
                   " AND id > ?4 ORDER BY id LIMIT ?5");
  s.by_order = absl::StrCat("SELECT ", columns,
                            " FROM order_returns WHERE order_row = ?1"
                            " ORDER BY id");
  s.by_customer = absl::StrCat("SELECT ", columns,
                               " FROM order_returns WHERE customer_id = ?1"
                               " ORDER BY id");
  s.insert = ReturnColumns::InsertInto("order_returns");
  s.update = absl::StrCat("UPDATE order_returns SET ",
                          ReturnColumns::Assignments(), " WHERE id = ?",
                          ReturnColumns::kParams + 1, " AND revision = ?",
                          ReturnColumns::ParamOf("revision"), " - 1");
  return s;
}

const Statements& Sql() {
  static const Statements* const statements = new Statements(BuildStatements());
  return *statements;
}

absl::Status Decode(db::Stmt& s, StoredReturn& out) {
  ReturnColumns::Read(s, out);
  if (out.ret.return_id().empty()) {
    return absl::DataLossError(
        absl::StrCat("return row ", out.row, " cannot be read"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<StoredReturn> GetReturn(db::Connection& conn,
                                       const std::string& return_id,
                                       const std::string& branch_scope) {
  return db::Guard("get return", [&]() -> absl::StatusOr<StoredReturn> {
    db::Stmt s = conn.Prepare(Sql().get);
    s->Bind(1, return_id);
    s->Bind(2, branch_scope);
    if (!s->Step()) {
      // Same answer for "missing" and "another branch's".
      return absl::NotFoundError(
          absl::StrCat("return '", return_id, "' not found"));
    }
    StoredReturn out;
    RETURN_IF_ERROR(Decode(s, out));
    return out;
  });
}

absl::StatusOr<std::vector<int64_t>> ListReturns(
    db::Connection& conn, const ReturnQuery& q,
    google::protobuf::RepeatedPtrField<v1::Return>* out) {
  return db::Guard("list returns",
                   [&]() -> absl::StatusOr<std::vector<int64_t>> {
                     std::string branch = q.branch_id;
                     if (!q.branch_scope.empty()) {
                       if (!branch.empty() && branch != q.branch_scope) {
                         return std::vector<int64_t>{};
                       }
                       branch = q.branch_scope;
                     }
                     db::Stmt s = conn.Prepare(Sql().list);
                     s->Bind(1, branch);
                     s->Bind(2, static_cast<int64_t>(q.order_row));
                     s->Bind(3, static_cast<int>(q.status));
                     s->Bind(4, static_cast<int64_t>(q.after_row));
                     s->Bind(5, q.limit);
                     std::vector<int64_t> rows;
                     while (s->Step()) {
                       StoredReturn r;
                       RETURN_IF_ERROR(Decode(s, r));
                       rows.push_back(r.row);
                       *out->Add() = std::move(r.ret);
                     }
                     return rows;
                   });
}

absl::StatusOr<std::vector<v1::Return>> ListOrderReturns(db::Connection& conn,
                                                         int64_t order_row) {
  return db::Guard("order returns",
                   [&]() -> absl::StatusOr<std::vector<v1::Return>> {
                     db::Stmt s = conn.Prepare(Sql().by_order);
                     s->Bind(1, static_cast<int64_t>(order_row));
                     std::vector<v1::Return> out;
                     while (s->Step()) {
                       StoredReturn r;
                       RETURN_IF_ERROR(Decode(s, r));
                       out.push_back(std::move(r.ret));
                     }
                     return out;
                   });
}

absl::StatusOr<std::vector<StoredReturn>> ListCustomerReturns(
    db::Connection& conn, const std::string& customer_id) {
  return db::Guard("customer returns",
                   [&]() -> absl::StatusOr<std::vector<StoredReturn>> {
                     db::Stmt s = conn.Prepare(Sql().by_customer);
                     s->Bind(1, customer_id);
                     std::vector<StoredReturn> out;
                     while (s->Step()) {
                       StoredReturn r;
                       RETURN_IF_ERROR(Decode(s, r));
                       out.push_back(std::move(r));
                     }
                     return out;
                   });
}

absl::Status InsertReturn(db::Connection& conn, StoredReturn& r) {
  return db::Guard("insert return", [&] {
    db::Stmt s = conn.PrepareInsert(Sql().insert);
    ReturnColumns::Bind(s, r);
    r.row = conn.ExecInsert(s);
    return absl::OkStatus();
  });
}

absl::Status UpdateReturn(db::Connection& conn, const StoredReturn& r) {
  return db::Guard("update return", [&] {
    db::Stmt s = conn.Prepare(Sql().update);
    ReturnColumns::Bind(s, r);
    s->Bind(ReturnColumns::kParams + 1, static_cast<int64_t>(r.row));
    if (s->Exec() != 1) {
      // Only the writer thread writes, so this means a bug, not a race.
      return absl::AbortedError("return changed concurrently");
    }
    return absl::OkStatus();
  });
}

}  // namespace retail::orders
