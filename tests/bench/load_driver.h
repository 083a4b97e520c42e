// Drives one workload against the server and measures it.
//
// Two ways to load a server, because they answer different questions:
//
//  * Closed loop: a fixed number of RPCs in flight; each completion starts
//    the next. Its throughput is the server's maximum at that concurrency,
//    but its latencies flatter the server, because a slow reply also delays
//    the requests that would have queued behind it (coordinated omission).
//  * Open loop: requests start on a schedule (Poisson arrivals at a fixed
//    rate) whatever the server does, and each latency is timed from the
//    request's *scheduled* start. If the server or the client falls behind,
//    the wait shows in the latency instead of silently lowering the load.
//
// Both run a warm-up (connections, caches, the allocator and SQLite's page
// cache settle; nothing is recorded), then a measured window. Every RPC's
// status is checked: a failed RPC is counted as an error, never as
// throughput. Everything is bounded: the window by time, in-flight and
// outstanding RPCs by count, each RPC by its deadline, the drain at the end
// by `drain_timeout`.
#ifndef RETAIL_TESTS_BENCH_LOAD_DRIVER_H_
#define RETAIL_TESTS_BENCH_LOAD_DRIVER_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "absl/time/time.h"
#include "tests/bench/cpu_usage.h"
#include "tests/bench/histogram.h"

namespace retail::bench {

// Completion of one workload operation: its status, and how many items
// (customers, rows) it returned, so the report can show that a "page of 50"
// really held 50.
using Done = std::function<void(const grpc::Status& status, int items)>;

// Starts one workload operation (one or more RPCs) on connection `channel`
// without blocking, and calls `done` exactly once when it ends. `seq` is a
// unique number per operation, for request ids and for picking data.
using IssueFn = std::function<void(int channel, uint64_t seq, Done done)>;

struct DriverOptions {
  int channels = 4;
  int in_flight = 64;  // closed loop: operations always outstanding
  absl::Duration warmup = absl::Seconds(2);
  absl::Duration duration = absl::Seconds(5);
  // After the window, wait this long at most for the last operations (their
  // RPC deadlines end them long before in practice).
  absl::Duration drain_timeout = absl::Seconds(30);
  // Open loop: the most operations outstanding at once. Past it the
  // scheduler waits, which shows up as latency, not as lost load.
  int max_outstanding = 20'000;
  uint64_t seed = 1;  // open-loop arrival times
  // Open loop: threads sharing the arrival schedule.
  int open_loop_threads = 2;
  // The server's process id, so its CPU use in the window is reported
  // apart from the client's and everything else's; 0 if unknown.
  int server_pid = 0;
  // More processes told apart: other server replicas (counted as the
  // server), the database's and a proxy's process trees.
  CpuSources more_cpu;
};

struct RunResult {
  std::string mode;        // "closed" or "open"
  int in_flight = 0;       // closed: fixed; open: the most seen at once
  double offered_rps = 0;  // open loop: the schedule's rate
  double seconds = 0;      // length of the measured window
  uint64_t ok = 0;         // measured operations that succeeded
  uint64_t errors = 0;     // measured operations that failed
  std::map<std::string, uint64_t> errors_by_code;
  std::string first_error;   // code and message of the first failure
  double rps = 0;            // successful completions per second in the window
  double items_per_op = 0;   // mean items returned by successful operations
  uint64_t late_starts = 0;  // open loop: started > 1 ms after their schedule
  bool drained = true;       // false if operations outlived drain_timeout
  LatencySummary latency;    // successful operations only
  CpuShares cpu;             // during the measured window
  // Calls answered UNAVAILABLE and sent again (EnvOptions::
  // retry_unavailable), warm-up and window; set by the caller.
  uint64_t retries = 0;
};

// Keeps `options.in_flight` operations outstanding for warm-up + duration.
// Latency is completion minus start; measured are operations that complete
// inside the window.
RunResult RunClosedLoop(const IssueFn& issue, const DriverOptions& options);

// Starts operations at Poisson arrival times averaging `rate` per second.
// Latency is completion minus *scheduled* start; measured are operations
// scheduled inside the window (and waited for, up to drain_timeout).
RunResult RunOpenLoop(const IssueFn& issue, const DriverOptions& options,
                      double rate);

// CLOCK_MONOTONIC in nanoseconds: the one clock of the driver.
int64_t MonotonicNanos();

}  // namespace retail::bench

#endif  // RETAIL_TESTS_BENCH_LOAD_DRIVER_H_
