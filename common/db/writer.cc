#include "common/db/writer.h"

#include <cstdint>
#include <future>
#include <utility>
#include <vector>

#include "common/logging.h"

namespace retail::db {

Writer::Writer(std::unique_ptr<Connection> conn, int max_batch)
    : conn_(std::move(conn)),
      max_batch_(max_batch),
      ack_thread_([this] { AckLoop(); }),
      thread_([this] { Loop(); }) {}

Writer::~Writer() { Stop(); }

void Writer::Submit(WriteOp op) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopping_) {
      queue_.push_back(std::move(op));
      cv_.notify_one();
      return;
    }
  }
  op.done(absl::UnavailableError("the server is shutting down"));
}

absl::Status Writer::RunSync(
    absl::AnyInvocable<absl::Status(Connection&)> apply) {
  auto promise = std::make_shared<std::promise<absl::Status>>();
  auto future = promise->get_future();
  WriteOp op;
  op.apply = std::move(apply);
  op.done = [promise](absl::Status s) { promise->set_value(std::move(s)); };
  Submit(std::move(op));
  return future.get();
}

void Writer::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    cv_.notify_one();
  }
  if (thread_.joinable()) thread_.join();
  // The writer has queued its last acks; deliver them, then stop.
  {
    std::lock_guard<std::mutex> lock(mu_);
    acks_stopping_ = true;
    ack_cv_.notify_one();
  }
  if (ack_thread_.joinable()) ack_thread_.join();
}

absl::Status Writer::WithConnectionAfterStop(
    const std::function<absl::Status(Connection&)>& fn) {
  if (thread_.joinable()) {
    return absl::FailedPreconditionError("writer still running");
  }
  return Guard("writer after stop", [&] { return fn(*conn_); });
}

WriterStats Writer::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

namespace {

// Waits under `mu` until `queue` holds something or `stopping` is set, then
// moves up to `limit` items into `out`. False once stopping and drained.
// Both writer threads (batches, acks) consume their queue this way.
template <typename T, typename Out>
bool TakeQueued(std::mutex& mu, std::condition_variable& cv,
                std::deque<T>& queue, const bool& stopping, size_t limit,
                Out& out) {
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return stopping || !queue.empty(); });
  if (queue.empty()) return false;
  while (!queue.empty() && out.size() < limit) {
    out.push_back(std::move(queue.front()));
    queue.pop_front();
  }
  return true;
}

}  // namespace

void Writer::Loop() {
  // Each batch is everything that queued up while the last one was fsyncing.
  std::deque<WriteOp> batch;
  while (TakeQueued(mu_, cv_, queue_, stopping_,
                    static_cast<size_t>(max_batch_), batch)) {
    RunBatch(batch);
    batch.clear();
  }
}

void Writer::RunBatch(std::deque<WriteOp>& batch) {
  // Transaction control goes through the statement cache like any other SQL:
  // re-parsing "SAVEPOINT op" / "RELEASE op" twice per request cost ~3% of
  // the writer thread.
  auto run = [this](const char* sql) { conn_->Prepare(sql)->exec(); };
  std::vector<absl::Status> results(batch.size());
  absl::Status commit = Guard("begin", [&] {
    run("BEGIN IMMEDIATE");
    return absl::OkStatus();
  });
  if (commit.ok()) {
    for (size_t i = 0; i < batch.size(); ++i) {
      WriteOp& op = batch[i];
      if (op.wait.Expired()) {
        results[i] = op.wait.ExpiredStatus("the writer");
        continue;
      }
      results[i] = Guard("savepoint", [&] {
        run("SAVEPOINT op");
        return absl::OkStatus();
      });
      if (!results[i].ok()) {
        commit = results[i];
        break;
      }
      results[i] = Guard("write op", [&] { return op.apply(*conn_); });
      absl::Status end = Guard("end savepoint", [&] {
        if (!results[i].ok()) run("ROLLBACK TO op");
        run("RELEASE op");
        return absl::OkStatus();
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
    if (commit.ok()) {
      commit = Guard("commit", [&] {
        run("COMMIT");
        return absl::OkStatus();
      });
    }
    // Before anyone is answered, so an erasure's reply means its old page
    // images are gone from the WAL too. TRUNCATE waits (busy timeout) for
    // readers still on an older snapshot.
    if (conn_->TakeCheckpointRequest() && commit.ok()) {
      Guard("checkpoint after commit", [&] {
        conn_->Exec("PRAGMA wal_checkpoint(TRUNCATE)");
        return absl::OkStatus();
      }).IgnoreError();  // logged by Guard; the commit itself stands
    }
    if (!commit.ok()) {
      Guard("rollback", [&] {
        // Not cached: after a failed COMMIT the cache may hold statements
        // the engine wants reset first, and this path is rare.
        conn_->Exec("ROLLBACK");
        return absl::OkStatus();
      }).IgnoreError();
    }
  }
  std::vector<Ack> acks;
  acks.reserve(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    acks.push_back(Ack{std::move(batch[i].done),
                       commit.ok() ? std::move(results[i]) : commit});
  }
  // Acknowledge only now: the batch is durable (or nothing of it is).
  // Replies are sent from the ack thread so that the writer can start the
  // next batch at once instead of serialising and sending responses (11% of
  // its time when it did so itself).
  std::lock_guard<std::mutex> lock(mu_);
  stats_.batches += 1;
  stats_.ops += static_cast<int64_t>(batch.size());
  for (Ack& a : acks) acks_.push_back(std::move(a));
  ack_cv_.notify_one();
}

void Writer::AckLoop() {
  std::vector<Ack> acks;
  while (TakeQueued(mu_, ack_cv_, acks_, acks_stopping_, SIZE_MAX, acks)) {
    for (Ack& a : acks) a.done(std::move(a.status));
    acks.clear();
  }
}

}  // namespace retail::db
