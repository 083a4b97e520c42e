// A fixed-size, lock-free latency histogram for the load driver.
//
// Completions arrive on several gRPC callback threads at tens of thousands per
// second, so recording must be cheap and must not take a lock: every bucket is
// a relaxed atomic counter. Buckets are log-linear (HdrHistogram's layout):
// 128 linear sub-buckets per power of two, so any reported percentile is
// within 0.8% of the true value, from 1 ns to ~18 minutes, in ~36 KiB.
#ifndef RETAIL_TESTS_BENCH_HISTOGRAM_H_
#define RETAIL_TESTS_BENCH_HISTOGRAM_H_

#include <array>
#include <atomic>
#include <cstdint>

namespace retail::bench {

// Percentiles and moments of one run, in milliseconds.
struct LatencySummary {
  uint64_t count = 0;
  double mean_ms = 0;
  double p50_ms = 0;
  double p90_ms = 0;
  double p99_ms = 0;
  double p999_ms = 0;
  double max_ms = 0;
};

class Histogram {
 public:
  Histogram();
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  // Thread-safe. Negative values count as 0; huge ones land in the last
  // bucket.
  void Record(int64_t nanos);

  // Reads the counters. Call after recording has stopped for exact figures.
  LatencySummary Summarize() const;

 private:
  static constexpr int kSubBits = 7;
  static constexpr int kSub = 1 << kSubBits;
  static constexpr int kMaxExponent = 40;  // 2^40 ns ~ 18 minutes
  static constexpr int kBuckets = kSub + (kMaxExponent - kSubBits + 1) * kSub;

  static int BucketOf(uint64_t nanos);
  // A representative value (the bucket's midpoint) for reporting.
  static double ValueOf(int bucket);

  std::array<std::atomic<uint64_t>, kBuckets> counts_;
  std::atomic<uint64_t> total_{0};
  std::atomic<uint64_t> sum_nanos_{0};
  std::atomic<uint64_t> max_nanos_{0};
};

}  // namespace retail::bench

#endif  // RETAIL_TESTS_BENCH_HISTOGRAM_H_
