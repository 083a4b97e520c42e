#include "common/rate_limiter.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "common/status.h"

namespace retail {
namespace {

class SteadyMicrosClock final : public Clock {
 public:
  int64_t NowMicros() const override {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
};

// "5", "0.5", "12.25": no exponent or trailing zeros.
std::string Number(double value) {
  std::string text = absl::StrFormat("%.3f", value);
  while (!text.empty() && text.back() == '0') text.pop_back();
  if (!text.empty() && text.back() == '.') text.pop_back();
  return text;
}

}  // namespace

std::string RateLimitText(const RateLimit& limit) {
  if (!limit.limited()) return "unlimited";
  return absl::StrCat(Number(limit.rate), "/s burst ", Number(limit.burst));
}

absl::Status ParseRate(absl::string_view text, double* per_second) {
  *per_second = 0;
  if (text == "none") return absl::OkStatus();
  const size_t slash = text.find('/');
  double n = 0;
  double seconds = 0;
  if (slash != absl::string_view::npos) {
    const absl::string_view unit = text.substr(slash + 1);
    if (unit == "s") seconds = 1;
    if (unit == "m") seconds = 60;
    if (unit == "h") seconds = 3600;
  }
  if (seconds == 0 || !absl::SimpleAtod(text.substr(0, slash), &n) ||
      !std::isfinite(n) || n <= 0 || n > 1e9) {
    return absl::InvalidArgumentError(
        absl::StrCat("rate=", text,
                     ": expected <n>/s, <n>/m or <n>/h with n > 0 (e.g. "
                     "rate=50/s), or rate=none"));
  }
  *per_second = n / seconds;
  return absl::OkStatus();
}

void TokenBucket::Refill(int64_t now_micros) {
  if (now_micros <= last_) return;  // no time passed, or a step back
  tokens_ = std::min(
      limit_.burst,
      tokens_ + limit_.rate * static_cast<double>(now_micros - last_) / 1e6);
  last_ = now_micros;
}

double TokenBucket::Tokens(int64_t now_micros) {
  Refill(now_micros);
  return tokens_;
}

int64_t TokenBucket::TryTake(int64_t now_micros) {
  Refill(now_micros);
  // A hair of slack so that rounding in Refill never makes a caller wait
  // one microsecond for a token it has, in effect, earned.
  if (tokens_ >= 1.0 - 1e-9) {
    tokens_ = std::max(0.0, tokens_ - 1.0);
    return 0;
  }
  if (limit_.rate <= 0) return INT64_MAX;
  const double wait = std::ceil((1.0 - tokens_) / limit_.rate * 1e6);
  return std::max<int64_t>(1, static_cast<int64_t>(wait));
}

void TokenBucket::SetLimit(const RateLimit& limit, int64_t now_micros) {
  Refill(now_micros);
  limit_ = limit;
  tokens_ = std::min(tokens_, limit_.burst);
  last_ = std::max(last_, now_micros);
}

const Clock* RateLimiter::SteadyClock() {
  static const SteadyMicrosClock* const clock = new SteadyMicrosClock();
  return clock;
}

RateLimiter::RateLimiter(const Clock* clock)
    : clock_(clock != nullptr ? *clock : *SteadyClock()) {}

absl::Status RateLimiter::Admit(absl::string_view principal_id,
                                const RateLimit& limit) {
  const int64_t now = clock_.NowMicros();
  int64_t wait = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!limit.limited()) {
      // Unlimited now (e.g. after a reload): a stale bucket must not come
      // back with old debts if a limit returns.
      buckets_.erase(principal_id);
      return absl::OkStatus();
    }
    auto it = buckets_.find(principal_id);
    if (it == buckets_.end()) {
      if (buckets_.size() >= kMaxBuckets) {
        absl::erase_if(buckets_, [now](auto& entry) {
          return entry.second.Tokens(now) >= entry.second.limit().burst;
        });
      }
      it = buckets_.emplace(std::string(principal_id), TokenBucket(limit, now))
               .first;
    } else if (!(it->second.limit() == limit)) {
      it->second.SetLimit(limit, now);
    }
    wait = it->second.TryTake(now);
  }
  if (wait == 0) return absl::OkStatus();
  const absl::Duration delay = absl::Microseconds(wait);
  return WithRetryDelay(
      ErrorWithReason(
          absl::StatusCode::kResourceExhausted, "RATE_LIMITED",
          absl::StrCat("principal '", principal_id, "' is over its limit of ",
                       RateLimitText(limit),
                       " calls (auth.conf; enforced by each server process); "
                       "retry after ",
                       absl::FormatDuration(delay)),
          {{"principal", std::string(principal_id)},
           {"rate_per_second", Number(limit.rate)},
           {"burst", Number(limit.burst)}}),
      delay);
}

size_t RateLimiter::buckets() const {
  std::lock_guard<std::mutex> lock(mu_);
  return buckets_.size();
}

}  // namespace retail
