#include "server/customers/customer_store.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/db/columns.h"
#include "common/status.h"
#include "common/validation.h"
#include "google/protobuf/util/time_util.h"

namespace retail::customers {
namespace {

using ::google::protobuf::util::TimeUtil;
using ::retail::db::Field;
using ::retail::db::Param;

google::protobuf::Timestamp Timestamp(int64_t micros) {
  return TimeUtil::MicrosecondsToTimestamp(micros);
}
int64_t Micros(const google::protobuf::Timestamp& t) {
  return TimeUtil::TimestampToMicroseconds(t);
}

// Where a customers row is decoded: its keys, and the resource, which may
// live on a response's arena.
struct DecodedCustomer {
  int64_t row = 0;
  int64_t revision = 0;
  Customer* customer = nullptr;
};

// The customers table (schema version 1), listed once: the SELECT list,
// the INSERT and UPDATE text and the row codecs all follow this order. TEXT
// is read with the proto fields' (data, size) setters: no temporary string.
constexpr db::Column<StoredCustomer, DecodedCustomer> kCustomerColumns[] = {
    {"id", nullptr,  // assigned by INSERT; UPDATE names it in its WHERE
     [](const Field& f, DecodedCustomer& o) { o.row = f.Int64(); }},
    {"revision", [](Param p, const StoredCustomer& s) { p.Int64(s.revision); },
     [](const Field& f, DecodedCustomer& o) { o.revision = f.Int64(); }},
    {"customer_id",
     [](Param p, const StoredCustomer& s) { p.Text(s.customer.customer_id()); },
     [](const Field& f, DecodedCustomer& o) {
       const absl::string_view t = f.Text();
       o.customer->set_customer_id(t.data(), t.size());
     }},
    {"branch_id",
     [](Param p, const StoredCustomer& s) { p.Text(s.customer.branch_id()); },
     [](const Field& f, DecodedCustomer& o) {
       const absl::string_view t = f.Text();
       o.customer->set_branch_id(t.data(), t.size());
     }},
    {"display_name",
     [](Param p, const StoredCustomer& s) {
       p.Text(s.customer.display_name());
     },
     [](const Field& f, DecodedCustomer& o) {
       const absl::string_view t = f.Text();
       o.customer->set_display_name(t.data(), t.size());
     }},
    {"phone",  // NULL when absent: the column is UNIQUE
     [](Param p, const StoredCustomer& s) {
       if (s.customer.phone().empty()) {
         p.Null();
       } else {
         p.Text(s.customer.phone());
       }
     },
     [](const Field& f, DecodedCustomer& o) {
       if (f.IsNull()) return;
       const absl::string_view t = f.Text();
       o.customer->set_phone(t.data(), t.size());
     }},
    {"email",  // NULL when absent: customers_by_email skips those
     [](Param p, const StoredCustomer& s) {
       if (s.customer.email().empty()) {
         p.Null();
       } else {
         p.Text(s.customer.email());
       }
     },
     [](const Field& f, DecodedCustomer& o) {
       if (f.IsNull()) return;
       const absl::string_view t = f.Text();
       o.customer->set_email(t.data(), t.size());
     }},
    {"birthday",
     [](Param p, const StoredCustomer& s) {
       if (s.customer.has_birthday()) {
         p.Int(DateToInt(s.customer.birthday()));
       } else {
         p.Null();
       }
     },
     [](const Field& f, DecodedCustomer& o) {
       if (!f.IsNull()) *o.customer->mutable_birthday() = IntToDate(f.Int());
     }},
    {"gender",
     [](Param p, const StoredCustomer& s) {
       p.Int(static_cast<int>(s.customer.gender()));
     },
     [](const Field& f, DecodedCustomer& o) {
       o.customer->set_gender(static_cast<v1::Gender>(f.Int()));
     }},
    {"preferences",
     [](Param p, const StoredCustomer& s) {
       p.Blob(s.customer.preferences().SerializeAsString());
     },
     [](const Field& f, DecodedCustomer& o) {
       const absl::string_view b = f.Blob();
       o.customer->mutable_preferences()->ParseFromArray(
           b.data(), static_cast<int>(b.size()));
     }},
    {"tier",
     [](Param p, const StoredCustomer& s) {
       p.Int(static_cast<int>(s.customer.tier()));
     },
     [](const Field& f, DecodedCustomer& o) {
       o.customer->set_tier(static_cast<CustomerTier>(f.Int()));
     }},
    {"points_balance",
     [](Param p, const StoredCustomer& s) {
       p.Int64(s.customer.points_balance());
     },
     [](const Field& f, DecodedCustomer& o) {
       o.customer->set_points_balance(f.Int64());
     }},
    {"total_spend_minor",
     [](Param p, const StoredCustomer& s) {
       p.Int64(s.customer.total_spend().minor_units());
     },
     [](const Field& f, DecodedCustomer& o) {
       o.customer->mutable_total_spend()->set_minor_units(f.Int64());
     }},
    {"currency_code",
     [](Param p, const StoredCustomer& s) {
       p.Text(s.customer.total_spend().currency_code());
     },
     [](const Field& f, DecodedCustomer& o) {
       const absl::string_view t = f.Text();
       o.customer->mutable_total_spend()->set_currency_code(t.data(), t.size());
     }},
    {"order_count",
     [](Param p, const StoredCustomer& s) {
       p.Int64(s.customer.order_count());
     },
     [](const Field& f, DecodedCustomer& o) {
       o.customer->set_order_count(f.Int64());
     }},
    {"last_purchase_time_us",
     [](Param p, const StoredCustomer& s) {
       if (s.customer.has_last_purchase_time()) {
         p.Int64(Micros(s.customer.last_purchase_time()));
       } else {
         p.Null();
       }
     },
     [](const Field& f, DecodedCustomer& o) {
       if (!f.IsNull()) {
         *o.customer->mutable_last_purchase_time() = Timestamp(f.Int64());
       }
     }},
    {"marketing_consent",
     [](Param p, const StoredCustomer& s) {
       p.Bool(s.customer.marketing_consent());
     },
     [](const Field& f, DecodedCustomer& o) {
       o.customer->set_marketing_consent(f.Bool());
     }},
    {"notes",
     [](Param p, const StoredCustomer& s) { p.Text(s.customer.notes()); },
     [](const Field& f, DecodedCustomer& o) {
       const absl::string_view t = f.Text();
       o.customer->set_notes(t.data(), t.size());
     }},
    {"create_time_us",
     [](Param p, const StoredCustomer& s) {
       p.Int64(Micros(s.customer.create_time()));
     },
     [](const Field& f, DecodedCustomer& o) {
       *o.customer->mutable_create_time() = Timestamp(f.Int64());
     }},
    {"update_time_us",
     [](Param p, const StoredCustomer& s) {
       p.Int64(Micros(s.customer.update_time()));
     },
     [](const Field& f, DecodedCustomer& o) {
       *o.customer->mutable_update_time() = Timestamp(f.Int64());
     }},
    {"erase_time_us",
     [](Param p, const StoredCustomer& s) {
       if (s.customer.has_erase_time()) {
         p.Int64(Micros(s.customer.erase_time()));
       } else {
         p.Null();
       }
     },
     [](const Field& f, DecodedCustomer& o) {
       if (!f.IsNull()) {
         *o.customer->mutable_erase_time() = Timestamp(f.Int64());
       }
     }},
};
using CustomerColumns = db::ColumnSet<kCustomerColumns>;

// A ledger entry to write: the entry and its customer's row.
struct NewPoints {
  int64_t customer_row;
  const PointsTransaction& t;
};
// A ledger entry read back: its row id (the paging key) and the entry.
using ReadPoints = std::pair<int64_t, PointsTransaction>;

// The points_transactions table (customers schema versions 1 and 4). The API
// names the customer by id, so reads take it from the customers row joined as
// `c`.
constexpr db::Column<NewPoints, ReadPoints> kPointsColumns[] = {
    {"id", nullptr, [](const Field& f, ReadPoints& o) { o.first = f.Int64(); }},
    {"transaction_id",
     [](Param p, const NewPoints& n) { p.Text(n.t.transaction_id()); },
     [](const Field& f, ReadPoints& o) {
       const absl::string_view t = f.Text();
       o.second.set_transaction_id(t.data(), t.size());
     }},
    {"customer_row",
     [](Param p, const NewPoints& n) { p.Int64(n.customer_row); }},
    {"customer_id", nullptr,
     [](const Field& f, ReadPoints& o) {
       const absl::string_view t = f.Text();
       o.second.set_customer_id(t.data(), t.size());
     },
     /*select=*/"c.customer_id"},
    {"delta", [](Param p, const NewPoints& n) { p.Int64(n.t.delta()); },
     [](const Field& f, ReadPoints& o) { o.second.set_delta(f.Int64()); }},
    {"balance_after",
     [](Param p, const NewPoints& n) { p.Int64(n.t.balance_after()); },
     [](const Field& f, ReadPoints& o) {
       o.second.set_balance_after(f.Int64());
     }},
    {"reason", [](Param p, const NewPoints& n) { p.Text(n.t.reason()); },
     [](const Field& f, ReadPoints& o) {
       const absl::string_view t = f.Text();
       o.second.set_reason(t.data(), t.size());
     }},
    {"actor", [](Param p, const NewPoints& n) { p.Text(n.t.actor()); },
     [](const Field& f, ReadPoints& o) {
       const absl::string_view t = f.Text();
       o.second.set_actor(t.data(), t.size());
     }},
    {"create_time_us",
     [](Param p, const NewPoints& n) { p.Int64(Micros(n.t.create_time())); },
     [](const Field& f, ReadPoints& o) {
       *o.second.mutable_create_time() = Timestamp(f.Int64());
     }},
    // Customers schema version 4.
    {"staff_id", [](Param p, const NewPoints& n) { p.Text(n.t.staff_id()); },
     [](const Field& f, ReadPoints& o) {
       const absl::string_view t = f.Text();
       o.second.set_staff_id(t.data(), t.size());
     }},
};
using PointsColumns = db::ColumnSet<kPointsColumns>;

// Schema version 1 made the tier sweep's partial index customers_active_tier
// "WHERE tier > 1", i.e. above POTENTIAL, and that text is history; the
// sweep's query must say the same or the planner will not use the index.
static_assert(v1::CUSTOMER_TIER_POTENTIAL == 1);

// The statements built from the column tables. Built once, at first use,
// from names and enum constants only: Connection::Prepare caches by text.
struct Statements {
  std::string get;
  // ListCustomers: which filters are set decides the index, so each
  // combination has its own fixed statement rather than one with ORs the
  // planner cannot index: [branch set][tier set] -> (branch_id, tier, id),
  // (branch_id, id), (tier, id) or the rowid itself, each already in page
  // order. All number their parameters up to ?5, so binding all five is
  // valid.
  std::string list[2][2];
  std::string by_phone;
  std::string by_email;
  std::string by_name_gram;  // walks the posting list of a character pair
  std::string by_name_scan;  // one character: no pair to walk
  std::string lapsed;
  std::string insert;
  std::string update;
  std::string insert_points;
  std::string list_points;
  std::string count_gram;
  std::string add_gram;
  std::string remove_gram;
};

// `engine` changes only what the dialects spell differently: SQLite's
// CROSS JOIN (which fixes the join order there) is a plain JOIN on
// PostgreSQL, and instr() is strpos().
Statements BuildStatements(db::Engine engine) {
  const bool pg = engine == db::Engine::kPostgres;
  const absl::string_view cross_join = pg ? " JOIN " : " CROSS JOIN ";
  const absl::string_view instr = pg ? "strpos" : "instr";
  const std::string columns = CustomerColumns::SelectList();
  const auto select = [&](absl::string_view rest) {
    return absl::StrCat("SELECT ", columns, " ", rest);
  };
  const auto list = [&](absl::string_view where) {
    return select(absl::StrCat("FROM customers WHERE ", where,
                               " id > ?2 AND (?4 < 0 OR marketing_consent = ?4)"
                               " ORDER BY id LIMIT ?5"));
  };
  Statements s;
  s.get = select(
      "FROM customers WHERE customer_id = ?1"
      " AND (?2 = '' OR branch_id = ?2)");
  s.list[0][0] = list("");
  s.list[0][1] = list("tier = ?3 AND");
  s.list[1][0] = list("branch_id = ?1 AND");
  s.list[1][1] = list("branch_id = ?1 AND tier = ?3 AND");
  s.by_phone = select(
      "FROM customers WHERE phone = ?1"
      " AND (?2 = '' OR branch_id = ?2) AND id > ?3 ORDER BY id LIMIT ?4");
  s.by_email = select(
      "FROM customers WHERE email = ?1"
      " AND (?2 = '' OR branch_id = ?2) AND id > ?3 ORDER BY id LIMIT ?4");
  s.by_name_gram = select(absl::StrCat(
      "FROM customer_name_grams g", cross_join,
      "customers c"
      " ON c.id = g.customer_row WHERE g.gram = ?5 AND g.customer_row > ?3"
      " AND ",
      instr,
      "(c.display_name, ?1) > 0 AND (?2 = '' OR c.branch_id = ?2)"
      " ORDER BY g.customer_row LIMIT ?4"));
  s.by_name_scan = select(absl::StrCat(
      "FROM customers WHERE ", instr,
      "(display_name, ?1) > 0"
      " AND (?2 = '' OR branch_id = ?2) AND id > ?3 ORDER BY id LIMIT ?4"));
  // The tier is spelled into the text, not bound: a parameter would keep
  // the planner from matching the partial index customers_active_tier.
  s.lapsed = select(absl::StrCat(
      "FROM customers WHERE tier > ",
      static_cast<int>(v1::CUSTOMER_TIER_POTENTIAL),
      " AND (last_purchase_time_us IS NULL OR last_purchase_time_us < ?1)"
      " LIMIT ?2"));
  s.insert = CustomerColumns::InsertInto("customers");
  s.update = absl::StrCat("UPDATE customers SET ",
                          CustomerColumns::Assignments(), " WHERE id = ?",
                          CustomerColumns::kParams + 1, " AND revision = ?",
                          CustomerColumns::ParamOf("revision"), " - 1");
  s.insert_points = PointsColumns::InsertInto("points_transactions");
  s.list_points = absl::StrCat(
      "SELECT ", PointsColumns::SelectList("p"),
      " FROM points_transactions p JOIN customers c ON c.id = p.customer_row"
      " WHERE p.customer_row = ?1 AND p.id > ?2 ORDER BY p.id LIMIT ?3");
  // Both engines: a subquery in FROM needs an alias on PostgreSQL; a
  // skipped duplicate posting is ON CONFLICT DO NOTHING (SQLite's INSERT
  // OR IGNORE would also skip NOT NULL failures, which cannot happen here).
  s.count_gram =
      "SELECT count(*) FROM (SELECT 1 FROM customer_name_grams"
      " WHERE gram = ? LIMIT ?) AS postings";
  s.add_gram =
      "INSERT INTO customer_name_grams (gram, customer_row)"
      " VALUES (?, ?) ON CONFLICT DO NOTHING";
  s.remove_gram =
      "DELETE FROM customer_name_grams WHERE gram = ? AND customer_row = ?";
  return s;
}

const Statements& Sql(db::Engine engine) {
  static const Statements* const sqlite =
      new Statements(BuildStatements(db::Engine::kSqlite));
  static const Statements* const postgres =
      new Statements(BuildStatements(db::Engine::kPostgres));
  return engine == db::Engine::kPostgres ? *postgres : *sqlite;
}

// Decodes the current row into `c` (which may live on a response's arena)
// and returns its row id and revision.
std::pair<int64_t, int64_t> ReadCustomer(db::Stmt& s, Customer& c) {
  DecodedCustomer decoded{.customer = &c};
  CustomerColumns::Read(s, decoded);
  c.set_etag(absl::StrCat("r", decoded.revision));
  return {decoded.row, decoded.revision};
}

StoredCustomer ReadStoredCustomer(db::Stmt& s) {
  StoredCustomer out;
  std::tie(out.row, out.revision) = ReadCustomer(s, out.customer);
  return out;
}

// The distinct pairs of adjacent characters of `name`: its postings in
// customer_name_grams (migration 2), the same pairs SQL's substr(name, i, 2)
// gives for valid UTF-8.
std::vector<std::string> NameGrams(const std::string& name) {
  std::vector<size_t> starts;  // byte offset of each character
  for (size_t i = 0; i < name.size(); ++i) {
    if ((static_cast<unsigned char>(name[i]) & 0xC0) != 0x80) {
      starts.push_back(i);
    }
  }
  starts.push_back(name.size());
  std::vector<std::string> grams;
  for (size_t k = 0; k + 2 < starts.size(); ++k) {
    grams.push_back(name.substr(starts[k], starts[k + 2] - starts[k]));
  }
  std::sort(grams.begin(), grams.end());
  grams.erase(std::unique(grams.begin(), grams.end()), grams.end());
  return grams;
}

// The pair of `grams` with the shortest posting list, "" if none. Lists are
// counted only up to a cap, so a common pair (a frequent surname) costs at
// most that many index entries to rule out; a pair nobody has ends the
// search at once. Driving by the rarest pair cut name-search p99 at 1M
// customers from 34 ms (first pair) to a few ms.
std::string RarestGram(db::Connection& conn,
                       const std::vector<std::string>& grams) {
  if (grams.size() <= 1) return grams.empty() ? "" : grams[0];
  constexpr int kCountCap = 1000;
  constexpr size_t kMaxPairsTried = 8;  // a long fragment: enough to choose
  std::string best;
  int64_t best_count = kCountCap + 1;
  for (size_t i = 0; i < grams.size() && i < kMaxPairsTried; ++i) {
    db::Stmt s = conn.Prepare(Sql(conn.engine()).count_gram);
    s->Bind(1, grams[i]);
    s->Bind(2, kCountCap);
    s->Step();
    const int64_t count = s->Int64(0);
    if (count < best_count) {
      best = grams[i];
      best_count = count;
    }
    if (count == 0) break;
  }
  return best;
}

// Adds or removes the name postings of customer `row`. Throws like any
// statement; callers run inside db::Guard.
void IndexName(db::Connection& conn, int64_t row, const std::string& name,
               bool add) {
  for (const std::string& gram : NameGrams(name)) {
    db::Stmt s = conn.Prepare(add ? Sql(conn.engine()).add_gram
                                  : Sql(conn.engine()).remove_gram);
    s->Bind(1, gram);
    s->Bind(2, static_cast<int64_t>(row));
    s->Exec();
  }
}

absl::StatusOr<std::vector<StoredCustomer>> Collect(db::Stmt& s) {
  std::vector<StoredCustomer> out;
  while (s->Step()) out.push_back(ReadStoredCustomer(s));
  return out;
}

// Appends every result row to `out`; returns their row ids.
std::vector<int64_t> CollectInto(db::Stmt& s, CustomerList* out) {
  std::vector<int64_t> rows;
  while (s->Step()) rows.push_back(ReadCustomer(s, *out->Add()).first);
  return rows;
}

// Steps the point-read statement to the customer's row, or NOT_FOUND.
absl::Status FindCustomer(db::Stmt& s, const std::string& customer_id,
                          const std::string& branch_scope) {
  s->Bind(1, customer_id);
  s->Bind(2, branch_scope);
  if (!s->Step()) {
    // Same answer for "missing" and "another branch's": existence of
    // other branches' customers is not disclosed.
    return absl::NotFoundError(
        absl::StrCat("customer '", customer_id, "' not found"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<StoredCustomer> GetCustomer(db::Connection& conn,
                                           const std::string& customer_id,
                                           const std::string& branch_scope) {
  return db::Guard("get customer", [&]() -> absl::StatusOr<StoredCustomer> {
    db::Stmt s = conn.Prepare(Sql(conn.engine()).get);
    RETURN_IF_ERROR(FindCustomer(s, customer_id, branch_scope));
    return ReadStoredCustomer(s);
  });
}

absl::Status GetCustomer(db::Connection& conn, const std::string& customer_id,
                         const std::string& branch_scope, Customer* out) {
  return db::Guard("get customer", [&]() -> absl::Status {
    db::Stmt s = conn.Prepare(Sql(conn.engine()).get);
    RETURN_IF_ERROR(FindCustomer(s, customer_id, branch_scope));
    ReadCustomer(s, *out);
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<int64_t>> ListCustomers(db::Connection& conn,
                                                   const ListQuery& q,
                                                   CustomerList* out) {
  return db::Guard(
      "list customers", [&]() -> absl::StatusOr<std::vector<int64_t>> {
        std::string branch = q.branch_id;
        if (!q.branch_scope.empty()) {
          if (!branch.empty() && branch != q.branch_scope) {
            return std::vector<int64_t>{};
          }
          branch = q.branch_scope;
        }
        db::Stmt s =
            conn.Prepare(Sql(conn.engine())
                             .list[!branch.empty()]
                                  [q.tier != v1::CUSTOMER_TIER_UNSPECIFIED]);
        s->Bind(1, branch);
        s->Bind(2, static_cast<int64_t>(q.after_row));
        s->Bind(3, static_cast<int>(q.tier));
        s->Bind(4, q.marketing_consent ? (*q.marketing_consent ? 1 : 0) : -1);
        s->Bind(5, q.limit);
        return CollectInto(s, out);
      });
}

absl::StatusOr<std::vector<int64_t>> SearchCustomers(db::Connection& conn,
                                                     const SearchQuery& q,
                                                     CustomerList* out) {
  return db::Guard("search customers",
                   [&]() -> absl::StatusOr<std::vector<int64_t>> {
                     const std::string* sql = nullptr;
                     std::string gram;
                     switch (q.by) {
                       case SearchQuery::By::kPhone:
                         sql = &Sql(conn.engine()).by_phone;
                         break;
                       case SearchQuery::By::kEmail:
                         sql = &Sql(conn.engine()).by_email;
                         break;
                       case SearchQuery::By::kName:
                         // instr() matches the fragment literally: no LIKE
                         // wildcards to escape, and it works for Chinese as
                         // for Latin names. Two or more characters: walk the
                         // posting list (migration 2) of the fragment's
                         // rarest character pair in row order. One character
                         // has no pair: scan names in row order.
                         gram = RarestGram(conn, NameGrams(q.value));
                         sql = gram.empty() ? &Sql(conn.engine()).by_name_scan
                                            : &Sql(conn.engine()).by_name_gram;
                         break;
                     }
                     db::Stmt s = conn.Prepare(*sql);
                     s->Bind(1, q.value);
                     s->Bind(2, q.branch_scope);
                     s->Bind(3, static_cast<int64_t>(q.after_row));
                     s->Bind(4, q.limit);
                     if (!gram.empty()) s->Bind(5, gram);
                     return CollectInto(s, out);
                   });
}

absl::StatusOr<std::optional<std::string>> FindCustomerIdByPhone(
    db::Connection& conn, const std::string& phone) {
  return db::Guard(
      "find by phone", [&]() -> absl::StatusOr<std::optional<std::string>> {
        db::Stmt s =
            conn.Prepare("SELECT customer_id FROM customers WHERE phone = ?");
        s->Bind(1, phone);
        if (!s->Step()) return std::optional<std::string>();
        return std::optional<std::string>(s->String(0));
      });
}

absl::StatusOr<std::vector<StoredCustomer>> ListLapsedTierCustomers(
    db::Connection& conn, int64_t cutoff_micros, int limit) {
  return db::Guard("lapsed tiers",
                   [&]() -> absl::StatusOr<std::vector<StoredCustomer>> {
                     // Served by the partial index customers_active_tier.
                     db::Stmt s = conn.Prepare(Sql(conn.engine()).lapsed);
                     s->Bind(1, static_cast<int64_t>(cutoff_micros));
                     s->Bind(2, limit);
                     return Collect(s);
                   });
}

absl::Status InsertCustomer(db::Connection& conn, StoredCustomer& c) {
  return db::Guard("insert customer", [&] {
    db::Stmt s = conn.PrepareInsert(Sql(conn.engine()).insert);
    CustomerColumns::Bind(s, c);
    c.row = conn.ExecInsert(s);
    IndexName(conn, c.row, c.customer.display_name(), /*add=*/true);
    return absl::OkStatus();
  });
}

absl::Status UpdateCustomer(db::Connection& conn, const StoredCustomer& c) {
  return db::Guard("update customer", [&] {
    {
      db::Stmt old =
          conn.Prepare("SELECT display_name FROM customers WHERE id = ?");
      old->Bind(1, static_cast<int64_t>(c.row));
      if (old->Step()) {
        const std::string old_name = old->String(0);
        if (old_name != c.customer.display_name()) {
          IndexName(conn, c.row, old_name, /*add=*/false);
          IndexName(conn, c.row, c.customer.display_name(), /*add=*/true);
        }
      }
    }
    db::Stmt s = conn.Prepare(Sql(conn.engine()).update);
    CustomerColumns::Bind(s, c);
    s->Bind(CustomerColumns::kParams + 1, static_cast<int64_t>(c.row));
    if (s->Exec() != 1) {
      // Only the writer thread writes, so this means a bug, not a race.
      return absl::AbortedError("customer changed concurrently");
    }
    return absl::OkStatus();
  });
}

absl::Status InsertPointsTransaction(db::Connection& conn, int64_t customer_row,
                                     const PointsTransaction& t) {
  return db::Guard("insert points", [&] {
    db::Stmt s = conn.Prepare(Sql(conn.engine()).insert_points);
    PointsColumns::Bind(s, NewPoints{customer_row, t});
    s->Exec();
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<std::pair<int64_t, PointsTransaction>>>
ListPointsTransactions(db::Connection& conn, int64_t customer_row,
                       int64_t after_row, int limit) {
  using Rows = std::vector<std::pair<int64_t, PointsTransaction>>;
  return db::Guard("list points", [&]() -> absl::StatusOr<Rows> {
    db::Stmt s = conn.Prepare(Sql(conn.engine()).list_points);
    s->Bind(1, static_cast<int64_t>(customer_row));
    s->Bind(2, static_cast<int64_t>(after_row));
    s->Bind(3, limit);
    Rows out;
    while (s->Step()) PointsColumns::Read(s, out.emplace_back());
    return out;
  });
}

absl::Status ErasePointsReasons(db::Connection& conn, int64_t customer_row) {
  return db::Guard("erase points reasons", [&] {
    db::Stmt s = conn.Prepare(
        "UPDATE points_transactions SET reason = '' WHERE customer_row = ?1");
    s->Bind(1, customer_row);
    s->Exec();
    return absl::OkStatus();
  });
}

}  // namespace retail::customers
