#include "common/db/sqlite_writer.h"

#include <sqlite3.h>

#include <cstdint>
#include <future>
#include <utility>
#include <vector>

#include "SQLiteCpp/Exception.h"
#include "SQLiteCpp/Statement.h"
#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/status.h"

namespace retail::db {

SqliteWriter::SqliteWriter(std::unique_ptr<SqliteConnection> conn,
                           int max_batch, StorageRecovery recovery,
                           int max_queue)
    : conn_(std::move(conn)),
      max_batch_(max_batch),
      queue_(max_queue),
      recovery_(std::move(recovery)),
      ack_thread_([this] { AckLoop(); }),
      thread_([this] { Loop(); }) {}

SqliteWriter::~SqliteWriter() { Stop(); }

void SqliteWriter::Submit(WriteOp op) { queue_.Submit(std::move(op)); }

size_t SqliteWriter::queue_depth() const { return queue_.depth(); }

void SqliteWriter::Stop() {
  queue_.Stop();
  if (thread_.joinable()) thread_.join();
  // The writer has queued its last acks; deliver them, then stop.
  {
    std::lock_guard<std::mutex> lock(mu_);
    acks_stopping_ = true;
    ack_cv_.notify_one();
  }
  if (ack_thread_.joinable()) ack_thread_.join();
}

absl::Status SqliteWriter::WithConnectionAfterStop(
    const std::function<absl::Status(Connection&)>& fn) {
  if (thread_.joinable()) {
    return absl::FailedPreconditionError("writer still running");
  }
  if (conn_ == nullptr) {
    return absl::UnavailableError("the database could not be reopened");
  }
  return Guard("writer after stop", [&] { return fn(*conn_); });
}

WriterStats SqliteWriter::stats() const {
  WriterStats stats;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stats = stats_;
  }
  stats.queue_full = queue_.refused_full();
  return stats;
}

void SqliteWriter::SetCommitListener(absl::AnyInvocable<void(bool)> listener) {
  std::lock_guard<std::mutex> lock(mu_);
  commit_listener_ = std::move(listener);
}

void SqliteWriter::SetStorageListener(
    absl::AnyInvocable<void(bool ok)> listener) {
  std::lock_guard<std::mutex> lock(mu_);
  listener_ = std::move(listener);
}

namespace {

// The storage faults that make the database unusable until it recovers, as
// opposed to an operation's own failure (a constraint, a busy reader).
bool IsStorageFault(int code) {
  code &= 0xff;
  return code == SQLITE_IOERR || code == SQLITE_FULL ||
         code == SQLITE_CANTOPEN || code == SQLITE_CORRUPT ||
         code == SQLITE_NOTADB;
}

}  // namespace

void SqliteWriter::Loop() {
  // Each batch is everything that queued up while the last one was fsyncing.
  std::deque<WriteOp> batch;
  for (;;) {
    if (fault_ == Fault::kNone) {
      if (!queue_.Take(batch, static_cast<size_t>(max_batch_))) return;
      if (!batch.empty()) RunBatch(batch);
      batch.clear();
      continue;
    }
    // Unhealthy: refuse what queues up until the next probe succeeds. After
    // Stop() this keeps refusing until the queue is drained, then exits.
    const bool more = queue_.Take(batch, SIZE_MAX, next_probe_);
    if (!batch.empty()) {
      Refuse(batch, fault_status_);
      batch.clear();
    }
    if (!more) return;
    if (absl::Now() >= next_probe_ && !queue_.stopping()) TryRecover();
  }
}

template <typename Fn>
absl::Status SqliteWriter::RunNotingFault(const char* what, Fault& fault,
                                          Fn&& fn) {
  try {
    fn();
    return absl::OkStatus();
  } catch (const SQLite::Exception& e) {
    if (IsStorageFault(e.getErrorCode())) {
      fault =
          (e.getErrorCode() & 0xff) == SQLITE_FULL ? Fault::kFull : Fault::kIo;
    }
    return StatusFromStorageException(e, what);
  } catch (const std::exception& e) {
    return StatusFromStorageException(e, what);
  }
}

void SqliteWriter::RollbackIfOpen(const char* what) {
  Guard(what, [&] {
    // Not cached: after a failed COMMIT the cache may hold statements the
    // engine wants reset first, and this path is rare. After an I/O error
    // or a full disk SQLite may have rolled back by itself.
    if (!sqlite3_get_autocommit(conn_->raw().getHandle())) {
      conn_->Exec("ROLLBACK");
    }
    return absl::OkStatus();
  }).IgnoreError();
}

void SqliteWriter::Refuse(std::deque<WriteOp>& batch,
                          const absl::Status& status) {
  std::lock_guard<std::mutex> lock(mu_);
  for (WriteOp& op : batch) acks_.push_back(Ack{std::move(op.done), status});
  ack_cv_.notify_one();
}

void SqliteWriter::MarkFault(Fault fault, const absl::Status& status) {
  // A full disk needs space, not a new connection; anything else may have
  // left the cache believing what the disk does not hold.
  const bool was_ok = fault_ == Fault::kNone;
  if (fault_ != Fault::kIo) fault_ = fault;
  fault_status_ =
      fault_ == Fault::kFull
          ? absl::ResourceExhaustedError(
                "the database disk is full; writes resume when space is "
                "freed")
          : absl::UnavailableError(
                "the database cannot be written; retry later");
  next_probe_ = absl::Now() + recovery_.probe_interval;
  if (!was_ok) return;
  RETAIL_LOG(ERROR) << "storage fault (" << status
                    << "): refusing writes until a probe write succeeds";
  storage_ok_ = false;
  std::lock_guard<std::mutex> lock(mu_);
  ++stats_.storage_faults;
  if (listener_) listener_(false);
}

void SqliteWriter::TryRecover() {
  next_probe_ = absl::Now() + recovery_.probe_interval;
  if (fault_ == Fault::kIo && recovery_.reopen) {
    // Closing every connection lets the next open rebuild its view of the
    // WAL from the files, not from memory that saw the failed write.
    absl::StatusOr<std::unique_ptr<SqliteConnection>> fresh =
        recovery_.reopen(std::move(conn_));
    if (!fresh.ok()) {
      RETAIL_LOG(ERROR) << "reopening the database: " << fresh.status();
      return;
    }
    conn_ = std::move(*fresh);
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.reopens;
  }
  if (conn_ == nullptr) return;
  // A write that must reach the disk: the same fsync a commit needs. The
  // row is rewritten unchanged.
  Fault fault = Fault::kNone;
  const absl::Status probe = RunNotingFault("storage probe", fault, [&] {
    conn_->Exec("BEGIN IMMEDIATE");
    conn_->Exec("UPDATE server_meta SET value = value WHERE key = 'secret'");
    conn_->Exec("COMMIT");
  });
  if (!probe.ok()) {
    RollbackIfOpen("probe rollback");
    // Still broken (a full disk may have turned into EIO); an error that is
    // not the disk's is treated as one too: the probe must commit.
    if (fault == Fault::kNone) fault = Fault::kIo;
    fault_ = fault;
    MarkFault(fault, probe);
    return;
  }
  fault_ = Fault::kNone;
  fault_status_ = absl::OkStatus();
  storage_ok_ = true;
  RETAIL_LOG(INFO) << "storage recovered: taking writes again";
  std::lock_guard<std::mutex> lock(mu_);
  if (listener_) listener_(true);
}

void SqliteWriter::RunBatch(std::deque<WriteOp>& batch) {
  // Transaction control goes through the statement cache like any other SQL:
  // re-parsing "SAVEPOINT op" / "RELEASE op" twice per request cost ~3% of
  // the writer thread.
  auto run = [this](const char* sql) { conn_->Prepare(sql)->Exec(); };
  // The writer's own statements (BEGIN, SAVEPOINT, RELEASE, COMMIT) tell
  // whether a failure was the disk's.
  Fault fault = Fault::kNone;
  auto guard = [&fault](const char* what, auto&& fn) {
    return RunNotingFault(what, fault, fn);
  };
  std::vector<absl::Status> results(batch.size());
  const absl::Time began = absl::Now();
  absl::Time commit_began = began;
  absl::Time committed = began;
  absl::Status commit = guard("begin", [&] { run("BEGIN IMMEDIATE"); });
  if (commit.ok()) {
    for (size_t i = 0; i < batch.size(); ++i) {
      WriteOp& op = batch[i];
      if (op.wait.Expired()) {
        results[i] = op.wait.ExpiredStatus("the writer");
        continue;
      }
      results[i] = guard("savepoint", [&] { run("SAVEPOINT op"); });
      if (!results[i].ok()) {
        commit = results[i];
        break;
      }
      results[i] = Guard("write op", [&] { return op.apply(*conn_); });
      // An I/O error or a full disk inside a statement makes SQLite roll
      // back the whole transaction: the store only saw its own statement
      // fail, but the batch is gone.
      if (!results[i].ok() &&
          sqlite3_get_autocommit(conn_->raw().getHandle())) {
        fault = results[i].code() == absl::StatusCode::kResourceExhausted
                    ? Fault::kFull
                    : Fault::kIo;
        commit = absl::UnavailableError("the transaction was rolled back");
        break;
      }
      absl::Status end = guard("end savepoint", [&] {
        if (!results[i].ok()) run("ROLLBACK TO op");
        run("RELEASE op");
      });
      if (!end.ok()) {
        commit = end;
        break;
      }
      if (!results[i].ok() && op.on_failure) {
        Guard("on_failure", [&] {
          op.on_failure(*conn_, results[i]);
          return absl::OkStatus();
        }).IgnoreError();
      }
    }
    commit_began = absl::Now();
    if (commit.ok()) commit = guard("commit", [&] { run("COMMIT"); });
    committed = absl::Now();
    // Before anyone is answered, so an erasure's reply means its old page
    // images are gone from the WAL too. TRUNCATE waits (busy timeout) for
    // readers still on an older snapshot.
    if (conn_->TakeCheckpointRequest() && commit.ok()) Checkpoint(true);
    if (!commit.ok()) RollbackIfOpen("rollback");
    // Synchronous commit in WAL mode: readers see the batch only now that it
    // is durable, so a watcher woken here never sees an event a power cut
    // could take back.
    const bool appended = conn_->TakeEventsAppended();
    const bool rewritten = conn_->TakeStatesRewritten();
    if ((appended || rewritten) && commit.ok() && commit_listener_) {
      commit_listener_(rewritten);
    }
  }
  if (!commit.ok() && fault != Fault::kNone) {
    MarkFault(fault, commit);
    commit = fault_status_;
  }
  const absl::Time answered = absl::Now();
  std::vector<Ack> acks;
  acks.reserve(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    if (CallTrace* trace = batch[i].wait.trace.get(); trace != nullptr) {
      trace->queue_us = absl::ToInt64Microseconds(began - batch[i].queued_at);
      trace->transaction_us = absl::ToInt64Microseconds(commit_began - began);
      trace->commit_us = absl::ToInt64Microseconds(answered - commit_began);
      trace->batch_ops = static_cast<int>(batch.size());
    }
    acks.push_back(Ack{std::move(batch[i].done),
                       commit.ok() ? std::move(results[i]) : commit});
  }
  // Acknowledge only now: the batch is durable (or nothing of it is).
  // Replies are sent from the ack thread so that the writer can start the
  // next batch at once instead of serialising and sending responses (11% of
  // its time when it did so itself).
  // Before the batch is answered: a caller that has its answer finds its
  // batch counted.
  if (StorageObserver* observer = observer_.load(); observer != nullptr) {
    BatchReport report;
    report.ops = batch.size();
    report.queue_depth = queue_.depth();
    report.transaction = commit_began - began;
    report.commit = committed - commit_began;
    report.committed = commit.ok();
    observer->OnBatch(report);
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    stats_.batches += 1;
    stats_.ops += static_cast<int64_t>(batch.size());
    for (Ack& a : acks) acks_.push_back(std::move(a));
    ack_cv_.notify_one();
  }
  // After the batch is answered: the checkpoint delays the next batch, not
  // the replies of this one.
  if (commit.ok() && conn_ != nullptr &&
      conn_->wal_pages() >= kCheckpointPages) {
    Checkpoint(false);
  }
}

void SqliteWriter::Checkpoint(bool truncate) {
  const int pages = conn_->wal_pages();
  const absl::Time start = absl::Now();
  bool busy = false;
  const absl::Status status = Guard("checkpoint", [&] {
    if (!truncate) {
      conn_->Exec("PRAGMA wal_checkpoint(PASSIVE)");
      return absl::OkStatus();
    }
    // TRUNCATE waits for every reader on an older snapshot, while no write
    // can commit. Reads take milliseconds; an online backup's snapshot
    // (server/admin/) can take minutes, so the wait is short: the backup
    // truncates the WAL itself when its snapshot ends, and a snapshot begun
    // before the erasure holds the person anyway.
    conn_->raw().setBusyTimeout(kTruncateBusyMs);
    SQLite::Statement q(conn_->raw(), "PRAGMA wal_checkpoint(TRUNCATE)");
    busy = q.executeStep() && q.getColumn(0).getInt() != 0;
    conn_->raw().setBusyTimeout(SqliteConnection::kBusyTimeoutMs);
    return absl::OkStatus();
  });  // logged by Guard; the commit itself stands
  if (busy) {
    RETAIL_LOG(WARNING) << "WAL truncate after an erasure waited "
                        << kTruncateBusyMs
                        << " ms for a reader (an online backup?) and gave "
                           "up; it is retried when that snapshot ends";
  }
  if (StorageObserver* observer = observer_.load(); observer != nullptr) {
    observer->OnCheckpoint(absl::Now() - start, pages, truncate,
                           status.ok() && !busy);
  }
}

void SqliteWriter::AckLoop() {
  std::deque<Ack> acks;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      ack_cv_.wait(lock, [this] { return acks_stopping_ || !acks_.empty(); });
      if (acks_.empty()) return;  // stopping, and every ack delivered
      acks.swap(acks_);
    }
    for (Ack& a : acks) a.done(std::move(a.status));
    acks.clear();
  }
}

}  // namespace retail::db
