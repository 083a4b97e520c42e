// Who used the CPU during a run: the server, this client, or anything else.
//
// Client and server share a 2-core machine with whatever else runs on it, so
// a number is only as good as the quiet it was measured in. Each row of the
// report carries these shares; "other" well above zero means the row was
// measured on a busy machine and should be repeated.
#ifndef RETAIL_TESTS_BENCH_CPU_USAGE_H_
#define RETAIL_TESTS_BENCH_CPU_USAGE_H_

#include <cstdint>
#include <map>
#include <vector>

namespace retail::bench {

// The processes whose CPU is told apart from "other". A tree counts its
// root and every descendant: PostgreSQL forks a backend per connection and
// nginx a worker per core, under one parent each.
struct CpuSources {
  std::vector<int> server_pids;  // each process alone (all its threads)
  int db_tree = 0;               // e.g. the postmaster; 0: none
  int proxy_tree = 0;            // e.g. nginx's master; 0: none
};

// Jiffy counters read from /proc at one instant.
struct CpuSnapshot {
  uint64_t total = 0;   // all CPUs, all states
  uint64_t busy = 0;    // all CPUs, not idle or iowait
  uint64_t self = 0;    // this process, user + system
  uint64_t server = 0;  // the server processes (0 if unknown)
  // Per process of the trees: a backend that starts or ends between two
  // snapshots must not make the difference of two sums go wrong.
  std::map<int, uint64_t> db, proxy;
};

// Shares of the machine's total CPU capacity, in percent (all cores = 100).
struct CpuShares {
  double server = 0;
  double client = 0;
  double other = 0;
  double db = 0;     // CpuSources::db_tree; 0 when not measured
  double proxy = 0;  // CpuSources::proxy_tree; 0 when not measured
};

// `server_pid` 0: server time is not separated (it counts as other).
CpuSnapshot TakeCpuSnapshot(int server_pid);
CpuSnapshot TakeCpuSnapshot(const CpuSources& sources);
CpuShares SharesBetween(const CpuSnapshot& before, const CpuSnapshot& after);

// The 1-minute load average from /proc/loadavg.
double LoadAverage1m();

}  // namespace retail::bench

#endif  // RETAIL_TESTS_BENCH_CPU_USAGE_H_
