#include "server/customers/customer_store.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "common/validation.h"
#include "google/protobuf/util/time_util.h"

namespace retail::customers {
namespace {

using ::google::protobuf::util::TimeUtil;

// Column order shared by every SELECT below and by ReadCustomer.
#define CUSTOMER_COLUMNS                                                   \
  "id, revision, customer_id, branch_id, display_name, phone, email,"      \
  " birthday, gender, preferences, tier, points_balance,"                  \
  " total_spend_minor, currency_code, order_count, last_purchase_time_us," \
  " marketing_consent, notes, create_time_us, update_time_us, erase_time_us"

// Copies a TEXT column into a proto string field without a temporary
// std::string: decoding a page of customers spent ~6% of the server's time
// building and copying those. `set` is the field's (data, size) setter.
template <typename Set>
void SetText(const SQLite::Column& col, Set set) {
  const char* text = col.getText();  // sqlite3_column_text before _bytes
  set(text, static_cast<size_t>(col.getBytes()));
}
#define RETAIL_SET_TEXT(col, msg, field) \
  SetText(col, [&](const char* p, size_t n) { (msg).set_##field(p, n); })

google::protobuf::Timestamp Timestamp(int64_t micros) {
  return TimeUtil::MicrosecondsToTimestamp(micros);
}

// Decodes the current row into `c` (which may live on a response's arena)
// and returns its row id and revision.
std::pair<int64_t, int64_t> ReadCustomer(SQLite::Statement& s, Customer& c) {
  const int64_t row = s.getColumn(0).getInt64();
  const int64_t revision = s.getColumn(1).getInt64();
  RETAIL_SET_TEXT(s.getColumn(2), c, customer_id);
  RETAIL_SET_TEXT(s.getColumn(3), c, branch_id);
  RETAIL_SET_TEXT(s.getColumn(4), c, display_name);
  if (const SQLite::Column phone = s.getColumn(5); !phone.isNull()) {
    RETAIL_SET_TEXT(phone, c, phone);
  }
  if (const SQLite::Column email = s.getColumn(6); !email.isNull()) {
    RETAIL_SET_TEXT(email, c, email);
  }
  if (const SQLite::Column birthday = s.getColumn(7); !birthday.isNull()) {
    *c.mutable_birthday() = IntToDate(birthday.getInt());
  }
  c.set_gender(static_cast<v1::Gender>(s.getColumn(8).getInt()));
  const SQLite::Column prefs = s.getColumn(9);
  c.mutable_preferences()->ParseFromArray(prefs.getBlob(), prefs.getBytes());
  c.set_tier(static_cast<CustomerTier>(s.getColumn(10).getInt()));
  c.set_points_balance(s.getColumn(11).getInt64());
  c.mutable_total_spend()->set_minor_units(s.getColumn(12).getInt64());
  RETAIL_SET_TEXT(s.getColumn(13), *c.mutable_total_spend(), currency_code);
  c.set_order_count(s.getColumn(14).getInt64());
  if (const SQLite::Column last = s.getColumn(15); !last.isNull()) {
    *c.mutable_last_purchase_time() = Timestamp(last.getInt64());
  }
  c.set_marketing_consent(s.getColumn(16).getInt() != 0);
  RETAIL_SET_TEXT(s.getColumn(17), c, notes);
  *c.mutable_create_time() = Timestamp(s.getColumn(18).getInt64());
  *c.mutable_update_time() = Timestamp(s.getColumn(19).getInt64());
  if (const SQLite::Column erased = s.getColumn(20); !erased.isNull()) {
    *c.mutable_erase_time() = Timestamp(erased.getInt64());
  }
  c.set_etag(absl::StrCat("r", revision));
  return {row, revision};
}
#undef RETAIL_SET_TEXT

StoredCustomer ReadStoredCustomer(SQLite::Statement& s) {
  StoredCustomer out;
  std::tie(out.row, out.revision) = ReadCustomer(s, out.customer);
  return out;
}

// Binds the mutable columns in the order used by INSERT and UPDATE (1..19).
void BindCustomer(SQLite::Statement& s, const StoredCustomer& sc) {
  const Customer& c = sc.customer;
  s.bind(1, sc.revision);
  s.bind(2, c.customer_id());
  s.bind(3, c.branch_id());
  s.bind(4, c.display_name());
  if (c.phone().empty())
    s.bind(5);
  else
    s.bind(5, c.phone());
  if (c.email().empty())
    s.bind(6);
  else
    s.bind(6, c.email());
  if (c.has_birthday())
    s.bind(7, DateToInt(c.birthday()));
  else
    s.bind(7);
  s.bind(8, static_cast<int>(c.gender()));
  const std::string prefs = c.preferences().SerializeAsString();
  s.bind(9, prefs.data(), static_cast<int>(prefs.size()));
  s.bind(10, static_cast<int>(c.tier()));
  s.bind(11, static_cast<int64_t>(c.points_balance()));
  s.bind(12, static_cast<int64_t>(c.total_spend().minor_units()));
  s.bind(13, c.total_spend().currency_code());
  s.bind(14, static_cast<int64_t>(c.order_count()));
  if (c.has_last_purchase_time()) {
    s.bind(15, static_cast<int64_t>(
                   TimeUtil::TimestampToMicroseconds(c.last_purchase_time())));
  } else {
    s.bind(15);
  }
  s.bind(16, c.marketing_consent() ? 1 : 0);
  s.bind(17, c.notes());
  s.bind(18, static_cast<int64_t>(
                 TimeUtil::TimestampToMicroseconds(c.create_time())));
  s.bind(19, static_cast<int64_t>(
                 TimeUtil::TimestampToMicroseconds(c.update_time())));
  if (c.has_erase_time()) {
    s.bind(20, static_cast<int64_t>(
                   TimeUtil::TimestampToMicroseconds(c.erase_time())));
  } else {
    s.bind(20);
  }
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
    db::Stmt s = conn.Prepare(
        "SELECT count(*) FROM (SELECT 1 FROM customer_name_grams"
        " WHERE gram = ? LIMIT ?)");
    s->bind(1, grams[i]);
    s->bind(2, kCountCap);
    s->executeStep();
    const int64_t count = s->getColumn(0).getInt64();
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
    db::Stmt s = conn.Prepare(
        add ? "INSERT OR IGNORE INTO customer_name_grams (gram, customer_row)"
              " VALUES (?, ?)"
            : "DELETE FROM customer_name_grams"
              " WHERE gram = ? AND customer_row = ?");
    s->bind(1, gram);
    s->bind(2, static_cast<int64_t>(row));
    s->exec();
  }
}

absl::StatusOr<std::vector<StoredCustomer>> Collect(db::Stmt& s) {
  std::vector<StoredCustomer> out;
  while (s->executeStep()) out.push_back(ReadStoredCustomer(*s));
  return out;
}

// Appends every result row to `out`; returns their row ids.
std::vector<int64_t> CollectInto(db::Stmt& s, CustomerList* out) {
  std::vector<int64_t> rows;
  while (s->executeStep()) rows.push_back(ReadCustomer(*s, *out->Add()).first);
  return rows;
}

// Steps the point-read statement to the customer's row, or NOT_FOUND.
absl::Status FindCustomer(db::Stmt& s, const std::string& customer_id,
                          const std::string& branch_scope) {
  s->bind(1, customer_id);
  s->bind(2, branch_scope);
  if (!s->executeStep()) {
    // Same answer for "missing" and "another branch's": existence of
    // other branches' customers is not disclosed.
    return absl::NotFoundError(
        absl::StrCat("customer '", customer_id, "' not found"));
  }
  return absl::OkStatus();
}

constexpr const char* kGetCustomer = "SELECT " CUSTOMER_COLUMNS
                                     " FROM customers WHERE customer_id = ?1"
                                     " AND (?2 = '' OR branch_id = ?2)";

}  // namespace

absl::StatusOr<StoredCustomer> GetCustomer(db::Connection& conn,
                                           const std::string& customer_id,
                                           const std::string& branch_scope) {
  return db::Guard("get customer", [&]() -> absl::StatusOr<StoredCustomer> {
    db::Stmt s = conn.Prepare(kGetCustomer);
    RETURN_IF_ERROR(FindCustomer(s, customer_id, branch_scope));
    return ReadStoredCustomer(*s);
  });
}

absl::Status GetCustomer(db::Connection& conn, const std::string& customer_id,
                         const std::string& branch_scope, Customer* out) {
  return db::Guard("get customer", [&]() -> absl::Status {
    db::Stmt s = conn.Prepare(kGetCustomer);
    RETURN_IF_ERROR(FindCustomer(s, customer_id, branch_scope));
    ReadCustomer(*s, *out);
    return absl::OkStatus();
  });
}

namespace {

// ListCustomers: which filters are set decides the index, so each
// combination has its own fixed statement rather than one with ORs the
// planner cannot index: [branch set][tier set] -> (branch_id, tier, id),
// (branch_id, id), (tier, id) or the rowid itself, each already in page
// order. All number their parameters up to ?5, so binding all five is valid.
#define LIST_SQL(where)                                     \
  "SELECT " CUSTOMER_COLUMNS " FROM customers WHERE " where \
  " id > ?2 AND (?4 < 0 OR marketing_consent = ?4)"         \
  " ORDER BY id LIMIT ?5"
constexpr const char* kListSql[2][2] = {
    {LIST_SQL(""), LIST_SQL("tier = ?3 AND")},
    {LIST_SQL("branch_id = ?1 AND"),
     LIST_SQL("branch_id = ?1 AND tier = ?3 AND")}};
#undef LIST_SQL

}  // namespace

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
        db::Stmt s = conn.Prepare(
            kListSql[!branch.empty()][q.tier != v1::CUSTOMER_TIER_UNSPECIFIED]);
        s->bind(1, branch);
        s->bind(2, static_cast<int64_t>(q.after_row));
        s->bind(3, static_cast<int>(q.tier));
        s->bind(4, q.marketing_consent ? (*q.marketing_consent ? 1 : 0) : -1);
        s->bind(5, q.limit);
        return CollectInto(s, out);
      });
}

absl::StatusOr<std::vector<int64_t>> SearchCustomers(db::Connection& conn,
                                                     const SearchQuery& q,
                                                     CustomerList* out) {
  return db::Guard(
      "search customers", [&]() -> absl::StatusOr<std::vector<int64_t>> {
        const char* sql = nullptr;
        std::string gram;
        switch (q.by) {
          case SearchQuery::By::kPhone:
            sql = "SELECT " CUSTOMER_COLUMNS
                  " FROM customers WHERE phone = ?1"
                  " AND (?2 = '' OR branch_id = ?2) AND id > ?3 "
                  "ORDER BY id LIMIT ?4";
            break;
          case SearchQuery::By::kEmail:
            sql = "SELECT " CUSTOMER_COLUMNS
                  " FROM customers WHERE email = ?1"
                  " AND (?2 = '' OR branch_id = ?2) AND id > ?3 "
                  "ORDER BY id LIMIT ?4";
            break;
          case SearchQuery::By::kName:
            // instr() matches the fragment literally: no LIKE
            // wildcards to escape, and it works for Chinese as
            // for Latin names. Two or more characters: walk the
            // posting list (migration 2) of the fragment's
            // rarest character pair in row order. One character
            // has no pair: scan names in row order.
            gram = RarestGram(conn, NameGrams(q.value));
            sql = !gram.empty() ? "SELECT " CUSTOMER_COLUMNS
                                  " FROM customer_name_grams g"
                                  " CROSS JOIN customers c"
                                  " ON c.id = g.customer_row"
                                  " WHERE g.gram = ?5"
                                  " AND g.customer_row > ?3"
                                  " AND instr(c.display_name, ?1) > 0"
                                  " AND (?2 = '' OR c.branch_id = ?2)"
                                  " ORDER BY g.customer_row LIMIT ?4"
                                : "SELECT " CUSTOMER_COLUMNS
                                  " FROM customers"
                                  " WHERE instr(display_name, ?1) > 0"
                                  " AND (?2 = '' OR branch_id = ?2)"
                                  " AND id > ?3 ORDER BY id LIMIT ?4";
            break;
        }
        db::Stmt s = conn.Prepare(sql);
        s->bind(1, q.value);
        s->bind(2, q.branch_scope);
        s->bind(3, static_cast<int64_t>(q.after_row));
        s->bind(4, q.limit);
        if (!gram.empty()) s->bind(5, gram);
        return CollectInto(s, out);
      });
}

absl::StatusOr<std::optional<std::string>> FindCustomerIdByPhone(
    db::Connection& conn, const std::string& phone) {
  return db::Guard(
      "find by phone", [&]() -> absl::StatusOr<std::optional<std::string>> {
        db::Stmt s =
            conn.Prepare("SELECT customer_id FROM customers WHERE phone = ?");
        s->bind(1, phone);
        if (!s->executeStep()) return std::optional<std::string>();
        return std::optional<std::string>(s->getColumn(0).getString());
      });
}

absl::StatusOr<std::vector<StoredCustomer>> ListLapsedTierCustomers(
    db::Connection& conn, int64_t cutoff_micros, int limit) {
  return db::Guard(
      "lapsed tiers", [&]() -> absl::StatusOr<std::vector<StoredCustomer>> {
        // Served by the partial index customers_active_tier.
        db::Stmt s = conn.Prepare("SELECT " CUSTOMER_COLUMNS
                                  " FROM customers WHERE tier > 1"
                                  " AND (last_purchase_time_us IS NULL"
                                  " OR last_purchase_time_us < ?) LIMIT ?");
        s->bind(1, static_cast<int64_t>(cutoff_micros));
        s->bind(2, limit);
        return Collect(s);
      });
}

absl::Status InsertCustomer(db::Connection& conn, StoredCustomer& c) {
  return db::Guard("insert customer", [&] {
    db::Stmt s = conn.Prepare(
        "INSERT INTO customers (revision, customer_id, branch_id, display_name,"
        " phone, email, birthday, gender, preferences, tier, points_balance,"
        " total_spend_minor, currency_code, order_count, last_purchase_time_us,"
        " marketing_consent, notes, create_time_us, update_time_us,"
        " erase_time_us) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
        " ?, ?, ?, ?, ?)");
    BindCustomer(*s, c);
    s->exec();
    c.row = conn.raw().getLastInsertRowid();
    IndexName(conn, c.row, c.customer.display_name(), /*add=*/true);
    return absl::OkStatus();
  });
}

absl::Status UpdateCustomer(db::Connection& conn, const StoredCustomer& c) {
  return db::Guard("update customer", [&] {
    {
      db::Stmt old =
          conn.Prepare("SELECT display_name FROM customers WHERE id = ?");
      old->bind(1, static_cast<int64_t>(c.row));
      if (old->executeStep()) {
        const std::string old_name = old->getColumn(0).getString();
        if (old_name != c.customer.display_name()) {
          IndexName(conn, c.row, old_name, /*add=*/false);
          IndexName(conn, c.row, c.customer.display_name(), /*add=*/true);
        }
      }
    }
    db::Stmt s = conn.Prepare(
        "UPDATE customers SET revision = ?1, customer_id = ?2, branch_id = ?3,"
        " display_name = ?4, phone = ?5, email = ?6, birthday = ?7,"
        " gender = ?8, preferences = ?9, tier = ?10, points_balance = ?11,"
        " total_spend_minor = ?12, currency_code = ?13, order_count = ?14,"
        " last_purchase_time_us = ?15, marketing_consent = ?16, notes = ?17,"
        " create_time_us = ?18, update_time_us = ?19, erase_time_us = ?20"
        " WHERE id = ?21 AND revision = ?1 - 1");
    BindCustomer(*s, c);
    s->bind(21, static_cast<int64_t>(c.row));
    if (s->exec() != 1) {
      // Only the writer thread writes, so this means a bug, not a race.
      return absl::AbortedError("customer changed concurrently");
    }
    return absl::OkStatus();
  });
}

absl::Status InsertPointsTransaction(db::Connection& conn, int64_t customer_row,
                                     const PointsTransaction& t) {
  return db::Guard("insert points", [&] {
    db::Stmt s = conn.Prepare(
        "INSERT INTO points_transactions (transaction_id, customer_row, delta,"
        " balance_after, reason, actor, create_time_us)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)");
    s->bind(1, t.transaction_id());
    s->bind(2, static_cast<int64_t>(customer_row));
    s->bind(3, static_cast<int64_t>(t.delta()));
    s->bind(4, static_cast<int64_t>(t.balance_after()));
    s->bind(5, t.reason());
    s->bind(6, t.actor());
    s->bind(7, static_cast<int64_t>(
                   TimeUtil::TimestampToMicroseconds(t.create_time())));
    s->exec();
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<std::pair<int64_t, PointsTransaction>>>
ListPointsTransactions(db::Connection& conn, int64_t customer_row,
                       int64_t after_row, int limit) {
  using Rows = std::vector<std::pair<int64_t, PointsTransaction>>;
  return db::Guard("list points", [&]() -> absl::StatusOr<Rows> {
    db::Stmt s = conn.Prepare(
        "SELECT p.id, p.transaction_id, c.customer_id, p.delta, "
        "p.balance_after,"
        " p.reason, p.actor, p.create_time_us"
        " FROM points_transactions p JOIN customers c ON c.id = p.customer_row"
        " WHERE p.customer_row = ? AND p.id > ? ORDER BY p.id LIMIT ?");
    s->bind(1, static_cast<int64_t>(customer_row));
    s->bind(2, static_cast<int64_t>(after_row));
    s->bind(3, limit);
    Rows out;
    while (s->executeStep()) {
      PointsTransaction t;
      t.set_transaction_id(s->getColumn(1).getString());
      t.set_customer_id(s->getColumn(2).getString());
      t.set_delta(s->getColumn(3).getInt64());
      t.set_balance_after(s->getColumn(4).getInt64());
      t.set_reason(s->getColumn(5).getString());
      t.set_actor(s->getColumn(6).getString());
      *t.mutable_create_time() =
          TimeUtil::MicrosecondsToTimestamp(s->getColumn(7).getInt64());
      out.emplace_back(s->getColumn(0).getInt64(), std::move(t));
    }
    return out;
  });
}

}  // namespace retail::customers
