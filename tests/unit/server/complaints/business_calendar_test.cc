// BusinessCalendar: adding and measuring open time across the default
// calendar, weekends, closed dates, targets of several days and the two DST
// changes of America/New_York; and what FromProto refuses, field by field.
#include "server/complaints/business_calendar.h"

#include <functional>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/test_util.h"

namespace retail::complaints {
namespace {

using ::retail::testing::IsInvalidField;

absl::TimeZone Zone(const char* name) {
  absl::TimeZone z;
  EXPECT_TRUE(absl::LoadTimeZone(name, &z)) << name;
  return z;
}

absl::Time At(absl::TimeZone z, int y, int mo, int d, int h, int mi = 0,
              int s = 0) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, s), z);
}

v1::OpeningHours Hours(int day, int open_minute, int close_minute) {
  v1::OpeningHours h;
  h.set_day_of_week(day);
  h.set_open_minute(open_minute);
  h.set_close_minute(close_minute);
  return h;
}

common::v1::Date Date(int y, int m, int d) {
  common::v1::Date out;
  out.set_year(y);
  out.set_month(m);
  out.set_day(d);
  return out;
}

// Monday to Friday 09:00-18:00 (9 h a day) in `zone`, closed on `closed`.
v1::BranchCalendar OfficeHours(
    const std::string& zone, const std::vector<common::v1::Date>& closed = {}) {
  v1::BranchCalendar c;
  c.set_branch_id("B001");
  c.set_time_zone(zone);
  for (int day = 1; day <= 5; ++day)
    *c.add_weekly_hours() = Hours(day, 540, 1080);
  for (const auto& d : closed) *c.add_closed_dates() = d;
  return c;
}

BusinessCalendar Must(const v1::BranchCalendar& c,
                      absl::TimeZone chain = absl::UTCTimeZone()) {
  absl::StatusOr<BusinessCalendar> cal =
      BusinessCalendar::FromProto(c, chain, "calendar");
  EXPECT_TRUE(cal.ok()) << cal.status();
  return cal.ok() ? *cal : BusinessCalendar::Default(chain);
}

const absl::TimeZone kShanghai = Zone("Asia/Shanghai");
const absl::TimeZone kNewYork = Zone("America/New_York");

// ---- The default calendar
// ----------------------------------------------------

TEST(BusinessCalendarTest, DefaultIsOpenNineToNineEveryDay) {
  const BusinessCalendar cal = BusinessCalendar::Default(kShanghai);
  EXPECT_EQ(cal.zone(), kShanghai);
  // 2026-06-01 is a Monday; 08:00 is before opening.
  const absl::Time mon8 = At(kShanghai, 2026, 6, 1, 8);
  EXPECT_EQ(cal.AddOpenTime(mon8, absl::Hours(1)),
            At(kShanghai, 2026, 6, 1, 10));
  // 12 h a day, Saturday and Sunday too.
  EXPECT_EQ(cal.OpenTimeBetween(At(kShanghai, 2026, 6, 6, 0),
                                At(kShanghai, 2026, 6, 8, 0)),
            absl::Hours(24));
  // From 20:30, half an hour today, the rest tomorrow from 09:00.
  EXPECT_EQ(cal.AddOpenTime(At(kShanghai, 2026, 6, 1, 20, 30), absl::Hours(1)),
            At(kShanghai, 2026, 6, 2, 9, 30));
  // A target ending exactly at closing time is due at closing time.
  EXPECT_EQ(cal.AddOpenTime(At(kShanghai, 2026, 6, 1, 9), absl::Hours(12)),
            At(kShanghai, 2026, 6, 1, 21));
}

TEST(BusinessCalendarTest, NothingToAddOrMeasure) {
  const BusinessCalendar cal = BusinessCalendar::Default(kShanghai);
  const absl::Time t = At(kShanghai, 2026, 6, 1, 3);
  EXPECT_EQ(cal.AddOpenTime(t, absl::ZeroDuration()), t);
  EXPECT_EQ(cal.AddOpenTime(t, -absl::Hours(1)), t);
  EXPECT_EQ(cal.OpenTimeBetween(t, t), absl::ZeroDuration());
  EXPECT_EQ(cal.OpenTimeBetween(t + absl::Hours(10), t), absl::ZeroDuration());
  // Closed hours count nothing.
  EXPECT_EQ(cal.OpenTimeBetween(At(kShanghai, 2026, 6, 1, 21),
                                At(kShanghai, 2026, 6, 2, 9)),
            absl::ZeroDuration());
}

// ---- Weekends and closed dates
// ------------------------------------------------

TEST(BusinessCalendarTest, WeekendIsSkipped) {
  const BusinessCalendar cal = Must(OfficeHours("Asia/Shanghai"));
  const absl::Time fri16 = At(kShanghai, 2026, 6, 5, 16);
  // 2 h on Friday, nothing on Saturday and Sunday, 2 h on Monday.
  EXPECT_EQ(cal.AddOpenTime(fri16, absl::Hours(4)),
            At(kShanghai, 2026, 6, 8, 11));
  EXPECT_EQ(cal.OpenTimeBetween(fri16, At(kShanghai, 2026, 6, 8, 11)),
            absl::Hours(4));
  EXPECT_EQ(cal.OpenTimeBetween(At(kShanghai, 2026, 6, 6, 0),
                                At(kShanghai, 2026, 6, 8, 0)),
            absl::ZeroDuration());
  // Starting on a Saturday: Monday's opening hour counts first.
  EXPECT_EQ(cal.AddOpenTime(At(kShanghai, 2026, 6, 6, 12), absl::Minutes(1)),
            At(kShanghai, 2026, 6, 8, 9, 1));
}

TEST(BusinessCalendarTest, ClosedDateIsSkipped) {
  const BusinessCalendar cal =
      Must(OfficeHours("Asia/Shanghai", {Date(2026, 6, 8)}));
  const absl::Time fri16 = At(kShanghai, 2026, 6, 5, 16);
  // Monday 8 June is closed too: Tuesday 09:00 + 2 h.
  EXPECT_EQ(cal.AddOpenTime(fri16, absl::Hours(4)),
            At(kShanghai, 2026, 6, 9, 11));
  EXPECT_EQ(cal.OpenTimeBetween(At(kShanghai, 2026, 6, 8, 0),
                                At(kShanghai, 2026, 6, 9, 0)),
            absl::ZeroDuration());
}

TEST(BusinessCalendarTest, TargetSpanningSeveralDays) {
  const BusinessCalendar cal =
      Must(OfficeHours("Asia/Shanghai", {Date(2026, 6, 8)}));
  const absl::Time fri16 = At(kShanghai, 2026, 6, 5, 16);
  // Fri 2 h, Tue/Wed/Thu 27 h, Fri 9 h = 38 h; Mon 15 June (open) 2 h.
  EXPECT_EQ(cal.AddOpenTime(fri16, absl::Hours(40)),
            At(kShanghai, 2026, 6, 15, 11));
  // 16 h: Fri 2, Tue 9, Wed 5.
  EXPECT_EQ(cal.AddOpenTime(fri16, absl::Hours(16)),
            At(kShanghai, 2026, 6, 10, 14));
  // The longest target (90 days of open time) ends, and is measured back.
  const absl::Time far = cal.AddOpenTime(fri16, kMaxTarget);
  ASSERT_NE(far, absl::InfiniteFuture());
  EXPECT_EQ(cal.OpenTimeBetween(fri16, far), kMaxTarget);
}

// Adding open time and measuring it back agree, from any start.
TEST(BusinessCalendarTest, AddAndMeasureAreInverse) {
  const BusinessCalendar cal =
      Must(OfficeHours("Asia/Shanghai", {Date(2026, 6, 8), Date(2026, 6, 10)}));
  const absl::Time base = At(kShanghai, 2026, 6, 4, 0);
  for (int start_min = 0; start_min < 5 * 24 * 60; start_min += 97) {
    const absl::Time start = base + absl::Minutes(start_min);
    for (absl::Duration amount :
         {absl::Minutes(1), absl::Hours(1), absl::Hours(9),
          absl::Hours(9) + absl::Microseconds(1), absl::Hours(23),
          absl::Hours(100)}) {
      const absl::Time end = cal.AddOpenTime(start, amount);
      ASSERT_GT(end, start);
      EXPECT_EQ(cal.OpenTimeBetween(start, end), amount)
          << "from " << start << " adding " << amount;
      // Nothing earlier would do.
      EXPECT_LT(cal.OpenTimeBetween(start, end - absl::Microseconds(1)), amount)
          << "from " << start << " adding " << amount;
    }
  }
}

// ---- DST
// ---------------------------------------------------------------------

// America/New_York springs forward on Sunday 8 March 2026 (02:00 -> 03:00)
// and falls back on Sunday 1 November 2026 (02:00 -> 01:00).
TEST(BusinessCalendarTest, OpenHoursFollowLocalTimeAcrossSpringForward) {
  v1::BranchCalendar c;
  c.set_time_zone("America/New_York");
  for (int day = 1; day <= 7; ++day)
    *c.add_weekly_hours() = Hours(day, 540, 1020);
  const BusinessCalendar cal = Must(c);
  EXPECT_EQ(cal.zone(), kNewYork);
  // Saturday 12:00 EST: 5 h on Saturday, then Sunday from 09:00 EDT.
  const absl::Time sat12 = At(kNewYork, 2026, 3, 7, 12);
  EXPECT_EQ(sat12, absl::FromUnixSeconds(1772902800));  // 17:00Z
  const absl::Time due = cal.AddOpenTime(sat12, absl::Hours(8));
  EXPECT_EQ(due, At(kNewYork, 2026, 3, 8, 12));
  EXPECT_EQ(due, absl::FromUnixSeconds(1772985600));  // 16:00Z: EDT
  // 24 h of local clock, 23 h of real time.
  EXPECT_EQ(due - sat12, absl::Hours(23));
  EXPECT_EQ(cal.OpenTimeBetween(sat12, due), absl::Hours(8));
}

TEST(BusinessCalendarTest, AWholeOpenDayIsItsRealLengthOnDstDays) {
  v1::BranchCalendar c;
  c.set_time_zone("America/New_York");
  *c.add_weekly_hours() = Hours(7, 0, 1440);  // Sundays, all day
  const BusinessCalendar cal = Must(c);
  // Spring forward: the Sunday has 23 hours.
  const absl::Time mar8 = At(kNewYork, 2026, 3, 8, 0);
  const absl::Time mar9 = At(kNewYork, 2026, 3, 9, 0);
  EXPECT_EQ(cal.OpenTimeBetween(mar8, mar9), absl::Hours(23));
  EXPECT_EQ(cal.AddOpenTime(mar8, absl::Hours(23)), mar9);
  // One microsecond more runs into the next Sunday.
  EXPECT_EQ(cal.AddOpenTime(mar8, absl::Hours(23) + absl::Microseconds(1)),
            At(kNewYork, 2026, 3, 15, 0) + absl::Microseconds(1));
  // Fall back: the Sunday has 25 hours.
  const absl::Time nov1 = At(kNewYork, 2026, 11, 1, 0);
  const absl::Time nov2 = At(kNewYork, 2026, 11, 2, 0);
  EXPECT_EQ(cal.OpenTimeBetween(nov1, nov2), absl::Hours(25));
  EXPECT_EQ(cal.AddOpenTime(nov1, absl::Hours(25)), nov2);
  // An ordinary Sunday has 24.
  EXPECT_EQ(cal.OpenTimeBetween(At(kNewYork, 2026, 6, 7, 0),
                                At(kNewYork, 2026, 6, 8, 0)),
            absl::Hours(24));
}

TEST(BusinessCalendarTest, HoursAcrossTheFallBackHourCountTheRepeatedHour) {
  v1::BranchCalendar c;
  c.set_time_zone("America/New_York");
  *c.add_weekly_hours() = Hours(7, 0, 4 * 60);  // Sundays 00:00-04:00
  const BusinessCalendar cal = Must(c);
  const absl::Time nov1 = At(kNewYork, 2026, 11, 1, 0);
  // 00:00 EDT to 04:00 EST is 5 h of real time.
  EXPECT_EQ(cal.OpenTimeBetween(nov1, At(kNewYork, 2026, 11, 1, 12)),
            absl::Hours(5));
  EXPECT_EQ(cal.AddOpenTime(nov1, absl::Hours(5)),
            At(kNewYork, 2026, 11, 1, 4));
}

// ---- DueTime and Elapsed
// -------------------------------------------------------

TEST(BusinessCalendarTest, DueTimeAndElapsedByKindOfTime) {
  const BusinessCalendar cal = Must(OfficeHours("Asia/Shanghai"));
  const absl::Time fri16 = At(kShanghai, 2026, 6, 5, 16);
  EXPECT_EQ(
      DueTime(cal, ClockTarget{absl::Hours(4), false}, fri16, absl::Hours(4)),
      fri16 + absl::Hours(4));
  EXPECT_EQ(
      DueTime(cal, ClockTarget{absl::Hours(4), true}, fri16, absl::Hours(4)),
      At(kShanghai, 2026, 6, 8, 11));
  // With part of the target used, from a resume.
  EXPECT_EQ(
      DueTime(cal, ClockTarget{absl::Hours(4), true}, fri16, absl::Hours(1)),
      At(kShanghai, 2026, 6, 5, 17));
  const absl::Time mon11 = At(kShanghai, 2026, 6, 8, 11);
  EXPECT_EQ(Elapsed(cal, false, fri16, mon11), absl::Hours(67));
  EXPECT_EQ(Elapsed(cal, true, fri16, mon11), absl::Hours(4));
  EXPECT_EQ(Elapsed(cal, true, mon11, fri16), absl::ZeroDuration());
  EXPECT_EQ(Elapsed(cal, false, mon11, fri16), absl::ZeroDuration());
}

// ---- FromProto
// ---------------------------------------------------------------

TEST(BusinessCalendarTest, EmptyZoneIsTheChains) {
  v1::BranchCalendar c = OfficeHours("");
  absl::StatusOr<BusinessCalendar> cal =
      BusinessCalendar::FromProto(c, kShanghai, "calendar");
  ASSERT_TRUE(cal.ok()) << cal.status();
  EXPECT_EQ(cal->zone(), kShanghai);
  EXPECT_EQ(cal->AddOpenTime(At(kShanghai, 2026, 6, 1, 8), absl::Hours(1)),
            At(kShanghai, 2026, 6, 1, 10));
}

struct BadCalendar {
  std::string name;
  std::function<void(v1::BranchCalendar&)> mutate;
  std::string field;
};

TEST(BusinessCalendarTest, FromProtoNamesEveryBadField) {
  const std::vector<BadCalendar> cases = {
      {"unknown zone", [](auto& c) { c.set_time_zone("Mars/Olympus"); },
       "calendar.time_zone"},
      {"zone too long", [](auto& c) { c.set_time_zone(std::string(65, 'A')); },
       "calendar.time_zone"},
      {"day 0", [](auto& c) { c.mutable_weekly_hours(0)->set_day_of_week(0); },
       "calendar.weekly_hours[0].day_of_week"},
      {"day 8", [](auto& c) { c.mutable_weekly_hours(1)->set_day_of_week(8); },
       "calendar.weekly_hours[1].day_of_week"},
      {"a day twice",
       [](auto& c) { c.mutable_weekly_hours(2)->set_day_of_week(1); },
       "calendar.weekly_hours[2].day_of_week"},
      {"open at 1440",
       [](auto& c) { c.mutable_weekly_hours(0)->set_open_minute(1440); },
       "calendar.weekly_hours[0].open_minute"},
      {"negative open",
       [](auto& c) { c.mutable_weekly_hours(0)->set_open_minute(-1); },
       "calendar.weekly_hours[0].open_minute"},
      {"close before open",
       [](auto& c) { c.mutable_weekly_hours(3)->set_close_minute(500); },
       "calendar.weekly_hours[3].close_minute"},
      {"close equal to open",
       [](auto& c) { c.mutable_weekly_hours(3)->set_close_minute(540); },
       "calendar.weekly_hours[3].close_minute"},
      {"close after midnight",
       [](auto& c) { c.mutable_weekly_hours(4)->set_close_minute(1441); },
       "calendar.weekly_hours[4].close_minute"},
      {"eight entries",
       [](auto& c) {
         for (int i = 0; i < 3; ++i) *c.add_weekly_hours() = Hours(6, 0, 60);
       },
       "calendar.weekly_hours"},
      {"never open", [](auto& c) { c.clear_weekly_hours(); },
       "calendar.weekly_hours"},
      {"30 February",
       [](auto& c) { *c.add_closed_dates() = Date(2026, 2, 30); },
       "calendar.closed_dates[0]"},
      {"month 13", [](auto& c) { *c.add_closed_dates() = Date(2026, 13, 1); },
       "calendar.closed_dates[0]"},
      {"year 0", [](auto& c) { *c.add_closed_dates() = Date(0, 1, 1); },
       "calendar.closed_dates[0]"},
      {"367 closed dates",
       [](auto& c) {
         for (int i = 0; i < 367; ++i) {
           const absl::CivilDay d = absl::CivilDay(2026, 1, 1) + i;
           *c.add_closed_dates() =
               Date(static_cast<int>(d.year()), d.month(), d.day());
         }
       },
       "calendar.closed_dates"},
  };
  for (const BadCalendar& bad : cases) {
    SCOPED_TRACE(bad.name);
    v1::BranchCalendar c = OfficeHours("Asia/Shanghai");
    bad.mutate(c);
    absl::StatusOr<BusinessCalendar> cal =
        BusinessCalendar::FromProto(c, kShanghai, "calendar");
    EXPECT_THAT(cal, IsInvalidField(bad.field));
  }
  // 366 closed dates are fine, and closed: 2026-01-01 to 2027-01-01.
  v1::BranchCalendar year = OfficeHours("Asia/Shanghai");
  for (int i = 0; i < 366; ++i) {
    const absl::CivilDay d = absl::CivilDay(2026, 1, 1) + i;
    *year.add_closed_dates() =
        Date(static_cast<int>(d.year()), d.month(), d.day());
  }
  const BusinessCalendar cal = Must(year, kShanghai);
  EXPECT_EQ(cal.OpenTimeBetween(At(kShanghai, 2026, 1, 1, 0),
                                At(kShanghai, 2027, 1, 4, 0)),
            absl::ZeroDuration());
  // The first open hour after them: Monday 2027-01-04, 09:00.
  EXPECT_EQ(cal.AddOpenTime(At(kShanghai, 2026, 6, 1, 0), absl::Hours(1)),
            At(kShanghai, 2027, 1, 4, 10));
}

}  // namespace
}  // namespace retail::complaints
