#include "server/events/event_store.h"

#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "google/protobuf/util/time_util.h"

namespace retail::events {
namespace {

using ::google::protobuf::util::TimeUtil;

constexpr char kSelect[] =
    "SELECT event_id, resource_type, event_type, revision, principal_id,"
    " create_time_us, staff_id, resource, branch_id, state FROM events";

StoredEvent ReadRow(SQLite::Statement& q) {
  auto e = std::make_shared<v1::Event>();
  e->set_sequence(q.getColumn(0).getInt64());
  e->set_resource_type(q.getColumn(1).getString());
  e->set_event_type(q.getColumn(2).getString());
  e->set_revision(q.getColumn(3).getInt64());
  e->set_principal(q.getColumn(4).getString());
  *e->mutable_create_time() =
      TimeUtil::MicrosecondsToTimestamp(q.getColumn(5).getInt64());
  e->set_staff_id(q.getColumn(6).getString());
  e->set_resource(q.getColumn(7).getString());
  e->set_branch_id(q.getColumn(8).getString());
  const SQLite::Column state = q.getColumn(9);
  if (!state.isNull()) {
    // sqlite3_column_blob before _bytes, as SQLite asks.
    const void* bytes = state.getBlob();
    if (!e->mutable_state()->ParseFromArray(bytes, state.getBytes())) {
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
        if (!branch_scope.empty()) q->bind(i++, branch_scope);
        q->bind(i++, static_cast<int64_t>(after));
        q->bind(i++, limit);
        while (q->executeStep()) out.push_back(ReadRow(*q));
        return out;
      });
}

absl::StatusOr<int64_t> HeadSequence(db::Connection& conn) {
  return db::Guard("event head", [&]() -> absl::StatusOr<int64_t> {
    db::Stmt q =
        conn.Prepare("SELECT seq FROM sqlite_sequence WHERE name = 'events'");
    return q->executeStep() ? q->getColumn(0).getInt64() : 0;
  });
}

absl::StatusOr<int64_t> PrunedThrough(db::Connection& conn) {
  return db::Guard("events pruned through", [&]() -> absl::StatusOr<int64_t> {
    db::Stmt q = conn.Prepare("SELECT value FROM server_meta WHERE key = ?");
    q->bind(1, kPrunedKey);
    if (!q->executeStep()) return 0;
    int64_t through = 0;
    if (!absl::SimpleAtoi(q->getColumn(0).getString(), &through)) {
      return absl::InternalError("server_meta events_pruned_through is bad");
    }
    return through;
  });
}

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
      db::Stmt q = conn.Prepare(
          "SELECT event_id, create_time_us FROM events ORDER BY event_id"
          " LIMIT ?");
      q->bind(1, limit);
      while (q->executeStep()) {
        if (q->getColumn(1).getInt64() >= cutoff_micros) break;
        through = q->getColumn(0).getInt64();
        ++count;
      }
    }
    if (count == 0) return 0;
    db::Stmt d = conn.Prepare("DELETE FROM events WHERE event_id <= ?");
    d->bind(1, static_cast<int64_t>(through));
    d->exec();
    const std::string value = absl::StrCat(through);
    db::Stmt m = conn.Prepare(
        "INSERT INTO server_meta (key, value) VALUES (?, ?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value");
    m->bind(1, kPrunedKey);
    m->bind(2, value.data(), static_cast<int>(value.size()));
    m->exec();
    return count;
  });
}

}  // namespace retail::events
