#include "common/db/writer.h"

#include <future>
#include <utility>
#include <vector>

#include "common/logging.h"

namespace retail::db {

Writer::Writer(std::unique_ptr<Connection> conn, int max_batch)
    : conn_(std::move(conn)),
      max_batch_(max_batch),
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

absl::Status Writer::RunSync(std::function<absl::Status(Connection&)> apply) {
  auto promise = std::make_shared<std::promise<absl::Status>>();
  auto future = promise->get_future();
  Submit(WriteOp{std::move(apply), nullptr, [promise](absl::Status s) {
                   promise->set_value(std::move(s));
                 }});
  return future.get();
}

void Writer::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    cv_.notify_one();
  }
  if (thread_.joinable()) thread_.join();
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

void Writer::Loop() {
  std::deque<WriteOp> batch;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      // Take everything that queued up while the last batch was fsyncing.
      while (!queue_.empty() && static_cast<int>(batch.size()) < max_batch_) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    RunBatch(batch);
    batch.clear();
  }
}

void Writer::RunBatch(std::deque<WriteOp>& batch) {
  std::vector<absl::Status> results(batch.size());
  absl::Status commit = Guard("begin", [&] {
    conn_->Exec("BEGIN IMMEDIATE");
    return absl::OkStatus();
  });
  if (commit.ok()) {
    for (size_t i = 0; i < batch.size(); ++i) {
      WriteOp& op = batch[i];
      results[i] = Guard("savepoint", [&] {
        conn_->Exec("SAVEPOINT op");
        return absl::OkStatus();
      });
      if (!results[i].ok()) {
        commit = results[i];
        break;
      }
      results[i] = Guard("write op", [&] { return op.apply(*conn_); });
      absl::Status end = Guard("end savepoint", [&] {
        if (!results[i].ok()) conn_->Exec("ROLLBACK TO op");
        conn_->Exec("RELEASE op");
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
        conn_->Exec("COMMIT");
        return absl::OkStatus();
      });
    }
    if (!commit.ok()) {
      Guard("rollback", [&] {
        conn_->Exec("ROLLBACK");
        return absl::OkStatus();
      }).IgnoreError();
    }
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    stats_.batches += 1;
    stats_.ops += static_cast<int64_t>(batch.size());
  }
  // Acknowledge only now: the batch is durable (or nothing of it is).
  for (size_t i = 0; i < batch.size(); ++i) {
    batch[i].done(commit.ok() ? results[i] : commit);
  }
}

}  // namespace retail::db
