// Per-principal rate limits (docs/architecture.md, "The call path"; issue 15,
// "Overload").
//
// Every authenticated principal may have a RateLimit (from auth.conf: its own
// `rate=`/`burst=` options or its role's `limit` line, see common/auth.h).
// The limit is a token bucket: it holds at most `burst` tokens, gains `rate`
// tokens a second, and every call takes one. A call that finds the bucket
// empty is refused RESOURCE_EXHAUSTED with a google.rpc.RetryInfo saying when
// the bucket will next hold a token, and an ErrorInfo of reason RATE_LIMITED.
//
// Buckets live in the memory of one server process: with N replicas behind a
// load balancer, each replica enforces the limit on its own, so a principal
// may make up to N times its rate in total. Divide the rate by the number of
// replicas when the limit is meant for the whole fleet.
#ifndef RETAIL_COMMON_RATE_LIMITER_H_
#define RETAIL_COMMON_RATE_LIMITER_H_

#include <cstdint>
#include <mutex>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/clock.h"

namespace retail {

// A principal's limit. `rate` tokens per second, at most `burst` of them
// saved up. rate <= 0: not limited.
struct RateLimit {
  double rate = 0;
  double burst = 0;
  bool limited() const { return rate > 0; }
  bool operator==(const RateLimit&) const = default;
};

// "5/s burst 5", or "unlimited": how a refusal names the limit.
std::string RateLimitText(const RateLimit& limit);

// Parses the value of a `rate=` option: "<n>/s", "<n>/m" (per minute) or
// "<n>/h" (per hour), n a positive number (e.g. "50/s", "0.5/s", "600/m"),
// or "none" (unlimited; 0 is returned). Tokens per second.
absl::Status ParseRate(absl::string_view text, double* per_second);

// One token bucket. Not thread-safe (RateLimiter locks around it). Times
// are microseconds of any clock that does not go backwards; a step back is
// treated as no time passing.
class TokenBucket {
 public:
  // Starts full.
  TokenBucket(const RateLimit& limit, int64_t now_micros)
      : limit_(limit), tokens_(limit.burst), last_(now_micros) {}

  // Takes one token and returns 0, or, when there is none, takes nothing and
  // returns how many microseconds until there will be one (at least 1).
  int64_t TryTake(int64_t now_micros);

  // Applies a new limit (an auth.conf reload) keeping what has been used:
  // the tokens left are capped at the new burst.
  void SetLimit(const RateLimit& limit, int64_t now_micros);

  const RateLimit& limit() const { return limit_; }
  // Tokens held at `now_micros` (after refilling).
  double Tokens(int64_t now_micros);

 private:
  void Refill(int64_t now_micros);

  RateLimit limit_;
  double tokens_;
  int64_t last_;
};

// The buckets of every principal, keyed by principal id, created on first
// use (full). Thread-safe.
class RateLimiter {
 public:
  // `clock` paces the buckets; it should be monotonic (the default is the
  // process's steady clock, not the business clock). Not owned.
  explicit RateLimiter(const Clock* clock = nullptr);

  // OK and one token taken from `principal_id`'s bucket, or
  // RESOURCE_EXHAUSTED (reason RATE_LIMITED) with RetryInfo. Not limited:
  // always OK, and its bucket (if any) is dropped.
  absl::Status Admit(absl::string_view principal_id, const RateLimit& limit);

  // Buckets held now (bounded: see kMaxBuckets).
  size_t buckets() const;

  // Beyond this many buckets, full ones (principals idle long enough to
  // have every token back, or no longer in auth.conf) are dropped: a new
  // bucket starts full, so nobody notices.
  static constexpr size_t kMaxBuckets = 4096;

  // A process-wide monotonic clock (steady_clock, in microseconds).
  static const Clock* SteadyClock();

 private:
  const Clock& clock_;
  mutable std::mutex mu_;
  absl::flat_hash_map<std::string, TokenBucket> buckets_;
};

}  // namespace retail

#endif  // RETAIL_COMMON_RATE_LIMITER_H_
