// The SLA clock rules (sla_clock.h), pure functions of an instant and a
// calendar: start, pause and resume (the due time moves by the pause),
// stop (met or breached), the near-breach instant, when the escalation
// sweep must look next, and what the API shows; in wall-clock time and in
// a branch's open hours.
#include "server/complaints/sla_clock.h"

#include <optional>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"

namespace retail::complaints {
namespace {

using ::google::protobuf::util::TimeUtil;

constexpr int64_t kUs = 1;
constexpr int64_t kSecond = 1'000'000;
constexpr int64_t kMinute = 60 * kSecond;
constexpr int64_t kHour = 60 * kMinute;
// 2026-06-01T00:00:00Z, a Monday (08:00 in Shanghai).
constexpr int64_t kT0 = 1'780'272'000LL * kSecond;

absl::TimeZone Shanghai() {
  absl::TimeZone z;
  EXPECT_TRUE(absl::LoadTimeZone("Asia/Shanghai", &z));
  return z;
}

int64_t Local(int y, int mo, int d, int h, int mi = 0) {
  return absl::ToUnixMicros(
      absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, 0), Shanghai()));
}

// Monday to Friday 09:00-18:00 in Shanghai.
BusinessCalendar OfficeHours() {
  v1::BranchCalendar c;
  c.set_time_zone("Asia/Shanghai");
  for (int day = 1; day <= 5; ++day) {
    v1::OpeningHours* h = c.add_weekly_hours();
    h->set_day_of_week(day);
    h->set_open_minute(540);
    h->set_close_minute(1080);
  }
  absl::StatusOr<BusinessCalendar> cal =
      BusinessCalendar::FromProto(c, absl::UTCTimeZone(), "calendar");
  EXPECT_TRUE(cal.ok()) << cal.status();
  return *cal;
}

const BusinessCalendar kWall = BusinessCalendar::Default(absl::UTCTimeZone());

ClockRow Wall(int64_t target, int64_t start = kT0) {
  return StartClock(kWall, v1::CLOCK_KIND_SOLUTION,
                    ClockTarget{absl::Microseconds(target), false}, start);
}

int64_t Micros(const google::protobuf::Timestamp& t) {
  return TimeUtil::TimestampToMicroseconds(t);
}
int64_t Micros(const google::protobuf::Duration& d) {
  return TimeUtil::DurationToMicroseconds(d);
}

// ---- Start
// -------------------------------------------------------------------

TEST(SlaClockTest, StartRunsFromNowWithTheWholeTarget) {
  const ClockRow c = Wall(24 * kHour);
  EXPECT_TRUE(c.running());
  EXPECT_FALSE(c.stopped());
  EXPECT_EQ(c.kind, v1::CLOCK_KIND_SOLUTION);
  EXPECT_EQ(c.run_start_us, kT0);
  EXPECT_EQ(c.segment_start_us, kT0);
  EXPECT_EQ(c.due_us, kT0 + 24 * kHour);
  EXPECT_EQ(c.used_us, 0);
  EXPECT_EQ(UsedUs(kWall, kT0 + 5 * kHour, c), 5 * kHour);

  const v1::SlaClock v = ClockView(kWall, kT0 + 5 * kHour, c);
  EXPECT_EQ(v.kind(), v1::CLOCK_KIND_SOLUTION);
  EXPECT_EQ(v.state(), v1::CLOCK_STATE_RUNNING);
  EXPECT_EQ(Micros(v.due_time()), kT0 + 24 * kHour);
  EXPECT_EQ(Micros(v.remaining()), 19 * kHour);
  EXPECT_EQ(Micros(v.paused()), 0);
  EXPECT_EQ(Micros(v.target()), 24 * kHour);
  EXPECT_FALSE(v.has_stop_time());
  EXPECT_FALSE(v.business_hours());
  EXPECT_FALSE(v.near_breach());
}

TEST(SlaClockTest, BusinessHoursClockIsDueAfterThatMuchOpenTime) {
  const BusinessCalendar cal = OfficeHours();
  // Friday 16:00: 2 h on Friday, 2 h on Monday.
  const int64_t fri16 = Local(2026, 6, 5, 16);
  const ClockRow c = StartClock(cal, v1::CLOCK_KIND_FIRST_RESPONSE,
                                ClockTarget{absl::Hours(4), true}, fri16);
  EXPECT_TRUE(c.business_hours);
  EXPECT_EQ(c.due_us, Local(2026, 6, 8, 11));
  // Over the weekend nothing is used.
  EXPECT_EQ(UsedUs(cal, Local(2026, 6, 7, 12), c), 2 * kHour);
  const v1::SlaClock v = ClockView(cal, Local(2026, 6, 7, 12), c);
  EXPECT_EQ(v.state(), v1::CLOCK_STATE_RUNNING);
  EXPECT_EQ(Micros(v.remaining()), 2 * kHour);
  EXPECT_TRUE(v.business_hours());
}

// ---- Pause and resume
// ------------------------------------------------------------

TEST(SlaClockTest, PauseAndResumeMoveTheDueTimeByThePause) {
  ClockRow c = Wall(72 * kHour);
  PauseClock(kWall, kT0 + 2 * kHour, c);
  EXPECT_FALSE(c.running());
  ASSERT_TRUE(c.paused_since_us.has_value());
  EXPECT_EQ(c.used_us, 2 * kHour);
  // While paused nothing more is used; the view shows the pause so far
  // and the due time if it resumed now.
  EXPECT_EQ(UsedUs(kWall, kT0 + 9 * kHour, c), 2 * kHour);
  v1::SlaClock v = ClockView(kWall, kT0 + 5 * kHour, c);
  EXPECT_EQ(v.state(), v1::CLOCK_STATE_PAUSED);
  EXPECT_EQ(Micros(v.paused()), 3 * kHour);
  EXPECT_EQ(Micros(v.remaining()), 70 * kHour);
  EXPECT_EQ(Micros(v.due_time()), kT0 + 5 * kHour + 70 * kHour);

  ResumeClock(kWall, kT0 + 12 * kHour, c);
  EXPECT_TRUE(c.running());
  EXPECT_EQ(c.paused_us, 10 * kHour);
  EXPECT_EQ(c.due_us, kT0 + 72 * kHour + 10 * kHour);
  v = ClockView(kWall, kT0 + 20 * kHour, c);
  EXPECT_EQ(v.state(), v1::CLOCK_STATE_RUNNING);
  EXPECT_EQ(Micros(v.paused()), 10 * kHour);
  EXPECT_EQ(Micros(v.remaining()), 62 * kHour);
  EXPECT_EQ(Micros(v.due_time()), kT0 + 82 * kHour);

  // A second pause adds to the first.
  PauseClock(kWall, kT0 + 30 * kHour, c);
  ResumeClock(kWall, kT0 + 31 * kHour, c);
  EXPECT_EQ(c.paused_us, 11 * kHour);
  EXPECT_EQ(c.due_us, kT0 + 83 * kHour);
  EXPECT_EQ(UsedUs(kWall, kT0 + 83 * kHour, c), 72 * kHour);
  EXPECT_FALSE(Breached(kWall, kT0 + 83 * kHour, c));
  EXPECT_TRUE(Breached(kWall, kT0 + 83 * kHour + kUs, c));
}

TEST(SlaClockTest, PauseAndResumeAreNoOpsOutOfTurn) {
  ClockRow c = Wall(10 * kHour);
  ResumeClock(kWall, kT0 + kHour, c);  // not paused
  EXPECT_EQ(c.due_us, kT0 + 10 * kHour);
  EXPECT_EQ(c.paused_us, 0);
  PauseClock(kWall, kT0 + kHour, c);
  PauseClock(kWall, kT0 + 3 * kHour, c);  // already paused: still from 1 h
  ResumeClock(kWall, kT0 + 4 * kHour, c);
  EXPECT_EQ(c.paused_us, 3 * kHour);
  EXPECT_EQ(c.due_us, kT0 + 13 * kHour);
  ASSERT_TRUE(StopClock(kWall, kT0 + 5 * kHour, c));
  PauseClock(kWall, kT0 + 6 * kHour, c);  // stopped: stays stopped
  EXPECT_FALSE(c.paused_since_us.has_value());
  ResumeClock(kWall, kT0 + 7 * kHour, c);
  EXPECT_EQ(*c.stop_us, kT0 + 5 * kHour);
  EXPECT_EQ(UsedUs(kWall, kT0 + 100 * kHour, c), 2 * kHour);
}

TEST(SlaClockTest, BusinessHoursPauseOverAWeekendKeepsWhatWasUsed) {
  const BusinessCalendar cal = OfficeHours();
  // Started Thursday 09:00 with 16 h of open time: due Friday 16:00.
  ClockRow c =
      StartClock(cal, v1::CLOCK_KIND_SOLUTION,
                 ClockTarget{absl::Hours(16), true}, Local(2026, 6, 4, 9));
  EXPECT_EQ(c.due_us, Local(2026, 6, 5, 16));
  // Paused Friday 10:00 (10 h used), resumed Monday 14:00: 6 h left, due
  // Tuesday 11:00.
  PauseClock(cal, Local(2026, 6, 5, 10), c);
  EXPECT_EQ(c.used_us, 10 * kHour);
  ResumeClock(cal, Local(2026, 6, 8, 14), c);
  EXPECT_EQ(c.paused_us, Local(2026, 6, 8, 14) - Local(2026, 6, 5, 10));
  EXPECT_EQ(c.due_us, Local(2026, 6, 9, 11));
  EXPECT_EQ(UsedUs(cal, Local(2026, 6, 8, 18), c), 14 * kHour);
}

// ---- Stop
// ----------------------------------------------------------------------

TEST(SlaClockTest, StoppedOnTheDueInstantIsMetAndOneMicrosecondLaterBreached) {
  ClockRow on_time = Wall(24 * kHour);
  ASSERT_TRUE(StopClock(kWall, kT0 + 24 * kHour, on_time));
  EXPECT_TRUE(on_time.stopped());
  EXPECT_FALSE(Breached(kWall, kT0 + 99 * kHour, on_time));
  v1::SlaClock v = ClockView(kWall, kT0 + 99 * kHour, on_time);
  EXPECT_EQ(v.state(), v1::CLOCK_STATE_MET);
  EXPECT_EQ(Micros(v.stop_time()), kT0 + 24 * kHour);
  EXPECT_EQ(Micros(v.remaining()), 0);
  EXPECT_EQ(Micros(v.due_time()), kT0 + 24 * kHour);

  ClockRow late = Wall(24 * kHour);
  ASSERT_TRUE(StopClock(kWall, kT0 + 24 * kHour + kUs, late));
  EXPECT_TRUE(Breached(kWall, kT0 + 99 * kHour, late));
  v = ClockView(kWall, kT0 + 99 * kHour, late);
  EXPECT_EQ(v.state(), v1::CLOCK_STATE_BREACHED);
  // Remaining as of the stop, not of now.
  EXPECT_EQ(Micros(v.remaining()), -kUs);
  // A second stop changes nothing.
  EXPECT_FALSE(StopClock(kWall, kT0 + 50 * kHour, late));
  EXPECT_EQ(*late.stop_us, kT0 + 24 * kHour + kUs);
}

TEST(SlaClockTest, StopWhilePausedCountsThePauseNotTheTime) {
  ClockRow c = Wall(10 * kHour);
  PauseClock(kWall, kT0 + 4 * kHour, c);
  ASSERT_TRUE(StopClock(kWall, kT0 + 30 * kHour, c));
  EXPECT_EQ(c.used_us, 4 * kHour);
  EXPECT_EQ(c.paused_us, 26 * kHour);
  const v1::SlaClock v = ClockView(kWall, kT0 + 40 * kHour, c);
  EXPECT_EQ(v.state(), v1::CLOCK_STATE_MET);
  EXPECT_EQ(Micros(v.remaining()), 6 * kHour);
  EXPECT_EQ(Micros(v.paused()), 26 * kHour);
}

TEST(SlaClockTest, RunningPastDueIsBreachedAndShowsTheOverdueTime) {
  const ClockRow c = Wall(24 * kHour);
  EXPECT_FALSE(Breached(kWall, kT0 + 24 * kHour, c));
  EXPECT_TRUE(Breached(kWall, kT0 + 25 * kHour, c));
  const v1::SlaClock v = ClockView(kWall, kT0 + 25 * kHour, c);
  EXPECT_EQ(v.state(), v1::CLOCK_STATE_BREACHED);
  EXPECT_EQ(Micros(v.remaining()), -kHour);
  EXPECT_FALSE(v.has_stop_time());
}

TEST(SlaClockTest, PausedPastDueShowsBreached) {
  ClockRow c = Wall(kHour);
  PauseClock(kWall, kT0 + 2 * kHour, c);
  const v1::SlaClock v = ClockView(kWall, kT0 + 3 * kHour, c);
  EXPECT_EQ(v.state(), v1::CLOCK_STATE_BREACHED);
  EXPECT_EQ(Micros(v.remaining()), -kHour);
}

// ---- Near breach and the sweep's next look
// --------------------------------------

TEST(SlaClockTest, NearBreachInstantIsTheShareOfTheTargetRoundedDown) {
  EXPECT_EQ(NearBreachUsedUs(80, Wall(24 * kHour)), 19 * kHour + 12 * kMinute);
  EXPECT_EQ(NearBreachUsedUs(80, Wall(7)), 5);  // 5.6 rounded down
  EXPECT_EQ(NearBreachUsedUs(1, Wall(99)), 0);
  EXPECT_EQ(NearBreachUsedUs(99, Wall(int64_t{90} * 24 * kHour)),
            int64_t{90} * 24 * kHour * 99 / 100);
}

TEST(SlaClockTest, SweepLooksAtNearBreachThenAtDue) {
  ClockRow c = Wall(24 * kHour);
  std::optional<int64_t> next = NextSweepUs(kWall, 80, c);
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(*next, kT0 + 19 * kHour + 12 * kMinute);
  // The sweep and NextSweepUs agree on the near-breach instant exactly.
  EXPECT_GE(UsedUs(kWall, *next, c), NearBreachUsedUs(80, c));
  EXPECT_LT(UsedUs(kWall, *next - 1, c), NearBreachUsedUs(80, c));

  // Then at the breach: the first instant the clock has used more than
  // its target, one microsecond after the due time.
  c.near_breach = true;
  next = NextSweepUs(kWall, 80, c);
  ASSERT_TRUE(next.has_value());
  EXPECT_TRUE(Breached(kWall, *next, c));
  EXPECT_FALSE(Breached(kWall, *next - 1, c));
  EXPECT_EQ(*next, c.due_us + 1);
  c.breach_marked = true;
  EXPECT_FALSE(NextSweepUs(kWall, 80, c).has_value());

  ClockRow paused = Wall(24 * kHour);
  PauseClock(kWall, kT0 + kHour, paused);
  EXPECT_FALSE(NextSweepUs(kWall, 80, paused).has_value());
  ClockRow stopped = Wall(24 * kHour);
  StopClock(kWall, kT0 + kHour, stopped);
  EXPECT_FALSE(NextSweepUs(kWall, 80, stopped).has_value());
}

TEST(SlaClockTest, NearBreachInstantMovesWithAPause) {
  ClockRow c = Wall(10 * kHour);
  PauseClock(kWall, kT0 + 2 * kHour, c);
  ResumeClock(kWall, kT0 + 7 * kHour, c);
  // 8 h (80%) needed, 2 h used: 6 h after the resume.
  EXPECT_EQ(NextSweepUs(kWall, 80, c), kT0 + 13 * kHour);
  // Already past the share when resumed: look at once.
  ClockRow late = Wall(10 * kHour);
  PauseClock(kWall, kT0 + 9 * kHour, late);
  ResumeClock(kWall, kT0 + 20 * kHour, late);
  ASSERT_TRUE(NextSweepUs(kWall, 80, late).has_value());
  EXPECT_LE(*NextSweepUs(kWall, 80, late), kT0 + 20 * kHour);
}

TEST(SlaClockTest, BusinessHoursNearBreachInstantIsInOpenTime) {
  const BusinessCalendar cal = OfficeHours();
  // 4 h of open time from Friday 16:00; 80% = 3 h 12 min: Friday's 2 h,
  // then Monday 09:00 + 1 h 12 min.
  const ClockRow c =
      StartClock(cal, v1::CLOCK_KIND_FIRST_RESPONSE,
                 ClockTarget{absl::Hours(4), true}, Local(2026, 6, 5, 16));
  const std::optional<int64_t> next = NextSweepUs(cal, 80, c);
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(*next, Local(2026, 6, 8, 10, 12));
  EXPECT_EQ(UsedUs(cal, *next, c), NearBreachUsedUs(80, c));
}

// Whenever the sweep is told to look at a clock for its breach, the clock
// must have breached by then; otherwise the sweep finds nothing, writes the
// complaint anyway (a new revision, a SWEEP_RESCHEDULED event) and is sent
// back to the same instant, on every pass until it has.
TEST(SlaClockTest, AtTheBreachLookTheClockHasBreached) {
  ClockRow wall = Wall(24 * kHour);
  wall.near_breach = true;
  const std::optional<int64_t> wall_look = NextSweepUs(kWall, 80, wall);
  ASSERT_TRUE(wall_look.has_value());
  EXPECT_TRUE(Breached(kWall, *wall_look, wall))
      << "the sweep looks at " << *wall_look - kT0
      << " us after the start, when the clock has used exactly its target";

  // A business-hours clock due at closing time on Friday has not breached
  // until the branch opens again on Monday.
  const BusinessCalendar cal = OfficeHours();
  ClockRow business =
      StartClock(cal, v1::CLOCK_KIND_FIRST_RESPONSE,
                 ClockTarget{absl::Hours(2), true}, Local(2026, 6, 5, 16));
  EXPECT_EQ(business.due_us, Local(2026, 6, 5, 18));
  business.near_breach = true;
  const std::optional<int64_t> look = NextSweepUs(cal, 80, business);
  ASSERT_TRUE(look.has_value());
  EXPECT_TRUE(Breached(cal, *look, business));
  // BREACHED is "past its due time" (complaints.proto): on Saturday the
  // clock is a day past the due time it shows.
  const v1::SlaClock sat = ClockView(cal, Local(2026, 6, 6, 12), business);
  EXPECT_EQ(Micros(sat.due_time()), Local(2026, 6, 5, 18));
  EXPECT_EQ(sat.state(), v1::CLOCK_STATE_BREACHED)
      << "a day past its due time (Friday 18:00) and shown "
      << v1::ClockState_Name(sat.state());
}

}  // namespace
}  // namespace retail::complaints
