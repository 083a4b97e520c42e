// Runs the modules' maintenance tasks (server/module.h) on one thread, by
// the injected Clock's time.
//
// Each due task runs one bounded slice at a time, round-robin with the other
// due tasks, so a long sweep cannot delay another task past its interval.
// Stop() returns after the slice in progress, never after a whole sweep.
#ifndef RETAIL_SERVER_MAINTENANCE_H_
#define RETAIL_SERVER_MAINTENANCE_H_

#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "common/db/database.h"
#include "server/module.h"

namespace retail {

class MaintenanceScheduler {
 public:
  // Every task is first due at start-up (`clock`'s now).
  MaintenanceScheduler(const Clock& clock, std::vector<MaintenanceTask> tasks);
  ~MaintenanceScheduler();  // Stop()s

  // Starts the thread. Without Start(), tests drive it with RunDue().
  void Start();
  // Stops the thread after the slice in progress. Idempotent.
  void Stop();

  // Runs every task that is due by the clock until none is due (or Stop()),
  // interleaving slices. Returns the number of slices run. One sweep at a
  // time: a test's RunDue() waits for the thread's sweep to end, so no task
  // ever runs two slices at once (tasks need not be reentrant).
  int RunDue();

  // When the next task is due, in Clock micros.
  int64_t NextDueMicros() const;

 private:
  struct Entry {
    MaintenanceTask task;
    int64_t next_due_us;
    bool in_sweep = false;  // a slice said more work remains
    // When the current (or last) sweep's first slice began; the next sweep
    // is due `interval` after it.
    int64_t sweep_began_us = 0;
  };
  bool Stopping() const;
  void Loop();

  const Clock& clock_;
  // Held by RunDue and NextDueMicros: the entries and the tasks' slices.
  mutable std::mutex run_mu_;
  std::vector<Entry> entries_;
  mutable absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

// The engine's own tasks, for BuildServer to run with the modules' (empty
// on SQLite). On PostgreSQL, "core.month_partitions" creates the monthly
// partitions of every partitioned table (retail_partitioned_tables:
// orders, order_payments, events, audit_log) for the clock's UTC month and
// the next `kMonthsAhead`, one table per slice. Creating a month locks its
// table for a moment and, had rows already landed in the DEFAULT partition
// for want of that month, moves them: done ahead of time, DEFAULT stays
// empty and the lock brief. Months past retention are dropped by each
// table's retention task (audit.retention, events.retention).
inline constexpr int kMonthsAhead = 2;
std::vector<MaintenanceTask> EngineMaintenanceTasks(db::Database& db,
                                                    const Clock& clock,
                                                    absl::Duration interval);

}  // namespace retail

#endif  // RETAIL_SERVER_MAINTENANCE_H_
