#include "common/clock.h"

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace retail {

int64_t SystemClock::NowMicros() const {
  return absl::ToUnixMicros(absl::Now());
}

const Clock* SystemClock::Get() {
  static const SystemClock* const kClock = new SystemClock();
  return kClock;
}

}  // namespace retail
