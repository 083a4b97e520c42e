#include "server/complaints/sla_clock.h"

#include <algorithm>

#include "google/protobuf/util/time_util.h"

namespace retail::complaints {
namespace {

using ::google::protobuf::util::TimeUtil;

absl::Time T(int64_t us) { return absl::FromUnixMicros(us); }

// A stored instant as an API timestamp, kept inside the range a Timestamp
// may hold (a due time can be "never" for a calendar that never opens).
google::protobuf::Timestamp Ts(int64_t us) {
  constexpr int64_t kMax = TimeUtil::kTimestampMaxSeconds * int64_t{1'000'000};
  constexpr int64_t kMin = TimeUtil::kTimestampMinSeconds * int64_t{1'000'000};
  return TimeUtil::MicrosecondsToTimestamp(std::clamp(us, kMin, kMax));
}
int64_t Us(absl::Time t) { return absl::ToUnixMicros(t); }

// Due instant of a clock that runs from `from` with `left_us` of its kind
// of time left (left may be negative: already overdue).
int64_t DueFrom(const BusinessCalendar& cal, bool business, int64_t from,
                int64_t left_us) {
  if (left_us <= 0 || !business) return from + left_us;
  const absl::Time due = cal.AddOpenTime(T(from), absl::Microseconds(left_us));
  return due == absl::InfiniteFuture() ? INT64_MAX : Us(due);
}

}  // namespace

ClockRow StartClock(const BusinessCalendar& cal, v1::ClockKind kind,
                    const ClockTarget& target, int64_t now_us) {
  ClockRow c;
  c.kind = kind;
  c.business_hours = target.business_hours;
  c.target_us = absl::ToInt64Microseconds(target.amount);
  c.run_start_us = now_us;
  c.segment_start_us = now_us;
  c.due_us = DueFrom(cal, c.business_hours, now_us, c.target_us);
  return c;
}

int64_t UsedUs(const BusinessCalendar& cal, int64_t now_us, const ClockRow& c) {
  if (c.paused_since_us) return c.used_us;
  // A stopped clock's segment starts at its stop: nothing more is added.
  const int64_t until = c.stop_us ? *c.stop_us : now_us;
  return c.used_us +
         absl::ToInt64Microseconds(
             Elapsed(cal, c.business_hours, T(c.segment_start_us), T(until)));
}

void PauseClock(const BusinessCalendar& cal, int64_t now_us, ClockRow& c) {
  if (!c.running()) return;
  c.used_us = UsedUs(cal, now_us, c);
  c.segment_start_us = now_us;
  c.paused_since_us = now_us;
}

void ResumeClock(const BusinessCalendar& cal, int64_t now_us, ClockRow& c) {
  if (!c.paused_since_us || c.stop_us) return;
  c.paused_us += std::max<int64_t>(0, now_us - *c.paused_since_us);
  c.paused_since_us.reset();
  c.segment_start_us = now_us;
  c.due_us = DueFrom(cal, c.business_hours, now_us, c.target_us - c.used_us);
}

bool StopClock(const BusinessCalendar& cal, int64_t now_us, ClockRow& c) {
  if (c.stop_us) return false;
  if (c.paused_since_us) {
    c.paused_us += std::max<int64_t>(0, now_us - *c.paused_since_us);
    c.paused_since_us.reset();
    c.due_us = DueFrom(cal, c.business_hours, now_us, c.target_us - c.used_us);
  } else {
    c.used_us = UsedUs(cal, now_us, c);
  }
  // After the stop, used_us is final and segment_start marks the stop, so
  // UsedUs adds nothing more.
  c.segment_start_us = now_us;
  c.stop_us = now_us;
  return true;
}

bool Breached(const BusinessCalendar& cal, int64_t now_us, const ClockRow& c) {
  if (c.stop_us) return *c.stop_us > c.due_us || c.used_us > c.target_us;
  if (c.paused_since_us) {
    return *c.paused_since_us > c.due_us || c.used_us > c.target_us;
  }
  return now_us > c.due_us;
}

int64_t NearBreachUsedUs(int near_percent, const ClockRow& c) {
  return static_cast<int64_t>(static_cast<__int128>(c.target_us) *
                              near_percent / 100);
}

std::optional<int64_t> NextSweepUs(const BusinessCalendar& cal,
                                   int near_percent, const ClockRow& c) {
  if (!c.running()) return std::nullopt;
  if (!c.near_breach) {
    const int64_t near_at = NearBreachUsedUs(near_percent, c);
    return DueFrom(cal, c.business_hours, c.segment_start_us,
                   near_at - c.used_us);
  }
  // Breached is strictly past the due instant (see Breached).
  if (!c.breach_marked) return c.due_us == INT64_MAX ? c.due_us : c.due_us + 1;
  return std::nullopt;
}

v1::SlaClock ClockView(const BusinessCalendar& cal, int64_t now_us,
                       const ClockRow& c) {
  v1::SlaClock v;
  v.set_kind(c.kind);
  v.set_business_hours(c.business_hours);
  *v.mutable_target() = TimeUtil::MicrosecondsToDuration(c.target_us);
  const int64_t used = UsedUs(cal, now_us, c);
  const bool breached = Breached(cal, now_us, c);
  int64_t paused = c.paused_us;
  if (c.paused_since_us)
    paused += std::max<int64_t>(0, now_us - *c.paused_since_us);
  *v.mutable_paused() = TimeUtil::MicrosecondsToDuration(paused);
  v.set_near_breach(c.near_breach);
  if (c.stop_us) {
    v.set_state(breached ? v1::CLOCK_STATE_BREACHED : v1::CLOCK_STATE_MET);
    *v.mutable_stop_time() = Ts(*c.stop_us);
    *v.mutable_due_time() = Ts(c.due_us);
  } else if (c.paused_since_us) {
    v.set_state(breached ? v1::CLOCK_STATE_BREACHED : v1::CLOCK_STATE_PAUSED);
    // The due time if it resumed now.
    *v.mutable_due_time() =
        Ts(DueFrom(cal, c.business_hours, now_us, c.target_us - used));
  } else {
    v.set_state(breached ? v1::CLOCK_STATE_BREACHED : v1::CLOCK_STATE_RUNNING);
    *v.mutable_due_time() = Ts(c.due_us);
  }
  // Time left in the clock's kind of time; once late, how late in
  // wall-clock time (a business-hours clock due at closing is overdue by
  // the hours since, even while closed).
  int64_t remaining = c.target_us - used;
  if (breached && c.due_us != INT64_MAX) {
    const int64_t at = c.stop_us           ? *c.stop_us
                       : c.paused_since_us ? *c.paused_since_us
                                           : now_us;
    remaining = std::min<int64_t>(remaining, c.due_us - at);
  }
  *v.mutable_remaining() = TimeUtil::MicrosecondsToDuration(remaining);
  return v;
}

}  // namespace retail::complaints
