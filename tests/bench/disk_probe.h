// The disk's speed limit for durable writes, measured before anything else.
//
// With synchronous=FULL every commit waits for one fdatasync of the WAL, so
// 1 / (fdatasync latency) is what committing one write per sync could ever
// reach. Group commit must beat it by acknowledging many writes per sync;
// the report shows durable-write throughput as a multiple of it.
#ifndef RETAIL_TESTS_BENCH_DISK_PROBE_H_
#define RETAIL_TESTS_BENCH_DISK_PROBE_H_

#include <string>

#include "absl/status/statusor.h"

namespace retail::bench {

struct FsyncStats {
  std::string dir;
  std::string filesystem;  // e.g. "ext4", from statfs
  int iterations = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  double mean_ms = 0;
  double max_ms = 0;
  // 1 / p50: commits per second with one commit per fdatasync.
  double one_commit_per_sync_rate() const {
    return p50_ms > 0 ? 1000.0 / p50_ms : 0;
  }
};

// Appends 4 KiB and fdatasyncs, `iterations` times (after a few unmeasured
// ones), on a temporary file in `dir` (the database's directory, so the same
// file system and device), then removes the file.
absl::StatusOr<FsyncStats> MeasureFdatasync(const std::string& dir,
                                            int iterations);

}  // namespace retail::bench

#endif  // RETAIL_TESTS_BENCH_DISK_PROBE_H_
