#include "server/complaints/business_calendar.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace retail::complaints {
namespace {

constexpr int kMinutesPerDay = 24 * 60;
// However sparse a calendar, an open day comes within a week after the
// closed dates run out; past this many days of search something is wrong.
constexpr int kMaxSearchDays = 366 * 2 + 7 + 90 * 24 * 60;

int WeekdayIndex(absl::CivilDay day) {
  switch (absl::GetWeekday(day)) {
    case absl::Weekday::monday:
      return 0;
    case absl::Weekday::tuesday:
      return 1;
    case absl::Weekday::wednesday:
      return 2;
    case absl::Weekday::thursday:
      return 3;
    case absl::Weekday::friday:
      return 4;
    case absl::Weekday::saturday:
      return 5;
    case absl::Weekday::sunday:
      return 6;
  }
  return 0;
}

}  // namespace

BusinessCalendar BusinessCalendar::Default(absl::TimeZone zone) {
  BusinessCalendar c;
  c.zone_ = zone;
  for (auto& day : c.hours_) day = {{9 * 60, 21 * 60}};
  return c;
}

absl::StatusOr<BusinessCalendar> BusinessCalendar::FromProto(
    const v1::BranchCalendar& in, absl::TimeZone chain_zone,
    const std::string& field) {
  ViolationCollector v;
  BusinessCalendar c;
  c.zone_ = chain_zone;
  if (!in.time_zone().empty() &&
      (in.time_zone().size() > 64 ||
       !absl::LoadTimeZone(in.time_zone(), &c.zone_))) {
    v.Add(absl::StrCat(field, ".time_zone"),
          "must be an IANA time zone such as Asia/Shanghai");
  }
  if (in.weekly_hours_size() > 7) {
    v.Add(absl::StrCat(field, ".weekly_hours"), "must have at most 7 entries");
  }
  bool any_open = false;
  for (int i = 0; i < std::min(in.weekly_hours_size(), 7); ++i) {
    const v1::OpeningHours& h = in.weekly_hours(i);
    const std::string f = absl::StrCat(field, ".weekly_hours[", i, "]");
    if (h.day_of_week() < 1 || h.day_of_week() > 7) {
      v.Add(absl::StrCat(f, ".day_of_week"),
            "must be 1 (Monday) to 7 (Sunday)");
      continue;
    }
    auto& slot = c.hours_[h.day_of_week() - 1];
    if (!slot.empty()) {
      v.Add(absl::StrCat(f, ".day_of_week"),
            "names a day an earlier entry already names");
      continue;
    }
    if (h.open_minute() < 0 || h.open_minute() >= kMinutesPerDay) {
      v.Add(absl::StrCat(f, ".open_minute"), "must be 0 to 1439");
      continue;
    }
    if (h.close_minute() <= h.open_minute() ||
        h.close_minute() > kMinutesPerDay) {
      v.Add(absl::StrCat(f, ".close_minute"),
            "must be after open_minute and at most 1440");
      continue;
    }
    slot.push_back({h.open_minute(), h.close_minute()});
    any_open = true;
  }
  if (in.weekly_hours_size() <= 7 && !any_open && v.empty()) {
    v.Add(absl::StrCat(field, ".weekly_hours"),
          "must open on at least one day: business-hours clocks would never "
          "run");
  }
  if (in.closed_dates_size() > 366) {
    v.Add(absl::StrCat(field, ".closed_dates"), "must have at most 366 dates");
  } else {
    for (int i = 0; i < in.closed_dates_size(); ++i) {
      const common::v1::Date& d = in.closed_dates(i);
      const absl::CivilDay day(d.year(), d.month(), d.day());
      if (d.year() < 1900 || d.year() > 9999 || day.year() != d.year() ||
          day.month() != d.month() || day.day() != d.day()) {
        v.Add(absl::StrCat(field, ".closed_dates[", i, "]"),
              "must be a real calendar date (years 1900 to 9999)");
        continue;
      }
      c.closed_.insert(day);
    }
  }
  if (!v.empty()) return v.ToStatus();
  return c;
}

std::vector<std::pair<absl::Time, absl::Time>> BusinessCalendar::OpenOn(
    absl::CivilDay day) const {
  std::vector<std::pair<absl::Time, absl::Time>> out;
  if (closed_.contains(day)) return out;
  const absl::CivilMinute midnight(day);
  for (const auto& [open, close] : hours_[WeekdayIndex(day)]) {
    // Civil minutes, converted one by one: on a DST day the open span is
    // the real elapsed time between the local opening and closing times.
    const absl::Time from = absl::FromCivil(midnight + open, zone_);
    const absl::Time to = absl::FromCivil(midnight + close, zone_);
    if (to > from) out.push_back({from, to});
  }
  return out;
}

absl::Time BusinessCalendar::AddOpenTime(absl::Time start,
                                         absl::Duration amount) const {
  if (amount <= absl::ZeroDuration()) return start;
  absl::CivilDay day = absl::ToCivilDay(start, zone_);
  for (int i = 0; i < kMaxSearchDays; ++i, ++day) {
    for (const auto& [open, close] : OpenOn(day)) {
      const absl::Time from = std::max(open, start);
      if (from >= close) continue;
      const absl::Duration here = close - from;
      if (amount <= here) return from + amount;
      amount -= here;
    }
  }
  // Unreachable with a validated calendar; never an instant in the past.
  return absl::InfiniteFuture();
}

absl::Duration BusinessCalendar::OpenTimeBetween(absl::Time from,
                                                 absl::Time to) const {
  absl::Duration sum;
  if (to <= from) return sum;
  const absl::CivilDay last = absl::ToCivilDay(to, zone_);
  for (absl::CivilDay day = absl::ToCivilDay(from, zone_); day <= last; ++day) {
    for (const auto& [open, close] : OpenOn(day)) {
      const absl::Time a = std::max(open, from);
      const absl::Time b = std::min(close, to);
      if (b > a) sum += b - a;
    }
  }
  return sum;
}

absl::Time DueTime(const BusinessCalendar& cal, const ClockTarget& target,
                   absl::Time start, absl::Duration remaining) {
  return target.business_hours ? cal.AddOpenTime(start, remaining)
                               : start + remaining;
}

absl::Duration Elapsed(const BusinessCalendar& cal, bool business_hours,
                       absl::Time from, absl::Time to) {
  if (to <= from) return absl::ZeroDuration();
  return business_hours ? cal.OpenTimeBetween(from, to) : to - from;
}

}  // namespace retail::complaints
