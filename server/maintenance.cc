#include "server/maintenance.h"

#include <algorithm>
#include <limits>
#include <vector>

#include "common/logging.h"

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
      absl::StatusOr<bool> more = e.task.run_slice();
      if (!more.ok()) {
        RETAIL_LOG(WARNING) << "maintenance task " << e.task.name
                            << " failed: " << more.status();
      }
      e.in_sweep = more.ok() && *more;
      if (!e.in_sweep) {
        e.next_due_us =
            clock_.NowMicros() + absl::ToInt64Microseconds(e.task.interval);
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

}  // namespace retail
