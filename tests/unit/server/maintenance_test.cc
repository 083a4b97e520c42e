// The maintenance scheduler on a FakeClock: tasks run when business time
// says they are due, long tasks run in slices interleaved with others, and
// Stop() waits for one slice, never for a whole sweep.
#include "server/maintenance.h"

#include <atomic>
#include <future>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace retail {
namespace {

constexpr int64_t kStart = 1'780'272'000'000'000;  // 2026-06-01
constexpr int64_t kHour = 3600 * kMicrosPerSecond;

TEST(MaintenanceTest, TasksRunAtStartThenEveryIntervalOfClockTime) {
  FakeClock clock(kStart);
  int runs = 0;
  MaintenanceScheduler scheduler(
      clock, {{"count", absl::Hours(1), [&]() -> absl::StatusOr<bool> {
                 ++runs;
                 return false;
               }}});
  EXPECT_EQ(scheduler.RunDue(), 1);  // due at start-up
  EXPECT_EQ(scheduler.RunDue(), 0);
  clock.Advance(kHour - 1);
  EXPECT_EQ(scheduler.RunDue(), 0);
  clock.Advance(1);
  EXPECT_EQ(scheduler.RunDue(), 1);
  EXPECT_EQ(runs, 2);
  EXPECT_EQ(scheduler.NextDueMicros(), kStart + 2 * kHour);
}

TEST(MaintenanceTest, LongTaskRunsInSlicesInterleavedWithOthers) {
  FakeClock clock(kStart);
  std::vector<std::string> order;
  int sweep_left = 3;
  MaintenanceScheduler scheduler(
      clock, {{"sweep", absl::Hours(1),
               [&]() -> absl::StatusOr<bool> {
                 order.push_back("sweep");
                 return --sweep_left > 0;
               }},
              {"prune", absl::Hours(1), [&]() -> absl::StatusOr<bool> {
                 order.push_back("prune");
                 return false;
               }}});
  EXPECT_EQ(scheduler.RunDue(), 4);
  // The second task did not wait for the whole sweep.
  EXPECT_THAT(order,
              ::testing::ElementsAre("sweep", "prune", "sweep", "sweep"));
}

TEST(MaintenanceTest, FailedSliceIsRetriedNextInterval) {
  FakeClock clock(kStart);
  int runs = 0;
  MaintenanceScheduler scheduler(
      clock, {{"flaky", absl::Hours(1), [&]() -> absl::StatusOr<bool> {
                 ++runs;
                 return absl::UnavailableError("disk busy");
               }}});
  EXPECT_EQ(scheduler.RunDue(), 1);
  EXPECT_EQ(scheduler.RunDue(), 0);
  clock.Advance(kHour);
  EXPECT_EQ(scheduler.RunDue(), 1);
  EXPECT_EQ(runs, 2);
}

TEST(MaintenanceTest, ThreadRunsDueWorkWhenATestAdvancesTheClock) {
  FakeClock clock(kStart);
  std::atomic<int> runs{0};
  MaintenanceScheduler scheduler(
      clock, {{"count", absl::Hours(1), [&]() -> absl::StatusOr<bool> {
                 ++runs;
                 return false;
               }}});
  scheduler.Start();
  // The thread looks every 20 ms; 60 s only bounds a hang, so a loaded
  // machine cannot fail this.
  auto wait_for = [&](int n) {
    const absl::Time end = absl::Now() + absl::Seconds(60);
    while (runs.load() < n && absl::Now() < end) {
      absl::SleepFor(absl::Milliseconds(10));
    }
    return runs.load();
  };
  EXPECT_EQ(wait_for(1), 1);
  clock.Advance(kHour);
  EXPECT_EQ(wait_for(2), 2);
  scheduler.Stop();
}

TEST(MaintenanceTest, StopWaitsForOneSliceNotTheWholeSweep) {
  FakeClock clock(kStart);
  std::atomic<int> slices{0};
  std::promise<void> first_slice;
  MaintenanceScheduler scheduler(
      clock, {{"endless", absl::Hours(1), [&]() -> absl::StatusOr<bool> {
                 if (slices.fetch_add(1) == 0) first_slice.set_value();
                 absl::SleepFor(absl::Milliseconds(5));
                 return true;  // always more to do
               }}});
  scheduler.Start();
  first_slice.get_future().wait();
  scheduler.Stop();  // returns although the sweep never ends
  const int after_stop = slices.load();
  absl::SleepFor(absl::Milliseconds(30));
  EXPECT_EQ(slices.load(), after_stop);
}

}  // namespace
}  // namespace retail
