#include "tests/bench/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace retail::bench {

Histogram::Histogram() {
  for (auto& c : counts_) c.store(0, std::memory_order_relaxed);
}

int Histogram::BucketOf(uint64_t v) {
  if (v < static_cast<uint64_t>(kSub)) return static_cast<int>(v);
  int exponent = 63 - std::countl_zero(v);  // >= kSubBits
  if (exponent > kMaxExponent) return kBuckets - 1;
  // The kSubBits bits below the leading one select the linear sub-bucket.
  const int mantissa =
      static_cast<int>((v >> (exponent - kSubBits)) & (kSub - 1));
  return kSub + (exponent - kSubBits) * kSub + mantissa;
}

double Histogram::ValueOf(int bucket) {
  if (bucket < kSub) return bucket;
  const int exponent = (bucket - kSub) / kSub + kSubBits;
  const int mantissa = (bucket - kSub) % kSub;
  const double width = std::ldexp(1.0, exponent - kSubBits);
  return (kSub + mantissa) * width + width / 2;
}

void Histogram::Record(int64_t nanos) {
  const uint64_t v = nanos < 0 ? 0 : static_cast<uint64_t>(nanos);
  counts_[BucketOf(v)].fetch_add(1, std::memory_order_relaxed);
  total_.fetch_add(1, std::memory_order_relaxed);
  sum_nanos_.fetch_add(v, std::memory_order_relaxed);
  uint64_t seen = max_nanos_.load(std::memory_order_relaxed);
  while (v > seen && !max_nanos_.compare_exchange_weak(
                         seen, v, std::memory_order_relaxed)) {
  }
}

LatencySummary Histogram::Summarize() const {
  LatencySummary s;
  s.count = total_.load();
  if (s.count == 0) return s;
  constexpr double kMs = 1e6;
  s.mean_ms = static_cast<double>(sum_nanos_.load()) / s.count / kMs;
  s.max_ms = static_cast<double>(max_nanos_.load()) / kMs;
  // Nearest-rank percentiles: the smallest value with at least q of the
  // samples at or below it.
  const double qs[] = {0.50, 0.90, 0.99, 0.999};
  double* outs[] = {&s.p50_ms, &s.p90_ms, &s.p99_ms, &s.p999_ms};
  uint64_t cumulative = 0;
  int next = 0;
  for (int b = 0; b < kBuckets && next < 4; ++b) {
    cumulative += counts_[b].load(std::memory_order_relaxed);
    while (next < 4 &&
           cumulative >= static_cast<uint64_t>(std::ceil(qs[next] * s.count))) {
      // A bucket's midpoint can exceed the largest sample; never report more.
      *outs[next] = std::min(ValueOf(b) / kMs, s.max_ms);
      ++next;
    }
  }
  return s;
}

}  // namespace retail::bench
