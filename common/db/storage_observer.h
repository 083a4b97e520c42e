// What the storage layer reports as it works, for metrics (server/metrics/).
// The writer and the reader pool call these on their own threads, on every
// batch and every read: implementations must be cheap, thread-safe and must
// never block or touch the database.
#ifndef RETAIL_COMMON_DB_STORAGE_OBSERVER_H_
#define RETAIL_COMMON_DB_STORAGE_OBSERVER_H_

#include <cstddef>

#include "absl/time/time.h"

namespace retail::db {

// One group commit.
struct BatchReport {
  size_t ops = 0;          // operations in the batch
  size_t queue_depth = 0;  // calls' writes still waiting after it was taken
  // BEGIN to the start of COMMIT: every op's statements.
  absl::Duration transaction;
  // COMMIT itself: in WAL mode with synchronous=FULL, its fsync of the WAL.
  absl::Duration commit;
  bool committed = false;  // false: rolled back, or lost to a storage fault
};

class StorageObserver {
 public:
  virtual ~StorageObserver() = default;
  virtual void OnBatch(const BatchReport& batch) = 0;
  // A WAL checkpoint the writer ran: `pages` in the WAL before it, and
  // whether it truncated the WAL (an erasure's, or shutdown's).
  virtual void OnCheckpoint(absl::Duration took, int pages, bool truncate,
                            bool ok) = 0;
  // How long a read waited for a reader connection (zero when one was
  // free).
  virtual void OnReaderWait(absl::Duration waited) = 0;
};

}  // namespace retail::db

#endif  // RETAIL_COMMON_DB_STORAGE_OBSERVER_H_
