// The queue in front of every Writer (writer.h): what both engines' writers
// share between a call submitting its op and a writer thread taking it.
//
// It owns the rules of writer.h's "Overload" paragraph, once: a call's op
// (IsCallOp) submitted while `max_queue` calls' ops already wait is refused
// at once with Writer::QueueFullError and never applied; the server's own
// work is always queued and not counted; after Stop() everything submitted
// is refused UNAVAILABLE, while what was accepted before is still handed out
// (a writer drains it). How ops then become transactions is the engine's:
// SQLite's writer takes a batch at a time into one group commit,
// PostgreSQL's workers take one op each.
#ifndef RETAIL_COMMON_DB_WRITE_QUEUE_H_
#define RETAIL_COMMON_DB_WRITE_QUEUE_H_

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>

#include "absl/time/time.h"
#include "common/db/writer.h"

namespace retail::db {

class WriteQueue {
 public:
  // `max_queue`: calls' ops that may wait at once; 0 or less: no bound.
  explicit WriteQueue(int max_queue);

  // Queues `op`, or answers it at once on this thread (its `done`, outside
  // the lock) when stopped or full; a full queue is logged once per 10 s.
  void Submit(WriteOp op);

  // Waits until an op is queued, Stop() is called or `deadline` passes, then
  // moves up to `limit` ops into `out`. False only once stopped and empty:
  // the taker's cue to exit.
  bool Take(std::deque<WriteOp>& out, size_t limit,
            absl::Time deadline = absl::InfiniteFuture());

  // Refuses what is submitted from now on and wakes every taker.
  void Stop();

  bool stopping() const;
  // Calls' ops waiting now, what `max_queue` bounds.
  size_t depth() const;
  // Calls' ops refused because the queue was full, since the start.
  int64_t refused_full() const;

 private:
  const size_t max_queue_;  // 0: unbounded
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<WriteOp> ops_;
  size_t calls_queued_ = 0;  // ops of ops_ with a finite wait
  bool stopping_ = false;
  int64_t refused_full_ = 0;
  absl::Time next_full_log_ = absl::InfinitePast();
};

}  // namespace retail::db

#endif  // RETAIL_COMMON_DB_WRITE_QUEUE_H_
