#include "common/db/write_queue.h"

#include <utility>

#include "absl/status/status.h"
#include "common/logging.h"

namespace retail::db {

WriteQueue::WriteQueue(int max_queue)
    : max_queue_(max_queue > 0 ? static_cast<size_t>(max_queue) : 0) {}

void WriteQueue::Submit(WriteOp op) {
  absl::Status refused;
  bool log = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) {
      refused = absl::UnavailableError("the server is shutting down");
    } else if (max_queue_ > 0 && IsCallOp(op) && calls_queued_ >= max_queue_) {
      ++refused_full_;
      // One line per 10 s of a full queue, not one per refused call.
      const absl::Time now = absl::Now();
      if (now >= next_full_log_) {
        next_full_log_ = now + absl::Seconds(10);
        log = true;
      }
      refused = Writer::QueueFullError(max_queue_);
    } else {
      if (IsCallOp(op)) ++calls_queued_;
      if (op.wait.trace != nullptr) op.queued_at = absl::Now();
      ops_.push_back(std::move(op));
      cv_.notify_one();
      return;
    }
  }
  if (log) {
    RETAIL_LOG(WARNING) << "write queue full (" << max_queue_
                        << " ops waiting): refusing writes UNAVAILABLE";
  }
  // Outside the lock: `done` may answer the call at once.
  op.done(std::move(refused));
}

bool WriteQueue::Take(std::deque<WriteOp>& out, size_t limit,
                      absl::Time deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  const auto ready = [this] { return stopping_ || !ops_.empty(); };
  // No wait_until for "forever": libstdc++ converts a system_clock deadline
  // to its own clock, which overflows at time_point::max().
  if (deadline == absl::InfiniteFuture()) {
    cv_.wait(lock, ready);
  } else {
    cv_.wait_until(lock, absl::ToChronoTime(deadline), ready);
  }
  if (ops_.empty()) return !stopping_;
  while (!ops_.empty() && out.size() < limit) {
    if (IsCallOp(ops_.front())) --calls_queued_;
    out.push_back(std::move(ops_.front()));
    ops_.pop_front();
  }
  // Several takers (PostgreSQL's workers) each take one: pass the wake-up on
  // while ops remain.
  if (!ops_.empty()) cv_.notify_one();
  return true;
}

void WriteQueue::Stop() {
  std::lock_guard<std::mutex> lock(mu_);
  stopping_ = true;
  cv_.notify_all();
}

bool WriteQueue::stopping() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stopping_;
}

size_t WriteQueue::depth() const {
  std::lock_guard<std::mutex> lock(mu_);
  return calls_queued_;
}

int64_t WriteQueue::refused_full() const {
  std::lock_guard<std::mutex> lock(mu_);
  return refused_full_;
}

}  // namespace retail::db
