// Who used the CPU during a run: the server, this client, or anything else.
//
// Client and server share a 2-core machine with whatever else runs on it, so
// a number is only as good as the quiet it was measured in. Each row of the
// report carries these shares; "other" well above zero means the row was
// measured on a busy machine and should be repeated.
#ifndef RETAIL_TESTS_BENCH_CPU_USAGE_H_
#define RETAIL_TESTS_BENCH_CPU_USAGE_H_

#include <cstdint>

namespace retail::bench {

// Jiffy counters read from /proc at one instant.
struct CpuSnapshot {
  uint64_t total = 0;   // all CPUs, all states
  uint64_t busy = 0;    // all CPUs, not idle or iowait
  uint64_t self = 0;    // this process, user + system
  uint64_t server = 0;  // the server process (0 if unknown)
};

// Shares of the machine's total CPU capacity, in percent (all cores = 100).
struct CpuShares {
  double server = 0;
  double client = 0;
  double other = 0;
};

// `server_pid` 0: server time is not separated (it counts as other).
CpuSnapshot TakeCpuSnapshot(int server_pid);
CpuShares SharesBetween(const CpuSnapshot& before, const CpuSnapshot& after);

// The 1-minute load average from /proc/loadavg.
double LoadAverage1m();

}  // namespace retail::bench

#endif  // RETAIL_TESTS_BENCH_CPU_USAGE_H_
