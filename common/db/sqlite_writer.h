// SQLite's writer: the single writer thread with group commit
// (docs/architecture.md, "Storage, durability, the write path").
//
// Every mutation is a closure submitted here. The writer takes all queued
// closures (up to a batch limit), runs them in one BEGIN IMMEDIATE ... COMMIT,
// each inside its own SAVEPOINT so a failing closure rolls back only its own
// changes, and calls each closure's `done` only after the COMMIT has been
// fsynced. One fsync thus acknowledges many requests: that is the whole
// performance story for writes, and why synchronous=FULL stays on.
//
// Storage faults (docs/architecture.md, "When the disk fails"): a batch whose
// BEGIN, an operation or COMMIT fails with an I/O error, a full disk or a
// corrupt file marks the storage unhealthy. Every operation of that batch is
// answered UNAVAILABLE (RESOURCE_EXHAUSTED for a full disk) and none is
// acknowledged. From then on queued writes are refused at once, without
// touching the disk, and the health listener hears "unhealthy". Every
// probe_interval the writer tries again: after an I/O error it first reopens
// the database (StorageRecovery::reopen), because after a failed fsync
// nothing the page cache holds can be trusted; then it commits a probe write.
// When that is durable, writes are taken again and the listener hears
// "healthy". No restart is needed.
//
// Overload (issue 15): with `max_queue` > 0, a call's op submitted while that
// many calls' ops already wait (not counting the batch being written) is
// refused at once instead of waiting behind a queue whose latency has no
// bound: WriteQueue (write_queue.h), shared with PostgreSQL's writer, holds
// that rule. The server's own work (start-up, maintenance, RunSync, the
// audit rows of refused calls, which FailureAudit bounds by folding) is
// always queued.
#ifndef RETAIL_COMMON_DB_SQLITE_WRITER_H_
#define RETAIL_COMMON_DB_SQLITE_WRITER_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/call.h"
#include "common/db/connection.h"
#include "common/db/sqlite_connection.h"
#include "common/db/storage_observer.h"
#include "common/db/write_queue.h"
#include "common/db/writer.h"

namespace retail::db {

// How the writer gets back on its feet after a storage fault.
struct StorageRecovery {
  // Closes `old` (null if an earlier reopen failed) and every other
  // connection to the database, drops what the OS caches of its files, and
  // opens a new writer connection. Null: keep the connection.
  absl::AnyInvocable<absl::StatusOr<std::unique_ptr<SqliteConnection>>(
      std::unique_ptr<SqliteConnection> old)>
      reopen;
  absl::Duration probe_interval = absl::Seconds(1);
};

class SqliteWriter final : public Writer {
 public:
  // Takes ownership of the read-write connection and starts the thread.
  // `max_queue`: ops (of calls) that may wait at once; 0: no bound.
  SqliteWriter(std::unique_ptr<SqliteConnection> conn, int max_batch = 1024,
               StorageRecovery recovery = {}, int max_queue = 0);
  ~SqliteWriter() override;  // Stop()s.

  // Queues `op`. After Stop(), or when the queue is full (see above),
  // `op.done` is called at once, on this thread, with UNAVAILABLE.
  void Submit(WriteOp op) override;

  // Calls' ops waiting now, what max_queue bounds (not counting the batch
  // being written, nor the server's own work).
  size_t queue_depth() const override;

  // Finishes the queued work, then stops the thread. Idempotent.
  void Stop() override;

  // Runs `fn` on the writer's connection after the queue drains (e.g. a WAL
  // checkpoint at shutdown). Only valid after Stop().
  absl::Status WithConnectionAfterStop(
      const std::function<absl::Status(Connection&)>& fn);

  WriterStats stats() const override;

  // False from a storage fault until the writer has recovered from it.
  bool storage_ok() const override { return storage_ok_.load(); }

  // Called on the writer thread whenever storage_ok() changes. Set it before
  // the first write; it must not block or submit writes.
  void SetStorageListener(absl::AnyInvocable<void(bool ok)> listener) override;

  // Told of every batch and checkpoint, on the writer thread; null: no one.
  // May be set while writes run (the server sets it once metrics start).
  void SetObserver(StorageObserver* observer) override {
    observer_.store(observer);
  }

  // The WAL is checkpointed (PASSIVE) after a commit leaves at least this
  // many pages in it: SQLite's own default, run after the batch is
  // answered instead of inside its COMMIT.
  static constexpr int kCheckpointPages = 1000;
  // How long an erasure's TRUNCATE checkpoint waits for readers on an older
  // snapshot (instead of SqliteConnection::kBusyTimeoutMs).
  static constexpr int kTruncateBusyMs = 200;

  // Called on the writer thread after each durable commit whose transaction
  // appended events or rewrote stored event states (`states_rewritten`, an
  // erasure): the event stream's wake-up. A commit's rows are visible to
  // readers once it returns. It must not block or submit writes.
  void SetCommitListener(
      absl::AnyInvocable<void(bool states_rewritten)> listener) override;

 private:
  struct Ack {
    absl::AnyInvocable<void(absl::Status)> done;
    absl::Status status;
  };

  enum class Fault { kNone, kFull, kIo };

  // Runs `fn` (which throws on failure) and returns its status; a storage
  // fault among the exceptions also sets `fault`.
  template <typename Fn>
  static absl::Status RunNotingFault(const char* what, Fault& fault, Fn&& fn);
  // Rolls back the open transaction, if SQLite has not already done so.
  void RollbackIfOpen(const char* what);
  void Loop();
  void RunBatch(std::deque<WriteOp>& batch);
  // Checkpoints the WAL (TRUNCATE or PASSIVE) and tells the observer.
  void Checkpoint(bool truncate);
  // Answers every op of `batch` with `status` without running it.
  void Refuse(std::deque<WriteOp>& batch, const absl::Status& status);
  void MarkFault(Fault fault, const absl::Status& status);
  void TryRecover();
  void AckLoop();

  std::unique_ptr<SqliteConnection> conn_;  // null after a failed reopen
  const int max_batch_;
  WriteQueue queue_;
  StorageRecovery recovery_;
  // Writer thread only, except storage_ok_ (read anywhere).
  std::atomic<bool> storage_ok_{true};
  Fault fault_ = Fault::kNone;
  absl::Status fault_status_;  // what refused writes are answered
  absl::Time next_probe_;
  absl::AnyInvocable<void(bool)> listener_;
  // Set before the first write.
  absl::AnyInvocable<void(bool)> commit_listener_;
  std::atomic<StorageObserver*> observer_{nullptr};
  mutable std::mutex mu_;  // the listeners, stats_ and the ack queue
  WriterStats stats_;
  std::condition_variable ack_cv_;
  std::deque<Ack> acks_;
  bool acks_stopping_ = false;
  // Declared (so started) before thread_, stopped after it.
  std::thread ack_thread_;
  std::thread thread_;
};

}  // namespace retail::db

#endif  // RETAIL_COMMON_DB_SQLITE_WRITER_H_
