// One SLA clock of a complaint, as stored (a complaint_clocks row), and the
// rules that move it: start, pause, resume, stop, and what it shows at an
// instant. Amounts (target, used) are in the clock's kind of time:
// wall-clock, or the branch's open hours (BusinessCalendar). Pure: the
// caller passes the instant and the calendar.
#ifndef RETAIL_SERVER_COMPLAINTS_SLA_CLOCK_H_
#define RETAIL_SERVER_COMPLAINTS_SLA_CLOCK_H_

#include <cstdint>
#include <optional>

#include "absl/time/time.h"
#include "retail/complaints/v1/complaints.pb.h"
#include "server/complaints/business_calendar.h"

namespace retail::complaints {

struct ClockRow {
  v1::ClockKind kind = v1::CLOCK_KIND_UNSPECIFIED;
  bool business_hours = false;
  int64_t target_us = 0;
  int64_t run_start_us = 0;      // creation, or the last reopen
  int64_t segment_start_us = 0;  // since when it runs uninterrupted
  int64_t used_us = 0;           // counted before segment_start
  int64_t due_us = 0;            // while running: when it is due
  std::optional<int64_t> paused_since_us;
  int64_t paused_us = 0;  // wall-clock time spent paused
  std::optional<int64_t> stop_us;
  bool near_breach = false;
  bool breach_marked = false;

  bool running() const { return !stop_us && !paused_since_us; }
  bool stopped() const { return stop_us.has_value(); }
};

// A fresh clock that runs from `now` (creation or reopen).
ClockRow StartClock(const BusinessCalendar& cal, v1::ClockKind kind,
                    const ClockTarget& target, int64_t now_us);
// Pauses a running clock (the complaint waits on the customer).
void PauseClock(const BusinessCalendar& cal, int64_t now_us, ClockRow& c);
// Resumes a paused clock: its due time moves by what the pause took.
void ResumeClock(const BusinessCalendar& cal, int64_t now_us, ClockRow& c);
// Stops a running or paused clock. Returns true if it was running or
// paused (false: already stopped, nothing changes).
bool StopClock(const BusinessCalendar& cal, int64_t now_us, ClockRow& c);

// The clock's time counted so far, as of `now` (for a stopped clock: at its
// stop).
int64_t UsedUs(const BusinessCalendar& cal, int64_t now_us, const ClockRow& c);
// Whether it has breached by `now`: a running clock once `now` is past its
// due instant (for business hours too: a clock due at closing time is late
// from then, though no more open time passes until the branch opens); a
// stopped one if it stopped after its due instant; a paused one if it was
// paused after it, or used more than its target.
bool Breached(const BusinessCalendar& cal, int64_t now_us, const ClockRow& c);

// The time a clock has used when it is near breach: `near_percent` of its
// target, rounded down (the sweep and NextSweepUs agree on it exactly).
int64_t NearBreachUsedUs(int near_percent, const ClockRow& c);

// When the escalation sweep must next look at a running clock: its
// near-breach instant (`near_percent` of the target used) if not yet
// marked, else its due time if not yet marked; nullopt when it needs no
// look (stopped, paused, or both marked).
std::optional<int64_t> NextSweepUs(const BusinessCalendar& cal,
                                   int near_percent, const ClockRow& c);

// What the API shows of it at `now`.
v1::SlaClock ClockView(const BusinessCalendar& cal, int64_t now_us,
                       const ClockRow& c);

}  // namespace retail::complaints

#endif  // RETAIL_SERVER_COMPLAINTS_SLA_CLOCK_H_
