#include "server/maintenance.h"

#include <algorithm>
#include <limits>
#include <memory>
#include <vector>

#include "absl/strings/str_join.h"
#include "common/logging.h"
#include "common/status.h"

namespace retail {

MaintenanceScheduler::MaintenanceScheduler(const Clock& clock,
                                           std::vector<MaintenanceTask> tasks)
    : clock_(clock) {
  const int64_t now = clock_.NowMicros();
  for (MaintenanceTask& t : tasks) entries_.push_back({std::move(t), now});
}

MaintenanceScheduler::~MaintenanceScheduler() { Stop(); }

void MaintenanceScheduler::Start() {
  if (entries_.empty() || thread_.joinable()) return;
  thread_ = std::thread([this] { Loop(); });
}

void MaintenanceScheduler::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

bool MaintenanceScheduler::Stopping() const {
  absl::MutexLock lock(&mu_);
  return stop_;
}

int MaintenanceScheduler::RunDue() {
  std::lock_guard<std::mutex> run(run_mu_);
  int slices = 0;
  // One whole sweep per task per call at most: a task whose interval is
  // zero (tests) or shorter than its sweep is due again the moment it
  // finishes, and would otherwise keep this call from ever returning.
  std::vector<bool> finished(entries_.size(), false);
  for (bool ran = true; ran && !Stopping();) {
    ran = false;
    for (size_t i = 0; i < entries_.size(); ++i) {
      Entry& e = entries_[i];
      if (Stopping()) break;
      if (finished[i]) continue;
      const int64_t now = clock_.NowMicros();
      if (!e.in_sweep && now < e.next_due_us) continue;
      ran = true;
      ++slices;
      if (!e.in_sweep) e.sweep_began_us = now;
      absl::StatusOr<bool> more = e.task.run_slice();
      if (!more.ok()) {
        RETAIL_LOG(WARNING) << "maintenance task " << e.task.name
                            << " failed: " << more.status();
      }
      e.in_sweep = more.ok() && *more;
      if (!e.in_sweep) {
        // From the sweep's start, not its end: a clock moved while the
        // sweep ran (tests move it at will) must not push the next one
        // back past a time the sweep never saw.
        e.next_due_us =
            e.sweep_began_us + absl::ToInt64Microseconds(e.task.interval);
        finished[i] = true;
      }
    }
  }
  return slices;
}

int64_t MaintenanceScheduler::NextDueMicros() const {
  std::lock_guard<std::mutex> run(run_mu_);
  int64_t next = std::numeric_limits<int64_t>::max();
  for (const Entry& e : entries_) {
    next = std::min(next, e.in_sweep ? clock_.NowMicros() : e.next_due_us);
  }
  return next;
}

void MaintenanceScheduler::Loop() {
  for (;;) {
    RunDue();
    // Sleep in real time until the next task is due by the clock; at most a
    // minute at a time, so a clock set forward is noticed.
    const int64_t wait_us = std::clamp<int64_t>(
        clock_.RealMicrosUntil(NextDueMicros()), 0, 60'000'000);
    absl::MutexLock lock(&mu_);
    auto stopping = [this] { return stop_; };
    if (mu_.AwaitWithTimeout(absl::Condition(&stopping),
                             absl::Microseconds(wait_us))) {
      return;
    }
  }
}

namespace {

// One sweep of core.month_partitions: the partitioned tables, read at its
// first slice, one ensured per slice.
class MonthPartitions {
 public:
  MonthPartitions(db::Database& db, const Clock& clock)
      : db_(db), clock_(clock) {}

  absl::StatusOr<bool> RunSlice() {
    if (pending_.empty()) {
      ASSIGN_OR_RETURN(pending_, Tables());
      if (pending_.empty()) return false;
    }
    const std::string table = std::move(pending_.back());
    pending_.pop_back();
    std::vector<std::string> created;
    const int64_t now = clock_.NowMicros();
    absl::Status s =
        db_.writer().RunSync([&](db::Connection& conn) -> absl::Status {
          return db::Guard("month partitions", [&]() -> absl::Status {
            created.clear();
            db::Stmt q = conn.Prepare(
                "SELECT * FROM retail_ensure_month_partitions(?1,"
                " retail_month_start_us(?2),"
                " retail_month_start_us(?2, CAST(?3 AS INTEGER)))");
            q->Bind(1, table);
            q->Bind(2, now);
            q->Bind(3, int64_t{kMonthsAhead + 1});
            while (q->Step()) created.push_back(q->String(0));
            return absl::OkStatus();
          });
        });
    if (!s.ok()) {
      // The other tables still get their months in this sweep.
      RETAIL_LOG(WARNING) << "month partitions of " << table << ": " << s;
    } else if (!created.empty()) {
      RETAIL_LOG(INFO) << "created partitions " << absl::StrJoin(created, ", ");
    }
    return !pending_.empty();
  }

 private:
  absl::StatusOr<std::vector<std::string>> Tables() {
    return db_.Read(
        [](db::Connection& conn) -> absl::StatusOr<std::vector<std::string>> {
          return db::Guard(
              "partitioned tables",
              [&]() -> absl::StatusOr<std::vector<std::string>> {
                std::vector<std::string> out;
                db::Stmt q = conn.Prepare(
                    "SELECT table_name FROM retail_partitioned_tables"
                    " ORDER BY table_name DESC");
                while (q->Step()) out.push_back(q->String(0));
                return out;
              });
        });
  }

  db::Database& db_;
  const Clock& clock_;
  std::vector<std::string> pending_;  // this sweep's tables still to do
};

}  // namespace

std::vector<MaintenanceTask> EngineMaintenanceTasks(db::Database& db,
                                                    const Clock& clock,
                                                    absl::Duration interval) {
  if (db.engine() != db::Engine::kPostgres) return {};
  auto partitions = std::make_shared<MonthPartitions>(db, clock);
  return {{"core.month_partitions", interval,
           [partitions] { return partitions->RunSlice(); }}};
}

}  // namespace retail
