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

}  // namespace retail

#endif  // RETAIL_SERVER_MAINTENANCE_H_
