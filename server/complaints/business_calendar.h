// A branch's business calendar and the arithmetic of SLA clocks over it:
// adding business time to an instant and measuring business time between
// two instants. Pure functions of their inputs (no clock, no database), so
// tests drive them directly across weekends, closed dates and DST.
#ifndef RETAIL_SERVER_COMPLAINTS_BUSINESS_CALENDAR_H_
#define RETAIL_SERVER_COMPLAINTS_BUSINESS_CALENDAR_H_

#include <array>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "retail/complaints/v1/complaints.pb.h"

namespace retail::complaints {

// The longest a clock's target may be, in either kind of time.
inline constexpr absl::Duration kMaxTarget = absl::Hours(24 * 90);

class BusinessCalendar {
 public:
  // The default: open 09:00–21:00 every day in `zone`, no closed dates.
  static BusinessCalendar Default(absl::TimeZone zone);
  // From the API message; INVALID_ARGUMENT naming `field`.* on a bad entry
  // (unknown zone, a day twice, open not before close, no open day at all,
  // a closed date that is not a real date, more than 366 closed dates).
  // An empty time_zone means `chain_zone`.
  static absl::StatusOr<BusinessCalendar> FromProto(
      const v1::BranchCalendar& in, absl::TimeZone chain_zone,
      const std::string& field);

  // The instant `amount` of open time after `start` (wall-clock time that
  // falls inside opening hours, closed dates excluded). `amount` ≤
  // kMaxTarget.
  absl::Time AddOpenTime(absl::Time start, absl::Duration amount) const;
  // Open time in [from, to); zero if to ≤ from.
  absl::Duration OpenTimeBetween(absl::Time from, absl::Time to) const;

  absl::TimeZone zone() const { return zone_; }

 private:
  // The open intervals of one local day, as instants (DST-correct).
  std::vector<std::pair<absl::Time, absl::Time>> OpenOn(
      absl::CivilDay day) const;

  absl::TimeZone zone_;
  // Index 0 = Monday; minutes after local midnight [open, close).
  std::array<std::vector<std::pair<int, int>>, 7> hours_;
  absl::flat_hash_set<absl::CivilDay> closed_;
};

// A clock's target: an amount of wall-clock or open time.
struct ClockTarget {
  absl::Duration amount;
  bool business_hours = false;
};

// When a clock that starts (or resumes) at `start` with `remaining` left is
// due.
absl::Time DueTime(const BusinessCalendar& cal, const ClockTarget& target,
                   absl::Time start, absl::Duration remaining);
// How much of a clock's kind of time passed in [from, to).
absl::Duration Elapsed(const BusinessCalendar& cal, bool business_hours,
                       absl::Time from, absl::Time to);

}  // namespace retail::complaints

#endif  // RETAIL_SERVER_COMPLAINTS_BUSINESS_CALENDAR_H_
