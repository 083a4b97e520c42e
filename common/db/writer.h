// The single writer thread with group commit (docs/architecture.md,
// "Storage, durability, the write path").
//
// Every mutation is a closure submitted here. The writer takes all queued
// closures (up to a batch limit), runs them in one BEGIN IMMEDIATE ... COMMIT,
// each inside its own SAVEPOINT so a failing closure rolls back only its own
// changes, and calls each closure's `done` only after the COMMIT has been
// fsynced. One fsync thus acknowledges many requests: that is the whole
// performance story for writes, and why synchronous=FULL stays on.
#ifndef RETAIL_COMMON_DB_WRITER_H_
#define RETAIL_COMMON_DB_WRITER_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "common/call.h"
#include "common/db/connection.h"

namespace retail::db {

struct WriteOp {
  // The mutation. Runs on the writer thread inside a SAVEPOINT; a non-OK
  // status (or an exception) rolls back everything it did.
  absl::AnyInvocable<absl::Status(Connection&)> apply;
  // Optional: runs after `apply` failed and its SAVEPOINT was rolled back,
  // still inside the batch transaction, e.g. to audit the failure.
  absl::AnyInvocable<void(Connection&, const absl::Status&)> on_failure;
  // Called exactly once, on the writer's ack thread, after the batch is
  // durable (or has failed), in submission order. Must not block: it holds
  // up every later acknowledgement.
  absl::AnyInvocable<void(absl::Status)> done;
  // If the op is still queued when this passes, it is answered
  // wait.ExpiredStatus() and never applied: a caller that has given up must
  // not have its write applied behind its back, nor wait without bound.
  WaitLimit wait;
};

struct WriterStats {
  int64_t batches = 0;
  int64_t ops = 0;
};

class Writer {
 public:
  // Takes ownership of the read-write connection and starts the thread.
  Writer(std::unique_ptr<Connection> conn, int max_batch = 1024);
  ~Writer();  // Stop()s.

  // Queues `op`. After Stop(), `op.done` is called at once with UNAVAILABLE.
  void Submit(WriteOp op);

  // Submits and waits. For start-up work and tests, never on a gRPC thread.
  absl::Status RunSync(absl::AnyInvocable<absl::Status(Connection&)> apply);

  // Finishes the queued work, then stops the thread. Idempotent.
  void Stop();

  // Runs `fn` on the writer's connection after the queue drains (e.g. a WAL
  // checkpoint at shutdown). Only valid after Stop().
  absl::Status WithConnectionAfterStop(
      const std::function<absl::Status(Connection&)>& fn);

  WriterStats stats() const;

 private:
  struct Ack {
    absl::AnyInvocable<void(absl::Status)> done;
    absl::Status status;
  };

  void Loop();
  void RunBatch(std::deque<WriteOp>& batch);
  void AckLoop();

  std::unique_ptr<Connection> conn_;
  const int max_batch_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<WriteOp> queue_;
  bool stopping_ = false;
  WriterStats stats_;
  std::condition_variable ack_cv_;
  std::deque<Ack> acks_;
  bool acks_stopping_ = false;
  // Declared (so started) before thread_, stopped after it.
  std::thread ack_thread_;
  std::thread thread_;
};

}  // namespace retail::db

#endif  // RETAIL_COMMON_DB_WRITER_H_
