// SQL for the event stream over the core table `events` (written by every
// module through db::AppendEvent, common/db/mutation.h). Reads take the
// caller's branch scope; retention deletes a prefix of the table (on
// PostgreSQL by dropping whole months) and keeps how far it went in
// server_meta, so a sequence older than what is kept is told apart from one
// that never existed.
#ifndef RETAIL_SERVER_EVENTS_EVENT_STORE_H_
#define RETAIL_SERVER_EVENTS_EVENT_STORE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/db/connection.h"
#include "retail/events/v1/events.pb.h"

namespace retail::events {

// An event as stored: its state unmasked. Shared between every watcher
// that sends it, never changed after it is read.
using StoredEvent = std::shared_ptr<const v1::Event>;

// Up to `limit` events with sequence > `after`, in order, of
// `branch_scope`'s branch ("" = every branch).
absl::StatusOr<std::vector<StoredEvent>> ReadEvents(
    db::Connection& conn, int64_t after, int limit,
    const std::string& branch_scope);

// The newest sequence ever handed out (0 before the first event), even when
// retention has deleted it.
absl::StatusOr<int64_t> HeadSequence(db::Connection& conn);

// The newest sequence retention has deleted (0 when none): events after it
// are all still stored.
absl::StatusOr<int64_t> PrunedThrough(db::Connection& conn);

// Deletes the oldest events created before `cutoff_micros`, at most `limit`
// of them, in sequence order (a prefix: never an event behind a newer kept
// one), and records how far it went. Returns how many it deleted. SQLite's
// retention; on PostgreSQL see below.
absl::StatusOr<int> PruneEvents(db::Connection& conn, int64_t cutoff_micros,
                                int limit);

// Retention on PostgreSQL (issue 16, "Volume"): whole months, not row by
// row. Drops the monthly partitions of events that end by the start of the
// cutoff's UTC month, then runs PruneEvents up to that start, which can
// only find events of the DEFAULT partition (written while no month covered
// them); returns how many of those it deleted. A month straddling the
// cutoff is kept until the cutoff passes its end. The promise is SQLite's:
// what goes is a prefix of the stream and events_pruned_through moves to
// its last number. So a month waits while it holds an event the sequencer
// has not numbered yet, or one numbered after an event of a later month
// (a clock set back), and so does every later month.
absl::StatusOr<int> PruneEventMonths(db::Connection& conn,
                                     int64_t cutoff_micros, int limit);

}  // namespace retail::events

#endif  // RETAIL_SERVER_EVENTS_EVENT_STORE_H_
