#include "common/db/pg_writer.h"

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <random>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/status.h"

namespace retail::db {
namespace {

// The advisory lock that makes one sequencer run at a time across every
// replica (migrations use their own key, kPgMigrationLockKey).
constexpr int64_t kSequencerLockKey = 0x7265745f73657131;  // "ret_seq1"
// A NOTIFY payload saying stored event states were rewritten (an erasure):
// watchers drop what they hold in memory.
constexpr char kRewritten[] = "rewritten";

void RollbackQuietly(PgConnection& conn) {
  try {
    // After a failed COMMIT the transaction is already gone: PostgreSQL
    // only warns.
    conn.Exec("ROLLBACK");
  } catch (const std::exception& e) {
    RETAIL_LOG(WARNING) << "rollback: " << e.what();
  }
}

absl::Duration Backoff(absl::Duration base, int attempt) {
  // Exponential with full jitter, capped: transactions that collided once
  // should not collide again in lockstep.
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const absl::Duration cap = std::min(
      base * (int64_t{1} << std::min(attempt, 6)), absl::Milliseconds(100));
  std::uniform_int_distribution<int64_t> pick(
      0, std::max<int64_t>(1, absl::ToInt64Microseconds(cap)));
  return absl::Microseconds(pick(rng));
}

}  // namespace

PgWriter::PgWriter(PgWriterOptions options)
    : options_(std::move(options)),
      max_queue_(options_.max_queue > 0
                     ? static_cast<size_t>(options_.max_queue)
                     : 0) {}

absl::StatusOr<std::unique_ptr<PgWriter>> PgWriter::Start(
    PgWriterOptions options) {
  auto writer = std::unique_ptr<PgWriter>(new PgWriter(std::move(options)));
  const int n = std::max(1, writer->options_.connections);
  for (int i = 0; i < n; ++i) {
    auto worker = std::make_unique<Worker>();
    ASSIGN_OR_RETURN(worker->conn, PgConnection::Open(writer->options_.url));
    writer->workers_.push_back(std::move(worker));
  }
  ASSIGN_OR_RETURN(writer->listen_conn_,
                   PgConnection::Open(writer->options_.url));
  RETURN_IF_ERROR(Guard("listen", [&] {
    writer->listen_conn_->Exec("LISTEN retail_events");
    return absl::OkStatus();
  }));
  // Events a replica committed but did not live to number.
  RETURN_IF_ERROR(SequenceEvents(*writer->workers_[0]->conn).status());
  for (auto& worker : writer->workers_) {
    Worker* w = worker.get();
    PgWriter* self = writer.get();
    w->thread = std::thread([self, w] { self->WorkerLoop(*w); });
  }
  writer->listen_thread_ =
      std::thread([self = writer.get()] { self->ListenLoop(); });
  return writer;
}

PgWriter::~PgWriter() { Stop(); }

void PgWriter::Submit(WriteOp op) {
  absl::Status refused;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) {
      refused = absl::UnavailableError("the server is shutting down");
    } else if (max_queue_ > 0 && IsCallOp(op) &&
               bounded_queued_ >= max_queue_) {
      ++stats_.queue_full;
      refused = QueueFullError(max_queue_);
    } else {
      if (IsCallOp(op)) ++bounded_queued_;
      if (op.wait.trace != nullptr) op.queued_at = absl::Now();
      queue_.push_back(std::move(op));
      cv_.notify_one();
      return;
    }
  }
  op.done(std::move(refused));
}

size_t PgWriter::queue_depth() const {
  std::lock_guard<std::mutex> lock(mu_);
  return bounded_queued_;
}

void PgWriter::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    cv_.notify_all();
  }
  for (auto& worker : workers_) {
    if (worker->thread.joinable()) worker->thread.join();
  }
  listen_stopping_ = true;
  if (listen_thread_.joinable()) listen_thread_.join();
}

WriterStats PgWriter::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

PgWriterStats PgWriter::pg_stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return pg_stats_;
}

void PgWriter::SetStorageListener(absl::AnyInvocable<void(bool ok)> listener) {
  std::lock_guard<std::mutex> lock(mu_);
  storage_listener_ = std::move(listener);
}

void PgWriter::SetCommitListener(absl::AnyInvocable<void(bool)> listener) {
  std::lock_guard<std::mutex> lock(listener_mu_);
  commit_listener_ = std::move(listener);
}

void PgWriter::WorkerLoop(Worker& worker) {
  for (;;) {
    WriteOp op;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      // Stop() drains: what was accepted is still written.
      if (queue_.empty()) return;
      op = std::move(queue_.front());
      queue_.pop_front();
      if (IsCallOp(op)) --bounded_queued_;
    }
    Run(worker, op);
  }
}

bool PgWriter::EnsureConnected(Worker& worker) {
  if (worker.conn != nullptr && worker.conn->ok()) return true;
  worker.conn.reset();
  absl::StatusOr<std::unique_ptr<PgConnection>> conn =
      PgConnection::Open(options_.url);
  if (!conn.ok()) {
    NoteStorage(false);
    return false;
  }
  worker.conn = std::move(*conn);
  NoteStorage(true);
  return true;
}

void PgWriter::NoteStorage(bool ok) {
  if (storage_ok_.exchange(ok) == ok) return;
  if (ok) {
    RETAIL_LOG(INFO) << "PostgreSQL writer connection restored";
  } else {
    RETAIL_LOG(ERROR) << "PostgreSQL writer connection lost: refusing writes "
                         "until it is back";
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (!ok) ++stats_.storage_faults;
  if (storage_listener_) storage_listener_(ok);
}

void PgWriter::TellCommit(bool states_rewritten) {
  // Workers and the LISTEN thread call it at once; the listener need not be
  // thread-safe, and Submit should not wait for it.
  std::lock_guard<std::mutex> lock(listener_mu_);
  if (commit_listener_) commit_listener_(states_rewritten);
}

void PgWriter::Run(Worker& worker, WriteOp& op) {
  const absl::Time began = absl::Now();
  absl::Status status;
  bool committed = false;
  if (op.wait.Expired()) {
    status = op.wait.ExpiredStatus("the writer");
  } else if (!EnsureConnected(worker)) {
    status = absl::UnavailableError("the database is unavailable; retry");
  } else {
    for (int attempt = 1;; ++attempt) {
      bool retry = false;
      status = Attempt(*worker.conn, op, retry);
      if (!retry) {
        committed = status.ok();
        break;
      }
      if (attempt >= options_.max_attempts) {
        std::lock_guard<std::mutex> lock(mu_);
        ++pg_stats_.retries_exhausted;
        status = absl::UnavailableError(
            "the records this change touches are being changed by others; "
            "nothing was written: retry the same request");
        break;
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        ++pg_stats_.serialization_retries;
      }
      absl::SleepFor(Backoff(options_.retry_backoff, attempt));
      if (op.wait.Expired()) {
        status = op.wait.ExpiredStatus("the writer");
        break;
      }
    }
    if (!worker.conn->ok()) NoteStorage(false);
  }
  const absl::Time answered = absl::Now();
  if (CallTrace* trace = op.wait.trace.get(); trace != nullptr) {
    trace->queue_us = absl::ToInt64Microseconds(began - op.queued_at);
    trace->transaction_us = absl::ToInt64Microseconds(answered - began);
    trace->batch_ops = 1;
  }
  if (StorageObserver* observer = observer_.load(); observer != nullptr) {
    BatchReport report;
    report.ops = 1;
    report.queue_depth = queue_depth();
    report.transaction = answered - began;
    report.committed = committed;
    observer->OnBatch(report);
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    stats_.batches += 1;
    stats_.ops += 1;
  }
  op.done(std::move(status));
}

absl::Status PgWriter::Attempt(PgConnection& conn, WriteOp& op, bool& retry) {
  // What an earlier, rolled-back run noted is not this run's.
  TakeFirstStorageErrorKind();
  conn.TakeEventsAppended();
  conn.TakeStatesRewritten();
  conn.TakeCheckpointRequest();  // SQLite's WAL only
  absl::Status began = Guard("begin", [&] {
    conn.Exec("BEGIN ISOLATION LEVEL SERIALIZABLE");
    return absl::OkStatus();
  });
  if (!began.ok()) return began;
  absl::Status status = Guard("write op", [&] { return op.apply(conn); });
  if (status.ok()) {
    try {
      conn.Exec("COMMIT");
    } catch (const std::exception& e) {
      if (KindOf(e) == StorageErrorKind::kSerialization) {
        retry = true;
        return absl::AbortedError("serialization failure at commit");
      }
      return StatusFromStorageException(e, "commit");
    }
    const bool appended = conn.TakeEventsAppended();
    const bool rewritten = conn.TakeStatesRewritten();
    if (appended || rewritten) {
      // The op is durable whatever happens here: a numbering that fails is
      // done by the next commit's, or at the next start.
      absl::StatusOr<int64_t> numbered = SequenceEvents(conn);
      if (numbered.ok()) {
        std::lock_guard<std::mutex> lock(mu_);
        pg_stats_.events_sequenced += *numbered;
      }
      if (rewritten) {
        Guard("notify", [&] {
          conn.Exec("NOTIFY retail_events, 'rewritten'");
          return absl::OkStatus();
        }).IgnoreError();
      }
      TellCommit(rewritten);
    }
    return absl::OkStatus();
  }
  const std::optional<StorageErrorKind> kind = TakeFirstStorageErrorKind();
  RollbackQuietly(conn);
  if (kind == StorageErrorKind::kSerialization) {
    retry = true;
    return status;
  }
  if (op.on_failure && conn.ok()) {
    absl::Status recorded = Guard("on_failure", [&] {
      conn.Exec("BEGIN ISOLATION LEVEL SERIALIZABLE");
      op.on_failure(conn, status);
      conn.Exec("COMMIT");
      return absl::OkStatus();
    });
    if (!recorded.ok()) RollbackQuietly(conn);
  }
  return status;
}

absl::StatusOr<int64_t> PgWriter::SequenceEvents(PgConnection& conn) {
  return Guard("sequence events", [&]() -> absl::StatusOr<int64_t> {
    // READ COMMITTED: each statement after the lock sees every transaction
    // committed before it, so none is left unnumbered behind a later one.
    conn.Exec("BEGIN ISOLATION LEVEL READ COMMITTED");
    try {
      {
        Stmt lock = conn.Prepare("SELECT pg_advisory_xact_lock(?1)");
        lock->Bind(1, kSequencerLockKey);
        lock->Step();
      }
      int64_t numbered = 0;
      {
        Stmt number = conn.Prepare(
            "UPDATE events AS e SET event_id = q.head + p.n"
            " FROM (SELECT pending_id, create_time_us,"
            "        row_number() OVER (ORDER BY pending_id) AS n"
            "       FROM events WHERE event_id IS NULL) AS p,"
            "      event_sequencer AS q"
            " WHERE e.pending_id = p.pending_id"
            "   AND e.create_time_us = p.create_time_us");
        numbered = number->Exec();
      }
      if (numbered > 0) {
        Stmt head = conn.Prepare("UPDATE event_sequencer SET head = head + ?1");
        head->Bind(1, numbered);
        head->Exec();
        conn.Exec("NOTIFY retail_events");
      }
      conn.Exec("COMMIT");
      return numbered;
    } catch (...) {
      RollbackQuietly(conn);
      throw;
    }
  });
}

void PgWriter::ListenLoop() {
  absl::Time next_try = absl::InfinitePast();
  while (!listen_stopping_.load()) {
    if (listen_conn_ == nullptr || !listen_conn_->ok()) {
      if (absl::Now() < next_try) {
        absl::SleepFor(absl::Milliseconds(50));
        continue;
      }
      next_try = absl::Now() + options_.reconnect_interval;
      listen_conn_.reset();
      absl::StatusOr<std::unique_ptr<PgConnection>> conn =
          PgConnection::Open(options_.url);
      if (!conn.ok()) continue;
      if (!Guard("listen", [&] {
             (*conn)->Exec("LISTEN retail_events");
             return absl::OkStatus();
           }).ok()) {
        continue;
      }
      listen_conn_ = std::move(*conn);
      // Commits made while no one listened: watchers look again.
      TellCommit(false);
    }
    PGconn* raw = listen_conn_->raw();
    pollfd fd{PQsocket(raw), POLLIN, 0};
    // Short, so Stop() is not kept waiting.
    if (poll(&fd, 1, 100) <= 0) continue;
    if (PQconsumeInput(raw) == 0) continue;  // lost: reconnect above
    bool any = false;
    bool rewritten = false;
    while (PGnotify* n = PQnotifies(raw)) {
      any = true;
      rewritten = rewritten || absl::string_view(n->extra) == kRewritten;
      PQfreemem(n);
    }
    if (any) TellCommit(rewritten);
  }
}

}  // namespace retail::db
