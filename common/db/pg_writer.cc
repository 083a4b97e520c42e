#include "common/db/pg_writer.h"

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <random>
#include <string>
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

// An erasure's old row versions (the person's data before it) stay in the
// tables' pages until VACUUM removes them. What to vacuum, read before the
// transaction's COMMIT while its statistics are still its own: the tables
// whose rows it updated or deleted ("t1, t2, ..." as regclass names them,
// quoted where needed: PostgreSQL's text, never a request's; partitions by
// their own names, so only their months are vacuumed), and its xid.
struct ErasureVacuum {
  std::string tables;
  std::string xid;
};

ErasureVacuum ToVacuum(PgConnection& conn) {
  Stmt q = conn.Prepare(
      "SELECT string_agg(relid::regclass::text, ', ' ORDER BY relid),"
      " pg_current_xact_id()::xid::text"
      " FROM pg_stat_xact_user_tables WHERE n_tup_upd + n_tup_del > 0");
  if (!q->Step() || q->IsNull(0)) return {};
  return {q->String(0), q->String(1)};
}

// How long an erasure's answer waits for older snapshots to end before its
// VACUUM runs anyway.
constexpr absl::Duration kVacuumSnapshotWait = absl::Seconds(2);

// Runs outside any transaction (VACUUM cannot run inside one), after the
// commit. VACUUM keeps every version a snapshot still open may see: a read
// that began before the erasure committed would leave the person's old
// rows in place. So it first waits (bounded) until no other session of this
// database holds a snapshot from before the erasure's commit.
// FREEZE makes the VACUUM aggressive: a page another backend has pinned
// (the checkpointer writing it out, a scan) is waited for instead of
// skipped unpruned, as a plain VACUUM does. INDEX_CLEANUP ON: by default
// VACUUM may skip the indexes when few pages hold dead rows, and index
// entries keep their keys (a phone). A failure is
// logged: the erasure is committed and answered as such, and autovacuum
// removes the versions later.
void VacuumAfterErasure(PgConnection& conn, const ErasureVacuum& what) {
  const absl::Time began = absl::Now();
  absl::Status s = Guard("vacuum after erasure", [&] {
    Stmt older = conn.Prepare(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        " AND backend_xmin IS NOT NULL"
        " AND age(backend_xmin) >= age(CAST(?1 AS xid))");
    const absl::Time give_up = began + kVacuumSnapshotWait;
    while (true) {
      older->Reset();
      older->Bind(1, what.xid);
      if (!older->Step() || older->Int64(0) == 0) break;
      if (absl::Now() >= give_up) {
        RETAIL_LOG(WARNING) << "vacuum after erasure: a snapshot older than "
                               "the erasure is still open; autovacuum will "
                               "remove what this vacuum must keep";
        break;
      }
      absl::SleepFor(absl::Milliseconds(10));
    }
    // This connection's counts of the dead versions go out first, so the
    // count VACUUM leaves (pg_stat_user_tables.n_dead_tup) is not raised
    // again by them afterwards.
    conn.Exec("SELECT pg_stat_force_next_flush()");
    conn.Exec(absl::StrCat("VACUUM (FREEZE, INDEX_CLEANUP ON) ", what.tables)
                  .c_str());
    return absl::OkStatus();
  });
  if (!s.ok()) {
    RETAIL_LOG(WARNING) << "vacuum after erasure of " << what.tables << ": "
                        << s;
  } else {
    RETAIL_LOG(INFO) << "vacuumed " << what.tables << " after an erasure in "
                     << absl::Now() - began;
  }
}

std::atomic<bool> rehearse_retries{false};

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
    : options_(std::move(options)), queue_(options_.max_queue) {}

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
  // Events a replica committed but did not live to number; counted like
  // every other numbering, so retail_events_sequenced_total adds up.
  ASSIGN_OR_RETURN(writer->pg_stats_.events_sequenced,
                   SequenceEvents(*writer->workers_[0]->conn));
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

void PgWriter::Submit(WriteOp op) { queue_.Submit(std::move(op)); }

size_t PgWriter::queue_depth() const { return queue_.depth(); }

void PgWriter::Stop() {
  queue_.Stop();
  for (auto& worker : workers_) {
    if (worker->thread.joinable()) worker->thread.join();
  }
  listen_stopping_ = true;
  if (listen_thread_.joinable()) listen_thread_.join();
}

WriterStats PgWriter::stats() const {
  WriterStats stats;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stats = stats_;
  }
  stats.queue_full = queue_.refused_full();
  return stats;
}

void PgWriter::RehearseRetriesForTesting(bool on) {
  rehearse_retries.store(on);
}

PgWriterStats PgWriter::pg_stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return pg_stats_;
}

std::optional<WriterPoolStats> PgWriter::pool_stats() const {
  WriterPoolStats s;
  s.connections = static_cast<int>(workers_.size());
  s.connections_in_use = busy_.load();
  std::lock_guard<std::mutex> lock(mu_);
  s.transaction_retries = pg_stats_.serialization_retries;
  s.retries_exhausted = pg_stats_.retries_exhausted;
  s.reconnects = pg_stats_.reconnects;
  s.events_sequenced = pg_stats_.events_sequenced;
  return s;
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
  // Stop() drains: what was accepted is still written.
  std::deque<WriteOp> ops;
  while (queue_.Take(ops, 1)) {
    if (ops.empty()) continue;
    ++busy_;
    Run(worker, ops.front());
    --busy_;
    ops.clear();
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
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++pg_stats_.reconnects;
  }
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
  absl::Duration commit_took;
  if (op.wait.Expired()) {
    status = op.wait.ExpiredStatus("the writer");
  } else if (!EnsureConnected(worker)) {
    status = absl::UnavailableError("the database is unavailable; retry");
  } else {
    for (int attempt = 1;; ++attempt) {
      bool retry = false;
      const bool rehearse = attempt == 1 && rehearse_retries.load();
      status = Attempt(*worker.conn, op, retry, commit_took, rehearse);
      if (!retry) {
        committed = status.ok();
        break;
      }
      if (rehearse) continue;  // not a conflict: neither counted nor slept
      if (attempt >= options_.max_attempts) {
        RETAIL_LOG(WARNING) << "a write conflicted " << attempt
                            << " times in a row; answered UNAVAILABLE";
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
    report.commit = commit_took;
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

absl::Status PgWriter::Attempt(PgConnection& conn, WriteOp& op, bool& retry,
                               absl::Duration& commit_took, bool rehearse) {
  // What an earlier, rolled-back run noted is not this run's.
  TakeFirstStorageErrorKind();
  conn.TakeEventsAppended();
  conn.TakeStatesRewritten();
  conn.TakeCheckpointRequest();
  absl::Status began = Guard("begin", [&] {
    conn.Exec("BEGIN ISOLATION LEVEL SERIALIZABLE");
    return absl::OkStatus();
  });
  if (!began.ok()) return began;
  absl::Status status = Guard("write op", [&] { return op.apply(conn); });
  // An erasure asks SQLite to truncate its WAL after the commit; here its
  // tables are vacuumed instead, before it is answered.
  ErasureVacuum vacuum;
  if (status.ok() && conn.TakeCheckpointRequest()) {
    status = Guard("tables to vacuum", [&] {
      vacuum = ToVacuum(conn);
      return absl::OkStatus();
    });
  }
  if (status.ok() && rehearse) {
    RollbackQuietly(conn);
    retry = true;
    return absl::AbortedError("rehearsed serialization failure");
  }
  if (status.ok()) {
    const absl::Time commit_began = absl::Now();
    try {
      conn.Exec("COMMIT");
      commit_took += absl::Now() - commit_began;
    } catch (const std::exception& e) {
      commit_took += absl::Now() - commit_began;
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
    // After the sequencer's numbering, which rewrote the erasure's events.
    if (!vacuum.tables.empty()) VacuumAfterErasure(conn, vacuum);
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
  absl::Time next_probe = absl::InfinitePast();
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
    // storage_ok_ (health) goes off when a write finds the database gone,
    // and a write reconnecting turned it on again: a server no one wrote to,
    // as a balancer sends nothing to NOT_SERVING, never served again. So
    // while it is off the database is probed here. The probe numbers the
    // events of commits whose own numbering the outage cut short (answered
    // OK all the same), which would otherwise wait for the next write.
    if (!storage_ok_.load() && absl::Now() >= next_probe) {
      next_probe = absl::Now() + options_.reconnect_interval;
      absl::StatusOr<int64_t> numbered = SequenceEvents(*listen_conn_);
      if (numbered.ok()) {
        {
          std::lock_guard<std::mutex> lock(mu_);
          pg_stats_.events_sequenced += *numbered;
        }
        NoteStorage(true);
        TellCommit(false);
      }
    }
    PGconn* raw = listen_conn_->raw();
    pollfd fd{PQsocket(raw), POLLIN, 0};
    // Short, so Stop() is not kept waiting. The probe's statements may have
    // read notifications already: they are taken below either way.
    if (poll(&fd, 1, 100) > 0 && PQconsumeInput(raw) == 0) {
      continue;  // lost: reconnect above
    }
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
