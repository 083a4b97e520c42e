// Where every mutation goes (docs/architecture.md, "The write path").
//
// A mutation is a WriteOp submitted to the database's Writer. The engine
// decides how ops become transactions: SQLite's writer (sqlite_writer.h)
// runs many ops in one group-committed transaction, one SAVEPOINT each;
// PostgreSQL's (pg_writer.h) runs each op in its own SERIALIZABLE
// transaction, retried on a serialization failure. Either way an op's
// `done` runs only after its changes are durable, and what the op wrote
// becomes visible to readers no earlier than that.
//
// Overload: a writer built with a queue bound refuses a call's op at once,
// UNAVAILABLE with ErrorInfo WRITER_QUEUE_FULL and a RetryInfo of
// kQueueFullRetryDelay, when that many calls' ops already wait. A refused
// op is never applied: its `apply` and `on_failure` do not run (so a
// request_id stores no result and may be retried as it is), and its `done`
// runs on the submitting thread before Submit returns. Only ops with a
// finite `wait` are calls' ops; the server's own work (WaitLimit None) is
// always queued. Both engines' writers take their ops from one WriteQueue
// (write_queue.h), which holds this rule.
#ifndef RETAIL_COMMON_DB_WRITER_H_
#define RETAIL_COMMON_DB_WRITER_H_

#include <cstddef>
#include <cstdint>
#include <optional>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/call.h"
#include "common/db/connection.h"
#include "common/db/storage_observer.h"

namespace retail::db {

struct WriteOp {
  // The mutation, on a writer connection inside a transaction (or a
  // SAVEPOINT of one); a non-OK status (or an exception) rolls back
  // everything it did. It may run more than once when the engine retries a
  // transaction, so it must not act outside the database.
  absl::AnyInvocable<absl::Status(Connection&)> apply;
  // Optional: runs after `apply` failed and was rolled back, in a
  // transaction that commits with or without it, e.g. to audit the failure.
  absl::AnyInvocable<void(Connection&, const absl::Status&)> on_failure;
  // Called exactly once, after the op's transaction is durable (or has
  // failed). Must not block: it may hold up other acknowledgements.
  absl::AnyInvocable<void(absl::Status)> done;
  // If the op is still queued when this passes, it is answered
  // wait.ExpiredStatus() and never applied: a caller that has given up must
  // not have its write applied behind its back, nor wait without bound.
  // Its trace, if any, is told where the op's time went.
  WaitLimit wait;
  // Set by Submit when the op has a trace: when it was queued.
  absl::Time queued_at;
};

struct WriterStats {
  int64_t batches = 0;
  int64_t ops = 0;
  int64_t storage_faults = 0;  // batches lost to a storage fault
  int64_t reopens = 0;         // connections reopened after one
  int64_t queue_full = 0;      // ops refused because max_queue ops waited
};

// A writer that runs transactions on a pool of connections, retried on
// conflicts (PostgreSQL's), as metrics sample it at scrape time. Counters
// only grow, from the writer's start.
struct WriterPoolStats {
  int connections = 0;         // the pool's size (--write_connections)
  int connections_in_use = 0;  // running an op's transaction now
  // Transactions run again after a serialization failure or a deadlock.
  int64_t transaction_retries = 0;
  // Ops answered UNAVAILABLE because every run of theirs conflicted.
  int64_t retries_exhausted = 0;
  int64_t reconnects = 0;  // lost connections opened again
  // Committed events given their sequence number (the event sequencer).
  int64_t events_sequenced = 0;
};

// Whether `op` is a call's write, which a queue bound limits.
inline bool IsCallOp(const WriteOp& op) {
  return op.wait.until != absl::InfiniteFuture();
}

class Writer {
 public:
  virtual ~Writer() = default;

  // What a refused op's RetryInfo asks the caller to wait.
  static constexpr absl::Duration kQueueFullRetryDelay =
      absl::Milliseconds(100);

  // Queues `op`. After Stop(), or when the queue is full (see above),
  // `op.done` is called at once, on this thread, with UNAVAILABLE.
  virtual void Submit(WriteOp op) = 0;

  // Calls' ops waiting now, what the queue bound limits.
  virtual size_t queue_depth() const = 0;

  // Submits and waits. For start-up work and tests, never on a gRPC thread.
  absl::Status RunSync(absl::AnyInvocable<absl::Status(Connection&)> apply);

  // What a call's op is refused with when `max_queue` ops already wait.
  static absl::Status QueueFullError(size_t max_queue);

  // Finishes the queued work, then stops. Idempotent.
  virtual void Stop() = 0;

  virtual WriterStats stats() const = 0;

  // The pool's figures; nullopt for a writer without one (SQLite's single
  // connection, whose batches and checkpoints StorageObserver reports), so
  // metrics export only what is real on the engine in use.
  virtual std::optional<WriterPoolStats> pool_stats() const {
    return std::nullopt;
  }

  // False from a storage fault until the writer has recovered from it.
  virtual bool storage_ok() const = 0;

  // Called whenever storage_ok() changes. Set it before the first write; it
  // must not block or submit writes.
  virtual void SetStorageListener(
      absl::AnyInvocable<void(bool ok)> listener) = 0;

  // Told of every transaction and checkpoint; null: no one. May be set
  // while writes run (the server sets it once metrics start).
  virtual void SetObserver(StorageObserver* observer) = 0;

  // Called after each durable commit whose transaction appended events or
  // rewrote stored event states (`states_rewritten`, an erasure): the event
  // stream's wake-up. A commit's rows are visible to readers once it
  // returns. It must not block or submit writes.
  virtual void SetCommitListener(
      absl::AnyInvocable<void(bool states_rewritten)> listener) = 0;
};

}  // namespace retail::db

#endif  // RETAIL_COMMON_DB_WRITER_H_
