#include "server/complaints/complaint_store.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/db/columns.h"
#include "common/status.h"
#include "google/protobuf/util/time_util.h"

namespace retail::complaints {
namespace {

using ::google::protobuf::util::TimeUtil;
using ::retail::db::Field;
using ::retail::db::Param;
using SC = StoredComplaint;

int64_t Micros(const google::protobuf::Timestamp& t) {
  return TimeUtil::TimestampToMicroseconds(t);
}
google::protobuf::Timestamp Ts(int64_t us) {
  return TimeUtil::MicrosecondsToTimestamp(us);
}
void Opt(Param p, const std::optional<int64_t>& v) {
  if (v) {
    p.Int64(*v);
  } else {
    p.Null();
  }
}
std::optional<int64_t> Opt(const Field& f) {
  if (f.IsNull()) return std::nullopt;
  return f.Int64();
}
void SetText(const Field& f, std::string* out) {
  const absl::string_view t = f.Text();
  out->assign(t.data(), t.size());
}

// The complaints table, listed once.
constexpr db::Column<SC, SC> kColumns[] = {
    {"id", nullptr, [](const Field& f, SC& s) { s.row = f.Int64(); }},
    {"complaint_id", [](Param p, const SC& s) { p.Text(s.c.complaint_id()); },
     [](const Field& f, SC& s) { SetText(f, s.c.mutable_complaint_id()); }},
    {"revision", [](Param p, const SC& s) { p.Int64(s.revision); },
     [](const Field& f, SC& s) { s.revision = f.Int64(); }},
    {"customer_id", [](Param p, const SC& s) { p.Text(s.c.customer_id()); },
     [](const Field& f, SC& s) { SetText(f, s.c.mutable_customer_id()); }},
    {"branch_id", [](Param p, const SC& s) { p.Text(s.c.branch_id()); },
     [](const Field& f, SC& s) { SetText(f, s.c.mutable_branch_id()); }},
    {"order_id", [](Param p, const SC& s) { p.Text(s.c.order_id()); },
     [](const Field& f, SC& s) { SetText(f, s.c.mutable_order_id()); }},
    {"channel", [](Param p, const SC& s) { p.Int(s.c.channel()); },
     [](const Field& f, SC& s) {
       s.c.set_channel(static_cast<v1::ComplaintChannel>(f.Int()));
     }},
    {"category", [](Param p, const SC& s) { p.Int(s.c.category()); },
     [](const Field& f, SC& s) {
       s.c.set_category(static_cast<v1::ComplaintCategory>(f.Int()));
     }},
    {"severity", [](Param p, const SC& s) { p.Int(s.c.severity()); },
     [](const Field& f, SC& s) {
       s.c.set_severity(static_cast<v1::ComplaintSeverity>(f.Int()));
     }},
    {"subject", [](Param p, const SC& s) { p.Text(s.c.subject()); },
     [](const Field& f, SC& s) { SetText(f, s.c.mutable_subject()); }},
    {"description", [](Param p, const SC& s) { p.Text(s.c.description()); },
     [](const Field& f, SC& s) { SetText(f, s.c.mutable_description()); }},
    {"status", [](Param p, const SC& s) { p.Int(s.c.status()); },
     [](const Field& f, SC& s) {
       s.c.set_status(static_cast<v1::ComplaintStatus>(f.Int()));
     }},
    {"resume_status", [](Param p, const SC& s) { p.Int(s.resume_status); },
     [](const Field& f, SC& s) {
       s.resume_status = static_cast<v1::ComplaintStatus>(f.Int());
     }},
    {"owner_id", [](Param p, const SC& s) { p.Text(s.c.owner_id()); },
     [](const Field& f, SC& s) { SetText(f, s.c.mutable_owner_id()); }},
    {"team", [](Param p, const SC& s) { p.Text(s.c.team()); },
     [](const Field& f, SC& s) { SetText(f, s.c.mutable_team()); }},
    {"escalation_level",
     [](Param p, const SC& s) { p.Int(s.c.escalation_level()); },
     [](const Field& f, SC& s) { s.c.set_escalation_level(f.Int()); }},
    {"reopen_count", [](Param p, const SC& s) { p.Int(s.c.reopen_count()); },
     [](const Field& f, SC& s) { s.c.set_reopen_count(f.Int()); }},
    {"failed_contacts",
     [](Param p, const SC& s) { p.Int(s.c.failed_contact_attempts()); },
     [](const Field& f, SC& s) { s.c.set_failed_contact_attempts(f.Int()); }},
    {"closed_ever", [](Param p, const SC& s) { p.Bool(s.closed_ever); },
     [](const Field& f, SC& s) { s.closed_ever = f.Bool(); }},
    {"sla_policy_version",
     [](Param p, const SC& s) { p.Int64(s.c.sla_policy_version()); },
     [](const Field& f, SC& s) { s.c.set_sla_policy_version(f.Int64()); }},
    {"solution",
     [](Param p, const SC& s) {
       p.Blob(s.c.has_solution() ? s.c.solution().SerializeAsString()
                                 : std::string());
     },
     [](const Field& f, SC& s) {
       const absl::string_view b = f.Blob();
       if (!b.empty()) {
         s.c.mutable_solution()->ParseFromArray(b.data(),
                                                static_cast<int>(b.size()));
       }
     }},
    {"confirmation", [](Param p, const SC& s) { p.Int(s.c.confirmation()); },
     [](const Field& f, SC& s) {
       s.c.set_confirmation(static_cast<v1::Confirmation>(f.Int()));
     }},
    {"satisfaction_score",
     [](Param p, const SC& s) { p.Int(s.c.satisfaction_score()); },
     [](const Field& f, SC& s) { s.c.set_satisfaction_score(f.Int()); }},
    // One per line: an English keyword may hold a space ("too small"),
    // never a line break (schema version 4 rewrote older rows).
    {"topics",
     [](Param p, const SC& s) { p.Text(absl::StrJoin(s.c.topics(), "\n")); },
     [](const Field& f, SC& s) {
       for (absl::string_view t :
            absl::StrSplit(f.Text(), '\n', absl::SkipEmpty()))
         s.c.add_topics(std::string(t));
     }},
    {"keywords",
     [](Param p, const SC& s) { p.Text(absl::StrJoin(s.c.keywords(), "\n")); },
     [](const Field& f, SC& s) {
       for (absl::string_view k :
            absl::StrSplit(f.Text(), '\n', absl::SkipEmpty()))
         s.c.add_keywords(std::string(k));
     }},
    {"text_erased", [](Param p, const SC& s) { p.Bool(s.c.text_erased()); },
     [](const Field& f, SC& s) { s.c.set_text_erased(f.Bool()); }},
    {"create_time_us",
     [](Param p, const SC& s) { p.Int64(Micros(s.c.create_time())); },
     [](const Field& f, SC& s) { *s.c.mutable_create_time() = Ts(f.Int64()); }},
    {"update_time_us",
     [](Param p, const SC& s) { p.Int64(Micros(s.c.update_time())); },
     [](const Field& f, SC& s) { *s.c.mutable_update_time() = Ts(f.Int64()); }},
    {"close_time_us",
     [](Param p, const SC& s) {
       Opt(p, s.c.has_close_time()
                  ? std::optional<int64_t>(Micros(s.c.close_time()))
                  : std::nullopt);
     },
     [](const Field& f, SC& s) {
       if (!f.IsNull()) *s.c.mutable_close_time() = Ts(f.Int64());
     }},
    {"next_due_us", [](Param p, const SC& s) { Opt(p, s.next_due_us); },
     [](const Field& f, SC& s) { s.next_due_us = Opt(f); }},
    {"next_sweep_us", [](Param p, const SC& s) { Opt(p, s.next_sweep_us); },
     [](const Field& f, SC& s) { s.next_sweep_us = Opt(f); }},
    {"breached", [](Param p, const SC& s) { p.Bool(s.breached); },
     [](const Field& f, SC& s) { s.breached = f.Bool(); }},
    {"feedback_id", [](Param p, const SC& s) { p.Text(s.c.feedback_id()); },
     [](const Field& f, SC& s) { SetText(f, s.c.mutable_feedback_id()); }},
};
using Columns = db::ColumnSet<kColumns>;

// complaint_clocks, written and read whole.
constexpr char kClockColumns[] =
    "kind, business_hours, target_us, run_start_us, segment_start_us, "
    "used_us, due_us, paused_since_us, paused_us, stop_us, near_breach, "
    "breach_marked";

void BindClock(db::Stmt& s, int first, const ClockRow& c) {
  s->Bind(first, static_cast<int>(c.kind));
  s->Bind(first + 1, c.business_hours ? 1 : 0);
  s->Bind(first + 2, static_cast<int64_t>(c.target_us));
  s->Bind(first + 3, static_cast<int64_t>(c.run_start_us));
  s->Bind(first + 4, static_cast<int64_t>(c.segment_start_us));
  s->Bind(first + 5, static_cast<int64_t>(c.used_us));
  s->Bind(first + 6, static_cast<int64_t>(c.due_us));
  if (c.paused_since_us) {
    s->Bind(first + 7, static_cast<int64_t>(*c.paused_since_us));
  } else {
    s->Bind(first + 7);
  }
  s->Bind(first + 8, static_cast<int64_t>(c.paused_us));
  if (c.stop_us) {
    s->Bind(first + 9, static_cast<int64_t>(*c.stop_us));
  } else {
    s->Bind(first + 9);
  }
  s->Bind(first + 10, c.near_breach ? 1 : 0);
  s->Bind(first + 11, c.breach_marked ? 1 : 0);
}

ClockRow ReadClock(const db::Statement& r, int first) {
  ClockRow c;
  c.kind = static_cast<v1::ClockKind>(r.Int(first));
  c.business_hours = r.Int(first + 1) != 0;
  c.target_us = r.Int64(first + 2);
  c.run_start_us = r.Int64(first + 3);
  c.segment_start_us = r.Int64(first + 4);
  c.used_us = r.Int64(first + 5);
  c.due_us = r.Int64(first + 6);
  if (!r.IsNull(first + 7)) c.paused_since_us = r.Int64(first + 7);
  c.paused_us = r.Int64(first + 8);
  if (!r.IsNull(first + 9)) c.stop_us = r.Int64(first + 9);
  c.near_breach = r.Int(first + 10) != 0;
  c.breach_marked = r.Int(first + 11) != 0;
  return c;
}

struct Statements {
  std::string get;
  std::string clocks;
  std::string list_by_id;
  std::string list_by_due;
  std::string by_customer;
  std::string sweep;
  std::string insert;
  std::string update;
  std::string upsert_clock;
  std::string reschedule;
  std::string closed;
  std::string insert_history;
  std::string list_history;
  std::string erase_history;
  std::string insert_keyword;
  std::string policy_latest;
  std::string policy_version;
  std::string insert_policy;
  std::string get_calendar;
  std::string upsert_calendar;
  std::string stats_complaints;
  std::string stats_clocks;
  std::string stats_keywords;
};

constexpr char kStatsRange[] =
    " FROM complaints WHERE create_time_us >= ?1 AND create_time_us < ?2"
    " AND (?3 = '' OR branch_id = ?3)";

// The filters every list shares, after the keyset condition. ?1 branch,
// ?2 status, ?3 owner, ?4 category, ?5 severity, ?6 breached (-1 any),
// ?7 min escalation, ?8 due before (NULL: any), ?12 now.
constexpr char kListFilters[] =
    " (?1 = '' OR branch_id = ?1) AND (?2 = 0 OR status = ?2)"
    " AND (?3 = '' OR owner_id = ?3) AND (?4 = 0 OR category = ?4)"
    " AND (?5 = 0 OR severity = ?5)"
    // Breached: marked (a clock stopped, paused or swept past its target),
    // or a running clock past its due time now, before the sweep has come.
    // A CASE, not the comparison itself: PostgreSQL's is a boolean, which
    // does not compare with an integer.
    " AND (?6 < 0 OR CASE WHEN breached = 1 OR (next_due_us IS NOT NULL"
    "  AND next_due_us < ?12) THEN 1 ELSE 0 END = ?6)"
    " AND escalation_level >= ?7"
    " AND (?8 IS NULL OR next_due_us < ?8)";

// The clock columns after the key, each set from the row offered: the
// upsert's SET list.
std::string ClockAssignments() {
  std::vector<std::string> sets;
  for (absl::string_view c : absl::StrSplit(kClockColumns, ", ")) {
    if (c == "kind") continue;
    sets.push_back(absl::StrCat(c, " = excluded.", c));
  }
  return absl::StrJoin(sets, ", ");
}

// `engine` changes only what the dialects spell differently: SQLite's
// CROSS JOIN (which fixes the join order there) is a plain JOIN on
// PostgreSQL.
Statements Build(db::Engine engine) {
  const bool pg = engine == db::Engine::kPostgres;
  const std::string cols = Columns::SelectList();
  Statements s;
  s.get = absl::StrCat("SELECT ", cols,
                       " FROM complaints WHERE complaint_id = ?1"
                       " AND (?2 = '' OR branch_id = ?2)");
  s.clocks = absl::StrCat("SELECT ", kClockColumns,
                          " FROM complaint_clocks WHERE complaint_row = ?1"
                          " ORDER BY kind");
  s.list_by_id =
      absl::StrCat("SELECT ", cols, " FROM complaints WHERE", kListFilters,
                   " AND id > ?9 ORDER BY id LIMIT ?11");
  // What burns next: (next_due_us, id) keyset over the partial due
  // indexes; complaints with no running clock have no next_due_us.
  s.list_by_due = absl::StrCat(
      "SELECT ", cols, " FROM complaints WHERE next_due_us IS NOT NULL AND",
      kListFilters,
      " AND (next_due_us > ?10 OR (next_due_us = ?10 AND id > ?9))"
      " ORDER BY next_due_us, id LIMIT ?11");
  s.by_customer =
      "SELECT complaint_id FROM complaints WHERE customer_id = ?1 ORDER BY id";
  s.sweep =
      "SELECT complaint_id FROM complaints WHERE next_sweep_us IS NOT NULL"
      " AND next_sweep_us <= ?1 ORDER BY next_sweep_us LIMIT ?2";
  s.insert = Columns::InsertInto("complaints");
  s.update =
      absl::StrCat("UPDATE complaints SET ", Columns::Assignments(),
                   " WHERE id = ?", Columns::kParams + 1, " AND revision = ?",
                   Columns::ParamOf("revision"), " - 1");
  s.upsert_clock = absl::StrCat(
      "INSERT INTO complaint_clocks (complaint_row, ", kClockColumns,
      ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
      " ON CONFLICT (complaint_row, kind) DO UPDATE SET ",
      ClockAssignments());
  s.reschedule = "UPDATE complaints SET next_sweep_us = ?2 WHERE id = ?1";
  // Served by complaints_by_closed (schema version 2).
  s.closed =
      "SELECT id, complaint_id, customer_id, branch_id, close_time_us"
      " FROM complaints WHERE close_time_us IS NOT NULL AND status = 7"
      " AND close_time_us >= ?1 AND close_time_us < ?2"
      " AND (close_time_us > ?3 OR (close_time_us = ?3 AND id > ?4))"
      " ORDER BY close_time_us, id LIMIT ?5";
  s.insert_history =
      "INSERT INTO complaint_history (entry_id, complaint_row, kind,"
      " from_status, to_status, actor, staff_id, time_us, text, owner_id,"
      " team, clock, escalation_level) VALUES"
      " (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";
  s.list_history =
      "SELECT id, entry_id, kind, from_status, to_status, actor, staff_id,"
      " time_us, text, owner_id, team, clock, escalation_level"
      " FROM complaint_history WHERE complaint_row = ?1 AND id > ?2"
      " ORDER BY id LIMIT ?3";
  s.erase_history =
      "UPDATE complaint_history SET text = '' WHERE complaint_row = ?1";
  s.insert_keyword =
      "INSERT INTO complaint_keywords (complaint_row, keyword, topic,"
      " category, branch_id, create_time_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
      " ON CONFLICT DO NOTHING";
  s.policy_latest =
      "SELECT body FROM complaint_sla_policies ORDER BY version DESC LIMIT 1";
  s.policy_version =
      "SELECT body FROM complaint_sla_policies WHERE version = ?1";
  s.insert_policy =
      "INSERT INTO complaint_sla_policies (version, body, create_time_us)"
      " VALUES (?1, ?2, ?3)";
  s.get_calendar = "SELECT body FROM branch_calendars WHERE branch_id = ?1";
  s.upsert_calendar =
      "INSERT INTO branch_calendars (branch_id, body, update_time_us,"
      " revision) VALUES (?1, ?2, ?3, 1) ON CONFLICT (branch_id) DO UPDATE SET"
      " body = excluded.body, update_time_us = excluded.update_time_us,"
      " revision = branch_calendars.revision + 1 RETURNING revision";
  s.stats_complaints = absl::StrCat(
      "SELECT category, severity, channel, status, reopen_count,"
      " closed_ever, satisfaction_score",
      kStatsRange);
  s.stats_clocks = absl::StrCat(
      "SELECT k.", absl::StrJoin(absl::StrSplit(kClockColumns, ", "), ", k."),
      ", c.branch_id FROM complaints c", pg ? " JOIN " : " CROSS JOIN ",
      "complaint_clocks k"
      " ON k.complaint_row = c.id WHERE c.create_time_us >= ?1"
      " AND c.create_time_us < ?2 AND (?3 = '' OR c.branch_id = ?3)");
  s.stats_keywords =
      "SELECT category, keyword, topic FROM complaint_keywords"
      " WHERE create_time_us >= ?1 AND create_time_us < ?2"
      " AND (?3 = '' OR branch_id = ?3)";
  return s;
}

const Statements& Sql(db::Engine engine) {
  static const Statements* const sqlite =
      new Statements(Build(db::Engine::kSqlite));
  static const Statements* const postgres =
      new Statements(Build(db::Engine::kPostgres));
  return engine == db::Engine::kPostgres ? *postgres : *sqlite;
}

absl::Status ReadClocks(db::Connection& conn, StoredComplaint& sc) {
  db::Stmt s = conn.Prepare(Sql(conn.engine()).clocks);
  s->Bind(1, static_cast<int64_t>(sc.row));
  int n = 0;
  const db::Statement& r = *s;
  while (s->Step()) {
    ClockRow c = ReadClock(r, 0);
    if (c.kind < 1 || c.kind > 3) continue;
    sc.clocks[c.kind - 1] = c;
    ++n;
  }
  if (n != 3) {
    return absl::DataLossError(absl::StrCat("complaint '", sc.c.complaint_id(),
                                            "' has ", n, " clocks, not 3"));
  }
  return absl::OkStatus();
}

absl::Status WriteClocks(db::Connection& conn, const StoredComplaint& sc) {
  for (const ClockRow& c : sc.clocks) {
    db::Stmt s = conn.Prepare(Sql(conn.engine()).upsert_clock);
    s->Bind(1, static_cast<int64_t>(sc.row));
    BindClock(s, 2, c);
    s->Exec();
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<StoredComplaint> GetComplaint(db::Connection& conn,
                                             const std::string& complaint_id,
                                             const std::string& branch_scope) {
  return db::Guard("get complaint", [&]() -> absl::StatusOr<StoredComplaint> {
    db::Stmt s = conn.Prepare(Sql(conn.engine()).get);
    s->Bind(1, complaint_id);
    s->Bind(2, branch_scope);
    if (!s->Step()) {
      // Same answer for "missing" and "another branch's".
      return absl::NotFoundError(
          absl::StrCat("complaint '", complaint_id, "' not found"));
    }
    StoredComplaint sc;
    Columns::Read(s, sc);
    RETURN_IF_ERROR(ReadClocks(conn, sc));
    return sc;
  });
}

absl::StatusOr<std::vector<StoredComplaint>> ListComplaints(
    db::Connection& conn, const ComplaintQuery& q) {
  return db::Guard(
      "list complaints", [&]() -> absl::StatusOr<std::vector<StoredComplaint>> {
        std::string branch = q.branch_id;
        if (!q.branch_scope.empty()) {
          if (!branch.empty() && branch != q.branch_scope) {
            return std::vector<StoredComplaint>{};
          }
          branch = q.branch_scope;
        }
        db::Stmt s = conn.Prepare(q.by_due ? Sql(conn.engine()).list_by_due
                                           : Sql(conn.engine()).list_by_id);
        s->Bind(1, branch);
        s->Bind(2, static_cast<int>(q.status));
        s->Bind(3, q.owner_id);
        s->Bind(4, static_cast<int>(q.category));
        s->Bind(5, static_cast<int>(q.severity));
        s->Bind(6, q.breached ? (*q.breached ? 1 : 0) : -1);
        s->Bind(7, q.min_escalation_level);
        if (q.due_before_us) {
          s->Bind(8, static_cast<int64_t>(*q.due_before_us));
        } else {
          s->Bind(8);
        }
        s->Bind(9, static_cast<int64_t>(q.after_id));
        if (q.by_due) s->Bind(10, static_cast<int64_t>(q.after_due_us));
        s->Bind(11, q.limit);
        s->Bind(12, static_cast<int64_t>(q.now_us));
        std::vector<StoredComplaint> out;
        while (s->Step()) {
          StoredComplaint& sc = out.emplace_back();
          Columns::Read(s, sc);
        }
        for (StoredComplaint& sc : out) RETURN_IF_ERROR(ReadClocks(conn, sc));
        return out;
      });
}

absl::StatusOr<std::vector<std::string>> ListCustomerComplaintIds(
    db::Connection& conn, const std::string& customer_id) {
  return db::Guard("customer complaints",
                   [&]() -> absl::StatusOr<std::vector<std::string>> {
                     db::Stmt s = conn.Prepare(Sql(conn.engine()).by_customer);
                     s->Bind(1, customer_id);
                     std::vector<std::string> ids;
                     while (s->Step()) ids.push_back(s->String(0));
                     return ids;
                   });
}

absl::StatusOr<std::vector<std::string>> DueForSweep(db::Connection& conn,
                                                     int64_t now_us,
                                                     int limit) {
  return db::Guard("complaints due for sweep",
                   [&]() -> absl::StatusOr<std::vector<std::string>> {
                     db::Stmt s = conn.Prepare(Sql(conn.engine()).sweep);
                     s->Bind(1, static_cast<int64_t>(now_us));
                     s->Bind(2, limit);
                     std::vector<std::string> ids;
                     while (s->Step()) ids.push_back(s->String(0));
                     return ids;
                   });
}

absl::Status InsertComplaint(db::Connection& conn, StoredComplaint& sc) {
  return db::Guard("insert complaint", [&] {
    db::Stmt s = conn.PrepareInsert(Sql(conn.engine()).insert);
    Columns::Bind(s, sc);
    sc.row = conn.ExecInsert(s);
    return WriteClocks(conn, sc);
  });
}

absl::Status UpdateComplaint(db::Connection& conn, const StoredComplaint& sc) {
  return db::Guard("update complaint", [&] {
    db::Stmt s = conn.Prepare(Sql(conn.engine()).update);
    Columns::Bind(s, sc);
    s->Bind(Columns::kParams + 1, static_cast<int64_t>(sc.row));
    if (s->Exec() != 1) {
      // Only the writer thread writes, so this means a bug, not a race.
      return absl::AbortedError("complaint changed concurrently");
    }
    return WriteClocks(conn, sc);
  });
}

absl::Status RescheduleSweep(db::Connection& conn, const StoredComplaint& sc) {
  return db::Guard("reschedule complaint sweep", [&] {
    db::Stmt s = conn.Prepare(Sql(conn.engine()).reschedule);
    s->Bind(1, static_cast<int64_t>(sc.row));
    if (sc.next_sweep_us) {
      s->Bind(2, static_cast<int64_t>(*sc.next_sweep_us));
    } else {
      s->Bind(2);
    }
    s->Exec();
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<ClosedRow>> ListClosed(
    db::Connection& conn, int64_t from_us, int64_t to_us,
    int64_t after_close_us, int64_t after_row, int limit) {
  return db::Guard("closed complaints",
                   [&]() -> absl::StatusOr<std::vector<ClosedRow>> {
                     db::Stmt s = conn.Prepare(Sql(conn.engine()).closed);
                     s->Bind(1, static_cast<int64_t>(from_us));
                     s->Bind(2, static_cast<int64_t>(to_us));
                     s->Bind(3, static_cast<int64_t>(after_close_us));
                     s->Bind(4, static_cast<int64_t>(after_row));
                     s->Bind(5, limit);
                     std::vector<ClosedRow> out;
                     while (s->Step()) {
                       out.push_back({s->Int64(0), s->String(1), s->String(2),
                                      s->String(3), s->Int64(4)});
                     }
                     return out;
                   });
}

absl::Status InsertHistory(db::Connection& conn, int64_t complaint_row,
                           const v1::HistoryEntry& e) {
  return db::Guard("insert complaint history", [&] {
    db::Stmt s = conn.Prepare(Sql(conn.engine()).insert_history);
    s->Bind(1, e.entry_id());
    s->Bind(2, static_cast<int64_t>(complaint_row));
    s->Bind(3, static_cast<int>(e.kind()));
    s->Bind(4, static_cast<int>(e.from_status()));
    s->Bind(5, static_cast<int>(e.to_status()));
    s->Bind(6, e.actor());
    s->Bind(7, e.staff_id());
    s->Bind(8, static_cast<int64_t>(Micros(e.time())));
    s->Bind(9, e.text());
    s->Bind(10, e.owner_id());
    s->Bind(11, e.team());
    s->Bind(12, static_cast<int>(e.clock()));
    s->Bind(13, e.escalation_level());
    s->Exec();
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<int64_t>> ListHistory(
    db::Connection& conn, int64_t complaint_row, int64_t after, int limit,
    google::protobuf::RepeatedPtrField<v1::HistoryEntry>* out) {
  return db::Guard(
      "list complaint history", [&]() -> absl::StatusOr<std::vector<int64_t>> {
        db::Stmt s = conn.Prepare(Sql(conn.engine()).list_history);
        s->Bind(1, static_cast<int64_t>(complaint_row));
        s->Bind(2, static_cast<int64_t>(after));
        s->Bind(3, limit);
        std::vector<int64_t> rows;
        while (s->Step()) {
          rows.push_back(s->Int64(0));
          v1::HistoryEntry* e = out->Add();
          e->set_entry_id(s->String(1));
          e->set_kind(static_cast<v1::HistoryKind>(s->Int(2)));
          e->set_from_status(static_cast<v1::ComplaintStatus>(s->Int(3)));
          e->set_to_status(static_cast<v1::ComplaintStatus>(s->Int(4)));
          e->set_actor(s->String(5));
          e->set_staff_id(s->String(6));
          *e->mutable_time() = Ts(s->Int64(7));
          e->set_text(s->String(8));
          e->set_owner_id(s->String(9));
          e->set_team(s->String(10));
          e->set_clock(static_cast<v1::ClockKind>(s->Int(11)));
          e->set_escalation_level(s->Int(12));
        }
        return rows;
      });
}

absl::Status EraseHistoryText(db::Connection& conn, int64_t complaint_row) {
  return db::Guard("erase complaint history", [&] {
    db::Stmt s = conn.Prepare(Sql(conn.engine()).erase_history);
    s->Bind(1, static_cast<int64_t>(complaint_row));
    s->Exec();
    return absl::OkStatus();
  });
}

absl::Status InsertKeywords(db::Connection& conn, const StoredComplaint& sc,
                            const std::vector<KeywordRow>& keywords) {
  return db::Guard("insert complaint keywords", [&] {
    for (const KeywordRow& k : keywords) {
      db::Stmt s = conn.Prepare(Sql(conn.engine()).insert_keyword);
      s->Bind(1, static_cast<int64_t>(sc.row));
      s->Bind(2, k.keyword);
      s->Bind(3, k.topic);
      s->Bind(4, static_cast<int>(sc.c.category()));
      s->Bind(5, sc.c.branch_id());
      s->Bind(6, static_cast<int64_t>(Micros(sc.c.create_time())));
      s->Exec();
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<v1::SlaPolicy> GetPolicy(db::Connection& conn, int64_t version) {
  return db::Guard("get SLA policy", [&]() -> absl::StatusOr<v1::SlaPolicy> {
    db::Stmt s = conn.Prepare(version == 0 ? Sql(conn.engine()).policy_latest
                                           : Sql(conn.engine()).policy_version);
    if (version != 0) s->Bind(1, static_cast<int64_t>(version));
    if (!s->Step()) {
      return absl::NotFoundError(
          absl::StrCat("SLA policy version ", version, " not found"));
    }
    v1::SlaPolicy p;
    const absl::string_view body = s->Blob(0);
    if (!p.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
      return absl::DataLossError("an SLA policy row cannot be read");
    }
    return p;
  });
}

absl::Status InsertPolicy(db::Connection& conn, const v1::SlaPolicy& p,
                          int64_t now_us) {
  return db::Guard("insert SLA policy", [&] {
    db::Stmt s = conn.Prepare(Sql(conn.engine()).insert_policy);
    s->Bind(1, static_cast<int64_t>(p.version()));
    const std::string body = p.SerializeAsString();
    s->Bind(2, body.data(), static_cast<int>(body.size()));
    s->Bind(3, static_cast<int64_t>(now_us));
    s->Exec();
    return absl::OkStatus();
  });
}

absl::StatusOr<std::optional<v1::BranchCalendar>> GetCalendar(
    db::Connection& conn, const std::string& branch_id) {
  return db::Guard(
      "get calendar",
      [&]() -> absl::StatusOr<std::optional<v1::BranchCalendar>> {
        db::Stmt s = conn.Prepare(Sql(conn.engine()).get_calendar);
        s->Bind(1, branch_id);
        if (!s->Step()) return std::optional<v1::BranchCalendar>();
        v1::BranchCalendar c;
        const absl::string_view body = s->Blob(0);
        if (!c.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
          return absl::DataLossError(absl::StrCat(
              "the calendar of branch '", branch_id, "' cannot be read"));
        }
        return std::optional<v1::BranchCalendar>(std::move(c));
      });
}

absl::StatusOr<int64_t> UpsertCalendar(db::Connection& conn,
                                       const v1::BranchCalendar& c,
                                       int64_t now_us) {
  return db::Guard("upsert calendar", [&]() -> absl::StatusOr<int64_t> {
    db::Stmt s = conn.Prepare(Sql(conn.engine()).upsert_calendar);
    s->Bind(1, c.branch_id());
    const std::string body = c.SerializeAsString();
    s->Bind(2, body.data(), static_cast<int>(body.size()));
    s->Bind(3, static_cast<int64_t>(now_us));
    if (!s->Step()) return absl::InternalError("no revision returned");
    const int64_t revision = s->Int64(0);
    // Step to the end so the statement is done before it is reused.
    while (s->Step()) {
    }
    return revision;
  });
}

absl::StatusOr<StatsRows> ReadStats(db::Connection& conn, const StatsQuery& q) {
  return db::Guard("complaint stats", [&]() -> absl::StatusOr<StatsRows> {
    // One snapshot for every figure.
    struct ReadTransaction {
      db::Connection& conn;
      // PostgreSQL reads already run in one REPEATABLE READ transaction
      // (Database::Read); SQLite's run statement by statement.
      explicit ReadTransaction(db::Connection& c)
          : conn(c), own(c.engine() == db::Engine::kSqlite) {
        if (own) conn.Exec("BEGIN");
      }
      bool own;
      ~ReadTransaction() {
        if (!own) return;
        try {
          conn.Exec("COMMIT");
        } catch (const std::exception&) {
        }
      }
    } transaction(conn);
    auto bind = [&](db::Stmt& s) {
      s->Bind(1, static_cast<int64_t>(q.start_us));
      s->Bind(2, static_cast<int64_t>(q.end_us));
      s->Bind(3, q.branch_id);
    };
    StatsRows out;
    // One pass over the window's complaints, counted here: complaints_for_stats
    // (schema version 3) covers every column read, so this is an index range
    // and no table row is visited (five GROUP BY scans took 5 x 31 ms at 82k
    // complaints).
    {
      std::map<int, int64_t> category, severity, channel, status;
      db::Stmt s = conn.Prepare(Sql(conn.engine()).stats_complaints);
      bind(s);
      const db::Statement& r = *s;
      while (s->Step()) {
        category[r.Int(0)] += 1;
        severity[r.Int(1)] += 1;
        channel[r.Int(2)] += 1;
        status[r.Int(3)] += 1;
        out.total += 1;
        out.reopened += r.Int(4) > 0;
        out.closed_ever += r.Int(5) != 0;
        const int score = r.Int(6);
        out.scored += score > 0;
        out.score_sum += score;
      }
      out.by_category.assign(category.begin(), category.end());
      out.by_severity.assign(severity.begin(), severity.end());
      out.by_channel.assign(channel.begin(), channel.end());
      out.by_status.assign(status.begin(), status.end());
    }
    {
      db::Stmt s = conn.Prepare(Sql(conn.engine()).stats_clocks);
      bind(s);
      out.clocks.reserve(static_cast<size_t>(out.total) * 3);
      absl::flat_hash_map<std::string, int> branch_index;
      const db::Statement& r = *s;
      while (s->Step()) {
        ClockSample& sample = out.clocks.emplace_back();
        sample.clock = ReadClock(r, 0);
        sample.kind = sample.clock.kind;
        const absl::string_view branch = r.Text(12);
        auto it = branch_index.find(branch);
        if (it == branch_index.end()) {
          it = branch_index
                   .emplace(std::string(branch),
                            static_cast<int>(out.branches.size()))
                   .first;
          out.branches.emplace_back(branch);
        }
        sample.branch = it->second;
      }
    }
    {
      // A keyword counts once per complaint whatever topic it was found
      // under there; the topic shown is one it belongs to (a named topic
      // before none: the greatest). Counted here from
      // complaint_keywords_for_stats, which covers the columns read: a GROUP
      // BY sorted half a million rows through a temporary B-tree (477 ms).
      struct Tally {
        std::string topic;
        int64_t n = 0;
      };
      // Keyed by the category's byte then the keyword, looked up without an
      // allocation per row.
      absl::flat_hash_map<std::string, Tally> tally;
      std::string key;
      db::Stmt s = conn.Prepare(Sql(conn.engine()).stats_keywords);
      bind(s);
      const db::Statement& r = *s;
      while (s->Step()) {
        key.assign(1, static_cast<char>(r.Int(0)));
        const absl::string_view keyword = r.Text(1);
        key.append(keyword.data(), keyword.size());
        auto it = tally.find(key);
        if (it == tally.end()) it = tally.emplace(key, Tally{}).first;
        Tally& t = it->second;
        t.n += 1;
        const absl::string_view topic = r.Text(2);
        if (topic > t.topic) t.topic.assign(topic.data(), topic.size());
      }
      for (auto& [k, t] : tally) {
        out.problems.push_back({static_cast<unsigned char>(k[0]), k.substr(1),
                                std::move(t.topic), t.n});
      }
      auto before = [](const StatsRows::Problem& a,
                       const StatsRows::Problem& b) {
        if (a.count != b.count) return a.count > b.count;
        if (a.category != b.category) return a.category < b.category;
        return a.keyword < b.keyword;
      };
      const size_t top = std::min(out.problems.size(),
                                  static_cast<size_t>(std::max(q.top, 0)));
      std::partial_sort(out.problems.begin(), out.problems.begin() + top,
                        out.problems.end(), before);
      out.problems.resize(top);
    }
    return out;
  });
}

}  // namespace retail::complaints
