// sweep_bench: the complaint escalation sweep, in process (issue 12: over
// 100,000 open complaints of which 1% are newly due, the whole sweep in at
// most 1 s), for scripts/bench.
//
// 1. Seeds a fresh database (complaint_seed.h, the sweep set): `--open`
//    open complaints received over the last two weeks, every one of them
//    consistent as of the seeding instant T0 (what came due before T0 is
//    already marked), of which exactly `--due_share` have a near-breach or
//    breach instant in (T0, T0 + interval]: what the sweep finds one
//    `--interval_seconds` after its previous run. Optionally a closed
//    history first (`--closed_history`), which the sweep never reads but
//    which makes the table and its indexes a year's size.
// 2. Opens it as the server does (db::Database with every module's schema,
//    four readers) and builds a ComplaintManager on it with the server's
//    options (transactions of 100 complaints, 50 ms per slice) and a
//    FakeClock at T0 + interval.
// 3. Calls SweepSlice() until it returns false, as the maintenance
//    scheduler does (bounded by --max_slices and --max_seconds), and
//    reports the wall time of the whole sweep, the number of slices and the
//    slowest one.
// 4. Checks by SQL that exactly the due complaints were marked, once each
//    (one NEAR_BREACH or BREACHED history entry by "system", of the kind
//    seeded), and that no complaint is left with a sweep instant at or
//    before the clock.
//
// Exit status: 0 when the check passes (a missed time target is reported,
// never fatal), 1 when it fails or anything else does.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/db/database.h"
#include "common/status.h"
#include "common/text/shared_analyzer.h"
#include "server/complaints/complaint_manager.h"
#include "server/module.h"
#include "tests/bench/complaint_seed.h"
#include "tests/bench/load_driver.h"

ABSL_FLAG(std::string, db, "",
          "database file to create (must not exist); removed afterwards "
          "unless --keep");
ABSL_FLAG(bool, keep, false, "keep the database file");
ABSL_FLAG(int64_t, open, 100'000, "open complaints");
ABSL_FLAG(double, due_share, 0.01,
          "share of the open complaints newly due (one near-breach or breach "
          "instant each within the interval)");
ABSL_FLAG(int64_t, closed_history, 0,
          "closed complaints of the past year seeded first (the sweep never "
          "reads them; they give the table a year's size)");
ABSL_FLAG(int64_t, interval_seconds, 60,
          "time since the previous sweep (the server's "
          "--complaint_sweep_interval_seconds)");
ABSL_FLAG(int32_t, branches, 500, "branches B001..");
ABSL_FLAG(std::string, time_zone, "Asia/Shanghai", "the server's --time_zone");
ABSL_FLAG(int64_t, max_slices, 100'000, "stop after this many slices");
ABSL_FLAG(double, max_seconds, 120, "stop after this long");
ABSL_FLAG(double, target_seconds, 1.0, "issue 12's target for the sweep");
ABSL_FLAG(uint64_t, seed, 1, "seed of the seeded data set");
ABSL_FLAG(std::string, json, "", "also write the figures to this file");
ABSL_FLAG(std::string, perf_control, "",
          "profiling: a perf record --control fifo (started with -D -1); "
          "\"enable\" is written to it just before the sweep and "
          "\"disable\" just after, so the profile holds the sweep alone");

namespace retail::bench {
namespace {

namespace cv1 = ::retail::complaints::v1;

struct Check {
  int64_t marked_complaints = 0;  // complaints with a sweep history entry
  int64_t near_entries = 0;
  int64_t breach_entries = 0;
  int64_t unexpected = 0;  // marked but not seeded as due
  int64_t missed = 0;      // seeded as due but not marked
  int64_t twice = 0;       // more than one entry
  int64_t left_due = 0;    // sweep instant still at or before the clock
  bool ok = false;
};

absl::StatusOr<Check> Verify(db::Database& database, int64_t clock_us,
                             const ComplaintSeedResult& seeded) {
  return database.Read([&](db::Connection& conn) -> absl::StatusOr<Check> {
    return db::Guard("verify the sweep", [&]() -> absl::StatusOr<Check> {
      Check c;
      const std::set<std::string> due(seeded.sweep_due_ids.begin(),
                                      seeded.sweep_due_ids.end());
      std::set<std::string> marked;
      db::Stmt s = conn.Prepare(absl::StrCat(
          "SELECT c.complaint_id, COUNT(*), SUM(h.kind = ",
          static_cast<int>(cv1::HISTORY_KIND_NEAR_BREACH),
          "), SUM(h.kind = ", static_cast<int>(cv1::HISTORY_KIND_BREACHED),
          ") FROM complaint_history h JOIN complaints c"
          " ON c.id = h.complaint_row WHERE h.actor = 'system' AND h.kind IN (",
          static_cast<int>(cv1::HISTORY_KIND_NEAR_BREACH), ", ",
          static_cast<int>(cv1::HISTORY_KIND_BREACHED),
          ") GROUP BY h.complaint_row"));
      while (s->Step()) {
        const std::string id = s->String(0);
        marked.insert(id);
        if (s->Int64(1) != 1) ++c.twice;
        c.near_entries += s->Int64(2);
        c.breach_entries += s->Int64(3);
        if (!due.count(id)) ++c.unexpected;
      }
      c.marked_complaints = static_cast<int64_t>(marked.size());
      for (const std::string& id : due) {
        if (!marked.count(id)) ++c.missed;
      }
      db::Stmt left = conn.Prepare(
          "SELECT COUNT(*) FROM complaints WHERE next_sweep_us IS NOT NULL"
          " AND next_sweep_us <= ?1");
      left->Bind(1, static_cast<int64_t>(clock_us));
      left->Step();
      c.left_due = left->Int64(0);
      c.ok = c.unexpected == 0 && c.missed == 0 && c.twice == 0 &&
             c.left_due == 0 && c.near_entries == seeded.sweep_due_near &&
             c.breach_entries == seeded.sweep_due_breach;
      return c;
    });
  });
}

double LoadAverage() {
  std::ifstream in("/proc/loadavg");
  double load = 0;
  in >> load;
  return load;
}

int Main() {
  const std::string path = absl::GetFlag(FLAGS_db);
  if (path.empty()) {
    std::cerr << "sweep_bench: --db is required\n";
    return 2;
  }
  if (std::filesystem::exists(path)) {
    std::cerr << "sweep_bench: " << path
              << " exists; the sweep is measured on a fresh database\n";
    return 2;
  }
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(absl::GetFlag(FLAGS_time_zone), &zone)) {
    std::cerr << "sweep_bench: unknown time zone\n";
    return 2;
  }
  const int64_t interval_us = absl::GetFlag(FLAGS_interval_seconds) * 1'000'000;
  const double load_at_start = LoadAverage();

  ComplaintSeedOptions o;
  o.db_path = path;
  o.complaints = absl::GetFlag(FLAGS_closed_history);
  o.closed_only = true;
  o.sweep_open = absl::GetFlag(FLAGS_open);
  o.sweep_due_share = absl::GetFlag(FLAGS_due_share);
  o.sweep_window_us = interval_us;
  o.branches = absl::GetFlag(FLAGS_branches);
  o.time_zone = absl::GetFlag(FLAGS_time_zone);
  o.seed = absl::GetFlag(FLAGS_seed);
  absl::StatusOr<ComplaintSeedResult> seeded = SeedComplaints(o);
  if (!seeded.ok()) {
    std::cerr << "sweep_bench: seeding failed: " << seeded.status() << "\n";
    return 1;
  }
  const auto& n = seeded->status_counts;
  std::cerr << absl::StrFormat(
      "sweep_bench: seeded %d complaints (%d open: %d new, %d acknowledged, "
      "%d in progress, %d waiting, %d solution proposed, %d resolved; %d "
      "breached) in %.1f s; %d newly due (%d near breach, %d breach)\n",
      seeded->complaints, seeded->open, n[1], n[2], n[3], n[4], n[5], n[6],
      seeded->breached, seeded->seconds,
      static_cast<int64_t>(seeded->sweep_due_ids.size()),
      seeded->sweep_due_near, seeded->sweep_due_breach);

  // The server's way: every module's schema, four readers.
  const int64_t clock_us = seeded->now_us + interval_us;
  FakeClock clock(clock_us);
  db::DatabaseOptions db_options;
  db_options.path = path;
  db_options.now_micros = clock_us;
  db_options.schemas = AllSchemas();
  absl::StatusOr<std::unique_ptr<db::Database>> database =
      db::Database::Open(db_options);
  if (!database.ok()) {
    std::cerr << "sweep_bench: " << database.status() << "\n";
    return 1;
  }
  absl::StatusOr<const text::Analyzer*> analyzer = text::SharedAnalyzer();
  if (!analyzer.ok()) {
    std::cerr << "sweep_bench: " << analyzer.status() << "\n";
    return 1;
  }
  complaints::ComplaintOptions options;  // the server's: 100 a txn, 50 ms
  options.time_zone = zone;
  complaints::ComplaintManager manager(**database, clock, options, nullptr,
                                       nullptr, **analyzer);

  const int64_t max_slices = absl::GetFlag(FLAGS_max_slices);
  const int64_t stop_ns =
      static_cast<int64_t>(absl::GetFlag(FLAGS_max_seconds) * 1e9);
  int64_t slices = 0;
  int64_t slowest_ns = 0;
  bool more = true;
  std::ofstream perf;
  if (!absl::GetFlag(FLAGS_perf_control).empty()) {
    perf.open(absl::GetFlag(FLAGS_perf_control));
    perf << "enable" << std::endl;
  }
  const int64_t start_ns = MonotonicNanos();
  while (more) {
    if (slices >= max_slices || MonotonicNanos() - start_ns > stop_ns) {
      std::cerr << "sweep_bench: the sweep was not done after " << slices
                << " slices\n";
      return 1;
    }
    const int64_t slice_start = MonotonicNanos();
    absl::StatusOr<bool> r = manager.SweepSlice();
    slowest_ns = std::max(slowest_ns, MonotonicNanos() - slice_start);
    ++slices;
    if (!r.ok()) {
      std::cerr << "sweep_bench: SweepSlice: " << r.status() << "\n";
      return 1;
    }
    more = *r;
  }
  const double seconds = (MonotonicNanos() - start_ns) / 1e9;
  if (perf.is_open()) perf << "disable" << std::endl;

  absl::StatusOr<Check> check = Verify(**database, clock_us, *seeded);
  if (absl::Status s = (*database)->Close(); !s.ok()) {
    std::cerr << "sweep_bench: " << s << "\n";
    return 1;
  }
  if (!absl::GetFlag(FLAGS_keep)) {
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::error_code ec;
      std::filesystem::remove(path + suffix, ec);
    }
  }
  if (!check.ok()) {
    std::cerr << "sweep_bench: " << check.status() << "\n";
    return 1;
  }
  const double target = absl::GetFlag(FLAGS_target_seconds);
  const bool pass = seconds <= target && check->ok;
  const int64_t due = static_cast<int64_t>(seeded->sweep_due_ids.size());
  std::cout << absl::StrFormat(
      "\nsweep_bench: escalation sweep over %d open complaints (%d in the "
      "table), %d newly due, clock %d s after the seeding; load average %.2f "
      "at start\n"
      "  %-36s %8.3f s in %d slices (slowest %.1f ms), %d complaints marked "
      "(%d near breach, %d breach), %.0f us per complaint marked\n"
      "  check: %s (%d marked not due, %d due not marked, %d marked twice, "
      "%d still due)\n"
      "  %-4s sweep <= %.1f s #12: value %.3f\n",
      seeded->open, seeded->complaints, due, interval_us / 1'000'000,
      load_at_start, "ComplaintManager::SweepSlice, all", seconds, slices,
      slowest_ns / 1e6, check->marked_complaints, check->near_entries,
      check->breach_entries, due > 0 ? seconds * 1e6 / due : 0.0,
      check->ok ? "exactly the due complaints were marked, once each"
                : "FAILED",
      check->unexpected, check->missed, check->twice, check->left_due,
      pass ? "PASS" : "MISS", target, seconds);
  const std::string json = absl::GetFlag(FLAGS_json);
  if (!json.empty()) {
    std::ofstream out(json, std::ios::trunc);
    out << absl::StrFormat(
        "{\"open\": %d, \"complaints\": %d, \"due\": %d, \"due_near\": %d, "
        "\"due_breach\": %d, \"interval_s\": %d, \"seconds\": %.4f, "
        "\"slices\": %d, \"slowest_slice_ms\": %.2f, \"marked\": %d, "
        "\"verified\": %s, \"target_s\": %.3f, \"pass\": %s, "
        "\"load_average_1m\": %.2f}\n",
        seeded->open, seeded->complaints, due, seeded->sweep_due_near,
        seeded->sweep_due_breach, interval_us / 1'000'000, seconds, slices,
        slowest_ns / 1e6, check->marked_complaints,
        check->ok ? "true" : "false", target, pass ? "true" : "false",
        load_at_start);
    if (!out) {
      std::cerr << "sweep_bench: cannot write " << json << "\n";
      return 1;
    }
  }
  return check->ok ? 0 : 1;
}

}  // namespace
}  // namespace retail::bench

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "The complaint escalation sweep in process; see scripts/bench");
  absl::ParseCommandLine(argc, argv);
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  return retail::bench::Main();
}
