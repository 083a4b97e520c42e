// PostgreSQL's writer (issue 16): each op in its own SERIALIZABLE
// transaction on a pool of writer connections, retried on a serialization
// failure or a deadlock.
//
// Why not SQLite's group commit: one op's serialization failure would abort
// every op batched with it. With one transaction per op, the rules written
// for SQLite's single writer (points never negative, no overpayment, a
// request_id applied once) hold with N replicas writing at once: SERIALIZABLE
// makes every committed set of transactions equivalent to some serial order,
// and a transaction that could break that is aborted (SQLSTATE 40001) and run
// again from the start, `apply` and all. An op's `done` runs after its
// COMMIT returned, which with synchronous_commit on means durable.
//
// A failed `apply` rolls its transaction back; `on_failure` then runs in a
// transaction of its own (PostgreSQL has no statement after an error inside
// a transaction), e.g. to store the failure for the request_id and audit it.
//
// Events (docs/architecture.md, "Events on PostgreSQL"): a transaction
// inserts its events with no number (event_id NULL). After it commits, the
// committing worker numbers every committed unnumbered event under a
// transaction-scoped advisory lock, from event_sequencer.head, and NOTIFYs
// retail_events. Numbers are therefore given in the order transactions
// became visible, with no gap, and a number is visible only once every
// smaller one is: a watcher reading event_id > N can never skip an event
// that commits later. Every replica LISTENs, so watchers on one replica hear
// of commits made on another.
//
// An erasure (an op that calls RequestCheckpointAfterCommit, which on SQLite
// truncates the WAL) is answered only after VACUUM has run, outside the
// transaction, on every table whose rows it updated or deleted: the
// person's old row versions would otherwise stay readable in their pages.
#ifndef RETAIL_COMMON_DB_PG_WRITER_H_
#define RETAIL_COMMON_DB_PG_WRITER_H_

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/db/pg_connection.h"
#include "common/db/write_queue.h"
#include "common/db/writer.h"

namespace retail::db {

struct PgWriterOptions {
  std::string url;
  // Writer connections, each running one transaction at a time.
  int connections = 4;
  // Calls' ops that may wait at once; 0: no bound (writer.h).
  int max_queue = 0;
  // Runs of one op's transaction before its serialization failures are
  // answered UNAVAILABLE (retry later); the waits between grow from
  // retry_backoff, with jitter.
  int max_attempts = 10;
  absl::Duration retry_backoff = absl::Milliseconds(2);
  // How often a lost writer connection is tried again.
  absl::Duration reconnect_interval = absl::Seconds(1);
};

struct PgWriterStats {
  int64_t serialization_retries = 0;  // transactions run again
  int64_t retries_exhausted = 0;      // ops answered after max_attempts
  int64_t events_sequenced = 0;
  int64_t reconnects = 0;  // writer connections opened again after a loss
};

class PgWriter final : public Writer {
 public:
  // Opens the connections (failing if none can be opened) and the LISTEN
  // connection, and starts the threads.
  static absl::StatusOr<std::unique_ptr<PgWriter>> Start(
      PgWriterOptions options);
  ~PgWriter() override;  // Stop()s.

  void Submit(WriteOp op) override;
  size_t queue_depth() const override;
  void Stop() override;
  WriterStats stats() const override;
  PgWriterStats pg_stats() const;

  // Tests: every op's first run is rolled back where its COMMIT would be,
  // as if it had hit a serialization failure, and the op runs again (not
  // counted as a retry). An op may run more than once here, so its closure
  // must not consume what it captured (std::move of the request) or add to
  // its outputs without starting them afresh; with this on, such an op
  // answers wrongly in every test instead of once in a thousand writes in
  // production. Process-wide; off unless a test turns it on (TestServer
  // does on PostgreSQL).
  static void RehearseRetriesForTesting(bool on);
  std::optional<WriterPoolStats> pool_stats() const override;
  bool storage_ok() const override { return storage_ok_.load(); }
  void SetStorageListener(absl::AnyInvocable<void(bool ok)> listener) override;
  void SetObserver(StorageObserver* observer) override {
    observer_.store(observer);
  }
  void SetCommitListener(
      absl::AnyInvocable<void(bool states_rewritten)> listener) override;

  // Numbers the committed events not yet numbered; returns how many.
  // Run by a worker after a commit that appended events, and at start-up
  // (a replica killed between its commit and its numbering leaves events
  // for the next one). Public for tests.
  static absl::StatusOr<int64_t> SequenceEvents(PgConnection& conn);

 private:
  explicit PgWriter(PgWriterOptions options);

  struct Worker {
    std::unique_ptr<PgConnection> conn;  // null while disconnected
    std::thread thread;
  };

  void WorkerLoop(Worker& worker);
  void ListenLoop();
  // Runs `op` to its end and answers it.
  void Run(Worker& worker, WriteOp& op);
  // One run of `op`'s transaction; sets `retry` on a serialization failure
  // and adds the time its COMMIT took to `commit_took`.
  absl::Status Attempt(PgConnection& conn, WriteOp& op, bool& retry,
                       absl::Duration& commit_took, bool rehearse);
  bool EnsureConnected(Worker& worker);
  void NoteStorage(bool ok);
  void TellCommit(bool states_rewritten);

  const PgWriterOptions options_;
  // Shared with SQLite's writer: the bound on calls' ops, refusals.
  WriteQueue queue_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::unique_ptr<PgConnection> listen_conn_;
  std::thread listen_thread_;

  std::atomic<bool> storage_ok_{true};
  std::atomic<int> busy_{0};  // workers running an op, for pool_stats()
  std::atomic<StorageObserver*> observer_{nullptr};
  mutable std::mutex mu_;  // stats_, pg_stats_, storage_listener_
  std::atomic<bool> listen_stopping_{false};
  WriterStats stats_;
  PgWriterStats pg_stats_;
  absl::AnyInvocable<void(bool)> storage_listener_;
  std::mutex listener_mu_;
  absl::AnyInvocable<void(bool)> commit_listener_;  // under listener_mu_
};

}  // namespace retail::db

#endif  // RETAIL_COMMON_DB_PG_WRITER_H_
