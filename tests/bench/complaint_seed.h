// Seeding complaints for the benchmark (issue 12): writes complaints, their
// three SLA clocks and their keyword rows straight into the database before
// the server starts, as order_seed.h does for orders.
//
// Two sets, both optional:
//  * the spread: `complaints` complaints over branches B001..B<branches> and
//    the last `days` days, in creation order. Each one lives a story from
//    intake to its state at the seeding instant, replayed through the
//    server's own clock rules (sla_clock.h: StartClock, PauseClock,
//    ResumeClock, StopClock, Breached, NextSweepUs): assigned, answered
//    (a quarter wait on the customer, with the clocks paused), a solution
//    proposed, resolved and closed with the customer's confirmation
//    (satisfied, unsatisfied, unreachable after three failed contacts),
//    some reopened and closed again; about 1% stall at some step and stay
//    open, breaching their clocks. A year of history is thus mostly CLOSED,
//    the last two weeks mostly open. The escalation sweep is replayed too:
//    every near-breach and breach instant that passed before the seeding
//    instant is marked (near_breach, breach_marked, one escalation level
//    each, a revision each), so the server's own sweep finds nothing
//    overdue when it starts. The figures of GetComplaintStats over the last
//    `stats_days` days (all branches) are recorded for the stats row;
//  * the sweep set: `sweep_open` open complaints (created over the last two
//    weeks, in every open status) of which exactly `sweep_due_share` have a
//    near-breach or breach instant in (now, now + sweep_window]: what one
//    run of the escalation sweep finds after an interval (sweep_bench.cc).
//    No other complaint has an instant in that window.
//
// Every row goes through the server's own store functions (InsertComplaint,
// which writes the complaints row and its clocks, and InsertKeywords),
// holding what the handlers would have written: ids from NewId at the
// event's time, the default SLA policy (version 1: 24 h / 3 days / 7 days
// of wall-clock time, near breach at 80%), next_due_us, next_sweep_us and
// breached computed as the manager's Refresh does, and topics and keywords
// from the shared text analyser (common/text/shared_analyzer.h), run once
// per template text at start-up exactly as CreateComplaint runs it (subject
// then description, no repeats) and reused. Texts come from a set of
// templates in simplified and traditional Chinese and English, one or more
// per category.
//
// Skipped, as in seed.h and order_seed.h: idempotency keys, audit and event
// rows, and complaint_history (no measured row reads them; the sweep
// appends to it, so sweep_bench counts its own entries). No complaint names
// an order, and every branch keeps the default calendar. Complaints name
// customers of the database, evenly spread over them; when it holds none
// (sweep_bench's database), the ids are made up, which only views would
// notice (their name and phone lookup misses).
#ifndef RETAIL_TESTS_BENCH_COMPLAINT_SEED_H_
#define RETAIL_TESTS_BENCH_COMPLAINT_SEED_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "retail/complaints/v1/complaints.pb.h"
#include "tests/bench/dataset.h"

namespace retail::bench {

// A complaint text: what CreateComplaint receives (and the seeder writes).
struct ComplaintText {
  complaints::v1::ComplaintCategory category;
  const char* subject;
  const char* description;
};

// The templates both the seeder and the CreateComplaint row use.
const std::vector<ComplaintText>& ComplaintTemplates();

struct ComplaintSeedOptions {
  std::string db_path;
  int64_t complaints = 0;  // the spread
  int branches = 500;      // B001..B<branches>
  int days = 365;          // the spread's history, up to now
  int stats_days = 30;     // the stats window whose figures are recorded
  // Only complaints that are closed by now (created `days` days back up to
  // 120 days ago, no stalls): history that the sweep never looks at.
  bool closed_only = false;
  int64_t sweep_open = 0;  // the sweep set
  double sweep_due_share = 0.01;
  int64_t sweep_window_us = 60'000'000;     // one sweep interval
  std::string time_zone = "Asia/Shanghai";  // the server's --time_zone
  int batch = 10'000;                       // complaints per transaction
  int64_t now_us = 0;  // the seeding instant; 0: the system clock
  // Where to write ComplaintFacts (dataset.h) for the benchmark; empty for
  // none.
  std::string sample_path;
  uint64_t seed = 20240601;
};

struct ComplaintSeedResult {
  int64_t complaints = 0;                  // inserted now, both sets
  int64_t keywords = 0;                    // complaint_keywords rows
  std::array<int64_t, 9> status_counts{};  // by ComplaintStatus number
  int64_t open = 0;                        // not CLOSED
  int64_t breached = 0;                    // breached column set
  int64_t running_overdue = 0;             // a running clock past due (marked)
  int64_t reopened = 0;
  int64_t in_db = 0;  // complaints in the database after seeding
  int64_t now_us = 0;
  ComplaintFacts facts;  // the stats window's figures (spread only)
  // The sweep set's complaints with an instant in the window, and by kind
  // (near breach, breach).
  std::vector<std::string> sweep_due_ids;
  int64_t sweep_due_near = 0;
  int64_t sweep_due_breach = 0;
  double seconds = 0;
};

absl::StatusOr<ComplaintSeedResult> SeedComplaints(
    const ComplaintSeedOptions& options);

}  // namespace retail::bench

#endif  // RETAIL_TESTS_BENCH_COMPLAINT_SEED_H_
