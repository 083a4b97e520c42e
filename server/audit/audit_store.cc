#include "server/audit/audit_store.h"

#include <algorithm>
#include <array>
#include <limits>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/db/columns.h"
#include "common/logging.h"
#include "common/status.h"
#include "google/protobuf/util/time_util.h"

namespace retail::audit {
namespace {

using ::google::protobuf::util::TimeUtil;
using ::retail::db::Field;

struct DecodedEntry {
  v1::AuditEntry* entry;
};

// Copies the text once, into the (arena) string of the entry.
void SetText(const Field& f, std::string* to) {
  const absl::string_view t = f.Text();
  to->assign(t.data(), t.size());
}

// audit_log as ListAuditLog reads it. The rows are written by the core
// (common/db/mutation.cc), so nothing here binds.
struct NoWrite {};
constexpr db::Column<NoWrite, DecodedEntry> kAuditColumns[] = {
    {"audit_id", nullptr,
     [](const Field& f, DecodedEntry& o) { o.entry->set_audit_id(f.Int64()); }},
    {"create_time_us", nullptr,
     [](const Field& f, DecodedEntry& o) {
       *o.entry->mutable_create_time() =
           TimeUtil::MicrosecondsToTimestamp(f.Int64());
     }},
    {"principal_id", nullptr,
     [](const Field& f, DecodedEntry& o) {
       SetText(f, o.entry->mutable_principal());
     }},
    {"role", nullptr,
     [](const Field& f, DecodedEntry& o) {
       SetText(f, o.entry->mutable_role());
     }},
    {"staff_id", nullptr,
     [](const Field& f, DecodedEntry& o) {
       SetText(f, o.entry->mutable_staff_id());
     }},
    {"method", nullptr,
     [](const Field& f, DecodedEntry& o) {
       SetText(f, o.entry->mutable_method());
     }},
    {"resource", nullptr,
     [](const Field& f, DecodedEntry& o) {
       SetText(f, o.entry->mutable_resource());
     }},
    {"request_id", nullptr,
     [](const Field& f, DecodedEntry& o) {
       SetText(f, o.entry->mutable_request_id());
     }},
    {"outcome", nullptr,
     [](const Field& f, DecodedEntry& o) {
       SetText(f, o.entry->mutable_outcome());
     }},
    {"detail", nullptr,
     [](const Field& f, DecodedEntry& o) {
       SetText(f, o.entry->mutable_detail());
     }},
    {"count", nullptr,
     [](const Field& f, DecodedEntry& o) { o.entry->set_count(f.Int64()); }},
};
using AuditColumns = db::ColumnSet<kAuditColumns>;

// Result columns the filters and the key read before a row is decoded
// (positions in kAuditColumns).
constexpr int kIdCol = 0, kTimeCol = 1, kPrincipalCol = 2, kMethodCol = 5,
              kResourceCol = 6, kOutcomeCol = 8;

// Every known outcome word fits one UNION ALL arm each (OK, REPLAYED,
// REVEAL and the 16 failure codes).
constexpr int kMaxOutcomeArms = 19;

// ?1 lower time bound, ?2 and ?3 the upper key (time, id) inclusive of the
// time and exclusive of the id, so that both the end of the time range and
// the page token are one index range; ?4... the driving value(s). SQLite is
// told the index (INDEXED BY); PostgreSQL has no such clause and chooses.
std::string Arm(db::Engine engine, absl::string_view index,
                absl::string_view driver) {
  const bool pg = engine == db::Engine::kPostgres;
  return absl::StrCat("SELECT ", AuditColumns::SelectList(), " FROM audit_log",
                      pg ? "" : " INDEXED BY ", pg ? "" : index, " WHERE ",
                      driver, driver.empty() ? "" : " AND ",
                      "create_time_us >= ?1 AND create_time_us <= ?2 AND "
                      "(create_time_us < ?2 OR audit_id < ?3)");
}
constexpr char kOrder[] = " ORDER BY create_time_us DESC, audit_id DESC";

// Which index walks the rows. Each one yields them in the list's order, so
// the other filters are checked on the rows as they come.
enum class Driver { kTime, kResource, kOutcomes };

struct Sql {
  explicit Sql(db::Engine engine) : engine(engine) {}
  db::Engine engine;
  std::string by_time = absl::StrCat(Arm(engine, "audit_by_time", ""), kOrder);
  // The partial indexes are used only when the WHERE repeats their
  // condition word for word.
  std::string by_resource = absl::StrCat(
      Arm(engine, "audit_by_resource", "resource = ?4 AND resource <> ''"),
      kOrder);
  // [k-1]: k outcomes, merged newest first by SQLite's compound ORDER BY
  // (each arm is already in order, so no sort).
  std::array<std::string, kMaxOutcomeArms> by_outcomes = [this] {
    std::array<std::string, kMaxOutcomeArms> out;
    std::vector<std::string> arms;
    for (int k = 0; k < kMaxOutcomeArms; ++k) {
      arms.push_back(
          Arm(engine, "audit_by_outcome",
              absl::StrCat("outcome = ?", 4 + k, " AND outcome <> 'OK'")));
      out[k] = absl::StrCat(absl::StrJoin(arms, " UNION ALL "), kOrder);
    }
    return out;
  }();
  // Retention: walks audit_by_time from its oldest entry and stops at
  // `limit` rows or the cutoff. max(audit_id) is one step down the rowid
  // tree (SQLite) or the identity's index (PostgreSQL). PostgreSQL is told
  // the cutoff on the outer DELETE too, so that it looks for the ids only
  // in the partitions below it, not in every month's.
  std::string prune = absl::StrCat(
      "DELETE FROM audit_log WHERE ",
      engine == db::Engine::kPostgres ? "create_time_us < ?1 AND " : "",
      "audit_id IN (SELECT audit_id FROM audit_log",
      engine == db::Engine::kPostgres ? "" : " INDEXED BY audit_by_time",
      " WHERE create_time_us < ?1"
      " AND audit_id < (SELECT max(audit_id) FROM audit_log)"
      " ORDER BY create_time_us LIMIT ?2)");
};

const Sql& Statements(db::Engine engine) {
  static const Sql* const kSqlite = new Sql(db::Engine::kSqlite);
  static const Sql* const kPostgres = new Sql(db::Engine::kPostgres);
  return engine == db::Engine::kPostgres ? *kPostgres : *kSqlite;
}

Driver ChooseDriver(const AuditQuery& q) {
  // Most selective first: one resource's rows are few; rows that are not
  // OK are rare by design. Principal and method have no index
  // (audit_schema.cc): the time index walks, within the time range.
  if (!q.resource.empty()) return Driver::kResource;
  const bool outcomes_indexed =
      !q.outcomes.empty() &&
      static_cast<int>(q.outcomes.size()) <= kMaxOutcomeArms &&
      std::none_of(q.outcomes.begin(), q.outcomes.end(),
                   [](const std::string& o) { return o == "OK"; });
  if (outcomes_indexed) return Driver::kOutcomes;
  return Driver::kTime;
}

}  // namespace

absl::StatusOr<AuditPage> ListAuditLog(
    db::Connection& conn, const AuditQuery& q,
    google::protobuf::RepeatedPtrField<v1::AuditEntry>* out) {
  return db::Guard("list audit log", [&]() -> absl::StatusOr<AuditPage> {
    constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
    // The upper key: the end of the range (exclusive, so its last
    // microsecond inclusive) or the page token's key, whichever is lower.
    AuditKey upper{kMax, kMax};
    if (q.end_us) upper = {*q.end_us - 1, kMax};
    if (q.after && *q.after < upper) upper = *q.after;

    const Driver driver = ChooseDriver(q);
    const Sql& sql = Statements(conn.engine());
    db::Stmt s = conn.Prepare(driver == Driver::kResource ? sql.by_resource
                              : driver == Driver::kOutcomes
                                  ? sql.by_outcomes[q.outcomes.size() - 1]
                                  : sql.by_time);
    s->Bind(1, q.start_us.value_or(std::numeric_limits<int64_t>::min()));
    s->Bind(2, upper.first);
    s->Bind(3, upper.second);
    if (driver == Driver::kResource) s->Bind(4, q.resource);
    if (driver == Driver::kOutcomes) {
      for (size_t i = 0; i < q.outcomes.size(); ++i) {
        s->Bind(static_cast<int>(4 + i), q.outcomes[i]);
      }
    }

    AuditPage page;
    AuditKey last_returned;
    int returned = 0;
    const absl::Time deadline = absl::Now() + q.time_budget;
    const db::Statement& row = *s;
    while (s->Step()) {
      ++page.rows_read;
      const AuditKey key{row.Int64(kTimeCol), row.Int64(kIdCol)};
      const absl::string_view method = row.Text(kMethodCol);
      const absl::string_view outcome = row.Text(kOutcomeCol);
      const bool match =
          (q.principal.empty() || row.Text(kPrincipalCol) == q.principal) &&
          (q.resource.empty() || row.Text(kResourceCol) == q.resource) &&
          (q.method.empty() ||
           (q.method_is_prefix ? absl::StartsWith(method, q.method)
                               : method == q.method)) &&
          (q.outcomes.empty() || std::find(q.outcomes.begin(), q.outcomes.end(),
                                           outcome) != q.outcomes.end());
      if (match) {
        if (returned == q.page_size) {
          // A row beyond the page: there is a next page, from the last
          // row shown.
          page.next = last_returned;
          return page;
        }
        DecodedEntry decoded{out->Add()};
        AuditColumns::Read(s, decoded);
        ++returned;
        last_returned = key;
      }
      if (page.rows_read >= q.scan_budget ||
          (page.rows_read % 256 == 0 && absl::Now() >= deadline)) {
        // Out of budget: the next call goes on below the last row read,
        // whether or not it matched.
        page.next = key;
        return page;
      }
    }
    return page;
  });
}

absl::StatusOr<int> PruneAuditLog(db::Connection& conn, int64_t cutoff_micros,
                                  int limit) {
  return db::Guard("prune audit log", [&]() -> absl::StatusOr<int> {
    // The subquery walks audit_by_time from its oldest entry and stops at
    // `limit` rows or the cutoff: one index range per slice, however large
    // the log. max(audit_id) is one step down the rowid tree.
    db::Stmt d = conn.Prepare(Statements(conn.engine()).prune);
    d->Bind(1, static_cast<int64_t>(cutoff_micros));
    d->Bind(2, limit);
    return d->Exec();
  });
}

absl::StatusOr<int> PruneAuditMonths(db::Connection& conn,
                                     int64_t cutoff_micros, int limit) {
  return db::Guard("prune audit months", [&]() -> absl::StatusOr<int> {
    // The first microsecond of the cutoff's UTC month: a month that ends by
    // then holds only rows past retention.
    int64_t before = 0;
    {
      db::Stmt m = conn.Prepare("SELECT retail_month_start_us(?1)");
      m->Bind(1, static_cast<int64_t>(cutoff_micros));
      m->Step();
      before = m->Int64(0);
    }
    {
      db::Stmt drop = conn.Prepare(
          "SELECT * FROM retail_drop_partitions_before('audit_log', ?1)");
      drop->Bind(1, before);
      while (drop->Step()) {
        RETAIL_LOG(INFO) << "audit retention: dropping partition "
                         << drop->String(0);
      }
    }
    // Below `before` only the DEFAULT partition can still hold rows (those
    // no month covered when written): row by row, by the same rule.
    return PruneAuditLog(conn, before, limit);
  });
}

}  // namespace retail::audit
