// Time source. Everything that stores or compares times asks a Clock, so tests
// can inject a fake one for SLA and recency rules. Times are UTC microseconds
// since the Unix epoch, the unit stored in the database.
#ifndef RETAIL_COMMON_CLOCK_H_
#define RETAIL_COMMON_CLOCK_H_

#include <atomic>
#include <cstdint>

namespace retail {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t NowMicros() const = 0;
  // How long in real time a timer waiting for business time `micros` should
  // sleep before looking again (the maintenance scheduler; SLA timers).
  // The system clock says how far away `micros` is; a fake clock, which
  // only moves when a test advances it, says "look again soon", so due work
  // runs shortly after the test moves time past it.
  virtual int64_t RealMicrosUntil(int64_t micros) const {
    return micros - NowMicros();
  }
};

// The real wall clock.
class SystemClock final : public Clock {
 public:
  int64_t NowMicros() const override;
  // A process-wide instance.
  static const Clock* Get();
};

// A clock that only moves when told to; safe to share across threads.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t now_micros) : now_(now_micros) {}
  int64_t NowMicros() const override { return now_.load(); }
  int64_t RealMicrosUntil(int64_t micros) const override {
    return micros <= NowMicros() ? 0 : 20'000;
  }
  void Set(int64_t now_micros) { now_.store(now_micros); }
  void Advance(int64_t micros) { now_.fetch_add(micros); }

 private:
  std::atomic<int64_t> now_;
};

inline constexpr int64_t kMicrosPerSecond = 1'000'000;
inline constexpr int64_t kMicrosPerDay = 86'400 * kMicrosPerSecond;

}  // namespace retail

#endif  // RETAIL_COMMON_CLOCK_H_
