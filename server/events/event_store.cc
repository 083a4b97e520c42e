#include "server/events/event_store.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/status.h"
#include "google/protobuf/util/time_util.h"

namespace retail::events {
namespace {

using ::google::protobuf::util::TimeUtil;

constexpr char kSelect[] =
    "SELECT event_id, resource_type, event_type, revision, principal_id,"
    " create_time_us, staff_id, resource, branch_id, state FROM events";

StoredEvent ReadRow(const db::Statement& q) {
  auto e = std::make_shared<v1::Event>();
  e->set_sequence(q.Int64(0));
  e->set_resource_type(q.String(1));
  e->set_event_type(q.String(2));
  e->set_revision(q.Int64(3));
  e->set_principal(q.String(4));
  *e->mutable_create_time() = TimeUtil::MicrosecondsToTimestamp(q.Int64(5));
  e->set_staff_id(q.String(6));
  e->set_resource(q.String(7));
  e->set_branch_id(q.String(8));
  if (!q.IsNull(9)) {
    const absl::string_view state = q.Blob(9);
    if (!e->mutable_state()->ParseFromArray(state.data(),
                                            static_cast<int>(state.size()))) {
      e->clear_state();  // never seen; the event itself still counts
    }
  }
  return e;
}

constexpr char kPrunedKey[] = "events_pruned_through";

}  // namespace

absl::StatusOr<std::vector<StoredEvent>> ReadEvents(
    db::Connection& conn, int64_t after, int limit,
    const std::string& branch_scope) {
  return db::Guard(
      "read events", [&]() -> absl::StatusOr<std::vector<StoredEvent>> {
        std::vector<StoredEvent> out;
        // Two statements, not one with "(? = '' OR branch_id = ?)": each gets
        // its own index (the primary key; events_by_branch).
        db::Stmt q = branch_scope.empty()
                         ? conn.Prepare(absl::StrCat(
                               kSelect,
                               " WHERE event_id > ? ORDER BY event_id"
                               " LIMIT ?"))
                         : conn.Prepare(absl::StrCat(
                               kSelect,
                               " WHERE branch_id = ? AND event_id > ?"
                               " ORDER BY event_id LIMIT ?"));
        int i = 1;
        if (!branch_scope.empty()) q->Bind(i++, branch_scope);
        q->Bind(i++, static_cast<int64_t>(after));
        q->Bind(i++, limit);
        while (q->Step()) out.push_back(ReadRow(*q));
        return out;
      });
}

absl::StatusOr<int64_t> HeadSequence(db::Connection& conn) {
  return db::Guard("event head", [&]() -> absl::StatusOr<int64_t> {
    // SQLite's AUTOINCREMENT keeps the highest event_id handed out in
    // sqlite_sequence; PostgreSQL's sequencer numbers committed events and
    // keeps its head in event_sequencer (common/db/migrations.cc).
    db::Stmt q = conn.Prepare(
        conn.engine() == db::Engine::kPostgres
            ? "SELECT head FROM event_sequencer"
            : "SELECT seq FROM sqlite_sequence WHERE name = 'events'");
    return q->Step() ? q->Int64(0) : 0;
  });
}

absl::StatusOr<int64_t> PrunedThrough(db::Connection& conn) {
  return db::Guard("events pruned through", [&]() -> absl::StatusOr<int64_t> {
    db::Stmt q = conn.Prepare("SELECT value FROM server_meta WHERE key = ?");
    q->Bind(1, kPrunedKey);
    if (!q->Step()) return 0;
    int64_t through = 0;
    if (!absl::SimpleAtoi(q->String(0), &through)) {
      return absl::InternalError("server_meta events_pruned_through is bad");
    }
    return through;
  });
}

namespace {

int64_t ScalarOr(db::Connection& conn, const char* sql, int64_t arg,
                 int64_t if_null) {
  db::Stmt q = conn.Prepare(sql);
  q->Bind(1, arg);
  if (!q->Step() || q->IsNull(0)) return if_null;
  return q->Int64(0);
}

void RecordPrunedThrough(db::Connection& conn, int64_t through) {
  const std::string value = absl::StrCat(through);
  db::Stmt m = conn.Prepare(
      "INSERT INTO server_meta (key, value) VALUES (?, ?)"
      " ON CONFLICT (key) DO UPDATE SET value = excluded.value");
  m->Bind(1, kPrunedKey);
  m->Bind(2, value.data(), static_cast<int>(value.size()));
  m->Exec();
}

}  // namespace

absl::StatusOr<int> PruneEvents(db::Connection& conn, int64_t cutoff_micros,
                                int limit) {
  return db::Guard("prune events", [&]() -> absl::StatusOr<int> {
    // The oldest `limit` events in sequence order; delete up to the first
    // one still inside retention. Sequence order is commit order, so the
    // times only grow, except for a clock set back: then an older-looking
    // event behind a kept one waits its turn instead of leaving a hole.
    int64_t through = 0;
    int count = 0;
    {
      // On PostgreSQL an event not yet numbered by the sequencer has
      // event_id NULL: it is not part of the stream yet.
      db::Stmt q = conn.Prepare(
          conn.engine() == db::Engine::kPostgres
              ? "SELECT event_id, create_time_us FROM events"
                " WHERE event_id IS NOT NULL ORDER BY event_id LIMIT ?"
              : "SELECT event_id, create_time_us FROM events ORDER BY event_id"
                " LIMIT ?");
      q->Bind(1, limit);
      while (q->Step()) {
        if (q->Int64(1) >= cutoff_micros) break;
        through = q->Int64(0);
        ++count;
      }
    }
    if (count == 0) return 0;
    db::Stmt d = conn.Prepare("DELETE FROM events WHERE event_id <= ?");
    d->Bind(1, static_cast<int64_t>(through));
    d->Exec();
    RecordPrunedThrough(conn, through);
    return count;
  });
}

absl::StatusOr<int> PruneEventMonths(db::Connection& conn,
                                     int64_t cutoff_micros, int limit) {
  return db::Guard("prune event months", [&]() -> absl::StatusOr<int> {
    ASSIGN_OR_RETURN(const int64_t recorded, PrunedThrough(conn));
    int64_t before =
        ScalarOr(conn, "SELECT retail_month_start_us(?1)", cutoff_micros, 0);
    // A committed event the sequencer has not numbered yet (it will, at the
    // next commit) keeps its month and every later one: dropped now, it could
    // be numbered and read meanwhile, then vanish above
    // events_pruned_through.
    const int64_t unnumbered =
        ScalarOr(conn,
                 "SELECT retail_month_start_us(min(create_time_us)) FROM events"
                 " WHERE event_id IS NULL AND create_time_us < ?1",
                 before, before);
    before = std::min(before, unnumbered);
    // Numbers follow commit order, so months do too, except after a clock
    // set back: an event numbered after a kept one but dated in an older
    // month. That month then waits with every later one, as the event waits
    // its turn on SQLite, so that what goes stays a prefix of the stream.
    int64_t through = 0;
    for (;;) {
      through = ScalarOr(conn,
                         "SELECT max(event_id) FROM events"
                         " WHERE create_time_us < ?1",
                         before, 0);
      if (through == 0) break;
      const int64_t kept_from = ScalarOr(conn,
                                         "SELECT min(event_id) FROM events"
                                         " WHERE create_time_us >= ?1",
                                         before, through + 1);
      if (through < kept_from) break;
      db::Stmt q = conn.Prepare(
          "SELECT retail_month_start_us(min(create_time_us)) FROM events"
          " WHERE create_time_us < ?1 AND event_id >= ?2");
      q->Bind(1, before);
      q->Bind(2, kept_from);
      q->Step();
      before = q->Int64(0);  // lower each time round: the loop ends
    }
    {
      db::Stmt drop = conn.Prepare(
          "SELECT * FROM retail_drop_partitions_before('events', ?1)");
      drop->Bind(1, before);
      while (drop->Step()) {
        RETAIL_LOG(INFO) << "event retention: dropped partition "
                         << drop->String(0);
      }
    }
    // Below `before` only the DEFAULT partition can still hold events (those
    // no month covered when written): row by row, a prefix as on SQLite.
    // What a slice leaves there is behind events_pruned_through already (the
    // dropped months' last number), so never read.
    ASSIGN_OR_RETURN(const int deleted, PruneEvents(conn, before, limit));
    // PruneEvents recorded its own last number, which may be lower than the
    // dropped months' or an earlier slice's: the highest one stands.
    ASSIGN_OR_RETURN(const int64_t rows_through, PrunedThrough(conn));
    const int64_t highest = std::max({recorded, through, rows_through});
    if (highest != rows_through) RecordPrunedThrough(conn, highest);
    return deleted;
  });
}

}  // namespace retail::events
